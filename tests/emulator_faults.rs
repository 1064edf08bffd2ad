//! Reliability against a stricter, faultier AWS: the fault proxy (crates/faultproxy) between
//! scpctl and a real moto server. Throttling and conflicts, a crash after every call, lost
//! responses, AWS's strict limits, the self-lockout guard, and no credentials in the output.

mod support;

use faultproxy::{Fault, Only, Rule, When};
use predicates::prelude::*;
use support::*;

fn rule(only: Only, when: When, fault: Fault) -> Rule {
    Rule {
        operation: None,
        only,
        when,
        fault,
    }
}

fn on(operation: &str, when: When, fault: Fault) -> Rule {
    Rule {
        operation: Some(operation.into()),
        only: Only::All,
        when,
        fault,
    }
}

fn apply_args(ous: &[String]) -> Vec<String> {
    let mut args: Vec<String> = ["--output", "json", "apply", "--yes"]
        .map(String::from)
        .to_vec();
    for ou in ous {
        args.extend(["--ou".to_string(), ou.clone()]);
    }
    args
}

/// `scpctl --output json apply --yes --ou ...` through the fault proxy.
fn apply_via(
    emu: &Emulator,
    proxy: &faultproxy::Proxy,
    config: &std::path::Path,
    ous: &[String],
) -> assert_cmd::assert::Assert {
    emu.scpctl_via(proxy)
        .arg("--config")
        .arg(config)
        .args(apply_args(ous))
        .assert()
}

/// The end state every successful apply must leave: one policy, exactly the rendered text,
/// attached to every OU beside FullAWSAccess.
fn assert_converged(emu: &Emulator, config: &std::path::Path, ous: &[String]) {
    let ids = policies_named(emu, SCP_NAME);
    assert_eq!(ids.len(), 1, "exactly one policy named {SCP_NAME}");
    let rendered = stdout_of(
        &emu.scpctl()
            .arg("--config")
            .arg(config)
            .arg("render")
            .assert()
            .success(),
    );
    assert_eq!(policy_content(emu, &ids[0]), rendered.trim_end());
    for ou in ous {
        assert_eq!(attached_names(emu, ou), ["FullAWSAccess", SCP_NAME], "{ou}");
    }
}

#[test]
fn apply_converges_with_30_percent_of_calls_throttled_or_conflicting() {
    let emu = Emulator::start();
    let org = seed_org(&emu, 10);
    let (_dir, config) = project(CIDRS);
    let proxy = emu.proxy();
    proxy.set_rules(vec![
        rule(
            Only::Writes,
            When::Rate(0.3),
            Fault::OneOf(vec![
                Fault::error("TooManyRequestsException"),
                Fault::error("ConcurrentModificationException"),
            ]),
        ),
        rule(
            Only::Reads,
            When::Rate(0.3),
            Fault::error("TooManyRequestsException"),
        ),
    ]);
    apply_via(&emu, &proxy, &config, &org.ous).success();
    let counts = proxy.counts();
    let faults: u64 = counts.faults.values().sum();
    eprintln!(
        "calls {} faults {}: {:?}",
        counts.total(),
        faults,
        counts.faults
    );
    assert!(faults >= 3, "the schedule injected faults: {counts:?}");
    assert_converged(&emu, &config, &org.ous);

    // A re-run, faults off: no write call at all, counted by the proxy.
    proxy.set_rules(vec![]);
    proxy.reset_counts();
    let doc = stdout_json(&apply_via(&emu, &proxy, &config, &org.ous).success());
    assert_eq!(doc["changes"], serde_json::json!([]));
    assert!(proxy.counts().writes().is_empty(), "{:?}", proxy.counts());
}

