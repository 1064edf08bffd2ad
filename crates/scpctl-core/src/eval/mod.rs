//! Offline evaluation of policies for one request: which Deny statement (if any) applies, which
//! Allow statements apply, and why each condition matched or not; for several policies, the
//! first deny across them and, for SCP chains, the implicit deny of a level without an Allow.
//!
//! The rules follow AWS's documentation; each is cited where it is applied:
//! - [ELEM] IAM User Guide, "IAM JSON policy elements: Condition" (request context, missing
//!   keys, case of key names)
//! - [OPS] "IAM JSON policy elements: Condition operators" (each operator, `...IfExists`, `Null`)
//! - [MULTI] "Conditions with multiple context keys or values" (AND / OR / NOR)
//! - [SETS] "Set operators for multivalued context keys" (ForAnyValue / ForAllValues)
//! - [ACTION] / [RESOURCE] "IAM JSON policy elements: Action" / "Resource"
//! - [VARS] "IAM policy elements: Variables and tags"; [VERSION] "IAM JSON policy elements: Version"
//! - [LOGIC] "Policy evaluation logic" (explicit deny wins; SCPs at every level must allow)
//!
//! Policies are compiled once ([`CompiledPolicy::new`]: every operator, value, action and
//! resource checked and typed) and then evaluated per request without errors, cheaply enough to
//! replay millions of requests ([`CompiledPolicy::decide`], [`PolicySet::decide`]).

mod actions_resources;
mod classes;
mod document;
mod index;
mod keys;
mod operators;
mod request;
mod set;
mod values;
mod variables;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::policy::{Effect, PolicyDocument};

pub use classes::AddressClasses;
pub use keys::{check_request_value, is_multivalued, key_type, KeyType};
pub use set::{
    evaluate_chain, evaluate_set, Denial, PolicyOutcome, PolicySet, SetDecision, SetVerdict,
};

/// IAM's `ArnLike` on a plain pattern (`*` and `?`, no policy variables): each of the six ARN
/// components matched on its own. For config values such as `[break_glass] principals`.
pub fn arn_like(pattern: &str, arn: &str) -> bool {
    use variables::Tok;
    let toks: Vec<Tok> = pattern
        .chars()
        .map(|c| match c {
            '*' => Tok::Star,
            '?' => Tok::One,
            c => Tok::Lit(c),
        })
        .collect();
    match (
        actions_resources::split_arn_pattern(&toks),
        actions_resources::split_arn(arn),
    ) {
        (Some(p), Some(t)) => actions_resources::arn_parts_match(&p, &t),
        _ => false,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    #[error("statement {statement}: unknown condition operator {}{hint}; scpctl does not guess what an unknown operator means", crate::origin::excerpt(.operator))]
    UnknownOperator {
        statement: String,
        operator: String,
        hint: String,
    },
    #[error("statement {statement}: {what} is not supported by the offline evaluator")]
    Unsupported { statement: String, what: String },
    #[error("statement {statement}: {operator} {key}: {why}")]
    BadValue {
        statement: String,
        operator: String,
        key: String,
        why: String,
    },
    #[error("statement {statement}: {element}: {why}")]
    BadElement {
        statement: String,
        element: &'static str,
        why: String,
    },
    #[error("{why}")]
    Version { why: String },
    #[error("{policy}: {error}")]
    InPolicy {
        policy: String,
        error: Box<EvalError>,
    },
}

/// A request value that a condition's operator cannot read (`NumericNotEquals` against
/// `soon`, `ArnNotLike` against `not-an-arn`). IAM documents no answer for it (AWS hands typed
/// values to the policy): answering "matches" or "does not match" would be a guess, so the
/// request is refused, as a typed key's bad value is ([`check_request_value`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadableValue {
    /// The policy's label, when the value was checked through a [`PolicySet`].
    pub policy: Option<String>,
    pub statement: String,
    pub operator: String,
    pub key: String,
    /// The value, cut to a short excerpt.
    pub value: String,
    /// What the operator takes ("a number", "an ARN ...").
    pub takes: &'static str,
}

