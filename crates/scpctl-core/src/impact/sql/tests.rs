use std::collections::HashMap;
use std::net::IpAddr;

use serde_json::{json, Value};

use super::expr::{translate, Field, Lookup, Program};
use super::*;
use crate::cidr::CidrSet;
use crate::config::Config;
use crate::impact::map::{map_record, AddressKey, Mapped, Request};
use crate::impact::record::Record;
use crate::impact::replay::{candidate_addresses, Outcome, ReplayOptions, Replayer, VerdictCache};
use crate::impact::time::TimeRange;
use crate::policy::PolicyDocument;
use crate::render::{render, Layout, PolicyKind};

const ALICE: &str = "arn:aws:iam::111122223333:user/alice";
const BOB: &str = "arn:aws:iam::111122223333:user/ops/bob";
const OPTINS: &str = "vpcs = [{ id = \"vpc-0a1b2c3d\", regions = [\"eu-west-1\"] }]\n\
    vpc_endpoints = [\"vpce-0a1b2c3d4e5f67890\"]\nexempt_vpc_resident_actions = true\n";

fn policy(extra: &str, kind: PolicyKind) -> (PolicyDocument, CidrSet) {
    let config = Config::parse(
        &format!("[network]\ncidrs = [\"192.0.2.0/24\", \"203.0.113.0/24\", \"2001:db8:1234::/48\"]\n{extra}"),
        "test.toml",
    )
    .unwrap();
    let cidrs = CidrSet::build(&config.network.cidrs, config.network.options, "test")
        .unwrap()
        .set;
    let doc = &render(&config, &cidrs, kind, Layout::Single).unwrap()[0];
    (PolicyDocument::from_json(&doc.compact).unwrap(), cidrs)
}

fn tag_sources() -> Vec<TagSource> {
    vec![
        TagSource::Untagged,
        TagSource::from_map([
            (
                ALICE.to_string(),
                vec![("accessexception".into(), "True".into())],
            ),
            (
                BOB.to_string(),
                vec![("AccessException".into(), "true".into())],
            ),
            (
                "arn:aws:iam::111122223333:role/Deploy".to_string(),
                vec![("AccessException".into(), "True".into())],
            ),
        ])
        .unwrap(),
        TagSource::AssumeExcepted {
            key: "AccessException".into(),
            value: "True".into(),
        },
    ]
}

