//! The policies an organization already runs, replayed with the new one: "denied today
//! already" apart from "newly denied", per-account chains, and the fast path against the
//! uncached evaluator with policies that read other keys (variables, principal ARN, region).

use std::collections::HashMap;

use serde_json::{json, Value};

use super::*;
use crate::cidr::{CidrSet, SourcedValue};
use crate::config::Config;
use crate::impact::record::{read_records, Record};
use crate::impact::tally::Tally;
use crate::render::{render, Layout, PolicyKind, SID_OUTSIDE_NETWORK};

const ACCOUNT: &str = "111122223333";
const ALICE: &str = "arn:aws:iam::111122223333:user/alice";
const BOB: &str = "arn:aws:iam::111122223333:user/bob";

/// A region deny of the shape organizations publish: NotAction exemptions for global
/// services, a break-glass role exempt by `ArnNotLike aws:PrincipalArn`.
const REGION_DENY: &str = r#"{"Version": "2012-10-17", "Statement": [{
  "Sid": "DenyOutsideEU", "Effect": "Deny",
  "NotAction": ["iam:*", "sts:*", "organizations:*", "support:*"],
  "Resource": "*",
  "Condition": {
    "StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]},
    "ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/BreakGlass"}
  }}]}"#;

/// Reads a key through a policy variable only: `${aws:username}` in the value.
const OWNER_ONLY: &str = r#"{"Version": "2012-10-17", "Statement": [{
  "Sid": "DeleteOnlyOwnBuckets", "Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*",
  "Condition": {"StringNotEquals": {"aws:PrincipalTag/owner": "${aws:username}"}}}]}"#;

const FULL_ACCESS: &str = r#"{"Version": "2012-10-17", "Statement": [{
  "Effect": "Allow", "Action": "*", "Resource": "*"}]}"#;

/// Allows only EC2 and S3: an implicit deny for everything else at its level.
const EC2_S3_ONLY: &str = r#"{"Version": "2012-10-17", "Statement": [{
  "Effect": "Allow", "Action": ["ec2:*", "s3:*"], "Resource": "*"}]}"#;

fn compile(text: &str) -> CompiledPolicy {
    CompiledPolicy::new(&PolicyDocument::from_json(text).unwrap(), PolicyType::Scp).unwrap()
}

fn cidrs() -> (Config, CidrSet) {
    let config = Config::parse(
        "[network]\ncidrs = [\"192.0.2.0/24\", \"2001:db8:1234::/48\"]\n",
        "test.toml",
    )
    .unwrap();
    let values: Vec<SourcedValue> = config.network.cidrs.clone();
    let cidrs = CidrSet::build(&values, config.network.options, "test")
        .unwrap()
        .set;
    (config, cidrs)
}

fn tags() -> TagSource {
    TagSource::from_map([
        (
            ALICE.to_string(),
            vec![
                ("AccessException".to_string(), "True".to_string()),
                ("owner".to_string(), "alice".to_string()),
            ],
        ),
        (
            BOB.to_string(),
            vec![("owner".to_string(), "carol".to_string())],
        ),
    ])
    .unwrap()
}

fn replayer(existing: Existing) -> (Replayer, CidrSet) {
    let (config, cidrs) = cidrs();
    let doc = &render(&config, &cidrs, PolicyKind::Scp, Layout::Single).unwrap()[0];
    let policy = compile(&doc.compact);
    let opts = ReplayOptions {
        tags: tags(),
        candidate_addresses: candidate_addresses(&cidrs),
        existing,
        ..Default::default()
    };
    (Replayer::compiled(policy, opts), cidrs)
}

fn flat() -> Existing {
    Existing::Same(Arc::new(InForce::new(PolicySet::flat(vec![
        ("region-deny.json".into(), compile(REGION_DENY)),
        ("owner-only.json".into(), compile(OWNER_ONLY)),
    ]))))
}

