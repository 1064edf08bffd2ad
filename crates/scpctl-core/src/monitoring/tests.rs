use super::*;
use crate::config::Config;

fn config(extra: &str) -> Config {
    Config::parse(
        &format!("[network]\ncidrs = [\"192.0.2.0/24\"]\n{extra}"),
        "t.toml",
    )
    .unwrap()
}

const BREAK_GLASS: &str = "[break_glass]\nprincipals = [\"arn:aws:iam::*:role/BreakGlass*\", \"arn:aws:iam::111122223333:user/breakglass\"]\n";

/// An event as EventBridge delivers a CloudTrail record.
fn api_call(source: &str, event_source: &str, name: &str, detail: Value) -> Value {
    let mut d =
        json!({ "eventSource": event_source, "eventName": name, "eventType": "AwsApiCall" });
    for (k, v) in detail.as_object().unwrap() {
        d[k] = v.clone();
    }
    json!({ "source": source, "detail-type": API_CALL, "detail": d })
}

/// Which rules match an event.
fn matching(rules: &[AlertRule], event: &Value) -> Vec<&'static str> {
    rules
        .iter()
        .filter(|r| pattern_matches(&r.pattern, event))
        .map(|r| r.name)
        .collect()
}

#[test]
fn break_glass_role_assumed_is_caught_and_other_roles_are_not() {
    let rules = rules(&config(BREAK_GLASS));
    let assume = |arn: &str| {
        api_call(
            "aws.sts",
            "sts.amazonaws.com",
            "AssumeRole",
            json!({
                "requestParameters": { "roleArn": arn, "roleSessionName": "x" }
            }),
        )
    };
    assert_eq!(
        matching(
            &rules,
            &assume("arn:aws:iam::444455556666:role/BreakGlassAdmin")
        ),
        ["BreakGlassAssumeRole"]
    );
    assert!(matching(&rules, &assume("arn:aws:iam::444455556666:role/Deployer")).is_empty());
    // Another STS call naming the role is not an AssumeRole.
    let other = api_call(
        "aws.sts",
        "sts.amazonaws.com",
        "GetCallerIdentity",
        json!({}),
    );
    assert!(matching(&rules, &other).is_empty());
}

#[test]
fn console_sign_in_as_break_glass_user_or_role_is_caught() {
    let rules = rules(&config(BREAK_GLASS));
    let sign_in = |identity: Value| {
        json!({ "source": "aws.signin", "detail-type": SIGN_IN, "detail": {
            "eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin", "userIdentity": identity
        }})
    };
    let user =
        sign_in(json!({ "type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/breakglass" }));
    assert_eq!(matching(&rules, &user), ["BreakGlassConsoleSignIn"]);
    let role = sign_in(
        json!({ "type": "AssumedRole", "arn": "arn:aws:sts::444455556666:assumed-role/BreakGlassOps/alice",
        "sessionContext": { "sessionIssuer": { "type": "Role", "arn": "arn:aws:iam::444455556666:role/BreakGlassOps" } } }),
    );
    assert_eq!(matching(&rules, &role), ["BreakGlassConsoleSignIn"]);
    let someone =
        sign_in(json!({ "type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/alice" }));
    assert!(matching(&rules, &someone).is_empty());
    // Published ConsoleLogin records of assumed roles without sessionContext: the session ARN.
    let bare = sign_in(
        json!({ "type": "AssumedRole", "arn": "arn:aws:sts::444455556666:assumed-role/BreakGlassOps/alice" }),
    );
    assert_eq!(matching(&rules, &bare), ["BreakGlassConsoleSignIn"]);
    let other_role = sign_in(
        json!({ "type": "AssumedRole", "arn": "arn:aws:sts::444455556666:assumed-role/Deployer/alice" }),
    );
    assert!(matching(&rules, &other_role).is_empty());
    // A listed role without a path also matches the same name under a path (Identity Center).
    let sso = sign_in(
        json!({ "type": "AssumedRole", "arn": "arn:aws:sts::444455556666:assumed-role/BreakGlassOps/bob",
        "sessionContext": { "sessionIssuer": { "type": "Role",
            "arn": "arn:aws:iam::444455556666:role/aws-reserved/sso.amazonaws.com/eu-west-1/BreakGlassOps" } } }),
    );
    assert_eq!(matching(&rules, &sso), ["BreakGlassConsoleSignIn"]);
    let sso_other = sign_in(
        json!({ "type": "AssumedRole", "arn": "arn:aws:sts::444455556666:assumed-role/Admin/bob",
        "sessionContext": { "sessionIssuer": { "type": "Role",
            "arn": "arn:aws:iam::444455556666:role/aws-reserved/sso.amazonaws.com/eu-west-1/Admin" } } }),
    );
    assert!(matching(&rules, &sso_other).is_empty());
}

