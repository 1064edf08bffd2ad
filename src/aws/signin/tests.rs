//! Sign-In calls against mocked clients (the emulator has no Sign-In API): request shapes,
//! the idempotent re-run, AccessDenied and Conflict.

use std::collections::HashMap;

use aws_sdk_signin::error::ErrorMetadata;
use aws_sdk_signin::operation::delete_console_authorization_configuration::DeleteConsoleAuthorizationConfigurationError;
use aws_sdk_signin::operation::delete_resource_permission_statement::{
    DeleteResourcePermissionStatementError, DeleteResourcePermissionStatementOutput,
};
use aws_sdk_signin::operation::get_console_authorization_configuration::{
    GetConsoleAuthorizationConfigurationError, GetConsoleAuthorizationConfigurationOutput,
};
use aws_sdk_signin::operation::list_resource_permission_statements::ListResourcePermissionStatementsOutput;
use aws_sdk_signin::operation::put_console_authorization_configuration::{
    PutConsoleAuthorizationConfigurationError, PutConsoleAuthorizationConfigurationOutput,
};
use aws_sdk_signin::operation::put_resource_permission_statement::{
    PutResourcePermissionStatementError, PutResourcePermissionStatementOutput,
};
use aws_sdk_signin::types::error::{
    AccessDeniedException, ConflictException, ResourceNotFoundException,
};
use aws_sdk_signin::types::{OAuth2ErrorCode, PermissionStatementSummary};
use aws_sdk_signin::Client;
use aws_smithy_mocks::{mock, mock_client, RuleMode};

use scpctl_core::signin::{plan_statements, Ledger};

use super::*;

const ORG: &str = "o-a1b2c3d4e5";

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn meta(code: &str) -> ErrorMetadata {
    ErrorMetadata::builder()
        .code(code)
        .message("mocked")
        .build()
}

fn config(enabled: bool) -> PutConsoleAuthorizationConfigurationOutput {
    PutConsoleAuthorizationConfigurationOutput::builder()
        .target_id(ORG)
        .scope("ORGANIZATION")
        .console_authorization_enabled(enabled)
        .build()
        .unwrap()
}

#[test]
fn console_authorization_is_read_then_put_for_the_organization_id() {
    let get = mock!(Client::get_console_authorization_configuration)
        .match_requests(|r| r.target_id() == Some(ORG))
        .then_output(|| {
            GetConsoleAuthorizationConfigurationOutput::builder()
                .target_id(ORG)
                .scope("ORGANIZATION")
                .console_authorization_enabled(false)
                .build()
                .unwrap()
        });
    let put = mock!(Client::put_console_authorization_configuration)
        .match_requests(|r| r.target_id() == Some(ORG))
        .then_output(|| config(true));
    let client = mock_client!(aws_sdk_signin, RuleMode::MatchAny, [&get, &put]);
    let s = Signin::from_client(client);
    rt().block_on(async {
        assert!(!s.console_authorization(ORG).await.unwrap());
        s.enable_console_authorization(ORG).await.unwrap();
        // A repeat is harmless: AWS answers with the configuration, already enabled.
        s.enable_console_authorization(ORG).await.unwrap();
    });
    assert_eq!(get.num_calls(), 1);
    assert_eq!(put.num_calls(), 2);
}

#[test]
fn nothing_configured_reads_as_not_enabled_and_deleting_it_again_is_done() {
    let get = mock!(Client::get_console_authorization_configuration).then_error(|| {
        GetConsoleAuthorizationConfigurationError::ResourceNotFoundException(
            ResourceNotFoundException::builder()
                .message("none")
                .error(OAuth2ErrorCode::ResourceNotFound)
                .meta(meta("ResourceNotFoundException"))
                .build()
                .unwrap(),
        )
    });
    let delete = mock!(Client::delete_console_authorization_configuration).then_error(|| {
        DeleteConsoleAuthorizationConfigurationError::ResourceNotFoundException(
            ResourceNotFoundException::builder()
                .message("none")
                .error(OAuth2ErrorCode::ResourceNotFound)
                .meta(meta("ResourceNotFoundException"))
                .build()
                .unwrap(),
        )
    });
    let client = mock_client!(aws_sdk_signin, RuleMode::MatchAny, [&get, &delete]);
    let s = Signin::from_client(client);
    rt().block_on(async {
        assert!(!s.console_authorization(ORG).await.unwrap());
        s.disable_console_authorization(ORG).await.unwrap();
    });
}

