//! What a `--kind` names: a policy to render, a policy type to deploy through Organizations.

use anyhow::Result;
use scpctl_core::plan::OrgPolicyType;
use scpctl_core::render::PolicyKind;

use crate::cli::Kind;
use crate::problems::{Problems, Usage};

/// The policy a `--kind` names; `monitoring` is no policy (only `render` takes it).
pub fn policy_kind(k: Kind) -> Result<PolicyKind> {
    match k {
        Kind::Scp => Ok(PolicyKind::Scp),
        Kind::Identity => Ok(PolicyKind::Identity),
        Kind::Signin => Ok(PolicyKind::Signin),
        Kind::Monitoring => Err(crate::problems::Usage(crate::problems::Problems(vec![
            "--kind monitoring is a set of EventBridge rules, not a policy: only `scpctl render --kind monitoring` takes it".into(),
        ]))
        .into()),
    }
}

/// The policy type a `--kind` deploys; kinds `plan` does not deploy are a usage
/// error naming them.
pub fn org_type(kind: Kind) -> Result<OrgPolicyType> {
    match kind {
        Kind::Scp => Ok(OrgPolicyType::ServiceControl),
        Kind::Signin => Ok(OrgPolicyType::ResourceControl),
        #[allow(unreachable_patterns)]
        other => Err(Usage(Problems(vec![format!(
            "--kind {} is not deployed through AWS Organizations by this command; use --kind scp or --kind signin",
            format!("{other:?}").to_lowercase()
        )]))
        .into()),
    }
}
