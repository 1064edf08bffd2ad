//! `impact --engine athena`: one Trino `SELECT` over AWS's CloudTrail table for Athena that
//! maps each record to its request and decides it as the local replay does. Pure: the edge
//! (`src/aws/athena.rs`) only starts, polls and pages the query.
//!
//! - The record-to-request mapping is generated from the rules table in `rules.rs` (the same
//!   rows `map.rs` reads); the policy from [`expr::Program`], a small expression tree that is
//!   both rendered here and interpreted in Rust (the parity tests hold it against `Replayer`).
//! - Unknown network keys: every candidate address (and absent) is tried with each possible
//!   `aws:ViaAWSService`, with the address leaves folded to constants in Rust, and the record is
//!   decided only when all give the same verdict, as `Replayer::replay` does.
//! - Every inlined value is a quoted literal ([`quote`]); identifiers are checked.

pub mod ddl;
pub mod expr;
mod mapping;
pub mod rows;

use std::net::IpAddr;

use super::map::MapOptions;
use super::replay::TagSource;
use super::rules::{ApartReason, IdentityRule, PrincipalKind, IDENTITY_TYPES};
use crate::cidr::CidrSet;
use expr::{Expr, Field, Program};

/// Athena's limit on the query string (Athena User Guide, "Service Quotas": 262,144 bytes).
pub const MAX_QUERY_BYTES: usize = 262_144;

/// A SQL string literal: single quotes doubled, which is the only escape Trino's literals
/// have (a backslash is an ordinary character). NUL is refused by [`check_value`] first.
pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Values inlined into the query: no NUL and no other control character (none occurs in
/// ARNs, tags, account ids or Regions; refusing them keeps the query one printable text).
pub fn check_value(what: &str, v: &str) -> Result<(), SqlError> {
    if v.chars().any(|c| c.is_control()) {
        return Err(SqlError::BadValue(format!(
            "{what} {v:?} holds a control character"
        )));
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SqlError {
    #[error(transparent)]
    Policy(#[from] expr::Untranslatable),
    #[error("{0}")]
    BadValue(String),
    #[error("{0}")]
    Usage(String),
    #[error("the query is {0} bytes, over Athena's limit of 262,144 (mostly the inlined principal tags and CIDRs): run it per account (--account) or with fewer tagged principals")]
    TooLong(usize),
}

/// How the CloudTrail table is partitioned (see [`ddl`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableLayout {
    /// Organization trail, partition projection: `account` (injected), `region`, `timestamp`.
    OrgProjection,
    /// AWS's single account and Region table with projection: `timestamp` only.
    Projection,
    /// Manual partitions: `account`, `region`, `year`, `month`, `day`.
    Partitioned,
}

/// Everything the query depends on.
#[derive(Debug, Clone)]
pub struct QuerySpec<'a> {
    /// `db.table` or `table`.
    pub table: &'a str,
    pub layout: TableLayout,
    pub map: &'a MapOptions,
    /// Accounts whose partitions to read (the `account` partition key).
    pub partition_accounts: &'a [String],
    pub regions: &'a [String],
    pub allow_full_scan: bool,
    pub tags: &'a TagSource,
    pub candidates: &'a [IpAddr],
    /// For the outside addresses of the report.
    pub cidrs: &'a CidrSet,
    pub per_record: bool,
}

pub(super) fn list(v: impl IntoIterator<Item = String>) -> String {
    v.into_iter().collect::<Vec<_>>().join(", ")
}

/// The parts of `--table` (`db.table` or `table`), lower-cased as Athena stores them. `hyphen`:
/// whether `-` is accepted (querying a database some other tool named; Athena's own DDL
/// refuses it: "Special characters other than underscore (_) are not supported").
fn table_parts(t: &str, hyphen: bool) -> Result<Vec<String>, SqlError> {
    let parts: Vec<&str> = t.split('.').collect();
    let ok = (1..=2).contains(&parts.len())
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.len() <= 255
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || (hyphen && b == b'-'))
        });
    if !ok {
        let allowed = if hyphen {
            "letters, digits, _ and -"
        } else {
            "letters, digits and _: Athena's CREATE TABLE supports no other special character"
        };
        return Err(SqlError::Usage(format!(
            "--table {}: expected DATABASE.TABLE ({allowed})",
            crate::origin::excerpt(t)
        )));
    }
    Ok(parts.iter().map(|p| p.to_lowercase()).collect())
}

