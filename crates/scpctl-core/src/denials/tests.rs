//! Every message form, the three comparison buckets, the time window, and the rollout gate's
//! list of unexpected principals, through the real replay of the rendered policy.

use serde_json::{json, Value};

use super::tally::*;
use super::*;
use crate::cidr::CidrSet;
use crate::config::Config;
use crate::impact::replay::{candidate_addresses, ReplayOptions, Replayer, VerdictCache};
use crate::policy::PolicyDocument;
use crate::render::{render, Layout, PolicyKind};

const OURS: &str = "p-2kgnabcd";
const OURS_ARN: &str =
    "arn:aws:organizations::987654321098:policy/o-qv5af4abcd/service_control_policy/p-2kgnabcd";
const OTHER_SCP: &str =
    "arn:aws:organizations::987654321098:policy/o-qv5af4abcd/service_control_policy/p-zzzz9999";
const RCP_ARN: &str =
    "arn:aws:organizations::987654321098:policy/o-qv5af4abcd/resource_control_policy/p-rcp12345";
const ALICE: &str = "arn:aws:iam::111122223333:user/alice";

fn replayer() -> Replayer {
    replayer_with(crate::impact::TagSource::Untagged)
}

fn replayer_with(tags: crate::impact::TagSource) -> Replayer {
    let config = Config::parse("[network]\ncidrs = [\"192.0.2.0/24\"]\n", "t.toml").unwrap();
    let cidrs = CidrSet::build(&config.network.cidrs, config.network.options, "t")
        .unwrap()
        .set;
    let doc = &render(&config, &cidrs, PolicyKind::Scp, Layout::Single).unwrap()[0];
    let opts = ReplayOptions {
        tags,
        candidate_addresses: candidate_addresses(&cidrs),
        ..Default::default()
    };
    Replayer::new(PolicyDocument::from_json(&doc.compact).unwrap(), opts).unwrap()
}

/// A call by an untagged IAM user (statement 1 denies it wherever it comes from) or, with
/// `role`, by a role (which scpctl's policy does not touch).
fn rec(id: &str, arn: &str, role: bool, error: Option<(&str, &str)>) -> Value {
    let identity = if role {
        json!({"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/Deploy/s",
               "accountId": "111122223333",
               "sessionContext": {"sessionIssuer": {"arn": arn}}})
    } else {
        json!({"type": "IAMUser", "arn": arn, "accountId": "111122223333", "userName": "alice"})
    };
    let mut v = json!({"userIdentity": identity, "eventTime": "2026-03-01T12:00:00Z",
        "eventSource": "iam.amazonaws.com", "eventName": "ListRoles", "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.7", "eventID": id, "eventType": "AwsApiCall"});
    if let Some((code, message)) = error {
        v["errorCode"] = json!(code);
        v["errorMessage"] = json!(message);
    }
    v
}

fn explicit(tail: &str) -> String {
    format!("User: {ALICE} is not authorized to perform: iam:ListRoles on resource: arn:aws:iam::111122223333:role/* with an explicit deny in {tail}")
}

fn observe(attributor: &Attributor, v: &Value) -> Option<Observation> {
    let text = v.to_string();
    let record: Record = serde_json::from_str(&text).unwrap();
    let r = replayer();
    let outcome = r.replay(&record, &mut VerdictCache::default()).unwrap();
    attributor.observe(&record, &outcome)
}

fn attributor() -> Attributor {
    Attributor {
        policy_id: OURS.into(),
        since: None,
        until: None,
    }
}

fn by(v: &Value) -> Option<Attribution> {
    observe(&attributor(), v).unwrap().refused
}

