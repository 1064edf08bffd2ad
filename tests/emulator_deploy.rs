//! `plan`, `apply`, `detach`, `destroy`, `status` against a real moto server, one per test.
//! Results are checked with the tests' own SDK client, not through scpctl's reads.

mod support;

use aws_sdk_organizations::types::{PolicyType, Tag};
use predicates::prelude::*;
use support::*;

fn deploy(emu: &Emulator, config: &std::path::Path, args: &[&str]) -> assert_cmd::assert::Assert {
    emu.scpctl().arg("--config").arg(config).args(args).assert()
}

fn with_ous<'a>(cmd: &[&'a str], ous: &'a [String]) -> Vec<&'a str> {
    let mut args = cmd.to_vec();
    for ou in ous {
        args.extend(["--ou", ou.as_str()]);
    }
    args
}

#[test]
fn apply_creates_enables_and_attaches_then_a_rerun_writes_nothing() {
    let emu = Emulator::start();
    let org = seed_org(&emu, 3);
    let (_dir, config) = project(CIDRS);

    let args = with_ous(&["--output", "json", "apply", "--yes"], &org.ous);
    let first = deploy(&emu, &config, &args).success();
    let doc = stdout_json(&first);
    assert_eq!(
        actions(&doc),
        [
            "enable_policy_type",
            "create_policy",
            "attach_policy",
            "attach_policy",
            "attach_policy"
        ]
    );
    assert_eq!(doc["applied"], 5);

    // Independently: one policy, exactly the rendered text, tagged, attached beside FullAWSAccess.
    let ids = policies_named(&emu, SCP_NAME);
    assert_eq!(ids.len(), 1);
    let rendered = emu
        .scpctl()
        .arg("--config")
        .arg(&config)
        .arg("render")
        .assert()
        .success();
    assert_eq!(
        policy_content(&emu, &ids[0]),
        stdout_of(&rendered).trim_end()
    );
    for ou in &org.ous {
        assert_eq!(attached_names(&emu, ou), ["FullAWSAccess", SCP_NAME]);
    }
    let (enabled, tags) = emu.block_on(async {
        let roots = emu.orgs.list_roots().send().await.unwrap();
        let enabled = roots.roots()[0].policy_types().iter().any(|t| {
            t.r#type() == Some(&PolicyType::ServiceControlPolicy)
                && t.status().map(|s| s.as_str()) == Some("ENABLED")
        });
        let tags = emu
            .orgs
            .list_tags_for_resource()
            .resource_id(&ids[0])
            .send()
            .await
            .unwrap();
        let tags: Vec<(String, String)> = tags
            .tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect();
        (enabled, tags)
    });
    assert!(enabled, "SCP policy type enabled on the root");
    assert_eq!(tags, [("ManagedBy".to_string(), "scpctl".to_string())]);

    // Re-run: no changes, no write call, same constant number of reads.
    let again = stdout_json(&deploy(&emu, &config, &args).success());
    assert_eq!(again["changes"], serde_json::json!([]));
    assert!(writes(&again).is_empty(), "{}", again["api_calls"]);
    assert_eq!(policies_named(&emu, SCP_NAME).len(), 1);

    let status = deploy(&emu, &config, &["status"]).success();
    let out = stdout_of(&status);
    assert!(
        out.contains("in sync") && org.ous.iter().all(|o| out.contains(o.as_str())),
        "{out}"
    );
}

#[test]
fn plan_shows_the_changes_and_writes_nothing() {
    let emu = Emulator::start();
    let org = seed_org(&emu, 1);
    let (_dir, config) = project(CIDRS);
    let a = deploy(
        &emu,
        &config,
        &with_ous(&["--output", "json", "plan"], &org.ous),
    )
    .success();
    let doc = stdout_json(&a);
    assert_eq!(
        actions(&doc),
        ["enable_policy_type", "create_policy", "attach_policy"]
    );
    assert_eq!(doc["changes"][2]["target"], org.ous[0].as_str());
    assert!(writes(&doc).is_empty());
    assert!(policies_named(&emu, SCP_NAME).is_empty());

    // apply --dry-run is the same plan.
    let dry = deploy(
        &emu,
        &config,
        &with_ous(&["--output", "json", "apply", "--dry-run"], &org.ous),
    );
    assert_eq!(actions(&stdout_json(&dry.success())), actions(&doc));
    assert!(policies_named(&emu, SCP_NAME).is_empty());
}

