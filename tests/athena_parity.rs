//! `impact --engine athena` against the local replay: the query `--emit-sql` prints, run on
//! DuckDB over the same `.json.gz` files `impact` reads, gives every event the same verdict
//! (scripts/athena_parity.py; DuckDB and its inet extension pinned in localstack/requirements.txt,
//! installed by localstack/moto.sh). Never skips: the interpreter is required.

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

fn parity(config: &str) -> String {
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

const CIDRS: &str = "[policy]\nname = \"RestrictIAMUserAccessWithExceptions\"\n\
    exception_tag = { key = \"AccessException\", value = \"True\" }\n\
    [network]\ncidrs = [\"192.0.2.0/24\", \"203.0.113.0/24\", \"2001:db8:1234::/48\"]\n";

#[test]
fn the_emitted_query_on_duckdb_gives_every_event_the_local_verdict() {
    let out = parity(CIDRS);
    assert!(out.starts_with("parity: 6000 records"), "{out}");
}

#[test]
fn the_network_opt_ins_keep_parity_too() {
    let out = parity(&format!(
        "{CIDRS}vpcs = [{{ id = \"vpc-0a1b2c3d\", regions = [\"eu-west-1\"] }}]\n\
         vpc_endpoints = [\"vpce-0a1b2c3d4e5f67890\"]\nexempt_vpc_resident_actions = true\n"
    ));
    assert!(out.contains("verdict_depends_on_network"), "{out}");
}
