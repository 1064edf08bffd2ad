//! What every command shares, in one named place: the session with AWS, confirmation, target
//! flags, the config loaded and rendered, the `--kind` mapping, the scenario table printer and
//! the policy files read from disk, the reports' whole-document outputs (`report_out`). A command module imports from here and from the AWS edge
//! (`crate::aws`), never from another command.
//!
//! The session is opened lazily, once per process: one tokio runtime, one `SdkConfig`, one
//! call counter, whichever commands and threads ask. A new AWS command reads:
//!
//! ```ignore
//! use crate::commands::base::session;
//!
//! pub fn run(cli: &Cli, args: &MyArgs) -> Result<u8> {
//!     session::block_on(async {
//!         let config = session::sdk_config(&args.aws).await; // loaded on first use only
//!         let counter = session::counter(); // every client counts into the same one
//!         let orgs = Orgs::new(&config, &counter, 1);
//!         // ... read, let the core decide, print `counter.snapshot()` with the result
//!     })?
//! }
//! ```
//!
//! `session::connect(&args.aws, n)` is the short form for an Organizations client.

pub mod confirm;
pub mod feed;
pub mod inputs;
pub mod kinds;
pub mod load;
pub mod org_policies;
pub mod policies;
pub mod report_out;
pub mod session;
pub mod table;
pub mod targets;