#[test]
fn api_calls_by_the_break_glass_user_are_caught() {
    let rules = rules(&config(BREAK_GLASS));
    let call = |arn: &str| {
        api_call(
            "aws.ec2",
            "ec2.amazonaws.com",
            "RunInstances",
            json!({
                "userIdentity": { "type": "IAMUser", "arn": arn }
            }),
        )
    };
    assert_eq!(
        matching(&rules, &call("arn:aws:iam::111122223333:user/breakglass")),
        ["BreakGlassUserApiCall"]
    );
    assert!(matching(&rules, &call("arn:aws:iam::111122223333:user/breakglass2")).is_empty());
}

#[test]
fn the_exception_tag_changing_is_caught_in_any_letter_case_and_nothing_else_is() {
    let rules = rules(&config(""));
    let tag = |key: &str| {
        api_call(
            "aws.iam",
            "iam.amazonaws.com",
            "TagUser",
            json!({
                "requestParameters": { "userName": "svc", "tags": [{ "key": "Team", "value": "x" }, { "key": key, "value": "True" }] }
            }),
        )
    };
    let untag = |keys: Value| {
        api_call(
            "aws.iam",
            "iam.amazonaws.com",
            "UntagUser",
            json!({
                "requestParameters": { "userName": "svc", "tagKeys": keys }
            }),
        )
    };
    for key in ["AccessException", "accessexception", "ACCESSEXCEPTION"] {
        assert_eq!(
            matching(&rules, &tag(key)),
            ["ExceptionTagChanged"],
            "{key}"
        );
        assert_eq!(
            matching(&rules, &untag(json!(["Team", key]))),
            ["ExceptionTagChanged"],
            "{key}"
        );
    }
    // Unrelated tags, other entities, read-only calls: no alert.
    assert!(matching(&rules, &tag("Team")).is_empty());
    assert!(matching(&rules, &untag(json!(["Team"]))).is_empty());
    assert!(matching(&rules, &tag("AccessExceptionReason")).is_empty());
    let role_tag = api_call(
        "aws.iam",
        "iam.amazonaws.com",
        "TagRole",
        json!({
            "requestParameters": { "roleName": "r", "tags": [{ "key": "AccessException", "value": "True" }] }
        }),
    );
    assert!(matching(&rules, &role_tag).is_empty());
    let read = api_call(
        "aws.iam",
        "iam.amazonaws.com",
        "ListUserTags",
        json!({
            "requestParameters": { "userName": "svc" }
        }),
    );
    assert!(matching(&rules, &read).is_empty());
}

#[test]
fn guardrail_changes_are_caught_and_reads_are_not() {
    let rules = rules(&config(""));
    for name in [
        "UpdatePolicy",
        "DetachPolicy",
        "DeletePolicy",
        "DisablePolicyType",
    ] {
        let e = api_call(
            "aws.organizations",
            "organizations.amazonaws.com",
            name,
            json!({}),
        );
        assert_eq!(matching(&rules, &e), ["GuardrailChanged"], "{name}");
    }
    for name in [
        "DescribePolicy",
        "ListPolicies",
        "AttachPolicy",
        "CreatePolicy",
    ] {
        let e = api_call(
            "aws.organizations",
            "organizations.amazonaws.com",
            name,
            json!({}),
        );
        assert!(matching(&rules, &e).is_empty(), "{name}");
    }
    let fallback = |name: &str, params: Value| {
        api_call(
            "aws.iam",
            "iam.amazonaws.com",
            name,
            json!({ "requestParameters": params }),
        )
    };
    let ours = "arn:aws:iam::111122223333:policy/EnterpriseNetworkRestriction";
    for name in [
        "CreatePolicyVersion",
        "DeletePolicy",
        "DetachUserPolicy",
        "DetachRolePolicy",
        "SetDefaultPolicyVersion",
    ] {
        assert_eq!(
            matching(&rules, &fallback(name, json!({ "policyArn": ours }))),
            ["FallbackPolicyChanged"],
            "{name}"
        );
    }
    assert_eq!(
        matching(
            &rules,
            &fallback(
                "DetachGroupPolicy",
                json!({ "policyArn": "arn:aws:iam::111122223333:policy/team/EnterpriseNetworkRestriction" })
            )
        ),
        ["FallbackPolicyChanged"]
    );
    assert_eq!(
        matching(
            &rules,
            &fallback(
                "DeleteUserPolicy",
                json!({ "policyName": "EnterpriseNetworkRestriction", "userName": "u" })
            )
        ),
        ["FallbackPolicyChanged"]
    );
    assert!(matching(
        &rules,
        &fallback(
            "DetachUserPolicy",
            json!({ "policyArn": "arn:aws:iam::111122223333:policy/Other" })
        )
    )
    .is_empty());
    assert!(matching(
        &rules,
        &fallback("GetPolicyVersion", json!({ "policyArn": ours }))
    )
    .is_empty());
    assert!(matching(
        &rules,
        &fallback("DeleteUserPolicy", json!({ "policyName": "Other" }))
    )
    .is_empty());
}

