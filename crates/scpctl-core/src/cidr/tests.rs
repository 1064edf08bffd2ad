//! The CIDR parser and set: shapes, normalization, overlaps, sources and their errors.

use super::*;
use proptest::prelude::*;

fn o() -> Origin {
    Origin::at_line("test.toml", 3)
}

#[test]
fn compact_spelling_of_ipv4_equals_display_without_slash_32() {
    for (a, p) in [
        ([0, 0, 0, 0], 1),
        ([9, 10, 99, 100], 24),
        ([255, 255, 255, 255], 32),
        ([10, 0, 0, 0], 8),
        ([100, 64, 7, 0], 28),
    ] {
        let net = IpNet::V4(Ipv4Net::new(Ipv4Addr::from(a), p).unwrap());
        let expected = if p == 32 {
            Ipv4Addr::from(a).to_string()
        } else {
            net.to_string()
        };
        assert_eq!(compact_spelling(&net), expected);
    }
}

fn sv(values: &[&str]) -> Vec<SourcedValue> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| SourcedValue::new(*v, Origin::at_line("t", i + 1)))
        .collect()
}

fn parse(v: &str) -> Result<IpNet, CidrError> {
    parse_cidr(v, &o(), CidrOptions::default())
}

#[test]
fn bare_addresses_are_single_hosts() {
    assert_eq!(parse("192.0.2.1").unwrap().to_string(), "192.0.2.1/32");
    assert_eq!(parse("2001:db8::1").unwrap().to_string(), "2001:db8::1/128");
}

#[test]
fn malformed_values_name_value_and_origin() {
    for bad in [
        "",
        "banana",
        "192.0.2.300/24",
        "192.0.2.0/",
        "192.0.2.0/x",
        "192.0.2.0/24/1",
        "fe80::1%eth0",
        "010.0.0.1",
        "1.2.3.4/-1",
    ] {
        let err = parse(bad).unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("test.toml:3: "), "{msg}");
        assert!(msg.contains(&format!("{bad:?}")), "{msg}");
    }
    let msg = parse("010.0.0.1").unwrap_err().to_string();
    assert!(msg.contains("leading zeros"), "{msg}");
}

#[test]
fn prefix_too_long_is_refused_per_family() {
    let msg = parse("192.0.2.0/33").unwrap_err().to_string();
    assert!(msg.contains("/33 is longer than the /32 an IPv4"), "{msg}");
    let msg = parse("2001:db8::/129").unwrap_err().to_string();
    assert!(
        msg.contains("/129 is longer than the /128 an IPv6"),
        "{msg}"
    );
    assert!(parse("2001:db8::/99999").is_err());
}

#[test]
fn host_bits_are_refused_with_the_network_unless_normalising() {
    let msg = parse("192.0.2.1/24").unwrap_err().to_string();
    assert!(msg.contains("the network is 192.0.2.0/24"), "{msg}");
    let net = parse_cidr(
        "192.0.2.1/24",
        &o(),
        CidrOptions {
            normalize_host_bits: true,
        },
    )
    .unwrap();
    assert_eq!(net.to_string(), "192.0.2.0/24");
    let msg = parse("2001:db8::1/48").unwrap_err().to_string();
    assert!(msg.contains("2001:db8::/48"), "{msg}");
}

#[test]
fn whole_internet_is_refused() {
    // With host bits set too: the host-bits message would suggest 0.0.0.0/0 or ::/0, which
    // is refused in turn, so the refusal comes first.
    for v in ["0.0.0.0/0", "::/0", "10.0.0.0/0", "2001:db8::/0"] {
        assert!(
            matches!(parse(v), Err(CidrError::MatchesEverything { .. })),
            "{v}"
        );
    }
    // Two halves that aggregate to everything are refused too.
    let errs = CidrSet::build(
        &sv(&["0.0.0.0/1", "128.0.0.0/1"]),
        CidrOptions::default(),
        "x",
    )
    .unwrap_err();
    assert!(matches!(
        errs[0],
        CidrError::CoversEverything { family: "IPv4", .. }
    ));
    assert!(errs[0].to_string().contains("0.0.0.0/0"));
}

#[test]
fn empty_list_is_refused() {
    let errs = CidrSet::build(
        &[],
        CidrOptions::default(),
        "[network] cidrs in scpctl.toml",
    )
    .unwrap_err();
    let msg = errs[0].to_string();
    assert!(
        msg.contains("scpctl.toml") && msg.contains("deny every tagged IAM user"),
        "{msg}"
    );
}

