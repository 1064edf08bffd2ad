//! `scpctl denials` on hand-made CloudTrail files: every message form attributed, in the three
//! output formats, and no "refused but not predicted" on a trail made from impact's own
//! predictions.

mod trail_fixtures;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::{json, Value};
use tempfile::TempDir;
use trail_fixtures::*;

const OURS: &str = "p-ours12345";

fn ours_arn() -> String {
    format!("arn:aws:organizations::999988887777:policy/o-exampleorg/service_control_policy/{OURS}")
}

fn project() -> (TempDir, PathBuf, PathBuf) {
    let dir = TempDir::new().unwrap();
    let config = dir.path().join("scpctl.toml");
    std::fs::write(&config, format!("[network]\ncidrs = {CIDRS}\n")).unwrap();
    let tags = dir.path().join("tags.json");
    std::fs::write(&tags, TAGS).unwrap();
    (dir, config, tags)
}

fn run(config: &Path, output: &str, cmd: &str, args: &[&dyn AsRef<std::ffi::OsStr>]) -> Vec<u8> {
    let mut c = Command::cargo_bin("scpctl").unwrap();
    c.arg("--config")
        .arg(config)
        .args(["--output", output, cmd]);
    for a in args {
        c.arg(a);
    }
    let out = c.assert().success();
    out.get_output().stdout.clone()
}

fn call(id: &str, arn: &str, ip: &str, error: Option<(&str, &str)>) -> Value {
    let name = arn.rsplit('/').next().unwrap();
    let mut r = json!({"eventVersion": "1.09", "eventTime": "2026-02-01T10:00:00Z",
        "userIdentity": {"type": "IAMUser", "principalId": format!("AIDA{}", name.to_uppercase()),
                         "arn": arn, "accountId": ACCOUNT, "userName": name},
        "eventSource": "iam.amazonaws.com", "eventName": "ListRoles", "awsRegion": "us-east-1",
        "sourceIPAddress": ip, "eventID": id, "eventType": "AwsApiCall",
        "recipientAccountId": ACCOUNT});
    if let Some((code, message)) = error {
        r["errorCode"] = json!(code);
        r["errorMessage"] = json!(message);
    }
    r
}

fn user(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:user/{name}")
}

fn denied(arn: &str, tail: &str) -> String {
    format!("User: {arn} is not authorized to perform: iam:ListRoles on resource: * with an explicit deny in a service control policy{tail}")
}

/// One record per message form. Alice holds the exception (TAGS) and calls from inside the
/// CIDRs, so the replay does not deny her; the others are untagged and outside.
fn forms() -> Vec<Value> {
    let outside = "198.51.100.7";
    let arn_tail = format!(": {}", ours_arn());
    vec![
        call(
            "e-arn",
            &user("u1"),
            outside,
            Some(("AccessDenied", &denied(&user("u1"), &arn_tail))),
        ),
        call(
            "e-phrase",
            &user("u2"),
            outside,
            Some(("AccessDenied", &denied(&user("u2"), ""))),
        ),
        call(
            "e-phrase-other",
            ALICE,
            "192.0.2.10",
            Some(("AccessDenied", &denied(ALICE, ""))),
        ),
        call(
            "e-other-arn",
            &user("u3"),
            outside,
            Some((
                "AccessDenied",
                &denied(
                    &user("u3"),
                    ": arn:aws:organizations::999988887777:policy/o-exampleorg/service_control_policy/p-other9876",
                ),
            )),
        ),
        call(
            "e-bare",
            &user("u4"),
            outside,
            Some(("AccessDenied", "Access Denied")),
        ),
        call(
            "e-gap",
            ALICE,
            "192.0.2.11",
            Some(("AccessDenied", &denied(ALICE, &arn_tail))),
        ),
        call("e-success", &user("u5"), outside, None),
    ]
}

fn principal<'a>(doc: &'a Value, arn: &str) -> &'a Value {
    doc["principals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["principal"] == arn)
        .unwrap_or_else(|| panic!("{arn} not in {doc}"))
}

