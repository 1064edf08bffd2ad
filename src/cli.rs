//! Command-line definitions only (clap derive). The work is done in `commands/`.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const ABOUT: &str = "Lock AWS IAM users to your enterprise networks with a Service Control Policy.";

const LONG_ABOUT: &str = "\
Lock AWS IAM users (long-lived access keys: legacy apps, on-premises jobs, third parties) to your \
enterprise networks.

From a config file of enterprise CIDRs (IPv4 and IPv6), scpctl renders the Service Control Policy \
RestrictIAMUserAccessWithExceptions:
  1. DenyIAMUsersWithoutAccessException: deny every IAM user without the tag AccessException=True;
  2. DenyIAMUsersOutsideApprovedNetwork: deny tagged IAM users calling from outside the enterprise \
CIDRs, unless an AWS service makes the call on their behalf (aws:ViaAWSService).

Only IAM users are affected, for console and API access alike. IAM roles and IAM Identity Center \
users are not affected. SCPs never restrict the management account. For accounts without AWS \
Organizations, scpctl renders the identity-based fallback EnterpriseNetworkRestriction instead.";

#[derive(Debug, Parser)]
#[command(name = "scpctl", version, about = ABOUT, long_about = LONG_ABOUT)]
pub struct Cli {
    /// Config file with the enterprise CIDRs.
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        default_value = "scpctl.toml"
    )]
    pub config: PathBuf,

    /// Output for people (text) or for scripts (one JSON document on stdout).
    #[arg(long, global = true, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,

    /// More log output on stderr (-v, -vv, -vvv).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
    /// One JSON object per line (`impact` only: one line per would-be-denied event).
    Jsonl,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the policy rendered from the config (compact JSON by default).
    #[command(long_about = "\
Print the policy rendered from the config on stdout.

--kind scp (default) renders RestrictIAMUserAccessWithExceptions: statement 1 denies IAM users \
without the exception tag; statement 2 denies tagged IAM users outside the enterprise CIDRs unless \
aws:ViaAWSService is true. --kind identity renders EnterpriseNetworkRestriction, the fallback for \
accounts without AWS Organizations: attach it to the IAM users (or groups) to restrict.

The JSON is minified, because AWS Organizations counts every character, whitespace included, \
against the 5,120-character SCP limit (IAM managed policies: 6,144). IPv4 single hosts are written \
without /32; IPv6 entries keep their prefix. Overlapping and adjacent ranges are merged losslessly. \
When the list still does not fit, nothing is printed and the error says by how much and what helps. \
The CIDR list is never split across statements or policies.")]
    Render(RenderArgs),

    /// Check a config: errors, warnings and policy size, without printing the policy.
    #[command(long_about = "\
Check a config and report its findings without rendering: errors (exit 1), warnings (ranges that \
aws:SourceIp never carries, such as RFC 1918 or documentation ranges), how many CIDRs remain after \
lossless aggregation, and how much of the 5,120-character SCP limit (and the 6,144-character IAM \
managed policy limit) the rendered policy uses.")]
    Validate(ValidateArgs),

    /// Write a commented starter config (refuses to overwrite an existing file).
    #[command(long_about = "\
Write a commented starter config: the policy name, the exception tag AccessException=True, and \
documentation CIDR ranges (RFC 5737, RFC 3849) to replace with your egress ranges, the public \
addresses AWS sees your networks call from. Refuses to overwrite an existing file.")]
    Init(InitArgs),

    /// Evaluate the policy for one request offline, or print the guide's test scenario.
    #[command(long_about = "\
Evaluate what the policy does to one request, offline, before anything touches AWS.

The policy is the one rendered from the config, or --policy FILE (any policy JSON using the \
String*, Bool, Null and IpAddress operators and their IfExists forms). A flag you leave out is a \
key absent from the request: without --source-ip the request came through a VPC endpoint, where \
aws:SourceIp is missing. aws:ViaAWSService is in every request, so it is false unless \
--via-aws-service is given.

The answer is DENIED by <Sid> or NOT DENIED, with every condition and why it matched. An SCP never \
grants access: NOT DENIED means this policy does not block the request. Exit 0 either way.

--scenario prints the guide's test scenario (steps 3 to 6, IPv6, a role, a call via an AWS \
service, a VPC endpoint request, a user tagged `true` instead of `True`) as a table, with what \
the guide expects next to what the policy does. Exit 3 if any row disagrees.")]
    Simulate(SimulateArgs),

    /// Show what `apply` would change in AWS Organizations, without writing.
    #[command(long_about = "\
