//! `impact --kind signin`: hand-made sign-in records through the rendered Sign-In RCP, each
//! event in the phase the rules table gives it; API calls and other sign-in events skipped.

use serde_json::{json, Value};

use super::*;
use crate::cidr::CidrSet;
use crate::config::Config;
use crate::impact::record::{read_records, Record};
use crate::impact::tally::Tally;
use crate::render::{render, Layout, PolicyKind};
use crate::signin::SID_CONSOLE;

const ALICE: &str = "arn:aws:iam::111122223333:user/alice";
const BG_USER: &str = "arn:aws:iam::111122223333:user/breakglass";
const ROOT: &str = "arn:aws:iam::111122223333:root";
const INSIDE: &str = "192.0.2.10";
const OUTSIDE: &str = "198.51.100.7";

fn replayer(more: &str) -> (Replayer, CidrSet) {
    let text = format!(
        "[network]\ncidrs = [\"192.0.2.0/24\", \"2001:db8:1234::/48\"]\n[break_glass]\nprincipals = [\"{BG_USER}\"]\n{more}"
    );
    let config = Config::parse(&text, "t.toml").unwrap();
    let cidrs = CidrSet::build(&config.network.cidrs, config.network.options, "t")
        .unwrap()
        .set;
    let r = render(&config, &cidrs, PolicyKind::Signin, Layout::Single).unwrap();
    let doc = PolicyDocument::from_json(&r[0].compact).unwrap();
    let opts = ReplayOptions {
        map: MapOptions {
            signin: true,
            management_account: Some("999999999999".into()),
            ..Default::default()
        },
        candidate_addresses: candidate_addresses(&cidrs),
        ..Default::default()
    };
    (
        Replayer::compiled(CompiledPolicy::new(&doc, PolicyType::Rcp).unwrap(), opts),
        cidrs,
    )
}

/// A console sign-in as CloudTrail logs it (CloudTrail User Guide, "AWS console sign-in
/// events"): eventType AwsConsoleSignIn, the user's own address.
fn console_login(kind: &str, arn: &str, source: &str) -> Value {
    json!({"eventVersion": "1.08",
           "userIdentity": {"type": kind, "principalId": "AIDAEXAMPLE", "arn": arn,
                            "accountId": arn.split(':').nth(4).unwrap(), "userName": "alice"},
           "eventTime": "2026-03-02T08:00:00Z", "eventSource": "signin.amazonaws.com",
           "eventName": "ConsoleLogin", "awsRegion": "us-east-1", "sourceIPAddress": source,
           "userAgent": "Mozilla/5.0", "requestParameters": null,
           "responseElements": {"ConsoleLogin": "Success"},
           "additionalEventData": {"MFAUsed": "No"}, "eventID": "e1",
           "eventType": "AwsConsoleSignIn", "recipientAccountId": "111122223333"})
}

fn oauth(name: &str, arn: &str, source: &str) -> Value {
    json!({"userIdentity": {"type": "IAMUser", "arn": arn, "accountId": "111122223333", "userName": "alice"},
           "eventTime": "2026-03-02T09:00:00Z", "eventSource": "signin.amazonaws.com", "eventName": name,
           "awsRegion": "us-east-1", "sourceIPAddress": source, "eventID": "e2", "eventType": "AwsApiCall"})
}

fn outcome(r: &Replayer, v: &Value) -> String {
    let text = v.to_string();
    let rec: Record = serde_json::from_str(&text).unwrap();
    match r.replay(&rec, &mut VerdictCache::default()).unwrap() {
        Outcome::Decided {
            denied_by, request, ..
        } => format!(
            "{} {} {}",
            request.action,
            request.phase.map_or("-", |p| p.name()),
            denied_by.as_deref().unwrap_or("allowed")
        ),
        Outcome::Apart { reason, .. } => format!("apart {}", reason.code()),
        Outcome::Skipped(s) => format!("skip {}", s.code()),
    }
}

#[test]
fn console_sign_ins_are_refused_outside_the_networks_before_authentication() {
    let (r, _) = replayer("");
    assert_eq!(
        outcome(&r, &console_login("IAMUser", ALICE, OUTSIDE)),
        format!("signin:Authenticate pre-auth {SID_CONSOLE}")
    );
    assert_eq!(
        outcome(&r, &console_login("IAMUser", ALICE, INSIDE)),
        "signin:Authenticate pre-auth allowed"
    );
    assert_eq!(
        outcome(&r, &console_login("IAMUser", BG_USER, OUTSIDE)),
        "signin:Authenticate pre-auth allowed"
    );
    // Root only with include_root.
    assert_eq!(
        outcome(&r, &console_login("Root", ROOT, OUTSIDE)),
        "signin:Authenticate pre-auth allowed"
    );
    let (with_root, _) = replayer("[console]\ninclude_root = true\n");
    assert_eq!(
        outcome(&with_root, &console_login("Root", ROOT, OUTSIDE)),
        format!("signin:Authenticate pre-auth {SID_CONSOLE}")
    );
    // RCPs do not affect the management account.
    assert_eq!(
        outcome(
            &r,
            &console_login("IAMUser", "arn:aws:iam::999999999999:user/admin", OUTSIDE)
        ),
        "apart management_account"
    );
}