#[test]
fn a_crash_after_any_call_of_an_apply_is_finished_by_a_rerun() {
    let emu = Emulator::start();
    let (_dir, config) = project(CIDRS);
    let proxy = emu.proxy();
    // How many calls a clean first apply makes.
    let org = seed_org(&emu, 3);
    apply_via(&emu, &proxy, &config, &org.ous).success();
    let total = proxy.counts().total();
    assert!(total >= 8, "{:?}", proxy.counts());

    for crash_after in 0..total {
        emu.reset();
        let org = seed_org(&emu, 3);
        // Every call after `crash_after` is refused (not retryable), as if the process had died.
        proxy.set_rules(vec![rule(
            Only::All,
            When::After(crash_after),
            Fault::error("AccessDeniedException"),
        )]);
        let first = apply_via(&emu, &proxy, &config, &org.ous).failure();
        let err = stderr_of(&first);
        assert!(!err.contains("panicked"), "{err}");
        proxy.set_rules(vec![]);
        apply_via(&emu, &proxy, &config, &org.ous).success();
        assert_converged(&emu, &config, &org.ous);
        proxy.reset_counts();
        apply_via(&emu, &proxy, &config, &org.ous).success();
        assert!(
            proxy.counts().writes().is_empty(),
            "crash after call {crash_after}: {:?}",
            proxy.counts()
        );
    }
    eprintln!("crash points tried: {total}");
}

#[test]
fn a_lost_response_on_any_write_is_absorbed_by_the_retry() {
    // AWS makes the change but the answer is lost (HTTP 500): the SDK retries, and the retry
    // meets AWS's strict answers (DuplicatePolicyAttachmentException from the proxy,
    // DuplicatePolicyException, PolicyTypeAlreadyEnabledException from moto).
    let emu = Emulator::start();
    let (_dir, config) = project(CIDRS);
    let proxy = emu.proxy();
    let writes = 2 + 3; // enable, create, three attaches
    for nth in 1..=writes {
        emu.reset();
        let org = seed_org(&emu, 3);
        proxy.set_rules(vec![rule(
            Only::Writes,
            When::Nth(nth),
            Fault::LostResponse,
        )]);
        proxy.reset_counts();
        apply_via(&emu, &proxy, &config, &org.ous).success();
        assert_eq!(
            proxy.counts().faults.values().sum::<u64>(),
            1 + u64::from(nth > 2),
            "lost write {nth}: {:?}",
            proxy.counts()
        );
        assert_converged(&emu, &config, &org.ous);
    }
}

#[test]
fn aws_strict_errors_surface_naming_the_limit_and_saying_what_was_done() {
    let emu = Emulator::start();
    let org = seed_org(&emu, 2);
    let (_dir, config) = project(CIDRS);
    let proxy = emu.proxy();
    // Another admin fills the second OU between our read and our write.
    proxy.set_rules(vec![Rule {
        operation: Some("AttachPolicy".into()),
        only: Only::All,
        when: When::Nth(2),
        fault: Fault::Constraint {
            reason: "MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED".into(),
            message: "You have attached the maximum number of policies to the target.".into(),
        },
    }]);
    let a = apply_via(&emu, &proxy, &config, &org.ous).code(1);
    let err = stderr_of(&a);
    assert!(
        err.contains("ConstraintViolationException") && err.contains("maximum number of policies"),
        "{err}"
    );
    assert!(
        err.contains("failed to attach") && err.contains("re-run"),
        "{err}"
    );
    assert!(err.contains("3 of 4 changes were made"), "{err}");
    // The reason names the setting to change.
    assert!(err.contains("[limits] scps_per_target"), "{err}");
    proxy.set_rules(vec![]);
    apply_via(&emu, &proxy, &config, &org.ous).success();
    assert_converged(&emu, &config, &org.ous);
}

#[test]
fn the_deployer_cannot_bypass_the_render_checks() {
    // Too large, empty, everything: refused before any AWS call.
    let emu = Emulator::start();
    let org = seed_org(&emu, 1);
    let proxy = emu.proxy();
    // 900 scattered hosts: over AWS's 10,240 characters (400 were over the old 5,120).
    let many: Vec<String> = (0..900)
        .map(|i| format!("\"10{}.{}.{}.1\"", i % 10, i / 10 % 250, i % 250))
        .collect();
    for (cidrs, expect) in [
        (format!("[{}]", many.join(",")), "over the limit"),
        ("[]".to_string(), "no CIDRs"),
        ("[\"0.0.0.0/0\"]".to_string(), "matches every address"),
        (
            "[\"0.0.0.0/1\", \"128.0.0.0/1\"]".to_string(),
            "cover every",
        ),
    ] {
        let (_dir, config) = project(&cidrs);
        proxy.reset_counts();
        apply_via(&emu, &proxy, &config, &org.ous)
            .code(1)
            .stderr(predicate::str::contains(expect));
        assert_eq!(proxy.counts().total(), 0, "{cidrs}: no AWS call");
    }
}

