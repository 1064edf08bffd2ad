//! `impact`: replay CloudTrail records through a policy and tally, per principal, what it would
//! deny. Pure: the edge reads files or S3 objects and hands their bytes in.
//!
//! - `rules`: the record-to-request rules as one data table (also for a SQL generator);
//! - `record`: the fields read from a record, and the two file shapes that hold records;
//! - `map`: one record -> one request (or why none);
//! - `replay`: one request -> one verdict through `eval::evaluate`, trying every value of
//!   unknown network keys;
//! - `tally`: per-principal statistics, mergeable across threads, and CIDR suggestions;
//! - `stream`: the records of a file too large to hold whole, read one at a time;
//! - `sql`: the same mapping and verdicts as one Trino query, for Athena;
//! - `time`: `--since`/`--until` and the dates in S3 keys.

/// The hash map of the replay's hot path: foldhash, seeded at random per process (the keys are
/// record fields, which an attacker can choose: a fixed seed would let them collide).
pub type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

pub mod map;
pub mod record;
pub mod replay;
pub mod rules;
pub mod sql;
pub mod stream;
pub mod tally;
pub mod time;

pub use map::{map_record, MapOptions, Mapped, Request};
pub use record::{read_records, FileProblem, FileSummary, Record, MAX_PROBLEMS_KEPT};
pub use replay::{
    candidate_addresses, AccountPolicies, Existing, InForce, Outcome, PoliciesByAccount,
    ReplayError, ReplayOptions, Replayer, Sid, TagSource, VerdictCache, Verdicts,
};
pub use stream::read_records_from;
pub use tally::{suggest_cidrs, PrincipalReport, PrincipalStats, Tally};
pub use time::TimeRange;
