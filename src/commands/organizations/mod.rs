//! Deploying to AWS Organizations: `plan`, `apply`, `detach`, `destroy` and `status` of the
//! SCP and of the console sign-in RCP (`--kind signin`, with console authorization), and the
//! guards that refuse to lock the caller out.

mod account_policy;
mod deploy;
mod signin;
mod status;

pub use deploy::{apply, destroy, detach, plan};
pub use status::run as status;
