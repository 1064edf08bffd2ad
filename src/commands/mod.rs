//! One small function per subcommand, wiring the pure core to files and the terminal.

mod deploy;
mod exception;
mod init;
mod render;
mod signin;
mod signin_scenario;
mod simulate;
mod status;
mod validate;

use anyhow::Result;
use scpctl_core::render::PolicyKind;

use crate::cli::{Cli, Command, Kind};

/// Run the command; the returned code is the process exit code (see `exit`).
pub fn run(cli: &Cli) -> Result<u8> {
    match &cli.command {
        Command::Render(args) => render::run(cli, args),
        Command::Validate(args) => validate::run(cli, args),
        Command::Init(args) => init::run(cli, args),
        Command::Simulate(args) => simulate::run(cli, args),
        Command::Plan(args) => deploy::plan(cli, args),
        Command::Apply(args) => deploy::apply(cli, args),
        Command::Detach(args) => deploy::detach(cli, args),
        Command::Destroy(args) => deploy::destroy(cli, args),
        Command::Status(args) => status::run(cli, args),
        Command::Exception(command) => exception::run(cli, command),
    }
}

impl From<Kind> for PolicyKind {
    fn from(k: Kind) -> Self {
        match k {
            Kind::Scp => PolicyKind::Scp,
            Kind::Identity => PolicyKind::Identity,
            Kind::Signin => PolicyKind::Signin,
        }
    }
}

/// `1234 of 5,120 characters (24%)`
pub fn budget(chars: usize, limit: usize) -> String {
    let with_commas = |n: usize| {
        let s = n.to_string();
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    };
    format!(
        "{} of {} characters ({}%)",
        with_commas(chars),
        with_commas(limit),
        chars * 100 / limit.max(1)
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn budget_formats_with_thousands_separators() {
        assert_eq!(super::budget(517, 5120), "517 of 5,120 characters (10%)");
        assert_eq!(
            super::budget(6144, 6144),
            "6,144 of 6,144 characters (100%)"
        );
    }
}