#[test]
fn without_break_glass_principals_only_the_change_rules_exist() {
    let names: Vec<&str> = rules(&config("")).iter().map(|r| r.name).collect();
    assert_eq!(
        names,
        [
            "ExceptionTagChanged",
            "GuardrailChanged",
            "ConsoleSignInGuardrailChanged",
            "FallbackPolicyChanged",
            "ScpDenial"
        ]
    );
    let global: Vec<bool> = rules(&config(BREAK_GLASS))
        .iter()
        .map(|r| r.global_only)
        .collect();
    assert_eq!(global, [false, false, false, true, true, true, true, false]);
}

#[test]
fn the_matcher_follows_eventbridge_rules() {
    let e = json!({ "a": "x", "n": 5, "arr": ["p", "q"], "o": { "k": "Value" } });
    assert!(pattern_matches(&json!({ "a": ["x", "y"] }), &e));
    assert!(!pattern_matches(&json!({ "a": ["y"] }), &e));
    assert!(pattern_matches(&json!({ "n": [5] }), &e));
    assert!(pattern_matches(&json!({ "arr": ["q"] }), &e));
    assert!(pattern_matches(
        &json!({ "o": { "k": [{ "equals-ignore-case": "VALUE" }] } }),
        &e
    ));
    assert!(pattern_matches(
        &json!({ "o": { "k": [{ "prefix": "Val" }] } }),
        &e
    ));
    assert!(pattern_matches(
        &json!({ "missing": [{ "exists": false }] }),
        &e
    ));
    assert!(!pattern_matches(&json!({ "a": [{ "exists": false }] }), &e));
    assert!(pattern_matches(
        &json!({ "a": [{ "anything-but": ["y"] }] }),
        &e
    ));
    assert!(pattern_matches(
        &json!({ "$or": [{ "a": ["nope"] }, { "n": [5] }] }),
        &e
    ));
    assert!(wildcard(
        "arn:aws:iam::*:role/B*",
        "arn:aws:iam::1:role/Break"
    ));
    assert!(!wildcard(
        "arn:aws:iam::*:role/B*",
        "arn:aws:iam::1:user/Break"
    ));
    assert!(wildcard("*", ""));
    assert!(!wildcard("a*b*c", "acb"));
}

/// The HCL strings of `key = "..."` lines, unescaped.
fn hcl_values(text: &str, key: &str) -> Vec<String> {
    let prefix = format!("{key} = \"");
    text.lines()
        .filter_map(|l| {
            l.trim().strip_prefix(&prefix).or_else(|| {
                // aligned: `event_pattern = "..."` may have extra spaces before `=`
                let t = l.trim();
                t.starts_with(key)
                    .then(|| t.split_once("= \"").map(|(_, v)| v))
                    .flatten()
            })
        })
        .map(|v| {
            let v = v.strip_suffix('"').unwrap();
            v.replace("\\\"", "\"")
                .replace("\\\\", "\\")
                .replace("$${", "${")
        })
        .collect()
}

