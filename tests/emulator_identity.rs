//! `--kind identity`: the fallback EnterpriseNetworkRestriction on IAM users, groups and roles,
//! against a real moto server (one per test), writes counted by the fault proxy, results
//! checked with the tests' own IAM client. The fault proxy's strict IAM mode plays what moto
//! does not enforce: policy size, inline aggregate size, attachments per entity.

mod support;

use faultproxy::{Fault, Only, Rule, When};
use predicates::prelude::*;
use scpctl_core::iam_doc::decode_document;
use scpctl_core::plan::same_policy;
use support::*;

const NAME: &str = "EnterpriseNetworkRestriction";
const ARN: &str = "arn:aws:iam::123456789012:policy/EnterpriseNetworkRestriction";
/// moto's caller: `arn:aws:sts::123456789012:user/moto`.
const MOTO_USER: &str = "moto";
const TARGETS: [&str; 10] = [
    "--user",
    "alice",
    "--user",
    "bob",
    "--user",
    "carol",
    "--group",
    "ops",
    "--role",
    "federated",
];

fn seed(emu: &Emulator) {
    let iam = &emu.iam;
    emu.block_on(async {
        for u in ["alice", "bob", "carol"] {
            iam.create_user().user_name(u).send().await.unwrap();
        }
        iam.create_group().group_name("ops").send().await.unwrap();
        iam.create_role()
            .role_name("federated")
            .assume_role_policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:saml-provider/idp"},"Action":"sts:AssumeRoleWithSAML"}]}"#)
            .send()
            .await
            .unwrap();
    });
}

fn run(
    emu: &Emulator,
    via: Option<&faultproxy::Proxy>,
    config: &std::path::Path,
    args: &[&str],
) -> assert_cmd::assert::Assert {
    let mut cmd = match via {
        Some(p) => emu.scpctl_via(p),
        None => emu.scpctl(),
    };
    cmd.arg("--config").arg(config).args(args).assert()
}

fn json_args<'a>(verb: &'a str, more: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["--output", "json", verb, "--kind", "identity"];
    args.extend_from_slice(more);
    args
}

fn with_targets<'a>(more: &[&'a str]) -> Vec<&'a str> {
    let mut args = more.to_vec();
    args.extend_from_slice(&TARGETS);
    args
}

/// (versions, default version's decoded document) of the managed policy.
fn versions(emu: &Emulator) -> (Vec<String>, String) {
    emu.block_on(async {
        let out = emu
            .iam
            .list_policy_versions()
            .policy_arn(ARN)
            .send()
            .await
            .unwrap();
        let ids: Vec<String> = out
            .versions()
            .iter()
            .map(|v| v.version_id().unwrap().to_string())
            .collect();
        let default = out
            .versions()
            .iter()
            .find(|v| v.is_default_version())
            .unwrap();
        let doc = emu
            .iam
            .get_policy_version()
            .policy_arn(ARN)
            .version_id(default.version_id().unwrap())
            .send()
            .await
            .unwrap();
        (
            ids,
            decode_document(doc.policy_version().unwrap().document().unwrap()),
        )
    })
}

/// Where the managed policy is attached: `user:alice`, ...
fn attached(emu: &Emulator) -> Vec<String> {
    emu.block_on(async {
        let out = emu
            .iam
            .list_entities_for_policy()
            .policy_arn(ARN)
            .send()
            .await
            .unwrap();
        let mut v: Vec<String> = out
            .policy_users()
            .iter()
            .map(|u| format!("user:{}", u.user_name().unwrap()))
            .collect();
        v.extend(
            out.policy_groups()
                .iter()
                .map(|g| format!("group:{}", g.group_name().unwrap())),
        );
        v.extend(
            out.policy_roles()
                .iter()
                .map(|r| format!("role:{}", r.role_name().unwrap())),
        );
        v
    })
}

fn policy_exists(emu: &Emulator) -> bool {
    emu.block_on(async { emu.iam.get_policy().policy_arn(ARN).send().await.is_ok() })
}

fn rendered(emu: &Emulator, config: &std::path::Path) -> String {
    stdout_of(&run(emu, None, config, &["render", "--kind", "identity"]).success())
        .trim_end()
        .to_string()
}

