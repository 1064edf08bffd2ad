//! Requests as a user describes them, and the seed guide's test scenario (003 §4.6 steps 3-6,
//! plus the pitfalls from §4.4, §6.1, §6.2 and the aws:SourceIp article) as a table of
//! requests with the decision the guide expects.

use std::net::IpAddr;

use crate::cidr::CidrSet;
use crate::config::ExceptionTag;
use crate::eval::RequestContext;
use crate::networks::{self, NetworkOptIns};
use crate::render::{PolicyKind, SID_IDENTITY, SID_OUTSIDE_NETWORK, SID_UNTAGGED};

/// What a request looks like to the policy. Absent fields are absent keys, except
/// `aws:ViaAWSService`, which AWS includes in every request context (IAM User Guide, global
/// condition keys, aws:ViaAWSService "Availability"), so it is `false` unless set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestSpec {
    /// `aws:PrincipalType`: User, AssumedRole, FederatedUser, Account, ...
    pub principal_type: String,
    /// `aws:PrincipalTag/KEY` values.
    pub tags: Vec<(String, String)>,
    /// `aws:SourceIp`; `None` is a request through a VPC endpoint, where the key is absent.
    pub source_ip: Option<IpAddr>,
    pub via_aws_service: bool,
    pub action: String,
    /// `aws:SourceVpc` and `aws:SourceVpce` of a request through a VPC endpoint.
    pub source_vpc: Option<String>,
    pub source_vpce: Option<String>,
    /// `aws:RequestedRegion`.
    pub region: Option<String>,
    /// Any other context keys.
    pub extra: Vec<(String, String)>,
}

/// The action of the guide's test (§4.6 step 2 grants only this).
pub const DEFAULT_ACTION: &str = "s3:ListAllMyBuckets";

impl RequestSpec {
    pub fn new(principal_type: &str) -> Self {
        RequestSpec {
            principal_type: principal_type.into(),
            tags: Vec::new(),
            source_ip: None,
            via_aws_service: false,
            action: DEFAULT_ACTION.into(),
            source_vpc: None,
            source_vpce: None,
            region: None,
            extra: Vec::new(),
        }
    }

    /// Through endpoint `vpce` of `vpc`, calling `region`.
    fn through(mut self, vpc: &str, vpce: &str, region: &str) -> Self {
        self.source_vpc = Some(vpc.into());
        self.source_vpce = Some(vpce.into());
        self.region = Some(region.into());
        self
    }

    fn action(mut self, action: &str) -> Self {
        self.action = action.into();
        self
    }

    fn tagged(mut self, tag: &ExceptionTag, value: &str) -> Self {
        self.tags.push((tag.key.clone(), value.into()));
        self
    }

    fn from(mut self, ip: impl Into<IpAddr>) -> Self {
        self.source_ip = Some(ip.into());
        self
    }

    fn via_service(mut self) -> Self {
        self.via_aws_service = true;
        self
    }

    pub fn context(&self) -> RequestContext {
        let mut ctx = RequestContext::new(&self.action)
            .with("aws:PrincipalType", &self.principal_type)
            .with("aws:ViaAWSService", self.via_aws_service.to_string());
        for (k, v) in &self.tags {
            ctx = ctx.with(&format!("aws:PrincipalTag/{k}"), v);
        }
        if let Some(ip) = self.source_ip {
            ctx = ctx.with("aws:SourceIp", ip.to_string());
        }
        if let Some(vpc) = &self.source_vpc {
            ctx = ctx.with("aws:SourceVpc", vpc);
        }
        if let Some(vpce) = &self.source_vpce {
            ctx = ctx.with("aws:SourceVpce", vpce);
        }
        if let Some(region) = &self.region {
            ctx = ctx.with("aws:RequestedRegion", region);
        }
        for (k, v) in &self.extra {
            ctx = ctx.with(k, v);
        }
        ctx
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioCase {
    /// Where in the guide (or the article) the case comes from.
    pub source: &'static str,
    pub title: String,
    pub request: RequestSpec,
    /// The Sid the guide says denies the request, or `None` for "not denied".
    pub expected: Option<String>,
}

/// The same value with other letter case, if it has letters (`True` -> `true`).
fn other_case(value: &str) -> Option<String> {
    let lower = value.to_lowercase();
    if lower != value {
        return Some(lower);
    }
    let upper = value.to_uppercase();
    (upper != value).then_some(upper)
}

fn case(
    source: &'static str,
    title: String,
    request: RequestSpec,
    expected: Option<&str>,
) -> ScenarioCase {
    ScenarioCase {
        source,
        title,
        request,
        expected: expected.map(str::to_string),
    }
}

/// An endpoint and a VPC that no config lists (ids of the right shape, all zeros and `f`s).
const UNLISTED_VPC: &str = "vpc-0000000f";
const UNLISTED_VPCE: &str = "vpce-0000000000000000f";

/// An organization and an account that no config lists, for "another owner" rows.
const UNLISTED_ORG_IDS: [&str; 2] = ["o-0000000000", "o-1111111111"];
const UNLISTED_ACCOUNTS: [&str; 2] = ["000000000000", "999999999999"];

fn unlisted<'a>(candidates: &[&'a str], listed: &[String]) -> &'a str {
    candidates
        .iter()
        .find(|c| !listed.iter().any(|l| l == *c))
        .copied()
        .unwrap_or(candidates[0])
}