#[test]
fn every_bad_value_is_reported_at_once() {
    let errs = CidrSet::build(
        &sv(&["192.0.2.0/24", "nope", "10.0.0.1/8", "1.2.3.4/40"]),
        CidrOptions::default(),
        "x",
    )
    .unwrap_err();
    assert_eq!(errs.len(), 3);
    assert!(errs[0].to_string().starts_with("t:2:"));
    assert!(errs[1].to_string().starts_with("t:3:"));
    assert!(errs[2].to_string().starts_with("t:4:"));
}

#[test]
fn duplicates_overlaps_and_adjacent_networks_merge() {
    let built = CidrSet::build(
        &sv(&[
            "192.0.2.0/25",
            "192.0.2.128/25",
            "192.0.2.7",
            "192.0.2.0/24",
            "2001:db8::/48",
            "2001:db8:1::/48",
            "198.51.100.0/24",
        ]),
        CidrOptions::default(),
        "x",
    )
    .unwrap();
    assert_eq!(
        built.set.compact_strings(),
        vec!["192.0.2.0/24", "198.51.100.0/24", "2001:db8::/47"]
    );
    assert_eq!(
        built.stats,
        CidrStats {
            given: 7,
            aggregated: 3
        }
    );
}

#[test]
fn output_is_sorted_ipv4_first_whatever_the_input_order() {
    let a = CidrSet::build(
        &sv(&["2001:db8::/48", "203.0.113.9", "192.0.2.0/24"]),
        CidrOptions::default(),
        "x",
    )
    .unwrap();
    let b = CidrSet::build(
        &sv(&["192.0.2.0/24", "2001:db8::/48", "203.0.113.9"]),
        CidrOptions::default(),
        "x",
    )
    .unwrap();
    assert_eq!(a.set, b.set);
    assert_eq!(
        a.set.compact_strings(),
        vec!["192.0.2.0/24", "203.0.113.9", "2001:db8::/48"]
    );
}

#[test]
fn compact_spelling_drops_only_ipv4_slash_32() {
    let s = |v: &str| compact_spelling(&v.parse().unwrap());
    assert_eq!(s("192.0.2.1/32"), "192.0.2.1");
    assert_eq!(s("192.0.2.0/31"), "192.0.2.0/31");
    assert_eq!(s("2001:db8::1/128"), "2001:db8::1/128");
    assert_eq!(s("2001:0DB8:0000::/48"), "2001:db8::/48");
}

#[test]
fn warnings_name_the_kind_of_range() {
    let built = CidrSet::build(
        &sv(&[
            "10.1.0.0/16",
            "8.0.0.0/6",
            "fd00::/8",
            "::ffff:198.18.0.1",
            "100.64.0.0/10",
            "127.0.0.1",
            "169.254.1.0/24",
            "fe80::/64",
            "192.0.2.0/24",
            "44.0.0.0/8",
            "0.0.0.0/8",
            "198.19.0.0/16",
            "224.0.0.1",
            "239.0.0.0/8",
            "255.255.255.255",
            "::1",
            "fe80::1",
            "ff02::1",
            "fc00::/7",
        ]),
        CidrOptions::default(),
        "x",
    )
    .unwrap();
    let kinds: Vec<_> = built
        .warnings
        .iter()
        .map(|w| (w.value.as_str(), w.kind))
        .collect();
    use SpecialRange::*;
    assert_eq!(
        kinds,
        vec![
            ("10.1.0.0/16", Private),
            ("8.0.0.0/6", Private),
            ("8.0.0.0/6", VeryBroad),
            ("fd00::/8", UniqueLocal),
            ("fd00::/8", VeryBroad),
            ("::ffff:198.18.0.1", Ipv4Mapped),
            ("100.64.0.0/10", SharedAddressSpace),
            ("127.0.0.1", Loopback),
            ("169.254.1.0/24", LinkLocal),
            ("fe80::/64", LinkLocal),
            ("192.0.2.0/24", Documentation),
            ("0.0.0.0/8", ThisNetwork),
            ("198.19.0.0/16", Benchmarking),
            ("224.0.0.1", Multicast),
            ("239.0.0.0/8", Multicast),
            ("255.255.255.255", Reserved),
            ("::1", Loopback),
            ("fe80::1", LinkLocal),
            ("ff02::1", Multicast),
            ("fc00::/7", UniqueLocal),
            ("fc00::/7", VeryBroad),
        ]
    );
    // Each kind has its own reason.
    for (value, kind) in &kinds {
        let why = kind.why();
        assert!(!why.is_empty() && !kind.what().is_empty(), "{value}");
    }
    let reasons: std::collections::BTreeSet<&str> = [
        ThisNetwork,
        Loopback,
        LinkLocal,
        Benchmarking,
        Multicast,
        Reserved,
    ]
    .iter()
    .map(|k| k.why())
    .collect();
    assert_eq!(reasons.len(), 6);
    let text = built.warnings[0].to_string();
    assert!(
        text.starts_with(
            "t:1: 10.1.0.0/16 is (or overlaps) a private RFC 1918 range: aws:SourceIp never"
        ),
        "{text}"
    );
}

