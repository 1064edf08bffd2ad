//! Set operators and multivalued keys ([SETS] IAM User Guide, "Set operators for multivalued
//! context keys" and "Multivalued context key examples"), missing and empty keys included.

use super::{check_request_value, is_multivalued};
use crate::eval::tests::{ctx, denied};
use crate::eval::{evaluate, RequestContext};

/// `None`: key absent; `Some(&[])`: present with no value.
type Row = (
    &'static str,
    &'static str,
    Option<&'static [&'static str]>,
    bool,
);

fn request(values: Option<&[&str]>) -> RequestContext {
    match values {
        Some(v) => ctx().with_values("aws:TagKeys", v),
        None => ctx(),
    }
}

fn check(rows: &[Row]) {
    for (op, values, req, expected) in rows {
        let cond = format!(r#"{{"{op}":{{"aws:TagKeys":{values}}}}}"#);
        assert_eq!(
            denied(&cond, &request(*req)),
            *expected,
            "{cond} with {req:?}"
        );
    }
}

#[test]
fn for_all_values() {
    check(&[
        // "ForAllValues ... also returns true if there are no context keys in the request".
        ("ForAllValues:StringEquals", r#"["a","b"]"#, None, true),
        ("ForAllValues:StringEquals", r#"["a","b"]"#, Some(&[]), true),
        (
            "ForAllValues:StringEquals",
            r#"["a","b"]"#,
            Some(&["a"]),
            true,
        ),
        (
            "ForAllValues:StringEquals",
            r#"["a","b"]"#,
            Some(&["b", "a"]),
            true,
        ),
        (
            "ForAllValues:StringEquals",
            r#"["a","b"]"#,
            Some(&["a", "c"]),
            false,
        ),
        // The guide's deny example: ForAllValues:StringNotLike aws:TagKeys "key1*".
        (
            "ForAllValues:StringNotLike",
            r#""key1*""#,
            Some(&["key1:legal"]),
            false,
        ),
        (
            "ForAllValues:StringNotLike",
            r#""key1*""#,
            Some(&["key1:hr", "key1:personnel"]),
            false,
        ),
        (
            "ForAllValues:StringNotLike",
            r#""key1*""#,
            Some(&["key2:audit"]),
            true,
        ),
        ("ForAllValues:StringNotLike", r#""key1*""#, None, true),
    ]);
}

#[test]
fn for_any_value() {
    check(&[
        // ForAnyValue does not match a missing (or empty) key.
        ("ForAnyValue:StringEquals", r#"["a","b"]"#, None, false),
        ("ForAnyValue:StringEquals", r#"["a","b"]"#, Some(&[]), false),
        (
            "ForAnyValue:StringEquals",
            r#"["a","b"]"#,
            Some(&["c", "a"]),
            true,
        ),
        (
            "ForAnyValue:StringEquals",
            r#"["a","b"]"#,
            Some(&["c"]),
            false,
        ),
        // Negated inner operator: some request value is none of the listed values.
        (
            "ForAnyValue:StringNotEquals",
            r#"["a","b"]"#,
            Some(&["a"]),
            false,
        ),
        (
            "ForAnyValue:StringNotEquals",
            r#"["a","b"]"#,
            Some(&["a", "x"]),
            true,
        ),
        ("ForAnyValue:StringNotEquals", r#"["a","b"]"#, None, false),
        (
            "ForAnyValue:StringNotEquals",
            r#"["a","b"]"#,
            Some(&[]),
            false,
        ),
        // IfExists: a missing key matches.
        ("ForAnyValue:StringEqualsIfExists", r#""a""#, None, true),
        (
            "ForAnyValue:StringLike",
            r#""team-*""#,
            Some(&["x", "team-blue"]),
            true,
        ),
    ]);
}

#[test]
fn several_values_for_a_bare_operator_do_not_match_and_say_why() {
    check(&[
        ("StringEquals", r#""a""#, Some(&["a"]), true),
        ("StringEquals", r#""a""#, Some(&["a", "b"]), false),
        ("StringNotEquals", r#""c""#, Some(&["a", "b"]), false),
        ("StringNotEquals", r#""c""#, Some(&[]), true),
    ]);
    let d = evaluate(
        &crate::eval::tests::policy(r#"{"StringEquals":{"aws:TagKeys":"a"}}"#),
        &request(Some(&["a", "b"])),
    )
    .unwrap();
    let note = d.notes.join("\n");
    assert!(
        note.contains("needs ForAnyValue: or ForAllValues:") && note.contains("observed in AWS"),
        "{note}"
    );
}

#[test]
fn typed_request_values() {
    assert!(check_request_value("aws:SourceIp", "192.0.2.1").is_ok());
    assert!(check_request_value("AWS:SOURCEIP", "2001:db8::1").is_ok());
    let e = check_request_value("aws:SourceIp", "abc").unwrap_err();
    assert!(e.contains("\"abc\"") && e.contains("an IP address"), "{e}");
    assert!(check_request_value("aws:CurrentTime", "2026-01-01T00:00:00Z").is_ok());
    assert!(check_request_value("aws:CurrentTime", "noon").is_err());
    assert!(check_request_value("aws:MultiFactorAuthAge", "x").is_err());
    assert!(check_request_value("aws:ViaAWSService", "yes").is_err());
    assert!(check_request_value("aws:PrincipalArn", "role/x").is_err());
    assert!(check_request_value("aws:PrincipalTag/team", "anything").is_ok());
    assert!(is_multivalued("aws:TagKeys") && !is_multivalued("aws:SourceIp"));
    // The endpoint owner's OU paths are a list; its organization and account are one value.
    assert!(is_multivalued("aws:VpceOrgPaths") && is_multivalued("AWS:VPCEORGPATHS"));
    assert!(!is_multivalued("aws:VpceOrgID") && !is_multivalued("aws:VpceAccount"));
}
