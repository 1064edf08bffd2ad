//! The AWS edge: one `SdkConfig` from the standard chain, clients made from it, a counter of the
//! API requests each run makes, and the bounded retry the SDK does not do for us. No policy
//! logic lives here: it is in `scpctl-core`, pure.

pub mod access_analyzer;
pub mod athena;
pub mod iam;
pub mod iam_policies;
pub mod iam_simulate;
pub mod orgs;
pub mod s3;
pub mod signin;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicU32, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_organizations::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_organizations::error::ProvideErrorMetadata;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextRef, InterceptorContext,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::client::retries::classifiers::{
    ClassifyRetry, RetryAction, RetryClassifierPriority, SharedRetryClassifier,
};

use crate::cli::AwsArgs;

/// Organizations and IAM are global services served from us-east-1; used only when neither
/// the flags nor the standard chain name a region.
const GLOBAL_REGION: &str = "us-east-1";

/// Accounts read at once by `exception list --all-accounts` (each then reads its users with its
/// own bound).
pub const ACCOUNT_CONCURRENCY: usize = 4;

/// Attempts for a write refused with `ConcurrentModificationException`, which the SDK's
/// standard retry does not retry (it is not classed as transient).
const CONFLICT_ATTEMPTS: u32 = 6;

/// Attempts the SDK's standard retry makes for throttling and server errors.
const MAX_ATTEMPTS: u32 = 8;
/// Connection failures (refused, reset, no answer) in a row, across the process, after which no
/// request retries a connection failure any more: throttling keeps its 8 attempts, but a dead
/// endpoint is not tried 8 times with backoff (which took 20-45 s).
const CONNECTION_FAILURES: u32 = 2;
/// The SDK's own default connect timeout (TimeoutConfig, BehaviorVersion latest): 3.1 s.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(3100);
/// One attempt that gets no answer is abandoned after this long.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// `--timeout` default: one operation, all retries included.
pub const DEFAULT_TIMEOUT_SECS: u64 = 45;

/// The raw HTTP answer every SDK error carries.
pub type Raw = aws_smithy_runtime_api::http::Response;

/// `-v` count, so error messages can show the SDK's full cause chain only when asked.
static VERBOSE: AtomicU8 = AtomicU8::new(0);
/// The endpoint of the last request sent (scheme, host and port), to name it when it fails.
static LAST_ENDPOINT: Mutex<String> = Mutex::new(String::new());
/// Connection failures in a row with no HTTP answer in between (see `CONNECTION_FAILURES`).
static CONNECTION_FAILURES_IN_A_ROW: AtomicU32 = AtomicU32::new(0);
/// The `--profile` given, so a credentials error names it.
static PROFILE: std::sync::OnceLock<String> = std::sync::OnceLock::new();

pub fn set_verbosity(verbose: u8) {
    VERBOSE.store(verbose, Ordering::Relaxed);
}

/// The config every client is built from: the standard chain (environment, profile, SSO,
/// credential_process, container and instance roles), with `--profile`, `--region` and
/// `--endpoint-url` laid over it. `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>` work
/// unchanged. Throttling (`TooManyRequestsException`, `Throttling`) is retried by the SDK's
/// standard mode with exponential backoff and jitter, up to 8 attempts; connection failures
/// get fewer (see [`ConnectionRetries`]). Every call is bounded: connect 3.1 s, 10 s per
/// attempt, `--timeout` (45 s) for the whole operation with its retries.
pub async fn sdk_config(args: &AwsArgs) -> SdkConfig {
    let operation = Duration::from_secs(args.timeout);
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT.min(operation))
        .operation_attempt_timeout(ATTEMPT_TIMEOUT.min(operation))
        .operation_timeout(operation)
        .build();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS))
        .timeout_config(timeouts);
    if let Some(profile) = &args.profile {
        // An explicit --profile wins over credentials in the environment, as the AWS CLI's
        // `--profile` does: the standard chain alone would try AWS_ACCESS_KEY_ID first and sign
        // with another identity than the one asked for. AWS_PROFILE keeps its usual place.
        let _ = PROFILE.set(profile.clone());
        let credentials = aws_config::profile::ProfileFileCredentialsProvider::builder()
            .profile_name(profile)
            .build();
        loader = loader
            .profile_name(profile)
            .credentials_provider(credentials);
    }
    if let Some(region) = &args.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(url) = &args.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    let config = loader.load().await;
    if config.region().is_some() {
        config
    } else {
        config
            .into_builder()
            .region(Region::from_static(GLOBAL_REGION))
            .build()
    }
}

