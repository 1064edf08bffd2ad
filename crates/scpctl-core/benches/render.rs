//! Render time for 1k, 10k and 100k CIDRs: parse + validate + aggregate + render + self-check,
//! the work of `scpctl render` after reading the file. Lists that do not fit in 10,240
//! characters end in the size error, which is part of the real cost (it computes its advice).
//! `parse_inline_config`: the same CIDRs written inline in `scpctl.toml`, parsed with their
//! line and column (this was quadratic: 100,000 inline CIDRs took about 15 s).
//!
//! Run: `cargo bench -p scpctl-core --bench render`.

mod common;
use common::values;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use scpctl_core::cidr::{CidrOptions, CidrSet};
use scpctl_core::config::Config;
use scpctl_core::render::{render, Layout, PolicyKind};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let config = Config::parse("[network]\ncidrs = [\"192.0.2.0/24\"]\n", "bench").unwrap();
    let mut group = c.benchmark_group("render");
    group.sample_size(10);
    for n in [1_000usize, 10_000, 100_000] {
        let vals = values(n);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(
            BenchmarkId::new("build_and_render_scp", n),
            &vals,
            |b, vals| {
                b.iter(|| {
                    let built =
                        CidrSet::build(black_box(vals), CidrOptions::default(), "bench").unwrap();
                    black_box(render(&config, &built.set, PolicyKind::Scp, Layout::Single))
                })
            },
        );
        let inline = format!(
            "[network]\ncidrs = [\n{}]\n",
            vals.iter()
                .map(|v| format!("  \"{}\",\n", v.value))
                .collect::<String>()
        );
        group.bench_with_input(
            BenchmarkId::new("parse_inline_config", n),
            &inline,
            |b, text| b.iter(|| black_box(Config::parse(black_box(text), "bench.toml").unwrap())),
        );
        group.bench_with_input(BenchmarkId::new("build_only", n), &vals, |b, vals| {
            b.iter(|| {
                black_box(CidrSet::build(black_box(vals), CidrOptions::default(), "bench").unwrap())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
