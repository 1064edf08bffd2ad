use super::*;

fn errs(text: &str) -> Vec<String> {
    Config::parse(text, "scpctl.toml")
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn minimal_config_gets_the_guides_defaults() {
    let c = Config::parse("[network]\ncidrs = [\"192.0.2.0/24\"]\n", "scpctl.toml").unwrap();
    assert_eq!(c.policy.name, "RestrictIAMUserAccessWithExceptions");
    assert_eq!(c.identity.name, "EnterpriseNetworkRestriction");
    assert_eq!(
        c.policy.exception_tag,
        ExceptionTag {
            key: "AccessException".into(),
            value: "True".into()
        }
    );
    assert_eq!(c.network.cidrs.len(), 1);
    assert_eq!(c.network.cidrs[0].origin.to_string(), "scpctl.toml:2:11");
    assert!(!c.network.options.normalize_host_bits);
}

#[test]
fn the_documented_spellings_all_parse() {
    let text = r#"
[policy]
name = "MyPolicy"
description = "Lock legacy users"
exception_tag = { key = "NetException", value = "Yes" }

[identity]
name = "MyFallback"
description = "fallback"

[network]
cidrs = ["192.0.2.0/24", "203.0.113.0/24", "2001:db8:1234::/48"]
cidr_files = ["egress.txt"]
normalize_host_bits = true
"#;
    let c = Config::parse(text, "scpctl.toml").unwrap();
    assert_eq!(c.policy.name, "MyPolicy");
    assert_eq!(c.policy.description.as_deref(), Some("Lock legacy users"));
    assert_eq!(c.policy.exception_tag.key, "NetException");
    assert_eq!(c.identity.name, "MyFallback");
    assert_eq!(c.network.cidrs.len(), 3);
    assert_eq!(c.network.cidr_files[0].value, "egress.txt");
    assert!(c.network.options.normalize_host_bits);
}

#[test]
fn syntax_errors_carry_the_line() {
    let e = errs("[network]\ncidrs = [\"192.0.2.0/24\"\n");
    assert!(e[0].starts_with("scpctl.toml:2:"), "{e:?}");
}

#[test]
fn unknown_keys_are_errors_not_silently_ignored() {
    // A typo such as `cidr` must not leave the list empty without a word.
    let e = errs("[network]\ncidr = [\"192.0.2.0/24\"]\n");
    assert!(
        e[0].starts_with("scpctl.toml:2:1") && e[0].contains("cidr"),
        "{e:?}"
    );
}

#[test]
fn missing_network_table_is_named() {
    let e = errs("[policy]\nname = \"x\"\n");
    assert!(e[0].contains("missing [network] table"), "{e:?}");
}

#[test]
fn bad_names_and_tags_are_all_reported_with_positions() {
    let text = "[policy]\nname = \"\"\nexception_tag = { key = \"aws:x\", value = \"\" }\n[identity]\nname = \"bad name!\"\n[network]\ncidrs=[\"192.0.2.0/24\"]\n";
    let e = errs(text);
    assert_eq!(e.len(), 4, "{e:?}");
    assert!(e[0].starts_with("scpctl.toml:2:8:"), "{e:?}");
    assert!(e[1].contains("aws:"), "{e:?}");
    assert!(e[2].contains("must not be empty"), "{e:?}");
    assert!(
        e[3].starts_with("scpctl.toml:5:") && e[3].contains("bad name!"),
        "{e:?}"
    );
}

#[test]
fn wrong_types_are_reported() {
    let e = errs("[network]\ncidrs = \"192.0.2.0/24\"\n");
    assert!(e[0].starts_with("scpctl.toml:2:"), "{e:?}");
}

#[test]
fn starter_config_parses() {
    let c = Config::parse(STARTER_CONFIG, "starter").unwrap();
    assert!(!c.network.cidrs.is_empty());
}

fn with(more: &str) -> Result<Config, Vec<String>> {
    let text = format!("[network]\ncidrs = [\"192.0.2.0/24\"]\n{more}");
    Config::parse(&text, "scpctl.toml").map_err(|e| e.iter().map(ToString::to_string).collect())
}

fn break_glass(pattern: &str) -> Result<Config, Vec<String>> {
    with(&format!(
        "[break_glass]\nprincipals = [{}]\n",
        toml::Value::String(pattern.into())
    ))
}

#[test]
fn break_glass_patterns_hold_only_what_an_iam_arn_may() {
    for ok in [
        "arn:aws:iam::111122223333:role/BreakGlass",
        "arn:aws:iam::*:role/BreakGlass*",
        "arn:aws-us-gov:iam::1111222233??:user/ops/break.glass+1=x,y@z_w-v",
        "arn:*:iam::*:user/breakglass/*",
    ] {
        assert!(break_glass(ok).is_ok(), "{ok}: {:?}", break_glass(ok).err());
    }
    for c in [
        '$', '{', '}', '%', '#', '!', '&', '(', '|', '\\', '~', '^', '[', ';', '<', '\u{e9}', '"',
        ' ', '\n',
    ] {
        let p = format!("arn:aws:iam::111122223333:role/Break{c}Glass");
        let e = break_glass(&p).unwrap_err();
        assert_eq!(e.len(), 1, "{p:?}: {e:?}");
        assert!(
            e[0].starts_with("scpctl.toml:4:")
                && e[0].contains("[break_glass] principals")
                && e[0].contains(&format!("{c:?}")),
            "{p:?}: {e:?}"
        );
    }
    let e = break_glass("arn:aws:iam::111122223333:user/${aws:username}").unwrap_err();
    assert!(e[0].contains("policy variables"), "{e:?}");
    for bad in [
        "arn:aws:iam::1234:role/x",
        "arn:aws:iam::12345678901$:role/x",
        "arn:evil:iam::111122223333:role/x",
        "arn:aws:iam::111122223333:group/x",
        "arn:aws:iam::111122223333:role/",
        "arn:aws:iam::*:user/*",
        "arn:aws:iam::*:user/*?",
    ] {
        assert!(break_glass(bad).is_err(), "{bad}");
    }
    let long = format!("arn:aws:iam::111122223333:role/{}", "x".repeat(ARN_MAX));
    assert!(break_glass(&long).unwrap_err()[0].contains("at most 2048"));
}

/// Any break-glass list the config accepts renders a console sign-in RCP that passes its
/// self-check: the internal error is never the answer to a user's config.
#[test]
fn every_accepted_break_glass_pattern_renders_the_signin_policy() {
    use crate::cidr::CidrSet;
    use crate::render::{render, Layout, PolicyKind};
    let alphabet: Vec<char> = "abcdefghijklmnopqrstuvwxyz0123456789_+=,.@-/*?"
        .chars()
        .collect();
    // Deterministic pseudo-random names over the whole allowed alphabet, plus the
    // patterns that used to match the self-check's own probe user.
    let mut patterns: Vec<String> = [
        "arn:aws:iam::111122223333:user/probe",
        "arn:aws:iam::*:user/p*",
        "arn:*:iam::*:user/*e",
        "arn:aws:iam::*:user/?????",
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    let mut seed: u64 = 0x5eed;
    for _ in 0..200 {
        let mut name = String::new();
        for _ in 0..(1 + seed % 9) {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            name.push(alphabet[(seed >> 33) as usize % alphabet.len()]);
        }
        patterns.push(format!("arn:aws:iam::*:user/{name}"));
    }
    let mut rendered = 0;
    for p in &patterns {
        let Ok(c) = break_glass(p) else { continue };
        let set = CidrSet::build(&c.network.cidrs, c.network.options, "t")
            .unwrap()
            .set;
        let r = render(&c, &set, PolicyKind::Signin, Layout::Single);
        assert!(r.is_ok(), "{p}: {:?}", r.err());
        rendered += 1;
    }
    assert!(rendered > 150, "only {rendered} patterns were accepted");
    // Many at once (within the RCP's size), one of them using every letter and digit.
    patterns.truncate(40);
    patterns.push("arn:aws:iam::*:user/abcdefghijklmnopqrstuvwxyz0123456789".into());
    let list: Vec<String> = patterns
        .iter()
        .filter(|p| break_glass(p).is_ok())
        .map(|p| toml::Value::String(p.clone()).to_string())
        .collect();
    let c = with(&format!(
        "[break_glass]\nprincipals = [{}]\n",
        list.join(", ")
    ))
    .unwrap();
    let set = CidrSet::build(&c.network.cidrs, c.network.options, "t")
        .unwrap()
        .set;
    let r = render(&c, &set, PolicyKind::Signin, Layout::Single);
    assert!(r.is_ok(), "{:?}", r.err());
}

#[test]
fn topic_arn_must_be_an_sns_topic_arn() {
    let topic = |v: &str| {
        with(&format!(
            "[monitoring]\ntopic_arn = {}\n",
            toml::Value::String(v.into())
        ))
    };
    for ok in [
        "arn:aws:sns:us-east-1:111122223333:alerts",
        "arn:aws-us-gov:sns:us-gov-west-1:111122223333:My_Topic-1.fifo",
        &format!("arn:aws:sns:eu-west-1:111122223333:{}", "t".repeat(256)),
    ] {
        assert_eq!(topic(ok).unwrap().monitoring.topic_arn.as_deref(), Some(ok));
    }
    for bad in [
        "arn:aws:sns:us-east-1:111122223333:al\"erts",
        "arn:aws:sns:us-east-1:111122223333:${x}",
        "arn:aws:sns:us-east-1:1234:alerts",
        "arn:aws:sns:us-east-1:111122223333:",
        "arn:aws:sns:us-east-1:111122223333:.fifo",
        "arn:aws:sns:nowhere:111122223333:alerts",
        "arn:aws:sqs:us-east-1:111122223333:alerts",
        "arn:aws:sns:us-east-1:111122223333:a:b",
        &format!("arn:aws:sns:eu-west-1:111122223333:{}", "t".repeat(257)),
    ] {
        let e = topic(bad).unwrap_err();
        assert!(
            e.len() == 1
                && e[0].contains("[monitoring] topic_arn")
                && e[0].contains("SNS topic ARN"),
            "{bad}: {e:?}"
        );
    }
}

#[test]
fn email_must_be_one_address_within_rfc_5321_sizes() {
    let email = |v: &str| {
        with(&format!(
            "[monitoring]\nemail = {}\n",
            toml::Value::String(v.into())
        ))
    };
    let max_local = format!("{}@example.com", "l".repeat(64));
    for ok in [
        "ops@example.com",
        "a.b+alerts@mail.example.org",
        max_local.as_str(),
    ] {
        assert_eq!(email(ok).unwrap().monitoring.email.as_deref(), Some(ok));
    }
    let long_local = format!("{}@example.com", "l".repeat(5000));
    let long_total = format!("a@{}.com", "d.".repeat(130));
    for bad in [
        "x@y.z,evil@attacker.com",
        "x@y.z evil@attacker.com",
        "\"Ops\" <ops@example.com>",
        "a@b@example.com",
        "no-at-sign",
        "@example.com",
        "ops@localhost",
        "ops@exa_mple.com",
        long_local.as_str(),
        long_total.as_str(),
    ] {
        let e = email(bad).unwrap_err();
        assert!(
            e.len() == 1 && e[0].contains("[monitoring] email"),
            "{bad}: {e:?}"
        );
        assert!(e[0].len() < 300, "the value is cut to an excerpt: {e:?}");
    }
}

#[test]
fn endpoint_owners_parse_sorted_and_count_as_networks() {
    let c = Config::parse(
        "[network]\ncidrs = [\"192.0.2.0/24\"]\nvpce_org_ids = [\"o-zz00000000\", \"o-a1b2c3d4e5\"]\nvpce_accounts = [\"111122223333\"]\n",
        "scpctl.toml",
    )
    .unwrap();
    let opts = &c.network.opt_ins;
    assert_eq!(opts.vpce_org_ids, ["o-a1b2c3d4e5", "o-zz00000000"]);
    assert_eq!(opts.vpce_accounts, ["111122223333"]);
    assert!(opts.has_owners() && opts.has_networks() && opts.any());
    let none = Config::parse("[network]\ncidrs = [\"192.0.2.0/24\"]\n", "scpctl.toml").unwrap();
    assert!(!none.network.opt_ins.has_owners() && !none.network.opt_ins.any());
}

#[test]
fn bad_or_repeated_endpoint_owners_are_all_reported_with_positions() {
    let e = errs(
        "[network]\ncidrs = [\"192.0.2.0/24\"]\nvpce_org_ids = [\"o-a1b2c3d4e5\", \"o-ABC1234567\", \"o-short\", \"r-a1b2c3d4e5\", \"o-a1b2c3d4e5\"]\nvpce_accounts = [\"11112222333\", \"111122223333\", \"111122223333\", \"1111-2222-3333\"]\n",
    );
    assert_eq!(e.len(), 7, "{e:?}");
    // Each names the file, line and column of the value, the key and the value.
    assert!(
        e[0].contains("scpctl.toml:3:34")
            && e[0].contains("[network] vpce_org_ids")
            && e[0].contains("o-ABC1234567"),
        "{e:?}"
    );
    assert!(
        e[1].contains("o-short") && e[2].contains("r-a1b2c3d4e5"),
        "{e:?}"
    );
    assert!(
        e[3].contains("listed twice") && e[3].contains("first at scpctl.toml:3:18"),
        "{e:?}"
    );
    assert!(
        e[4].contains("scpctl.toml:4:19")
            && e[4].contains("[network] vpce_accounts")
            && e[4].contains("11112222333")
            && e[4].contains("12 digits"),
        "{e:?}"
    );
    assert!(
        e[5].contains("listed twice") && e[5].contains("111122223333"),
        "{e:?}"
    );
    assert!(e[6].contains("1111-2222-3333"), "{e:?}");
    // A wrong type names the key.
    let e = errs("[network]\ncidrs = [\"192.0.2.0/24\"]\nvpce_accounts = [111122223333]\n");
    assert!(e[0].contains("vpce_accounts"), "{e:?}");
}
