//! Verdicts through the rendered policy, the unknown-network rule, the fast path against
//! `evaluate`, and the tally.

use std::net::IpAddr;

use serde_json::{json, Value};

use super::*;
use crate::cidr::{CidrSet, SourcedValue};
use crate::config::Config;
use crate::impact::record::{read_records, Record};
use crate::impact::tally::{suggest_cidrs, PrincipalReport, Tally};
use crate::origin::Origin;
use crate::render::{render, Layout, PolicyKind, SID_OUTSIDE_NETWORK, SID_UNTAGGED};

const ALICE: &str = "arn:aws:iam::111122223333:user/alice";
const BOB: &str = "arn:aws:iam::111122223333:user/bob";

fn setup(tags: TagSource) -> (Replayer, CidrSet) {
    let config = Config::parse(
        "[network]\ncidrs = [\"192.0.2.0/24\", \"2001:db8:1234::/48\"]\n",
        "test.toml",
    )
    .unwrap();
    let values: Vec<SourcedValue> = config.network.cidrs.clone();
    let cidrs = CidrSet::build(&values, config.network.options, "test")
        .unwrap()
        .set;
    let doc = &render(&config, &cidrs, PolicyKind::Scp, Layout::Single).unwrap()[0];
    let policy = PolicyDocument::from_json(&doc.compact).unwrap();
    let opts = ReplayOptions {
        tags,
        candidate_addresses: candidate_addresses(&cidrs),
        ..Default::default()
    };
    let _ = Origin::label("unused");
    (Replayer::new(policy, opts).unwrap(), cidrs)
}

fn excepted(arn: &str) -> TagSource {
    TagSource::from_map([(
        arn.to_string(),
        vec![("accessexception".to_string(), "True".to_string())],
    )])
    .unwrap()
}

fn rec(arn: &str, source: &str) -> Value {
    json!({"userIdentity": {"type": "IAMUser", "arn": arn, "accountId": "111122223333", "userName": "u"},
           "eventTime": "2024-05-01T12:00:00Z", "eventSource": "s3.amazonaws.com", "eventName": "ListBuckets",
           "awsRegion": "us-east-1", "sourceIPAddress": source, "eventID": "id", "eventType": "AwsApiCall"})
}

fn verdict(replayer: &Replayer, v: &Value) -> String {
    let text = v.to_string();
    let r: Record = serde_json::from_str(&text).unwrap();
    let mut cache = VerdictCache::default();
    match replayer.replay(&r, &mut cache).unwrap() {
        Outcome::Decided {
            denied_by: Some(s), ..
        } => format!("denied {s}"),
        Outcome::Decided {
            denied_by: None, ..
        } => "allowed".into(),
        Outcome::Apart {
            reason, network, ..
        } => format!("apart {} {:?}", reason.code(), network),
        Outcome::Skipped(s) => format!("skip {}", s.code()),
    }
}

#[test]
fn untagged_users_are_denied_by_statement_one_wherever_they_call_from() {
    let (r, _) = setup(TagSource::Untagged);
    for source in [
        "192.0.2.10",
        "198.51.100.7",
        "AWS Internal",
        "signin.amazonaws.com",
        "035.1.2.3",
        "cloudformation.amazonaws.com",
    ] {
        assert_eq!(
            verdict(&r, &rec(ALICE, source)),
            format!("denied {SID_UNTAGGED}"),
            "{source}"
        );
    }
}

#[test]
fn tag_keys_match_case_insensitively_values_case_sensitively() {
    let (r, _) = setup(excepted(ALICE));
    assert_eq!(verdict(&r, &rec(ALICE, "192.0.2.10")), "allowed");
    assert_eq!(
        verdict(&r, &rec(ALICE, "198.51.100.7")),
        format!("denied {SID_OUTSIDE_NETWORK}")
    );
    let wrong_value = TagSource::from_map([(
        ALICE.to_string(),
        vec![("AccessException".to_string(), "true".to_string())],
    )])
    .unwrap();
    let (r, _) = setup(wrong_value);
    assert_eq!(
        verdict(&r, &rec(ALICE, "192.0.2.10")),
        format!("denied {SID_UNTAGGED}")
    );
    assert!(TagSource::from_map([(
        ALICE.to_string(),
        vec![("A".into(), "1".into()), ("a".into(), "2".into())]
    )])
    .is_err());
}

