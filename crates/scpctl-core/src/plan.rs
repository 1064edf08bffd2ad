//! Desired state vs what was observed in AWS Organizations → the list of changes that converges
//! them. Pure: the edge reads the organization into [`Observed`], this module decides, the edge
//! executes. Every refusal is known here, before any write.
//!
//! Rules, with their sources (AWS Organizations User Guide):
//! - "Quotas and service limits": at most 10 SCPs attached to a root, OU or account since
//!   2026-05-15 (was 5); a setting, `[limits] scps_per_target`, handed in through [`Desired`].
//! - "Service control policies": with no Allow SCP (normally the AWS managed `FullAWSAccess`)
//!   attached, nothing in the target is allowed; scpctl never detaches any policy but its own.
//! - "SCP effects": SCPs never restrict the management account.
//! - "Detaching an SCP": a target must keep at least one SCP attached.

use std::collections::BTreeSet;
use std::fmt;

use ipnet::IpNet;
use serde::Serialize;
use serde_json::Value;

use crate::cidr::{compact_spelling, parse_cidr, CidrOptions, CidrSet};
use crate::origin::Origin;
use crate::policy::PolicyDocument;

/// The tag scpctl puts on the policy it creates; it only ever changes a policy carrying it.
pub const MANAGED_TAG_KEY: &str = "ManagedBy";
pub const MANAGED_TAG_VALUE: &str = "scpctl";
pub const FULL_AWS_ACCESS: &str = "FullAWSAccess";
/// The Allow RCP AWS attaches to every root, OU and account when RCPs are enabled; it cannot
/// be detached (AWS Organizations User Guide, "Resource control policies").
pub const RCP_FULL_AWS_ACCESS: &str = "RCPFullAWSAccess";

/// The Organizations policy type a plan deploys: the same planner, observe and execute for
/// both (the SCP of the guide, the console sign-in RCP).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum OrgPolicyType {
    #[serde(rename = "SERVICE_CONTROL_POLICY")]
    ServiceControl,
    #[serde(rename = "RESOURCE_CONTROL_POLICY")]
    ResourceControl,
}

impl OrgPolicyType {
    /// The API's name (`EnablePolicyType`, `CreatePolicy` `Type`, `ListPolicies` `Filter`).
    pub fn api_name(self) -> &'static str {
        match self {
            OrgPolicyType::ServiceControl => "SERVICE_CONTROL_POLICY",
            OrgPolicyType::ResourceControl => "RESOURCE_CONTROL_POLICY",
        }
    }

    /// `SCP` / `RCP`, for messages.
    pub fn short(self) -> &'static str {
        match self {
            OrgPolicyType::ServiceControl => "SCP",
            OrgPolicyType::ResourceControl => "RCP",
        }
    }

    /// The AWS managed Allow policy of this type.
    pub fn full_access(self) -> &'static str {
        match self {
            OrgPolicyType::ServiceControl => FULL_AWS_ACCESS,
            OrgPolicyType::ResourceControl => RCP_FULL_AWS_ACCESS,
        }
    }

    /// The `[limits]` setting of the per-target count (RCPs: AWS's fixed 5).
    pub fn per_target_setting(self) -> &'static str {
        match self {
            OrgPolicyType::ServiceControl => "[limits] scps_per_target",
            OrgPolicyType::ResourceControl => "AWS's quota of RCPs per target",
        }
    }
}

