//! The denials tally: observations counted per account and principal (the three comparison
//! buckets, who else refused, first and last seen, addresses and actions),
//! per statement of scpctl's policy and per UTC day. Fed one [`Observation`] at a time and
//! mergeable across threads; its value is what the text, JSON and HTML reports print.

use std::collections::BTreeMap;

use serde::{Serialize, Serializer};

use super::{Attribution, Observation};

/// Event ids kept per principal and bucket; beyond that they are only counted.
pub const EVENTS_PER_PRINCIPAL: usize = 50;
/// Distinct source addresses kept per principal (as `impact` keeps them); beyond that they are
/// only counted.
pub const ADDRESSES_PER_PRINCIPAL: usize = 1_000;
/// Distinct actions kept per principal; beyond that they are only counted.
pub const ACTIONS_PER_PRINCIPAL: usize = 1_000;

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

    fn merge(&mut self, from: Events) {
        self.count += from.count;
        for id in from.event_ids {
            if self.event_ids.len() < EVENTS_PER_PRINCIPAL {
                self.event_ids.push(id);
            }
        }
    }
}

/// The three comparison buckets of the prediction against what happened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Buckets {
    /// Refused by scpctl's policy, and the replay predicted it.
    pub refused_and_predicted: u64,
    /// Refused by scpctl's policy (named by ARN), and the replay did not predict it.
    pub refused_not_predicted: u64,
    /// Predicted, and the call went through.
    pub predicted_but_succeeded: u64,
}

impl Buckets {
    fn merge(&mut self, o: Buckets) {
        self.refused_and_predicted += o.refused_and_predicted;
        self.refused_not_predicted += o.refused_not_predicted;
        self.predicted_but_succeeded += o.predicted_but_succeeded;
    }

    pub fn total(&self) -> u64 {
        self.refused_and_predicted + self.refused_not_predicted + self.predicted_but_succeeded
    }
}

/// One of the three buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bucket {
    RefusedAndPredicted,
    RefusedNotPredicted,
    PredictedButSucceeded,
}

impl Buckets {
    fn bump(&mut self, b: Bucket) {
        *match b {
            Bucket::RefusedAndPredicted => &mut self.refused_and_predicted,
            Bucket::RefusedNotPredicted => &mut self.refused_not_predicted,
            Bucket::PredictedButSucceeded => &mut self.predicted_but_succeeded,
        } += 1;
    }
}

/// Which bucket an observation falls in, if any (as [`PrincipalDenials`] counts them).
fn bucket(o: &Observation) -> Option<Bucket> {
    match (&o.refused, o.predicted) {
        (None, Some(true)) => Some(Bucket::PredictedButSucceeded),
        (Some(Attribution::Ours { .. }), Some(true)) => Some(Bucket::RefusedAndPredicted),
        (Some(Attribution::Ours { by_arn: true }), _) => Some(Bucket::RefusedNotPredicted),
        _ => None,
    }
}

/// Values with counts, at most `cap` distinct ones; the rest counted in `other`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capped {
    pub counts: BTreeMap<String, u64>,
    pub other: u64,
}

impl Capped {
    fn add(&mut self, value: &str, n: u64, cap: usize) {
        if let Some(c) = self.counts.get_mut(value) {
            *c += n;
        } else if self.counts.len() < cap {
            self.counts.insert(value.to_string(), n);
        } else {
            self.other += n;
        }
    }

    fn merge(&mut self, o: Capped, cap: usize) {
        for (v, n) in o.counts {
            self.add(&v, n, cap);
        }
        self.other += o.other;
    }

    /// Most frequent first, ties by value.
    pub fn sorted(&self) -> Vec<(&str, u64)> {
        let mut v: Vec<(&str, u64)> = self.counts.iter().map(|(k, n)| (k.as_str(), *n)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        v
    }
}

/// `[{"address": ..., "count": n}]`, most first: the shape of `impact`'s `outside_addresses`.
fn as_addresses<S: Serializer>(c: &Capped, s: S) -> Result<S::Ok, S::Error> {
    counted(c, "address", s)
}

/// `[{"action": ..., "count": n}]`, most first: the shape of `impact`'s `top_denied_actions`.
fn as_actions<S: Serializer>(c: &Capped, s: S) -> Result<S::Ok, S::Error> {
    counted(c, "action", s)
}

fn counted<S: Serializer>(c: &Capped, key: &str, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let sorted = c.sorted();
    let mut seq = s.serialize_seq(Some(sorted.len()))?;
    for (v, n) in sorted {
        let mut m = serde_json::Map::new();
        m.insert(key.to_string(), serde_json::Value::from(v));
        m.insert("count".to_string(), serde_json::Value::from(n));
        seq.serialize_element(&m)?;
    }
    seq.end()
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
    /// Calls the replay predicts denied, by the Sid of scpctl's statement (refused or not).
    pub predicted_by_statement: BTreeMap<String, u64>,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    /// The other policies named, with counts.
    pub other_policies: BTreeMap<String, u64>,
    /// Source addresses of the refused or predicted calls, most first (capped at
    /// [`ADDRESSES_PER_PRINCIPAL`], the rest counted in `other_addresses`).
    #[serde(serialize_with = "as_addresses")]
    pub addresses: Capped,
    pub other_addresses: u64,
    /// Actions of the refused or predicted calls, most first (capped at
    /// [`ACTIONS_PER_PRINCIPAL`], the rest counted in `other_actions`).
    #[serde(serialize_with = "as_actions")]
    pub actions: Capped,
    pub other_actions: u64,
}

impl PrincipalDenials {
    /// Calls refused, by any policy.
    pub fn refused_total(&self) -> u64 {
        self.ours.count + self.other_scp_or_rcp + self.other_type + self.unattributed
    }

