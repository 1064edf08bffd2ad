//! Retries the SDK does not make for us (a write refused with `ConcurrentModificationException`)
//! and the bound on those it makes too many of (a dead endpoint).

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use aws_sdk_organizations::error::ProvideErrorMetadata;
use aws_smithy_runtime_api::client::interceptors::context::InterceptorContext;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::client::retries::classifiers::{
    ClassifyRetry, RetryAction, RetryClassifierPriority, SharedRetryClassifier,
};

use super::explain::error_code;

/// Attempts for a write refused with `ConcurrentModificationException`, which the SDK's
/// standard retry does not retry (it is not classed as transient).
const CONFLICT_ATTEMPTS: u32 = 6;
/// Connection failures (refused, reset, no answer) in a row, across the process, after which no
/// request retries a connection failure any more: throttling keeps its 8 attempts, but a dead
/// endpoint is not tried 8 times with backoff (which took 20-45 s).
const CONNECTION_FAILURES: u32 = 2;
/// Connection failures in a row with no HTTP answer in between (see `CONNECTION_FAILURES`).
static CONNECTION_FAILURES_IN_A_ROW: AtomicU32 = AtomicU32::new(0);

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
