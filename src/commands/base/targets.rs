//! `--ou`, `--account`, `--root`: the targets a deploy command acts on.

use anyhow::Result;
use scpctl_core::plan::TargetId;

use crate::cli::TargetArgs;
use crate::problems::{Problems, Usage};

/// Validated target ids from the flags; every bad one is reported at once.
pub fn targets(args: &TargetArgs) -> Result<Vec<TargetId>> {
    if args.ous.is_empty() && args.accounts.is_empty() && !args.root {
        return Err(Usage(Problems(vec![
            "no target: give at least one --ou OU, --account ID or --root".into(),
        ]))
        .into());
    }
    let mut ids = Vec::new();
    let mut errors = Vec::new();
    let parsed = args
        .ous
        .iter()
        .map(|o| TargetId::ou(o))
        .chain(args.accounts.iter().map(|a| TargetId::account(a)));
    for r in parsed {
        match r {
            Ok(id) if !ids.contains(&id) => ids.push(id),
            Ok(_) => {}
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(Usage(Problems::from_errors(&errors)).into());
    }
    Ok(ids)
}
