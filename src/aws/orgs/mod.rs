//! AWS Organizations: the client (`Orgs`); the reads into the core's plain `Observed` structs
//! in `observe.rs`, a plan's changes carried out in `execute.rs`. Decisions are the core's
//! (`scpctl_core::plan`); these files only call.
//!
//! Call budget: reads are paginated by hand (the Organizations paginators have no `.items()`),
//! per-target reads run with bounded concurrency, and targets that already hold the policy are
//! not read at all, so a no-op apply costs the same few calls for 1 or 50 OUs.

use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_organizations::error::ProvideErrorMetadata;
use aws_sdk_organizations::types::PolicyType;
use aws_sdk_organizations::Client;
use aws_smithy_runtime_api::client::result::SdkError;
use scpctl_core::plan::OrgPolicyType;

mod execute;
mod observe;
#[cfg(test)]
mod tests;

pub use observe::walk_up;

use super::{error_code, CallCounter};

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
    pub(crate) client: Client,
    /// The policy type this planner reads and writes (SCP unless `for_type`).
    pub(crate) policy_type: OrgPolicyType,
    /// Per-target reads and writes in flight at once. Organizations throttles per account
    /// (`TooManyRequestsException`, retried by the SDK), so this stays small.
    pub(crate) concurrency: usize,
}

/// An SDK error in a few lines (see `aws::explain`).
pub(crate) fn failed<E>(what: &str, err: SdkError<E, super::Raw>) -> anyhow::Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    super::explain(what, &err)
}

pub(crate) fn is_missing_target<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> bool {
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

    pub(crate) fn kind(&self) -> PolicyType {
        sdk_type(self.policy_type)
    }
}
