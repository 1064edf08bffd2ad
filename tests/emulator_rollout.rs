//! `rollout status|next|abort` against a real moto server: a three-stage rollout (a canary OU,
//! two OUs, then the root) gated on trails written here, abort, and crashes after every call.
//! Results are checked with the tests' own SDK client.

mod support;

use faultproxy::{Fault, Only, Rule, When};
use serde_json::{json, Value};
use support::*;

/// The member account the trail's users live in (any 12 digits: the replay only reads them).
const ACCOUNT: &str = "210987654321";

fn user(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:user/{name}")
}

/// The config with three stages; `soak2` is stage 2's soak, `expected` the expected_denied.
fn write_config(path: &std::path::Path, org: &Org, soak2: Option<&str>, expected: &[String]) {
    let soak = soak2
        .map(|s| format!("soak = \"{s}\"\n"))
        .unwrap_or_default();
    let text = format!(
        "[network]\ncidrs = {CIDRS}\n\n[[rollout.stages]]\ntargets = [\"{}\"]\n\n[[rollout.stages]]\ntargets = [\"{}\", \"{}\"]\n{soak}\n[[rollout.stages]]\ntargets = [\"{}\"]\n\n[rollout]\nexpected_denied = {}\nmax_unexpected_principals = 0\n",
        org.ous[0],
        org.ous[1],
        org.ous[2],
        org.root,
        serde_json::to_string(expected).unwrap()
    );
    std::fs::write(path, text).unwrap();
}

/// One CloudTrail record of `name` calling IAM ListRoles from outside the CIDRs.
fn record(id: &str, time: &str, name: &str, error: Option<(&str, &str)>) -> Value {
    let mut r = json!({"eventVersion": "1.09", "eventTime": time,
        "userIdentity": {"type": "IAMUser", "principalId": format!("AIDA{}", name.to_uppercase()),
                         "arn": user(name), "accountId": ACCOUNT, "userName": name},
        "eventSource": "iam.amazonaws.com", "eventName": "ListRoles", "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.7", "eventID": id, "eventType": "AwsApiCall",
        "recipientAccountId": ACCOUNT});
    if let Some((code, message)) = error {
        r["errorCode"] = json!(code);
        r["errorMessage"] = json!(message);
    }
    r
}

fn refused_by_arn(name: &str, policy_id: &str) -> String {
    format!("User: {} is not authorized to perform: iam:ListRoles on resource: arn:aws:iam::{ACCOUNT}:role/ with an explicit deny in a service control policy: arn:aws:organizations::123456789012:policy/o-exampleorg/service_control_policy/{policy_id}", user(name))
}

fn refused_by_phrase(name: &str) -> String {
    format!("User: {} is not authorized to perform: iam:ListRoles on resource: arn:aws:iam::{ACCOUNT}:role/ with an explicit deny in a service control policy", user(name))
}

fn write_trail(dir: &std::path::Path, records: &[Value]) -> String {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("trail.json"),
        json!({ "Records": records }).to_string(),
    )
    .unwrap();
    dir.display().to_string()
}

fn scpctl(emu: &Emulator, config: &std::path::Path, args: &[&str]) -> assert_cmd::assert::Assert {
    emu.scpctl().arg("--config").arg(config).args(args).assert()
}

fn status(emu: &Emulator, config: &std::path::Path) -> Value {
    stdout_json(&scpctl(emu, config, &["--output", "json", "rollout", "status"]).success())
}

fn holds(emu: &Emulator, target: &str) -> bool {
    attached_names(emu, target).iter().any(|n| n == SCP_NAME)
}

fn policy_tags(emu: &Emulator) -> Vec<(String, String)> {
    let id = policies_named(emu, SCP_NAME).remove(0);
    emu.block_on(async {
        let out = emu
            .orgs
            .list_tags_for_resource()
            .resource_id(&id)
            .send()
            .await
            .unwrap();
        out.tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect()
    })
}

