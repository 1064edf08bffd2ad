//! The one place errors become messages and exit codes.

use std::fmt;

use crate::exit;

/// Several problems found at once (every bad CIDR, every config error), each printed on its
/// own `error:` line.
#[derive(Debug)]
pub struct Problems(pub Vec<String>);

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.join("\nerror: "))
    }
}

impl std::error::Error for Problems {}

impl Problems {
    pub fn from_errors<E: ToString>(errors: &[E]) -> Self {
        Problems(errors.iter().map(ToString::to_string).collect())
    }
}

/// A flag value that parsed but means nothing valid (a malformed target id, say): a usage
/// error, exit 2, like the ones clap finds.
#[derive(Debug)]
pub struct Usage(pub Problems);

impl fmt::Display for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Usage {}

/// The exit code an error ends the process with.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    if err.downcast_ref::<Usage>().is_some() {
        exit::USAGE
    } else {
        exit::FAILURE
    }
}

/// Whether the error is only that stdout or stderr was closed by the reader (`| head -1`).
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The messages of an error: one per problem, each with its causes (`outer: cause`).
fn messages(err: &anyhow::Error) -> Vec<String> {
    let problems = err
        .downcast_ref::<Problems>()
        .or_else(|| err.downcast_ref::<Usage>().map(|u| &u.0));
    match problems {
        // The context around a list of problems (if any) prefixes the first one.
        Some(p) if err.chain().count() == 1 => p.0.clone(),
        _ => vec![format!("{err:#}")],
    }
}

/// Print an error on stderr: `error: outer: cause` lines, or with `--output json` one JSON
/// object `{"error": ..., "errors": [...], "exit_code": N}`.
pub fn report(err: &anyhow::Error, json: bool, code: u8) {
    if json {
        report_json(&messages(err), code);
    } else {
        eprintln!("error: {err:#}");
    }
}

pub fn report_json(messages: &[String], code: u8) {
    let doc = serde_json::json!({
        "error": messages.join("\n"),
        "errors": messages,
        "exit_code": code,
    });
    eprintln!("{doc}");
}
