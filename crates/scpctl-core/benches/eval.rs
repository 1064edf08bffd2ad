//! Requests per second of the evaluator on the per-target maximum: 10 SCPs of 10,240 characters
//! each (one Allow, nine guardrails of the shapes organizations publish, padded with CIDRs,
//! actions and principal patterns up to the size), as one SCP chain level. `decide` is what
//! `impact` calls per record; `evaluate` adds the trace `simulate` prints.
//!
//! Run: `cargo bench -p scpctl-core --bench eval`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use scpctl_core::eval::{CompiledPolicy, PolicySet, PolicyType, RequestContext};
use scpctl_core::policy::PolicyDocument;
use serde_json::{json, Value};
use std::hint::black_box;

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

/// Requests like CloudTrail records give: mostly allowed (so every statement is evaluated).
fn requests(n: usize) -> Vec<RequestContext> {
    let mut rng = StdRng::seed_from_u64(7);
    (0..n)
        .map(|i| {
            let service = SERVICES[rng.random_range(0..SERVICES.len())];
            let mut r = RequestContext::new(format!("{service}:Get{}", i % 50))
                .with(
                    "aws:PrincipalArn",
                    format!("arn:aws:iam::111122223333:role/app-{}", i % 30),
                )
                .with("aws:PrincipalType", "AssumedRole")
                .with("aws:ViaAWSService", "false")
                .with(
                    "aws:RequestedRegion",
                    REGIONS[usize::from(rng.random_range(0..10u8) == 0) * 2],
                )
                .with("aws:MultiFactorAuthAge", "120");
            r = if rng.random_range(0..4) == 0 {
                r.with("aws:SourceIp", format!("198.51.100.{}", i % 256))
            } else {
                r.with("aws:SourceVpc", "vpc-0a1b2c3d4e5f60001")
            };
            r
        })
        .collect()
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
}

criterion_group!(benches, bench);
criterion_main!(benches);
