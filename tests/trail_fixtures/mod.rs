//! Hand-made CloudTrail records for the `impact` tests, written in the three shapes `impact`
//! reads: a log file as delivered (`.json`), the same gzipped (`.json.gz`), and `aws cloudtrail
//! lookup-events` output. Every identity type and source form appears.

#![allow(dead_code)] // each test binary uses its own part of this module

use std::io::Write;
use std::path::Path;

use serde_json::{json, Value};

pub const ACCOUNT: &str = "111122223333";
pub const OTHER_ACCOUNT: &str = "444455556666";
pub const ALICE: &str = "arn:aws:iam::111122223333:user/alice";
pub const BOB: &str = "arn:aws:iam::111122223333:user/ops/bob";
pub const CAROL: &str = "arn:aws:iam::444455556666:user/carol";
pub const CIDRS: &str = r#"["192.0.2.0/24", "203.0.113.0/24", "2001:db8:1234::/48"]"#;

/// Alice holds the exception; Bob and Carol do not.
pub const TAGS: &str =
    r#"{"arn:aws:iam::111122223333:user/alice": {"accessexception": "True", "team": "billing"}}"#;

fn user(arn: &str, account: &str) -> Value {
    let name = arn.rsplit('/').next().unwrap();
    json!({"type": "IAMUser", "principalId": format!("AIDA{}", name.to_uppercase()), "arn": arn,
           "accountId": account, "accessKeyId": "AKIAEXAMPLE", "userName": name})
}

fn role(name: &str, path: &str) -> Value {
    json!({"type": "AssumedRole", "principalId": format!("AROA{}:s", name.to_uppercase()),
           "arn": format!("arn:aws:sts::{ACCOUNT}:assumed-role/{name}/s"), "accountId": ACCOUNT,
           "sessionContext": {"sessionIssuer": {"type": "Role", "arn": format!("arn:aws:iam::{ACCOUNT}:role{path}{name}"),
                              "accountId": ACCOUNT, "userName": name},
                              "attributes": {"creationDate": "2024-05-01T00:00:00Z", "mfaAuthenticated": "false"}}})
}

fn record(i: usize, identity: Value, source: &str, time: &str, event: (&str, &str)) -> Value {
    json!({"eventVersion": "1.09", "userIdentity": identity, "eventTime": time, "eventSource": event.0,
           "eventName": event.1, "awsRegion": "eu-west-1", "sourceIPAddress": source,
           "userAgent": "aws-cli/2.15 \"quoted\"", "requestParameters": {"bucketName": "b", "nested": [1, {"x": null}]},
           "responseElements": null, "eventID": format!("00000000-0000-0000-0000-{i:012}"),
           "eventType": "AwsApiCall", "recipientAccountId": ACCOUNT, "readOnly": true})
}

/// Twenty records: denied and allowed users, roles, root, service principals, console and
/// internal sources, a VPC endpoint, a sign-in event, an undecidable address.
pub fn records() -> Vec<Value> {
    let s3 = ("s3.amazonaws.com", "ListBuckets");
    let ec2 = ("ec2.amazonaws.com", "DescribeInstances");
    let cw = ("monitoring.amazonaws.com", "GetMetricData");
    let mut v = vec![
        // Alice (excepted): inside, outside twice, IPv6 outside, via a service, console, VPC endpoint.
        record(
            0,
            user(ALICE, ACCOUNT),
            "192.0.2.10",
            "2024-05-01T08:00:00Z",
            s3,
        ),
        record(
            1,
            user(ALICE, ACCOUNT),
            "198.51.100.7",
            "2024-05-01T09:00:00Z",
            s3,
        ),
        record(
            2,
            user(ALICE, ACCOUNT),
            "198.51.100.7",
            "2024-05-02T09:00:00Z",
            cw,
        ),
        record(
            3,
            user(ALICE, ACCOUNT),
            "2001:db8:ffff::7",
            "2024-05-02T10:00:00Z",
            ec2,
        ),
        record(
            4,
            user(ALICE, ACCOUNT),
            "cloudformation.amazonaws.com",
            "2024-05-02T11:00:00Z",
            ec2,
        ),
        record(
            5,
            user(ALICE, ACCOUNT),
            "signin.amazonaws.com",
            "2024-05-02T12:00:00Z",
            ec2,
        ),
        record(
            6,
            user(ALICE, ACCOUNT),
            "10.0.0.5",
            "2024-05-03T08:00:00Z",
            s3,
        ),
        // Bob (no exception): denied by statement 1 from anywhere, AWS Internal included.
        record(
            7,
            user(BOB, ACCOUNT),
            "192.0.2.11",
            "2024-05-01T08:00:00Z",
            s3,
        ),
        record(
            8,
            user(BOB, ACCOUNT),
            "AWS Internal",
            "2024-05-01T08:30:00Z",
            ec2,
        ),
        record(
            9,
            user(BOB, ACCOUNT),
            "035.249.253.232",
            "2024-05-01T08:45:00Z",
            ec2,
        ),
        // Carol, another account, untagged.
        record(
            10,
            user(CAROL, OTHER_ACCOUNT),
            "203.0.113.40",
            "2024-05-04T08:00:00Z",
            s3,
        ),
        // Roles, a service-linked role, root, a federated user: never denied by this policy.
        record(
            11,
            role("Deploy", "/ci/"),
            "198.51.100.9",
            "2024-05-01T08:00:00Z",
            ec2,
        ),
        record(
            12,
            role(
                "AWSServiceRoleForECS",
                "/aws-service-role/ecs.amazonaws.com/",
            ),
            "ecs.amazonaws.com",
            "2024-05-01T08:00:00Z",
            ec2,
        ),
        record(
            13,
            json!({"type": "Root", "principalId": ACCOUNT, "arn": format!("arn:aws:iam::{ACCOUNT}:root"), "accountId": ACCOUNT}),
            "198.51.100.10",
            "2024-05-01T08:00:00Z",
            s3,
        ),
        record(
            14,
            json!({"type": "FederatedUser", "principalId": "111122223333:fed", "arn": "arn:aws:sts::111122223333:federated-user/fed",
                          "accountId": ACCOUNT}),
            "198.51.100.11",
            "2024-05-01T08:00:00Z",
            s3,
        ),
        // Not subject, or not decidable.
        record(
            15,
            json!({"type": "AWSService", "invokedBy": "cloudtrail.amazonaws.com"}),
            "cloudtrail.amazonaws.com",
            "2024-05-01T08:00:00Z",
            s3,
        ),
        record(
            16,
            json!({"type": "AWSAccount", "principalId": "AIDAX", "accountId": "999988887777"}),
            "198.51.100.12",
            "2024-05-01T08:00:00Z",
            s3,
        ),
        record(
            17,
            json!({"type": "IdentityCenterUser", "accountId": ACCOUNT}),
            "198.51.100.13",
            "2024-05-01T08:00:00Z",
            s3,
        ),
        // Alice with an address that is no valid literal: undecidable for an excepted user.
        record(
            18,
            user(ALICE, ACCOUNT),
            "redacted",
            "2024-05-03T09:00:00Z",
            s3,
        ),
    ];
    v[6]["vpcEndpointId"] = json!("vpce-0abc");
    let mut signin = record(
        19,
        user(ALICE, ACCOUNT),
        "198.51.100.7",
        "2024-05-01T07:00:00Z",
        ("signin.amazonaws.com", "ConsoleLogin"),
    );
    signin["eventType"] = json!("AwsConsoleSignIn");
    v.push(signin);
    v
}

