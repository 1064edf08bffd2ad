//! Progress bars (indicatif) on stderr for the long fan-outs: accounts read by
//! `exception list --all-accounts`, changes made by `apply`. Drawn only when stderr is a
//! terminal and `--quiet` is not given: a script or a log reading stderr never sees a bar nor a
//! carriage return, only the lines it saw before.

use scpctl_core::printable::printable;
use std::fmt::Display;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressFinish, ProgressStyle};

/// `--quiet`.
static QUIET: AtomicBool = AtomicBool::new(false);

pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// `--quiet` was given: no bar, no progress line.
pub fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// A bar counting `len` things, labelled `what`, cleared when done or dropped (an error then
/// prints on a clean line). Hidden, and every call on it a no-op, unless stderr is a terminal
/// and `--quiet` was not given.
pub fn bar(len: usize, what: &str) -> ProgressBar {
    if QUIET.load(Ordering::Relaxed) || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let style = ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({elapsed})")
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::stderr())
        .with_style(style)
        .with_message(what.to_string())
        .with_finish(ProgressFinish::AndClear)
}

/// `done: <change>` on stderr for each change made, above a bar counting them.
pub struct Changes(ProgressBar);

impl Changes {
    pub fn new(total: usize) -> Changes {
        Changes(bar(total, "changes"))
    }

    /// One change made: its line (printed whether or not the bar is drawn), then the count.
    /// The change is made already: a failure to tell it cannot undo it, so it is not an error
    /// here, but it still ends the run with exit 1 (see `output::stderr_failed`).
    pub fn done(&self, change: &dyn Display) {
        let _ = self
            .0
            .suspend(|| errln!("done: {}", printable(&change.to_string())));
        self.0.inc(1);
    }
}

impl Drop for Changes {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}
