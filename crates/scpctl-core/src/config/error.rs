//! A config error, with where it comes from. Its own file, so that the sections parsed outside
//! `config/` (`[rollout]` in `crate::rollout`) report through it without importing the parser
//! that imports them.

use crate::origin::Origin;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{origin}: {message}")]
    Syntax { origin: Origin, message: String },
    #[error("{file}: missing [network] table; add one with `cidrs = [...]` listing your enterprise egress ranges")]
    MissingNetwork { file: String },
    #[error("{origin}: {message}")]
    Invalid { origin: Origin, message: String },
}