#[test]
fn unknown_network_keys_are_decided_only_when_every_value_agrees() {
    let (r, _) = setup(excepted(ALICE));
    // Via a service for the user: statement 2 cannot apply whatever the address.
    assert_eq!(
        verdict(&r, &rec(ALICE, "cloudformation.amazonaws.com")),
        "allowed"
    );
    // The console hides the user's address; AWS Internal hides it and ViaAWSService.
    assert_eq!(
        verdict(&r, &rec(ALICE, "signin.amazonaws.com")),
        "apart verdict_depends_on_network Some(ConsoleHost)"
    );
    assert_eq!(
        verdict(&r, &rec(ALICE, "AWS Internal")),
        "apart verdict_depends_on_network Some(AwsInternal)"
    );
    assert_eq!(
        verdict(&r, &rec(ALICE, "035.1.2.3")),
        "apart verdict_depends_on_network Some(InvalidAddress)"
    );
    // A VPC endpoint: no aws:SourceIp, so the negated address test matches: denied.
    let mut v = rec(ALICE, "10.0.0.5");
    v["vpcEndpointId"] = json!("vpce-1");
    assert_eq!(verdict(&r, &v), format!("denied {SID_OUTSIDE_NETWORK}"));
}

#[test]
fn roles_and_the_root_user_are_never_denied_by_this_policy() {
    let (r, _) = setup(TagSource::Untagged);
    let role = json!({"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/R/s", "accountId": "111122223333",
                      "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::111122223333:role/R"}}});
    let mut v = rec(ALICE, "AWS Internal");
    v["userIdentity"] = role;
    assert_eq!(verdict(&r, &v), "allowed");
    v["userIdentity"] = json!({"type": "Root", "arn": "arn:aws:iam::111122223333:root", "accountId": "111122223333"});
    v["sourceIPAddress"] = json!("198.51.100.7");
    assert_eq!(verdict(&r, &v), "allowed");
}

#[test]
fn assume_excepted_tags_every_user_and_no_role() {
    let (r, _) = setup(TagSource::AssumeExcepted {
        key: "AccessException".into(),
        value: "True".into(),
    });
    assert_eq!(verdict(&r, &rec(BOB, "192.0.2.10")), "allowed");
    assert_eq!(
        verdict(&r, &rec(BOB, "2001:db8:ffff::1")),
        format!("denied {SID_OUTSIDE_NETWORK}")
    );
}

/// The fast path (verdicts cached by the keys the policy reads) agrees with `evaluate` on a
/// varied sample: every identity type, every source form, tagged and untagged.
#[test]
fn the_cache_agrees_with_evaluate_on_a_sample() {
    let (r, _) = setup(excepted(ALICE));
    let sources = [
        "192.0.2.10",
        "192.0.2.11",
        "198.51.100.7",
        "2001:db8:1234::5",
        "2001:db8:ffff::1",
        "AWS Internal",
        "signin.amazonaws.com",
        "ec2.amazonaws.com",
        "035.1.2.3",
        "",
        "10.0.0.1",
    ];
    let identities = [
        json!({"type": "IAMUser", "arn": ALICE, "accountId": "111122223333", "userName": "alice"}),
        json!({"type": "IAMUser", "arn": BOB, "accountId": "111122223333", "userName": "bob"}),
        json!({"type": "AssumedRole", "arn": "x", "accountId": "111122223333", "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::111122223333:role/R"}}}),
        json!({"type": "Root", "arn": "arn:aws:iam::111122223333:root", "accountId": "111122223333"}),
        json!({"type": "FederatedUser", "arn": "arn:aws:sts::111122223333:federated-user/f", "accountId": "111122223333"}),
    ];
    let mut cache = VerdictCache::default();
    let mut compared = 0;
    for round in 0..3 {
        for id in &identities {
            for (i, s) in sources.iter().enumerate() {
                let mut v = rec(ALICE, s);
                v["userIdentity"] = id.clone();
                if i % 3 == 0 {
                    v["vpcEndpointId"] = json!("vpce-9");
                }
                v["eventName"] = json!(format!("Op{round}"));
                let text = v.to_string();
                let rec: Record = serde_json::from_str(&text).unwrap();
                let Mapped::Request(req) = map_record(&rec, &r.options().map) else {
                    continue;
                };
                for (address, via) in r.combinations(&req) {
                    let ctx = r.context(&req, address, via);
                    assert_eq!(
                        r.verdict(&req, address, via, None, &mut cache),
                        r.verdict_uncached(&ctx, None),
                        "{ctx:?}"
                    );
                    compared += 1;
                }
            }
        }
    }
    assert!(compared > 300, "{compared}");
    assert!(cache.hits > 0);
}

