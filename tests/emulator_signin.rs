//! The console sign-in RCP against a real moto server (RESOURCE_CONTROL_POLICY), with AWS
//! Sign-In, which the emulator lacks, answered by a small in-test fake behind
//! `AWS_ENDPOINT_URL_SIGNIN`. moto skips duplicate and size checks: scpctl enforces AWS's.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use aws_sdk_organizations::types::PolicyType;
use support::*;

const NAME: &str = "RestrictConsoleSignInToExpectedNetworks";

/// A fake AWS Sign-In control plane: console authorization on or off per target, the
/// account's resource permission statements (listed as AWS lists them: sid and condition
/// only; a put repeated with its client token creates nothing more), and the paths it was
/// called on.
#[derive(Clone, Default)]
struct FakeSignin {
    enabled: Arc<Mutex<bool>>,
    calls: Arc<Mutex<Vec<String>>>,
    /// (sid, request fields, client token)
    statements: Arc<Mutex<Vec<(String, serde_json::Value, String)>>>,
}

/// The condition AWS shows for a statement's fields.
fn condition(fields: &serde_json::Value) -> serde_json::Value {
    let f = |k: &str| fields[k].as_str().map(str::to_string);
    if let Some(p) = f("excludedPrincipal") {
        serde_json::json!({"ArnNotEquals": {"aws:PrincipalArn": [p]}})
    } else if let Some(ip) = f("sourceIp") {
        serde_json::json!({"NotIpAddress": {"aws:SourceIp": [ip]}})
    } else if let Some(vpc) = f("sourceVpc") {
        serde_json::json!({"StringNotEquals": {"aws:SourceVpc": [vpc], "aws:RequestedRegion": [f("requestedRegion")]}})
    } else {
        serde_json::json!({"StringNotEquals": {"aws:SourceVpce": [f("signinSourceVpce")]}})
    }
}