Read the organization and print what `apply` would change: enable the SCP policy type on the root, \
create or update the policy RestrictIAMUserAccessWithExceptions (tagged ManagedBy=scpctl), attach \
it to each target. Nothing is written. An up-to-date organization prints no changes \
(`--output json`: {\"changes\": []}).

Refused before any write, with the target named: a target that does not exist, one that already \
has AWS's maximum of 5 SCPs, one with no Allow SCP (normally FullAWSAccess), a policy of the same \
name that scpctl did not create. Run with management-account credentials (standard AWS chain, or \
--profile/--region/--endpoint-url).")]
    Plan(DeployArgs),

    /// Converge AWS Organizations on the config: create/update the SCP and attach it.
    #[command(long_about = "\
Show the plan, ask for confirmation on a terminal (or take --yes), then make the changes: enable \
SCPs on the root (waiting until ENABLED), create or update the policy in place, attach it to each \
target. Every change is safe to repeat: after a failure or a crash at any point, re-run the same \
command to finish. A no-op apply makes no write call. Without --yes and without a terminal it \
refuses and writes nothing.

SCPs never restrict the management account, and affect IAM users only: roles and IAM Identity \
Center users are not affected by this policy.")]
    Apply(ApplyArgs),

    /// Detach the managed SCP from the given targets (never any other policy).
    Detach(DetachArgs),

    /// Detach the managed SCP everywhere, then delete it (only a policy scpctl created).
    Destroy(DestroyArgs),

    /// Where the managed SCP is attached, and whether its content drifted from the config.
    #[command(long_about = "\
Show where the managed SCP is attached and compare its deployed content with the policy rendered \
from the config: the CIDRs added or removed, and any other difference. Exit 0 when in sync, 4 when \
the policy is missing or differs (for alerting).")]
    Status(StatusArgs),

    /// Grant, revoke, list and sweep exceptions: the tag that exempts a service-account IAM user.
    #[command(subcommand)]
    Exception(ExceptionCommand),

    /// Replay CloudTrail records through the policy: what it would deny, per principal.
    #[command(long_about = IMPACT_ABOUT)]
    Impact(ImpactArgs),
}

const IMPACT_ABOUT: &str = "\
Replay CloudTrail records through the policy rendered from the config, with the same evaluator \
as `simulate`, and report per account and principal what it would deny and why: requests seen, \
would-be-denied requests by statement, source addresses outside the CIDRs, the actions most \
affected, first and last seen. For users denied only by the network statement, the smallest CIDR \
additions covering their addresses are suggested (to review, never applied).

Inputs: files or directories (walked recursively; .json and .json.gz) holding CloudTrail log \
files ({\"Records\": [...]}) or `aws cloudtrail lookup-events` output ({\"Events\": [...]}), in \
any mix; or s3://BUCKET/PREFIX of a trail (only keys under .../CloudTrail/). Records that cannot \
be decided (an AWSAccount caller, an address the record does not give and the verdict depends \
on, ...) are counted apart with the reason; sign-in and service events are skipped. A corrupt \
file or record is reported by path and position, the rest is still read, and the exit status is 5.

Records carry no principal tags: give them with --tags-file, --tags-from-iam (IAM \
GetAccountAuthorizationDetails in the caller's account and each --account), or --assume-excepted \
(every IAM user holds the exception: what the network statement alone would deny); without any \
of them every user counts as untagged. --output jsonl prints one line per would-be-denied event.";

#[derive(Debug, Subcommand)]
pub enum ExceptionCommand {
    /// Tag a user with the exception (exactly the configured key=value), recording why, until
    /// when and by whom. Every other tag of the user is kept.
    #[command(long_about = "\
Tag an IAM user with the configured exception tag (default AccessException=True, exactly: values \
compare case-sensitively), so statement 1 no longer denies it; statement 2 still limits it to the \
enterprise networks. Companion tags record the reason (<key>Reason), the expiry (<key>Expires), \
the caller's ARN (<key>GrantedBy, from STS GetCallerIdentity) and the date (<key>GrantedAt). \
Every other tag is kept. A repeated identical grant writes nothing. Values IAM cannot store \
(characters other than letters, digits, spaces and _.:/=+-@; over 256 characters; a user \
already at 50 tags) are refused before anything is written.")]
    Grant(GrantArgs),

    /// Remove the exception tag and its companions. No exception: says so, exit 0.
    Revoke(RevokeArgs),

    /// Users holding an exception, with reason and expiry; warns about near-miss tags.
    #[command(long_about = "\
List the IAM users that hold an exception, with reason, expiry and granter. Users tagged with a \
value or key that differs only in case or spacing (AccessException=true) are listed with a \
warning: statement 1 denies them, and they usually do not know why. --output json prints an array \
of objects, each with a `user` field. --all-accounts lists every active account of the \
organization through AssumeRole (--role-name); an account whose role cannot be assumed is \
reported and skipped.")]
    List(ListArgs),

    /// Revoke the exceptions whose expiry date has passed (shows them first).
    Sweep(SweepArgs),
}

/// Which account's IAM users: the caller's own, or a member account through AssumeRole.
#[derive(Debug, Args, Clone)]
pub struct AccountArgs {
    /// Work in this member account (12 digits) by assuming --role-name in it.
    #[arg(long, value_name = "ID")]
    pub account: Option<String>,

    /// The role to assume in member accounts.
    #[arg(
        long,
        value_name = "NAME",
        default_value = "OrganizationAccountAccessRole"
    )]
    pub role_name: String,

    #[command(flatten)]
    pub aws: AwsArgs,
}

#[derive(Debug, Args)]
pub struct GrantArgs {
    /// The IAM user name.
    pub user: String,

    /// Why the user needs the exception (recorded in a tag; IAM tag characters only).
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,

    /// Last day the exception holds (UTC), YYYY-MM-DD; `sweep` revokes it after that.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub expires: Option<String>,

    #[command(flatten)]
    pub account: AccountArgs,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// The IAM user name.
    pub user: String,

    #[command(flatten)]
    pub account: AccountArgs,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Every active account of the organization (run from the management account).
    #[arg(long, conflicts_with = "account")]
    pub all_accounts: bool,

    /// User tag reads in flight at once (IAM's ListUsers does not return tags).
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,

    #[command(flatten)]
    pub account: AccountArgs,
}

#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,

    /// Only show what would be revoked.
    #[arg(long)]
    pub dry_run: bool,

    #[command(flatten)]
    pub account: AccountArgs,
}

/// Where AWS is reached. Every flag maps onto the standard AWS chain, which it overrides;
/// without them, AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL and the rest apply as usual.
#[derive(Debug, Args, Clone, Default)]
pub struct AwsArgs {
    /// Named profile from ~/.aws/config (as AWS_PROFILE).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// Region (as AWS_REGION). Organizations and IAM are global; us-east-1 when none is set.
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,

    /// Endpoint for every AWS service (as AWS_ENDPOINT_URL), e.g. http://localhost:4566.
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
}

#[derive(Debug, Args, Clone, Default)]
pub struct TargetArgs {
    /// An organizational unit to attach to (repeatable), e.g. ou-ab12-cd34ef56.
    #[arg(long = "ou", value_name = "OU")]
    pub ous: Vec<String>,

    /// The organization's root (every account, but never the management account).
    #[arg(long)]
    pub root: bool,

    /// A member account to attach to directly (repeatable), 12 digits.
    #[arg(long = "account", value_name = "ID")]
    pub accounts: Vec<String>,
}

#[derive(Debug, Args)]
pub struct DeployArgs {
    #[command(flatten)]
    pub targets: TargetArgs,

    /// Targets read and attached at once (throttling is retried with backoff).
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=32))]
    pub concurrency: u16,

    #[command(flatten)]
    pub aws: AwsArgs,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub deploy: DeployArgs,

    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,

    /// Only show the plan (same as `scpctl plan`).
    #[arg(long)]
    pub dry_run: bool,

    /// Your public IP as AWS sees it: when you are an IAM user the policy reaches, apply also
    /// checks that this address is inside the CIDRs (otherwise only your exception tag is checked).
    #[arg(long, value_name = "IP")]
    pub my_ip: Option<IpAddr>,

    /// Deploy even though the policy would deny the IAM user running scpctl.
    #[arg(long)]
    pub allow_self_lockout: bool,
}

