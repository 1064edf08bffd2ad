//! The set of enterprise networks: parse, refuse, aggregate losslessly, and spell compactly.
//!
//! Capacity in an SCP comes only from lossless aggregation and compact spelling. The list is
//! never split across statements or policies: two `NotIpAddress` denies would each block what
//! the other allows: a request inside one list but outside the other is denied.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use crate::origin::{excerpt, Origin};

/// One CIDR as the user wrote it, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourcedValue {
    pub value: String,
    pub origin: Origin,
}

impl SourcedValue {
    pub fn new(value: impl Into<String>, origin: Origin) -> Self {
        SourcedValue {
            value: value.into(),
            origin,
        }
    }
}

/// Why one value was refused. Every variant names the value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CidrError {
    #[error("{origin}: invalid CIDR {}: {reason}", excerpt(.value))]
    Malformed {
        value: String,
        origin: Origin,
        reason: String,
    },
    #[error("{origin}: invalid CIDR {}: prefix /{prefix} is longer than the /{max} an {family} address has", excerpt(.value))]
    PrefixTooLong {
        value: String,
        origin: Origin,
        prefix: u32,
        max: u8,
        family: &'static str,
    },
    #[error("{origin}: {value:?} has host bits set; the network is {network} (write that, or set `normalize_host_bits = true` in [network] to accept it)")]
    HostBitsSet {
        value: String,
        origin: Origin,
        network: IpNet,
    },
    #[error("{origin}: {value:?} matches every address; a NotIpAddress deny with it would never deny anything, so it is refused")]
    MatchesEverything { value: String, origin: Origin },
    #[error("the CIDRs together cover every {family} address ({detail}); the network restriction would then deny nothing, so they are refused")]
    CoversEverything {
        family: &'static str,
        detail: String,
    },
    #[error("no CIDRs are configured ({where_}); an empty list would deny every tagged IAM user everywhere")]
    Empty { where_: String },
}

/// A range that is legal but that `aws:SourceIp` never (or should never) contain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CidrWarning {
    pub value: String,
    pub origin: Origin,
    pub kind: SpecialRange,
}

impl fmt::Display for CidrWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} {}: {}",
            self.origin,
            self.value,
            self.kind.what(),
            self.kind.why()
        )
    }
}

/// Families of ranges worth a warning, with the reason. The special-purpose ones come from
/// IANA's IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SpecialRange {
    Private,
    SharedAddressSpace,
    Loopback,
    LinkLocal,
    UniqueLocal,
    Documentation,
    Ipv4Mapped,
    VeryBroad,
    /// 0.0.0.0/8, "this network" (RFC 791, RFC 1122 §3.2.1.3).
    ThisNetwork,
    /// 198.18.0.0/15, network benchmark tests (RFC 2544).
    Benchmarking,
    /// 224.0.0.0/4 (RFC 5771) and ff00::/8 (RFC 4291 §2.7).
    Multicast,
    /// 240.0.0.0/4, reserved for future use (RFC 1112 §4), with the limited broadcast address.
    Reserved,
}

