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

    /// No progress bars (drawn on stderr, and only when it is a terminal).
    #[arg(short, long, global = true)]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
    /// One JSON object per line (`impact` only: one line per would-be-denied event).
    Jsonl,
    /// One self-contained HTML page (`impact` only): the JSON report, for people.
    Html,
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
against the SCP size limit: [limits] scp_max_chars, 10,240 characters by default as AWS allows since \
2026-05-15 (IAM managed policies: 6,144). IPv4 single hosts are written \
without /32; IPv6 entries keep their prefix. Overlapping and adjacent ranges are merged losslessly. \
When the list still does not fit, nothing is printed and the error says by how much and what helps. \
The CIDR list is never split across statements or policies.")]
    Render(RenderArgs),

    /// Check a config: errors, warnings and policy size, without printing the policy.
    #[command(long_about = "\
Check a config and report its findings without rendering: errors (exit 1), warnings (ranges that \
aws:SourceIp never carries, such as RFC 1918 or documentation ranges), how many CIDRs remain after \
lossless aggregation, and how much of the SCP size limit ([limits] scp_max_chars, 10,240 characters \
by default) and of the 6,144-character IAM managed policy limit the rendered policy uses.")]
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

The policy is the one rendered from the config, or the policies you give: --policy FILE \
(repeatable), --policy-dir DIR (every *.json in it, in name order), --scp-chain \
root.json,ou.json,account.json (one SCP chain, root first; join several files of one level with +). \
Every IAM condition operator is understood (String*, Numeric*, Date*, Bool, BinaryEquals, \
IpAddress, Arn*, Null, IfExists, ForAnyValue:/ForAllValues:), with Resource/NotResource, \
NotAction and policy variables; what IAM refuses is refused with the file and statement named. \
A flag you leave out is a key absent from the request: without --source-ip the request came \
through a VPC endpoint, where aws:SourceIp is missing. aws:ViaAWSService is in every request, so \
it is false unless --via-aws-service is given. Without --resource the request is on \"*\".

The answer is DENIED by <Sid> (in <file>) or NOT DENIED, with every condition and why it matched. \
Across policies any Deny denies; in an SCP chain a level where no Allow matches denies implicitly. \
SCPs never apply to the management account (--management-account) nor to service-linked roles \
(--service-linked-role, or a --principal-arn under /aws-service-role/), and no policy denies \
sts:GetCallerIdentity: the answer names the rule. An SCP never grants access: NOT DENIED means \
these policies do not block the request. Exit 0 either way.

--scenario prints the guide's test scenario (steps 3 to 6, IPv6, a role, a call via an AWS \
service, a VPC endpoint request, a user tagged `true` instead of `True`) as a table, with what \
the guide expects next to what the policy does. Exit 3 if any row disagrees.")]
    Simulate(SimulateArgs),

    /// Show what `apply` would change (the SCP; --kind signin: the sign-in RCP; --kind identity: the fallback), without writing.
    #[command(long_about = "\