#[test]
fn apply_without_yes_and_without_a_terminal_refuses_and_writes_nothing() {
    let emu = Emulator::start();
    let org = seed_org(&emu, 1);
    let (_dir, config) = project(CIDRS);
    deploy(&emu, &config, &with_ous(&["apply"], &org.ous))
        .code(1)
        .stderr(predicate::str::contains("--yes"));
    assert!(policies_named(&emu, SCP_NAME).is_empty());
    assert_eq!(attached_names(&emu, &org.ous[0]), ["FullAWSAccess"]);
}

#[test]
fn a_missing_target_is_named_and_nothing_is_written() {
    let emu = Emulator::start();
    let org = seed_org(&emu, 1);
    let (_dir, config) = project(CIDRS);
    let missing = format!("{}-zzzzzzzz", &org.ous[0][..7]);
    deploy(
        &emu,
        &config,
        &[
            "apply",
            "--yes",
            "--ou",
            &org.ous[0],
            "--ou",
            &missing,
            "--account",
            "999999999999",
        ],
    )
    .code(1)
    .stderr(predicate::str::contains(missing.as_str()))
    .stderr(predicate::str::contains("999999999999"))
    .stderr(predicate::str::contains("nothing was changed"));
    assert!(policies_named(&emu, SCP_NAME).is_empty());
    assert_eq!(attached_names(&emu, &org.ous[0]), ["FullAWSAccess"]);
}

#[test]
fn malformed_ids_are_refused_before_any_call() {
    // No emulator: the ids are checked before AWS is reached (the endpoint would refuse).
    let (_dir, config) = project(CIDRS);
    assert_cmd::Command::cargo_bin("scpctl")
        .unwrap()
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .arg("--config")
        .arg(&config)
        .args(["plan", "--ou", "ou-12", "--account", "12345"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--ou \"ou-12\""))
        .stderr(predicate::str::contains(
            "--account \"12345\": an account id is exactly 12 digits",
        ));
}

#[test]
fn a_config_change_updates_the_policy_in_place_and_status_shows_the_drift() {
    let emu = Emulator::start();
    let org = seed_org(&emu, 1);
    let (_dir, config) = project(CIDRS);
    let applied = deploy(&emu, &config, &with_ous(&["apply", "--yes"], &org.ous)).success();
    // Each change on its own line; no progress bar on a stderr that is not a terminal.
    let err = stderr_of(&applied);
    assert!(err.contains("done: "), "{err}");
    assert_no_progress(&err);
    let id = policies_named(&emu, SCP_NAME)[0].clone();

    std::fs::write(
        &config,
        "[network]\ncidrs = [\"192.0.2.0/24\", \"198.51.100.0/24\"]\n",
    )
    .unwrap();
    let status = deploy(&emu, &config, &["status"]).code(4);
    let out = stdout_of(&status);
    assert!(out.contains("+ 198.51.100.0/24"), "{out}");
    assert!(
        out.contains("- 203.0.113.0/24") && out.contains("- 2001:db8:1234::/48"),
        "{out}"
    );

    let plan = stdout_json(
        &deploy(
            &emu,
            &config,
            &with_ous(&["--output", "json", "plan"], &org.ous),
        )
        .success(),
    );
    assert_eq!(actions(&plan), ["update_policy"]);
    assert_eq!(
        plan["changes"][0]["cidrs_added"],
        serde_json::json!(["198.51.100.0/24"])
    );

    deploy(&emu, &config, &with_ous(&["apply", "--yes"], &org.ous)).success();
    assert_eq!(
        policies_named(&emu, SCP_NAME),
        vec![id.clone()],
        "same policy, updated in place"
    );
    assert!(policy_content(&emu, &id).contains("198.51.100.0/24"));
    deploy(&emu, &config, &["status"]).success();
}

