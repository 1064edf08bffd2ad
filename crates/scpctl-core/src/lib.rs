//! scpctl's pure core: configuration, the CIDR set, policy rendering with size budgets, and
//! offline evaluation. Nothing here does I/O or talks to AWS: callers read files and pass text
//! in, and get values (or errors naming the bad value and where it came from) back.

pub mod aws_checks;
pub mod cidr;
pub mod config;
pub mod denials;
pub mod eval;
pub mod exception;
pub mod iac;
pub mod iam_doc;
pub mod identity_plan;
pub mod impact;
pub mod lockout;
pub mod monitoring;
pub mod names;
pub mod networks;
pub mod origin;
pub mod plan;
pub mod policy;
pub mod printable;
pub mod render;
pub mod report_html;
pub mod rollout;
pub mod scenario;
pub mod signin;
pub mod tags;
