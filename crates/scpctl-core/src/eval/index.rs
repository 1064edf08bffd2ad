//! A condition's values indexed once, when the policy is compiled, so that a request value is
//! looked up rather than compared with every listed value: a guardrail lists hundreds of CIDRs
//! or break-glass ARNs, and `impact` asks about every record.
//!
//! The index answers exactly as comparing the request value with each value in turn
//! ([`super::operators::value_matches`]); the property tests below check that for CIDRs (IPv4
//! and IPv6), strings and ARNs. It is built only when every value is fixed (no policy
//! variable), so no value depends on the request.
//!
//! - IP operators: the networks merged into sorted, disjoint address ranges (IPv4 and IPv6
//!   apart), found by binary search ([OPS] an address matches when some listed network holds
//!   it; a network never holds an address of the other family).
//! - `StringEquals`, `StringEqualsIgnoreCase`, and `StringLike` values without wildcards: a hash
//!   set of the texts (for Equals, `*` and `?` are plain characters; IgnoreCase compares the
//!   values lower-cased character by character, as [`super::actions_resources::tokens_equal`]
//!   does); `StringLike` patterns with wildcards stay patterns.
//! - ARN operators: a pattern without wildcards matches exactly the ARN spelled as it is
//!   (its six components equal one by one is the whole text equal, as the first five hold no
//!   colon); the others stay patterns, matched component by component.

use std::collections::HashSet;
use std::net::IpAddr;

use super::actions_resources::{arn_parts_match, glob};
use super::operators::{Base, PolicyValue, RequestValue};
use super::variables::{tokens_text, Tok};

type Set = HashSet<String, foldhash::fast::RandomState>;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ValueIndex {
    Nets {
        v4: Vec<(u32, u32)>,
        v6: Vec<(u128, u128)>,
    },
    Strings {
        /// IgnoreCase: texts and request values lower-cased character by character.
        fold: bool,
        exact: Set,
        /// `StringLike` values with `*` or `?`.
        patterns: Vec<Vec<Tok>>,
    },
    Arns {
        exact: Set,
        patterns: Vec<[Vec<Tok>; 6]>,
    },
}

fn is_literal(toks: &[Tok]) -> bool {
    toks.iter().all(|t| matches!(t, Tok::Lit(_)))
}

fn fold(s: &str) -> String {
    s.chars().flat_map(char::to_lowercase).collect()
}

/// Sorted, disjoint, non-adjacent ranges covering the same numbers as `ranges`.
fn merge<T: Ord + Copy>(mut ranges: Vec<(T, T)>, next: impl Fn(T) -> Option<T>) -> Vec<(T, T)> {
    ranges.sort_unstable();
    let mut out: Vec<(T, T)> = Vec::with_capacity(ranges.len());
    for (lo, hi) in ranges {
        match out.last_mut() {
            Some(last) if next(last.1).is_none_or(|n| lo <= n) => last.1 = last.1.max(hi),
            _ => out.push((lo, hi)),
        }
    }
    out
}

fn in_ranges<T: Ord + Copy>(ranges: &[(T, T)], a: T) -> bool {
    let i = ranges.partition_point(|r| r.0 <= a);
    i > 0 && ranges[i - 1].1 >= a
}