impl SpecialRange {
    /// What the range is, completing "VALUE ...".
    pub fn what(self) -> &'static str {
        match self {
            SpecialRange::Private => "is (or overlaps) a private RFC 1918 range",
            SpecialRange::SharedAddressSpace => {
                "is (or overlaps) the RFC 6598 shared address space (carrier-grade NAT)"
            }
            SpecialRange::Loopback => "is (or overlaps) a loopback range",
            SpecialRange::LinkLocal => "is (or overlaps) a link-local range",
            SpecialRange::UniqueLocal => "is (or overlaps) the IPv6 unique local range fc00::/7",
            SpecialRange::Documentation => {
                "is (or overlaps) a documentation range (RFC 5737 / RFC 3849)"
            }
            SpecialRange::Ipv4Mapped => "is an IPv4-mapped IPv6 range",
            SpecialRange::VeryBroad => "is very broad",
            SpecialRange::ThisNetwork => "is (or overlaps) 0.0.0.0/8, \"this network\" (RFC 791)",
            SpecialRange::Benchmarking => {
                "is (or overlaps) the benchmarking range 198.18.0.0/15 (RFC 2544)"
            }
            SpecialRange::Multicast => "is (or overlaps) a multicast range (224.0.0.0/4, ff00::/8)",
            SpecialRange::Reserved => {
                "is (or overlaps) the reserved range 240.0.0.0/4 (RFC 1112), broadcast included"
            }
        }
    }

    /// Why it matters, for a security engineer reading the warning.
    pub fn why(self) -> &'static str {
        match self {
            SpecialRange::Private
            | SpecialRange::SharedAddressSpace
            | SpecialRange::UniqueLocal => {
                "aws:SourceIp never holds such an address. Calls to public AWS endpoints carry the public \
                 address of your NAT or proxy; calls through a VPC endpoint carry no aws:SourceIp at all \
                 (statement 2 then denies them) but aws:SourceVpc and aws:SourceVpce, with the private \
                 address in aws:VpcSourceIp. List your egress public addresses here, and your VPCs (with \
                 their Regions) or endpoints in [network] vpcs / vpc_endpoints."
            }
            SpecialRange::Documentation => {
                "these ranges are reserved for examples; no real caller has them. Replace them with your \
                 egress ranges before deploying, or every tagged IAM user will be denied."
            }
            SpecialRange::Loopback => {
                "loopback addresses name the host itself and never leave it, so no request reaching \
                 AWS comes from one; aws:SourceIp never holds them. List your egress public addresses instead."
            }
            SpecialRange::LinkLocal => {
                "link-local addresses are valid on one network link only and never routed, so \
                 aws:SourceIp never holds them (169.254.169.254 on EC2 is the metadata service, not a \
                 caller). List your egress public addresses instead."
            }
            SpecialRange::ThisNetwork => {
                "these addresses are never the source of a routed packet (0.0.0.0 only while a host \
                 learns its address), so aws:SourceIp never holds them."
            }
            SpecialRange::Benchmarking => {
                "this range is set aside for testing network devices and is not routed on the \
                 internet, so aws:SourceIp never holds it. List your egress public addresses instead."
            }
            SpecialRange::Multicast => {
                "a multicast address names a group of receivers and is never the source of a \
                 request, so aws:SourceIp never holds it."
            }
            SpecialRange::Reserved => {
                "these addresses are not assigned and not routed (255.255.255.255 is the local \
                 broadcast), so aws:SourceIp never holds them."
            }
            SpecialRange::Ipv4Mapped => {
                "AWS reports IPv4 callers as IPv4 addresses, so this never matches. Write the IPv4 \
                 range it maps instead (::ffff:192.0.2.0/120 is 192.0.2.0/24); a range as broad as \
                 ::ffff:0:0/96 maps every IPv4 address, which a network deny cannot list: write your \
                 IPv4 egress ranges."
            }
            SpecialRange::VeryBroad => {
                "a leaked access key used from anywhere in it is accepted. Check that your organization \
                 really owns all of it."
            }
        }
    }
}

/// Options that change how values are accepted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CidrOptions {
    /// Accept `192.0.2.1/24` as `192.0.2.0/24` instead of refusing it.
    pub normalize_host_bits: bool,
}

/// Counts that explain what aggregation did, for `validate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CidrStats {
    /// Values given (after reading files).
    pub given: usize,
    /// Entries after merging duplicates, overlaps and adjacent networks.
    pub aggregated: usize,
}

/// The enterprise networks, aggregated losslessly: sorted, IPv4 before IPv6, no two entries
/// overlapping or mergeable. Covers exactly the addresses of the values it was built from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CidrSet {
    v4: Vec<Ipv4Net>,
    v6: Vec<Ipv6Net>,
}

/// The result of building a set: the set, what was worth a warning, and the counts.
#[derive(Debug, Clone)]
pub struct BuiltCidrSet {
    pub set: CidrSet,
    pub warnings: Vec<CidrWarning>,
    pub stats: CidrStats,
}