#[test]
fn apply_creates_and_attaches_then_a_rerun_writes_nothing_and_destroy_removes_it() {
    let emu = Emulator::start();
    seed(&emu);
    let (_dir, config) = project(CIDRS);
    let proxy = emu.proxy();

    let plan =
        stdout_json(&run(&emu, Some(&proxy), &config, &json_args("plan", &TARGETS)).success());
    assert_eq!(
        actions(&plan),
        [
            "create_policy",
            "attach_user_policy",
            "attach_user_policy",
            "attach_user_policy",
            "attach_group_policy",
            "attach_role_policy"
        ]
    );
    assert!(proxy.counts().writes().is_empty() && !policy_exists(&emu));

    let first = stdout_json(
        &run(
            &emu,
            Some(&proxy),
            &config,
            &json_args("apply", &with_targets(&["--yes"])),
        )
        .success(),
    );
    eprintln!("first apply: {}", first["api_calls"]);
    assert_eq!(first["applied"], 6);
    assert_eq!(first["changes"][1]["user"], "alice");
    assert_eq!(first["changes"][0]["account"], "123456789012");
    assert_eq!(
        attached(&emu),
        [
            "user:alice",
            "user:bob",
            "user:carol",
            "group:ops",
            "role:federated"
        ]
    );
    let (ids, doc) = versions(&emu);
    assert_eq!(ids, ["v1"]);
    assert_eq!(doc, rendered(&emu, &config));
    let tags = emu.block_on(async {
        emu.iam
            .list_policy_tags()
            .policy_arn(ARN)
            .send()
            .await
            .unwrap()
    });
    assert_eq!(tags.tags()[0].key(), "ManagedBy");
    assert_eq!(tags.tags()[0].value(), "scpctl");

    proxy.reset_counts();
    let again = stdout_json(
        &run(
            &emu,
            Some(&proxy),
            &config,
            &json_args("apply", &with_targets(&["--yes"])),
        )
        .success(),
    );
    eprintln!("no-op re-run: {}", again["api_calls"]);
    assert_eq!(again["changes"], serde_json::json!([]));
    // The README's count: six reads, no ListGroupsForUser when nothing changes.
    let calls = again["api_calls"].as_object().unwrap();
    assert!(
        !calls.keys().any(|k| k.contains("ListGroupsForUser")),
        "{calls:?}"
    );
    assert_eq!(
        calls
            .values()
            .filter_map(serde_json::Value::as_u64)
            .sum::<u64>(),
        6,
        "{calls:?}"
    );
    assert!(proxy.counts().writes().is_empty(), "{:?}", proxy.counts());
    assert!(writes(&again).is_empty());

    let status = run(
        &emu,
        None,
        &config,
        &with_targets(&["status", "--kind", "identity"]),
    )
    .success();
    assert!(
        stdout_of(&status).contains("in sync"),
        "{}",
        stdout_of(&status)
    );

    let gone = stdout_json(&run(&emu, None, &config, &json_args("destroy", &["--yes"])).success());
    assert_eq!(
        actions(&gone)[..5],
        [
            "detach_user_policy",
            "detach_user_policy",
            "detach_user_policy",
            "detach_group_policy",
            "detach_role_policy"
        ]
    );
    assert!(!policy_exists(&emu));
    run(&emu, None, &config, &["status", "--kind", "identity"]).code(4);
    run(
        &emu,
        None,
        &config,
        &["destroy", "--kind", "identity", "--yes"],
    )
    .success()
    .stdout(predicate::str::contains("nothing to destroy"));
}

#[test]
fn six_content_updates_keep_at_most_five_versions_and_the_default_is_the_render() {
    let emu = Emulator::start();
    seed(&emu);
    let (dir, config) = project(CIDRS);
    run(
        &emu,
        None,
        &config,
        &json_args("apply", &["--user", "alice", "--yes"]),
    )
    .success();
    for i in 1..=6 {
        std::fs::write(
            dir.path().join("scpctl.toml"),
            format!("[network]\ncidrs = [\"192.0.2.0/24\", \"198.51.100.{i}\"]\n"),
        )
        .unwrap();
        let doc = stdout_json(
            &run(
                &emu,
                None,
                &config,
                &json_args("apply", &["--user", "alice", "--yes"]),
            )
            .success(),
        );
        let acts = actions(&doc);
        assert_eq!(
            acts.last().map(String::as_str),
            Some("create_policy_version"),
            "{acts:?}"
        );
        // v1 (creation) + 4 updates fill IAM's 5; from the 5th update on, the oldest goes first.
        assert_eq!(
            acts.len(),
            if i >= 5 { 2 } else { 1 },
            "update {i}: {acts:?}"
        );
        let (ids, default) = versions(&emu);
        assert!(ids.len() <= 5, "{ids:?}");
        assert_eq!(default, rendered(&emu, &config), "update {i}");
    }
    let (ids, _) = versions(&emu);
    assert_eq!(ids.len(), 5);
    assert!(
        !ids.contains(&"v1".to_string()) && !ids.contains(&"v2".to_string()),
        "{ids:?}"
    );
    // destroy deletes the four non-default versions before the policy: none of them is
    // "the oldest non-default", and none makes room.
    let dry = run(
        &emu,
        None,
        &config,
        &["destroy", "--kind", "identity", "--dry-run"],
    )
    .success();
    let text = format!("{}{}", stdout_of(&dry), stderr_of(&dry));
    let deletes: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("delete version"))
        .collect();
    assert_eq!(deletes.len(), 4, "{text}");
    for line in deletes {
        assert!(
            !line.contains("oldest") && line.contains("other versions are gone"),
            "{line}"
        );
    }
}

