//! The AWS edge: one `SdkConfig` from the standard chain, clients made from it, a counter of the
//! API requests each run makes, and the bounded retry the SDK does not do for us. No policy
//! logic lives here (see DESIGN.md).

pub mod iam;
pub mod orgs;
pub mod s3;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_organizations::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_organizations::error::ProvideErrorMetadata;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::result::SdkError;

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

/// The config every client is built from: the standard chain (environment, profile, SSO,
/// credential_process, container and instance roles), with `--profile`, `--region` and
/// `--endpoint-url` laid over it. `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>` work
/// unchanged. Throttling (`TooManyRequestsException`, `Throttling`) is retried by the SDK's
/// standard mode with exponential backoff and jitter, up to 8 attempts.
pub async fn sdk_config(args: &AwsArgs) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::standard().with_max_attempts(8));
    if let Some(profile) = &args.profile {
        loader = loader.profile_name(profile);
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
                    && error_code(&e) == Some("ConcurrentModificationException") =>
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
