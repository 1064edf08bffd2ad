//! Reading a trail from S3: list the keys under a prefix, keep the CloudTrail log files (keys
//! under `.../CloudTrail/`; digest and Insights files are other documents) whose delivery date
//! may hold records in the time range, fetch them with a bound on requests in flight and hand
//! each object to the caller as its name and plain bytes: the trail reader's types stay its own.

use anyhow::Result;
use aws_config::SdkConfig;
use futures_util::stream::{self, StreamExt};
use scpctl_core::impact::TimeRange;

/// `s3://bucket/prefix` -> (bucket, prefix).
pub fn parse_url(url: &str) -> Option<(String, String)> {
    let rest = url.strip_prefix("s3://")?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    (!bucket.is_empty()).then(|| (bucket.to_string(), prefix.to_string()))
}

pub fn client(config: &SdkConfig) -> aws_sdk_s3::Client {
    let mut b = aws_sdk_s3::config::Builder::from(config)
        .retry_classifier(super::ConnectionRetries::shared());
    // An endpoint of our own (an emulator, a proxy) serves buckets by path, not by host name.
    if config.endpoint_url().is_some() {
        b = b.force_path_style(true);
    }
    aws_sdk_s3::Client::from_conf(b.build())
}

/// Whether a key is a CloudTrail log file.
pub fn is_log_key(key: &str) -> bool {
    key.contains("/CloudTrail/") && (key.ends_with(".json.gz") || key.ends_with(".json"))
}

/// Where fetched objects go: `deliver` takes each object's name (`s3://bucket/key`) and bytes
/// and says whether more are wanted; `problem` is told of an object skipped, with why.
pub struct Sink<'a, D> {
    pub deliver: D,
    pub problem: &'a (dyn Fn(&str, String) + Sync),
    /// Objects larger than this are not fetched (no log file decompresses to more).
    pub max_size: u64,
}

/// Hand every wanted object under `s3://bucket/prefix` to `sink`. Listing errors end the
/// run; an object that cannot be fetched is reported and skipped. Returns (keys listed, kept).
pub async fn send_objects<D, F>(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
    range: &TimeRange,
    concurrency: usize,
    mut sink: Sink<'_, D>,
) -> Result<(u64, u64)>
where
    D: FnMut(String, Vec<u8>) -> F,
    F: std::future::Future<Output = bool>,
{
    let mut pages = client
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .into_paginator()
        .send();
    let (mut listed, mut kept) = (0u64, 0u64);
    while let Some(page) = pages.next().await {
        let page =
            page.map_err(|e| super::explain(&format!("cannot list s3://{bucket}/{prefix}"), &e))?;
        let mut keys: Vec<String> = Vec::new();
        for o in page.contents() {
            let Some(k) = o.key() else { continue };
            listed += 1;
            if !(is_log_key(k) && range.may_hold(k)) {
                continue;
            }
            // An object larger than a log file may decompress to is no log file: not fetched,
            // so that no object is held whole beyond that bound.
            let size = o.size().and_then(|n| u64::try_from(n).ok()).unwrap_or(0);
            if size > sink.max_size {
                (sink.problem)(
                    &format!("s3://{bucket}/{k}"),
                    format!(
                        "{size} bytes, more than the {} MiB a CloudTrail log file may decompress to; not fetched",
                        sink.max_size >> 20
                    ),
                );
                continue;
            }
            keys.push(k.to_string());
        }
        kept += keys.len() as u64;
        let mut fetched = stream::iter(keys)
            .map(|key| async move {
                let name = format!("s3://{bucket}/{key}");
                let got = async {
                    let out = client
                        .get_object()
                        .bucket(bucket)
                        .key(&key)
                        .send()
                        .await
                        .map_err(|e| super::explain("GetObject", &e))?;
                    let body = out.body.collect().await?;
                    Ok::<_, anyhow::Error>(body.into_bytes().to_vec())
                }
                .await;
                (name, got)
            })
            .buffer_unordered(concurrency);
        while let Some((name, got)) = fetched.next().await {
            match got {
                Ok(bytes) => {
                    if !(sink.deliver)(name, bytes).await {
                        return Ok((listed, kept));
                    }
                }
                Err(e) => (sink.problem)(&name, format!("cannot fetch: {e:#}")),
            }
        }
    }
    Ok((listed, kept))
}

#[cfg(test)]
mod tests {
    #[test]
    fn urls_and_keys() {
        assert_eq!(
            super::parse_url("s3://b/AWSLogs/o-1/"),
            Some(("b".into(), "AWSLogs/o-1/".into()))
        );
        assert_eq!(super::parse_url("s3://b"), Some(("b".into(), "".into())));
        assert_eq!(super::parse_url("s3:///x"), None);
        assert!(super::is_log_key(
            "AWSLogs/111122223333/CloudTrail/eu-west-1/2024/05/01/x.json.gz"
        ));
        assert!(!super::is_log_key(
            "AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/2024/05/01/x.json.gz"
        ));
    }
}