/// An inline policy scpctl wrote that someone has since added a statement to: apply refuses
/// to replace it (naming the entity, the policy and the other Sids), status says so, and
/// destroy leaves it, so the other statement is never lost.
#[test]
fn an_inline_copy_holding_someone_elses_statement_is_never_overwritten() {
    let emu = Emulator::start();
    seed(&emu);
    let (dir, config) = project(CIDRS);
    let args = ["--inline", "--user", "alice", "--yes"];
    run(&emu, None, &config, &json_args("apply", &args)).success();
    let ours = emu.block_on(async {
        let out = emu
            .iam
            .get_user_policy()
            .user_name("alice")
            .policy_name(NAME)
            .send()
            .await
            .unwrap();
        decode_document(out.policy_document())
    });
    let mut doc: serde_json::Value = serde_json::from_str(&ours).unwrap();
    let extra = serde_json::json!({"Sid": "AuditorAddedThis", "Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"});
    match &mut doc["Statement"] {
        serde_json::Value::Array(items) => items.push(extra),
        one => *one = serde_json::json!([one.clone(), extra]),
    }
    let mixed = doc.to_string();
    emu.block_on(async {
        emu.iam
            .put_user_policy()
            .user_name("alice")
            .policy_name(NAME)
            .policy_document(&mixed)
            .send()
            .await
            .unwrap();
    });
    let read_back = || {
        emu.block_on(async {
            let out = emu
                .iam
                .get_user_policy()
                .user_name("alice")
                .policy_name(NAME)
                .send()
                .await
                .unwrap();
            decode_document(out.policy_document())
        })
    };
    // A config change would replace the document: refused, with the names.
    std::fs::write(
        dir.path().join("scpctl.toml"),
        "[network]\ncidrs = [\"192.0.2.0/24\"]\n",
    )
    .unwrap();
    let refused = run(&emu, None, &config, &json_args("apply", &args)).code(1);
    let err = stderr_of(&refused);
    assert!(
        err.contains("user alice") && err.contains(NAME) && err.contains("AuditorAddedThis"),
        "{err}"
    );
    assert!(same_policy(&read_back(), &mixed), "nothing was written");
    let status = run(
        &emu,
        None,
        &config,
        &["status", "--kind", "identity", "--user", "alice"],
    );
    let out = stdout_of(&status.code(4));
    assert!(
        out.contains("also holds \"AuditorAddedThis\"") && !out.contains("would update it"),
        "{out}"
    );
    let destroyed = run(
        &emu,
        None,
        &config,
        &["destroy", "--kind", "identity", "--yes"],
    )
    .success();
    let said = format!("{}{}", stdout_of(&destroyed), stderr_of(&destroyed));
    assert!(said.contains("\"AuditorAddedThis\""), "{said}");
    assert!(same_policy(&read_back(), &mixed), "destroy left it");
}

