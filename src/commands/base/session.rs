//! The process's one session with AWS: one tokio runtime, one `SdkConfig`, one call counter,
//! each made on first use and kept. A command runs one operation per process, so the AWS flags
//! of the first load are those of every later one.

use std::future::Future;
use std::sync::OnceLock;

use anyhow::{Context, Result};
use aws_config::SdkConfig;

use crate::aws::config::{sdk_config as load_config, AwsArgs};
use crate::aws::orgs::Orgs;
use crate::aws::CallCounter;

static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
static CONFIG: tokio::sync::OnceCell<SdkConfig> = tokio::sync::OnceCell::const_new();
static COUNTER: OnceLock<CallCounter> = OnceLock::new();

/// The process's runtime (two workers; the rest of the CLI stays synchronous).
pub fn runtime() -> Result<&'static tokio::runtime::Runtime> {
    if let Some(r) = RUNTIME.get() {
        return Ok(r);
    }
    let built = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    // Two threads racing here: the loser's runtime is dropped before it ran anything.
    Ok(RUNTIME.get_or_init(|| built))
}

/// Run `future` to completion on the process's runtime, from synchronous code (the main thread
/// or a worker thread; never from inside the runtime).
pub fn block_on<F: Future>(future: F) -> Result<F::Output> {
    Ok(runtime()?.block_on(future))
}

/// The SDK config, loaded from the standard chain and the AWS flags on first use only.
pub async fn sdk_config(aws: &AwsArgs) -> SdkConfig {
    CONFIG.get_or_init(|| load_config(aws)).await.clone()
}

/// The process's call counter: every client made from the session counts into it.
pub fn counter() -> CallCounter {
    COUNTER.get_or_init(CallCounter::default).clone()
}

/// Organizations client and the session's call counter.
pub async fn connect(aws: &AwsArgs, concurrency: u16) -> (Orgs, CallCounter) {
    let (orgs, counter, _) = connect_with_config(aws, concurrency).await;
    (orgs, counter)
}

/// [`connect`] and the SDK config, for commands that also reach another service.
pub async fn connect_with_config(
    aws: &AwsArgs,
    concurrency: u16,
) -> (Orgs, CallCounter, SdkConfig) {
    let counter = counter();
    let config = sdk_config(aws).await;
    (
        Orgs::new(&config, &counter, concurrency.into()),
        counter,
        config,
    )
}
