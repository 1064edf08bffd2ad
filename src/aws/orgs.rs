//! AWS Organizations: read the organization into the core's plain `Observed` structs, and carry
//! out a plan's changes. Decisions are the core's (`scpctl_core::plan`); this file only calls.
//!
//! Call budget: reads are paginated by hand (the Organizations paginators have no `.items()`),
//! per-target reads run with bounded concurrency, and targets that already hold the policy are
//! not read at all, so a no-op apply costs the same few calls for 1 or 50 OUs.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Result};
use aws_config::SdkConfig;
use aws_sdk_organizations::error::ProvideErrorMetadata;
use aws_sdk_organizations::types::{PolicyType, PolicyTypeStatus, Tag};
use aws_sdk_organizations::Client;
use aws_smithy_runtime_api::client::result::SdkError;
use futures_util::stream::{self, StreamExt};
use scpctl_core::plan::{
    self, AttachedPolicy, Change, Observed, ObservedPolicy, ObservedTarget, OrgPolicyType,
    TargetId, MANAGED_TAG_KEY, MANAGED_TAG_VALUE,
};

use super::{error_code, retry_conflicts, CallCounter};

/// The SDK's policy type for ours.
pub fn sdk_type(t: OrgPolicyType) -> PolicyType {
    match t {
        OrgPolicyType::ServiceControl => PolicyType::ServiceControlPolicy,
        OrgPolicyType::ResourceControl => PolicyType::ResourceControlPolicy,
    }
}
/// Enabling a policy type is asynchronous ("EnablePolicyType": "the status is PENDING_ENABLE
/// until ..."): poll ListRoots until ENABLED, at most this long.
const ENABLE_TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Clone)]
pub struct Orgs {
    client: Client,
    /// The policy type this planner reads and writes (SCP unless `for_type`).
    policy_type: OrgPolicyType,
    /// Per-target reads and writes in flight at once. Organizations throttles per account
    /// (`TooManyRequestsException`, retried by the SDK), so this stays small.
    concurrency: usize,
}

/// An SDK error in a few lines (see `aws::explain`).
fn failed<E>(what: &str, err: SdkError<E, super::Raw>) -> anyhow::Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    super::explain(what, &err)
}

fn is_missing_target<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> bool {
    matches!(
        error_code(err),
        Some(
            "TargetNotFoundException"
                | "OrganizationalUnitNotFoundException"
                | "AccountNotFoundException"
                | "RootNotFoundException"
        )
    )
}

impl Orgs {
    pub fn new(config: &SdkConfig, counter: &CallCounter, concurrency: usize) -> Orgs {
        let conf = aws_sdk_organizations::config::Builder::from(config)
            .interceptor(counter.clone())
            .retry_classifier(super::ConnectionRetries::shared())
            .build();
        Orgs {
            client: Client::from_conf(conf),
            policy_type: OrgPolicyType::ServiceControl,
            concurrency: concurrency.max(1),
        }
    }

    /// The same client deploying policies of another type (the console sign-in RCP).
    pub fn for_type(mut self, t: OrgPolicyType) -> Orgs {
        self.policy_type = t;
        self
    }

    fn kind(&self) -> PolicyType {
        sdk_type(self.policy_type)
    }

    /// DescribeOrganization's organization.
    async fn describe(&self) -> Result<aws_sdk_organizations::types::Organization> {
        self.client
            .describe_organization()
            .send()
            .await
            .map_err(|e| failed("DescribeOrganization", e))?
            .organization
            .ok_or_else(|| anyhow!("DescribeOrganization returned no organization"))
    }

    /// The organization's id (`o-...`).
    pub async fn organization_id(&self) -> Result<String> {
        self.describe()
            .await?
            .id
            .ok_or_else(|| anyhow!("DescribeOrganization returned no organization id"))
    }

    /// Id and name of every policy of type `t` attached directly to `target`
    /// (ListPoliciesForTarget); none when the type is not enabled (nothing is in force).
    pub async fn policy_ids_on(
        &self,
        target: &str,
        t: OrgPolicyType,
    ) -> Result<Vec<(String, String)>> {
        let pages = self
            .client
            .list_policies_for_target()
            .target_id(target)
            .filter(sdk_type(t))
            .into_paginator()
            .send()
            .try_collect()
            .await;
        let pages = match pages {
            Ok(p) => p,
            // A type not enabled yet has nothing in force.
            Err(e) if error_code(&e) == Some("PolicyTypeNotEnabledException") => return Ok(vec![]),
            Err(e) => return Err(failed(&format!("ListPoliciesForTarget {target}"), e)),
        };
        Ok(pages
            .iter()
            .flat_map(|p| p.policies())
            .filter_map(|p| {
                let id = p.id()?;
                Some((id.to_string(), p.name().unwrap_or(id).to_string()))
            })
            .collect())
    }

    /// A policy's content (DescribePolicy).
    pub async fn policy_content(&self, id: &str) -> Result<String> {
        let described = self
            .client
            .describe_policy()
            .policy_id(id)
            .send()
            .await
            .map_err(|e| failed(&format!("DescribePolicy {id}"), e))?;
        Ok(described
            .policy()
            .and_then(|d| d.content())
            .unwrap_or_default()
            .to_string())
    }