Read the organization and print what `apply` would change: enable the SCP policy type on the root, \
create or update the policy RestrictIAMUserAccessWithExceptions (tagged ManagedBy=scpctl), attach \
it to each target. Nothing is written. An up-to-date organization prints no changes \
(`--output json`: {\"changes\": []}).

Refused before any write, with the target named: a target that does not exist, one that already \
has [limits] scps_per_target SCPs (10 by default, AWS's quota since 2026-05-15), one with no Allow SCP (normally FullAWSAccess), a policy of the same \
name that scpctl did not create. Run with management-account credentials (standard AWS chain, or \
--profile/--region/--endpoint-url).")]
    Plan(DeployArgs),

    /// Converge AWS on the config: create or update the policy of --kind (SCP by default) and attach it.
    #[command(long_about = "\
Show the plan, ask for confirmation on a terminal (or take --yes), then make the changes: enable \
SCPs on the root (waiting until ENABLED), create or update the policy in place, attach it to each \
target. Every change is safe to repeat: after a failure or a crash at any point, re-run the same \
command to finish. A no-op apply makes no write call. Without --yes and without a terminal it \
refuses and writes nothing.

SCPs never restrict the management account, and affect IAM users only: roles and IAM Identity \
Center users are not affected by this policy.")]
    Apply(ApplyArgs),

    /// Detach scpctl's policy of --kind (SCP by default) from the given targets, never any other.
    #[command(long_about = "\
Detach the managed SCP from the given targets: --ou, --account, --root. Never any other policy, \
and never the last policy of a target. A target that does not hold the SCP is left alone; when \
none holds it, detach says so and exits 0.")]
    Detach(DetachArgs),

    /// Detach scpctl's policy of --kind (SCP by default) everywhere, then delete it (only one scpctl created).
    Destroy(DestroyArgs),

    /// Where scpctl's policy of --kind (SCP by default) is attached, and whether it drifted from the config.
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

    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    #[command(long_about = "\
Print a completion script for your shell on stdout, for example:
  scpctl completions bash > ~/.local/share/bash-completion/completions/scpctl
  scpctl completions zsh > \"${fpath[1]}/_scpctl\"
  scpctl completions fish > ~/.config/fish/completions/scpctl.fish
  scpctl completions powershell >> $PROFILE")]
    Completions(CompletionsArgs),

    /// Print the manual page (roff) on stdout, or write one page per command with --out-dir.
    #[command(long_about = "\
Print the scpctl(1) manual page in roff on stdout (`scpctl man | man -l -`), or with --out-dir DIR \
write scpctl.1 and one page per subcommand (scpctl-render.1, ...) for installing under man1/.")]
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write scpctl.1 and a page per subcommand into DIR instead of printing scpctl.1.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
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
    #[arg(long, value_name = "ID", value_parser = parse_account_id)]
    pub account: Option<String>,

    /// The role to assume in member accounts.
    #[arg(
        long,
        value_name = "NAME",
        default_value = "OrganizationAccountAccessRole",
        value_parser = parse_role_name
    )]
    pub role_name: String,

    #[command(flatten)]
    pub aws: AwsArgs,
}

#[derive(Debug, Args)]
pub struct GrantArgs {
    /// The IAM user name.
    #[arg(value_parser = parse_user_name)]
    pub user: String,

    /// Why the user needs the exception (recorded in a tag; IAM tag characters only).
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,

    /// Last day the exception holds (UTC): YYYY-MM-DD, or days from today such as 30d;
    /// `sweep` revokes it after that.
    #[arg(long, value_name = "YYYY-MM-DD|Nd", value_parser = parse_expires)]
    pub expires: Option<String>,

    #[command(flatten)]
    pub account: AccountArgs,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// The IAM user name.
    #[arg(value_parser = parse_user_name)]
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
#[derive(Debug, Args, Clone)]
pub struct AwsArgs {
    /// Named profile from ~/.aws/config (as AWS_PROFILE).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// Region (as AWS_REGION). Organizations and IAM are global; us-east-1 when none is set.
    #[arg(long, value_name = "REGION", value_parser = parse_region)]
    pub region: Option<String>,

    /// Endpoint for every AWS service (as AWS_ENDPOINT_URL), e.g. http://localhost:4566.
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,

    /// Longest wait for one AWS operation, retries included (connect 3.1 s, 10 s per attempt).
    /// An endpoint that never answers fails within this time, naming the endpoint.
    #[arg(long, value_name = "SECONDS", default_value_t = crate::aws::DEFAULT_TIMEOUT_SECS,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
}

#[derive(Debug, Args, Clone, Default)]
pub struct TargetArgs {
    /// A target organizational unit (repeatable), e.g. ou-ab12-cd34ef56.
    #[arg(long = "ou", value_name = "OU")]
    pub ous: Vec<String>,

    /// The organization's root as a target (every account, but never the management account).
    #[arg(long)]
    pub root: bool,

    /// A member account as a target of its own (repeatable), 12 digits. Checked with the --ou
    /// values, after parsing, so that one message lists every malformed target (exit 2).
    #[arg(long = "account", value_name = "ID")]
    pub accounts: Vec<String>,
}

/// `--kind identity`: the fallback EnterpriseNetworkRestriction on IAM users, groups and roles
/// of one or more accounts (`--account`, through `--role-name`) instead of the SCP.
#[derive(Debug, Args, Clone)]
pub struct IdentityArgs {
    /// Which policy: the SCP (default); the console sign-in RCP (signin), which also turns on
    /// console authorization for the organization; or the identity-based fallback for IAM users,
    /// groups and roles (identity, with --user, --group, --role; --account then names the
    /// accounts to work in).
    #[arg(long, default_value = "scp", value_parser = policy_kinds())]
    pub kind: Kind,

