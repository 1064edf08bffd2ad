//! The identity-based fallback `EnterpriseNetworkRestriction` on IAM users, groups and roles:
//! (desired, observed IAM state of one account) -> the changes that converge them. Pure: the
//! edge (`src/aws/iam_policies.rs`) reads IAM into [`IdentityObserved`] and executes. Every
//! refusal is known here, before any write, and all of them are reported at once.
//!
//! Rules (IAM User Guide; see `iam_doc` for the quotas and document encoding):
//! - One customer managed policy tagged `ManagedBy=scpctl`; a content change is a new default
//!   version, and with 5 versions the oldest non-default one is deleted first. A same-named
//!   policy without the tag is never changed.
//! - Inline copies carry [`INLINE_SID`]; an inline policy of the same name without it is
//!   never overwritten or deleted.
//! - Roles AWS protects cannot be changed: IAM Identity Center's `AWSReservedSSO_*` roles
//!   (path `/aws-reserved/sso.amazonaws.com/`) and service-linked roles (`/aws-service-role/`).
//! - Unlike an SCP, an identity policy binds the management account too, and the identity
//!   writing it: the writer's user, its groups, or its role are refused unless its address is
//!   inside the CIDRs or the lock-out is explicitly accepted, whether this run attaches the
//!   policy to them or a new version changes it where it is already attached.

use std::fmt;
use std::net::IpAddr;

use crate::iam_doc::{foreign_statements, iam_size, inline_document, written_by_scpctl};
mod change;
mod removal;

pub use crate::iam_doc::{Quotas, INLINE_SID, MAX_POLICY_VERSIONS};
use crate::plan::{cidr_diff, policy_cidrs, same_policy, MANAGED_TAG_KEY, MANAGED_TAG_VALUE};
pub use change::IdentityChange;
pub use removal::{plan_identity_destroy, plan_identity_detach};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EntityKind {
    User,
    Group,
    Role,
}

impl EntityKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::User => "user",
            EntityKind::Group => "group",
            EntityKind::Role => "role",
        }
    }

    fn inline_quota(self, q: &Quotas) -> usize {
        match self {
            EntityKind::User => q.user_inline,
            EntityKind::Group => q.group_inline,
            EntityKind::Role => q.role_inline,
        }
    }

    fn attached_quota(self, q: &Quotas) -> usize {
        match self {
            EntityKind::User => q.user_attached,
            EntityKind::Group => q.group_attached,
            EntityKind::Role => q.role_attached,
        }
    }
}

/// An IAM user, group or role by name. IAM names are unique ignoring case.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Entity {
    pub kind: EntityKind,
    pub name: String,
}

impl Entity {
    pub fn new(kind: EntityKind, name: impl Into<String>) -> Entity {
        Entity {
            kind,
            name: name.into(),
        }
    }

    pub fn is(&self, other: &Entity) -> bool {
        self.kind == other.kind && self.name.eq_ignore_ascii_case(&other.name)
    }
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind.as_str(), self.name)
    }
}

/// A requested user, group or role as read from IAM.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObservedEntity {
    pub entity: Option<Entity>,
    pub exists: bool,
    /// The role's path (service-linked roles live under `/aws-service-role/`).
    pub path: String,
    /// ARNs of the managed policies attached to it.
    pub attached: Vec<String>,
    /// Its inline policies: name and decoded document (read with `--inline` only).
    pub inline: Vec<(String, String)>,
    /// Service principals its trust policy allows (roles).
    pub service_principals: Vec<String>,
}