impl ValueIndex {
    /// The index of `values` under `base`, or `None` when comparing one by one is all there is
    /// (a policy variable, an operator without an index, fewer than two values worth it).
    pub(crate) fn build(base: Base, values: &[PolicyValue]) -> Option<ValueIndex> {
        if values.is_empty() {
            return None;
        }
        match base {
            Base::IpAddress => {
                let (mut v4, mut v6) = (Vec::new(), Vec::new());
                for v in values {
                    match v {
                        PolicyValue::Net(ipnet::IpNet::V4(n)) => {
                            v4.push((u32::from(n.network()), u32::from(n.broadcast())))
                        }
                        PolicyValue::Net(ipnet::IpNet::V6(n)) => {
                            v6.push((u128::from(n.network()), u128::from(n.broadcast())))
                        }
                        _ => return None,
                    }
                }
                Some(ValueIndex::Nets {
                    v4: merge(v4, |x: u32| x.checked_add(1)),
                    v6: merge(v6, |x: u128| x.checked_add(1)),
                })
            }
            Base::StringEquals | Base::StringEqualsIgnoreCase | Base::StringLike => {
                let fold_case = base == Base::StringEqualsIgnoreCase;
                let mut exact = Set::default();
                let mut patterns = Vec::new();
                for v in values {
                    let PolicyValue::Fixed(toks) = v else {
                        return None;
                    };
                    if base == Base::StringLike && !is_literal(toks) {
                        patterns.push(toks.clone());
                        continue;
                    }
                    let text = tokens_text(toks);
                    exact.insert(if fold_case { fold(&text) } else { text });
                }
                Some(ValueIndex::Strings {
                    fold: fold_case,
                    exact,
                    patterns,
                })
            }
            Base::Arn => {
                let mut exact = Set::default();
                let mut patterns = Vec::new();
                for v in values {
                    let PolicyValue::FixedArn(parts) = v else {
                        return None;
                    };
                    if parts.iter().all(|p| is_literal(p)) {
                        let texts: Vec<String> = parts.iter().map(|p| tokens_text(p)).collect();
                        exact.insert(texts.join(":"));
                    } else {
                        patterns.push((**parts).clone());
                    }
                }
                Some(ValueIndex::Arns { exact, patterns })
            }
            _ => None,
        }
    }

