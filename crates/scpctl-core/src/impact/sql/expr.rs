//! The policy as a small expression tree, read once from the parsed document: rendered to
//! Trino SQL for Athena and interpreted here in Rust, so tests can hold the two against the
//! local replay. Only what the rendered policies use is translated; anything else is refused
//! with the reason (never guessed).

use std::net::{IpAddr, Ipv6Addr};
use std::str::FromStr;

use ipnet::{IpNet, Ipv6Net};

use crate::policy::{ActionSpec, Effect, PolicyDocument, ResourceSpec};

use super::quote;

/// A request-context key the mapped record can give (the design notes, "CloudTrail records as
/// request contexts"); any other key is never present in a replayed request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    PrincipalType,
    PrincipalArn,
    PrincipalAccount,
    Username,
    Userid,
    Mfa,
    RequestedRegion,
    CurrentTime,
    SourceVpce,
    ViaAwsService,
    SourceIp,
    VpcSourceIp,
    /// `aws:PrincipalTag/<key>`, by index into [`Program::tag_keys`].
    Tag(usize),
    /// A key no replayed request carries: always absent.
    Never,
}

impl Field {
    fn from_key(key: &str, tag_keys: &mut Vec<String>) -> Field {
        let lower = key.to_ascii_lowercase();
        if let Some(tag) = key.to_lowercase().strip_prefix("aws:principaltag/") {
            // IAM tag keys are case-insensitive.
            let i = match tag_keys.iter().position(|k| k == tag) {
                Some(i) => i,
                None => {
                    tag_keys.push(tag.to_string());
                    tag_keys.len() - 1
                }
            };
            return Field::Tag(i);
        }
        match lower.as_str() {
            "aws:principaltype" => Field::PrincipalType,
            "aws:principalarn" => Field::PrincipalArn,
            "aws:principalaccount" => Field::PrincipalAccount,
            "aws:username" => Field::Username,
            "aws:userid" => Field::Userid,
            "aws:multifactorauthpresent" => Field::Mfa,
            "aws:requestedregion" => Field::RequestedRegion,
            "aws:currenttime" => Field::CurrentTime,
            "aws:sourcevpce" => Field::SourceVpce,
            "aws:viaawsservice" => Field::ViaAwsService,
            "aws:sourceip" => Field::SourceIp,
            "aws:vpcsourceip" => Field::VpcSourceIp,
            _ => Field::Never,
        }
    }
}

/// A boolean over one request. Leaves are false when their key is absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    Const(bool),
    Present(Field),
    /// Present and equal (case-sensitively) to one of the values.
    InStrings(Field, Vec<String>),
    /// Present, an address, and inside one of the networks (same family).
    InNets(Field, Vec<IpNet>),
    /// Present and `true`/`false` (ASCII case-insensitive) equal to the value.
    BoolIs(Field, bool),
    /// The action matches one of the patterns (`*`, `?`; ASCII case-insensitive).
    Action(Vec<String>),
    Not(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
}

impl Expr {
    fn not(e: Expr) -> Expr {
        match e {
            Expr::Const(b) => Expr::Const(!b),
            Expr::Not(inner) => *inner,
            e => Expr::Not(Box::new(e)),
        }
    }
    fn and(v: Vec<Expr>) -> Expr {
        let mut out = Vec::new();
        for e in v {
            match e {
                Expr::Const(true) => {}
                Expr::Const(false) => return Expr::Const(false),
                e => out.push(e),
            }
        }
        match out.len() {
            0 => Expr::Const(true),
            1 => out.remove(0),
            _ => Expr::And(out),
        }
    }
    fn or(v: Vec<Expr>) -> Expr {
        let mut out = Vec::new();
        for e in v {
            match e {
                Expr::Const(false) => {}
                Expr::Const(true) => return Expr::Const(true),
                e => out.push(e),
            }
        }
        match out.len() {
            0 => Expr::Const(false),
            1 => out.remove(0),
            _ => Expr::Or(out),
        }
    }
}

/// The policy as ordered Deny statements: the first that holds gives the verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    pub statements: Vec<(String, Expr)>,
    /// Lower-cased tag keys the policy reads, in first-use order.
    pub tag_keys: Vec<String>,
}

/// Why a policy cannot be expressed in SQL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("statement {statement}: {what}: impact --engine athena translates only what scpctl renders (Deny statements, Resource \"*\", StringEquals/StringNotEquals, IpAddress/NotIpAddress, Bool, Null, each optionally ...IfExists, without policy variables or wildcards); use the local replay for this policy")]
pub struct Untranslatable {
    pub statement: String,
    pub what: String,
}

fn literal_value(v: &str) -> bool {
    !v.contains(['*', '?', '$']) && !v.contains('\0')
}

