//! scpctl: parse the command line, run one command, turn its error into a message and an exit
//! code. Nothing else lives here.

// First: the printing macros are in scope for the modules declared after it.
#[macro_use]
mod output;
mod aws;
mod cli;
mod commands;
mod exit;
mod interrupt;
mod load;
mod outdir;
mod problems;
mod progress;
mod trail;

use std::process::ExitCode;

use clap::Parser;

/// The conventional status of a process whose output pipe was closed (128 + SIGPIPE).
const BROKEN_PIPE: u8 = 141;

fn main() -> ExitCode {
    quiet_on_closed_pipe();
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version are not errors; everything else is a usage error (2).
            if !e.use_stderr() {
                return match e.print().and_then(|()| output::flush_stdout()) {
                    Ok(()) => ExitCode::from(exit::SUCCESS),
                    Err(io) if io.kind() == std::io::ErrorKind::BrokenPipe => {
                        ExitCode::from(BROKEN_PIPE)
                    }
                    Err(io) => {
                        let _ = errln!("error: cannot write the help text: {io}");
                        ExitCode::from(exit::FAILURE)
                    }
                };
            }
            if wants_json() {
                let message = e.kind().to_string();
                let detail = e.render().to_string();
                let first = detail
                    .lines()
                    .next()
                    .unwrap_or(&message)
                    .trim_start_matches("error: ");
                problems::report_json(&[first.to_string()], exit::USAGE);
            } else {
                let _ = e.print();
            }
            return ExitCode::from(exit::USAGE);
        }
    };
    init_logging(cli.verbose);
    aws::set_verbosity(cli.verbose);
    progress::set_quiet(cli.quiet);
    // stdout is line-buffered: a last partial line fails only when flushed, which must be
    // here, not in the silent flush at exit.
    let result = commands::run(&cli)
        .and_then(|code| output::flush_stdout().map(|()| code).map_err(Into::into));
    // The session loads one SDK config per process, whatever the command reached (a test
    // reads this line at -vv).
    tracing::debug!("SDK config loads in this process: {}", aws::config::loads());
    let code = match result {
        Ok(code) => code,
        Err(err) if problems::is_broken_pipe(&err) => return ExitCode::from(BROKEN_PIPE),
        Err(err) => {
            let code = problems::exit_code(&err);
            problems::report(&err, cli.output == cli::OutputFormat::Json, code);
            code
        }
    };
    // A warning, a log line or the error itself that could not be written to stderr: the run
    // did not say what it meant to, so it ends as a failed write (1), whatever it found.
    if output::stderr_failed() {
        return ExitCode::from(exit::FAILURE);
    }
    ExitCode::from(code)
}

/// `--output json` (or `--output=json`) among the arguments, for errors found before the
/// command line could be parsed.
fn wants_json() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.iter().any(|a| a == "--output=json")
        || args
            .windows(2)
            .any(|w| w[0] == "--output" && w[1] == "json")
}

/// Every print site returns its write error (see `output`), but a write that still goes
/// through `println!` (a library's, or one missed) panics on failure. A closed pipe then ends
/// quietly with the conventional status, as `cat` does; any other failed print is an error
/// (exit 1), never exit 101 with a panic message. SIGPIPE itself stays ignored (as Rust sets
/// it), so a closed network connection is still an error to handle, never a silent death.
fn quiet_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.starts_with("failed printing to std") {
            if message.contains("Broken pipe") {
                std::process::exit(i32::from(BROKEN_PIPE));
            }
            let _ = errln!("error: {message}");
            std::process::exit(i32::from(exit::FAILURE));
        }
        default(info);
    }));
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
    // Other crates' warnings (the SDK's IMDS fallbacks, say) only with -v: without it, an AWS
    // failure is told once, in scpctl's own words.
    let others = if verbose == 0 {
        LevelFilter::ERROR
    } else {
        level.min(LevelFilter::DEBUG)
    };
    let filter = Targets::new()
        .with_default(others)
        .with_target("scpctl", level)
        .with_target("aws_sigv4", LevelFilter::WARN)
        .with_target("aws_credential_types", LevelFilter::WARN)
        .with_target("aws_config", LevelFilter::INFO.min(others))
        .with_target("hyper", LevelFilter::WARN)
        .with_target("hyper_util", LevelFilter::WARN)
        .with_target("h2", LevelFilter::WARN)
        .with_target("rustls", LevelFilter::WARN);
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(output::LogWriter)
                .with_target(false)
                .without_time(),
        )
        .with(filter)
        .init();
}
