//! The one place errors become messages.

use std::fmt;

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

/// Print an error chain on stderr: `error: outer: cause`.
pub fn report(err: &anyhow::Error) {
    eprintln!("error: {err:#}");
}
