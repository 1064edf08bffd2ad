//! `scpctl impact --engine athena`: the same mapping and verdicts as the local replay, run as
//! one Trino query where the trail lives (Amazon Athena). The query is the core's
//! (`scpctl_core::impact::sql`); this file gathers the inputs, prints the query or its table,
//! or runs it and prints the local path's report from the aggregated rows.

use std::time::Duration;

use anyhow::{Context, Result};
use scpctl_core::impact::sql::{self, ddl, expr, rows, QuerySpec, TableLayout};
use scpctl_core::impact::{candidate_addresses, MapOptions, TagSource, Tally, TimeRange};
use scpctl_core::policy::PolicyDocument;
use scpctl_core::printable::printable;
use scpctl_core::render::{render, Layout, PolicyKind, SID_IDENTITY, SID_OUTSIDE_NETWORK};
use serde_json::json;

use super::report::Report;
use crate::cli::{Cli, ImpactArgs, OutputFormat, TableLayoutArg};
use crate::commands::base::inputs::{lookup_management, tag_source, twelve_digits};
use crate::commands::base::kinds::policy_kind;
use crate::commands::base::session;
use crate::exit;
use crate::load::load;
use crate::trail::Out;

use crate::problems::usage;

fn layout(l: TableLayoutArg) -> TableLayout {
    match l {
        TableLayoutArg::OrgProjection => TableLayout::OrgProjection,
        TableLayoutArg::Projection => TableLayout::Projection,
        TableLayoutArg::Partitioned => TableLayout::Partitioned,
    }
}

fn human_bytes(b: u64) -> String {
    match b {
        b if b >= 1_000_000_000_000 => format!("{:.2} TB", b as f64 / 1e12),
        b if b >= 1_000_000_000 => format!("{:.2} GB", b as f64 / 1e9),
        b if b >= 1_000_000 => format!("{:.1} MB", b as f64 / 1e6),
        b => format!("{b} bytes"),
    }
}

