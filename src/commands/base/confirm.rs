//! Asking before AWS is changed: on a terminal, only "yes" proceeds; without one, `--yes` must.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{bail, Result};
use scpctl_core::printable::printable;

use crate::cli::{Cli, OutputFormat};

/// [`confirm`] for a list of changes: with `--output json` (or jsonl) the plan went to stdout as
/// data, or nowhere, so a person at the prompt sees it on stderr first. Never write unseen.
pub fn confirm_changes<C: std::fmt::Display>(cli: &Cli, yes: bool, changes: &[C]) -> Result<()> {
    if !yes && cli.output != OutputFormat::Text && std::io::stdin().is_terminal() {
        errln!("{} change(s):", changes.len())?;
        for c in changes {
            errln!("  + {}", printable(&c.to_string()))?;
        }
    }
    confirm(yes, &format!("Make these {} change(s)?", changes.len()))
}

/// Ask on the terminal; without one, refuse unless `--yes` was given.
pub fn confirm(yes: bool, question: &str) -> Result<()> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        bail!("refusing to change AWS without confirmation: stdin is not a terminal, pass --yes to proceed (nothing was changed)");
    }
    err!("{question} Only 'yes' is accepted: ")?;
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if answer.trim() != "yes" {
        bail!("not confirmed; nothing was changed");
    }
    Ok(())
}

/// A refused plan's errors as one message, ending "nothing was changed".
pub fn plan_errors(errors: Vec<scpctl_core::plan::PlanError>) -> anyhow::Error {
    let mut messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
    if let Some(last) = messages.last_mut() {
        last.push_str("\nnothing was changed");
    }
    crate::problems::Problems(messages).into()
}
