//! `scpctl exception grant|revoke|list|sweep`.

use clap::{Args, Subcommand};

use super::values::*;
use crate::aws::config::AwsArgs;

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