#[test]
fn access_denied_names_the_target_and_the_permission() {
    let put = mock!(Client::put_console_authorization_configuration).then_error(|| {
        PutConsoleAuthorizationConfigurationError::AccessDeniedException(
            AccessDeniedException::builder()
                .message("not authorized")
                .error(OAuth2ErrorCode::InsufficientPermissions)
                .meta(meta("AccessDeniedException"))
                .build()
                .unwrap(),
        )
    });
    let client = mock_client!(aws_sdk_signin, [&put]);
    let err = rt()
        .block_on(Signin::from_client(client).enable_console_authorization(ORG))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("PutConsoleAuthorizationConfiguration"),
        "{err}"
    );
    assert!(
        err.contains("signin:PutConsoleAuthorizationConfiguration on o-a1b2c3d4e5 was refused"),
        "{err}"
    );
    assert!(err.contains("management account"), "{err}");
}

#[test]
fn a_conflict_says_to_wait_and_re_run() {
    let put = mock!(Client::put_resource_permission_statement).then_error(|| {
        PutResourcePermissionStatementError::ConflictException(
            ConflictException::builder()
                .message("in progress")
                .error(OAuth2ErrorCode::Conflict)
                .meta(meta("ConflictException"))
                .build()
                .unwrap(),
        )
    });
    let client = mock_client!(aws_sdk_signin, [&put]);
    let s = AccountStatement {
        source_ip: Some("192.0.2.0/24".into()),
        ..AccountStatement::default()
    };
    let err = rt()
        .block_on(Signin::from_client(client).put_statement("111122223333", &s))
        .unwrap_err()
        .to_string();
    assert!(err.contains("ConflictException"), "{err}");
    assert!(err.contains("re-run the same command"), "{err}");
}

fn summary(sid: &str, op: &str, key: &str, value: &str) -> PermissionStatementSummary {
    PermissionStatementSummary::builder()
        .sid(sid)
        .condition(
            op,
            HashMap::from([(key.to_string(), vec![value.to_string()])]),
        )
        .build()
        .unwrap()
}

#[test]
fn statements_are_put_with_their_fields_and_a_rerun_puts_nothing() {
    let wanted = vec![
        AccountStatement {
            excluded_principal: Some("arn:aws:iam::111122223333:role/BreakGlass".into()),
            ..AccountStatement::default()
        },
        AccountStatement {
            source_ip: Some("192.0.2.0/24".into()),
            ..AccountStatement::default()
        },
        AccountStatement {
            source_vpc: Some("vpc-0a1b2c3d".into()),
            requested_region: Some("eu-west-1".into()),
            ..AccountStatement::default()
        },
    ];
    // First run: nothing there; every statement is put, with its fields and client token.
    let empty = mock!(Client::list_resource_permission_statements).then_output(|| {
        ListResourcePermissionStatementsOutput::builder()
            .set_permission_statements(Some(vec![]))
            .build()
            .unwrap()
    });
    let token = wanted[2].client_token();
    let put_vpc = mock!(Client::put_resource_permission_statement)
        .match_requests(move |r| {
            r.source_vpc() == Some("vpc-0a1b2c3d")
                && r.requested_region() == Some("eu-west-1")
                && r.source_ip().is_none()
                && r.client_token() == Some(token.as_str())
        })
        .then_output(|| {
            PutResourcePermissionStatementOutput::builder()
                .statement_id("s3")
                .build()
                .unwrap()
        });
    let put_other = mock!(Client::put_resource_permission_statement)
        .match_requests(|r| r.source_vpc().is_none())
        .then_output(|| {
            PutResourcePermissionStatementOutput::builder()
                .statement_id("s")
                .build()
                .unwrap()
        });
    let client = mock_client!(
        aws_sdk_signin,
        RuleMode::MatchAny,
        [&empty, &put_vpc, &put_other]
    );
    let s = Signin::from_client(client);
    rt().block_on(async {
        let present = s.statements("111122223333").await.unwrap();
        let plan = plan_statements(&Ledger::new("111122223333"), &present, &wanted, true);
        assert_eq!(plan.puts, wanted);
        assert!(plan.foreign.is_empty() && plan.deletes.is_empty());
        for m in &plan.puts {
            s.put_statement("111122223333", m).await.unwrap();
        }
    });
    assert_eq!(put_vpc.num_calls(), 1);
    assert_eq!(put_other.num_calls(), 2);

    // Re-run: AWS lists them (with its own operators and a bare /32-less spelling): no put.
    let listed = mock!(Client::list_resource_permission_statements).then_output(|| {
        let vpc = PermissionStatementSummary::builder()
            .sid("s3")
            .condition(
                "StringNotEquals",
                HashMap::from([
                    (
                        "aws:SourceVpc".to_string(),
                        vec!["vpc-0a1b2c3d".to_string()],
                    ),
                    (
                        "aws:RequestedRegion".to_string(),
                        vec!["eu-west-1".to_string()],
                    ),
                ]),
            )
            .build()
            .unwrap();
        ListResourcePermissionStatementsOutput::builder()
            .permission_statements(summary(
                "s1",
                "ArnNotEquals",
                "signin:PrincipalArn",
                "arn:aws:iam::111122223333:role/BreakGlass",
            ))
            .permission_statements(summary(
                "s2",
                "NotIpAddress",
                "aws:SourceIp",
                "192.0.2.0/24",
            ))
            .permission_statements(vpc)
            .build()
            .unwrap()
    });
    let put = mock!(Client::put_resource_permission_statement).then_output(|| {
        PutResourcePermissionStatementOutput::builder()
            .statement_id("never")
            .build()
            .unwrap()
    });
    let client = mock_client!(aws_sdk_signin, RuleMode::MatchAny, [&listed, &put]);
    let s = Signin::from_client(client);
    let present = rt().block_on(s.statements("111122223333")).unwrap();
    let plan = plan_statements(&Ledger::new("111122223333"), &present, &wanted, true);
    assert!(!plan.writes(), "{plan:?}");
    assert!(plan.foreign.is_empty(), "{plan:?}");
    assert_eq!(listed.num_calls(), 1);
    assert_eq!(put.num_calls(), 0);
}

