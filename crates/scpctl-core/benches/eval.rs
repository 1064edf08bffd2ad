//! Requests per second of the evaluator on the per-target maximum: 10 SCPs of 10,240 characters
//! each (one Allow, nine guardrails of the shapes organizations publish, padded with CIDRs,
//! actions and principal patterns up to the size), as one SCP chain level. `decide` is what
//! `impact` calls per record; `evaluate` adds the trace `simulate` prints.
//!
//! `replay_*`: `impact --policy-dir` in the core (parse, map, verdicts of the new SCP and of
//! the 10 SCPs in force, tally) on records shaped like S3 data events (about 1.4 KB each):
//! `replay_cache_cannot_help` gives every record its own address and principal, so each one is
//! evaluated (the verdict cache never hits); `replay_cached` repeats a few of each, as trails do.
//!
//! Run: `cargo bench -p scpctl-core --bench eval`.
//!
//! For a count that the machine's load does not change (instructions under
//! `valgrind --tool=callgrind`), `SCPCTL_EVAL_COUNT=N` runs a fixed workload instead of criterion:
//! `decide` over the 1,000 requests N times (`SCPCTL_EVAL_WHAT=decide`, the default), the same
//! with each request's context built from its keys first (`context`), or N replays of the
//! 20,000 records where the cache cannot help (`replay`). Compare against N=0 for the setup.

use criterion::{criterion_group, Criterion, Throughput};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use scpctl_core::cidr::{CidrSet, SourcedValue};
use scpctl_core::config::Config;
use scpctl_core::eval::{CompiledPolicy, PolicySet, PolicyType, RequestContext};
use scpctl_core::impact::{
    candidate_addresses, read_records, Existing, InForce, ReplayOptions, Replayer, TagSource,
    Tally, VerdictCache,
};
use scpctl_core::policy::PolicyDocument;
use scpctl_core::render::{render, Layout, PolicyKind};
use serde_json::{json, Value};
use std::hint::black_box;
use std::sync::Arc;

const SIZE: usize = 10_240;
const SERVICES: [&str; 12] = [
    "s3", "ec2", "iam", "kms", "lambda", "dynamodb", "sqs", "sns", "rds", "logs", "sts", "ssm",
];
const REGIONS: [&str; 4] = ["eu-west-1", "eu-central-1", "us-east-1", "ap-south-1"];

fn compact(v: &Value) -> usize {
    serde_json::to_string(v).map_or(0, |s| s.chars().count())
}

/// Guardrail `i`: a Region deny, a network deny, a tag-key deny and an MFA deny, with its
/// padding list grown until the document holds just under 10,240 characters.
fn guardrail(i: usize, rng: &mut StdRng) -> Value {
    let mut doc = json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": format!("Regions{i}"), "Effect": "Deny",
             "NotAction": ["iam:*", "organizations:*", "sts:*", "support:*", "cloudfront:*", "route53:*"],
             "Resource": "*",
             "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]},
                           "ArnNotLike": {"aws:PrincipalArn": ["arn:aws:iam::*:role/BreakGlass"]}}},
            {"Sid": format!("Network{i}"), "Effect": "Deny", "Action": "*", "Resource": "*",
             "Condition": {"NotIpAddressIfExists": {"aws:SourceIp": ["192.0.2.0/24", "2001:db8:1234::/48"]},
                           "StringNotEqualsIfExists": {"aws:SourceVpc": ["vpc-0a1b2c3d4e5f60001"]},
                           "BoolIfExists": {"aws:ViaAWSService": "false"},
                           "ArnNotLikeIfExists": {"aws:PrincipalArn": ["arn:aws:iam::*:role/network-exempt/*"]}}},
            {"Sid": format!("TagKeys{i}"), "Effect": "Deny",
             "Action": ["ec2:CreateTags", "iam:TagRole", "s3:PutBucketTagging"], "Resource": "*",
             "Condition": {"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["CostCenter", "Owner", "Project"]}}},
            {"Sid": format!("Mfa{i}"), "Effect": "Deny", "Action": ["iam:CreateUser", "kms:ScheduleKeyDeletion"], "Resource": "*",
             "Condition": {"NumericGreaterThanIfExists": {"aws:MultiFactorAuthAge": "3600"}}},
        ]
    });
    // Alternate what pads the document: CIDRs, denied actions, break-glass patterns.
    loop {
        let (stmt, path): (usize, Vec<&str>) = match i % 3 {
            0 => (1, vec!["Condition", "NotIpAddressIfExists", "aws:SourceIp"]),
            1 => (3, vec!["Action"]),
            _ => (0, vec!["Condition", "ArnNotLike", "aws:PrincipalArn"]),
        };
        let item = match i % 3 {
            0 => json!(format!(
                "{}.{}.{}.0/24",
                rng.random_range(1..224),
                rng.random_range(0..256),
                rng.random_range(0..256)
            )),
            1 => json!(format!(
                "{}:Delete{}",
                SERVICES[rng.random_range(0..SERVICES.len())],
                rng.random_range(0..100_000)
            )),
            _ => json!(format!(
                "arn:aws:iam::{:012}:role/ops/Emergency{}",
                rng.random_range(0..1_000_000_000u64),
                rng.random_range(0..1000)
            )),
        };
        let mut next = doc.clone();
        let mut target = &mut next["Statement"][stmt];
        for p in &path {
            target = &mut target[*p];
        }
        if let Some(list) = target.as_array_mut() {
            list.push(item);
        }
        if compact(&next) > SIZE {
            return doc;
        }
        doc = next;
    }
}