#[test]
fn terraform_patterns_equal_the_cloudformation_ones_region_by_region() {
    let c = config(&format!("{BREAK_GLASS}[monitoring]\nemail = \"secops@example.com\"\nregions = [\"us-east-1\", \"eu-west-1\"]\n"));
    let cfn: Value = serde_json::from_str(&iac::cloudformation(&c).unwrap()).unwrap();
    let tf = iac::terraform(&c).unwrap();
    let resources = cfn["Resources"].as_object().unwrap();
    let cfn_rules: Vec<(&String, &Value)> = resources
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::Events::Rule")
        .collect();
    assert_eq!(cfn_rules.len(), 8);
    let global = cfn_rules
        .iter()
        .filter(|(_, r)| r["Condition"] == "InGlobalEventRegion")
        .count();
    assert_eq!(global, 4);
    // us-east-1 holds all eight, eu-west-1 the four regional ones (the denial alarm among them).
    let patterns: Vec<Value> = hcl_values(&tf, "event_pattern")
        .iter()
        .map(|p| serde_json::from_str(p).unwrap())
        .collect();
    assert_eq!(patterns.len(), 12);
    for p in &patterns {
        assert!(
            cfn_rules
                .iter()
                .any(|(_, r)| &r["Properties"]["EventPattern"] == p),
            "{p}"
        );
    }
    assert_eq!(tf.matches("resource \"aws_sns_topic\" ").count(), 2);
    assert_eq!(
        tf.matches("resource \"aws_sns_topic_subscription\"")
            .count(),
        2
    );
    assert_eq!(
        tf.matches("resource \"aws_cloudwatch_event_target\"")
            .count(),
        12
    );
    assert!(resources.contains_key("AlertEmail"));
}

#[test]
fn an_existing_topic_serves_only_its_own_region() {
    let c = config("[monitoring]\ntopic_arn = \"arn:aws:sns:us-east-1:111122223333:alerts\"\nregions = [\"us-east-1\"]\n");
    let cfn: Value = serde_json::from_str(&iac::cloudformation(&c).unwrap()).unwrap();
    assert!(!cfn["Resources"]
        .as_object()
        .unwrap()
        .contains_key("AlertTopic"));
    assert_eq!(
        cfn["Resources"]["GuardrailChangedRule"]["Properties"]["Targets"][0]["Arn"],
        "arn:aws:sns:us-east-1:111122223333:alerts"
    );
    let c = config("[monitoring]\ntopic_arn = \"arn:aws:sns:eu-west-1:111122223333:alerts\"\n");
    let e = iac::cloudformation(&c).unwrap_err();
    assert!(
        e.contains("topic_arn is in eu-west-1") && e.contains("us-east-1"),
        "{e}"
    );
}

#[test]
fn break_glass_principals_are_found_missing_or_elsewhere() {
    let principals: Vec<String> = [
        "arn:aws:iam::*:role/BreakGlass*",
        "arn:aws:iam::111122223333:user/breakglass",
        "arn:aws:iam::111122223333:user/gone",
        "arn:aws:iam::444455556666:role/Other",
    ]
    .map(String::from)
    .to_vec();
    let existing = [
        "arn:aws:iam::111122223333:role/BreakGlassAdmin",
        "arn:aws:iam::111122223333:user/breakglass",
        "arn:aws:iam::111122223333:role/Deployer",
    ]
    .map(String::from);
    let report = break_glass_report(&principals, "111122223333", &existing);
    assert_eq!(
        report[0].1,
        BreakGlassState::Found {
            matches: vec!["arn:aws:iam::111122223333:role/BreakGlassAdmin".into()]
        }
    );
    assert!(matches!(report[1].1, BreakGlassState::Found { .. }));
    assert_eq!(report[2].1, BreakGlassState::Missing);
    assert_eq!(report[3].1, BreakGlassState::OtherAccount);
}

#[test]
fn global_rules_go_where_global_events_arrive_whatever_the_order() {
    let c = config("[monitoring]\nregions = [\"eu-west-1\", \"us-east-1\"]\n");
    assert_eq!(global_region(&c.monitoring), "us-east-1");
    let cfn: Value = serde_json::from_str(&iac::cloudformation(&c).unwrap()).unwrap();
    assert_eq!(
        cfn["Conditions"]["InGlobalEventRegion"]["Fn::Equals"][1],
        "us-east-1"
    );
    let e = Config::parse(
        "[network]\ncidrs = [\"192.0.2.0/24\"]\n[monitoring]\nregions = [\"eu-west-1\"]\n",
        "t.toml",
    )
    .unwrap_err();
    assert!(e[0].to_string().contains("add us-east-1"), "{}", e[0]);
}

