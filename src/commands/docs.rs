//! `scpctl completions SHELL` and `scpctl man`: generated from the clap definitions, so they never
//! drift from the real flags.

use std::io::Write;

use anyhow::{Context, Result};
use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs, ManArgs, OutputFormat};
use crate::exit;

pub fn completions(args: &CompletionsArgs) -> Result<u8> {
    let mut command = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut command, "scpctl", &mut out);
    std::io::stdout()
        .write_all(&out)
        .context("cannot write to stdout")?;
    Ok(exit::SUCCESS)
}

/// The page of `command` (and, with `recurse`, one page per subcommand) as `(file name, roff)`.
/// The page's name joins the command path with `-` (`scpctl-simulate`); its synopsis shows the
/// command as typed (`scpctl simulate`).
fn pages(command: &clap::Command, prefix: &str, recurse: bool) -> Result<Vec<(String, Vec<u8>)>> {
    let (name, typed) = if prefix.is_empty() {
        (
            command.get_name().to_string(),
            command.get_name().to_string(),
        )
    } else {
        (
            format!("{prefix}-{}", command.get_name()),
            format!("{} {}", prefix.replace('-', " "), command.get_name()),
        )
    };
    let command = command.clone().name(name.clone()).bin_name(typed);
    let mut roff = Vec::new();
    clap_mangen::Man::new(command.clone())
        .render(&mut roff)
        .context("cannot render the manual page")?;
    let mut out = vec![(format!("{name}.1"), roff)];
    if recurse {
        for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
            out.extend(pages(sub, &name, true)?);
        }
    }
    Ok(out)
}

pub fn man(cli: &Cli, args: &ManArgs) -> Result<u8> {
    let command = Cli::command();
    let Some(dir) = &args.out_dir else {
        let (_, roff) = pages(&command, "", false)?.remove(0);
        std::io::stdout()
            .write_all(&roff)
            .context("cannot write to stdout")?;
        return Ok(exit::SUCCESS);
    };
    let files: Vec<(String, Vec<u8>)> = pages(&command, "", true)?;
    let written: Vec<String> = crate::outdir::write_all_or_nothing(dir, &files)?
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    match cli.output {
        OutputFormat::Json => outln!("{}", serde_json::json!({ "written": written })),
        OutputFormat::Text | OutputFormat::Jsonl | OutputFormat::Html => errln!(
            "wrote {} manual pages into {}",
            written.len(),
            dir.display()
        ),
    }?;
    Ok(exit::SUCCESS)
}