#[test]
fn every_message_form_is_attributed_in_the_three_formats() {
    let (dir, config, tags) = project();
    let file = dir.path().join("forms.json");
    std::fs::write(&file, log_file(&forms())).unwrap();
    let args: [&dyn AsRef<std::ffi::OsStr>; 5] =
        [&file, &"--tags-file", &tags, &"--policy-id", &OURS];

    let doc: Value = serde_json::from_slice(&run(&config, "json", "denials", &args)).unwrap();
    assert_eq!(doc["policy_id"], OURS);
    assert_eq!(doc["totals"]["records"], 7, "{doc}");
    assert_eq!(doc["totals"]["refused"], 6, "{doc}");
    // By ARN (u1), by the phrase the replay agrees with (u2), and alice's ARN-named refusal.
    assert_eq!(doc["totals"]["refused_by_ours"], 3, "{doc}");
    assert_eq!(
        principal(&doc, &user("u1"))["ours"]["event_ids"],
        json!(["e-arn"])
    );
    assert_eq!(principal(&doc, &user("u1"))["refused_and_predicted"], 1);
    assert_eq!(
        principal(&doc, &user("u2"))["ours"]["event_ids"],
        json!(["e-phrase"])
    );
    assert_eq!(principal(&doc, &user("u3"))["other_scp_or_rcp"], 1);
    assert_eq!(principal(&doc, &user("u3"))["ours"]["count"], 0);
    assert_eq!(principal(&doc, &user("u4"))["unattributed"], 1);
    assert_eq!(
        principal(&doc, &user("u4"))["unattributed_ours_would_deny"],
        1
    );
    let alice = principal(&doc, ALICE);
    // The phrase the replay does not agree with: another SCP; the ARN: a gap, listed.
    assert_eq!(alice["other_scp_or_rcp"], 1, "{alice}");
    assert_eq!(
        alice["refused_not_predicted"]["event_ids"],
        json!(["e-gap"])
    );
    assert_eq!(
        principal(&doc, &user("u5"))["predicted_but_succeeded"]["event_ids"],
        json!(["e-success"])
    );

    let text = String::from_utf8(run(&config, "text", "denials", &args)).unwrap();
    assert!(
        text.contains(&format!("policy id: {OURS} (--policy-id)")),
        "{text}"
    );
    assert!(
        text.contains("refused but not predicted (a mapping or evaluator gap): 1: e-gap"),
        "{text}"
    );
    assert!(
        text.contains("predicted but succeeded (not in force there yet, or a gap): 1: e-success"),
        "{text}"
    );
    assert!(text.contains("by arn:aws:organizations::999988887777:policy/o-exampleorg/service_control_policy/p-other9876"), "{text}");

    let lines = String::from_utf8(run(&config, "jsonl", "denials", &args)).unwrap();
    let mut by_id = std::collections::BTreeMap::new();
    for l in lines.lines() {
        let o: Value = serde_json::from_str(l).unwrap();
        by_id.insert(o["event_id"].as_str().unwrap().to_string(), o);
    }
    // Every refused call and the predicted call that succeeded: all seven.
    assert_eq!(by_id.len(), 7, "{lines}");
    assert_eq!(
        by_id["e-arn"]["refused"],
        json!({"by": "ours", "by_arn": true})
    );
    assert_eq!(
        by_id["e-phrase"]["refused"],
        json!({"by": "ours", "by_arn": false})
    );
    assert_eq!(by_id["e-phrase-other"]["refused"]["by"], "other_scp");
    assert_eq!(by_id["e-other-arn"]["refused"]["by"], "other_policy");
    assert_eq!(
        by_id["e-bare"]["refused"],
        json!({"by": "unattributed", "ours_would_deny": true})
    );
    assert_eq!(by_id["e-success"]["refused"], Value::Null);
    assert_eq!(by_id["e-success"]["predicted"], true);
}

/// A trail where exactly the calls impact predicts denied were refused with our ARN: nothing
/// refused-but-not-predicted, nothing predicted-but-succeeded.
#[test]
fn a_trail_made_from_impacts_predictions_has_no_gap() {
    let (dir, config, tags) = project();
    let source = dir.path().join("source.json");
    std::fs::write(&source, log_file(&records())).unwrap();
    let predicted: BTreeSet<String> = String::from_utf8(run(
        &config,
        "jsonl",
        "impact",
        &[&source, &"--tags-file", &tags],
    ))
    .unwrap()
    .lines()
    .map(|l| {
        serde_json::from_str::<Value>(l).unwrap()["eventID"]
            .as_str()
            .unwrap()
            .to_string()
    })
    .collect();
    assert!(predicted.len() >= 3, "{predicted:?}");
    let refused: Vec<Value> = records()
        .into_iter()
        .map(|mut r| {
            if predicted.contains(r["eventID"].as_str().unwrap()) {
                let arn = r["userIdentity"]["arn"].as_str().unwrap_or("").to_string();
                r["errorCode"] = json!("AccessDenied");
                r["errorMessage"] = json!(denied(&arn, &format!(": {}", ours_arn())));
            }
            r
        })
        .collect();
    let file = dir.path().join("refused.json");
    std::fs::write(&file, log_file(&refused)).unwrap();
    let doc: Value = serde_json::from_slice(&run(
        &config,
        "json",
        "denials",
        &[&file, &"--tags-file", &tags, &"--policy-id", &OURS],
    ))
    .unwrap();
    let t = &doc["totals"];
    assert_eq!(t["refused_by_ours"], predicted.len(), "{doc}");
    assert_eq!(t["refused_and_predicted"], predicted.len(), "{doc}");
    assert_eq!(t["refused_not_predicted"], 0, "{doc}");
    assert_eq!(t["predicted_but_succeeded"], 0, "{doc}");
}