pub fn run(cli: &Cli, args: &ImpactArgs) -> Result<u8> {
    let a = &args.athena;
    let table = a.table.as_deref().unwrap_or_default();
    if a.emit_ddl {
        let location = a.trail_location.clone().unwrap_or_else(|| match a.layout {
            TableLayoutArg::Projection => "s3://BUCKET/AWSLogs/ACCOUNT_ID/CloudTrail/REGION".into(),
            _ => "s3://BUCKET/AWSLogs/o-ORGANIZATION_ID".into(),
        });
        if !location.starts_with("s3://") || location.contains('\'') {
            return Err(usage(format!(
                "--trail-location {location:?}: expected s3://BUCKET/PREFIX"
            )));
        }
        // The range starts at --projection-start or well before any trail, never at --since:
        // a later query with an earlier --since would silently read nothing for those days.
        let start = match &a.projection_start {
            Some(d) => d.replace('-', "/"),
            None => ddl::DEFAULT_PROJECTION_START.to_string(),
        };
        if args.since.is_some() && a.projection_start.is_none() {
            errln!(
                "warning: --emit-ddl does not start the projected date range at --since; it starts at {start} (--projection-start sets it)"
            )?;
        }
        let text = ddl::ddl(&ddl::DdlSpec {
            table,
            layout: layout(a.layout),
            location: &location,
            regions: &a.trail_regions,
            start: &start,
        })
        .map_err(|e| usage(e.to_string()))?;
        out!("{text}")?;
        return Ok(exit::SUCCESS);
    }

    let loaded = load(&cli.config)?;
    let kind = policy_kind(args.kind)?;
    if kind == PolicyKind::Signin
        || args.org_policies
        || !args.policies.is_empty()
        || args.policy_dir.is_some()
    {
        return Err(usage(
            "--engine athena replays the SCP or identity policy alone: --kind signin, --policy, --policy-dir and --org-policies are local-engine only for now".into(),
        ));
    }
    let network_sid = match kind {
        PolicyKind::Scp => SID_OUTSIDE_NETWORK,
        PolicyKind::Identity => SID_IDENTITY,
        _ => {
            return Err(usage(
                "impact --engine athena replays --kind scp or identity".into(),
            ))
        }
    };
    let doc = render(&loaded.config, &loaded.cidrs.set, kind, Layout::Single)?
        .into_iter()
        .next()
        .context("internal: no policy rendered")?;
    let policy = PolicyDocument::from_json(&doc.compact)
        .context("internal: the rendered policy does not parse")?;
    let program = expr::translate(&policy).map_err(|e| usage(format!("{}: {e}", doc.name)))?;

    let tags = tag_source(args, &loaded.config)?;
    let time = TimeRange::parse(args.since.as_deref(), args.until.as_deref()).map_err(usage)?;
    let (management_account, looked_up) = match &args.management_account {
        Some(m) => (Some(twelve_digits("--management-account", m)?), false),
        None if !a.emit_sql => match lookup_management(args) {
            Ok(m) => (Some(m), true),
            Err(e) => {
                errln!(
                    "warning: management account unknown ({e:#}); pass --management-account ID"
                )?;
                (None, false)
            }
        },
        None => (None, false),
    };
    let accounts: Vec<String> = args
        .accounts
        .iter()
        .map(|x| twelve_digits("--account", x))
        .collect::<Result<_>>()?;
    let map = MapOptions {
        management_account: management_account.clone(),
        accounts: accounts.iter().cloned().collect(),
        users_only: kind == PolicyKind::Identity,
        time,
        signin: false,
    };
    let candidates = candidate_addresses(&loaded.cidrs.set);
    let per_record = a.per_record || cli.output == OutputFormat::Jsonl;
    let spec = QuerySpec {
        table,
        layout: layout(a.layout),
        map: &map,
        partition_accounts: &accounts,
        regions: &a.trail_regions,
        allow_full_scan: a.allow_full_scan,
        tags: &tags,
        candidates: &candidates,
        cidrs: &loaded.cidrs.set,
        per_record,
    };
    let query = sql::generate(&spec, &program).map_err(|e| match e {
        sql::SqlError::Usage(_) | sql::SqlError::Policy(_) | sql::SqlError::BadValue(_) => {
            usage(e.to_string())
        }
        other => anyhow::anyhow!(other),
    })?;
    if a.emit_sql {
        out!("{query}")?;
        errln!(
            "query: {} bytes (Athena's limit: {})",
            query.len(),
            sql::MAX_QUERY_BYTES
        )?;
        return Ok(exit::SUCCESS);
    }

    let run = session::block_on(async {
        let counter = session::counter();
        let config = session::sdk_config(&args.aws).await;
        crate::aws::athena::Athena::new(&config, &counter)
            .run(
                &query,
                &a.workgroup,
                a.output_location.as_deref(),
                Duration::from_millis(250),
            )
            .await
    })??;
    let cost = format!(
        "athena: query {}, {} scanned, ${:.4} at ${}/TB scanned (Amazon Athena pricing; 10 MB minimum)",
        run.id,
        human_bytes(run.scanned_bytes),
        run.cost_usd(),
        crate::aws::athena::USD_PER_TB
    );
    let out = Out::new();
    let col = |name: &str| run.columns.iter().position(|c| c == name);
    if per_record {
        let idx: Vec<Option<usize>> = [
            "eventid", "status", "sid", "reason", "parn", "account", "sip", "es", "en", "etime",
        ]
        .iter()
        .map(|n| col(n))
        .collect();
        let get = |row: &Vec<Option<String>>, i: usize| {
            idx[i].and_then(|c| row.get(c).cloned().flatten())
        };
        for row in &run.rows {
            let line = if a.per_record {
                json!({"eventid": get(row, 0), "status": get(row, 1), "sid": get(row, 2), "reason": get(row, 3)})
            } else if get(row, 1).as_deref() == Some("denied") {
                // --output jsonl: the local path's denied lines.
                json!({"eventID": get(row, 0), "sid": get(row, 2), "principalArn": get(row, 4), "accountId": get(row, 5),
                       "sourceIPAddress": get(row, 6), "eventSource": get(row, 7), "eventName": get(row, 8), "eventTime": get(row, 9)})
            } else {
                continue;
            };
            if !out.write(format!("{line}\n").as_bytes()) {
                return Ok(exit::SUCCESS);
            }
        }
        out.flush();
        errln!("{cost}")?;
        return Ok(exit::SUCCESS);
    }
    let mut tally = Tally::default();
    let order: Vec<usize> = rows::AGGREGATE_COLUMNS
        .iter()
        .map(|n| {
            col(n).with_context(|| {
                format!(
                    "Athena query {} answered columns [{}], without {n}: not this query's result. \
                     An emulator such as moto runs no SQL: it returns the result pages seeded in it \
                     beforehand, so against it the calls (start, poll, page, stop) work but the \
                     report needs a real Athena; the SQL itself is checked on DuckDB by the parity \
                     test (scripts/athena_parity.py)",
                    run.id,
                    run.columns
                        .iter()
                        .take(12)
                        .map(|c| printable(c))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
        })
        .collect::<Result<_>>()?;
    for row in &run.rows {
        let cells: Vec<Option<String>> = order
            .iter()
            .map(|i| row.get(*i).cloned().flatten())
            .collect();
        let r = rows::AggregateRow::from_columns(cells)
            .map_err(|e| anyhow::anyhow!("Athena query {}: {e}", run.id))?;
        rows::add_row(&mut tally, &r)
            .map_err(|e| anyhow::anyhow!("Athena query {}: {e}", run.id))?;
    }
    let report = Report {
        policy: &doc.name,
        network_sid,
        tags: match &tags {
            TagSource::Map(m) => format!(
                "tags for {} principal(s) inlined in the query; principals not in it count as untagged",
                m.len()
            ),
            other => other.describe(),
        },
        management_account: management_account.as_deref(),
        management_looked_up: looked_up,
        tally: &tally,
        problems: &Default::default(),
        files: 0,
        in_force: None,
        api_calls: None,
        signin: false,
        notes: super::report::config_notes(&loaded.config),
    };
    let written = match cli.output {
        // Per-record output is the query's own; the report follows as text, as before.
        OutputFormat::Jsonl => out.write(report.text().as_bytes()),
        _ => super::report::emit(cli, args, &report, &out)?,
    };
    if written {
        out.flush();
    }
    errln!("{cost}")?;
    Ok(exit::SUCCESS)
}
