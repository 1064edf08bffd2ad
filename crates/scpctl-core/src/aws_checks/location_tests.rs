use super::*;

fn doc() -> serde_json::Value {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "AllowAll", "Effect": "Allow", "Action": "*", "Resource": "*"},
            {
                "Sid": "DenyOutsideNetworks",
                "Effect": "Deny",
                "NotAction": ["sts:GetCallerIdentity", "s3:Lis\u{e9}t*"],
                "Resource": "*",
                "Condition": {
                    "NotIpAddressIfExists": {"aws:SourceIp": ["203.0.113.0/24", "198.51.100.7/32"]},
                    "Bool": {"aws:ViaAWSService": "false"}
                }
            }
        ]
    })
}

fn path(steps: &[PathStep]) -> Vec<PathStep> {
    steps.to_vec()
}

fn v(s: &str) -> PathStep {
    PathStep::Value(s.into())
}

#[test]
fn a_value_path_lands_on_the_value_in_pretty_and_compact_renders() {
    let p = path(&[
        v("Statement"),
        PathStep::Index(1),
        v("Condition"),
        v("NotIpAddressIfExists"),
        v("aws:SourceIp"),
        PathStep::Index(1),
    ]);
    let pretty = serde_json::to_string_pretty(&doc()).unwrap();
    let at = locate(&pretty, &p).unwrap();
    assert!(pretty[at.offset..].starts_with("\"198.51.100.7/32\""));
    // The pretty render puts each list element on a line of its own, indented.
    let line = pretty.lines().nth(at.line - 1).unwrap();
    assert_eq!(line.trim_start(), "\"198.51.100.7/32\"");
    assert_eq!(at.column, line.len() - line.trim_start().len() + 1);

    let compact = serde_json::to_string(&doc()).unwrap();
    let at = locate(&compact, &p).unwrap();
    assert_eq!(at.line, 1);
    assert_eq!(at.offset, compact.find("\"198.51.100.7/32\"").unwrap());
    // Columns count characters: the two-byte 'é' earlier on the line is one column.
    assert_eq!(at.column, compact[..at.offset].chars().count() + 1);
    assert_eq!(at.column, at.offset);
}

#[test]
fn a_key_path_lands_on_the_key_itself() {
    let compact = serde_json::to_string(&doc()).unwrap();
    let p = path(&[
        v("Statement"),
        PathStep::Index(1),
        v("Condition"),
        v("Bool"),
        PathStep::Key("aws:ViaAWSService".into()),
    ]);
    let at = locate(&compact, &p).unwrap();
    assert!(compact[at.offset..].starts_with("\"aws:ViaAWSService\":"));
    // Case-insensitively, as IAM reads key names.
    let p = path(&[
        v("statement"),
        PathStep::Index(1),
        v("condition"),
        PathStep::Key("bool".into()),
    ]);
    let at = locate(&compact, &p).unwrap();
    assert!(compact[at.offset..].starts_with("\"Bool\""));
}

#[test]
fn a_substring_counts_characters_not_bytes() {
    let pretty = serde_json::to_string_pretty(&doc()).unwrap();
    let p = path(&[
        v("Statement"),
        PathStep::Index(1),
        v("NotAction"),
        PathStep::Index(1),
        PathStep::Substring {
            start: 7,
            length: 1,
        },
    ]);
    let at = locate(&pretty, &p).unwrap();
    // "s3:Lisét*": character 7 is 't', after the two-byte 'é'.
    assert!(pretty[at.offset..].starts_with("t*\""));
    let line = pretty.lines().nth(at.line - 1).unwrap();
    let quote = line.find('"').unwrap();
    assert_eq!(at.column, quote + 1 + 1 + 7, "column in characters");
}

