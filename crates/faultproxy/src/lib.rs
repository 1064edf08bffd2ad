//! A stricter, faultier AWS for tests and benchmarks: an HTTP proxy between scpctl and the moto
//! emulator that knows which operation each request is, and by a seeded schedule
//! - answers with AWS's real error shapes (JSON protocol for Organizations, query/XML for IAM
//!   and STS), HTTP 500/503, or resets the connection;
//! - adds latency to every call;
//! - enforces what moto skips: SCP content size and SCPs per target (configurable limits, AWS's
//!   10,240 characters and 10 SCPs by default), the duplicate
//!   attachment error ("Quotas for AWS Organizations"; "AttachPolicy" errors);
//! - enforces what moto skips in IAM (`iam`): policy size, inline aggregate size per entity,
//!   managed policies attached per entity;
//! - pages IAM's `GetAccountAuthorizationDetails` as IAM does (`paging`), which moto does not;
//! - counts calls per operation, so tests can assert "no writes on a no-op apply".

mod iam;
mod paging;
pub use iam::IamLimits;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};

/// What to answer instead of forwarding.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// An AWS service error: HTTP 400 with the protocol's error shape and this code.
    Error { code: String, message: String },
    /// Organizations' `ConstraintViolationException` with its `Reason`.
    Constraint { reason: String, message: String },
    /// A bare HTTP status (500, 503) with an empty body.
    Status(u16),
    /// Close the connection without an answer.
    Reset,
    /// Forward the call (the emulator makes the change), then answer HTTP 500 as if the
    /// response had been lost: the client does not know it succeeded.
    LostResponse,
    /// One of these, picked by the seeded schedule.
    OneOf(Vec<Fault>),
    /// A canned HTTP 200 answer, e.g. another caller identity for STS GetCallerIdentity.
    Respond { content_type: String, body: String },
}

impl Fault {
    pub fn error(code: &str) -> Fault {
        Fault::Error {
            code: code.into(),
            message: format!("injected {code}"),
        }
    }
}

/// When a rule fires, counted over the calls its operation filter matches.
#[derive(Debug, Clone, PartialEq)]
pub enum When {
    /// Each matching call with this probability (seeded, so runs repeat).
    Rate(f64),
    /// Every matching call after the first `n` (a crash after call `n`).
    After(u64),
    /// Only the `n`th matching call (1-based).
    Nth(u64),
    /// Every matching call.
    Always,
}

/// Which calls a rule considers, besides its operation filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Only {
    All,
    /// Operations that change state (anything but List*, Describe*, Get*).
    Writes,
    Reads,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// `AttachPolicy`, `ListUsers`, ...; `None` matches every operation.
    pub operation: Option<String>,
    pub only: Only,
    pub when: When,
    pub fault: Fault,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// The emulator, e.g. `http://127.0.0.1:4566`.
    pub upstream: SocketAddr,
    /// Added before every call is forwarded (or answered with a fault).
    pub latency: Duration,
    /// Enforce AWS's limits that moto does not.
    pub strict: bool,
    /// The limits enforced in strict mode: AWS's since 2026-05-15 by default (10,240
    /// characters, 10 SCPs per target); set 5,120 and 5 to play an organization on the old ones.
    pub limits: Limits,
    /// IAM's quotas enforced in strict mode (AWS's defaults).
    pub iam_limits: IamLimits,
    /// The most users one `GetAccountAuthorizationDetails` page holds, whatever `MaxItems`
    /// asks (IAM may return fewer than asked): 1,000, IAM's largest page, by default.
    pub iam_page_size: usize,
    pub seed: u64,
    pub rules: Vec<Rule>,
}

/// The quotas the strict mode enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub scp_max_chars: usize,
    pub scps_per_target: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            scp_max_chars: 10_240,
            scps_per_target: 10,
        }
    }
}

impl Config {
    pub fn new(upstream: SocketAddr) -> Config {
        Config {
            upstream,
            latency: Duration::ZERO,
            strict: true,
            limits: Limits::default(),
            iam_limits: IamLimits::default(),
            iam_page_size: 1000,
            seed: 1,
            rules: Vec::new(),
        }
    }
}

/// Calls seen (`calls`) and faults injected (`faults`), per `Service.Operation`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counts {
    pub calls: BTreeMap<String, u64>,
    pub faults: BTreeMap<String, u64>,
}

impl Counts {
    /// Calls to operations that change state.
    pub fn writes(&self) -> BTreeMap<String, u64> {
        self.calls
            .iter()
            .filter(|(op, _)| is_write(op))
            .map(|(k, v)| (k.clone(), *v))
            .collect()
    }

    pub fn total(&self) -> u64 {
        self.calls.values().sum()
    }
}