impl std::fmt::Display for UnreadableValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}={}: {} reads {} as {}, and this value is not one (statement {}",
            self.key, self.value, self.operator, self.key, self.takes, self.statement
        )?;
        if let Some(p) = &self.policy {
            write!(f, " in {p}")?;
        }
        write!(
            f,
            "); give a value of that type: scpctl does not guess whether a value the operator cannot read matches"
        )
    }
}

impl std::error::Error for UnreadableValue {}

/// What kind of policy a document is: it decides the Version rule and AWS's fixed exemptions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PolicyType {
    /// A Service Control Policy: needs Version 2012-10-17; does not apply to the management
    /// account nor to service-linked roles.
    Scp,
    /// A Resource Control Policy: as an SCP, and every statement has `Principal: "*"`.
    Rcp,
    /// An identity-based policy: Version defaults to 2008-10-17 (no policy variables).
    Identity,
}

impl PolicyType {
    pub fn name(self) -> &'static str {
        match self {
            PolicyType::Scp => "SCP",
            PolicyType::Rcp => "RCP",
            PolicyType::Identity => "identity policy",
        }
    }
}

/// The request as the policy sees it: the action, the resource and the context keys present,
/// and who is asking where AWS's fixed rules depend on it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestContext {
    pub action: String,
    /// The resource ARN; `None` is a request on `"*"` (only `Resource: "*"` covers it).
    pub resource: Option<String>,
    /// The caller is in the organization's management account (SCPs and RCPs do not apply).
    pub management_account: bool,
    /// The caller is a service-linked role (SCPs and RCPs do not apply); also recognised from an
    /// `aws:PrincipalArn` whose path is `/aws-service-role/`.
    pub service_linked_role: bool,
    /// Lower-cased key -> (key as given, values). [ELEM] "Condition key names are not
    /// case-sensitive."
    keys: BTreeMap<String, (String, Vec<String>)>,
}

impl RequestContext {
    pub fn new(action: impl Into<String>) -> Self {
        RequestContext {
            action: action.into(),
            ..RequestContext::default()
        }
    }

    /// Add a value for a key (keys compare case-insensitively); a key given twice is a
    /// multivalued key.
    pub fn with(mut self, key: &str, value: impl Into<String>) -> Self {
        self.keys
            .entry(key.to_lowercase())
            .or_insert_with(|| (key.to_string(), Vec::new()))
            .1
            .push(value.into());
        self
    }

    /// A multivalued key with these values, possibly none (an empty set is not a missing key
    /// for the set operators' rules, but behaves as one: [SETS]).
    pub fn with_values(mut self, key: &str, values: &[&str]) -> Self {
        let entry = self
            .keys
            .entry(key.to_lowercase())
            .or_insert_with(|| (key.to_string(), Vec::new()));
        entry.1.extend(values.iter().map(|v| v.to_string()));
        self
    }

    pub fn with_resource(mut self, arn: impl Into<String>) -> Self {
        self.resource = Some(arn.into());
        self
    }

    pub fn with_management_account(mut self, yes: bool) -> Self {
        self.management_account = yes;
        self
    }