#[test]
fn inline_copies_on_a_user_group_and_role_are_marked_and_never_overwrite_a_foreign_one() {
    let emu = Emulator::start();
    seed(&emu);
    let (_dir, config) = project(CIDRS);
    let args = [
        "--inline",
        "--user",
        "alice",
        "--group",
        "ops",
        "--role",
        "federated",
        "--yes",
    ];
    let doc = stdout_json(&run(&emu, None, &config, &json_args("apply", &args)).success());
    assert_eq!(
        actions(&doc),
        ["put_user_policy", "put_group_policy", "put_role_policy"]
    );
    assert!(!policy_exists(&emu), "no managed policy with --inline");
    let inline = emu.block_on(async {
        let out = emu
            .iam
            .get_role_policy()
            .role_name("federated")
            .policy_name(NAME)
            .send()
            .await
            .unwrap();
        decode_document(out.policy_document())
    });
    assert!(
        inline.contains("DenyAccessOutsideEnterpriseNetworkScpctl"),
        "{inline}"
    );
    let again = stdout_json(&run(&emu, None, &config, &json_args("apply", &args)).success());
    assert_eq!(again["changes"], serde_json::json!([]));
    assert!(writes(&again).is_empty(), "{}", again["api_calls"]);

    // bob has an inline policy of the same name that scpctl did not write: refused, kept.
    let foreign = rendered(&emu, &config);
    emu.block_on(async {
        emu.iam
            .put_user_policy()
            .user_name("bob")
            .policy_name(NAME)
            .policy_document(&foreign)
            .send()
            .await
            .unwrap();
    });
    run(&emu, None, &config, &json_args("apply", &["--inline", "--user", "bob", "--yes"]))
        .code(1)
        .stderr(predicate::str::contains("user bob already has an inline policy EnterpriseNetworkRestriction that scpctl did not write"));
    let destroyed =
        stdout_json(&run(&emu, None, &config, &json_args("destroy", &["--yes"])).success());
    assert_eq!(
        actions(&destroyed),
        [
            "delete_user_policy",
            "delete_group_policy",
            "delete_role_policy"
        ]
    );
    let bob = emu.block_on(async {
        emu.iam
            .get_user_policy()
            .user_name("bob")
            .policy_name(NAME)
            .send()
            .await
    });
    assert!(same_policy(
        &decode_document(bob.unwrap().policy_document()),
        &foreign
    ));
    let alice = emu.block_on(async {
        emu.iam
            .list_user_policies()
            .user_name("alice")
            .send()
            .await
            .unwrap()
    });
    assert!(alice.policy_names().is_empty());
}

#[test]
fn missing_and_protected_entities_are_named_and_nothing_is_written() {
    let emu = Emulator::start();
    seed(&emu);
    emu.block_on(async {
        for (name, path) in [
            (
                "AWSReservedSSO_Admin_0123456789abcdef",
                "/aws-reserved/sso.amazonaws.com/",
            ),
            (
                "AWSServiceRoleForSupport",
                "/aws-service-role/support.amazonaws.com/",
            ),
        ] {
            emu.iam
                .create_role()
                .role_name(name)
                .path(path)
                .assume_role_policy_document("{}")
                .send()
                .await
                .unwrap();
        }
    });
    let (_dir, config) = project(CIDRS);
    let proxy = emu.proxy();
    let args = [
        "--user",
        "alice",
        "--user",
        "nobody",
        "--group",
        "ghosts",
        "--role",
        "AWSReservedSSO_Admin_0123456789abcdef",
        "--role",
        "AWSServiceRoleForSupport",
        "--yes",
    ];
    let out = run(&emu, Some(&proxy), &config, &json_args("apply", &args)).code(1);
    let err = stderr_of(&out);
    for needle in [
        "user nobody not found in account 123456789012",
        "group ghosts not found",
        "IAM Identity Center role",
        "permission set",
        "service-linked role",
        "nothing was changed",
    ] {
        assert!(err.contains(needle), "{needle}: {err}");
    }
    assert!(proxy.counts().writes().is_empty(), "{:?}", proxy.counts());
    assert!(!policy_exists(&emu));
}

