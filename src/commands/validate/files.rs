//! `scpctl validate --online --policy FILE|--policy-dir DIR --policy-type scp|rcp|identity`: an
//! organization's own policy documents sent to IAM Access Analyzer's ValidatePolicy as they are
//! on disk; findings shown as FILE:LINE:COLUMN. A file that cannot be read is a usage error
//! (exit 2) and nothing is sent; a finding at or above `--fail-on` exits 1.

use anyhow::Result;
use scpctl_core::render::PolicyKind;
use serde_json::json;

use super::online::{self, Document};
use crate::cli::{Cli, FilePolicyType, OutputFormat, ValidateArgs};
use crate::commands::base::policies::json_files;
use crate::exit;
use crate::load::read_text;
use crate::problems::usage;

fn kind(t: FilePolicyType) -> PolicyKind {
    match t {
        FilePolicyType::Scp => PolicyKind::Scp,
        // ValidatePolicy's RESOURCE_CONTROL_POLICY: scpctl's RCP is the sign-in one.
        FilePolicyType::Rcp => PolicyKind::Signin,
        FilePolicyType::Identity => PolicyKind::Identity,
    }
}

/// Every file, read before any call: one unreadable file and nothing is sent.
fn documents(args: &ValidateArgs, policy_type: FilePolicyType) -> Result<Vec<Document>> {
    let mut paths = args.policy.clone();
    if let Some(dir) = &args.policy_dir {
        paths.extend(json_files(dir).map_err(|e| usage(format!("--policy-dir: {e:#}")))?);
    }
    let mut problems = Vec::new();
    let mut out = Vec::new();
    for path in &paths {
        match read_text(path, "policy file") {
            Ok(text) => out.push(Document {
                name: path.display().to_string(),
                kind: kind(policy_type),
                text,
                file: true,
            }),
            Err(e) => problems.push(format!("--policy: {e:#}")),
        }
    }
    if !problems.is_empty() {
        return Err(crate::problems::Usage(crate::problems::Problems(problems)).into());
    }
    Ok(out)
}

pub fn run(cli: &Cli, args: &ValidateArgs) -> Result<u8> {
    let Some(policy_type) = args.policy_type else {
        return Err(usage(
            "--policy and --policy-dir need --policy-type scp, rcp or identity".into(),
        ));
    };
    let documents = documents(args, policy_type)?;
    let checked = online::check(&args.aws, documents)?;
    let failed = online::fails(&checked, args.fail_on);
    match cli.output {
        OutputFormat::Json => {
            let report = json!({
                "valid": !failed,
                "online": online::to_json(&checked),
            });
            outln!("{}", serde_json::to_string_pretty(&report)?)?;
        }
        OutputFormat::Text | OutputFormat::Jsonl | OutputFormat::Html => online::print(&checked)?,
    }
    Ok(if failed { exit::FAILURE } else { exit::SUCCESS })
}
