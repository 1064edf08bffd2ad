//! What rendering produces: the kinds of policy, their layouts, the rendered documents, the
//! errors, the Sids and the size limits.

use serde_json::Value;

use crate::config::Limits;

/// The SCP size limit is a setting (`[limits] scp_max_chars`, see [`crate::config::Limits`]):
/// AWS Organizations quotas, "Maximum size of a policy document", 10,240 characters since
/// 2026-05-15. The API counts every character sent, whitespace included, so the document is
/// sent minified.
pub use crate::config::AWS_SCP_MAX_CHARS as SCP_MAX_CHARS;
/// IAM and AWS STS quotas: "managed policy size: 6,144 characters"; IAM does not count
/// whitespace against it, but we send the same minified text anyway.
pub const IAM_MANAGED_POLICY_MAX_CHARS: usize = 6144;

pub const SCP_TEMPLATE: &str = include_str!("../../../../templates/scp.json");
pub const IDENTITY_TEMPLATE: &str = include_str!("../../../../templates/identity.json");

pub const SID_UNTAGGED: &str = "DenyIAMUsersWithoutAccessException";
pub const SID_OUTSIDE_NETWORK: &str = "DenyIAMUsersOutsideApprovedNetwork";
pub const SID_IDENTITY: &str = "DenyAccessOutsideEnterpriseNetwork";

/// Suffixes of the two documents written with `--split-statements`.
pub const SPLIT_UNTAGGED_SUFFIX: &str = "-Untagged";
pub const SPLIT_NETWORK_SUFFIX: &str = "-Network";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    /// The Service Control Policy `RestrictIAMUserAccessWithExceptions` (seed §4.2).
    Scp,
    /// The identity-based fallback `EnterpriseNetworkRestriction` (seed §5.1).
    Identity,
    /// The console sign-in resource control policy (`[console]`, issue 19).
    Signin,
}

impl PolicyKind {
    /// The size limit of this kind under the configured quotas.
    pub fn limit(self, limits: &Limits) -> usize {
        match self {
            PolicyKind::Scp => limits.scp_max_chars,
            PolicyKind::Identity => IAM_MANAGED_POLICY_MAX_CHARS,
            PolicyKind::Signin => limits.rcp_max_chars,
        }
    }

    /// Where the limit comes from, for messages: the setting that changes it, if any.
    pub fn limit_setting(self) -> Option<&'static str> {
        match self {
            PolicyKind::Scp => Some("[limits] scp_max_chars"),
            PolicyKind::Identity => None,
            PolicyKind::Signin => Some("[limits] rcp_max_chars"),
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            PolicyKind::Scp => "service control policy",
            PolicyKind::Identity => "IAM managed policy",
            PolicyKind::Signin => "resource control policy",
        }
    }
}

/// One document or the SCP's two statements as two documents (opt-in).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Single,
    /// Statement 1 (no CIDRs) in one SCP, statement 2 in another. Equivalent, because a deny in
    /// any attached SCP denies; it frees room for CIDRs at the cost of one more of the SCPs a
    /// target may hold (`[limits] scps_per_target`). The CIDR list itself is never split.
    SplitStatements,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RenderedPolicy {
    pub kind: PolicyKind,
    pub name: String,
    pub description: String,
    /// The document, keys in template order.
    pub document: Value,
    /// The exact text sent to AWS.
    pub compact: String,
    /// The size limit it was rendered under (`[limits]` for the SCP).
    pub limit: usize,
}

impl RenderedPolicy {
    /// Characters as AWS counts them.
    pub fn chars(&self) -> usize {
        self.compact.chars().count()
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    pub fn pretty(&self) -> String {
        serde_json::to_string_pretty(&self.document).expect("a JSON value always serialises")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error("{name}: the rendered {kind} is {chars} characters, {over} over the limit of {limit}{setting} ({entries} CIDR entries after lossless aggregation). No policy was written.\nWhat would help:\n{advice}")]
    TooLarge {
        name: String,
        kind: &'static str,
        chars: usize,
        limit: usize,
        over: usize,
        entries: usize,
        /// ` ([limits] scp_max_chars)` when a setting decides the limit.
        setting: String,
        advice: String,
    },
    #[error("--split-statements applies to the SCP only; the identity-based policy has a single statement")]
    SplitIdentity,
    #[error("--split-statements applies to the SCP only; the console sign-in RCP's network list is one deny and is never split")]
    SplitSignin,
    /// AWS Sign-In documents only `aws:SourceIp`, `aws:SourceVpc`, `aws:SourceVpce`,
    /// `aws:VpcSourceIp` and `aws:RequestedRegion` as network keys (AWS Sign-In condition-key
    /// reference): a sign-in never carries the endpoint owner's keys.
    #[error("[network] {keys} cannot hold console sign-in to the networks: AWS Sign-In documents only aws:SourceIp, aws:SourceVpc, aws:SourceVpce, aws:VpcSourceIp and aws:RequestedRegion as network keys (AWS Sign-In condition-key reference), so a sign-in never carries aws:VpceOrgID or aws:VpceAccount and an endpoint named only by its owner would not let it through. For --kind signin, list those endpoints in vpc_endpoints (or their VPCs in vpcs) and render from a config without {keys}. No policy was written.")]
    SigninEndpointOwners { keys: String },
    #[error(
        "internal error: the rendered {name} failed its self-check: {why}. Please report this."
    )]
    SelfCheck { name: String, why: String },
}
