//! SimulateCustomPolicy against mocked clients (the emulator does not evaluate SCP chains): the
//! ordered chain root first, typed context entries, paging, the decision with its details and
//! missing context values, AccessDenied naming the permission.

use aws_sdk_iam::error::ErrorMetadata;
use aws_sdk_iam::operation::simulate_custom_policy::{
    SimulateCustomPolicyError, SimulateCustomPolicyOutput,
};
use aws_sdk_iam::types::{
    EvaluationResult, OrganizationsDecisionDetail, PolicySourceType, Position, Statement,
};
use aws_smithy_mocks::{create_mock_http_client, mock, MockResponseInterceptor, Rule, RuleMode};
use scpctl_core::aws_checks::{compare, simulator_entries, Comparison};
use scpctl_core::eval::RequestContext;

use super::*;

/// A client over mocked answers, built by hand so aws-sdk-iam needs no `test-util` feature.
fn client(mode: RuleMode, rules: &[&Rule]) -> IamSimulator {
    let mut mocks = MockResponseInterceptor::new().rule_mode(mode);
    for rule in rules {
        mocks = mocks.with_rule(rule);
    }
    let conf = aws_sdk_iam::Config::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::from_static("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new(
            "AKIDEXAMPLE",
            "secret",
            None,
            None,
            "test",
        ))
        .http_client(create_mock_http_client())
        .interceptor(mocks)
        .build();
    IamSimulator::from_client(Client::from_conf(conf))
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

const FULL: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
const DENY: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"DenyOutsideNetworks","Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddressIfExists":{"aws:SourceIp":["203.0.113.0/24"]},"Bool":{"aws:ViaAWSService":"false"}}}]}"#;
const ACTION: &str = "s3:GetObject";
const BUCKET: &str = "arn:aws:s3:::reports/q4.csv";

fn chain() -> Vec<Vec<String>> {
    // Root: FullAWSAccess; OU: FullAWSAccess and scpctl's SCP; account: FullAWSAccess.
    vec![
        vec![FULL.to_string()],
        vec![FULL.to_string(), DENY.to_string()],
        vec![FULL.to_string()],
    ]
}

fn result(decision: PolicyEvaluationDecisionType, missing: &[&str]) -> EvaluationResult {
    let mut r = EvaluationResult::builder()
        .eval_action_name(ACTION)
        .eval_resource_name(BUCKET)
        .eval_decision(decision.clone())
        .organizations_decision_detail(
            OrganizationsDecisionDetail::builder()
                .allowed_by_organizations(decision == PolicyEvaluationDecisionType::Allowed)
                .build(),
        )
        .set_missing_context_values(Some(missing.iter().map(|s| s.to_string()).collect()));
    if decision == PolicyEvaluationDecisionType::ExplicitDeny {
        r = r.matched_statements(
            Statement::builder()
                .source_policy_id("OrderedOrganizationPolicyInputList.2.2")
                .source_policy_type(PolicySourceType::None)
                .start_position(Position::builder().line(1).column(37).build())
                .end_position(Position::builder().line(1).column(210).build())
                .build(),
        );
    }
    r.build().unwrap()
}

fn request_context() -> RequestContext {
    RequestContext::new(ACTION)
        .with_resource(BUCKET)
        .with("aws:SourceIp", "198.51.100.7")
        .with("aws:ViaAWSService", "false")
        .with("aws:MultiFactorAuthAge", "42")
        .with_values("aws:CalledVia", &["athena.amazonaws.com"])
        .with("aws:PrincipalTag/network-exempt", "false")
}

