//! Fuzzing by property: the config parser, the CIDR parser and the CIDR file reader take any
//! input without panicking, and every rejection is an error value whose message names the
//! place and says what is wrong. (cargo-fuzz needs a nightly toolchain, which this project's
//! machines do not have; these run on stable in the test suite.)
//!
//! More cases: `FUZZ_CASES=100000 cargo test -p scpctl-core --test fuzz_inputs --release`.

use proptest::prelude::*;
use scpctl_core::cidr::{parse_cidr, parse_cidr_lines, CidrOptions, CidrSet};
use scpctl_core::config::Config;
use scpctl_core::origin::Origin;
use scpctl_core::plan::{same_policy, TargetId};
use scpctl_core::policy::PolicyDocument;

/// Pieces of TOML, right and wrong, that a grammar-less fuzzer would take long to find.
fn toml_piece() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        Just("cidrs"),
        Just("cidr"),
        Just("cidr_files"),
        Just("normalize_host_bits"),
        Just("name"),
        Just("description"),
        Just("exception_tag"),
        Just("key"),
        Just("value"),
        Just("x"),
    ];
    let table = prop_oneof![
        Just("[network]"),
        Just("[policy]"),
        Just("[identity]"),
        Just("[policy.exception_tag]"),
        Just("[[network]]"),
        Just("[network"),
        Just("[]"),
        Just("[other]"),
    ];
    let cidr = prop_oneof![
        Just("192.0.2.0/24".to_string()),
        Just("2001:db8::/32".to_string()),
        Just("0.0.0.0/0".to_string()),
        Just("10.0.0.1/8".to_string()),
        Just("::ffff:1.2.3.4/128".to_string()),
        Just("fe80::1%eth0".to_string()),
        "[0-9a-f:./%]{0,24}",
    ];
    let value = prop_oneof![
        cidr.clone().prop_map(|c| format!("{c:?}")),
        proptest::collection::vec(cidr, 0..6).prop_map(|v| format!("{v:?}")),
        any::<i64>().prop_map(|i| i.to_string()),
        any::<bool>().prop_map(|b| b.to_string()),
        Just("{ key = \"AccessException\", value = \"True\" }".to_string()),
        Just("{ key = \"\", value = \"a,b\" }".to_string()),
        ".{0,20}".prop_map(|s| format!("{s:?}")),
        "[\\[\\]{}=\",]{0,8}",
    ];
    prop_oneof![
        table.prop_map(str::to_string),
        (key, value).prop_map(|(k, v)| format!("{k} = {v}")),
        ".{0,30}",
    ]
}

fn cases() -> u32 {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(512)
}

fn assert_messages<E: std::fmt::Display>(errors: &[E]) {
    assert!(!errors.is_empty(), "an Err holds at least one error");
    for e in errors {
        assert!(
            !e.to_string().trim().is_empty(),
            "every error has a message"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn config_parser_takes_any_text(text in ".{0,300}") {
        if let Err(errors) = Config::parse(&text, "fuzz.toml") {
            assert_messages(&errors);
        }
    }

    #[test]
    fn config_parser_takes_any_mix_of_toml_pieces(pieces in proptest::collection::vec(toml_piece(), 0..12)) {
        let text = pieces.join("\n");
        match Config::parse(&text, "fuzz.toml") {
            Ok(config) => {
                // A parsed config's CIDRs build into a set or into errors, never a panic.
                if let Err(errors) = CidrSet::build(&config.network.cidrs, config.network.options, "fuzz") {
                    assert_messages(&errors);
                    for e in &errors {
                        let m = e.to_string();
                        prop_assert!(m.contains("fuzz"), "error names where: {m}");
                    }
                }
            }
            Err(errors) => {
                assert_messages(&errors);
                for e in &errors {
                    let m = e.to_string();
                    prop_assert!(m.contains("fuzz.toml"), "error names the file: {m}");
                }
            }
        }
    }

    #[test]
    fn cidr_parser_takes_any_bytes_as_text(bytes in proptest::collection::vec(any::<u8>(), 0..48)) {
        let text = String::from_utf8_lossy(&bytes);
        for opts in [CidrOptions::default(), CidrOptions { normalize_host_bits: true }] {
            if let Err(e) = parse_cidr(&text, &Origin::label("fuzz"), opts) {
                prop_assert!(e.to_string().contains("fuzz"));
            }
        }
    }

    #[test]
    fn cidr_files_and_sets_take_any_lines(text in "([0-9a-f:./# \t]{0,20}\n){0,20}") {
        let values = parse_cidr_lines(&text, "fuzz.txt");
        if let Err(errors) = CidrSet::build(&values, CidrOptions::default(), "fuzz.txt") {
            assert_messages(&errors);
        }
    }

    #[test]
    fn deployed_policy_texts_and_target_ids_never_panic(text in ".{0,200}", id in "[a-z0-9-]{0,40}") {
        let _ = PolicyDocument::from_json(&text);
        let _ = same_policy(&text, "{}");
        let _ = TargetId::from_aws(&id);
    }
}
