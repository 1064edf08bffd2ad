//! The AWS edge: one `SdkConfig` from the standard chain, clients made from it, a counter of the
//! API requests each run makes, and the bounded retry the SDK does not do for us. No policy
//! logic lives here: it is in `scpctl-core`, pure.

pub mod access_analyzer;
pub mod athena;
pub mod config;
mod counter;
mod explain;
pub mod iam;
pub mod iam_policies;
pub mod iam_simulate;
pub mod orgs;
mod retry;
pub mod s3;
pub mod signin;

pub use counter::CallCounter;
pub use explain::{error_code, explain, set_verbosity, Raw};
pub use retry::{retry_conflicts, ConnectionRetries};

/// Accounts read at once by `exception list --all-accounts` (each then reads its users with its
/// own bound).
pub const ACCOUNT_CONCURRENCY: usize = 4;
