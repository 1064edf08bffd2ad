use super::*;

const CONTENT: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","198.51.100.7","2001:db8::/32"]},"Bool":{"aws:ViaAWSService":"false"}}}]}"#;

fn ou(id: &str) -> TargetId {
    TargetId::ou(id).unwrap()
}

fn full_access() -> AttachedPolicy {
    AttachedPolicy {
        id: "p-FullAWSAccess".into(),
        name: FULL_AWS_ACCESS.into(),
        aws_managed: true,
        allows: None,
    }
}

fn custom(name: &str, allows: Option<bool>) -> AttachedPolicy {
    AttachedPolicy {
        id: format!("p-{name}"),
        name: name.into(),
        aws_managed: false,
        allows,
    }
}

fn desired(targets: &[&str]) -> Desired {
    Desired {
        name: "Restrict".into(),
        description: "d".into(),
        content: CONTENT.into(),
        targets: targets.iter().map(|t| ou(t)).collect(),
        policy_type: OrgPolicyType::ServiceControl,
        per_target: 10,
    }
}

fn managed(content: &str) -> ObservedPolicy {
    ObservedPolicy {
        id: "p-12345678".into(),
        name: "Restrict".into(),
        description: "d".into(),
        content: content.into(),
        managed: true,
    }
}

fn observed(policy: Option<ObservedPolicy>, targets: Vec<ObservedTarget>) -> Observed {
    Observed {
        root_id: "r-abcd".into(),
        type_enabled: true,
        policy,
        attached_to: BTreeSet::new(),
        targets,
    }
}

fn target(id: &str, attached: Vec<AttachedPolicy>) -> ObservedTarget {
    ObservedTarget {
        id: ou(id),
        attached,
    }
}

const OU1: &str = "ou-abcd-11111111";
const OU2: &str = "ou-abcd-22222222";

