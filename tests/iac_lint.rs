//! Every CloudFormation template scpctl generates passes the real `cfn-lint` (pinned in
//! `localstack/requirements.txt`, installed by `scripts/test.sh`). A missing cfn-lint fails the
//! test loudly: it never skips.

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use assert_cmd::Command;
use tempfile::TempDir;

fn cfn_lint() -> PathBuf {
    let path = std::env::var_os("SCPCTL_CFN_LINT")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/cfn-lint"));
    assert!(
        path.exists(),
        "cfn-lint is not installed at {}: run scripts/test.sh, which installs the pinned version \
         (localstack/moto.sh cfn-lint). This test never skips.",
        path.display()
    );
    path
}

const BASE: &str = "[network]\ncidrs = [\"192.0.2.0/24\", \"2001:db8::/32\"]\n";
const NETWORKS: &str = "vpcs = [{ id = \"vpc-0a1b2c3d\", regions = [\"eu-west-1\", \"eu-central-1\"] }]\nvpc_endpoints = [\"vpce-0a1b2c3d4e5f67890\"]\nexempt_vpc_resident_actions = true\n";
const BREAK_GLASS: &str = "[break_glass]\nprincipals = [\"arn:aws:iam::*:role/BreakGlass*\", \"arn:aws:iam::111122223333:user/breakglass\"]\n";

/// Render with `args` into DIR and lint every file written.
fn render_and_lint(config_text: &str, args: &[&str]) {
    let dir = TempDir::new().unwrap();
    let config = dir.path().join("scpctl.toml");
    std::fs::write(&config, config_text).unwrap();
    let out = dir.path().join("out");
    Command::cargo_bin("scpctl")
        .unwrap()
        .arg("--config")
        .arg(&config)
        .args(args)
        .args(["--format", "cloudformation", "--out-dir"])
        .arg(&out)
        .assert()
        .success();
    let files: Vec<PathBuf> = std::fs::read_dir(&out)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(!files.is_empty(), "{args:?}: nothing written");
    for file in files {
        let result = Process::new(cfn_lint()).arg(&file).output().unwrap();
        assert!(
            result.status.success(),
            "cfn-lint {} ({args:?}):\n{}{}\n{}",
            file.display(),
            String::from_utf8_lossy(&result.stdout),
            String::from_utf8_lossy(&result.stderr),
            std::fs::read_to_string(&file).unwrap()
        );
    }
}

#[test]
fn policy_templates_pass_cfn_lint() {
    render_and_lint(BASE, &["render"]);
    render_and_lint(BASE, &["render", "--kind", "identity"]);
    render_and_lint(BASE, &["render", "--split-statements"]);
    let with_networks = format!("{BASE}{NETWORKS}");
    render_and_lint(&with_networks, &["render"]);
    render_and_lint(&with_networks, &["render", "--kind", "identity"]);
}

#[test]
fn monitoring_templates_pass_cfn_lint() {
    render_and_lint(BASE, &["render", "--kind", "monitoring"]);
    render_and_lint(
        &format!("{BASE}{BREAK_GLASS}[monitoring]\nemail = \"secops@example.com\"\nregions = [\"us-east-1\", \"eu-west-1\"]\n"),
        &["render", "--kind", "monitoring"],
    );
    render_and_lint(
        &format!("{BASE}{BREAK_GLASS}[monitoring]\ntopic_arn = \"arn:aws:sns:us-east-1:111122223333:alerts\"\n"),
        &["render", "--kind", "monitoring"],
    );
}