#[test]
fn each_message_form_is_attributed() {
    let ours = rec(
        "1",
        ALICE,
        false,
        Some((
            "AccessDenied",
            &explicit(&format!("a service control policy: {OURS_ARN}")),
        )),
    );
    assert_eq!(by(&ours), Some(Attribution::Ours { by_arn: true }));

    let other = rec(
        "2",
        ALICE,
        false,
        Some((
            "AccessDenied",
            &explicit(&format!("a service control policy: {OTHER_SCP}")),
        )),
    );
    assert_eq!(
        by(&other),
        Some(Attribution::OtherPolicy {
            policy_type: PolicyType::ServiceControl,
            policy_arn: OTHER_SCP.into()
        })
    );

    let rcp = rec(
        "3",
        ALICE,
        false,
        Some((
            "AccessDeniedException",
            &explicit(&format!("a resource control policy: {RCP_ARN}")),
        )),
    );
    assert_eq!(
        by(&rcp),
        Some(Attribution::OtherPolicy {
            policy_type: PolicyType::ResourceControl,
            policy_arn: RCP_ARN.into()
        })
    );

    // The phrase without ARN: scpctl's when the replay denies the same request (an untagged
    // user), another SCP's when it does not (a role).
    let phrase = rec(
        "4",
        ALICE,
        false,
        Some(("AccessDenied", &explicit("a service control policy"))),
    );
    assert_eq!(by(&phrase), Some(Attribution::Ours { by_arn: false }));
    let role = "arn:aws:iam::111122223333:role/Deploy";
    let phrase_role = rec(
        "5",
        role,
        true,
        Some(("AccessDenied", &explicit("a service control policy"))),
    );
    assert_eq!(by(&phrase_role), Some(Attribution::OtherScp));
    // EC2's form: the phrase, a full stop and an encoded message.
    let ec2 = rec("6", ALICE, false, Some(("Client.UnauthorizedOperation",
        "You are not authorized to perform this operation. User: x is not authorized to perform: ec2:RunInstances on resource: * with an explicit deny in a service control policy. Encoded authorization failure message: XQ_jq")));
    assert_eq!(by(&ec2), Some(Attribution::Ours { by_arn: false }));

    // Bare "Access Denied": unattributed, with the replay's verdict.
    let bare = rec("7", ALICE, false, Some(("AccessDenied", "Access Denied")));
    assert_eq!(
        by(&bare),
        Some(Attribution::Unattributed {
            ours_would_deny: Some(true)
        })
    );
    let bare_role = rec("8", role, true, Some(("AccessDenied", "Access Denied")));
    assert_eq!(
        by(&bare_role),
        Some(Attribution::Unattributed {
            ours_would_deny: Some(false)
        })
    );

    // Identity policy, boundary, implicit deny: other types.
    let boundary = rec(
        "9",
        ALICE,
        false,
        Some(("AccessDenied", &explicit("a permissions boundary"))),
    );
    assert!(matches!(
        by(&boundary),
        Some(Attribution::OtherType {
            policy_type: PolicyType::PermissionsBoundary,
            form: DenyForm::Explicit,
            ..
        })
    ));
    let implicit = rec("10", ALICE, false, Some(("AccessDenied",
        "User: x is not authorized to perform: iam:ListRoles because no identity-based policy allows the iam:ListRoles action")));
    assert!(matches!(
        by(&implicit),
        Some(Attribution::OtherType {
            policy_type: PolicyType::IdentityBased,
            form: DenyForm::Implicit,
            ..
        })
    ));

    // A success, and an error that is not a refusal.
    assert_eq!(by(&rec("11", ALICE, false, None)), None);
    assert_eq!(
        by(&rec(
            "12",
            ALICE,
            false,
            Some(("NoSuchEntity", "The user cannot be found."))
        )),
        None
    );
}

#[test]
fn console_login_failures_count_only_when_a_policy_is_named() {
    let mut wrong_password = rec("c1", ALICE, false, None);
    wrong_password["eventName"] = json!("ConsoleLogin");
    wrong_password["eventSource"] = json!("signin.amazonaws.com");
    wrong_password["eventType"] = json!("AwsConsoleSignIn");
    wrong_password["responseElements"] = json!({"ConsoleLogin": "Failure"});
    wrong_password["errorMessage"] = json!("Failed authentication");
    assert_eq!(by(&wrong_password), None);
    let mut refused = wrong_password.clone();
    refused["errorMessage"] = json!(explicit(&format!("a resource control policy: {RCP_ARN}")));
    assert!(matches!(
        by(&refused),
        Some(Attribution::OtherPolicy {
            policy_type: PolicyType::ResourceControl,
            ..
        })
    ));
    // A responseElements of any other shape does not stop the record from being read.
    let mut odd = rec("c2", ALICE, false, None);
    odd["responseElements"] = json!(["x", {"y": 1}]);
    assert_eq!(by(&odd), None);
}

