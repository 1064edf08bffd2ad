//! How many CIDRs fit in one SCP, by encoding, at AWS's current 10,240 characters and at the
//! 5,120 of before 2026-05-15 (`[limits] scp_max_chars`).
//!
//! Run: `cargo bench -p scpctl-core --bench capacity`. Prints a Markdown table.
//! - scpctl: what `scpctl render` sends (minified, IPv4 /32 written bare, RFC 5952 IPv6);
//! - seed layout: the guide's document pretty-printed with 4-space indents as in the AWS
//!   console and docs, one CIDR per line, /32 written out;
//! - minified: plain minified JSON, /32 written out;
//! - lower bound: (limit - fixed part) / mean cost of the shortest legal spelling of an entry
//!   (the entry, its two quotes and a comma).

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use scpctl_core::cidr::{compact_spelling, CidrOptions, CidrSet, SourcedValue};
use scpctl_core::config::Config;
use scpctl_core::config::LEGACY_SCP_MAX_CHARS;
use scpctl_core::origin::Origin;
use scpctl_core::render::{render, Layout, PolicyKind, SCP_MAX_CHARS};
use serde_json::Value;
use std::net::{Ipv4Addr, Ipv6Addr};

fn config(limit: usize) -> Config {
    let text =
        format!("[network]\ncidrs = [\"192.0.2.0/24\"]\n[limits]\nscp_max_chars = {limit}\n");
    Config::parse(&text, "bench").unwrap()
}

/// Public-looking scattered IPv4 /32s (first octet 11..=223), deduplicated.
fn scattered_v4(rng: &mut StdRng, n: usize) -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    while seen.len() < n {
        let a = Ipv4Addr::new(
            rng.random_range(11..=223),
            rng.random(),
            rng.random(),
            rng.random(),
        );
        seen.insert(u32::from(a) & !1); // even addresses only: no two are adjacent
    }
    seen.into_iter()
        .map(|a| Ipv4Addr::from(a).to_string())
        .collect()
}

/// Scattered IPv6 /64s inside 2000::/3.
fn scattered_v6(rng: &mut StdRng, n: usize) -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    while seen.len() < n {
        let hi: u64 = (rng.random::<u64>() & 0x1fff_ffff_ffff_fffe) | 0x2000_0000_0000_0000;
        seen.insert(hi);
    }
    seen.into_iter()
        .map(|hi| format!("{}/64", Ipv6Addr::from(u128::from(hi) << 64)))
        .collect()
}

/// A realistic enterprise mix: a few hundred prefixes /20../32 and IPv6 /40../56, some adjacent.
fn enterprise_mix(rng: &mut StdRng, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    while out.len() < n {
        if rng.random_bool(0.8) {
            let prefix: u8 = *[20u8, 22, 23, 24, 24, 25, 26, 27, 28, 29, 30, 32, 32, 32]
                .get(rng.random_range(0..14))
                .unwrap();
            let base = Ipv4Addr::new(
                rng.random_range(11..=223),
                rng.random(),
                rng.random(),
                rng.random(),
            );
            let net = ipnet::Ipv4Net::new(base, prefix).unwrap().trunc();
            out.push(net.to_string());
            if rng.random_bool(0.2) {
                // its right-hand neighbour: adjacent, may aggregate
                let next = u32::from(net.broadcast()).wrapping_add(1);
                out.push(
                    ipnet::Ipv4Net::new(Ipv4Addr::from(next), prefix)
                        .unwrap()
                        .trunc()
                        .to_string(),
                );
            }
        } else {
            let prefix: u8 = *[40u8, 44, 48, 48, 56].get(rng.random_range(0..5)).unwrap();
            let hi: u64 = (rng.random::<u64>() & 0x1fff_ffff_ffff_ffff) | 0x2000_0000_0000_0000;
            let net = ipnet::Ipv6Net::new(Ipv6Addr::from(u128::from(hi) << 64), prefix)
                .unwrap()
                .trunc();
            out.push(net.to_string());
        }
    }
    out.truncate(n);
    out
}

fn set_of(values: &[String]) -> CidrSet {
    let sv: Vec<SourcedValue> = values
        .iter()
        .map(|v| SourcedValue::new(v.clone(), Origin::label("bench")))
        .collect();
    CidrSet::build(&sv, CidrOptions::default(), "bench")
        .unwrap()
        .set
}