#[derive(Debug, Args)]
pub struct DetachArgs {
    #[command(flatten)]
    pub deploy: DeployArgs,

    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,

    /// Only show what would be detached.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct DestroyArgs {
    #[command(flatten)]
    pub aws: AwsArgs,

    /// Targets detached at once.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=32))]
    pub concurrency: u16,

    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,

    /// Only show what would be detached and deleted.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub aws: AwsArgs,
}

#[derive(Debug, Args)]
pub struct ImpactArgs {
    /// CloudTrail files or directories (.json, .json.gz), or s3://BUCKET/PREFIX.
    #[arg(required = true, value_name = "PATH|s3://BUCKET/PREFIX")]
    pub inputs: Vec<String>,

    /// Which rendered policy to replay.
    #[arg(long, value_enum, default_value_t = Kind::Scp)]
    pub kind: Kind,

    /// Principal tags: a JSON object {"<principal ARN>": {"<tag key>": "<value>"}}.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["assume_excepted", "tags_from_iam"])]
    pub tags_file: Option<PathBuf>,

    /// Read users' tags from IAM (GetAccountAuthorizationDetails) in the caller's account and
    /// each --account, assuming --role-name in member accounts.
    #[arg(long, conflicts_with = "assume_excepted")]
    pub tags_from_iam: bool,