impl FakeSignin {
    fn start(&self) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let me = self.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let me = me.clone();
                std::thread::spawn(move || me.serve(stream));
            }
        });
        url
    }

    fn serve(&self, stream: std::net::TcpStream) {
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut out = stream;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
            let mut length = 0usize;
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap_or(0) == 0 {
                    return;
                }
                if h == "\r\n" {
                    break;
                }
                if let Some((k, v)) = h.split_once(':') {
                    if k.eq_ignore_ascii_case("content-length") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
            }
            let mut body = vec![0u8; length];
            reader.read_exact(&mut body).unwrap();
            let request = serde_json::from_slice::<serde_json::Value>(&body).unwrap_or_default();
            let target = request["targetId"].as_str().unwrap_or_default().to_string();
            self.calls.lock().unwrap().push(path.clone());
            if let Some((status, answer)) = self.statement_call(&path, &request) {
                let response = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\nx-amzn-errortype: {}\r\ncontent-length: {}\r\n\r\n{answer}",
                    if status.starts_with("404") { "ResourceNotFoundException" } else { "" },
                    answer.len()
                );
                if out.write_all(response.as_bytes()).is_err() {
                    return;
                }
                continue;
            }
            let mut enabled = self.enabled.lock().unwrap();
            match path.as_str() {
                "/put-console-authorization-configuration" => *enabled = true,
                "/delete-console-authorization-configuration" => *enabled = false,
                _ => {}
            }
            let answer = serde_json::json!({
                "targetId": target, "scope": "ORGANIZATION", "consoleAuthorizationEnabled": *enabled
            })
            .to_string();
            drop(enabled);
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{answer}",
                answer.len()
            );
            if out.write_all(response.as_bytes()).is_err() {
                return;
            }
        }
    }

    /// The statement operations: (status line, body), or None for another path.
    fn statement_call(
        &self,
        path: &str,
        request: &serde_json::Value,
    ) -> Option<(&'static str, String)> {
        let mut statements = self.statements.lock().unwrap();
        let answer = match path {
            "/list-resource-permission-statements" => {
                let listed: Vec<serde_json::Value> = statements
                    .iter()
                    .map(|(sid, fields, _)| serde_json::json!({"sid": sid, "condition": condition(fields)}))
                    .collect();
                serde_json::json!({ "permissionStatements": listed })
            }
            "/put-resource-permission-statement" => {
                let token = request["clientToken"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                let sid = match statements
                    .iter()
                    .find(|(_, _, t)| *t == token && !t.is_empty())
                {
                    Some((sid, _, _)) => sid.clone(),
                    None => {
                        let sid = format!("sid-{token}");
                        let mut fields = request.clone();
                        fields.as_object_mut().unwrap().remove("clientToken");
                        statements.push((sid.clone(), fields, token));
                        sid
                    }
                };
                serde_json::json!({ "statementId": sid })
            }
            "/delete-resource-permission-statement" => {
                let sid = request["statementId"].as_str().unwrap_or_default();
                let before = statements.len();
                statements.retain(|(s, _, _)| s != sid);
                if statements.len() == before {
                    return Some((
                        "404 Not Found",
                        serde_json::json!({"error": "RESOURCE_NOT_FOUND", "message": "no such statement"}).to_string(),
                    ));
                }
                serde_json::json!({})
            }
            "/get-resource-policy" => serde_json::json!({}),
            _ => return None,
        };
        Some(("200 OK", answer.to_string()))
    }

    /// A statement written by someone else (no client token of scpctl's).
    fn preload(&self, sid: &str, fields: serde_json::Value) {
        self.statements
            .lock()
            .unwrap()
            .push((sid.to_string(), fields, String::new()));
    }

    fn listed_ips(&self) -> Vec<String> {
        let mut ips: Vec<String> = self
            .statements
            .lock()
            .unwrap()
            .iter()
            .filter_map(|(_, f, _)| f["sourceIp"].as_str().map(str::to_string))
            .collect();
        ips.sort();
        ips
    }

    fn calls(&self) -> Vec<String> {
        std::mem::take(&mut *self.calls.lock().unwrap())
    }
}

