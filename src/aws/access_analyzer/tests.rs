//! Access Analyzer calls against mocked clients (the emulator has no Access Analyzer API):
//! request shape per kind of document, paging, each finding type and its location, the
//! CheckNoNewAccess verdicts, and AccessDenied naming the permission.

use aws_sdk_accessanalyzer::error::ErrorMetadata;
use aws_sdk_accessanalyzer::operation::check_no_new_access::{
    CheckNoNewAccessError, CheckNoNewAccessOutput,
};
use aws_sdk_accessanalyzer::operation::validate_policy::{
    ValidatePolicyError, ValidatePolicyOutput,
};
use aws_sdk_accessanalyzer::types::error::AccessDeniedException;
use aws_sdk_accessanalyzer::types::{
    Location, PathElement, Position, ReasonSummary, Span, Substring, ValidatePolicyFinding,
};
use aws_smithy_mocks::{create_mock_http_client, mock, MockResponseInterceptor, Rule, RuleMode};
use scpctl_core::aws_checks::locate;

use super::*;

/// A client over mocked answers, built by hand so the SDK crate needs no `test-util` feature
/// (the binary and the tests then build it identically).
fn client(mode: RuleMode, rules: &[&Rule]) -> AccessAnalyzer {
    let mut mocks = MockResponseInterceptor::new().rule_mode(mode);
    for rule in rules {
        mocks = mocks.with_rule(rule);
    }
    let conf = aws_sdk_accessanalyzer::Config::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::from_static("eu-west-1"))
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
    AccessAnalyzer::from_client(Client::from_conf(conf))
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

const SCP: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"DenyOutsideNetworks","Effect":"Deny","NotAction":["sts:GetCallerIdentity"],"Resource":"*","Condition":{"NotIpAddressIfExists":{"aws:SourceIp":["203.0.113.0/24"]},"Bool":{"aws:ViaAWSService":"false"}}}]}"#;

fn pos(offset: i32) -> Position {
    Position::builder()
        .line(1)
        .column(offset)
        .offset(offset)
        .build()
        .unwrap()
}

fn finding(
    kind: ValidatePolicyFindingType,
    code: &str,
    path: Vec<PathElement>,
) -> ValidatePolicyFinding {
    let mut loc = Location::builder().span(Span::builder().start(pos(10)).end(pos(20)).build());
    for p in path {
        loc = loc.path(p);
    }
    ValidatePolicyFinding::builder()
        .finding_type(kind)
        .issue_code(code)
        .finding_details(format!("details of {code}"))
        .learn_more_link(format!("https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html#{code}"))
        .locations(loc.build().unwrap())
        .build()
        .unwrap()
}

fn v(s: &str) -> PathElement {
    PathElement::Value(s.into())
}

#[test]
fn each_kind_is_sent_with_its_policy_type() {
    let rules: Vec<(DocumentKind, PolicyType, Rule)> = [
        (
            DocumentKind::ServiceControl,
            PolicyType::ServiceControlPolicy,
        ),
        (
            DocumentKind::ResourceControl,
            PolicyType::ResourceControlPolicy,
        ),
        (DocumentKind::Identity, PolicyType::IdentityPolicy),
    ]
    .into_iter()
    .map(|(kind, sdk)| {
        let want = sdk.clone();
        let rule = mock!(Client::validate_policy)
            .match_requests(move |r| {
                r.policy_type() == Some(&want)
                    && r.policy_document() == Some(SCP)
                    && r.next_token().is_none()
            })
            .then_output(|| {
                ValidatePolicyOutput::builder()
                    .set_findings(Some(vec![]))
                    .build()
                    .unwrap()
            });
        (kind, sdk, rule)
    })
    .collect();
    let refs: Vec<&Rule> = rules.iter().map(|(_, _, r)| r).collect();
    let aa = client(RuleMode::MatchAny, &refs);
    rt().block_on(async {
        for (kind, _, _) in &rules {
            assert!(aa.validate_policy(SCP, *kind).await.unwrap().is_empty());
        }
    });
    for (kind, sdk, rule) in &rules {
        assert_eq!(rule.num_calls(), 1, "{kind:?} sent once as {sdk:?}");
        assert_eq!(kind.as_str(), sdk.as_str());
    }
}

