//! One condition (operator, key, values) against the request's values for the key: missing
//! keys, `...IfExists`, `Null`, single-valued keys and the set operators for multivalued keys.
//! Also the types of the global keys scpctl checks on request values.
//!
//! - [ELEM] "IAM JSON policy elements: Condition": a key absent from the request makes the
//!   condition false, except for negated operators ("such as StringNotLike or ArnNotLike"), for
//!   which it is true; key names compare case-insensitively.
//! - [OPS] `...IfExists`: "If the key is not present, evaluate the condition element as true";
//!   `Null`: `true` means the key must be absent (or empty), `false` present.
//! - [MULTI] "Conditions with multiple context keys or values": the values of one key combine
//!   with OR, and with NOR for negated operators.
//! - [SETS] "Set operators for multivalued context keys": `ForAllValues` is true when every
//!   request value matches, and also "if there are no context keys in the request" or the key
//!   resolves to an empty set; `ForAnyValue` is true when at least one request value matches, and
//!   false when the key is missing. With a negated operator each request value is tested with
//!   the negated operator (e.g. `ForAnyValue:StringNotEquals` matches if some value is none of
//!   the listed ones).
//! - Multivalued keys "require a set operator"; for several request values given to a bare
//!   operator IAM documents nothing: scpctl decides "no match", as observed in AWS, and says so.

use super::index::ValueIndex;
use super::operators::{Base, Match, Operator, PolicyValue, RequestValue, SetOp};
use super::request::View;
use super::values::{parse_bool, parse_date, parse_number};
use super::RequestContext;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CompiledCondition {
    /// The operator and key as written.
    pub operator: String,
    pub key: String,
    pub key_lower: String,
    pub op: Operator,
    pub raw_values: Vec<String>,
    pub values: Vec<PolicyValue>,
    /// The values indexed once ([`ValueIndex`]), when all are fixed.
    pub index: Option<ValueIndex>,
    /// The key's slot in its policy's [`super::request::KeyTable`].
    pub slot: usize,
    /// Its index among its policy's conditions.
    pub ordinal: usize,
    /// What decides its answer, as text (operator, key, values, whether variables are
    /// substituted): conditions of a set equal on it are evaluated once per request.
    pub signature: String,
}

/// Why a condition matched or not, turned into text only when a trace is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reason {
    NullPresent,
    NullAbsent,
    NullForAllValues,
    NullForAnyValue,
    AbsentIfExists,
    AbsentNegated,
    AbsentPositive,
    AllValuesAbsent,
    AnyValueAbsent,
    SeveralValuesBare,
    ValueMatches,
    ValueMatchesNone,
    NegatedListed,
    NegatedNotListed,
    AllMatch,
    NotAllMatch,
    AnyMatch,
    NoneMatch,
}

impl Reason {
    pub(crate) fn text(self) -> &'static str {
        match self {
            Reason::NullPresent => "key is present",
            Reason::NullAbsent => "key is absent",
            Reason::NullForAllValues => {
                "ForAllValues:Null always matches (IAM Access Analyzer policy check reference)"
            }
            Reason::NullForAnyValue => {
                "ForAnyValue:Null never matches (IAM Access Analyzer policy check reference)"
            }
            Reason::AbsentIfExists => "key absent: ...IfExists treats that as a match",
            Reason::AbsentNegated => "key absent: a negated operator matches a missing key",
            Reason::AbsentPositive => "key absent: a positive operator never matches a missing key",
            Reason::AllValuesAbsent => "key absent or empty: ForAllValues matches",
            Reason::AnyValueAbsent => "key absent or empty: ForAnyValue does not match",
            Reason::SeveralValuesBare => {
                "the key has several values and the operator has no ForAnyValue/ForAllValues: no match"
            }
            Reason::ValueMatches => "request value matches a listed value",
            Reason::ValueMatchesNone => "request value matches no listed value",
            Reason::NegatedListed => "request value is one of the listed values",
            Reason::NegatedNotListed => "request value is none of the listed values",
            Reason::AllMatch => "every request value matches",
            Reason::NotAllMatch => "some request value does not match",
            Reason::AnyMatch => "some request value matches",
            Reason::NoneMatch => "no request value matches",
        }
    }
}

