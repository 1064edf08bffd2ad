//! `plan|apply --kind identity`: before a new default version of the fallback is written, IAM
//! Access Analyzer's CheckNoNewAccess compares it with the version in force (the existing default
//! version as the reference, the new document, both as `IDENTITY_POLICY`). A CIDR added lets more
//! requests through and comes back as FAIL with AWS's reasons. The check informs; it never stops
//! the plan: any error, AccessDenied included, is a warning naming the permission.
//! `--no-access-check` skips it (each check is charged by AWS).

use scpctl_core::identity_plan::{IdentityChange, IdentityPlan};
use scpctl_core::printable::printable;
use serde_json::{json, Value};

use crate::aws::access_analyzer::{AccessAnalyzer, Verdict, CHECK_PERMISSION};

/// What the check said for one account.
#[derive(Debug, Clone)]
pub enum Outcome {
    Verdict(Verdict),
    /// The call failed (not AccessDenied, which is a verdict): a warning.
    Failed(String),
    /// `--no-access-check`.
    Skipped,
}

/// The check of one account's new version.
#[derive(Debug, Clone)]
pub struct AccessCheck {
    pub account: String,
    pub policy: String,
    pub outcome: Outcome,
}

/// The policy a plan writes a new version of, if it does.
fn new_version(plan: &IdentityPlan) -> Option<&str> {
    plan.changes.iter().find_map(|c| match c {
        IdentityChange::CreatePolicyVersion { policy, .. } => Some(policy.as_str()),
        _ => None,
    })
}

/// Ask CheckNoNewAccess for every account whose plan writes a new version: `existing` is the
/// account's default version in force, `new` the rendered document. Nothing is asked when no plan
/// writes a new version; with `skip`, each such account is reported as skipped.
pub async fn check(
    analyzer: &AccessAnalyzer,
    plans: &[(&str, &IdentityPlan, Option<&str>)],
    new: &str,
    skip: bool,
) -> Vec<AccessCheck> {
    let mut out = Vec::new();
    for (account, plan, existing) in plans {
        let (Some(policy), Some(existing)) = (new_version(plan), existing) else {
            continue;
        };
        let outcome = if skip {
            Outcome::Skipped
        } else {
            match analyzer.check_no_new_access(existing, new).await {
                Ok(v) => Outcome::Verdict(v),
                Err(e) => Outcome::Failed(format!("{e:#}")),
            }
        };
        out.push(AccessCheck {
            account: account.to_string(),
            policy: policy.to_string(),
            outcome,
        });
    }
    out
}

impl AccessCheck {
    /// `PASS`, `FAIL`, `WARNING` (the check could not be made) or `SKIPPED`.
    pub fn result(&self) -> &'static str {
        match &self.outcome {
            Outcome::Verdict(Verdict::Pass { .. }) => "PASS",
            Outcome::Verdict(Verdict::Fail { .. }) => "FAIL",
            Outcome::Verdict(Verdict::Denied { .. }) | Outcome::Failed(_) => "WARNING",
            Outcome::Skipped => "SKIPPED",
        }
    }

    /// The warning to print on stderr, when the check could not be made.
    pub fn warning(&self) -> Option<String> {
        let why = match &self.outcome {
            Outcome::Verdict(Verdict::Denied { message }) | Outcome::Failed(message) => message,
            _ => return None,
        };
        let permission = if why.contains(CHECK_PERMISSION) {
            String::new()
        } else {
            format!(" (the check needs {CHECK_PERMISSION})")
        };
        Some(format!(
            "account {}: the access check of the new version of {} was not made{permission}; the plan goes on without it: {}",
            self.account,
            self.policy,
            printable(why)
        ))
    }

    /// Text lines for the plan (without the warning, printed on stderr).
    pub fn lines(&self) -> Vec<String> {
        let head = format!(
            "access check (IAM Access Analyzer CheckNoNewAccess), account {}, new version of {}: {}",
            self.account,
            self.policy,
            self.result()
        );
        let mut out = vec![head];
        match &self.outcome {
            Outcome::Verdict(Verdict::Pass { message }) => {
                if !message.is_empty() {
                    out.push(format!("    {}", printable(message)));
                }
                out.push("    the new version allows nothing the version in force does not".into());
            }
            Outcome::Verdict(Verdict::Fail { message, reasons }) => {
                if !message.is_empty() {
                    out.push(format!("    {}", printable(message)));
                }
                for r in reasons {
                    let at = match (&r.statement_id, r.statement_index) {
                        (Some(id), _) => format!(" (statement {})", printable(id)),
                        (None, Some(i)) => format!(" (statement index {i})"),
                        (None, None) => String::new(),
                    };
                    out.push(format!("    - {}{at}", printable(&r.description)));
                }
            }
            Outcome::Verdict(Verdict::Denied { .. }) | Outcome::Failed(_) => {
                out.push("    not checked: see the warning".into());
            }
            Outcome::Skipped => out.push("    skipped (--no-access-check)".into()),
        }
        out
    }

    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "account": self.account,
            "policy": self.policy,
            "result": self.result(),
        });
        match &self.outcome {
            Outcome::Verdict(Verdict::Pass { message }) => v["message"] = json!(message),
            Outcome::Verdict(Verdict::Fail { message, reasons }) => {
                v["message"] = json!(message);
                v["reasons"] = reasons
                    .iter()
                    .map(|r| {
                        json!({
                            "description": r.description,
                            "statement_id": r.statement_id,
                            "statement_index": r.statement_index,
                        })
                    })
                    .collect();
            }
            Outcome::Verdict(Verdict::Denied { message }) | Outcome::Failed(message) => {
                v["warning"] = json!(message);
                v["permission"] = json!(CHECK_PERMISSION);
            }
            Outcome::Skipped => {}
        }
        v
    }
}