#[test]
fn a_policy_of_the_same_name_not_created_by_scpctl_is_left_alone() {
    let emu = Emulator::start();
    let org = seed_org(&emu, 1);
    let (_dir, config) = project(CIDRS);
    let handmade = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}"#;
    emu.block_on(
        emu.orgs
            .create_policy()
            .name(SCP_NAME)
            .description("by hand")
            .content(handmade)
            .r#type(PolicyType::ServiceControlPolicy)
            .send(),
    )
    .unwrap();
    deploy(&emu, &config, &with_ous(&["apply", "--yes"], &org.ous))
        .code(1)
        .stderr(predicate::str::contains("was not created by scpctl"));
    let ids = policies_named(&emu, SCP_NAME);
    assert_eq!(ids.len(), 1);
    assert_eq!(policy_content(&emu, &ids[0]), handmade);
    assert_eq!(attached_names(&emu, &org.ous[0]), ["FullAWSAccess"]);
    // status says one true thing: apply leaves it alone (never "apply would update it").
    let status = deploy(&emu, &config, &["status"]).code(4);
    let out = String::from_utf8_lossy(&status.get_output().stdout).into_owned();
    assert!(
        out.contains("NOT created by scpctl") && out.contains("apply leaves this policy alone"),
        "{out}"
    );
    assert!(!out.contains("would update it"), "{out}");
    deploy(&emu, &config, &["destroy", "--yes"])
        .code(1)
        .stderr(predicate::str::contains("was not created by scpctl"));
    assert_eq!(policies_named(&emu, SCP_NAME).len(), 1);
}

#[test]
fn a_crash_after_create_before_attach_is_finished_by_a_rerun_without_a_second_policy() {
    let emu = Emulator::start();
    let org = seed_org(&emu, 2);
    let (_dir, config) = project(CIDRS);
    // The state a crash right after CreatePolicy leaves: SCPs enabled, our tagged policy, no
    // attachment.
    let rendered = stdout_of(
        &emu.scpctl()
            .arg("--config")
            .arg(&config)
            .arg("render")
            .assert()
            .success(),
    );
    emu.block_on(async {
        let root = emu.orgs.list_roots().send().await.unwrap().roots()[0]
            .id()
            .unwrap()
            .to_string();
        emu.orgs
            .enable_policy_type()
            .root_id(root)
            .policy_type(PolicyType::ServiceControlPolicy)
            .send()
            .await
            .unwrap();
        emu.orgs
            .create_policy()
            .name(SCP_NAME)
            .description("stale description")
            .content(rendered.trim_end())
            .r#type(PolicyType::ServiceControlPolicy)
            .tags(
                Tag::builder()
                    .key("ManagedBy")
                    .value("scpctl")
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    });
    let doc = stdout_json(
        &deploy(
            &emu,
            &config,
            &with_ous(&["--output", "json", "apply", "--yes"], &org.ous),
        )
        .success(),
    );
    assert_eq!(
        actions(&doc),
        ["update_policy", "attach_policy", "attach_policy"]
    );
    assert_eq!(policies_named(&emu, SCP_NAME).len(), 1);
    for ou in &org.ous {
        assert_eq!(attached_names(&emu, ou), ["FullAWSAccess", SCP_NAME]);
    }
}

/// Attach `n` other deny SCPs to `target` (SCPs enabled first).
fn attach_others(emu: &Emulator, target: &str, prefix: &str, n: usize) {
    emu.block_on(async {
        let root = emu.orgs.list_roots().send().await.unwrap().roots()[0].id().unwrap().to_string();
        let _ = emu
            .orgs
            .enable_policy_type()
            .root_id(root)
            .policy_type(PolicyType::ServiceControlPolicy)
            .send()
            .await;
        for i in 0..n {
            let p = emu
                .orgs
                .create_policy()
                .name(format!("{prefix}{i}"))
                .description("other")
                .content(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"ec2:*","Resource":"*"}]}"#)
                .r#type(PolicyType::ServiceControlPolicy)
                .send()
                .await
                .unwrap();
            let id = p.policy().unwrap().policy_summary().unwrap().id().unwrap().to_string();
            emu.orgs.attach_policy().policy_id(id).target_id(target).send().await.unwrap();
        }
    });
}

