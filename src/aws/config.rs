//! The CLI's AWS flags and the one `SdkConfig` they feed, side by side: the standard chain with
//! `--profile`, `--region`, `--endpoint-url` and `--timeout` laid over it.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use clap::Args;

/// the flags nor the standard chain name a region.
const GLOBAL_REGION: &str = "us-east-1";

/// Attempts the SDK's standard retry makes for throttling and server errors.
const MAX_ATTEMPTS: u32 = 8;
/// The SDK's own default connect timeout (TimeoutConfig, BehaviorVersion latest): 3.1 s.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(3100);
/// One attempt that gets no answer is abandoned after this long.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// `--timeout` default: one operation, all retries included.
pub const DEFAULT_TIMEOUT_SECS: u64 = 45;

/// The `--profile` given, so a credentials error names it.
static PROFILE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
/// SDK configs loaded in this process: the session loads one (shown at `-vv`).
static LOADS: AtomicU32 = AtomicU32::new(0);

/// The `--profile` given, if any.
pub fn profile() -> Option<&'static str> {
    PROFILE.get().map(String::as_str)
}

/// How many times [`sdk_config`] ran in this process.
pub fn loads() -> u32 {
    LOADS.load(Ordering::Relaxed)
}

/// Where AWS is reached. Every flag maps onto the standard AWS chain, which it overrides;
/// without them, AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL and the rest apply as usual.
#[derive(Debug, Args, Clone)]
pub struct AwsArgs {
    /// Named profile from ~/.aws/config (as AWS_PROFILE).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// Region (as AWS_REGION). Organizations and IAM are global; us-east-1 when none is set.
    #[arg(long, value_name = "REGION", value_parser = parse_region)]
    pub region: Option<String>,

    /// Endpoint for every AWS service (as AWS_ENDPOINT_URL), e.g. http://localhost:4566.
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,

    /// Longest wait for one AWS operation, retries included (connect 3.1 s, 10 s per attempt).
    /// An endpoint that never answers fails within this time, naming the endpoint.
    #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_TIMEOUT_SECS,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
}

/// The config every client is built from: the standard chain (environment, profile, SSO,
/// credential_process, container and instance roles), with `--profile`, `--region` and
/// `--endpoint-url` laid over it. `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>` work
/// unchanged. Throttling (`TooManyRequestsException`, `Throttling`) is retried by the SDK's
/// standard mode with exponential backoff and jitter, up to 8 attempts; connection failures
/// get fewer (see [`ConnectionRetries`]). Every call is bounded: connect 3.1 s, 10 s per
/// attempt, `--timeout` (45 s) for the whole operation with its retries.
pub async fn sdk_config(args: &AwsArgs) -> SdkConfig {
    let n = LOADS.fetch_add(1, Ordering::Relaxed) + 1;
    tracing::debug!("SDK config load {n} in this process");
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

/// `--region`, `--trail-region`: a Region name as AWS spells it.
pub fn parse_region(s: &str) -> Result<String, String> {
    scpctl_core::networks::check_region(s).map(|()| s.to_string())
}