#[test]
fn oauth_events_are_decided_after_authentication() {
    let (r, _) = replayer("");
    for (name, action) in [
        ("AuthorizeOAuth2Access", "signin:AuthorizeOAuth2Access"),
        ("CreateOAuth2Token", "signin:CreateOAuth2Token"),
        ("CreateOAuth2TokenWithIAM", "signin:CreateOAuth2Token"),
    ] {
        assert_eq!(
            outcome(&r, &oauth(name, ALICE, OUTSIDE)),
            format!("{action} post-auth {SID_CONSOLE}")
        );
        assert_eq!(
            outcome(&r, &oauth(name, ALICE, INSIDE)),
            format!("{action} post-auth allowed")
        );
        assert_eq!(
            outcome(&r, &oauth(name, BG_USER, OUTSIDE)),
            format!("{action} post-auth allowed")
        );
    }
}

#[test]
fn the_request_carries_the_key_of_its_phase_and_no_via_aws_service() {
    let (r, _) = replayer("");
    let pre = console_login("IAMUser", ALICE, OUTSIDE).to_string();
    let post = oauth("CreateOAuth2Token", ALICE, OUTSIDE).to_string();
    for (text, present, absent) in [
        (&pre, "signin:PrincipalArn", "aws:PrincipalArn"),
        (&post, "aws:PrincipalArn", "signin:PrincipalArn"),
    ] {
        let rec: Record = serde_json::from_str(text).unwrap();
        let Mapped::Request(req) = map_record(&rec, &r.options().map) else {
            panic!("not mapped")
        };
        let ctx = r.context(&req, req.network.address.ok(), false);
        assert_eq!(ctx.get(present), Some(&[ALICE.to_string()][..]));
        assert!(ctx.get(absent).is_none());
        assert!(ctx.get("aws:ViaAWSService").is_none());
        assert_eq!(ctx.get("aws:SourceIp"), Some(&[OUTSIDE.to_string()][..]));
    }
}

#[test]
fn api_calls_and_other_sign_in_events_are_skipped_and_sign_ins_stay_skipped_for_the_scp() {
    let (r, cidrs) = replayer("");
    let mut switch = oauth("SwitchRole", ALICE, OUTSIDE);
    switch["eventType"] = json!("AwsConsoleSignIn");
    let api = json!({"userIdentity": {"type": "IAMUser", "arn": ALICE, "accountId": "111122223333"},
                     "eventSource": "s3.amazonaws.com", "eventName": "ListBuckets", "sourceIPAddress": OUTSIDE,
                     "eventType": "AwsApiCall"});
    assert_eq!(outcome(&r, &switch), "skip sign_in_event_not_governed");
    assert_eq!(outcome(&r, &api), "skip not_a_sign_in");
    // The SCP replay (signin off) still skips every sign-in record.
    let scp = Replayer::compiled(
        r.policy.as_ref().clone(),
        ReplayOptions {
            candidate_addresses: candidate_addresses(&cidrs),
            ..Default::default()
        },
    );
    assert_eq!(
        outcome(&scp, &console_login("IAMUser", ALICE, OUTSIDE)),
        "skip console_sign_in"
    );
    assert_eq!(
        outcome(&scp, &oauth("CreateOAuth2Token", ALICE, OUTSIDE)),
        "skip console_sign_in"
    );
    // The tally: whose sign-ins, from which addresses.
    let file = json!({"Records": [
        console_login("IAMUser", ALICE, OUTSIDE), console_login("IAMUser", ALICE, OUTSIDE),
        console_login("IAMUser", ALICE, "203.0.113.9"), console_login("IAMUser", ALICE, INSIDE),
        console_login("IAMUser", BG_USER, OUTSIDE), api, switch,
    ]})
    .to_string();
    let mut tally = Tally::default();
    let mut cache = VerdictCache::default();
    read_records(file.as_bytes(), |rec| {
        tally.add(&r.replay(rec, &mut cache).unwrap(), &cidrs)
    });
    assert_eq!((tally.records, tally.decided, tally.denied), (7, 5, 3));
    let alice = tally.get("111122223333", ALICE).unwrap();
    assert_eq!(alice.denied[SID_CONSOLE], 3);
    let addresses: Vec<String> = alice
        .outside_sorted()
        .iter()
        .map(|(a, n)| format!("{a} {n}"))
        .collect();
    assert_eq!(addresses, ["198.51.100.7 2", "203.0.113.9 1"]);
    assert_eq!(
        tally.get("111122223333", BG_USER).unwrap().denied_total(),
        0
    );
}