/// A root, OU or account id, validated against the formats of the Organizations API reference
/// (`RootId` `^r-[0-9a-z]{4,32}$`, `OrganizationalUnitId` `^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$`,
/// `AccountId` `^\d{12}$`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(into = "String")]
pub enum TargetId {
    Root(String),
    Ou(String),
    Account(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{flag} {value:?}: {why}")]
pub struct TargetIdError {
    pub flag: &'static str,
    pub value: String,
    pub why: String,
}

fn lower_alnum(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

impl TargetId {
    pub fn ou(value: &str) -> Result<TargetId, TargetIdError> {
        let ok = value
            .strip_prefix("ou-")
            .and_then(|rest| rest.split_once('-'))
            .is_some_and(|(root, ou)| lower_alnum(root, 4, 32) && lower_alnum(ou, 8, 32));
        if !ok && TargetId::root(value).is_ok() {
            return Err(TargetIdError {
                flag: "--ou",
                value: value.to_string(),
                why: "this is a root id, not an OU: give --root to target the organization's root"
                    .into(),
            });
        }
        ok.then(|| TargetId::Ou(value.to_string()))
            .ok_or_else(|| TargetIdError {
                flag: "--ou",
                value: value.to_string(),
                why: "an OU id looks like ou-ab12-cd34ef56 (ou-, 4 to 32 lowercase letters or digits, -, 8 to 32 more); find it with `aws organizations list-organizational-units-for-parent`".into(),
            })
    }

    pub fn account(value: &str) -> Result<TargetId, TargetIdError> {
        crate::names::check_account_id(value)
            .is_ok()
            .then(|| TargetId::Account(value.to_string()))
            .ok_or_else(|| TargetIdError {
                flag: "--account",
                value: value.to_string(),
                why: "an account id is exactly 12 digits".into(),
            })
    }

    pub fn root(value: &str) -> Result<TargetId, TargetIdError> {
        value
            .strip_prefix("r-")
            .is_some_and(|rest| lower_alnum(rest, 4, 32))
            .then(|| TargetId::Root(value.to_string()))
            .ok_or_else(|| TargetIdError {
                flag: "root id",
                value: value.to_string(),
                why: "a root id looks like r-ab12".into(),
            })
    }

    /// A target id as AWS returns it (ListTargetsForPolicy), by its prefix.
    pub fn from_aws(value: &str) -> Result<TargetId, TargetIdError> {
        if value.starts_with("r-") {
            TargetId::root(value)
        } else if value.starts_with("ou-") {
            TargetId::ou(value)
        } else {
            TargetId::account(value)
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            TargetId::Root(s) | TargetId::Ou(s) | TargetId::Account(s) => s,
        }
    }
}

impl From<TargetId> for String {
    fn from(t: TargetId) -> String {
        t.as_str().to_string()
    }
}

impl fmt::Display for TargetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self {
            TargetId::Root(_) => "root",
            TargetId::Ou(_) => "OU",
            TargetId::Account(_) => "account",
        };
        write!(f, "{kind} {}", self.as_str())
    }
}

/// The SCP of this name as found in the organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedPolicy {
    pub id: String,
    pub name: String,
    pub description: String,
    pub content: String,
    /// Carries `ManagedBy=scpctl`.
    pub managed: bool,
}

/// A policy attached to a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachedPolicy {
    pub id: String,
    pub name: String,
    pub aws_managed: bool,
    /// Whether its content has an Allow statement; `None` when the edge did not read it.
    pub allows: Option<bool>,
}

impl AttachedPolicy {
    /// An Allow policy: the AWS managed `FullAWSAccess` (`RCPFullAWSAccess` for RCPs), or one
    /// whose content was read and allows.
    pub fn is_allow(&self) -> bool {
        (self.aws_managed && (self.name == FULL_AWS_ACCESS || self.name == RCP_FULL_AWS_ACCESS))
            || self.allows == Some(true)
    }
}

/// Whether a policy text has an Allow statement (an unreadable text counts as not allowing).
pub fn has_allow_statement(content: &str) -> bool {
    PolicyDocument::from_json(content).is_ok_and(|d| {
        d.statements
            .iter()
            .any(|s| s.effect == crate::policy::Effect::Allow)
    })
}

/// A requested target and the SCPs attached to it directly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedTarget {
    pub id: TargetId,
    pub attached: Vec<AttachedPolicy>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    pub root_id: String,
    /// The policy type (SCP or RCP) is ENABLED on the root.
    pub type_enabled: bool,
    pub policy: Option<ObservedPolicy>,
    /// Targets where the managed policy is already attached (from ListTargetsForPolicy).
    pub attached_to: BTreeSet<String>,
    /// The requested targets it is not attached to yet, with what they have attached.
    pub targets: Vec<ObservedTarget>,
}