    /// The role assumed in member accounts by --tags-from-iam.
    #[arg(
        long,
        value_name = "NAME",
        default_value = "OrganizationAccountAccessRole"
    )]
    pub role_name: String,

    /// Treat every IAM user as holding the exception tag: what the network statement alone denies.
    #[arg(long)]
    pub assume_excepted: bool,

    /// The management account (12 digits): SCPs never restrict its principals.
    #[arg(long, value_name = "ID")]
    pub management_account: Option<String>,

    /// Only principals of this account (repeatable): the accounts the policy will reach.
    #[arg(long = "account", value_name = "ID")]
    pub accounts: Vec<String>,

    /// Only records at or after this time: YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,

    /// Only records at or before this time (a date: through its end).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,

    /// S3 objects fetched at once.
    #[arg(long, value_name = "N", default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=128))]
    pub concurrency: u16,

    /// Threads decompressing and evaluating (default: every core).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: Option<u16>,

    #[command(flatten)]
    pub aws: AwsArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    /// The Service Control Policy RestrictIAMUserAccessWithExceptions.
    Scp,
    /// The identity-based fallback EnterpriseNetworkRestriction.
    Identity,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// The policy document.
    Json,
    /// An aws_organizations_policy (or aws_iam_policy) resource.
    Terraform,
    /// An AWS::Organizations::Policy (or AWS::IAM::ManagedPolicy) template.
    Cloudformation,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Which policy to render.
    #[arg(long, value_enum, default_value_t = Kind::Scp)]
    pub kind: Kind,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub format: Format,

    /// Indent the JSON for people. AWS receives the compact form, which is what is budgeted.
    #[arg(long)]
    pub pretty: bool,

    /// Opt in: put statement 1 (no CIDRs) in a second SCP to free room for CIDRs. Equivalent,
    /// but takes one more of the 5 SCPs a target may have. Needs --out-dir.
    #[arg(long, requires = "out_dir")]
    pub split_statements: bool,

    /// Write each document to DIR/<policy name>.<ext> instead of stdout (all or nothing).
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Check only this policy's budget (default: both).
    #[arg(long, value_enum)]
    pub kind: Option<Kind>,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to write the config (default: the --config path, ./scpctl.toml).
    pub path: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PrincipalType {
    /// An IAM user (long-lived access keys or console password).
    #[value(name = "User")]
    User,
    /// An IAM role session, including IAM Identity Center users.
    #[value(name = "AssumedRole")]
    AssumedRole,
    /// A federated user session (sts:GetFederationToken).
    #[value(name = "FederatedUser")]
    FederatedUser,
    /// The AWS account root user.
    #[value(name = "Account")]
    Account,
}

impl PrincipalType {
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalType::User => "User",
            PrincipalType::AssumedRole => "AssumedRole",
            PrincipalType::FederatedUser => "FederatedUser",
            PrincipalType::Account => "Account",
        }
    }
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// aws:PrincipalType of the caller.
    #[arg(
        long,
        value_enum,
        ignore_case = true,
        required_unless_present = "scenario"
    )]
    pub principal_type: Option<PrincipalType>,

    /// A principal tag, aws:PrincipalTag/KEY (repeatable).
    #[arg(long = "tag", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub tags: Vec<(String, String)>,

    /// aws:SourceIp. Leave out for a request through a VPC endpoint (the key is then absent).
    #[arg(long, value_name = "IP")]
    pub source_ip: Option<IpAddr>,

    /// The call is made by an AWS service on the caller's behalf (aws:ViaAWSService = true).
    #[arg(long)]
    pub via_aws_service: bool,

    /// The action requested.
    #[arg(long, default_value = scpctl_core::scenario::DEFAULT_ACTION)]
    pub action: String,

    /// Any other request context key (repeatable), e.g. --context aws:PrincipalAccount=111122223333.
    #[arg(long = "context", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub context: Vec<(String, String)>,

    /// Which rendered policy to evaluate.
    #[arg(long, value_enum, default_value_t = Kind::Scp)]
    pub kind: Kind,

    /// Evaluate this policy JSON file instead of the one rendered from the config.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,

    /// Print the guide's test scenario as a table instead of evaluating one request.
    #[arg(long, conflicts_with_all = ["principal_type", "tags", "source_ip", "via_aws_service", "context"])]
    pub scenario: bool,
}

fn parse_key_value(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(format!("{s:?} is not KEY=VALUE")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn key_value_parsing() {
        assert_eq!(parse_key_value("A=b=c"), Ok(("A".into(), "b=c".into())));
        assert_eq!(parse_key_value("A="), Ok(("A".into(), "".into())));
        assert!(parse_key_value("=x").is_err());
        assert!(parse_key_value("novalue").is_err());
    }
}