fn config_with_break_glass(account: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let (dir, path) = project(CIDRS);
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(&format!(
        "[break_glass]\nprincipals = [\"arn:aws:iam::{account}:role/BreakGlass\"]\n"
    ));
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

fn rcps_named(emu: &Emulator) -> Vec<String> {
    emu.block_on(async {
        let out = emu
            .orgs
            .list_policies()
            .filter(PolicyType::ResourceControlPolicy)
            .send()
            .await
            .unwrap();
        out.policies()
            .iter()
            .filter(|p| p.name() == Some(NAME))
            .map(|p| p.id().unwrap().to_string())
            .collect()
    })
}

#[test]
fn apply_signin_attaches_the_rcp_enables_console_authorization_and_reruns_as_a_noop() {
    let emu = Emulator::start();
    let org = seed_org(&emu, 2);
    let (_dir, config) = config_with_break_glass(&org.account);
    let fake = FakeSignin::default();
    let url = fake.start();
    let run = |args: &[&str]| {
        emu.scpctl()
            .env("AWS_ENDPOINT_URL_SIGNIN", &url)
            .arg("--config")
            .arg(&config)
            .args(args)
            .assert()
    };
    let mut args = vec!["--output", "json", "apply", "--kind", "signin", "--yes"];
    for ou in &org.ous {
        args.extend(["--ou", ou.as_str()]);
    }

    // Without --my-ip the caller (an IAM user, not break-glass) is refused before any write.
    let refused = run(&args).failure();
    assert!(
        stderr_of(&refused).contains("--my-ip was not given"),
        "{}",
        stderr_of(&refused)
    );
    assert!(rcps_named(&emu).is_empty());
    fake.calls();

    args.extend(["--my-ip", "192.0.2.10"]);
    let first = run(&args).success();
    let doc = stdout_json(&first);
    let acts = actions(&doc);
    assert_eq!(
        acts.last().map(String::as_str),
        Some("enable_console_authorization")
    );
    assert!(acts.contains(&"create_policy".to_string()), "{acts:?}");
    assert_eq!(acts.iter().filter(|a| *a == "attach_policy").count(), 2);
    assert!(
        doc["warnings"]
            .to_string()
            .contains("RCPs do not affect the management account"),
        "{doc}"
    );
    let calls = fake.calls();
    assert_eq!(
        calls,
        [
            "/get-console-authorization-configuration",
            "/put-console-authorization-configuration"
        ]
    );
    eprintln!("first apply api_calls: {}", doc["api_calls"]);

    // Independently: one RCP, the rendered text, attached beside RCPFullAWSAccess.
    let ids = rcps_named(&emu);
    assert_eq!(ids.len(), 1);
    let rendered = emu
        .scpctl()
        .arg("--config")
        .arg(&config)
        .args(["render", "--kind", "signin"])
        .assert()
        .success();
    assert_eq!(
        policy_content(&emu, &ids[0]),
        stdout_of(&rendered).trim_end()
    );

    // The re-run reads and writes nothing.
    let again = run(&args).success();
    let doc = stdout_json(&again);
    assert_eq!(doc["changes"], serde_json::json!([]));
    assert!(writes(&doc).is_empty(), "{doc}");
    assert_eq!(fake.calls(), ["/get-console-authorization-configuration"]);
    eprintln!("no-op apply api_calls: {}", doc["api_calls"]);

    // status: in force; destroy leaves console authorization on by default.
    let status = run(&["--output", "json", "status", "--kind", "signin"]).success();
    let doc = stdout_json(&status);
    assert_eq!(doc["in_force"], true, "{doc}");
    assert_eq!(doc["console_authorization"]["enabled"], true);
    run(&["destroy", "--kind", "signin", "--yes"]).success();
    assert!(rcps_named(&emu).is_empty());
    assert!(*fake.enabled.lock().unwrap());
    fake.calls();
    run(&[
        "destroy",
        "--kind",
        "signin",
        "--yes",
        "--disable-console-authorization",
    ])
    .success();
    assert!(!*fake.enabled.lock().unwrap());
}

/// The guide's SCP on the member account and a break-glass IAM user `breakglass` there: the
/// config and the project directory.
fn guide_scp_and_break_glass_user(
    emu: &Emulator,
    org: &Org,
) -> (tempfile::TempDir, std::path::PathBuf) {
    let (dir, config) = project(CIDRS);
    // The member account sits under the root: put the SCP on the account itself, so the
    // break-glass user's chain (root -> account) holds it.
    let account_args = ["apply", "--yes", "--account", org.account.as_str()];
    emu.scpctl()
        .arg("--config")
        .arg(&config)
        .args(account_args)
        .assert()
        .success();
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&format!(
        "[break_glass]\nprincipals = [\"arn:aws:iam::{}:user/breakglass\"]\n",
        org.account
    ));
    std::fs::write(&config, text).unwrap();
    (dir, config)
}