/// Translate a parsed policy. The semantics mirror `eval`: a key absent from the request makes
/// a positive operator false and a negated or `...IfExists` one true; several values of one
/// condition are ORed; the conditions of a statement are ANDed.
pub fn translate(policy: &PolicyDocument) -> Result<Program, Untranslatable> {
    let mut tag_keys = Vec::new();
    let mut statements = Vec::new();
    for (i, s) in policy.statements.iter().enumerate() {
        let label = s.sid.clone().unwrap_or_else(|| format!("#{}", i + 1));
        let fail = |what: String| Untranslatable {
            statement: label.clone(),
            what,
        };
        if s.effect != Effect::Deny {
            return Err(fail("an Allow statement".into()));
        }
        if s.has_principal {
            return Err(fail("a Principal element".into()));
        }
        match &s.resource {
            ResourceSpec::Absent => {}
            ResourceSpec::Resource(r) if r.iter().all(|r| r == "*") => {}
            _ => return Err(fail("a Resource other than \"*\"".into())),
        }
        let mut parts = Vec::new();
        let action = |patterns: &[String]| -> Result<Expr, Untranslatable> {
            if patterns
                .iter()
                .any(|p| p.contains('\0') || p.contains("${"))
            {
                return Err(fail("an action pattern with a variable or a NUL".into()));
            }
            Ok(if patterns.iter().any(|p| p == "*") {
                Expr::Const(true)
            } else {
                Expr::Action(patterns.iter().map(|p| p.to_ascii_lowercase()).collect())
            })
        };
        parts.push(match &s.action {
            ActionSpec::Action(p) => action(p)?,
            ActionSpec::NotAction(p) => Expr::not(action(p)?),
        });
        for c in &s.conditions {
            let op = c.operator.as_str();
            let (base, if_exists) = match op.strip_suffix("IfExists") {
                Some(b) => (b, true),
                None => (op, false),
            };
            let field = Field::from_key(&c.key, &mut tag_keys);
            let bad = || fail(format!("{} {}", c.operator, c.key));
            let (matched, negated) = match base {
                "StringEquals" | "StringNotEquals" => {
                    if !c.values.iter().all(|v| literal_value(v)) {
                        return Err(bad());
                    }
                    (
                        Expr::InStrings(field, c.values.clone()),
                        base == "StringNotEquals",
                    )
                }
                "IpAddress" | "NotIpAddress" => {
                    // Only the address keys reach the SQL as validated address text; any
                    // other key would need the strict address parse redone in SQL.
                    if !matches!(field, Field::SourceIp | Field::VpcSourceIp | Field::Never) {
                        return Err(bad());
                    }
                    let nets = c
                        .values
                        .iter()
                        .map(|v| parse_net(v))
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(bad)?;
                    (Expr::InNets(field, nets), base == "NotIpAddress")
                }
                "Bool" => {
                    let vals = c
                        .values
                        .iter()
                        .map(|v| parse_bool(v))
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(bad)?;
                    (
                        Expr::or(vals.into_iter().map(|b| Expr::BoolIs(field, b)).collect()),
                        false,
                    )
                }
                "Null" if !if_exists => {
                    let vals = c
                        .values
                        .iter()
                        .map(|v| parse_bool(v))
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(bad)?;
                    let present = Expr::Present(field);
                    parts.push(Expr::or(
                        vals.into_iter()
                            .map(|absent| {
                                if absent {
                                    Expr::not(present.clone())
                                } else {
                                    present.clone()
                                }
                            })
                            .collect(),
                    ));
                    continue;
                }
                _ => return Err(bad()),
            };
            let present = Expr::Present(field);
            // Absent: IfExists or negated -> true; positive -> false.
            parts.push(if if_exists || negated {
                Expr::or(vec![
                    Expr::not(present.clone()),
                    if negated { Expr::not(matched) } else { matched },
                ])
            } else {
                matched
            });
        }
        // A key no replayed request carries is absent: fold it away.
        let never = |f: Field| (f == Field::Never).then_some(None);
        statements.push((label, Expr::and(parts).fold(&never)));
    }
    Ok(Program {
        statements,
        tag_keys,
    })
}