    /// --kind identity: an IAM user to restrict (repeatable).
    #[arg(long = "user", value_name = "NAME", value_parser = parse_user_name)]
    pub users: Vec<String>,

    /// --kind identity: an IAM group whose users to restrict (repeatable).
    #[arg(long = "group", value_name = "NAME", value_parser = parse_group_name)]
    pub groups: Vec<String>,

    /// --kind identity: an IAM role to restrict (repeatable), e.g. one assumed by federated users.
    #[arg(long = "role", value_name = "NAME", value_parser = parse_role_name)]
    pub roles: Vec<String>,

    /// --kind identity: an inline policy in each entity (marked as scpctl's) instead of the
    /// customer managed policy.
    #[arg(long)]
    pub inline: bool,

    /// With --account (--kind identity, or --kind signin --account-policy): the role assumed in
    /// each member account.
    #[arg(
        long,
        value_name = "NAME",
        default_value = "OrganizationAccountAccessRole",
        value_parser = parse_role_name
    )]
    pub role_name: String,
}

#[derive(Debug, Args)]
pub struct DeployArgs {
    #[command(flatten)]
    pub targets: TargetArgs,

    #[command(flatten)]
    pub identity: IdentityArgs,

    /// Targets read and changed at once (throttling is retried with backoff).
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

    /// --kind signin: write account-level Sign-In statements in the caller's account (or
    /// --account ID through --role-name) instead of the organization RCP: for the management
    /// account, which RCPs never reach, and accounts without AWS Organizations.
    #[arg(long)]
    pub account_policy: bool,

    /// With --account-policy: accept that account statements hold every principal signing in
    /// (IAM users, the root user, federated roles) to the networks, not only IAM users.
    #[arg(long, requires = "account_policy")]
    pub all_principals: bool,
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
    /// --kind signin: also turn console authorization off for the organization (by default it
    /// stays on: other RCPs and account statements may rely on it).
    #[arg(long)]
    pub disable_console_authorization: bool,

    #[command(flatten)]
    pub aws: AwsArgs,

    #[command(flatten)]
    pub identity: IdentityArgs,

    /// --kind identity: an account to work in (repeatable; default: the caller's own).
    #[arg(long = "account", value_name = "ID", value_parser = parse_account_id)]
    pub accounts: Vec<String>,

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

    #[command(flatten)]
    pub identity: IdentityArgs,

    /// --kind identity: an account to look at (repeatable; default: the caller's own).
    #[arg(long = "account", value_name = "ID", value_parser = parse_account_id)]
    pub accounts: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ImpactArgs {
    /// CloudTrail files or directories (.json, .json.gz), or s3://BUCKET/PREFIX.
    #[arg(
        required_unless_present = "engine",
        value_name = "PATH|s3://BUCKET/PREFIX"
    )]
    pub inputs: Vec<String>,

    /// Which rendered policy to replay.
    #[arg(long, default_value = "scp", value_parser = policy_kinds())]
    pub kind: Kind,

    /// Write the report (text, json or html) to FILE instead of stdout, all or nothing.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

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
    #[arg(long, value_name = "ID", value_parser = parse_account_id)]
    pub management_account: Option<String>,

    /// Only principals of this account (repeatable): the accounts the policy will reach.
    #[arg(long = "account", value_name = "ID", value_parser = parse_account_id)]
    pub accounts: Vec<String>,

    /// Only records at or after this time: YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC).
    #[arg(long, value_name = "TIME", value_parser = parse_since)]
    pub since: Option<String>,

    /// Only records at or before this time (a date: through its end).
    #[arg(long, value_name = "TIME", value_parser = parse_until)]
    pub until: Option<String>,

    /// A policy the organization already runs (repeatable): each record is decided through it
    /// too, and the report tells "denied today already" from "newly denied by this policy".
    /// An SCP, or an RCP (statements with Principal "*").
    #[arg(long = "policy", value_name = "FILE")]
    pub policies: Vec<PathBuf>,

    /// Every *.json file in DIR, as --policy.
    #[arg(long, value_name = "DIR")]
    pub policy_dir: Option<PathBuf>,

    /// The SCPs in force on each caller account's path root -> OUs -> account, read from
    /// Organizations (and the RCPs too for --kind signin), evaluated as a chain: "denied today
    /// already" apart from "newly denied by this policy".
    #[arg(long)]
    pub org_policies: bool,

    /// S3 objects fetched at once.
    #[arg(long, value_name = "N", default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=128))]
    pub concurrency: u16,

    /// Threads decompressing and evaluating (default: every core).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: Option<u16>,

    /// Amazon Athena instead of files (`--engine athena`).
    #[command(flatten)]
    pub athena: AthenaArgs,

    #[command(flatten)]
    pub aws: AwsArgs,
}