fn rec(arn: &str, user: &str, source: &str, region: &str, action: (&str, &str)) -> Value {
    json!({"userIdentity": {"type": "IAMUser", "arn": arn, "accountId": arn.split(':').nth(4).unwrap(), "userName": user},
           "eventTime": "2024-05-01T12:00:00Z", "eventSource": action.0, "eventName": action.1,
           "awsRegion": region, "sourceIPAddress": source, "eventID": "id", "eventType": "AwsApiCall"})
}

const LIST: (&str, &str) = ("s3.amazonaws.com", "ListBuckets");
const DELETE: (&str, &str) = ("s3.amazonaws.com", "DeleteBucket");

fn outcome(r: &Replayer, v: &Value) -> String {
    let text = v.to_string();
    let rec: Record = serde_json::from_str(&text).unwrap();
    let mut cache = VerdictCache::default();
    match r.replay(&rec, &mut cache).unwrap() {
        Outcome::Decided {
            denied_by,
            denied_today,
            ..
        } => format!(
            "new {} today {}",
            denied_by.as_deref().unwrap_or("-"),
            denied_today.as_deref().unwrap_or("-")
        ),
        Outcome::Apart { reason, .. } => format!("apart {}", reason.code()),
        Outcome::Skipped(s) => format!("skip {}", s.code()),
    }
}

#[test]
fn denied_today_already_is_told_apart_from_newly_denied() {
    let (r, _) = replayer(flat());
    let inside = "192.0.2.10";
    let outside = "198.51.100.7";
    // Alice holds the exception tag: only the network statement can deny her.
    assert_eq!(
        outcome(&r, &rec(ALICE, "alice", inside, "eu-west-1", LIST)),
        "new - today -"
    );
    assert_eq!(
        outcome(&r, &rec(ALICE, "alice", outside, "eu-west-1", LIST)),
        format!("new {SID_OUTSIDE_NETWORK} today -")
    );
    assert_eq!(
        outcome(&r, &rec(ALICE, "alice", inside, "us-east-1", LIST)),
        "new - today DenyOutsideEU in region-deny.json"
    );
    assert_eq!(
        outcome(&r, &rec(ALICE, "alice", outside, "us-east-1", LIST)),
        format!("new {SID_OUTSIDE_NETWORK} today DenyOutsideEU in region-deny.json")
    );
    // IAM is exempt from the region deny (NotAction).
    assert_eq!(
        outcome(
            &r,
            &rec(
                ALICE,
                "alice",
                inside,
                "us-east-1",
                ("iam.amazonaws.com", "ListUsers")
            )
        ),
        "new - today -"
    );
    // The owner check through ${aws:username}: Alice owns, Bob's tag names Carol.
    assert_eq!(
        outcome(&r, &rec(ALICE, "alice", inside, "eu-west-1", DELETE)),
        "new - today -"
    );
    assert!(outcome(&r, &rec(BOB, "bob", inside, "eu-west-1", DELETE))
        .ends_with("today DeleteOnlyOwnBuckets in owner-only.json"));
}

#[test]
fn the_tally_counts_both_numbers() {
    let (r, cidrs) = replayer(flat());
    let file = json!({"Records": [
        rec(ALICE, "alice", "198.51.100.7", "eu-west-1", LIST),   // newly denied
        rec(ALICE, "alice", "198.51.100.8", "eu-west-1", LIST),   // newly denied
        rec(ALICE, "alice", "198.51.100.7", "us-east-1", LIST),   // denied today (both)
        rec(ALICE, "alice", "192.0.2.10", "us-east-1", LIST),     // denied today only
        rec(ALICE, "alice", "192.0.2.10", "eu-west-1", LIST),     // allowed
    ]})
    .to_string();
    let mut cache = VerdictCache::default();
    let mut tally = Tally::default();
    read_records(file.as_bytes(), |rec| {
        tally.add(&r.replay(rec, &mut cache).unwrap(), &cidrs)
    });
    assert_eq!((tally.decided, tally.denied, tally.newly_denied), (5, 3, 2));
    assert_eq!(tally.denied_today["DenyOutsideEU in region-deny.json"], 2);
    let alice = tally.get(ACCOUNT, ALICE).unwrap();
    assert_eq!((alice.denied_today, alice.newly_denied), (2, 2));
}

#[derive(Debug)]
struct Org(HashMap<String, AccountPolicies>);

