//! The feed of the trail reader's workers, for every command that replays CloudTrail: local
//! paths (walked by `crate::trail`), then the objects under each S3 prefix.

use std::path::PathBuf;

use anyhow::Result;
use scpctl_core::impact::TimeRange;

use crate::aws::config::AwsArgs;
use crate::commands::base::session;
use crate::trail::{self, Job, Shared};

/// Feed the workers: local paths, then each S3 prefix. Dropping `tx` at the end closes the
/// channel, so the workers finish.
pub fn produce(
    aws: &AwsArgs,
    concurrency: u16,
    local: &[PathBuf],
    remote: &[(String, String)],
    time: &TimeRange,
    tx: tokio::sync::mpsc::Sender<Job>,
    shared: &Shared,
) -> Result<()> {
    if !trail::send_paths(local, &tx, shared) || remote.is_empty() {
        return Ok(());
    }
    session::block_on(async {
        let config = session::sdk_config(aws).await;
        let client = crate::aws::s3::client(&config);
        for (bucket, prefix) in remote {
            let tx = &tx;
            let sink = crate::aws::s3::Sink {
                deliver: move |name, bytes| async move {
                    tx.send(Job::Bytes { name, bytes }).await.is_ok()
                },
                problem: &|name: &str, why: String| shared.problem(name, None, why),
                max_size: trail::MAX_DECOMPRESSED,
            };
            let (listed, kept) = crate::aws::s3::send_objects(
                &client,
                bucket,
                prefix,
                time,
                usize::from(concurrency),
                sink,
            )
            .await?;
            tracing::info!("s3://{bucket}/{prefix}: {listed} keys listed, {kept} log files read");
        }
        Ok::<(), anyhow::Error>(())
    })?
}
