//! The record-to-request mapping as query stages, each `CASE` row generated from the tables in
//! `rules.rs`, in the order `map::map_record` applies them; and the principal tags as `VALUES`.

use super::super::replay::TagSource;
use super::super::rules::{
    ApartReason, IdentityRule, NetworkUnknown, SkipReason, API_CALL_EVENT_TYPE, AWS_INTERNAL,
    CONSOLE_HOSTS, EVENT_SOURCE_PREFIXES, IDENTITY_TYPES, SERVICE_HOST_SUFFIXES, SERVICE_HOST_VIA,
    SERVICE_LINKED_ROLE_PATH, SKIPPED_EVENT_SOURCES, SKIPPED_EVENT_TYPES,
};
use super::expr::Program;
use super::{check_account, check_value, list, partition_filter, quote, QuerySpec, SqlError};

const V4: &str = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])){3}";

/// A strict IPv4/IPv6 literal, as Rust's parser reads them: no leading zeros, no list, no
/// zone, no prefix; an embedded IPv4 part strict too.
///
/// Every pattern of the query is anchored with `\A` and `\z`, never `^` and `$`: Trino's
/// `regexp_like` (joni, Java syntax) lets `$` match before a final newline, so
/// `'1.2.3.4\n'` would pass; `\A` and `\z` mean the absolute start and end in joni, RE2
/// and DuckDB alike.
fn strict_ip_sql(c: &str) -> String {
    format!(
        "(regexp_like({c}, '\\A{V4}\\z') OR (regexp_like({c}, '\\A[0-9A-Fa-f:.]+\\z') AND strpos({c}, ':') > 0 \
         AND (strpos({c}, '.') = 0 OR regexp_like({c}, ':{V4}\\z')) AND TRY_CAST({c} AS IPADDRESS) IS NOT NULL))"
    )
}

fn service_host_regex(first_label_only: bool) -> String {
    let suffixes: Vec<String> = SERVICE_HOST_SUFFIXES
        .iter()
        .map(|s| s.replace('.', "\\."))
        .collect();
    let head = if first_label_only {
        "[a-z0-9-]+(\\.[\\s\\S]*)?"
    } else {
        "[a-z0-9.-]+"
    };
    format!("\\A{head}({})\\z", suffixes.join("|"))
}

fn code(prefix: &str, c: &str) -> String {
    quote(&format!("{prefix}:{c}"))
}