impl PoliciesByAccount for Org {
    fn policies(&self, account: &str) -> Result<AccountPolicies, String> {
        self.0
            .get(account)
            .cloned()
            .ok_or_else(|| format!("no such account {account}"))
    }
}

/// Two accounts under one root: one in an OU with the region deny, one in an OU allowing
/// EC2 and S3 only (an implicit deny for the rest); a third outside the organization. The
/// root's FullAWSAccess is compiled once and shared.
fn org() -> Existing {
    let full = Arc::new(compile(FULL_ACCESS));
    let chain = |ou: (&str, CompiledPolicy)| {
        let mut set = PolicySet::new();
        set.add_shared_level("r-root", true, vec![("FullAWSAccess".into(), full.clone())]);
        set.add_level(
            "ou-1",
            true,
            vec![
                ("FullAWSAccess".into(), compile(FULL_ACCESS)),
                (ou.0.into(), ou.1),
            ],
        );
        set.add_shared_level(
            "account",
            true,
            vec![("FullAWSAccess".into(), full.clone())],
        );
        AccountPolicies::InForce(Arc::new(InForce::new(set)))
    };
    let mut m = HashMap::new();
    m.insert(
        ACCOUNT.to_string(),
        chain(("region-deny", compile(REGION_DENY))),
    );
    let mut narrow = PolicySet::new();
    narrow.add_shared_level("r-root", true, vec![("FullAWSAccess".into(), full.clone())]);
    narrow.add_level(
        "ou-2",
        true,
        vec![("ec2-s3-only".into(), compile(EC2_S3_ONLY))],
    );
    m.insert(
        "222233334444".to_string(),
        AccountPolicies::InForce(Arc::new(InForce::new(narrow))),
    );
    m.insert(
        "444455556666".to_string(),
        AccountPolicies::OutsideOrganization,
    );
    Existing::PerAccount(Arc::new(Org(m)))
}

#[test]
fn per_account_chains_implicit_deny_and_accounts_outside() {
    let (r, _) = replayer(org());
    assert_eq!(
        outcome(&r, &rec(ALICE, "alice", "192.0.2.10", "us-east-1", LIST)),
        "new - today DenyOutsideEU in region-deny"
    );
    let dave = "arn:aws:iam::222233334444:user/dave";
    assert!(outcome(
        &r,
        &rec(
            dave,
            "dave",
            "192.0.2.10",
            "us-east-1",
            ("lambda.amazonaws.com", "ListFunctions")
        )
    )
    .ends_with("today implicit deny: no SCP at ou-2 allows it"));
    assert!(outcome(&r, &rec(dave, "dave", "192.0.2.10", "us-east-1", LIST)).ends_with("today -"));
    let erin = "arn:aws:iam::444455556666:user/erin";
    assert_eq!(
        outcome(&r, &rec(erin, "erin", "192.0.2.10", "us-east-1", LIST)),
        "apart outside_organization"
    );
    // An account the source cannot read stops the replay with its id.
    let frank = rec(
        "arn:aws:iam::999988887777:user/frank",
        "frank",
        "192.0.2.10",
        "us-east-1",
        LIST,
    );
    let text = frank.to_string();
    let record: Record = serde_json::from_str(&text).unwrap();
    let e = r.replay(&record, &mut VerdictCache::default()).unwrap_err();
    assert!(e.to_string().contains("999988887777"), "{e}");
}