fn documents() -> Vec<(String, PolicyDocument)> {
    let mut rng = StdRng::seed_from_u64(21);
    let mut out = vec![(
        "FullAWSAccess".to_string(),
        json!({"Version": "2012-10-17", "Statement": [{"Sid": "FullAWSAccess", "Effect": "Allow", "Action": "*", "Resource": "*"}]}),
    )];
    for i in 0..9 {
        out.push((format!("guardrail-{i}"), guardrail(i, &mut rng)));
    }
    out.into_iter()
        .map(|(name, v)| {
            let size = compact(&v);
            assert!(
                name == "FullAWSAccess" || (SIZE - 200..=SIZE).contains(&size),
                "{name}: {size}"
            );
            (name, PolicyDocument::from_value(&v).unwrap())
        })
        .collect()
}

fn compile(docs: &[(String, PolicyDocument)]) -> Vec<(String, CompiledPolicy)> {
    docs.iter()
        .map(|(name, doc)| {
            (
                name.clone(),
                CompiledPolicy::new(doc, PolicyType::Scp).unwrap(),
            )
        })
        .collect()
}

/// One request as a record gives it: the action and the context keys with their values.
type RawRequest = (String, Vec<(&'static str, String)>);

/// Requests like CloudTrail records give: mostly allowed (so every statement is evaluated).
fn raw_requests(n: usize) -> Vec<RawRequest> {
    let mut rng = StdRng::seed_from_u64(7);
    (0..n)
        .map(|i| {
            let service = SERVICES[rng.random_range(0..SERVICES.len())];
            let mut keys = vec![
                (
                    "aws:PrincipalArn",
                    format!("arn:aws:iam::111122223333:role/app-{}", i % 30),
                ),
                ("aws:PrincipalType", "AssumedRole".to_string()),
                ("aws:ViaAWSService", "false".to_string()),
                (
                    "aws:RequestedRegion",
                    REGIONS[usize::from(rng.random_range(0..10u8) == 0) * 2].to_string(),
                ),
                ("aws:MultiFactorAuthAge", "120".to_string()),
            ];
            keys.push(if rng.random_range(0..4) == 0 {
                ("aws:SourceIp", format!("198.51.100.{}", i % 256))
            } else {
                ("aws:SourceVpc", "vpc-0a1b2c3d4e5f60001".to_string())
            });
            (format!("{service}:Get{}", i % 50), keys)
        })
        .collect()
}

fn context(raw: &RawRequest) -> RequestContext {
    raw.1
        .iter()
        .fold(RequestContext::new(raw.0.as_str()), |r, (k, v)| {
            r.with(k, v.as_str())
        })
}

fn requests(n: usize) -> Vec<RequestContext> {
    raw_requests(n).iter().map(context).collect()
}

/// One S3 data event (the shape of a real trail's: nested `tlsDetails`, `additionalEventData`,
/// `resources`, long request ids), from IAM user `user` at `ip`.
fn s3_event(i: usize, user: usize, ip: String) -> Value {
    let account = format!("{:012}", 111_122_220_000u64 + (user % 20) as u64);
    json!({
        "eventVersion": "1.10",
        "userIdentity": {"type": "IAMUser", "principalId": format!("AIDA{user:016X}"),
            "arn": format!("arn:aws:iam::{account}:user/svc-{user}"), "accountId": account,
            "accessKeyId": "AKIAIOSFODNN7EXAMPLE", "userName": format!("svc-{user}")},
        "eventTime": format!("2024-05-01T12:{:02}:{:02}Z", (i / 60) % 60, i % 60),
        "eventSource": "s3.amazonaws.com", "eventName": "GetObject", "awsRegion": "eu-west-1",
        "sourceIPAddress": ip,
        "userAgent": "[aws-sdk-java/2.25.10 Linux/5.10 OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS Java/17.0.10 vendor/Amazon.com_Inc. exec-env/AWS_ECS_FARGATE io/sync http/Apache cfg/retry-mode/adaptive]",
        "requestParameters": {"bucketName": "example-data-lake-eu-west-1", "Host": "example-data-lake-eu-west-1.s3.eu-west-1.amazonaws.com",
            "key": format!("raw/events/year=2024/month=05/day=01/part-{i:08}-5f1c2d3e-4b5a-6978-8a9b-0c1d2e3f4a5b.c000.snappy.parquet")},
        "responseElements": null,
        "additionalEventData": {"SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256", "bytesTransferredIn": 0,
            "AuthenticationMethod": "AuthHeader", "x-amz-id-2": "Xo9f4m2QoTz0b6cL3p8Yk1nR5sV7wA9dE2gH4jK6lM8nP0qR3tU5vW7xY9zA1bC3dE5fG7hJ9kL1mN3pQ5rS7tU9v=",
            "bytesTransferredOut": 1048576},
        "requestID": format!("{:016X}", i * 7919),
        "eventID": format!("{:08x}-1c2d-4e5f-8a9b-0c1d2e3f4a5b", i),
        "readOnly": true,
        "resources": [{"type": "AWS::S3::Object", "ARN": format!("arn:aws:s3:::example-data-lake-eu-west-1/raw/events/part-{i:08}.parquet")},
                      {"accountId": account, "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::example-data-lake-eu-west-1"}],
        "eventType": "AwsApiCall", "managementEvent": false, "recipientAccountId": account,
        "sharedEventID": format!("{:08x}-aaaa-4bbb-8ccc-dddddddddddd", i),
        "eventCategory": "Data",
        "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": "example-data-lake-eu-west-1.s3.eu-west-1.amazonaws.com"}
    })
}

/// A log file of `n` records: every record its own principal and address (`distinct`), or 50
/// users over 200 addresses.
fn log_file(n: usize, distinct: bool) -> Vec<u8> {
    let records: Vec<Value> = (0..n)
        .map(|i| {
            let (user, ip) = if distinct {
                (
                    i,
                    format!("198.{}.{}.{}", 18 + i / 65_536 % 2, i / 256 % 256, i % 256),
                )
            } else {
                (i % 50, format!("198.51.100.{}", i % 200))
            };
            s3_event(i, user, ip)
        })
        .collect();
    serde_json::to_vec(&json!({ "Records": records })).unwrap()
}

/// `impact --policy-dir`: the rendered SCP as the new policy, the 10 SCPs as those in force,
/// every IAM user counted as holding the exception tag (so the network statement decides).
fn replayer(set: PolicySet) -> (Replayer, CidrSet) {
    let config = Config::parse(
        "[network]\ncidrs = [\"192.0.2.0/24\", \"203.0.113.0/24\", \"2001:db8:1234::/48\"]\n",
        "bench.toml",
    )
    .unwrap();
    let values: Vec<SourcedValue> = config.network.cidrs.clone();
    let cidrs = CidrSet::build(&values, config.network.options, "bench")
        .unwrap()
        .set;
    let doc = &render(&config, &cidrs, PolicyKind::Scp, Layout::Single).unwrap()[0];
    let policy = PolicyDocument::from_json(&doc.compact).unwrap();
    let opts = ReplayOptions {
        tags: TagSource::AssumeExcepted {
            key: "AccessException".into(),
            value: "True".into(),
        },
        candidate_addresses: candidate_addresses(&cidrs),
        existing: Existing::Same(Arc::new(InForce::new(set))),
        ..Default::default()
    };
    let compiled = CompiledPolicy::new(&policy, PolicyType::Scp).unwrap();
    (Replayer::compiled(compiled, opts), cidrs)
}

fn replay(replayer: &Replayer, cidrs: &CidrSet, text: &[u8]) -> Tally {
    let mut tally = Tally::default();
    let mut cache = VerdictCache::default();
    read_records(text, |r| {
        let outcome = replayer.replay(r, &mut cache).unwrap();
        tally.add(&outcome, cidrs);
    });
    tally
}

fn bench_replay(c: &mut Criterion, set: PolicySet) {
    let (replayer, cidrs) = replayer(set);
    let n = 20_000;
    let mut group = c.benchmark_group("replay_s3_data_events_10_scps_in_force");
    group.sample_size(10);
    for (name, distinct) in [("replay_cache_cannot_help", true), ("replay_cached", false)] {
        let text = log_file(n, distinct);
        let t = replay(&replayer, &cidrs, &text);
        eprintln!(
            "{name}: {} records of {} bytes each on average, {} decided, {} denied",
            t.records,
            text.len() / n,
            t.decided,
            t.denied
        );
        assert_eq!(t.decided, n as u64);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function(name, |b| {
            b.iter(|| black_box(replay(&replayer, &cidrs, black_box(&text))))
        });
    }
    group.finish();
}

fn bench(c: &mut Criterion) {
    let docs = documents();
    let set = PolicySet::chain(vec![("account".into(), compile(&docs))]);
    let reqs = requests(1_000);
    let denied = reqs.iter().filter(|r| set.decide(r).denied()).count();
    eprintln!("{denied} of {} requests denied", reqs.len());
    let mut group = c.benchmark_group("eval_10_scps_10240_chars");
    group.throughput(Throughput::Elements(reqs.len() as u64));
    group.bench_function("decide", |b| {
        b.iter(|| {
            for r in &reqs {
                black_box(set.decide(black_box(r)));
            }
        })
    });
    // The context built from the record's keys, then decided: what a replay pays per request.
    let raw = raw_requests(1_000);
    group.bench_function("context_then_decide", |b| {
        b.iter(|| {
            for r in &raw {
                black_box(set.decide(&context(black_box(r))));
            }
        })
    });
    group.sample_size(10);
    group.bench_function("evaluate_with_trace", |b| {
        b.iter(|| {
            for r in &reqs {
                black_box(set.evaluate(black_box(r)));
            }
        })
    });
    group.bench_function("compile_10_policies", |b| {
        b.iter(|| black_box(compile(black_box(&docs))))
    });
    group.finish();
    bench_replay(c, set);
}

/// The fixed workload of `SCPCTL_EVAL_COUNT` (see the file's comment).
fn count(n: usize, what: &str) {
    let docs = documents();
    let set = PolicySet::chain(vec![("account".into(), compile(&docs))]);
    let mut denied = 0usize;
    match what {
        "decide" => {
            let reqs = requests(1_000);
            for _ in 0..n {
                denied += reqs
                    .iter()
                    .filter(|r| set.decide(black_box(r)).denied())
                    .count();
            }
        }
        "context" => {
            let raw = raw_requests(1_000);
            for _ in 0..n {
                denied += raw
                    .iter()
                    .filter(|r| set.decide(&context(black_box(r))).denied())
                    .count();
            }
        }
        "replay" => {
            let (replayer, cidrs) = replayer(set);
            let text = log_file(20_000, true);
            for _ in 0..n {
                denied += replay(&replayer, &cidrs, black_box(&text)).denied as usize;
            }
        }
        other => panic!("SCPCTL_EVAL_WHAT={other}: decide, context or replay"),
    }
    eprintln!("{what} x{n}: {denied} denied");
}

criterion_group!(benches, bench);

fn main() {
    if let Ok(n) = std::env::var("SCPCTL_EVAL_COUNT") {
        let what = std::env::var("SCPCTL_EVAL_WHAT").unwrap_or_else(|_| "decide".into());
        count(n.parse().expect("SCPCTL_EVAL_COUNT: a number"), &what);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
