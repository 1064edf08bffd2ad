//! scpctl: parse the command line, run one command, turn its error into a message and an exit
//! code. Nothing else lives here.

mod aws;
mod cli;
mod commands;
mod exit;
mod load;
mod problems;
mod trail;

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

/// scpctl's own logs at the chosen level. The SDK's are capped at DEBUG (at -vvv too), and the
/// request signer's and HTTP stack's at WARN: their traces carry canonical requests and headers,
/// where a session token would appear. Credentials are never printed.
fn init_logging(verbose: u8) {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let level = match verbose {
        0 => LevelFilter::WARN,
        1 => LevelFilter::INFO,
        2 => LevelFilter::DEBUG,
        _ => LevelFilter::TRACE,
    };
    let filter = Targets::new()
        .with_default(level.min(LevelFilter::DEBUG))
        .with_target("scpctl", level)
        .with_target("aws_sigv4", LevelFilter::WARN)
        .with_target("aws_credential_types", LevelFilter::WARN)
        .with_target("aws_config", LevelFilter::INFO.min(level))
        .with_target("hyper", LevelFilter::WARN)
        .with_target("hyper_util", LevelFilter::WARN)
        .with_target("h2", LevelFilter::WARN)
        .with_target("rustls", LevelFilter::WARN);
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_target(false)
                .without_time(),
        )
        .with(filter)
        .init();
}
