//! `denials`: what was actually refused, and by which policy. Pure: the command layer reads
//! trail files or S3 objects with [`crate::impact::read_records`], replays each record through
//! the rendered policy with [`crate::impact::Replayer::replay`] (the prediction), and hands
//! both to [`Attributor::observe`]; the observations go into a [`tally::DenialTally`] (per
//! account and principal, per statement, per day), whose value the text, JSON, JSONL and HTML
//! printers show, and whose [`tally::DenialTally::unexpected`] feeds `rollout next`'s gate.
//!
//! The message forms (IAM User Guide, "Troubleshooting access denied error messages"; AWS
//! Security Blog, "Enhanced access denied error messages with policy ARNs", January 2026):
//! `... with an explicit deny in a service control policy: arn:aws:organizations::MGMT:policy/
//! o-.../service_control_policy/p-...` (the ARN only for same-account or same-organization
//! requests, service by service), the phrase alone (older messages, EC2's `... in a service
//! control policy. Encoded authorization failure message: ...`), `because no <type> policy
//! allows ...` for an implicit deny, and a bare `Access Denied` (S3 among others). Several
//! policies of one type are not counted, and of several types one is named: a message naming
//! another policy does not prove scpctl's would not have denied too.

use serde::Serialize;

use crate::impact::record::Record;
use crate::impact::replay::Outcome;

/// Error codes CloudTrail records for a call refused by authorization: `AccessDenied` (S3, IAM,
/// STS, Organizations), `AccessDeniedException` (JSON-protocol services), EC2's
/// `Client.UnauthorizedOperation`/`UnauthorizedOperation`, SNS's `AuthorizationError`. Any
/// other code whose message carries an access-denied phrase counts too.
pub const REFUSAL_CODES: [&str; 7] = [
    "AccessDenied",
    "AccessDeniedException",
    "Client.UnauthorizedOperation",
    "UnauthorizedOperation",
    "Client.AccessDenied",
    "AuthorizationError",
    "AuthorizationErrorException",
];

/// The policy type a message names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyType {
    ServiceControl,
    ResourceControl,
    IdentityBased,
    PermissionsBoundary,
    Session,
    ResourceBased,
    VpcEndpoint,
}

impl PolicyType {
    /// The words AWS writes between "in a(n)" / "no" and "policy".
    const PHRASES: [(&'static str, PolicyType); 7] = [
        ("service control policy", PolicyType::ServiceControl),
        ("resource control policy", PolicyType::ResourceControl),
        ("identity-based policy", PolicyType::IdentityBased),
        ("permissions boundary", PolicyType::PermissionsBoundary),
        ("session policy", PolicyType::Session),
        ("resource-based policy", PolicyType::ResourceBased),
        ("VPC endpoint policy", PolicyType::VpcEndpoint),
    ];

    pub fn phrase(self) -> &'static str {
        Self::PHRASES
            .iter()
            .find(|(_, t)| *t == self)
            .map_or("policy", |(p, _)| p)
    }
}

/// Explicit (`with an explicit deny in`) or implicit (`because no ... allows`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DenyForm {
    Explicit,
    Implicit,
}

/// What an access-denied message says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DenialMessage {
    pub form: DenyForm,
    pub policy_type: PolicyType,
    /// The denying policy's ARN, when the message carries one.
    pub policy_arn: Option<String>,
}

impl DenialMessage {
    /// The Organizations policy id (`p-...`) at the end of an SCP or RCP ARN.
    pub fn policy_id(&self) -> Option<&str> {
        let arn = self.policy_arn.as_deref()?;
        arn.starts_with("arn:")
            .then(|| arn.rsplit('/').next())
            .flatten()
            .filter(|id| id.starts_with("p-"))
    }
}

