//! Carrying out a plan's changes on Organizations: each one idempotent, retried on conflicts,
//! the first failure stopping new ones.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Result};
use aws_sdk_organizations::error::ProvideErrorMetadata;
use aws_sdk_organizations::types::{PolicyTypeStatus, Tag};
use aws_smithy_runtime_api::client::result::SdkError;
use futures_util::stream::{self, StreamExt};
use scpctl_core::plan::{Change, TargetId, MANAGED_TAG_KEY, MANAGED_TAG_VALUE};

use super::{failed, Orgs, ENABLE_TIMEOUT};
use crate::aws::{error_code, retry_conflicts};

impl Orgs {
    /// Carry out the changes in order: enable, create/update, then attaches and detaches a few
    /// at a time, then delete. Each change is idempotent (an already-attached policy, an
    /// already-enabled type, a policy already gone count as done), so a re-run after a crash at
    /// any point converges. Stops starting new changes at the first failure.
    pub async fn execute(
        &self,
        changes: &[Change],
        content: &str,
        mut policy_id: Option<String>,
        progress: &(dyn Fn(&Change) + Sync),
    ) -> std::result::Result<(), ExecFailure> {
        let mut done = 0usize;
        let fail = |done: usize, change: &Change, error: anyhow::Error| ExecFailure {
            done,
            total: changes.len(),
            failed: vec![(change.to_string(), format!("{error:#}"))],
        };
        // Console authorization is AWS Sign-In's, executed by `aws::signin`.
        let (sequential, parallel): (Vec<&Change>, Vec<&Change>) = changes
            .iter()
            .filter(|c| {
                !matches!(
                    c,
                    Change::EnableConsoleAuthorization { .. }
                        | Change::DisableConsoleAuthorization { .. }
                )
            })
            .partition(|c| !matches!(c, Change::AttachPolicy { .. } | Change::DetachPolicy { .. }));
        let (before, after): (Vec<&Change>, Vec<&Change>) = sequential
            .into_iter()
            .partition(|c| !matches!(c, Change::DeletePolicy { .. }));
        for change in before {
            let result = match change {
                Change::EnablePolicyType { root, .. } => self.enable_type(root).await,
                Change::CreatePolicy {
                    policy,
                    description,
                    ..
                } => self
                    .create(policy, description, content)
                    .await
                    .map(|id| policy_id = Some(id)),
                Change::UpdatePolicy {
                    policy_id,
                    description,
                    content,
                    ..
                } => self.update(policy_id, description, content).await,
                other => Err(anyhow!("internal: {other} is not an Organizations change")),
            };
            result.map_err(|e| fail(done, change, e))?;
            progress(change);
            done += 1;
        }

        if !parallel.is_empty() {
            let id = policy_id
                .clone()
                .ok_or_else(|| fail(done, parallel[0], anyhow!("the policy has no id")))?;
            let stop = AtomicBool::new(false);
            let results: Vec<(&Change, Option<Result<()>>)> = stream::iter(parallel)
                .map(|change| {
                    let (id, stop) = (&id, &stop);
                    async move {
                        if stop.load(Ordering::SeqCst) {
                            return (change, None);
                        }
                        let r = match change {
                            Change::AttachPolicy { target, .. } => self.attach(id, target).await,
                            Change::DetachPolicy { target, .. } => self.detach(id, target).await,
                            other => Err(anyhow!("internal: {other} is not an attachment")),
                        };
                        match &r {
                            Ok(()) => progress(change),
                            Err(_) => stop.store(true, Ordering::SeqCst),
                        }
                        (change, Some(r))
                    }
                })
                .buffer_unordered(self.concurrency)
                .collect()
                .await;
            let mut failed = Vec::new();
            for (change, r) in results {
                match r {
                    Some(Ok(())) => done += 1,
                    Some(Err(e)) => failed.push((change.to_string(), format!("{e:#}"))),
                    None => {}
                }
            }
            if !failed.is_empty() {
                return Err(ExecFailure {
                    done,
                    total: changes.len(),
                    failed,
                });
            }
        }

        for change in after {
            if let Change::DeletePolicy { policy_id, .. } = change {
                self.delete(policy_id)
                    .await
                    .map_err(|e| fail(done, change, e))?;
                progress(change);
                done += 1;
            }
        }
        Ok(())
    }