/// `impact --engine athena`: the same verdicts computed by one query where the trail lives.
#[derive(Debug, Args)]
pub struct AthenaArgs {
    /// Where to evaluate: `athena` runs one query over the CloudTrail table (no PATH).
    #[arg(
        long,
        value_enum,
        value_name = "ENGINE",
        conflicts_with = "inputs",
        requires = "table"
    )]
    pub engine: Option<Engine>,

    /// The CloudTrail table: DATABASE.TABLE (see --emit-ddl).
    #[arg(long, value_name = "DB.TABLE")]
    pub table: Option<String>,

    /// How the table is partitioned.
    #[arg(long, value_enum, default_value_t = TableLayoutArg::OrgProjection)]
    pub layout: TableLayoutArg,

    /// Only this trail Region's partitions (repeatable).
    #[arg(long = "trail-region", value_name = "REGION", value_parser = parse_region)]
    pub trail_regions: Vec<String>,

    /// Read every partition when --since/--until are not both given (billed per byte).
    #[arg(long)]
    pub allow_full_scan: bool,

    /// Print the query and run nothing.
    #[arg(long, requires = "engine")]
    pub emit_sql: bool,

    /// Print the CREATE EXTERNAL TABLE the query expects and run nothing.
    #[arg(long, requires = "engine")]
    pub emit_ddl: bool,

    /// For --emit-ddl: the first day of the table's projected date range (Athena returns zero
    /// rows for days before it); default 2013-11-01, before any trail's first day.
    #[arg(long, value_name = "YYYY-MM-DD", requires = "emit_ddl")]
    pub projection_start: Option<String>,

    /// For --emit-ddl: the trail's S3 location, e.g. s3://BUCKET/AWSLogs/o-ORGID.
    #[arg(long, value_name = "s3://...", value_parser = parse_s3_location)]
    pub trail_location: Option<String>,

    /// The Athena workgroup.
    #[arg(long, value_name = "NAME", default_value = "primary")]
    pub workgroup: String,

    /// Where Athena writes results (unless the workgroup sets it).
    #[arg(long, value_name = "s3://...", value_parser = parse_s3_location)]
    pub output_location: Option<String>,

    /// One JSON line per event (eventid, status, sid, reason) instead of the report.
    #[arg(long, requires = "engine")]
    pub per_record: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Engine {
    /// Amazon Athena (Trino) over the CloudTrail table.
    Athena,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TableLayoutArg {
    /// Organization trail with partition projection: account (injected), region, timestamp.
    OrgProjection,
    /// AWS's single account and Region table with projection: timestamp.
    Projection,
    /// Manual partitions: account, region, year, month, day.
    Partitioned,
}

/// Which Sign-In evaluation phase `simulate --kind signin` models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SigninPhase {
    /// Before authentication: the ARN is in signin:PrincipalArn.
    PreAuth,
    /// After authentication: the ARN is in aws:PrincipalArn.
    PostAuth,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    /// The Service Control Policy RestrictIAMUserAccessWithExceptions.
    Scp,
    /// The identity-based fallback EnterpriseNetworkRestriction.
    Identity,
    /// EventBridge rules alerting on break-glass use, exception-tag and guardrail changes
    /// (render only: --format cloudformation, terraform, or json for the patterns).
    Monitoring,
    /// The console sign-in resource control policy ([console]; AWS Sign-In).
    Signin,
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
    /// but takes one more of the SCPs a target may have ([limits] scps_per_target). Needs --out-dir.
    #[arg(long, requires = "out_dir")]
    pub split_statements: bool,

    /// Write each document to DIR/<policy name>.<ext> instead of stdout (all or nothing).
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Check only this policy's budget (default: both).
    #[arg(long, value_parser = policy_kinds())]
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
    /// aws:PrincipalType of the caller (required for the policy rendered from the config).
    #[arg(
        long,
        value_enum,
        ignore_case = true,
        required_unless_present_any = ["scenario", "policy", "policy_dir", "scp_chain", "phase"]
    )]
    pub principal_type: Option<PrincipalType>,

    /// --kind signin: the Sign-In phase; --principal-arn goes to signin:PrincipalArn
    /// (pre-auth) or aws:PrincipalArn (post-auth). Sign-In requests carry no aws:ViaAWSService.
    #[arg(long, value_enum)]
    pub phase: Option<SigninPhase>,

    /// A principal tag, aws:PrincipalTag/KEY (repeatable).
    #[arg(long = "tag", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub tags: Vec<(String, String)>,

    /// aws:SourceIp. Leave out for a request through a VPC endpoint (the key is then absent).
    #[arg(long, value_name = "IP")]
    pub source_ip: Option<IpAddr>,

    /// The call is made by an AWS service on the caller's behalf (aws:ViaAWSService = true).
    #[arg(long)]
    pub via_aws_service: bool,

    /// aws:SourceVpc: the request came through a VPC endpoint in this VPC (give no --source-ip:
    /// a request carries one or the other).
    #[arg(long, value_name = "VPC", value_parser = parse_vpc, conflicts_with = "source_ip")]
    pub source_vpc: Option<String>,

    /// aws:SourceVpce: the VPC endpoint the request came through.
    #[arg(long, value_name = "VPCE", value_parser = parse_vpce, conflicts_with = "source_ip")]
    pub source_vpce: Option<String>,

    /// aws:RequestedRegion: the Region called (a listed VPC counts only in its Regions).
    #[arg(long = "region", value_name = "REGION", value_parser = parse_region)]
    pub requested_region: Option<String>,

    /// The action requested.
    #[arg(long, default_value = scpctl_core::scenario::DEFAULT_ACTION)]
    pub action: String,

    /// The resource ARN requested. Leave out for "*" (only Resource "*" covers it).
    #[arg(long, value_name = "ARN")]
    pub resource: Option<String>,

    /// aws:PrincipalArn of the caller (a role's ARN, with its path).
    #[arg(long, value_name = "ARN", value_parser = parse_principal_arn)]
    pub principal_arn: Option<String>,

    /// The caller is in the organization's management account: SCPs do not apply.
    #[arg(long)]
    pub management_account: bool,

    /// The caller is a service-linked role: SCPs do not apply.
    #[arg(long)]
    pub service_linked_role: bool,

    /// Any other request context key (repeatable; a key given twice is multivalued), e.g.
    /// --context aws:PrincipalAccount=111122223333. Typed keys (aws:SourceIp, aws:CurrentTime,
    /// aws:MultiFactorAuthAge, ...) must hold a value of their type.
    #[arg(long = "context", value_name = "KEY=VALUE", value_parser = parse_context)]
    pub context: Vec<(String, String)>,

    /// Which rendered policy to evaluate; also how --policy files are read (scp: Version
    /// 2012-10-17 required, SCP exemptions apply; identity: Version optional).
    #[arg(long, default_value = "scp", value_parser = policy_kinds())]
    pub kind: Kind,

    /// Evaluate this policy JSON file instead of the one rendered from the config (repeatable).
    #[arg(long, value_name = "FILE")]
    pub policy: Vec<PathBuf>,

    /// Evaluate every *.json file in this directory, in name order.
    #[arg(long, value_name = "DIR", conflicts_with = "scenario")]
    pub policy_dir: Option<PathBuf>,

    /// An SCP chain, root first: each level needs an Allow that matches. Levels separated by
    /// commas (ROOT,OU,...,ACCOUNT), several files of one level joined with +.
    #[arg(
        long,
        value_name = "FILES",
        value_delimiter = ',',
        conflicts_with = "scenario"
    )]
    pub scp_chain: Vec<String>,

    /// Print the guide's test scenario as a table instead of evaluating one request.
    #[arg(long, conflicts_with_all = ["principal_type", "tags", "source_ip", "source_vpc", "source_vpce", "requested_region", "via_aws_service", "context", "resource", "principal_arn", "management_account", "service_linked_role", "phase"])]
    pub scenario: bool,

    /// With --scenario: print the table on one line per row however wide (by default a table
    /// wider than 100 columns is printed as one block per row).
    #[arg(long, requires = "scenario")]
    pub wide: bool,
}

