//! Expected networks beyond the CIDRs: VPCs pinned to their Regions, VPC endpoints, and the
//! actions of services reached inside the VPC. Off by default: without them the policy is the
//! guide's, byte for byte. Pure: the config hands in values, this module validates them and
//! rewrites the rendered document structurally.
//!
//! Rules (AWS global condition context keys; AWS data-perimeter policy examples):
//! - A request carries `aws:SourceIp` (public endpoint) or `aws:SourceVpc` + `aws:SourceVpce`
//!   (through a VPC endpoint), never both, so a deny-unless covering both paths uses
//!   `...IfExists` operators on each key: it denies when no listed network matches.
//! - VPC IDs are unique only within a Region: a listed VPC counts only together with
//!   `aws:RequestedRegion` among its Regions (the Region called, which for cross-Region
//!   PrivateLink differs from the VPC's own). One extra Deny per distinct Region set pins them.
//! - Services reached over network interfaces inside the VPC never carry the network keys:
//!   statement 2 would deny them even from the enterprise network. With
//!   `exempt_vpc_resident_actions` they leave statement 2 through `NotAction`.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::origin::{excerpt, Origin};
use crate::policy::one_or_list as list;

mod owners;
pub use owners::{
    build_owners, check_org_id, owner_note, owner_services_line, populates_owner_keys,
    IMPACT_OWNER_NOTE, OWNER_KEYS, VPCE_OWNER_SERVICES,
};

/// Actions of services reached inside the VPC (the `NotAction` list of AWS's data-perimeter
/// examples for IAM users and service roles), each with why it is there.
pub const VPC_RESIDENT_ACTIONS: [(&str, &str); 15] = [
    // DynamoDB Accelerator: data-plane calls go to the cluster's ENIs in the VPC.
    ("dax:GetItem", "DAX"),
    ("dax:BatchGetItem", "DAX"),
    ("dax:Query", "DAX"),
    ("dax:Scan", "DAX"),
    ("dax:PutItem", "DAX"),
    ("dax:UpdateItem", "DAX"),
    ("dax:DeleteItem", "DAX"),
    ("dax:BatchWriteItem", "DAX"),
    ("dax:ConditionCheckItem", "DAX"),
    // Neptune IAM database authentication, on the cluster endpoint in the VPC.
    ("neptune-db:*", "Neptune"),
    // EFS clients mounting with IAM, through mount targets in the VPC.
    ("elasticfilesystem:Client*", "EFS with IAM"),
    // RDS IAM database authentication, on the DB instance's address in the VPC.
    ("rds-db:connect", "RDS IAM authentication"),
    // MSK with IAM access control, on the brokers in the VPC.
    ("kafka-cluster:*", "MSK with IAM"),
    // OpenSearch domains in a VPC, HTTP calls to the domain endpoint.
    ("es:ESHttp*", "OpenSearch in a VPC"),
    // S3 on Outposts, through endpoints on the Outpost.
    ("s3-outposts:*", "S3 on Outposts"),
];

/// A VPC and the Regions requests from it may call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vpc {
    pub id: String,
    pub regions: Vec<String>,
}

/// The opt-ins of `[network]`, validated and de-duplicated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkOptIns {
    pub vpcs: Vec<Vpc>,
    pub vpc_endpoints: Vec<String>,
    pub exempt_vpc_resident_actions: bool,
    /// `vpce_org_ids`: requests through any endpoint these organizations own (`aws:VpceOrgID`).
    pub vpce_org_ids: Vec<String>,
    /// `vpce_accounts`: requests through any endpoint these accounts own (`aws:VpceAccount`).
    pub vpce_accounts: Vec<String>,
}

impl NetworkOptIns {
    /// Whether the document differs from the guide's.
    pub fn any(&self) -> bool {
        self.has_networks() || self.exempt_vpc_resident_actions
    }

    /// Whether VPCs, endpoints or endpoint owners are listed (then the network statement uses
    /// `...IfExists`).
    pub fn has_networks(&self) -> bool {
        !self.vpcs.is_empty() || !self.vpc_endpoints.is_empty() || self.has_owners()
    }

    /// Whether endpoint owners are listed (`vpce_org_ids`, `vpce_accounts`).
    pub fn has_owners(&self) -> bool {
        !self.vpce_org_ids.is_empty() || !self.vpce_accounts.is_empty()
    }

