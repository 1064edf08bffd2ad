//! The console sign-in policy: a resource control policy (RCP) that denies the AWS Sign-In
//! actions to IAM users (and, opted in, the root users of member accounts) outside the expected
//! networks, exempting the break-glass principals; and its account-level translation into AWS
//! Sign-In resource permission statements. Pure: documents and plain values only.
//!
//! Rules, with their sources:
//! - AWS Sign-In user guide, "Controlling console access with resource-based policies and
//!   resource control policies": once console authorization is enabled
//!   (`PutConsoleAuthorizationConfiguration`), sign-in is checked against RCPs and account
//!   statements; the actions are `signin:Authenticate`, `signin:AuthorizeOAuth2Access`,
//!   `signin:CreateOAuth2Token`.
//! - AWS Sign-In condition-key reference
//!   (<https://docs.aws.amazon.com/signin/latest/userguide/reference-signin-condition-keys.html>):
//!   `signin:PrincipalArn` is in the request before authentication, `aws:PrincipalArn` after
//!   it; network keys `aws:SourceIp`, `aws:SourceVpc`, `aws:SourceVpce`, `aws:VpcSourceIp`,
//!   `aws:RequestedRegion`; a request carries `aws:SourceIp` or `aws:SourceVpc`, never both,
//!   so deny-unless statements covering both use `...IfExists`. There is no
//!   `aws:ViaAWSService`: a `Bool` condition on it would never match and the deny would never
//!   fire.
//! - AWS Organizations User Guide, "RCP syntax": every statement has `Principal: "*"`, only
//!   `RCPFullAWSAccess` may Allow, no `NotAction`; "Quotas": 5,120 characters per RCP.
//! - IAM condition operators: `ArnEquals` behaves as `ArnLike` (wildcards per ARN segment),
//!   `ArnNotEquals` as `ArnNotLike`, and negated operators match a missing key.
//!
//! The statement, one for both phases:
//! - scope `ArnEqualsIfExists` on both ARN keys: in each phase one key is present and must be
//!   an IAM user (or root) ARN; the other is absent and matches. A request carrying neither
//!   (AWS documents none) is held to the networks: the policy fails closed.
//! - exemption `ArnNotEquals` on both keys with the break-glass patterns: the present key names
//!   a break-glass principal, the condition is false, the statement does not apply.
//! - networks as the SCP's statement 2 (shared code in [`crate::networks`]).

use serde_json::{json, Map, Value};

use crate::cidr::CidrSet;
use crate::config::Config;
use crate::eval::RequestContext;
use crate::networks::{self, PinStyle};
use crate::policy::one_or_list as list;

mod account;
mod guard;
mod ledger;
mod scenario;

pub use account::{account_statements, excluded_principal_ok, AccountStatement};
pub use guard::{break_glass_kind, break_glass_request, judge_break_glass, BreakGlassKind};
pub use ledger::{delete_token, plan_statements, Ledger, LedgerEntry, StatementPlan};
pub use scenario::{scenario, ConsoleCase};

pub const SID_CONSOLE: &str = "DenyConsoleSignInOutsideExpectedNetworks";

/// The AWS Sign-In actions an RCP governs (Service Authorization Reference, AWS Sign-In).
pub const ACTIONS: [&str; 3] = [
    "signin:Authenticate",
    "signin:AuthorizeOAuth2Access",
    "signin:CreateOAuth2Token",
];

/// Every IAM user, any partition, any account, any path.
pub const USER_PATTERN: &str = "arn:*:iam::*:user/*";
/// The root user of any account (`include_root`; RCPs never reach the management account).
pub const ROOT_PATTERN: &str = "arn:*:iam::*:root";

/// Sign-In evaluates the request before authentication (`signin:PrincipalArn`) and after it
/// (`aws:PrincipalArn`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    PreAuth,
    PostAuth,
}

impl Phase {
    pub fn key(self) -> &'static str {
        match self {
            Phase::PreAuth => "signin:PrincipalArn",
            Phase::PostAuth => "aws:PrincipalArn",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Phase::PreAuth => "pre-auth",
            Phase::PostAuth => "post-auth",
        }
    }
}

