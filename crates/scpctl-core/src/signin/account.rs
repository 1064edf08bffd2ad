//! Account-level console sign-in: the config translated into AWS Sign-In resource permission
//! statements (`PutResourcePermissionStatement`), which take structured fields, not a policy
//! document: one `sourceIp`, `sourceVpc` (with `requestedRegion`), `signinSourceVpce`, or an
//! `excludedPrincipal` given as one exact ARN (AWS Sign-In API Reference,
//! PutResourcePermissionStatement: "excludedPrincipal ... Pattern:
//! arn:aws:((iam::[0-9]{12}:role/NAME)|(iam::[0-9]{12}:user/NAME)|(sts::...)|(iam::[0-9]{12}:root))").
//! Each statement names a network "from which access is allowed"; the excluded principal is
//! "excluded from policy evaluation". What the fields cannot say is refused, naming it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::cidr::{parse_cidr, CidrOptions, CidrSet};
use crate::config::Config;
use crate::origin::Origin;

/// One resource permission statement, as its request fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountStatement {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_vpc: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signin_source_vpce: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requested_region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excluded_principal: Option<String>,
}

impl std::fmt::Display for AccountStatement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AccountStatement {
                excluded_principal: Some(p),
                ..
            } => write!(f, "exclude {p} (break-glass)"),
            AccountStatement {
                source_ip: Some(ip),
                ..
            } => write!(f, "allow sign-in from {ip}"),
            AccountStatement {
                source_vpc: Some(vpc),
                requested_region,
                ..
            } => write!(
                f,
                "allow sign-in from {vpc} in {}",
                requested_region.as_deref().unwrap_or("?")
            ),
            AccountStatement {
                signin_source_vpce: Some(e),
                ..
            } => write!(f, "allow sign-in through {e}"),
            _ => write!(f, "an empty statement"),
        }
    }
}

impl AccountStatement {
    /// A deterministic idempotency token (1-64 characters of `[!-~]`): a retried request
    /// after a lost answer does not create a second statement.
    pub fn client_token(&self) -> String {
        // FNV-1a over the fields: stable across runs and platforms.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let text = serde_json::to_string(self).unwrap_or_default();
        for b in format!("scpctl-signin-v1|{text}").bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        format!("scpctl-{h:016x}")
    }

    /// The statement AWS returns (ListResourcePermissionStatements: operator -> key ->
    /// values), read back into fields: operators aside, the keys say what it allows.
    pub fn from_condition(condition: &BTreeMap<String, BTreeMap<String, Vec<String>>>) -> Self {
        let mut s = AccountStatement::default();
        for keys in condition.values() {
            for (key, values) in keys {
                let Some(value) = values.first().cloned() else {
                    continue;
                };
                match key.to_ascii_lowercase().as_str() {
                    "aws:sourceip" => s.source_ip = Some(normalize_ip(&value)),
                    "aws:sourcevpc" => s.source_vpc = Some(value),
                    "aws:sourcevpce" => s.signin_source_vpce = Some(value),
                    "aws:requestedregion" => s.requested_region = Some(value),
                    "aws:principalarn" | "signin:principalarn" => {
                        s.excluded_principal = Some(value)
                    }
                    _ => {}
                }
            }
        }
        s
    }
}

/// A CIDR in full notation (`192.0.2.7` -> `192.0.2.7/32`), as compared and sent.
fn normalize_ip(value: &str) -> String {
    let opts = CidrOptions {
        normalize_host_bits: true,
    };
    parse_cidr(value, &Origin::label("statement"), opts)
        .map_or_else(|_| value.to_string(), |n| n.to_string())
}