/// What the config says should exist.
#[derive(Debug, Clone, PartialEq)]
pub struct Desired {
    pub policy_type: OrgPolicyType,
    pub name: String,
    pub description: String,
    /// The exact minified document sent to AWS.
    pub content: String,
    pub targets: Vec<TargetId>,
    /// Policies of this type a target may hold (`[limits] scps_per_target` for SCPs).
    pub per_target: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Change {
    EnablePolicyType {
        root: String,
        policy_type: &'static str,
    },
    CreatePolicy {
        policy_type: OrgPolicyType,
        policy: String,
        description: String,
        chars: usize,
        cidrs: usize,
    },
    UpdatePolicy {
        policy_type: OrgPolicyType,
        policy: String,
        policy_id: String,
        description: Option<String>,
        /// New content, when it differs semantically.
        #[serde(skip)]
        content: Option<String>,
        cidrs_added: Vec<String>,
        cidrs_removed: Vec<String>,
    },
    AttachPolicy {
        policy: String,
        target: TargetId,
    },
    DetachPolicy {
        policy: String,
        target: TargetId,
    },
    DeletePolicy {
        policy_type: OrgPolicyType,
        policy: String,
        policy_id: String,
    },
    /// AWS Sign-In `PutConsoleAuthorizationConfiguration` for the organization: from then on
    /// RCPs and SCPs decide console sign-in (not an Organizations call; executed apart).
    EnableConsoleAuthorization {
        organization: String,
    },
    /// `DeleteConsoleAuthorizationConfiguration` (destroy --disable-console-authorization).
    DisableConsoleAuthorization {
        organization: String,
    },
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::EnablePolicyType { root, policy_type } => {
                write!(f, "enable the {policy_type} policy type on root {root}")
            }
            Change::CreatePolicy {
                policy_type,
                policy,
                chars,
                cidrs,
                ..
            } => write!(
                f,
                "create {} {policy} ({chars} characters, {cidrs} CIDRs), tagged {MANAGED_TAG_KEY}={MANAGED_TAG_VALUE}",
                policy_type.short()
            ),
            Change::UpdatePolicy {
                policy_type,
                policy,
                policy_id,
                description,
                content,
                cidrs_added,
                cidrs_removed,
            } => {
                write!(f, "update {} {policy} ({policy_id})", policy_type.short())?;
                if content.is_some() {
                    write!(f, " content")?;
                    for c in cidrs_added {
                        write!(f, "\n      + {c}")?;
                    }
                    for c in cidrs_removed {
                        write!(f, "\n      - {c}")?;
                    }
                    if cidrs_added.is_empty() && cidrs_removed.is_empty() {
                        write!(f, " (same CIDRs; statements differ from the render)")?;
                    }
                }
                if let Some(d) = description {
                    write!(f, "\n      description -> {d:?}")?;
                }
                Ok(())
            }
            Change::AttachPolicy { policy, target } => write!(f, "attach {policy} to {target}"),
            Change::DetachPolicy { policy, target } => {
                write!(f, "detach {policy} from {target}")
            }
            Change::DeletePolicy {
                policy_type,
                policy,
                policy_id,
            } => write!(f, "delete {} {policy} ({policy_id})", policy_type.short()),
            Change::EnableConsoleAuthorization { organization } => write!(
                f,
                "enable console authorization for organization {organization} (AWS Sign-In, us-east-1): from then on RCPs and SCPs decide console sign-in"
            ),
            Change::DisableConsoleAuthorization { organization } => write!(
                f,
                "disable console authorization for organization {organization} (AWS Sign-In): RCPs and SCPs no longer decide console sign-in"
            ),
        }
    }
}