/// The mapping stages (the design notes, "CloudTrail records as request contexts"), each `CASE` row
/// taken from the tables in `rules.rs`, in the order `map::map_record` applies them.
pub(super) fn mapping(
    spec: &QuerySpec<'_>,
    program: &Program,
    from: &str,
) -> Result<String, SqlError> {
    let opts = spec.map;
    let mut where_ = partition_filter(spec)?;
    if where_.is_empty() {
        where_.push("TRUE".into());
    }
    let src = format!(
        "src AS (\n  SELECT eventid AS event_id, NULLIF(eventtype, '') AS et, NULLIF(eventsource, '') AS es,\n    \
         NULLIF(eventname, '') AS en, NULLIF(eventtime, '') AS etime, NULLIF(useridentity.type, '') AS it,\n    \
         NULLIF(useridentity.arn, '') AS iarn, NULLIF(useridentity.accountid, '') AS iacct,\n    \
         NULLIF(useridentity.sessioncontext.sessionissuer.arn, '') AS rarn, NULLIF(useridentity.username, '') AS uname,\n    \
         NULLIF(useridentity.principalid, '') AS uid, lower(useridentity.sessioncontext.attributes.mfaauthenticated) AS mfa,\n    \
         NULLIF(awsregion, '') AS region, NULLIF(sourceipaddress, '') AS sip, NULLIF(vpcendpointid, '') AS vpce\n  \
         FROM {from}\n  WHERE {}\n)",
        where_.join("\n    AND ")
    );
    // Identity types.
    let mut kind_case = String::from("CASE it");
    let mut identity_case = String::from("CASE");
    for (name, rule) in IDENTITY_TYPES {
        match rule {
            IdentityRule::Principal(k) => {
                kind_case.push_str(&format!(
                    " WHEN {} THEN {}",
                    quote(name),
                    quote(k.principal_type())
                ));
            }
            IdentityRule::Apart(r) => identity_case.push_str(&format!(
                " WHEN it = {} THEN {}",
                quote(name),
                code("apart", r.code())
            )),
            IdentityRule::Skip(r) => identity_case.push_str(&format!(
                " WHEN it = {} THEN {}",
                quote(name),
                code("skip", r.code())
            )),
        }
    }
    kind_case.push_str(" END");
    let skip_types: Vec<String> = SKIPPED_EVENT_TYPES
        .iter()
        .map(|(t, r)| format!("WHEN et = {} THEN {}", quote(t), code("skip", r.code())))
        .collect();
    let skip_sources: Vec<String> = SKIPPED_EVENT_SOURCES
        .iter()
        .map(|(s, r)| {
            format!(
                "WHEN lower(es) = {} THEN {}",
                quote(&s.to_ascii_lowercase()),
                code("skip", r.code())
            )
        })
        .collect();
    let identity_skips: Vec<String> = IDENTITY_TYPES
        .iter()
        .filter_map(|(n, r)| match r {
            IdentityRule::Skip(s) => Some(format!(
                "WHEN it = {} THEN {}",
                quote(n),
                code("skip", s.code())
            )),
            _ => None,
        })
        .collect();
    let prefixes: Vec<String> = EVENT_SOURCE_PREFIXES
        .iter()
        .map(|(h, p)| {
            format!(
                "WHEN lower(es) = {} THEN {}",
                quote(&h.to_ascii_lowercase()),
                quote(p)
            )
        })
        .collect();
    let arn_shape = "regexp_like(parn, '\\Aarn(:[^:]*){4}:')";
    let slr = format!(
        "regexp_like(parn, {})",
        quote(&format!(
            "\\Aarn(:[^:]*){{4}}:role{}",
            SERVICE_LINKED_ROLE_PATH
        ))
    );
    let console: Vec<String> = CONSOLE_HOSTS
        .iter()
        .map(|h| quote(&h.to_ascii_lowercase()))
        .collect();
    let via_case: Vec<String> = SERVICE_HOST_VIA
        .iter()
        .map(|(k, v)| {
            format!(
                "WHEN {} THEN {}",
                quote(k.principal_type()),
                match v {
                    Some(true) => "'true'",
                    Some(false) => "'false'",
                    None => "CAST(NULL AS VARCHAR)",
                }
            )
        })
        .collect();
    let time_rule = if opts.time.is_unbounded() {
        String::new()
    } else {
        let mut inside = Vec::new();
        if let Some(s) = &opts.time.since {
            inside.push(format!("etime >= {}", quote(s)));
        }
        if let Some(u) = &opts.time.until {
            inside.push(format!("etime <= {}", quote(u)));
        }
        format!(
            "\n      WHEN etime IS NULL OR NOT regexp_like(etime, '\\A[0-9]{{4}}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T[0-9]{{2}}:[0-9]{{2}}:[0-9]{{2}}Z\\z') THEN {}\n      WHEN NOT ({}) THEN {}",
            code("apart", ApartReason::NoEventTime.code()),
            inside.join(" AND "),
            code("skip", SkipReason::OutsideTimeRange.code())
        )
    };
    if let Some(m) = &opts.management_account {
        check_account(m)?;
    }
    let mut accounts: Vec<&String> = opts.accounts.iter().collect();
    accounts.sort();
    for a in &accounts {
        check_account(a)?;
    }
    let management = opts
        .management_account
        .as_ref()
        .map(|m| {
            format!(
                "\n      WHEN account = {} THEN {}",
                quote(m),
                code("apart", ApartReason::ManagementAccount.code())
            )
        })
        .unwrap_or_default();
    let selected = if accounts.is_empty() {
        String::new()
    } else {
        format!(
            "\n      WHEN account NOT IN ({}) THEN {}",
            list(accounts.iter().map(|a| quote(a))),
            code("apart", ApartReason::AccountNotSelected.code())
        )
    };
    let users_only = if opts.users_only {
        format!(
            "\n      WHEN pkind <> 'User' THEN {}",
            code("apart", ApartReason::NotAttached.code())
        )
    } else {
        String::new()
    };
    let (tags_cte, tags_join, tag_cols) = tag_sql(spec.tags, program)?;
    let stages = format!(
        "{src},\nk AS (\n  SELECT *, {kind_case} AS pkind\n  FROM src\n),\n\
         p AS (\n  SELECT *, CASE WHEN pkind = 'AssumedRole' THEN rarn ELSE iarn END AS parn\n  FROM k\n),\n\
         a AS (\n  SELECT *, COALESCE(iacct, CASE WHEN {arn_shape} THEN NULLIF(split_part(parn, ':', 5), '') END) AS account,\n    \
         CASE {prefixes} WHEN regexp_like(lower(es), {host1}) THEN split_part(es, '.', 1) END AS prefix,\n    \
         {strict} AS addr_ok\n  FROM p\n),\n\
         n AS (\n  SELECT *,\n    CASE WHEN sip IS NULL THEN {no_addr} WHEN sip = {internal} THEN {internal_code} WHEN addr_ok THEN NULL\n      \
         WHEN lower(sip) IN ({console}) THEN {console_code} WHEN regexp_like(lower(sip), {host2}) THEN {service_code}\n      \
         ELSE {invalid_code} END AS net_unknown\n  FROM a\n),\n\
         m AS (\n  SELECT n.*,\n    CASE {skip_types}\n      {skip_sources}\n      {identity_skips}{time_rule}\n      \
         WHEN it IS NULL THEN {no_identity}\n      {identity_case_rest}\n      WHEN pkind IS NULL THEN {unlisted}\n      \
         WHEN pkind = 'AssumedRole' AND rarn IS NULL THEN {no_role}\n      WHEN pkind = 'User' AND iarn IS NULL THEN {user_no_arn}\n      \
         WHEN parn IS NULL OR account IS NULL THEN {no_account}\n      WHEN pkind = 'AssumedRole' AND {slr} THEN {slr_code}{management}{selected}{users_only}\n      \
         WHEN et IS NOT NULL AND et <> {api} THEN {unlisted_event}\n      WHEN en IS NULL OR prefix IS NULL THEN {no_action}\n    END AS pre,\n    \
         prefix || ':' || en AS action,\n    CASE WHEN sip = {internal} THEN CAST(NULL AS VARCHAR) WHEN net_unknown = 'service_host' THEN (CASE pkind {via_case} END) ELSE 'false' END AS via,\n    \
         CASE WHEN net_unknown IS NULL AND vpce IS NULL THEN sip END AS f_sourceip,\n    \
         CASE WHEN net_unknown IS NULL AND vpce IS NOT NULL THEN sip END AS f_vpcsourceip{tag_cols}\n  FROM n{tags_join}\n)",
        prefixes = prefixes.join(" "),
        via_case = via_case.join(" "),
        host1 = quote(&service_host_regex(true)),
        host2 = quote(&service_host_regex(false)),
        strict = strict_ip_sql("sip"),
        no_addr = quote(NetworkUnknown::NoAddress.code()),
        internal = quote(AWS_INTERNAL),
        internal_code = quote(NetworkUnknown::AwsInternal.code()),
        console = console.join(", "),
        console_code = quote(NetworkUnknown::ConsoleHost.code()),
        service_code = quote(NetworkUnknown::ServiceHost.code()),
        invalid_code = quote(NetworkUnknown::InvalidAddress.code()),
        skip_types = skip_types.join(" "),
        skip_sources = skip_sources.join(" "),
        identity_skips = identity_skips.join(" "),
        no_identity = code("apart", ApartReason::NoIdentity.code()),
        identity_case_rest = identity_case.trim_start_matches("CASE").trim(),
        unlisted = code("apart", ApartReason::UnlistedIdentityType.code()),
        no_role = code("apart", ApartReason::NoRoleArn.code()),
        user_no_arn = code("apart", ApartReason::UserWithoutArn.code()),
        no_account = code("apart", ApartReason::NoAccount.code()),
        slr_code = code("apart", ApartReason::ServiceLinkedRole.code()),
        api = quote(API_CALL_EVENT_TYPE),
        unlisted_event = code("apart", ApartReason::UnlistedEventType.code()),
        no_action = code("apart", ApartReason::NoAction.code()),
    );
    Ok(format!("{tags_cte}{stages}"))
}