/// The note of a `ForAllValues:Null` or `ForAnyValue:Null` condition.
pub(crate) const NULL_SET_NOTE: &str =
    "the Null operator with a set operator: IAM Access Analyzer's policy check reference documents \
     that with ForAllValues the condition always returns true and with ForAnyValue always false, \
     whatever the request; scpctl answers that. Use Null without a set operator to test a key's presence";

/// Where evaluation notes go; `None` on the fast path.
pub(crate) type Notes<'a> = Option<&'a mut Vec<String>>;

impl CompiledCondition {
    /// The first request value of this condition's key that the operator cannot read (not a
    /// number for a Numeric operator, not an ARN for an Arn operator, ...), with what the
    /// operator takes. String operators and Null read any value.
    pub(crate) fn unreadable<'c>(
        &self,
        ctx: &'c RequestContext,
    ) -> Option<(&'c str, &'static str)> {
        self.unreadable_in(ctx.get_lower(&self.key_lower), None)
    }

    /// [`CompiledCondition::unreadable`] on the key's values, the single one possibly read
    /// ahead (`read`, as [`RequestValue::parse`] reads it for this operator).
    pub(crate) fn unreadable_in<'c>(
        &self,
        values: Option<&'c [String]>,
        read: Option<&RequestValue<'_>>,
    ) -> Option<(&'c str, &'static str)> {
        let takes = match self.op.base {
            Base::StringEquals | Base::StringEqualsIgnoreCase | Base::StringLike | Base::Null => {
                return None
            }
            Base::Numeric(_) => "a number",
            Base::Date(_) => "an ISO 8601 date or epoch seconds",
            Base::Bool => "true or false",
            Base::BinaryEquals => "base64",
            Base::IpAddress => "an IP address",
            Base::Arn => "an ARN (arn:partition:service:region:account:resource)",
        };
        let values = values?;
        if let (Some(read), [one]) = (read, values) {
            return (*read == RequestValue::Bad).then_some((one.as_str(), takes));
        }
        values
            .iter()
            .find(|v| RequestValue::parse(self.op.base, v) == RequestValue::Bad)
            .map(|v| (v.as_str(), takes))
    }

    /// The fast path's [`CompiledCondition::unreadable`]: the key's values from the request's
    /// slots.
    pub(crate) fn unreadable_at(&self, view: &View<'_, '_>) -> bool {
        let slot = view.slot(self.slot);
        self.unreadable_in(slot.values, slot.read_as(self.op.base))
            .is_some()
    }

    /// The fast path's [`CompiledCondition::evaluate`] (no notes).
    pub(crate) fn holds(&self, view: &View<'_, '_>) -> bool {
        if let Some(known) = view.known(self.ordinal) {
            return known;
        }
        let slot = view.slot(self.slot);
        let m = self
            .evaluate_in(slot.values, slot.read_as(self.op.base), view.ctx, None)
            .0;
        view.remember(self.ordinal, m);
        m
    }

    /// One request value under the operator, negation included ([MULTI] OR / NOR).
    fn one(
        &self,
        rv: &str,
        read: Option<&RequestValue<'_>>,
        ctx: &RequestContext,
        notes: &mut Notes<'_>,
    ) -> bool {
        let (mut any, mut bad, mut no_variable) = (false, false, false);
        let parsed_here;
        let parsed = match read {
            Some(r) => r,
            None => {
                parsed_here = RequestValue::parse(self.op.base, rv);
                &parsed_here
            }
        };
        if let Some(index) = &self.index {
            // Every value fixed: no variable to miss; a value of the wrong type matches none.
            bad = *parsed == RequestValue::Bad;
            any = !bad && index.matches(rv, parsed);
        }
        for pv in self.values.iter().filter(|_| self.index.is_none()) {
            match super::operators::value_matches(self.op.base, pv, parsed, ctx) {
                Match::Yes => {
                    any = true;
                    break;
                }
                Match::No => {}
                Match::BadRequest => bad = true,
                Match::NoVariable => no_variable = true,
            }
        }
        if let Some(n) = notes.as_deref_mut() {
            if bad {
                n.push(format!(
                    "{} {}: the request value {rv:?} is not of the operator's type; it matches no policy value",
                    self.operator, self.key
                ));
            }
            if no_variable && !any {
                n.push(format!(
                    "{} {}: a policy variable has no value in this request; that policy value matches nothing \
                     (IAM User Guide, \"Policy variables with no value\")",
                    self.operator, self.key
                ));
            }
        }
        any != self.op.negated
    }

    pub(crate) fn evaluate(&self, ctx: &RequestContext, notes: Notes<'_>) -> (bool, Reason) {
        self.evaluate_in(ctx.get_lower(&self.key_lower), None, ctx, notes)
    }

    /// [`CompiledCondition::evaluate`] on the key's values `request`, the single one possibly
    /// read ahead (`read`, as [`RequestValue::parse`] reads it for this operator).
    pub(crate) fn evaluate_in(
        &self,
        request: Option<&[String]>,
        read: Option<&RequestValue<'_>>,
        ctx: &RequestContext,
        mut notes: Notes<'_>,
    ) -> (bool, Reason) {
        let present = request.is_some_and(|v| !v.is_empty());
        // IAM Access Analyzer's policy check reference documents these two forms: with
        // ForAllValues the condition always returns true, with ForAnyValue always false
        // (the values are never compared). A note says so ([`NULL_SET_NOTE`]).
        match (self.op.base, self.op.set) {
            (Base::Null, SetOp::ForAllValues) => return (true, Reason::NullForAllValues),
            (Base::Null, SetOp::ForAnyValue) => return (false, Reason::NullForAnyValue),
            _ => {}
        }
        if self.op.base == Base::Null {
            let want_absent = self.values.contains(&PolicyValue::Null(true));
            let want_present = self.values.contains(&PolicyValue::Null(false));
            let m = (want_absent && !present) || (want_present && present);
            let why = if present {
                Reason::NullPresent
            } else {
                Reason::NullAbsent
            };
            return (m, why);
        }
        let values = match request {
            Some(v) if !v.is_empty() => v,
            _ => {
                return match self.op.set {
                    _ if self.op.if_exists => (true, Reason::AbsentIfExists),
                    SetOp::ForAllValues => (true, Reason::AllValuesAbsent),
                    SetOp::ForAnyValue => (false, Reason::AnyValueAbsent),
                    SetOp::Single if self.op.negated => (true, Reason::AbsentNegated),
                    SetOp::Single => (false, Reason::AbsentPositive),
                };
            }
        };
        // Read ahead only for a single value.
        let read = read.filter(|_| values.len() == 1);
        match self.op.set {
            SetOp::Single => {
                let [rv] = values else {
                    if let Some(n) = notes.as_deref_mut() {
                        n.push(format!(
                            "{} {}: the request gives {} values for a key the operator reads as single-valued; \
                             the policy needs ForAnyValue: or ForAllValues: for it. scpctl decides \"no match\", \
                             as observed in AWS: IAM's documentation does not say.",
                            self.operator,
                            self.key,
                            values.len()
                        ));
                    }
                    return (false, Reason::SeveralValuesBare);
                };
                let m = self.one(rv, read, ctx, &mut notes);
                let why = match (self.op.negated, m) {
                    (false, true) => Reason::ValueMatches,
                    (false, false) => Reason::ValueMatchesNone,
                    (true, true) => Reason::NegatedNotListed,
                    (true, false) => Reason::NegatedListed,
                };
                (m, why)
            }
            SetOp::ForAllValues => {
                let mut all = true;
                for rv in values {
                    if !self.one(rv, read, ctx, &mut notes) {
                        all = false;
                        if notes.is_none() {
                            break;
                        }
                    }
                }
                (
                    all,
                    if all {
                        Reason::AllMatch
                    } else {
                        Reason::NotAllMatch
                    },
                )
            }
            SetOp::ForAnyValue => {
                let mut any = false;
                for rv in values {
                    if self.one(rv, read, ctx, &mut notes) {
                        any = true;
                        if notes.is_none() {
                            break;
                        }
                    }
                }
                (
                    any,
                    if any {
                        Reason::AnyMatch
                    } else {
                        Reason::NoneMatch
                    },
                )
            }
        }
    }
}

