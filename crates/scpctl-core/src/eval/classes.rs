//! Which addresses a policy tells apart. A policy that reads an address key (`aws:SourceIp`,
//! `aws:VpcSourceIp`) only through IP operators (and `Null`) decides two addresses alike when
//! every network of those conditions holds both or neither: the addresses between two
//! consecutive network bounds form one class. `impact` caches verdicts by class instead of by
//! address, so a trail of a million distinct addresses is decided a handful of times, not a
//! million.
//!
//! Any other reading of the key (a string operator on it, a policy variable naming it) tells
//! every address apart: no classes.

use std::net::IpAddr;

/// The bounds at which a reading of an address key changes, IPv4 and IPv6 apart ([OPS] a
/// network never holds an address of the other family): each network's first address and the
/// address after its last, sorted, once each.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressClasses {
    v4: Vec<u32>,
    v6: Vec<u128>,
}

impl AddressClasses {
    pub(crate) fn add_v4(&mut self, first: u32, last: u32) {
        self.v4.push(first);
        if let Some(after) = last.checked_add(1) {
            self.v4.push(after);
        }
    }

    pub(crate) fn add_v6(&mut self, first: u128, last: u128) {
        self.v6.push(first);
        if let Some(after) = last.checked_add(1) {
            self.v6.push(after);
        }
    }

    /// Sorted, once each.
    pub(crate) fn finish(mut self) -> AddressClasses {
        self.v4.sort_unstable();
        self.v4.dedup();
        self.v6.sort_unstable();
        self.v6.dedup();
        self
    }

    /// Both readings at once: two addresses are alike for both when they are alike for each.
    pub fn merge(mut self, other: &AddressClasses) -> AddressClasses {
        self.v4.extend_from_slice(&other.v4);
        self.v6.extend_from_slice(&other.v6);
        self.finish()
    }

    /// The class of `ip`: equal for two addresses exactly when no bound lies between them (and
    /// they are of one family). Every network of the conditions holds both or neither.
    pub fn class(&self, ip: IpAddr) -> u64 {
        match ip {
            IpAddr::V4(a) => {
                let a = u32::from(a);
                (self.v4.partition_point(|b| *b <= a) as u64) << 1
            }
            IpAddr::V6(a) => {
                let a = u128::from(a);
                ((self.v6.partition_point(|b| *b <= a) as u64) << 1) | 1
            }
        }
    }

    /// How many classes there are (both families).
    pub fn count(&self) -> usize {
        self.v4.len() + self.v6.len() + 2
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn v4_net() -> impl Strategy<Value = ipnet::Ipv4Net> {
        (any::<u32>(), 0u8..=32).prop_map(|(a, len)| {
            ipnet::Ipv4Net::new(std::net::Ipv4Addr::from(a), len)
                .unwrap()
                .trunc()
        })
    }

    fn v6_net() -> impl Strategy<Value = ipnet::Ipv6Net> {
        (any::<u128>(), 0u8..=128).prop_map(|(a, len)| {
            ipnet::Ipv6Net::new(std::net::Ipv6Addr::from(a), len)
                .unwrap()
                .trunc()
        })
    }

    /// An address near a bound of `nets` (or anywhere): the interesting places.
    fn near(nets: &[ipnet::IpNet], pick: usize, delta: i8, any: u128, v6: bool) -> IpAddr {
        if nets.is_empty() || pick % 4 == 3 {
            return if v6 {
                IpAddr::V6(any.into())
            } else {
                IpAddr::V4((any as u32).into())
            };
        }
        let n = nets[pick % nets.len()];
        match n {
            ipnet::IpNet::V4(n) => {
                let base = if pick.is_multiple_of(2) {
                    u32::from(n.network())
                } else {
                    u32::from(n.broadcast())
                };
                IpAddr::V4(base.wrapping_add_signed(i32::from(delta)).into())
            }
            ipnet::IpNet::V6(n) => {
                let base = if pick.is_multiple_of(2) {
                    u128::from(n.network())
                } else {
                    u128::from(n.broadcast())
                };
                IpAddr::V6(base.wrapping_add_signed(i128::from(delta)).into())
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        /// Two addresses of one class are of one family and held by the same networks, each
        /// of them (classes may be finer than needed, never coarser).
        #[test]
        fn one_class_is_one_answer_from_every_network(
            v4 in proptest::collection::vec(v4_net(), 0..6),
            v6 in proptest::collection::vec(v6_net(), 0..6),
            picks in proptest::collection::vec((any::<usize>(), -2i8..=2, any::<u128>(), any::<bool>()), 2..12),
        ) {
            let nets: Vec<ipnet::IpNet> = v4.iter().copied().map(ipnet::IpNet::V4)
                .chain(v6.iter().copied().map(ipnet::IpNet::V6)).collect();
            let mut classes = AddressClasses::default();
            for n in &v4 {
                classes.add_v4(n.network().into(), n.broadcast().into());
            }
            for n in &v6 {
                classes.add_v6(n.network().into(), n.broadcast().into());
            }
            let classes = classes.finish();
            let addresses: Vec<IpAddr> = picks.iter()
                .map(|(p, d, a, six)| near(&nets, *p, *d, *a, *six)).collect();
            let held = |ip: &IpAddr| nets.iter().map(|n| n.contains(ip)).collect::<Vec<_>>();
            for a in &addresses {
                for b in &addresses {
                    if classes.class(*a) == classes.class(*b) {
                        prop_assert_eq!(a.is_ipv4(), b.is_ipv4());
                        prop_assert_eq!(held(a), held(b), "{} {}", a, b);
                    }
                }
            }
        }
    }
}
