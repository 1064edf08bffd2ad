//! Reading the organization: its id, root, accounts, an account's ancestors, a policy and
//! where it is attached, into the core's plain `Observed` structs. Reads are paginated by hand,
//! per-target reads run with bounded concurrency, and targets that already hold the policy are
//! not read at all.

use std::collections::BTreeSet;

use anyhow::{anyhow, bail, Result};
use aws_sdk_organizations::types::PolicyTypeStatus;
use futures_util::stream::{self, StreamExt};
use scpctl_core::plan::{
    self, AttachedPolicy, Observed, ObservedPolicy, ObservedTarget, OrgPolicyType, TargetId,
    MANAGED_TAG_KEY, MANAGED_TAG_VALUE,
};

use super::{failed, is_missing_target, sdk_type, Orgs};
use crate::aws::error_code;

impl Orgs {
    /// DescribeOrganization's organization.
    pub(super) async fn describe(&self) -> Result<aws_sdk_organizations::types::Organization> {
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
    pub(super) async fn root(&self) -> Result<(String, Option<PolicyTypeStatus>)> {
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
        walk_up(account, |child| async move {
            let out = self
                .client
                .list_parents()
                .child_id(&child)
                .send()
                .await
                .map_err(|e| failed(&format!("ListParents {child}"), e))?;
            Ok(out
                .parents()
                .first()
                .and_then(|p| p.id())
                .map(str::to_string))
        })
        .await
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

    pub(super) async fn is_managed(&self, policy_id: &str) -> Result<bool> {
        Ok(self
            .policy_tags(policy_id)
            .await?
            .iter()
            .any(|(k, v)| k == MANAGED_TAG_KEY && v == MANAGED_TAG_VALUE))
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
    pub(super) async fn attached(&self, target: &TargetId) -> Result<Option<ObservedTarget>> {
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
}

/// The parents above `child`, nearest first, up to the root (`r-...`), each found by `parent`
/// (`None`: no parent, the child is not in the organization). The one walk up the tree, for
/// the lockout guards (`Orgs::ancestors`) and the policies in force (a cached `parent`).
pub async fn walk_up<F, Fut>(child: &str, mut parent: F) -> Result<Vec<String>>
where
    F: FnMut(String) -> Fut,
    Fut: std::future::Future<Output = Result<Option<String>>>,
{
    let mut chain = Vec::new();
    let mut at = child.to_string();
    // OUs nest at most five levels under the root ("Quotas for AWS Organizations"): a bound,
    // so that an answer that never reaches a root cannot loop.
    for _ in 0..7 {
        let Some(p) = parent(at).await? else {
            break;
        };
        let root = p.starts_with("r-");
        chain.push(p.clone());
        if root {
            break;
        }
        at = p;
    }
    Ok(chain)
}
