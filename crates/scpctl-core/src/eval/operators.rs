//! Condition operators: their names, the typed policy values they take, and whether one request
//! value matches one policy value.
//!
//! [OPS] IAM User Guide, "IAM JSON policy elements: Condition operators" (every operator below,
//! `...IfExists` on all but Null); [SETS] "Set operators for multivalued context keys"
//! (`ForAnyValue:` / `ForAllValues:`); [NEG] "Conditions with multiple context keys or values",
//! "Evaluation logic for negated matching condition operators" (which operators are negated).

use std::net::IpAddr;

use ipnet::IpNet;

use super::actions_resources::{
    arn_parts_match, glob, has_six_components, split_arn, split_arn_pattern, tokens_equal,
};
use super::values::{parse_base64, parse_bool, parse_date, parse_number};
use super::variables::{Template, Tok};
use super::RequestContext;
use crate::cidr::{parse_cidr, CidrOptions};
use crate::origin::excerpt;
use crate::origin::Origin;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cmp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    fn holds(self, o: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            Cmp::Eq => o == Equal,
            Cmp::Lt => o == Less,
            Cmp::Le => o != Greater,
            Cmp::Gt => o == Greater,
            Cmp::Ge => o != Less,
        }
    }
}

/// The positive form of an operator; negation is a flag on [`Operator`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Base {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    Numeric(Cmp),
    Date(Cmp),
    Bool,
    BinaryEquals,
    IpAddress,
    /// ArnEquals and ArnLike: [OPS] lists them together, with the same matching.
    Arn,
    Null,
}

