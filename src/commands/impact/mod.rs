//! `scpctl impact`: replay CloudTrail records through the rendered policy and report per
//! principal what it would deny, on this machine (`local`) or as one Athena query (`athena`).
//! Both engines read the same inputs (`inputs`) and print the same report (`report`).

mod athena;
mod in_force;
mod local;
mod report;

use anyhow::Result;

use crate::cli::{Cli, ImpactArgs};

pub fn run(cli: &Cli, args: &ImpactArgs) -> Result<u8> {
    if args.athena.engine.is_some() {
        athena::run(cli, args)
    } else {
        local::run(cli, args)
    }
}