#[test]
fn the_chain_goes_root_first_with_typed_context_and_the_deny_is_agreed() {
    let sim = mock!(Client::simulate_custom_policy)
        .match_requests(|r| {
            let levels: Vec<&[String]> = r
                .ordered_organization_policy_input_list()
                .iter()
                .map(|l| l.service_control_policy_input_list())
                .collect();
            let typed: Vec<(&str, &str, &[String])> = r
                .context_entries()
                .iter()
                .map(|e| {
                    (
                        e.context_key_name().unwrap_or_default(),
                        e.context_key_type().map_or("", |t| t.as_str()),
                        e.context_key_values(),
                    )
                })
                .collect();
            levels
                == vec![
                    &[FULL.to_string()][..],
                    &[FULL.to_string(), DENY.to_string()][..],
                    &[FULL.to_string()][..],
                ]
                && r.policy_input_list() == [ALLOW_ALL.to_string()]
                && r.action_names() == [ACTION.to_string()]
                && r.resource_arns() == [BUCKET.to_string()]
                && r.caller_arn() == Some("arn:aws:iam::111122223333:user/alice")
                && typed.contains(&("aws:SourceIp", "ip", &["198.51.100.7".to_string()][..]))
                && typed.contains(&("aws:ViaAWSService", "boolean", &["false".to_string()][..]))
                && typed.contains(&("aws:MultiFactorAuthAge", "numeric", &["42".to_string()][..]))
                && typed.contains(&(
                    "aws:CalledVia",
                    "stringList",
                    &["athena.amazonaws.com".to_string()][..],
                ))
                && typed.contains(&(
                    "aws:PrincipalTag/network-exempt",
                    "string",
                    &["false".to_string()][..],
                ))
        })
        .then_output(|| {
            SimulateCustomPolicyOutput::builder()
                .evaluation_results(result(PolicyEvaluationDecisionType::ExplicitDeny, &[]))
                .is_truncated(false)
                .build()
        });
    let iam = client(RuleMode::Sequential, &[&sim]);
    let ctx = request_context();
    let typed = simulator_entries(&ctx);
    let chain = chain();
    let out = rt()
        .block_on(iam.simulate(&SimulationRequest {
            chain: &chain,
            action: ACTION,
            resource: ctx.resource.as_deref(),
            caller_arn: Some("arn:aws:iam::111122223333:user/alice"),
            context: &typed.entries,
        }))
        .unwrap();
    assert_eq!(sim.num_calls(), 1, "the request had the shape asked");
    assert_eq!(out.decision, SimDecision::ExplicitDeny);
    assert_eq!(out.allowed_by_organizations, Some(false));
    assert_eq!(
        out.matched[0].source_policy_id.as_deref(),
        Some("OrderedOrganizationPolicyInputList.2.2")
    );
    assert_eq!(out.matched[0].start, Some((1, 37)));
    assert!(out.notes.is_empty());
    // scpctl's evaluator refuses the same request (198.51.100.7 is outside 203.0.113.0/24).
    let scp = scpctl_core::policy::PolicyDocument::from_json(DENY).unwrap();
    let compiled =
        scpctl_core::eval::CompiledPolicy::new(&scp, scpctl_core::eval::PolicyType::Scp).unwrap();
    let ours = SimDecision::from_decision(&compiled.evaluate(&ctx));
    assert_eq!(
        compare(ours, out.decision),
        Comparison::Agreement(SimDecision::ExplicitDeny)
    );
}

#[test]
fn results_are_read_across_marker_pages_and_missing_keys_are_reported() {
    let first = mock!(Client::simulate_custom_policy)
        .match_requests(|r| r.marker().is_none())
        .then_output(|| {
            SimulateCustomPolicyOutput::builder()
                .is_truncated(true)
                .marker("m-2")
                .build()
        });
    let second = mock!(Client::simulate_custom_policy)
        .match_requests(|r| r.marker() == Some("m-2"))
        .then_output(|| {
            SimulateCustomPolicyOutput::builder()
                .evaluation_results(result(
                    PolicyEvaluationDecisionType::Allowed,
                    &["aws:SourceVpc"],
                ))
                .is_truncated(false)
                .build()
        });
    let iam = client(RuleMode::MatchAny, &[&first, &second]);
    let chain = chain();
    let out = rt()
        .block_on(iam.simulate(&SimulationRequest {
            chain: &chain,
            action: ACTION,
            resource: Some(BUCKET),
            // An assumed-role session: the simulator refuses it as CallerArn.
            caller_arn: Some("arn:aws:sts::111122223333:assumed-role/Admin/alice"),
            context: &[],
        }))
        .unwrap();
    assert_eq!((first.num_calls(), second.num_calls()), (1, 1));
    assert_eq!(out.decision, SimDecision::Allowed);
    assert_eq!(out.allowed_by_organizations, Some(true));
    assert_eq!(out.missing_context_values, vec!["aws:SourceVpc"]);
    assert!(
        out.notes[0].contains("assumed-role/Admin/alice not sent"),
        "{:?}",
        out.notes
    );
    // A difference with scpctl's answer is a difference the CLI marks (and exits 6 on).
    assert!(compare(SimDecision::ExplicitDeny, out.decision).is_difference());
}

#[test]
fn an_empty_level_is_refused_before_any_call() {
    let never = mock!(Client::simulate_custom_policy).then_output(|| {
        SimulateCustomPolicyOutput::builder()
            .is_truncated(false)
            .build()
    });
    let iam = client(RuleMode::Sequential, &[&never]);
    let chain = vec![vec![FULL.to_string()], vec![], vec![FULL.to_string()]];
    let err = rt()
        .block_on(iam.simulate(&SimulationRequest {
            chain: &chain,
            action: ACTION,
            resource: None,
            caller_arn: None,
            context: &[],
        }))
        .unwrap_err()
        .to_string();
    assert!(err.contains("level 2 of 3"), "{err}");
    assert_eq!(never.num_calls(), 0);
}

#[test]
fn access_denied_names_the_permission() {
    let denied = mock!(Client::simulate_custom_policy).then_error(|| {
        SimulateCustomPolicyError::generic(
            ErrorMetadata::builder()
                .code("AccessDenied")
                .message("User: arn:aws:iam::111122223333:user/bob is not authorized to perform: iam:SimulateCustomPolicy")
                .build(),
        )
    });
    let iam = client(RuleMode::Sequential, &[&denied]);
    let chain = chain();
    let err = rt()
        .block_on(iam.simulate(&SimulationRequest {
            chain: &chain,
            action: ACTION,
            resource: None,
            caller_arn: None,
            context: &[],
        }))
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("SimulateCustomPolicy: AccessDenied: User:"),
        "{err}"
    );
    assert!(
        err.contains("the caller needs iam:SimulateCustomPolicy"),
        "{err}"
    );
}