    pub(super) async fn enable_type(&self, root: &str) -> Result<()> {
        let kind = self.kind();
        let r = retry_conflicts("EnablePolicyType", || {
            self.client
                .enable_policy_type()
                .root_id(root)
                .policy_type(kind.clone())
                .send()
        })
        .await;
        match r {
            // The answer carries the root's policy types: no need to poll when already ENABLED.
            Ok(out)
                if out.root().is_some_and(|root| {
                    root.policy_types().iter().any(|t| {
                        t.r#type() == Some(&kind) && t.status() == Some(&PolicyTypeStatus::Enabled)
                    })
                }) =>
            {
                return Ok(())
            }
            Ok(_) => {}
            Err(e) if error_code(&e) == Some("PolicyTypeAlreadyEnabledException") => {}
            Err(e) => return Err(failed(&format!("EnablePolicyType on {root}"), e)),
        }
        let start = Instant::now();
        let mut delay = Duration::from_millis(500);
        loop {
            match self.root().await?.1 {
                Some(PolicyTypeStatus::Enabled) => return Ok(()),
                status if start.elapsed() > ENABLE_TIMEOUT => bail!(
                    "{} on {root} is still {status:?} after {ENABLE_TIMEOUT:?}; re-run when it is ENABLED",
                    self.policy_type.api_name()
                ),
                _ => {
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
            }
        }
    }

    /// Create the policy tagged as scpctl's. If a concurrent run (or a crash after AWS created
    /// it) left one with this name, adopt it only if it is ours.
    pub(super) async fn create(
        &self,
        name: &str,
        description: &str,
        content: &str,
    ) -> Result<String> {
        let tag = Tag::builder()
            .key(MANAGED_TAG_KEY)
            .value(MANAGED_TAG_VALUE)
            .build()
            .map_err(|e| anyhow!("{e}"))?;
        let r = retry_conflicts("CreatePolicy", || {
            self.client
                .create_policy()
                .name(name)
                .description(description)
                .content(content)
                .r#type(self.kind())
                .tags(tag.clone())
                .send()
        })
        .await;
        match r {
            Ok(out) => out
                .policy()
                .and_then(|p| p.policy_summary())
                .and_then(|s| s.id())
                .map(str::to_string)
                .ok_or_else(|| anyhow!("CreatePolicy returned no policy id")),
            Err(e) if error_code(&e) == Some("DuplicatePolicyException") => {
                match self.find_policy(name).await? {
                    Some(p) if p.managed => Ok(p.id),
                    _ => Err(failed(&format!("CreatePolicy {name}"), e)),
                }
            }
            Err(e) => Err(failed(&format!("CreatePolicy {name}"), e)),
        }
    }

    pub(super) async fn update(
        &self,
        policy_id: &str,
        description: &Option<String>,
        content: &Option<String>,
    ) -> Result<()> {
        retry_conflicts("UpdatePolicy", || {
            self.client
                .update_policy()
                .policy_id(policy_id)
                .set_description(description.clone())
                .set_content(content.clone())
                .send()
        })
        .await
        .map(|_| ())
        .map_err(|e| failed(&format!("UpdatePolicy {policy_id}"), e))
    }

    pub(super) async fn attach(&self, policy_id: &str, target: &TargetId) -> Result<()> {
        // Already attached is the state we want ("AttachPolicy" errors).
        idempotent(
            &format!("AttachPolicy to {target}"),
            "DuplicatePolicyAttachmentException",
            || {
                self.client
                    .attach_policy()
                    .policy_id(policy_id)
                    .target_id(target.as_str())
                    .send()
            },
        )
        .await
    }

    pub(super) async fn detach(&self, policy_id: &str, target: &TargetId) -> Result<()> {
        idempotent(
            &format!("DetachPolicy from {target}"),
            "PolicyNotAttachedException",
            || {
                self.client
                    .detach_policy()
                    .policy_id(policy_id)
                    .target_id(target.as_str())
                    .send()
            },
        )
        .await
    }

    pub(super) async fn delete(&self, policy_id: &str) -> Result<()> {
        idempotent(
            &format!("DeletePolicy {policy_id}"),
            "PolicyNotFoundException",
            || self.client.delete_policy().policy_id(policy_id).send(),
        )
        .await
    }

    /// Set tags on a policy (TagResource): one call for all, an existing key is overwritten,
    /// so a repeat is harmless.
    pub async fn tag_policy(&self, policy_id: &str, tags: &[(String, String)]) -> Result<()> {
        if tags.is_empty() {
            return Ok(());
        }
        let tags: Vec<Tag> = tags
            .iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| anyhow!("{e}"))?;
        retry_conflicts("TagResource", || {
            self.client
                .tag_resource()
                .resource_id(policy_id)
                .set_tags(Some(tags.clone()))
                .send()
        })
        .await
        .map(|_| ())
        .map_err(|e| failed(&format!("TagResource {policy_id}"), e))
    }

    /// Remove tags from a policy (UntagResource); a key already gone is not an error.
    pub async fn untag_policy(&self, policy_id: &str, keys: &[String]) -> Result<()> {
        if keys.is_empty() {
            return Ok(());
        }
        retry_conflicts("UntagResource", || {
            self.client
                .untag_resource()
                .resource_id(policy_id)
                .set_tag_keys(Some(keys.to_vec()))
                .send()
        })
        .await
        .map(|_| ())
        .map_err(|e| failed(&format!("UntagResource {policy_id}"), e))
    }
}

/// A write retried on conflicts, for which the error `already_done` means the wanted state is
/// already there (a re-run after a crash, or a retry after a lost answer).
async fn idempotent<T, E, F, Fut>(what: &str, already_done: &str, call: F) -> Result<()>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = std::result::Result<T, SdkError<E, crate::aws::Raw>>>,
{
    match retry_conflicts(what, call).await {
        Ok(_) => Ok(()),
        Err(e) if error_code(&e) == Some(already_done) => Ok(()),
        Err(e) => Err(failed(what, e)),
    }
}

/// A run that stopped part-way: what was done, what failed, and that a re-run finishes it.
#[derive(Debug)]
pub struct ExecFailure {
    pub done: usize,
    pub total: usize,
    pub failed: Vec<(String, String)>,
}

impl std::fmt::Display for ExecFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (change, error) in &self.failed {
            writeln!(f, "failed to {change}: {error}")?;
        }
        write!(
            f,
            "{} of {} changes were made before the failure (listed above as done); every change is safe to repeat, so re-run the same command to finish",
            self.done, self.total
        )
    }
}

impl std::error::Error for ExecFailure {}