#[test]
fn a_break_glass_principal_an_scp_would_deny_stops_the_apply() {
    let emu = Emulator::start();
    let org = seed_org(&emu, 1);
    let (dir, config) = guide_scp_and_break_glass_user(&emu, &org);
    let fake = FakeSignin::default();
    let url = fake.start();
    let apply = |more: &[&str]| {
        emu.scpctl()
            .env("AWS_ENDPOINT_URL_SIGNIN", &url)
            .arg("--config")
            .arg(&config)
            .args(["apply", "--kind", "signin", "--yes", "--root"])
            .args(more)
            .assert()
    };
    let nothing_written = || {
        assert!(rcps_named(&emu).is_empty());
        assert!(!*fake.enabled.lock().unwrap());
    };

    // The user does not exist in the member account: named, nothing written.
    let err = stderr_of(&apply(&["--my-ip", "192.0.2.10"]).failure());
    assert!(
        err.contains("break-glass IAM user breakglass does not exist in account")
            && err.contains(&org.account),
        "{err}"
    );
    nothing_written();

    // Untagged: the guide's SCP denies it after authentication, and --allow-self-lockout
    // does not waive that.
    let iam = member_iam(&emu, &org.account);
    create_user(&emu, &iam, "breakglass", &[]);
    for more in [
        &["--my-ip", "192.0.2.10"][..],
        &["--my-ip", "192.0.2.10", "--allow-self-lockout"],
    ] {
        let err = stderr_of(&apply(more).failure());
        assert!(
            err.contains("would be denied signin:Authenticate (post-auth)")
                && err.contains("DenyIAMUsersWithoutAccessException")
                && err.contains("--allow-break-glass-denial"),
            "{err}"
        );
        assert!(
            !err.contains("would be denied signin:Authenticate (pre-auth)"),
            "{err}"
        );
        nothing_written();
    }

    // Tagged with the exception under another spelling of the key (IAM compares tag keys
    // ignoring case): the break-glass check passes. The caller's own check is separate:
    // without --my-ip it refuses, and --allow-break-glass-denial does not waive it.
    emu.block_on(async {
        let tag = aws_sdk_iam::types::Tag::builder()
            .key("accessexception")
            .value("True")
            .build()
            .unwrap();
        iam.tag_user()
            .user_name("breakglass")
            .tags(tag)
            .send()
            .await
            .unwrap();
    });
    for more in [&[][..], &["--allow-break-glass-denial"]] {
        let err = stderr_of(&apply(more).failure());
        assert!(err.contains("--my-ip was not given"), "{err}");
        assert!(!err.contains("would be denied"), "{err}");
        nothing_written();
    }
    // --allow-self-lockout waives the caller's own check only: the apply goes through.
    let done = apply(&["--allow-self-lockout"]).success();
    let err = stderr_of(&done);
    assert!(
        err.contains("--my-ip was not given")
            && err.contains("deploying anyway: --allow-self-lockout"),
        "{err}"
    );
    assert_eq!(rcps_named(&emu).len(), 1);
    assert!(*fake.enabled.lock().unwrap());
    drop(dir);
}

#[test]
fn allow_break_glass_denial_waives_the_break_glass_refusal_only() {
    let emu = Emulator::start();
    let org = seed_org(&emu, 1);
    let (dir, config) = guide_scp_and_break_glass_user(&emu, &org);
    let iam = member_iam(&emu, &org.account);
    create_user(&emu, &iam, "breakglass", &[]);
    let fake = FakeSignin::default();
    let url = fake.start();
    let done = emu
        .scpctl()
        .env("AWS_ENDPOINT_URL_SIGNIN", &url)
        .arg("--config")
        .arg(&config)
        .args([
            "apply",
            "--kind",
            "signin",
            "--yes",
            "--root",
            "--my-ip",
            "192.0.2.10",
            "--allow-break-glass-denial",
        ])
        .assert()
        .success();
    let err = stderr_of(&done);
    assert!(
        err.contains("DenyIAMUsersWithoutAccessException")
            && err.contains("deploying anyway: --allow-break-glass-denial"),
        "{err}"
    );
    assert_eq!(rcps_named(&emu).len(), 1);
    assert!(*fake.enabled.lock().unwrap());
    drop(dir);
}

