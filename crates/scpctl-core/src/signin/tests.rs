//! The rendered sign-in RCP under the one evaluator, in both phases, for every kind of
//! principal that signs in.

use super::*;
use crate::eval::{CompiledPolicy, PolicyType};
use crate::policy::PolicyDocument;
use crate::render::{render, Layout, PolicyKind, RenderError};

const USER: &str = "arn:aws:iam::111122223333:user/alice";
const USER_WITH_PATH: &str = "arn:aws:iam::111122223333:user/ops/bob";
const ROLE: &str = "arn:aws:iam::111122223333:role/Admin";
const ROOT: &str = "arn:aws:iam::111122223333:root";
const FEDERATED: &str = "arn:aws:sts::111122223333:federated-user/carol";
const BG_ROLE: &str = "arn:aws:iam::111122223333:role/BreakGlass";
const BG_USER: &str = "arn:aws:iam::111122223333:user/breakglass";
const INSIDE: &str = "192.0.2.10";
const OUTSIDE: &str = "198.51.100.7";

fn config_from(more: &str) -> (Config, CidrSet) {
    let text = format!("[network]\ncidrs = [\"192.0.2.0/24\", \"2001:db8:1234::/48\"]\n{more}");
    let config = Config::parse(&text, "t.toml").unwrap();
    let set = CidrSet::build(&config.network.cidrs, config.network.options, "t")
        .unwrap()
        .set;
    (config, set)
}

fn compiled(config: &Config, cidrs: &CidrSet) -> (String, CompiledPolicy) {
    let r = render(config, cidrs, PolicyKind::Signin, Layout::Single).unwrap();
    let doc = PolicyDocument::from_json(&r[0].compact).unwrap();
    (
        r[0].compact.clone(),
        CompiledPolicy::new(&doc, PolicyType::Rcp).unwrap(),
    )
}

const BG: &str = "[break_glass]\nprincipals = [\"arn:aws:iam::111122223333:role/BreakGlass\", \"arn:aws:iam::111122223333:user/breakglass\"]\n";

fn denied(p: &CompiledPolicy, phase: Phase, arn: Option<&str>, origin: &Origin) -> bool {
    ACTIONS.iter().all(|a| {
        let d = p.evaluate(&request(a, phase, arn, origin));
        d.denied
    })
}

fn not_denied(p: &CompiledPolicy, phase: Phase, arn: Option<&str>, origin: &Origin) -> bool {
    ACTIONS
        .iter()
        .all(|a| !p.evaluate(&request(a, phase, arn, origin)).denied)
}

#[test]
fn the_document_is_an_rcp_of_one_deny_without_via_aws_service() {
    let (c, set) = config_from(BG);
    let (compact, _) = compiled(&c, &set);
    assert_eq!(
        compact,
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"DenyConsoleSignInOutsideExpectedNetworks","Effect":"Deny","Principal":"*","Action":["signin:Authenticate","signin:AuthorizeOAuth2Access","signin:CreateOAuth2Token"],"Resource":"*","Condition":{"ArnEqualsIfExists":{"signin:PrincipalArn":"arn:*:iam::*:user/*","aws:PrincipalArn":"arn:*:iam::*:user/*"},"ArnNotEquals":{"signin:PrincipalArn":["arn:aws:iam::111122223333:role/BreakGlass","arn:aws:iam::111122223333:user/breakglass"],"aws:PrincipalArn":["arn:aws:iam::111122223333:role/BreakGlass","arn:aws:iam::111122223333:user/breakglass"]},"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","2001:db8:1234::/48"]}}}]}"#
    );
    let r = render(&c, &set, PolicyKind::Signin, Layout::Single).unwrap();
    assert_eq!(r[0].name, "RestrictConsoleSignInToExpectedNetworks");
    assert_eq!(r[0].limit(), 5120);
}