fn not_found() -> DeleteResourcePermissionStatementError {
    DeleteResourcePermissionStatementError::ResourceNotFoundException(
        ResourceNotFoundException::builder()
            .message("no such statement")
            .error(OAuth2ErrorCode::ResourceNotFound)
            .meta(meta("ResourceNotFoundException"))
            .build()
            .unwrap(),
    )
}

#[test]
fn prune_deletes_only_the_ledgers_statements_with_a_fixed_token_and_gone_is_done() {
    let account = "111122223333";
    let ours = AccountStatement {
        source_ip: Some("198.51.100.0/24".into()),
        ..AccountStatement::default()
    };
    let kept = AccountStatement {
        source_ip: Some("192.0.2.0/24".into()),
        ..AccountStatement::default()
    };
    let listed = mock!(Client::list_resource_permission_statements).then_output(|| {
        ListResourcePermissionStatementsOutput::builder()
            .permission_statements(summary(
                "kept",
                "NotIpAddress",
                "aws:SourceIp",
                "192.0.2.0/24",
            ))
            .permission_statements(summary(
                "ours",
                "NotIpAddress",
                "aws:SourceIp",
                "198.51.100.0/24",
            ))
            .permission_statements(summary(
                "theirs",
                "NotIpAddress",
                "aws:SourceIp",
                "203.0.113.0/24",
            ))
            .build()
            .unwrap()
    });
    // The first delete's answer is lost (the call fails at the service's end after deleting);
    // the retry of the same request finds it gone: done.
    let token = scpctl_core::signin::delete_token("ours");
    let delete = mock!(Client::delete_resource_permission_statement)
        .sequence()
        .output(|| DeleteResourcePermissionStatementOutput::builder().build())
        .error(not_found)
        .build();
    let strict = {
        let token = token.clone();
        mock!(Client::delete_resource_permission_statement)
            .match_requests(move |r| {
                r.statement_id() != Some("ours") || r.client_token() != Some(token.as_str())
            })
            .then_error(|| -> DeleteResourcePermissionStatementError {
                panic!("a delete other than statement ours with its fixed token")
            })
    };
    let client = mock_client!(
        aws_sdk_signin,
        RuleMode::MatchAny,
        [&listed, &strict, &delete]
    );
    let s = Signin::from_client(client);
    let mut ledger = Ledger::new(account);
    ledger.record_answer(&kept, "kept");
    ledger.record_answer(&ours, "ours");
    rt().block_on(async {
        let present = s.statements(account).await.unwrap();
        let plan = plan_statements(&ledger, &present, std::slice::from_ref(&kept), true);
        assert_eq!(plan.deletes, vec![("ours".to_string(), ours.clone())]);
        assert_eq!(plan.foreign.len(), 1);
        assert_eq!(plan.foreign[0].0, "theirs");
        for (id, _) in &plan.deletes {
            s.delete_statement(account, id).await.unwrap();
            // A crash before the ledger was written: the next run deletes again, and the
            // statement being gone counts as deleted.
            s.delete_statement(account, id).await.unwrap();
        }
    });
    assert_eq!(delete.num_calls(), 2);
    assert_eq!(strict.num_calls(), 0);
}

#[test]
fn a_refused_delete_names_the_statement_and_the_permission() {
    let delete = mock!(Client::delete_resource_permission_statement).then_error(|| {
        DeleteResourcePermissionStatementError::AccessDeniedException(
            AccessDeniedException::builder()
                .message("not authorized")
                .error(OAuth2ErrorCode::InsufficientPermissions)
                .meta(meta("AccessDeniedException"))
                .build()
                .unwrap(),
        )
    });
    let client = mock_client!(aws_sdk_signin, [&delete]);
    let err = rt()
        .block_on(Signin::from_client(client).delete_statement("111122223333", "sid-1"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("DeleteResourcePermissionStatement (sid-1)"),
        "{err}"
    );
    assert!(
        err.contains("signin:DeleteResourcePermissionStatement on 111122223333 was refused"),
        "{err}"
    );
}
