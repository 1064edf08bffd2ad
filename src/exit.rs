//! Exit codes, documented in one place (README "Exit codes").

/// Success (also for a simulated decision, DENIED or not: a decision is not an error).
pub const SUCCESS: u8 = 0;
/// An error: bad config, bad input, a policy that does not fit, a failed write.
pub const FAILURE: u8 = 1;
/// Usage error: unknown flag, missing argument, unparsable flag value (clap's own code).
pub const USAGE: u8 = 2;
/// `simulate --scenario`: at least one row disagrees with what the guide expects.
pub const SCENARIO_MISMATCH: u8 = 3;
/// `status`: the managed policy is missing, or its deployed content differs from the config.
pub const DRIFT: u8 = 4;
/// `impact`: some input could not be read (a corrupt file or record, an object that could not be
/// fetched); the report covers the rest.
pub const INPUT_SKIPPED: u8 = 5;
/// `simulate --online`: AWS's policy simulator decides a request otherwise than scpctl (beats
/// [`SCENARIO_MISMATCH`] when both apply).
pub const AWS_DIFFERENCE: u8 = 6;
/// `impact`: stopped by Ctrl-C (128 + SIGINT, as a shell reports it), after saying what was read.
pub const INTERRUPTED: u8 = 130;