/// HTTP requests sent, per `Service.Operation`, retries included: what AWS's rate limits see.
#[derive(Debug, Clone, Default)]
pub struct CallCounter(Arc<Mutex<BTreeMap<String, u64>>>);

impl CallCounter {
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.0.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// `ListRoots 1, ListPolicies 1, ...` for logs.
    pub fn summary(&self) -> String {
        let calls = self.snapshot();
        if calls.is_empty() {
            return "none".into();
        }
        calls
            .iter()
            .map(|(op, n)| format!("{op} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "scpctl-call-counter"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // Scheme and authority only: never a path or query string.
        let uri = _context.request().uri();
        if let Some((scheme, rest)) = uri.split_once("://") {
            let authority = rest.split(['/', '?']).next().unwrap_or_default();
            if let Ok(mut last) = LAST_ENDPOINT.lock() {
                *last = format!("{scheme}://{authority}");
            }
        }
        if let Some(meta) = cfg.load::<Metadata>() {
            let key = format!("{}.{}", meta.service(), meta.name());
            tracing::debug!("AWS request {key}");
            if let Ok(mut m) = self.0.lock() {
                *m.entry(key).or_default() += 1;
            }
        }
        Ok(())
    }
}

/// The service error code of an SDK error (`DuplicatePolicyAttachmentException`, ...).
pub fn error_code<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> Option<&str> {
    err.as_service_error().and_then(|e| e.code())
}

/// Run a write, retrying `ConcurrentModificationException` with exponential backoff (visible at
/// `-v`); any other error is returned at once.
pub async fn retry_conflicts<T, E, R, F, Fut>(what: &str, mut call: F) -> Result<T, SdkError<E, R>>
where
    E: ProvideErrorMetadata,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E, R>>>,
{
    let mut delay = Duration::from_millis(200);
    for attempt in 1.. {
        match call().await {
            Err(e)
                if attempt < CONFLICT_ATTEMPTS
                    // Organizations' code, and IAM's (`ConcurrentModification`).
                    && matches!(
                        error_code(&e),
                        Some("ConcurrentModificationException" | "ConcurrentModification")
                    ) =>
            {
                tracing::info!(
                    "{what}: ConcurrentModificationException, retry {attempt} in {delay:?}"
                );
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
            other => return other,
        }
    }
    unreachable!("the loop returns")
}

/// Retry classifier: a connection failure (refused, reset, TLS, no answer in time) is retried
/// by the SDK as transient, like throttling, up to 8 attempts with backoff. This one forbids
/// the retry once `CONNECTION_FAILURES` happened in a row across the process with no HTTP
/// answer in between: an endpoint that is down fails in seconds, a blip is still retried.
#[derive(Debug, Default)]
pub struct ConnectionRetries;

impl ConnectionRetries {
    pub fn shared() -> SharedRetryClassifier {
        SharedRetryClassifier::new(ConnectionRetries)
    }
}

impl ClassifyRetry for ConnectionRetries {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        let connection_failure = match ctx.output_or_error() {
            Some(Err(err)) => {
                ctx.response().is_none()
                    && (err.is_timeout_error()
                        || err
                            .as_connector_error()
                            .is_some_and(|c| c.is_io() || c.is_timeout()))
            }
            _ => false,
        };
        if !connection_failure {
            if let Some(response) = ctx.response() {
                CONNECTION_FAILURES_IN_A_ROW.store(0, Ordering::Relaxed);
                // A server error whose body is something else than an AWS error (an HTML page
                // from an emulator or proxy that does not serve this API) answers the same on
                // every attempt: fail at once, with its status, instead of spending eight
                // attempts and the --timeout on it. An empty 5xx (a lost answer, a load
                // balancer's blip) and AWS's own 5xx errors are still retried.
                if response.status().is_server_error() && is_foreign_answer(response) {
                    return RetryAction::RetryForbidden;
                }
            }
            return RetryAction::NoActionIndicated;
        }
        let in_a_row = CONNECTION_FAILURES_IN_A_ROW.fetch_add(1, Ordering::Relaxed) + 1;
        if in_a_row >= CONNECTION_FAILURES {
            RetryAction::RetryForbidden
        } else {
            RetryAction::NoActionIndicated
        }
    }

    fn name(&self) -> &'static str {
        "scpctl-connection-retries"
    }

    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}

/// Whether an HTTP answer has a body that is not an AWS error: no `x-amzn-ErrorType` header
/// (JSON protocols), and no `__type` / `code` member nor `<Error>`/`<Code>` element in its body
/// (JSON and XML protocols). Throttling and AWS's own 5xx errors always carry one.
fn is_foreign_answer(response: &aws_smithy_runtime_api::http::Response) -> bool {
    if response.headers().get("x-amzn-errortype").is_some() {
        return false;
    }
    let Some(body) = response.body().bytes() else {
        // A streaming body was not read: keep the SDK's decision.
        return false;
    };
    if body.iter().all(u8::is_ascii_whitespace) {
        return false;
    }
    let text = String::from_utf8_lossy(&body[..body.len().min(4096)]);
    ![
        "__type", "\"code\"", "\"Code\"", "<Code>", "<Error>", "<Error ",
    ]
    .iter()
    .any(|marker| text.contains(marker))
}

/// What a failed AWS call means, in a few lines: the endpoint that could not be reached, the
/// missing credentials and how to provide them, or the service's own error with a hint. The
/// SDK's full cause chain only at `-v`.
pub fn explain<E>(what: &str, err: &SdkError<E, Raw>) -> anyhow::Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let verbose = VERBOSE.load(Ordering::Relaxed) > 0;
    let chain = || {
        format!(
            "\n  details: {}",
            aws_sdk_organizations::error::DisplayErrorContext(err)
        )
    };
    let details = |always: bool| {
        if always || verbose {
            chain()
        } else {
            String::new()
        }
    };
    if let Some(service) = err.as_service_error() {
        if service.code().is_none() && service.message().is_none_or(str::is_empty) {
            // No AWS error in the answer at all: usually an endpoint that does not serve this
            // API (an emulator without it, a proxy, a wrong --endpoint-url).
            let status = err
                .raw_response()
                .map_or("no".to_string(), |r| r.status().as_u16().to_string());
            let endpoint = LAST_ENDPOINT.lock().map(|e| e.clone()).unwrap_or_default();
            return anyhow::anyhow!(
                "{what}: {endpoint} answered HTTP {status} without an AWS error: does it serve this AWS API? (check --endpoint-url / AWS_ENDPOINT_URL_<SERVICE>){}",
                details(false)
            );
        }
        let code = service.code().unwrap_or("error");
        let message = service.message().unwrap_or_default();
        let hint = service_hint(code, service);
        return anyhow::anyhow!("{what}: {code}: {message}{hint}{}", details(false));
    }
    if let SdkError::ResponseError(response) = err {
        // An answer the SDK could not read as this API's (HTML from a proxy, an emulator
        // without the API): name its status, not a connection problem.
        let endpoint = LAST_ENDPOINT.lock().map(|e| e.clone()).unwrap_or_default();
        return anyhow::anyhow!(
            "{what}: {endpoint} answered HTTP {} without an AWS error: does it serve this AWS API? (check --endpoint-url / AWS_ENDPOINT_URL_<SERVICE>){}",
            response.raw().status().as_u16(),
            details(false)
        );
    }
    if let Some(cred) = credentials_error(err) {
        use aws_credential_types::provider::error::CredentialsError as C;
        let why = match cred {
            C::CredentialsNotLoaded(_) | C::InvalidConfiguration(_) if PROFILE.get().is_some() => {
                format!(
                    "--profile {}: no such profile with credentials in the AWS config and credentials files (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, default ~/.aws/): {}",
                    PROFILE.get().map(String::as_str).unwrap_or_default(),
                    innermost(cred)
                )
            }
            C::CredentialsNotLoaded(_) => {
                format!("no AWS credentials were found ({})", innermost(cred))
            }
            C::ProviderTimedOut(_) => "loading AWS credentials timed out".to_string(),
            C::InvalidConfiguration(_) => {
                format!(
                    "the AWS credentials configuration is invalid: {}",
                    innermost(cred)
                )
            }
            // The standard chain reports the last source it tried (often the instance
            // metadata service): nothing usable was found anywhere before it.
            _ => format!(
                "no usable AWS credentials were found (the last source tried said: {})",
                innermost(cred)
            ),
        };
        return anyhow::anyhow!(
            "{what}: {why}.\n  Provide them in one of the standard ways: a profile (--profile NAME or AWS_PROFILE; \
             `aws sso login --profile NAME` for IAM Identity Center), the environment variables AWS_ACCESS_KEY_ID and \
             AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), or an instance or container role.{}",
            details(false)
        );
    }
    let endpoint = LAST_ENDPOINT.lock().map(|e| e.clone()).unwrap_or_default();
    let endpoint = if endpoint.is_empty() {
        "the AWS endpoint".to_string()
    } else {
        endpoint
    };
    let why = match err {
        SdkError::TimeoutError(_) => {
            "no answer in time (--timeout sets the limit for one operation, retries included)"
                .to_string()
        }
        SdkError::DispatchFailure(d) if d.is_timeout() => "no answer in time".to_string(),
        SdkError::DispatchFailure(d) if d.is_io() => innermost(err),
        SdkError::DispatchFailure(_) => innermost(err),
        _ => innermost(err),
    };
    anyhow::anyhow!(
        "{what}: cannot reach {endpoint}: {why}\n  check the endpoint (--endpoint-url, AWS_ENDPOINT_URL), the network and any proxy; -v shows the full error{}",
        details(false)
    )
}