/// The principal tags the policy reads, inlined as `VALUES (arn, t0, t1, ...)`.
fn tag_sql(tags: &TagSource, program: &Program) -> Result<(String, String, String), SqlError> {
    let n = program.tag_keys.len();
    let null = "CAST(NULL AS VARCHAR)";
    match tags {
        TagSource::Untagged => Ok((
            String::new(),
            String::new(),
            (0..n).map(|i| format!(",\n    {null} AS t{i}")).collect(),
        )),
        TagSource::AssumeExcepted { key, value } => {
            check_value("tag value", value)?;
            let cols = program
                .tag_keys
                .iter()
                .enumerate()
                .map(|(i, k)| {
                    if *k == key.to_lowercase() {
                        format!(
                            ",\n    CASE WHEN pkind = 'User' THEN {} END AS t{i}",
                            quote(value)
                        )
                    } else {
                        format!(",\n    {null} AS t{i}")
                    }
                })
                .collect();
            Ok((String::new(), String::new(), cols))
        }
        TagSource::Map(m) => {
            let mut arns: Vec<&String> = m.keys().collect();
            arns.sort();
            let mut rows = Vec::new();
            for arn in arns {
                check_value("principal ARN", arn)?;
                let held = &m[arn];
                let vals: Vec<Option<&String>> = program
                    .tag_keys
                    .iter()
                    .map(|k| {
                        held.iter()
                            .find(|(hk, _)| hk.to_lowercase() == *k)
                            .map(|(_, v)| v)
                    })
                    .collect();
                if vals.iter().all(Option::is_none) {
                    continue;
                }
                let mut row = vec![quote(arn)];
                for v in vals {
                    match v {
                        Some(v) => {
                            check_value("tag value", v)?;
                            row.push(quote(v));
                        }
                        None => row.push(null.into()),
                    }
                }
                rows.push(format!("({})", row.join(", ")));
            }
            if rows.is_empty() || n == 0 {
                return tag_sql(&TagSource::Untagged, program);
            }
            let names: Vec<String> = (0..n).map(|i| format!("v{i}")).collect();
            Ok((
                format!(
                    "principal_tags (arn, {}) AS (\n  VALUES\n    {}\n),\n",
                    names.join(", "),
                    rows.join(",\n    ")
                ),
                "\n  LEFT JOIN principal_tags pt ON pt.arn = n.parn".into(),
                (0..n).map(|i| format!(",\n    pt.v{i} AS t{i}")).collect(),
            ))
        }
    }
}
