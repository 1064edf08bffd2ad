//! `denials`: what was actually refused, and by which policy. Pure: the command layer reads
//! trail files or S3 objects with [`crate::impact::read_records`], replays each record through
//! the rendered policy with [`crate::impact::Replayer::replay`] (the prediction), and hands
//! both to [`Attributor::observe`]; the observations go into a [`DenialTally`], whose value the
//! text, JSON and JSONL printers show, and whose [`DenialTally::unexpected`] feeds
//! `rollout next`'s gate.
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

use std::collections::BTreeMap;

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

/// Event ids kept per principal and bucket; beyond that they are only counted.
pub const EVENTS_PER_PRINCIPAL: usize = 50;

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
        let predicted = match outcome {
            Outcome::Decided { denied_by, .. } => Some(denied_by.is_some()),
            _ => None,
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

/// Event ids, capped at [`EVENTS_PER_PRINCIPAL`] with the rest counted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Events {
    pub count: u64,
    pub event_ids: Vec<String>,
}

impl Events {
    fn add(&mut self, id: Option<&str>) {
        self.count += 1;
        if let Some(id) = id {
            if self.event_ids.len() < EVENTS_PER_PRINCIPAL {
                self.event_ids.push(id.to_string());
            }
        }
    }
}

/// One principal's refusals and the comparison with the prediction.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PrincipalDenials {
    pub records: u64,
    /// Refused by scpctl's policy (by ARN, or the phrase the replay agrees with).
    pub ours: Events,
    /// Refused by another named SCP or RCP, another unnamed SCP, or another policy type.
    pub other_scp_or_rcp: u64,
    pub other_type: u64,
    /// Refused without a policy type; of which the replay says scpctl's policy would deny.
    pub unattributed: u64,
    pub unattributed_ours_would_deny: u64,
    /// Comparison buckets.
    pub refused_and_predicted: u64,
    /// Named scpctl's policy by ARN, and the replay did not predict it: a mapping or
    /// evaluator gap.
    pub refused_not_predicted: Events,
    /// The replay predicts scpctl's policy denies it, and the call succeeded: the policy is not
    /// in force there yet, or a gap.
    pub predicted_but_succeeded: Events,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    /// The other policies named, with counts.
    pub other_policies: BTreeMap<String, u64>,
}

/// All observations, per account and principal (like impact's tally).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DenialTally {
    pub records: u64,
    pub refused: u64,
    pub ours: u64,
    /// account -> principal ARN -> counts.
    pub principals: BTreeMap<String, BTreeMap<String, PrincipalDenials>>,
}

impl DenialTally {
    pub fn add(&mut self, o: &Observation) {
        self.records += 1;
        let p = self
            .principals
            .entry(o.account.clone())
            .or_default()
            .entry(o.principal.clone())
            .or_default();
        p.records += 1;
        if let Some(t) = &o.event_time {
            if p.first_seen.as_ref().is_none_or(|f| t < f) {
                p.first_seen = Some(t.clone());
            }
            if p.last_seen.as_ref().is_none_or(|l| t > l) {
                p.last_seen = Some(t.clone());
            }
        }
        let id = o.event_id.as_deref();
        let Some(by) = &o.refused else {
            if o.predicted == Some(true) {
                p.predicted_but_succeeded.add(id);
            }
            return;
        };
        self.refused += 1;
        match by {
            Attribution::Ours { by_arn } => {
                self.ours += 1;
                p.ours.add(id);
                if o.predicted == Some(true) {
                    p.refused_and_predicted += 1;
                } else if *by_arn {
                    p.refused_not_predicted.add(id);
                }
            }
            Attribution::OtherPolicy { policy_arn, .. } => {
                p.other_scp_or_rcp += 1;
                *p.other_policies.entry(policy_arn.clone()).or_default() += 1;
            }
            Attribution::OtherScp => {
                p.other_scp_or_rcp += 1;
                *p.other_policies
                    .entry("an SCP not named (the replay does not deny it)".into())
                    .or_default() += 1;
            }
            Attribution::OtherType { .. } => p.other_type += 1,
            Attribution::Unattributed { ours_would_deny } => {
                p.unattributed += 1;
                if *ours_would_deny == Some(true) {
                    p.unattributed_ours_would_deny += 1;
                }
            }
        }
    }

    pub fn merge(&mut self, o: DenialTally) {
        self.records += o.records;
        self.refused += o.refused;
        self.ours += o.ours;
        for (account, principals) in o.principals {
            let mine = self.principals.entry(account).or_default();
            for (arn, d) in principals {
                let p = mine.entry(arn).or_default();
                p.records += d.records;
                merge_events(&mut p.ours, d.ours);
                p.other_scp_or_rcp += d.other_scp_or_rcp;
                p.other_type += d.other_type;
                p.unattributed += d.unattributed;
                p.unattributed_ours_would_deny += d.unattributed_ours_would_deny;
                p.refused_and_predicted += d.refused_and_predicted;
                merge_events(&mut p.refused_not_predicted, d.refused_not_predicted);
                merge_events(&mut p.predicted_but_succeeded, d.predicted_but_succeeded);
                for (k, v) in d.other_policies {
                    *p.other_policies.entry(k).or_default() += v;
                }
                for t in [d.first_seen, d.last_seen].into_iter().flatten() {
                    if p.first_seen.as_ref().is_none_or(|f| &t < f) {
                        p.first_seen = Some(t.clone());
                    }
                    if p.last_seen.as_ref().is_none_or(|l| &t > l) {
                        p.last_seen = Some(t);
                    }
                }
            }
        }
    }

    /// Principals refused by scpctl's policy whose ARN matches none of `expected` (ARN patterns
    /// with `*` and `?`, matched as `ArnLike`), with their events: `rollout next`'s gate.
    pub fn unexpected(&self, expected: &[String]) -> Vec<UnexpectedPrincipal> {
        let mut out = Vec::new();
        for (account, principals) in &self.principals {
            for (arn, p) in principals {
                if p.ours.count == 0 || expected.iter().any(|e| crate::eval::arn_like(e, arn)) {
                    continue;
                }
                out.push(UnexpectedPrincipal {
                    account: account.clone(),
                    principal: arn.clone(),
                    refused: p.ours.clone(),
                });
            }
        }
        out
    }
}

fn merge_events(into: &mut Events, from: Events) {
    into.count += from.count;
    for id in from.event_ids {
        if into.event_ids.len() < EVENTS_PER_PRINCIPAL {
            into.event_ids.push(id);
        }
    }
}

/// A principal refused by scpctl's policy that `[rollout] expected_denied` does not name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnexpectedPrincipal {
    pub account: String,
    pub principal: String,
    pub refused: Events,
}

#[cfg(test)]
mod tests;