#[test]
fn the_three_buckets_and_records_before_the_start() {
    let role = "arn:aws:iam::111122223333:role/Deploy";
    let mut tally = DenialTally::default();
    let a = Attributor {
        since: Some("2026-03-01T00:00:00Z".into()),
        ..attributor()
    };
    let records = [
        // Refused by ours and predicted.
        rec(
            "r1",
            ALICE,
            false,
            Some((
                "AccessDenied",
                &explicit(&format!("a service control policy: {OURS_ARN}")),
            )),
        ),
        // Named ours, but the replay does not deny a role: a gap, listed.
        rec(
            "r2",
            role,
            true,
            Some((
                "AccessDenied",
                &explicit(&format!("a service control policy: {OURS_ARN}")),
            )),
        ),
        // Predicted, and it went through: not in force there yet.
        rec("r3", ALICE, false, None),
        // A role's call that went through: nothing to say.
        rec("r4", role, true, None),
    ];
    let mut before = rec(
        "r0",
        ALICE,
        false,
        Some((
            "AccessDenied",
            &explicit(&format!("a service control policy: {OURS_ARN}")),
        )),
    );
    before["eventTime"] = json!("2026-02-28T23:59:59Z");
    assert_eq!(observe(&a, &before), None, "before the start never counts");
    for r in &records {
        tally.add(&observe(&a, r).unwrap());
    }
    let alice = &tally.principals["111122223333"][ALICE];
    let deploy = &tally.principals["111122223333"][role];
    assert_eq!(alice.refused_and_predicted, 1);
    assert_eq!(alice.predicted_but_succeeded.event_ids, ["r3"]);
    assert_eq!(deploy.refused_not_predicted.event_ids, ["r2"]);
    assert_eq!(deploy.predicted_but_succeeded.count, 0);
    assert_eq!((tally.records, tally.refused, tally.ours), (4, 2, 2));

    // Merging two halves gives the same tally.
    let mut first = DenialTally::default();
    let mut second = DenialTally::default();
    for (i, r) in records.iter().enumerate() {
        let o = observe(&a, r).unwrap();
        if i % 2 == 0 {
            first.add(&o)
        } else {
            second.add(&o)
        }
    }
    first.merge(second);
    assert_eq!(first.principals, tally.principals);

    // The gate: Alice is unexpected unless a pattern names her; JSON carries the events.
    let unexpected = tally.unexpected(&[]);
    assert_eq!(unexpected.len(), 2);
    let unexpected = tally.unexpected(&[
        "arn:aws:iam::*:user/al?ce".into(),
        "arn:aws:iam::*:role/*".into(),
    ]);
    assert!(unexpected.is_empty());
    let json = serde_json::to_value(&tally).unwrap();
    assert_eq!(
        json["principals"]["111122223333"][role]["refused_not_predicted"]["event_ids"][0],
        "r2"
    );
}

#[test]
fn messages_parse_strictly() {
    let m = parse_message(&explicit(&format!("a service control policy: {OURS_ARN}."))).unwrap();
    assert_eq!(m.policy_arn.as_deref(), Some(OURS_ARN));
    assert_eq!(m.policy_id(), Some(OURS));
    let m = parse_message(&explicit(
        "an identity-based policy: arn:aws:iam::111122223333:policy/Deny",
    ))
    .unwrap();
    assert_eq!(m.policy_type, PolicyType::IdentityBased);
    assert_eq!(m.policy_id(), None);
    assert_eq!(parse_message("Access Denied"), None);
    assert_eq!(
        parse_message("with an explicit deny in a mystery policy"),
        None
    );
    assert_eq!(
        PolicyType::ServiceControl.phrase(),
        "service control policy"
    );
}

/// A trail made from the replay's own predictions (refused with scpctl's ARN exactly where it
/// predicts a deny) leaves "refused but not predicted" and "predicted but succeeded" empty.
#[test]
fn a_trail_made_from_the_predictions_has_no_gap() {
    const BOB: &str = "arn:aws:iam::111122223333:user/bob";
    let tags = crate::impact::TagSource::from_map([(
        BOB.to_string(),
        vec![("AccessException".to_string(), "True".to_string())],
    )])
    .unwrap();
    let r = replayer_with(tags);
    let role = "arn:aws:iam::111122223333:role/Deploy";
    let mut tally = DenialTally::default();
    let mut predicted = 0;
    let mut n = 0;
    for (arn, is_role) in [(ALICE, false), (BOB, false), (role, true)] {
        for ip in [
            "192.0.2.10",
            "198.51.100.7",
            "2001:db8::1",
            "AWS Internal",
            "cloudformation.amazonaws.com",
        ] {
            n += 1;
            let mut v = rec(&format!("e{n}"), arn, is_role, None);
            v["sourceIPAddress"] = json!(ip);
            let text = v.to_string();
            let record: Record = serde_json::from_str(&text).unwrap();
            let outcome = r.replay(&record, &mut VerdictCache::default()).unwrap();
            let denies = matches!(
                outcome,
                Outcome::Decided {
                    denied_by: Some(_),
                    ..
                }
            );
            if denies {
                predicted += 1;
                v["errorCode"] = json!("AccessDenied");
                v["errorMessage"] =
                    json!(explicit(&format!("a service control policy: {OURS_ARN}")));
            }
            let text = v.to_string();
            let record: Record = serde_json::from_str(&text).unwrap();
            let outcome = r.replay(&record, &mut VerdictCache::default()).unwrap();
            tally.add(&attributor().observe(&record, &outcome).unwrap());
        }
    }
    assert!(predicted >= 5, "the trail holds denials ({predicted})");
    let mut agreed = 0;
    for p in tally.principals.values().flat_map(|m| m.values()) {
        assert_eq!(p.refused_not_predicted.count, 0, "{p:?}");
        assert_eq!(p.predicted_but_succeeded.count, 0, "{p:?}");
        agreed += p.refused_and_predicted;
    }
    assert_eq!(agreed, predicted);
    assert_eq!(tally.ours, predicted);
}