/// Why a plan was refused. Each names the target or policy and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("a policy named {name} ({id}) already exists but was not created by scpctl (no tag {MANAGED_TAG_KEY}={MANAGED_TAG_VALUE}); scpctl never changes a policy it does not manage. Rename [policy] name in the config, or tag that policy {MANAGED_TAG_KEY}={MANAGED_TAG_VALUE} to let scpctl manage it")]
    NotManaged { name: String, id: String },
    #[error("{target} already has {count} {kind}s attached ({names}); the limit is {limit} ({setting}), so {policy} cannot be attached. Detach one of them first (scpctl never detaches policies it did not create)")]
    QuotaExceeded {
        kind: &'static str,
        setting: &'static str,
        target: TargetId,
        count: usize,
        limit: usize,
        names: String,
        policy: String,
    },
    #[error("{target} has no Allow {kind} attached (normally {full}; attached: {names}); with deny policies alone nothing in it is allowed. Attach {full} to it first")]
    NoAllowScp {
        kind: &'static str,
        full: &'static str,
        target: TargetId,
        names: String,
    },
    #[error("{target}: {policy} is the only policy of its type attached, and AWS requires at least one; attach FullAWSAccess (RCPFullAWSAccess for an RCP) to it before detaching")]
    LastPolicy { target: TargetId, policy: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Plan {
    pub changes: Vec<Change>,
    pub warnings: Vec<String>,
}

fn names(attached: &[AttachedPolicy]) -> String {
    if attached.is_empty() {
        return "none".into();
    }
    attached
        .iter()
        .map(|p| p.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn management_account_warning(t: OrgPolicyType, targets: &[TargetId]) -> Option<String> {
    match t {
        OrgPolicyType::ServiceControl => targets.iter().any(|t| matches!(t, TargetId::Root(_))).then(|| {
            "the root is targeted: SCPs never restrict the management account, so its IAM users stay unrestricted; move workloads out of it".to_string()
        }),
        // Always: the management account is outside every RCP, whatever the targets.
        OrgPolicyType::ResourceControl => Some(
            "RCPs do not affect the management account: its IAM users and root user can still sign in from anywhere. Hold it to the networks with account-level statements: `scpctl apply --kind signin --account-policy` run with its credentials".to_string(),
        ),
    }
}

/// The changes that make the organization match `desired`. A no-op gives no changes.
pub fn plan_apply(desired: &Desired, observed: &Observed) -> Result<Plan, Vec<PlanError>> {
    let mut errors = Vec::new();
    let mut plan = Plan::default();
    let t = desired.policy_type;
    plan.warnings
        .extend(management_account_warning(t, &desired.targets));

    if !observed.type_enabled {
        plan.changes.push(Change::EnablePolicyType {
            root: observed.root_id.clone(),
            policy_type: t.api_name(),
        });
    }
    match &observed.policy {
        None => plan.changes.push(Change::CreatePolicy {
            policy_type: t,
            policy: desired.name.clone(),
            description: desired.description.clone(),
            chars: desired.content.chars().count(),
            cidrs: policy_cidrs(&desired.content).map_or(0, |s| s.len()),
        }),
        Some(p) if !p.managed => errors.push(PlanError::NotManaged {
            name: p.name.clone(),
            id: p.id.clone(),
        }),
        Some(p) => {
            let content_differs = !same_policy(&p.content, &desired.content);
            let description_differs = p.description != desired.description;
            if content_differs || description_differs {
                let (added, removed) =
                    match (policy_cidrs(&p.content), policy_cidrs(&desired.content)) {
                        (Some(old), Some(new)) if content_differs => cidr_diff(&old, &new),
                        _ => (vec![], vec![]),
                    };
                plan.changes.push(Change::UpdatePolicy {
                    policy_type: t,
                    policy: desired.name.clone(),
                    policy_id: p.id.clone(),
                    description: description_differs.then(|| desired.description.clone()),
                    content: content_differs.then(|| desired.content.clone()),
                    cidrs_added: added,
                    cidrs_removed: removed,
                });
            }
        }
    }

    for target in &desired.targets {
        if observed.attached_to.contains(target.as_str()) {
            continue;
        }
        let observed_target = observed.targets.iter().find(|t| &t.id == target);
        // With the type not yet enabled, AWS attaches FullAWSAccess (RCPFullAWSAccess) to
        // every root, OU and account when it is enabled; what is listed now does not count yet.
        if let (Some(o), true) = (observed_target, observed.type_enabled) {
            if o.attached.len() >= desired.per_target {
                errors.push(PlanError::QuotaExceeded {
                    kind: t.short(),
                    setting: t.per_target_setting(),
                    target: target.clone(),
                    count: o.attached.len(),
                    limit: desired.per_target,
                    names: names(&o.attached),
                    policy: desired.name.clone(),
                });
            }
            if !o.attached.iter().any(AttachedPolicy::is_allow) {
                errors.push(PlanError::NoAllowScp {
                    kind: t.short(),
                    full: t.full_access(),
                    target: target.clone(),
                    names: names(&o.attached),
                });
            }
        }
        plan.changes.push(Change::AttachPolicy {
            policy: desired.name.clone(),
            target: target.clone(),
        });
    }
    if errors.is_empty() {
        Ok(plan)
    } else {
        Err(errors)
    }
}

/// Detach the managed policy from `targets` where it is attached; a policy scpctl did not
/// create is refused. `attached` lists, for each
/// such target, every SCP attached to it (to keep AWS's minimum of one).
pub fn plan_detach(
    policy: &ObservedPolicy,
    targets: &[ObservedTarget],
) -> Result<Plan, Vec<PlanError>> {
    if !policy.managed {
        return Err(vec![PlanError::NotManaged {
            name: policy.name.clone(),
            id: policy.id.clone(),
        }]);
    }
    let mut errors = Vec::new();
    let mut plan = Plan::default();
    for t in targets {
        if !t.attached.iter().any(|p| p.id == policy.id) {
            continue;
        }
        if t.attached.len() == 1 {
            errors.push(PlanError::LastPolicy {
                target: t.id.clone(),
                policy: policy.name.clone(),
            });
        }
        plan.changes.push(Change::DetachPolicy {
            policy: policy.name.clone(),
            target: t.id.clone(),
        });
    }
    if errors.is_empty() {
        Ok(plan)
    } else {
        Err(errors)
    }
}

/// Detach the managed policy everywhere, then delete it (refused, like `plan_detach`, for a
/// policy scpctl did not create).
pub fn plan_destroy(
    policy_type: OrgPolicyType,
    policy: &ObservedPolicy,
    targets: &[ObservedTarget],
) -> Result<Plan, Vec<PlanError>> {
    let mut plan = plan_detach(policy, targets)?;
    plan.changes.push(Change::DeletePolicy {
        policy_type,
        policy: policy.name.clone(),
        policy_id: policy.id.clone(),
    });
    Ok(plan)
}

/// Whether two policy texts say the same thing: JSON equal once whitespace, key order, the
/// order of list entries, one-element lists vs scalars, `"false"` vs `false`, and the spelling
/// of `aws:SourceIp` CIDRs (bare IPv4 = /32, aggregation) are set aside.
pub fn same_policy(deployed: &str, desired: &str) -> bool {
    let parse = |s: &str| {
        serde_json::from_str::<Value>(s)
            .ok()
            .map(|v| normalize(&v, None))
    };
    match (parse(deployed), parse(desired)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

fn normalize(v: &Value, key: Option<&str>) -> Value {
    let is_source_ip = key.is_some_and(|k| k.eq_ignore_ascii_case("aws:SourceIp"));
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), normalize(v, Some(k))))
                .collect(),
        ),
        Value::Array(items) if is_source_ip => {
            let strings: Option<Vec<String>> = items
                .iter()
                .map(|i| i.as_str().map(str::to_string))
                .collect();
            match strings.and_then(|s| cidr_set(&s)) {
                Some(set) => list(set.compact_strings()),
                None => Value::Array(items.clone()),
            }
        }
        Value::String(s) if is_source_ip => match cidr_set(std::slice::from_ref(s)) {
            Some(set) => list(set.compact_strings()),
            None => v.clone(),
        },
        Value::Array(items) => {
            let mut out: Vec<Value> = items.iter().map(|i| normalize(i, None)).collect();
            out.sort_by_key(|a| a.to_string());
            if out.len() == 1 {
                out.pop().expect("one element")
            } else {
                Value::Array(out)
            }
        }
        Value::Bool(b) => Value::String(b.to_string()),
        Value::Number(n) => Value::String(n.to_string()),
        other => other.clone(),
    }
}

