//! Offline evaluation of a policy for one request: which Deny statement (if any) applies, and
//! why each condition matched or not.
//!
//! The rules follow the IAM User Guide; each is cited where it is applied:
//! - [ELEM] "IAM JSON policy elements: Condition" (request context, missing keys, case of key names)
//! - [OPS]  "IAM JSON policy elements: Condition operators" (each operator, `...IfExists`, `Null`)
//! - [MULTI] "Conditions with multiple context keys or values" (AND / OR / NOR)
//! - [ACTION] "IAM JSON policy elements: Action" (wildcards, case-insensitive action names)

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::Serialize;

use crate::cidr::{parse_cidr, CidrOptions};
use crate::origin::Origin;
use crate::policy::{ActionSpec, ConditionEntry, Effect, PolicyDocument, ResourceSpec, Statement};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    #[error("statement {statement}: unknown condition operator {operator:?}{hint}; scpctl does not guess what an unknown operator means")]
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BaseOp {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    Bool,
    Null,
    IpAddress,
    NotIpAddress,
}

const OPERATORS: [(&str, BaseOp); 10] = [
    ("StringEquals", BaseOp::StringEquals),
    ("StringNotEquals", BaseOp::StringNotEquals),
    ("StringEqualsIgnoreCase", BaseOp::StringEqualsIgnoreCase),
    (
        "StringNotEqualsIgnoreCase",
        BaseOp::StringNotEqualsIgnoreCase,
    ),
    ("StringLike", BaseOp::StringLike),
    ("StringNotLike", BaseOp::StringNotLike),
    ("Bool", BaseOp::Bool),
    ("Null", BaseOp::Null),
    ("IpAddress", BaseOp::IpAddress),
    ("NotIpAddress", BaseOp::NotIpAddress),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Operator {
    base: BaseOp,
    if_exists: bool,
}

impl Operator {
    fn parse(name: &str, statement: &str) -> Result<Operator, EvalError> {
        if name.starts_with("ForAnyValue:") || name.starts_with("ForAllValues:") {
            return Err(EvalError::Unsupported {
                statement: statement.into(),
                what: format!("the set operator {name:?} (multivalued context keys)"),
            });
        }
        let (base_name, if_exists) = match name.strip_suffix("IfExists") {
            Some(b) => (b, true),
            None => (name, false),
        };
        if let Some((_, base)) = OPERATORS.iter().find(|(n, _)| *n == base_name) {
            // [OPS] "You can add IfExists to the end of any condition operator name except
            // the Null condition."
            if *base == BaseOp::Null && if_exists {
                return Err(unknown(statement, name, " (Null has no IfExists form)"));
            }
            return Ok(Operator {
                base: *base,
                if_exists,
            });
        }
        let hint = OPERATORS
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(base_name))
            .map(|(n, _)| {
                format!(
                    " (did you mean {n}{}?)",
                    if if_exists { "IfExists" } else { "" }
                )
            })
            .unwrap_or_default();
        Err(unknown(statement, name, &hint))
    }

    /// Negated operators: [MULTI] their values combine with NOR, and [ELEM] "if the policy
    /// condition requires that the key is not matched, such as StringNotLike or ArnNotLike,
    /// and the right key is not present, the condition is true".
    fn negated(self) -> bool {
        matches!(
            self.base,
            BaseOp::StringNotEquals
                | BaseOp::StringNotEqualsIgnoreCase
                | BaseOp::StringNotLike
                | BaseOp::NotIpAddress
        )
    }
}

fn unknown(statement: &str, operator: &str, hint: &str) -> EvalError {
    EvalError::UnknownOperator {
        statement: statement.into(),
        operator: operator.into(),
        hint: hint.into(),
    }
}

/// The request as the policy sees it: the action and the context keys present.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestContext {
    pub action: String,
    /// Lower-cased key -> (key as given, values). [ELEM] "Condition key names are not
    /// case-sensitive."
    keys: BTreeMap<String, (String, Vec<String>)>,
}