#[test]
fn cidr_lines_skip_comments_and_blanks_and_keep_line_numbers() {
    let lines = parse_cidr_lines(
        "# egress\n\n192.0.2.0/24  # HQ\n  2001:db8::/48\n#x\n",
        "ipam.txt",
    );
    assert_eq!(
        lines,
        vec![
            SourcedValue::new("192.0.2.0/24", Origin::at_line("ipam.txt", 3)),
            SourcedValue::new("2001:db8::/48", Origin::at_line("ipam.txt", 4)),
        ]
    );
}

#[test]
fn examples_inside_and_outside_are_correct() {
    let built = CidrSet::build(
        &sv(&[
            "198.51.100.0/24",
            "192.0.2.0/24",
            "203.0.113.0/24",
            "198.18.0.0/15",
            "2001:db8::/32",
        ]),
        CidrOptions::default(),
        "x",
    )
    .unwrap();
    let set = built.set;
    let out4 = set.example_outside_v4().unwrap();
    assert!(!set.contains(out4.into()));
    let out6 = set.example_outside_v6().unwrap();
    assert!(!set.contains(out6.into()));
    assert!(set.contains(set.example_inside_v4().unwrap().into()));
    assert!(set.contains(set.example_inside_v6().unwrap().into()));
    // When the preferred addresses are all inside, the first gap is used.
    let v4: Vec<Ipv4Net> = vec!["0.0.0.0/1".parse().unwrap(), "128.0.0.0/2".parse().unwrap()];
    assert_eq!(
        first_gap(v4.iter().map(v4_bounds), u32::MAX.into()).map(|a| Ipv4Addr::from(a as u32)),
        Some(Ipv4Addr::new(192, 0, 0, 0))
    );
    let all: Vec<Ipv4Net> = vec!["0.0.0.0/1".parse().unwrap(), "128.0.0.0/1".parse().unwrap()];
    assert_eq!(first_gap(all.iter().map(v4_bounds), u32::MAX.into()), None);
}

// --- property tests: aggregation is lossless ---

/// Networks inside 10.0.0.0/20 (4,096 addresses), so overlaps and adjacency are frequent
/// and every address can be checked exhaustively.
fn small_v4_net() -> impl Strategy<Value = Ipv4Net> {
    (0u32..4096, 20u8..=32).prop_map(|(host, prefix)| {
        Ipv4Net::new(Ipv4Addr::from(0x0a00_0000 | host), prefix)
            .unwrap()
            .trunc()
    })
}

fn small_v6_net() -> impl Strategy<Value = Ipv6Net> {
    (0u128..4096, 116u8..=128).prop_map(|(host, prefix)| {
        let base: u128 = u128::from("2001:db8::".parse::<Ipv6Addr>().unwrap());
        Ipv6Net::new(Ipv6Addr::from(base | host), prefix)
            .unwrap()
            .trunc()
    })
}

