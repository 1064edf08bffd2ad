//! Removing the policy: detach it from some entities, or destroy it everywhere. Only what
//! scpctl wrote is removed: the managed policy it tagged, the inline copies it marked.

use super::{
    Entity, IdentityChange, IdentityPlan, IdentityPlanError, ObservedEntity, ObservedManaged,
};
use crate::iam_doc::{foreign_statements, written_by_scpctl};

/// Remove the policy from `entities`: detach the managed policy where it is attached, delete
/// the inline copies scpctl wrote; another inline policy of the name is left, with a warning.
pub fn plan_identity_detach(
    name: &str,
    policy: Option<&ObservedManaged>,
    entities: &[ObservedEntity],
    account: &str,
) -> Result<IdentityPlan, Vec<IdentityPlanError>> {
    let mut errors = Vec::new();
    let mut plan = IdentityPlan::default();
    if let Some(p) = policy.filter(|p| !p.managed) {
        errors.push(IdentityPlanError::NotManaged { arn: p.arn.clone() });
    }
    for e in entities {
        let Some(entity) = &e.entity else { continue };
        if !e.exists {
            errors.push(IdentityPlanError::Missing {
                entity: entity.clone(),
                account: account.to_string(),
            });
            continue;
        }
        let attached = policy.is_some_and(|p| {
            e.attached.contains(&p.arn) || p.attached_to.iter().any(|a| a.is(entity))
        });
        if attached {
            plan.changes.push(IdentityChange::Detach {
                policy: name.to_string(),
                entity: entity.clone(),
            });
        }
        plan.changes
            .extend(inline_removal(name, entity, &e.inline, &mut plan.warnings));
    }
    if errors.is_empty() {
        Ok(plan)
    } else {
        Err(errors)
    }
}

fn inline_removal(
    name: &str,
    entity: &Entity,
    inline: &[(String, String)],
    warnings: &mut Vec<String>,
) -> Option<IdentityChange> {
    let (_, doc) = inline.iter().find(|(n, _)| n.eq_ignore_ascii_case(name))?;
    let foreign = foreign_statements(doc);
    if written_by_scpctl(doc) && !foreign.is_empty() {
        // Deleting it would delete statements scpctl did not write.
        warnings.push(format!(
            "{entity} has an inline policy {name} that scpctl wrote, but it now also holds {} (added by someone else); left as it is: remove scpctl's statement yourself",
            foreign.join(", ")
        ));
        None
    } else if written_by_scpctl(doc) {
        Some(IdentityChange::DeleteInline {
            policy: name.to_string(),
            entity: entity.clone(),
        })
    } else {
        warnings.push(format!(
            "{entity} has an inline policy {name} that scpctl did not write; left as it is"
        ));
        None
    }
}

/// Detach the managed policy everywhere, delete its non-default versions and itself, and
/// delete the inline copies scpctl wrote (`inline`: entity and its inline policies).
pub fn plan_identity_destroy(
    name: &str,
    policy: Option<&ObservedManaged>,
    inline: &[(Entity, Vec<(String, String)>)],
) -> Result<IdentityPlan, Vec<IdentityPlanError>> {
    let mut plan = IdentityPlan::default();
    if let Some(p) = policy {
        if !p.managed {
            return Err(vec![IdentityPlanError::NotManaged { arn: p.arn.clone() }]);
        }
        for entity in &p.attached_to {
            plan.changes.push(IdentityChange::Detach {
                policy: name.to_string(),
                entity: entity.clone(),
            });
        }
        for v in p.versions.iter().filter(|v| !v.is_default) {
            plan.changes.push(IdentityChange::DeletePolicyVersion {
                policy: name.to_string(),
                version: v.id.clone(),
                to_make_room: false,
            });
        }
        plan.changes.push(IdentityChange::DeletePolicy {
            policy: name.to_string(),
        });
    }
    for (entity, policies) in inline {
        plan.changes
            .extend(inline_removal(name, entity, policies, &mut plan.warnings));
    }
    Ok(plan)
}
