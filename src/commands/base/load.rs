//! The config loaded (its warnings printed) and one policy rendered from it.

use anyhow::Result;
use scpctl_core::render::{render, Layout, PolicyKind, RenderedPolicy};

use crate::cli::Cli;
use crate::load::{load, print_warnings_summary, Loaded};

/// The config (its warnings printed) and the policy of `kind` rendered from it.
pub fn load_and_render(cli: &Cli, kind: PolicyKind) -> Result<(Loaded, RenderedPolicy)> {
    let loaded = load(&cli.config)?;
    print_warnings_summary(&loaded);
    let mut policies = render(&loaded.config, &loaded.cidrs.set, kind, Layout::Single)?;
    let policy = policies.remove(0);
    Ok((loaded, policy))
}