    /// What a replay of CloudTrail records cannot see with these settings (`impact` and
    /// `denials` print each as a `note:` line): records carry no endpoint owner.
    pub fn replay_notes(&self) -> Vec<&'static str> {
        if self.has_owners() {
            vec![IMPACT_OWNER_NOTE]
        } else {
            Vec::new()
        }
    }

    /// The `[network]` settings naming endpoint owners that are set, for messages
    /// (`vpce_org_ids`, `vpce_accounts`, or both).
    pub fn owner_settings(&self) -> Option<String> {
        match (self.vpce_org_ids.is_empty(), self.vpce_accounts.is_empty()) {
            (true, true) => None,
            (false, true) => Some("vpce_org_ids".into()),
            (true, false) => Some("vpce_accounts".into()),
            (false, false) => Some("vpce_org_ids and vpce_accounts".into()),
        }
    }

    /// The `StringNotEqualsIfExists` entries that let a request through whichever endpoint it
    /// used: listed endpoints, then endpoints of listed organizations and accounts.
    fn endpoint_keys(&self) -> Vec<(&'static str, Value)> {
        let mut out = Vec::new();
        if !self.vpc_endpoints.is_empty() {
            out.push(("aws:SourceVpce", list(&self.vpc_endpoints)));
        }
        if !self.vpce_org_ids.is_empty() {
            out.push(("aws:VpceOrgID", list(&self.vpce_org_ids)));
        }
        if !self.vpce_accounts.is_empty() {
            out.push(("aws:VpceAccount", list(&self.vpce_accounts)));
        }
        out
    }

    /// VPCs grouped by identical Region sets: one pinning statement per group.
    pub fn region_groups(&self) -> Vec<(Vec<String>, Vec<String>)> {
        let mut groups: Vec<(Vec<String>, Vec<String>)> = Vec::new();
        for vpc in &self.vpcs {
            match groups
                .iter_mut()
                .find(|(regions, _)| *regions == vpc.regions)
            {
                Some((_, ids)) => ids.push(vpc.id.clone()),
                None => groups.push((vpc.regions.clone(), vec![vpc.id.clone()])),
            }
        }
        groups
    }
}

/// `vpc-` or `vpce-` followed by 8 or 17 lowercase hex digits (EC2 resource id formats).
pub fn check_id(value: &str, prefix: &str) -> Result<(), String> {
    let ok = value.strip_prefix(prefix).is_some_and(|hex| {
        (hex.len() == 8 || hex.len() == 17)
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{} is not a {prefix} id: {prefix} and 8 or 17 lowercase hex digits (like {prefix}0a1b2c3d4e5f67890)",
            excerpt(value)
        ))
    }
}

const GEOGRAPHIES: [&str; 11] = [
    "us", "eu", "ap", "sa", "ca", "me", "af", "il", "mx", "cn", "eusc",
];
const DIRECTIONS: [&str; 9] = [
    "east",
    "west",
    "north",
    "south",
    "central",
    "northeast",
    "southeast",
    "northwest",
    "southwest",
];

/// A Region code of a known partition: `aws` (`eu-west-1`), `aws-cn` (`cn-north-1`),
/// `aws-us-gov` (`us-gov-west-1`), the ISO partitions (`us-iso-east-1`, `us-isob-east-1`) and
/// the European Sovereign Cloud (`eusc-de-east-1`).
pub fn check_region(value: &str) -> Result<(), String> {
    let parts: Vec<&str> = value.split('-').collect();
    let ok = match parts.as_slice() {
        [geo, rest @ .., direction, number] if GEOGRAPHIES.contains(geo) => {
            let qualifier_ok = match rest {
                [] => true,
                ["gov"] | ["iso"] | ["isob"] | ["isof"] | ["isoe"] => *geo == "us" || *geo == "eu",
                ["de"] => *geo == "eusc",
                _ => false,
            };
            qualifier_ok
                && DIRECTIONS.contains(direction)
                && number.len() == 1
                && number.bytes().all(|b| (b'1'..=b'9').contains(&b))
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{} is not a Region code of a known AWS partition (like eu-west-1, cn-north-1, us-gov-west-1)",
            excerpt(value)
        ))
    }
}

/// What the config gave, each value with where it came from.
pub struct RawVpc {
    pub id: (String, Origin),
    pub regions: Vec<(String, Origin)>,
}

