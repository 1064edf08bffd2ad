//! `scpctl.toml` -> [`Config`], with errors that point at the line. Pure: the caller reads files.
//!
//! ```toml
//! [policy]                        # whole table optional
//! name = "RestrictIAMUserAccessWithExceptions"
//! description = "..."
//! exception_tag = { key = "AccessException", value = "True" }
//!
//! [identity]                      # optional: the fallback identity-based policy
//! name = "EnterpriseNetworkRestriction"
//!
//! [network]
//! cidrs = ["192.0.2.0/24", "2001:db8:1234::/48"]
//! cidr_files = ["egress.txt"]     # one CIDR per line, '#' comments (relative to this file)
//! normalize_host_bits = false     # accept 192.0.2.1/24 as 192.0.2.0/24
//! vpce_org_ids = ["o-a1b2c3d4e5"]  # through any endpoint these organizations own
//! vpce_accounts = ["111122223333"] # ... or these accounts own (aws:VpceAccount)
//!
//! [limits]                        # optional: AWS Organizations quotas, current defaults
//! scp_max_chars = 10240
//! scps_per_target = 10
//! rcp_max_chars = 5120            # the console sign-in RCP (render --kind signin)
//!
//! [console]                       # optional: the console sign-in RCP
//! name = "RestrictConsoleSignInToExpectedNetworks"
//! include_root = false            # also hold member accounts' root users to the networks
//! ```

use serde::Deserialize;
use toml::Spanned;

use crate::cidr::{CidrOptions, SourcedValue};
use crate::networks::{self, NetworkOptIns};
use crate::origin::{excerpt, LineIndex, Origin};
use crate::tags;

pub mod error;
pub mod monitoring_values;
pub use error::ConfigError;

pub const DEFAULT_SCP_NAME: &str = "RestrictIAMUserAccessWithExceptions";
pub const DEFAULT_IDENTITY_NAME: &str = "EnterpriseNetworkRestriction";
pub const DEFAULT_TAG_KEY: &str = "AccessException";
pub const DEFAULT_TAG_VALUE: &str = "True";
pub const DEFAULT_CONSOLE_NAME: &str = "RestrictConsoleSignInToExpectedNetworks";

/// Organizations CreatePolicy: Name 1-128 characters, Description at most 512
/// (AWS Organizations API Reference, CreatePolicy request parameters).
pub const SCP_NAME_MAX: usize = 128;
pub const SCP_DESCRIPTION_MAX: usize = 512;
/// IAM CreatePolicy: PolicyName 1-128 characters of `[\w+=,.@-]`, Description at most 1,000
/// (IAM API Reference, CreatePolicy request parameters).
pub const IAM_POLICY_NAME_MAX: usize = 128;
pub const IAM_DESCRIPTION_MAX: usize = 1000;

/// AWS Organizations quotas as of 2026-05-15 (AWS What's New, "AWS Organizations increased SCP
/// quotas"; confirmed in the field by FogSecurity/aws-size PR #71): an SCP document may hold 10,240 characters (was 5,120) and a
/// root, OU or account may have 10 SCPs attached (was 5). Some AWS pages still show the old
/// figures, and an organization may keep them: these are the defaults of `[limits]`, and the
/// values above them are refused (AWS would refuse the policy or the attachment).
pub const AWS_SCP_MAX_CHARS: usize = 10_240;
pub const AWS_SCPS_PER_TARGET: usize = 10;
/// Resource control policies: 5,120 characters per document (AWS Organizations User Guide,
/// "Quotas and service limits", "Maximum size of a resource control policy document"), with
/// whitespace counted as for SCPs. `[limits] rcp_max_chars` may lower it, never raise it.
pub const AWS_RCP_MAX_CHARS: usize = 5_120;
/// RCPs attached to one root, OU or account (same quota table; `RCPFullAWSAccess` counts).
pub const AWS_RCPS_PER_TARGET: usize = 5;
/// The figures before 2026-05-15, for organizations and docs that keep them.
pub const LEGACY_SCP_MAX_CHARS: usize = 5_120;
pub const LEGACY_SCPS_PER_TARGET: usize = 5;