#[test]
fn findings_of_every_type_are_read_across_pages_with_their_locations() {
    let first = mock!(Client::validate_policy)
        .match_requests(|r| r.next_token().is_none())
        .then_output(|| {
            ValidatePolicyOutput::builder()
                .findings(finding(
                    ValidatePolicyFindingType::Error,
                    "INVALID_ACTION",
                    vec![
                        v("Statement"),
                        PathElement::Index(0),
                        v("NotAction"),
                        PathElement::Index(0),
                    ],
                ))
                .findings(finding(
                    ValidatePolicyFindingType::SecurityWarning,
                    "MISSING_PAIRED_CONDITION_KEYS",
                    vec![
                        v("Statement"),
                        PathElement::Index(0),
                        v("Condition"),
                        v("Bool"),
                        PathElement::Key("aws:ViaAWSService".into()),
                    ],
                ))
                .next_token("page-2")
                .build()
                .unwrap()
        });
    let second = mock!(Client::validate_policy)
        .match_requests(|r| r.next_token() == Some("page-2"))
        .then_output(|| {
            ValidatePolicyOutput::builder()
                .findings(finding(
                    ValidatePolicyFindingType::Warning,
                    "CREATE_SLR_WITH_STAR_IN_RESOURCE",
                    vec![v("Statement"), PathElement::Index(0), v("Resource")],
                ))
                .findings(finding(
                    ValidatePolicyFindingType::Suggestion,
                    "EMPTY_ARRAY_ACTION",
                    vec![
                        v("Statement"),
                        PathElement::Index(0),
                        v("Condition"),
                        v("NotIpAddressIfExists"),
                        v("aws:SourceIp"),
                        PathElement::Index(0),
                        PathElement::Substring(
                            Substring::builder().start(10).length(3).build().unwrap(),
                        ),
                    ],
                ))
                .build()
                .unwrap()
        });
    let aa = client(RuleMode::MatchAny, &[&first, &second]);
    let found = rt()
        .block_on(aa.validate_policy(SCP, DocumentKind::ServiceControl))
        .unwrap();
    assert_eq!((first.num_calls(), second.num_calls()), (1, 1));
    let kinds: Vec<(Severity, &str)> = found
        .iter()
        .map(|f| (f.severity, f.issue_code.as_str()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (Severity::Error, "INVALID_ACTION"),
            (Severity::SecurityWarning, "MISSING_PAIRED_CONDITION_KEYS"),
            (Severity::Warning, "CREATE_SLR_WITH_STAR_IN_RESOURCE"),
            (Severity::Suggestion, "EMPTY_ARRAY_ACTION"),
        ]
    );
    assert!(found[0].learn_more.ends_with("#INVALID_ACTION"));
    assert_eq!(found[0].details, "details of INVALID_ACTION");
    assert_eq!(found[0].locations[0].span, Some((10, 20)));
    // Each location lands on its place in the compact text sent and in the pretty render.
    let pretty =
        serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(SCP).unwrap())
            .unwrap();
    let expect = [
        "\"sts:GetCallerIdentity\"",
        "\"aws:ViaAWSService\":",
        "\"*\"",
        "0/24\"",
    ];
    for (f, text) in found.iter().zip(expect) {
        let path = &f.locations[0].path;
        let at = locate(SCP, path).unwrap();
        assert!(
            SCP[at.offset..].starts_with(text),
            "{} at {at} of the compact text",
            f.issue_code
        );
        let at = locate(&pretty, path).unwrap();
        assert!(
            pretty[at.offset..].starts_with(text.trim_end_matches(':')),
            "{} at {at} of the pretty text",
            f.issue_code
        );
        assert!(
            at.line > 1,
            "the pretty render spreads the document over lines"
        );
    }
}

#[test]
fn access_denied_on_validate_names_the_permission() {
    let denied = mock!(Client::validate_policy).then_error(|| {
        ValidatePolicyError::AccessDeniedException(
            AccessDeniedException::builder()
                .message("User is not authorized to perform: access-analyzer:ValidatePolicy")
                .meta(
                    ErrorMetadata::builder()
                        .code("AccessDeniedException")
                        .message("denied")
                        .build(),
                )
                .build()
                .unwrap(),
        )
    });
    let aa = client(RuleMode::Sequential, &[&denied]);
    let err = rt()
        .block_on(aa.validate_policy(SCP, DocumentKind::Identity))
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("ValidatePolicy (IDENTITY_POLICY): AccessDeniedException"),
        "{err}"
    );
    assert!(
        err.contains("the caller needs access-analyzer:ValidatePolicy"),
        "{err}"
    );
    assert!(!err.contains("management account"), "{err}");
}