impl RequestContext {
    pub fn new(action: impl Into<String>) -> Self {
        RequestContext {
            action: action.into(),
            keys: BTreeMap::new(),
        }
    }

    /// Add a value for a key (keys compare case-insensitively).
    pub fn with(mut self, key: &str, value: impl Into<String>) -> Self {
        self.keys
            .entry(key.to_lowercase())
            .or_insert_with(|| (key.to_string(), Vec::new()))
            .1
            .push(value.into());
        self
    }

    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.keys
            .get(&key.to_lowercase())
            .map(|(_, v)| v.as_slice())
    }

    /// The keys present, as given, with their values.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.keys.values().map(|(k, v)| (k.as_str(), v.as_slice()))
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
    pub conditions: Vec<ConditionTrace>,
    /// Action matched and every condition matched.
    pub applies: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub denied: bool,
    /// The first Deny statement that applies.
    pub statement: Option<String>,
    pub statements: Vec<StatementTrace>,
    pub notes: Vec<String>,
}

/// Glob match with `*` (any run) and `?` (one character), as IAM's wildcards.
fn glob(pattern: &str, text: &str, ignore_case: bool) -> bool {
    let norm = |s: &str| -> Vec<char> {
        if ignore_case {
            s.to_lowercase().chars().collect()
        } else {
            s.chars().collect()
        }
    };
    let (p, t) = (norm(pattern), norm(text));
    // Iterative matcher with backtracking to the last '*': linear-ish, no recursion blow-up.
    let (mut pi, mut ti) = (0usize, 0usize);
    let (mut star, mut mark) = (None, 0usize);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Whether one request value matches one policy value under a (non-Null) operator.
fn value_matches(op: Operator, policy: &str, request: &str) -> bool {
    match op.base {
        // [OPS] string operators: StringEquals is case-sensitive, ...IgnoreCase is not,
        // StringLike takes * and ? wildcards.
        BaseOp::StringEquals | BaseOp::StringNotEquals => policy == request,
        BaseOp::StringEqualsIgnoreCase | BaseOp::StringNotEqualsIgnoreCase => {
            policy.to_lowercase() == request.to_lowercase()
        }
        BaseOp::StringLike | BaseOp::StringNotLike => glob(policy, request, false),
        BaseOp::Bool => parse_bool(policy).is_some() && parse_bool(policy) == parse_bool(request),
        BaseOp::IpAddress | BaseOp::NotIpAddress => {
            let Ok(addr) = request.trim().parse::<IpAddr>() else {
                return false;
            };
            policy_net(policy).is_some_and(|net| net.contains(&addr))
        }
        BaseOp::Null => unreachable!("Null is evaluated on presence, not values"),
    }
}

/// A policy's IP value: CIDR, or a bare address. [OPS] "If you specify an IP address without
/// the associated routing prefix, IAM uses the default prefix value of /32"; for a bare IPv6
/// address scpctl reads /128 (what the writer almost surely meant) and says so in a note.
fn policy_net(value: &str) -> Option<ipnet::IpNet> {
    parse_cidr(
        value,
        &Origin::label("policy"),
        CidrOptions {
            normalize_host_bits: true,
        },
    )
    .ok()
}

fn check_values(
    op: Operator,
    entry: &ConditionEntry,
    statement: &str,
    notes: &mut Vec<String>,
) -> Result<(), EvalError> {
    let bad = |why: String| EvalError::BadValue {
        statement: statement.into(),
        operator: entry.operator.clone(),
        key: entry.key.clone(),
        why,
    };
    for v in &entry.values {
        if v.contains("${") {
            return Err(EvalError::Unsupported {
                statement: statement.into(),
                what: format!("the policy variable in {v:?}"),
            });
        }
        match op.base {
            BaseOp::Bool | BaseOp::Null if parse_bool(v).is_none() => {
                return Err(bad(format!("{v:?} is not true or false")));
            }
            BaseOp::IpAddress | BaseOp::NotIpAddress => {
                let net = policy_net(v)
                    .ok_or_else(|| bad(format!("{v:?} is not an IP address or CIDR")))?;
                if matches!(net, ipnet::IpNet::V6(_)) && !v.contains('/') {
                    notes.push(format!(
                        "statement {statement}: the IPv6 value {v:?} has no prefix; IAM documents a default of /32 for bare \
                         addresses, scpctl evaluated it as /128. Write the prefix explicitly."
                    ));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn eval_condition(op: Operator, entry: &ConditionEntry, ctx: &RequestContext) -> ConditionTrace {
    let request = ctx.get(&entry.key);
    let (matched, reason) = match (op.base, request) {
        // [OPS] Null: "true" means the key must be absent, "false" that it must be present.
        (BaseOp::Null, _) => {
            let present = request.is_some();
            let want_absent = entry.values.iter().any(|v| parse_bool(v) == Some(true));
            let want_present = entry.values.iter().any(|v| parse_bool(v) == Some(false));
            let m = (want_absent && !present) || (want_present && present);
            (
                m,
                format!("key is {}", if present { "present" } else { "absent" }),
            )
        }
        // [OPS] IfExists: "If the key is not present, evaluate the condition element as true."
        (_, None) if op.if_exists => (
            true,
            "key absent: ...IfExists treats that as a match".into(),
        ),
        // [ELEM] a missing key makes positive operators false and negated operators true.
        (_, None) if op.negated() => (
            true,
            "key absent: a negated operator matches a missing key".into(),
        ),
        (_, None) => (
            false,
            "key absent: a positive operator never matches a missing key".into(),
        ),
        (_, Some(values)) => {
            let any = values
                .iter()
                .any(|rv| entry.values.iter().any(|pv| value_matches(op, pv, rv)));
            if op.negated() {
                // [MULTI] NOR: true only if the request value matches none of the values.
                let why = if any {
                    "request value is one of the listed values"
                } else {
                    "request value is none of the listed values"
                };
                (!any, why.into())
            } else {
                // [MULTI] OR across the values of one key.
                let why = if any {
                    "request value matches a listed value"
                } else {
                    "request value matches no listed value"
                };
                (any, why.into())
            }
        }
    };
    ConditionTrace {
        operator: entry.operator.clone(),
        key: entry.key.clone(),
        policy_values: entry.values.clone(),
        request_values: request.map(<[String]>::to_vec),
        matched,
        reason,
    }
}

fn action_matches(spec: &ActionSpec, action: &str) -> bool {
    // [ACTION] action names are case-insensitive and take * and ? wildcards.
    match spec {
        ActionSpec::Action(patterns) => patterns.iter().any(|p| glob(p, action, true)),
        ActionSpec::NotAction(patterns) => !patterns.iter().any(|p| glob(p, action, true)),
    }
}

fn check_statement(s: &Statement, label: &str) -> Result<(), EvalError> {
    let unsupported = |what: &str| EvalError::Unsupported {
        statement: label.into(),
        what: what.into(),
    };
    if s.has_principal {
        return Err(unsupported(
            "a Principal element (SCPs and identity policies have none)",
        ));
    }
    match &s.resource {
        ResourceSpec::Absent => Ok(()),
        ResourceSpec::Resource(r) if r.iter().any(|x| x == "*") => Ok(()),
        ResourceSpec::Resource(r) => Err(unsupported(&format!(
            "Resource {r:?} (it evaluates requests on any resource, i.e. statements with Resource \"*\")"
        ))),
        ResourceSpec::NotResource(_) => Err(unsupported("NotResource")),
    }
}

/// Evaluate every statement of `policy` for `ctx`. The whole policy is checked first, so an
/// unknown operator is an error even in a statement that would not decide the outcome.
pub fn evaluate(policy: &PolicyDocument, ctx: &RequestContext) -> Result<Decision, EvalError> {
    let mut notes = Vec::new();
    let mut parsed = Vec::new();
    for (i, s) in policy.statements.iter().enumerate() {
        let label = s.label(i);
        check_statement(s, &label)?;
        let mut ops = Vec::new();
        for entry in &s.conditions {
            let op = Operator::parse(&entry.operator, &label)?;
            check_values(op, entry, &label, &mut notes)?;
            ops.push(op);
        }
        parsed.push((label, s, ops));
    }
    let mut statements = Vec::new();
    for (label, s, ops) in parsed {
        let action_matched = action_matches(&s.action, &ctx.action);
        let conditions: Vec<ConditionTrace> = s
            .conditions
            .iter()
            .zip(ops)
            .map(|(entry, op)| eval_condition(op, entry, ctx))
            .collect();
        // [MULTI] operators AND, keys AND: every condition must match.
        let applies = action_matched && conditions.iter().all(|c| c.matched);
        statements.push(StatementTrace {
            statement: label,
            effect: match s.effect {
                Effect::Allow => "Allow",
                Effect::Deny => "Deny",
            },
            action_matched,
            conditions,
            applies,
        });
    }
    let statement = statements
        .iter()
        .find(|s| s.applies && s.effect == "Deny")
        .map(|s| s.statement.clone());
    Ok(Decision {
        denied: statement.is_some(),
        statement,
        statements,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(condition: &str) -> PolicyDocument {
        PolicyDocument::from_json(&format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"S","Effect":"Deny","Action":"*","Resource":"*","Condition":{condition}}}]}}"#
        ))
        .unwrap()
    }

    fn denied(condition: &str, ctx: &RequestContext) -> bool {
        evaluate(&policy(condition), ctx).unwrap().denied
    }

    fn ctx() -> RequestContext {
        RequestContext::new("s3:ListAllMyBuckets")
    }

    #[test]
    fn string_equals_is_case_sensitive_and_ignore_case_is_not() {
        let c = ctx().with("aws:PrincipalTag/AccessException", "true");
        assert!(!denied(
            r#"{"StringEquals":{"aws:PrincipalTag/AccessException":"True"}}"#,
            &c
        ));
        assert!(denied(
            r#"{"StringEqualsIgnoreCase":{"aws:PrincipalTag/AccessException":"True"}}"#,
            &c
        ));
        assert!(denied(
            r#"{"StringNotEquals":{"aws:PrincipalTag/AccessException":"True"}}"#,
            &c
        ));
        assert!(!denied(
            r#"{"StringNotEqualsIgnoreCase":{"aws:PrincipalTag/AccessException":"True"}}"#,
            &c
        ));
    }

    #[test]
    fn key_names_are_case_insensitive() {
        let c = ctx().with("aws:SourceIp", "192.0.2.1");
        assert!(denied(
            r#"{"IpAddress":{"AWS:SOURCEIP":"192.0.2.0/24"}}"#,
            &c
        ));
    }

    #[test]
    fn missing_keys_fail_positive_and_pass_negated_operators() {
        let c = ctx();
        assert!(!denied(
            r#"{"StringEquals":{"aws:PrincipalType":"User"}}"#,
            &c
        ));
        assert!(!denied(r#"{"Bool":{"aws:ViaAWSService":"false"}}"#, &c));
        assert!(!denied(
            r#"{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}"#,
            &c
        ));
        assert!(denied(
            r#"{"StringNotEquals":{"aws:PrincipalTag/AccessException":"True"}}"#,
            &c
        ));
        assert!(denied(
            r#"{"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}}"#,
            &c
        ));
        assert!(denied(
            r#"{"StringNotLike":{"aws:PrincipalArn":"arn:*"}}"#,
            &c
        ));
    }

    #[test]
    fn if_exists_matches_a_missing_key_and_otherwise_behaves_normally() {
        assert!(denied(
            r#"{"StringEqualsIfExists":{"aws:PrincipalType":"User"}}"#,
            &ctx()
        ));
        let c = ctx().with("aws:PrincipalType", "AssumedRole");
        assert!(!denied(
            r#"{"StringEqualsIfExists":{"aws:PrincipalType":"User"}}"#,
            &c
        ));
        let c = ctx().with("aws:SourceIp", "192.0.2.9");
        assert!(!denied(
            r#"{"NotIpAddressIfExists":{"aws:SourceIp":"192.0.2.0/24"}}"#,
            &c
        ));
        assert!(denied(
            r#"{"NotIpAddressIfExists":{"aws:SourceIp":"192.0.2.0/24"}}"#,
            &ctx()
        ));
    }

    #[test]
    fn null_tests_presence() {
        let with = ctx().with("kms:ViaService", "s3.amazonaws.com");
        assert!(denied(r#"{"Null":{"kms:ViaService":"true"}}"#, &ctx()));
        assert!(!denied(r#"{"Null":{"kms:ViaService":"true"}}"#, &with));
        assert!(denied(r#"{"Null":{"kms:ViaService":"false"}}"#, &with));
        assert!(!denied(r#"{"Null":{"kms:ViaService":false}}"#, &ctx()));
    }

    #[test]
    fn values_or_and_negated_values_nor() {
        let c = ctx().with("aws:PrincipalTag/team", "b");
        assert!(denied(
            r#"{"StringEquals":{"aws:PrincipalTag/team":["a","b"]}}"#,
            &c
        ));
        // NOR: "not a" OR "not b" would be true for every value; IAM's NOR is false here.
        assert!(!denied(
            r#"{"StringNotEquals":{"aws:PrincipalTag/team":["a","b"]}}"#,
            &c
        ));
        assert!(denied(
            r#"{"StringNotEquals":{"aws:PrincipalTag/team":["a","c"]}}"#,
            &c
        ));
    }

    #[test]
    fn operators_and_keys_combine_with_and() {
        let c = ctx()
            .with("aws:PrincipalType", "User")
            .with("aws:SourceIp", "198.51.100.1");
        assert!(denied(
            r#"{"StringEquals":{"aws:PrincipalType":"User"},"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}}"#,
            &c
        ));
        assert!(!denied(
            r#"{"StringEquals":{"aws:PrincipalType":"User","aws:PrincipalTag/x":"y"}}"#,
            &c
        ));
        assert!(!denied(
            r#"{"StringEquals":{"aws:PrincipalType":"User"},"NotIpAddress":{"aws:SourceIp":"198.51.100.0/24"}}"#,
            &c
        ));
    }

    #[test]
    fn ip_operators_handle_ipv4_ipv6_and_bare_addresses() {
        let v4 = ctx().with("aws:SourceIp", "203.0.113.5");
        let v6 = ctx().with("aws:SourceIp", "2001:db8:1234::42");
        assert!(denied(
            r#"{"IpAddress":{"aws:SourceIp":["192.0.2.0/24","203.0.113.5"]}}"#,
            &v4
        ));
        assert!(!denied(
            r#"{"IpAddress":{"aws:SourceIp":"203.0.113.6"}}"#,
            &v4
        ));
        assert!(denied(
            r#"{"IpAddress":{"aws:SourceIp":"2001:db8:1234::/48"}}"#,
            &v6
        ));
        assert!(!denied(
            r#"{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}"#,
            &v6
        ));
        let d = evaluate(
            &policy(r#"{"IpAddress":{"aws:SourceIp":"2001:db8:1234::42"}}"#),
            &v6,
        )
        .unwrap();
        assert!(d.denied);
        assert!(d.notes[0].contains("no prefix"), "{:?}", d.notes);
        // A request value that is not an address never matches.
        assert!(!denied(
            r#"{"IpAddress":{"aws:SourceIp":"0.0.0.0/1"}}"#,
            &ctx().with("aws:SourceIp", "nope")
        ));
    }

    #[test]
    fn bool_compares_truth_values() {
        let c = ctx().with("aws:ViaAWSService", "false");
        assert!(denied(r#"{"Bool":{"aws:ViaAWSService":"false"}}"#, &c));
        assert!(denied(r#"{"Bool":{"aws:ViaAWSService":false}}"#, &c));
        assert!(!denied(r#"{"Bool":{"aws:ViaAWSService":"true"}}"#, &c));
    }

    #[test]
    fn string_like_wildcards() {
        let c = ctx().with("aws:PrincipalArn", "arn:aws:iam::111122223333:user/app-1");
        assert!(denied(
            r#"{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/app-?"}}"#,
            &c
        ));
        assert!(!denied(
            r#"{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/APP-?"}}"#,
            &c
        ));
        assert!(!denied(r#"{"StringNotLike":{"aws:PrincipalArn":"*"}}"#, &c));
    }

    #[test]
    fn actions_match_with_wildcards_case_insensitively() {
        let p = |a: &str| {
            PolicyDocument::from_json(&format!(
                r#"{{"Statement":{{"Effect":"Deny","Action":{a}}}}}"#
            ))
            .unwrap()
        };
        let c = ctx();
        assert!(evaluate(&p(r#""s3:*""#), &c).unwrap().denied);
        assert!(evaluate(&p(r#""S3:list*""#), &c).unwrap().denied);
        assert!(!evaluate(&p(r#"["ec2:*","iam:*"]"#), &c).unwrap().denied);
        let not =
            PolicyDocument::from_json(r#"{"Statement":{"Effect":"Deny","NotAction":"s3:*"}}"#)
                .unwrap();
        assert!(!evaluate(&not, &c).unwrap().denied);
        // The statement label falls back to its position.
        assert_eq!(
            evaluate(&p(r#""*""#), &c).unwrap().statement.as_deref(),
            Some("#1")
        );
    }

    #[test]
    fn allow_statements_never_deny() {
        let p = PolicyDocument::from_json(
            r#"{"Statement":{"Sid":"FullAWSAccess","Effect":"Allow","Action":"*","Resource":"*"}}"#,
        )
        .unwrap();
        let d = evaluate(&p, &ctx()).unwrap();
        assert!(!d.denied && d.statements[0].applies);
    }

    #[test]
    fn unknown_and_unsupported_are_errors_not_silent_no_match() {
        let err = |cond: &str| evaluate(&policy(cond), &ctx()).unwrap_err().to_string();
        assert!(
            err(r#"{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}"#)
                .contains("unknown condition operator \"NumericLessThan\"")
        );
        assert!(err(r#"{"stringequals":{"a":"b"}}"#).contains("did you mean StringEquals"));
        assert!(err(r#"{"NullIfExists":{"a":"true"}}"#).contains("Null has no IfExists"));
        assert!(err(r#"{"ForAnyValue:StringEquals":{"a":"b"}}"#).contains("not supported"));
        assert!(err(r#"{"Bool":{"a":"yes"}}"#).contains("not true or false"));
        assert!(err(r#"{"IpAddress":{"aws:SourceIp":"192.0.2.0/33"}}"#)
            .contains("not an IP address or CIDR"));
        assert!(
            err(r#"{"StringEquals":{"aws:username":"${aws:username}"}}"#)
                .contains("policy variable")
        );
        let r = PolicyDocument::from_json(
            r#"{"Statement":{"Effect":"Deny","Action":"*","Resource":"arn:aws:s3:::b"}}"#,
        )
        .unwrap();
        assert!(evaluate(&r, &ctx())
            .unwrap_err()
            .to_string()
            .contains("Resource"));
        // An unknown operator in a statement that would not decide is still an error.
        let two = PolicyDocument::from_json(r#"{"Statement":[{"Effect":"Deny","Action":"*"},{"Effect":"Deny","Action":"*","Condition":{"Foo":{"a":"b"}}}]}"#).unwrap();
        assert!(evaluate(&two, &ctx()).is_err());
    }

    #[test]
    fn glob_edge_cases() {
        assert!(glob("*", "", false));
        assert!(glob("a*b*c", "aXbYc", false));
        assert!(!glob("a*b*c", "aXbY", false));
        assert!(glob("??", "ab", false));
        assert!(!glob("?", "", false));
        assert!(glob(
            "*a",
            &"b".repeat(1000).chars().chain(['a']).collect::<String>(),
            false
        ));
    }
}