#[test]
fn the_identity_writing_is_not_locked_out_without_consent() {
    let emu = Emulator::start();
    seed(&emu);
    emu.block_on(async {
        emu.iam
            .create_user()
            .user_name(MOTO_USER)
            .send()
            .await
            .unwrap();
        emu.iam
            .add_user_to_group()
            .group_name("ops")
            .user_name(MOTO_USER)
            .send()
            .await
            .unwrap();
    });
    let (_dir, config) = project(CIDRS);
    for target in [["--user", MOTO_USER], ["--group", "ops"]] {
        let mut args = target.to_vec();
        args.push("--yes");
        run(&emu, None, &config, &json_args("apply", &args))
            .code(1)
            .stderr(
                predicate::str::contains("refusing to lock you out")
                    .and(predicate::str::contains("--allow-self-lockout")),
            );
    }
    run(
        &emu,
        None,
        &config,
        &json_args(
            "apply",
            &["--user", MOTO_USER, "--my-ip", "198.51.100.9", "--yes"],
        ),
    )
    .code(1)
    .stderr(predicate::str::contains("198.51.100.9 is outside"));
    assert!(!policy_exists(&emu));
    run(
        &emu,
        None,
        &config,
        &json_args(
            "apply",
            &["--group", "ops", "--my-ip", "192.0.2.9", "--yes"],
        ),
    )
    .success();
    run(
        &emu,
        None,
        &config,
        &json_args(
            "apply",
            &["--user", MOTO_USER, "--allow-self-lockout", "--yes"],
        ),
    )
    .success()
    .stderr(predicate::str::contains("--allow-self-lockout"));
    assert_eq!(attached(&emu), ["user:moto", "group:ops"]);
}

#[test]
fn a_new_version_is_refused_when_the_writer_already_holds_the_policy_outside_the_new_cidrs() {
    let emu = Emulator::start();
    seed(&emu);
    emu.block_on(async {
        emu.iam
            .create_user()
            .user_name(MOTO_USER)
            .send()
            .await
            .unwrap();
        emu.iam
            .add_user_to_group()
            .group_name("ops")
            .user_name(MOTO_USER)
            .send()
            .await
            .unwrap();
    });
    let (dir, config) = project(CIDRS);
    // An earlier run put the policy on the writer's own user and on its group, from inside.
    run(
        &emu,
        None,
        &config,
        &json_args(
            "apply",
            &[
                "--user",
                MOTO_USER,
                "--group",
                "ops",
                "--my-ip",
                "192.0.2.9",
                "--yes",
            ],
        ),
    )
    .success();
    assert_eq!(attached(&emu), ["user:moto", "group:ops"]);
    let (before, doc_before) = versions(&emu);
    // The config drops the writer's network; the run targets someone else.
    std::fs::write(
        dir.path().join("scpctl.toml"),
        "[network]\ncidrs = [\"203.0.113.0/24\"]\n",
    )
    .unwrap();
    let elsewhere = ["--user", "bob", "--my-ip", "192.0.2.9", "--yes"];
    let refused = run(&emu, None, &config, &json_args("apply", &elsewhere)).code(1);
    let err = stderr_of(&refused);
    assert!(
        err.contains("refusing to lock you out")
            && err.contains("user moto in account 123456789012 is the identity")
            && err.contains("group ops in account 123456789012 holds user moto")
            && err.contains("192.0.2.9 is outside")
            && err.contains("nothing was changed"),
        "{err}"
    );
    assert_eq!(versions(&emu), (before, doc_before));
    assert_eq!(attached(&emu), ["user:moto", "group:ops"]);

    // Explicitly accepted: the new version and the attachment are written.
    let mut accepted = elsewhere.to_vec();
    accepted.push("--allow-self-lockout");
    let doc = stdout_json(&run(&emu, None, &config, &json_args("apply", &accepted)).success());
    assert_eq!(
        actions(&doc),
        ["create_policy_version", "attach_user_policy"]
    );
    assert!(
        doc["warnings"].to_string().contains("--allow-self-lockout"),
        "{doc}"
    );
    let (after, default) = versions(&emu);
    assert_eq!(after.len(), 2);
    assert_eq!(default, rendered(&emu, &config));
    let mut now = attached(&emu);
    now.sort();
    assert_eq!(now, ["group:ops", "user:bob", "user:moto"]);
}

#[test]
fn member_accounts_are_reached_through_the_role_which_is_never_locked_out() {
    let emu = Emulator::start();
    let members = seed_members(&emu, 2);
    let (_dir, config) = project(CIDRS);
    for m in &members {
        let iam = member_iam(&emu, m);
        create_user(&emu, &iam, "svc", &[]);
    }
    let args = [
        "--account",
        &members[0],
        "--account",
        &members[1],
        "--user",
        "svc",
        "--yes",
    ];
    let doc = stdout_json(&run(&emu, None, &config, &json_args("apply", &args)).success());
    assert_eq!(doc["applied"], 4, "{doc}");
    for m in &members {
        let iam = member_iam(&emu, m);
        let out = emu.block_on(async {
            iam.list_attached_user_policies()
                .user_name("svc")
                .send()
                .await
                .unwrap()
        });
        assert_eq!(
            out.attached_policies()[0].policy_arn().unwrap(),
            format!("arn:aws:iam::{m}:policy/{NAME}")
        );
    }
    run(
        &emu,
        None,
        &config,
        &json_args(
            "apply",
            &[
                "--account",
                &members[0],
                "--role",
                "OrganizationAccountAccessRole",
                "--yes",
            ],
        ),
    )
    .code(1)
    .stderr(
        predicate::str::contains("role OrganizationAccountAccessRole in account").and(
            predicate::str::contains("is the identity making these changes"),
        ),
    );
}

