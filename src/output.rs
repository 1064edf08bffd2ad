//! Every byte scpctl prints goes through here, so a write error is an error, never a panic.
//!
//! `println!` and friends panic when a write fails (`>/dev/full` ended in exit 101, and a plan
//! printed before `apply --yes` changed AWS could be lost without stopping it). The macros
//! below return `io::Result` instead; callers propagate it with `?`, and `main` turns it into
//! an exit code: 141 for a closed pipe, 1 for anything else. A test (`tests/cli_outputs.rs`)
//! refuses the std printing macros under `src/`, so a new print site cannot bypass this.
//!
//! Text lines are passed through [`printable_block`]: a control character that reached a line
//! without its own escaping (ESC, BEL, NUL, CR, C1) is escaped rather than obeyed by the
//! terminal. Values from records and AWS answers should still be wrapped in
//! [`scpctl_core::printable::printable`], which escapes newlines too. Documents written as
//! bytes (a rendered policy, a man page, completions) go out unchanged, with their write
//! errors handled where they are written.

use std::fmt;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use scpctl_core::printable::printable_block;

/// Set once a write to stderr failed: the run then ends with exit 1 even if the command
/// otherwise succeeded, since a warning or an error it meant to show was lost.
static STDERR_FAILED: AtomicBool = AtomicBool::new(false);

/// A line (or part of one) of text on stdout. Errors carry their kind (a closed pipe stays
/// recognisable) and say which stream failed.
pub fn stdout_fmt(args: fmt::Arguments<'_>) -> io::Result<()> {
    let text = args.to_string();
    let mut out = io::stdout().lock();
    out.write_all(printable_block(&text).as_bytes())
        .map_err(|e| named(e, "standard output"))
}

/// Flush stdout (it is line-buffered: a partial line, or a failed final write, shows only here).
pub fn flush_stdout() -> io::Result<()> {
    io::stdout()
        .lock()
        .flush()
        .map_err(|e| named(e, "standard output"))
}

/// The error behind a failed stdout write whose writer kept only that it failed (`impact`'s
/// shared writer): one more write tells a closed pipe (141, said nowhere) from a full disk or
/// any other error (exit 1). If that write goes through, the failure is still an error.
pub fn stdout_failure() -> io::Error {
    let probe = io::stdout()
        .lock()
        .write_all(b"\n")
        .and_then(|()| io::stdout().flush());
    match probe {
        Err(e) => named(e, "standard output"),
        Ok(()) => io::Error::other("cannot write to standard output: a write failed"),
    }
}

/// Text on stderr. A failure is remembered (see [`stderr_failed`]) and returned.
pub fn stderr_fmt(args: fmt::Arguments<'_>) -> io::Result<()> {
    let text = args.to_string();
    let result = io::stderr()
        .lock()
        .write_all(printable_block(&text).as_bytes());
    result.map_err(|e| {
        STDERR_FAILED.store(true, Ordering::Relaxed);
        named(e, "standard error")
    })
}

/// Whether any write to stderr failed during the run (the tracing logs' included).
pub fn stderr_failed() -> bool {
    STDERR_FAILED.load(Ordering::Relaxed)
}

fn named(e: io::Error, stream: &str) -> io::Error {
    io::Error::new(e.kind(), format!("cannot write to {stream}: {e}"))
}

/// The writer for tracing's logs: stderr, with a failure remembered instead of lost (tracing
/// drops write errors), and control characters in logged values escaped.
#[derive(Clone, Copy)]
pub struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        stderr_fmt(format_args!("{text}"))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogWriter {
    type Writer = LogWriter;

    fn make_writer(&'a self) -> LogWriter {
        LogWriter
    }
}

/// `print!` that returns `io::Result<()>`.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::stdout_fmt(format_args!($($arg)*))
    };
}

/// `println!` that returns `io::Result<()>`.
macro_rules! outln {
    () => {
        $crate::output::stdout_fmt(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::output::stdout_fmt(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `eprint!` that returns `io::Result<()>`.
macro_rules! err {
    ($($arg:tt)*) => {
        $crate::output::stderr_fmt(format_args!($($arg)*))
    };
}

/// `eprintln!` that returns `io::Result<()>`.
macro_rules! errln {
    () => {
        $crate::output::stderr_fmt(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::output::stderr_fmt(format_args!("{}\n", format_args!($($arg)*)))
    };
}