fn is_hex(s: &str) -> bool {
    s.as_bytes()
        .get(..2)
        .is_some_and(|b| b.eq_ignore_ascii_case(b"0x"))
}

/// Parse one value: a CIDR, or a bare address meaning /32 (IPv4) or /128 (IPv6).
pub fn parse_cidr(value: &str, origin: &Origin, opts: CidrOptions) -> Result<IpNet, CidrError> {
    let malformed = |reason: &str| CidrError::Malformed {
        value: value.to_string(),
        origin: origin.clone(),
        reason: reason.to_string(),
    };
    let text = value.trim();
    if text.is_empty() {
        return Err(malformed("empty value"));
    }
    if text.chars().any(char::is_whitespace) {
        return Err(malformed(
            "it contains whitespace; write the address and prefix without spaces (198.51.100.0/24)",
        ));
    }
    let (addr_text, prefix_text) = match text.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (text, None),
    };
    let addr: IpAddr = addr_text.parse().map_err(|_| {
        let hint = if is_hex(addr_text) {
            "hex is not accepted; write the address in dotted decimal (0x0A000000 is 10.0.0.0)"
        } else if addr_text.contains('%') {
            "zone indices (%eth0) have no meaning in a policy"
        } else if addr_text.contains(':') {
            "not an IPv6 address"
        } else if addr_text
            .split('.')
            .any(|o| o.len() > 1 && o.starts_with('0'))
        {
            "not an IPv4 address (octets with leading zeros are ambiguous and refused)"
        } else if !addr_text.is_empty()
            && addr_text.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            && addr_text.split('.').count() < 4
        {
            "not an IPv4 address: write all four octets in decimal (10.0.0.0, not 10 or 10.0)"
        } else {
            "not an IPv4 or IPv6 address"
        };
        malformed(hint)
    })?;
    let (max, family) = match addr {
        IpAddr::V4(_) => (32u8, "IPv4"),
        IpAddr::V6(_) => (128u8, "IPv6"),
    };
    let prefix = match prefix_text {
        None => max,
        Some(p) => {
            if is_hex(p) {
                return Err(malformed(
                    "hex is not accepted; write the prefix length in decimal",
                ));
            }
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) || p.len() > 3 {
                return Err(malformed("the prefix length after '/' must be a number"));
            }
            let n: u32 = p
                .parse()
                .map_err(|_| malformed("the prefix length after '/' must be a number"))?;
            if n > u32::from(max) {
                return Err(CidrError::PrefixTooLong {
                    value: value.to_string(),
                    origin: origin.clone(),
                    prefix: n,
                    max,
                    family,
                });
            }
            n as u8
        }
    };
    // Cannot fail: prefix <= max was checked above.
    let net = IpNet::new(addr, prefix).map_err(|_| malformed("invalid prefix length"))?;
    // Checked before host bits: that message would suggest 0.0.0.0/0, which is refused.
    if prefix == 0 {
        return Err(CidrError::MatchesEverything {
            value: value.to_string(),
            origin: origin.clone(),
        });
    }
    let network = net.trunc();
    if network.addr() != addr && !opts.normalize_host_bits {
        return Err(CidrError::HostBitsSet {
            value: value.to_string(),
            origin: origin.clone(),
            network,
        });
    }
    Ok(network)
}

/// Parse a CIDR list file as exported from an IPAM: one value per line, `#` starts a comment,
/// blank lines are ignored. Pure: the caller reads the file.
pub fn parse_cidr_lines(content: &str, source: &str) -> Vec<SourcedValue> {
    // A UTF-8 byte-order mark (as some Windows tools write) is not part of the first value.
    let content = content.strip_prefix('\u{feff}').unwrap_or(content);
    content
        .lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let value = line.split('#').next().unwrap_or("").trim();
            (!value.is_empty()).then(|| SourcedValue::new(value, Origin::at_line(source, i + 1)))
        })
        .collect()
}

/// A special range as numbers: (IPv6, first address, last address, kind); IPv4 widened to u128.
type SpecialSpan = (bool, u128, u128, SpecialRange);

