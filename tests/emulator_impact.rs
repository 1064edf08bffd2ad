//! `impact` reading a trail from S3 (moto), against the same files read locally: the same
//! verdicts, the same report.

mod support;
mod trail_fixtures;

use aws_sdk_s3::primitives::ByteStream;
use support::*;
use trail_fixtures::*;

const BUCKET: &str = "org-trail";

fn s3(emu: &Emulator) -> aws_sdk_s3::Client {
    emu.block_on(async {
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .credentials_provider(aws_sdk_s3::config::Credentials::new(
                "test", "test", None, None, "tests",
            ))
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(&emu.endpoint)
            .load()
            .await;
        aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&config)
                .force_path_style(true)
                .build(),
        )
    })
}

fn upload(emu: &Emulator, files: &[(String, Vec<u8>)]) {
    let client = s3(emu);
    emu.block_on(async {
        client.create_bucket().bucket(BUCKET).send().await.unwrap();
        for (key, bytes) in files {
            client
                .put_object()
                .bucket(BUCKET)
                .key(format!("trail/{key}"))
                .body(ByteStream::from(bytes.clone()))
                .send()
                .await
                .unwrap();
        }
        // Not a CloudTrail log: never read.
        client
            .put_object()
            .bucket(BUCKET)
            .key("trail/README.json")
            .body(ByteStream::from_static(b"not json"))
            .send()
            .await
            .unwrap();
    });
}

fn run(emu: &Emulator, dir: &std::path::Path, input: &str, output: &str, extra: &[&str]) -> String {
    let a = emu
        .scpctl()
        .arg("--config")
        .arg(dir.join("scpctl.toml"))
        .args(["--output", output, "impact", input, "--tags-file"])
        .arg(dir.join("tags.json"))
        .args(extra)
        .assert()
        .success();
    String::from_utf8(a.get_output().stdout.clone()).unwrap()
}

#[test]
fn s3_gives_the_same_report_as_the_same_files_read_locally() {
    let emu = Emulator::start();
    let files = three_shapes();
    upload(&emu, &files);
    let (dir, _config) = project(trail_fixtures::CIDRS);
    std::fs::write(dir.path().join("tags.json"), TAGS).unwrap();
    let local = dir.path().join("trail");
    write_all(&local, &files);
    let local = local.to_str().unwrap().to_string();
    let remote = format!("s3://{BUCKET}/trail/");

    let from_s3 = run(&emu, dir.path(), &remote, "jsonl", &[]);
    let want: Vec<(String, String)> = expected_denied()
        .into_iter()
        .map(|(i, s)| (i, s.to_string()))
        .collect();
    assert_eq!(jsonl_pairs(&from_s3), want);
    assert_eq!(
        jsonl_pairs(&run(&emu, dir.path(), &local, "jsonl", &[])),
        want
    );

    let mut s3_doc: serde_json::Value =
        serde_json::from_str(&run(&emu, dir.path(), &remote, "json", &[])).unwrap();
    let mut local_doc: serde_json::Value =
        serde_json::from_str(&run(&emu, dir.path(), &local, "json", &[])).unwrap();
    // Principals come sorted; everything is equal.
    s3_doc["problems"] = serde_json::json!([]);
    local_doc["problems"] = serde_json::json!([]);
    assert_eq!(s3_doc, local_doc);
    assert_eq!(s3_doc["totals"]["files"], 3);

    // --since skips objects delivered before that day by their key, and records by eventTime.
    let since = ["--since", "2024-05-04"];
    let s3_doc: serde_json::Value =
        serde_json::from_str(&run(&emu, dir.path(), &remote, "json", &since)).unwrap();
    let local_doc: serde_json::Value =
        serde_json::from_str(&run(&emu, dir.path(), &local, "json", &since)).unwrap();
    assert_eq!(
        s3_doc["totals"]["files"], 2,
        "the file delivered on 05-03 is not fetched"
    );
    assert_eq!(s3_doc["principals"], local_doc["principals"]);
    assert_eq!(s3_doc["totals"]["denied"], local_doc["totals"]["denied"]);
}

#[test]
fn a_missing_bucket_is_an_error_naming_it() {
    let emu = Emulator::start();
    let (dir, config) = project(trail_fixtures::CIDRS);
    let a = emu
        .scpctl()
        .arg("--config")
        .arg(&config)
        .args(["impact", "s3://no-such-bucket/x"])
        .assert()
        .code(1);
    let err = String::from_utf8(a.get_output().stderr.clone()).unwrap();
    assert!(err.contains("cannot list s3://no-such-bucket/x"), "{err}");
    assert!(err.contains("NoSuchBucket"), "{err}");
    drop(dir);
}

