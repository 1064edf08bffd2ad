use super::*;

fn keys() -> ExceptionKeys {
    ExceptionKeys::new(&ExceptionTag::default())
}

fn tags(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn date(s: &str) -> Date {
    Date::parse(s).unwrap()
}

fn grant(reason: Option<&str>, expires: Option<&str>) -> Grant {
    Grant {
        reason: reason.map(str::to_string),
        expires: expires.map(date),
        granted_by: "arn:aws:iam::123456789012:user/admin".into(),
        today: date("2026-11-22"),
    }
}

#[test]
fn dates_parse_strictly_and_convert_from_unix_days() {
    assert_eq!(date("2024-02-29").to_string(), "2024-02-29");
    for bad in [
        "2023-02-29",
        "2026-13-01",
        "2026-00-10",
        "2026-1-01",
        "26-01-01",
        "2026/01/01",
        "2026-01-+1",
        "",
    ] {
        assert!(Date::parse(bad).is_none(), "{bad}");
    }
    assert_eq!(Date::from_unix_days(0).to_string(), "1970-01-01");
    assert_eq!(Date::from_unix_days(11_016).to_string(), "2000-02-29");
    assert_eq!(Date::from_unix_days(20_414).to_string(), "2025-11-22");
    assert_eq!(Date::from_unix_days(-1).to_string(), "1969-12-31");
    // Round trip over a long span, day by day.
    let mut prev = Date::from_unix_days(-800);
    for d in -799..200_000 {
        let cur = Date::from_unix_days(d);
        assert!(cur > prev, "{prev} then {cur}");
        assert_eq!(Date::parse(&cur.to_string()), Some(cur));
        prev = cur;
    }
}

#[test]
fn grant_sets_the_exact_tag_and_companions_and_keeps_other_tags() {
    let current = tags(&[("team", "payments"), ("AccessException", "true")]);
    let change = plan_grant(
        "svc",
        &current,
        &keys(),
        &grant(Some("legacy app: ticket SEC-42"), Some("2026-12-31")),
    )
    .unwrap();
    assert_eq!(
        change.set,
        tags(&[
            ("AccessException", "True"),
            ("AccessExceptionReason", "legacy app: ticket SEC-42"),
            ("AccessExceptionExpires", "2026-12-31"),
            (
                "AccessExceptionGrantedBy",
                "arn:aws:iam::123456789012:user/admin"
            ),
            ("AccessExceptionGrantedAt", "2026-11-22"),
        ])
    );
    assert!(change.remove.is_empty(), "team tag kept");
}

#[test]
fn repeating_the_same_grant_writes_nothing() {
    let g = grant(Some("why"), None);
    let first = plan_grant("svc", &[], &keys(), &g).unwrap();
    let after: Vec<(String, String)> = first.set.clone();
    let mut later = g.clone();
    later.today = date("2026-12-01");
    assert!(plan_grant("svc", &after, &keys(), &later)
        .unwrap()
        .is_empty());
}

#[test]
fn a_regrant_without_expiry_drops_the_old_expiry_and_reason() {
    let current = tags(&[
        ("AccessException", "True"),
        ("AccessExceptionReason", "old"),
        ("AccessExceptionExpires", "2026-12-01"),
        (
            "AccessExceptionGrantedBy",
            "arn:aws:iam::123456789012:user/admin",
        ),
        ("AccessExceptionGrantedAt", "2026-01-01"),
    ]);
    let change = plan_grant("svc", &current, &keys(), &grant(None, None)).unwrap();
    assert_eq!(
        change.remove,
        ["AccessExceptionReason", "AccessExceptionExpires"]
    );
    assert_eq!(
        change.set,
        tags(&[("AccessExceptionGrantedAt", "2026-11-22")])
    );
}

#[test]
fn values_iam_cannot_store_are_refused_naming_the_value() {
    let e = plan_grant("svc", &[], &keys(), &grant(Some("needs, commas"), None)).unwrap_err();
    assert!(
        e.to_string().contains("\"needs, commas\"") && e.to_string().contains("','"),
        "{e}"
    );
    let long = "x".repeat(257);
    assert!(plan_grant("svc", &[], &keys(), &grant(Some(&long), None)).is_err());
    let e = plan_grant("svc", &[], &keys(), &grant(None, Some("2026-11-21"))).unwrap_err();
    assert!(matches!(e, ExceptionError::PastDate { .. }));
    // Today is still valid: the exception holds through its expiry date.
    assert!(plan_grant("svc", &[], &keys(), &grant(None, Some("2026-11-22"))).is_ok());
    let long_key = ExceptionKeys::new(&ExceptionTag {
        key: "K".repeat(120),
        value: "True".into(),
    });
    assert!(matches!(
        plan_grant("svc", &[], &long_key, &grant(None, None)),
        Err(ExceptionError::BadKey { .. })
    ));
}

#[test]
fn the_fifty_tag_limit_is_checked_before_calling() {
    let mut current: Vec<(String, String)> =
        (0..47).map(|i| (format!("k{i}"), "v".into())).collect();
    let e = plan_grant("svc", &current, &keys(), &grant(Some("r"), None)).unwrap_err();
    assert!(
        e.to_string().contains("47 tags") && e.to_string().contains("Remove 1"),
        "{e}"
    );
    assert!(
        plan_grant("svc", &current, &keys(), &grant(None, None)).is_ok(),
        "47 + 3 = 50 fits"
    );
    current.truncate(46);
    assert!(plan_grant("svc", &current, &keys(), &grant(Some("r"), None)).is_ok());
}

#[test]
fn revoke_removes_the_exception_its_companions_and_near_miss_keys_only() {
    let current = tags(&[
        ("team", "x"),
        ("AccessException", "True"),
        ("AccessExceptionReason", "r"),
        ("accessexception", "true"),
    ]);
    let change = plan_revoke(&current, &keys());
    assert_eq!(
        change.remove,
        [
            "AccessException",
            "AccessExceptionReason",
            "accessexception"
        ]
    );
    assert!(plan_revoke(&tags(&[("team", "x")]), &keys()).is_empty());
}

#[test]
fn inspect_reports_grants_expiry_and_near_misses() {
    let today = date("2026-11-22");
    let info = inspect(
        &tags(&[
            ("AccessException", "True"),
            ("AccessExceptionExpires", "2026-11-21"),
        ]),
        &keys(),
        today,
    )
    .unwrap();
    assert!(info.granted && info.expired && info.warning.is_none());
    let info = inspect(
        &tags(&[
            ("AccessException", "True"),
            ("AccessExceptionExpires", "2026-11-22"),
        ]),
        &keys(),
        today,
    )
    .unwrap();
    assert!(!info.expired);

    for (k, v) in [
        ("AccessException", "true"),
        ("AccessException", " True"),
        ("AccessException", "TRUE"),
        ("accessException", "true"),
    ] {
        let info = inspect(&tags(&[(k, v)]), &keys(), today).unwrap();
        assert!(!info.granted, "{k}={v}");
        assert!(info.warning.unwrap().contains("case-sensitively"));
    }
    assert!(inspect(&tags(&[("AccessException", "False")]), &keys(), today).is_none());
    assert!(inspect(&tags(&[("team", "True")]), &keys(), today).is_none());
    let info = inspect(
        &tags(&[
            ("AccessException", "True"),
            ("AccessExceptionExpires", "soon"),
        ]),
        &keys(),
        today,
    )
    .unwrap();
    assert!(info.granted && !info.expired && info.warning.unwrap().contains("not a YYYY-MM-DD"));
}

// IAM compares tag keys ignoring case (`crate::tags::same_key`): moto does not, so IAM's rule is tested
// here, on the pure functions.

#[test]
fn a_key_in_another_case_holds_the_exception_and_its_companions_are_read() {
    let today = date("2026-11-22");
    let info = inspect(
        &tags(&[
            ("accessexception", "True"),
            ("ACCESSEXCEPTIONREASON", "batch"),
            ("accessExceptionExpires", "2026-11-21"),
        ]),
        &keys(),
        today,
    )
    .unwrap();
    assert!(info.granted, "{info:?}");
    assert_eq!(info.key, "accessexception");
    assert_eq!(info.reason.as_deref(), Some("batch"));
    assert!(info.expired && info.warning.is_none(), "{info:?}");
    // A key that differs in spacing is another key to IAM: a near miss, denied.
    let info = inspect(&tags(&[("Access Exception", "True")]), &keys(), today).unwrap();
    assert!(!info.granted);
    assert!(info.warning.unwrap().contains("statement 1 denies"));
    // The value still compares case-sensitively, whatever the key's case.
    let info = inspect(&tags(&[("accessexception", "true")]), &keys(), today).unwrap();
    assert!(!info.granted);
    assert!(info
        .warning
        .unwrap()
        .contains("values compare case-sensitively"));
}

#[test]
fn grant_writes_the_users_own_spelling_and_never_untags_a_key_it_sets() {
    let current = tags(&[
        ("team", "x"),
        ("accessexception", "true"),
        ("ACCESSEXCEPTIONREASON", "old"),
        ("accessexceptionexpires", "2026-12-01"),
    ]);
    let change = plan_grant("svc", &current, &keys(), &grant(Some("new"), None)).unwrap();
    assert_eq!(
        change.set,
        tags(&[
            ("accessexception", "True"),
            ("ACCESSEXCEPTIONREASON", "new"),
            (
                "AccessExceptionGrantedBy",
                "arn:aws:iam::123456789012:user/admin"
            ),
            ("AccessExceptionGrantedAt", "2026-11-22"),
        ])
    );
    assert_eq!(change.remove, ["accessexceptionexpires"]);
}

#[test]
fn a_repeated_grant_over_other_spellings_writes_nothing() {
    let current = tags(&[
        ("accessexception", "True"),
        ("accessexceptionreason", "why"),
        (
            "ACCESSEXCEPTIONGRANTEDBY",
            "arn:aws:iam::123456789012:user/admin",
        ),
        ("accessexceptiongrantedat", "2026-01-01"),
    ]);
    assert!(
        plan_grant("svc", &current, &keys(), &grant(Some("why"), None))
            .unwrap()
            .is_empty()
    );
}

/// Over every mix of spellings a user may hold (several at once only in a case-sensitive
/// store), a grant sets each key once, in a spelling the user has when it has one, and removes
/// no key matching a key it sets; a revoke removes every spelling.
#[test]
fn grant_and_revoke_respect_iams_key_rule_over_every_spelling() {
    use crate::tags::same_key;
    let k = keys();
    let spellings = |key: &str| {
        [
            None,
            Some(key.to_string()),
            Some(key.to_lowercase()),
            Some(key.to_uppercase()),
        ]
    };
    let mut seen = 0;
    for ex in spellings(&k.exception) {
        for reason in spellings(&k.reason) {
            for expires in spellings(&k.expires) {
                for at in spellings(&k.granted_at) {
                    for value in ["True", "true"] {
                        let current: Vec<(String, String)> = [
                            ex.clone().map(|s| (s, value.to_string())),
                            reason.clone().map(|s| (s, "r".to_string())),
                            expires.clone().map(|s| (s, "2026-12-31".to_string())),
                            at.clone().map(|s| (s, "2026-01-01".to_string())),
                            Some(("team".to_string(), "x".to_string())),
                        ]
                        .into_iter()
                        .flatten()
                        .collect();
                        for g in [grant(None, None), grant(Some("r2"), Some("2026-12-31"))] {
                            let change = plan_grant("svc", &current, &k, &g).unwrap();
                            for (i, (key, _)) in change.set.iter().enumerate() {
                                assert!(
                                    !change.remove.iter().any(|r| same_key(r, key)),
                                    "{current:?}: {change:?}"
                                );
                                assert!(
                                    !change.set[..i].iter().any(|(e, _)| same_key(e, key)),
                                    "{change:?}"
                                );
                                if let Some((spelling, _)) = find_tag(&current, key) {
                                    assert_eq!(spelling, key, "{current:?}: {change:?}");
                                }
                            }
                            seen += 1;
                        }
                        let revoke = plan_revoke(&current, &k);
                        assert_eq!(revoke.remove.len(), current.len() - 1, "{current:?}");
                    }
                }
            }
        }
    }
    assert_eq!(seen, 4 * 4 * 4 * 4 * 2 * 2);
}

#[test]
fn the_fifty_tag_limit_counts_keys_ignoring_case() {
    // The user already holds the exception under another spelling: a grant adds only the
    // granted-by and granted-at tags.
    let mut current: Vec<(String, String)> =
        (0..47).map(|i| (format!("k{i}"), "v".into())).collect();
    current.push(("accessexception".into(), "True".into()));
    assert!(
        plan_grant("svc", &current, &keys(), &grant(None, None)).is_ok(),
        "48 + 2 = 50 fits"
    );
    // Keys differing only in case (a case-sensitive store) are one tag to IAM.
    let mut current: Vec<(String, String)> =
        (0..47).map(|i| (format!("k{i}"), "v".into())).collect();
    current.extend((0..3).map(|i| (format!("K{i}"), "v".into())));
    assert!(
        plan_grant("svc", &current, &keys(), &grant(None, None)).is_ok(),
        "47 + 3 = 50 fits"
    );
}

#[test]
fn revoke_removes_every_spelling_of_the_exception_and_companions() {
    let current = tags(&[
        ("accessexception", "True"),
        ("ACCESSEXCEPTIONEXPIRES", "2026-01-01"),
        ("team", "x"),
    ]);
    assert_eq!(
        plan_revoke(&current, &keys()).remove,
        ["accessexception", "ACCESSEXCEPTIONEXPIRES"]
    );
}

#[test]
fn expires_takes_a_date_or_a_number_of_days_from_today() {
    let today = date("2026-11-22");
    let parse = |v: &str| Date::parse_expires(v, today);
    assert_eq!(parse("2026-12-31").unwrap(), date("2026-12-31"));
    assert_eq!(parse("0d").unwrap(), today);
    assert_eq!(parse("30d").unwrap(), date("2026-12-22"));
    assert_eq!(parse("100d").unwrap(), date("2027-03-02"));
    assert_eq!(
        Date::parse_expires("1d", date("2028-02-28")).unwrap(),
        date("2028-02-29")
    );
    for bad in [
        "d",
        "30",
        "-5d",
        "+5d",
        "30D",
        "3.5d",
        "30 d",
        "12w",
        "99999999d",
        "3000000d",
        "",
    ] {
        let e = parse(bad).unwrap_err();
        assert!(
            matches!(&e, ExceptionError::BadDate { value } if value == bad)
                && e.to_string().contains("30d"),
            "{bad}: {e}"
        );
    }
    for d in [-800_i64, 0, 11_016, 20_414, 2_932_896] {
        assert_eq!(Date::from_unix_days(d).to_unix_days(), d);
    }
}
