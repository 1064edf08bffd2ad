//! `scpctl impact` as a user runs it, on hand-made CloudTrail files in the three shapes.

mod trail_fixtures;

use std::path::PathBuf;
use std::process::Stdio;

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;
use trail_fixtures::*;

struct Project {
    dir: TempDir,
    config: PathBuf,
    tags: PathBuf,
}

fn project() -> Project {
    let dir = TempDir::new().unwrap();
    let config = dir.path().join("scpctl.toml");
    std::fs::write(&config, format!("[network]\ncidrs = {CIDRS}\n")).unwrap();
    let tags = dir.path().join("tags.json");
    std::fs::write(&tags, TAGS).unwrap();
    Project { dir, config, tags }
}

fn impact(
    p: &Project,
    output: &str,
    args: &[&dyn AsRef<std::ffi::OsStr>],
) -> assert_cmd::assert::Assert {
    let mut cmd = Command::cargo_bin("scpctl").unwrap();
    cmd.arg("--config")
        .arg(&p.config)
        .args(["--output", output, "impact"]);
    for a in args {
        cmd.arg(a);
    }
    cmd.assert()
}

fn stdout(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8(a.get_output().stdout.clone()).unwrap()
}

fn stderr(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8(a.get_output().stderr.clone()).unwrap()
}

fn json_of(a: &assert_cmd::assert::Assert) -> Value {
    serde_json::from_str(&stdout(a)).unwrap()
}

fn trail(p: &Project) -> PathBuf {
    let t = p.dir.path().join("trail");
    write_all(&t, &three_shapes());
    t
}

