//! Render time for 1k, 10k and 100k CIDRs: parse + validate + aggregate + render + self-check,
//! the work of `scpctl render` after reading the file. Lists that do not fit in 5,120
//! characters end in the size error, which is part of the real cost (it computes its advice).
//!
//! Run: `cargo bench -p scpctl-core --bench render`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use scpctl_core::cidr::{CidrOptions, CidrSet, SourcedValue};
use scpctl_core::config::Config;
use scpctl_core::origin::Origin;
use scpctl_core::render::{render, Layout, PolicyKind};
use std::hint::black_box;
use std::net::Ipv4Addr;

fn values(n: usize) -> Vec<SourcedValue> {
    let mut rng = StdRng::seed_from_u64(7);
    (0..n)
        .map(|i| {
            let prefix: u8 = [24, 28, 32, 32][rng.random_range(0..4)];
            let net =
                ipnet::Ipv4Net::new(Ipv4Addr::from(rng.random::<u32>() | 0x0b00_0000), prefix)
                    .unwrap()
                    .trunc();
            SourcedValue::new(net.to_string(), Origin::at_line("bench.toml", i + 1))
        })
        .collect()
}

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
