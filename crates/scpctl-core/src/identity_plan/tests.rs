use super::*;

const DOC: &str = r#"{"Version":"2012-10-17","Statement":{"Sid":"DenyAccessOutsideEnterpriseNetwork","Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","203.0.113.0/24"]},"Bool":{"aws:ViaAWSService":"false"}}}}"#;
const ARN: &str = "arn:aws:iam::111122223333:policy/EnterpriseNetworkRestriction";
const NAME: &str = "EnterpriseNetworkRestriction";

fn user(n: &str) -> Entity {
    Entity::new(EntityKind::User, n)
}
fn group(n: &str) -> Entity {
    Entity::new(EntityKind::Group, n)
}
fn role(n: &str) -> Entity {
    Entity::new(EntityKind::Role, n)
}

fn desired(targets: Vec<Entity>) -> IdentityDesired {
    IdentityDesired {
        name: NAME.into(),
        description: "d".into(),
        document: DOC.into(),
        targets,
        inline: false,
        writer: Writer::Other,
        my_ip: None,
        allow_self_lockout: false,
    }
}

fn observed(entities: Vec<ObservedEntity>) -> IdentityObserved {
    IdentityObserved {
        account: "111122223333".into(),
        policy: None,
        entities,
        quotas: Quotas::default(),
    }
}

fn managed(document: &str, versions: usize) -> ObservedManaged {
    ObservedManaged {
        arn: ARN.into(),
        managed: true,
        document: document.into(),
        versions: (1..=versions)
            .map(|i| PolicyVersion {
                id: format!("v{i}"),
                is_default: i == versions,
                created: format!("2026-01-0{i}T00:00:00Z"),
            })
            .collect(),
        attached_to: vec![],
    }
}

fn actions(plan: &IdentityPlan) -> Vec<String> {
    plan.changes.iter().map(IdentityChange::action).collect()
}

#[test]
fn a_first_apply_creates_the_policy_and_attaches_it_to_each_kind() {
    let targets = vec![user("alice"), group("ops"), role("ci")];
    let entities = targets.iter().cloned().map(ObservedEntity::new).collect();
    let plan = plan_identity_apply(&desired(targets), &observed(entities)).unwrap();
    assert_eq!(
        actions(&plan),
        [
            "create_policy",
            "attach_user_policy",
            "attach_group_policy",
            "attach_role_policy"
        ]
    );
    let json = plan.changes[1].to_json();
    assert_eq!(json["user"], "alice");
    assert_eq!(json["policy"], NAME);
    assert_eq!(plan.changes[0].to_json()["cidrs"], 2);
}

#[test]
fn a_rerun_with_everything_in_place_changes_nothing() {
    let targets = vec![user("alice"), role("ci")];
    let mut obs = observed(vec![]);
    // IAM returns the document pretty-printed and in another key order: still the same.
    let mut p = managed(
        "{\n \"Statement\": {\"Effect\": \"Deny\", \"Sid\": \"DenyAccessOutsideEnterpriseNetwork\", \"Action\": \"*\", \"Resource\": \"*\", \"Condition\": {\"Bool\": {\"aws:ViaAWSService\": false}, \"NotIpAddress\": {\"aws:SourceIp\": [\"203.0.113.0/24\", \"192.0.2.0/24\"]}}},\n \"Version\": \"2012-10-17\"}",
        1,
    );
    p.attached_to = vec![user("ALICE"), role("ci")];
    obs.policy = Some(p);
    let plan = plan_identity_apply(&desired(targets), &obs).unwrap();
    assert!(plan.changes.is_empty(), "{:?}", plan.changes);
}

#[test]
fn a_content_change_is_a_new_version_and_the_oldest_non_default_goes_first_at_five() {
    let old = DOC.replace("203.0.113.0/24", "198.51.100.0/24");
    let mut obs = observed(vec![]);
    obs.policy = Some(managed(&old, 3));
    let plan = plan_identity_apply(&desired(vec![]), &obs).unwrap();
    assert_eq!(actions(&plan), ["create_policy_version"]);
    assert_eq!(
        plan.changes[0],
        IdentityChange::CreatePolicyVersion {
            policy: NAME.into(),
            cidrs_added: vec!["203.0.113.0/24".into()],
            cidrs_removed: vec!["198.51.100.0/24".into()],
        }
    );
    // Five versions, the default in the middle: v1 is the oldest non-default.
    let mut p = managed(&old, 5);
    p.versions[4].is_default = false;
    p.versions[2].is_default = true;
    obs.policy = Some(p);
    let plan = plan_identity_apply(&desired(vec![]), &obs).unwrap();
    assert_eq!(
        actions(&plan),
        ["delete_policy_version", "create_policy_version"]
    );
    assert_eq!(plan.changes[0].to_json()["version"], "v1");
    assert!(
        plan.changes[0]
            .to_string()
            .contains("the oldest non-default; IAM keeps 5"),
        "{}",
        plan.changes[0]
    );
}

