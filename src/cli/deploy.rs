//! `scpctl plan|apply|detach|destroy|status`: the targets, the kind, the identity fallback's
//! entities, and what applying may do.

use std::net::IpAddr;

use clap::Args;

use super::values::*;
use crate::aws::config::AwsArgs;

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

    /// plan|apply --kind identity: do not ask IAM Access Analyzer (CheckNoNewAccess, a charged
    /// check) whether a new version of the policy allows more than the version in force.
    #[arg(long)]
    pub no_access_check: bool,

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

    /// Deploy even though the policy would deny the IAM user running scpctl (--kind signin:
    /// even though your own console sign-in could not be shown to stay inside the networks).
    #[arg(long)]
    pub allow_self_lockout: bool,

    /// --kind signin: enable console authorization even though a break-glass principal would
    /// be denied sign-in, or its IAM user is missing or unreadable.
    #[arg(long)]
    pub allow_break_glass_denial: bool,

    #[command(flatten)]
    pub account: AccountPolicyArgs,
}

/// `plan|apply --kind signin --account-policy`: one account's Sign-In statements.
#[derive(Debug, Args, Clone, Default)]
pub struct AccountPolicyArgs {
    /// --kind signin: write account-level Sign-In statements in the caller's account (or
    /// --account ID through --role-name) instead of the organization RCP: for the management
    /// account, which RCPs never reach, and accounts without AWS Organizations.
    #[arg(long)]
    pub account_policy: bool,

    /// With --account-policy: accept that account statements hold every principal signing in
    /// (IAM users, the root user, federated roles) to the networks, not only IAM users.
    #[arg(long, requires = "account_policy")]
    pub all_principals: bool,

    /// With --account-policy: also delete the statements scpctl wrote (as recorded in
    /// .scpctl/signin-statements-ACCOUNT.json beside the config) that the config no longer
    /// derives; never a statement scpctl did not write.
    #[arg(long, requires = "account_policy")]
    pub prune: bool,
}

/// `scpctl plan`: the deploy flags, and the account-level statements' own.
#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub deploy: DeployArgs,

    #[command(flatten)]
    pub account: AccountPolicyArgs,
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
