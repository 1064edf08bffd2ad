//! `exception list` reads users and their tags a page at a time (GetAccountAuthorizationDetails),
//! and user by user where that is denied. moto ignores `MaxItems` and `Marker`, so the fault
//! proxy pages the answer as IAM does (crates/faultproxy/src/paging.rs), here 100 users a page.

mod support;

use faultproxy::{Fault, Rule, When};
use support::*;

const USERS: usize = 250;

/// `USERS` users; every 10th holds the exception (20), every 25th is tagged with a value of the
/// wrong case instead (10), and every user carries another tag.
fn seed(emu: &Emulator) {
    for i in 0..USERS {
        let mut tags = vec![("team", "payments")];
        if i % 25 == 0 {
            tags.push(("AccessException", "true"));
        } else if i % 10 == 0 {
            tags.push(("AccessException", "True"));
            tags.push(("AccessExceptionReason", "batch"));
        }
        create_user(emu, &emu.iam, &format!("user-{i:03}"), &tags);
    }
}

fn list(emu: &Emulator, proxy: &faultproxy::Proxy, args: &[&str]) -> assert_cmd::assert::Assert {
    let (_dir, config) = project(CIDRS);
    emu.scpctl_via(proxy)
        .arg("--config")
        .arg(&config)
        .args(args)
        .args(["--output", "json", "exception", "list"])
        .assert()
        .success()
}

fn calls(proxy: &faultproxy::Proxy, op: &str) -> u64 {
    proxy.counts().calls.get(op).copied().unwrap_or(0)
}

#[test]
fn list_follows_markers_to_the_last_page_and_falls_back_user_by_user_where_denied() {
    let emu = Emulator::start();
    seed(&emu);
    let proxy = emu.proxy();
    proxy.set_iam_page_size(100);

    // 250 users, 100 a page whatever MaxItems asks: 3 calls, no ListUserTags.
    let paged = list(&emu, &proxy, &[]);
    let rows = stdout_json(&paged);
    assert_eq!(calls(&proxy, "IAM.GetAccountAuthorizationDetails"), 3);
    assert_eq!(calls(&proxy, "IAM.ListUserTags"), 0);
    assert_eq!(calls(&proxy, "IAM.ListUsers"), 0);
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 30, "{rows:?}");
    let users: Vec<&str> = rows.iter().map(|r| r["user"].as_str().unwrap()).collect();
    assert_eq!(users.first(), Some(&"user-000"));
    assert_eq!(users.last(), Some(&"user-240"), "the last page is read");
    let granted = rows.iter().filter(|r| r["granted"] == true).count();
    assert_eq!(granted, 20, "every 10th but not every 25th: {rows:?}");
    assert!(rows
        .iter()
        .filter(|r| r["granted"] == true)
        .all(|r| r["reason"] == "batch"));

    // Denied: the same rows, user by user, said at -v.
    proxy.reset_counts();
    proxy.set_rules(vec![Rule {
        operation: Some("GetAccountAuthorizationDetails".into()),
        only: faultproxy::Only::All,
        when: When::Always,
        fault: Fault::error("AccessDenied"),
    }]);
    let fallback = list(&emu, &proxy, &["-v"]);
    assert_eq!(stdout_json(&fallback), stdout_json(&paged));
    assert_eq!(calls(&proxy, "IAM.GetAccountAuthorizationDetails"), 1);
    assert_eq!(calls(&proxy, "IAM.ListUserTags"), USERS as u64);
    let err = stderr_of(&fallback);
    assert!(
        err.contains("iam:GetAccountAuthorizationDetails is denied")
            && err.contains("one ListUserTags call per user"),
        "{err}"
    );

    // Without -v the fallback is silent; no progress output either (stderr is not a terminal).
    let quiet = list(&emu, &proxy, &[]);
    let err = stderr_of(&quiet);
    assert!(!err.contains("denied"), "{err}");
    assert!(!err.contains('\r'), "{err:?}");
}

#[test]
fn another_error_of_the_paged_read_is_reported_not_hidden_by_the_fallback() {
    let emu = Emulator::start();
    create_user(&emu, &emu.iam, "svc", &[("AccessException", "True")]);
    let proxy = emu.proxy();
    proxy.set_rules(vec![Rule {
        operation: Some("GetAccountAuthorizationDetails".into()),
        only: faultproxy::Only::All,
        when: When::Always,
        fault: Fault::error("ServiceFailure"),
    }]);
    let (_dir, config) = project(CIDRS);
    let a = emu
        .scpctl_via(&proxy)
        .arg("--config")
        .arg(&config)
        .args(["exception", "list"])
        .assert()
        .code(1);
    let err = stderr_of(&a);
    assert!(
        err.contains("GetAccountAuthorizationDetails") && err.contains("ServiceFailure"),
        "{err}"
    );
    assert_eq!(calls(&proxy, "IAM.ListUserTags"), 0);
}