fn check_table(t: &str) -> Result<String, SqlError> {
    Ok(table_parts(t, true)?
        .iter()
        .map(|p| format!("\"{p}\""))
        .collect::<Vec<_>>()
        .join("."))
}

fn check_region(r: &str) -> Result<(), SqlError> {
    if !r.is_empty()
        && r.len() <= 30
        && r.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        Ok(())
    } else {
        Err(SqlError::Usage(format!(
            "--region {r:?}: expected a Region name such as eu-west-1"
        )))
    }
}

pub(super) fn check_account(a: &str) -> Result<(), SqlError> {
    if crate::names::check_account_id(a).is_ok() {
        Ok(())
    } else {
        Err(SqlError::Usage(format!(
            "--account {a:?}: an AWS account id is 12 digits"
        )))
    }
}

/// The partition predicates, always: the date range padded by the delivery margin at its end
/// (a file is delivered after the records it holds), and account/Region when given.
pub(super) fn partition_filter(spec: &QuerySpec<'_>) -> Result<Vec<String>, SqlError> {
    let mut w = Vec::new();
    let time = &spec.map.time;
    for a in spec.partition_accounts {
        check_account(a)?;
    }
    for r in spec.regions {
        check_region(r)?;
    }
    let accounts = list(spec.partition_accounts.iter().map(|a| quote(a)));
    let regions = list(spec.regions.iter().map(|r| quote(r)));
    let (since, until) = match (&time.since, &time.until) {
        (Some(s), Some(u)) => (
            Some(s[..10].replace('-', "/")),
            Some(super::time::add_days(&u[..10], super::time::DELIVERY_MARGIN_DAYS).replace('-', "/")),
        ),
        _ if spec.allow_full_scan => (None, None),
        _ => {
            return Err(SqlError::Usage(
                "--engine athena needs --since and --until (Athena bills every byte scanned); pass --allow-full-scan to read the whole table".into(),
            ))
        }
    };
    let date = |col: &str| -> Option<String> {
        Some(format!(
            "{col} BETWEEN {} AND {}",
            quote(since.as_deref()?),
            quote(until.as_deref()?)
        ))
    };
    match spec.layout {
        TableLayout::OrgProjection => {
            if spec.partition_accounts.is_empty() {
                return Err(SqlError::Usage(
                    "--layout org-projection: the account partition is injected, so Athena needs its values: give --account ID (repeatable)".into(),
                ));
            }
            w.push(format!("account IN ({accounts})"));
            if !spec.regions.is_empty() {
                w.push(format!("region IN ({regions})"));
            }
            w.extend(date("\"timestamp\""));
        }
        TableLayout::Projection => {
            if !spec.regions.is_empty() {
                return Err(SqlError::Usage(
                    "--layout projection: AWS's single-account table holds one account and one Region (one table each); --region does not apply".into(),
                ));
            }
            w.extend(date("\"timestamp\""));
        }
        TableLayout::Partitioned => {
            if !spec.partition_accounts.is_empty() {
                w.push(format!("account IN ({accounts})"));
            }
            if !spec.regions.is_empty() {
                w.push(format!("region IN ({regions})"));
            }
            w.extend(date("concat(year, '/', month, '/', day)"));
        }
    }
    // Then the exact bounds on eventtime are the mapping's (outside_time_range, as locally).
    Ok(w)
}

/// The column of a field in stage `m` (NULL when absent), with the address columns and
/// `aws:ViaAWSService` given by the caller (known values or a combination's).
fn column(f: Field, via: &str) -> String {
    match f {
        Field::PrincipalType => "pkind".into(),
        Field::PrincipalArn => "parn".into(),
        Field::PrincipalAccount => "account".into(),
        Field::Username => "(CASE WHEN pkind = 'User' THEN uname END)".into(),
        Field::Userid => "uid".into(),
        Field::Mfa => "(CASE WHEN mfa IN ('true', 'false') THEN mfa END)".into(),
        Field::RequestedRegion => "region".into(),
        Field::CurrentTime => "etime".into(),
        Field::SourceVpce => "vpce".into(),
        Field::ViaAwsService => via.into(),
        Field::SourceIp => "f_sourceip".into(),
        Field::VpcSourceIp => "f_vpcsourceip".into(),
        Field::Tag(i) => format!("t{i}"),
        Field::Never => "CAST(NULL AS VARCHAR)".into(),
    }
}

