//! Whole-policy evaluation: conditions, actions, resources, variables, Version, AWS's fixed
//! rules. Operator tables live in `operators_tests.rs`, set rules in `keys_tests.rs`.

use super::*;

/// A Deny-everything statement with this Condition block, Version 2012-10-17.
pub(crate) fn policy(condition: &str) -> PolicyDocument {
    PolicyDocument::from_json(&format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"S","Effect":"Deny","Action":"*","Resource":"*","Condition":{condition}}}]}}"#
    ))
    .unwrap()
}

/// Whether the condition block matches (the Deny applies).
pub(crate) fn denied(condition: &str, ctx: &RequestContext) -> bool {
    let d = evaluate(&policy(condition), ctx).unwrap();
    // The fast path agrees with the traced one.
    let fast = CompiledPolicy::new(&policy(condition), PolicyType::Identity)
        .unwrap()
        .decide(ctx);
    assert_eq!(fast.deny.is_some(), d.denied, "{condition}");
    // The one-pass check and decision agrees with the two calls.
    let compiled = CompiledPolicy::new(&policy(condition), PolicyType::Identity).unwrap();
    let two = compiled
        .check_request(ctx)
        .ok()
        .map(|_| compiled.decide(ctx));
    assert_eq!(compiled.decide_checked(ctx), two, "{condition}");
    d.denied
}

pub(crate) fn error(condition: &str) -> String {
    evaluate(&policy(condition), &ctx())
        .unwrap_err()
        .to_string()
}

pub(crate) fn ctx() -> RequestContext {
    RequestContext::new("s3:ListAllMyBuckets")
}

fn doc(json: &str) -> PolicyDocument {
    PolicyDocument::from_json(json).unwrap()
}

#[test]
fn string_equals_is_case_sensitive_and_ignore_case_is_not() {
    let c = ctx().with("aws:PrincipalTag/AccessException", "true");
    assert!(!denied(
        r#"{"StringEquals":{"aws:PrincipalTag/AccessException":"True"}}"#,
        &c
    ));
    assert!(denied(
        r#"{"StringEqualsIgnoreCase":{"aws:PrincipalTag/AccessException":"True"}}"#,
        &c
    ));
    assert!(denied(
        r#"{"StringNotEquals":{"aws:PrincipalTag/AccessException":"True"}}"#,
        &c
    ));
    assert!(!denied(
        r#"{"StringNotEqualsIgnoreCase":{"aws:PrincipalTag/AccessException":"True"}}"#,
        &c
    ));
}

// [ELEM] "Condition key names are not case-sensitive."
#[test]
fn key_names_are_case_insensitive() {
    let c = ctx().with("aws:SourceIp", "192.0.2.1");
    assert!(denied(
        r#"{"IpAddress":{"AWS:SOURCEIP":"192.0.2.0/24"}}"#,
        &c
    ));
}

// [MULTI] OR across values, NOR for negated operators; AND across operators and keys.
#[test]
fn values_or_negated_values_nor_and_keys_and() {
    let c = ctx().with("aws:PrincipalTag/team", "b");
    assert!(denied(
        r#"{"StringEquals":{"aws:PrincipalTag/team":["a","b"]}}"#,
        &c
    ));
    assert!(!denied(
        r#"{"StringNotEquals":{"aws:PrincipalTag/team":["a","b"]}}"#,
        &c
    ));
    assert!(denied(
        r#"{"StringNotEquals":{"aws:PrincipalTag/team":["a","c"]}}"#,
        &c
    ));
    let c = ctx()
        .with("aws:PrincipalType", "User")
        .with("aws:SourceIp", "198.51.100.1");
    assert!(denied(
        r#"{"StringEquals":{"aws:PrincipalType":"User"},"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}}"#,
        &c
    ));
    assert!(!denied(
        r#"{"StringEquals":{"aws:PrincipalType":"User","aws:PrincipalTag/x":"y"}}"#,
        &c
    ));
}