#[test]
fn a_policy_scpctl_did_not_create_is_refused() {
    let mut obs = observed(vec![ObservedEntity::new(user("alice"))]);
    let mut p = managed(DOC, 1);
    p.managed = false;
    obs.policy = Some(p);
    let errors = plan_identity_apply(&desired(vec![user("alice")]), &obs).unwrap_err();
    assert!(matches!(&errors[0], IdentityPlanError::NotManaged { arn } if arn == ARN));
    assert!(errors[0].to_string().contains("ManagedBy=scpctl"));
}

#[test]
fn missing_and_protected_entities_are_all_named_before_any_write() {
    let mut gone = ObservedEntity::new(user("bob"));
    gone.exists = false;
    let sso = ObservedEntity::new(role("AWSReservedSSO_Admin_0123"));
    let mut linked = ObservedEntity::new(role("AWSServiceRoleForSupport"));
    linked.path = "/aws-service-role/support.amazonaws.com/".into();
    let targets = vec![
        user("bob"),
        group("nobody"),
        role("AWSReservedSSO_Admin_0123"),
        role("AWSServiceRoleForSupport"),
    ];
    let errors =
        plan_identity_apply(&desired(targets), &observed(vec![gone, sso, linked])).unwrap_err();
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(text.len(), 4, "{text:?}");
    assert!(text[0].contains("user bob not found in account 111122223333"));
    assert!(text[1].contains("group nobody not found"));
    assert!(text[2].contains("IAM Identity Center") && text[2].contains("permission set"));
    assert!(text[3].contains("service-linked"));
}

#[test]
fn the_attachment_quota_of_the_account_is_checked() {
    let mut e = ObservedEntity::new(role("ci"));
    e.attached = (0..10)
        .map(|i| format!("arn:aws:iam::aws:policy/P{i}"))
        .collect();
    let mut obs = observed(vec![e]);
    let errors = plan_identity_apply(&desired(vec![role("ci")]), &obs).unwrap_err();
    assert!(
        errors[0].to_string().contains("allows 10 per role"),
        "{}",
        errors[0]
    );
    obs.quotas.role_attached = 20;
    assert!(plan_identity_apply(&desired(vec![role("ci")]), &obs).is_ok());
}

#[test]
fn inline_copies_are_marked_sized_with_the_existing_ones_and_never_taken_over() {
    let mut d = desired(vec![user("alice")]);
    d.inline = true;
    let mut alice = ObservedEntity::new(user("alice"));
    alice.inline = vec![(
        "Other".into(),
        format!("{{\"x\":\"{}\"}}", "a".repeat(1900)),
    )];
    let errors = plan_identity_apply(&d, &observed(vec![alice.clone()])).unwrap_err();
    let msg = errors[0].to_string();
    assert!(
        msg.contains("may total 2048") && msg.contains("already holds 1908"),
        "{msg}"
    );
    assert!(
        msg.contains("A managed policy (6144 characters) holds it"),
        "{msg}"
    );

    alice.inline.clear();
    let plan = plan_identity_apply(&d, &observed(vec![alice.clone()])).unwrap();
    assert_eq!(actions(&plan), ["put_user_policy"]);

    // A same-named inline policy scpctl did not write is refused; its own copy is left alone.
    alice.inline = vec![(NAME.into(), DOC.into())];
    let errors = plan_identity_apply(&d, &observed(vec![alice.clone()])).unwrap_err();
    assert!(matches!(errors[0], IdentityPlanError::InlineNotOurs { .. }));
    let ours = crate::iam_doc::inline_document(DOC).unwrap();
    alice.inline = vec![(NAME.into(), ours.clone())];
    assert!(plan_identity_apply(&d, &observed(vec![alice.clone()]))
        .unwrap()
        .changes
        .is_empty());
    // Its own copy with a statement someone added is refused, naming it; destroy leaves it.
    let mut mixed: serde_json::Value = serde_json::from_str(&ours).unwrap();
    let extra =
        serde_json::json!({"Sid": "KeepMe", "Effect": "Deny", "Action": "s3:*", "Resource": "*"});
    match &mut mixed["Statement"] {
        serde_json::Value::Array(items) => items.push(extra),
        one => *one = serde_json::json!([one.clone(), extra]),
    }
    alice.inline = vec![(NAME.into(), mixed.to_string())];
    let errors = plan_identity_apply(&d, &observed(vec![alice.clone()])).unwrap_err();
    let msg = errors[0].to_string();
    assert!(
        matches!(errors[0], IdentityPlanError::InlineMixed { .. })
            && msg.contains("user alice")
            && msg.contains(NAME)
            && msg.contains("\"KeepMe\""),
        "{msg}"
    );
    let inline = vec![(user("alice"), alice.inline.clone())];
    let plan = plan_identity_destroy(NAME, None, &inline).unwrap();
    assert!(plan.changes.is_empty(), "{:?}", plan.changes);
    assert!(
        plan.warnings[0].contains("\"KeepMe\""),
        "{:?}",
        plan.warnings
    );
    // Its own copy with other CIDRs is updated.
    alice.inline = vec![(NAME.into(), ours.replace("192.0.2.0/24", "192.0.2.0/25"))];
    let plan = plan_identity_apply(&d, &observed(vec![alice])).unwrap();
    assert_eq!(plan.changes[0].to_json()["replaces"], true);
}