#[test]
fn the_scp_flags_and_the_identity_flags_do_not_mix() {
    let emu = Emulator::start();
    let (_dir, config) = project(CIDRS);
    run(&emu, None, &config, &["plan", "--user", "alice"])
        .code(2)
        .stderr(predicate::str::contains(
            "--user applies to the identity-based policy only",
        ));
    run(
        &emu,
        None,
        &config,
        &["plan", "--kind", "identity", "--ou", "ou-abcd-12345678"],
    )
    .code(2)
    .stderr(predicate::str::contains("--ou and --root are SCP targets"));
    run(&emu, None, &config, &["plan", "--kind", "identity"])
        .code(2)
        .stderr(predicate::str::contains("--user NAME"));
}

/// A GetAccountSummary answer with quotas larger than the proxy enforces, so scpctl goes on to
/// write and IAM's own refusal (played by the proxy) is what stops it.
fn generous_summary() -> Rule {
    let entries: String = [
        "PolicySizeQuota",
        "UserPolicySizeQuota",
        "AttachedPoliciesPerUserQuota",
    ]
    .iter()
    .map(|k| format!("<entry><key>{k}</key><value>100000</value></entry>"))
    .collect();
    Rule {
        operation: Some("GetAccountSummary".into()),
        only: Only::All,
        when: When::Always,
        fault: Fault::Respond {
            content_type: "text/xml".into(),
            body: format!("<GetAccountSummaryResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><GetAccountSummaryResult><SummaryMap>{entries}</SummaryMap></GetAccountSummaryResult><ResponseMetadata><RequestId>x</RequestId></ResponseMetadata></GetAccountSummaryResponse>"),
        },
    }
}

#[test]
fn iam_quotas_moto_does_not_enforce_are_checked_before_writing_and_by_the_strict_proxy() {
    let emu = Emulator::start();
    seed(&emu);
    // 1. A policy over the 6,144-character managed policy quota.
    let big: Vec<String> = (0..450)
        .map(|i| format!("\"{}.{}.0.0/16\"", 11 + i / 128, 2 * (i % 128)))
        .collect();
    let (_big_dir, big_config) = project(&format!("[{}]", big.join(", ")));
    let proxy = emu.proxy();
    run(
        &emu,
        Some(&proxy),
        &big_config,
        &json_args("apply", &["--user", "alice", "--yes"]),
    )
    .code(1)
    .stderr(
        predicate::str::contains("allows 6144 (PolicySizeQuota)")
            .and(predicate::str::contains("inline policy on a role")),
    );
    assert!(proxy.counts().writes().is_empty(), "{:?}", proxy.counts());
    proxy.set_rules(vec![generous_summary()]);
    run(
        &emu,
        Some(&proxy),
        &big_config,
        &json_args("apply", &["--user", "alice", "--yes"]),
    )
    .code(1)
    .stderr(predicate::str::contains("LimitExceeded").and(predicate::str::contains("PolicySize")));
    assert_eq!(
        proxy.counts().faults.get("IAM.CreatePolicy"),
        Some(&1),
        "refused once, not retried"
    );
    assert!(!policy_exists(&emu));

    // 2. Inline aggregate per user: bob already holds 1,900 characters of inline policy.
    let filler = format!("{{\"Version\":\"2012-10-17\",\"Statement\":{{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::{}/*\"}}}}", "b".repeat(1850));
    emu.block_on(async {
        emu.iam
            .put_user_policy()
            .user_name("bob")
            .policy_name("Filler")
            .policy_document(&filler)
            .send()
            .await
            .unwrap();
    });
    let (_dir, config) = project(CIDRS);
    proxy.set_rules(vec![]);
    proxy.reset_counts();
    run(
        &emu,
        Some(&proxy),
        &config,
        &json_args("apply", &["--inline", "--user", "bob", "--yes"]),
    )
    .code(1)
    .stderr(
        predicate::str::contains("may total 2048").and(predicate::str::contains(
            "A managed policy (6144 characters) holds it",
        )),
    );
    assert!(proxy.counts().writes().is_empty());
    proxy.set_rules(vec![generous_summary()]);
    run(
        &emu,
        Some(&proxy),
        &config,
        &json_args("apply", &["--inline", "--user", "bob", "--yes"]),
    )
    .code(1)
    .stderr(predicate::str::contains("LimitExceeded").and(predicate::str::contains("2048")));

    // 3. Ten managed policies already attached to carol.
    emu.block_on(async {
        for i in 0..10 {
            let p = emu.iam.create_policy().policy_name(format!("P{i}")).policy_document(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}}"#).send().await.unwrap();
            emu.iam.attach_user_policy().user_name("carol").policy_arn(p.policy().unwrap().arn().unwrap()).send().await.unwrap();
        }
    });
    proxy.set_rules(vec![]);
    proxy.reset_counts();
    run(
        &emu,
        Some(&proxy),
        &config,
        &json_args("apply", &["--user", "carol", "--yes"]),
    )
    .code(1)
    .stderr(predicate::str::contains(
        "already has 10 managed policies attached",
    ));
    assert!(proxy.counts().writes().is_empty());
    proxy.set_rules(vec![generous_summary()]);
    run(
        &emu,
        Some(&proxy),
        &config,
        &json_args("apply", &["--user", "carol", "--yes"]),
    )
    .code(1)
    .stderr(
        predicate::str::contains("LimitExceeded")
            .and(predicate::str::contains("PoliciesPerUser: 10")),
    );
}