fn tag(emu: &Emulator, key: &str) -> Option<String> {
    policy_tags(emu)
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

#[test]
fn three_stages_gated_on_the_trail_then_abort_twice() {
    let emu = Emulator::start();
    let org = seed_org(&emu, 3);
    let dir = tempfile::TempDir::new().unwrap();
    let config = dir.path().join("scpctl.toml");
    let stale = vec!["arn:aws:iam::*:user/stale-*".to_string()];
    write_config(&config, &org, None, &stale);

    let st = status(&emu, &config);
    assert_eq!(st["state"]["stage"], Value::Null, "{st}");
    assert_eq!(st["next_stage"], 1, "{st}");

    // Stage 1: no trail needed; the policy is created, tagged and attached to the canary.
    let a = scpctl(
        &emu,
        &config,
        &["--output", "json", "rollout", "next", "--yes"],
    )
    .success();
    let doc = stdout_json(&a);
    assert_eq!(doc["stage"], 1, "{doc}");
    assert!(holds(&emu, &org.ous[0]));
    assert!(!holds(&emu, &org.ous[1]) && !holds(&emu, &org.root));
    assert_eq!(tag(&emu, "scpctl:rollout-stage").as_deref(), Some("1"));
    let started = tag(&emu, "scpctl:rollout-started").unwrap();
    let policy_id = policies_named(&emu, SCP_NAME).remove(0);

    // Without a trail, stage 2 is refused as a usage error.
    let a = scpctl(&emu, &config, &["rollout", "next", "--yes"]).code(2);
    assert!(stderr_of(&a).contains("--trail"), "{}", stderr_of(&a));

    // A trail since the stage started: alice refused by the policy's ARN (unexpected),
    // stale-bob by the phrase without ARN (expected), carol a bare Access Denied, dave refused
    // by ARN a day before the stage (never counts).
    let arn_msg = refused_by_arn("alice", &policy_id);
    let phrase = refused_by_phrase("stale-bob");
    let dave = refused_by_arn("dave", &policy_id);
    let trail_a = write_trail(
        &dir.path().join("a"),
        &[
            record(
                "ev-alice-1",
                &started,
                "alice",
                Some(("AccessDenied", &arn_msg)),
            ),
            record(
                "ev-bob-1",
                &started,
                "stale-bob",
                Some(("AccessDenied", &phrase)),
            ),
            record(
                "ev-carol-1",
                &started,
                "carol",
                Some(("AccessDenied", "Access Denied")),
            ),
            record(
                "ev-dave-1",
                "2020-01-01T00:00:00Z",
                "dave",
                Some(("AccessDenied", &dave)),
            ),
        ],
    );
    let a = scpctl(
        &emu,
        &config,
        &["rollout", "next", "--yes", "--trail", &trail_a],
    )
    .code(1);
    let err = stderr_of(&a);
    assert!(
        err.contains(&user("alice")) && err.contains("ev-alice-1"),
        "{err}"
    );
    assert!(
        !err.contains("stale-bob") && !err.contains("dave") && !err.contains("carol"),
        "{err}"
    );
    assert!(!holds(&emu, &org.ous[1]), "a refused next writes nothing");
    assert_eq!(tag(&emu, "scpctl:rollout-stage").as_deref(), Some("1"));

    // alice added to expected_denied: the same trail passes (dry run: nothing written).
    let with_alice = dir.path().join("with-alice.toml");
    write_config(&with_alice, &org, None, &[stale[0].clone(), user("alice")]);
    let a = scpctl(
        &emu,
        &with_alice,
        &[
            "--output",
            "json",
            "rollout",
            "next",
            "--dry-run",
            "--trail",
            &trail_a,
        ],
    )
    .success();
    let doc = stdout_json(&a);
    assert_eq!(doc["stage"], 2, "{doc}");
    assert_eq!(actions(&doc), ["attach_policy", "attach_policy"], "{doc}");
    assert!(!holds(&emu, &org.ous[1]), "a dry run writes nothing");

    // Or: alice granted the exception (the tags say so) and a quiet trail: stage 2 goes ahead.
    let tags_file = dir.path().join("tags.json");
    std::fs::write(
        &tags_file,
        json!({ user("alice"): {"AccessException": "True"} }).to_string(),
    )
    .unwrap();
    let trail_b = write_trail(
        &dir.path().join("b"),
        &[
            record("ev-alice-2", &started, "alice", None),
            record(
                "ev-bob-2",
                &started,
                "stale-bob",
                Some(("AccessDenied", &phrase)),
            ),
        ],
    );
    let b_args = [
        "rollout",
        "next",
        "--yes",
        "--trail",
        trail_b.as_str(),
        "--tags-file",
        tags_file.to_str().unwrap(),
    ];
    scpctl(&emu, &config, &b_args).success();
    assert!(holds(&emu, &org.ous[1]) && holds(&emu, &org.ous[2]));
    assert_eq!(tag(&emu, "scpctl:rollout-stage").as_deref(), Some("2"));

    // Stage 2 soaks 30 minutes: refused before the soak, nothing written.
    let soaking = dir.path().join("soak.toml");
    write_config(&soaking, &org, Some("30m"), &stale);
    let a = scpctl(&emu, &soaking, &b_args).code(1);
    let err = stderr_of(&a);
    assert!(err.contains("soak ends at"), "{err}");
    assert!(!holds(&emu, &org.root));

    // Without the soak: stage 3, the root.
    scpctl(&emu, &config, &b_args).success();
    assert!(holds(&emu, &org.root));
    let st = status(&emu, &config);
    assert_eq!(st["state"]["stage"], 3, "{st}");
    assert_eq!(st["next_stage"], Value::Null, "{st}");
    let a = scpctl(&emu, &config, &b_args).code(1);
    assert!(stderr_of(&a).contains("complete"), "{}", stderr_of(&a));

    // Abort through the proxy: every stage target detached, the reason written; a second
    // abort makes no write at all.
    let proxy = emu.proxy();
    let abort = [
        "--output",
        "json",
        "rollout",
        "abort",
        "--yes",
        "--reason",
        "canary broke the build",
    ];
    let mut cmd = emu.scpctl_via(&proxy);
    let a = cmd
        .arg("--config")
        .arg(&config)
        .args(abort)
        .assert()
        .success();
    let doc = stdout_json(&a);
    assert_eq!(actions(&doc), ["detach_policy"; 4], "{doc}");
    for t in org.ous.iter().chain([&org.root]) {
        assert!(!holds(&emu, t), "{t} still holds the policy");
    }
    assert_eq!(
        tag(&emu, "scpctl:rollout-reason").as_deref(),
        Some("canary broke the build")
    );
    assert_eq!(tag(&emu, "scpctl:rollout-stage"), None);
    proxy.reset_counts();
    let mut cmd = emu.scpctl_via(&proxy);
    cmd.arg("--config")
        .arg(&config)
        .args(abort)
        .assert()
        .success();
    assert!(proxy.counts().writes().is_empty(), "{:?}", proxy.counts());

    // next resumes from the first stage.
    let a = scpctl(
        &emu,
        &config,
        &["--output", "json", "rollout", "next", "--yes"],
    )
    .success();
    assert_eq!(stdout_json(&a)["stage"], 1);
    assert!(holds(&emu, &org.ous[0]) && !holds(&emu, &org.ous[1]));
    assert_eq!(tag(&emu, "scpctl:rollout-reason"), None);
}

/// A stage target that does not exist is named before any write.
#[test]
fn a_missing_stage_target_is_named_before_any_write() {
    let emu = Emulator::start();
    let mut org = seed_org(&emu, 3);
    org.ous[0] = "ou-zzzz-00000000".into();
    let dir = tempfile::TempDir::new().unwrap();
    let config = dir.path().join("scpctl.toml");
    write_config(&config, &org, None, &[]);
    let proxy = emu.proxy();
    let mut cmd = emu.scpctl_via(&proxy);
    let a = cmd
        .arg("--config")
        .arg(&config)
        .args(["rollout", "next", "--yes"])
        .assert()
        .failure();
    assert!(
        stderr_of(&a).contains("ou-zzzz-00000000"),
        "{}",
        stderr_of(&a)
    );
    assert!(proxy.counts().writes().is_empty(), "{:?}", proxy.counts());
}

/// `rollout next` cut short after any of its calls is finished by running it again: for the
/// first stage (the policy created) and for the second (tags first, then attachments).
#[test]
fn a_crash_after_any_call_of_next_is_finished_by_a_rerun() {
    let emu = Emulator::start();
    let proxy = emu.proxy();
    let dir = tempfile::TempDir::new().unwrap();
    let config = dir.path().join("scpctl.toml");
    let next = |args: &[&str]| {
        let mut cmd = emu.scpctl_via(&proxy);
        cmd.arg("--config")
            .arg(&config)
            .args(["--output", "json", "rollout", "next", "--yes", "--force"])
            .args(args)
            .assert()
    };
    for stage in [1usize, 2] {
        // How many calls a clean run makes.
        emu.reset();
        let org = seed_org(&emu, 3);
        write_config(&config, &org, None, &[]);
        if stage == 2 {
            next(&[]).success();
        }
        proxy.reset_counts();
        next(&[]).success();
        let total = proxy.counts().total();
        assert!(total >= 4, "{:?}", proxy.counts());
        for crash_after in 0..total {
            emu.reset();
            let org = seed_org(&emu, 3);
            write_config(&config, &org, None, &[]);
            if stage == 2 {
                next(&[]).success();
            }
            proxy.set_rules(vec![Rule {
                operation: None,
                only: Only::All,
                when: When::After(crash_after),
                fault: Fault::error("AccessDeniedException"),
            }]);
            let a = next(&[]).failure();
            assert!(!stderr_of(&a).contains("panicked"), "{}", stderr_of(&a));
            proxy.set_rules(vec![]);
            // The re-run finishes this stage (or, if the crash came before the tags, makes it).
            next(&[]).success();
            let st = status(&emu, &config);
            let stage_now = st["state"]["stage"].as_u64().unwrap() as usize;
            assert!(
                stage_now == stage || stage_now == stage + 1,
                "stage {stage}, crash after {crash_after}: {st}"
            );
            assert_eq!(
                st["incomplete"],
                json!([]),
                "stage {stage}, crash after {crash_after}: {st}"
            );
            assert!(holds(&emu, &org.ous[0]));
            if stage_now >= 2 {
                assert!(holds(&emu, &org.ous[1]) && holds(&emu, &org.ous[2]));
            }
        }
        eprintln!("stage {stage}: crash points tried: {total}");
    }
}

/// Rollout tags written by hand that do not parse are reported, never trusted: `next` refuses
/// and writes nothing, `abort` rewrites them.
#[test]
fn hand_written_tags_that_do_not_parse_stop_next_until_abort() {
    let emu = Emulator::start();
    let org = seed_org(&emu, 3);
    let dir = tempfile::TempDir::new().unwrap();
    let config = dir.path().join("scpctl.toml");
    write_config(&config, &org, None, &[]);
    scpctl(&emu, &config, &["rollout", "next", "--yes"]).success();
    let id = policies_named(&emu, SCP_NAME).remove(0);
    emu.block_on(async {
        let t = aws_sdk_organizations::types::Tag::builder()
            .key("scpctl:rollout-stage")
            .value("banana")
            .build()
            .unwrap();
        emu.orgs
            .tag_resource()
            .resource_id(&id)
            .tags(t)
            .send()
            .await
            .unwrap();
    });
    let a = scpctl(&emu, &config, &["rollout", "next", "--yes", "--force"]).code(1);
    let err = stderr_of(&a);
    assert!(
        err.contains("banana") && err.contains("rollout abort"),
        "{err}"
    );
    assert!(!holds(&emu, &org.ous[1]));
    let a = scpctl(&emu, &config, &["rollout", "status"]).success();
    assert!(stderr_of(&a).contains("not trusted"), "{}", stderr_of(&a));
    scpctl(
        &emu,
        &config,
        &["rollout", "abort", "--yes", "--reason", "bad tags"],
    )
    .success();
    assert_eq!(tag(&emu, "scpctl:rollout-stage"), None);
    assert!(!holds(&emu, &org.ous[0]));
    scpctl(&emu, &config, &["rollout", "next", "--yes"]).success();
    assert_eq!(tag(&emu, "scpctl:rollout-stage").as_deref(), Some("1"));
}