/// (name, positive form, negated). [NEG] the negated operators.
pub(crate) const OPERATORS: [(&str, Base, bool); 27] = [
    ("StringEquals", Base::StringEquals, false),
    ("StringNotEquals", Base::StringEquals, true),
    (
        "StringEqualsIgnoreCase",
        Base::StringEqualsIgnoreCase,
        false,
    ),
    (
        "StringNotEqualsIgnoreCase",
        Base::StringEqualsIgnoreCase,
        true,
    ),
    ("StringLike", Base::StringLike, false),
    ("StringNotLike", Base::StringLike, true),
    ("NumericEquals", Base::Numeric(Cmp::Eq), false),
    ("NumericNotEquals", Base::Numeric(Cmp::Eq), true),
    ("NumericLessThan", Base::Numeric(Cmp::Lt), false),
    ("NumericLessThanEquals", Base::Numeric(Cmp::Le), false),
    ("NumericGreaterThan", Base::Numeric(Cmp::Gt), false),
    ("NumericGreaterThanEquals", Base::Numeric(Cmp::Ge), false),
    ("DateEquals", Base::Date(Cmp::Eq), false),
    ("DateNotEquals", Base::Date(Cmp::Eq), true),
    ("DateLessThan", Base::Date(Cmp::Lt), false),
    ("DateLessThanEquals", Base::Date(Cmp::Le), false),
    ("DateGreaterThan", Base::Date(Cmp::Gt), false),
    ("DateGreaterThanEquals", Base::Date(Cmp::Ge), false),
    ("Bool", Base::Bool, false),
    ("BinaryEquals", Base::BinaryEquals, false),
    ("IpAddress", Base::IpAddress, false),
    ("NotIpAddress", Base::IpAddress, true),
    ("ArnEquals", Base::Arn, false),
    ("ArnLike", Base::Arn, false),
    ("ArnNotEquals", Base::Arn, true),
    ("ArnNotLike", Base::Arn, true),
    ("Null", Base::Null, false),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SetOp {
    /// A bare operator, for single-valued keys.
    Single,
    ForAnyValue,
    ForAllValues,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Operator {
    pub base: Base,
    pub negated: bool,
    pub if_exists: bool,
    pub set: SetOp,
}

/// Why an operator name is refused: unknown (with a did-you-mean hint).
pub(crate) enum OperatorError {
    Unknown(String),
}

impl Operator {
    pub(crate) fn parse(name: &str) -> Result<Operator, OperatorError> {
        let (set, rest) = if let Some(r) = name.strip_prefix("ForAnyValue:") {
            (SetOp::ForAnyValue, r)
        } else if let Some(r) = name.strip_prefix("ForAllValues:") {
            (SetOp::ForAllValues, r)
        } else {
            (SetOp::Single, name)
        };
        let (base_name, if_exists) = match rest.strip_suffix("IfExists") {
            Some(b) => (b, true),
            None => (rest, false),
        };
        if let Some((_, base, negated)) = OPERATORS.iter().find(|(n, _, _)| *n == base_name) {
            if *base == Base::Null && if_exists {
                // [OPS] "You can add IfExists to the end of any condition operator name except
                // the Null condition."
                return Err(OperatorError::Unknown(
                    " (Null has no IfExists form)".into(),
                ));
            }
            return Ok(Operator {
                base: *base,
                negated: *negated,
                if_exists,
                set,
            });
        }
        let prefix = &name[..name.len() - rest.len()];
        let hint = OPERATORS
            .iter()
            .find(|(n, _, _)| n.eq_ignore_ascii_case(base_name))
            .map(|(n, _, _)| {
                format!(
                    " (did you mean {prefix}{n}{}?)",
                    if if_exists { "IfExists" } else { "" }
                )
            })
            .or_else(|| {
                ["ForAnyValue:", "ForAllValues:"]
                    .iter()
                    .find(|p| {
                        name.len() > p.len()
                            && name.is_char_boundary(p.len())
                            && name[..p.len()].eq_ignore_ascii_case(p)
                    })
                    .map(|p| format!(" (set operators are spelled {p})"))
            })
            .unwrap_or_default();
        Err(OperatorError::Unknown(hint))
    }

    /// [OPS] String and ARN operators take policy variables, and "Boolean condition operators":
    /// "You can use a policy variable with the Boolean condition operator." The variables page
    /// ([VARS]) lists Boolean among the operators that cannot take one; scpctl follows the
    /// operators page and says so in a note ([`BOOL_VARIABLE_NOTE`]).
    pub(crate) fn takes_variables(self) -> bool {
        matches!(
            self.base,
            Base::StringEquals
                | Base::StringEqualsIgnoreCase
                | Base::StringLike
                | Base::Arn
                | Base::Bool
        )
    }
}

/// The note of a Bool condition whose value holds a policy variable: IAM's two pages disagree.
pub(crate) const BOOL_VARIABLE_NOTE: &str =
    "Bool with a policy variable: IAM's condition operators page says \"You can use a policy variable \
     with the Boolean condition operator\", while its policy variables page lists Boolean among the \
     operators that cannot take one; scpctl follows the operators page (the substituted value is read \
     as true or false; any other value matches nothing)";

/// A policy value, typed and checked when the policy is compiled.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum PolicyValue {
    /// String and ARN operators: tokens fixed at compile time, or a template with variables.
    Fixed(Vec<Tok>),
    /// An ARN pattern without variables, split into its six components once.
    FixedArn(Box<[Vec<Tok>; 6]>),
    Dynamic(Template),
    Number(f64),
    Date(i64),
    Bool(bool),
    Binary(Vec<u8>),
    Net(IpNet),
    /// Null: `true` means "must be absent".
    Null(bool),
}

/// A policy IP value: CIDR or bare address. [OPS] "If you specify an IP address without the
/// associated routing prefix, IAM uses the default prefix value of /32"; for a bare IPv6
/// address scpctl reads /128 and says so in a note.
pub(crate) fn policy_net(value: &str) -> Option<IpNet> {
    parse_cidr(
        value,
        &Origin::label("policy"),
        CidrOptions {
            normalize_host_bits: true,
        },
    )
    .ok()
}

/// Type and check one policy value for `op`. `Err` says why the value is refused.
pub(crate) fn compile_value(
    op: Operator,
    value: &str,
    variables: bool,
) -> Result<PolicyValue, String> {
    let var_hint = if value.contains("${") && variables && !op.takes_variables() {
        " (policy variables work only with the String, Arn and Bool operators)"
    } else {
        ""
    };
    match op.base {
        Base::StringEquals | Base::StringEqualsIgnoreCase | Base::StringLike | Base::Arn => {
            let template = Template::parse(value, variables)?;
            match template.fixed() {
                Some(toks) => {
                    if op.base != Base::Arn {
                        return Ok(PolicyValue::Fixed(toks));
                    }
                    match split_arn_pattern(&toks).filter(|_| has_six_components(&toks)) {
                        Some(parts) => Ok(PolicyValue::FixedArn(Box::new(parts))),
                        None => Err(format!(
                            "{} is not an ARN pattern: ARN operators compare the six components \
                             arn:partition:service:region:account:resource one by one",
                            excerpt(value)
                        )),
                    }
                }
                None => Ok(PolicyValue::Dynamic(template)),
            }
        }
        Base::Numeric(_) => parse_number(value)
            .map(PolicyValue::Number)
            .ok_or_else(|| format!("{} is not a number{var_hint}", excerpt(value))),
        Base::Date(_) => parse_date(value).map(PolicyValue::Date).ok_or_else(|| {
            format!(
                "{} is not an ISO 8601 date or epoch seconds{var_hint}",
                excerpt(value)
            )
        }),
        Base::Bool if variables && value.contains("${") => {
            let template = Template::parse(value, variables)?;
            match template.fixed() {
                None => Ok(PolicyValue::Dynamic(template)),
                Some(_) => parse_bool(value)
                    .map(PolicyValue::Bool)
                    .ok_or_else(|| format!("{value:?} is not true or false")),
            }
        }
        Base::Bool => parse_bool(value)
            .map(PolicyValue::Bool)
            .ok_or_else(|| format!("{} is not true or false{var_hint}", excerpt(value))),
        Base::Null => parse_bool(value)
            .map(PolicyValue::Null)
            .ok_or_else(|| format!("{} is not true or false", excerpt(value))),
        Base::BinaryEquals => parse_base64(value)
            .map(PolicyValue::Binary)
            .ok_or_else(|| format!("{} is not base64{var_hint}", excerpt(value))),
        Base::IpAddress => policy_net(value)
            .map(PolicyValue::Net)
            .ok_or_else(|| format!("{} is not an IP address or CIDR{var_hint}", excerpt(value))),
    }
}

/// One request value against one policy value, positive form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Match {
    Yes,
    No,
    /// The request value is not of the operator's type (not a number, not an address, ...).
    BadRequest,
    /// The policy value holds a variable with no value in this request.
    NoVariable,
}