fn parse_bool(v: &str) -> Option<bool> {
    if v.eq_ignore_ascii_case("true") {
        Some(true)
    } else if v.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

fn parse_net(v: &str) -> Option<IpNet> {
    let v = v.trim();
    IpNet::from_str(v)
        .ok()
        .map(|n| n.trunc())
        .or_else(|| IpAddr::from_str(v).ok().map(IpNet::from))
}

/// `*` and `?` patterns, ASCII case-insensitive (IAM action matching).
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
                continue;
            }
            Some('?') => {
                pi += 1;
                ti += 1;
                continue;
            }
            Some(c) if c.eq_ignore_ascii_case(&t[ti]) => {
                pi += 1;
                ti += 1;
                continue;
            }
            _ => {}
        }
        match star {
            Some((sp, st)) => {
                pi = sp + 1;
                ti = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// The values of one request, for the interpreter.
pub trait Lookup {
    fn get(&self, f: Field) -> Option<&str>;
    fn action(&self) -> &str;
}

impl Expr {
    /// Interpret on one request.
    pub fn eval(&self, r: &dyn Lookup) -> bool {
        match self {
            Expr::Const(b) => *b,
            Expr::Present(f) => r.get(*f).is_some(),
            Expr::InStrings(f, vals) => r.get(*f).is_some_and(|v| vals.iter().any(|x| x == v)),
            Expr::InNets(f, nets) => r
                .get(*f)
                .and_then(|v| IpAddr::from_str(v.trim()).ok())
                .is_some_and(|a| nets.iter().any(|n| n.contains(&a))),
            Expr::BoolIs(f, b) => r.get(*f).and_then(parse_bool) == Some(*b),
            Expr::Action(p) => p.iter().any(|p| glob(p, r.action())),
            Expr::Not(e) => !e.eval(r),
            Expr::And(v) => v.iter().all(|e| e.eval(r)),
            Expr::Or(v) => v.iter().any(|e| e.eval(r)),
        }
    }

    /// Fold the leaves over the fields `known` decides (a constant value or absent).
    pub fn fold(&self, known: &dyn Fn(Field) -> Option<Option<String>>) -> Expr {
        let leaf = |f: Field, test: &dyn Fn(Option<&str>) -> bool| {
            known(f).map(|v| Expr::Const(test(v.as_deref())))
        };
        match self {
            Expr::Const(_) | Expr::Action(_) => self.clone(),
            Expr::Present(f) => leaf(*f, &|v| v.is_some()).unwrap_or_else(|| self.clone()),
            Expr::InStrings(f, vals) => {
                leaf(*f, &|v| v.is_some_and(|v| vals.iter().any(|x| x == v)))
                    .unwrap_or_else(|| self.clone())
            }
            Expr::InNets(f, nets) => leaf(*f, &|v| {
                v.and_then(|v| IpAddr::from_str(v.trim()).ok())
                    .is_some_and(|a| nets.iter().any(|n| n.contains(&a)))
            })
            .unwrap_or_else(|| self.clone()),
            Expr::BoolIs(f, b) => {
                leaf(*f, &|v| v.and_then(parse_bool) == Some(*b)).unwrap_or_else(|| self.clone())
            }
            Expr::Not(e) => Expr::not(e.fold(known)),
            Expr::And(v) => Expr::and(v.iter().map(|e| e.fold(known)).collect()),
            Expr::Or(v) => Expr::or(v.iter().map(|e| e.fold(known)).collect()),
        }
    }

    /// Trino SQL, every leaf a definite boolean (never NULL). `col` spells a field's column
    /// (NULL when absent); `action` the action's; `nets_col` the column holding an address
    /// field's in-network test (computed once per record by [`in_nets_sql`]).
    pub fn sql(
        &self,
        col: &dyn Fn(Field) -> String,
        action: &str,
        nets_col: &dyn Fn(Field, &[IpNet]) -> String,
    ) -> String {
        match self {
            Expr::Const(true) => "TRUE".into(),
            Expr::Const(false) => "FALSE".into(),
            Expr::Present(f) => format!("({} IS NOT NULL)", col(*f)),
            Expr::InStrings(f, vals) => {
                let list: Vec<String> = vals.iter().map(|v| quote(v)).collect();
                format!("COALESCE({} IN ({}), FALSE)", col(*f), list.join(", "))
            }
            Expr::InNets(f, nets) => nets_col(*f, nets),
            Expr::BoolIs(f, b) => format!(
                "COALESCE(lower({}) = {}, FALSE)",
                col(*f),
                if *b { "'true'" } else { "'false'" }
            ),
            Expr::Action(p) => {
                let tests: Vec<String> = p
                    .iter()
                    .map(|p| {
                        format!(
                            "lower({action}) LIKE {} ESCAPE '\\'",
                            quote(&like_pattern(p))
                        )
                    })
                    .collect();
                format!("COALESCE({}, FALSE)", tests.join(" OR "))
            }
            Expr::Not(e) => format!("NOT ({})", e.sql(col, action, nets_col)),
            Expr::And(v) => {
                let parts: Vec<String> = v
                    .iter()
                    .map(|e| format!("({})", e.sql(col, action, nets_col)))
                    .collect();
                parts.join(" AND ")
            }
            Expr::Or(v) => {
                let parts: Vec<String> = v
                    .iter()
                    .map(|e| format!("({})", e.sql(col, action, nets_col)))
                    .collect();
                parts.join(" OR ")
            }
        }
    }
}

/// `::ffff:0:0/96`, the IPv4-mapped IPv6 addresses.
fn mapped_range() -> Ipv6Net {
    Ipv6Net::new(Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0, 0), 96).expect("96 <= 128")
}

/// Whether the address text `text` (a strict IPv4 or IPv6 literal, or NULL) lies in `nets`,
/// decided as the local replay decides it (Rust's `IpNet::contains` on the parsed address: an
/// IPv4 literal only in IPv4 networks, an IPv6 literal, IPv4-mapped or not, only in IPv6
/// networks over all 128 bits), written for Trino's semantics. `ip` is
/// `TRY_CAST(text AS IPADDRESS)`.
///
/// Trino stores every IPv4 value as its IPv4-mapped 16 bytes, and `contains` turns a mapped
/// value (and a mapped network base) back into 4 bytes, answers false across families (it
/// threw before Trino PR 18997) and throws on a prefix longer than the base. So the families
/// are split by a `CASE` (evaluated in order, unlike `AND`), a mapped IPv6 literal is detected
/// from the first 12 bytes of its `VARBINARY` form (`00..00FFFF`) and tested against the IPv4
/// form of the IPv6 networks' mapped part, and a network inside `::ffff:0:0/96` is never
/// passed to `contains` as IPv6 text. No branch ever hands `contains` two families.
pub fn in_nets_sql(text: &str, ip: &str, nets: &[IpNet]) -> String {
    let mapped = mapped_range();
    let (mut v4, mut v6, mut in_mapped) = (Vec::new(), Vec::new(), Vec::new());
    let mut all_mapped = false;
    for n in nets {
        match n.trunc() {
            IpNet::V4(n) => v4.push(n.to_string()),
            IpNet::V6(n) if mapped.contains(&n) => {
                // Only mapped addresses: their IPv4 form (a.b.c.d/(p-96)).
                let base = n.network().to_ipv4_mapped().expect("inside ::ffff:0:0/96");
                in_mapped.push(format!("{base}/{}", n.prefix_len() - 96));
            }
            IpNet::V6(n) => {
                all_mapped |= n.contains(&mapped);
                v6.push(n.to_string());
            }
        }
    }
    let any = |nets: &[String]| -> String {
        if nets.is_empty() {
            return "FALSE".into();
        }
        let tests: Vec<String> = nets
            .iter()
            .map(|n| format!("contains({}, {ip})", quote(n)))
            .collect();
        format!("COALESCE({}, FALSE)", tests.join(" OR "))
    };
    let mapped_test = if all_mapped {
        "TRUE".to_string()
    } else {
        any(&in_mapped)
    };
    format!(
        "CASE WHEN {text} IS NULL OR {ip} IS NULL THEN FALSE\n      \
         WHEN strpos({text}, ':') = 0 THEN {}\n      \
         WHEN substr(to_hex(CAST({ip} AS VARBINARY)), 1, 24) = '00000000000000000000FFFF' THEN {mapped_test}\n      \
         ELSE {} END",
        any(&v4),
        any(&v6),
    )
}

/// An IAM action pattern as a LIKE pattern with `\` as the escape character.
fn like_pattern(p: &str) -> String {
    let mut s = String::new();
    for c in p.chars() {
        match c {
            '*' => s.push('%'),
            '?' => s.push('_'),
            '%' | '_' | '\\' => {
                s.push('\\');
                s.push(c);
            }
            c => s.push(c.to_ascii_lowercase()),
        }
    }
    s
}

impl Program {
    /// Every distinct address test of the policy (field and networks), in first-use order.
    pub fn net_tests(&self) -> Vec<(Field, Vec<IpNet>)> {
        fn walk(e: &Expr, out: &mut Vec<(Field, Vec<IpNet>)>) {
            match e {
                Expr::InNets(f, n) if !out.iter().any(|(g, m)| g == f && m == n) => {
                    out.push((*f, n.clone()));
                }
                Expr::Not(e) => walk(e, out),
                Expr::And(v) | Expr::Or(v) => v.iter().for_each(|e| walk(e, out)),
                _ => {}
            }
        }
        let mut out = Vec::new();
        for (_, e) in &self.statements {
            walk(e, &mut out);
        }
        out
    }

    /// The verdict on one request with every key known: the Sid of the first Deny statement
    /// that holds, `None` when none does (`sts:GetCallerIdentity` is never denied).
    pub fn verdict(&self, r: &dyn Lookup) -> Option<&str> {
        if r.action().eq_ignore_ascii_case("sts:GetCallerIdentity") {
            return None;
        }
        self.statements
            .iter()
            .find(|(_, e)| e.eval(r))
            .map(|(s, _)| s.as_str())
    }
}
