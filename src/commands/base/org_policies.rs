//! The policies an organization already runs, read from Organizations and compiled once: for
//! the sign-in guards (`organizations`) and for `impact --org-policies`. One reader, one cache:
//! each target's policies are listed once (ListPoliciesForTarget), each policy described once
//! (DescribePolicy) and compiled once, shared by every chain it appears in
//! (`PolicySet::add_shared_level`), each parent looked up once (ListParents). AWS calls in
//! flight are bounded.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use anyhow::{anyhow, Result};
use scpctl_core::eval::{CompiledPolicy, PolicySet, PolicyType};
use scpctl_core::plan::OrgPolicyType;
use scpctl_core::policy::PolicyDocument;
use tokio::sync::{OnceCell, Semaphore};

use crate::aws::orgs::{walk_up, Orgs};

pub use super::policies::Attached;

pub type Cells<K, V> = Mutex<HashMap<K, Arc<OnceCell<V>>>>;

pub struct OrgPolicies {
    orgs: Orgs,
    limit: Semaphore,
    parents: Cells<String, Option<String>>,
    levels: Cells<(String, OrgPolicyType), Attached>,
    policies: Cells<String, Arc<CompiledPolicy>>,
}

/// The cell for `key`, created empty the first time: callers racing on one key wait for the
/// same read.
pub fn cell<K: Eq + Hash + Clone, V>(cells: &Cells<K, V>, key: &K) -> Arc<OnceCell<V>> {
    let mut m = cells.lock().unwrap_or_else(|p| p.into_inner());
    m.entry(key.clone()).or_default().clone()
}

/// Compile a policy read from Organizations; the error names it.
pub fn compile(content: &str, kind: PolicyType, name: &str) -> Result<CompiledPolicy> {
    let doc = PolicyDocument::from_json(content)
        .map_err(|e| anyhow!("{name}: cannot read its content: {e}"))?;
    CompiledPolicy::new(&doc, kind)
        .map_err(|e| anyhow!("{name}: the evaluator cannot decide it ({e})"))
}

impl OrgPolicies {
    /// `concurrency`: AWS calls in flight at once (Organizations throttles per account).
    pub fn new(orgs: Orgs, concurrency: usize) -> OrgPolicies {
        OrgPolicies {
            orgs,
            limit: Semaphore::new(concurrency.max(1)),
            parents: Mutex::default(),
            levels: Mutex::default(),
            policies: Mutex::default(),
        }
    }

    async fn parent(&self, child: &str) -> Result<Option<String>> {
        cell(&self.parents, &child.to_string())
            .get_or_try_init(|| async {
                let _permit = self.limit.acquire().await?;
                self.orgs.parent(child).await
            })
            .await
            .cloned()
    }

    /// The targets whose policies apply to `account`, root first, the account last; `None`
    /// when the account is not in the organization.
    pub async fn chain(&self, account: &str) -> Result<Option<Vec<String>>> {
        let mut chain = walk_up(account, |child| async move { self.parent(&child).await }).await?;
        if chain.is_empty() {
            return Ok(None);
        }
        chain.reverse();
        chain.push(account.to_string());
        Ok(Some(chain))
    }

    async fn policy(&self, id: &str, name: &str, kind: PolicyType) -> Result<Arc<CompiledPolicy>> {
        cell(&self.policies, &id.to_string())
            .get_or_try_init(|| async {
                let content = {
                    let _permit = self.limit.acquire().await?;
                    self.orgs.policy_content(id).await?
                };
                Ok::<_, anyhow::Error>(Arc::new(compile(&content, kind, name)?))
            })
            .await
            .cloned()
    }

    /// The policies of type `t` attached to `target`, described concurrently.
    pub async fn level(&self, target: &str, t: OrgPolicyType) -> Result<Attached> {
        let kind = match t {
            OrgPolicyType::ServiceControl => PolicyType::Scp,
            OrgPolicyType::ResourceControl => PolicyType::Rcp,
        };
        cell(&self.levels, &(target.to_string(), t))
            .get_or_try_init(|| async {
                let ids = {
                    let _permit = self.limit.acquire().await?;
                    self.orgs.policy_ids_on(target, t).await?
                };
                let compiled = futures_util::future::try_join_all(
                    ids.iter().map(|(id, name)| self.policy(id, name, kind)),
                )
                .await?;
                Ok::<_, anyhow::Error>(
                    ids.into_iter()
                        .map(|(_, name)| name)
                        .zip(compiled)
                        .collect(),
                )
            })
            .await
            .cloned()
    }

    /// The SCP chain of `account` (each level must allow: AWS Organizations User Guide, "SCP
    /// evaluation"), then with `rcps` the RCPs on the same path (deny only: RCPFullAWSAccess
    /// cannot be detached, so a level never denies implicitly). Levels without policies of
    /// a type (the type not enabled) are left out: nothing of that type is in force there.
    pub async fn account_set(&self, chain: &[String], rcps: bool) -> Result<PolicySet> {
        let scps = futures_util::future::try_join_all(
            chain
                .iter()
                .map(|t| self.level(t, OrgPolicyType::ServiceControl)),
        )
        .await?;
        let mut set = PolicySet::new();
        for (target, attached) in chain.iter().zip(scps) {
            if !attached.is_empty() {
                set.add_shared_level(target.clone(), true, attached);
            }
        }
        if rcps {
            let rcps = futures_util::future::try_join_all(
                chain
                    .iter()
                    .map(|t| self.level(t, OrgPolicyType::ResourceControl)),
            )
            .await?;
            for (target, attached) in chain.iter().zip(rcps) {
                if !attached.is_empty() {
                    set.add_shared_level(format!("{target} (RCPs)"), false, attached);
                }
            }
        }
        Ok(set)
    }
}