    /// The parent (OU or root) of an account or OU (ListParents); `None` when the child is not
    /// in the organization (an account outside it).
    pub async fn parent(&self, child: &str) -> Result<Option<String>> {
        match self.client.list_parents().child_id(child).send().await {
            Ok(out) => Ok(out
                .parents()
                .first()
                .and_then(|p| p.id())
                .map(str::to_string)),
            Err(e) if is_missing_target(&e) || error_code(&e) == Some("ChildNotFoundException") => {
                Ok(None)
            }
            Err(e) => Err(failed(&format!("ListParents {child}"), e)),
        }
    }

    /// The organization's root and whether SCPs are enabled on it.
    async fn root(&self) -> Result<(String, Option<PolicyTypeStatus>)> {
        let roots = self
            .client
            .list_roots()
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map_err(|e| failed("ListRoots", e))?;
        let root = roots
            .iter()
            .flat_map(|page| page.roots())
            .next()
            .ok_or_else(|| anyhow!("ListRoots returned no root"))?;
        let id = root
            .id()
            .ok_or_else(|| anyhow!("ListRoots returned a root without an id"))?;
        let status = root
            .policy_types()
            .iter()
            .find(|t| t.r#type() == Some(&self.kind()))
            .and_then(|t| t.status().cloned());
        Ok((id.to_string(), status))
    }

    /// Ids and names of the organization's active accounts.
    pub async fn active_accounts(&self) -> Result<Vec<(String, String)>> {
        use aws_sdk_organizations::types::{AccountState, AccountStatus};
        let pages = self
            .client
            .list_accounts()
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map_err(|e| failed("ListAccounts", e))?;
        Ok(pages
            .iter()
            .flat_map(|p| p.accounts())
            .filter(|a| {
                // `State` replaces the deprecated `Status`; either says whether it is active.
                match (a.state(), a.status()) {
                    (Some(state), _) => *state == AccountState::Active,
                    (None, Some(status)) => *status == AccountStatus::Active,
                    (None, None) => true,
                }
            })
            .filter_map(|a| {
                Some((
                    a.id()?.to_string(),
                    a.name().unwrap_or_default().to_string(),
                ))
            })
            .collect())
    }

    /// The organization's management account id.
    pub async fn management_account(&self) -> Result<String> {
        self.describe()
            .await?
            .master_account_id
            .ok_or_else(|| anyhow!("DescribeOrganization returned no management account"))
    }

    /// The OUs above an account, nearest first, then the root.
    pub async fn ancestors(&self, account: &str) -> Result<Vec<String>> {
        let mut chain = Vec::new();
        let mut child = account.to_string();
        // OUs nest at most five levels under the root ("Quotas for AWS Organizations").
        for _ in 0..6 {
            let out = self
                .client
                .list_parents()
                .child_id(&child)
                .send()
                .await
                .map_err(|e| failed(&format!("ListParents {child}"), e))?;
            let Some(parent) = out.parents().first().and_then(|p| p.id()) else {
                break;
            };
            chain.push(parent.to_string());
            if parent.starts_with("r-") {
                break;
            }
            child = parent.to_string();
        }
        Ok(chain)
    }

    /// The root as a target.
    pub async fn root_target(&self) -> Result<TargetId> {
        Ok(TargetId::Root(self.root().await?.0))
    }

    /// The SCP named `name`, with its content and whether scpctl manages it.
    pub async fn find_policy(&self, name: &str) -> Result<Option<ObservedPolicy>> {
        let pages = self
            .client
            .list_policies()
            .filter(self.kind())
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map_err(|e| failed("ListPolicies", e))?;
        let Some(summary) = pages
            .iter()
            .flat_map(|p| p.policies())
            .find(|p| p.name() == Some(name))
        else {
            return Ok(None);
        };
        let id = summary.id().unwrap_or_default().to_string();
        let described = self
            .client
            .describe_policy()
            .policy_id(&id)
            .send()
            .await
            .map_err(|e| failed(&format!("DescribePolicy {id}"), e))?;
        let content = described
            .policy()
            .and_then(|p| p.content())
            .unwrap_or_default()
            .to_string();
        let managed = !summary.aws_managed() && self.is_managed(&id).await?;
        Ok(Some(ObservedPolicy {
            id,
            name: name.to_string(),
            description: summary.description().unwrap_or_default().to_string(),
            content,
            managed,
        }))
    }

    async fn is_managed(&self, policy_id: &str) -> Result<bool> {
        let pages = self
            .client
            .list_tags_for_resource()
            .resource_id(policy_id)
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map_err(|e| failed(&format!("ListTagsForResource {policy_id}"), e))?;
        Ok(pages
            .iter()
            .flat_map(|p| p.tags())
            .any(|t| t.key() == MANAGED_TAG_KEY && t.value() == MANAGED_TAG_VALUE))
    }

    /// Ids of every root, OU and account the policy is attached to.
    pub async fn targets_of(&self, policy_id: &str) -> Result<BTreeSet<String>> {
        let pages = self
            .client
            .list_targets_for_policy()
            .policy_id(policy_id)
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map_err(|e| failed(&format!("ListTargetsForPolicy {policy_id}"), e))?;
        Ok(pages
            .iter()
            .flat_map(|p| p.targets())
            .filter_map(|t| t.target_id().map(str::to_string))
            .collect())
    }

    /// The SCPs attached directly to a target; `Ok(None)` if the target does not exist. When
    /// `FullAWSAccess` is not among them, the other policies are read to see which allow.
    async fn attached(&self, target: &TargetId) -> Result<Option<ObservedTarget>> {
        let pages = match self
            .client
            .list_policies_for_target()
            .target_id(target.as_str())
            .filter(self.kind())
            .into_paginator()
            .send()
            .try_collect()
            .await
        {
            Ok(pages) => pages,
            Err(e) if is_missing_target(&e) => return Ok(None),
            Err(e) => return Err(failed(&format!("ListPoliciesForTarget {target}"), e)),
        };
        let mut attached: Vec<AttachedPolicy> = pages
            .iter()
            .flat_map(|p| p.policies())
            .map(|p| AttachedPolicy {
                id: p.id().unwrap_or_default().to_string(),
                name: p.name().unwrap_or_default().to_string(),
                aws_managed: p.aws_managed(),
                allows: None,
            })
            .collect();
        if !attached.iter().any(AttachedPolicy::is_allow) {
            for p in &mut attached {
                let described = self
                    .client
                    .describe_policy()
                    .policy_id(&p.id)
                    .send()
                    .await
                    .map_err(|e| failed(&format!("DescribePolicy {}", p.id), e))?;
                let content = described.policy().and_then(|d| d.content()).unwrap_or("");
                p.allows = Some(plan::has_allow_statement(content));
            }
        }
        Ok(Some(ObservedTarget {
            id: target.clone(),
            attached,
        }))
    }

    /// Read the attachments of several targets, a few at a time. Every missing target is
    /// reported in one error.
    pub async fn attached_all(&self, targets: &[TargetId]) -> Result<Vec<ObservedTarget>> {
        let results: Vec<(TargetId, Result<Option<ObservedTarget>>)> = stream::iter(targets)
            .map(|t| async move { (t.clone(), self.attached(t).await) })
            .buffered(self.concurrency)
            .collect()
            .await;
        let mut observed = Vec::new();
        let mut missing = Vec::new();
        for (target, result) in results {
            match result? {
                Some(t) => observed.push(t),
                None => missing.push(target.to_string()),
            }
        }
        if !missing.is_empty() {
            bail!(
                "not found in this organization: {}; nothing was changed",
                missing.join(", ")
            );
        }
        Ok(observed)
    }

    /// Everything `plan_apply` needs to know, read without writing.
    /// With `include_root`, the root (whose id is read here) is a target too.
    pub async fn observe(
        &self,
        name: &str,
        targets: &[TargetId],
        include_root: bool,
    ) -> Result<Observed> {
        let ((root_id, status), policy) = tokio::try_join!(self.root(), self.find_policy(name))?;
        let root_target = include_root.then(|| TargetId::Root(root_id.clone()));
        let attached_to = match &policy {
            Some(p) if p.managed => self.targets_of(&p.id).await?,
            _ => BTreeSet::new(),
        };
        let unattached: Vec<TargetId> = targets
            .iter()
            .chain(root_target.as_ref())
            .filter(|t| !attached_to.contains(t.as_str()))
            .cloned()
            .collect();
        let mut to_read = unattached;
        to_read.sort();
        to_read.dedup();
        let targets = self.attached_all(&to_read).await?;
        Ok(Observed {
            root_id,
            type_enabled: status == Some(PolicyTypeStatus::Enabled),
            policy,
            attached_to,
            targets,
        })
    }

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

    async fn enable_type(&self, root: &str) -> Result<()> {
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
    async fn create(&self, name: &str, description: &str, content: &str) -> Result<String> {
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

    async fn update(
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

    async fn attach(&self, policy_id: &str, target: &TargetId) -> Result<()> {
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

    async fn detach(&self, policy_id: &str, target: &TargetId) -> Result<()> {
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

    async fn delete(&self, policy_id: &str) -> Result<()> {
        idempotent(
            &format!("DeletePolicy {policy_id}"),
            "PolicyNotFoundException",
            || self.client.delete_policy().policy_id(policy_id).send(),
        )
        .await
    }

    /// Every tag on a policy (ListTagsForResource), as key/value pairs: the rollout's state.
    pub async fn policy_tags(&self, policy_id: &str) -> Result<Vec<(String, String)>> {
        let pages = self
            .client
            .list_tags_for_resource()
            .resource_id(policy_id)
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map_err(|e| failed(&format!("ListTagsForResource {policy_id}"), e))?;
        Ok(pages
            .iter()
            .flat_map(|p| p.tags())
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect())
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
    Fut: std::future::Future<Output = std::result::Result<T, SdkError<E, super::Raw>>>,
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
