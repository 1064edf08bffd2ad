//! `scpctl exception grant|revoke|list|sweep` against a real moto server, one per test. Tags are
//! checked with the tests' own IAM client.

mod support;

use predicates::prelude::*;
use support::*;

fn exception(
    emu: &Emulator,
    config: &std::path::Path,
    args: &[&str],
) -> assert_cmd::assert::Assert {
    emu.scpctl()
        .arg("--config")
        .arg(config)
        .arg("exception")
        .args(args)
        .assert()
}

fn t(k: &str, v: &str) -> (String, String) {
    (k.to_string(), v.to_string())
}

#[test]
fn grant_sets_the_exact_tag_and_companions_keeps_other_tags_and_repeats_as_a_no_op() {
    let emu = Emulator::start();
    let (_dir, config) = project(CIDRS);
    create_user(
        &emu,
        &emu.iam,
        "svc-app",
        &[("team", "payments"), ("AccessException", "true")],
    );

    let a = exception(
        &emu,
        &config,
        &[
            "grant",
            "svc-app",
            "--reason",
            "legacy app SEC-42",
            "--expires",
            "2099-12-31",
        ],
    )
    .success();
    assert!(stdout_of(&a).contains("granted: svc-app"));
    let tags = user_tags(&emu, &emu.iam, "svc-app");
    let granted_at = tags
        .iter()
        .find(|(k, _)| k == "AccessExceptionGrantedAt")
        .unwrap()
        .1
        .clone();
    assert_eq!(granted_at.len(), 10, "YYYY-MM-DD: {granted_at}");
    assert_eq!(
        tags,
        [
            t("AccessException", "True"),
            t("AccessExceptionExpires", "2099-12-31"),
            t("AccessExceptionGrantedAt", &granted_at),
            t(
                "AccessExceptionGrantedBy",
                "arn:aws:sts::123456789012:user/moto"
            ),
            t("AccessExceptionReason", "legacy app SEC-42"),
            t("team", "payments"),
        ]
    );

    let again = stdout_json(
        &exception(
            &emu,
            &config,
            &[
                "--output",
                "json",
                "grant",
                "svc-app",
                "--reason",
                "legacy app SEC-42",
                "--expires",
                "2099-12-31",
            ],
        )
        .success(),
    );
    assert_eq!(again["changed"], false);
    assert_eq!(user_tags(&emu, &emu.iam, "svc-app"), tags);
}

#[test]
fn a_missing_user_or_an_unstorable_value_exits_non_zero_and_writes_nothing() {
    let emu = Emulator::start();
    let (_dir, config) = project(CIDRS);
    exception(&emu, &config, &["grant", "ghost"])
        .code(1)
        .stderr(predicate::str::contains("IAM user \"ghost\" not found"));
    exception(&emu, &config, &["revoke", "ghost"])
        .code(1)
        .stderr(predicate::str::contains("\"ghost\""));

    create_user(&emu, &emu.iam, "svc-app", &[("team", "x")]);
    exception(&emu, &config, &["grant", "svc-app", "--reason", "a, b; c"])
        .code(1)
        .stderr(predicate::str::contains(
            "--reason \"a, b; c\" cannot be stored",
        ));
    exception(
        &emu,
        &config,
        &["grant", "svc-app", "--expires", "2020-01-01"],
    )
    .code(1)
    .stderr(predicate::str::contains("in the past"));
    exception(
        &emu,
        &config,
        &["grant", "svc-app", "--expires", "31/12/2099"],
    )
    // A malformed flag value is a usage error (README "Exit codes").
    .code(2)
    .stderr(predicate::str::contains("YYYY-MM-DD").and(predicate::str::contains("30d")));
    assert_eq!(user_tags(&emu, &emu.iam, "svc-app"), [t("team", "x")]);
}

#[test]
fn revoke_removes_the_exception_and_companions_only_and_a_second_revoke_says_so() {
    let emu = Emulator::start();
    let (_dir, config) = project(CIDRS);
    create_user(&emu, &emu.iam, "svc-app", &[("team", "x")]);
    // --expires takes a number of days as well as a date: the tag holds the date.
    exception(
        &emu,
        &config,
        &["grant", "svc-app", "--reason", "r", "--expires", "30d"],
    )
    .success();
    let tags = user_tags(&emu, &emu.iam, "svc-app");
    let expires = &tags
        .iter()
        .find(|(k, _)| k == "AccessExceptionExpires")
        .unwrap()
        .1;
    let granted_at = &tags
        .iter()
        .find(|(k, _)| k == "AccessExceptionGrantedAt")
        .unwrap()
        .1;
    assert!(
        expires.len() == 10 && expires > granted_at,
        "{expires} after {granted_at}"
    );
    exception(&emu, &config, &["revoke", "svc-app"]).success();
    assert_eq!(user_tags(&emu, &emu.iam, "svc-app"), [t("team", "x")]);
    exception(&emu, &config, &["revoke", "svc-app"])
        .success()
        .stdout(predicate::str::contains("holds no exception"));
}

