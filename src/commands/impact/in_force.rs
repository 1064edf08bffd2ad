//! `impact --org-policies`: each account's policies in force, read through the organization's
//! policy reader (`base::org_policies`) on first use from the replay's threads and kept.

use std::sync::{Arc, Mutex};

use anyhow::Result;
use scpctl_core::impact::{AccountPolicies, InForce, PoliciesByAccount};

use crate::aws::orgs::Orgs;
use crate::commands::base::org_policies::{cell, Cells, OrgPolicies};
use crate::commands::base::policies::Attached;
use crate::commands::base::session;

/// `impact --org-policies`: each account's policies in force, read on first use from the
/// replay's threads (blocking on the session's runtime) and kept.
pub struct OrgInForce {
    reader: OrgPolicies,
    runtime: &'static tokio::runtime::Runtime,
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
            runtime: session::runtime()?,
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
        if scpctl_core::names::check_account_id(account).is_err() {
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