/// `--kind` of every verb but `render`: the policies (scp, identity, signin), not `monitoring`,
/// which is a set of EventBridge rules only `render` writes.
fn policy_kinds() -> impl clap::builder::TypedValueParser<Value = Kind> {
    let values = Kind::value_variants()
        .iter()
        .filter(|k| **k != Kind::Monitoring)
        .filter_map(ValueEnum::to_possible_value);
    clap::builder::TypedValueParser::map(
        clap::builder::PossibleValuesParser::new(values),
        |s: String| Kind::from_str(&s, true).unwrap_or(Kind::Scp),
    )
}

fn parse_vpc(s: &str) -> Result<String, String> {
    scpctl_core::networks::check_id(s, "vpc-").map(|()| s.to_string())
}

fn parse_vpce(s: &str) -> Result<String, String> {
    scpctl_core::networks::check_id(s, "vpce-").map(|()| s.to_string())
}

fn parse_region(s: &str) -> Result<String, String> {
    scpctl_core::networks::check_region(s).map(|()| s.to_string())
}

/// A bad flag value is a usage error (exit 2), reported by clap with the flag's name.
fn parse_account_id(s: &str) -> Result<String, String> {
    scpctl_core::names::check_account_id(s).map(|()| s.to_string())
}

fn parse_since(s: &str) -> Result<String, String> {
    scpctl_core::impact::TimeRange::parse(Some(s), None).map_err(without_flag)?;
    calendar_day(s)
}