#[test]
fn a_target_at_the_scps_per_target_setting_is_refused_before_any_write() {
    // moto does not enforce AWS's quota of SCPs per target; scpctl checks it itself, against
    // [limits] scps_per_target (10 by default since AWS raised it on 2026-05-15).
    let emu = Emulator::start();
    let org = seed_org(&emu, 2);
    attach_others(&emu, &org.ous[0], "Nine", 9); // 10 with FullAWSAccess
    attach_others(&emu, &org.ous[1], "Four", 4); // 5 with FullAWSAccess
    let (_dir, config) = project(CIDRS);
    let legacy = std::fs::read_to_string(&config).unwrap() + "\n[limits]\nscps_per_target = 5\n";
    let (_dir2, legacy_config) = project(CIDRS);
    std::fs::write(&legacy_config, legacy).unwrap();

    // The old figure: both OUs are full.
    deploy(
        &emu,
        &legacy_config,
        &with_ous(&["apply", "--yes"], &org.ous),
    )
    .code(1)
    .stderr(predicate::str::contains(format!(
        "OU {} already has 5 SCPs",
        org.ous[1]
    )))
    .stderr(predicate::str::contains(
        "the limit is 5 ([limits] scps_per_target)",
    ))
    .stderr(predicate::str::contains("nothing was changed"));
    // AWS's figure: the OU with 5 has room, the one with 10 does not.
    let a = deploy(&emu, &config, &with_ous(&["apply", "--yes"], &org.ous)).code(1);
    let err = stderr_of(&a);
    assert!(
        err.contains(&format!("OU {} already has 10 SCPs", org.ous[0]))
            && !err.contains(&format!("OU {} already", org.ous[1])),
        "{err}"
    );
    assert!(
        policies_named(&emu, SCP_NAME).is_empty(),
        "no write, not even the create"
    );
    // The sixth SCP on an OU, which the old quota refused, is attached.
    deploy(&emu, &config, &["apply", "--yes", "--ou", &org.ous[1]]).success();
    assert_eq!(attached_names(&emu, &org.ous[1]).len(), 6);
    assert!(attached_names(&emu, &org.ous[1]).contains(&SCP_NAME.to_string()));
}

#[test]
fn root_and_account_targets_with_the_management_account_warning() {
    let emu = Emulator::start();
    let org = seed_org(&emu, 0);
    let (_dir, config) = project(CIDRS);
    let a = deploy(
        &emu,
        &config,
        &["apply", "--yes", "--root", "--account", &org.account],
    )
    .success();
    assert!(stderr_of(&a).contains("SCPs never restrict the management account"));
    assert_eq!(attached_names(&emu, &org.root), ["FullAWSAccess", SCP_NAME]);
    assert_eq!(
        attached_names(&emu, &org.account),
        ["FullAWSAccess", SCP_NAME]
    );
}

#[test]
fn detach_and_destroy_touch_only_the_managed_policy() {
    let emu = Emulator::start();
    let org = seed_org(&emu, 2);
    let (_dir, config) = project(CIDRS);
    deploy(&emu, &config, &with_ous(&["apply", "--yes"], &org.ous)).success();

    deploy(&emu, &config, &["detach", "--yes", "--ou", &org.ous[0]]).success();
    assert_eq!(attached_names(&emu, &org.ous[0]), ["FullAWSAccess"]);
    assert_eq!(
        attached_names(&emu, &org.ous[1]),
        ["FullAWSAccess", SCP_NAME]
    );
    // Detaching again is a no-op.
    let again = stdout_json(
        &deploy(
            &emu,
            &config,
            &["--output", "json", "detach", "--yes", "--ou", &org.ous[0]],
        )
        .success(),
    );
    assert_eq!(again["changes"], serde_json::json!([]));
    let a = deploy(&emu, &config, &["detach", "--yes", "--ou", &org.ous[0]]).success();
    assert!(
        stdout_of(&a).contains("is not attached to these targets; nothing to detach"),
        "{}",
        stdout_of(&a)
    );
    assert!(!stdout_of(&a).contains("matches the config"));

    let doc =
        stdout_json(&deploy(&emu, &config, &["--output", "json", "destroy", "--yes"]).success());
    assert_eq!(actions(&doc), ["detach_policy", "delete_policy"]);
    assert!(policies_named(&emu, SCP_NAME).is_empty());
    for ou in &org.ous {
        assert_eq!(attached_names(&emu, ou), ["FullAWSAccess"]);
    }
    assert_eq!(attached_names(&emu, &org.root), ["FullAWSAccess"]);
    deploy(&emu, &config, &["status"])
        .code(4)
        .stdout(predicate::str::contains("not deployed"));
}

