//! The `[network]` opt-ins, checked by evaluating the rendered documents: for every combination
//! of source (CIDR in or out, listed or unlisted VPC in or out of its Regions, listed or unlisted
//! endpoint) and via-service, a tagged IAM user is let through exactly when the call comes via an
//! AWS service, OR from a listed CIDR, OR from a listed VPC in one of its Regions, OR through a
//! listed endpoint. Untagged users stay denied by statement 1; roles are never affected.

use scpctl_core::cidr::CidrSet;
use scpctl_core::config::Config;
use scpctl_core::eval::{evaluate, RequestContext};
use scpctl_core::policy::PolicyDocument;
use scpctl_core::render::{render, Layout, PolicyKind, RenderedPolicy};

const VPC_EU: &str = "vpc-0a1b2c3d";
const VPC_US: &str = "vpc-11112222";
const VPC_OTHER: &str = "vpc-99998888";
const VPCE: &str = "vpce-0a1b2c3d4e5f67890";
const VPCE_OTHER: &str = "vpce-0f0f0f0f0f0f0f0f0";

fn config(extra: &str) -> (Config, CidrSet) {
    let text = format!("[network]\ncidrs = [\"192.0.2.0/24\", \"2001:db8::/32\"]\n{extra}");
    let config = Config::parse(&text, "t.toml").unwrap();
    let set = CidrSet::build(&config.network.cidrs, config.network.options, "t")
        .unwrap()
        .set;
    (config, set)
}

const OPT_INS: &str = "vpcs = [{ id = \"vpc-0a1b2c3d\", regions = [\"eu-west-1\", \"eu-central-1\"] }, { id = \"vpc-11112222\", regions = [\"us-east-1\"] }]\nvpc_endpoints = [\"vpce-0a1b2c3d4e5f67890\"]\n";

fn doc(r: &[RenderedPolicy]) -> PolicyDocument {
    PolicyDocument::from_json(&r[0].compact).unwrap()
}

/// Where a request comes from.
#[derive(Clone, Copy, Debug)]
enum Source {
    Inside,
    Outside,
    /// Through an endpoint: (VPC, endpoint).
    Vpc(&'static str, &'static str),
}

fn request(source: Source, region: &str, via: bool, action: &str) -> RequestContext {
    let mut ctx = RequestContext::new(action)
        .with("aws:ViaAWSService", if via { "true" } else { "false" })
        .with("aws:RequestedRegion", region);
    match source {
        Source::Inside => ctx = ctx.with("aws:SourceIp", "192.0.2.10"),
        Source::Outside => ctx = ctx.with("aws:SourceIp", "198.51.100.7"),
        Source::Vpc(vpc, vpce) => {
            ctx = ctx
                .with("aws:SourceVpc", vpc)
                .with("aws:SourceVpce", vpce)
                .with("aws:VpcSourceIp", "10.0.0.5")
        }
    }
    ctx
}

fn user(ctx: RequestContext, tag: Option<&str>) -> RequestContext {
    let ctx = ctx.with("aws:PrincipalType", "User");
    match tag {
        Some(v) => ctx.with("aws:PrincipalTag/AccessException", v),
        None => ctx,
    }
}

fn expected_through(source: Source, region: &str, via: bool) -> bool {
    via || match source {
        Source::Inside => true,
        Source::Outside => false,
        Source::Vpc(vpc, vpce) => {
            vpce == VPCE
                || (vpc == VPC_EU && (region == "eu-west-1" || region == "eu-central-1"))
                || (vpc == VPC_US && region == "us-east-1")
        }
    }
}

fn sources() -> Vec<Source> {
    let mut all = vec![Source::Inside, Source::Outside];
    for vpc in [VPC_EU, VPC_US, VPC_OTHER] {
        for vpce in [VPCE, VPCE_OTHER] {
            all.push(Source::Vpc(vpc, vpce));
        }
    }
    all
}

#[test]
fn every_combination_is_decided_as_the_semantics_say_for_both_kinds() {
    let (c, set) = config(OPT_INS);
    for kind in [PolicyKind::Scp, PolicyKind::Identity] {
        let policy = doc(&render(&c, &set, kind, Layout::Single).unwrap());
        for source in sources() {
            for region in ["eu-west-1", "eu-central-1", "us-east-1", "ap-south-1"] {
                for via in [false, true] {
                    let ctx = request(source, region, via, "s3:GetObject");
                    let ctx = match kind {
                        PolicyKind::Scp => user(ctx, Some("True")),
                        PolicyKind::Identity | PolicyKind::Signin => ctx,
                    };
                    let d = evaluate(&policy, &ctx).unwrap();
                    assert_eq!(
                        !d.denied,
                        expected_through(source, region, via),
                        "{kind:?} {source:?} {region} via={via}: {:?}",
                        d.statement
                    );
                }
            }
        }
    }
}

