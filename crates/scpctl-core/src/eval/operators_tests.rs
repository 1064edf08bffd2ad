//! One table per operator family: (operator, policy values, request value or absent, matches).
//! Each follows IAM User Guide, "IAM JSON policy elements: Condition operators" ([OPS]).

use crate::eval::tests::{ctx, denied, error};

type Row = (&'static str, &'static str, Option<&'static str>, bool);

fn check(key: &str, rows: &[Row]) {
    for (op, values, request, expected) in rows {
        let c = match request {
            Some(v) => ctx().with(key, *v),
            None => ctx(),
        };
        let cond = format!(r#"{{"{op}":{{"{key}":{values}}}}}"#);
        assert_eq!(denied(&cond, &c), *expected, "{cond} with {request:?}");
    }
}

// [OPS] "String condition operators"; a missing key matches only negated operators ([ELEM]).
#[test]
fn string_operators() {
    check(
        "aws:PrincipalTag/team",
        &[
            ("StringEquals", r#""blue""#, Some("blue"), true),
            ("StringEquals", r#""blue""#, Some("Blue"), false),
            ("StringEquals", r#""bl*""#, Some("blue"), false),
            ("StringEquals", r#""bl*""#, Some("bl*"), true),
            ("StringEquals", r#""blue""#, None, false),
            ("StringNotEquals", r#""blue""#, Some("red"), true),
            ("StringNotEquals", r#""blue""#, Some("blue"), false),
            ("StringNotEquals", r#""blue""#, None, true),
            ("StringEqualsIgnoreCase", r#""BLUE""#, Some("blue"), true),
            ("StringEqualsIgnoreCase", r#""BLUE""#, None, false),
            (
                "StringNotEqualsIgnoreCase",
                r#""BLUE""#,
                Some("blue"),
                false,
            ),
            ("StringNotEqualsIgnoreCase", r#""BLUE""#, Some("red"), true),
            ("StringNotEqualsIgnoreCase", r#""BLUE""#, None, true),
            ("StringLike", r#""b*e""#, Some("blue"), true),
            ("StringLike", r#""b?e""#, Some("blue"), false),
            ("StringLike", r#""B*""#, Some("blue"), false),
            ("StringLike", r#""*""#, None, false),
            ("StringNotLike", r#"["r*","g*"]"#, Some("blue"), true),
            ("StringNotLike", r#"["r*","b*"]"#, Some("blue"), false),
            ("StringNotLike", r#""*""#, None, true),
        ],
    );
}

// [OPS] "Numeric condition operators".
#[test]
fn numeric_operators() {
    check(
        "aws:MultiFactorAuthAge",
        &[
            ("NumericEquals", r#""3600""#, Some("3600"), true),
            ("NumericEquals", "3600", Some("3600.0"), true),
            ("NumericEquals", r#""3600""#, Some("10"), false),
            ("NumericEquals", r#""3600""#, None, false),
            ("NumericNotEquals", r#""3600""#, Some("10"), true),
            ("NumericNotEquals", r#""3600""#, Some("3600"), false),
            ("NumericNotEquals", r#""3600""#, None, true),
            ("NumericLessThan", r#""3600""#, Some("10"), true),
            ("NumericLessThan", r#""3600""#, Some("3600"), false),
            ("NumericLessThan", r#""3600""#, None, false),
            ("NumericLessThanEquals", r#""3600""#, Some("3600"), true),
            ("NumericLessThanEquals", r#""3600""#, Some("3601"), false),
            ("NumericGreaterThan", r#""3600""#, Some("3601"), true),
            ("NumericGreaterThan", r#""3600""#, Some("3600"), false),
            ("NumericGreaterThan", r#""3600""#, None, false),
            ("NumericGreaterThanEquals", r#""3600""#, Some("3600"), true),
            ("NumericGreaterThanEquals", r#""3600""#, Some("1"), false),
            // A request value that is not a number matches no policy value.
            ("NumericLessThan", r#""3600""#, Some("soon"), false),
            ("NumericNotEquals", r#""3600""#, Some("soon"), true),
        ],
    );
}

// [OPS] "Date condition operators": ISO 8601 dates and epoch seconds, on either side.
#[test]
fn date_operators() {
    const T: &str = r#""2026-01-01T00:00:00Z""#;
    check(
        "aws:CurrentTime",
        &[
            ("DateEquals", T, Some("1767225600"), true),
            (
                "DateEquals",
                r#""1767225600""#,
                Some("2026-01-01T00:00:00Z"),
                true,
            ),
            ("DateEquals", T, Some("2026-01-01T01:00:00+01:00"), true),
            ("DateEquals", T, None, false),
            ("DateNotEquals", T, Some("2026-01-02T00:00:00Z"), true),
            ("DateNotEquals", T, Some("2026-01-01"), false),
            ("DateNotEquals", T, None, true),
            ("DateLessThan", T, Some("2025-12-31T23:59:59Z"), true),
            ("DateLessThan", T, Some("2026-01-01T00:00:00Z"), false),
            ("DateLessThanEquals", T, Some("2026-01-01T00:00:00Z"), true),
            (
                "DateLessThanEquals",
                T,
                Some("2026-01-01T00:00:00.001Z"),
                false,
            ),
            ("DateGreaterThan", T, Some("2026-01-01T00:00:01Z"), true),
            (
                "DateGreaterThan",
                T,
                Some("2025-12-31T23:00:00-01:00"),
                false,
            ),
            ("DateGreaterThan", T, None, false),
            (
                "DateGreaterThanEquals",
                T,
                Some("2025-12-31T23:00:00-01:00"),
                true,
            ),
            ("DateGreaterThanEquals", T, Some("2025-06-01"), false),
        ],
    );
}

// [OPS] "Boolean condition operators", "Binary condition operators".
#[test]
fn bool_and_binary_operators() {
    check(
        "aws:SecureTransport",
        &[
            ("Bool", r#""true""#, Some("true"), true),
            ("Bool", "true", Some("TRUE"), true),
            ("Bool", r#""true""#, Some("false"), false),
            ("Bool", r#""false""#, None, false),
            ("Bool", r#""false""#, Some("maybe"), false),
        ],
    );
    check(
        "test:Blob",
        &[
            (
                "BinaryEquals",
                r#""QmluYXJ5VmFsdWU=""#,
                Some("QmluYXJ5VmFsdWU="),
                true,
            ),
            (
                "BinaryEquals",
                r#""QmluYXJ5VmFsdWU=""#,
                Some("QmluYXJ5VmFsdWU"),
                true,
            ),
            ("BinaryEquals", r#""QmluYXJ5VmFsdWU=""#, Some("YQ=="), false),
            ("BinaryEquals", r#""QmluYXJ5VmFsdWU=""#, None, false),
        ],
    );
}

// [OPS] "IP address condition operators": CIDR, bare address = /32.
#[test]
fn ip_operators() {
    check(
        "aws:SourceIp",
        &[
            (
                "IpAddress",
                r#"["192.0.2.0/24","203.0.113.5"]"#,
                Some("203.0.113.5"),
                true,
            ),
            ("IpAddress", r#""203.0.113.6""#, Some("203.0.113.5"), false),
            (
                "IpAddress",
                r#""2001:db8:1234::/48""#,
                Some("2001:db8:1234::42"),
                true,
            ),
            (
                "IpAddress",
                r#""192.0.2.0/24""#,
                Some("2001:db8:1234::42"),
                false,
            ),
            ("IpAddress", r#""192.0.2.0/24""#, None, false),
            ("IpAddress", r#""0.0.0.0/1""#, Some("nope"), false),
            (
                "NotIpAddress",
                r#""192.0.2.0/24""#,
                Some("198.51.100.1"),
                true,
            ),
            (
                "NotIpAddress",
                r#""192.0.2.0/24""#,
                Some("192.0.2.7"),
                false,
            ),
            ("NotIpAddress", r#""192.0.2.0/24""#, None, true),
        ],
    );
}

// [OPS] "Amazon Resource Name (ARN) condition operators": six components matched separately.
#[test]
fn arn_operators() {
    const BREAK_GLASS: &str = "arn:aws:iam::111122223333:role/BreakGlass";
    check(
        "aws:PrincipalArn",
        &[
            (
                "ArnEquals",
                r#""arn:aws:iam::111122223333:role/BreakGlass""#,
                Some(BREAK_GLASS),
                true,
            ),
            (
                "ArnEquals",
                r#""arn:aws:iam::*:role/Break*""#,
                Some(BREAK_GLASS),
                true,
            ),
            (
                "ArnLike",
                r#""arn:aws:iam::*:role/Break*""#,
                Some(BREAK_GLASS),
                true,
            ),
            (
                "ArnLike",
                r#""arn:aws:iam::*:role/break*""#,
                Some(BREAK_GLASS),
                false,
            ),
            (
                "ArnLike",
                r#""arn:aws:iam::*:role/*""#,
                Some("arn:aws:sts::111122223333:assumed-role/BreakGlass/s"),
                false,
            ),
            ("ArnLike", r#""arn:aws:iam::*:role/*""#, None, false),
            (
                "ArnLike",
                r#""arn:aws:iam::*:role/*""#,
                Some("not-an-arn"),
                false,
            ),
            (
                "ArnNotLike",
                r#""arn:aws:iam::*:role/BreakGlass""#,
                Some("arn:aws:iam::111122223333:role/Dev"),
                true,
            ),
            (
                "ArnNotLike",
                r#""arn:aws:iam::*:role/BreakGlass""#,
                Some(BREAK_GLASS),
                false,
            ),
            (
                "ArnNotLike",
                r#""arn:aws:iam::*:role/BreakGlass""#,
                None,
                true,
            ),
            (
                "ArnNotEquals",
                r#""arn:aws:iam::111122223333:role/Other""#,
                Some(BREAK_GLASS),
                true,
            ),
            (
                "ArnNotEquals",
                r#""arn:aws:iam::111122223333:role/BreakGlass""#,
                Some(BREAK_GLASS),
                false,
            ),
        ],
    );
}

// [OPS] "Condition operator to check existence of condition keys" (Null).
#[test]
fn null_tests_presence() {
    check(
        "kms:ViaService",
        &[
            ("Null", r#""true""#, None, true),
            ("Null", r#""true""#, Some("s3.amazonaws.com"), false),
            ("Null", r#""false""#, Some("s3.amazonaws.com"), true),
            ("Null", "false", None, false),
        ],
    );
    // An empty multivalued key is null too.
    let empty = ctx().with_values("aws:TagKeys", &[]);
    assert!(denied(r#"{"Null":{"aws:TagKeys":"true"}}"#, &empty));
}

// [OPS] "...IfExists condition operators": a missing key matches, a present one is compared.
#[test]
fn if_exists_on_every_family() {
    let rows: [(&str, &str, &str, &str); 9] = [
        (
            "StringEqualsIfExists",
            "aws:PrincipalType",
            r#""User""#,
            "AssumedRole",
        ),
        (
            "StringNotEqualsIfExists",
            "aws:PrincipalType",
            r#""User""#,
            "User",
        ),
        (
            "StringLikeIfExists",
            "aws:PrincipalType",
            r#""U*""#,
            "AssumedRole",
        ),
        (
            "NumericLessThanIfExists",
            "aws:MultiFactorAuthAge",
            r#""10""#,
            "3600",
        ),
        (
            "DateGreaterThanIfExists",
            "aws:CurrentTime",
            r#""2030-01-01""#,
            "2026-01-01",
        ),
        ("BoolIfExists", "aws:ViaAWSService", r#""true""#, "false"),
        ("BinaryEqualsIfExists", "test:Blob", r#""YQ==""#, "Yg=="),
        (
            "NotIpAddressIfExists",
            "aws:SourceIp",
            r#""192.0.2.0/24""#,
            "192.0.2.9",
        ),
        (
            "ArnLikeIfExists",
            "aws:PrincipalArn",
            r#""arn:aws:iam::*:role/A""#,
            "arn:aws:iam::1:role/B",
        ),
    ];
    for (op, key, value, present_mismatch) in rows {
        let cond = format!(r#"{{"{op}":{{"{key}":{value}}}}}"#);
        assert!(denied(&cond, &ctx()), "{cond} missing key");
        assert!(
            !denied(&cond, &ctx().with(key, present_mismatch)),
            "{cond} {present_mismatch}"
        );
    }
}

#[test]
fn refused_operators_and_values() {
    let cases: [(&str, &str); 12] = [
        (
            r#"{"NullIfExists":{"a":"true"}}"#,
            "Null has no IfExists form",
        ),
        (r#"{"stringequals":{"a":"b"}}"#, "did you mean StringEquals"),
        (
            r#"{"NumericLessThanIfexists":{"a":"1"}}"#,
            "unknown condition operator",
        ),
        (
            r#"{"forAnyValue:StringEquals":{"a":"b"}}"#,
            "set operators are spelled ForAnyValue:",
        ),
        (
            r#"{"NumericLessThan":{"a":"ten"}}"#,
            "\"ten\" is not a number",
        ),
        (
            r#"{"NumericLessThan":{"a":"${aws:x}"}}"#,
            "work only with the String, Arn and Bool operators",
        ),
        (
            r#"{"DateGreaterThan":{"aws:CurrentTime":"yesterday"}}"#,
            "not an ISO 8601 date",
        ),
        (r#"{"BinaryEquals":{"a":"!!"}}"#, "not base64"),
        (
            r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*"}}"#,
            "not an ARN pattern",
        ),
        (
            r#"{"IpAddress":{"aws:SourceIp":"10.0.0.300"}}"#,
            "\"10.0.0.300\" is not an IP address or CIDR",
        ),
        (
            r#"{"StringLike":{"aws:SourceIp":"10.*"}}"#,
            "aws:SourceIp holds an IP address",
        ),
        (r#"{"Bool":{"a":"yes"}}"#, "not true or false"),
    ];
    for (cond, want) in cases {
        let e = error(cond);
        assert!(e.contains(want), "{cond}: {e}");
        assert!(e.starts_with("statement S: "), "{e}");
    }
}
