//! `[network] vpce_org_ids` / `vpce_accounts` end to end, as a user runs the binary: config
//! errors with their position and no file written, the rendered SCP, the refused sign-in RCP,
//! `simulate --vpce-org-id/--vpce-account` (with the note for services that do not send the
//! owner), `validate`'s note, and `impact`'s note in text and JSON.

mod trail_fixtures;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;
use trail_fixtures::*;

const ORG: &str = "o-a1b2c3d4e5";
const OWNERS: &str = "vpce_org_ids = [\"o-a1b2c3d4e5\"]\nvpce_accounts = [\"111122223333\"]\n";

fn project(network_extra: &str) -> (TempDir, PathBuf) {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("scpctl.toml");
    std::fs::write(
        &path,
        format!("[network]\ncidrs = [\"198.51.100.0/24\"]\n{network_extra}"),
    )
    .unwrap();
    (dir, path)
}

fn scpctl(config: &Path) -> Command {
    let mut c = Command::cargo_bin("scpctl").unwrap();
    c.arg("--config").arg(config);
    c
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[test]
fn a_bad_owner_is_refused_with_its_position_and_nothing_is_written() {
    let (dir, config) =
        project("vpce_org_ids = [\"o-a1b2c3d4e5\", \"O-BAD\"]\nvpce_accounts = [\"12345\"]\n");
    let out = dir.path().join("out");
    let a = scpctl(&config)
        .args(["render", "--out-dir"])
        .arg(&out)
        .assert()
        .failure();
    let err = text(&a.get_output().stderr);
    assert!(
        err.contains("scpctl.toml:3:34")
            && err.contains("\"O-BAD\"")
            && err.contains("vpce_org_ids"),
        "{err}"
    );
    assert!(
        err.contains("scpctl.toml:4:19") && err.contains("\"12345\"") && err.contains("12 digits"),
        "{err}"
    );
    assert!(!out.exists(), "no partial write");
}

#[test]
fn render_puts_the_owners_in_the_scp_and_refuses_them_in_the_signin_rcp() {
    let (_dir, config) = project(OWNERS);
    let a = scpctl(&config).arg("render").assert().success();
    let scp = text(&a.get_output().stdout);
    assert!(
        scp.contains(r#""StringNotEqualsIfExists":{"aws:VpceOrgID":"o-a1b2c3d4e5","aws:VpceAccount":"111122223333"}"#),
        "{scp}"
    );
    let a = scpctl(&config)
        .args(["render", "--kind", "signin"])
        .assert()
        .failure();
    let err = text(&a.get_output().stderr);
    assert!(
        err.contains("vpce_org_ids and vpce_accounts cannot hold console sign-in")
            && err.contains("AWS Sign-In documents only"),
        "{err}"
    );
    assert!(a.get_output().stdout.is_empty());
}

fn simulate(config: &Path, args: &[&str]) -> Value {
    let a = scpctl(config)
        .args([
            "--output",
            "json",
            "simulate",
            "--principal-type",
            "User",
            "--tag",
            "AccessException=True",
        ])
        .args(args)
        .assert()
        .success();
    serde_json::from_slice(&a.get_output().stdout).unwrap()
}

#[test]
fn simulate_lets_an_owned_endpoint_through_only_for_services_that_send_the_owner() {
    let (_dir, config) = project(OWNERS);
    let vpce = ["--source-vpce", "vpce-0f0f0f0f0f0f0f0f0"];
    // Own organization, S3 (sends the owner): not denied.
    let own = simulate(
        &config,
        &[
            &vpce[..],
            &["--vpce-org-id", ORG, "--action", "s3:GetObject"],
        ]
        .concat(),
    );
    assert_eq!(own["denied"], false, "{own}");
    assert_eq!(
        own["request"]["context"]["aws:VpceOrgID"],
        serde_json::json!([ORG])
    );
    // Listed account in another organization: not denied.
    let acct = simulate(
        &config,
        &[
            &vpce[..],
            &[
                "--vpce-org-id",
                "o-f9e8d7c6b5",
                "--vpce-account",
                ACCOUNT,
                "--action",
                "s3:GetObject",
            ],
        ]
        .concat(),
    );
    assert_eq!(acct["denied"], false, "{acct}");
    // Another organization and account: denied by statement 2.
    let other = simulate(
        &config,
        &[
            &vpce[..],
            &[
                "--vpce-org-id",
                "o-f9e8d7c6b5",
                "--vpce-account",
                OTHER_ACCOUNT,
                "--action",
                "s3:GetObject",
            ],
        ]
        .concat(),
    );
    assert_eq!(
        other["statement"], "DenyIAMUsersOutsideApprovedNetwork",
        "{other}"
    );
    // EC2 does not send the owner: the key is left out, the request denied, and a note says so.
    let ec2 = simulate(
        &config,
        &[
            &vpce[..],
            &["--vpce-org-id", ORG, "--action", "ec2:DescribeInstances"],
        ]
        .concat(),
    );
    assert_eq!(
        ec2["statement"], "DenyIAMUsersOutsideApprovedNetwork",
        "{ec2}"
    );
    assert!(
        ec2["request"]["context"].get("aws:VpceOrgID").is_none(),
        "{ec2}"
    );
    let notes = ec2["notes"].to_string();
    assert!(
        notes.contains("aws:VpceOrgID left out") && notes.contains("ec2 does not send"),
        "{notes}"
    );
    // The flags mean the keys they name: the same request through --context decides the same.
    let ctx = simulate(
        &config,
        &[
            &vpce[..],
            &[
                "--context",
                &format!("aws:VpceOrgID={ORG}"),
                "--action",
                "s3:GetObject",
            ],
        ]
        .concat(),
    );
    assert_eq!(ctx["denied"], own["denied"]);
}

#[test]
fn simulate_owner_flags_need_an_endpoint_and_a_well_formed_value() {
    let (_dir, config) = project(OWNERS);
    let a = scpctl(&config)
        .args(["simulate", "--principal-type", "User", "--vpce-org-id", ORG])
        .assert()
        .code(2);
    assert!(text(&a.get_output().stderr).contains("--source-vpce"));
    let a = scpctl(&config)
        .args([
            "simulate",
            "--principal-type",
            "User",
            "--source-vpce",
            "vpce-0f0f0f0f0f0f0f0f0",
            "--vpce-account",
            "12-34",
        ])
        .assert()
        .code(2);
    let err = text(&a.get_output().stderr);
    assert!(
        err.contains("--vpce-account") && err.contains("12 digits"),
        "{err}"
    );
}

#[test]
fn the_scenario_table_agrees_with_the_rendered_policy() {
    let (_dir, config) = project(&format!("{OWNERS}vpcs = [{{ id = \"vpc-0a1b2c3d\", regions = [\"eu-west-1\", \"eu-central-1\"] }}]\n"));
    let a = scpctl(&config)
        .args(["--output", "json", "simulate", "--scenario"])
        .assert()
        .success();
    let rows: Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    let rows = rows
        .as_array()
        .cloned()
        .unwrap_or_else(|| rows["rows"].as_array().cloned().unwrap());
    let owners: Vec<&Value> = rows
        .iter()
        .filter(|r| r["source"].as_str().unwrap_or_default().contains("vpce_"))
        .collect();
    assert_eq!(owners.len(), 5, "{rows:?}");
    assert!(owners.iter().all(|r| r["agrees"] == true), "{owners:?}");
}

#[test]
fn validate_names_the_supported_services_only_when_owners_are_set() {
    let (_dir, config) = project(OWNERS);
    let a = scpctl(&config).arg("validate").assert().success();
    let err = text(&a.get_output().stderr);
    assert!(
        err.contains("vpce_org_ids and vpce_accounts")
            && err.contains(" s3,")
            && err.contains(" kms,"),
        "{err}"
    );
    let (_dir2, plain) = project("");
    let a = scpctl(&plain).arg("validate").assert().success();
    assert!(!text(&a.get_output().stderr).contains("vpce_org_ids"));
}

#[test]
fn impact_says_records_carry_no_owner_in_text_and_json() {
    let (dir, config) = project(OWNERS);
    let trail = dir.path().join("trail");
    write_all(&trail, &three_shapes());
    let tags = dir.path().join("tags.json");
    std::fs::write(&tags, TAGS).unwrap();
    let a = scpctl(&config)
        .arg("impact")
        .arg(&trail)
        .arg("--tags-file")
        .arg(&tags)
        .assert()
        .success();
    let out = text(&a.get_output().stdout);
    assert!(
        out.contains("note: vpce_org_ids / vpce_accounts are set") && out.contains("upper bound"),
        "{out}"
    );
    let a = scpctl(&config)
        .args(["--output", "json", "impact"])
        .arg(&trail)
        .arg("--tags-file")
        .arg(&tags)
        .assert()
        .success();
    let doc: Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    assert!(
        doc["notes"][0].as_str().unwrap().contains("aws:VpceOrgID"),
        "{doc}"
    );
    let (dir2, plain) = project("");
    let a = scpctl(&plain)
        .args(["--output", "json", "impact"])
        .arg(&trail)
        .arg("--tags-file")
        .arg(&tags)
        .assert()
        .success();
    let doc: Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    assert!(doc.get("notes").is_none(), "{doc}");
    drop(dir2);
}
