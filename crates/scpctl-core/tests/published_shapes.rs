//! Policies of the shapes organizations publish (written for this project, in tests/policies/):
//! each loads and compiles, and one request is denied by it and one is not.

use scpctl_core::eval::{
    CompiledPolicy, Denial, PolicySet, PolicyType, RequestContext, SetVerdict,
};
use scpctl_core::policy::PolicyDocument;

fn load(name: &str, kind: PolicyType) -> CompiledPolicy {
    let path = format!("{}/tests/policies/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let doc = PolicyDocument::from_json(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    CompiledPolicy::new(&doc, kind).unwrap_or_else(|e| panic!("{name}: {e}"))
}

const DEV_ROLE: &str = "arn:aws:iam::111122223333:role/Developer";

fn role(arn: &str, action: &str) -> RequestContext {
    RequestContext::new(action)
        .with("aws:PrincipalArn", arn)
        .with("aws:PrincipalType", "AssumedRole")
        .with("aws:ViaAWSService", "false")
}

/// (policy file, kind, denied request, allowed request, Sid that denies)
fn cases() -> Vec<(
    &'static str,
    PolicyType,
    RequestContext,
    RequestContext,
    &'static str,
)> {
    vec![
        (
            "region_deny.json",
            PolicyType::Scp,
            role(DEV_ROLE, "ec2:RunInstances").with("aws:RequestedRegion", "us-east-1"),
            // A global service exempted by NotAction, called in another Region.
            role(DEV_ROLE, "iam:CreateRole").with("aws:RequestedRegion", "us-east-1"),
            "DenyOutsideApprovedRegions",
        ),
        (
            "network_perimeter.json",
            PolicyType::Scp,
            role(DEV_ROLE, "s3:GetObject")
                .with("aws:SourceIp", "198.51.100.7")
                .with("aws:PrincipalIsAWSService", "false"),
            // Through the corporate VPC: no aws:SourceIp, an approved aws:SourceVpc.
            role(DEV_ROLE, "s3:GetObject")
                .with("aws:SourceVpc", "vpc-0a1b2c3d4e5f60001")
                .with("aws:PrincipalIsAWSService", "false"),
            "DenyCallsFromOutsideCorporateNetworks",
        ),
        (
            "identity_perimeter_rcp.json",
            PolicyType::Rcp,
            RequestContext::new("s3:GetObject").with("aws:PrincipalOrgID", "o-someoneelse"),
            RequestContext::new("s3:GetObject").with("aws:PrincipalOrgID", "o-exampleorg1"),
            "OnlyOurOrganizationReachesOurData",
        ),
        (
            "break_glass.json",
            PolicyType::Scp,
            role(DEV_ROLE, "iam:DeleteRole")
                .with_resource("arn:aws:iam::111122223333:role/security/Audit"),
            role(
                "arn:aws:iam::111122223333:role/BreakGlass",
                "iam:DeleteRole",
            )
            .with_resource("arn:aws:iam::111122223333:role/security/Audit"),
            "ProtectSecurityRoles",
        ),
        (
            "tag_keys.json",
            PolicyType::Scp,
            role(DEV_ROLE, "ec2:CreateTags").with_values("aws:TagKeys", &["Owner", "Secret"]),
            role(DEV_ROLE, "ec2:CreateTags").with_values("aws:TagKeys", &["Owner", "Project"]),
            "OnlyApprovedTagKeys",
        ),
        (
            "mfa_age.json",
            PolicyType::Scp,
            role(DEV_ROLE, "iam:CreateUser").with("aws:MultiFactorAuthAge", "7200"),
            role(DEV_ROLE, "iam:CreateUser").with("aws:MultiFactorAuthAge", "600"),
            "RecentMfaForSensitiveActions",
        ),
        (
            "time_window.json",
            PolicyType::Scp,
            role(
                "arn:aws:iam::111122223333:role/contractors/Acme",
                "s3:ListBucket",
            )
            .with("aws:CurrentTime", "2027-01-01T00:00:00Z"),
            role(
                "arn:aws:iam::111122223333:role/contractors/Acme",
                "s3:ListBucket",
            )
            .with("aws:CurrentTime", "2026-06-01T12:00:00Z"),
            "ContractorAccessEnds",
        ),
        (
            "own_home_prefix_identity.json",
            PolicyType::Identity,
            RequestContext::new("s3:GetObject")
                .with("aws:username", "bob")
                .with_resource("arn:aws:s3:::team-share/home/alice/notes.txt"),
            RequestContext::new("s3:GetObject")
                .with("aws:username", "alice")
                .with_resource("arn:aws:s3:::team-share/home/alice/notes.txt"),
            "OnlyOwnHomePrefix",
        ),
    ]
}

#[test]
fn each_published_shape_denies_one_request_and_not_the_other() {
    for (file, kind, deny, allow, sid) in cases() {
        let p = load(file, kind);
        let d = p.evaluate(&deny);
        assert_eq!(
            d.statement.as_deref(),
            Some(sid),
            "{file}: {:#?}",
            d.statements
        );
        assert_eq!(
            p.decide(&deny).deny.map(|i| p.statement_label(i)),
            Some(sid)
        );
        let a = p.evaluate(&allow);
        assert!(!a.denied, "{file}: {:#?}", a.statements);
        assert!(p.decide(&allow).deny.is_none(), "{file}");
    }
}

#[test]
fn exemptions_inside_the_shapes() {
    // The break-glass role is outside the Region deny.
    let p = load("region_deny.json", PolicyType::Scp);
    let bg = role(
        "arn:aws:iam::111122223333:role/BreakGlass",
        "ec2:RunInstances",
    )
    .with("aws:RequestedRegion", "us-east-1");
    assert!(!p.evaluate(&bg).denied);
    // A service-linked role is not subject to SCPs at all.
    let slr = role(
        "arn:aws:iam::111122223333:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
        "ec2:RunInstances",
    )
    .with("aws:RequestedRegion", "us-east-1");
    let d = p.evaluate(&slr);
    assert!(!d.denied && d.exemption.is_some());
    // Missing MFA age (no MFA at all): the IfExists form denies.
    let mfa = load("mfa_age.json", PolicyType::Scp);
    assert!(mfa.evaluate(&role(DEV_ROLE, "iam:CreateUser")).denied);
}

/// The whole set an organization might run, as an SCP chain: root FullAWSAccess and guardrails,
/// an OU allowing only storage and identity, the account FullAWSAccess.
#[test]
fn the_shapes_as_one_chain() {
    let chain = PolicySet::chain(vec![
        (
            "root".into(),
            vec![
                (
                    "full_aws_access.json".into(),
                    load("full_aws_access.json", PolicyType::Scp),
                ),
                (
                    "region_deny.json".into(),
                    load("region_deny.json", PolicyType::Scp),
                ),
                (
                    "tag_keys.json".into(),
                    load("tag_keys.json", PolicyType::Scp),
                ),
            ],
        ),
        (
            "ou-workloads".into(),
            vec![(
                "allow_storage_only.json".into(),
                load("allow_storage_only.json", PolicyType::Scp),
            )],
        ),
        (
            "111122223333".into(),
            vec![(
                "full_aws_access.json".into(),
                load("full_aws_access.json", PolicyType::Scp),
            )],
        ),
    ]);
    let s3 = role(DEV_ROLE, "s3:GetObject").with("aws:RequestedRegion", "eu-west-1");
    assert_eq!(chain.decide(&s3), SetVerdict::NotDenied { exemption: None });
    let ec2 = role(DEV_ROLE, "ec2:RunInstances").with("aws:RequestedRegion", "eu-west-1");
    assert_eq!(
        chain.decide(&ec2),
        SetVerdict::Implicit {
            level: "ou-workloads"
        }
    );
    let far = role(DEV_ROLE, "s3:GetObject").with("aws:RequestedRegion", "us-east-1");
    assert_eq!(
        chain.evaluate(&far).denial,
        Some(Denial::Explicit {
            level: "root".into(),
            policy: "region_deny.json".into(),
            statement: "DenyOutsideApprovedRegions".into()
        })
    );
}
