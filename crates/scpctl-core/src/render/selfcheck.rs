//! Every rendered document parsed back and checked: its shape, its tag condition, and that its
//! CIDR list denotes exactly the configured set.

use crate::cidr::{parse_cidr, CidrOptions, CidrSet};
use crate::config::ExceptionTag;
use crate::networks::{self, NetworkOptIns};
use crate::origin::Origin;
use crate::policy::{ActionSpec, Effect, PolicyDocument, ResourceSpec};

use super::kinds::*;

/// Parse the rendered text back and check it says what it must.
pub(super) fn self_check(
    r: &RenderedPolicy,
    kind: PolicyKind,
    layout: Layout,
    tag: &ExceptionTag,
    cidrs: &CidrSet,
    opts: &NetworkOptIns,
) -> Result<(), String> {
    if r.compact.contains("{{") {
        return Err("a placeholder was left unfilled".into());
    }
    let doc = PolicyDocument::from_json(&r.compact).map_err(|e| e.to_string())?;
    if doc.version.as_deref() != Some("2012-10-17") {
        return Err("Version is not 2012-10-17".into());
    }
    let network_sid = match kind {
        PolicyKind::Scp => SID_OUTSIDE_NETWORK,
        PolicyKind::Identity | PolicyKind::Signin => SID_IDENTITY,
    };
    let pins: Vec<String> = (1..=opts.region_groups().len())
        .map(networks::pin_sid)
        .collect();
    let mut expected_sids: Vec<&str> = match (kind, layout) {
        (PolicyKind::Identity | PolicyKind::Signin, _) => vec![SID_IDENTITY],
        (PolicyKind::Scp, Layout::Single) => vec![SID_UNTAGGED, SID_OUTSIDE_NETWORK],
        (PolicyKind::Scp, Layout::SplitStatements) if r.name.ends_with(SPLIT_UNTAGGED_SUFFIX) => {
            vec![SID_UNTAGGED]
        }
        (PolicyKind::Scp, Layout::SplitStatements) => vec![SID_OUTSIDE_NETWORK],
    };
    if expected_sids.contains(&network_sid) {
        expected_sids.extend(pins.iter().map(String::as_str));
    }
    let sids: Vec<&str> = doc
        .statements
        .iter()
        .filter_map(|s| s.sid.as_deref())
        .collect();
    if sids != expected_sids {
        return Err(format!(
            "statements are {sids:?}, expected {expected_sids:?}"
        ));
    }
    let tag_key = format!("aws:PrincipalTag/{}", tag.key);
    let star = vec!["*".to_string()];
    let exempt: Vec<String> = networks::VPC_RESIDENT_ACTIONS
        .iter()
        .map(|(a, _)| a.to_string())
        .collect();
    let ip_operator = if opts.has_networks() {
        "NotIpAddressIfExists"
    } else {
        "NotIpAddress"
    };
    let vpc_ids: Vec<String> = opts.vpcs.iter().map(|v| v.id.clone()).collect();
    for s in &doc.statements {
        let sid = s.sid.as_deref().unwrap_or_default();
        // The endpoint owners let a request through the network statement and every pin
        // (never only one of them: a pin would then deny what statement 2 lets through).
        let network_or_pin = sid == network_sid || pins.iter().any(|p| p == sid);
        for (key, wanted) in [
            ("aws:VpceOrgID", &opts.vpce_org_ids),
            ("aws:VpceAccount", &opts.vpce_accounts),
        ] {
            let carried = s.conditions.iter().any(|c| c.key == key);
            let expected = network_or_pin && !wanted.is_empty();
            if carried && !expected {
                return Err(format!(
                    "statement {sid:?} carries {key}, which the config does not put there"
                ));
            }
            if expected && !carried {
                return Err(format!(
                    "statement {sid:?} lacks {key}: the network statement and each pin carry it"
                ));
            }
        }
        let action_ok = if sid == network_sid && opts.exempt_vpc_resident_actions {
            s.action == ActionSpec::NotAction(exempt.clone())
        } else {
            s.action == ActionSpec::Action(star.clone())
        };
        if s.effect != Effect::Deny
            || !action_ok
            || s.resource != ResourceSpec::Resource(star.clone())
        {
            return Err(format!(
                "statement {:?} is not a Deny of the expected actions on Resource *",
                s.sid
            ));
        }
        for c in &s.conditions {
            if c.key == tag_key && c.values != vec![tag.value.clone()] {
                return Err(format!(
                    "{} compares {:?}, expected {:?}",
                    c.key, c.values, tag.value
                ));
            }
            if c.key == "aws:SourceVpc"
                && c.operator == "StringNotEqualsIfExists"
                && c.values != vpc_ids
            {
                return Err(format!(
                    "aws:SourceVpc lists {:?}, expected {vpc_ids:?}",
                    c.values
                ));
            }
            if c.key == "aws:SourceVpce" && c.values != opts.vpc_endpoints {
                return Err(format!(
                    "aws:SourceVpce lists {:?}, expected {:?}",
                    c.values, opts.vpc_endpoints
                ));
            }
            for (key, wanted) in [
                ("aws:VpceOrgID", &opts.vpce_org_ids),
                ("aws:VpceAccount", &opts.vpce_accounts),
            ] {
                if c.key == key && (c.operator != "StringNotEqualsIfExists" || &c.values != wanted)
                {
                    return Err(format!(
                        "{key} is {} {:?}, expected StringNotEqualsIfExists {wanted:?}",
                        c.operator, c.values
                    ));
                }
            }
            if c.key == "aws:SourceIp" {
                if c.operator != ip_operator {
                    return Err(format!(
                        "aws:SourceIp is under {}, expected {ip_operator}",
                        c.operator
                    ));
                }
                let origin = Origin::label("rendered policy");
                let mut v4 = Vec::new();
                let mut v6 = Vec::new();
                for value in &c.values {
                    match parse_cidr(value, &origin, CidrOptions::default())
                        .map_err(|e| e.to_string())?
                    {
                        ipnet::IpNet::V4(n) => v4.push(n),
                        ipnet::IpNet::V6(n) => v6.push(n),
                    }
                }
                if &CidrSet::from_networks(v4, v6) != cidrs {
                    return Err("the CIDR list does not denote exactly the configured set".into());
                }
            }
        }
    }
    Ok(())
}
