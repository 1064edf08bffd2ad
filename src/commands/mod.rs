//! One small function per subcommand, wiring the pure core to files and the terminal.

pub mod base;
mod docs;
mod exception;
mod identity;
mod impact;
mod init;
mod organizations;
mod render;
mod rollout;
mod simulate;
mod validate;

use anyhow::Result;

use crate::cli::{Cli, Command, OutputFormat};

/// Run the command; the returned code is the process exit code (see `exit`).
pub fn run(cli: &Cli) -> Result<u8> {
    if cli.output == OutputFormat::Jsonl
        && !matches!(cli.command, Command::Impact(_) | Command::Denials(_))
    {
        errln!("error: --output jsonl is for `impact` and `denials` only; use text or json")?;
        return Ok(crate::exit::USAGE);
    }
    if cli.output == OutputFormat::Html
        && !matches!(cli.command, Command::Impact(_) | Command::Denials(_))
    {
        errln!("error: --output html is for `impact` and `denials` only; use text or json")?;
        return Ok(crate::exit::USAGE);
    }
    match &cli.command {
        Command::Render(args) => render::run(cli, args),
        Command::Validate(args) => validate::run(cli, args),
        Command::Init(args) => init::run(cli, args),
        Command::Simulate(args) => simulate::run(cli, args),
        Command::Plan(args) if identity::wanted(&args.deploy.identity) => {
            identity::plan(cli, &args.deploy)
        }
        Command::Apply(args) if identity::wanted(&args.deploy.identity) => {
            identity::apply(cli, args)
        }
        Command::Detach(args) if identity::wanted(&args.deploy.identity) => {
            identity::detach(cli, args)
        }
        Command::Destroy(args) if identity::wanted(&args.identity) => identity::destroy(cli, args),
        Command::Status(args) if identity::wanted(&args.identity) => identity::status(cli, args),
        Command::Plan(args) => {
            identity::deploy_scp_only(&args.deploy).and_then(|()| organizations::plan(cli, args))
        }
        Command::Apply(args) => {
            identity::deploy_scp_only(&args.deploy).and_then(|()| organizations::apply(cli, args))
        }
        Command::Detach(args) => {
            identity::deploy_scp_only(&args.deploy).and_then(|()| organizations::detach(cli, args))
        }
        Command::Destroy(args) => identity::scp_only(&args.identity, &args.accounts)
            .and_then(|()| organizations::destroy(cli, args)),
        Command::Status(args) => identity::scp_only(&args.identity, &args.accounts)
            .and_then(|()| organizations::status(cli, args)),
        Command::Exception(command) => exception::run(cli, command),
        Command::Completions(args) => docs::completions(args),
        Command::Man(args) => docs::man(cli, args),
        Command::Impact(args) => impact::run(cli, args),
        Command::Denials(args) => rollout::denials::run(cli, args),
        Command::Rollout(command) => rollout::run(cli, command),
    }
}