/// Records of every identity type, address form, endpoint and event type the rules name.
pub(super) fn records() -> Vec<Value> {
    let identities = vec![
        json!({"type": "IAMUser", "arn": ALICE, "accountId": "111122223333", "userName": "alice", "principalId": "AIDAA"}),
        json!({"type": "IAMUser", "arn": BOB, "userName": "bob"}),
        json!({"type": "IAMUser", "accountId": "111122223333"}),
        json!({"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/Deploy/s", "accountId": "111122223333",
               "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::111122223333:role/Deploy"}, "attributes": {"mfaAuthenticated": "TRUE"}}}),
        json!({"type": "AssumedRole", "accountId": "111122223333",
               "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::111122223333:role/aws-service-role/x.amazonaws.com/AWSServiceRoleForX"}}}),
        json!({"type": "AssumedRole", "accountId": "111122223333"}),
        json!({"type": "Root", "arn": "arn:aws:iam::999988887777:root"}),
        json!({"type": "FederatedUser", "arn": "arn:aws:sts::111122223333:federated-user/f", "accountId": "111122223333"}),
        json!({"type": "AWSService", "invokedBy": "s3.amazonaws.com"}),
        json!({"type": "AWSAccount", "accountId": "ANONYMOUS_PRINCIPAL"}),
        json!({"type": "Unknown"}),
        json!({"type": "IdentityCenterUser"}),
        json!({"type": "SAMLUser"}),
        json!({"type": "Martian", "arn": ALICE}),
        json!({"arn": ALICE}),
        json!({"type": "FederatedUser", "arn": "not-an-arn"}),
        json!({"type": "IAMUser", "arn": "arn:aws:iam::555566667777:user/mgmt"}),
    ];
    let sources: Vec<Option<&str>> = vec![
        Some("192.0.2.10"),
        Some("198.51.100.7"),
        Some("2001:db8:1234::5"),
        Some("2001:db8:9999::5"),
        Some("::ffff:192.0.2.10"),
        Some("035.249.253.232"),
        Some("1.2.3.4, 5.6.7.8"),
        Some("redacted"),
        Some(""),
        None,
        Some("AWS Internal"),
        Some("signin.amazonaws.com"),
        Some("Console.AmazonAWS.com"),
        Some("cloudformation.amazonaws.com"),
        Some("192.0.2.10/32"),
        Some("fe80::1%eth0"),
        Some("256.1.1.1"),
    ];
    let events: Vec<(Option<&str>, Option<&str>, Option<&str>)> = vec![
        (
            Some("AwsApiCall"),
            Some("s3.amazonaws.com"),
            Some("ListBuckets"),
        ),
        (
            None,
            Some("monitoring.amazonaws.com"),
            Some("GetMetricData"),
        ),
        (
            Some("AwsApiCall"),
            Some("rds-db.amazonaws.com"),
            Some("connect"),
        ),
        (
            Some("AwsApiCall"),
            Some("sts.amazonaws.com"),
            Some("GetCallerIdentity"),
        ),
        (Some("AwsApiCall"), Some("ec2.amazonaws.com"), None),
        (Some("AwsApiCall"), Some("example.com"), Some("X")),
        (
            Some("AwsConsoleSignIn"),
            Some("signin.amazonaws.com"),
            Some("ConsoleLogin"),
        ),
        (
            Some("AwsServiceEvent"),
            Some("kms.amazonaws.com"),
            Some("RotateKey"),
        ),
        (Some("AwsMysteryEvent"), Some("s3.amazonaws.com"), Some("X")),
    ];
    let mut out = Vec::new();
    let mut i = 0;
    for id in &identities {
        for s in &sources {
            for (vpce, region) in [
                (None, "eu-west-1"),
                (Some("vpce-0a1b2c3d4e5f67890"), "us-east-1"),
                (Some("vpce-11111111"), "eu-west-1"),
            ] {
                for (n, (et, es, en)) in events.iter().enumerate() {
                    // Every event for the first source; one event per other combination.
                    if s != &sources[0] && n != i % events.len() {
                        continue;
                    }
                    i += 1;
                    let mut r = json!({"eventID": format!("e{i}"), "userIdentity": id, "awsRegion": region,
                    "eventTime": match i % 31 {
                        0 => "2024-06-09T00:00:00Z",
                        1 => "2024-05-01 12:00:00",
                        _ => "2024-05-01T12:00:00Z",
                    }});
                    let o = r.as_object_mut().unwrap();
                    for (k, v) in [
                        ("sourceIPAddress", *s),
                        ("vpcEndpointId", vpce),
                        ("eventType", *et),
                        ("eventSource", *es),
                        ("eventName", *en),
                    ] {
                        if let Some(v) = v {
                            o.insert(k.into(), json!(v));
                        }
                    }
                    out.push(r);
                }
            }
        }
    }
    out
}

struct Req<'a> {
    req: &'a Request<'a>,
    tags: &'a TagSource,
    keys: &'a [String],
    address: Option<String>,
    via: bool,
}

impl Lookup for Req<'_> {
    fn get(&self, f: Field) -> Option<&str> {
        let r = self.req;
        match f {
            Field::PrincipalType => Some(r.kind.principal_type()),
            Field::PrincipalArn => Some(r.principal_arn),
            Field::PrincipalAccount => Some(r.account),
            Field::Username => r.user_name,
            Field::Userid => r.user_id,
            Field::Mfa => r.mfa.map(|m| if m { "true" } else { "false" }),
            Field::RequestedRegion => r.region,
            Field::CurrentTime => r.time,
            Field::SourceVpce => r.network.vpce,
            Field::ViaAwsService => Some(if self.via { "true" } else { "false" }),
            Field::SourceIp => self
                .address
                .as_deref()
                .filter(|_| r.network.key == AddressKey::SourceIp),
            Field::VpcSourceIp => self
                .address
                .as_deref()
                .filter(|_| r.network.key == AddressKey::VpcSourceIp),
            Field::Tag(i) => {
                let key = &self.keys[i];
                match self.tags {
                    TagSource::Untagged => None,
                    TagSource::Map(m) => m
                        .get(r.principal_arn)
                        .and_then(|v| v.iter().find(|(k, _)| k.to_lowercase() == *key))
                        .map(|(_, v)| v.as_str()),
                    TagSource::AssumeExcepted { key: k, value } => (r.kind
                        == crate::impact::rules::PrincipalKind::User
                        && k.to_lowercase() == *key)
                        .then_some(value.as_str()),
                }
            }
            Field::Never => None,
        }
    }
    fn action(&self) -> &str {
        &self.req.action
    }
}