/// The address column of an address field and its `IPADDRESS` form (see [`expr::in_nets_sql`]).
fn address_columns(f: Field) -> Option<(&'static str, &'static str)> {
    match f {
        Field::SourceIp => Some(("f_sourceip", "ip_sourceip")),
        Field::VpcSourceIp => Some(("f_vpcsourceip", "ip_vpcsourceip")),
        _ => None,
    }
}

/// The address tests computed once per record: (field, networks, column name).
struct NetColumns(Vec<(Field, Vec<ipnet::IpNet>, String)>);

impl NetColumns {
    fn sql(&self, f: Field, nets: &[ipnet::IpNet]) -> String {
        match self.0.iter().find(|(g, n, _)| *g == f && n == nets) {
            Some((_, _, name)) => name.clone(),
            // Not collected (no policy reaches here): the test inline, same semantics.
            None => match address_columns(f) {
                Some((text, _)) => {
                    expr::in_nets_sql(text, &format!("TRY_CAST({text} AS IPADDRESS)"), nets)
                }
                None => "FALSE".into(),
            },
        }
    }
}

/// The verdict as text: the Sid of the first Deny statement that holds, '' when none.
fn verdict_sql(statements: &[(String, Expr)], via: &str, nets: &NetColumns) -> String {
    let col = |f: Field| column(f, via);
    let nets_col = |f: Field, n: &[ipnet::IpNet]| nets.sql(f, n);
    let mut s = String::from("CASE WHEN lower(action) = 'sts:getcalleridentity' THEN ''");
    for (sid, e) in statements {
        if *e == Expr::Const(false) {
            continue;
        }
        s.push_str(&format!(
            " WHEN {} THEN {}",
            e.sql(&col, "action", &nets_col),
            quote(sid)
        ));
    }
    s.push_str(" ELSE '' END");
    s
}