#[test]
fn list_shows_exceptions_and_warns_about_a_tag_of_the_wrong_case() {
    let emu = Emulator::start();
    let (_dir, config) = project(CIDRS);
    create_user(
        &emu,
        &emu.iam,
        "svc-good",
        &[
            ("AccessException", "True"),
            ("AccessExceptionReason", "batch"),
        ],
    );
    create_user(&emu, &emu.iam, "svc-lower", &[("AccessException", "true")]);
    create_user(&emu, &emu.iam, "alice", &[("team", "x")]);

    let a = exception(&emu, &config, &["list"]).success();
    let (out, err) = (stdout_of(&a), stderr_of(&a));
    assert!(
        out.contains("svc-good  granted") && out.contains("reason \"batch\""),
        "{out}"
    );
    assert!(out.contains("svc-lower  NOT GRANTED"), "{out}");
    assert!(!out.contains("alice"));
    assert!(
        err.contains("svc-lower") && err.contains("case-sensitively"),
        "{err}"
    );

    let doc = stdout_json(&exception(&emu, &config, &["--output", "json", "list"]).success());
    let rows = doc.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    let lower = rows.iter().find(|r| r["user"] == "svc-lower").unwrap();
    assert_eq!(lower["granted"], false);
    assert_eq!(lower["value"], "true");
    assert!(lower["warning"]
        .as_str()
        .unwrap()
        .contains("statement 1 denies"));
}

/// IAM matches tag keys ignoring case and TagUser replaces a key so matched; moto matches them
/// exactly, so this checks what scpctl reads and the exact calls and keys it writes.
#[test]
fn a_key_in_another_case_holds_the_exception_and_grant_and_revoke_keep_to_its_spelling() {
    let emu = Emulator::start();
    let (_dir, config) = project(CIDRS);
    create_user(&emu, &emu.iam, "svc-held", &[("accessexception", "True")]);
    create_user(
        &emu,
        &emu.iam,
        "svc-lower",
        &[("accessexception", "true"), ("team", "x")],
    );

    let a = exception(&emu, &config, &["list"]).success();
    assert!(
        stdout_of(&a).contains("svc-held  granted"),
        "{}",
        stdout_of(&a)
    );
    assert!(!stderr_of(&a).contains("svc-held"), "{}", stderr_of(&a));
    let doc = stdout_json(&exception(&emu, &config, &["--output", "json", "list"]).success());
    let row = |u: &str| {
        doc.as_array()
            .unwrap()
            .iter()
            .find(|r| r["user"] == u)
            .unwrap()
            .clone()
    };
    assert_eq!(row("svc-held")["granted"], true);
    assert_eq!(row("svc-held")["key"], "accessexception");
    assert_eq!(row("svc-lower")["granted"], false);

    // One TagUser, in the user's spelling; no UntagUser.
    let proxy = emu.proxy();
    let a = emu
        .scpctl_via(&proxy)
        .arg("--config")
        .arg(&config)
        .args(["exception", "grant", "svc-lower"])
        .assert()
        .success();
    assert!(
        stdout_of(&a).contains("is tagged accessexception=True"),
        "{}",
        stdout_of(&a)
    );
    assert_eq!(
        proxy.counts().writes(),
        [("IAM.TagUser".to_string(), 1)].into_iter().collect()
    );
    let tags = user_tags(&emu, &emu.iam, "svc-lower");
    assert!(tags.contains(&t("accessexception", "True")), "{tags:?}");
    assert!(
        !tags.iter().any(|(k, _)| k == "AccessException"),
        "{tags:?}"
    );

    // Already held in another spelling, with a companion in another case: nothing to write.
    create_user(
        &emu,
        &emu.iam,
        "svc-again",
        &[
            ("ACCESSEXCEPTION", "True"),
            (
                "accessexceptiongrantedby",
                "arn:aws:sts::123456789012:user/moto",
            ),
            ("accessexceptiongrantedat", "2026-01-01"),
        ],
    );
    proxy.reset_counts();
    let doc = stdout_json(
        &emu.scpctl_via(&proxy)
            .arg("--config")
            .arg(&config)
            .args(["--output", "json", "exception", "grant", "svc-again"])
            .assert()
            .success(),
    );
    assert_eq!(doc["changed"], false, "{doc}");
    assert!(proxy.counts().writes().is_empty(), "{:?}", proxy.counts());

    exception(&emu, &config, &["revoke", "svc-held"]).success();
    assert!(user_tags(&emu, &emu.iam, "svc-held").is_empty());
    exception(&emu, &config, &["revoke", "svc-lower"]).success();
    assert_eq!(user_tags(&emu, &emu.iam, "svc-lower"), [t("team", "x")]);
}

