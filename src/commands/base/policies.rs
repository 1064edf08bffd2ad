//! Policy documents read from files: `simulate --policy`, `impact --policy` / `--policy-dir`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{anyhow, bail, Context, Result};
use scpctl_core::eval::{CompiledPolicy, PolicyType};
use scpctl_core::policy::PolicyDocument;

use crate::load::read_text;

/// Policies attached at one level, each named.
pub type Attached = Vec<(String, Arc<CompiledPolicy>)>;

pub fn read_policy(path: &Path) -> Result<PolicyDocument> {
    let text = read_text(path, "policy file")?;
    PolicyDocument::from_json(&text)
        .with_context(|| format!("{}: not a policy document", path.display()))
}

/// Every `*.json` file in `dir`, in name order.
pub fn json_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read policy directory {}", dir.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry
            .with_context(|| format!("cannot read policy directory {}", dir.display()))?
            .path();
        if path.is_file() && path.extension().is_some_and(|e| e == "json") {
            files.push(path);
        }
    }
    files.sort();
    if files.is_empty() {
        bail!("policy directory {} holds no *.json file", dir.display());
    }
    Ok(files)
}

/// `impact --policy FILE` / `--policy-dir DIR`: each file compiled once, as an SCP, or as an
/// RCP when its statements name `Principal: "*"` (the RCP grammar); the error names the file.
pub fn policy_files(
    files: &[std::path::PathBuf],
    dir: Option<&std::path::Path>,
) -> Result<Attached> {
    let mut paths = files.to_vec();
    if let Some(dir) = dir {
        paths.extend(json_files(dir)?);
    }
    paths
        .iter()
        .map(|path| {
            let label = path.display().to_string();
            let doc = read_policy(path)?;
            let policy = match CompiledPolicy::new(&doc, PolicyType::Scp) {
                Ok(p) => p,
                Err(scp) => CompiledPolicy::new(&doc, PolicyType::Rcp).map_err(|rcp| {
                    anyhow!("cannot evaluate {label}: as an SCP: {scp}; as an RCP: {rcp}")
                })?,
            };
            Ok((label, Arc::new(policy)))
        })
        .collect()
}