/// The whole query.
pub fn generate(spec: &QuerySpec<'_>, program: &Program) -> Result<String, SqlError> {
    let from = check_table(spec.table)?;
    for (sid, _) in &program.statements {
        check_value("Sid", sid)?;
        // The verdict column holds a Sid, '' (allowed), '~' or 'skip:'/'apart:' codes.
        if sid.is_empty() || sid == "~" || sid.contains(':') {
            return Err(SqlError::BadValue(format!(
                "Sid {sid:?}: impact --engine athena needs Sids without ':' (IAM allows only letters and digits)"
            )));
        }
    }
    let stages = mapping::mapping(spec, program, &from)?;
    // Each address test once per record, as a column (a list of hundreds of CIDRs is one
    // expression, not one per use), the report's own CIDR test first.
    let mut tests = vec![(Field::SourceIp, spec.cidrs.iter().collect::<Vec<_>>())];
    for t in program.net_tests() {
        if !tests.contains(&t) {
            tests.push(t);
        }
    }
    let nets = NetColumns(
        tests
            .into_iter()
            .filter(|(f, _)| address_columns(*f).is_some())
            .enumerate()
            .map(|(i, (f, n))| (f, n, format!("in{i}")))
            .collect(),
    );
    let net_cols: Vec<String> = nets
        .0
        .iter()
        .map(|(f, n, name)| {
            let (text, ip) = address_columns(*f).expect("filtered above");
            format!("    {} AS {name}", expr::in_nets_sql(text, ip, n))
        })
        .collect();
    let net_stages = format!(
        "x AS (\n  SELECT m.*, TRY_CAST(f_sourceip AS IPADDRESS) AS ip_sourceip, \
         TRY_CAST(f_vpcsourceip AS IPADDRESS) AS ip_vpcsourceip\n  FROM m\n),\n\
         y AS (\n  SELECT x.*,\n{}\n  FROM x\n)",
        net_cols.join(",\n")
    );
    // Combinations for unknown network keys: each candidate address and absent, with vpce
    // (aws:VpcSourceIp) or without (aws:SourceIp), with aws:ViaAWSService as known or each value.
    let mut addresses: Vec<Option<String>> = spec
        .candidates
        .iter()
        .map(|a| Some(a.to_string()))
        .collect();
    addresses.push(None);
    let mut combos = Vec::new();
    let mut groups: [Vec<String>; 2] = [Vec::new(), Vec::new()];
    for (g, vpce) in [false, true].into_iter().enumerate() {
        for a in &addresses {
            for via in ["false", "true"] {
                let known = |f: Field| match f {
                    Field::SourceIp => Some(if vpce { None } else { a.clone() }),
                    Field::VpcSourceIp => Some(if vpce { a.clone() } else { None }),
                    _ => None,
                };
                let folded: Vec<(String, Expr)> = program
                    .statements
                    .iter()
                    .map(|(s, e)| (s.clone(), e.fold(&known)))
                    .collect();
                let name = format!("c{}", combos.len());
                combos.push(format!(
                    "      {} AS {name}",
                    verdict_sql(&folded, &format!("COALESCE(via, '{via}')"), &nets)
                ));
                groups[g].push(name);
            }
        }
    }
    let same = |g: &[String]| -> String {
        let first = &g[0];
        let eq: Vec<String> = g[1..].iter().map(|c| format!("{c} = {first}")).collect();
        format!("CASE WHEN {} THEN {first} END", eq.join(" AND "))
    };
    let in_cidrs = nets.sql(Field::SourceIp, &spec.cidrs.iter().collect::<Vec<_>>());
    let verdicts = format!(
        "v AS (\n  SELECT y.*,\n    CASE WHEN pre IS NULL AND net_unknown IS NULL AND via IS NOT NULL THEN {} END AS known,\n{},\n    \
         CASE WHEN f_sourceip IS NOT NULL AND NOT ({in_cidrs}) THEN f_sourceip END AS outside\n  FROM y\n),\n\
         r AS (\n  SELECT *,\n    CASE WHEN pre IS NOT NULL THEN pre WHEN known IS NOT NULL THEN known\n      \
         WHEN vpce IS NULL THEN COALESCE({}, '~') ELSE COALESCE({}, '~') END AS verdict\n  FROM v\n),\n\
         o AS (\n  SELECT event_id, account, parn, pkind, action, etime, outside, sip, es, en,\n    \
         CASE WHEN verdict LIKE 'skip:%' THEN 'skip' WHEN verdict LIKE 'apart:%' OR verdict = '~' THEN 'apart'\n      \
         WHEN verdict = '' THEN 'allowed' ELSE 'denied' END AS status,\n    \
         CASE WHEN verdict LIKE 'skip:%' OR verdict LIKE 'apart:%' OR verdict = '' OR verdict = '~' THEN CAST(NULL AS VARCHAR) ELSE verdict END AS sid,\n    \
         CASE WHEN verdict LIKE 'skip:%' THEN substr(verdict, 6) WHEN verdict LIKE 'apart:%' THEN substr(verdict, 7)\n      \
         WHEN verdict = '~' THEN {} END AS reason,\n    CASE WHEN verdict = '~' THEN net_unknown END AS net\n  FROM r\n)",
        verdict_sql(&program.statements, "via", &nets),
        combos.join(",\n"),
        same(&groups[0]),
        same(&groups[1]),
        quote(ApartReason::VerdictDependsOnNetwork.code()),
    );
    let tail = if spec.per_record {
        "SELECT event_id AS eventid, status, sid, reason, account, parn, sip, es, en, etime FROM o"
            .to_string()
    } else {
        // Per principal: what the report shows, grouped where the data lives.
        "SELECT status, reason, net, account, parn, pkind, sid,\n  \
         CASE WHEN status = 'denied' THEN action END AS denied_action,\n  \
         CASE WHEN status IN ('denied', 'allowed') THEN outside END AS outside,\n  count(*) AS n,\n  \
         min(CASE WHEN status IN ('denied', 'allowed') THEN etime END) AS first_seen,\n  \
         max(CASE WHEN status IN ('denied', 'allowed') THEN etime END) AS last_seen\nFROM o\n\
         GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9"
            .to_string()
    };
    let sql = format!("WITH {stages},\n{net_stages},\n{verdicts}\n{tail}\n");
    if sql.len() > MAX_QUERY_BYTES {
        return Err(SqlError::TooLong(sql.len()));
    }
    Ok(sql)
}

/// The principal kind of an `aws:PrincipalType` value.
pub fn principal_kind(t: &str) -> Option<PrincipalKind> {
    IDENTITY_TYPES.iter().find_map(|(_, r)| match r {
        IdentityRule::Principal(k) if k.principal_type() == t => Some(*k),
        _ => None,
    })
}

#[cfg(test)]
mod tests;
