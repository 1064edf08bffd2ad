//! Command-line definitions only (clap derive), one file per command family as `commands/`
//! has one folder per capability; the work is done there. This file holds the top level.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod deploy;
mod exception;
mod impact;
mod render;
mod rollout;
mod simulate;
mod values;

pub use crate::aws::config::AwsArgs;
pub use deploy::*;
pub use exception::*;
pub use impact::*;
pub use render::*;
pub use rollout::*;
pub use simulate::*;
pub use values::*;

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
    Plan(PlanArgs),

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
    #[command(long_about = impact::IMPACT_ABOUT)]
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

    /// What the policy actually refused in CloudTrail, by which policy, against the prediction.
    #[command(long_about = DENIALS_ABOUT)]
    Denials(DenialsArgs),

    /// Attach the policy stage by stage ([[rollout.stages]]), gated on a soak and on denials.
    #[command(subcommand)]
    Rollout(RolloutCommand),
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