    pub fn with_service_linked_role(mut self, yes: bool) -> Self {
        self.service_linked_role = yes;
        self
    }

    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.get_lower(&key.to_lowercase())
    }

    /// Lookup by an already lower-cased key (compiled policies hold them so).
    pub(crate) fn get_lower(&self, key: &str) -> Option<&[String]> {
        self.keys.get(key).map(|(_, v)| v.as_slice())
    }

    /// The keys present, lower-cased, in order, with their values.
    pub(crate) fn sorted_keys(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.keys
            .iter()
            .map(|(k, (_, v))| (k.as_str(), v.as_slice()))
    }

    /// The keys present, as given, with their values.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.keys.values().map(|(k, v)| (k.as_str(), v.as_slice()))
    }

    /// The caller is a service-linked role: flagged, or its `aws:PrincipalArn` is
    /// `arn:...:iam::ACCOUNT:role/aws-service-role/...` (IAM User Guide, "Service-linked roles").
    pub fn is_service_linked_role(&self) -> bool {
        self.service_linked_role
            || self.get_lower("aws:principalarn").is_some_and(|v| {
                v.iter().any(|arn| {
                    actions_resources::split_arn(arn)
                        .is_some_and(|p| p[5].starts_with("role/aws-service-role/"))
                })
            })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConditionTrace {
    pub operator: String,
    pub key: String,
    pub policy_values: Vec<String>,
    /// `None` when the key is absent from the request.
    pub request_values: Option<Vec<String>>,
    pub matched: bool,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementTrace {
    pub statement: String,
    pub effect: &'static str,
    pub action_matched: bool,
    pub resource_matched: bool,
    pub conditions: Vec<ConditionTrace>,
    /// Action, resource and every condition matched.
    pub applies: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub denied: bool,
    /// The first Deny statement that applies.
    pub statement: Option<String>,
    pub statements: Vec<StatementTrace>,
    pub notes: Vec<String>,
    /// Some Allow statement applies (or an exemption makes the policy not apply at all).
    pub allowed: bool,
    /// The AWS rule under which the policy does not apply to this request, if any.
    pub exemption: Option<String>,
}

/// AWS's fixed rules, checked before any statement.
pub mod rules {
    /// AWS STS API Reference, GetCallerIdentity: "No permissions are required to perform this
    /// operation. If an administrator attaches a policy to your identity that explicitly denies
    /// access to the sts:GetCallerIdentity action, you can still perform this operation."
    pub const GET_CALLER_IDENTITY: &str =
        "sts:GetCallerIdentity is never denied: it needs no permission and an explicit \
         deny does not apply to it (AWS STS API Reference, GetCallerIdentity)";
    /// AWS Organizations User Guide, "Service control policies" / "Resource control policies":
    /// they do not affect the management account.
    pub const MANAGEMENT_ACCOUNT: &str =
        "SCPs and RCPs do not affect the management account (AWS Organizations User Guide, \
         \"Service control policies\", \"Resource control policies\")";
    /// AWS Organizations User Guide: SCPs (and RCPs) do not restrict service-linked roles.
    pub const SERVICE_LINKED_ROLE: &str =
        "SCPs and RCPs do not restrict service-linked roles (AWS Organizations User Guide, \
         \"Service control policies\", \"Resource control policies\")";
}

/// The rule under which a policy of this type does not apply to the request.
pub fn exemption(kind: PolicyType, ctx: &RequestContext) -> Option<&'static str> {
    if ctx.action.eq_ignore_ascii_case("sts:GetCallerIdentity") {
        return Some(rules::GET_CALLER_IDENTITY);
    }
    if matches!(kind, PolicyType::Scp | PolicyType::Rcp) {
        if ctx.management_account {
            return Some(rules::MANAGEMENT_ACCOUNT);
        }
        if ctx.is_service_linked_role() {
            return Some(rules::SERVICE_LINKED_ROLE);
        }
    }
    None
}

/// A policy checked and typed once, ready for any number of requests.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledPolicy {
    kind: PolicyType,
    statements: Vec<document::CompiledStatement>,
    /// Notes about the document itself (e.g. a bare IPv6 value), repeated in every decision.
    notes: Vec<String>,
    /// The condition keys its statements read, each condition's slot.
    keys: request::KeyTable,
    /// The statements' slots in `keys`: `0, 1, ...`.
    own: Box<[usize]>,
    /// Its conditions, equal ones numbered alike (evaluated once per request).
    conditions: request::ConditionTable,
    own_conditions: Box<[usize]>,
}

/// The outcome without traces: what `impact` needs per record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    /// Index of the first Deny statement that applies.
    pub deny: Option<usize>,
    /// Some Allow statement applies (meaningful when `deny` is `None`); `true` when exempt.
    pub allow: bool,
    pub exemption: Option<&'static str>,
}