impl RequestSpec {
    /// The endpoint's owner, as a service that supports the keys sends it.
    fn owned_by(mut self, org_id: &str, account: &str) -> Self {
        self.extra.push(("aws:VpceOrgID".into(), org_id.into()));
        self.extra.push(("aws:VpceAccount".into(), account.into()));
        self
    }
}

/// An action of a service that does not send the endpoint owner's keys.
const UNSUPPORTED_OWNER_ACTION: &str = "ec2:DescribeInstances";

/// The rows `vpce_org_ids` and `vpce_accounts` add: an unlisted endpoint of a listed owner
/// (let through), of another owner (denied), the same endpoint for a service that does not send
/// the owner's keys (denied: they only add), and a listed VPC in another Region through an
/// owned endpoint (let through: the pins carry the owners too).
fn owner_rows(
    rows: &mut Vec<ScenarioCase>,
    who: &str,
    principal: &dyn Fn() -> RequestSpec,
    network_sid: &str,
    opts: &NetworkOptIns,
) {
    if !opts.has_owners() {
        return;
    }
    let other_org = unlisted(&UNLISTED_ORG_IDS, &opts.vpce_org_ids);
    let other_account = unlisted(&UNLISTED_ACCOUNTS, &opts.vpce_accounts);
    let through = || principal().through(UNLISTED_VPC, UNLISTED_VPCE, "us-east-1");
    // An owner the config lists: its organization, or failing that one of its accounts.
    let (listed, org, account) = match (opts.vpce_org_ids.first(), opts.vpce_accounts.first()) {
        (Some(org), _) => (format!("organization {org}"), org.as_str(), other_account),
        (None, Some(account)) => (format!("account {account}"), other_org, account.as_str()),
        (None, None) => return,
    };
    rows.push(case(
        "[network] vpce_org_ids / vpce_accounts",
        format!("{who}, through an unlisted endpoint that {listed} owns ({DEFAULT_ACTION} carries the owner)"),
        through().owned_by(org, account),
        None,
    ));
    if let (Some(_), Some(acct)) = (opts.vpce_org_ids.first(), opts.vpce_accounts.first()) {
        rows.push(case(
            "[network] vpce_accounts",
            format!("{who}, through an unlisted endpoint that listed account {acct} owns in organization {other_org}"),
            through().owned_by(other_org, acct),
            None,
        ));
    }
    rows.push(case(
        "[network] vpce_org_ids / vpce_accounts",
        format!(
            "{who}, through an unlisted endpoint of another owner ({other_org}, {other_account})"
        ),
        through().owned_by(other_org, other_account),
        Some(network_sid),
    ));
    rows.push(case(
        "[network] vpce_org_ids / vpce_accounts",
        format!("{who}, through an unlisted endpoint that {listed} owns, calling {UNSUPPORTED_OWNER_ACTION} (EC2 does not send the owner's keys)"),
        through().action(UNSUPPORTED_OWNER_ACTION),
        Some(network_sid),
    ));
    if let Some((regions, ids)) = opts.region_groups().first() {
        let other = another_region(regions);
        rows.push(case(
            "[network] vpcs + vpce_org_ids / vpce_accounts",
            format!(
                "{who}, from listed {} calling {other} through an endpoint that {listed} owns",
                ids[0]
            ),
            principal()
                .through(&ids[0], UNLISTED_VPCE, other)
                .owned_by(org, account),
            None,
        ));
    }
}