fn actions(plan: &Plan) -> Vec<String> {
    plan.changes
        .iter()
        .map(|c| {
            serde_json::to_value(c).unwrap()["action"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn target_ids_are_validated_with_a_message_naming_the_flag_and_value() {
    assert!(TargetId::ou("ou-abcd-12345678").is_ok());
    assert!(TargetId::ou("ou-ab12cd34ef56gh78ij90kl12mn34op56-abcdefgh12345678").is_ok());
    for bad in [
        "ou-abc-12345678",
        "ou-abcd-1234567",
        "OU-abcd-12345678",
        "ou-ABCD-12345678",
        "r-abcd",
        "ou-abcd",
        "",
    ] {
        let e = TargetId::ou(bad).unwrap_err().to_string();
        assert!(e.contains("--ou") && e.contains(&format!("{bad:?}")), "{e}");
    }
    assert!(TargetId::account("123456789012").is_ok());
    for bad in [
        "12345678901",
        "1234567890123",
        "12345678901a",
        "ou-abcd-12345678",
    ] {
        assert!(TargetId::account(bad)
            .unwrap_err()
            .to_string()
            .contains("12 digits"));
    }
    assert!(TargetId::root("r-ab12").is_ok());
    assert!(TargetId::root("r-ab").is_err());
}

#[test]
fn fresh_organization_gets_enable_create_and_one_attach_per_target() {
    let mut obs = observed(
        None,
        vec![
            target(OU1, vec![full_access()]),
            target(OU2, vec![full_access()]),
        ],
    );
    obs.type_enabled = false;
    let plan = plan_apply(&desired(&[OU1, OU2]), &obs).unwrap();
    assert_eq!(
        actions(&plan),
        [
            "enable_policy_type",
            "create_policy",
            "attach_policy",
            "attach_policy"
        ]
    );
    let json = serde_json::to_value(&plan.changes[2]).unwrap();
    assert_eq!(json["target"], OU1);
    assert_eq!(json["policy"], "Restrict");
    assert_eq!(serde_json::to_value(&plan.changes[1]).unwrap()["cidrs"], 3);
}

#[test]
fn up_to_date_organization_gives_no_changes() {
    let mut obs = observed(Some(managed(CONTENT)), vec![]);
    obs.attached_to = [OU1.to_string(), OU2.to_string()].into();
    let plan = plan_apply(&desired(&[OU1, OU2]), &obs).unwrap();
    assert!(plan.changes.is_empty(), "{:?}", plan.changes);
}

#[test]
fn semantic_equality_ignores_spelling_but_not_meaning() {
    let respelled = r#"{
        "Version": "2012-10-17",
        "Statement": {"Sid":"A","Effect":"Deny","Action":["*"],"Resource":"*",
          "Condition":{"Bool":{"aws:ViaAWSService":false},
            "NotIpAddress":{"aws:SourceIp":["2001:db8::/32","198.51.100.7/32","192.0.2.0/25","192.0.2.128/25"]}}}
    }"#;
    assert!(same_policy(respelled, CONTENT));
    assert!(same_policy(CONTENT, CONTENT));
    let narrower = CONTENT.replace("192.0.2.0/24", "192.0.2.0/25");
    assert!(!same_policy(&narrower, CONTENT));
    let other_tag = CONTENT.replace("\"false\"", "\"true\"");
    assert!(!same_policy(&other_tag, CONTENT));
    assert!(!same_policy("not json", CONTENT));
}

#[test]
fn changed_cidrs_give_an_update_with_a_readable_diff() {
    let old = CONTENT.replace("\"192.0.2.0/24\",", "\"203.0.113.0/24\",");
    let plan = plan_apply(&desired(&[]), &observed(Some(managed(&old)), vec![])).unwrap();
    match &plan.changes[..] {
        [Change::UpdatePolicy {
            cidrs_added,
            cidrs_removed,
            content: Some(_),
            description: None,
            ..
        }] => {
            assert_eq!(cidrs_added, &["192.0.2.0/24"]);
            assert_eq!(cidrs_removed, &["203.0.113.0/24"]);
        }
        other => panic!("{other:?}"),
    }
    let text = plan.changes[0].to_string();
    assert!(
        text.contains("+ 192.0.2.0/24") && text.contains("- 203.0.113.0/24"),
        "{text}"
    );
}

#[test]
fn description_only_change_updates_without_content() {
    let mut p = managed(CONTENT);
    p.description = "old".into();
    let plan = plan_apply(&desired(&[]), &observed(Some(p), vec![])).unwrap();
    assert!(matches!(
        &plan.changes[..],
        [Change::UpdatePolicy { content: None, description: Some(d), .. }] if d == "d"
    ));
}

#[test]
fn a_policy_scpctl_did_not_create_is_never_touched() {
    let mut p = managed(CONTENT);
    p.managed = false;
    let errs = plan_apply(
        &desired(&[OU1]),
        &observed(Some(p.clone()), vec![target(OU1, vec![full_access()])]),
    )
    .unwrap_err();
    assert!(matches!(&errs[..], [PlanError::NotManaged { .. }]));
    assert!(errs[0].to_string().contains("p-12345678"));
    assert!(matches!(
        plan_destroy(OrgPolicyType::ServiceControl, &p, &[]).unwrap_err()[..],
        [PlanError::NotManaged { .. }]
    ));
    assert!(matches!(
        plan_detach(&p, &[]).unwrap_err()[..],
        [PlanError::NotManaged { .. }]
    ));
}

fn with_others(n: usize) -> Vec<AttachedPolicy> {
    let mut attached = vec![full_access()];
    attached.extend((1..n).map(|i| custom(&format!("P{i}"), Some(false))));
    attached
}

#[test]
fn a_target_at_the_scps_per_target_setting_is_refused_naming_the_target() {
    // AWS's quota since 2026-05-15: 10 SCPs per target (the default of the setting).
    let errs = plan_apply(
        &desired(&[OU1, OU2]),
        &observed(
            None,
            vec![
                target(OU1, with_others(10)),
                target(OU2, vec![full_access()]),
            ],
        ),
    )
    .unwrap_err();
    assert_eq!(errs.len(), 1);
    let msg = errs[0].to_string();
    assert!(
        msg.contains(OU1)
            && msg.contains("10 SCPs")
            && msg.contains("FullAWSAccess, P1, P2")
            && msg.contains("the limit is 10 ([limits] scps_per_target)"),
        "{msg}"
    );
    // Five attached, which the old quota refused, leave room for ours now.
    assert!(plan_apply(
        &desired(&[OU1]),
        &observed(None, vec![target(OU1, with_others(5))])
    )
    .is_ok());
    // Nine leave room for the tenth.
    assert!(plan_apply(
        &desired(&[OU1]),
        &observed(None, vec![target(OU1, with_others(9))])
    )
    .is_ok());
}

#[test]
fn an_organization_keeping_the_old_quota_sets_five() {
    let mut d = desired(&[OU1]);
    d.per_target = 5;
    let errs = plan_apply(&d, &observed(None, vec![target(OU1, with_others(5))])).unwrap_err();
    assert!(
        errs[0].to_string().contains("the limit is 5"),
        "{}",
        errs[0]
    );
    assert!(plan_apply(&d, &observed(None, vec![target(OU1, with_others(4))])).is_ok());
}

#[test]
fn a_target_without_an_allow_scp_is_refused_unless_another_policy_allows() {
    let errs = plan_apply(
        &desired(&[OU1]),
        &observed(
            None,
            vec![target(OU1, vec![custom("DenyAll", Some(false))])],
        ),
    )
    .unwrap_err();
    assert!(
        matches!(&errs[..], [PlanError::NoAllowScp { .. }]),
        "{errs:?}"
    );
    assert!(errs[0].to_string().contains("DenyAll"));
    let ok = plan_apply(
        &desired(&[OU1]),
        &observed(None, vec![target(OU1, vec![custom("MyAllow", Some(true))])]),
    );
    assert!(ok.is_ok());
    // Not enabled yet: AWS attaches FullAWSAccess everywhere when SCPs are enabled.
    let mut obs = observed(None, vec![target(OU1, vec![])]);
    obs.type_enabled = false;
    assert!(plan_apply(&desired(&[OU1]), &obs).is_ok());
}

#[test]
fn targeting_the_root_warns_about_the_management_account() {
    let mut d = desired(&[]);
    d.targets = vec![TargetId::root("r-abcd").unwrap()];
    let plan = plan_apply(
        &d,
        &observed(
            None,
            vec![ObservedTarget {
                id: d.targets[0].clone(),
                attached: vec![full_access()],
            }],
        ),
    )
    .unwrap();
    assert!(plan.warnings[0].contains("management account"));
}

#[test]
fn detach_touches_only_targets_holding_the_policy_and_keeps_one_scp() {
    let p = managed(CONTENT);
    let ours = AttachedPolicy {
        id: p.id.clone(),
        name: p.name.clone(),
        aws_managed: false,
        allows: Some(false),
    };
    let plan = plan_detach(
        &p,
        &[
            target(OU1, vec![full_access(), ours.clone()]),
            target(OU2, vec![full_access()]),
        ],
    )
    .unwrap();
    assert_eq!(actions(&plan), ["detach_policy"]);
    assert_eq!(
        serde_json::to_value(&plan.changes[0]).unwrap()["target"],
        OU1
    );

    let errs = plan_detach(&p, &[target(OU1, vec![ours.clone()])]).unwrap_err();
    assert!(matches!(&errs[..], [PlanError::LastPolicy { .. }]));

    let plan = plan_destroy(
        OrgPolicyType::ServiceControl,
        &p,
        &[target(OU1, vec![full_access(), ours])],
    )
    .unwrap();
    assert_eq!(actions(&plan), ["detach_policy", "delete_policy"]);
}

#[test]
fn policy_cidrs_reads_the_not_ip_address_list() {
    let set = policy_cidrs(CONTENT).unwrap();
    assert_eq!(
        set.compact_strings(),
        ["192.0.2.0/24", "198.51.100.7", "2001:db8::/32"]
    );
    assert!(
        policy_cidrs(r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#).is_none()
    );
}

#[test]
fn target_ids_from_aws_are_classified_by_prefix() {
    assert!(matches!(
        TargetId::from_aws("r-abcd"),
        Ok(TargetId::Root(_))
    ));
    assert!(matches!(TargetId::from_aws(OU1), Ok(TargetId::Ou(_))));
    assert!(matches!(
        TargetId::from_aws("123456789012"),
        Ok(TargetId::Account(_))
    ));
    assert!(TargetId::from_aws("p-1234").is_err());
}

#[test]
fn allow_statements_are_recognised() {
    assert!(has_allow_statement(
        r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#
    ));
    assert!(!has_allow_statement(CONTENT));
    assert!(!has_allow_statement("{"));
}

#[test]
fn the_same_planner_deploys_an_rcp() {
    let mut d = desired(&["ou-abcd-11111111"]);
    d.policy_type = OrgPolicyType::ResourceControl;
    d.per_target = crate::config::AWS_RCPS_PER_TARGET;
    let rcp_full = AttachedPolicy {
        id: "p-RCPFullAWSAccess".into(),
        name: RCP_FULL_AWS_ACCESS.into(),
        aws_managed: true,
        allows: None,
    };
    let mut obs = observed(
        None,
        vec![target("ou-abcd-11111111", vec![rcp_full.clone()])],
    );
    obs.type_enabled = false;
    let plan = plan_apply(&d, &obs).unwrap();
    assert_eq!(
        plan.changes[0],
        Change::EnablePolicyType {
            root: "r-abcd".into(),
            policy_type: "RESOURCE_CONTROL_POLICY"
        }
    );
    assert!(plan.changes[1]
        .to_string()
        .starts_with("create RCP Restrict"));
    assert!(
        plan.warnings[0].contains("RCPs do not affect the management account"),
        "{:?}",
        plan.warnings
    );
    let json = serde_json::to_string(&plan.changes[1]).unwrap();
    assert!(
        json.contains(r#""policy_type":"RESOURCE_CONTROL_POLICY""#),
        "{json}"
    );
    // RCPFullAWSAccess is the Allow; five RCPs fill a target.
    obs.type_enabled = true;
    assert!(plan_apply(&d, &obs).is_ok());
    let full = (0..4).map(|i| custom(&format!("r{i}"), Some(false)));
    obs.targets = vec![target(
        "ou-abcd-11111111",
        std::iter::once(rcp_full).chain(full).collect(),
    )];
    let err = plan_apply(&d, &obs).unwrap_err();
    assert!(
        err[0].to_string().contains("5 RCPs attached")
            && err[0]
                .to_string()
                .contains("AWS's quota of RCPs per target"),
        "{err:?}"
    );
}

#[test]
fn a_root_id_given_as_an_ou_points_to_root() {
    let e = TargetId::ou("r-3ppq").unwrap_err();
    assert!(e.to_string().contains("give --root"), "{e}");
    let e = TargetId::ou("ou-bad").unwrap_err();
    assert!(!e.to_string().contains("--root"), "{e}");
}