#[test]
fn iam_users_are_held_to_the_networks_in_both_phases() {
    let (c, set) = config_from(BG);
    let (_, p) = compiled(&c, &set);
    for phase in [Phase::PreAuth, Phase::PostAuth] {
        for user in [USER, USER_WITH_PATH] {
            assert!(
                denied(&p, phase, Some(user), &Origin::ip(OUTSIDE)),
                "{user} {phase:?}"
            );
            assert!(denied(
                &p,
                phase,
                Some(user),
                &Origin::ip("2001:db8:ffff::1")
            ));
            assert!(not_denied(&p, phase, Some(user), &Origin::ip(INSIDE)));
            assert!(not_denied(
                &p,
                phase,
                Some(user),
                &Origin::ip("2001:db8:1234::9")
            ));
            // Through a VPC endpoint without VPCs configured: no aws:SourceIp, denied.
            let vpce = Origin {
                source_vpce: Some("vpce-0a1b2c3d".into()),
                ..Origin::default()
            };
            assert!(denied(&p, phase, Some(user), &vpce));
        }
    }
}

#[test]
fn roles_federated_users_and_break_glass_are_never_denied() {
    let (c, set) = config_from(BG);
    let (_, p) = compiled(&c, &set);
    for phase in [Phase::PreAuth, Phase::PostAuth] {
        for arn in [ROLE, FEDERATED, BG_ROLE, BG_USER, ROOT] {
            assert!(
                not_denied(&p, phase, Some(arn), &Origin::ip(OUTSIDE)),
                "{arn} {phase:?}"
            );
        }
    }
}