/// A Region none of `regions` is, for the "same VPC id in another Region" row.
fn another_region(regions: &[String]) -> &'static str {
    ["ap-south-1", "sa-east-1", "af-south-1"]
        .into_iter()
        .find(|r| !regions.iter().any(|x| x == r))
        .unwrap_or("me-south-1")
}

/// The rows the `[network]` opt-ins add: a listed VPC in its Region and in another Region, an
/// unlisted endpoint, and `rds-db:connect` (a VPC-resident action) with or without the opt-in.
fn network_rows(
    rows: &mut Vec<ScenarioCase>,
    who: &str,
    principal: &dyn Fn() -> RequestSpec,
    network_sid: &str,
    inside: IpAddr,
    opts: &NetworkOptIns,
) {
    for (n, (regions, ids)) in opts.region_groups().iter().enumerate() {
        let vpc = &ids[0];
        rows.push(case(
            "[network] vpcs",
            format!("{who}, from listed {vpc} calling {}", regions[0]),
            principal().through(vpc, UNLISTED_VPCE, &regions[0]),
            None,
        ));
        let other = another_region(regions);
        rows.push(case(
            "[network] vpcs",
            format!(
                "{who}, from {vpc} calling {other}: the same VPC id can exist in another Region"
            ),
            principal().through(vpc, UNLISTED_VPCE, other),
            Some(&networks::pin_sid(n + 1)),
        ));
    }
    for vpce in &opts.vpc_endpoints {
        rows.push(case(
            "[network] vpc_endpoints",
            format!("{who}, through listed {vpce} from an unlisted VPC"),
            principal().through(UNLISTED_VPC, vpce, "us-east-1"),
            None,
        ));
    }
    if opts.has_networks() {
        rows.push(case(
            "[network]",
            format!("{who}, through an unlisted endpoint of an unlisted VPC"),
            principal().through(UNLISTED_VPC, UNLISTED_VPCE, "us-east-1"),
            Some(network_sid),
        ));
    }
    owner_rows(rows, who, principal, network_sid, opts);
    let exempt = opts.exempt_vpc_resident_actions;
    rows.push(case(
        "[network] exempt_vpc_resident_actions",
        format!(
            "{who}, rds-db:connect to a database inside the VPC from {inside} (no network key reaches it){}",
            if exempt { "" } else { "; opt in to exempt it" }
        ),
        principal().action("rds-db:connect"),
        (!exempt).then_some(network_sid),
    ));
}

