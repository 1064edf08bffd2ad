//! `scpctl plan|apply|detach|destroy|status --kind identity`: the fallback
//! EnterpriseNetworkRestriction on IAM users, groups and roles of one or more accounts. Reads
//! IAM (`aws::iam_policies`), lets the core decide (`scpctl_core::identity_plan`), shows the
//! plan, asks, executes; several accounts are worked on at once, with a bound.

mod access_check;
mod deploy;
mod status;

pub use deploy::{apply, deploy_scp_only, destroy, detach, plan, scp_only, wanted};
pub use status::status;