/// Whether `arn` is one exact principal ARN `excludedPrincipal` accepts.
pub fn excluded_principal_ok(arn: &str) -> Result<(), String> {
    let name_ok = |n: &str| {
        (1..=64).contains(&n.len())
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
    };
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ok = match parts.as_slice() {
        ["arn", "aws", "iam", "", account, resource] if is_account(account) => {
            *resource == "root"
                || resource
                    .strip_prefix("role/")
                    .or_else(|| resource.strip_prefix("user/"))
                    .is_some_and(name_ok)
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else if arn.contains(['*', '?']) {
        Err(format!(
            "{arn} is a pattern; excludedPrincipal takes one exact ARN"
        ))
    } else {
        Err(format!("{arn}: excludedPrincipal takes arn:aws:iam::ACCOUNT:role/NAME, user/NAME or root, without a path"))
    }
}

fn is_account(s: &str) -> bool {
    crate::names::check_account_id(s).is_ok()
}

/// The statements for a config: one per CIDR, per VPC and Region, per endpoint, and one
/// excluding each break-glass principal. `all_principals`: the caller accepts that account
/// statements hold every principal signing in to the account to the networks (IAM users, the
/// root user, federated roles): the fields have no principal scope, so the RCP's "IAM users
/// only" cannot be said.
pub fn account_statements(
    config: &Config,
    cidrs: &CidrSet,
    all_principals: bool,
) -> Result<Vec<AccountStatement>, Vec<String>> {
    let mut errors = Vec::new();
    if !all_principals {
        errors.push(
            "account statements cannot be limited to IAM users: they hold every principal that signs in to the account to \
             the networks (IAM users, the root user, roles of federated and IAM Identity Center users). Pass --all-principals \
             to accept that, or use the organization RCP (`apply --kind signin --ou ...`), which reaches IAM users only"
                .to_string(),
        );
    }
    if let Some(keys) = config.network.opt_ins.owner_settings() {
        errors.push(format!(
            "[network] {keys}: an account statement has no field for the endpoint's owner (sourceIp, sourceVpc with \
             requestedRegion, signinSourceVpce), and AWS Sign-In documents no aws:VpceOrgID or aws:VpceAccount: list those \
             endpoints in vpc_endpoints and use a config without {keys} for the account statements"
        ));
    }
    let mut out = Vec::new();
    for bg in &config.break_glass.principals {
        match excluded_principal_ok(bg) {
            Ok(()) => out.push(AccountStatement {
                excluded_principal: Some(bg.clone()),
                ..AccountStatement::default()
            }),
            Err(why) => errors.push(format!("[break_glass] principals: {why}")),
        }
    }
    for net in cidrs.iter() {
        out.push(AccountStatement {
            source_ip: Some(net.to_string()),
            ..AccountStatement::default()
        });
    }
    for vpc in &config.network.opt_ins.vpcs {
        for region in &vpc.regions {
            out.push(AccountStatement {
                source_vpc: Some(vpc.id.clone()),
                requested_region: Some(region.clone()),
                ..AccountStatement::default()
            });
        }
    }
    for e in &config.network.opt_ins.vpc_endpoints {
        out.push(AccountStatement {
            signin_source_vpce: Some(e.clone()),
            ..AccountStatement::default()
        });
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(more: &str) -> (Config, CidrSet) {
        let c = Config::parse(
            &format!("[network]\ncidrs = [\"192.0.2.0/24\", \"198.51.100.7\"]\nvpcs = [{{ id = \"vpc-0a1b2c3d\", regions = [\"eu-west-1\", \"us-east-1\"] }}]\nvpc_endpoints = [\"vpce-1a2b3c4d\"]\n{more}"),
            "t",
        )
        .unwrap();
        let set = CidrSet::build(&c.network.cidrs, c.network.options, "t")
            .unwrap()
            .set;
        (c, set)
    }

    #[test]
    fn every_network_and_break_glass_principal_becomes_one_statement() {
        let (c, set) =
            config("[break_glass]\nprincipals = [\"arn:aws:iam::111122223333:role/BreakGlass\"]\n");
        let s = account_statements(&c, &set, true).unwrap();
        let shown: Vec<String> = s.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "exclude arn:aws:iam::111122223333:role/BreakGlass (break-glass)",
                "allow sign-in from 192.0.2.0/24",
                "allow sign-in from 198.51.100.7/32",
                "allow sign-in from vpc-0a1b2c3d in eu-west-1",
                "allow sign-in from vpc-0a1b2c3d in us-east-1",
                "allow sign-in through vpce-1a2b3c4d",
            ]
        );
        assert!(s.iter().all(|x| {
            let t = x.client_token();
            (1..=64).contains(&t.len()) && t.bytes().all(|b| (b'!'..=b'~').contains(&b))
        }));
        assert_ne!(s[1].client_token(), s[2].client_token());
    }

    #[test]
    fn what_the_fields_cannot_say_is_refused_by_name() {
        let (c, set) = config("[break_glass]\nprincipals = [\"arn:aws:iam::*:role/BreakGlass*\", \"arn:aws:iam::111122223333:role/ops/Path\"]\n");
        let e = account_statements(&c, &set, false).unwrap_err();
        assert_eq!(e.len(), 3, "{e:?}");
        assert!(e[0].contains("cannot be limited to IAM users"), "{e:?}");
        assert!(e[1].contains("role/BreakGlass* is a pattern"), "{e:?}");
        assert!(e[2].contains("without a path"), "{e:?}");
    }

    #[test]
    fn statements_read_back_compare_equal() {
        let mut cond = BTreeMap::new();
        cond.insert(
            "NotIpAddress".to_string(),
            BTreeMap::from([("aws:SourceIp".to_string(), vec!["198.51.100.7".to_string()])]),
        );
        let s = AccountStatement::from_condition(&cond);
        assert_eq!(s.source_ip.as_deref(), Some("198.51.100.7/32"));
        assert_eq!(s.to_string(), "allow sign-in from 198.51.100.7/32");
    }
}