fn parse_until(s: &str) -> Result<String, String> {
    scpctl_core::impact::TimeRange::parse(None, Some(s)).map_err(without_flag)?;
    calendar_day(s)
}

/// The day of a time must exist (2024-02-30 does not), as for --expires.
fn calendar_day(s: &str) -> Result<String, String> {
    match s.get(..10).and_then(scpctl_core::exception::Date::parse) {
        Some(_) => Ok(s.to_string()),
        None => Err(format!(
            "{} is not a day of the calendar",
            s.get(..10).unwrap_or(s)
        )),
    }
}

/// The core's message names the flag and value, which clap's usage error names already.
fn without_flag(message: String) -> String {
    match message.split_once(": ") {
        Some((head, rest)) if head.starts_with("--") => rest.to_string(),
        _ => message,
    }
}

/// The form only (a calendar date, or Nd): whether the date has passed is decided when the
/// grant runs, against that day.
fn parse_expires(s: &str) -> Result<String, String> {
    let epoch = scpctl_core::exception::Date::parse("2000-01-01").expect("a valid date");
    scpctl_core::exception::Date::parse_expires(s, epoch)
        .map(|_| s.to_string())
        .map_err(|e| e.to_string())
}

fn parse_s3_location(s: &str) -> Result<String, String> {
    scpctl_core::names::check_s3_location(s).map(|()| s.to_string())
}

fn parse_user_name(s: &str) -> Result<String, String> {
    scpctl_core::names::check_iam_name("user name", s).map(|()| s.to_string())
}

/// IAM CreateGroup: GroupName 1 to 128 characters of `[\w+=,.@-]`.
fn parse_group_name(s: &str) -> Result<String, String> {
    let len = s.chars().count();
    if len == 0 || len > 128 {
        return Err(format!(
            "an IAM group name must be 1 to 128 characters (it has {len})"
        ));
    }
    s.chars()
        .try_for_each(|c| scpctl_core::names::check_iam_name("group name", &c.to_string()))
        .map(|()| s.to_string())
}

fn parse_role_name(s: &str) -> Result<String, String> {
    scpctl_core::names::check_iam_name("role name", s).map(|()| s.to_string())
}

/// `KEY=VALUE` whose value has the key's documented type (a usage error otherwise).
fn parse_context(s: &str) -> Result<(String, String), String> {
    let (k, v) = parse_key_value(s)?;
    scpctl_core::eval::check_request_value(&k, &v)?;
    Ok((k, v))
}

fn parse_principal_arn(s: &str) -> Result<String, String> {
    scpctl_core::eval::check_request_value("aws:PrincipalArn", s)?;
    Ok(s.to_string())
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