fn verdict(
    result: CheckNoNewAccessResult,
    reasons: &[(&str, &str, i32)],
) -> CheckNoNewAccessOutput {
    let mut out = CheckNoNewAccessOutput::builder()
        .result(result)
        .message("The policy grants new access compared to the reference policy.");
    for (description, sid, index) in reasons {
        out = out.reasons(
            ReasonSummary::builder()
                .description(*description)
                .statement_id(*sid)
                .statement_index(*index)
                .build(),
        );
    }
    out.build()
}

const OLD: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"DenyOutsideNetworks","Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":["203.0.113.0/24"]}}}]}"#;
const NEW: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"DenyOutsideNetworks","Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":["203.0.113.0/24","198.51.100.0/24"]}}}]}"#;

#[test]
fn check_no_new_access_sends_both_documents_as_identity_policies() {
    let pass = mock!(Client::check_no_new_access)
        .match_requests(|r| {
            r.existing_policy_document() == Some(OLD)
                && r.new_policy_document() == Some(OLD)
                && r.policy_type() == Some(&AccessCheckPolicyType::IdentityPolicy)
        })
        .then_output(|| verdict(CheckNoNewAccessResult::Pass, &[]));
    let fail = mock!(Client::check_no_new_access)
        .match_requests(|r| {
            r.existing_policy_document() == Some(OLD) && r.new_policy_document() == Some(NEW)
        })
        .then_output(|| {
            verdict(
                CheckNoNewAccessResult::Fail,
                &[(
                    "New access in the statement with index: 0.",
                    "DenyOutsideNetworks",
                    0,
                )],
            )
        });
    let aa = client(RuleMode::MatchAny, &[&pass, &fail]);
    rt().block_on(async {
        assert!(matches!(
            aa.check_no_new_access(OLD, OLD).await.unwrap(),
            Verdict::Pass { .. }
        ));
        match aa.check_no_new_access(OLD, NEW).await.unwrap() {
            Verdict::Fail { message, reasons } => {
                assert!(message.contains("new access"));
                assert_eq!(
                    reasons,
                    vec![Reason {
                        description: "New access in the statement with index: 0.".into(),
                        statement_id: Some("DenyOutsideNetworks".into()),
                        statement_index: Some(0),
                    }]
                );
            }
            other => panic!("expected a failure, got {other:?}"),
        }
    });
    assert_eq!((pass.num_calls(), fail.num_calls()), (1, 1));
}

#[test]
fn check_no_new_access_denied_is_a_verdict_not_an_error() {
    let denied = mock!(Client::check_no_new_access).then_error(|| {
        CheckNoNewAccessError::AccessDeniedException(
            AccessDeniedException::builder()
                .message("not authorized")
                .meta(
                    ErrorMetadata::builder()
                        .code("AccessDeniedException")
                        .message("not authorized")
                        .build(),
                )
                .build()
                .unwrap(),
        )
    });
    let aa = client(RuleMode::Sequential, &[&denied]);
    match rt().block_on(aa.check_no_new_access(OLD, NEW)).unwrap() {
        Verdict::Denied { message } => {
            assert!(
                message.contains("access-analyzer:CheckNoNewAccess"),
                "{message}"
            )
        }
        other => panic!("expected Denied, got {other:?}"),
    }
}

#[test]
fn another_error_on_check_no_new_access_fails() {
    let invalid = mock!(Client::check_no_new_access).then_error(|| {
        CheckNoNewAccessError::generic(
            ErrorMetadata::builder()
                .code("ValidationException")
                .message("newPolicyDocument is not valid JSON")
                .build(),
        )
    });
    let aa = client(RuleMode::Sequential, &[&invalid]);
    let err = rt()
        .block_on(aa.check_no_new_access(OLD, "{"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("CheckNoNewAccess: ValidationException: newPolicyDocument is not valid JSON"),
        "{err}"
    );
}