/// Read the policy type, form and ARN from a message; `None` when it names no policy type.
pub fn parse_message(message: &str) -> Option<DenialMessage> {
    const EXPLICIT: &str = "with an explicit deny in ";
    const IMPLICIT: &str = "because no ";
    let (form, rest) = if let Some(i) = message.find(EXPLICIT) {
        let rest = &message[i + EXPLICIT.len()..];
        let rest = rest
            .strip_prefix("an ")
            .or_else(|| rest.strip_prefix("a "))
            .or_else(|| rest.strip_prefix("the "))
            .unwrap_or(rest);
        (DenyForm::Explicit, rest)
    } else if let Some(i) = message.find(IMPLICIT) {
        (DenyForm::Implicit, &message[i + IMPLICIT.len()..])
    } else {
        return None;
    };
    let (phrase, policy_type) = PolicyType::PHRASES
        .iter()
        .find(|(p, _)| rest.starts_with(p))?;
    let after = &rest[phrase.len()..];
    let policy_arn = match (form, after.strip_prefix(": ")) {
        (DenyForm::Explicit, Some(tail)) if tail.starts_with("arn:") => {
            let end = tail
                .find(|c: char| c.is_whitespace() || c == ',' || c == ';')
                .unwrap_or(tail.len());
            Some(tail[..end].trim_end_matches('.').to_string())
        }
        _ => None,
    };
    Some(DenialMessage {
        form,
        policy_type: *policy_type,
        policy_arn,
    })
}

/// Whether a record is a refusal, and what its message says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The call went through (or failed for a reason other than authorization).
    None,
    /// Refused; the message parsed when it names a policy type.
    Refused {
        code: String,
        message: Option<DenialMessage>,
    },
}

/// Classify a record. A `ConsoleLogin` failure is a refusal only when its message names a
/// policy type: "Failed authentication" is a wrong password or MFA code, not a policy.
pub fn refusal(record: &Record<'_>) -> Refusal {
    let message = record.error_message.as_deref().unwrap_or_default();
    let parsed = parse_message(message);
    if record.event_name.as_deref() == Some("ConsoleLogin") {
        let failed = record.console_login.as_deref() == Some("Failure");
        return match (failed, parsed) {
            (true, Some(m)) => Refusal::Refused {
                code: "ConsoleLogin Failure".into(),
                message: Some(m),
            },
            _ => Refusal::None,
        };
    }
    match record.error_code.as_deref() {
        Some(code) if REFUSAL_CODES.contains(&code) || parsed.is_some() => Refusal::Refused {
            code: code.to_string(),
            message: parsed,
        },
        _ => Refusal::None,
    }
}

/// Who refused a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Attribution {
    /// scpctl's policy: named by its ARN, or an SCP phrase without ARN that the replay through
    /// the rendered policy denies too (`by_arn` says which).
    Ours { by_arn: bool },
    /// Another SCP or RCP named by its ARN.
    OtherPolicy {
        policy_type: PolicyType,
        policy_arn: String,
    },
    /// "explicit deny in a service control policy" without ARN, which the replay does not deny.
    OtherScp,
    /// Another policy type (identity, boundary, session, resource, endpoint; implicit denies).
    OtherType {
        policy_type: PolicyType,
        form: DenyForm,
        policy_arn: Option<String>,
    },
    /// No policy type in the message ("Access Denied"): `ours_would_deny` is the replay's
    /// verdict (`None` when it cannot decide).
    Unattributed { ours_would_deny: Option<bool> },
}

/// One record, seen by `denials`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Observation {
    pub event_id: Option<String>,
    pub event_time: Option<String>,
    pub account: String,
    pub principal: String,
    pub action: Option<String>,
    pub source_ip: Option<String>,
    /// `None`: the call was not refused.
    pub refused: Option<Attribution>,
    pub error_code: Option<String>,
    /// The replay's verdict on scpctl's policy: `None` when it cannot decide (or skips).
    pub predicted: Option<bool>,
    /// The Sid of scpctl's statement the replay says denies the call, when it predicts a deny.
    pub statement: Option<String>,
}