/// The program's verdict on a mapped request, trying the network combinations as the SQL does.
fn interpreted(p: &Program, req: &Request<'_>, tags: &TagSource, candidates: &[IpAddr]) -> String {
    let one = |address: Option<String>, via: bool| {
        let l = Req {
            req,
            tags,
            keys: &p.tag_keys,
            address,
            via,
        };
        p.verdict(&l)
            .map_or("allowed".to_string(), |s| format!("denied {s}"))
    };
    if let (Ok(ip), Some(via)) = (req.network.address, req.network.via_aws_service) {
        return one(Some(ip.to_string()), via);
    }
    let mut all = Vec::new();
    for a in candidates.iter().map(|a| Some(a.to_string())).chain([None]) {
        for via in [false, true] {
            all.push(one(a.clone(), req.network.via_aws_service.unwrap_or(via)));
        }
    }
    if all.iter().all(|v| *v == all[0]) {
        all.remove(0)
    } else {
        "apart verdict_depends_on_network".into()
    }
}

fn replayed(o: &Outcome<'_>) -> String {
    match o {
        Outcome::Decided {
            denied_by: Some(s), ..
        } => format!("denied {s}"),
        Outcome::Decided {
            denied_by: None, ..
        } => "allowed".into(),
        Outcome::Apart { reason, .. } => format!("apart {}", reason.code()),
        Outcome::Skipped(s) => format!("skip {}", s.code()),
    }
}

#[test]
fn the_interpreted_program_agrees_with_the_replay_on_every_record() {
    let records = records();
    assert!(records.len() > 400, "{}", records.len());
    let mut compared = 0;
    let mut verdicts: HashMap<String, usize> = HashMap::new();
    for (extra, kind) in [
        ("", PolicyKind::Scp),
        (OPTINS, PolicyKind::Scp),
        (OPTINS, PolicyKind::Identity),
        ("", PolicyKind::Identity),
    ] {
        let (doc, cidrs) = policy(extra, kind);
        let program = translate(&doc).unwrap();
        for tags in tag_sources() {
            let candidates = candidate_addresses(&cidrs);
            let mut map = crate::impact::MapOptions {
                management_account: Some("555566667777".into()),
                users_only: kind == PolicyKind::Identity,
                time: TimeRange::parse(Some("2024-05-01"), Some("2024-05-31")).unwrap(),
                ..Default::default()
            };
            map.accounts.clear();
            let replayer = Replayer::new(
                doc.clone(),
                ReplayOptions {
                    map: map.clone(),
                    tags: tags.clone(),
                    candidate_addresses: candidates.clone(),
                    existing: Default::default(),
                },
            )
            .unwrap();
            let mut cache = VerdictCache::default();
            for v in &records {
                let text = v.to_string();
                let r: Record = serde_json::from_str(&text).unwrap();
                let local = replayed(&replayer.replay(&r, &mut cache).unwrap());
                let ours = match map_record(&r, &map) {
                    Mapped::Request(req) => interpreted(&program, &req, &tags, &candidates),
                    Mapped::Apart(a, _) => format!("apart {}", a.code()),
                    Mapped::Skip(s) => format!("skip {}", s.code()),
                };
                assert_eq!(ours, local, "{extra:?} {kind:?} {tags:?}\n{text}");
                *verdicts.entry(local).or_default() += 1;
                compared += 1;
            }
        }
    }
    // The fixture reaches every outcome class.
    for want in [
        "denied DenyIAMUsersWithoutAccessException",
        "denied DenyIAMUsersOutsideApprovedNetwork",
        "denied DenyAccessOutsideEnterpriseNetwork",
        "allowed",
        "apart verdict_depends_on_network",
        "skip outside_time_range",
        "apart no_event_time",
        "skip console_sign_in",
    ] {
        assert!(
            verdicts.contains_key(want),
            "{want} never reached: {verdicts:?}"
        );
    }
    assert!(compared > 5_000, "{compared}");
}

