//! `scpctl impact`: inputs, tags, the policies in force, and the Athena engine's flags.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::values::*;
use crate::aws::config::{parse_region, AwsArgs};

pub(crate) const IMPACT_ABOUT: &str = "\
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