/// The type of a global key whose request values scpctl checks (IAM User Guide, "AWS global
/// condition context keys", each key's "Data type").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    Ip,
    Date,
    Numeric,
    Bool,
    Arn,
}

const TYPED_KEYS: [(&str, KeyType); 12] = [
    ("aws:sourceip", KeyType::Ip),
    ("aws:vpcsourceip", KeyType::Ip),
    ("aws:currenttime", KeyType::Date),
    ("aws:epochtime", KeyType::Date),
    ("aws:tokenissuetime", KeyType::Date),
    ("aws:multifactorauthage", KeyType::Numeric),
    ("aws:multifactorauthpresent", KeyType::Bool),
    ("aws:securetransport", KeyType::Bool),
    ("aws:viaawsservice", KeyType::Bool),
    ("aws:principalisawsservice", KeyType::Bool),
    ("aws:principalarn", KeyType::Arn),
    ("aws:sourcearn", KeyType::Arn),
];

/// The documented type of a global key, if scpctl knows it.
pub fn key_type(key: &str) -> Option<KeyType> {
    let lower = key.to_lowercase();
    TYPED_KEYS
        .iter()
        .find(|(k, _)| *k == lower)
        .map(|(_, t)| *t)
}

/// Check a request value for a typed key: `Err` says what is wrong with it (a usage error at
/// the CLI, like a bad `--source-ip`).
pub fn check_request_value(key: &str, value: &str) -> Result<(), String> {
    let ok = match key_type(key) {
        None => true,
        Some(KeyType::Ip) => value.trim().parse::<std::net::IpAddr>().is_ok(),
        Some(KeyType::Date) => parse_date(value).is_some(),
        Some(KeyType::Numeric) => parse_number(value).is_some(),
        Some(KeyType::Bool) => parse_bool(value).is_some(),
        Some(KeyType::Arn) => value.starts_with("arn:") && value.split(':').count() >= 6,
    };
    if ok {
        return Ok(());
    }
    let what = match key_type(key) {
        Some(KeyType::Ip) => "an IP address",
        Some(KeyType::Date) => "an ISO 8601 date or epoch seconds",
        Some(KeyType::Numeric) => "a number",
        Some(KeyType::Bool) => "true or false",
        Some(KeyType::Arn) => "an ARN (arn:partition:service:region:account:resource)",
        None => "valid",
    };
    Err(format!("{key}={value:?}: {key} takes {what}"))
}

/// Global keys documented as multivalued ([SETS] examples and "AWS global condition context
/// keys": `aws:CalledVia`, `aws:PrincipalOrgPaths`, `aws:TagKeys`,
/// `aws:PrincipalServiceNamesList`, and since 2025-08-29 `aws:VpceOrgPaths`, the OU paths of
/// the account owning the VPC endpoint).
pub fn is_multivalued(key: &str) -> bool {
    let lower = key.to_lowercase();
    [
        "aws:calledvia",
        "aws:principalorgpaths",
        "aws:tagkeys",
        "aws:principalservicenameslist",
        "aws:vpceorgpaths",
    ]
    .contains(&lower.as_str())
}

#[cfg(test)]
#[path = "keys_tests.rs"]
mod tests;
