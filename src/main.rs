//! scpctl: parse the command line, run one command, turn its error into a message and an exit
//! code. Nothing else lives here.

mod aws;
mod cli;
mod commands;
mod exit;
mod load;
mod problems;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version are not errors; everything else is a usage error (2).
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                exit::USAGE
            } else {
                exit::SUCCESS
            });
        }
    };
    init_logging(cli.verbose);
    match commands::run(&cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            problems::report(&err);
            ExitCode::from(exit::FAILURE)
        }
    }
}

fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => tracing::Level::WARN,
        1 => tracing::Level::INFO,
        2 => tracing::Level::DEBUG,
        _ => tracing::Level::TRACE,
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(level)
        .with_target(false)
        .without_time()
        .init();
}