fn refuse_after(n: u64) -> Rule {
    // Every call after the first `n` is refused (not retryable), as if the process had died.
    Rule {
        operation: None,
        only: Only::All,
        when: When::After(n),
        fault: Fault::error("AccessDenied"),
    }
}

/// After a crash at any call, of a first apply or of an update that must first delete a
/// version, a re-run converges: one policy, at most 5 versions, the default equal to the
/// render, every attachment, and then a re-run writes nothing.
#[test]
fn a_crash_after_any_call_is_finished_by_a_rerun() {
    let emu = Emulator::start();
    let (dir, config) = project(CIDRS);
    let proxy = emu.proxy();
    let apply = with_targets(&["--output", "json", "apply", "--kind", "identity", "--yes"]);
    let five_versions = |emu: &Emulator| {
        for i in 1..=4 {
            std::fs::write(
                dir.path().join("scpctl.toml"),
                format!("[network]\ncidrs = [\"198.51.100.{i}\"]\n"),
            )
            .unwrap();
            run(emu, None, &config, &apply).success();
        }
        std::fs::write(
            dir.path().join("scpctl.toml"),
            format!("[network]\ncidrs = {CIDRS}\n"),
        )
        .unwrap();
    };
    for update in [false, true] {
        emu.reset();
        seed(&emu);
        if update {
            run(&emu, None, &config, &apply).success();
            five_versions(&emu);
        }
        proxy.reset_counts();
        run(&emu, Some(&proxy), &config, &apply).success();
        let total = proxy.counts().total();
        for crash_after in 0..total {
            emu.reset();
            seed(&emu);
            if update {
                std::fs::write(
                    dir.path().join("scpctl.toml"),
                    "[network]\ncidrs = [\"198.51.100.0/24\"]\n",
                )
                .unwrap();
                run(&emu, None, &config, &apply).success();
                five_versions(&emu);
            }
            proxy.set_rules(vec![refuse_after(crash_after)]);
            let err = stderr_of(&run(&emu, Some(&proxy), &config, &apply).failure());
            assert!(!err.contains("panicked"), "{err}");
            proxy.set_rules(vec![]);
            run(&emu, Some(&proxy), &config, &apply).success();
            let (ids, default) = versions(&emu);
            assert!(ids.len() <= 5, "{ids:?}");
            assert_eq!(
                default,
                rendered(&emu, &config),
                "update {update}, crash after {crash_after}"
            );
            assert_eq!(attached(&emu).len(), 5);
            proxy.reset_counts();
            run(&emu, Some(&proxy), &config, &apply).success();
            assert!(
                proxy.counts().writes().is_empty(),
                "crash after {crash_after}: {:?}",
                proxy.counts()
            );
        }
        eprintln!("update {update}: crash points tried: {total}");
    }
}
