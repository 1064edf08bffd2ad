//! The rendered policy, read back from its JSON text and evaluated, denies a tagged IAM user
//! exactly when the source address is outside the configured networks. This catches any lossy
//! aggregation or encoding in the renderer (e.g. a dropped /32 on IPv6, a bad merge).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;
use scpctl_core::cidr::{CidrOptions, CidrSet, SourcedValue};
use scpctl_core::config::Config;
use scpctl_core::eval::{evaluate, RequestContext};
use scpctl_core::origin::Origin;
use scpctl_core::policy::PolicyDocument;
use scpctl_core::render::{render, Layout, PolicyKind, SID_OUTSIDE_NETWORK};
use scpctl_core::scenario::{scenario, RequestSpec};

fn config() -> Config {
    Config::parse("[network]\ncidrs = [\"192.0.2.0/24\"]\n", "t.toml").unwrap()
}

/// Networks and probe addresses inside 10.0.0.0/22 and 2001:db8::/118 (1,024 addresses each),
/// so probes often fall inside, outside and on the edges of the ranges.
fn v4_net() -> impl Strategy<Value = String> {
    (0u32..1024, 22u8..=32).prop_map(|(h, p)| {
        let n = ipnet::Ipv4Net::new(Ipv4Addr::from(0x0a00_0000 | h), p)
            .unwrap()
            .trunc();
        if p == 32 {
            n.addr().to_string()
        } else {
            n.to_string()
        }
    })
}

fn v6_net() -> impl Strategy<Value = String> {
    (0u128..1024, 118u8..=128).prop_map(|(h, p)| {
        let base = u128::from("2001:db8::".parse::<Ipv6Addr>().unwrap());
        ipnet::Ipv6Net::new(Ipv6Addr::from(base | h), p)
            .unwrap()
            .trunc()
            .to_string()
    })
}

