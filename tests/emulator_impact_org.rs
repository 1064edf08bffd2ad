//! `impact --org-policies` against the emulator: the SCPs on each caller account's path
//! root -> OU -> account read from Organizations and evaluated as a chain, the report's two
//! numbers ("denied today already", "newly denied by this policy"), each policy described once.

mod support;

use aws_sdk_organizations::types::PolicyType;
use serde_json::{json, Value};
use support::*;

/// The shape organizations publish: deny outside two EU Regions, global services exempt.
const REGION_DENY: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"DenyOutsideEU","Effect":"Deny","NotAction":["iam:*","sts:*","organizations:*","support:*"],"Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["eu-west-1","eu-central-1"]}}}]}"#;

struct Seeded {
    management: String,
    /// Two accounts in the OU with the region deny, one directly under the root.
    in_ou: [String; 2],
    in_root: String,
}

fn seed(emu: &Emulator) -> Seeded {
    emu.block_on(async {
        let orgs = &emu.orgs;
        let org = orgs.create_organization().send().await.unwrap();
        let management = org
            .organization()
            .unwrap()
            .master_account_id()
            .unwrap()
            .to_string();
        let root = orgs.list_roots().send().await.unwrap().roots()[0]
            .id()
            .unwrap()
            .to_string();
        let ou = orgs
            .create_organizational_unit()
            .parent_id(&root)
            .name("workloads")
            .send()
            .await
            .unwrap()
            .organizational_unit()
            .unwrap()
            .id()
            .unwrap()
            .to_string();
        let mut accounts = Vec::new();
        for i in 0..3 {
            let out = orgs
                .create_account()
                .account_name(format!("m{i}"))
                .email(format!("m{i}@example.com"))
                .send()
                .await
                .unwrap();
            accounts.push(
                out.create_account_status()
                    .unwrap()
                    .account_id()
                    .unwrap()
                    .to_string(),
            );
        }
        for a in &accounts[..2] {
            orgs.move_account()
                .account_id(a)
                .source_parent_id(&root)
                .destination_parent_id(&ou)
                .send()
                .await
                .unwrap();
        }
        let policy = orgs
            .create_policy()
            .name("region-deny")
            .description("deny outside the EU")
            .r#type(PolicyType::ServiceControlPolicy)
            .content(REGION_DENY)
            .send()
            .await
            .unwrap();
        let id = policy
            .policy()
            .unwrap()
            .policy_summary()
            .unwrap()
            .id()
            .unwrap()
            .to_string();
        orgs.attach_policy()
            .policy_id(&id)
            .target_id(&ou)
            .send()
            .await
            .unwrap();
        Seeded {
            management,
            in_ou: [accounts[0].clone(), accounts[1].clone()],
            in_root: accounts[2].clone(),
        }
    })
}

fn rec(i: usize, account: &str, user: &str, ip: &str, region: &str) -> Value {
    json!({"userIdentity": {"type": "IAMUser", "principalId": "AIDAEXAMPLE",
                            "arn": format!("arn:aws:iam::{account}:user/{user}"), "accountId": account, "userName": user},
           "eventTime": "2026-03-02T10:00:00Z", "eventSource": "s3.amazonaws.com", "eventName": "ListBuckets",
           "awsRegion": region, "sourceIPAddress": ip, "eventID": format!("e{i}"), "eventType": "AwsApiCall"})
}

#[test]
fn org_policies_tell_denied_today_from_newly_denied() {
    let emu = Emulator::start();
    let s = seed(&emu);
    let (dir, config) = project(r#"["192.0.2.0/24"]"#);
    let inside = "192.0.2.10";
    let outside = "198.51.100.7";
    let [a, b] = &s.in_ou;
    let records = vec![
        rec(1, a, "alice", inside, "us-east-1"), // denied today (region)
        rec(2, a, "alice", outside, "us-east-1"), // denied today (region), and by the new SCP
        rec(3, a, "alice", outside, "eu-west-1"), // newly denied
        rec(4, a, "alice", inside, "eu-west-1"), // allowed
        rec(5, b, "bob", outside, "eu-west-1"),  // newly denied (same OU: its SCP read once)
        rec(6, &s.in_root, "carol", outside, "us-east-1"), // newly denied: no region deny there
        rec(7, &s.in_root, "carol", inside, "us-east-1"), // allowed
        rec(8, &s.management, "admin", outside, "us-east-1"), // management account: apart
        rec(9, "999988887777", "eve", outside, "us-east-1"), // outside the organization: apart
    ];
    let trail = dir.path().join("trail.json");
    std::fs::write(&trail, json!({"Records": records}).to_string()).unwrap();

    let a_ = emu
        .scpctl()
        .arg("--config")
        .arg(&config)
        .args(["--output", "json", "impact"])
        .arg(&trail)
        .args(["--org-policies", "--assume-excepted"])
        .assert()
        .success();
    let doc = stdout_json(&a_);
    let t = &doc["totals"];
    assert_eq!(t["records"], 9, "{doc}");
    assert_eq!(t["decided"], 7, "{doc}");
    assert_eq!(t["denied"], 4, "{doc}");
    assert_eq!(t["denied_today"], 2, "{doc}");
    assert_eq!(t["newly_denied"], 3, "{doc}");
    assert_eq!(
        doc["denied_today_by"]["DenyOutsideEU in region-deny"], 2,
        "{doc}"
    );
    assert_eq!(doc["apart"]["management_account"], 1, "{doc}");
    assert_eq!(doc["apart"]["outside_organization"], 1, "{doc}");
    assert_eq!(doc["management_account"], s.management.as_str());
    // Each policy described once, each target listed once, whatever the number of accounts.
    let calls = &doc["api_calls"];
    eprintln!("api_calls: {calls}");
    let distinct = emu.block_on(async {
        emu.orgs
            .list_policies()
            .filter(PolicyType::ServiceControlPolicy)
            .send()
            .await
            .unwrap()
            .policies()
            .len()
    });
    assert_eq!(calls["Organizations.DescribePolicy"], distinct, "{calls}");
    // root, the OU and the three accounts in the organization, once each.
    assert_eq!(calls["Organizations.ListPoliciesForTarget"], 5, "{calls}");
    // Each account and the OU once (the account outside the organization included).
    assert_eq!(calls["Organizations.ListParents"], 5, "{calls}");

    // The text report states both numbers.
    let a_ = emu
        .scpctl()
        .arg("--config")
        .arg(&config)
        .args(["impact"])
        .arg(&trail)
        .args(["--org-policies", "--assume-excepted"])
        .assert()
        .success();
    let text = stdout_of(&a_);
    assert!(
        text.contains("denied today already (by the policies in force):        2"),
        "{text}"
    );
    assert!(
        text.contains("newly denied by this policy:                            3"),
        "{text}"
    );
    assert!(
        text.contains("read from Organizations for 4 account(s)"),
        "{text}"
    );
}