impl CompiledPolicy {
    /// Check and compile every statement: an unknown operator, a bad value or a refused element
    /// is an error even in a statement that would not decide the outcome.
    pub fn new(doc: &PolicyDocument, kind: PolicyType) -> Result<CompiledPolicy, EvalError> {
        document::compile(doc, kind)
    }

    pub fn kind(&self) -> PolicyType {
        self.kind
    }

    /// The label (Sid or `#N`) of statement `index`.
    pub fn statement_label(&self, index: usize) -> &str {
        self.statements.get(index).map_or("", |s| s.label.as_str())
    }

    /// What its memo holds, in order ([`document::memo_signatures`]).
    fn condition_signatures(&self) -> Vec<&str> {
        document::memo_signatures(&self.statements)
    }

    /// Every context key (lower-cased, sorted, once each) a decision of this policy can read
    /// besides the action, the resource and the management-account flag: condition keys,
    /// policy-variable keys, and for SCPs and RCPs `aws:principalarn` (the service-linked role
    /// exemption reads it). Two requests equal on these, the action, the resource and the flag
    /// are decided alike: the replay caches verdicts by that projection.
    pub fn read_keys(&self) -> Vec<String> {
        let mut out = Vec::new();
        for s in &self.statements {
            s.read_keys(&mut out);
        }
        if matches!(self.kind, PolicyType::Scp | PolicyType::Rcp) {
            out.push("aws:principalarn".into());
        }
        out.sort();
        out.dedup();
        out
    }

    /// [`CompiledPolicy::read_keys`] but for what the service-linked-role exemption reads: the
    /// keys of the statements only (lower-cased, sorted, once each). The exemption reads only
    /// whether `aws:PrincipalArn` is a service-linked role's, so a cache keyed by these keys and
    /// that yes/no decides alike (the replay's verdict cache: keyed by the whole ARN, it hit
    /// almost never, one principal and address at a time).
    pub fn statement_read_keys(&self) -> Vec<String> {
        let mut out = Vec::new();
        for s in &self.statements {
            s.read_keys(&mut out);
        }
        out.sort();
        out.dedup();
        out
    }

    /// The classes of addresses its statements tell apart for the address key `key`
    /// (lower-cased, e.g. `aws:sourceip`), or `None` when some statement reads it other than
    /// through IP operators and `Null`: every address apart ([`AddressClasses`]). Two requests
    /// equal but for addresses of one class are decided alike.
    pub fn address_classes(&self, key: &str) -> Option<AddressClasses> {
        let mut classes = AddressClasses::default();
        for s in &self.statements {
            if !s.address_classes(key, &mut classes) {
                return None;
            }
        }
        Some(classes.finish())
    }

    /// Refuse a request holding a value that a condition of a statement matching its action and
    /// resource cannot read ([`UnreadableValue`]); check before [`CompiledPolicy::decide`] or
    /// [`CompiledPolicy::evaluate`], which answer "no match" for such a value. A request the
    /// policy does not apply to (an AWS exemption) reads no condition and is never refused.
    pub fn check_request(&self, ctx: &RequestContext) -> Result<(), Box<UnreadableValue>> {
        if exemption(self.kind, ctx).is_some() {
            return Ok(());
        }
        let action = ctx.action.to_ascii_lowercase();
        for s in &self.statements {
            if let Some((c, value, takes)) = s.unreadable(ctx, &action) {
                return Err(Box::new(UnreadableValue {
                    policy: None,
                    statement: s.label.clone(),
                    operator: c.operator.clone(),
                    key: c.key.clone(),
                    value: crate::origin::excerpt(value),
                    takes,
                }));
            }
        }
        Ok(())
    }

    /// [`CompiledPolicy::check_request`] then [`CompiledPolicy::decide`] in one pass over the
    /// statements (what `impact` asks per record): `None` when the check refuses the request.
    /// Every statement matching the action and resource is still checked after a Deny is found,
    /// so the answer is the two calls' answer.
    pub fn decide_checked(&self, ctx: &RequestContext) -> Option<Verdict> {
        self.decide_alone::<true>(ctx)
    }