#[test]
fn sweep_revokes_only_expired_exceptions_after_showing_them() {
    let emu = Emulator::start();
    let (_dir, config) = project(CIDRS);
    create_user(
        &emu,
        &emu.iam,
        "svc-old",
        &[
            ("AccessException", "True"),
            ("AccessExceptionExpires", "2020-01-31"),
            ("team", "x"),
        ],
    );
    create_user(
        &emu,
        &emu.iam,
        "svc-new",
        &[
            ("AccessException", "True"),
            ("AccessExceptionExpires", "2099-01-31"),
        ],
    );
    create_user(
        &emu,
        &emu.iam,
        "svc-forever",
        &[("AccessException", "True")],
    );

    // No terminal, no --yes: shows, refuses, writes nothing.
    exception(&emu, &config, &["sweep"])
        .code(1)
        .stderr(predicate::str::contains(
            "will revoke the expired exception of user svc-old",
        ))
        .stderr(predicate::str::contains("--yes"));
    assert_eq!(user_tags(&emu, &emu.iam, "svc-old").len(), 3);

    let doc =
        stdout_json(&exception(&emu, &config, &["--output", "json", "sweep", "--yes"]).success());
    assert_eq!(doc["revoked"], serde_json::json!(["svc-old"]));
    assert_eq!(user_tags(&emu, &emu.iam, "svc-old"), [t("team", "x")]);
    assert_eq!(user_tags(&emu, &emu.iam, "svc-new").len(), 2);
    assert_eq!(user_tags(&emu, &emu.iam, "svc-forever").len(), 1);
}

#[test]
fn exceptions_across_member_accounts_through_assume_role() {
    let emu = Emulator::start();
    let (_dir, config) = project(CIDRS);
    let members = seed_members(&emu, 3);
    create_user(&emu, &emu.iam, "svc-mgmt", &[("AccessException", "True")]);
    for (i, account) in members.iter().enumerate() {
        let iam = member_iam(&emu, account);
        create_user(&emu, &iam, &format!("svc-m{i}"), &[]);
        create_user(
            &emu,
            &iam,
            &format!("svc-lower-m{i}"),
            &[("AccessException", "TRUE")],
        );
    }

    exception(
        &emu,
        &config,
        &[
            "grant",
            "svc-m1",
            "--account",
            &members[1],
            "--reason",
            "vendor",
        ],
    )
    .success();
    let iam1 = member_iam(&emu, &members[1]);
    assert!(user_tags(&emu, &iam1, "svc-m1").contains(&t("AccessException", "True")));
    // The user does not exist in the management account: the grant went to the member.
    exception(&emu, &config, &["grant", "svc-m1"]).code(1);

    let doc = stdout_json(
        &exception(
            &emu,
            &config,
            &["--output", "json", "list", "--all-accounts"],
        )
        .success(),
    );
    let mut seen: Vec<(String, String, bool)> = doc
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["account"].as_str().unwrap().to_string(),
                r["user"].as_str().unwrap().to_string(),
                r["granted"].as_bool().unwrap(),
            )
        })
        .collect();
    seen.sort();
    let mut expected = vec![
        ("123456789012".to_string(), "svc-mgmt".to_string(), true),
        (members[1].clone(), "svc-m1".to_string(), true),
    ];
    for (i, m) in members.iter().enumerate() {
        expected.push((m.clone(), format!("svc-lower-m{i}"), false));
    }
    expected.sort();
    assert_eq!(seen, expected);

    // The text form, with and without --quiet: the same lines, and no progress output on a
    // stderr that is not a terminal.
    let text = exception(&emu, &config, &["list", "--all-accounts"]).success();
    let quiet = exception(&emu, &config, &["--quiet", "list", "--all-accounts"]).success();
    assert_eq!(stdout_of(&text), stdout_of(&quiet));
    assert!(stdout_of(&text).contains("svc-mgmt  granted"));
    assert_no_progress(&stderr_of(&text));
    assert_no_progress(&stderr_of(&quiet));

    // A malformed flag value is a usage error (README "Exit codes").
    exception(&emu, &config, &["list", "--account", "12345"])
        .code(2)
        .stderr(predicate::str::contains("exactly 12 digits"));
}