#[test]
fn the_guard_judges_the_rcp_already_attached_elsewhere_by_its_new_content() {
    let emu = Emulator::start();
    let org = seed_org(&emu, 1);
    let (dir, config) = project(CIDRS);
    let base = std::fs::read_to_string(&config).unwrap();
    let break_glass = |user: &str| {
        let text = format!(
            "{base}[break_glass]\nprincipals = [\"arn:aws:iam::{}:user/{user}\"]\n",
            org.account
        );
        std::fs::write(&config, text).unwrap();
    };
    // Both break-glass users exist (untagged: no SCP is in force here).
    let iam = member_iam(&emu, &org.account);
    create_user(&emu, &iam, "breakglass1", &[]);
    create_user(&emu, &iam, "breakglass2", &[]);
    let fake = FakeSignin::default();
    let url = fake.start();
    let apply = |target: &[&str]| {
        let mut args = vec![
            "--output",
            "json",
            "apply",
            "--kind",
            "signin",
            "--yes",
            "--my-ip",
            "192.0.2.10",
        ];
        args.extend_from_slice(target);
        emu.scpctl()
            .env("AWS_ENDPOINT_URL_SIGNIN", &url)
            .arg("--config")
            .arg(&config)
            .args(args)
            .assert()
    };
    // The RCP at the root exempts breakglass1 only.
    break_glass("breakglass1");
    apply(&["--root"]).success();
    let ids = rcps_named(&emu);
    assert_eq!(ids.len(), 1);
    assert!(policy_content(&emu, &ids[0]).contains("user/breakglass1"));

    // The config now exempts breakglass2, and this run targets the account only. Apply
    // rewrites the RCP at the root too, so its old content (which would deny breakglass2 from
    // outside) must not count: the guard passes and the new content is in place everywhere.
    break_glass("breakglass2");
    let done = apply(&["--account", org.account.as_str()]).success();
    let doc = stdout_json(&done);
    let acts = actions(&doc);
    assert!(acts.contains(&"update_policy".to_string()), "{acts:?}");
    assert!(acts.contains(&"attach_policy".to_string()), "{acts:?}");
    assert!(
        !stderr_of(&done).contains("would be denied"),
        "{}",
        stderr_of(&done)
    );
    let content = policy_content(&emu, &ids[0]);
    assert!(
        content.contains("user/breakglass2") && !content.contains("user/breakglass1"),
        "{content}"
    );
    drop(dir);
}