/// Where a sign-in request comes from, as Sign-In's network keys describe it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Origin {
    pub source_ip: Option<String>,
    pub source_vpc: Option<String>,
    pub source_vpce: Option<String>,
    pub requested_region: Option<String>,
}

impl Origin {
    pub fn ip(ip: impl Into<String>) -> Origin {
        Origin {
            source_ip: Some(ip.into()),
            ..Origin::default()
        }
    }
}

/// The request Sign-In evaluates for `action` by `principal_arn` in `phase`: only the key of
/// that phase, and no `aws:ViaAWSService` (Sign-In has none).
pub fn request(
    action: &str,
    phase: Phase,
    principal_arn: Option<&str>,
    origin: &Origin,
) -> RequestContext {
    let mut ctx = RequestContext::new(action);
    if let Some(arn) = principal_arn {
        ctx = ctx.with(phase.key(), arn);
    }
    let keys = [
        ("aws:SourceIp", &origin.source_ip),
        ("aws:SourceVpc", &origin.source_vpc),
        ("aws:SourceVpce", &origin.source_vpce),
        ("aws:RequestedRegion", &origin.requested_region),
    ];
    for (k, v) in keys {
        if let Some(v) = v {
            ctx = ctx.with(k, v);
        }
    }
    ctx
}

/// The ARN patterns the policy holds to the networks.
pub fn scope_patterns(config: &Config) -> Vec<String> {
    let mut out = vec![USER_PATTERN.to_string()];
    if config.console.include_root {
        out.push(ROOT_PATTERN.to_string());
    }
    out
}

/// The RCP document for a config and its CIDR set, keys in the order AWS shows them.
pub fn document(config: &Config, cidrs: &CidrSet) -> Value {
    let scope = list(&scope_patterns(config));
    let mut cond = Map::new();
    cond.insert(
        "ArnEqualsIfExists".into(),
        json!({ "signin:PrincipalArn": scope.clone(), "aws:PrincipalArn": scope }),
    );
    if !config.break_glass.principals.is_empty() {
        let bg = list(&config.break_glass.principals);
        cond.insert(
            "ArnNotEquals".into(),
            json!({ "signin:PrincipalArn": bg.clone(), "aws:PrincipalArn": bg }),
        );
    }
    cond.insert(
        "NotIpAddress".into(),
        json!({ "aws:SourceIp": list(&cidrs.compact_strings()) }),
    );
    let actions = json!(ACTIONS);
    let statement = json!({
        "Sid": SID_CONSOLE,
        "Effect": "Deny",
        "Principal": "*",
        "Action": actions.clone(),
        "Resource": "*",
        "Condition": Value::Object(cond),
    });
    let mut statements = vec![statement];
    let style = PinStyle {
        scope_operators: &["ArnEqualsIfExists", "ArnNotEquals"],
        via_aws_service: false,
        not_action: false,
        head: vec![("Principal", json!("*")), ("Action", actions)],
    };
    networks::apply_with(&mut statements, 0, &config.network.opt_ins, &style);
    json!({ "Version": "2012-10-17", "Statement": statements })
}

/// Whether `arn` matches the ARN pattern `pattern` as `ArnLike` does: six colon-separated
/// segments, each compared with `*` and `?` wildcards, case-sensitively.
pub fn arn_matches(pattern: &str, arn: &str) -> bool {
    crate::eval::arn_like(pattern, arn)
}

/// The principal ARN a caller's STS identity signs in as: an assumed-role session
/// (`arn:aws:sts::A:assumed-role/R/S`) is the role `arn:aws:iam::A:role/R` (its path is not in
/// the session ARN); anything else is itself.
pub fn principal_of_caller(caller_arn: &str) -> String {
    let parsed = crate::names::CallerArn::parse(caller_arn);
    match parsed.and_then(|c| Some((c, c.assumed_role()?))) {
        Some((c, role)) => format!("arn:{}:iam::{}:role/{role}", c.partition, c.account),
        None => caller_arn.to_string(),
    }
}