#[test]
fn a_policy_too_large_for_a_managed_policy_names_the_inline_role_form() {
    let mut d = desired(vec![role("ci")]);
    let cidrs: Vec<String> = (0..450)
        .map(|i| format!("\"10.{}.{}.0/24\"", i / 256, i % 256))
        .collect();
    d.document = DOC.replace(
        r#"["192.0.2.0/24","203.0.113.0/24"]"#,
        &format!("[{}]", cidrs.join(",")),
    );
    let errors =
        plan_identity_apply(&d, &observed(vec![ObservedEntity::new(role("ci"))])).unwrap_err();
    assert!(
        errors[0]
            .to_string()
            .contains("inline policy on a role (10240"),
        "{}",
        errors[0]
    );
    d.inline = true;
    assert!(plan_identity_apply(&d, &observed(vec![ObservedEntity::new(role("ci"))])).is_ok());
}

#[test]
fn the_writer_is_never_locked_out_without_consent() {
    let targets = vec![user("deployer"), group("admins"), role("other")];
    let entities: Vec<ObservedEntity> = targets.iter().cloned().map(ObservedEntity::new).collect();
    let mut d = desired(targets);
    d.writer = Writer::User {
        name: "Deployer".into(),
        groups: vec!["admins".into()],
    };
    let errors = plan_identity_apply(&d, &observed(entities.clone())).unwrap_err();
    assert_eq!(errors.len(), 2);
    assert!(errors[0]
        .to_string()
        .contains("user deployer in account 111122223333 is the identity"));
    assert!(errors[1]
        .to_string()
        .contains("group admins in account 111122223333 holds user Deployer"));

    d.my_ip = Some("198.51.100.7".parse().unwrap());
    assert!(
        plan_identity_apply(&d, &observed(entities.clone())).unwrap_err()[0]
            .to_string()
            .contains("198.51.100.7 is outside")
    );
    d.my_ip = Some("192.0.2.7".parse().unwrap());
    assert!(plan_identity_apply(&d, &observed(entities.clone())).is_ok());
    d.my_ip = None;
    d.allow_self_lockout = true;
    let plan = plan_identity_apply(&d, &observed(entities.clone())).unwrap();
    assert_eq!(plan.warnings.len(), 2);

    let mut d = desired(vec![role("OrganizationAccountAccessRole")]);
    d.writer = Writer::Role {
        name: "OrganizationAccountAccessRole".into(),
    };
    let e = ObservedEntity::new(role("OrganizationAccountAccessRole"));
    assert!(matches!(
        plan_identity_apply(&d, &observed(vec![e])).unwrap_err()[0],
        IdentityPlanError::SelfLockout { .. }
    ));
}