fn spec<'a>(
    map: &'a MapOptions,
    tags: &'a TagSource,
    cidrs: &'a CidrSet,
    cands: &'a [IpAddr],
    accounts: &'a [String],
) -> QuerySpec<'a> {
    QuerySpec {
        table: "cloudtrail.org_logs",
        layout: TableLayout::OrgProjection,
        map,
        partition_accounts: accounts,
        regions: &[],
        allow_full_scan: false,
        tags,
        candidates: cands,
        cidrs,
        per_record: true,
    }
}

fn bounded() -> MapOptions {
    MapOptions {
        time: TimeRange::parse(Some("2024-05-01"), Some("2024-05-31")).unwrap(),
        ..Default::default()
    }
}

/// Walk the SQL outside string literals: every literal closed, parentheses balanced. Returns
/// the text outside literals.
fn outside_literals(sql: &str) -> String {
    let mut out = String::new();
    let mut depth = 0i64;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => loop {
                match chars.next() {
                    Some('\'') if chars.peek() == Some(&'\'') => {
                        chars.next();
                    }
                    Some('\'') => break,
                    Some(_) => {}
                    None => panic!("unterminated literal"),
                }
            },
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                assert!(depth >= 0, "unbalanced )");
            }
            _ => {}
        }
        if c != '\'' {
            out.push(c);
        }
    }
    assert_eq!(depth, 0, "unbalanced (");
    out
}

#[test]
fn the_query_is_golden_for_a_fixed_config() {
    let (doc, cidrs) = policy(OPTINS, PolicyKind::Scp);
    let program = translate(&doc).unwrap();
    let map = bounded();
    let tags = TagSource::from_map([(
        ALICE.to_string(),
        vec![("AccessException".into(), "True".into())],
    )])
    .unwrap();
    let cands = candidate_addresses(&cidrs);
    let accounts = vec!["111122223333".to_string()];
    let mut s = spec(&map, &tags, &cidrs, &cands, &accounts);
    s.per_record = false;
    let sql = generate(&s, &program).unwrap();
    outside_literals(&sql);
    insta::assert_snapshot!("athena_query_org_projection", sql);
}

#[test]
fn inlined_values_cannot_escape_their_literals() {
    let (doc, cidrs) = policy("", PolicyKind::Scp);
    let program = translate(&doc).unwrap();
    let map = bounded();
    let evil = "x'); DROP TABLE t; --";
    let tags = TagSource::from_map([
        (
            format!("arn:aws:iam::111122223333:user/{evil}"),
            vec![("AccessException".into(), evil.to_string())],
        ),
        (
            ALICE.to_string(),
            vec![("accessexception".into(), "it's".into())],
        ),
    ])
    .unwrap();
    let cands = candidate_addresses(&cidrs);
    let accounts = vec!["111122223333".to_string()];
    let sql = generate(&spec(&map, &tags, &cidrs, &cands, &accounts), &program).unwrap();
    assert!(
        sql.contains("'arn:aws:iam::111122223333:user/x''); DROP TABLE t; --'"),
        "{sql}"
    );
    let outside = outside_literals(&sql);
    assert!(!outside.contains("DROP"), "{outside}");
    // Control characters are refused, naming the value.
    let bad = TagSource::from_map([(
        ALICE.to_string(),
        vec![("AccessException".into(), "a\nb".into())],
    )])
    .unwrap();
    let err = generate(&spec(&map, &bad, &cidrs, &cands, &accounts), &program).unwrap_err();
    assert!(err.to_string().contains("\"a\\nb\""), "{err}");
    // Identifiers and partition values are checked, never quoted blindly.
    let mut s = spec(&map, &tags, &cidrs, &cands, &accounts);
    s.table = "db.t; DROP";
    assert!(generate(&s, &program)
        .unwrap_err()
        .to_string()
        .contains("--table"));
    let bad_accounts = vec!["1111' OR '1".to_string()];
    let s = spec(&map, &tags, &cidrs, &cands, &bad_accounts);
    assert!(generate(&s, &program)
        .unwrap_err()
        .to_string()
        .contains("12 digits"));
    let regions = vec!["eu-west-1'".to_string()];
    let mut s = spec(&map, &tags, &cidrs, &cands, &accounts);
    s.regions = &regions;
    assert!(generate(&s, &program)
        .unwrap_err()
        .to_string()
        .contains("--region"));
}