#[test]
fn index_zero_of_a_single_value_is_the_value() {
    let compact = serde_json::to_string(&doc()).unwrap();
    let p = path(&[
        v("Statement"),
        PathStep::Index(0),
        v("Action"),
        PathStep::Index(0),
    ]);
    let at = locate(&compact, &p).unwrap();
    assert!(compact[at.offset..].starts_with("\"*\",\"Resource\""));
    let p = path(&[
        v("Statement"),
        PathStep::Index(0),
        v("Action"),
        PathStep::Index(1),
    ]);
    assert_eq!(locate(&compact, &p), None);
}

#[test]
fn a_path_that_does_not_fit_the_document_is_none() {
    let compact = serde_json::to_string(&doc()).unwrap();
    assert_eq!(
        locate(&compact, &[v("Statement"), PathStep::Index(7)]),
        None
    );
    assert_eq!(locate(&compact, &[v("NoSuchElement")]), None);
    assert_eq!(locate(&compact, &[v("Version"), v("x")]), None);
    assert_eq!(locate("", &[]), None);
    assert_eq!(locate("{\"a\": [1, ", &[v("a"), PathStep::Index(1)]), None);
    // The empty path is the document itself.
    assert_eq!(
        locate("\n  {}", &[]),
        Some(TextPosition {
            line: 2,
            column: 3,
            offset: 3
        })
    );
}

#[test]
fn escaped_keys_and_strings_are_walked_over() {
    let text = r#"{"a\"b": {"x": "q\"\u00e9z"}, "c": [true, null, 1.5e3]}"#;
    let at = locate(
        text,
        &[
            v("a\"b"),
            v("x"),
            PathStep::Substring {
                start: 3,
                length: 1,
            },
        ],
    )
    .unwrap();
    assert!(text[at.offset..].starts_with("z\""));
    let at = locate(text, &[v("c"), PathStep::Index(2)]).unwrap();
    assert!(text[at.offset..].starts_with("1.5e3]"));
}

/// The path to the first string equal to `target` in `v`, as Access Analyzer would give it.
fn path_to(v: &serde_json::Value, target: &str) -> Option<Vec<PathStep>> {
    match v {
        serde_json::Value::String(s) if s == target => Some(vec![]),
        serde_json::Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
            let mut rest = path_to(item, target)?;
            rest.insert(0, PathStep::Index(i));
            Some(rest)
        }),
        serde_json::Value::Object(members) => members.iter().find_map(|(k, item)| {
            let mut rest = path_to(item, target)?;
            rest.insert(0, PathStep::Value(k.clone()));
            Some(rest)
        }),
        _ => None,
    }
}

#[test]
fn every_render_of_scpctl_maps_a_cidr_to_its_place_in_compact_and_pretty_text() {
    use crate::cidr::CidrSet;
    use crate::config::Config;
    use crate::render::{render, Layout, PolicyKind};

    let config = Config::parse(
        "[network]\ncidrs = [\"203.0.113.0/24\", \"198.51.100.0/25\", \"2001:db8::/48\"]\n",
        "t.toml",
    )
    .unwrap();
    let cidrs = CidrSet::build(&config.network.cidrs, config.network.options, "t")
        .unwrap()
        .set;
    let mut checked = 0;
    for (kind, layout) in [
        (PolicyKind::Scp, Layout::Single),
        (PolicyKind::Scp, Layout::SplitStatements),
        (PolicyKind::Identity, Layout::Single),
    ] {
        for doc in render(&config, &cidrs, kind, layout).unwrap() {
            let Some(path) = path_to(&doc.document, "198.51.100.0/25") else {
                continue;
            };
            for text in [doc.compact.clone(), doc.pretty()] {
                let at = locate(&text, &path).unwrap();
                assert!(
                    text[at.offset..].starts_with("\"198.51.100.0/25\""),
                    "{} at {at}",
                    doc.name
                );
                let line = text.lines().nth(at.line - 1).unwrap();
                assert_eq!(
                    line.chars()
                        .skip(at.column - 1)
                        .take(17)
                        .collect::<String>(),
                    "\"198.51.100.0/25\""
                );
            }
            checked += 1;
        }
    }
    assert!(
        checked >= 3,
        "each kind renders the CIDR somewhere ({checked})"
    );
}