#[test]
fn a_new_version_is_checked_against_the_writer_already_holding_the_policy() {
    // An earlier run attached the policy to the writer's own user and one of its groups; the
    // config now drops the writer's network and this run targets someone else.
    let old = DOC.replace("203.0.113.0/24", "198.51.100.0/24");
    let mut p = managed(&old, 2);
    p.attached_to = vec![user("deployer"), group("admins"), user("carol")];
    let mut obs = observed(vec![ObservedEntity::new(user("bob"))]);
    obs.policy = Some(p);
    let mut d = desired(vec![user("bob")]);
    d.writer = Writer::User {
        name: "Deployer".into(),
        groups: vec!["Admins".into()],
    };
    d.my_ip = Some("198.51.100.7".parse().unwrap());
    let errors = plan_identity_apply(&d, &obs).unwrap_err();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors
        .iter()
        .all(|e| matches!(e, IdentityPlanError::SelfLockout { .. })));
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert!(
        text[0].contains("user deployer in account 111122223333 is the identity")
            && text[0].contains("198.51.100.7 is outside")
            && text[0].contains("already has EnterpriseNetworkRestriction attached"),
        "{text:?}"
    );
    assert!(text[1].contains("group admins in account 111122223333 holds user Deployer"));

    // Without --my-ip the writer's address is unknown: refused too.
    d.my_ip = None;
    assert_eq!(plan_identity_apply(&d, &obs).unwrap_err().len(), 2);
    // Inside the new CIDRs: the version and the attachment go ahead.
    d.my_ip = Some("203.0.113.9".parse().unwrap());
    let plan = plan_identity_apply(&d, &obs).unwrap();
    assert_eq!(
        actions(&plan),
        ["create_policy_version", "attach_user_policy"]
    );
    // Explicitly accepted: going ahead, with the warnings.
    d.my_ip = Some("198.51.100.7".parse().unwrap());
    d.allow_self_lockout = true;
    let plan = plan_identity_apply(&d, &obs).unwrap();
    assert_eq!(
        actions(&plan),
        ["create_policy_version", "attach_user_policy"]
    );
    assert_eq!(plan.warnings.len(), 2, "{:?}", plan.warnings);
    assert!(plan.warnings[0].contains("--allow-self-lockout"));

    // Same content: nothing changes where the policy is attached, nothing to check.
    d.allow_self_lockout = false;
    obs.policy.as_mut().unwrap().document = DOC.into();
    let plan = plan_identity_apply(&d, &obs).unwrap();
    assert_eq!(actions(&plan), ["attach_user_policy"]);
    // Another writer (a role) is not reached by the user and group attachments.
    obs.policy.as_mut().unwrap().document = old;
    d.writer = Writer::Role {
        name: "deployer".into(),
    };
    assert!(plan_identity_apply(&d, &obs).is_ok());
}

#[test]
fn a_role_trusting_a_service_is_warned_about() {
    let mut e = ObservedEntity::new(role("app"));
    e.service_principals = vec!["ec2.amazonaws.com".into()];
    let plan = plan_identity_apply(&desired(vec![role("app")]), &observed(vec![e])).unwrap();
    assert!(
        plan.warnings[0].contains("ec2.amazonaws.com"),
        "{:?}",
        plan.warnings
    );
}

#[test]
fn detach_and_destroy_remove_only_what_scpctl_wrote() {
    let mut p = managed(DOC, 3);
    p.attached_to = vec![user("alice"), group("ops")];
    let ours = crate::iam_doc::inline_document(DOC).unwrap();
    let mut alice = ObservedEntity::new(user("alice"));
    alice.inline = vec![(NAME.into(), ours.clone())];
    let mut bob = ObservedEntity::new(user("bob"));
    bob.inline = vec![(NAME.into(), DOC.into())];
    let plan = plan_identity_detach(NAME, Some(&p), &[alice, bob], "1").unwrap();
    assert_eq!(actions(&plan), ["detach_user_policy", "delete_user_policy"]);
    assert!(plan.warnings[0].contains("user bob"), "{:?}", plan.warnings);

    let inline = vec![(role("ci"), vec![(NAME.to_string(), ours)])];
    let plan = plan_identity_destroy(NAME, Some(&p), &inline).unwrap();
    assert_eq!(
        actions(&plan),
        [
            "detach_user_policy",
            "detach_group_policy",
            "delete_policy_version",
            "delete_policy_version",
            "delete_policy",
            "delete_role_policy"
        ]
    );
    // Every other version goes before the policy: none of them is "the oldest", none makes room.
    for c in plan
        .changes
        .iter()
        .filter(|c| c.action() == "delete_policy_version")
    {
        let text = c.to_string();
        assert!(
            !text.contains("oldest") && !text.contains("IAM keeps"),
            "{text}"
        );
        assert!(text.contains("other versions are gone"), "{text}");
        assert_eq!(c.to_json()["to_make_room"], false);
    }
    p.managed = false;
    assert!(plan_identity_destroy(NAME, Some(&p), &[]).is_err());
    assert!(plan_identity_destroy(NAME, None, &[])
        .unwrap()
        .changes
        .is_empty());
}
