//! `plan|apply --kind identity` asks IAM Access Analyzer's CheckNoNewAccess before a new version
//! of the fallback, against moto for IAM and a loopback stand-in for Access Analyzer (moto has
//! no Access Analyzer), reached through `AWS_ENDPOINT_URL_ACCESSANALYZER`: the version in force
//! and the new render are sent, a FAIL is shown with AWS's reasons, an AccessDenied is a warning
//! naming the permission and the plan still succeeds, `--no-access-check` asks nothing.

mod standin;
mod support;

use standin::{serve, Answer};
use support::*;

const FAIL: &str = r#"{"result":"FAIL","message":"The modified permissions grant new access compared to your existing policy.","reasons":[{"description":"New access in the statement with index: 0.","statementIndex":0,"statementId":"DenyAccessOutsideEnterpriseNetwork"}]}"#;

fn plan(
    emu: &Emulator,
    config: &std::path::Path,
    url: Option<&str>,
    more: &[&str],
) -> std::process::Output {
    let mut cmd = emu.scpctl();
    if let Some(url) = url {
        cmd.env("AWS_ENDPOINT_URL_ACCESSANALYZER", url);
    }
    cmd.arg("--config")
        .arg(config)
        .args(["plan", "--kind", "identity", "--user", "alice"])
        .args(more)
        .output()
        .unwrap()
}

fn render(emu: &Emulator, config: &std::path::Path) -> String {
    let out = emu
        .scpctl()
        .arg("--config")
        .arg(config)
        .args(["render", "--kind", "identity"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .trim_end()
        .to_string()
}

#[test]
fn a_new_version_is_checked_by_check_no_new_access_and_its_failures_never_fail_the_plan() {
    let emu = Emulator::start();
    emu.block_on(async {
        emu.iam
            .create_user()
            .user_name("alice")
            .send()
            .await
            .unwrap();
    });
    let (dir, config) = project(r#"["192.0.2.0/24"]"#);
    let before = render(&emu, &config);
    // A first apply creates the policy: no version to compare with, nothing asked.
    let (url, requests) = serve(|_| Answer::json(FAIL));
    let mut cmd = emu.scpctl();
    cmd.env("AWS_ENDPOINT_URL_ACCESSANALYZER", &url)
        .arg("--config")
        .arg(&config)
        .args(["apply", "--kind", "identity", "--user", "alice", "--yes"]);
    assert!(cmd.output().unwrap().status.success());
    assert_eq!(requests.try_iter().count(), 0, "a creation is not checked");

    // A CIDR added: the new version lets more through.
    std::fs::write(
        dir.path().join("scpctl.toml"),
        "[network]\ncidrs = [\"192.0.2.0/24\", \"198.51.100.0/24\"]\n",
    )
    .unwrap();
    let after = render(&emu, &config);
    let out = plan(&emu, &config, Some(&url), &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sent: Vec<_> = requests.try_iter().collect();
    assert_eq!(sent.len(), 1);
    let body: serde_json::Value = serde_json::from_str(&sent[0].body).unwrap();
    assert_eq!(body["policyType"], "IDENTITY_POLICY");
    assert!(
        scpctl_core::plan::same_policy(body["existingPolicyDocument"].as_str().unwrap(), &before),
        "{body}"
    );
    assert_eq!(body["newPolicyDocument"].as_str().unwrap(), after);
    assert!(
        stdout.contains("new version of EnterpriseNetworkRestriction: FAIL"),
        "{stdout}"
    );
    assert!(stdout.contains("- New access in the statement with index: 0. (statement DenyAccessOutsideEnterpriseNetwork)"), "{stdout}");
    // The CIDRs of the new version are lines of their own, not a literal `\n`.
    assert!(
        stdout.lines().any(|l| l.trim() == "+ 198.51.100.0/24"),
        "{stdout}"
    );
    assert!(!stdout.contains("\\n"), "{stdout}");

    // JSON: access_check with AWS's reasons.
    let out = plan(&emu, &config, Some(&url), &["--output", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let check = &doc["access_check"][0];
    assert_eq!(check["result"], "FAIL", "{doc}");
    assert_eq!(check["account"], "123456789012");
    assert_eq!(check["reasons"][0]["statement_index"], 0);

    // Denied: a warning naming the permission; the plan still succeeds.
    let (denied, requests) = serve(|_| {
        Answer::error(
            "403 Forbidden",
            "AccessDeniedException",
            "not authorized by the stand-in",
        )
    });
    let out = plan(&emu, &config, Some(&denied), &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(requests.try_iter().count(), 1);
    assert!(
        stderr.contains("warning: account 123456789012: the access check")
            && stderr.contains("access-analyzer:CheckNoNewAccess"),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(": WARNING"));

    // --no-access-check: nothing asked, reported as skipped.
    let (url, requests) = serve(|_| Answer::json(FAIL));
    let out = plan(
        &emu,
        &config,
        Some(&url),
        &["--no-access-check", "--output", "json"],
    );
    assert!(out.status.success());
    assert_eq!(requests.try_iter().count(), 0);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["access_check"][0]["result"], "SKIPPED", "{doc}");
}