#[test]
fn cost_guards_refuse_unbounded_scans_and_uninjected_accounts() {
    let (doc, cidrs) = policy("", PolicyKind::Scp);
    let program = translate(&doc).unwrap();
    let tags = TagSource::Untagged;
    let cands = candidate_addresses(&cidrs);
    let accounts = vec!["111122223333".to_string()];
    let open = MapOptions::default();
    let err = generate(&spec(&open, &tags, &cidrs, &cands, &accounts), &program).unwrap_err();
    assert!(err.to_string().contains("--allow-full-scan"), "{err}");
    let mut s = spec(&open, &tags, &cidrs, &cands, &accounts);
    s.allow_full_scan = true;
    let sql = generate(&s, &program).unwrap();
    assert!(!sql.contains("\"timestamp\" BETWEEN"));
    let map = bounded();
    let err = generate(&spec(&map, &tags, &cidrs, &cands, &[]), &program).unwrap_err();
    assert!(err.to_string().contains("injected"), "{err}");
    let sql = generate(&spec(&map, &tags, &cidrs, &cands, &accounts), &program).unwrap();
    // Padded by the delivery margin at the end, then filtered on eventtime.
    assert!(
        sql.contains("\"timestamp\" BETWEEN '2024/05/01' AND '2024/06/01'"),
        "{sql}"
    );
    assert!(sql.contains("etime <= '2024-05-31T23:59:59Z'"));
    let mut s = spec(&map, &tags, &cidrs, &cands, &[]);
    s.layout = TableLayout::Partitioned;
    assert!(generate(&s, &program)
        .unwrap()
        .contains("concat(year, '/', month, '/', day) BETWEEN"));
}

#[test]
fn policies_outside_the_rendered_kinds_are_refused_with_the_reason() {
    for (doc, what) in [
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
            "an Allow statement",
        ),
        (
            r#"{"Statement":[{"Sid":"L","Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringLike":{"aws:PrincipalArn":"arn:*"}}}]}"#,
            "StringLike aws:PrincipalArn",
        ),
        (
            r#"{"Statement":[{"Sid":"V","Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:username":"${aws:userid}"}}}]}"#,
            "StringEquals aws:username",
        ),
        (
            r#"{"Statement":[{"Sid":"R","Effect":"Deny","Action":"*","Resource":"arn:aws:s3:::b"}]}"#,
            "a Resource other than",
        ),
    ] {
        let d = PolicyDocument::from_json(doc).unwrap();
        let err = translate(&d).unwrap_err().to_string();
        assert!(err.contains(what) && err.contains("local replay"), "{err}");
    }
}

#[test]
fn a_thousand_tagged_users_fit_athenas_query_limit() {
    let (doc, cidrs) = policy("", PolicyKind::Scp);
    let program = translate(&doc).unwrap();
    let tags = TagSource::from_map((0..1000).map(|i| {
        (
            format!(
                "arn:aws:iam::{:012}:user/engineering/user-{i:04}",
                111122223333u64 + (i % 50) as u64
            ),
            vec![
                ("AccessException".to_string(), "True".to_string()),
                ("team".to_string(), "x".to_string()),
            ],
        )
    }))
    .unwrap();
    let map = bounded();
    let cands = candidate_addresses(&cidrs);
    let accounts = vec!["111122223333".to_string()];
    let sql = generate(&spec(&map, &tags, &cidrs, &cands, &accounts), &program).unwrap();
    // Only the tag the policy reads is inlined.
    assert!(!sql.contains("'x'"));
    assert!(sql.len() < 120_000, "{}", sql.len());
    eprintln!("query for 1,000 tagged users: {} bytes", sql.len());
}