/// The seed's document, as scpctl renders it, with the list replaced by `cidrs` spelled as given.
fn seed_document(cidrs: &[String]) -> Value {
    let cfg = config(SCP_MAX_CHARS);
    let mut doc = render(
        &cfg,
        &set_of(&["192.0.2.0/24".to_string()]),
        PolicyKind::Scp,
        Layout::Single,
    )
    .unwrap()
    .remove(0)
    .document;
    doc["Statement"][1]["Condition"]["NotIpAddress"]["aws:SourceIp"] =
        Value::Array(cidrs.iter().cloned().map(Value::String).collect());
    doc
}

fn pretty4(v: &Value) -> String {
    use serde::Serialize;
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    v.serialize(&mut ser).unwrap();
    String::from_utf8(buf).unwrap()
}

/// The largest prefix of `pool` (in order) whose document fits in `limit` characters.
fn capacity(pool: &[String], limit: usize, size: impl Fn(&[String]) -> usize) -> usize {
    let (mut lo, mut hi) = (0usize, pool.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if size(&pool[..mid]) <= limit {
            lo = mid
        } else {
            hi = mid - 1
        }
    }
    lo
}

fn full_spelling(v: &str) -> String {
    let net: ipnet::IpNet = v
        .parse()
        .unwrap_or_else(|_| format!("{v}/32").parse().unwrap());
    net.to_string()
}

fn row(label: &str, pool: &[String], limit: usize) {
    let cfg = config(limit);
    // Entries in the order scpctl would emit them (sorted, aggregated), so every encoding is
    // compared on the same entries.
    let set = set_of(pool);
    let entries: Vec<String> = set.compact_strings();
    let scpctl = capacity(&entries, limit, |list| {
        render(&cfg, &set_of(list), PolicyKind::Scp, Layout::Single)
            .map(|d| d[0].chars())
            .unwrap_or(usize::MAX)
    });
    let full: Vec<String> = entries.iter().map(|e| full_spelling(e)).collect();
    let seed = capacity(&full, limit, |list| {
        pretty4(&seed_document(list)).chars().count()
    });
    let minified = capacity(&full, limit, |list| {
        serde_json::to_string(&seed_document(list))
            .unwrap()
            .chars()
            .count()
    });
    // Lower bound: fixed part with an empty list, then the mean cost of the entries that fit.
    let fixed = serde_json::to_string(&seed_document(&[]))
        .unwrap()
        .chars()
        .count();
    let sample = &entries[..scpctl.max(1)];
    let mean_cost = sample
        .iter()
        .map(|e| compact_spelling(&full_spelling(e).parse().unwrap()).len() + 3)
        .sum::<usize>() as f64
        / sample.len() as f64;
    let bound = ((limit - fixed + 1) as f64 / mean_cost).floor() as usize;
    println!(
        "| {label} | {scpctl} | {seed} ({:.2}x) | {minified} ({:.2}x) | {bound} | {:.1}% |",
        scpctl as f64 / seed as f64,
        scpctl as f64 / minified as f64,
        scpctl as f64 * 100.0 / bound as f64
    );
}

fn main() {
    // `cargo test --benches` runs benches without `--bench`: stay quick there.
    if !std::env::args().any(|a| a == "--bench") {
        println!("capacity: run with `cargo bench -p scpctl-core --bench capacity`");
        return;
    }
    let mut rng = StdRng::seed_from_u64(2026);
    let pools = [
        ("scattered IPv4 /32", scattered_v4(&mut rng, 2000)),
        ("scattered IPv6 /64", scattered_v6(&mut rng, 2000)),
        (
            "enterprise mix (IPv4 /20-/32, IPv6 /40-/56)",
            enterprise_mix(&mut rng, 2000),
        ),
    ];
    for limit in [SCP_MAX_CHARS, LEGACY_SCP_MAX_CHARS] {
        println!("\nAt {limit} characters ([limits] scp_max_chars = {limit}):\n");
        println!("| CIDR pool (seeded random) | scpctl | seed pretty layout (scpctl / it) | minified JSON (scpctl / it) | lower bound | scpctl / bound |");
        println!("|---|---:|---:|---:|---:|---:|");
        for (label, pool) in &pools {
            row(label, pool, limit);
        }
    }
}