#[test]
fn athena_and_a_bad_policy_id_are_usage_errors() {
    let (dir, config, _) = project();
    let file = dir.path().join("t.json");
    std::fs::write(&file, log_file(&forms())).unwrap();
    let a = Command::cargo_bin("scpctl")
        .unwrap()
        .arg("--config")
        .arg(&config)
        .args(["denials", "--policy-id", "p-BAD"])
        .arg(&file)
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(
        err.contains("p-BAD") && err.contains("not a policy id"),
        "{err}"
    );
    let a = Command::cargo_bin("scpctl")
        .unwrap()
        .arg("--config")
        .arg(&config)
        .args(["denials", "--policy-id", OURS, "--policy-dir"])
        .arg(dir.path())
        .arg(&file)
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(err.contains("--policy-dir"), "{err}");
}

/// `--out` writes the report (it was ignored before), the same bytes as stdout, in every
/// whole-document format; with jsonl it is refused before anything is read.
#[test]
fn out_writes_the_report_that_stdout_would_show() {
    let (dir, config, tags) = project();
    let file = dir.path().join("forms.json");
    std::fs::write(&file, log_file(&forms())).unwrap();
    for (format, name) in [("text", "r.txt"), ("json", "r.json"), ("html", "r.html")] {
        let target = dir.path().join("out").join(name);
        let args: [&dyn AsRef<std::ffi::OsStr>; 7] = [
            &file,
            &"--tags-file",
            &tags,
            &"--policy-id",
            &OURS,
            &"--out",
            &target,
        ];
        let stdout = run(&config, format, "denials", &args);
        assert!(
            stdout.is_empty(),
            "{format}: --out writes the file, not stdout"
        );
        let written = std::fs::read(&target).unwrap();
        let printed = run(&config, format, "denials", &args[..5]);
        assert_eq!(written, printed, "{format}");
    }
    let doc: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/r.json")).unwrap()).unwrap();
    // The three buckets add up the same per statement, per day and in the totals.
    let t = &doc["totals"];
    for bucket in [
        "refused_and_predicted",
        "refused_not_predicted",
        "predicted_but_succeeded",
    ] {
        let sum = |key: &str| -> u64 {
            doc[key]
                .as_object()
                .unwrap()
                .values()
                .map(|b| b[bucket].as_u64().unwrap())
                .sum()
        };
        assert_eq!(sum("by_statement"), t[bucket].as_u64().unwrap(), "{doc}");
        assert_eq!(sum("by_day"), t[bucket].as_u64().unwrap(), "{doc}");
    }
    assert_eq!(t["refused_not_predicted"], 1);
    assert_eq!(
        principal(&doc, &user("u1"))["addresses"],
        json!([{"address": "198.51.100.7", "count": 1}])
    );
    assert_eq!(
        principal(&doc, &user("u1"))["actions"],
        json!([{"action": "iam:ListRoles", "count": 1}])
    );
    let html = std::fs::read_to_string(dir.path().join("out/r.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains(&format!("<b id=\"t-refused\">{}</b>", t["refused"])));

    let refused = Command::cargo_bin("scpctl")
        .unwrap()
        .arg("--config")
        .arg(&config)
        .args(["--output", "jsonl", "denials", "--policy-id", OURS])
        .arg(&file)
        .args(["--out", "x.jsonl"])
        .current_dir(dir.path())
        .assert()
        .failure();
    let err = String::from_utf8_lossy(&refused.get_output().stderr).to_string();
    assert!(err.contains("--out x.jsonl"), "{err}");
    assert!(!dir.path().join("x.jsonl").exists());
}

/// With endpoint owners in the config, the prediction cannot see them (records carry no
/// aws:VpceOrgID): text and JSON say so, as impact does; without them, no note.
#[test]
fn endpoint_owners_in_the_config_give_the_replay_note() {
    let (dir, config, tags) = project();
    let file = dir.path().join("forms.json");
    std::fs::write(&file, log_file(&forms())).unwrap();
    let args: [&dyn AsRef<std::ffi::OsStr>; 5] =
        [&file, &"--tags-file", &tags, &"--policy-id", &OURS];
    let plain: Value = serde_json::from_slice(&run(&config, "json", "denials", &args)).unwrap();
    assert!(plain.get("notes").is_none(), "{plain}");
    let owners = dir.path().join("owners.toml");
    std::fs::write(
        &owners,
        format!("[network]\ncidrs = {CIDRS}\nvpce_org_ids = [\"o-a1b2c3d4e5\"]\n"),
    )
    .unwrap();
    let doc: Value = serde_json::from_slice(&run(&owners, "json", "denials", &args)).unwrap();
    let notes = doc["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 1, "{doc}");
    assert!(
        notes[0].as_str().unwrap().contains("aws:VpceOrgID"),
        "{doc}"
    );
    let text = String::from_utf8(run(&owners, "text", "denials", &args)).unwrap();
    assert!(
        text.lines()
            .any(|l| l.starts_with("note: ") && l.contains("upper bound")),
        "{text}"
    );
    // The counts are those of the config without owners: the note changes no figure.
    assert_eq!(doc["totals"], plain["totals"], "{doc}");
}