#[test]
fn aggregate_rows_add_up_like_the_local_tally() {
    let mut t = crate::impact::Tally::default();
    let row = |c: &[Option<&str>]| {
        rows::AggregateRow::from_columns(c.iter().map(|v| v.map(String::from)).collect()).unwrap()
    };
    rows::add_row(
        &mut t,
        &row(&[
            Some("denied"),
            None,
            None,
            Some("1"),
            Some(ALICE),
            Some("User"),
            Some("S2"),
            Some("s3:ListBuckets"),
            Some("198.51.100.7"),
            Some("3"),
            Some("2024-05-01T00:00:00Z"),
            Some("2024-05-02T00:00:00Z"),
        ]),
    )
    .unwrap();
    rows::add_row(
        &mut t,
        &row(&[
            Some("apart"),
            Some("verdict_depends_on_network"),
            Some("aws_internal"),
            Some("1"),
            Some(ALICE),
            None,
            None,
            None,
            None,
            Some("2"),
            None,
            None,
        ]),
    )
    .unwrap();
    rows::add_row(
        &mut t,
        &row(&[
            Some("skip"),
            Some("console_sign_in"),
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            Some("4"),
            None,
            None,
        ]),
    )
    .unwrap();
    assert_eq!((t.records, t.decided, t.denied), (9, 3, 3));
    let p = &t.principals["1"][ALICE];
    assert_eq!((p.requests, p.undecided, p.denied["S2"]), (5, 2, 3));
    assert_eq!(p.outside.values().sum::<u64>(), 3);
    assert!(rows::add_row(
        &mut t,
        &row(&[
            Some("weird"),
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            Some("1"),
            None,
            None
        ])
    )
    .is_err());
}

/// Every `contains('net', ...)` literal of `sql` as Trino reads it: the network base (a mapped
/// base read as IPv4, as Java's `InetAddress` does) and the prefix, which must fit the base.
fn contains_networks(sql: &str) -> Vec<(IpAddr, u8)> {
    sql.match_indices("contains('")
        .map(|(i, m)| {
            let rest = &sql[i + m.len()..];
            let lit = &rest[..rest.find('\'').unwrap()];
            let (base, prefix) = lit.split_once('/').expect("a CIDR with a prefix");
            let base: IpAddr = base.parse().unwrap();
            let base = match base {
                IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(base, IpAddr::V4),
                v4 => v4,
            };
            let prefix: u8 = prefix.parse().unwrap();
            let bits = if base.is_ipv4() { 32 } else { 128 };
            assert!(
                prefix <= bits,
                "Trino throws on {lit}: prefix exceeds the address length"
            );
            (base, prefix)
        })
        .collect()
}

#[test]
fn mapped_networks_reach_contains_only_in_their_ipv4_form() {
    let nets: Vec<ipnet::IpNet> = ["192.0.2.0/24", "::ffff:203.0.113.0/120", "2001:db8::/32"]
        .iter()
        .map(|n| n.parse().unwrap())
        .collect();
    let sql = expr::in_nets_sql("a", "ip", &nets);
    let read = contains_networks(&sql);
    assert_eq!(read.len(), 3, "{sql}");
    assert!(
        read.contains(&("203.0.113.0".parse().unwrap(), 24)),
        "{sql}"
    );
    assert!(!sql.contains("::ffff"), "{sql}");
    // The families apart, in CASE order: IPv4 text, then mapped IPv6, then the rest.
    let v4 = sql.find("strpos(a, ':') = 0").unwrap();
    let mapped = sql.find("'00000000000000000000FFFF'").unwrap();
    assert!(v4 < mapped && sql.starts_with("CASE WHEN"), "{sql}");
    // The mapped branch tests only the mapped network, in its IPv4 form.
    let branch = &sql[mapped..sql.find("ELSE").unwrap()];
    assert!(
        branch.contains("contains('203.0.113.0/24', ip)") && !branch.contains("192.0.2"),
        "{sql}"
    );

    // An IPv6 network holding ::ffff:0:0/96 holds every mapped address, as IpNet::contains says.
    let wide: Vec<ipnet::IpNet> = vec!["::/1".parse().unwrap()];
    let sql = expr::in_nets_sql("a", "ip", &wide);
    let mapped = sql.find("'00000000000000000000FFFF'").unwrap();
    assert!(
        sql[mapped..].starts_with("'00000000000000000000FFFF' THEN TRUE"),
        "{sql}"
    );
    let probe: IpAddr = "::ffff:198.51.100.7".parse().unwrap();
    assert!(wide[0].contains(&probe));
}

