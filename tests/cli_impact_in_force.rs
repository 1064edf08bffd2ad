//! `scpctl impact` with the policies an organization already runs (`--policy`,
//! `--policy-dir`), and `--kind signin` on hand-made sign-in records.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::{json, Value};
use tempfile::TempDir;

const REGION_DENY: &str = r#"{"Version": "2012-10-17", "Statement": [{"Sid": "DenyOutsideEU", "Effect": "Deny",
 "NotAction": ["iam:*", "sts:*", "organizations:*", "support:*"], "Resource": "*",
 "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]},
               "ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/breakglass"}}}]}"#;

/// Data-perimeter identity guardrail on tags, through ForAnyValue on aws:TagKeys: not in the
/// records, so it never applies to them.
const TAG_GUARD: &str = r#"{"Version": "2012-10-17", "Statement": [{"Sid": "DenyProtectedTagKeys", "Effect": "Deny",
 "Action": ["iam:TagUser", "iam:UntagUser"], "Resource": "*",
 "Condition": {"ForAnyValue:StringEquals": {"aws:TagKeys": ["AccessException"]}}}]}"#;

fn rec(i: usize, user: &str, ip: &str, region: &str, event: (&str, &str, &str)) -> Value {
    json!({"userIdentity": {"type": "IAMUser", "arn": format!("arn:aws:iam::111122223333:user/{user}"),
                            "accountId": "111122223333", "userName": user},
           "eventTime": "2026-03-02T10:00:00Z", "eventSource": event.0, "eventName": event.1,
           "awsRegion": region, "sourceIPAddress": ip, "eventID": format!("e{i}"), "eventType": event.2})
}

const LIST: (&str, &str, &str) = ("s3.amazonaws.com", "ListBuckets", "AwsApiCall");
const LOGIN: (&str, &str, &str) = ("signin.amazonaws.com", "ConsoleLogin", "AwsConsoleSignIn");
const TOKEN: (&str, &str, &str) = ("signin.amazonaws.com", "CreateOAuth2Token", "AwsApiCall");

struct Project {
    dir: TempDir,
    config: PathBuf,
    trail: PathBuf,
}

fn project() -> Project {
    let dir = TempDir::new().unwrap();
    let config = dir.path().join("scpctl.toml");
    std::fs::write(
        &config,
        "[network]\ncidrs = [\"192.0.2.0/24\"]\n[break_glass]\nprincipals = [\"arn:aws:iam::111122223333:user/breakglass\"]\n",
    )
    .unwrap();
    let (inside, outside) = ("192.0.2.10", "198.51.100.7");
    let records = vec![
        rec(1, "alice", outside, "eu-west-1", LIST), // newly denied
        rec(2, "alice", outside, "us-east-1", LIST), // denied today too
        rec(3, "alice", inside, "us-east-1", LIST),  // denied today only
        rec(4, "alice", inside, "eu-west-1", LIST),  // allowed
        rec(5, "alice", outside, "us-east-1", LOGIN),
        rec(6, "alice", "203.0.113.9", "us-east-1", LOGIN),
        rec(7, "alice", inside, "us-east-1", LOGIN),
        rec(8, "breakglass", outside, "us-east-1", LOGIN),
        rec(9, "bob", outside, "us-east-1", TOKEN),
    ];
    let trail = dir.path().join("trail.json");
    std::fs::write(&trail, json!({"Records": records}).to_string()).unwrap();
    let policies = dir.path().join("policies");
    std::fs::create_dir(&policies).unwrap();
    std::fs::write(policies.join("region-deny.json"), REGION_DENY).unwrap();
    std::fs::write(policies.join("tag-guard.json"), TAG_GUARD).unwrap();
    Project { dir, config, trail }
}

fn impact(p: &Project, output: &str, args: &[&str]) -> assert_cmd::assert::Assert {
    Command::cargo_bin("scpctl")
        .unwrap()
        .arg("--config")
        .arg(&p.config)
        .args(["--output", output, "impact"])
        .arg(&p.trail)
        .args(args)
        .assert()
}