fn observation(i: usize, refused: Option<Attribution>, predicted: Option<bool>) -> Observation {
    Observation {
        event_id: Some(format!("o{i}")),
        event_time: Some(format!("2026-03-0{}T10:00:00Z", 1 + i % 2)),
        account: "111122223333".into(),
        principal: ALICE.into(),
        action: Some(format!("iam:Action{}", i % 3)),
        source_ip: Some(format!("198.51.100.{}", i % 4)),
        refused,
        error_code: None,
        statement: (predicted == Some(true)).then(|| "DenyOutside".to_string()),
        predicted,
    }
}

/// Per statement, per day and per principal detail: the buckets add up the same three ways,
/// and addresses and actions count only refused or predicted calls.
#[test]
fn statements_days_addresses_and_actions_are_tallied() {
    let ours = || Some(Attribution::Ours { by_arn: true });
    let obs = [
        observation(0, ours(), Some(true)),  // refused and predicted
        observation(1, ours(), Some(false)), // refused, not predicted
        observation(2, None, Some(true)),    // predicted, succeeded
        observation(3, None, Some(false)),   // nothing to say
        observation(4, Some(Attribution::OtherScp), Some(false)),
    ];
    let mut tally = DenialTally::default();
    for o in &obs {
        tally.add(o);
    }
    let b = tally.buckets();
    assert_eq!(
        (
            b.refused_and_predicted,
            b.refused_not_predicted,
            b.predicted_but_succeeded
        ),
        (1, 1, 1)
    );
    assert_eq!(tally.by_statement["DenyOutside"].refused_and_predicted, 1);
    assert_eq!(tally.by_statement["DenyOutside"].predicted_but_succeeded, 1);
    assert_eq!(tally.by_statement[NOT_PREDICTED].refused_not_predicted, 1);
    let by_day: u64 = tally.by_day.values().map(Buckets::total).sum();
    assert_eq!(by_day, b.total());
    assert_eq!(tally.by_day["2026-03-01"].refused_and_predicted, 1);
    assert_eq!(tally.by_day["2026-03-02"].refused_not_predicted, 1);
    let alice = &tally.principals["111122223333"][ALICE];
    assert_eq!(alice.predicted_by_statement["DenyOutside"], 2);
    // Calls 0, 1, 2 and 4 (refused or predicted); call 3 is neither.
    let addresses: u64 = alice.addresses.counts.values().sum();
    assert_eq!(addresses, 4);
    assert!(!alice.addresses.counts.contains_key("198.51.100.3"));
    assert_eq!(
        alice.actions.sorted()[0],
        ("iam:Action1", 2),
        "calls 1 and 4"
    );
    let json = serde_json::to_value(alice).unwrap();
    assert_eq!(
        json["actions"][0],
        json!({"action": "iam:Action1", "count": 2})
    );
    assert_eq!(json["addresses"].as_array().unwrap().len(), 3);

    // Past the cap, new addresses are only counted, also across a merge.
    let mut big = DenialTally::default();
    for i in 0..ADDRESSES_PER_PRINCIPAL + 5 {
        let mut o = observation(0, ours(), Some(true));
        o.source_ip = Some(format!("2001:db8::{i:x}"));
        big.add(&o);
    }
    let mut other = DenialTally::default();
    let mut o = observation(0, ours(), Some(true));
    o.source_ip = Some("192.0.2.200".into());
    other.add(&o);
    big.merge(other);
    let p = &big.principals["111122223333"][ALICE];
    assert_eq!(p.addresses.counts.len(), ADDRESSES_PER_PRINCIPAL);
    assert_eq!(p.other_addresses, 6);
    assert_eq!(big.by_statement["DenyOutside"].refused_and_predicted, 1_006);
}
