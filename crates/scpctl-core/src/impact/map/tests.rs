//! The record mapping, one test per identity type and per source form (the design notes, "CloudTrail
//! records as request contexts"). Records are written here by hand, in CloudTrail's shape.

use super::*;
use crate::impact::record::Record;
use serde_json::{json, Value};

const ACCOUNT: &str = "111122223333";

fn user() -> Value {
    json!({"type": "IAMUser", "principalId": "AIDAEXAMPLE", "arn": "arn:aws:iam::111122223333:user/ops/alice",
           "accountId": ACCOUNT, "userName": "alice", "accessKeyId": "AKIAEXAMPLE"})
}

fn role() -> Value {
    json!({"type": "AssumedRole", "principalId": "AROAEXAMPLE:session", "arn": "arn:aws:sts::111122223333:assumed-role/Deploy/session",
           "accountId": ACCOUNT, "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLE",
           "arn": "arn:aws:iam::111122223333:role/ci/Deploy", "accountId": ACCOUNT, "userName": "Deploy"},
           "attributes": {"creationDate": "2024-05-01T10:00:00Z", "mfaAuthenticated": "true"}}})
}

fn record(identity: Value, source: Value) -> Value {
    json!({"eventVersion": "1.09", "userIdentity": identity, "eventTime": "2024-05-01T12:00:00Z",
           "eventSource": "ec2.amazonaws.com", "eventName": "DescribeInstances", "awsRegion": "eu-west-1",
           "sourceIPAddress": source, "userAgent": "aws-cli/2", "eventID": "e1", "eventType": "AwsApiCall",
           "recipientAccountId": ACCOUNT})
}

fn with(mut r: Value, key: &str, v: Value) -> Value {
    if v.is_null() {
        r.as_object_mut().unwrap().remove(key);
    } else {
        r[key] = v;
    }
    r
}

/// Map a record with options, returning an owned description for assertions.
fn map_with(r: &Value, opts: &MapOptions) -> String {
    let text = r.to_string();
    let rec: Record = serde_json::from_str(&text).unwrap();
    match map_record(&rec, opts) {
        Mapped::Request(q) => {
            let mut keys = Vec::new();
            q.for_each_key(|k, v| keys.push(format!("{k}={v}")));
            format!(
                "request {} {} net={:?}/{:?}/via={:?} {}",
                q.action,
                q.principal_arn,
                q.network.key,
                q.network.address,
                q.network.via_aws_service,
                keys.join(" ")
            )
        }
        Mapped::Apart(why, _) => format!("apart {}", why.code()),
        Mapped::Skip(why) => format!("skip {}", why.code()),
    }
}

fn map(r: &Value) -> String {
    map_with(r, &MapOptions::default())
}

#[test]
fn iam_user_maps_to_user_with_its_arn_name_and_id() {
    let m = map(&record(user(), json!("198.51.100.7")));
    assert!(m.starts_with("request ec2:DescribeInstances arn:aws:iam::111122223333:user/ops/alice net=SourceIp/Ok(198.51.100.7)/via=Some(false)"), "{m}");
    for key in [
        "aws:PrincipalType=User",
        "aws:PrincipalArn=arn:aws:iam::111122223333:user/ops/alice",
        "aws:PrincipalAccount=111122223333",
        "aws:username=alice",
        "aws:userid=AIDAEXAMPLE",
        "aws:RequestedRegion=eu-west-1",
        "aws:CurrentTime=2024-05-01T12:00:00Z",
    ] {
        assert!(m.contains(key), "{key} missing in {m}");
    }
    assert!(!m.contains("MultiFactorAuthPresent"), "{m}");
}

#[test]
fn assumed_role_uses_the_role_arn_from_the_session_issuer_not_the_session() {
    let m = map(&record(role(), json!("203.0.113.9")));
    assert!(m.contains("aws:PrincipalType=AssumedRole"), "{m}");
    assert!(
        m.contains("aws:PrincipalArn=arn:aws:iam::111122223333:role/ci/Deploy"),
        "{m}"
    );
    assert!(!m.contains("assumed-role"), "{m}");
    assert!(m.contains("aws:MultiFactorAuthPresent=true"), "{m}");
    assert!(m.contains("aws:userid=AROAEXAMPLE:session"), "{m}");
    assert!(!m.contains("aws:username"), "{m}");

    let mut no_issuer = role();
    no_issuer["sessionContext"]
        .as_object_mut()
        .unwrap()
        .remove("sessionIssuer");
    assert_eq!(
        map(&record(no_issuer, json!("203.0.113.9"))),
        "apart assumed_role_without_issuer_arn"
    );
}

#[test]
fn service_linked_roles_are_not_subject() {
    let mut r = role();
    r["sessionContext"]["sessionIssuer"]["arn"] =
        json!("arn:aws:iam::111122223333:role/aws-service-role/elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing");
    assert_eq!(
        map(&record(r, json!("elasticloadbalancing.amazonaws.com"))),
        "apart service_linked_role"
    );
}