#[test]
fn root_users_only_with_include_root() {
    let (c, set) = config_from(&format!("{BG}[console]\ninclude_root = true\n"));
    let (compact, p) = compiled(&c, &set);
    assert!(compact.contains(r#"["arn:*:iam::*:user/*","arn:*:iam::*:root"]"#));
    for phase in [Phase::PreAuth, Phase::PostAuth] {
        assert!(denied(&p, phase, Some(ROOT), &Origin::ip(OUTSIDE)));
        assert!(not_denied(&p, phase, Some(ROOT), &Origin::ip(INSIDE)));
        assert!(not_denied(&p, phase, Some(ROLE), &Origin::ip(OUTSIDE)));
        assert!(not_denied(&p, phase, Some(BG_USER), &Origin::ip(OUTSIDE)));
    }
    // RCPs never reach the management account.
    let ctx = request(
        ACTIONS[0],
        Phase::PostAuth,
        Some(ROOT),
        &Origin::ip(OUTSIDE),
    )
    .with_management_account(true);
    assert!(!p.evaluate(&ctx).denied);
}

#[test]
fn a_request_with_neither_arn_fails_closed() {
    let (c, set) = config_from(BG);
    let (_, p) = compiled(&c, &set);
    assert!(denied(&p, Phase::PreAuth, None, &Origin::ip(OUTSIDE)));
    assert!(not_denied(&p, Phase::PreAuth, None, &Origin::ip(INSIDE)));
}

#[test]
fn vpcs_and_endpoints_use_if_exists_and_pins_without_via_aws_service() {
    let text = "[network]\ncidrs = [\"192.0.2.0/24\"]\nvpcs = [{ id = \"vpc-0a1b2c3d\", regions = [\"eu-west-1\", \"eu-central-1\"] }]\nvpc_endpoints = [\"vpce-1a2b3c4d\"]\n";
    let config = Config::parse(&format!("{text}{BG}"), "t.toml").unwrap();
    let set = CidrSet::build(&config.network.cidrs, config.network.options, "t")
        .unwrap()
        .set;
    let (compact, p) = compiled(&config, &set);
    assert!(!compact.contains("ViaAWSService"), "{compact}");
    assert!(compact.contains("NotIpAddressIfExists"), "{compact}");
    assert!(
        compact.contains(r#""Sid":"DenyVpcOutsideItsRegions1","Effect":"Deny","Principal":"*""#)
    );
    let vpc = |region: &str| Origin {
        source_vpc: Some("vpc-0a1b2c3d".into()),
        source_vpce: Some("vpce-99999999".into()),
        requested_region: Some(region.into()),
        ..Origin::default()
    };
    for phase in [Phase::PreAuth, Phase::PostAuth] {
        assert!(not_denied(&p, phase, Some(USER), &vpc("eu-west-1")));
        assert!(
            denied(&p, phase, Some(USER), &vpc("us-east-1")),
            "{phase:?}"
        );
        // The pin keeps the scope: roles and break-glass pass from any Region.
        assert!(not_denied(&p, phase, Some(ROLE), &vpc("us-east-1")));
        assert!(not_denied(&p, phase, Some(BG_USER), &vpc("us-east-1")));
        let endpoint = Origin {
            source_vpc: Some("vpc-99999999".into()),
            source_vpce: Some("vpce-1a2b3c4d".into()),
            requested_region: Some("us-east-1".into()),
            ..Origin::default()
        };
        assert!(not_denied(&p, phase, Some(USER), &endpoint));
        assert!(denied(&p, phase, Some(USER), &Origin::ip(OUTSIDE)));
        assert!(not_denied(&p, phase, Some(USER), &Origin::ip(INSIDE)));
    }
}

#[test]
fn the_rcp_has_its_own_budget_and_setting() {
    let (c, _) = config_from("[limits]\nrcp_max_chars = 600\n");
    let many: Vec<crate::cidr::SourcedValue> = (0..40u32)
        .map(|i| {
            crate::cidr::SourcedValue::new(
                std::net::Ipv4Addr::from(0x0b00_0000 + 2 * i).to_string(),
                crate::origin::Origin::label("t"),
            )
        })
        .collect();
    let set = CidrSet::build(&many, Default::default(), "t").unwrap().set;
    let err = render(&c, &set, PolicyKind::Signin, Layout::Single).unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(err, RenderError::TooLarge { limit: 600, .. }),
        "{msg}"
    );
    assert!(msg.contains("([limits] rcp_max_chars)"), "{msg}");
    assert!(msg.contains("accepts 5120 characters in an RCP"), "{msg}");
    let e = Config::parse(
        "[network]\ncidrs=[\"192.0.2.0/24\"]\n[limits]\nrcp_max_chars = 5121\n",
        "t",
    )
    .unwrap_err();
    assert!(
        e[0].to_string()
            .contains("rcp_max_chars = 5121 must be 1 to 5120"),
        "{e:?}"
    );
    assert_eq!(
        render(&c, &set, PolicyKind::Signin, Layout::SplitStatements),
        Err(RenderError::SplitSignin)
    );
}

#[test]
fn every_console_scenario_row_gives_what_it_expects() {
    let (mut c, set) = config_from(BG);
    let mut policies = Vec::new();
    for include_root in [false, true] {
        c.console.include_root = include_root;
        policies.push(compiled(&c, &set).1);
    }
    let rows = scenario(&c, &set);
    assert!(rows.len() >= 14, "{}", rows.len());
    for row in rows {
        let p = &policies[usize::from(row.include_root)];
        let d = p.evaluate(&request(
            row.action,
            row.phase,
            row.principal_arn.as_deref(),
            &row.origin,
        ));
        assert_eq!(d.statement.as_deref(), row.expected, "{}", row.title);
    }
}

#[test]
fn arn_patterns_match_segment_by_segment() {
    assert!(arn_matches(USER_PATTERN, USER_WITH_PATH));
    assert!(arn_matches(
        "arn:aws:iam::*:role/BreakGlass*",
        "arn:aws:iam::111122223333:role/BreakGlassAdmin"
    ));
    assert!(!arn_matches(
        "arn:aws:iam::*:role/BreakGlass",
        "arn:aws:iam::111122223333:role/BreakGlassAdmin"
    ));
    assert!(!arn_matches(
        "arn:aws:iam::*:role/*",
        "arn:aws:iam::1:user/x"
    ));
    assert!(arn_matches("arn:aws:iam::11112222333?:root", ROOT));
    assert!(!arn_matches("a", "a"));
    assert_eq!(
        principal_of_caller("arn:aws:sts::111122223333:assumed-role/BreakGlass/me@example.com"),
        BG_ROLE
    );
    assert_eq!(principal_of_caller(USER), USER);
}

#[test]
fn the_principal_type_follows_the_arn() {
    for (arn, kind) in [
        ("arn:aws:iam::111122223333:root", "Account"),
        ("arn:aws:iam::x:root", "Account"),
        ("arn:aws:iam::111122223333:user/ops/breakglass", "User"),
        ("arn:aws:iam::111122223333:role/BreakGlass", "AssumedRole"),
        (
            "arn:aws:sts::111122223333:assumed-role/BreakGlass/s",
            "AssumedRole",
        ),
        (
            "arn:aws:sts::111122223333:federated-user/bob",
            "FederatedUser",
        ),
    ] {
        assert_eq!(principal_type(arn), kind, "{arn}");
    }
}