#[test]
fn bare_ipv6_policy_value_gets_a_note() {
    let v6 = ctx().with("aws:SourceIp", "2001:db8:1234::42");
    let d = evaluate(
        &policy(r#"{"IpAddress":{"aws:SourceIp":"2001:db8:1234::42"}}"#),
        &v6,
    )
    .unwrap();
    assert!(d.denied);
    assert!(d.notes[0].contains("no prefix"), "{:?}", d.notes);
}

// [ACTION] wildcards, case-insensitive names, NotAction.
#[test]
fn actions_match_with_wildcards_case_insensitively() {
    let p = |a: &str| {
        doc(&format!(
            r#"{{"Statement":{{"Effect":"Deny","Action":{a}}}}}"#
        ))
    };
    let c = ctx();
    assert!(evaluate(&p(r#""s3:*""#), &c).unwrap().denied);
    assert!(evaluate(&p(r#""S3:list*""#), &c).unwrap().denied);
    assert!(!evaluate(&p(r#"["ec2:*","iam:*"]"#), &c).unwrap().denied);
    let not = doc(r#"{"Statement":{"Effect":"Deny","NotAction":["s3:*","iam:*"]}}"#);
    assert!(!evaluate(&not, &c).unwrap().denied);
    assert!(
        evaluate(&not, &RequestContext::new("ec2:RunInstances"))
            .unwrap()
            .denied
    );
    assert_eq!(
        evaluate(&p(r#""*""#), &c).unwrap().statement.as_deref(),
        Some("#1")
    );
    let e = evaluate(&p(r#"["s3:Get*","*:GetBucket"]"#), &c)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(
            "statement #1: Action: action \"*:GetBucket\" has a wildcard in its service prefix"
        ),
        "{e}"
    );
}

#[test]
fn allow_statements_never_deny_but_are_reported() {
    let p = doc(
        r#"{"Statement":{"Sid":"FullAWSAccess","Effect":"Allow","Action":"*","Resource":"*"}}"#,
    );
    let d = evaluate(&p, &ctx()).unwrap();
    assert!(!d.denied && d.allowed && d.statements[0].applies);
}

#[test]
fn errors_name_the_statement_and_value() {
    assert!(
        error(r#"{"Foo":{"a":"b"}}"#).contains("statement S: unknown condition operator \"Foo\"")
    );
    assert!(error(r#"{"stringequals":{"a":"b"}}"#).contains("did you mean StringEquals"));
    assert!(error(r#"{"Bool":{"a":"yes"}}"#).contains("\"yes\" is not true or false"));
    assert!(error(r#"{"IpAddress":{"aws:SourceIp":"192.0.2.0/33"}}"#)
        .contains("not an IP address or CIDR"));
    // An unknown operator in a statement that would not decide is still an error.
    let two = doc(
        r#"{"Statement":[{"Effect":"Deny","Action":"*"},{"Effect":"Deny","Action":"*","Condition":{"Foo":{"a":"b"}}}]}"#,
    );
    assert!(evaluate(&two, &ctx()).is_err());
    let p = doc(r#"{"Statement":{"Effect":"Deny","Principal":"*","Action":"*"}}"#);
    assert!(evaluate(&p, &ctx())
        .unwrap_err()
        .to_string()
        .contains("Principal"));
}

// [RESOURCE] wildcards within segments; no request resource is "*".
#[test]
fn resource_and_not_resource() {
    let p = doc(
        r#"{"Version":"2012-10-17","Statement":{"Sid":"Secret","Effect":"Deny","Action":"s3:*","Resource":["arn:aws:s3:::secret","arn:aws:s3:::secret/*"]}}"#,
    );
    let get = RequestContext::new("s3:GetObject");
    assert!(
        evaluate(&p, &get.clone().with_resource("arn:aws:s3:::secret/a/b"))
            .unwrap()
            .denied
    );
    assert!(
        !evaluate(&p, &get.clone().with_resource("arn:aws:s3:::public/a"))
            .unwrap()
            .denied
    );
    let d = evaluate(&p, &get).unwrap();
    assert!(!d.denied);
    assert!(!d.statements[0].resource_matched);
    assert!(
        d.notes.iter().any(|n| n.contains("no resource given")),
        "{:?}",
        d.notes
    );

    let not = doc(
        r#"{"Version":"2012-10-17","Statement":{"Sid":"OnlyPublic","Effect":"Deny","Action":"s3:*","NotResource":"arn:aws:s3:::public/*"}}"#,
    );
    let get = RequestContext::new("s3:GetObject");
    assert!(
        !evaluate(&not, &get.clone().with_resource("arn:aws:s3:::public/a"))
            .unwrap()
            .denied
    );
    assert!(
        evaluate(&not, &get.clone().with_resource("arn:aws:s3:::other/a"))
            .unwrap()
            .denied
    );
    assert!(
        evaluate(&not, &get).unwrap().denied,
        "\"*\" is not only public/*"
    );
}

// [VARS] substitution in Resource and Condition; "Policy variables with no value".
#[test]
fn policy_variables() {
    let home = doc(
        r#"{"Version":"2012-10-17","Statement":{"Sid":"OwnHome","Effect":"Deny","Action":"s3:*","NotResource":"arn:aws:s3:::home/${aws:username}/*"}}"#,
    );
    let req = |user: Option<&str>| {
        let c =
            RequestContext::new("s3:GetObject").with_resource("arn:aws:s3:::home/alice/notes.txt");
        match user {
            Some(u) => c.with("aws:username", u),
            None => c,
        }
    };
    assert!(!evaluate(&home, &req(Some("alice"))).unwrap().denied);
    assert!(evaluate(&home, &req(Some("bob"))).unwrap().denied);
    // No value: the Resource matches nothing, so NotResource covers the request.
    assert!(evaluate(&home, &req(None)).unwrap().denied);

    let c = ctx().with("aws:ResourceTag/owner", "alice");
    let owner = |op: &str, v: &str| format!(r#"{{"{op}":{{"aws:ResourceTag/owner":"{v}"}}}}"#);
    assert!(denied(
        &owner("StringEquals", "${aws:username}"),
        &c.clone().with("aws:username", "alice")
    ));
    assert!(!denied(&owner("StringEquals", "${aws:username}"), &c));
    assert!(denied(&owner("StringNotEquals", "${aws:username}"), &c));
    assert!(denied(
        &owner("StringEquals", "${aws:username, 'alice'}"),
        &c
    ));
    // A default (like a substituted value) is literal text, not a pattern.
    assert!(!denied(&owner("StringLike", "${aws:username, 'ali*'}"), &c));
    let starred = ctx().with("aws:ResourceTag/owner", "ali*");
    assert!(denied(
        &owner("StringLike", "${aws:username, 'ali*'}"),
        &starred
    ));
    let d = evaluate(&policy(&owner("StringEquals", "${aws:username}")), &c).unwrap();
    assert!(
        d.notes.iter().any(|n| n.contains("no value")),
        "{:?}",
        d.notes
    );
    // `${*}` is a literal asterisk.
    let star = ctx().with("k", "a*");
    assert!(denied(r#"{"StringLike":{"k":"a${*}"}}"#, &star));
    assert!(!denied(
        r#"{"StringLike":{"k":"a${*}"}}"#,
        &ctx().with("k", "ab")
    ));
    // Version 2008-10-17 (the default of identity policies): `${...}` is literal text.
    let old = doc(
        r#"{"Statement":{"Effect":"Deny","Action":"*","Condition":{"StringEquals":{"k":"${aws:username}"}}}}"#,
    );
    assert!(
        evaluate(&old, &ctx().with("k", "${aws:username}"))
            .unwrap()
            .denied
    );
    assert!(
        !evaluate(
            &old,
            &ctx().with("k", "alice").with("aws:username", "alice")
        )
        .unwrap()
        .denied
    );
    assert!(error(r#"{"StringEquals":{"k":"${aws:username"}}"#).contains("no closing }"));
}

// [VERSION]: SCPs and RCPs need 2012-10-17; identity policies default to 2008-10-17.
#[test]
fn version_rules_depend_on_the_policy_kind() {
    let none = doc(r#"{"Statement":{"Effect":"Deny","Action":"*"}}"#);
    let old = doc(r#"{"Version":"2008-10-17","Statement":{"Effect":"Deny","Action":"*"}}"#);
    let odd = doc(r#"{"Version":"2012-10-18","Statement":{"Effect":"Deny","Action":"*"}}"#);
    for kind in [PolicyType::Scp, PolicyType::Rcp] {
        for d in [&none, &old, &odd] {
            let e = CompiledPolicy::new(d, kind).unwrap_err().to_string();
            assert!(e.contains("needs \"Version\": \"2012-10-17\""), "{e}");
        }
    }
    assert!(CompiledPolicy::new(&none, PolicyType::Identity).is_ok());
    assert!(CompiledPolicy::new(&old, PolicyType::Identity).is_ok());
    assert!(CompiledPolicy::new(&odd, PolicyType::Identity)
        .unwrap_err()
        .to_string()
        .contains("unknown policy Version"));
}

#[test]
fn rcp_statements_need_principal_star_and_no_not_action() {
    let ok = doc(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}}"#,
    );
    assert!(CompiledPolicy::new(&ok, PolicyType::Rcp).is_ok());
    let aws = doc(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"s3:*"}}"#,
    );
    assert!(CompiledPolicy::new(&aws, PolicyType::Rcp).is_ok());
    let none = doc(r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:*"}}"#);
    assert!(CompiledPolicy::new(&none, PolicyType::Rcp).is_err());
    let not = doc(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","NotAction":"s3:*"}}"#,
    );
    assert!(CompiledPolicy::new(&not, PolicyType::Rcp)
        .unwrap_err()
        .to_string()
        .contains("NotAction"));
}

#[test]
fn aws_fixed_rules() {
    let deny_all = doc(
        r#"{"Version":"2012-10-17","Statement":{"Sid":"All","Effect":"Deny","Action":"*","Resource":"*"}}"#,
    );
    let scp = CompiledPolicy::new(&deny_all, PolicyType::Scp).unwrap();
    let identity = CompiledPolicy::new(&deny_all, PolicyType::Identity).unwrap();
    let who = RequestContext::new("STS:GetCallerIdentity");
    for p in [&scp, &identity] {
        let d = p.evaluate(&who);
        assert!(!d.denied && d.statements[0].applies);
        assert_eq!(d.exemption.as_deref(), Some(rules::GET_CALLER_IDENTITY));
    }
    let mgmt = RequestContext::new("ec2:RunInstances").with_management_account(true);
    assert_eq!(scp.decide(&mgmt).exemption, Some(rules::MANAGEMENT_ACCOUNT));
    assert!(scp.decide(&mgmt).deny.is_none());
    assert!(
        identity.decide(&mgmt).deny.is_some(),
        "identity policies do apply there"
    );
    let slr = RequestContext::new("ec2:RunInstances").with(
        "aws:PrincipalArn",
        "arn:aws:iam::111122223333:role/aws-service-role/ops.apigateway.amazonaws.com/AWSServiceRoleForAPIGateway",
    );
    assert_eq!(
        scp.evaluate(&slr).exemption.as_deref(),
        Some(rules::SERVICE_LINKED_ROLE)
    );
    assert!(!scp.evaluate(&slr).denied);
    let flagged = RequestContext::new("ec2:RunInstances").with_service_linked_role(true);
    assert!(scp.decide(&flagged).deny.is_none());
    let role = RequestContext::new("ec2:RunInstances").with(
        "aws:PrincipalArn",
        "arn:aws:iam::111122223333:role/aws-service-role-lookalike",
    );
    assert!(scp.decide(&role).deny.is_some());
}

fn scp(json: &str) -> CompiledPolicy {
    CompiledPolicy::new(&doc(json), PolicyType::Scp).unwrap()
}

const FULL: &str = r#"{"Version":"2012-10-17","Statement":{"Sid":"FullAWSAccess","Effect":"Allow","Action":"*","Resource":"*"}}"#;
const ALLOW_S3: &str = r#"{"Version":"2012-10-17","Statement":{"Sid":"S3Only","Effect":"Allow","Action":"s3:*","Resource":"*"}}"#;
const DENY_IAM: &str = r#"{"Version":"2012-10-17","Statement":{"Sid":"NoIam","Effect":"Deny","Action":"iam:*","Resource":"*"}}"#;

// [LOGIC] any explicit deny wins; every SCP level must allow.
#[test]
fn policy_sets_and_scp_chains() {
    let flat = PolicySet::flat(vec![
        ("full.json".into(), scp(FULL)),
        ("deny-iam.json".into(), scp(DENY_IAM)),
    ]);
    let iam = RequestContext::new("iam:CreateUser");
    assert_eq!(
        flat.decide(&iam),
        SetVerdict::Explicit {
            level: "policies",
            policy: "deny-iam.json",
            statement: "NoIam"
        }
    );
    let d = flat.evaluate(&iam);
    assert_eq!(d.denial.unwrap().to_string(), "NoIam in deny-iam.json");
    assert!(!flat
        .decide(&RequestContext::new("ec2:RunInstances"))
        .denied());

    let chain = PolicySet::chain(vec![
        ("root".into(), vec![("FullAWSAccess".into(), scp(FULL))]),
        (
            "ou".into(),
            vec![
                ("S3Only".into(), scp(ALLOW_S3)),
                ("NoIam".into(), scp(DENY_IAM)),
            ],
        ),
        ("account".into(), vec![("FullAWSAccess".into(), scp(FULL))]),
    ]);
    assert!(!chain.decide(&RequestContext::new("s3:GetObject")).denied());
    assert_eq!(
        chain.decide(&RequestContext::new("ec2:RunInstances")),
        SetVerdict::Implicit { level: "ou" }
    );
    let d = chain.evaluate(&RequestContext::new("ec2:RunInstances"));
    assert_eq!(d.denial, Some(Denial::Implicit { level: "ou".into() }));
    // The explicit deny is named before the implicit one.
    assert!(matches!(
        chain.decide(&iam),
        SetVerdict::Explicit {
            statement: "NoIam",
            ..
        }
    ));
    // The management account is not subject to any level.
    let mgmt = RequestContext::new("ec2:RunInstances").with_management_account(true);
    assert_eq!(
        chain.decide(&mgmt),
        SetVerdict::NotDenied {
            exemption: Some(rules::MANAGEMENT_ACCOUNT)
        }
    );
    assert!(!chain.evaluate(&mgmt).denied);
}

/// One compiled policy shared by the chains of two accounts (the org-policies case).
#[test]
fn chains_share_compiled_policies() {
    let root = std::sync::Arc::new(scp(FULL));
    let deny = std::sync::Arc::new(scp(DENY_IAM));
    let mut a = PolicySet::new();
    let mut b = PolicySet::new();
    for set in [&mut a, &mut b] {
        set.add_shared_level(
            "root",
            true,
            vec![
                ("FullAWSAccess".into(), root.clone()),
                ("NoIam".into(), deny.clone()),
            ],
        );
    }
    b.add_level("account", true, vec![("S3Only".into(), scp(ALLOW_S3))]);
    let ec2 = RequestContext::new("ec2:RunInstances");
    assert!(!a.decide(&ec2).denied());
    assert_eq!(b.decide(&ec2), SetVerdict::Implicit { level: "account" });
    assert_eq!(std::sync::Arc::strong_count(&root), 3);
    fn send_sync<T: Send + Sync>(_: &T) {}
    send_sync(&a);
}

#[test]
fn set_helpers_compile_and_name_the_policy_in_errors() {
    let full = doc(FULL);
    let deny = doc(DENY_IAM);
    let d = evaluate_set(
        &[("a.json", &full), ("b.json", &deny)],
        PolicyType::Scp,
        &RequestContext::new("iam:CreateUser"),
    )
    .unwrap();
    assert!(d.denied && d.policies.len() == 2);
    let bad = doc(r#"{"Statement":{"Effect":"Deny","Action":"*"}}"#);
    let e = evaluate_set(
        &[("a.json", &full), ("old.json", &bad)],
        PolicyType::Scp,
        &ctx(),
    )
    .unwrap_err();
    assert!(e.to_string().starts_with("old.json: an SCP needs"), "{e}");
    let allow_s3 = doc(ALLOW_S3);
    let levels: [(&str, &[(&str, &PolicyDocument)]); 2] = [
        ("root", &[("full", &full)]),
        ("account", &[("s3", &allow_s3)]),
    ];
    let d = evaluate_chain(&levels, &RequestContext::new("ec2:RunInstances")).unwrap();
    assert_eq!(
        d.denial,
        Some(Denial::Implicit {
            level: "account".into()
        })
    );
}

// Issue 32, point 1. IAM User Guide, "IAM policy elements: Variables and tags": "You can't use a
// variable to replace parts of the ARN before the fifth colon, such as the service or account."
#[test]
fn a_variable_before_the_fifth_colon_of_a_resource_is_refused() {
    for resource in [
        "arn:aws:s3:${aws:username}::b/*",
        "arn:${aws:username}:s3:::b/*",
        "arn:aws:iam::${aws:PrincipalAccount}:user/*",
        "${aws:username}",
    ] {
        let d = doc(&format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Sid":"Early","Effect":"Deny","Action":"s3:*","Resource":"{resource}"}}}}"#
        ));
        let e = CompiledPolicy::new(&d, PolicyType::Scp)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("statement Early: Resource: ") && e.contains("before the fifth colon"),
            "{resource}: {e}"
        );
        assert!(e.contains(&crate::origin::excerpt(resource)), "{e}");
    }
    // After the fifth colon it is substituted; under Version 2008-10-17 it is text, allowed.
    let late = doc(
        r#"{"Version":"2012-10-17","Statement":{"Sid":"Late","Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}/*"}}"#,
    );
    let ctx = RequestContext::new("s3:GetObject")
        .with("aws:username", "alice")
        .with_resource("arn:aws:s3:::b/alice/x");
    assert!(evaluate(&late, &ctx).unwrap().denied);
    let old = doc(
        r#"{"Statement":{"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:${aws:username}::b/*"}}"#,
    );
    assert!(!evaluate(&old, &ctx).unwrap().denied);
}

// Issue 32, point 2. IAM User Guide, "IAM JSON policy elements: Condition operators", Boolean
// condition operators: "You can use a policy variable with the Boolean condition operator."
#[test]
fn bool_takes_a_policy_variable_and_names_the_conflict_of_the_pages() {
    let cond = r#"{"Bool":{"aws:SecureTransport":"${aws:PrincipalTag/require-tls}"}}"#;
    let req = |tls: &str, tag: Option<&str>| {
        let c = ctx().with("aws:SecureTransport", tls);
        match tag {
            Some(t) => c.with("aws:PrincipalTag/require-tls", t),
            None => c,
        }
    };
    assert!(denied(cond, &req("true", Some("true"))));
    assert!(!denied(cond, &req("false", Some("true"))));
    assert!(denied(cond, &req("false", Some("FALSE"))));
    // No value for the variable, or a value that is not a boolean: the value matches nothing.
    assert!(!denied(cond, &req("true", None)));
    assert!(!denied(cond, &req("true", Some("maybe"))));
    // A default applies as for the String operators.
    let with_default = r#"{"Bool":{"aws:SecureTransport":"${aws:PrincipalTag/x, 'true'}"}}"#;
    assert!(denied(with_default, &req("true", None)));
    let d = evaluate(&policy(cond), &req("true", Some("true"))).unwrap();
    assert!(
        d.notes.iter().any(
            |n| n.contains("You can use a policy variable with the Boolean")
                && n.contains("policy variables page lists Boolean")
        ),
        "{:?}",
        d.notes
    );
    // A fixed value is still checked.
    assert!(error(r#"{"Bool":{"a":"yes"}}"#).contains("not true or false"));
}

// Issue 32, point 3. IAM Access Analyzer policy check reference: the Null operator with
// ForAllValues always returns true, with ForAnyValue always false.
#[test]
fn null_with_a_set_operator_answers_as_access_analyzer_documents() {
    let all = r#"{"ForAllValues:Null":{"aws:TagKeys":"true"}}"#;
    let any = r#"{"ForAnyValue:Null":{"aws:TagKeys":"false"}}"#;
    for c in [
        ctx(),
        ctx().with_values("aws:TagKeys", &[]),
        ctx().with_values("aws:TagKeys", &["a", "b"]),
    ] {
        assert!(denied(all, &c), "{c:?}");
        assert!(denied(&all.replace("true", "false"), &c), "{c:?}");
        assert!(!denied(any, &c), "{c:?}");
        assert!(!denied(&any.replace("false", "true"), &c), "{c:?}");
    }
    let d = evaluate(&policy(all), &ctx()).unwrap();
    assert!(
        d.notes
            .iter()
            .any(|n| n.contains("statement S: ForAllValues:Null aws:TagKeys")
                && n.contains("Access Analyzer")),
        "{:?}",
        d.notes
    );
    assert_eq!(
        d.statements[0].conditions[0].reason,
        "ForAllValues:Null always matches (IAM Access Analyzer policy check reference)"
    );
    assert!(error(r#"{"ForAnyValue:Null":{"a":"yes"}}"#).contains("not true or false"));
}

// Issue 32, point 4. AWS Organizations User Guide, "RCP syntax": "The effect of Allow is only
// supported for the RCPFullAWSAccess policy."
#[test]
fn an_rcp_allows_only_as_rcp_full_aws_access_does() {
    let full = doc(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#,
    );
    assert!(CompiledPolicy::new(&full, PolicyType::Rcp).is_ok());
    for statement in [
        r#"{"Sid":"Narrow","Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}"#,
        r#"{"Sid":"Narrow","Effect":"Allow","Principal":"*","Action":"*","Resource":"arn:aws:s3:::b/*"}"#,
        r#"{"Sid":"Narrow","Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}"#,
        r#"{"Sid":"Narrow","Effect":"Allow","Principal":"*","Action":"*","NotResource":"*"}"#,
    ] {
        let d = doc(&format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"D","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}},{statement}]}}"#
        ));
        let e = CompiledPolicy::new(&d, PolicyType::Rcp)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("statement Narrow: Effect: Allow in an RCP")
                && e.contains("only supported for the RCPFullAWSAccess policy"),
            "{statement}: {e}"
        );
        // The same statement is fine in an SCP (without its Principal).
        let scp = doc(&format!(
            r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
            statement.replace(r#""Principal":"*","#, "")
        ));
        assert!(
            CompiledPolicy::new(&scp, PolicyType::Scp).is_ok(),
            "{statement}"
        );
    }
}

// Issue 32, point 6. A request value the operator cannot read: IAM User Guide, "IAM JSON policy
// elements: Condition operators" gives each operator a type ("Numeric condition operators let you
// construct Condition elements that restrict access based on comparing a key to an integer or
// decimal value"); a value of another type has no documented answer, so it is refused, naming
// the key, the operator and the value.
#[test]
fn a_value_the_operator_cannot_read_is_refused_not_matched() {
    let cases = [
        (
            r#"{"NumericNotEquals":{"s3:max-keys":"10"}}"#,
            "s3:max-keys",
            "soon",
            "a number",
        ),
        (
            r#"{"ArnNotLike":{"aws:ResourceArn":"arn:aws:s3:::b/*"}}"#,
            "aws:ResourceArn",
            "not-an-arn",
            "an ARN",
        ),
        (
            r#"{"DateLessThan":{"aws:ResourceTag/until":"2026-01-01"}}"#,
            "aws:ResourceTag/until",
            "tomorrow",
            "an ISO 8601 date",
        ),
        (
            r#"{"NotIpAddress":{"aws:ResourceTag/net":"10.0.0.0/8"}}"#,
            "aws:ResourceTag/net",
            "corp",
            "an IP address",
        ),
        (
            r#"{"ForAnyValue:NumericLessThan":{"s3:max-keys":"10"}}"#,
            "s3:max-keys",
            "many",
            "a number",
        ),
    ];
    for (cond, key, value, takes) in cases {
        let p = CompiledPolicy::new(&policy(cond), PolicyType::Identity).unwrap();
        let c = ctx().with(key, value);
        let e = p.check_request(&c).unwrap_err();
        let shown = crate::origin::excerpt(value);
        assert_eq!(
            (e.key.as_str(), e.value.as_str()),
            (key, shown.as_str()),
            "{cond}"
        );
        let text = e.to_string();
        let operator = cond.split('"').nth(1).unwrap();
        assert!(
            text.starts_with(&format!("{key}={shown}: {operator} reads {key} as {takes}"))
                && text.contains("statement S"),
            "{text}"
        );
        // A readable value, or none, is not refused.
        assert!(p.check_request(&ctx()).is_ok());
        // The set names the policy.
        let set = PolicySet::flat(vec![("p.json".into(), p.clone())]);
        assert!(set
            .check_request(&c)
            .unwrap_err()
            .to_string()
            .contains("statement S in p.json"));
    }
    let p = CompiledPolicy::new(
        &policy(r#"{"NumericNotEquals":{"s3:max-keys":"10"}}"#),
        PolicyType::Scp,
    )
    .unwrap();
    assert!(p.check_request(&ctx().with("s3:max-keys", "11")).is_ok());
    // String operators and Null read any value.
    let s = CompiledPolicy::new(
        &policy(r#"{"StringNotEquals":{"s3:max-keys":"10"},"Null":{"s3:max-keys":"false"}}"#),
        PolicyType::Identity,
    )
    .unwrap();
    assert!(s.check_request(&ctx().with("s3:max-keys", "soon")).is_ok());
    // A statement whose action does not match the request reads none of its conditions; an
    // exempt request (management account) reads none either.
    let other = doc(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"ec2:*","Resource":"*","Condition":{"NumericNotEquals":{"s3:max-keys":"10"}}}}"#,
    );
    let other = CompiledPolicy::new(&other, PolicyType::Scp).unwrap();
    assert!(other
        .check_request(&ctx().with("s3:max-keys", "soon"))
        .is_ok());
    assert!(p
        .check_request(
            &ctx()
                .with("s3:max-keys", "soon")
                .with_management_account(true)
        )
        .is_ok());
}

mod one_pass {
    use super::*;
    use proptest::prelude::*;

    /// Two SCP levels whose statements read typed keys (a Deny before an unreadable value in a
    /// later statement and a later policy), an Allow on some actions only.
    fn set() -> PolicySet {
        let p = |json: &str| CompiledPolicy::new(&doc(json), PolicyType::Scp).unwrap();
        let a = p(r#"{"Version":"2012-10-17","Statement":[
            {"Sid":"Allow","Effect":"Allow","Action":["s3:*","ec2:Describe*"],"Resource":"*"},
            {"Sid":"Net","Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddressIfExists":{"aws:SourceIp":["192.0.2.0/24","2001:db8::/32"]}}},
            {"Sid":"Mfa","Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::b/*","Condition":{"NumericGreaterThan":{"aws:MultiFactorAuthAge":"3600"}}}]}"#);
        let b = p(r#"{"Version":"2012-10-17","Statement":[
            {"Sid":"Full","Effect":"Allow","Action":"*","Resource":"*"},
            {"Sid":"Who","Effect":"Deny","Action":"*","Resource":"*","Condition":{"ArnNotLike":{"aws:PrincipalArn":["arn:aws:iam::*:user/ok-*","arn:aws:iam::111122223333:user/admin"]}}}]}"#);
        PolicySet::chain(vec![
            ("root".into(), vec![("b".into(), b.clone())]),
            ("account".into(), vec![("a".into(), a), ("b2".into(), b)]),
        ])
    }

    proptest! {
        #[test]
        fn decide_checked_is_check_then_decide(
            action in prop::sample::select(vec!["s3:GetObject", "ec2:DescribeVpcs", "iam:CreateUser", "sts:GetCallerIdentity"]),
            resource in prop::option::of(prop::sample::select(vec!["arn:aws:s3:::b/k", "arn:aws:s3:::c"])),
            ip in prop::option::of(prop::sample::select(vec!["192.0.2.7", "198.51.100.1", "2001:db8::1", "bad"])),
            age in prop::option::of(prop::sample::select(vec!["10", "7200", "soon"])),
            arn in prop::option::of(prop::sample::select(vec![
                "arn:aws:iam::111122223333:user/ok-1", "arn:aws:iam::111122223333:user/admin",
                "arn:aws:iam::111122223333:user/x", "arn:aws:iam::111122223333:role/aws-service-role/x", "nope"])),
        ) {
            let mut ctx = RequestContext::new(action);
            if let Some(r) = resource { ctx = ctx.with_resource(r); }
            for (k, v) in [("aws:SourceIp", ip), ("aws:MultiFactorAuthAge", age), ("aws:PrincipalArn", arn)] {
                if let Some(v) = v { ctx = ctx.with(k, v); }
            }
            let set = set();
            let two = set.check_request(&ctx).ok().map(|_| set.decide(&ctx));
            prop_assert_eq!(set.decide_checked(&ctx), two);
        }
    }
}

/// The fast path (keys resolved once per request for a whole set, typed values read once,
/// action sets, one loop for `decide` and `decide_checked`) against the plain evaluation (the
/// traced `evaluate`, which reads the request key by key, and `check_request`), on random sets
/// of policies and random requests.
mod fast_path {
    use super::*;
    use proptest::prelude::*;

    /// (operator, key, policy values); keys in random case are drawn from these.
    const CONDITIONS: &[(&str, &str, &[&str])] = &[
        (
            "IpAddress",
            "aws:SourceIp",
            &["10.0.0.0/8", "2001:db8::/32"],
        ),
        (
            "NotIpAddressIfExists",
            "aws:SourceIp",
            &["10.0.0.0/8", "192.0.2.7"],
        ),
        ("NotIpAddress", "aws:SourceIp", &["2001:db8::/32"]),
        ("ForAnyValue:IpAddress", "aws:SourceIp", &["192.0.2.0/24"]),
        (
            "ArnNotLike",
            "aws:PrincipalArn",
            &[
                "arn:aws:iam::*:role/a*",
                "arn:aws:iam::111122223333:role/ab",
            ],
        ),
        (
            "ArnLikeIfExists",
            "aws:PrincipalArn",
            &["arn:aws:iam::111122223333:role/ab"],
        ),
        (
            "ArnNotEquals",
            "aws:PrincipalArn",
            &["arn:aws:iam::111122223333:role/ab"],
        ),
        ("StringLike", "aws:PrincipalArn", &["*role/a*"]),
        (
            "StringNotEquals",
            "aws:RequestedRegion",
            &["eu-west-1", "eu-central-1"],
        ),
        (
            "StringEqualsIgnoreCase",
            "aws:RequestedRegion",
            &["EU-west-1"],
        ),
        (
            "StringNotEqualsIgnoreCaseIfExists",
            "aws:RequestedRegion",
            &["us-east-1"],
        ),
        ("StringLike", "aws:RequestedRegion", &["eu-*", "us-?ast-1"]),
        ("ForAnyValue:StringNotEquals", "aws:TagKeys", &["a", "B"]),
        ("ForAllValues:StringEquals", "aws:TagKeys", &["a", "b"]),
        ("StringEquals", "aws:TagKeys", &["a"]),
        ("ForAllValues:Null", "aws:TagKeys", &["true"]),
        (
            "NumericGreaterThanIfExists",
            "aws:MultiFactorAuthAge",
            &["3600"],
        ),
        ("NumericLessThan", "aws:MultiFactorAuthAge", &["10", "100"]),
        ("BoolIfExists", "aws:ViaAWSService", &["false"]),
        ("Bool", "aws:ViaAWSService", &["true"]),
        ("Null", "aws:SourceVpc", &["true"]),
        ("Null", "aws:SourceIp", &["false"]),
        ("StringNotEqualsIfExists", "aws:SourceVpc", &["vpc-1"]),
        (
            "StringEquals",
            "aws:PrincipalTag/team",
            &["${aws:username}", "x"],
        ),
        ("DateLessThan", "aws:CurrentTime", &["2026-01-01T00:00:00Z"]),
    ];

    /// Request values for each key of [`CONDITIONS`]: good, odd and bad ones.
    const VALUES: &[(&str, &[&str])] = &[
        (
            "aws:SourceIp",
            &[
                "10.1.2.3",
                "192.0.2.7",
                "2001:db8::1",
                "::1",
                "bad",
                " 10.0.0.1",
                "10.0.0.256",
            ],
        ),
        (
            "aws:PrincipalArn",
            &[
                "arn:aws:iam::111122223333:role/ab",
                "arn:aws:iam::1:role/aws-service-role/x",
                "nope",
                "arn:aws:iam::1:user/a",
                "arn:aws:iam::1:role/a:b",
            ],
        ),
        (
            "aws:RequestedRegion",
            &["eu-west-1", "EU-WEST-1", "us-east-1", ""],
        ),
        ("aws:TagKeys", &["a", "b", "B", "c"]),
        ("aws:MultiFactorAuthAge", &["120", "7200", "soon", "5"]),
        ("aws:ViaAWSService", &["true", "false", "yes"]),
        ("aws:SourceVpc", &["vpc-1", "vpc-2"]),
        ("aws:PrincipalTag/team", &["x", "alice"]),
        ("aws:username", &["alice", "bob"]),
        (
            "aws:CurrentTime",
            &["2025-06-01T00:00:00Z", "2027-01-01", "later"],
        ),
    ];

    const ACTIONS: &[&str] = &[
        "*",
        "s3:*",
        "s3:Get*",
        "S3:GetObject",
        "iam:CreateUser",
        "ec2:*Instances",
        "s3:Get?bject",
        "iam:*",
        "sts:*",
        "s3:PutBucketTagging",
    ];
    const REQUEST_ACTIONS: &[&str] = &[
        "s3:GetObject",
        "S3:getobject",
        "iam:CreateUser",
        "ec2:RunInstances",
        "sts:GetCallerIdentity",
        "s3express:CreateSession",
        "s3:PutBucketTagging",
    ];

    /// A key name in random case: key names compare case-insensitively.
    fn recase(key: &str, mask: u64) -> String {
        key.chars()
            .enumerate()
            .map(|(i, c)| {
                if mask >> (i % 64) & 1 == 1 {
                    c.to_ascii_uppercase()
                } else {
                    c
                }
            })
            .collect()
    }

    fn statement() -> impl Strategy<Value = serde_json::Value> {
        (
            any::<bool>(),
            any::<bool>(),
            proptest::sample::subsequence(ACTIONS.to_vec(), 1..4),
            prop_oneof![Just(None), Just(Some("*")), Just(Some("arn:aws:s3:::b/*"))],
            proptest::collection::vec((0..CONDITIONS.len(), any::<u64>()), 0..4),
        )
            .prop_map(|(deny, not_action, actions, resource, conditions)| {
                let mut s = serde_json::json!({
                    "Effect": if deny { "Deny" } else { "Allow" },
                    if not_action && deny { "NotAction" } else { "Action" }: actions,
                });
                if let Some(r) = resource {
                    s["Resource"] = r.into();
                }
                let mut block = serde_json::Map::new();
                for (i, mask) in conditions {
                    let (op, key, values) = CONDITIONS[i];
                    let entry = block.entry(op).or_insert_with(|| serde_json::json!({}));
                    entry[recase(key, mask)] = serde_json::json!(values);
                }
                if !block.is_empty() {
                    s["Condition"] = block.into();
                }
                s
            })
    }

    fn policy() -> impl Strategy<Value = CompiledPolicy> {
        proptest::collection::vec(statement(), 1..5).prop_map(|statements| {
            let doc = serde_json::json!({"Version": "2012-10-17", "Statement": statements});
            CompiledPolicy::new(&PolicyDocument::from_value(&doc).unwrap(), PolicyType::Scp)
                .unwrap()
        })
    }

    fn request() -> impl Strategy<Value = RequestContext> {
        (
            proptest::sample::select(REQUEST_ACTIONS.to_vec()),
            prop_oneof![
                Just(None),
                Just(Some("arn:aws:s3:::b/k")),
                Just(Some("arn:aws:s3:::c"))
            ],
            proptest::bits::u8::ANY.prop_map(|b| b & 1 == 1),
            proptest::collection::vec(
                (
                    0..VALUES.len(),
                    any::<u64>(),
                    proptest::collection::vec(0usize..8, 0..3),
                ),
                0..8,
            ),
        )
            .prop_map(|(action, resource, mgmt, keys)| {
                let mut ctx = RequestContext::new(action)
                    .with_management_account(mgmt && action.starts_with("ec2"));
                if let Some(r) = resource {
                    ctx = ctx.with_resource(r);
                }
                for (k, mask, picks) in keys {
                    let (key, pool) = VALUES[k];
                    let values: Vec<&str> = picks.iter().map(|i| pool[i % pool.len()]).collect();
                    // Several calls for one key add values; none gives an empty set.
                    ctx = ctx.with_values(&recase(key, mask), &values);
                }
                ctx
            })
    }

    fn denial(v: &SetVerdict<'_>) -> Option<Denial> {
        match *v {
            SetVerdict::NotDenied { .. } => None,
            SetVerdict::Explicit {
                level,
                policy,
                statement,
            } => Some(Denial::Explicit {
                level: level.into(),
                policy: policy.into(),
                statement: statement.into(),
            }),
            SetVerdict::Implicit { level } => Some(Denial::Implicit {
                level: level.into(),
            }),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn decide_answers_as_the_traced_evaluation(
            root in proptest::collection::vec(policy(), 1..3),
            account in proptest::collection::vec(policy(), 1..4),
            requests in proptest::collection::vec(request(), 1..6),
        ) {
            let label = |l: &str, v: Vec<CompiledPolicy>| -> Vec<(String, CompiledPolicy)> {
                v.into_iter().enumerate().map(|(i, p)| (format!("{l}{i}"), p)).collect()
            };
            let chain = PolicySet::chain(vec![
                ("root".into(), label("r", root.clone())),
                ("account".into(), label("a", account.clone())),
            ]);
            let flat = PolicySet::flat(label("p", account.iter().chain(&root).cloned().collect()));
            for ctx in &requests {
                for set in [&chain, &flat] {
                    let fast = set.decide(ctx);
                    let traced = set.evaluate(ctx);
                    prop_assert_eq!(denial(&fast), traced.denial.clone(), "{:?}", ctx);
                    let two = set.check_request(ctx).ok().map(|_| set.decide(ctx));
                    prop_assert_eq!(set.decide_checked(ctx), two, "{:?}", ctx);
                }
                for p in root.iter().chain(&account) {
                    let fast = p.decide(ctx);
                    let traced = p.evaluate(ctx);
                    prop_assert_eq!(fast.deny.map(|i| p.statement_label(i).to_string()), traced.statement, "{:?}", ctx);
                    if fast.deny.is_none() {
                        // `allow` is meaningful without a deny (decide stops at the first).
                        prop_assert_eq!(fast.allow, traced.allowed, "{:?}", ctx);
                    }
                    prop_assert_eq!(fast.exemption, traced.exemption.as_deref());
                    let two = p.check_request(ctx).ok().map(|_| p.decide(ctx));
                    prop_assert_eq!(p.decide_checked(ctx), two, "{:?}", ctx);
                }
            }
        }
    }
}