#[test]
fn root_and_federated_users() {
    let root = json!({"type": "Root", "principalId": ACCOUNT, "arn": "arn:aws:iam::111122223333:root", "accountId": ACCOUNT});
    let m = map(&record(root, json!("198.51.100.7")));
    assert!(
        m.contains("aws:PrincipalType=Account")
            && m.contains("aws:PrincipalArn=arn:aws:iam::111122223333:root"),
        "{m}"
    );
    let fed = json!({"type": "FederatedUser", "principalId": "111122223333:bob", "arn": "arn:aws:sts::111122223333:federated-user/bob",
                     "accountId": ACCOUNT, "sessionContext": {"sessionIssuer": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/alice"}}});
    let m = map(&record(fed, json!("198.51.100.7")));
    assert!(
        m.contains("aws:PrincipalType=FederatedUser") && m.contains("federated-user/bob"),
        "{m}"
    );
}

#[test]
fn callers_not_subject_or_not_decidable_are_apart() {
    let cases = [
        (
            json!({"type": "AWSService", "invokedBy": "cloudtrail.amazonaws.com"}),
            "apart aws_service_principal",
        ),
        (
            json!({"type": "AWSAccount", "principalId": "AIDAOTHER", "accountId": "444455556666"}),
            "apart other_account_principal",
        ),
        (
            json!({"type": "AWSAccount", "accountId": "ANONYMOUS_PRINCIPAL"}),
            "apart other_account_principal",
        ),
        (
            json!({"type": "Unknown", "principalId": "x"}),
            "apart unknown_identity",
        ),
        (
            json!({"type": "IdentityCenterUser", "accountId": ACCOUNT}),
            "apart identity_center_user",
        ),
        (
            json!({"principalId": "x", "accountId": ACCOUNT}),
            "apart no_identity",
        ),
        (
            json!({"type": "SomethingNew"}),
            "apart unlisted_identity_type",
        ),
        (
            json!({"type": "SAMLUser", "principalId": "x"}),
            "skip saml_or_web_identity_federation",
        ),
        (
            json!({"type": "WebIdentityUser", "principalId": "x"}),
            "skip saml_or_web_identity_federation",
        ),
        (
            json!({"type": "IAMUser", "principalId": "AIDA", "accountId": ACCOUNT, "userName": "x"}),
            "apart iam_user_without_arn",
        ),
    ];
    for (identity, want) in cases {
        assert_eq!(
            map(&record(identity.clone(), json!("198.51.100.7"))),
            want,
            "{identity}"
        );
    }
    assert_eq!(
        map(&with(
            record(user(), json!("198.51.100.7")),
            "userIdentity",
            Value::Null
        )),
        "apart no_identity"
    );
}

#[test]
fn the_account_is_the_callers_from_account_id_or_the_arn() {
    let mut u = user();
    u.as_object_mut().unwrap().remove("accountId");
    let m = map(&record(u, json!("198.51.100.7")));
    assert!(m.contains("aws:PrincipalAccount=111122223333"), "{m}");
    // recipientAccountId is not the caller's account.
    let r = with(
        record(user(), json!("198.51.100.7")),
        "recipientAccountId",
        json!("999999999999"),
    );
    let opts = MapOptions {
        management_account: Some("999999999999".into()),
        ..Default::default()
    };
    assert!(map_with(&r, &opts).starts_with("request"));
    let opts = MapOptions {
        management_account: Some(ACCOUNT.into()),
        ..Default::default()
    };
    assert_eq!(map_with(&r, &opts), "apart management_account");
    let opts = MapOptions {
        accounts: ["444455556666".to_string()].into(),
        ..Default::default()
    };
    assert_eq!(map_with(&r, &opts), "apart account_not_selected");
}

#[test]
fn source_forms() {
    let net = |source: Value| {
        let m = map(&record(user(), source));
        m.split(" net=")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        net(json!("198.51.100.7")),
        "SourceIp/Ok(198.51.100.7)/via=Some(false)"
    );
    assert_eq!(
        net(json!("2001:db8::1")),
        "SourceIp/Ok(2001:db8::1)/via=Some(false)"
    );
    // Strict parsing: leading zeros, lists, words, empty, missing.
    for bad in [
        "035.249.253.232",
        "198.51.100.7, 10.0.0.1",
        "redacted",
        "...",
        "1.2.3",
        "fe80::1%eth0",
        " 198.51.100.7",
    ] {
        assert_eq!(
            net(json!(bad)),
            "SourceIp/Err(InvalidAddress)/via=Some(false)",
            "{bad}"
        );
    }
    assert_eq!(net(json!("")), "SourceIp/Err(NoAddress)/via=Some(false)");
    assert_eq!(net(Value::Null), "SourceIp/Err(NoAddress)/via=Some(false)");
    // A service host name: the service called for the user.
    assert_eq!(
        net(json!("cloudformation.amazonaws.com")),
        "SourceIp/Err(ServiceHost)/via=Some(true)"
    );
    // The console's own hosts: the user acted in the console.
    assert_eq!(
        net(json!("signin.amazonaws.com")),
        "SourceIp/Err(ConsoleHost)/via=Some(false)"
    );
    assert_eq!(
        net(json!("console.amazonaws.com")),
        "SourceIp/Err(ConsoleHost)/via=Some(false)"
    );
    assert_eq!(
        net(json!("AWS Internal")),
        "SourceIp/Err(AwsInternal)/via=None"
    );
    // Decided by sourceIPAddress, not invokedBy: a console call carries the real address.
    let mut u = user();
    u["invokedBy"] = json!("signin.amazonaws.com");
    assert!(map(&record(u, json!("198.51.100.7"))).contains("Ok(198.51.100.7)/via=Some(false)"));
}

#[test]
fn a_role_behind_a_service_host_is_not_via_a_service() {
    let m = map(&record(role(), json!("lambda.amazonaws.com")));
    assert!(
        m.contains("net=SourceIp/Err(ServiceHost)/via=Some(false)"),
        "{m}"
    );
}

#[test]
fn a_vpc_endpoint_gives_source_vpce_and_vpc_source_ip_never_source_ip() {
    let r = with(
        record(user(), json!("10.1.2.3")),
        "vpcEndpointId",
        json!("vpce-0abc"),
    );
    let m = map(&r);
    assert!(
        m.contains("net=VpcSourceIp/Ok(10.1.2.3)/via=Some(false)"),
        "{m}"
    );
    assert!(m.contains("aws:SourceVpce=vpce-0abc"), "{m}");
    assert!(!m.contains("aws:SourceIp"), "{m}");
    let r = with(
        record(user(), json!("AWS Internal")),
        "vpcEndpointId",
        json!("vpce-0abc"),
    );
    assert!(map(&r).contains("net=VpcSourceIp/Err(AwsInternal)/via=None"));
}

#[test]
fn actions_come_from_the_event_source_prefix_with_exceptions() {
    let action = |source: &str, name: &str| {
        let r = with(
            with(
                record(user(), json!("198.51.100.7")),
                "eventSource",
                json!(source),
            ),
            "eventName",
            json!(name),
        );
        map(&r).split(' ').nth(1).unwrap().to_string()
    };
    assert_eq!(action("s3.amazonaws.com", "ListBuckets"), "s3:ListBuckets");
    assert_eq!(
        action("monitoring.amazonaws.com", "GetMetricData"),
        "cloudwatch:GetMetricData"
    );
    assert_eq!(action("email.amazonaws.com", "SendEmail"), "ses:SendEmail");
    assert_eq!(
        action("tagging.amazonaws.com", "GetResources"),
        "tag:GetResources"
    );
    assert_eq!(
        action("access-analyzer.amazonaws.com", "ListAnalyzers"),
        "access-analyzer:ListAnalyzers"
    );
    let r = with(
        record(user(), json!("198.51.100.7")),
        "eventSource",
        json!("not a host"),
    );
    assert_eq!(map(&r), "apart no_action");
    let r = with(
        record(user(), json!("198.51.100.7")),
        "eventName",
        Value::Null,
    );
    assert_eq!(map(&r), "apart no_action");
}

#[test]
fn event_types_and_sign_in_events() {
    let typed = |t: Value| map(&with(record(user(), json!("198.51.100.7")), "eventType", t));
    assert!(
        typed(Value::Null).starts_with("request"),
        "records older than eventType are API calls"
    );
    assert!(typed(json!("AwsApiCall")).starts_with("request"));
    assert_eq!(typed(json!("AwsConsoleSignIn")), "skip console_sign_in");
    assert_eq!(typed(json!("AwsServiceEvent")), "skip aws_service_event");
    assert_eq!(typed(json!("AwsConsoleAction")), "skip aws_console_action");
    assert_eq!(
        typed(json!("AwsCloudTrailInsight")),
        "skip cloudtrail_insight"
    );
    assert_eq!(typed(json!("AwsVpceEvent")), "skip aws_vpce_event");
    assert_eq!(typed(json!("AwsMysteryEvent")), "apart unlisted_event_type");
    let r = with(
        record(user(), json!("198.51.100.7")),
        "eventSource",
        json!("signin.amazonaws.com"),
    );
    assert_eq!(
        map(&with(r, "eventType", json!("AwsApiCall"))),
        "skip console_sign_in"
    );
}

#[test]
fn time_range_filters_by_event_time() {
    let opts = MapOptions {
        time: TimeRange::parse(Some("2024-05-02"), None).unwrap(),
        ..Default::default()
    };
    assert_eq!(
        map_with(&record(user(), json!("198.51.100.7")), &opts),
        "skip outside_time_range"
    );
    let r = with(
        record(user(), json!("198.51.100.7")),
        "eventTime",
        json!("yesterday"),
    );
    assert_eq!(map_with(&r, &opts), "apart no_event_time");
}

#[test]
fn the_identity_policy_reaches_iam_users_only() {
    let opts = MapOptions {
        users_only: true,
        ..Default::default()
    };
    assert!(map_with(&record(user(), json!("198.51.100.7")), &opts).starts_with("request"));
    assert_eq!(
        map_with(&record(role(), json!("198.51.100.7")), &opts),
        "apart identity_policy_not_attached"
    );
}