/// Whether an operation (`Service.Operation` or `Operation`) changes something: every one but
/// the reads (`List...`, `Describe...`, `Get...`) and the checks that only answer
/// (`SimulatePrincipalPolicy`, Access Analyzer's `CheckNoNewAccess` and `ValidatePolicy`).
pub fn is_write(op: &str) -> bool {
    let name = op.rsplit('.').next().unwrap_or(op);
    !["List", "Describe", "Get", "Simulate", "Check", "Validate"]
        .iter()
        .any(|p| name.starts_with(p))
}

struct State {
    config: Config,
    rng: u64,
    matched: Vec<u64>,
    counts: Counts,
    pages: paging::Pages,
}

/// A running proxy; stops when dropped.
pub struct Proxy {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    /// Listen on a free loopback port, on the current tokio runtime.
    pub async fn start(config: Config) -> std::io::Result<Proxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State {
            rng: config.seed.max(1),
            matched: vec![0; config.rules.len()],
            config,
            counts: Counts::default(),
            pages: paging::Pages::default(),
        }));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = shared.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| handle(state.clone(), req));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(Proxy { addr, state, task })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn counts(&self) -> Counts {
        self.state.lock().expect("proxy state").counts.clone()
    }

    /// Replace the rules (and restart their counters); counts are kept.
    pub fn set_rules(&self, rules: Vec<Rule>) {
        let mut s = self.state.lock().expect("proxy state");
        s.matched = vec![0; rules.len()];
        s.config.rules = rules;
    }

    /// The most users one `GetAccountAuthorizationDetails` page holds from now on.
    pub fn set_iam_page_size(&self, users: usize) {
        self.state.lock().expect("proxy state").config.iam_page_size = users;
    }

    pub fn reset_counts(&self) {
        self.state.lock().expect("proxy state").counts = Counts::default();
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// `Organizations.AttachPolicy` from `X-Amz-Target` (JSON protocol) or `Iam.ListUsers` from the
/// form's `Action` (query protocol).
fn operation(target: Option<&str>, body: &[u8]) -> (String, Protocol) {
    if let Some(t) = target {
        let (service, op) = t.split_once('.').unwrap_or(("", t));
        let service = if service.starts_with("AWSOrganizations") {
            "Organizations"
        } else {
            service
        };
        return (format!("{service}.{op}"), Protocol::Json);
    }
    let text = String::from_utf8_lossy(body);
    let action = text
        .split('&')
        .find_map(|kv| kv.strip_prefix("Action="))
        .unwrap_or("Unknown");
    let service = if ["AssumeRole", "GetCallerIdentity", "GetSessionToken"].contains(&action) {
        "STS"
    } else {
        "IAM"
    };
    (format!("{service}.{action}"), Protocol::Query)
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Protocol {
    Json,
    Query,
}

fn next_random(state: &mut u64) -> f64 {
    // xorshift64*: enough for a repeatable schedule.
    let mut x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
}

/// Record the call and pick the fault, if any, under one lock.
fn decide(state: &Mutex<State>, op: &str) -> (Option<Fault>, Duration, Option<Limits>) {
    let mut s = state.lock().expect("proxy state");
    *s.counts.calls.entry(op.to_string()).or_default() += 1;
    let short = op.rsplit('.').next().unwrap_or(op).to_string();
    let mut chosen = None;
    for i in 0..s.config.rules.len() {
        let rule = s.config.rules[i].clone();
        let applies = rule.operation.as_deref().is_none_or(|o| o == short)
            && match rule.only {
                Only::All => true,
                Only::Writes => is_write(op),
                Only::Reads => !is_write(op),
            };
        if !applies {
            continue;
        }
        s.matched[i] += 1;
        let n = s.matched[i];
        let fire = match rule.when {
            When::Always => true,
            When::After(k) => n > k,
            When::Nth(k) => n == k,
            When::Rate(p) => next_random(&mut s.rng) < p,
        };
        if fire && chosen.is_none() {
            chosen = Some(match rule.fault {
                Fault::OneOf(options) if !options.is_empty() => {
                    let i = (next_random(&mut s.rng) * options.len() as f64) as usize;
                    options[i.min(options.len() - 1)].clone()
                }
                f => f,
            });
        }
    }
    if chosen.is_some() {
        *s.counts.faults.entry(op.to_string()).or_default() += 1;
    }
    (
        chosen,
        s.config.latency,
        s.config.strict.then_some(s.config.limits),
    )
}

/// `GET` this path on the proxy for its counts as JSON (for scripts).
pub const COUNTS_PATH: &str = "/__faultproxy/counts";

type Answer = Result<Response<Full<Bytes>>, std::io::Error>;

async fn handle(state: Arc<Mutex<State>>, req: Request<Incoming>) -> Answer {
    let (parts, body) = req.into_parts();
    if parts.uri.path() == COUNTS_PATH {
        let c = state.lock().expect("proxy state").counts.clone();
        let doc = serde_json::json!({"calls": c.calls, "faults": c.faults, "writes": c.writes(), "total": c.total()});
        return Ok(Response::new(Full::new(Bytes::from(doc.to_string()))));
    }
    let body = body
        .collect()
        .await
        .map_err(std::io::Error::other)?
        .to_bytes();
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok());
    let (op, protocol) = operation(target, &body);
    let (fault, latency, limits) = decide(&state, &op);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let (upstream, iam_limits) = {
        let s = state.lock().expect("proxy state");
        (s.config.upstream, s.config.iam_limits)
    };
    let fault = match (fault, limits) {
        (Some(f), _) => Some(f),
        (None, Some(limits)) if protocol == Protocol::Json => {
            strict_check(upstream, limits, &parts.headers, &op, &body).await
        }
        (None, Some(_)) => {
            iam::strict_check(upstream, iam_limits, &parts.headers, &op, &body).await
        }
        (None, None) => None,
    };
    if fault == Some(Fault::LostResponse) {
        forward(upstream, parts, body).await?;
        return answer_fault(Fault::Status(500), protocol);
    }
    if fault.is_none() && op == "IAM.GetAccountAuthorizationDetails" {
        match paging::answer(&state, upstream, &parts, &body).await {
            Ok(Some(xml)) => {
                return Ok(Response::builder()
                    .status(200)
                    .header("content-type", "text/xml")
                    .body(Full::new(Bytes::from(xml)))
                    .expect("a valid response"))
            }
            Ok(None) => {}
            Err(f) => return answer_fault(f, protocol),
        }
    }
    if let Some(f) = fault {
        if strict_fault_counts(&f) {
            let mut s = state.lock().expect("proxy state");
            *s.counts.faults.entry(op.clone()).or_default() += 1;
        }
        return answer_fault(f, protocol);
    }
    forward(upstream, parts, body).await
}

fn strict_fault_counts(f: &Fault) -> bool {
    matches!(f, Fault::Constraint { .. })
        || matches!(f, Fault::Error { code, .. } if code == "DuplicatePolicyAttachmentException" || code == "LimitExceeded")
}

fn answer_fault(fault: Fault, protocol: Protocol) -> Answer {
    let (code, message, reason) = match fault {
        Fault::Reset => return Err(std::io::Error::other("injected connection reset")),
        Fault::LostResponse | Fault::OneOf(_) => return answer_fault(Fault::Status(500), protocol),
        Fault::Respond { content_type, body } => {
            return Ok(Response::builder()
                .status(200)
                .header("content-type", content_type)
                .body(Full::new(Bytes::from(body)))
                .expect("a valid response"))
        }
        Fault::Status(s) => {
            return Ok(Response::builder()
                .status(StatusCode::from_u16(s).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
                .body(Full::new(Bytes::new()))
                .expect("a valid response"))
        }
        Fault::Error { code, message } => (code, message, None),
        Fault::Constraint { reason, message } => (
            "ConstraintViolationException".to_string(),
            message,
            Some(reason),
        ),
    };
    let response = match protocol {
        Protocol::Json => {
            let mut body = serde_json::json!({"__type": code, "Message": message});
            if let Some(r) = reason {
                body["Reason"] = serde_json::json!(r);
            }
            Response::builder()
                .status(400)
                .header("content-type", "application/x-amz-json-1.1")
                .header("x-amzn-requestid", "faultproxy")
                .body(Full::new(Bytes::from(body.to_string())))
        }
        Protocol::Query => Response::builder()
            .status(400)
            .header("content-type", "text/xml")
            .body(Full::new(Bytes::from(format!(
                "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>faultproxy</RequestId></ErrorResponse>"
            )))),
    };
    Ok(response.expect("a valid response"))
}

/// One request to the emulator on a fresh connection.
async fn send(
    upstream: SocketAddr,
    parts: &hyper::http::request::Parts,
    body: Bytes,
) -> Result<(hyper::http::response::Parts, Bytes), std::io::Error> {
    let stream = TcpStream::connect(upstream).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(std::io::Error::other)?;
    tokio::spawn(conn);
    let mut req = Request::builder().method(parts.method.clone()).uri(
        parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/"),
    );
    for (k, v) in &parts.headers {
        req = req.header(k, v);
    }
    let req = req.body(Full::new(body)).map_err(std::io::Error::other)?;
    let resp = sender
        .send_request(req)
        .await
        .map_err(std::io::Error::other)?;
    let (rparts, rbody) = resp.into_parts();
    let bytes = rbody
        .collect()
        .await
        .map_err(std::io::Error::other)?
        .to_bytes();
    Ok((rparts, bytes))
}

async fn forward(upstream: SocketAddr, parts: hyper::http::request::Parts, body: Bytes) -> Answer {
    let (rparts, bytes) = send(upstream, &parts, body).await?;
    Ok(Response::from_parts(rparts, Full::new(bytes)))
}

/// AWS Organizations' strict answers that moto does not give.
async fn strict_check(
    upstream: SocketAddr,
    limits: Limits,
    headers: &hyper::HeaderMap,
    op: &str,
    body: &[u8],
) -> Option<Fault> {
    let input: serde_json::Value = serde_json::from_slice(body).ok()?;
    match op {
        "Organizations.CreatePolicy" | "Organizations.UpdatePolicy" => {
            let content = input.get("Content")?.as_str()?;
            let chars = content.chars().count();
            let max = limits.scp_max_chars;
            (chars > max).then(|| Fault::Constraint {
                reason: "POLICY_CONTENT_LIMIT_EXCEEDED".into(),
                message: format!("The provided policy document exceeds the maximum size ({chars} > {max} characters)."),
            })
        }
        "Organizations.AttachPolicy" => {
            let target = input.get("TargetId")?.as_str()?;
            let policy = input.get("PolicyId")?.as_str()?;
            let attached = attached_policies(upstream, headers, target).await?;
            if attached.iter().any(|p| p == policy) {
                Some(Fault::Error {
                    code: "DuplicatePolicyAttachmentException".into(),
                    message: "A policy with the same name is already attached to the target."
                        .into(),
                })
            } else if attached.len() >= limits.scps_per_target {
                Some(Fault::Constraint {
                    reason: "MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED".into(),
                    message: format!(
                        "{target} already has {} policies of this type attached.",
                        attached.len()
                    ),
                })
            } else {
                None
            }
        }
        _ => None,
    }
}

/// SCP ids attached to a target, asked of the emulator directly.
async fn attached_policies(
    upstream: SocketAddr,
    headers: &hyper::HeaderMap,
    target: &str,
) -> Option<Vec<String>> {
    let mut ids = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut input = serde_json::json!({"TargetId": target, "Filter": "SERVICE_CONTROL_POLICY"});
        if let Some(t) = &token {
            input["NextToken"] = serde_json::json!(t);
        }
        let mut req = Request::builder().method("POST").uri("/");
        for (k, v) in headers {
            if k != "x-amz-target" && k != "content-length" {
                req = req.header(k, v);
            }
        }
        let req = req
            .header(
                "x-amz-target",
                "AWSOrganizationsV20161128.ListPoliciesForTarget",
            )
            .body(())
            .ok()?;
        let (parts, ()) = req.into_parts();
        let (rparts, bytes) = send(upstream, &parts, Bytes::from(input.to_string()))
            .await
            .ok()?;
        if !rparts.status.is_success() {
            return None;
        }
        let out: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
        ids.extend(
            out.get("Policies")?
                .as_array()?
                .iter()
                .filter_map(|p| p.get("Id")?.as_str().map(str::to_string)),
        );
        token = out
            .get("NextToken")
            .and_then(|t| t.as_str())
            .map(str::to_string);
        if token.is_none() {
            return Some(ids);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_are_named_from_either_protocol() {
        assert_eq!(
            operation(Some("AWSOrganizationsV20161128.AttachPolicy"), b"{}").0,
            "Organizations.AttachPolicy"
        );
        assert_eq!(
            operation(None, b"Action=ListUserTags&Version=2010-05-08&UserName=a").0,
            "IAM.ListUserTags"
        );
        assert_eq!(
            operation(None, b"Action=GetCallerIdentity&Version=2011-06-15").0,
            "STS.GetCallerIdentity"
        );
        assert!(is_write("Organizations.AttachPolicy") && !is_write("IAM.ListUsers"));
    }

    #[test]
    fn the_random_schedule_is_seeded_and_near_its_rate() {
        let mut a = 7;
        let mut b = 7;
        let xs: Vec<f64> = (0..10_000).map(|_| next_random(&mut a)).collect();
        let ys: Vec<f64> = (0..10_000).map(|_| next_random(&mut b)).collect();
        assert_eq!(xs, ys);
        let hits = xs.iter().filter(|x| **x < 0.3).count();
        assert!((2_800..3_200).contains(&hits), "{hits}");
        assert!(xs.iter().all(|x| (0.0..1.0).contains(x)));
    }
}