fn of(b: bool) -> Match {
    if b {
        Match::Yes
    } else {
        Match::No
    }
}

/// A request value read once for the operator's type, then compared with every policy value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RequestValue<'a> {
    Text(&'a str),
    Arn([&'a str; 6]),
    Number(f64),
    Date(i64),
    Bool(bool),
    Binary(Vec<u8>),
    Ip(IpAddr),
    /// Not of the operator's type.
    Bad,
}

impl<'a> RequestValue<'a> {
    pub(crate) fn parse(base: Base, rv: &'a str) -> RequestValue<'a> {
        let typed = match base {
            Base::StringEquals | Base::StringEqualsIgnoreCase | Base::StringLike | Base::Null => {
                return RequestValue::Text(rv)
            }
            Base::Arn => split_arn(rv).map(RequestValue::Arn),
            Base::Numeric(_) => parse_number(rv).map(RequestValue::Number),
            Base::Date(_) => parse_date(rv).map(RequestValue::Date),
            Base::Bool => parse_bool(rv).map(RequestValue::Bool),
            Base::BinaryEquals => parse_base64(rv).map(RequestValue::Binary),
            Base::IpAddress => rv.trim().parse::<IpAddr>().ok().map(RequestValue::Ip),
        };
        typed.unwrap_or(RequestValue::Bad)
    }
}

fn string_match(base: Base, toks: &[Tok], rv: &RequestValue<'_>) -> Match {
    match (base, rv) {
        // [OPS] StringEquals is case-sensitive, ...IgnoreCase is not; StringLike takes * and ?.
        (Base::StringEquals, RequestValue::Text(t)) => of(tokens_equal(toks, t, false)),
        (Base::StringEqualsIgnoreCase, RequestValue::Text(t)) => of(tokens_equal(toks, t, true)),
        (Base::StringLike, RequestValue::Text(t)) => of(glob(toks, t, false)),
        (Base::Arn, RequestValue::Arn(t)) => {
            split_arn_pattern(toks).map_or(Match::No, |p| of(arn_parts_match(&p, t)))
        }
        _ => Match::BadRequest,
    }
}

/// Whether request value `rv` (read by [`RequestValue::parse`] for the same operator) matches
/// policy value `pv` under the positive form of `base`.
pub(crate) fn value_matches(
    base: Base,
    pv: &PolicyValue,
    rv: &RequestValue<'_>,
    ctx: &RequestContext,
) -> Match {
    if *rv == RequestValue::Bad {
        return Match::BadRequest;
    }
    match (pv, rv) {
        (PolicyValue::Fixed(toks), _) => string_match(base, toks, rv),
        (PolicyValue::FixedArn(p), RequestValue::Arn(t)) => of(arn_parts_match(p, t)),
        // A Bool value with a variable: the substituted text read as true or false.
        (PolicyValue::Dynamic(t), RequestValue::Bool(r)) => match t.resolve_text(ctx) {
            Some(text) => parse_bool(&text).map_or(Match::No, |p| of(p == *r)),
            None => Match::NoVariable,
        },
        (PolicyValue::Dynamic(t), _) => match t.resolve(ctx) {
            Some(toks) => string_match(base, &toks, rv),
            None => Match::NoVariable,
        },
        (PolicyValue::Number(p), RequestValue::Number(r)) => match base {
            Base::Numeric(cmp) => r.partial_cmp(p).map_or(Match::No, |o| of(cmp.holds(o))),
            _ => Match::No,
        },
        (PolicyValue::Date(p), RequestValue::Date(r)) => match base {
            Base::Date(cmp) => of(cmp.holds(r.cmp(p))),
            _ => Match::No,
        },
        (PolicyValue::Bool(p), RequestValue::Bool(r)) => of(r == p),
        (PolicyValue::Binary(p), RequestValue::Binary(r)) => of(r == p),
        (PolicyValue::Net(net), RequestValue::Ip(a)) => of(net.contains(a)),
        // Null is decided on presence, never value by value; other pairs cannot occur.
        _ => Match::No,
    }
}

#[cfg(test)]
#[path = "operators_tests.rs"]
mod tests;