    fn seen(&mut self, t: &str) {
        if self.first_seen.as_deref().is_none_or(|f| t < f) {
            self.first_seen = Some(t.to_string());
        }
        if self.last_seen.as_deref().is_none_or(|l| t > l) {
            self.last_seen = Some(t.to_string());
        }
    }

    fn merge(&mut self, d: PrincipalDenials) {
        self.records += d.records;
        self.ours.merge(d.ours);
        self.other_scp_or_rcp += d.other_scp_or_rcp;
        self.other_type += d.other_type;
        self.unattributed += d.unattributed;
        self.unattributed_ours_would_deny += d.unattributed_ours_would_deny;
        self.refused_and_predicted += d.refused_and_predicted;
        self.refused_not_predicted.merge(d.refused_not_predicted);
        self.predicted_but_succeeded
            .merge(d.predicted_but_succeeded);
        for (k, v) in d.predicted_by_statement {
            *self.predicted_by_statement.entry(k).or_default() += v;
        }
        for (k, v) in d.other_policies {
            *self.other_policies.entry(k).or_default() += v;
        }
        for t in [d.first_seen, d.last_seen].into_iter().flatten() {
            self.seen(&t);
        }
        self.addresses.merge(d.addresses, ADDRESSES_PER_PRINCIPAL);
        self.other_addresses = self.addresses.other;
        self.actions.merge(d.actions, ACTIONS_PER_PRINCIPAL);
        self.other_actions = self.actions.other;
    }
}

/// All observations, per account and principal (like impact's tally), per statement and day.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DenialTally {
    pub records: u64,
    pub refused: u64,
    pub ours: u64,
    /// account -> principal ARN -> counts.
    pub principals: BTreeMap<String, BTreeMap<String, PrincipalDenials>>,
    /// The buckets by the Sid of scpctl's statement the replay names (`refused_not_predicted`
    /// has none: those calls are under `"(not predicted)"`).
    pub by_statement: BTreeMap<String, Buckets>,
    /// The buckets per UTC day (`YYYY-MM-DD` of `eventTime`); records without a time are not
    /// in it.
    pub by_day: BTreeMap<String, Buckets>,
}

/// The `by_statement` key of calls refused by scpctl's policy that the replay did not predict.
pub const NOT_PREDICTED: &str = "(not predicted)";

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
            p.seen(t);
        }
        if let (Some(true), Some(sid)) = (o.predicted, &o.statement) {
            *p.predicted_by_statement.entry(sid.clone()).or_default() += 1;
        }
        if o.refused.is_some() || o.predicted == Some(true) {
            if let Some(ip) = &o.source_ip {
                p.addresses.add(ip, 1, ADDRESSES_PER_PRINCIPAL);
                p.other_addresses = p.addresses.other;
            }
            if let Some(a) = &o.action {
                p.actions.add(a, 1, ACTIONS_PER_PRINCIPAL);
                p.other_actions = p.actions.other;
            }
        }
        if let Some(b) = bucket(o) {
            let sid = match (o.predicted, &o.statement) {
                (Some(true), Some(sid)) => sid.as_str(),
                _ => NOT_PREDICTED,
            };
            self.by_statement
                .entry(sid.to_string())
                .or_default()
                .bump(b);
            if let Some(day) = o.event_time.as_deref().and_then(|t| t.get(..10)) {
                self.by_day.entry(day.to_string()).or_default().bump(b);
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
                mine.entry(arn).or_default().merge(d);
            }
        }
        for (sid, b) in o.by_statement {
            self.by_statement.entry(sid).or_default().merge(b);
        }
        for (day, b) in o.by_day {
            self.by_day.entry(day).or_default().merge(b);
        }
    }

    /// The principals with a refusal or a prediction that did not happen, in account order.
    pub fn shown(&self) -> impl Iterator<Item = (&String, &String, &PrincipalDenials)> {
        self.principals.iter().flat_map(|(account, ps)| {
            ps.iter()
                .filter(|(_, p)| p.refused_total() > 0 || p.predicted_but_succeeded.count > 0)
                .map(move |(arn, p)| (account, arn, p))
        })
    }

    /// The three buckets over every principal.
    pub fn buckets(&self) -> Buckets {
        let mut b = Buckets::default();
        for p in self.principals.values().flat_map(|m| m.values()) {
            b.refused_and_predicted += p.refused_and_predicted;
            b.refused_not_predicted += p.refused_not_predicted.count;
            b.predicted_but_succeeded += p.predicted_but_succeeded.count;
        }
        b
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

/// A principal refused by scpctl's policy that `[rollout] expected_denied` does not name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnexpectedPrincipal {
    pub account: String,
    pub principal: String,
    pub refused: Events,
}
