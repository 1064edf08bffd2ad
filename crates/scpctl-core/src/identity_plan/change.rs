//! The changes of an identity plan: what each does, in words (`Display`) and for scripts
//! (`to_json`, whose `action` is the IAM operation in snake case).

use std::fmt;

use serde::{Serialize, Serializer};
use serde_json::{json, Value};

use super::{Entity, MAX_POLICY_VERSIONS};
use crate::plan::{MANAGED_TAG_KEY, MANAGED_TAG_VALUE};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityChange {
    CreatePolicy {
        policy: String,
        chars: usize,
        cidrs: usize,
    },
    /// Deleted before a new version when IAM's 5 are there (`to_make_room`), or every
    /// non-default version before the policy itself (IAM's DeletePolicy needs them gone).
    DeletePolicyVersion {
        policy: String,
        version: String,
        to_make_room: bool,
    },
    CreatePolicyVersion {
        policy: String,
        cidrs_added: Vec<String>,
        cidrs_removed: Vec<String>,
    },
    Attach {
        policy: String,
        entity: Entity,
    },
    PutInline {
        policy: String,
        entity: Entity,
        chars: usize,
        replaces: bool,
    },
    Detach {
        policy: String,
        entity: Entity,
    },
    DeleteInline {
        policy: String,
        entity: Entity,
    },
    DeletePolicy {
        policy: String,
    },
}

impl IdentityChange {
    /// The IAM operation, in snake case: `create_policy`, `attach_user_policy`, ...
    pub fn action(&self) -> String {
        match self {
            IdentityChange::CreatePolicy { .. } => "create_policy".into(),
            IdentityChange::DeletePolicyVersion { .. } => "delete_policy_version".into(),
            IdentityChange::CreatePolicyVersion { .. } => "create_policy_version".into(),
            IdentityChange::Attach { entity, .. } => {
                format!("attach_{}_policy", entity.kind.as_str())
            }
            IdentityChange::PutInline { entity, .. } => {
                format!("put_{}_policy", entity.kind.as_str())
            }
            IdentityChange::Detach { entity, .. } => {
                format!("detach_{}_policy", entity.kind.as_str())
            }
            IdentityChange::DeleteInline { entity, .. } => {
                format!("delete_{}_policy", entity.kind.as_str())
            }
            IdentityChange::DeletePolicy { .. } => "delete_policy".into(),
        }
    }

    pub fn to_json(&self) -> Value {
        let mut v = json!({"action": self.action()});
        let mut set = |k: &str, x: Value| v[k] = x;
        match self {
            IdentityChange::CreatePolicy {
                policy,
                chars,
                cidrs,
            } => {
                set("policy", json!(policy));
                set("chars", json!(chars));
                set("cidrs", json!(cidrs));
            }
            IdentityChange::DeletePolicyVersion {
                policy,
                version,
                to_make_room,
            } => {
                set("policy", json!(policy));
                set("version", json!(version));
                set("to_make_room", json!(to_make_room));
            }
            IdentityChange::CreatePolicyVersion {
                policy,
                cidrs_added,
                cidrs_removed,
            } => {
                set("policy", json!(policy));
                set("cidrs_added", json!(cidrs_added));
                set("cidrs_removed", json!(cidrs_removed));
            }
            IdentityChange::Attach { policy, entity }
            | IdentityChange::Detach { policy, entity }
            | IdentityChange::DeleteInline { policy, entity } => {
                set("policy", json!(policy));
                set(entity.kind.as_str(), json!(entity.name));
            }
            IdentityChange::PutInline {
                policy,
                entity,
                chars,
                replaces,
            } => {
                set("policy", json!(policy));
                set(entity.kind.as_str(), json!(entity.name));
                set("chars", json!(chars));
                set("replaces", json!(replaces));
            }
            IdentityChange::DeletePolicy { policy } => set("policy", json!(policy)),
        }
        v
    }
}

impl Serialize for IdentityChange {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}

impl fmt::Display for IdentityChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdentityChange::CreatePolicy { policy, chars, cidrs } => write!(
                f,
                "create managed policy {policy} ({chars} characters, {cidrs} CIDRs), tagged {MANAGED_TAG_KEY}={MANAGED_TAG_VALUE}"
            ),
            IdentityChange::DeletePolicyVersion {
                policy,
                version,
                to_make_room: true,
            } => write!(
                f,
                "delete version {version} of {policy} (the oldest non-default; IAM keeps {MAX_POLICY_VERSIONS})"
            ),
            IdentityChange::DeletePolicyVersion {
                policy,
                version,
                to_make_room: false,
            } => write!(
                f,
                "delete version {version} of {policy} (IAM deletes a policy only once its other versions are gone)"
            ),
            IdentityChange::CreatePolicyVersion {
                policy,
                cidrs_added,
                cidrs_removed,
            } => {
                write!(f, "new default version of {policy}")?;
                for c in cidrs_added {
                    write!(f, "\n      + {c}")?;
                }
                for c in cidrs_removed {
                    write!(f, "\n      - {c}")?;
                }
                if cidrs_added.is_empty() && cidrs_removed.is_empty() {
                    write!(f, " (same CIDRs; the statement differs from the render)")?;
                }
                Ok(())
            }
            IdentityChange::Attach { policy, entity } => write!(f, "attach {policy} to {entity}"),
            IdentityChange::PutInline {
                policy,
                entity,
                chars,
                replaces,
            } => {
                let verb = if *replaces { "update" } else { "put" };
                write!(f, "{verb} inline policy {policy} on {entity} ({chars} characters)")
            }
            IdentityChange::Detach { policy, entity } => write!(f, "detach {policy} from {entity}"),
            IdentityChange::DeleteInline { policy, entity } => {
                write!(f, "delete inline policy {policy} from {entity}")
            }
            IdentityChange::DeletePolicy { policy } => {
                write!(f, "delete managed policy {policy}")
            }
        }
    }
}