/// The guide's scenario for the configured tag and networks.
pub fn scenario(
    kind: PolicyKind,
    tag: &ExceptionTag,
    cidrs: &CidrSet,
    opts: &NetworkOptIns,
) -> Vec<ScenarioCase> {
    let out4: IpAddr = cidrs
        .example_outside_v4()
        .map_or(IpAddr::from([198, 51, 100, 7]), IpAddr::V4);
    let out6: IpAddr = cidrs
        .example_outside_v6()
        .map_or("2001:db8:ffff::7".parse().expect("static"), IpAddr::V6);
    let in6: Option<IpAddr> = cidrs.example_inside_v6().map(IpAddr::V6);
    // Configs with only IPv6 ranges use an IPv6 address for the "inside" rows.
    let inside: IpAddr = cidrs
        .example_inside_v4()
        .map(IpAddr::V4)
        .or(in6)
        .unwrap_or(out4);
    let kv = format!("{}={}", tag.key, tag.value);
    let user = || RequestSpec::new("User");
    let tagged = || user().tagged(tag, &tag.value);
    let mut rows = Vec::new();
    match kind {
        PolicyKind::Scp => {
            rows.push(case(
                "§4.6 step 3",
                format!("IAM user without the tag, from inside ({inside})"),
                user().from(inside),
                Some(SID_UNTAGGED),
            ));
            rows.push(case(
                "§4.6 step 5",
                format!("IAM user tagged {kv}, from inside ({inside})"),
                tagged().from(inside),
                None,
            ));
            rows.push(case(
                "§4.6 step 6",
                format!("IAM user after the tag is removed, from inside ({inside})"),
                user().from(inside),
                Some(SID_UNTAGGED),
            ));
            rows.push(case(
                "§4.3",
                format!("IAM user tagged {kv}, outside the network ({out4}): a leaked key"),
                tagged().from(out4),
                Some(SID_OUTSIDE_NETWORK),
            ));
            match in6 {
                Some(a) => rows.push(case(
                    "§6.2",
                    format!("IAM user tagged {kv}, from inside an IPv6 range ({a})"),
                    tagged().from(a),
                    None,
                )),
                None => rows.push(case(
                    "§6.2",
                    format!(
                        "IAM user tagged {kv}, over IPv6 ({out6}); no IPv6 range is configured"
                    ),
                    tagged().from(out6),
                    Some(SID_OUTSIDE_NETWORK),
                )),
            }
            if in6.is_some() {
                rows.push(case(
                    "§6.2",
                    format!("IAM user tagged {kv}, over IPv6 outside the network ({out6})"),
                    tagged().from(out6),
                    Some(SID_OUTSIDE_NETWORK),
                ));
            }
            rows.push(case(
                "§4.3",
                format!("IAM role session (or Identity Center user), outside ({out4})"),
                RequestSpec::new("AssumedRole").from(out4),
                None,
            ));
            rows.push(case(
                "§6.1",
                format!("IAM user tagged {kv}, call made for them by an AWS service from {out4}"),
                tagged().from(out4).via_service(),
                None,
            ));
            rows.push(case(
                "§6.1",
                format!("IAM user tagged {kv}, through a VPC endpoint (no aws:SourceIp)"),
                tagged(),
                Some(SID_OUTSIDE_NETWORK),
            ));
            if let Some(wrong) = other_case(&tag.value) {
                rows.push(case(
                    "§4.1",
                    format!(
                        "IAM user tagged {}={wrong} (wrong case), from inside ({inside})",
                        tag.key
                    ),
                    user().tagged(tag, &wrong).from(inside),
                    Some(SID_UNTAGGED),
                ));
            }
            rows.push(case(
                "§4.4",
                format!(
                    "IAM user without the tag, call made for them by an AWS service from {out4}"
                ),
                user().from(out4).via_service(),
                Some(SID_UNTAGGED),
            ));
            rows.push(case(
                "§4.3",
                format!("Root user of a member account, outside ({out4})"),
                RequestSpec::new("Account").from(out4),
                None,
            ));
            network_rows(
                &mut rows,
                &format!("IAM user tagged {kv}"),
                &tagged,
                SID_OUTSIDE_NETWORK,
                inside,
                opts,
            );
        }
        PolicyKind::Identity => {
            rows.push(case(
                "§5.1",
                format!("Principal with the policy, from inside ({inside})"),
                user().from(inside),
                None,
            ));
            rows.push(case(
                "§5.1",
                format!("Principal with the policy, outside the network ({out4})"),
                user().from(out4),
                Some(SID_IDENTITY),
            ));
            match in6 {
                Some(a) => rows.push(case("§6.2", format!("Principal with the policy, from inside an IPv6 range ({a})"), user().from(a), None)),
                None => rows.push(case("§6.2", format!("Principal with the policy, over IPv6 ({out6}); no IPv6 range is configured"), user().from(out6), Some(SID_IDENTITY))),
            }
            rows.push(case(
                "§5.1",
                format!("Principal with the policy, call made by an AWS service from {out4}"),
                user().from(out4).via_service(),
                None,
            ));
            rows.push(case(
                "§6.1",
                "Principal with the policy, through a VPC endpoint (no aws:SourceIp)".into(),
                user(),
                Some(SID_IDENTITY),
            ));
            network_rows(
                &mut rows,
                "Principal with the policy",
                &user,
                SID_IDENTITY,
                inside,
                opts,
            );
        }
        // The console rows depend on [console] and [break_glass]: `signin::scenario`.
        PolicyKind::Signin => {}
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_case_flips_letters_only() {
        assert_eq!(other_case("True").as_deref(), Some("true"));
        assert_eq!(other_case("yes").as_deref(), Some("YES"));
        assert_eq!(other_case("123"), None);
    }

    #[test]
    fn context_has_via_aws_service_always_and_source_ip_only_when_given() {
        let ctx = RequestSpec::new("User").context();
        assert_eq!(
            ctx.get("aws:ViaAWSService"),
            Some(&["false".to_string()][..])
        );
        assert_eq!(ctx.get("aws:SourceIp"), None);
        assert_eq!(
            ctx.get("aws:principaltype"),
            Some(&["User".to_string()][..])
        );
    }
}
