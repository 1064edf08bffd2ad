//! What the render and memory benches both measure: the same seeded CIDR list.

use std::net::Ipv4Addr;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use scpctl_core::cidr::SourcedValue;
use scpctl_core::origin::Origin;

/// `n` seeded IPv4 networks (/24, /28 or /32) as if read from a CIDR file, one per line.
pub fn values(n: usize) -> Vec<SourcedValue> {
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