/// Would-be-denied event ids with their Sid, for the records above with `TAGS`.
pub fn expected_denied() -> Vec<(String, &'static str)> {
    let id = |i: usize| format!("00000000-0000-0000-0000-{i:012}");
    let net = "DenyIAMUsersOutsideApprovedNetwork";
    let tag = "DenyIAMUsersWithoutAccessException";
    vec![
        (id(1), net),
        (id(2), net),
        (id(3), net),
        (id(6), net),
        (id(7), tag),
        (id(8), tag),
        (id(9), tag),
        (id(10), tag),
    ]
}

pub fn log_file(records: &[Value]) -> String {
    // Pretty, across lines, as people keep them after `jq`: positions then have real lines.
    serde_json::to_string_pretty(&json!({"Records": records})).unwrap()
}

pub fn lookup_events(records: &[Value]) -> String {
    let events: Vec<Value> = records
        .iter()
        .map(|r| {
            json!({"EventId": r["eventID"], "EventName": r["eventName"], "ReadOnly": "true",
                        "CloudTrailEvent": r.to_string()})
        })
        .collect();
    serde_json::to_string_pretty(&json!({"Events": events, "NextToken": "abc"})).unwrap()
}

pub fn gzip(text: &str) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(text.as_bytes()).unwrap();
    e.finish().unwrap()
}

/// The three shapes of the same records, as (relative path, bytes), in an S3-like layout.
pub fn three_shapes() -> Vec<(String, Vec<u8>)> {
    let r = records();
    let (a, b) = r.split_at(10);
    vec![
        (
            format!("AWSLogs/{ACCOUNT}/CloudTrail/eu-west-1/2024/05/03/{ACCOUNT}_CloudTrail_eu-west-1_20240503T1000Z_a.json.gz"),
            gzip(&log_file(a)),
        ),
        (
            format!("AWSLogs/{ACCOUNT}/CloudTrail/eu-west-1/2024/05/04/{ACCOUNT}_CloudTrail_eu-west-1_20240504T0900Z_b.json"),
            log_file(&b[..5]).into_bytes(),
        ),
        (
            format!("AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2024/05/04/lookup-events.json"),
            lookup_events(&b[5..]).into_bytes(),
        ),
        // Not CloudTrail logs: a digest file is skipped by its path.
        (
            format!("AWSLogs/{ACCOUNT}/CloudTrail-Digest/eu-west-1/2024/05/01/{ACCOUNT}_CloudTrail-Digest_x.json.gz"),
            gzip("{\"awsAccountId\": \"111122223333\"}"),
        ),
    ]
}

pub fn write_all(dir: &Path, files: &[(String, Vec<u8>)]) {
    for (rel, bytes) in files {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
}

/// `(eventID, sid)` pairs of `--output jsonl`, sorted.
pub fn jsonl_pairs(stdout: &str) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = stdout
        .lines()
        .map(|l| {
            let d: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
            for key in [
                "eventID",
                "sid",
                "principalArn",
                "accountId",
                "sourceIPAddress",
                "eventSource",
                "eventName",
                "eventTime",
            ] {
                assert!(d.get(key).is_some(), "{key} missing in {l}");
            }
            (
                d["eventID"].as_str().unwrap().to_string(),
                d["sid"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}