/// The fast path agrees with the uncached evaluator on a sample where the policies in force
/// read keys the new policy does not (region, principal ARN, a tag through a variable, the
/// user name only through `${aws:username}`), per account and flat.
#[test]
fn cached_verdicts_equal_uncached_with_policies_in_force() {
    // The same ARN under another user name: only `${aws:username}` tells them apart.
    let users = [
        (ALICE, "alice"),
        (ALICE, "mallory"),
        (BOB, "bob"),
        ("arn:aws:iam::111122223333:user/carol", "carol"),
        ("arn:aws:iam::222233334444:user/dave", "dave"),
    ];
    let sources = [
        "192.0.2.10",
        "198.51.100.7",
        "AWS Internal",
        "signin.amazonaws.com",
        "2001:db8:1234::1",
    ];
    let regions = ["eu-west-1", "us-east-1"];
    let actions = [
        LIST,
        DELETE,
        ("iam.amazonaws.com", "ListUsers"),
        ("lambda.amazonaws.com", "Invoke"),
        ("sts.amazonaws.com", "GetCallerIdentity"),
    ];
    for existing in [flat(), org()] {
        let (r, _) = replayer(existing);
        let mut cache = VerdictCache::default();
        let mut compared = 0;
        for _round in 0..2 {
            for (arn, user) in users {
                for source in sources {
                    for region in regions {
                        for action in actions {
                            let v = rec(arn, user, source, region, action);
                            let text = v.to_string();
                            let record: Record = serde_json::from_str(&text).unwrap();
                            let Mapped::Request(req) = map_record(&record, &r.options().map) else {
                                continue;
                            };
                            let today = match r.in_force(req.account, &mut cache).unwrap() {
                                Some(AccountPolicies::InForce(p)) => Some(p),
                                _ => None,
                            };
                            for (address, via) in r.combinations(&req) {
                                let ctx = r.context(&req, address, via);
                                let uncached = r.verdict_uncached(&ctx, today.as_deref());
                                assert_eq!(
                                    r.verdict(&req, address, via, today.as_deref(), &mut cache),
                                    uncached,
                                    "{ctx:?}"
                                );
                                compared += 1;
                            }
                        }
                    }
                }
            }
        }
        assert!(compared > 500, "{compared}");
        assert!(cache.hits > 0 && cache.misses > 0);
    }
}

/// Issue 32, point 6, for records: a value a policy's operator cannot read (a tag value that is
/// not a number, for `NumericNotEquals`) is counted apart with its reason, not decided as a
/// match and not an error stopping the replay. Records without the key are decided as before.
#[test]
fn a_value_an_operator_cannot_read_counts_the_record_apart() {
    const LEVELS: &str = r#"{"Version": "2012-10-17", "Statement": [{
      "Sid": "OwnerIsANumber", "Effect": "Deny", "Action": "s3:*", "Resource": "*",
      "Condition": {"NumericNotEquals": {"aws:PrincipalTag/owner": "7"}}}]}"#;
    let existing = Existing::Same(Arc::new(InForce::new(PolicySet::flat(vec![(
        "levels.json".into(),
        compile(LEVELS),
    )]))));
    let (r, _) = replayer(existing);
    let inside = "192.0.2.10";
    assert_eq!(
        outcome(&r, &rec(BOB, "bob", inside, "eu-west-1", LIST)),
        "apart unreadable_request_value"
    );
    // Twice: the cached verdict says the same.
    let text = rec(BOB, "bob", inside, "eu-west-1", LIST).to_string();
    let record: Record = serde_json::from_str(&text).unwrap();
    let mut cache = VerdictCache::default();
    for _ in 0..2 {
        assert!(matches!(
            r.replay(&record, &mut cache).unwrap(),
            Outcome::Apart {
                reason: ApartReason::UnreadableValue,
                principal: Some((ACCOUNT, BOB)),
                ..
            }
        ));
    }
    // An unknown address (several combinations) is apart for the same reason.
    assert_eq!(
        outcome(&r, &rec(BOB, "bob", "AWS Internal", "eu-west-1", LIST)),
        "apart unreadable_request_value"
    );
    // A principal without tags: the key is absent, the negated operator matches (and the new
    // policy denies an untagged user).
    let carl = "arn:aws:iam::111122223333:user/carl";
    assert_eq!(
        outcome(&r, &rec(carl, "carl", inside, "eu-west-1", LIST)),
        format!(
            "new {} today OwnerIsANumber in levels.json",
            crate::render::SID_UNTAGGED
        )
    );
    assert!(!ApartReason::UnreadableValue.not_subject());
}