#[test]
fn the_three_shapes_give_the_expected_verdicts() {
    let p = project();
    let t = trail(&p);
    let a = impact(&p, "jsonl", &[&t, &"--tags-file", &p.tags]).success();
    let want: Vec<(String, String)> = expected_denied()
        .into_iter()
        .map(|(i, s)| (i, s.to_string()))
        .collect();
    assert_eq!(jsonl_pairs(&stdout(&a)), want);

    let a = impact(&p, "json", &[&t, &"--tags-file", &p.tags]).success();
    let doc = json_of(&a);
    assert_eq!(doc["totals"]["files"], 3, "the digest file is not read");
    assert_eq!(doc["totals"]["records"], 20);
    assert_eq!(doc["totals"]["denied"], 8);
    assert_eq!(doc["skipped"]["console_sign_in"], 1);
    assert_eq!(doc["apart"]["aws_service_principal"], 1);
    assert_eq!(doc["apart"]["service_linked_role"], 1);
    assert_eq!(doc["apart"]["other_account_principal"], 1);
    assert_eq!(doc["apart"]["identity_center_user"], 1);
    assert_eq!(
        doc["apart"]["verdict_depends_on_network"], 2,
        "console host and `redacted` for Alice"
    );
    assert_eq!(doc["undecided_network"]["console_host"], 1);
    assert_eq!(doc["undecided_network"]["invalid_address"], 1);
    let alice = doc["principals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["principal_arn"] == ALICE)
        .unwrap();
    assert_eq!(alice["denied"]["DenyIAMUsersOutsideApprovedNetwork"], 4);
    assert_eq!(alice["undecided"], 2);
    assert_eq!(alice["outside_addresses"][0]["address"], "198.51.100.7");
    assert_eq!(alice["outside_addresses"][0]["count"], 2);
    assert_eq!(
        alice["suggested_cidrs"],
        serde_json::json!(["198.51.100.7/32", "2001:db8:ffff::/64"])
    );
    assert_eq!(alice["first_seen"], "2024-05-01T08:00:00Z");
    assert_eq!(alice["last_seen"], "2024-05-03T08:00:00Z");
    let bob = doc["principals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["principal_arn"] == BOB)
        .unwrap();
    assert_eq!(bob["denied"]["DenyIAMUsersWithoutAccessException"], 3);
    assert!(
        bob["suggested_cidrs"].is_null(),
        "bob needs the exception, not a CIDR"
    );
    assert!(doc["tags_assumption"]
        .as_str()
        .unwrap()
        .contains("tags.json for 1 principal(s)"));
}

#[test]
fn each_shape_alone_reads_the_same_records() {
    let p = project();
    let recs = records();
    let dir = p.dir.path();
    std::fs::write(dir.join("a.json"), log_file(&recs)).unwrap();
    std::fs::write(dir.join("b.json.gz"), gzip(&log_file(&recs))).unwrap();
    std::fs::write(dir.join("c.json"), lookup_events(&recs)).unwrap();
    let want: Vec<(String, String)> = expected_denied()
        .into_iter()
        .map(|(i, s)| (i, s.to_string()))
        .collect();
    for f in ["a.json", "b.json.gz", "c.json"] {
        let a = impact(&p, "jsonl", &[&dir.join(f), &"--tags-file", &p.tags]).success();
        assert_eq!(jsonl_pairs(&stdout(&a)), want, "{f}");
    }
}

#[test]
fn text_report_states_its_assumption_and_suggests_cidrs_for_review() {
    let p = project();
    let t = trail(&p);
    let a = impact(&p, "text", &[&t, &"--tags-file", &p.tags]).success();
    let out = stdout(&a);
    assert!(
        out.contains("tags.json for 1 principal(s); principals not in it count as untagged"),
        "{out}"
    );
    assert!(out.contains(&format!("account {ACCOUNT}")), "{out}");
    assert!(
        out.contains("DenyIAMUsersOutsideApprovedNetwork 4"),
        "{out}"
    );
    assert!(
        out.contains(
            "suggestion to review (never applied): add 198.51.100.7/32, 2001:db8:ffff::/64"
        ),
        "{out}"
    );
    assert!(out.contains("cloudwatch:GetMetricData (1)"), "{out}");
    assert!(out.contains("totals: 20 records"), "{out}");

    let a = impact(&p, "text", &[&t]).success();
    let out = stdout(&a);
    assert!(
        out.contains("tags: no tags given: every principal counts as untagged"),
        "{out}"
    );
    assert!(
        out.contains("DenyIAMUsersWithoutAccessException 8"),
        "alice untagged: {out}"
    );
}

#[test]
fn assume_excepted_shows_what_the_network_statement_alone_denies() {
    let p = project();
    let t = trail(&p);
    let a = impact(&p, "json", &[&t, &"--assume-excepted"]).success();
    let doc = json_of(&a);
    for pr in doc["principals"].as_array().unwrap() {
        assert!(
            pr["denied"]
                .get("DenyIAMUsersWithoutAccessException")
                .is_none(),
            "{pr}"
        );
    }
    assert!(doc["tags_assumption"]
        .as_str()
        .unwrap()
        .contains("--assume-excepted"));
}

#[test]
fn accounts_management_account_and_time_range_narrow_the_report() {
    let p = project();
    let t = trail(&p);
    let a = impact(
        &p,
        "jsonl",
        &[&t, &"--tags-file", &p.tags, &"--account", &OTHER_ACCOUNT],
    )
    .success();
    let pairs = jsonl_pairs(&stdout(&a));
    assert_eq!(pairs.len(), 1, "only carol: {pairs:?}");

    let a = impact(
        &p,
        "json",
        &[
            &t,
            &"--tags-file",
            &p.tags,
            &"--management-account",
            &ACCOUNT,
        ],
    )
    .success();
    let doc = json_of(&a);
    assert_eq!(doc["totals"]["denied"], 1, "only carol, in another account");
    assert!(doc["apart"]["management_account"].as_u64().unwrap() >= 10);

    let a = impact(
        &p,
        "jsonl",
        &[
            &t,
            &"--tags-file",
            &p.tags,
            &"--since",
            &"2024-05-02",
            &"--until",
            &"2024-05-02",
        ],
    )
    .success();
    let ids: Vec<String> = jsonl_pairs(&stdout(&a))
        .into_iter()
        .map(|(i, _)| i)
        .collect();
    assert_eq!(
        ids,
        [
            "00000000-0000-0000-0000-000000000002",
            "00000000-0000-0000-0000-000000000003"
        ]
    );

    // Malformed flag values are usage errors (README "Exit codes").
    impact(&p, "text", &[&t, &"--account", &"12345"]).code(2);
    impact(&p, "text", &[&t, &"--since", &"May 1st"]).code(2);
}

#[test]
fn corrupt_input_is_reported_by_path_and_position_and_the_rest_is_read() {
    let p = project();
    let t = trail(&p);
    // A file cut short, a record of the wrong shape, a file that is not gzip.
    std::fs::write(
        t.join("cut.json"),
        "{\"Records\": [\n{\"eventID\": \"x\"},\n{\"eventID\"",
    )
    .unwrap();
    let mut recs = records();
    recs.truncate(2);
    recs.push(serde_json::json!({"eventID": 42}));
    std::fs::write(t.join("shape.json"), log_file(&recs)).unwrap();
    std::fs::write(t.join("fake.json.gz"), [0x1f, 0x8b, 1, 2, 3]).unwrap();
    let a = impact(&p, "json", &[&t, &"--tags-file", &p.tags]).code(5);
    let err = stderr(&a);
    assert!(
        err.contains(
            "cut.json: line 3 column 10: not a CloudTrail log file: EOF while parsing an object\n"
        ),
        "{err}"
    );
    // The bad value itself: line and column in the file, not in the record.
    let bad_line = log_file(&recs)
        .lines()
        .position(|l| l.contains("\"eventID\": 42"))
        .unwrap()
        + 1;
    assert!(
        err.contains(&format!("shape.json: line {bad_line} column 19 (record 3): record not readable: invalid type: integer `42`")),
        "{err}"
    );
    assert!(err.contains("fake.json.gz: cannot decompress"), "{err}");
    assert!(err.contains("3 input problem(s)"), "{err}");
    let doc = json_of(&a);
    assert_eq!(
        doc["totals"]["records"], 23,
        "20 + the 2 good records of shape.json + the whole record before the cut"
    );
    assert_eq!(doc["problems"].as_array().unwrap().len(), 3);
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn missing_inputs_and_bad_tags_files_are_errors_naming_them() {
    let p = project();
    let missing = p.dir.path().join("nope");
    let a = impact(&p, "text", &[&missing]).code(1);
    assert!(stderr(&a).contains("nope not found"), "{}", stderr(&a));
    let bad = p.dir.path().join("badtags.json");
    std::fs::write(
        &bad,
        r#"{"arn:aws:iam::1:user/x": {"AccessException": true}}"#,
    )
    .unwrap();
    let a = impact(&p, "text", &[&p.dir.path(), &"--tags-file", &bad]).code(1);
    let err = stderr(&a);
    assert!(
        err.contains("badtags.json")
            && err.contains("arn:aws:iam::1:user/x")
            && err.contains("not a string"),
        "{err}"
    );
    std::fs::write(
        &bad,
        r#"{"arn:aws:iam::1:user/x": {"AccessException": "True", "accessexception": "x"}}"#,
    )
    .unwrap();
    let a = impact(&p, "text", &[&p.dir.path(), &"--tags-file", &bad]).code(1);
    assert!(stderr(&a).contains("case-insensitive"), "{}", stderr(&a));
}

#[test]
fn jsonl_is_for_impact_only() {
    let p = project();
    let mut cmd = Command::cargo_bin("scpctl").unwrap();
    cmd.arg("--config")
        .arg(&p.config)
        .args(["--output", "jsonl", "render"]);
    let a = cmd.assert().code(2);
    assert!(stderr(&a).contains("--output jsonl is for `impact` and `denials` only"));
}

#[test]
fn a_closed_stdout_pipe_ends_quietly() {
    let p = project();
    // Enough denied events that the output outlives the reader.
    let recs: Vec<Value> = (0..5000)
        .map(|i| {
            let mut r = records()[7].clone();
            r["eventID"] = Value::String(format!("id-{i}"));
            r
        })
        .collect();
    let f = p.dir.path().join("many.json");
    std::fs::write(&f, log_file(&recs)).unwrap();
    for output in ["jsonl", "text"] {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("scpctl"))
            .arg("--config")
            .arg(&p.config)
            .args(["--output", output, "impact"])
            .arg(&f)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take()); // the reader goes away at once
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{output}: {err}");
        // The README's exit 141, as for every command: a lost report is not a success.
        assert_eq!(out.status.code(), Some(141), "{output}: {err}");
    }
}

/// A sampled record: (index, principal type, exception tag value, source IP, via a service).
type Sample<'a> = (usize, &'a str, Option<&'a str>, Option<&'a str>, bool);

