//! The console rows of `simulate --scenario --kind signin`: requests Sign-In evaluates, with
//! the decision the policy must give. Root rows are evaluated under both `include_root`
//! settings, whatever the config says.

use crate::cidr::CidrSet;
use crate::config::Config;

use super::{Origin, Phase, SID_CONSOLE};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleCase {
    pub source: &'static str,
    pub title: String,
    pub phase: Phase,
    pub action: &'static str,
    pub principal_arn: Option<String>,
    pub origin: Origin,
    /// Evaluate against the policy rendered with this `[console] include_root`.
    pub include_root: bool,
    /// The Sid that must deny, or `None` for "not denied".
    pub expected: Option<&'static str>,
}

/// The console rows for a config's networks and break-glass principals.
pub fn scenario(config: &Config, cidrs: &CidrSet) -> Vec<ConsoleCase> {
    let inside = cidrs
        .example_inside_v4()
        .map(|a| a.to_string())
        .or_else(|| cidrs.example_inside_v6().map(|a| a.to_string()))
        .unwrap_or_else(|| "192.0.2.1".into());
    let outside = cidrs
        .example_outside_v4()
        .map(|a| a.to_string())
        .unwrap_or_else(|| "198.51.100.7".into());
    let user = "arn:aws:iam::111122223333:user/alice".to_string();
    let role = "arn:aws:iam::111122223333:role/Admin".to_string();
    let root = "arn:aws:iam::111122223333:root".to_string();
    let mine = config.console.include_root;
    let mut rows = Vec::new();
    let mut row = |source, title: String, arn: &str, origin: Origin, root: bool, expected| {
        for phase in [Phase::PreAuth, Phase::PostAuth] {
            rows.push(ConsoleCase {
                source,
                title: format!("{title} [{}]", phase.name()),
                phase,
                action: super::ACTIONS[0],
                principal_arn: Some(arn.to_string()),
                origin: origin.clone(),
                include_root: root,
                expected,
            });
        }
    };
    row(
        "console",
        format!("IAM user signs in from inside ({inside})"),
        &user,
        Origin::ip(&inside),
        mine,
        None,
    );
    row(
        "console",
        format!("IAM user signs in from outside ({outside}): a leaked password"),
        &user,
        Origin::ip(&outside),
        mine,
        Some(SID_CONSOLE),
    );
    if !config.network.opt_ins.has_networks() {
        row(
            "console",
            "IAM user through an unlisted VPC endpoint (no aws:SourceIp)".into(),
            &user,
            Origin {
                source_vpc: Some("vpc-0000000a".into()),
                source_vpce: Some("vpce-0000000a".into()),
                requested_region: Some("us-east-1".into()),
                ..Origin::default()
            },
            mine,
            Some(SID_CONSOLE),
        );
    }
    if let Some(bg) = config.break_glass.principals.first() {
        row(
            "break-glass",
            format!("break-glass {bg} from outside ({outside})"),
            &super::sample(bg),
            Origin::ip(&outside),
            mine,
            None,
        );
    }
    row(
        "console",
        format!("IAM role (federated console session) from outside ({outside})"),
        &role,
        Origin::ip(&outside),
        mine,
        None,
    );
    row(
        "include_root = false",
        format!("root user of a member account from outside ({outside})"),
        &root,
        Origin::ip(&outside),
        false,
        None,
    );
    row(
        "include_root = true",
        format!("root user of a member account from outside ({outside})"),
        &root,
        Origin::ip(&outside),
        true,
        Some(SID_CONSOLE),
    );
    row(
        "include_root = true",
        format!("root user of a member account from inside ({inside})"),
        &root,
        Origin::ip(&inside),
        true,
        None,
    );
    rows
}