/// An organization still on the old quotas (5,120 characters, 5 SCPs per target) while the
/// config keeps AWS's current defaults: AWS's own refusals name the `[limits]` value to set,
/// and with the setting lowered scpctl refuses before writing.
#[test]
fn aws_refusing_on_the_old_quotas_names_the_setting_and_the_setting_is_honoured() {
    let emu = Emulator::start();
    let org = seed_org(&emu, 1);
    let legacy = faultproxy::Limits {
        scp_max_chars: 5120,
        scps_per_target: 5,
    };
    let proxy = emu.proxy_with(legacy);
    // 500 scattered hosts: about 8,000 characters, within 10,240, over 5,120.
    let many: Vec<String> = (0..500)
        .map(|i| format!("\"11.{}.{}.1\"", i / 250, i % 250))
        .collect();
    let list = format!("[{}]", many.join(","));
    let (_dir, config) = project(&list);
    let a = apply_via(&emu, &proxy, &config, &org.ous).code(1);
    let err = stderr_of(&a);
    assert!(
        err.contains("POLICY_CONTENT_LIMIT_EXCEEDED") && err.contains("[limits] scp_max_chars"),
        "{err}"
    );
    assert!(policies_named(&emu, SCP_NAME).is_empty(), "nothing created");
    // With the organization's figure set, scpctl refuses before any call.
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("{text}\n[limits]\nscp_max_chars = 5120\n")).unwrap();
    proxy.reset_counts();
    let a = apply_via(&emu, &proxy, &config, &org.ous).code(1);
    assert!(
        stderr_of(&a).contains("over the limit of 5120 ([limits] scp_max_chars)"),
        "{}",
        stderr_of(&a)
    );
    assert_eq!(proxy.counts().total(), 0, "no AWS call");
}

fn pretend_caller(arn: &str, account: &str) -> Rule {
    on(
        "GetCallerIdentity",
        When::Always,
        Fault::Respond {
            content_type: "text/xml".into(),
            body: format!(
                "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>{arn}</Arn><UserId>AIDAEXAMPLE</UserId><Account>{account}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>"
            ),
        },
    )
}