fn probe() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        (0u32..1100).prop_map(|h| IpAddr::V4(Ipv4Addr::from(0x0a00_0000 | h))),
        (0u128..1100).prop_map(|h| {
            let base = u128::from("2001:db8::".parse::<Ipv6Addr>().unwrap());
            IpAddr::V6(Ipv6Addr::from(base | h))
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn tagged_user_is_denied_exactly_outside_the_set(
        nets in proptest::collection::vec(prop_oneof![v4_net(), v6_net()], 1..30),
        probes in proptest::collection::vec(probe(), 1..40),
    ) {
        let values: Vec<SourcedValue> = nets.iter().map(|n| SourcedValue::new(n.clone(), Origin::label("p"))).collect();
        let built = CidrSet::build(&values, CidrOptions::default(), "p").unwrap();
        let config = config();
        for kind in [PolicyKind::Scp, PolicyKind::Identity] {
            let docs = render(&config, &built.set, kind, Layout::Single).unwrap();
            // Evaluate what AWS would receive: the compact text, parsed afresh.
            let policy = PolicyDocument::from_json(&docs[0].compact).unwrap();
            for ip in &probes {
                let inside = values.iter().any(|v| v.value.parse::<ipnet::IpNet>().map(|n| n.contains(ip))
                    .unwrap_or_else(|_| v.value.parse::<IpAddr>().unwrap() == *ip));
                let mut req = RequestSpec::new("User");
                req.tags.push(("AccessException".into(), "True".into()));
                req.source_ip = Some(*ip);
                let d = evaluate(&policy, &req.context()).unwrap();
                prop_assert_eq!(d.denied, !inside, "{:?} {} {:?}", kind, ip, nets);
                // A bare IPv6 value would mean /32 to IAM: the renderer must never emit one.
                prop_assert!(d.notes.is_empty(), "{:?}", d.notes);
                if kind == PolicyKind::Scp && !inside {
                    prop_assert_eq!(d.statement.as_deref(), Some(SID_OUTSIDE_NETWORK));
                }
            }
        }
    }
}

/// The guide's scenario, row by row, against the rendered seed policy: every row's decision
/// and deciding statement are what the guide says.
#[test]
fn seed_scenario_table() {
    let opt_ins = "vpcs = [{ id = \"vpc-0a1b2c3d\", regions = [\"eu-west-1\", \"eu-central-1\"] }, { id = \"vpc-11112222\", regions = [\"us-east-1\"] }]\nvpc_endpoints = [\"vpce-0a1b2c3d4e5f67890\"]\n";
    for (cidrs, extra) in [
        (
            "[\"192.0.2.0/24\", \"203.0.113.0/24\", \"2001:db8:1234::/48\"]",
            String::new(),
        ),
        ("[\"198.51.100.7\"]", String::new()),
        ("[\"2001:db8::/32\"]", String::new()),
        ("[\"192.0.2.0/24\"]", opt_ins.to_string()),
        (
            "[\"192.0.2.0/24\"]",
            format!("{opt_ins}exempt_vpc_resident_actions = true\n"),
        ),
        (
            "[\"192.0.2.0/24\"]",
            "exempt_vpc_resident_actions = true\n".to_string(),
        ),
    ] {
        let config = Config::parse(&format!("[network]\ncidrs = {cidrs}\n{extra}"), "t").unwrap();
        let set = CidrSet::build(&config.network.cidrs, config.network.options, "t")
            .unwrap()
            .set;
        for kind in [PolicyKind::Scp, PolicyKind::Identity] {
            let docs = render(&config, &set, kind, Layout::Single).unwrap();
            let policy = PolicyDocument::from_json(&docs[0].compact).unwrap();
            let cases = scenario(
                kind,
                &config.policy.exception_tag,
                &set,
                &config.network.opt_ins,
            );
            assert!(cases.len() >= 5);
            for case in cases {
                let d = evaluate(&policy, &case.request.context()).unwrap();
                assert_eq!(
                    d.statement.as_deref(),
                    case.expected.as_deref(),
                    "{cidrs} {kind:?}: {} ({})",
                    case.title,
                    case.source
                );
            }
        }
    }
}

/// A negated operator and its positive form, the key they test, policy values and a request
/// value of the operator's type (small alphabets so values often match).
fn operator_case() -> impl Strategy<
    Value = (
        &'static str,
        &'static str,
        &'static str,
        Vec<String>,
        String,
    ),
> {
    let word = || "[ab*?]{0,4}";
    let string_ops = prop_oneof![
        Just(("StringEquals", "StringNotEquals")),
        Just(("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase")),
        Just(("StringLike", "StringNotLike")),
    ];
    let strings = (
        string_ops,
        proptest::collection::vec(
            prop_oneof![
                word().boxed(),
                Just("${aws:username}".to_string()).boxed(),
                Just("a${*}".to_string()).boxed()
            ],
            1..4,
        ),
        "[aAbB*]{0,4}",
    )
        .prop_map(|((p, n), vals, req)| (p, n, "aws:PrincipalTag/team", vals, req));
    let numbers = (proptest::collection::vec(0u32..5, 1..4), 0u32..5).prop_map(|(vals, req)| {
        (
            "NumericEquals",
            "NumericNotEquals",
            "aws:MultiFactorAuthAge",
            vals.iter().map(u32::to_string).collect(),
            req.to_string(),
        )
    });
    let dates = (proptest::collection::vec(0u32..4, 1..4), 0u32..4).prop_map(|(vals, req)| {
        (
            "DateEquals",
            "DateNotEquals",
            "aws:CurrentTime",
            vals.iter()
                .map(|d| format!("2026-01-0{}T00:00:00Z", d + 1))
                .collect(),
            (1_767_225_600 + u64::from(req) * 86_400).to_string(),
        )
    });
    let ips =
        (proptest::collection::vec((0u8..4, 30u8..=32), 1..4), 0u8..8).prop_map(|(nets, host)| {
            (
                "IpAddress",
                "NotIpAddress",
                "aws:SourceIp",
                nets.iter()
                    .map(|(h, p)| {
                        ipnet::Ipv4Net::new(Ipv4Addr::new(10, 0, 0, *h), *p)
                            .unwrap()
                            .trunc()
                            .to_string()
                    })
                    .collect(),
                format!("10.0.0.{host}"),
            )
        });
    let arns = (
        prop_oneof![
            Just(("ArnLike", "ArnNotLike")),
            Just(("ArnEquals", "ArnNotEquals"))
        ],
        proptest::collection::vec(("[ab*]{1,2}", "[ab*?/]{1,4}"), 1..3),
        ("[ab]{1,2}", "[ab/:]{1,4}"),
    )
        .prop_map(|((p, n), vals, (acct, res))| {
            (
                p,
                n,
                "aws:PrincipalArn",
                vals.iter()
                    .map(|(a, r)| format!("arn:aws:iam::{a}:{r}"))
                    .collect(),
                format!("arn:aws:iam::{acct}:{res}"),
            )
        });
    prop_oneof![strings, numbers, dates, ips, arns]
}

fn deny_when(op: &str, key: &str, values: &[String]) -> PolicyDocument {
    let doc = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Sid": "S", "Effect": "Deny", "Action": "*", "Resource": "*",
                       "Condition": {op: {key: values}}}],
    });
    PolicyDocument::from_value(&doc).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// IAM User Guide, "Conditions with multiple context keys or values": a negated operator is
    /// the NOR of its values, so on a present single-valued key it is exactly the complement of
    /// its positive form (variables with no value included: the positive form does not match,
    /// the negated one does). The IfExists forms agree on present keys.
    #[test]
    fn negated_operator_is_the_complement_on_present_keys(
        (pos, neg, key, values, request) in operator_case(),
        username in proptest::option::of("[ab]{1,2}"),
    ) {
        let mut ctx = RequestContext::new("s3:GetObject").with(key, request.clone());
        if let Some(u) = &username {
            ctx = ctx.with("aws:username", u.clone());
        }
        for suffix in ["", "IfExists"] {
            let p = evaluate(&deny_when(&format!("{pos}{suffix}"), key, &values), &ctx).unwrap();
            let n = evaluate(&deny_when(&format!("{neg}{suffix}"), key, &values), &ctx).unwrap();
            prop_assert_eq!(p.denied, !n.denied, "{}{} / {} {:?} vs {:?}", pos, suffix, neg, values, request);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any operator name, key, policy value and request value: an answer or an error naming
    /// the statement, never a panic.
    #[test]
    fn any_condition_and_request_is_an_answer_or_an_error(
        op in prop_oneof![
            Just("StringLike".to_string()), Just("ArnLike".to_string()), Just("DateLessThan".to_string()),
            Just("NumericGreaterThanIfExists".to_string()), Just("BinaryEquals".to_string()),
            Just("ForAllValues:StringNotLike".to_string()), Just("IpAddress".to_string()),
            "(ForAnyValue:)?[A-Za-z]{0,12}(IfExists)?",
        ],
        key in prop_oneof![Just("aws:SourceIp".to_string()), Just("aws:CurrentTime".to_string()), "\\PC{0,12}"],
        values in proptest::collection::vec("\\PC{0,16}|\\$\\{[a-z:, ']{0,10}\\}?", 1..4),
        resource in proptest::option::of("\\PC{0,24}"),
        requests in proptest::collection::vec("\\PC{0,20}", 0..3),
    ) {
        let doc = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{"Sid": "S", "Effect": "Deny", "Action": "*",
                           "Resource": resource.clone().unwrap_or_else(|| "*".into()),
                           "Condition": {op.clone(): {key.clone(): values}}}],
        });
        let Ok(policy) = PolicyDocument::from_value(&doc) else { return Ok(()) };
        let mut ctx = RequestContext::new("s3:GetObject").with("aws:username", "a");
        for r in &requests {
            ctx = ctx.with(&key, r.clone());
        }
        if let Some(r) = &resource {
            ctx = ctx.with_resource(r.clone());
        }
        match evaluate(&policy, &ctx) {
            Ok(_) => {}
            Err(e) => prop_assert!(e.to_string().contains("statement S"), "{}", e),
        }
    }
}
