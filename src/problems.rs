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

/// One usage error (exit 2) with its message.
pub fn usage(message: String) -> anyhow::Error {
    Usage(Problems(vec![message])).into()
}

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

/// Problems listed on stderr; the rest are counted. A file of a million bad lines must not
/// become a million error lines (nor 80 MB of log).
pub const LISTED: usize = 20;
/// Problems listed in `--output json` (`error_count` has the total): all a script needs to
/// act on, bounded all the same.
pub const LISTED_JSON: usize = 1000;

/// Print an error on stderr: `error: outer: cause` lines, or with `--output json` one JSON
/// object `{"error": ..., "errors": [...], "error_count": N, "exit_code": N}`. Long lists of
/// problems are cut (see [`LISTED`]). Best effort: stderr may be what failed.
pub fn report(err: &anyhow::Error, json: bool, code: u8) {
    let messages = messages(err);
    if json {
        report_json(&messages, code);
    } else if messages.len() > 1 || err.chain().count() == 1 {
        let _ = errln!("{}", listed(&messages));
    } else {
        let _ = errln!("error: {err:#}");
    }
}

/// `error:` lines for the first [`LISTED`] messages, then how many more there are.
fn listed(messages: &[String]) -> String {
    let mut lines: Vec<String> = messages
        .iter()
        .take(LISTED)
        .map(|m| format!("error: {m}"))
        .collect();
    if messages.len() > LISTED {
        lines.push(format!(
            "error: ... and {} more (`--output json` lists up to {LISTED_JSON})",
            messages.len() - LISTED
        ));
    }
    lines.join("\n")
}

pub fn report_json(messages: &[String], code: u8) {
    let shown = &messages[..messages.len().min(LISTED_JSON)];
    let doc = serde_json::json!({
        "error": shown.join("\n"),
        "errors": shown,
        "error_count": messages.len(),
        "exit_code": code,
    });
    let _ = errln!("{doc}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lists_are_cut_with_a_count() {
        let many: Vec<String> = (0..1000).map(|i| format!("bad {i}")).collect();
        let text = listed(&many);
        assert_eq!(text.lines().count(), LISTED + 1);
        assert!(text.ends_with("... and 980 more (`--output json` lists up to 1000)"));
        let few = listed(&many[..3]);
        assert_eq!(few, "error: bad 0\nerror: bad 1\nerror: bad 2");
    }
}