    /// Whether some indexed value matches the request value `rv`, read as `parsed` by
    /// [`RequestValue::parse`] for the same operator (positive form; a value of the wrong type
    /// matches nothing).
    pub(crate) fn matches(&self, rv: &str, parsed: &RequestValue<'_>) -> bool {
        match (self, parsed) {
            (ValueIndex::Nets { v4, .. }, RequestValue::Ip(IpAddr::V4(a))) => {
                in_ranges(v4, u32::from(*a))
            }
            (ValueIndex::Nets { v6, .. }, RequestValue::Ip(IpAddr::V6(a))) => {
                in_ranges(v6, u128::from(*a))
            }
            (
                ValueIndex::Strings {
                    fold: f,
                    exact,
                    patterns,
                },
                RequestValue::Text(t),
            ) => {
                let hit = if *f {
                    exact.contains(&fold(t))
                } else {
                    exact.contains(*t)
                };
                hit || patterns.iter().any(|p| glob(p, t, false))
            }
            (ValueIndex::Arns { exact, patterns }, RequestValue::Arn(parts)) => {
                exact.contains(rv) || patterns.iter().any(|p| arn_parts_match(p, parts))
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::operators::{compile_value, value_matches, Match, Operator};
    use crate::eval::RequestContext;
    use proptest::prelude::*;

    /// Compare the index with the plain one-by-one comparison for every request value.
    fn agree(op: &str, values: &[String], requests: &[String]) -> Result<(), TestCaseError> {
        let Ok(op) = Operator::parse(op) else {
            panic!("operator {op}")
        };
        let compiled: Vec<PolicyValue> = values
            .iter()
            .filter_map(|v| compile_value(op, v, false).ok())
            .collect();
        let Some(index) = ValueIndex::build(op.base, &compiled) else {
            return Ok(());
        };
        let ctx = RequestContext::new("s3:GetObject");
        for rv in requests {
            let parsed = RequestValue::parse(op.base, rv);
            let plain = compiled
                .iter()
                .any(|pv| value_matches(op.base, pv, &parsed, &ctx) == Match::Yes);
            let indexed = parsed != RequestValue::Bad && index.matches(rv, &parsed);
            prop_assert_eq!(plain, indexed, "{:?} {:?} against {}", op, values, rv);
        }
        Ok(())
    }

    fn v4_net() -> impl Strategy<Value = String> {
        // Few distinct high octets, so networks overlap, nest and touch.
        (0u8..4, any::<u8>(), any::<u8>(), 0u8..=32)
            .prop_map(|(a, b, c, p)| format!("10.{a}.{b}.{c}/{p}"))
            .prop_map(|s| s.replace("/0", "/1"))
    }

    fn v4_addr() -> impl Strategy<Value = String> {
        prop_oneof![
            (0u8..4, any::<u8>(), any::<u8>()).prop_map(|(a, b, c)| format!("10.{a}.{b}.{c}")),
            any::<u32>().prop_map(|n| std::net::Ipv4Addr::from(n).to_string()),
            Just("255.255.255.255".to_string()),
            Just("10.0.0.0".to_string()),
            Just("not-an-address".to_string()),
        ]
    }

    fn v6_net() -> impl Strategy<Value = String> {
        (0u16..4, any::<u16>(), 1u8..=128)
            .prop_map(|(a, b, p)| format!("2001:db8:{a:x}:{b:x}::/{p}"))
    }

    fn v6_addr() -> impl Strategy<Value = String> {
        prop_oneof![
            (0u16..4, any::<u16>(), any::<u16>())
                .prop_map(|(a, b, c)| format!("2001:db8:{a:x}:{b:x}::{c:x}")),
            any::<u128>().prop_map(|n| std::net::Ipv6Addr::from(n).to_string()),
            Just("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff".to_string()),
            Just("::".to_string()),
        ]
    }

    /// Short texts over a small alphabet (case, wildcards, a non-ASCII letter), so equal and
    /// near-equal values occur.
    fn text() -> impl Strategy<Value = String> {
        proptest::string::string_regex("[abAB*?:/İı]{0,5}").unwrap()
    }

    fn arn() -> impl Strategy<Value = String> {
        prop_oneof![
            (text(), text(), text()).prop_map(|(a, b, c)| format!("arn:aws:iam::{a}:role/{b}{c}")),
            text().prop_map(|a| format!("arn:aws:s3:::{a}")),
            text().prop_map(|a| format!("arn:{a}")),
        ]
    }

    proptest! {
        #[test]
        fn cidrs_v4_and_v6_answer_as_each_network(
            v4 in proptest::collection::vec(v4_net(), 0..30),
            v6 in proptest::collection::vec(v6_net(), 0..30),
            a4 in proptest::collection::vec(v4_addr(), 1..30),
            a6 in proptest::collection::vec(v6_addr(), 1..30),
        ) {
            let values: Vec<String> = v4.into_iter().chain(v6).collect();
            let requests: Vec<String> = a4.into_iter().chain(a6).collect();
            agree("IpAddress", &values, &requests)?;
            agree("NotIpAddressIfExists", &values, &requests)?;
        }

        #[test]
        fn strings_answer_as_each_value(
            values in proptest::collection::vec(text(), 1..20),
            requests in proptest::collection::vec(text(), 1..20),
        ) {
            let requests: Vec<String> = requests.into_iter().chain(values.iter().cloned()).collect();
            for op in ["StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringLike", "StringNotLike"] {
                agree(op, &values, &requests)?;
            }
        }

        #[test]
        fn arns_answer_as_each_pattern(
            values in proptest::collection::vec(arn(), 1..20),
            requests in proptest::collection::vec(arn(), 1..20),
        ) {
            let requests: Vec<String> = requests.into_iter().chain(values.iter().cloned()).collect();
            for op in ["ArnEquals", "ArnLike", "ArnNotLike"] {
                agree(op, &values, &requests)?;
            }
        }
    }

    #[test]
    fn ranges_merge_overlapping_nested_and_touching() {
        assert_eq!(
            merge(vec![(5u32, 9), (0, 2), (3, 4), (7, 8), (11, 12)], |x| x
                .checked_add(1)),
            vec![(0, 9), (11, 12)]
        );
        assert_eq!(
            merge(vec![(0u32, u32::MAX), (5, 6)], |x| x.checked_add(1)),
            vec![(0, u32::MAX)]
        );
        assert!(in_ranges(&[(0u32, 9), (11, 12)], 9));
        assert!(!in_ranges(&[(0u32, 9), (11, 12)], 10));
        assert!(in_ranges(&[(0u32, 9), (11, 12)], 12));
        assert!(!in_ranges(&[(0u32, 9), (11, 12)], 13));
    }
}
