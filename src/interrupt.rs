//! Ctrl-C during a long local run (`impact`): instead of dying with the progress line still on
//! the terminal, the run stops taking work, clears the line and says what it had read. Only
//! the commands that call [`catch`] change; elsewhere SIGINT keeps its default (the process ends
//! at once, which is what `apply` relies on: its steps are safe to re-run).

use std::sync::atomic::{AtomicBool, Ordering};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

#[cfg(unix)]
extern "C" fn on_sigint(_: libc::c_int) {
    // Only an atomic store: the one kind of work a signal handler may do.
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// From now on, SIGINT sets a flag that [`interrupted`] reads instead of ending the process.
pub fn catch() {
    #[cfg(unix)]
    // SAFETY: installs a handler that only stores to an atomic, which is async-signal-safe.
    unsafe {
        libc::signal(
            libc::SIGINT,
            on_sigint as extern "C" fn(libc::c_int) as libc::sighandler_t,
        );
    }
}

/// Whether Ctrl-C was pressed since [`catch`].
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::Relaxed)
}