/// Denies from part of the new policy's ranges and reads `aws:VpcSourceIp` too: other bounds.
const NARROW_NETWORK: &str = r#"{"Version": "2012-10-17", "Statement": [{
  "Sid": "DenyOutsideNarrow", "Effect": "Deny", "Action": "s3:*", "Resource": "*",
  "Condition": {"NotIpAddress": {"aws:SourceIp": ["192.0.2.128/25", "198.51.100.7", "2001:db8:1234:8000::/49"]},
                "Null": {"aws:SourceIp": "false"}}},
  {"Sid": "DenyVpcOutside", "Effect": "Deny", "Action": "*", "Resource": "*",
   "Condition": {"NotIpAddressIfExists": {"aws:VpcSourceIp": "10.0.0.0/16"}}}]}"#;

/// Reads the address as text, through a policy variable (IAM refuses string operators on an
/// address key): every address apart.
const ADDRESS_AS_TEXT: &str = r#"{"Version": "2012-10-17", "Statement": [{
  "Sid": "DenyAwayFromHome", "Effect": "Deny", "Action": "*", "Resource": "*",
  "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalTag/home": "${aws:SourceIp}"}}}]}"#;

/// The verdict cache keys an address by the class the policies tell apart (issue 31): many
/// addresses, one verdict each as the uncached evaluator gives, and a handful of evaluations
/// when every policy reads the address through IP operators only; the whole address when one
/// reads it as text.
#[test]
fn cached_verdicts_by_address_class_equal_uncached() {
    let mut sources: Vec<String> = Vec::new();
    for i in [0u32, 1, 6, 7, 8, 126, 127, 128, 129, 200, 254, 255] {
        sources.push(format!("192.0.2.{i}"));
        sources.push(format!("198.51.100.{i}"));
        sources.push(format!("192.0.3.{i}"));
    }
    for p in [
        "1234::",
        "1234:7fff:ffff:ffff:ffff:ffff:ffff:",
        "1234:8000::",
        "1235::",
    ] {
        for i in [0u32, 1, 0xffff] {
            sources.push(format!("2001:db8:{p}{i:x}"));
        }
    }
    sources.push("::ffff:192.0.2.200".into());
    let vpc: Vec<String> = ["10.0.0.1", "10.0.255.255", "10.1.0.0", "9.255.255.255"]
        .map(String::from)
        .to_vec();
    for (policy, classes) in [(NARROW_NETWORK, true), (ADDRESS_AS_TEXT, false)] {
        let existing = Existing::Same(Arc::new(InForce::new(PolicySet::flat(vec![(
            "in-force.json".into(),
            compile(policy),
        )]))));
        let (r, _) = replayer(existing);
        let mut cache = VerdictCache::default();
        let mut compared = 0;
        for (arn, user) in [(ALICE, "alice"), (BOB, "bob")] {
            for (source, vpce) in sources
                .iter()
                .map(|s| (s, false))
                .chain(vpc.iter().map(|s| (s, true)))
            {
                for action in [LIST, ("ec2.amazonaws.com", "DescribeInstances")] {
                    let mut v = rec(arn, user, source, "eu-west-1", action);
                    if vpce {
                        v["vpcEndpointId"] = json!("vpce-1");
                    }
                    let text = v.to_string();
                    let record: Record = serde_json::from_str(&text).unwrap();
                    let Mapped::Request(req) = map_record(&record, &r.options().map) else {
                        panic!("{text}: not a request");
                    };
                    let today = match r.in_force(req.account, &mut cache).unwrap() {
                        Some(AccountPolicies::InForce(p)) => p,
                        _ => panic!("no policies in force"),
                    };
                    for (address, via) in r.combinations(&req) {
                        let ctx = r.context(&req, address, via);
                        assert_eq!(
                            r.verdict(&req, address, via, Some(&today), &mut cache),
                            r.verdict_uncached(&ctx, Some(&today)),
                            "{ctx:?}"
                        );
                        compared += 1;
                    }
                }
            }
        }
        assert!(compared > 200, "{compared}");
        if classes {
            // Two principals' tags, two actions, each family's handful of classes.
            assert!(cache.misses < 80, "{} evaluations", cache.misses);
        } else {
            assert!(cache.misses as usize >= sources.len(), "{}", cache.misses);
        }
    }
}
