//! Peak memory of build + render for 1k, 10k and 100k CIDRs, each in a fresh child process
//! (this bench re-executes itself) so one size's peak never hides another's. Peak = the child's
//! VmHWM from /proc/self/status (Linux) minus an empty child's, i.e. what the work adds.
//!
//! Run: `cargo bench -p scpctl-core --bench memory`. Prints a Markdown table.

mod common;
use common::values;

use std::process::Command;

use scpctl_core::cidr::{CidrOptions, CidrSet};
use scpctl_core::config::Config;
use scpctl_core::render::{render, Layout, PolicyKind};

fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn child(n: usize) {
    if n > 0 {
        let config = Config::parse("[network]\ncidrs = [\"192.0.2.0/24\"]\n", "bench").unwrap();
        let vals = values(n);
        let built = CidrSet::build(&vals, CidrOptions::default(), "bench").unwrap();
        let out = render(&config, &built.set, PolicyKind::Scp, Layout::Single);
        std::hint::black_box(&out);
    }
    println!("{}", peak_kib());
}

fn run_child(n: usize) -> u64 {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--child", &n.to_string()])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        child(args[i + 1].parse().unwrap());
        return;
    }
    if !args.iter().any(|a| a == "--bench") {
        return; // `cargo test` runs benches without --bench: nothing to measure then.
    }
    let empty = run_child(0);
    println!("| CIDRs | peak memory added by build + render | whole process peak |");
    println!("|---:|---:|---:|");
    for n in [1_000usize, 10_000, 100_000] {
        let peak = run_child(n);
        println!(
            "| {n} | {:.1} MiB | {:.1} MiB |",
            peak.saturating_sub(empty) as f64 / 1024.0,
            peak as f64 / 1024.0
        );
    }
}