/// A call refused with a given error message, as EventBridge delivers it.
fn refused(message: &str) -> Value {
    api_call(
        "aws.iam",
        "iam.amazonaws.com",
        "ListRoles",
        json!({ "errorCode": "AccessDenied", "errorMessage": message,
                "userIdentity": { "type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/alice", "accountId": "111122223333" },
                "sourceIPAddress": "198.51.100.7", "awsRegion": "us-east-1", "eventTime": "2026-03-01T12:00:00Z", "eventID": "e1" }),
    )
}

const DENIED: &str = "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: iam:ListRoles on resource: arn:aws:iam::111122223333:role/* with an explicit deny in a service control policy";
const OURS: &str =
    ": arn:aws:organizations::987654321098:policy/o-qv5af4abcd/service_control_policy/p-2kgnabcd";
const OTHER: &str =
    ": arn:aws:organizations::987654321098:policy/o-qv5af4abcd/service_control_policy/p-zzzz9999";

#[test]
fn the_denial_alarm_catches_scp_denials_and_nothing_else() {
    let any = rules(&config(""));
    let ours = rules_for(&config(""), Some("p-2kgnabcd"));
    let ec2 = format!("You are not authorized to perform this operation. {DENIED}. Encoded authorization failure message: XQ_jq");
    for (message, any_scp, our_scp) in [
        (DENIED.to_string(), true, true),
        (format!("{DENIED}{OURS}"), true, true),
        (format!("{DENIED}{OTHER}"), true, false),
        (format!("{DENIED}."), true, true),
        (ec2, true, true),
        ("Access Denied".to_string(), false, false),
        (
            DENIED.replace("service control policy", "permissions boundary"),
            false,
            false,
        ),
        (
            DENIED.replace(
                "with an explicit deny in a service control policy",
                "because no identity-based policy allows the iam:ListRoles action",
            ),
            false,
            false,
        ),
    ] {
        let e = refused(&message);
        assert_eq!(
            matching(&any, &e).contains(&"ScpDenial"),
            any_scp,
            "{message}"
        );
        assert_eq!(
            matching(&ours, &e).contains(&"ScpDenial"),
            our_scp,
            "{message}"
        );
    }
    // A call that went through has no errorMessage.
    let ok = api_call("aws.iam", "iam.amazonaws.com", "ListRoles", json!({}));
    assert!(!matching(&any, &ok).contains(&"ScpDenial"));
}

#[test]
fn the_denial_mail_is_readable_in_both_templates() {
    let c = config("");
    let cfn: Value =
        serde_json::from_str(&iac::cloudformation_for(&c, Some("p-2kgnabcd")).unwrap()).unwrap();
    let target = &cfn["Resources"]["ScpDenialRule"]["Properties"]["Targets"][0];
    let paths = target["InputTransformer"]["InputPathsMap"]
        .as_object()
        .unwrap();
    let template = target["InputTransformer"]["InputTemplate"]
        .as_str()
        .unwrap();
    // Every placeholder has a path, every key fits EventBridge's [a-zA-Z0-9]+, and the mail
    // says who, what, from where and which policy.
    for (key, path) in paths {
        assert!(key.chars().all(|c| c.is_ascii_alphanumeric()), "{key}");
        assert!(path.as_str().unwrap().starts_with("$.detail."), "{path}");
        assert!(template.contains(&format!("<{key}>")), "{key} unused");
    }
    for word in ["Who:", "What:", "From:", "Which policy:"] {
        assert!(template.contains(word), "{word}");
    }
    assert!(
        cfn["Resources"]["ScpDenialRule"]["Properties"]["EventPattern"]
            .to_string()
            .contains("p-2kgnabcd")
    );
    // The other rules send the event as it is.
    assert!(
        cfn["Resources"]["GuardrailChangedRule"]["Properties"]["Targets"][0]
            .get("InputTransformer")
            .is_none()
    );
    let tf = iac::terraform_for(&c, Some("p-2kgnabcd")).unwrap();
    assert_eq!(tf.matches("input_transformer {").count(), 1);
    assert!(tf.contains("who = \"$.detail.userIdentity.arn\""), "{tf}");
    assert!(
        tf.contains("input_template = \"scpctl: a call was refused"),
        "{tf}"
    );
}
