//! `impact --engine athena` against the local replay: the query `--emit-sql` prints, run on
//! DuckDB over the same `.json.gz` files `impact` reads, gives every event the same verdict
//! (scripts/athena_parity.py; DuckDB and its inet extension pinned in localstack/requirements.txt,
//! installed by localstack/moto.sh). Trino's `contains`, its `IPADDRESS` cast and its regex
//! anchors are modeled by the script as Trino's sources define them, not as DuckDB's own. Never
//! skips: the interpreter is required.

use std::path::PathBuf;
use std::process::Command;

fn python() -> PathBuf {
    let path = std::env::var_os("SCPCTL_PARITY_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python"));
    assert!(
        path.exists(),
        "no python with duckdb at {}: run scripts/test.sh (or localstack/moto.sh install). The parity test never skips.",
        path.display()
    );
    path
}

fn parity(config: &str, records: usize) -> String {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("scpctl.toml");
    std::fs::write(&cfg, config).unwrap();
    let tags = dir.path().join("tags.json");
    std::fs::write(
        &tags,
        r#"{"arn:aws:iam::111122223333:user/alice": {"accessexception": "True"},
            "arn:aws:iam::444455556666:user/it's-carol": {"AccessException": "True"},
            "arn:aws:iam::111122223333:role/Deploy": {"AccessException": "True"}}"#,
    )
    .unwrap();
    let out = Command::new(python())
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/athena_parity.py"))
        .arg(env!("CARGO_BIN_EXE_scpctl"))
        .arg(&cfg)
        .arg(&tags)
        .arg(dir.path().join("trail"))
        .arg(records.to_string())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("{stdout}");
    stdout
}

const POLICY: &str = "[policy]\nname = \"RestrictIAMUserAccessWithExceptions\"\n\
    exception_tag = { key = \"AccessException\", value = \"True\" }\n";

/// The enterprise CIDRs, one of them IPv4-mapped IPv6 (which `validate` only warns about):
/// Trino would throw on it as an IPv6 network, so the query must test it in its IPv4 form.
const CIDRS: &str = "[policy]\nname = \"RestrictIAMUserAccessWithExceptions\"\n\
    exception_tag = { key = \"AccessException\", value = \"True\" }\n\
    [network]\ncidrs = [\"192.0.2.0/24\", \"203.0.113.0/24\", \"2001:db8:1234::/48\", \"::ffff:203.0.113.0/120\"]\n";

fn records(out: &str) -> &str {
    out.split(',').next().unwrap_or_default()
}

#[test]
fn the_emitted_query_on_duckdb_gives_every_event_the_local_verdict() {
    let out = parity(CIDRS, 6000);
    assert_eq!(records(&out), "parity: 6000 records", "{out}");
    // The mapped CIDR is tested in its IPv4 form, never as the IPv6 network Trino refuses.
    assert!(out.contains(", 4 contains terms"), "{out}");
}

#[test]
fn six_hundred_cidrs_one_covering_every_mapped_address_keep_parity() {
    // 598 IPv4 networks that no aggregation merges, and ::/1, which holds ::ffff:0:0/96: a
    // mapped source address is inside it for the local replay (all 128 bits compared), where
    // Trino's contains would answer false (or throw, before PR 18997).
    let mut cidrs = vec![
        "\"192.0.2.0/24\"".to_string(),
        "\"203.0.113.0/24\"".into(),
        "\"::/1\"".into(),
    ];
    cidrs.extend((0..597).map(|i| format!("\"20.{}.{}.0/24\"", i / 100, (i % 100) * 2)));
    let out = parity(
        &format!("{POLICY}[network]\ncidrs = [{}]\n", cidrs.join(", ")),
        3000,
    );
    assert_eq!(records(&out), "parity: 3000 records", "{out}");
    // Each test once per record: 599 IPv4 and one IPv6 term (not twice, as in-CIDR and outside).
    assert!(out.contains(", 600 contains terms"), "{out}");
}

#[test]
fn the_network_opt_ins_keep_parity_too() {
    let out = parity(
        &format!(
            "{CIDRS}vpcs = [{{ id = \"vpc-0a1b2c3d\", regions = [\"eu-west-1\"] }}]\n\
         vpc_endpoints = [\"vpce-0a1b2c3d4e5f67890\"]\nexempt_vpc_resident_actions = true\n"
        ),
        6000,
    );
    assert!(out.contains("verdict_depends_on_network"), "{out}");
}

#[test]
fn the_endpoint_owners_keep_parity_too() {
    // Records carry no aws:VpceOrgID or aws:VpceAccount: both engines leave them absent, and
    // the owners (in statement 2 and the pin) must change no verdict of either.
    let out = parity(
        &format!(
            "{CIDRS}vpcs = [{{ id = \"vpc-0a1b2c3d\", regions = [\"eu-west-1\"] }}]\n\
         vpce_org_ids = [\"o-a1b2c3d4e5\"]\nvpce_accounts = [\"111122223333\"]\n"
        ),
        3000,
    );
    assert_eq!(records(&out), "parity: 3000 records", "{out}");
}
