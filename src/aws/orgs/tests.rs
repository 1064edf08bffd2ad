//! Organizations reads against mocked clients: the walk up the tree, an account outside the
//! organization, a policy type not enabled, the management account, the active accounts.

use aws_sdk_organizations::error::ErrorMetadata;
use aws_sdk_organizations::operation::describe_organization::DescribeOrganizationOutput;
use aws_sdk_organizations::operation::list_accounts::ListAccountsOutput;
use aws_sdk_organizations::operation::list_parents::{ListParentsError, ListParentsOutput};
use aws_sdk_organizations::operation::list_policies_for_target::{
    ListPoliciesForTargetError, ListPoliciesForTargetOutput,
};
use aws_sdk_organizations::types::{
    Account, AccountState, Organization, Parent, ParentType, PolicySummary,
};
use aws_sdk_organizations::Client;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use scpctl_core::plan::OrgPolicyType;

use super::Orgs;

const ACCOUNT: &str = "111122223333";

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

fn orgs(client: Client) -> Orgs {
    Orgs {
        client,
        policy_type: OrgPolicyType::ServiceControl,
        concurrency: 1,
    }
}

fn parent(id: &str) -> ListParentsOutput {
    let kind = if id.starts_with("r-") {
        ParentType::Root
    } else {
        ParentType::OrganizationalUnit
    };
    ListParentsOutput::builder()
        .parents(Parent::builder().id(id).r#type(kind).build())
        .build()
}

#[test]
fn ancestors_walk_up_to_the_root_nearest_first() {
    const TREE: [(&str, &str); 3] = [
        (ACCOUNT, "ou-ab12-inner000"),
        ("ou-ab12-inner000", "ou-ab12-outer000"),
        ("ou-ab12-outer000", "r-ab12"),
    ];
    let rules: Vec<_> = TREE
        .iter()
        .map(|(child, up)| {
            mock!(Client::list_parents)
                .match_requests(move |r| r.child_id() == Some(*child))
                .then_output(move || parent(up))
        })
        .collect();
    let client = mock_client!(
        aws_sdk_organizations,
        RuleMode::MatchAny,
        [&rules[0], &rules[1], &rules[2]]
    );
    let chain = rt().block_on(orgs(client).ancestors(ACCOUNT)).unwrap();
    assert_eq!(chain, ["ou-ab12-inner000", "ou-ab12-outer000", "r-ab12"]);
    // Each level read once, the root's parent never asked.
    assert!(rules.iter().all(|r| r.num_calls() == 1));
}

#[test]
fn an_account_outside_the_organization_has_no_parent() {
    let missing = mock!(Client::list_parents)
        .then_error(|| ListParentsError::generic(meta("ChildNotFoundException")));
    let client = mock_client!(aws_sdk_organizations, [&missing]);
    let found = rt().block_on(orgs(client).parent("999988887777")).unwrap();
    assert_eq!(found, None);
}

#[test]
fn an_access_error_on_list_parents_is_an_error_naming_the_child() {
    let denied = mock!(Client::list_parents)
        .then_error(|| ListParentsError::generic(meta("AccessDeniedException")));
    let client = mock_client!(aws_sdk_organizations, [&denied]);
    let err = rt()
        .block_on(orgs(client).parent(ACCOUNT))
        .unwrap_err()
        .to_string();
    assert!(err.contains(&format!("ListParents {ACCOUNT}")), "{err}");
}

#[test]
fn a_policy_type_not_enabled_has_no_policy_in_force() {
    let off = mock!(Client::list_policies_for_target)
        .then_error(|| ListPoliciesForTargetError::generic(meta("PolicyTypeNotEnabledException")));
    let client = mock_client!(aws_sdk_organizations, [&off]);
    let ids = rt()
        .block_on(orgs(client).policy_ids_on("r-ab12", OrgPolicyType::ResourceControl))
        .unwrap();
    assert!(ids.is_empty());
}

#[test]
fn policies_on_a_target_are_listed_with_their_names_for_the_asked_type() {
    let listed = mock!(Client::list_policies_for_target)
        .match_requests(|r| {
            r.target_id() == Some("ou-ab12-inner000")
                && r.filter()
                    == Some(&aws_sdk_organizations::types::PolicyType::ServiceControlPolicy)
        })
        .then_output(|| {
            ListPoliciesForTargetOutput::builder()
                .policies(
                    PolicySummary::builder()
                        .id("p-full")
                        .name("FullAWSAccess")
                        .build(),
                )
                .policies(PolicySummary::builder().id("p-nameless").build())
                .build()
        });
    let client = mock_client!(aws_sdk_organizations, [&listed]);
    let ids = rt()
        .block_on(orgs(client).policy_ids_on("ou-ab12-inner000", OrgPolicyType::ServiceControl))
        .unwrap();
    assert_eq!(
        ids,
        [
            ("p-full".to_string(), "FullAWSAccess".to_string()),
            ("p-nameless".to_string(), "p-nameless".to_string()),
        ]
    );
}

#[test]
fn the_management_account_comes_from_describe_organization() {
    let described = mock!(Client::describe_organization).then_output(|| {
        DescribeOrganizationOutput::builder()
            .organization(
                Organization::builder()
                    .id("o-a1b2c3d4e5")
                    .master_account_id("123456789012")
                    .build(),
            )
            .build()
    });
    let client = mock_client!(aws_sdk_organizations, RuleMode::MatchAny, [&described]);
    let orgs = orgs(client);
    let rt = rt();
    assert_eq!(
        rt.block_on(orgs.management_account()).unwrap(),
        "123456789012"
    );
    assert_eq!(rt.block_on(orgs.organization_id()).unwrap(), "o-a1b2c3d4e5");
}

#[test]
fn only_active_accounts_are_listed() {
    let listed = mock!(Client::list_accounts).then_output(|| {
        ListAccountsOutput::builder()
            .accounts(
                Account::builder()
                    .id(ACCOUNT)
                    .name("prod")
                    .state(AccountState::Active)
                    .build(),
            )
            .accounts(
                Account::builder()
                    .id("444455556666")
                    .name("closing")
                    .state(AccountState::PendingClosure)
                    .build(),
            )
            .build()
    });
    let client = mock_client!(aws_sdk_organizations, [&listed]);
    let accounts = rt().block_on(orgs(client).active_accounts()).unwrap();
    assert_eq!(accounts, [(ACCOUNT.to_string(), "prod".to_string())]);
}