#[test]
fn tags_from_iam_read_the_users_tags_of_the_account() {
    let emu = Emulator::start();
    // moto's default account.
    let account = "123456789012";
    create_user(&emu, &emu.iam, "alice", &[("AccessException", "True")]);
    create_user(&emu, &emu.iam, "bob", &[("AccessException", "true")]);
    let (dir, config) = project(trail_fixtures::CIDRS);
    let mut recs = Vec::new();
    for (i, (user, ip)) in [
        ("alice", "192.0.2.1"),
        ("alice", "198.51.100.1"),
        ("bob", "192.0.2.1"),
    ]
    .iter()
    .enumerate()
    {
        let mut r = records()[0].clone();
        r["eventID"] = serde_json::json!(format!("e{i}"));
        r["userIdentity"]["arn"] = serde_json::json!(format!("arn:aws:iam::{account}:user/{user}"));
        r["userIdentity"]["accountId"] = serde_json::json!(account);
        r["sourceIPAddress"] = serde_json::json!(ip);
        recs.push(r);
    }
    let file = dir.path().join("t.json");
    std::fs::write(&file, log_file(&recs)).unwrap();
    let a = emu
        .scpctl()
        .arg("--config")
        .arg(&config)
        .args([
            "--output",
            "jsonl",
            "impact",
            "--tags-from-iam",
            "--account",
            account,
        ])
        .arg(&file)
        .assert()
        .success();
    let pairs = jsonl_pairs(&String::from_utf8(a.get_output().stdout.clone()).unwrap());
    assert_eq!(
        pairs,
        [
            (
                "e1".to_string(),
                "DenyIAMUsersOutsideApprovedNetwork".to_string()
            ),
            (
                "e2".to_string(),
                "DenyIAMUsersWithoutAccessException".to_string()
            ),
        ],
        "alice excepted and outside; bob tagged `true`, not `True`"
    );
}

#[test]
fn the_management_account_is_looked_up_when_aws_is_reached_anyway() {
    let emu = Emulator::start();
    upload(&emu, &three_shapes());
    let (_dir, config) = project(trail_fixtures::CIDRS);
    let remote = format!("s3://{BUCKET}/trail/");
    // No organization: said, and the run goes on.
    let a = emu
        .scpctl()
        .arg("--config")
        .arg(&config)
        .args(["impact", &remote])
        .assert()
        .success();
    let err = String::from_utf8(a.get_output().stderr.clone()).unwrap();
    assert!(err.contains("warning: management account unknown"), "{err}");
    // moto makes the caller's account (123456789012) the management account.
    seed_org(&emu, 1);
    let a = emu
        .scpctl()
        .arg("--config")
        .arg(&config)
        .args(["impact", &remote])
        .assert()
        .success();
    let out = String::from_utf8(a.get_output().stdout.clone()).unwrap();
    assert!(
        out.contains("management account 123456789012 (from Organizations)"),
        "{out}"
    );
}

#[test]
fn one_sdk_config_and_one_call_counter_per_process() {
    // S3 input, the management account looked up, the users' tags read from IAM and the
    // policies in force read from Organizations: four readers of AWS in one run, one session.
    let emu = Emulator::start();
    upload(&emu, &three_shapes());
    seed_org(&emu, 1);
    let (_dir, config) = project(trail_fixtures::CIDRS);
    let remote = format!("s3://{BUCKET}/trail/");
    let a = emu
        .scpctl()
        .arg("--config")
        .arg(&config)
        .args(["-vv", "--output", "json", "impact", &remote])
        .args(["--org-policies", "--tags-from-iam"])
        .assert()
        .success();
    let err = String::from_utf8(a.get_output().stderr.clone()).unwrap();
    let loads: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("SDK config loads in this process:"))
        .collect();
    assert_eq!(loads.len(), 1, "{err}");
    assert!(loads[0].trim_end().ends_with(": 1"), "{}", loads[0]);
    let doc: serde_json::Value =
        serde_json::from_slice(&a.get_output().stdout).expect("a JSON report");
    assert!(doc["totals"]["records"].as_u64().unwrap() > 0, "{doc}");
    // The calls of every reader land in the one counter the report prints.
    let calls = &doc["api_calls"];
    let counted = |operation: &str| {
        calls
            .as_object()
            .into_iter()
            .flatten()
            .any(|(k, n)| k.ends_with(operation) && n.as_u64().unwrap_or(0) >= 1)
    };
    for op in [
        ".DescribeOrganization",
        ".ListParents",
        ".GetAccountAuthorizationDetails",
    ] {
        assert!(counted(op), "{op} missing: {calls}");
    }
}
