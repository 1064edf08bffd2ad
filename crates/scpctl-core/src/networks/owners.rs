//! Networks by owner: `aws:VpceOrgID` and `aws:VpceAccount` (IAM, 2025-08-29). For supported
//! services, a request through a VPC endpoint carries the endpoint owner's organization id,
//! account and OU paths beside `aws:SourceVpce`; for every other service (and every request
//! not through an endpoint) the keys are absent.
//!
//! Sources: IAM User Guide, "AWS global condition context keys", `aws:VpceOrgID`,
//! `aws:VpceAccount`, `aws:VpceOrgPaths` (availability: requests through a VPC endpoint, for
//! the services listed there); aws-samples/data-perimeter-policy-examples, the example SCP
//! statement `EnforceNetworkPerimeterVpceOrgID` (commit 8e0d3c5, 2026-03-18), whose `Action`
//! list names the services that support the keys.
//!
//! Semantics in scpctl's deny-unless statements: the keys sit under `StringNotEqualsIfExists`
//! beside `aws:SourceVpc` and `aws:SourceVpce`, so they only ever add networks (a request
//! through an owned endpoint is let through) and, absent, change nothing: an absent key
//! matches `...IfExists`, exactly as if the key were not in the policy at all.

use std::collections::BTreeSet;

use crate::origin::{excerpt, Origin};

/// The IAM service prefixes whose requests through a VPC endpoint carry `aws:VpceOrgID`,
/// `aws:VpceAccount` and `aws:VpceOrgPaths` (the `Action` list of AWS's data-perimeter
/// statement `EnforceNetworkPerimeterVpceOrgID`, which follows the IAM User Guide's list). AWS adds
/// services over time: a service missing here is treated as not populating the keys, which
/// is the conservative answer (the request must come from a listed network).
pub const VPCE_OWNER_SERVICES: [&str; 48] = [
    "acm-pca",
    "applicationinsights",
    "apprunner",
    "athena",
    "b2bi",
    "cassandra",
    "cloudformation",
    "cognito-identity",
    "comprehendmedical",
    "compute-optimizer",
    "datasync",
    "discovery",
    "dms",
    "ds-data",
    "ebs",
    "ecr",
    "ecs",
    "firehose",
    "healthlake",
    "identitystore",
    "iotfleetwise",
    "iottwinmaker",
    "iotwireless",
    "kinesisanalytics",
    "kms",
    "lambda",
    "medical-imaging",
    "network-firewall",
    "omics",
    "payment-cryptography",
    "polly",
    "pricing",
    "rbin",
    "rekognition",
    "route53",
    "s3",
    "scheduler",
    "servicediscovery",
    "servicequotas",
    "ses",
    "sms-voice",
    "sqs",
    "ssm-contacts",
    "storagegateway",
    "textract",
    "transcribe",
    "transfer",
    "workmail",
];

/// The request keys a supported service adds for the endpoint's owner.
pub const OWNER_KEYS: [&str; 3] = ["aws:VpceOrgID", "aws:VpceAccount", "aws:VpceOrgPaths"];

/// Whether requests for `action` (`service:Name`) carry the owner keys through an endpoint.
/// IAM compares service prefixes case-insensitively.
pub fn populates_owner_keys(action: &str) -> bool {
    let service = action.split(':').next().unwrap_or_default();
    VPCE_OWNER_SERVICES
        .iter()
        .any(|s| s.eq_ignore_ascii_case(service))
}

/// The supported services as one line, for the README, `validate` and `simulate`.
pub fn owner_services_line() -> String {
    VPCE_OWNER_SERVICES.join(", ")
}

/// An AWS Organizations organization id: `o-` and 10 to 32 lowercase letters or digits
/// (Organizations API Reference, `Organization` `Id` pattern `^o-[a-z0-9]{10,32}$`).
pub fn check_org_id(value: &str) -> Result<(), String> {
    let ok = value.strip_prefix("o-").is_some_and(|rest| {
        (10..=32).contains(&rest.len())
            && rest
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
    });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{} is not an organization id: o- and 10 to 32 lowercase letters or digits (like o-a1b2c3d4e5)",
            excerpt(value)
        ))
    }
}

/// `vpce_org_ids` and `vpce_accounts`, validated.
pub type Owners = (Vec<String>, Vec<String>);

/// Validate `vpce_org_ids` and `vpce_accounts`: each value's shape, and no value twice (a
/// repeat is a copy-paste slip that hides a missing entry). Each error comes with where the
/// value is, and names the key and the value; the lists come back sorted, as the endpoints do.
pub fn build_owners(
    org_ids: Vec<(String, Origin)>,
    accounts: Vec<(String, Origin)>,
) -> Result<Owners, Vec<(Origin, String)>> {
    let mut errors = Vec::new();
    let mut read = |values: Vec<(String, Origin)>,
                    key: &str,
                    check: fn(&str) -> Result<(), String>| {
        let mut seen: Vec<(String, Origin)> = Vec::new();
        for (value, origin) in values {
            if let Err(e) = check(&value) {
                errors.push((origin, format!("[network] {key}: {e}")));
            } else if let Some((_, first)) = seen.iter().find(|(v, _)| *v == value) {
                errors.push((
                    origin,
                    format!("[network] {key}: {value} is listed twice (first at {first}); list each once"),
                ));
            } else {
                seen.push((value, origin));
            }
        }
        let set: BTreeSet<String> = seen.into_iter().map(|(v, _)| v).collect();
        set.into_iter().collect::<Vec<_>>()
    };
    let org_ids = read(org_ids, "vpce_org_ids", check_org_id);
    let accounts = read(accounts, "vpce_accounts", crate::names::check_account_id);
    if errors.is_empty() {
        Ok((org_ids, accounts))
    } else {
        Err(errors)
    }
}

/// The note `validate` prints when `vpce_org_ids` or `vpce_accounts` are set: which services
/// the keys reach, and what holds for the others.
pub fn owner_note() -> String {
    format!(
        "note: vpce_org_ids and vpce_accounts (aws:VpceOrgID, aws:VpceAccount) let a request through an endpoint those owners hold only for the services that send the endpoint's owner: {}. For every other service the keys are absent and change nothing: its requests through an endpoint pass only by a listed endpoint (vpc_endpoints), VPC (vpcs) or CIDR. Console sign-in (--kind signin) cannot use them.",
        owner_services_line()
    )
}

/// The note both `impact` engines print when `vpce_org_ids` or `vpce_accounts` are set.
pub const IMPACT_OWNER_NOTE: &str = "vpce_org_ids / vpce_accounts are set, but the replay gives no request aws:VpceOrgID or aws:VpceAccount (a CloudTrail record names the endpoint, vpcEndpointId, not its owner's organization): a request through an endpoint those owners hold counts only by a listed endpoint (vpc_endpoints), so the figures are an upper bound on what the policy denies through endpoints";