/// The quotas every size check, budget line and per-target guard reads (`[limits]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub scp_max_chars: usize,
    pub scps_per_target: usize,
    /// Characters in the console sign-in RCP.
    pub rcp_max_chars: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            scp_max_chars: AWS_SCP_MAX_CHARS,
            scps_per_target: AWS_SCPS_PER_TARGET,
            rcp_max_chars: AWS_RCP_MAX_CHARS,
        }
    }
}

/// `[console]`: the resource control policy that holds console sign-in to the networks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleSettings {
    pub name: String,
    pub description: Option<String>,
    /// Also deny the root users of member accounts outside the networks (off by default: the
    /// root user is the last way in when everything else fails).
    pub include_root: bool,
}

impl Default for ConsoleSettings {
    fn default() -> Self {
        ConsoleSettings {
            name: DEFAULT_CONSOLE_NAME.into(),
            description: None,
            include_root: false,
        }
    }
}

/// The tag that grants an IAM user its exception. Compared case-sensitively by `StringEquals`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExceptionTag {
    pub key: String,
    pub value: String,
}

impl Default for ExceptionTag {
    fn default() -> Self {
        ExceptionTag {
            key: DEFAULT_TAG_KEY.into(),
            value: DEFAULT_TAG_VALUE.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicySettings {
    pub name: String,
    pub description: Option<String>,
    pub exception_tag: ExceptionTag,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentitySettings {
    pub name: String,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkSettings {
    /// Inline CIDRs, each with its line and column in the config file.
    pub cidrs: Vec<SourcedValue>,
    /// CIDR list files as written in the config (relative to the config file's folder).
    pub cidr_files: Vec<SourcedValue>,
    pub options: CidrOptions,
    /// VPCs pinned to their Regions, VPC endpoints, VPC-resident actions (off by default).
    pub opt_ins: NetworkOptIns,
}

/// `[break_glass]`: the emergency principals (ARN patterns of roles and users) that monitoring
/// watches and the console sign-in policy exempts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BreakGlass {
    pub principals: Vec<String>,
}

/// `[monitoring]`: where the alerts go, and in which Regions the rules are deployed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitoringSettings {
    /// An existing SNS topic; without it the template creates one.
    pub topic_arn: Option<String>,
    /// An e-mail address subscribed to the created topic.
    pub email: Option<String>,
    /// Regions to deploy the rules in: us-east-1 (where Organizations, IAM and STS global
    /// events arrive) by default, plus those of the sign-in endpoints used.
    pub regions: Vec<String>,
}

impl Default for MonitoringSettings {
    fn default() -> Self {
        MonitoringSettings {
            topic_arn: None,
            email: None,
            regions: vec!["us-east-1".into()],
        }
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    /// The file name the config was read from, for messages.
    pub source: String,
    pub policy: PolicySettings,
    pub identity: IdentitySettings,
    pub network: NetworkSettings,
    pub limits: Limits,
    pub break_glass: BreakGlass,
    pub monitoring: MonitoringSettings,
    pub console: ConsoleSettings,
    /// `[rollout]` and `[[rollout.stages]]`, when the config has them.
    pub rollout: Option<crate::rollout::RolloutSettings>,
    /// Things worth knowing that do not stop a render, each naming where it comes from.
    pub warnings: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    policy: Option<RawPolicy>,
    identity: Option<RawIdentity>,
    network: Option<Spanned<RawNetwork>>,
    limits: Option<RawLimits>,
    break_glass: Option<RawBreakGlass>,
    monitoring: Option<RawMonitoring>,
    console: Option<RawConsole>,
    rollout: Option<crate::rollout::RawRollout>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConsole {
    name: Option<Spanned<String>>,
    description: Option<Spanned<String>>,
    #[serde(default)]
    include_root: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBreakGlass {
    #[serde(default)]
    principals: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMonitoring {
    topic_arn: Option<Spanned<String>>,
    email: Option<Spanned<String>>,
    regions: Option<Vec<Spanned<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVpc {
    id: Spanned<String>,
    #[serde(default)]
    regions: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    scp_max_chars: Option<Spanned<i64>>,
    scps_per_target: Option<Spanned<i64>>,
    rcp_max_chars: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    name: Option<Spanned<String>>,
    description: Option<Spanned<String>>,
    exception_tag: Option<RawTag>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTag {
    key: Spanned<String>,
    value: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIdentity {
    name: Option<Spanned<String>>,
    description: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNetwork {
    #[serde(default)]
    cidrs: Vec<Spanned<String>>,
    #[serde(default)]
    cidr_files: Vec<Spanned<String>>,
    #[serde(default)]
    normalize_host_bits: bool,
    #[serde(default)]
    vpcs: Vec<Spanned<RawVpc>>,
    #[serde(default)]
    vpc_endpoints: Vec<Spanned<String>>,
    #[serde(default)]
    exempt_vpc_resident_actions: bool,
    #[serde(default)]
    vpce_org_ids: Vec<Spanned<String>>,
    #[serde(default)]
    vpce_accounts: Vec<Spanned<String>>,
}

impl Config {
    /// Parse and validate a config file's text. `source` names the file in messages.
    /// Reports every problem found, not only the first.
    pub fn parse(text: &str, source: &str) -> Result<Config, Vec<ConfigError>> {
        // A UTF-8 byte-order mark (some Windows editors write one) is not part of the TOML.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let index = LineIndex::new(source, text);
        let at = |offset: usize| index.origin(offset);
        let syntax = |e: toml::de::Error, path: Option<String>| {
            let origin = match e.span() {
                Some(span) => at(span.start),
                None => Origin::label(source),
            };
            vec![ConfigError::Syntax {
                origin,
                message: describe_toml_error(e.message(), path.as_deref()),
            }]
        };
        let de = toml::Deserializer::parse(text).map_err(|e| syntax(e, None))?;
        // The path of the value that failed (`network.cidrs[1]`), so a type error names its key.
        let raw: RawConfig = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = key_path(e.path());
            syntax(e.into_inner(), path)
        })?;
        let mut r = Reader {
            index: &index,
            source,
            errors: Vec::new(),
        };
        let policy = policy(&mut r, raw.policy);
        let identity = identity(&mut r, raw.identity);
        let limits = limits(&mut r, raw.limits);
        let console = console(&mut r, raw.console);
        let Some(raw_network) = raw.network else {
            r.errors.push(ConfigError::MissingNetwork {
                file: source.to_string(),
            });
            return Err(r.errors);
        };
        let mut warnings = Vec::new();
        let network = network(&mut r, raw_network.into_inner(), &mut warnings);
        let break_glass = break_glass(&mut r, raw.break_glass);
        let monitoring = monitoring(&mut r, raw.monitoring);
        let mut errors = r.errors;
        let rollout = crate::rollout::from_raw(raw.rollout, &index, &mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Config {
            source: source.to_string(),
            policy,
            identity,
            network,
            limits,
            break_glass,
            monitoring,
            console,
            rollout,
            warnings,
        })
    }
}

/// What every section's reader shares: where values are in the file, and the errors found so
/// far (every problem is reported, not only the first).
struct Reader<'a> {
    index: &'a LineIndex<'a>,
    source: &'a str,
    errors: Vec<ConfigError>,
}

impl Reader<'_> {
    fn invalid(&mut self, span: std::ops::Range<usize>, message: String) {
        self.errors.push(ConfigError::Invalid {
            origin: self.index.origin(span.start),
            message,
        });
    }

    fn at(&self, offset: usize) -> Origin {
        self.index.origin(offset)
    }

    /// A string value and where it is (the span covers the opening quote: point at the value).
    fn pair(&self, v: Spanned<String>) -> (String, Origin) {
        let origin = self.at(v.span().start + 1);
        (v.into_inner(), origin)
    }
}

/// `[policy]`: the SCP's name, description and exception tag.
fn policy(r: &mut Reader, raw: Option<RawPolicy>) -> PolicySettings {
    let raw_policy = raw.unwrap_or(RawPolicy {
        name: None,
        description: None,
        exception_tag: None,
    });
    let name = match raw_policy.name {
        Some(n) => {
            if let Err(why) = check_scp_name(n.get_ref()) {
                r.invalid(
                    n.span(),
                    format!("[policy] name {}: {why}", excerpt(n.get_ref())),
                );
            }
            n.into_inner()
        }
        None => DEFAULT_SCP_NAME.to_string(),
    };
    let description = raw_policy.description.map(|d| {
        let len = d.get_ref().chars().count();
        if len > SCP_DESCRIPTION_MAX {
            r.invalid(
                d.span(),
                format!("[policy] description is {len} characters; AWS Organizations allows at most {SCP_DESCRIPTION_MAX}"),
            );
        }
        d.into_inner()
    });
    let exception_tag = match raw_policy.exception_tag {
        Some(t) => {
            if let Err(why) = tags::validate_key(t.key.get_ref()) {
                r.invalid(
                    t.key.span(),
                    format!("exception_tag key {:?}: {why}", t.key.get_ref()),
                );
            }
            if t.value.get_ref().is_empty() {
                r.invalid(
                    t.value.span(),
                    "exception_tag value must not be empty: an empty tag value is too easy to set by accident".into(),
                );
            } else if let Err(why) = tags::validate_value(t.value.get_ref()) {
                r.invalid(
                    t.value.span(),
                    format!("exception_tag value {:?}: {why}", t.value.get_ref()),
                );
            }
            ExceptionTag {
                key: t.key.into_inner(),
                value: t.value.into_inner(),
            }
        }
        None => ExceptionTag::default(),
    };

    PolicySettings {
        name,
        description,
        exception_tag,
    }
}

/// `[identity]`: the fallback's name and description (IAM's rules).
fn identity(r: &mut Reader, raw: Option<RawIdentity>) -> IdentitySettings {
    let raw_identity = raw.unwrap_or(RawIdentity {
        name: None,
        description: None,
    });
    let identity_name = match raw_identity.name {
        Some(n) => {
            let v = n.get_ref();
            let ok_chars = v
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
            if v.is_empty() || v.len() > IAM_POLICY_NAME_MAX || !ok_chars {
                r.invalid(
                    n.span(),
                    format!("[identity] name {v:?} must be 1 to {IAM_POLICY_NAME_MAX} characters of letters, digits and _+=,.@- (IAM policy name rules)"),
                );
            }
            n.into_inner()
        }
        None => DEFAULT_IDENTITY_NAME.to_string(),
    };
    let identity_description = raw_identity.description.map(|d| {
        let len = d.get_ref().chars().count();
        if len > IAM_DESCRIPTION_MAX {
            r.invalid(
                d.span(),
                format!("[identity] description is {len} characters; IAM allows at most {IAM_DESCRIPTION_MAX}"),
            );
        }
        d.into_inner()
    });

    IdentitySettings {
        name: identity_name,
        description: identity_description,
    }
}

/// `[limits]`: AWS's quotas, each at most AWS's own figure.
fn limits(r: &mut Reader, raw: Option<RawLimits>) -> Limits {
    let mut limits = Limits::default();
    if let Some(raw_limits) = raw {
        let mut setting = |value: Option<Spanned<i64>>, name: &str, max: usize, what: &str| {
            let value = value?;
            match usize::try_from(*value.get_ref()) {
                Ok(v) if (1..=max).contains(&v) => Some(v),
                _ => {
                    r.invalid(
                        value.span(),
                        format!(
                            "[limits] {name} = {} must be 1 to {max}: AWS Organizations allows at most {max} {what}; set a lower value to keep a stricter limit",
                            value.get_ref()
                        ),
                    );
                    None
                }
            }
        };
        if let Some(v) = setting(
            raw_limits.scp_max_chars,
            "scp_max_chars",
            AWS_SCP_MAX_CHARS,
            "characters in an SCP (quota raised on 2026-05-15)",
        ) {
            limits.scp_max_chars = v;
        }
        if let Some(v) = setting(
            raw_limits.scps_per_target,
            "scps_per_target",
            AWS_SCPS_PER_TARGET,
            "SCPs attached to one root, OU or account (quota raised on 2026-05-15)",
        ) {
            limits.scps_per_target = v;
        }
        if let Some(v) = setting(
            raw_limits.rcp_max_chars,
            "rcp_max_chars",
            AWS_RCP_MAX_CHARS,
            "characters in a resource control policy",
        ) {
            limits.rcp_max_chars = v;
        }
    }
    limits
}

/// `[console]`: the sign-in RCP's name, description and root option.
fn console(r: &mut Reader, raw: Option<RawConsole>) -> ConsoleSettings {
    let mut console = ConsoleSettings {
        include_root: raw.as_ref().is_some_and(|c| c.include_root),
        ..ConsoleSettings::default()
    };
    if let Some(c) = raw {
        if let Some(n) = c.name {
            if let Err(why) = check_scp_name(n.get_ref()) {
                r.invalid(
                    n.span(),
                    format!("[console] name {}: {why}", excerpt(n.get_ref())),
                );
            }
            console.name = n.into_inner();
        }
        if let Some(d) = c.description {
            let len = d.get_ref().chars().count();
            if len > SCP_DESCRIPTION_MAX {
                r.invalid(
                    d.span(),
                    format!("[console] description is {len} characters; AWS Organizations allows at most {SCP_DESCRIPTION_MAX}"),
                );
            }
            console.description = Some(d.into_inner());
        }
    }

    console
}

/// `[network]`: the CIDRs and CIDR files with where each came from, and the VPC opt-ins (their
/// warnings into `warnings`).
fn network(r: &mut Reader, network: RawNetwork, warnings: &mut Vec<String>) -> NetworkSettings {
    let sourced = |values: Vec<Spanned<String>>| -> Vec<SourcedValue> {
        values
            .into_iter()
            .map(|v| {
                let (value, origin) = r.pair(v);
                SourcedValue::new(value, origin)
            })
            .collect()
    };
    let cidrs = sourced(network.cidrs);
    let cidr_files = sourced(network.cidr_files);
    let raw_vpcs = network
        .vpcs
        .into_iter()
        .map(|v| {
            let v = v.into_inner();
            networks::RawVpc {
                id: r.pair(v.id),
                regions: v.regions.into_iter().map(|v| r.pair(v)).collect(),
            }
        })
        .collect();
    let raw_endpoints = network
        .vpc_endpoints
        .into_iter()
        .map(|v| r.pair(v))
        .collect();
    let source = r.source;
    let invalid = |message| ConfigError::Invalid {
        origin: Origin::label(source),
        message,
    };
    let mut opt_ins =
        match networks::build(raw_vpcs, raw_endpoints, network.exempt_vpc_resident_actions) {
            Ok((opts, w)) => {
                warnings.extend(w);
                opts
            }
            Err(messages) => {
                r.errors.extend(messages.into_iter().map(invalid));
                NetworkOptIns::default()
            }
        };
    let org_ids = network
        .vpce_org_ids
        .into_iter()
        .map(|v| r.pair(v))
        .collect();
    let accounts = network
        .vpce_accounts
        .into_iter()
        .map(|v| r.pair(v))
        .collect();
    match networks::build_owners(org_ids, accounts) {
        Ok((org_ids, accounts)) => {
            opt_ins.vpce_org_ids = org_ids;
            opt_ins.vpce_accounts = accounts;
        }
        Err(messages) => r.errors.extend(
            messages
                .into_iter()
                .map(|(origin, message)| ConfigError::Invalid { origin, message }),
        ),
    }
    NetworkSettings {
        cidrs,
        cidr_files,
        options: CidrOptions {
            normalize_host_bits: network.normalize_host_bits,
        },
        opt_ins,
    }
}

/// `[break_glass]`: the emergency principals' ARN patterns.
fn break_glass(r: &mut Reader, raw: Option<RawBreakGlass>) -> BreakGlass {
    let mut break_glass = BreakGlass::default();
    for p in raw.map(|b| b.principals).unwrap_or_default() {
        let (value, origin) = r.pair(p);
        match check_principal_pattern(&value) {
            Ok(()) => break_glass.principals.push(value),
            Err(why) => r.errors.push(ConfigError::Invalid {
                origin,
                message: format!("[break_glass] principals: {}: {why}", excerpt(&value)),
            }),
        }
    }
    break_glass
}

/// `[monitoring]`: the SNS topic or e-mail and the Regions the rules go to.
fn monitoring(r: &mut Reader, raw: Option<RawMonitoring>) -> MonitoringSettings {
    let mut monitoring = MonitoringSettings::default();
    if let Some(m) = raw {
        if let Some(t) = m.topic_arn {
            let (value, origin) = r.pair(t);
            match monitoring_values::check_topic_arn(&value) {
                Ok(()) => monitoring.topic_arn = Some(value),
                Err(why) => r.errors.push(ConfigError::Invalid {
                    origin,
                    message: format!("[monitoring] topic_arn {}: {why}", excerpt(&value)),
                }),
            }
        }
        if let Some(e) = m.email {
            let (value, origin) = r.pair(e);
            match monitoring_values::check_email(&value) {
                Ok(()) => monitoring.email = Some(value),
                Err(why) => r.errors.push(ConfigError::Invalid {
                    origin,
                    message: format!("[monitoring] email {}: {why}", excerpt(&value)),
                }),
            }
        }
        if let Some(regions) = m.regions {
            let mut list = Vec::new();
            for region in regions {
                let (value, origin) = r.pair(region);
                match networks::check_region(&value) {
                    Ok(()) if !list.contains(&value) => list.push(value),
                    Ok(()) => {}
                    Err(why) => r.errors.push(ConfigError::Invalid {
                        origin,
                        message: format!("[monitoring] regions: {why}"),
                    }),
                }
            }
            let global = monitoring_values::GLOBAL_EVENT_REGIONS;
            if !list.iter().any(|r| global.contains(&r.as_str())) {
                r.errors.push(ConfigError::Invalid {
                    origin: Origin::label(r.source),
                    message: format!(
                        "[monitoring] regions {list:?} lists no Region where Organizations, IAM and STS global events arrive ({}): the exception-tag and guardrail rules would never fire; add us-east-1 (us-gov-west-1, cn-north-1 in those partitions)",
                        global.join(", ")
                    ),
                });
            }
            monitoring.regions = list;
        }
    }
    monitoring
}

/// An Organizations policy name (CreatePolicy `Name`: 1 to 128 characters, ASCII only, per the
/// Organizations API reference). Control characters are refused too: a rule of scpctl's own,
/// stricter than AWS's, because a tab or newline in a name only hides it in listings.
pub fn check_scp_name(name: &str) -> Result<(), String> {
    let len = name.chars().count();
    if name.trim().is_empty() || len > SCP_NAME_MAX {
        return Err(format!(
            "must be 1 to {SCP_NAME_MAX} characters, not only spaces (it has {len})"
        ));
    }
    if let Some(c) = name.chars().find(|c| !c.is_ascii()) {
        return Err(format!(
            "character {c:?} is not ASCII; AWS Organizations policy names are ASCII only"
        ));
    }
    if let Some(c) = name.chars().find(char::is_ascii_control) {
        return Err(format!(
            "control character {c:?} is refused (scpctl's own rule, stricter than AWS's: it would hide the name in listings)"
        ));
    }
    if let Some(c) = name.chars().find(|c| matches!(c, '/' | '\\')) {
        return Err(format!(
            "{c:?} is refused (scpctl's own rule, stricter than AWS's: the name is also the file name `render --out-dir` writes, which must stay inside that directory)"
        ));
    }
    if name == "." || name == ".." {
        return Err(
            "\".\" and \"..\" are refused (scpctl's own rule: the name is also a file name)".into(),
        );
    }
    Ok(())
}

/// The longest ARN IAM accepts in a policy element (IAM API Reference, `Arn` type: 20 to 2,048).
pub const ARN_MAX: usize = 2048;

/// A break-glass principal: the ARN (or pattern, `*` and `?` allowed) of an IAM role or user,
/// `arn:PARTITION:iam::ACCOUNT:role/NAME` or `...:user/PATH/NAME`. Only what such an ARN may
/// hold passes (IAM names and paths are `[\w+=,.@-]` and `/`, IAM API Reference, CreateUser and
/// CreateRole), so a character that means something elsewhere (`$`, `{`, a quote, `;`) never
/// reaches a policy, a template or an EventBridge pattern. Policy variables (`${aws:username}`)
/// are refused: a break-glass pattern must name the principals itself, and a variable would
/// match a different principal on every request.
pub fn check_principal_pattern(value: &str) -> Result<(), String> {
    const SHAPE: &str = "not the ARN of an IAM role or user (arn:aws:iam::111122223333:role/BreakGlass, `*` and `?` allowed)";
    if value.contains("${") {
        return Err("policy variables (`${...}`) are refused in break-glass patterns: name the principals themselves".into());
    }
    let len = value.chars().count();
    if len > ARN_MAX {
        return Err(format!(
            "an ARN holds at most {ARN_MAX} characters (it has {len})"
        ));
    }
    let parts: Vec<&str> = value.splitn(6, ':').collect();
    let ["arn", partition, "iam", "", account, resource] = parts.as_slice() else {
        return Err(SHAPE.into());
    };
    if !matches!(*partition, "aws" | "aws-cn" | "aws-us-gov" | "*") {
        return Err(format!(
            "partition {} is not aws, aws-cn, aws-us-gov or *",
            excerpt(partition)
        ));
    }
    let account_ok = account
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'?' || b == b'*')
        && (account.len() == 12 || account.contains('*'));
    if !account_ok {
        return Err(format!(
            "account {} is not 12 digits (`*` and `?` allowed)",
            excerpt(account)
        ));
    }
    let Some((kind, name)) = resource
        .strip_prefix("role/")
        .map(|n| ("role", n))
        .or_else(|| resource.strip_prefix("user/").map(|n| ("user", n)))
    else {
        return Err(SHAPE.into());
    };
    if name.is_empty() {
        return Err(SHAPE.into());
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "_+=,.@-/*?".contains(*c)))
    {
        return Err(format!(
            "character {c:?} cannot be in an IAM {kind} ARN (names and paths hold ASCII letters, digits, _+=,.@- and /; patterns add * and ?)"
        ));
    }
    // A user pattern of wildcards alone exempts every IAM user of the accounts: the policy
    // would deny no user there, which is never what a break-glass list means.
    if kind == "user" && name.contains('*') && name.chars().all(|c| matches!(c, '*' | '?' | '/')) {
        return Err("a user pattern of wildcards alone exempts every IAM user: name the break-glass users (a path such as user/breakglass/* is fine)".into());
    }
    Ok(())
}

/// `network.cidrs[1]` from serde's path, without the private segments of `Spanned` values.
fn key_path(path: &serde_path_to_error::Path) -> Option<String> {
    let mut out = String::new();
    for segment in path.iter() {
        use serde_path_to_error::Segment;
        match segment {
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if key.starts_with("$__") {
                    continue;
                }
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Unknown => {}
        }
    }
    (!out.is_empty()).then_some(out)
}

/// serde's wording made readable for a config file: the key, what it must be, a short excerpt
/// of what was found (never a 100 kB value).
fn describe_toml_error(message: &str, path: Option<&str>) -> String {
    let message = message.trim();
    let Some(path) = path else {
        return message.to_string();
    };
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        if let Some((found, expected)) = rest.rsplit_once(", expected ") {
            let expected = match expected {
                "a sequence" => match path.rsplit('.').next() {
                    Some("cidrs" | "cidr_files") => "an array of strings",
                    _ => "an array",
                },
                "i64" | "an integer" => "an integer",
                "a boolean" => "true or false",
                e if e.starts_with("struct ") => "a table",
                e => e,
            };
            let found = match found.split_once(' ') {
                Some((kind, value)) if value.starts_with('"') => {
                    format!("{kind} {}", excerpt(value.trim_matches('"')))
                }
                _ => found.to_string(),
            };
            return format!("`{path}` must be {expected}, not {found}");
        }
    }
    format!("`{path}`: {message}")
}

/// The starter config written by `scpctl init`: documentation ranges, every option explained.
pub const STARTER_CONFIG: &str = include_str!("../../../../templates/starter.toml");

#[cfg(test)]
mod tests;