/// `localstack/seed_demo.py` twice, then the README's demo: the second run finds what the
/// first created and prints the same ids.
#[test]
fn the_demo_seed_runs_twice_and_the_demo_works_after_it() {
    let emu = Emulator::start();
    let seed = || {
        let out = std::process::Command::new(emulator_python())
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/localstack/seed_demo.py"
            ))
            .args(["--endpoint-url", &emu.endpoint])
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let first = seed();
    assert_eq!(seed(), first);
    let id = |name: &str| {
        first
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .unwrap()
            .to_string()
    };
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/scpctl.toml");
    let config = std::path::Path::new(config);
    deploy(
        &emu,
        config,
        &[
            "apply",
            "--ou",
            &id("OU_PROD"),
            "--ou",
            &id("OU_DEV"),
            "--yes",
        ],
    )
    .success();
    deploy(&emu, config, &["status"]).success();
    let out = stdout_of(
        &emu.scpctl()
            .arg("--config")
            .arg(config)
            .args(["exception", "list"])
            .assert()
            .success(),
    );
    assert!(
        out.contains("svc-legacy-app  granted") && out.contains("svc-onprem-backup  NOT GRANTED"),
        "{out}"
    );
}

#[test]
fn the_endpoint_url_flag_maps_onto_the_sdk_config() {
    let emu = Emulator::start();
    let org = seed_org(&emu, 1);
    let (_dir, config) = project(CIDRS);
    let endpoint = emu.endpoint.clone();
    let mut cmd = emu.scpctl();
    cmd.env_remove("AWS_ENDPOINT_URL")
        .env("AWS_REGION", "eu-west-1");
    cmd.arg("--config")
        .arg(&config)
        .args([
            "plan",
            "--ou",
            &org.ous[0],
            "--endpoint-url",
            &endpoint,
            "--region",
            "us-east-1",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("create SCP"));
}

#[test]
fn status_reports_break_glass_principals_that_do_not_exist() {
    let emu = Emulator::start();
    seed_org(&emu, 1);
    emu.block_on(async {
        emu.iam
            .create_role()
            .role_name("BreakGlassAdmin")
            .assume_role_policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}"#)
            .send()
            .await
            .unwrap();
    });
    let iam = emu.iam.clone();
    create_user(&emu, &iam, "breakglass", &[]);
    let (_dir, config) = project(CIDRS);
    let text = std::fs::read_to_string(&config).unwrap()
        + "[break_glass]\nprincipals = [\"arn:aws:iam::*:role/BreakGlass*\", \"arn:aws:iam::123456789012:user/breakglass\", \"arn:aws:iam::123456789012:user/gone\", \"arn:aws:iam::444455556666:role/Elsewhere\"]\n";
    std::fs::write(&config, text).unwrap();
    let a = deploy(&emu, &config, &["status"]).code(4);
    let out = stdout_of(&a);
    assert!(out.contains("break-glass arn:aws:iam::*:role/BreakGlass*: exists (arn:aws:iam::123456789012:role/BreakGlassAdmin)"), "{out}");
    assert!(
        out.contains("arn:aws:iam::123456789012:user/breakglass: exists"),
        "{out}"
    );
    assert!(
        out.contains("arn:aws:iam::123456789012:user/gone: DOES NOT EXIST"),
        "{out}"
    );
    assert!(out.contains("Elsewhere: in another account"), "{out}");
    let a = deploy(&emu, &config, &["--output", "json", "status"]).code(4);
    let doc = stdout_json(&a);
    assert_eq!(doc["break_glass"][2]["status"]["state"], "missing");
}