/// The special ranges, as IANA's registries write them.
const SPECIAL_TABLE: [(&str, SpecialRange); 19] = [
    ("0.0.0.0/8", SpecialRange::ThisNetwork),
    ("10.0.0.0/8", SpecialRange::Private),
    ("172.16.0.0/12", SpecialRange::Private),
    ("192.168.0.0/16", SpecialRange::Private),
    ("100.64.0.0/10", SpecialRange::SharedAddressSpace),
    ("127.0.0.0/8", SpecialRange::Loopback),
    ("::1/128", SpecialRange::Loopback),
    ("169.254.0.0/16", SpecialRange::LinkLocal),
    ("fe80::/10", SpecialRange::LinkLocal),
    ("fc00::/7", SpecialRange::UniqueLocal),
    ("192.0.2.0/24", SpecialRange::Documentation),
    ("198.51.100.0/24", SpecialRange::Documentation),
    ("203.0.113.0/24", SpecialRange::Documentation),
    ("2001:db8::/32", SpecialRange::Documentation),
    ("::ffff:0:0/96", SpecialRange::Ipv4Mapped),
    ("198.18.0.0/15", SpecialRange::Benchmarking),
    ("224.0.0.0/4", SpecialRange::Multicast),
    ("ff00::/8", SpecialRange::Multicast),
    ("240.0.0.0/4", SpecialRange::Reserved),
];

fn special_ranges() -> Vec<SpecialSpan> {
    SPECIAL_TABLE
        .iter()
        .map(|(s, k)| {
            let net: IpNet = s.parse().expect("static table of valid CIDRs");
            let (v6, (lo, hi)) = net_bounds(&net);
            (v6, lo, hi, *k)
        })
        .collect()
}

/// (IPv6, first address, last address) of a network, as numbers.
fn net_bounds(net: &IpNet) -> (bool, (u128, u128)) {
    match net {
        IpNet::V4(n) => (false, v4_bounds(n)),
        IpNet::V6(n) => (true, v6_bounds(n)),
    }
}

/// Every kind, in their order (the order warnings are listed in).
const SPECIAL_KINDS: [SpecialRange; 12] = [
    SpecialRange::Private,
    SpecialRange::SharedAddressSpace,
    SpecialRange::Loopback,
    SpecialRange::LinkLocal,
    SpecialRange::UniqueLocal,
    SpecialRange::Documentation,
    SpecialRange::Ipv4Mapped,
    SpecialRange::VeryBroad,
    SpecialRange::ThisNetwork,
    SpecialRange::Benchmarking,
    SpecialRange::Multicast,
    SpecialRange::Reserved,
];

fn warnings_for(net: &IpNet, value: &SourcedValue, table: &[SpecialSpan]) -> Vec<CidrWarning> {
    // Two CIDR blocks overlap exactly when one holds the other, that is when their address
    // ranges intersect: compared as numbers, one bit per kind (sorted, once each, no list).
    let (v6, (lo, hi)) = net_bounds(net);
    let mut kinds = 0u32;
    for (range_v6, first, last, kind) in table {
        if *range_v6 == v6 && *first <= hi && lo <= *last {
            kinds |= 1 << (*kind as u32);
        }
    }
    let very_broad = match net {
        IpNet::V4(n) => n.prefix_len() < 8,
        IpNet::V6(n) => n.prefix_len() < 16,
    };
    if very_broad {
        kinds |= 1 << (SpecialRange::VeryBroad as u32);
    }
    if kinds == 0 {
        return Vec::new();
    }
    SPECIAL_KINDS
        .iter()
        .filter(|k| kinds & (1 << (**k as u32)) != 0)
        .map(|kind| CidrWarning {
            value: value.value.clone(),
            origin: value.origin.clone(),
            kind: *kind,
        })
        .collect()
}