impl ObservedEntity {
    pub fn new(entity: Entity) -> ObservedEntity {
        ObservedEntity {
            entity: Some(entity),
            exists: true,
            path: "/".into(),
            ..ObservedEntity::default()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyVersion {
    pub id: String,
    pub is_default: bool,
    /// Creation time, RFC 3339 (sorts as text).
    pub created: String,
}

/// The managed policy of this name, as found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedManaged {
    pub arn: String,
    /// Carries `ManagedBy=scpctl`.
    pub managed: bool,
    /// The default version's document, decoded.
    pub document: String,
    pub versions: Vec<PolicyVersion>,
    /// Where it is attached (ListEntitiesForPolicy).
    pub attached_to: Vec<Entity>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityObserved {
    pub account: String,
    pub policy: Option<ObservedManaged>,
    /// The requested entities the policy is not attached to yet (all of them with `--inline`).
    pub entities: Vec<ObservedEntity>,
    pub quotas: Quotas,
}

/// The identity making the writes in this account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Writer {
    /// An IAM user, with the groups it belongs to.
    User { name: String, groups: Vec<String> },
    /// A role session: the role (with `--account`, the assumed `--role-name`).
    Role { name: String },
    /// The root user or a federated user: no attachment reaches it.
    Other,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IdentityDesired {
    pub name: String,
    pub description: String,
    /// The rendered document (compact); inline copies are derived from it.
    pub document: String,
    pub targets: Vec<Entity>,
    pub inline: bool,
    pub writer: Writer,
    pub my_ip: Option<IpAddr>,
    pub allow_self_lockout: bool,
}

/// Why a plan was refused: each names the entity or policy, the rule, and what would help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityPlanError {
    #[error("a managed policy {arn} already exists but was not created by scpctl (no tag {MANAGED_TAG_KEY}={MANAGED_TAG_VALUE}); scpctl never changes a policy it does not manage. Rename [identity] name in the config, or tag that policy {MANAGED_TAG_KEY}={MANAGED_TAG_VALUE} to let scpctl manage it")]
    NotManaged { arn: String },
    #[error("{entity} not found in account {account}")]
    Missing { entity: Entity, account: String },
    #[error("{entity} is {why}; AWS does not let it be changed. {guidance}")]
    Protected {
        entity: Entity,
        why: &'static str,
        guidance: &'static str,
    },
    #[error("{entity} already has an inline policy {policy} that scpctl did not write (no statement {INLINE_SID}); scpctl never overwrites it. Rename [identity] name, or remove that inline policy yourself")]
    InlineNotOurs { entity: Entity, policy: String },
    #[error("{entity} has an inline policy {policy} that scpctl wrote, but it now also holds {} (added by someone else); replacing it would lose them, so scpctl leaves it alone. Move those statements to another policy, then rerun", foreign.join(", "))]
    InlineMixed {
        entity: Entity,
        policy: String,
        foreign: Vec<String>,
    },
    #[error("{what} is {chars} characters (IAM does not count white space) but {room}. {holds}")]
    TooLarge {
        what: String,
        chars: usize,
        room: String,
        holds: String,
    },
    #[error("{entity} already has {count} managed policies attached; account {account} allows {limit} per {kind} (GetAccountSummary), so {policy} cannot be attached. Detach one, ask AWS for a higher quota, or use --inline")]
    AttachQuota {
        entity: Entity,
        count: usize,
        limit: usize,
        account: String,
        kind: &'static str,
        policy: String,
    },
    #[error("refusing to lock you out: {why}. Pass --my-ip with your public address when it is inside the CIDRs (and you do not come through a VPC endpoint, where aws:SourceIp is absent), target other principals, or pass --allow-self-lockout")]
    SelfLockout { why: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IdentityPlan {
    pub changes: Vec<IdentityChange>,
    pub warnings: Vec<String>,
}

fn protected(e: &ObservedEntity, entity: &Entity) -> Option<IdentityPlanError> {
    if entity.kind != EntityKind::Role {
        return None;
    }
    let (why, guidance) = if entity.name.starts_with("AWSReservedSSO_")
        || e.path.starts_with("/aws-reserved/sso.amazonaws.com/")
    {
        (
            "an IAM Identity Center role",
            "Put the policy in the permission set instead (IAM Identity Center, permission set, inline policy or customer managed policy reference)",
        )
    } else if e.path.starts_with("/aws-service-role/") {
        (
            "a service-linked role",
            "Service-linked roles belong to the AWS service that created them; they call from AWS's addresses and cannot take this policy",
        )
    } else {
        return None;
    };
    Some(IdentityPlanError::Protected {
        entity: entity.clone(),
        why,
        guidance,
    })
}

/// Whether attaching to `entity` binds the writer, and then the refusal or the warning.
fn lockout(desired: &IdentityDesired, entity: &Entity, account: &str) -> Option<String> {
    let reaches = match &desired.writer {
        Writer::User { name, groups } => match entity.kind {
            EntityKind::User => entity.name.eq_ignore_ascii_case(name),
            EntityKind::Group => groups.iter().any(|g| g.eq_ignore_ascii_case(&entity.name)),
            EntityKind::Role => false,
        },
        Writer::Role { name } => {
            entity.kind == EntityKind::Role && entity.name.eq_ignore_ascii_case(name)
        }
        Writer::Other => false,
    };
    if !reaches {
        return None;
    }
    let who = match &desired.writer {
        Writer::User { name, .. } if entity.kind == EntityKind::Group => {
            format!("{entity} in account {account} holds user {name}, who is making these changes")
        }
        _ => format!("{entity} in account {account} is the identity making these changes"),
    };
    let inside = desired
        .my_ip
        .and_then(|ip| policy_cidrs(&desired.document).map(|set| set.contains(ip)));
    match (desired.my_ip, inside) {
        (Some(_), Some(true)) => None,
        (Some(ip), _) => Some(format!("{who}, and your address {ip} is outside the CIDRs: the policy would deny you")),
        (None, _) => Some(format!("{who}: the policy would deny it outside the CIDRs and your address was not given (--my-ip)")),
    }
}

fn too_large_for(
    entity: &Entity,
    chars: usize,
    existing: usize,
    quotas: &Quotas,
) -> Option<IdentityPlanError> {
    let inline_limit = entity.kind.inline_quota(quotas);
    let fits_inline = existing + chars <= inline_limit;
    let fits_managed = chars <= quotas.policy_size;
    let holds = if fits_managed {
        format!(
            "A managed policy ({} characters) holds it: run without --inline.",
            quotas.policy_size
        )
    } else if fits_inline {
        format!(
            "An inline policy on this {} holds it: use --inline.",
            entity.kind.as_str()
        )
    } else if chars <= quotas.role_inline {
        format!("Only an inline policy on a role ({} characters) would hold it: attach it to roles with --inline, or shorten the CIDR list.", quotas.role_inline)
    } else {
        "No form of IAM policy holds it: shorten the CIDR list (replace scattered addresses with the prefixes your networks own).".into()
    };
    (!fits_inline).then(|| IdentityPlanError::TooLarge {
            what: format!("the inline policy for {entity}"),
            chars,
            room: format!(
                "the inline policies of a {} may total {inline_limit} characters and it already holds {existing}",
                entity.kind.as_str()
            ),
        holds,
    })
}

/// The changes that attach (or embed) the policy in every target of one account.
pub fn plan_identity_apply(
    desired: &IdentityDesired,
    observed: &IdentityObserved,
) -> Result<IdentityPlan, Vec<IdentityPlanError>> {
    let mut errors = Vec::new();
    let mut plan = IdentityPlan::default();
    let q = &observed.quotas;
    let policy = &desired.name;
    let chars = iam_size(&desired.document);
    let cidrs = policy_cidrs(&desired.document);

    if !desired.inline {
        match &observed.policy {
            Some(p) if !p.managed => errors.push(IdentityPlanError::NotManaged { arn: p.arn.clone() }),
            _ if chars > q.policy_size => errors.push(IdentityPlanError::TooLarge {
                what: format!("managed policy {policy}"),
                chars,
                room: format!("account {} allows {} (PolicySizeQuota)", observed.account, q.policy_size),
                holds: if chars <= q.role_inline {
                    format!("An inline policy on a role ({} characters) holds it: attach it to roles with --inline, or shorten the CIDR list.", q.role_inline)
                } else {
                    "No form of IAM policy holds it: shorten the CIDR list.".into()
                },
            }),
            None => plan.changes.push(IdentityChange::CreatePolicy {
                policy: policy.clone(),
                chars,
                cidrs: cidrs.as_ref().map_or(0, |s| s.len()),
            }),
            Some(p) if !same_policy(&p.document, &desired.document) => {
                if p.versions.len() >= MAX_POLICY_VERSIONS {
                    let oldest = p
                        .versions
                        .iter()
                        .filter(|v| !v.is_default)
                        .min_by_key(|v| (v.created.clone(), version_number(&v.id)));
                    if let Some(v) = oldest {
                        plan.changes.push(IdentityChange::DeletePolicyVersion {
                            policy: policy.clone(),
                            version: v.id.clone(),
                            to_make_room: true,
                        });
                    }
                }
                let (added, removed) = match (policy_cidrs(&p.document), &cidrs) {
                    (Some(old), Some(new)) => cidr_diff(&old, new),
                    _ => (vec![], vec![]),
                };
                plan.changes.push(IdentityChange::CreatePolicyVersion {
                    policy: policy.clone(),
                    cidrs_added: added,
                    cidrs_removed: removed,
                });
            }
            Some(_) => {}
        }
    }
    let inline_doc = inline_document(&desired.document).unwrap_or_else(|| desired.document.clone());
    let inline_chars = iam_size(&inline_doc);
    let attached_to = observed
        .policy
        .as_ref()
        .map(|p| p.attached_to.as_slice())
        .unwrap_or_default();
    // A new default version binds every entity the policy is already attached to, targets of
    // this run or not: the writer among them is checked against the new content. (Inline
    // copies are only rewritten on targets, each checked below.)
    let new_version = plan
        .changes
        .iter()
        .any(|c| matches!(c, IdentityChange::CreatePolicyVersion { .. }));
    if new_version {
        for holder in attached_to {
            if let Some(why) = lockout(desired, holder, &observed.account) {
                let why = format!(
                    "{why} ({holder} already has {policy} attached, and the new version applies to it)"
                );
                if desired.allow_self_lockout {
                    plan.warnings
                        .push(format!("{why}; going ahead (--allow-self-lockout)"));
                } else {
                    errors.push(IdentityPlanError::SelfLockout { why });
                }
            }
        }
    }

    for target in &desired.targets {
        if !desired.inline && attached_to.iter().any(|a| a.is(target)) {
            continue;
        }
        let found = observed
            .entities
            .iter()
            .find(|e| e.entity.as_ref().is_some_and(|x| x.is(target)));
        let Some(e) = found.filter(|e| e.exists) else {
            errors.push(IdentityPlanError::Missing {
                entity: target.clone(),
                account: observed.account.clone(),
            });
            continue;
        };
        if let Some(err) = protected(e, target) {
            errors.push(err);
            continue;
        }
        let change = if desired.inline {
            let ours = e
                .inline
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(policy));
            match ours {
                Some((_, doc)) if !written_by_scpctl(doc) => {
                    errors.push(IdentityPlanError::InlineNotOurs {
                        entity: target.clone(),
                        policy: policy.clone(),
                    });
                    continue;
                }
                Some((_, doc)) if !foreign_statements(doc).is_empty() => {
                    errors.push(IdentityPlanError::InlineMixed {
                        entity: target.clone(),
                        policy: policy.clone(),
                        foreign: foreign_statements(doc),
                    });
                    continue;
                }
                Some((_, doc)) if same_policy(doc, &inline_doc) => continue,
                _ => {}
            }
            let existing: usize = e
                .inline
                .iter()
                .filter(|(n, _)| !n.eq_ignore_ascii_case(policy))
                .map(|(_, d)| iam_size(d))
                .sum();
            if let Some(err) = too_large_for(target, inline_chars, existing, q) {
                errors.push(err);
                continue;
            }
            if let Some(p) = &observed.policy {
                if e.attached.contains(&p.arn) {
                    plan.warnings.push(format!("{target} also has the managed policy {policy} attached; `scpctl detach --kind identity --{} {}` removes it", target.kind.as_str(), target.name));
                }
            }
            IdentityChange::PutInline {
                policy: policy.clone(),
                entity: target.clone(),
                chars: inline_chars,
                replaces: ours.is_some(),
            }
        } else {
            let limit = target.kind.attached_quota(q);
            let already = observed
                .policy
                .as_ref()
                .is_some_and(|p| e.attached.contains(&p.arn));
            if already {
                continue;
            }
            if e.attached.len() >= limit {
                errors.push(IdentityPlanError::AttachQuota {
                    entity: target.clone(),
                    count: e.attached.len(),
                    limit,
                    account: observed.account.clone(),
                    kind: target.kind.as_str(),
                    policy: policy.clone(),
                });
                continue;
            }
            IdentityChange::Attach {
                policy: policy.clone(),
                entity: target.clone(),
            }
        };
        if let Some(why) = lockout(desired, target, &observed.account) {
            if desired.allow_self_lockout {
                plan.warnings
                    .push(format!("{why}; going ahead (--allow-self-lockout)"));
            } else {
                errors.push(IdentityPlanError::SelfLockout { why });
                continue;
            }
        }
        if !e.service_principals.is_empty() {
            plan.warnings.push(format!(
                "{target} trusts the service principal(s) {}: calls a service makes with this role come from AWS's addresses and would be denied; the fallback is meant for roles assumed by federated identities",
                e.service_principals.join(", ")
            ));
        }
        plan.changes.push(change);
    }
    if errors.is_empty() {
        Ok(plan)
    } else {
        Err(errors)
    }
}

fn version_number(id: &str) -> u64 {
    id.trim_start_matches(['v', 'V'])
        .parse()
        .unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests;
