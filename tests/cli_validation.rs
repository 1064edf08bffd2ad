//! Issue 36, points 10 and 11: input the config or a flag cannot hold is refused by name, with
//! an excerpt of the value, and a bad flag value is a usage error (exit 2) naming its flag.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use tempfile::TempDir;

const NETWORK: &str = "[network]\ncidrs = [\"192.0.2.0/24\"]\n";

fn scpctl() -> Command {
    Command::cargo_bin("scpctl").unwrap()
}

fn project(text: &str) -> (TempDir, PathBuf) {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("scpctl.toml");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

fn run(config: &Path, args: &[&str]) -> (i32, String, String) {
    let out = scpctl()
        .arg("--config")
        .arg(config)
        .args(args)
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn toml_str(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

#[test]
fn break_glass_patterns_with_characters_no_iam_arn_holds_are_refused_by_validate() {
    for c in [
        "$", "{", "}", "%", "#", "!", "&", "(", "|", "\\", "~", "^", "[", ";", "<", "é",
    ] {
        let pattern = format!("arn:aws:iam::111122223333:role/Break{c}Glass");
        let (_dir, config) = project(&format!(
            "{NETWORK}[break_glass]\nprincipals = [{}]\n",
            toml_str(&pattern)
        ));
        let (code, _, err) = run(&config, &["validate"]);
        assert_eq!(code, 1, "{pattern}: {err}");
        assert!(
            err.contains("scpctl.toml:4:") && err.contains("[break_glass] principals"),
            "{pattern}: {err}"
        );
    }
}

#[test]
fn a_policy_variable_in_break_glass_is_refused_before_render() {
    let (_dir, config) = project(&format!(
        "{NETWORK}[break_glass]\nprincipals = [\"arn:aws:iam::111122223333:user/${{aws:username}}\"]\n"
    ));
    for args in [&["validate"][..], &["render", "--kind", "signin"][..]] {
        let (code, out, err) = run(&config, args);
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?}: {out}");
        assert!(err.contains("policy variables"), "{args:?}: {err}");
        assert!(!err.contains("internal error"), "{args:?}: {err}");
    }
}

/// Patterns that match the sign-in self-check's own probe user used to end in "internal
/// error ... failed its self-check": an accepted config always renders.
#[test]
fn accepted_break_glass_patterns_render_the_signin_policy() {
    for pattern in [
        "arn:aws:iam::*:user/p*",
        "arn:aws:iam::111122223333:user/probe",
        "arn:*:iam::*:user/*e",
    ] {
        let (_dir, config) = project(&format!(
            "{NETWORK}[break_glass]\nprincipals = [{}]\n",
            toml_str(pattern)
        ));
        let (code, out, err) = run(&config, &["render", "--kind", "signin"]);
        assert_eq!(code, 0, "{pattern}: {err}");
        assert!(out.contains(pattern), "{pattern}: {out}");
    }
}

#[test]
fn topic_arn_and_email_are_refused_by_name_with_an_excerpt() {
    let long_local = format!("{}@example.com", "l".repeat(5000));
    for (key, value) in [
        ("topic_arn", "arn:aws:sns:us-east-1:111122223333:\"x\""),
        ("topic_arn", "arn:aws:sns:us-east-1:111122223333:{x}"),
        ("topic_arn", "arn:aws:sns:us-east-1:1234:alerts"),
        ("topic_arn", "arn:aws:sns:us-east-1:111122223333:"),
        ("email", "x@y.z,evil@attacker.com"),
        ("email", long_local.as_str()),
    ] {
        let (_dir, config) = project(&format!(
            "{NETWORK}[monitoring]\n{key} = {}\n",
            toml_str(value)
        ));
        let (code, _, err) = run(&config, &["validate"]);
        assert_eq!(code, 1, "{value}: {err}");
        assert!(
            err.contains(&format!("[monitoring] {key}")),
            "{value}: {err}"
        );
        assert!(err.len() < 1000, "the value is cut to an excerpt: {err}");
    }
}

#[test]
fn trail_location_must_be_a_bucket_and_a_clean_prefix() {
    let (_dir, config) = project(NETWORK);
    let ddl = |loc: &str| {
        run(
            &config,
            &[
                "impact",
                "--engine",
                "athena",
                "--table",
                "db.trail",
                "--emit-ddl",
                "--trail-location",
                loc,
            ],
        )
    };
    for bad in [
        "s3://bucket/a\nb",
        "s3://bucket/a\\b",
        "s3://",
        "s3://bucket/${x}",
        "s3://bucket/a'b",
        "s3://Bad_Bucket/x",
    ] {
        let (code, out, err) = ddl(bad);
        assert_eq!(code, 2, "{bad:?}: {err}");
        assert!(out.is_empty(), "{bad:?}: {out}");
        assert!(err.contains("--trail-location"), "{bad:?}: {err}");
    }
    let (code, out, err) = ddl("s3://my-trail-bucket/AWSLogs/o-abc123");
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("s3://my-trail-bucket/AWSLogs/o-abc123"),
        "{out}"
    );
}

#[test]
fn tags_file_values_over_iams_limit_are_refused_naming_the_file_and_entry() {
    let (dir, config) = project(NETWORK);
    let trail = dir.path().join("trail");
    std::fs::create_dir(&trail).unwrap();
    let arn = "arn:aws:iam::111122223333:user/alice";
    let write = |key: &str, value: &str| {
        let path = dir.path().join("tags.json");
        let json = serde_json::json!({ arn: { key: value } });
        std::fs::write(&path, json.to_string()).unwrap();
        path
    };
    for (key, value, says) in [
        ("Team", "v".repeat(257), "257 characters"),
        ("Team", "v".repeat(5_000_000), "5000000 characters"),
        (&*"k".repeat(129), "x".to_string(), "129 characters"),
    ] {
        let path = write(key, &value);
        let (code, _, err) = run(
            &config,
            &[
                "impact",
                trail.to_str().unwrap(),
                "--tags-file",
                path.to_str().unwrap(),
            ],
        );
        assert_eq!(code, 1, "{err}");
        assert!(
            err.contains("tags file") && err.contains("tags.json") && err.contains(arn),
            "{err}"
        );
        assert!(err.contains(says) && err.len() < 1000, "{err}");
    }
    // At the limit it is read.
    let path = write("Team", &"v".repeat(256));
    let (code, _, err) = run(
        &config,
        &[
            "impact",
            trail.to_str().unwrap(),
            "--tags-file",
            path.to_str().unwrap(),
        ],
    );
    assert!(!err.contains("tags file"), "{code}: {err}");
}

/// README "Exit codes": a bad flag value is a usage error, exit 2, and clap names the flag.
#[test]
fn bad_flag_values_are_usage_errors_naming_the_flag() {
    let (_dir, config) = project(NETWORK);
    let cases: &[(&[&str], &str)] = &[
        (&["impact", "x", "--account", "123"], "--account"),
        (
            &["impact", "x", "--management-account", "12"],
            "--management-account",
        ),
        (&["impact", "x", "--since", "yesterday"], "--since"),
        (&["impact", "x", "--until", "2024-13-01"], "--until"),
        (&["impact", "x", "--until", "2023-02-29"], "--until"),
        (
            &["impact", "x", "--since", "2024-04-31T00:00:00Z"],
            "--since",
        ),
        (
            &["exception", "grant", "bob", "--account", "123"],
            "--account",
        ),
        (
            &["exception", "grant", "bob", "--expires", "2099-13-01"],
            "--expires",
        ),
        (
            &["exception", "revoke", "bob", "--account", "abc"],
            "--account",
        ),
        (
            &["exception", "list", "--account", "1234567890123"],
            "--account",
        ),
        (&["plan", "--account", "123"], "--account"),
        (&["apply", "--account", "12345678901x"], "--account"),
        (&["status", "--account", "123"], "--account"),
        (
            &["destroy", "--kind", "identity", "--account", "123"],
            "--account",
        ),
        (&["plan", "--root", "--region", "mars-1"], "--region"),
        (
            &[
                "impact",
                "--engine",
                "athena",
                "--table",
                "d.t",
                "--emit-sql",
                "--trail-region",
                "mars-1",
            ],
            "--trail-region",
        ),
        (
            &[
                "impact",
                "--engine",
                "athena",
                "--table",
                "d.t",
                "--output-location",
                "s3://",
            ],
            "--output-location",
        ),
    ];
    for (args, flag) in cases {
        let (code, out, err) = run(&config, args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?}: {out}");
        assert!(err.contains(flag), "{args:?} must name {flag}: {err}");
    }
}