#[test]
fn tally_counts_per_principal_merges_and_suggests_cidrs() {
    let (r, cidrs) = setup(excepted(ALICE));
    let file = json!({"Records": [
        rec(ALICE, "198.51.100.7"), rec(ALICE, "198.51.100.7"), rec(ALICE, "198.51.100.8"), rec(ALICE, "192.0.2.10"),
        rec(ALICE, "2001:db8:ffff:1::1"), rec(ALICE, "signin.amazonaws.com"),
        rec(BOB, "192.0.2.10"),
        {"eventType": "AwsConsoleSignIn", "eventSource": "signin.amazonaws.com"},
        {"userIdentity": {"type": "AWSService"}, "eventSource": "s3.amazonaws.com", "eventName": "x"},
    ]})
    .to_string();
    let mut cache = VerdictCache::default();
    let mut a = Tally::default();
    let mut b = Tally::default();
    let mut i = 0;
    let summary = read_records(file.as_bytes(), |rec| {
        let o = r.replay(rec, &mut cache).unwrap();
        if i % 2 == 0 {
            a.add(&o, &cidrs)
        } else {
            b.add(&o, &cidrs)
        }
        i += 1;
    });
    assert_eq!(summary.records, 9);
    a.merge(b);
    assert_eq!((a.records, a.decided, a.denied), (9, 6, 5));
    let alice = a.get("111122223333", ALICE).unwrap();
    assert_eq!(alice.requests, 6);
    assert_eq!(alice.undecided, 1);
    assert_eq!(alice.denied[SID_OUTSIDE_NETWORK], 4);
    assert_eq!(alice.outside.len(), 3);
    assert_eq!(alice.outside[&"198.51.100.7".parse::<IpAddr>().unwrap()], 2);
    let report = PrincipalReport::new("111122223333", ALICE, alice, Some(SID_OUTSIDE_NETWORK));
    assert_eq!(
        report.suggested_cidrs.unwrap(),
        ["198.51.100.7/32", "198.51.100.8/32", "2001:db8:ffff:1::/64"]
    );
    let bob = a.get("111122223333", BOB).unwrap();
    assert_eq!(bob.denied[SID_UNTAGGED], 1);
    let report = PrincipalReport::new("111122223333", BOB, bob, Some(SID_OUTSIDE_NETWORK));
    assert!(
        report.suggested_cidrs.is_none(),
        "denied by statement 1: the exception is missing, not a CIDR"
    );
    assert_eq!(a.skipped.values().sum::<u64>(), 1);
    assert_eq!(a.apart.values().sum::<u64>(), 2);
    // The per-day counts survive the merge and add up to the denied total.
    let day = &a.denied_by_day["2024-05-01"];
    assert_eq!((day[SID_OUTSIDE_NETWORK], day[SID_UNTAGGED]), (4, 1));
    assert_eq!(a.denied_by_day.len(), 1);
}

#[test]
fn suggestions_merge_adjacent_addresses_losslessly() {
    let ips = [
        "198.51.100.6",
        "198.51.100.7",
        "198.51.100.6",
        "2001:db8:ffff::1",
        "2001:db8:ffff::2",
    ]
    .map(|s| s.parse::<IpAddr>().unwrap());
    assert_eq!(
        suggest_cidrs(ips),
        ["198.51.100.6/31", "2001:db8:ffff::/64"]
    );
}

/// The cache keys the service-linked-role exemption's yes/no, not the whole principal ARN: two
/// users alike but for their ARNs share a verdict (one evaluation), and an ARN of a
/// service-linked role (which SCPs do not restrict) is evaluated on its own, in agreement with
/// `evaluate`.
#[test]
fn the_cache_keys_the_service_linked_role_exemption_not_the_arn() {
    let (r, _) = setup(TagSource::Untagged);
    let linked =
        "arn:aws:iam::111122223333:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS";
    let mut cache = VerdictCache::default();
    let mut verdicts = Vec::new();
    for arn in [ALICE, BOB, linked] {
        let text = rec(arn, "192.0.2.10").to_string();
        let rec: Record = serde_json::from_str(&text).unwrap();
        let Mapped::Request(req) = map_record(&rec, &r.options().map) else {
            panic!("{arn}: not a request");
        };
        let ctx = r.context(&req, Some("192.0.2.10".parse().unwrap()), false);
        let cached = r.verdict(
            &req,
            Some("192.0.2.10".parse().unwrap()),
            false,
            None,
            &mut cache,
        );
        assert_eq!(cached, r.verdict_uncached(&ctx, None), "{arn}");
        verdicts.push(cached.new);
    }
    assert_eq!((cache.hits, cache.misses), (1, 2));
    assert_eq!(verdicts[0].as_deref(), Some(SID_UNTAGGED));
    assert_eq!(verdicts[1], verdicts[0]);
}