/// For a sample of records, impact's verdict is `simulate`'s for the same request.
#[test]
fn verdicts_equal_simulate_for_the_same_requests() {
    let p = project();
    let dir = p.dir.path().join("sample");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("s.json"), log_file(&records())).unwrap();
    let a = impact(&p, "jsonl", &[&dir, &"--tags-file", &p.tags]).success();
    let denied: std::collections::HashMap<String, String> =
        jsonl_pairs(&stdout(&a)).into_iter().collect();
    let sample: [Sample; 9] = [
        (0, "User", Some("True"), Some("192.0.2.10"), false),
        (1, "User", Some("True"), Some("198.51.100.7"), false),
        (3, "User", Some("True"), Some("2001:db8:ffff::7"), false),
        (4, "User", Some("True"), None, true),
        (6, "User", Some("True"), None, false),
        (7, "User", None, Some("192.0.2.11"), false),
        (10, "User", None, Some("203.0.113.40"), false),
        (11, "AssumedRole", None, Some("198.51.100.9"), false),
        (13, "Account", None, Some("198.51.100.10"), false),
    ];
    for (i, ptype, tag, ip, via) in sample {
        let mut cmd = Command::cargo_bin("scpctl").unwrap();
        cmd.arg("--config").arg(&p.config).args([
            "--output",
            "json",
            "simulate",
            "--principal-type",
            ptype,
        ]);
        if let Some(t) = tag {
            cmd.args(["--tag", &format!("AccessException={t}")]);
        }
        if let Some(ip) = ip {
            cmd.args(["--source-ip", ip]);
        }
        if via {
            cmd.arg("--via-aws-service");
        }
        let sim: Value =
            serde_json::from_slice(&cmd.assert().success().get_output().stdout).unwrap();
        let id = format!("00000000-0000-0000-0000-{i:012}");
        assert_eq!(
            denied.get(&id).map(String::as_str),
            sim["statement"].as_str(),
            "record {i}: impact and simulate disagree"
        );
    }
}