#[test]
fn untagged_users_stay_denied_and_roles_are_never_affected() {
    let (c, set) = config(OPT_INS);
    let policy = doc(&render(&c, &set, PolicyKind::Scp, Layout::Single).unwrap());
    for source in sources() {
        for via in [false, true] {
            let base = request(source, "ap-south-1", via, "s3:GetObject");
            let d = evaluate(&policy, &user(base.clone(), None)).unwrap();
            assert_eq!(
                d.statement.as_deref(),
                Some("DenyIAMUsersWithoutAccessException")
            );
            let role = base.with("aws:PrincipalType", "AssumedRole");
            assert!(!evaluate(&policy, &role).unwrap().denied, "{source:?}");
        }
    }
}

#[test]
fn without_opt_ins_the_policy_is_the_guides_byte_for_byte() {
    let (c, set) = config("");
    let r = render(&c, &set, PolicyKind::Scp, Layout::Single).unwrap();
    assert!(r[0].compact.contains(r#""NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","2001:db8::/32"]},"Bool":{"aws:ViaAWSService":"false"}"#));
    assert!(!r[0].compact.contains("IfExists"));
    assert!(!r[0].compact.contains("NotAction"));
}

#[test]
fn vpc_resident_actions_leave_statement_2_only_with_the_opt_in() {
    for (extra, exempt) in [("", false), ("exempt_vpc_resident_actions = true\n", true)] {
        let (c, set) = config(&format!("{OPT_INS}{extra}"));
        let policy = doc(&render(&c, &set, PolicyKind::Scp, Layout::Single).unwrap());
        for action in [
            "rds-db:connect",
            "neptune-db:ReadDataViaQuery",
            "elasticfilesystem:ClientMount",
            "kafka-cluster:Connect",
            "es:ESHttpGet",
            "dax:GetItem",
            "s3-outposts:GetObject",
        ] {
            // Calls inside the VPC carry no network key at all.
            let ctx = RequestContext::new(action)
                .with("aws:ViaAWSService", "false")
                .with("aws:RequestedRegion", "eu-west-1");
            let tagged = evaluate(&policy, &user(ctx.clone(), Some("True"))).unwrap();
            assert_eq!(tagged.denied, !exempt, "{action} exempt={exempt}");
            let untagged = evaluate(&policy, &user(ctx, None)).unwrap();
            assert!(
                untagged.denied,
                "statement 1 still denies untagged users {action}"
            );
        }
        // Other actions from outside stay denied either way.
        let outside = user(
            request(Source::Outside, "eu-west-1", false, "s3:GetObject"),
            Some("True"),
        );
        assert!(evaluate(&policy, &outside).unwrap().denied);
        // dax control-plane actions are not exempt.
        let ctx = RequestContext::new("dax:CreateCluster").with("aws:ViaAWSService", "false");
        assert!(evaluate(&policy, &user(ctx, Some("True"))).unwrap().denied);
    }
}

#[test]
fn the_split_layout_keeps_the_pins_with_statement_2() {
    let (c, set) = config(OPT_INS);
    let r = render(&c, &set, PolicyKind::Scp, Layout::SplitStatements).unwrap();
    assert_eq!(r.len(), 2);
    assert!(!r[0].compact.contains("SourceVpc"));
    assert!(
        r[1].compact.contains("VpcOutsideItsRegions1")
            && r[1].compact.contains("VpcOutsideItsRegions2")
    );
}

#[test]
fn size_added_per_vpc_endpoint_and_region_is_counted_in_the_budget() {
    let size = |extra: &str| {
        let (c, set) = config(extra);
        render(&c, &set, PolicyKind::Scp, Layout::Single).unwrap()[0].chars()
    };
    let base = size("");
    let one_vpc = size("vpcs = [{ id = \"vpc-0a1b2c3d\", regions = [\"eu-west-1\"] }]\n");
    let two_regions =
        size("vpcs = [{ id = \"vpc-0a1b2c3d\", regions = [\"eu-west-1\", \"eu-central-1\"] }]\n");
    let two_vpcs = size("vpcs = [{ id = \"vpc-0a1b2c3d\", regions = [\"eu-west-1\"] }, { id = \"vpc-11112222\", regions = [\"eu-west-1\"] }]\n");
    let endpoint = size("vpc_endpoints = [\"vpce-0a1b2c3d4e5f67890\"]\n");
    assert!(one_vpc > base && two_regions > one_vpc && two_vpcs > one_vpc && endpoint > base);
    println!(
        "first VPC +{}, another Region +{}, another VPC with the same Regions +{}, first endpoint +{}",
        one_vpc - base,
        two_regions - one_vpc,
        two_vpcs - one_vpc,
        endpoint - base
    );
    // A limit that the opt-ins push over is refused.
    let (c, set) = config("vpcs = [{ id = \"vpc-0a1b2c3d\", regions = [\"eu-west-1\"] }]\n[limits]\nscp_max_chars = 700\n");
    assert!(render(&c, &set, PolicyKind::Scp, Layout::Single).is_err());
}