    /// Decide without traces or notes.
    pub fn decide(&self, ctx: &RequestContext) -> Verdict {
        self.decide_alone::<false>(ctx).unwrap_or(Verdict {
            deny: None,
            allow: false,
            exemption: None,
        })
    }

    /// One policy on its own: its keys resolved for this request, then [`Self::verdict`].
    fn decide_alone<const CHECKED: bool>(&self, ctx: &RequestContext) -> Option<Verdict> {
        let (mut buf, mut spill) = ([0u8; 128], String::new());
        let action = request::lower_action(&ctx.action, &mut buf, &mut spill);
        let mut slots = Vec::new();
        self.keys.resolve(ctx, &mut slots);
        self.conditions.with_memo(|memo| {
            let view = request::View {
                ctx,
                action,
                slots: &slots,
                map: &self.own,
                memo,
                conditions: &self.own_conditions,
            };
            self.verdict::<CHECKED>(&view, request::Exempt::of(ctx))
        })
    }

    /// The fast path of [`CompiledPolicy::decide`] (`CHECKED` false: stops at the first Deny
    /// that applies, never `None`) and [`CompiledPolicy::decide_checked`] (`CHECKED` true: also
    /// checks every statement matching the action and resource; `None` when one refuses the
    /// request).
    pub(crate) fn verdict<const CHECKED: bool>(
        &self,
        view: &request::View<'_, '_>,
        exempt: request::Exempt,
    ) -> Option<Verdict> {
        if let Some(rule) = exempt.rule(self.kind) {
            return Some(Verdict {
                deny: None,
                allow: true,
                exemption: Some(rule),
            });
        }
        let (mut deny, mut allow) = (None, false);
        for (i, s) in self.statements.iter().enumerate() {
            // Once a Deny applies (checked: it goes on only to check) or an Allow does, further
            // statements of that effect decide nothing.
            let wanted = deny.is_none() && (s.effect == Effect::Deny || !allow);
            if !CHECKED && !wanted {
                continue;
            }
            if !s.targets(view) {
                continue;
            }
            if CHECKED && s.unreadable_condition(view) {
                return None;
            }
            if wanted && s.conditions_hold(view) {
                match s.effect {
                    Effect::Deny => {
                        deny = Some(i);
                        if !CHECKED {
                            break;
                        }
                    }
                    Effect::Allow => allow = true,
                }
            }
        }
        Some(Verdict {
            deny,
            allow,
            exemption: None,
        })
    }

    /// Decide with a trace of every statement and condition.
    pub fn evaluate(&self, ctx: &RequestContext) -> Decision {
        let mut notes = self.notes.clone();
        let action = ctx.action.to_ascii_lowercase();
        let statements: Vec<StatementTrace> = self
            .statements
            .iter()
            .map(|s| s.trace(ctx, &action, &mut notes))
            .collect();
        if ctx.resource.is_none()
            && statements
                .iter()
                .any(|s| s.action_matched && !s.resource_matched)
        {
            notes.push(
                "no resource given: the request is taken as on \"*\", which only Resource \"*\" covers".into(),
            );
        }
        notes.dedup();
        let exemption = exemption(self.kind, ctx);
        let statement = statements
            .iter()
            .find(|s| s.applies && s.effect == "Deny")
            .filter(|_| exemption.is_none())
            .map(|s| s.statement.clone());
        let allowed =
            exemption.is_some() || statements.iter().any(|s| s.applies && s.effect == "Allow");
        Decision {
            denied: statement.is_some(),
            statement,
            statements,
            notes,
            allowed,
            exemption: exemption.map(str::to_string),
        }
    }
}

/// Evaluate every statement of `policy` for `ctx`, as an identity-style policy (Version
/// optional; SCP-only exemptions not applied). The whole policy is checked first, so an unknown
/// operator is an error even in a statement that would not decide the outcome.
pub fn evaluate(policy: &PolicyDocument, ctx: &RequestContext) -> Result<Decision, EvalError> {
    Ok(CompiledPolicy::new(policy, PolicyType::Identity)?.evaluate(ctx))
}

#[cfg(test)]
mod tests;