fn json_of(a: &assert_cmd::assert::Assert) -> Value {
    serde_json::from_slice(&a.get_output().stdout).unwrap()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn policies_in_force_split_denied_today_from_newly_denied() {
    let p = project();
    let region = p.dir.path().join("policies/region-deny.json");
    let tags = p.dir.path().join("policies/tag-guard.json");
    let a = impact(
        &p,
        "json",
        &[
            "--assume-excepted",
            "--policy",
            path(&region),
            "--policy",
            path(&tags),
        ],
    )
    .success();
    let doc = json_of(&a);
    let t = &doc["totals"];
    assert_eq!(
        (t["decided"].as_u64(), t["denied"].as_u64()),
        (Some(4), Some(2)),
        "{doc}"
    );
    assert_eq!(t["denied_today"], 2, "{doc}");
    assert_eq!(t["newly_denied"], 1, "{doc}");
    let by = format!("DenyOutsideEU in {}", region.display());
    assert_eq!(doc["denied_today_by"][&by], 2, "{doc}");
    // Sign-in records stay skipped for the SCP.
    assert_eq!(doc["skipped"]["console_sign_in"], 5, "{doc}");

    // --policy-dir reads the same two files.
    let dir = p.dir.path().join("policies");
    let b = impact(
        &p,
        "json",
        &["--assume-excepted", "--policy-dir", path(&dir)],
    )
    .success();
    assert_eq!(json_of(&b)["totals"], doc["totals"]);

    let text = impact(
        &p,
        "text",
        &["--assume-excepted", "--policy-dir", path(&dir)],
    )
    .success();
    let out = String::from_utf8(text.get_output().stdout.clone()).unwrap();
    assert!(out.contains("policies in force: 2 policy file(s)"), "{out}");
    assert!(
        out.contains("denied today already (by the policies in force):        2"),
        "{out}"
    );
    assert!(
        out.contains("newly denied by this policy:                            1"),
        "{out}"
    );
    assert!(
        out.contains("1 newly denied, 2 denied today already"),
        "{out}"
    );

    // Without policies in force, the report has neither number.
    let c = json_of(&impact(&p, "json", &["--assume-excepted"]).success());
    assert!(c["totals"].get("newly_denied").is_none());
}

#[test]
fn a_policy_the_evaluator_refuses_is_an_error_naming_the_file() {
    let p = project();
    let bad = p.dir.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*",
            "Condition": {"StringEqualsWhatever": {"aws:RequestedRegion": "x"}}}]}"#,
    )
    .unwrap();
    let a = impact(&p, "text", &["--policy", path(&bad)]).failure();
    let err = String::from_utf8(a.get_output().stderr.clone()).unwrap();
    assert!(
        err.contains("bad.json") && err.contains("StringEqualsWhatever"),
        "{err}"
    );
    let missing = p.dir.path().join("nowhere");
    let a = impact(&p, "text", &["--policy-dir", path(&missing)]).failure();
    let err = String::from_utf8(a.get_output().stderr.clone()).unwrap();
    assert!(err.contains("nowhere"), "{err}");
}

#[test]
fn kind_signin_replays_sign_ins_through_the_sign_in_policy() {
    let p = project();
    let doc = json_of(&impact(&p, "json", &["--kind", "signin"]).success());
    let t = &doc["totals"];
    assert_eq!(t["decided"], 5, "{doc}");
    assert_eq!(t["denied"], 3, "{doc}");
    assert_eq!(doc["skipped"]["not_a_sign_in"], 4, "{doc}");
    let alice = doc["principals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["principal_arn"] == "arn:aws:iam::111122223333:user/alice")
        .unwrap();
    assert_eq!(
        alice["denied"]["DenyConsoleSignInOutsideExpectedNetworks"],
        2
    );
    let addresses: Vec<&str> = alice["outside_addresses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["address"].as_str().unwrap())
        .collect();
    assert_eq!(addresses, ["198.51.100.7", "203.0.113.9"]);
    // The break-glass user is never refused: not among the affected principals.
    assert!(doc["principals"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| !p["principal_arn"]
            .as_str()
            .unwrap()
            .ends_with("user/breakglass")));

    // The text says refused, and a region-deny SCP in force would refuse sign-ins too.
    let text = impact(
        &p,
        "text",
        &[
            "--kind",
            "signin",
            "--policy-dir",
            path(&p.dir.path().join("policies")),
        ],
    )
    .success();
    let out = String::from_utf8(text.get_output().stdout.clone()).unwrap();
    assert!(out.contains("sign-in(s), 2 would be refused"), "{out}");
    assert!(out.contains("DenyOutsideEU in"), "{out}");
}