/// Validate and merge: the same VPC listed twice merges its Regions; endpoints de-duplicated.
/// Errors and warnings name the value and where it is.
pub fn build(
    vpcs: Vec<RawVpc>,
    endpoints: Vec<(String, Origin)>,
    exempt: bool,
) -> Result<(NetworkOptIns, Vec<String>), Vec<String>> {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let mut merged: Vec<(Vpc, Origin)> = Vec::new();
    for raw in vpcs {
        let (id, origin) = raw.id;
        if let Err(e) = check_id(&id, "vpc-") {
            errors.push(format!("{origin}: [network] vpcs: {e}"));
            continue;
        }
        if raw.regions.is_empty() {
            errors.push(format!(
                "{origin}: [network] vpcs: {id} lists no Region; a VPC id is unique only within a Region, so give its Region: {{ id = \"{id}\", regions = [\"eu-west-1\"] }}"
            ));
            continue;
        }
        let mut regions = BTreeSet::new();
        for (region, at) in raw.regions {
            match check_region(&region) {
                Ok(()) => {
                    regions.insert(region);
                }
                Err(e) => errors.push(format!("{at}: [network] vpcs {id}: {e}")),
            }
        }
        match merged.iter_mut().find(|(v, _)| v.id == id) {
            Some((v, _)) => {
                let all: BTreeSet<String> = v.regions.iter().cloned().chain(regions).collect();
                v.regions = all.into_iter().collect();
            }
            None => merged.push((
                Vpc {
                    id,
                    regions: regions.into_iter().collect(),
                },
                origin,
            )),
        }
    }
    for (vpc, origin) in &merged {
        if vpc.regions.len() == 1 {
            warnings.push(format!(
                "{origin}: VPC {} lists one Region ({}): aws:RequestedRegion is the Region called, not the VPC's, so calls it makes to another Region through cross-Region PrivateLink will be denied; list those Regions too",
                vpc.id, vpc.regions[0]
            ));
        }
    }
    let mut seen = BTreeSet::new();
    let mut vpc_endpoints = Vec::new();
    for (endpoint, origin) in endpoints {
        match check_id(&endpoint, "vpce-") {
            Ok(()) => {
                if seen.insert(endpoint.clone()) {
                    vpc_endpoints.push(endpoint);
                }
            }
            Err(e) => errors.push(format!("{origin}: [network] vpc_endpoints: {e}")),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut vpcs: Vec<Vpc> = merged.into_iter().map(|(v, _)| v).collect();
    vpcs.sort_by(|a, b| a.id.cmp(&b.id));
    vpc_endpoints.sort();
    Ok((
        NetworkOptIns {
            vpcs,
            vpc_endpoints,
            exempt_vpc_resident_actions: exempt,
            vpce_org_ids: Vec::new(),
            vpce_accounts: Vec::new(),
        },
        warnings,
    ))
}

/// The note `validate` and `render` print when the opt-in is off.
/// [`VPC_RESIDENT_NOTE`] for the identity-based fallback, which has one statement and no tag
/// condition.
pub const VPC_RESIDENT_NOTE_IDENTITY: &str = "note: the identity policy also denies its users, groups and roles the services reached inside a VPC (RDS and Neptune IAM authentication, EFS with IAM, MSK with IAM, DAX, OpenSearch in a VPC, S3 on Outposts), even from the enterprise network: those calls never carry aws:SourceIp. Set `exempt_vpc_resident_actions = true` in [network] to leave them out of its deny.";
pub const VPC_RESIDENT_NOTE: &str = "note: statement 2 also denies tagged IAM users the services reached inside a VPC (RDS and Neptune IAM authentication, EFS with IAM, MSK with IAM, DAX, OpenSearch in a VPC, S3 on Outposts), even from the enterprise network: those calls never carry aws:SourceIp. Set `exempt_vpc_resident_actions = true` in [network] to leave them out of statement 2 (statement 1 still applies).";

fn not_action() -> Value {
    Value::Array(
        VPC_RESIDENT_ACTIONS
            .iter()
            .map(|(a, _)| Value::String((*a).to_string()))
            .collect(),
    )
}

/// Sid of the `n`-th (1-based) statement pinning VPCs to their Regions.
pub fn pin_sid(n: usize) -> String {
    format!("DenyVpcOutsideItsRegions{n}")
}

/// How the statements pinning VPCs to their Regions look in one kind of policy.
pub struct PinStyle {
    /// Condition operators of the network statement that scope it (who it applies to), copied
    /// onto each pin so a pin never reaches further than the network statement.
    pub scope_operators: &'static [&'static str],
    /// Add `"Bool": {"aws:ViaAWSService": "false"}` (SCP and identity policy). Off for the
    /// console sign-in RCP: AWS Sign-In has no `aws:ViaAWSService`, so such a condition would
    /// never match and the pin would never fire (AWS Sign-In condition-key reference).
    pub via_aws_service: bool,
    /// `exempt_vpc_resident_actions` may turn `Action` into `NotAction` (not in an RCP, which
    /// has no `NotAction`; nor does it matter there: only Sign-In actions are denied).
    pub not_action: bool,
    /// Elements between Effect and Resource, in order: `Action` (and `Principal` for an RCP).
    pub head: Vec<(&'static str, Value)>,
}

impl PinStyle {
    /// The SCP's and the identity policy's pins: `Action: "*"`.
    pub fn scp() -> PinStyle {
        PinStyle {
            scope_operators: &["StringEquals"],
            via_aws_service: true,
            not_action: true,
            // Action "*" even with the VPC-resident opt-in: those calls never carry
            // aws:SourceVpc, so a pin cannot match them, and the list would cost 250
            // characters per pin.
            head: vec![("Action", Value::String("*".into()))],
        }
    }
}

/// Rewrite the network statement (`network_index` in `statements`) for the opt-ins and append
/// the statements pinning each VPC to its Regions. `scope` is the statement's principal
/// conditions (`StringEquals` of the SCP: IAM users holding the exception; empty for the
/// identity policy), copied onto the pins so they never reach further than statement 2.
pub fn apply(statements: &mut Vec<Value>, network_index: usize, opts: &NetworkOptIns) {
    apply_with(statements, network_index, opts, &PinStyle::scp());
}

/// [`apply`] for any kind of policy: the pins take `style`'s scope, elements and conditions.
pub fn apply_with(
    statements: &mut Vec<Value>,
    network_index: usize,
    opts: &NetworkOptIns,
    style: &PinStyle,
) {
    if !opts.any() {
        return;
    }
    let Some(Value::Object(stmt)) = statements.get_mut(network_index) else {
        return;
    };
    if opts.exempt_vpc_resident_actions && style.not_action {
        *stmt = rename_key(std::mem::take(stmt), "Action", "NotAction", not_action());
    }
    let mut scope = Map::new();
    if opts.has_networks() {
        if let Some(Value::Object(cond)) = stmt.get_mut("Condition") {
            for op in style.scope_operators {
                if let Some(body) = cond.get(*op) {
                    scope.insert((*op).to_string(), body.clone());
                }
            }
            let mut out = Map::new();
            for (op, body) in std::mem::take(cond) {
                if op == "NotIpAddress" {
                    out.insert("NotIpAddressIfExists".into(), body);
                    let mut not_equals = Map::new();
                    let vpc_ids: Vec<String> = opts.vpcs.iter().map(|v| v.id.clone()).collect();
                    if !vpc_ids.is_empty() {
                        not_equals.insert("aws:SourceVpc".into(), list(&vpc_ids));
                    }
                    for (key, values) in opts.endpoint_keys() {
                        not_equals.insert(key.into(), values);
                    }
                    out.insert("StringNotEqualsIfExists".into(), Value::Object(not_equals));
                } else {
                    out.insert(op, body);
                }
            }
            *cond = out;
        }
    }
    for (n, (regions, ids)) in opts.region_groups().into_iter().enumerate() {
        let mut cond = Map::new();
        for (op, body) in &scope {
            cond.insert(op.clone(), body.clone());
        }
        let mut equals = match cond.remove("StringEquals") {
            Some(Value::Object(m)) => m,
            _ => Map::new(),
        };
        equals.insert("aws:SourceVpc".into(), list(&ids));
        // StringEquals first, as the guide's statements have it.
        let rest = std::mem::take(&mut cond);
        cond.insert("StringEquals".into(), Value::Object(equals));
        cond.extend(rest);
        let mut region = Map::new();
        region.insert("aws:RequestedRegion".into(), list(&regions));
        cond.insert("StringNotEquals".into(), Value::Object(region));
        let endpoint_keys = opts.endpoint_keys();
        if !endpoint_keys.is_empty() {
            // A listed endpoint, or one a listed organization or account owns, lets the call
            // through whatever the Region (OR, not AND), as in the network statement.
            let mut vpce = Map::new();
            for (key, values) in endpoint_keys {
                vpce.insert(key.into(), values);
            }
            cond.insert("StringNotEqualsIfExists".into(), Value::Object(vpce));
        }
        if style.via_aws_service {
            let mut via = Map::new();
            via.insert("aws:ViaAWSService".into(), Value::String("false".into()));
            cond.insert("Bool".into(), Value::Object(via));
        }
        let mut pin = Map::new();
        pin.insert("Sid".into(), Value::String(pin_sid(n + 1)));
        pin.insert("Effect".into(), Value::String("Deny".into()));
        for (k, v) in &style.head {
            pin.insert((*k).to_string(), v.clone());
        }
        pin.insert("Resource".into(), Value::String("*".into()));
        pin.insert("Condition".into(), Value::Object(cond));
        statements.push(Value::Object(pin));
    }
}

/// The same object with `from` replaced by `to` = `value`, in the same position.
fn rename_key(map: Map<String, Value>, from: &str, to: &str, value: Value) -> Map<String, Value> {
    let mut out = Map::new();
    let mut value = Some(value);
    for (k, v) in map {
        if k == from {
            if let Some(val) = value.take() {
                out.insert(to.to_string(), val);
            }
        } else {
            out.insert(k, v);
        }
    }
    out
}

#[cfg(test)]
mod tests;