impl CidrSet {
    /// Build the set from every value, reporting every bad value at once (not just the first).
    /// `empty_where` says where CIDRs were expected, for the empty-list error.
    pub fn build(
        values: &[SourcedValue],
        opts: CidrOptions,
        empty_where: &str,
    ) -> Result<BuiltCidrSet, Vec<CidrError>> {
        if values.is_empty() {
            return Err(vec![CidrError::Empty {
                where_: empty_where.to_string(),
            }]);
        }
        let table = special_ranges();
        let mut errors = Vec::new();
        let mut warnings = Vec::new();
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        for value in values {
            match parse_cidr(&value.value, &value.origin, opts) {
                Ok(net) => {
                    warnings.extend(warnings_for(&net, value, &table));
                    match net {
                        IpNet::V4(n) => v4.push(n),
                        IpNet::V6(n) => v6.push(n),
                    }
                }
                Err(e) => errors.push(e),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let set = CidrSet::from_networks(v4, v6);
        if let Some(n) = set.v4.iter().find(|n| n.prefix_len() == 0) {
            errors.push(CidrError::CoversEverything {
                family: "IPv4",
                detail: format!("they aggregate to {n}"),
            });
        }
        if let Some(n) = set.v6.iter().find(|n| n.prefix_len() == 0) {
            errors.push(CidrError::CoversEverything {
                family: "IPv6",
                detail: format!("they aggregate to {n}"),
            });
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let stats = CidrStats {
            given: values.len(),
            aggregated: set.len(),
        };
        Ok(BuiltCidrSet {
            set,
            warnings,
            stats,
        })
    }

    /// Aggregate networks losslessly: duplicates and overlaps merged, adjacent siblings joined.
    /// The result is the unique minimal list of CIDR blocks covering exactly the same addresses.
    pub fn from_networks(v4: Vec<Ipv4Net>, v6: Vec<Ipv6Net>) -> CidrSet {
        let (mut v4, mut v6) = (v4, v6);
        v4.iter_mut().for_each(|n| *n = n.trunc());
        v6.iter_mut().for_each(|n| *n = n.trunc());
        CidrSet {
            v4: Ipv4Net::aggregate(&v4),
            v6: Ipv6Net::aggregate(&v6),
        }
    }

    pub fn len(&self) -> usize {
        self.v4.len() + self.v6.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn v4(&self) -> &[Ipv4Net] {
        &self.v4
    }

    pub fn v6(&self) -> &[Ipv6Net] {
        &self.v6
    }

    /// All entries, IPv4 first, each family sorted by address.
    pub fn iter(&self) -> impl Iterator<Item = IpNet> + '_ {
        self.v4
            .iter()
            .map(|n| IpNet::V4(*n))
            .chain(self.v6.iter().map(|n| IpNet::V6(*n)))
    }

    /// Whether an address is in the set (binary search over the sorted, disjoint entries).
    pub fn contains(&self, addr: IpAddr) -> bool {
        match addr {
            IpAddr::V4(a) => contains_sorted(&self.v4, a, |n| n.network(), |n, a| n.contains(a)),
            IpAddr::V6(a) => contains_sorted(&self.v6, a, |n| n.network(), |n, a| n.contains(a)),
        }
    }

    /// The entries spelled as compactly as IAM accepts, in order (see [`compact_spelling`]).
    pub fn compact_strings(&self) -> Vec<String> {
        self.iter().map(|n| compact_spelling(&n)).collect()
    }

    /// An IPv4 address outside the set, preferring a few readable documentation addresses.
    pub fn example_outside_v4(&self) -> Option<Ipv4Addr> {
        let preferred = ["198.51.100.7", "192.0.2.7", "203.0.113.7", "198.18.0.7"];
        preferred
            .iter()
            .map(|s| s.parse::<Ipv4Addr>().expect("static address"))
            .find(|a| !self.contains(IpAddr::V4(*a)))
            .or_else(|| {
                // Every value is within the u32 range: the ranges are IPv4.
                first_gap(self.v4.iter().map(v4_bounds), u32::MAX.into())
                    .map(|a| Ipv4Addr::from(a as u32))
            })
    }

    /// An IPv6 address outside the set, preferring readable documentation addresses.
    pub fn example_outside_v6(&self) -> Option<Ipv6Addr> {
        let preferred = ["2001:db8:ffff::7", "2001:db8::7"];
        preferred
            .iter()
            .map(|s| s.parse::<Ipv6Addr>().expect("static address"))
            .find(|a| !self.contains(IpAddr::V6(*a)))
            .or_else(|| first_gap(self.v6.iter().map(v6_bounds), u128::MAX).map(Ipv6Addr::from))
    }

    /// A host address inside the first IPv4 entry (not its network address when it has hosts).
    pub fn example_inside_v4(&self) -> Option<Ipv4Addr> {
        self.v4.first().map(|n| {
            if n.prefix_len() <= 30 {
                Ipv4Addr::from(u32::from(n.network()) + 1)
            } else {
                n.network()
            }
        })
    }

    /// A host address inside the first IPv6 entry.
    pub fn example_inside_v6(&self) -> Option<Ipv6Addr> {
        self.v6.first().map(|n| {
            if n.prefix_len() <= 126 {
                Ipv6Addr::from(u128::from(n.network()) + 1)
            } else {
                n.network()
            }
        })
    }
}

fn contains_sorted<N, A: Ord + Copy>(
    nets: &[N],
    addr: A,
    network: impl Fn(&N) -> A,
    contains: impl Fn(&N, &A) -> bool,
) -> bool {
    // The last entry whose network address is <= addr is the only one that can contain it,
    // because entries are sorted and disjoint.
    let idx = nets.partition_point(|n| network(n) <= addr);
    idx > 0 && contains(&nets[idx - 1], &addr)
}

/// The smallest address not covered by sorted, disjoint `(first, last)` ranges, if any, in an
/// address space whose highest address is `max`. Addresses are numbers: IPv4 widened to u128.
fn first_gap(ranges: impl IntoIterator<Item = (u128, u128)>, max: u128) -> Option<u128> {
    let mut candidate = 1u128; // skip the all-zeros address; it is not a real caller
    for (lo, hi) in ranges {
        if candidate < lo {
            return Some(candidate);
        }
        if hi >= candidate {
            if hi == max {
                return None;
            }
            candidate = hi + 1;
        }
    }
    Some(candidate)
}

fn v4_bounds(n: &Ipv4Net) -> (u128, u128) {
    (
        u32::from(n.network()).into(),
        u32::from(n.broadcast()).into(),
    )
}

fn v6_bounds(n: &Ipv6Net) -> (u128, u128) {
    (n.network().into(), n.broadcast().into())
}

/// The shortest spelling IAM accepts for a network.
///
/// IAM's IP operators take CIDR notation, and "if you specify an IP address without the
/// associated routing prefix, IAM uses the default prefix value of /32" (IAM User Guide,
/// "IAM JSON policy elements: Condition operators", IP address condition operators). So an IPv4
/// /32 is written as the bare address. An IPv6 entry always keeps its prefix, /128 included: a
/// bare IPv6 address would get that same default /32, a huge range. IPv6 addresses use the
/// RFC 5952 canonical form (lower case, longest zero run compressed).
pub fn compact_spelling(net: &IpNet) -> String {
    match net {
        IpNet::V4(n) => {
            // Written by hand: `Display` through `fmt` is most of a 100,000-entry render.
            let mut out = String::with_capacity(18);
            for (i, octet) in n.addr().octets().into_iter().enumerate() {
                if i > 0 {
                    out.push('.');
                }
                push_decimal(&mut out, u32::from(octet));
            }
            if n.prefix_len() != 32 {
                out.push('/');
                push_decimal(&mut out, u32::from(n.prefix_len()));
            }
            out
        }
        other => other.to_string(),
    }
}

fn push_decimal(out: &mut String, n: u32) {
    if n >= 100 {
        out.push(char::from(b'0' + (n / 100) as u8));
    }
    if n >= 10 {
        out.push(char::from(b'0' + (n / 10 % 10) as u8));
    }
    out.push(char::from(b'0' + (n % 10) as u8));
}

#[cfg(test)]
mod tests;