proptest! {
    #[test]
    fn aggregation_covers_exactly_the_same_addresses(
        v4 in proptest::collection::vec(small_v4_net(), 1..40),
        v6 in proptest::collection::vec(small_v6_net(), 0..40),
    ) {
        let set = CidrSet::from_networks(v4.clone(), v6.clone());
        for host in 0u32..4096 {
            let a = Ipv4Addr::from(0x0a00_0000 | host);
            let expected = v4.iter().any(|n| n.contains(&a));
            prop_assert_eq!(set.contains(IpAddr::V4(a)), expected, "{}", a);
            let base: u128 = u128::from("2001:db8::".parse::<Ipv6Addr>().unwrap());
            let a6 = Ipv6Addr::from(base | u128::from(host));
            let expected6 = v6.iter().any(|n| n.contains(&a6));
            prop_assert_eq!(set.contains(IpAddr::V6(a6)), expected6, "{}", a6);
        }
        // Addresses just outside the universe stay outside.
        prop_assert!(!set.contains(IpAddr::V4(Ipv4Addr::new(10, 0, 16, 0))));
        prop_assert!(!set.contains(IpAddr::V4(Ipv4Addr::new(9, 255, 255, 255))));
    }

    #[test]
    fn aggregation_is_minimal_sorted_and_disjoint(
        v4 in proptest::collection::vec(small_v4_net(), 1..40),
    ) {
        let set = CidrSet::from_networks(v4, vec![]);
        for pair in set.v4().windows(2) {
            // Sorted and disjoint.
            prop_assert!(pair[0].broadcast() < pair[1].network());
            // No two siblings left unmerged.
            prop_assert!(!(pair[0].prefix_len() == pair[1].prefix_len()
                && pair[0].supernet() == pair[1].supernet()));
        }
        // Idempotent.
        prop_assert_eq!(CidrSet::from_networks(set.v4().to_vec(), vec![]), set);
    }

    #[test]
    fn parser_never_panics(s in ".{0,60}") {
        let _ = parse_cidr(&s, &o(), CidrOptions::default());
    }

    #[test]
    fn compact_spelling_round_trips(host in any::<u32>(), prefix in 1u8..=32, h6 in any::<u128>(), p6 in 1u8..=128) {
        let n = IpNet::V4(Ipv4Net::new(Ipv4Addr::from(host), prefix).unwrap().trunc());
        prop_assert_eq!(parse(&compact_spelling(&n)).unwrap(), n);
        let n6 = IpNet::V6(Ipv6Net::new(Ipv6Addr::from(h6), p6).unwrap().trunc());
        prop_assert_eq!(parse(&compact_spelling(&n6)).unwrap(), n6);
    }
}

// The warnings' special-range check compares numbers and keeps one bit per kind: it must list
// the same kinds, in the same order, as checking each table network for overlap with IpNet.
#[test]
fn special_kinds_are_listed_in_their_order_once_each() {
    for (i, k) in SPECIAL_KINDS.iter().enumerate() {
        assert_eq!(*k as usize, i, "{k:?}");
    }
    assert!(SPECIAL_KINDS.windows(2).all(|w| w[0] < w[1]));
}

proptest! {
    #[test]
    fn special_range_warnings_match_network_overlap(
        a in any::<u32>(), p4 in 1u8..=32, b in any::<u128>(), p6 in 1u8..=128, pick in 0usize..19,
    ) {
        let table = special_ranges();
        // Half the time, a network near one of the special ranges.
        let (v6, first, _, _) = table[pick];
        let near4 = if v6 { a } else { (first as u32) ^ (a >> 8) };
        let near6 = if v6 { first ^ (b >> 16) } else { b };
        for net in [
            IpNet::V4(Ipv4Net::new(a.into(), p4).unwrap().trunc()),
            IpNet::V4(Ipv4Net::new(near4.into(), p4).unwrap().trunc()),
            IpNet::V6(Ipv6Net::new(b.into(), p6).unwrap().trunc()),
            IpNet::V6(Ipv6Net::new(near6.into(), p6).unwrap().trunc()),
        ] {
            let value = SourcedValue::new(net.to_string(), o());
            let got: Vec<SpecialRange> =
                warnings_for(&net, &value, &table).iter().map(|w| w.kind).collect();
            let mut want: Vec<SpecialRange> = Vec::new();
            for (s, k) in SPECIAL_TABLE.iter() {
                let special: IpNet = s.parse().unwrap();
                if special.contains(&net) || net.contains(&special) {
                    want.push(*k);
                }
            }
            let broad = match net {
                IpNet::V4(n) => n.prefix_len() < 8,
                IpNet::V6(n) => n.prefix_len() < 16,
            };
            if broad {
                want.push(SpecialRange::VeryBroad);
            }
            want.sort();
            want.dedup();
            prop_assert_eq!(got, want, "{}", net);
        }
    }
}