#[test]
fn prune_deletes_only_the_statements_scpctl_wrote_that_the_config_no_longer_derives() {
    let emu = Emulator::start();
    let (dir, config) = project(CIDRS);
    let fake = FakeSignin::default();
    let url = fake.start();
    // A statement written by hand before scpctl ever ran: never scpctl's to delete.
    fake.preload("byhand", serde_json::json!({"sourceIp": "198.51.100.0/24"}));
    let run = |args: &[&str]| {
        emu.scpctl()
            .env("AWS_ENDPOINT_URL_SIGNIN", &url)
            .arg("--config")
            .arg(&config)
            .args(args)
            .assert()
    };
    let account_policy = ["--kind", "signin", "--account-policy", "--all-principals"];
    let apply = |more: &[&str]| {
        let mut args = vec!["apply"];
        args.extend(account_policy);
        args.extend(["--yes", "--my-ip", "192.0.2.10"]);
        args.extend(more);
        run(&args)
    };
    let first = apply(&[]).success();
    assert!(stdout_of(&first).contains("+ put statement: allow sign-in from 203.0.113.0/24"));
    assert_eq!(
        fake.listed_ips(),
        [
            "192.0.2.0/24",
            "198.51.100.0/24",
            "2001:db8:1234::/48",
            "203.0.113.0/24"
        ]
    );
    let ledger_path = dir
        .path()
        .join(".scpctl/signin-statements-123456789012.json");
    let ledger: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&ledger_path).unwrap()).unwrap();
    assert_eq!(
        ledger["statements"].as_array().unwrap().len(),
        3,
        "{ledger}"
    );
    assert!(!ledger.to_string().contains("198.51.100.0/24"), "{ledger}");

    // A crash between a put and the record of its answer: the ledger holds the intent only.
    // The next run adopts the listed statement by its fields and writes nothing to AWS.
    let text = std::fs::read_to_string(&ledger_path).unwrap();
    let mut crashed: serde_json::Value = serde_json::from_str(&text).unwrap();
    let sid = crashed["statements"][1]["statement_id"].take();
    let statement = crashed["statements"][1]["statement"].clone();
    crashed["statements"][1]
        .as_object_mut()
        .unwrap()
        .remove("statement_id");
    std::fs::write(&ledger_path, crashed.to_string()).unwrap();
    fake.calls();
    let adopted = apply(&[]).success();
    assert!(stdout_of(&adopted).contains("No changes"));
    assert!(fake
        .calls()
        .iter()
        .all(|c| !c.starts_with("/put") && !c.starts_with("/delete")));
    let healed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&ledger_path).unwrap()).unwrap();
    let entries = healed["statements"].as_array().unwrap();
    assert_eq!(entries.len(), 3, "{healed}");
    let entry = entries
        .iter()
        .find(|e| e["statement"] == statement)
        .unwrap();
    assert_eq!(entry["statement_id"], sid, "{healed}");

    // The config drops 203.0.113.0/24.
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, text.replace("\"203.0.113.0/24\", ", "")).unwrap();
    // plan shows the delete, and only of scpctl's statement; nothing is deleted.
    let mut plan_args = vec!["plan"];
    plan_args.extend(account_policy);
    plan_args.push("--prune");
    let plan = run(&plan_args).success();
    let out = stdout_of(&plan);
    assert!(out.contains("1 change(s)"), "{out}");
    assert!(out.contains("  - delete statement "), "{out}");
    assert!(out.contains(": allow sign-in from 203.0.113.0/24"), "{out}");
    assert!(!out.contains("198.51.100.0/24"), "{out}");
    assert!(
        stderr_of(&plan).contains("statement byhand that scpctl did not write"),
        "{}",
        stderr_of(&plan)
    );
    // Without --prune: a warning, no delete.
    let kept = apply(&[]).success();
    assert!(
        stderr_of(&kept).contains("--prune deletes it"),
        "{}",
        stderr_of(&kept)
    );
    assert_eq!(fake.listed_ips().len(), 4);
    // A deletion restricts sign-in: the caller's own check runs (no --my-ip here).
    let mut no_ip = vec!["apply"];
    no_ip.extend(account_policy);
    no_ip.extend(["--prune", "--yes"]);
    let refused = run(&no_ip).failure();
    assert!(
        stderr_of(&refused).contains("refusing deleting statements of account 123456789012"),
        "{}",
        stderr_of(&refused)
    );
    assert_eq!(fake.listed_ips().len(), 4);
    // --prune: scpctl's statement goes, the hand-written one stays.
    fake.calls();
    let pruned = apply(&["--prune"]).success();
    assert!(
        stderr_of(&pruned).contains("done: deleted statement"),
        "{}",
        stderr_of(&pruned)
    );
    assert_eq!(
        fake.listed_ips(),
        ["192.0.2.0/24", "198.51.100.0/24", "2001:db8:1234::/48"]
    );
    let calls = fake.calls();
    assert_eq!(
        calls
            .iter()
            .filter(|c| *c == "/delete-resource-permission-statement")
            .count(),
        1,
        "{calls:?}"
    );
    let ledger = std::fs::read_to_string(&ledger_path).unwrap();
    assert!(!ledger.contains("203.0.113.0/24"), "{ledger}");
    // The re-run is a no-op: reads only.
    let again = apply(&["--prune", "--output", "json"]).success();
    assert_eq!(stdout_json(&again)["changes"], serde_json::json!([]));
    let calls = fake.calls();
    assert!(
        calls
            .iter()
            .all(|c| c.starts_with("/list") || c.starts_with("/get")),
        "{calls:?}"
    );
    assert_eq!(std::fs::read_to_string(&ledger_path).unwrap(), ledger);
    drop(dir);
}