fn list(items: Vec<String>) -> Value {
    crate::policy::one_or_list(&items)
}

/// Policy IP values as IAM reads them (bare IPv4 = /32), aggregated; `None` if any is not one.
fn cidr_set(values: &[String]) -> Option<CidrSet> {
    let opts = CidrOptions {
        normalize_host_bits: true,
    };
    let origin = Origin::label("deployed policy");
    let mut v4 = Vec::new();
    let mut v6 = Vec::new();
    for v in values {
        match parse_cidr(v, &origin, opts).ok()? {
            IpNet::V4(n) => v4.push(n),
            IpNet::V6(n) => v6.push(n),
        }
    }
    Some(CidrSet::from_networks(v4, v6))
}

/// The CIDRs of the `NotIpAddress` (or `NotIpAddressIfExists`, with `[network]` opt-ins)
/// `aws:SourceIp` condition(s) of a policy text.
pub fn policy_cidrs(content: &str) -> Option<CidrSet> {
    let doc = PolicyDocument::from_json(content).ok()?;
    let values: Vec<String> = doc
        .statements
        .iter()
        .flat_map(|s| &s.conditions)
        .filter(|c| {
            (c.operator.eq_ignore_ascii_case("NotIpAddress")
                || c.operator.eq_ignore_ascii_case("NotIpAddressIfExists"))
                && c.key.eq_ignore_ascii_case("aws:SourceIp")
        })
        .flat_map(|c| c.values.iter().cloned())
        .collect();
    if values.is_empty() {
        return None;
    }
    cidr_set(&values)
}

/// Entries of `new` not in `old` (added) and of `old` not in `new` (removed), both aggregated,
/// spelled compactly.
pub fn cidr_diff(old: &CidrSet, new: &CidrSet) -> (Vec<String>, Vec<String>) {
    let old_entries: BTreeSet<IpNet> = old.iter().collect();
    let new_entries: BTreeSet<IpNet> = new.iter().collect();
    let spell = |a: &BTreeSet<IpNet>, b: &BTreeSet<IpNet>| {
        a.difference(b).map(compact_spelling).collect::<Vec<_>>()
    };
    (
        spell(&new_entries, &old_entries),
        spell(&old_entries, &new_entries),
    )
}

#[cfg(test)]
mod tests;
