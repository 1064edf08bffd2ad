//! `scpctl render`, `validate`, `init`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::values::*;
use crate::aws::config::AwsArgs;

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

    /// Also send each rendered document to IAM Access Analyzer's ValidatePolicy (AWS's own
    /// linter; any Region; needs access-analyzer:ValidatePolicy) and show its findings.
    #[arg(long)]
    pub online: bool,

    /// With --online: the least severe finding type that makes the run fail (exit 1).
    #[arg(long, value_enum, default_value_t = FailOn::SecurityWarning, requires = "online")]
    pub fail_on: FailOn,

    /// With --online: send this policy file of the organization's own (repeatable) instead of
    /// the documents rendered from the config; findings are shown as FILE:LINE:COLUMN.
    #[arg(long = "policy", value_name = "FILE", requires_all = ["online", "policy_type"], conflicts_with = "kind")]
    pub policy: Vec<PathBuf>,

    /// With --online: send every *.json file in this directory, in name order.
    #[arg(long, value_name = "DIR", requires_all = ["online", "policy_type"], conflicts_with = "kind")]
    pub policy_dir: Option<PathBuf>,

    /// What the --policy files are: scp (SERVICE_CONTROL_POLICY), rcp
    /// (RESOURCE_CONTROL_POLICY) or identity (IDENTITY_POLICY).
    #[arg(long, value_enum)]
    pub policy_type: Option<FilePolicyType>,

    #[command(flatten)]
    pub aws: AwsArgs,
}

/// `validate --policy-type`: what an organization's own policy files are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FilePolicyType {
    /// A service control policy.
    Scp,
    /// A resource control policy.
    Rcp,
    /// An identity-based policy.
    Identity,
}

/// `validate --fail-on`: Access Analyzer's finding types, most severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    SecurityWarning,
    Warning,
    Suggestion,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to write the config (default: the --config path, ./scpctl.toml).
    pub path: Option<PathBuf>,
}