/// The `aws:PrincipalType` AWS sets for a principal ARN: `Account` for the root user
/// (`arn:aws:iam::A:root`), `User` for an IAM user, `FederatedUser` for an STS federated user,
/// `AssumedRole` for a role (whose sessions are what signs in).
pub fn principal_type(arn: &str) -> &'static str {
    let resource = arn.splitn(6, ':').nth(5).unwrap_or("");
    if resource == "root" {
        "Account"
    } else if resource.starts_with("user/") {
        "User"
    } else if resource.starts_with("federated-user/") {
        "FederatedUser"
    } else {
        "AssumedRole"
    }
}

/// A concrete ARN that a pattern matches (`*` -> `x`, `?` -> `0`), to probe the document.
pub fn sample(pattern: &str) -> String {
    pattern.replace('*', "x").replace('?', "0")
}

/// Parse the rendered text back and check it says what it must: RCP grammar (compiled by the
/// one evaluator as an RCP: Version, `Principal: "*"`, no `NotAction`), Deny of the three
/// actions only, no `aws:ViaAWSService`, the CIDR list denoting exactly the configured set, and
/// in both phases: an IAM user denied outside and not inside, break-glass principals never.
pub fn self_check(compact: &str, config: &Config, cidrs: &CidrSet) -> Result<(), String> {
    use crate::eval::{CompiledPolicy, PolicyType};
    use crate::policy::{ActionSpec, Effect, PolicyDocument, ResourceSpec};
    if compact.contains("aws:ViaAWSService") {
        return Err("aws:ViaAWSService is not a Sign-In key: the deny would never fire".into());
    }
    let doc = PolicyDocument::from_json(compact).map_err(|e| e.to_string())?;
    let policy = CompiledPolicy::new(&doc, PolicyType::Rcp).map_err(|e| e.to_string())?;
    let actions: Vec<String> = ACTIONS.iter().map(|a| a.to_string()).collect();
    for s in &doc.statements {
        if s.effect != Effect::Deny
            || s.action != ActionSpec::Action(actions.clone())
            || s.resource != ResourceSpec::Resource(vec!["*".into()])
        {
            return Err(format!(
                "statement {:?} is not a Deny of the Sign-In actions on Resource *",
                s.sid
            ));
        }
    }
    if doc.statements.first().and_then(|s| s.sid.as_deref()) != Some(SID_CONSOLE) {
        return Err(format!("the first statement is not {SID_CONSOLE}"));
    }
    match crate::plan::policy_cidrs(compact) {
        Some(set) if &set == cidrs => {}
        _ => return Err("the CIDR list does not denote exactly the configured set".into()),
    }
    let inside = cidrs
        .example_inside_v4()
        .map(|a| a.to_string())
        .or_else(|| cidrs.example_inside_v6().map(|a| a.to_string()));
    let outside = cidrs
        .example_outside_v4()
        .map(|a| a.to_string())
        .or_else(|| cidrs.example_outside_v6().map(|a| a.to_string()));
    // The probe user must match no break-glass pattern, or the check would report a sound
    // policy as broken: its name repeats a character that appears in no pattern (the config
    // refuses user patterns of wildcards alone, so each pattern needs one of its characters).
    let used: String = config.break_glass.principals.concat();
    let c = ('a'..='z')
        .chain('0'..='9')
        .find(|c| !used.contains(*c))
        .unwrap_or('\u{3a9}');
    let user = format!("arn:aws:iam::111122223333:user/{}", c.to_string().repeat(8));
    let user = user.as_str();
    for phase in [Phase::PreAuth, Phase::PostAuth] {
        for action in ACTIONS {
            let denied = |arn: &str, ip: &str| {
                policy
                    .decide(&request(action, phase, Some(arn), &Origin::ip(ip)))
                    .deny
                    .is_some()
            };
            if let Some(ip) = &outside {
                if !denied(user, ip) {
                    return Err(format!(
                        "an IAM user outside the networks ({ip}) is not denied {action} {}",
                        phase.name()
                    ));
                }
                for bg in &config.break_glass.principals {
                    if denied(&sample(bg), ip) {
                        return Err(format!(
                            "break-glass principal {bg} is denied {action} {}",
                            phase.name()
                        ));
                    }
                }
            }
            if let Some(ip) = &inside {
                if denied(user, ip) {
                    return Err(format!(
                        "an IAM user inside the networks ({ip}) is denied {action} {}",
                        phase.name()
                    ));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
