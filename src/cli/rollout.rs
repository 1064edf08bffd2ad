//! `scpctl denials` and `scpctl rollout`: what the policy actually refused, and the staged
//! rollout gated on it.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::impact::ImpactArgs;
use super::values::*;
use crate::aws::config::AwsArgs;

pub(crate) const DENIALS_ABOUT: &str = "\
Read CloudTrail records (files, directories or s3://BUCKET/PREFIX, as `impact` reads them), find \
the calls that were refused (errorCode AccessDenied, AccessDeniedException, UnauthorizedOperation, \
...) and attribute each: to scpctl's policy when the message names its ARN, or says \"explicit deny \
in a service control policy\" without an ARN and the replay through the rendered policy denies the \
same request; to another SCP or RCP when the message names another; to another policy type; or \
\"unattributed\" (a bare Access Denied), with whether scpctl's policy would deny it. Then, per \
account and principal, the comparison with the prediction on the same records: refused and \
predicted; refused by scpctl's policy but not predicted (a mapping or evaluator gap, event ids \
listed); predicted but the call succeeded (the policy is not in force there yet, or a gap).

scpctl's policy id is --policy-id, or found in Organizations by the configured name and the \
ManagedBy=scpctl tag; when AWS cannot be reached it is unknown and no ARN is attributed to it. \
--kind scp only. Amazon Athena (--engine) and the policies in force (--policy, --policy-dir, \
--org-policies) are out of scope for denials. --output jsonl prints one line per refused call and \
per predicted call that succeeded.";

/// `scpctl denials`: `impact`'s inputs, filters and tag sources, and scpctl's policy id.
#[derive(Debug, Args)]
pub struct DenialsArgs {
    #[command(flatten)]
    pub replay: ImpactArgs,

    /// scpctl's SCP id (p-...), instead of looking it up in Organizations.
    #[arg(long, value_name = "ID", value_parser = parse_policy_id)]
    pub policy_id: Option<String>,
}

/// An Organizations policy id: `p-` and 8 to 128 lowercase letters, digits or underscores.
fn parse_policy_id(s: &str) -> Result<String, String> {
    let rest = s.strip_prefix("p-").unwrap_or("");
    if (8..=128).contains(&rest.len())
        && rest
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        Ok(s.to_string())
    } else {
        Err(format!(
            "{} is not a policy id (p- and 8 to 128 lowercase letters, digits or _)",
            scpctl_core::origin::excerpt(s)
        ))
    }
}

#[derive(Debug, Subcommand)]
pub enum RolloutCommand {
    /// Which stage is in force, since when, which targets hold the policy, what `next` adds.
    Status(RolloutStatusArgs),

    /// Attach the next stage, when the stage in force has soaked and the trail since it started
    /// shows no more unexpected principals refused by the policy than allowed.
    #[command(long_about = "\
Attach the next [[rollout.stages]] stage. From the second stage on, the stage in force must have \
been in force for its soak, and `denials` over --trail since it started (records before never \
count) must show no more principals refused by scpctl's policy outside [rollout] expected_denied \
than max_unexpected_principals; otherwise nothing is written and the principals and their events \
are named. --force goes past the gate and records what it passed in the scpctl:rollout-forced tag. \
The stage and its start are tags on the policy (scpctl:rollout-stage, scpctl:rollout-started), \
written before the attachments: a run cut short is finished by running it again.")]
    Next(RolloutNextArgs),

    /// Detach the policy from every stage's targets, recording the reason and time as tags;
    /// `next` starts again at the first stage.
    Abort(RolloutAbortArgs),
}

#[derive(Debug, Args)]
pub struct RolloutStatusArgs {
    #[command(flatten)]
    pub aws: AwsArgs,
}

#[derive(Debug, Args)]
pub struct RolloutNextArgs {
    /// CloudTrail files or directories, or s3://BUCKET/PREFIX (repeatable): the denials since
    /// the stage in force started. Needed from the second stage on, unless --force.
    #[arg(long = "trail", value_name = "PATH|s3://BUCKET/PREFIX")]
    pub trail: Vec<String>,

    /// Principal tags for the replay: {"<principal ARN>": {"<tag key>": "<value>"}}.
    #[arg(long, value_name = "FILE", conflicts_with = "assume_excepted")]
    pub tags_file: Option<PathBuf>,

    /// Treat every IAM user as holding the exception tag in the replay.
    #[arg(long)]
    pub assume_excepted: bool,

    /// The management account (12 digits): SCPs never restrict its principals.
    #[arg(long, value_name = "ID", value_parser = parse_account_id)]
    pub management_account: Option<String>,

    /// Go past the soak and denial gate (recorded in the scpctl:rollout-forced tag).
    #[arg(long)]
    pub force: bool,

    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,

    /// Only show the plan.
    #[arg(long)]
    pub dry_run: bool,

    /// Attachments made at once.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=32))]
    pub concurrency: u16,

    #[command(flatten)]
    pub aws: AwsArgs,
}

#[derive(Debug, Args)]
pub struct RolloutAbortArgs {
    /// Why (written in the scpctl:rollout-reason tag, cut to what a tag value may hold).
    #[arg(long, value_name = "TEXT")]
    pub reason: String,

    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,

    /// Only show the plan.
    #[arg(long)]
    pub dry_run: bool,

    /// Detachments made at once.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=32))]
    pub concurrency: u16,

    #[command(flatten)]
    pub aws: AwsArgs,
}