#[test]
fn every_pattern_is_anchored_with_anchors_joni_and_re2_share() {
    let (doc, cidrs) = policy(OPTINS, PolicyKind::Scp);
    let program = translate(&doc).unwrap();
    let map = bounded();
    let cands = candidate_addresses(&cidrs);
    let accounts = vec!["111122223333".to_string()];
    let tags = TagSource::Untagged;
    let sql = generate(&spec(&map, &tags, &cidrs, &cands, &accounts), &program).unwrap();
    let mut n = 0;
    for (i, m) in sql.match_indices("regexp_like(") {
        let rest = &sql[i + m.len()..];
        let start = rest.find('\'').unwrap() + 1;
        let pattern = &rest[start..start + rest[start..].find('\'').unwrap()];
        assert!(
            !pattern.contains('$') && !pattern.replace("[^", "").contains('^'),
            "{pattern}"
        );
        n += 1;
    }
    assert!(n >= 6, "{n}");
    // Every IPADDRESS cast is a TRY_CAST.
    assert_eq!(
        sql.matches("AS IPADDRESS)").count(),
        sql.matches("TRY_CAST(").count()
    );
}

#[test]
fn six_hundred_cidrs_are_tested_once_per_record() {
    let list: Vec<String> = (0..600)
        .map(|i| format!("\"20.{}.{}.0/24\"", i / 100, (i % 100) * 2))
        .collect();
    let config = Config::parse(
        &format!("[network]\ncidrs = [{}]\n", list.join(", ")),
        "test.toml",
    )
    .unwrap();
    let cidrs = CidrSet::build(&config.network.cidrs, config.network.options, "test")
        .unwrap()
        .set;
    let doc = &render(&config, &cidrs, PolicyKind::Scp, Layout::Single).unwrap()[0];
    let program = translate(&PolicyDocument::from_json(&doc.compact).unwrap()).unwrap();
    let map = bounded();
    let cands = candidate_addresses(&cidrs);
    let accounts = vec!["111122223333".to_string()];
    let tags = TagSource::Untagged;
    let sql = generate(&spec(&map, &tags, &cidrs, &cands, &accounts), &program).unwrap();
    // The policy's test and the report's outside column share one column.
    assert_eq!(contains_networks(&sql).len(), 600);
    assert!(sql.contains("AS in0") && !sql.contains("AS in1"));
    assert!(sql.len() < MAX_QUERY_BYTES);
}

#[test]
fn the_ddl_checks_and_backticks_the_table_and_projects_from_a_safe_start() {
    let spec = |table: &'static str, start: &'static str, layout| ddl::DdlSpec {
        table,
        layout,
        location: "s3://b/AWSLogs/o-a1b2c3d4e5",
        regions: &[],
        start,
    };
    for bad in ["My-DB.Trail", "x;drop", "a.b.c", "db.`t`", ""] {
        let err = ddl::ddl(&spec(
            bad,
            ddl::DEFAULT_PROJECTION_START,
            TableLayout::OrgProjection,
        ))
        .unwrap_err()
        .to_string();
        assert!(err.contains("--table") && err.contains("_"), "{err}");
    }
    let text = ddl::ddl(&spec(
        "CloudTrail.Org_Logs",
        ddl::DEFAULT_PROJECTION_START,
        TableLayout::OrgProjection,
    ))
    .unwrap();
    assert!(
        text.contains("CREATE EXTERNAL TABLE `cloudtrail`.`org_logs` ("),
        "{text}"
    );
    assert!(
        text.contains("'projection.timestamp.range'='2013/11/01,NOW'"),
        "{text}"
    );
    assert!(text.contains("ignore.malformed.json") && !text.contains("'ignore.malformed.json'="));
    for bad in ["2024-05-01", "2024/13/01", "2024/1/1", "x"] {
        let err = ddl::ddl(&spec("db.t", bad, TableLayout::Projection))
            .unwrap_err()
            .to_string();
        assert!(err.contains("--projection-start"), "{err}");
    }
    let text = ddl::ddl(&spec("db.t", "2024/05/01", TableLayout::Partitioned)).unwrap();
    assert!(
        text.contains("zero-padded") && text.contains("`db`.`t`"),
        "{text}"
    );
    let mut nl = spec("db.t", "2024/05/01", TableLayout::Partitioned);
    nl.location = "s3://b/x\nDROP TABLE t";
    assert!(ddl::ddl(&nl).is_err());
}
