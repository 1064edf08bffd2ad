//! The policies an organization already runs, read from Organizations and compiled once: for
//! the sign-in guards (`signin.rs`) and for `impact --org-policies`. One reader, one cache:
//! each target's policies are listed once (ListPoliciesForTarget), each policy described once
//! (DescribePolicy) and compiled once, shared by every chain it appears in
//! (`PolicySet::add_shared_level`), each parent looked up once (ListParents). AWS calls in
//! flight are bounded.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use anyhow::{anyhow, Result};
use scpctl_core::eval::{CompiledPolicy, PolicySet, PolicyType};
use scpctl_core::impact::{AccountPolicies, InForce, PoliciesByAccount};
use scpctl_core::plan::OrgPolicyType;
use scpctl_core::policy::PolicyDocument;
use tokio::sync::{OnceCell, Semaphore};

use crate::aws::orgs::Orgs;

/// Policies attached to one target, with their names.
pub type Attached = Vec<(String, Arc<CompiledPolicy>)>;

type Cells<K, V> = Mutex<HashMap<K, Arc<OnceCell<V>>>>;

pub struct OrgPolicies {
    orgs: Orgs,
    limit: Semaphore,
    parents: Cells<String, Option<String>>,
    levels: Cells<(String, OrgPolicyType), Attached>,
    policies: Cells<String, Arc<CompiledPolicy>>,
}

/// The cell for `key`, created empty the first time: callers racing on one key wait for the
/// same read.
fn cell<K: Eq + Hash + Clone, V>(cells: &Cells<K, V>, key: &K) -> Arc<OnceCell<V>> {
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
        let mut chain = vec![account.to_string()];
        // OUs nest at most five levels under the root ("Quotas for AWS Organizations").
        for _ in 0..7 {
            let child = chain.last().cloned().unwrap_or_default();
            match self.parent(&child).await? {
                None if chain.len() == 1 => return Ok(None),
                None => break,
                Some(p) => {
                    let root = p.starts_with("r-");
                    chain.push(p);
                    if root {
                        break;
                    }
                }
            }
        }
        chain.reverse();
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

/// `impact --org-policies`: each account's policies in force, read on first use from the
/// replay's threads (blocking on a runtime of its own) and kept.
pub struct OrgInForce {
    reader: OrgPolicies,
    runtime: tokio::runtime::Runtime,
    rcps: bool,
    /// `--policy` / `--policy-dir`, evaluated with every account's chain.
    files: Attached,
    accounts: Cells<String, AccountPolicies>,
}

impl std::fmt::Debug for OrgInForce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrgInForce")
            .field("rcps", &self.rcps)
            .field("files", &self.files.len())
            .finish_non_exhaustive()
    }
}

impl OrgInForce {
    pub fn new(orgs: Orgs, concurrency: usize, rcps: bool, files: Attached) -> Result<OrgInForce> {
        Ok(OrgInForce {
            reader: OrgPolicies::new(orgs, concurrency),
            runtime: tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .map_err(|e| anyhow!("cannot start the async runtime: {e}"))?,
            rcps,
            files,
            accounts: Mutex::default(),
        })
    }

    /// Accounts read so far.
    pub fn accounts_read(&self) -> usize {
        self.accounts.lock().map(|m| m.len()).unwrap_or(0)
    }

    async fn read(&self, account: &str) -> Result<AccountPolicies> {
        // Not an account id (a crafted record): no account of the organization.
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(AccountPolicies::OutsideOrganization);
        }
        let Some(chain) = self.reader.chain(account).await? else {
            return Ok(AccountPolicies::OutsideOrganization);
        };
        tracing::debug!("account {account}: path {}", chain.join(" -> "));
        let mut set = self.reader.account_set(&chain, self.rcps).await?;
        if !self.files.is_empty() {
            set.add_shared_level("policies", false, self.files.clone());
        }
        Ok(AccountPolicies::InForce(Arc::new(InForce::new(set))))
    }
}

impl PoliciesByAccount for OrgInForce {
    fn policies(&self, account: &str) -> Result<AccountPolicies, String> {
        let cell = cell(&self.accounts, &account.to_string());
        self.runtime
            .block_on(cell.get_or_try_init(|| self.read(account)))
            .cloned()
            .map_err(|e| format!("{e:#}"))
    }
}

/// `impact --policy FILE` / `--policy-dir DIR`: each file compiled once, as an SCP, or as an
/// RCP when its statements name `Principal: "*"` (the RCP grammar); the error names the file.
pub fn policy_files(
    files: &[std::path::PathBuf],
    dir: Option<&std::path::Path>,
) -> Result<Attached> {
    let mut paths = files.to_vec();
    if let Some(dir) = dir {
        paths.extend(super::simulate::json_files(dir)?);
    }
    paths
        .iter()
        .map(|path| {
            let label = path.display().to_string();
            let doc = super::simulate::read_policy(path)?;
            let policy = match CompiledPolicy::new(&doc, PolicyType::Scp) {
                Ok(p) => p,
                Err(scp) => CompiledPolicy::new(&doc, PolicyType::Rcp).map_err(|rcp| {
                    anyhow!("cannot evaluate {label}: as an SCP: {scp}; as an RCP: {rcp}")
                })?,
            };
            Ok((label, Arc::new(policy)))
        })
        .collect()
}