#[test]
fn the_identity_policy_is_replayed_for_iam_users_only() {
    let p = project();
    let t = trail(&p);
    let a = impact(&p, "json", &[&t, &"--kind", &"identity"]).success();
    let doc = json_of(&a);
    assert_eq!(doc["policy"], "EnterpriseNetworkRestriction");
    assert!(
        doc["apart"]["identity_policy_not_attached"]
            .as_u64()
            .unwrap()
            >= 3,
        "{}",
        doc["apart"]
    );
    for pr in doc["principals"].as_array().unwrap() {
        assert_eq!(pr["principal_type"], "User", "{pr}");
        for sid in pr["denied"].as_object().unwrap().keys() {
            assert_eq!(sid, "DenyAccessOutsideEnterpriseNetwork");
        }
    }
}

/// A principal denied from many scattered addresses: the text report's suggestion lists the
/// first 20 and counts the rest; the JSON report has them all.
#[test]
fn the_cidr_suggestion_is_capped_on_the_terminal_and_whole_in_json() {
    let p = project();
    let records: Vec<Value> = (0..45)
        .map(|i| {
            serde_json::json!({"eventVersion": "1.09", "eventTime": "2024-05-01T08:00:00Z",
                "userIdentity": {"type": "IAMUser", "principalId": "AIDAALICE", "arn": ALICE,
                                 "accountId": ACCOUNT, "userName": "alice"},
                "eventSource": "s3.amazonaws.com", "eventName": "ListBuckets", "awsRegion": "eu-west-1",
                "sourceIPAddress": format!("198.51.{}.{}", i * 5 % 256, 7 + i),
                "eventID": format!("00000000-0000-0000-0000-{i:012}"), "eventType": "AwsApiCall",
                "recipientAccountId": ACCOUNT})
        })
        .collect();
    let file = p.dir.path().join("many.json");
    std::fs::write(&file, log_file(&records)).unwrap();
    let a = impact(&p, "text", &[&file, &"--tags-file", &p.tags]).success();
    let out = stdout(&a);
    let line = out
        .lines()
        .find(|l| l.contains("suggestion to review"))
        .unwrap_or_else(|| panic!("{out}"));
    assert_eq!(line.matches("/32").count(), 20, "{line}");
    assert!(
        line.contains("and 25 more (--output json lists them all)"),
        "{line}"
    );
    let a = impact(&p, "json", &[&file, &"--tags-file", &p.tags]).success();
    let text = stdout(&a);
    assert_eq!(text.matches("/32\"").count(), 45, "{text}");
}
