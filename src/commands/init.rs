//! `scpctl init`: write a commented starter config, never over an existing file.

use std::io::Write;

use anyhow::{Context, Result};
use scpctl_core::config::STARTER_CONFIG;

use crate::cli::{Cli, InitArgs, OutputFormat};
use crate::exit;

pub fn run(cli: &Cli, args: &InitArgs) -> Result<u8> {
    let path = args.path.as_ref().unwrap_or(&cli.config);
    // create_new: atomic "only if absent", so a concurrent or existing file is never clobbered.
    let mut file = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            anyhow::bail!(
                "{} already exists; scpctl init never overwrites a config",
                path.display()
            )
        }
        Err(e) => return Err(e).with_context(|| format!("cannot create {}", path.display())),
    };
    if let Err(e) = file
        .write_all(STARTER_CONFIG.as_bytes())
        .and_then(|()| file.sync_all())
    {
        drop(file);
        let _ = std::fs::remove_file(path);
        return Err(e).with_context(|| format!("cannot write {}", path.display()));
    }
    errln!(
        "wrote {}: replace the documentation ranges in [network] cidrs with your egress ranges, then run `scpctl validate`",
        path.display()
    )?;
    if cli.output == OutputFormat::Json {
        outln!(
            "{}",
            serde_json::json!({ "written": path.display().to_string() })
        )?;
    }
    Ok(exit::SUCCESS)
}