/// The last message of an error's cause chain: "Connection refused (os error 111)".
fn innermost(err: &(dyn std::error::Error + 'static)) -> String {
    let mut last: &(dyn std::error::Error + 'static) = err;
    while let Some(next) = last.source() {
        last = next;
    }
    last.to_string()
}

fn credentials_error<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> Option<&'a aws_credential_types::provider::error::CredentialsError> {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = next {
        if let Some(c) = e.downcast_ref::<aws_credential_types::provider::error::CredentialsError>()
        {
            return Some(c);
        }
        next = e.source();
    }
    None
}

/// Plain words for the service errors a first-time user meets, and for AWS's quota refusals
/// the `[limits]` setting to change (Organizations API reference, ConstraintViolationException
/// reasons).
fn service_hint(code: &str, service: &(dyn std::error::Error + 'static)) -> String {
    let reason = constraint_reason(service);
    match (code, reason.as_deref()) {
        ("ConstraintViolationException", Some("POLICY_CONTENT_LIMIT_EXCEEDED")) => {
            "\n  AWS refused the policy's size (POLICY_CONTENT_LIMIT_EXCEEDED): this organization's SCP size quota is lower than \
             [limits] scp_max_chars. Set [limits] scp_max_chars to the quota it has (for example 5120, the figure before \
             2026-05-15) and run `scpctl validate`.".into()
        }
        ("ConstraintViolationException", Some("MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED")) => {
            "\n  AWS refused the attachment (MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED): the target holds as many SCPs as this \
             organization allows, fewer than [limits] scps_per_target. Set [limits] scps_per_target to its quota (for example \
             5, the figure before 2026-05-15) so the plan checks it before writing, and detach a policy from that target.".into()
        }
        ("ConstraintViolationException", Some("POLICY_NUMBER_LIMIT_EXCEEDED")) => {
            "\n  AWS refused a new policy (POLICY_NUMBER_LIMIT_EXCEEDED): the organization holds its maximum number of policies. \
             This is the organization-wide count, not a [limits] setting: delete unused policies first.".into()
        }
        ("ConstraintViolationException", Some(r)) => format!("\n  reason: {r}"),
        ("AWSOrganizationsNotInUseException", _) => {
            "\n  this account is not in an organization: SCPs need AWS Organizations; for a standalone account use `scpctl render --kind identity`".into()
        }
        ("AccessDeniedException", _) => {
            "\n  run scpctl with credentials of the management account (or of a delegated administrator for Organizations policies)".into()
        }
        _ => String::new(),
    }
}

/// The `Reason` of an Organizations `ConstraintViolationException`, whichever operation raised
/// it (each operation's error enum gives the exception as its source).
fn constraint_reason(service: &(dyn std::error::Error + 'static)) -> Option<String> {
    use aws_sdk_organizations::types::error::ConstraintViolationException;
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(service);
    while let Some(e) = next {
        if let Some(c) = e.downcast_ref::<ConstraintViolationException>() {
            return c.reason().map(|r| r.as_str().to_string());
        }
        next = e.source();
    }
    None
}