/// Attributes records to scpctl's policy or others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attributor {
    /// scpctl's policy id (`p-...`): found by name and `ManagedBy=scpctl`, or `--policy-id`.
    pub policy_id: String,
    /// Records before this `eventTime` never count (`YYYY-MM-DDTHH:MM:SSZ`): the stage start
    /// for `rollout next`, `--since` for `denials`.
    pub since: Option<String>,
    pub until: Option<String>,
}

impl Attributor {
    /// `None` when the record is outside the time window (or has no time while one is set).
    pub fn observe(&self, record: &Record<'_>, outcome: &Outcome<'_>) -> Option<Observation> {
        let time = record.event_time.as_deref();
        if self.since.is_some() || self.until.is_some() {
            let t = time?;
            if self.since.as_deref().is_some_and(|s| t < s)
                || self.until.as_deref().is_some_and(|u| t > u)
            {
                return None;
            }
        }
        let (predicted, statement) = match outcome {
            Outcome::Decided { denied_by, .. } => (
                Some(denied_by.is_some()),
                denied_by.as_deref().map(str::to_string),
            ),
            _ => (None, None),
        };
        let (account, principal) = match outcome {
            Outcome::Decided { request, .. } => (
                request.account.to_string(),
                request.principal_arn.to_string(),
            ),
            Outcome::Apart {
                principal: Some((a, p)),
                ..
            } => (a.to_string(), p.to_string()),
            _ => {
                let id = record.user_identity.as_ref();
                (
                    id.and_then(|i| i.account_id.as_deref())
                        .unwrap_or("unknown")
                        .to_string(),
                    id.and_then(|i| i.arn.as_deref())
                        .unwrap_or("unknown")
                        .to_string(),
                )
            }
        };
        let (refused, error_code) = match refusal(record) {
            Refusal::None => (None, None),
            Refusal::Refused { code, message } => {
                (Some(self.attribute(message, predicted)), Some(code))
            }
        };
        let action = match (
            outcome,
            record.event_source.as_deref(),
            record.event_name.as_deref(),
        ) {
            (Outcome::Decided { request, .. }, _, _) => Some(request.action.clone()),
            (_, Some(s), Some(n)) => Some(format!("{}:{n}", s.trim_end_matches(".amazonaws.com"))),
            _ => None,
        };
        Some(Observation {
            event_id: record.event_id.as_deref().map(str::to_string),
            event_time: time.map(str::to_string),
            account,
            principal,
            action,
            source_ip: record.source_ip_address.as_deref().map(str::to_string),
            refused,
            error_code,
            predicted,
            statement,
        })
    }

    fn attribute(&self, message: Option<DenialMessage>, predicted: Option<bool>) -> Attribution {
        let Some(m) = message else {
            return Attribution::Unattributed {
                ours_would_deny: predicted,
            };
        };
        match (m.form, m.policy_type, m.policy_id()) {
            (DenyForm::Explicit, PolicyType::ServiceControl, Some(id)) if id == self.policy_id => {
                Attribution::Ours { by_arn: true }
            }
            (
                DenyForm::Explicit,
                t @ (PolicyType::ServiceControl | PolicyType::ResourceControl),
                Some(_),
            ) => Attribution::OtherPolicy {
                policy_type: t,
                policy_arn: m.policy_arn.unwrap_or_default(),
            },
            (DenyForm::Explicit, PolicyType::ServiceControl, None) if predicted == Some(true) => {
                Attribution::Ours { by_arn: false }
            }
            (DenyForm::Explicit, PolicyType::ServiceControl, None) => Attribution::OtherScp,
            (form, policy_type, _) => Attribution::OtherType {
                policy_type,
                form,
                policy_arn: m.policy_arn,
            },
        }
    }
}

pub mod tally;

#[cfg(test)]
mod tests;
