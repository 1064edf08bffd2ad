//! `impact --engine athena` against moto's Athena: the query is started, polled until it
//! succeeds and its result pages read back into the local report; results that are not this
//! query's are refused. Moto runs no SQL: it returns results seeded through its
//! `/moto-api/static/athena/query-results` endpoint (moto's Athena backend, get_query_results).

mod support;

use std::process::Command;

use serde_json::{json, Value};
use support::*;

const ALICE: &str = "arn:aws:iam::111122223333:user/alice";
const COLUMNS: [&str; 12] = [
    "status",
    "reason",
    "net",
    "account",
    "parn",
    "pkind",
    "sid",
    "denied_action",
    "outside",
    "n",
    "first_seen",
    "last_seen",
];

/// Queue one result set (the column names first, as Athena returns a SELECT's).
fn seed(emu: &Emulator, rows: &[[Option<&str>; 12]]) {
    let cell = |v: &Option<&str>| match v {
        Some(s) => json!({"VarCharValue": s}),
        None => json!({}),
    };
    let mut all = vec![
        json!({"Data": COLUMNS.iter().map(|c| json!({"VarCharValue": c})).collect::<Vec<_>>()}),
    ];
    all.extend(
        rows.iter()
            .map(|r| json!({"Data": r.iter().map(cell).collect::<Vec<_>>()})),
    );
    let body = json!({"account_id": "123456789012", "region": "us-east-1", "results": [{
        "rows": all,
        "column_info": COLUMNS.iter().map(|c| json!({"Name": c, "Type": "varchar"})).collect::<Vec<_>>(),
    }]});
    let script = "import sys, urllib.request\n\
        r = urllib.request.Request(sys.argv[1] + '/moto-api/static/athena/query-results', data=sys.argv[2].encode(), \
        headers={'Content-Type': 'application/json'}, method='POST')\n\
        assert urllib.request.urlopen(r).status == 201\n";
    let out = Command::new(emulator_python())
        .args(["-c", script, &emu.endpoint, &body.to_string()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn impact(emu: &Emulator, config: &std::path::Path, output: &str) -> assert_cmd::assert::Assert {
    emu.scpctl()
        .arg("--config")
        .arg(config)
        .args([
            "--output",
            output,
            "impact",
            "--engine",
            "athena",
            "--table",
            "cloudtrail.org_trail",
        ])
        .args([
            "--since",
            "2024-05-01",
            "--until",
            "2024-05-31",
            "--account",
            "111122223333",
        ])
        .args([
            "--management-account",
            "555566667777",
            "--output-location",
            "s3://athena-results/scpctl/",
        ])
        .assert()
}

#[test]
fn the_query_runs_and_its_rows_make_the_local_report() {
    let emu = Emulator::start();
    let (_dir, config) = project(r#"["192.0.2.0/24", "2001:db8:1234::/48"]"#);
    let rows = [
        [
            Some("denied"),
            None,
            None,
            Some("111122223333"),
            Some(ALICE),
            Some("User"),
            Some("DenyIAMUsersOutsideApprovedNetwork"),
            Some("s3:ListBuckets"),
            Some("198.51.100.7"),
            Some("3"),
            Some("2024-05-01T08:00:00Z"),
            Some("2024-05-02T08:00:00Z"),
        ],
        [
            Some("allowed"),
            None,
            None,
            Some("111122223333"),
            Some(ALICE),
            Some("User"),
            None,
            None,
            None,
            Some("5"),
            Some("2024-05-01T07:00:00Z"),
            Some("2024-05-03T08:00:00Z"),
        ],
        [
            Some("apart"),
            Some("verdict_depends_on_network"),
            Some("aws_internal"),
            Some("111122223333"),
            Some(ALICE),
            None,
            None,
            None,
            None,
            Some("2"),
            None,
            None,
        ],
        [
            Some("skip"),
            Some("console_sign_in"),
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            Some("4"),
            None,
            None,
        ],
    ];
    seed(&emu, &rows);
    let a = impact(&emu, &config, "json").success();
    let doc: Value = stdout_json(&a);
    assert_eq!(doc["totals"]["records"], 14, "{doc}");
    assert_eq!(doc["totals"]["denied"], 3);
    assert_eq!(doc["totals"]["decided"], 8);
    assert_eq!(doc["apart"]["verdict_depends_on_network"], 2);
    assert_eq!(doc["undecided_network"]["aws_internal"], 2);
    assert_eq!(doc["skipped"]["console_sign_in"], 4);
    let p = &doc["principals"][0];
    assert_eq!(p["principal_arn"], ALICE, "{doc}");
    assert_eq!(p["requests"], 10);
    assert_eq!(p["denied"]["DenyIAMUsersOutsideApprovedNetwork"], 3);
    let err = stderr_of(&a);
    assert!(
        err.contains("athena: query ") && err.contains("scanned") && err.contains("$5/TB"),
        "{err}"
    );

    // The text report, from the same kind of rows.
    seed(&emu, &rows);
    let a = impact(&emu, &config, "text").success();
    let out = stdout_of(&a);
    assert!(
        out.contains(ALICE) && out.contains("DenyIAMUsersOutsideApprovedNetwork 3"),
        "{out}"
    );
    assert!(out.contains("outside the CIDRs: 198.51.100.7 (3)"), "{out}");
}

#[test]
fn rows_that_are_not_this_querys_are_refused_naming_the_value() {
    let emu = Emulator::start();
    let (_dir, config) = project(r#"["192.0.2.0/24"]"#);
    seed(
        &emu,
        &[[
            Some("weird"),
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            Some("1"),
            None,
            None,
        ]],
    );
    let a = impact(&emu, &config, "json").failure();
    let err = stderr_of(&a);
    assert!(
        err.contains("unknown status") && err.contains("weird"),
        "{err}"
    );
}

#[test]
fn emit_ddl_checks_the_table_and_never_starts_the_range_at_since() {
    // Nothing runs: --emit-ddl prints and exits before any AWS call.
    let bad = Command::new(env!("CARGO_BIN_EXE_scpctl"))
        .args([
            "impact",
            "--engine",
            "athena",
            "--table",
            "x;drop",
            "--emit-ddl",
        ])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2), "{bad:?}");
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("--table \"x;drop\"") && bad.stdout.is_empty(),
        "{err}"
    );

    let ok = Command::new(env!("CARGO_BIN_EXE_scpctl"))
        .args([
            "impact",
            "--engine",
            "athena",
            "--table",
            "CloudTrail.Org_Trail",
            "--emit-ddl",
        ])
        .args(["--since", "2025-01-01"])
        .output()
        .unwrap();
    assert!(ok.status.success(), "{ok:?}");
    let ddl = String::from_utf8_lossy(&ok.stdout);
    let err = String::from_utf8_lossy(&ok.stderr);
    assert!(
        ddl.contains("CREATE EXTERNAL TABLE `cloudtrail`.`org_trail`"),
        "{ddl}"
    );
    assert!(
        ddl.contains("'projection.timestamp.range'='2013/11/01,NOW'"),
        "{ddl}"
    );
    assert!(
        err.contains("warning") && err.contains("--projection-start"),
        "{err}"
    );

    let set = Command::new(env!("CARGO_BIN_EXE_scpctl"))
        .args([
            "impact",
            "--engine",
            "athena",
            "--table",
            "db.t",
            "--emit-ddl",
        ])
        .args(["--projection-start", "2024-02-01"])
        .output()
        .unwrap();
    assert!(set.status.success(), "{set:?}");
    assert!(String::from_utf8_lossy(&set.stdout).contains("'2024/02/01,NOW'"));
    assert!(set.stderr.is_empty(), "{set:?}");
}

/// Without seeded result pages, moto answers the query with rows of its own: the message says
/// which columns came back and what an emulator can and cannot show.
#[test]
fn an_emulator_without_seeded_results_is_explained() {
    let emu = Emulator::start();
    let (_dir, config) = project(r#"["192.0.2.0/24"]"#);
    let a = impact(&emu, &config, "text").code(1);
    let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    assert!(
        err.contains("not this query's result")
            && err.contains("An emulator such as moto runs no SQL")
            && err.contains("answered columns ["),
        "{err}"
    );
}