#[test]
fn apply_refuses_to_lock_out_the_iam_user_running_it() {
    let emu = Emulator::start();
    let org = seed_org(&emu, 1);
    let (_dir, config) = project(CIDRS);
    let proxy = emu.proxy();
    // The caller is IAM user `deployer` in the member account (moto keeps its IAM state under
    // the credentials' account, so the user is created there for ListUserTags).
    proxy.set_rules(vec![pretend_caller(
        &format!("arn:aws:iam::{}:user/ops/deployer", org.account),
        &org.account,
    )]);
    create_user(&emu, &emu.iam, "deployer", &[]);
    let target = ["apply", "--yes", "--account", org.account.as_str()];
    let run = |extra: &[&str]| {
        emu.scpctl_via(&proxy)
            .arg("--config")
            .arg(&config)
            .args(target)
            .args(extra)
            .assert()
    };

    run(&[])
        .code(1)
        .stderr(predicate::str::contains("refusing to lock you out"))
        .stderr(predicate::str::contains(
            "DenyIAMUsersWithoutAccessException",
        ))
        .stderr(predicate::str::contains("Nothing was changed"));
    assert!(policies_named(&emu, SCP_NAME).is_empty());

    emu.block_on(
        emu.iam
            .tag_user()
            .user_name("deployer")
            .tags(
                aws_sdk_iam::types::Tag::builder()
                    .key("AccessException")
                    .value("True")
                    .build()
                    .unwrap(),
            )
            .send(),
    )
    .unwrap();
    run(&["--my-ip", "198.51.100.1"])
        .code(1)
        .stderr(predicate::str::contains(
            "198.51.100.1 would be denied by DenyIAMUsersOutsideApprovedNetwork",
        ));
    assert!(policies_named(&emu, SCP_NAME).is_empty());

    run(&["--my-ip", "192.0.2.10"]).success();
    assert_eq!(policies_named(&emu, SCP_NAME).len(), 1);

    // A content change lands wherever the policy is attached already: applying the new CIDRs
    // to an unrelated OU still reaches the caller's account, where the policy sits.
    let (_d3, narrowed) = project(r#"["203.0.113.0/24"]"#);
    let elsewhere = |extra: &[&str]| {
        emu.scpctl_via(&proxy)
            .arg("--config")
            .arg(&narrowed)
            .args([
                "apply",
                "--yes",
                "--ou",
                org.ous[0].as_str(),
                "--my-ip",
                "192.0.2.10",
            ])
            .args(extra)
            .assert()
    };
    elsewhere(&[])
        .code(1)
        .stderr(predicate::str::contains("refusing to lock you out"))
        .stderr(predicate::str::contains(org.account.as_str()));
    let ids = policies_named(&emu, SCP_NAME);
    assert!(
        policy_content(&emu, &ids[0]).contains("192.0.2.0/24"),
        "the deployed content is unchanged"
    );
    elsewhere(&["--allow-self-lockout"]).success();
    assert!(policy_content(&emu, &ids[0]).contains("203.0.113.0/24"));

    // A role session is never restricted by this policy; the management account neither.
    let (_d2, config2) = project(r#"["192.0.2.0/24"]"#);
    proxy.set_rules(vec![pretend_caller(
        &format!("arn:aws:sts::{}:assumed-role/Admin/s", org.account),
        &org.account,
    )]);
    emu.scpctl_via(&proxy)
        .arg("--config")
        .arg(&config2)
        .args(target)
        .assert()
        .success();
}

#[test]
fn credentials_are_never_printed_even_at_trace_level() {
    let emu = Emulator::start();
    let org = seed_org(&emu, 1);
    let (_dir, config) = project(CIDRS);
    const SECRET: &str = "wJalrXUtnFEMIK7MDENGbPxRfiCYzzSECRETzz";
    const TOKEN: &str = "IQoJb3JpZ2luX2VjzzSESSIONTOKENzz";
    create_user(&emu, &emu.iam, "svc", &[]);
    let runs: Vec<Vec<&str>> = vec![
        vec!["-vvv", "apply", "--yes", "--ou", org.ous[0].as_str()],
        vec!["-vvv", "status"],
        vec!["-vvv", "exception", "grant", "svc"],
        vec![
            "-vvv",
            "exception",
            "list",
            "--account",
            org.account.as_str(),
        ],
    ];
    for args in runs {
        let a = emu
            .scpctl()
            .env("AWS_SECRET_ACCESS_KEY", SECRET)
            .env("AWS_SESSION_TOKEN", TOKEN)
            .arg("--config")
            .arg(&config)
            .args(&args)
            .assert();
        let out = format!("{}{}", stdout_of(&a), stderr_of(&a));
        assert!(a.get_output().status.success(), "{args:?}: {out}");
        assert!(
            out.lines().count() > 10,
            "{args:?}: verbose output expected"
        );
        for secret in [SECRET, TOKEN, &SECRET[..12], &TOKEN[..12]] {
            assert!(!out.contains(secret), "{args:?} printed a credential");
        }
    }
}

#[test]
fn list_all_accounts_reports_and_skips_an_account_whose_role_cannot_be_assumed() {
    let emu = Emulator::start();
    let (_dir, config) = project(CIDRS);
    let members = seed_members(&emu, 2);
    create_user(&emu, &emu.iam, "svc-mgmt", &[("AccessException", "True")]);
    let proxy = emu.proxy();
    proxy.set_rules(vec![on(
        "AssumeRole",
        When::Always,
        Fault::error("AccessDenied"),
    )]);
    let a = emu
        .scpctl_via(&proxy)
        .arg("--config")
        .arg(&config)
        .args(["--output", "json", "exception", "list", "--all-accounts"])
        .assert()
        .success();
    let rows = stdout_json(&a);
    assert_eq!(rows.as_array().unwrap().len(), 1, "{rows}");
    assert_eq!(rows[0]["user"], "svc-mgmt");
    let err = stderr_of(&a);
    for m in &members {
        assert!(
            err.contains(&format!("warning: account {m} skipped")),
            "{err}"
        );
    }
}
