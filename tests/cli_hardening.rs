//! Hostile and odd input, quotas as settings, network trouble and output contracts, through the
//! binary as a user (or a script) runs it. None of these needs the emulator: the network tests
//! use a socket that refuses or one that never answers, both on loopback.

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use tempfile::TempDir;

const SEED: &str =
    "[network]\ncidrs = [\"192.0.2.0/24\", \"203.0.113.0/24\", \"2001:db8:1234::/48\"]\n";

fn scpctl() -> Command {
    Command::cargo_bin("scpctl").unwrap()
}

fn project(text: &str) -> (TempDir, PathBuf) {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("scpctl.toml");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

fn run(config: &Path, args: &[&str]) -> assert_cmd::assert::Assert {
    scpctl().arg("--config").arg(config).args(args).assert()
}

fn stderr_of(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stderr).into_owned()
}

fn stdout_of(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stdout).into_owned()
}

/// Scattered /32s that never aggregate: `n` of them in a TOML list.
fn scattered(n: usize) -> String {
    let items: Vec<String> = (0..n)
        .map(|i| format!("\"11.{}.{}.1\"", i / 250, i % 250))
        .collect();
    format!("[network]\ncidrs = [{}]\n", items.join(", "))
}

// ---- 1. Quotas are settings ----

#[test]
fn validate_budgets_against_awss_current_quota_by_default_and_the_setting_when_given() {
    let (_d, config) = project(SEED);
    run(&config, &["validate", "--kind", "scp"])
        .success()
        .stdout(predicates::str::contains("560 of 10,240 characters"));
    let (_d, config) = project(&format!("{SEED}[limits]\nscp_max_chars = 5120\n"));
    run(&config, &["validate", "--kind", "scp"])
        .success()
        .stdout(predicates::str::contains("560 of 5,120 characters"));
    // 500 scattered hosts: refused under 5,120, fine under 10,240.
    let big = scattered(500);
    let (_d, config) = project(&big);
    run(&config, &["render"]).success();
    let (_d, config) = project(&format!("{big}[limits]\nscp_max_chars = 5120\n"));
    let a = run(&config, &["render"]).code(1);
    assert!(
        stderr_of(&a).contains("over the limit of 5120 ([limits] scp_max_chars)"),
        "{}",
        stderr_of(&a)
    );
    assert!(stdout_of(&a).is_empty(), "nothing printed");
}

#[test]
fn limits_outside_what_aws_allows_are_refused_naming_the_setting() {
    for (line, expect) in [
        (
            "scp_max_chars = 20000",
            "[limits] scp_max_chars = 20000 must be 1 to 10240",
        ),
        (
            "scp_max_chars = 0",
            "[limits] scp_max_chars = 0 must be 1 to 10240",
        ),
        (
            "scps_per_target = 11",
            "[limits] scps_per_target = 11 must be 1 to 10",
        ),
        (
            "scps_per_target = -1",
            "[limits] scps_per_target = -1 must be 1 to 10",
        ),
        (
            "scp_max_chars = \"big\"",
            "`limits.scp_max_chars` must be an integer",
        ),
        ("unknown = 1", "unknown field `unknown`"),
    ] {
        let (_d, config) = project(&format!("{SEED}[limits]\n{line}\n"));
        let a = run(&config, &["validate"]).code(1);
        let err = stderr_of(&a);
        assert!(err.contains(expect), "{line}: {err}");
        assert!(
            err.contains("scpctl.toml:4:"),
            "{line}: points at the line: {err}"
        );
    }
}

#[test]
fn init_shows_the_limits_table_commented_out() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("new.toml");
    scpctl().arg("init").arg(&path).assert().success();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("# [limits]"), "{text}");
    assert!(text.contains("# scp_max_chars = 10240"), "{text}");
    assert!(text.contains("# scps_per_target = 10"), "{text}");
}

// ---- 3. Hostile and odd input ----

#[test]
fn special_files_and_directories_fail_at_once_naming_the_path() {
    let dir = TempDir::new().unwrap();
    let fifo = dir.path().join("fifo.toml");
    let made = Process::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let big = dir.path().join("big.toml");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(65 << 20)
        .unwrap();
    let cases: Vec<(PathBuf, &str)> = vec![
        ("/dev/zero".into(), "is not a regular file"),
        ("/dev/urandom".into(), "is not a regular file"),
        (fifo.clone(), "is not a regular file"),
        (dir.path().to_path_buf(), "is a directory"),
        (big.clone(), "larger than 64 MiB"),
    ];
    for (path, expect) in &cases {
        let start = Instant::now();
        let a = scpctl()
            .arg("--config")
            .arg(path)
            .arg("validate")
            .timeout(Duration::from_secs(20))
            .assert()
            .code(1);
        let err = stderr_of(&a);
        assert!(
            err.contains(expect) && err.contains(&path.display().to_string()),
            "{}: {err}",
            path.display()
        );
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{}",
            path.display()
        );
    }
    // The same rules for a CIDR file the config names.
    for target in ["/dev/zero", fifo.to_str().unwrap()] {
        let (_d, config) = project(&format!("[network]\ncidr_files = [{target:?}]\n"));
        let a = scpctl()
            .arg("--config")
            .arg(&config)
            .arg("render")
            .timeout(Duration::from_secs(20))
            .assert()
            .code(1);
        assert!(
            stderr_of(&a).contains("is not a regular file"),
            "{}",
            stderr_of(&a)
        );
    }
}

#[test]
fn a_byte_order_mark_is_accepted_in_config_and_cidr_files() {
    let dir = TempDir::new().unwrap();
    std::fs::write(
        dir.path().join("egress.txt"),
        "\u{feff}198.51.100.0/24\n# c\n",
    )
    .unwrap();
    let config = dir.path().join("scpctl.toml");
    std::fs::write(
        &config,
        format!("\u{feff}{SEED}cidr_files = [\"egress.txt\"]\n"),
    )
    .unwrap();
    let a = run(&config, &["render"]).success();
    assert!(
        stdout_of(&a).contains("198.51.100.0/24"),
        "{}",
        stdout_of(&a)
    );
}

#[test]
fn non_utf8_text_is_refused_naming_the_file() {
    let dir = TempDir::new().unwrap();
    let config = dir.path().join("scpctl.toml");
    std::fs::write(&config, b"[network]\ncidrs = [\"\xff\"]\n").unwrap();
    let a = run(&config, &["validate"]).code(1);
    assert!(stderr_of(&a).contains("is not UTF-8"), "{}", stderr_of(&a));
}

#[test]
fn type_errors_name_the_key() {
    for (text, expect) in [
        (
            "[network]\ncidrs = \"192.0.2.0/24\"\n",
            "`network.cidrs` must be an array of strings, not string \"192.0.2.0/24\"",
        ),
        (
            "[network]\ncidrs = [1]\n",
            "`network.cidrs[0]` must be a string",
        ),
        (
            "[network]\ncidrs = [\"192.0.2.0/24\"]\nnormalize_host_bits = \"yes\"\n",
            "`network.normalize_host_bits` must be true or false",
        ),
        (
            "[policy]\nname = 5\n[network]\ncidrs = []\n",
            "`policy.name` must be a string",
        ),
    ] {
        let (_d, config) = project(text);
        let a = run(&config, &["validate"]).code(1);
        assert!(stderr_of(&a).contains(expect), "{text}: {}", stderr_of(&a));
    }
}

#[test]
fn long_bad_values_are_shown_as_a_short_excerpt() {
    let long = "A".repeat(100_000);
    for text in [
        format!("[network]\ncidrs = [\"{long}\"]\n"),
        format!("[network]\ncidrs = \"{long}\"\n"),
        format!("[policy]\nname = \"{long}\"\n[network]\ncidrs = [\"192.0.2.0/24\"]\n"),
    ] {
        let (_d, config) = project(&text);
        let a = run(&config, &["validate"]).code(1);
        let err = stderr_of(&a);
        assert!(err.len() < 1000, "{} bytes of error", err.len());
        assert!(err.contains("(100000 characters)"), "{err}");
    }
}

#[test]
fn cidr_hints_say_what_is_wrong() {
    for (value, expect) in [
        ("198.51.100.0 /24", "whitespace"),
        ("0x0A000000/8", "hex is not accepted"),
        ("10.0.0.0/0x8", "hex is not accepted"),
        ("10/8", "write all four octets"),
    ] {
        let (_d, config) = project(&format!("[network]\ncidrs = [{value:?}]\n"));
        let a = run(&config, &["validate"]).code(1);
        let err = stderr_of(&a);
        assert!(
            err.contains(expect) && err.contains(value),
            "{value}: {err}"
        );
    }
}

#[test]
fn names_aws_would_refuse_are_refused_at_validate_time() {
    for (name, expect) in [
        ("Politique-réseau", "is not ASCII"),
        ("Tab\tName", "control character"),
        ("   ", "not only spaces"),
    ] {
        let (_d, config) = project(&format!("[policy]\nname = {name:?}\n{SEED}"));
        let a = run(&config, &["validate"]).code(1);
        let err = stderr_of(&a);
        assert!(
            err.contains("[policy] name") && err.contains(expect),
            "{name}: {err}"
        );
    }
    // IAM user and role names: [\w+=,.@-], 1 to 64; commas are allowed there.
    let (_d, config) = project(SEED);
    for args in [
        vec!["exception", "grant", "bad name"],
        vec!["exception", "revoke", "x/y"],
        vec!["exception", "list", "--role-name", "role:x"],
    ] {
        let a = run(&config, &args).code(2);
        assert!(
            stderr_of(&a).contains("is not allowed in an IAM"),
            "{args:?}: {}",
            stderr_of(&a)
        );
    }
    let too_long = "u".repeat(65);
    let a = run(&config, &["exception", "grant", &too_long]).code(2);
    assert!(stderr_of(&a).contains("1 to 64"), "{}", stderr_of(&a));
}

#[test]
fn a_directory_as_config_says_so() {
    let dir = TempDir::new().unwrap();
    let a = scpctl()
        .arg("--config")
        .arg(dir.path())
        .arg("render")
        .assert()
        .code(1);
    assert!(
        stderr_of(&a).contains("is a directory"),
        "{}",
        stderr_of(&a)
    );
}

#[test]
fn usage_errors_come_before_config_warnings_and_exit_2() {
    let (_d, config) = project(SEED);
    let a = run(&config, &["plan", "--ou", "not-an-ou"]).code(2);
    let err = stderr_of(&a);
    assert!(err.contains("not-an-ou"), "{err}");
    assert!(
        !err.contains("warning"),
        "no config warning before a usage error: {err}"
    );
    // Commands that do not use the CIDRs print no CIDR warning.
    let a = run(&config, &["detach", "--ou", "bad"]).code(2);
    assert!(
        !stderr_of(&a).contains("documentation range"),
        "{}",
        stderr_of(&a)
    );
}

/// Run a command with its stdout closed before it writes: it must end quietly, with the
/// conventional status of a closed pipe, never a panic.
#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    let (_d, config) = project(SEED);
    let bin = assert_cmd::cargo::cargo_bin("scpctl");
    for args in [
        vec!["simulate", "--scenario"],
        vec!["render", "--pretty"],
        vec!["validate"],
        vec![
            "simulate",
            "--principal-type",
            "User",
            "--tag",
            "AccessException=True",
        ],
        vec!["--output", "json", "validate"],
    ] {
        let mut child = Process::new(&bin)
            .arg("--config")
            .arg(&config)
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        let status = child.wait().unwrap();
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(
            status.code() == Some(141) || status.success(),
            "{args:?}: {status:?} {err}"
        );
    }
}

// ---- --output json: one document on stdout, errors as one JSON object on stderr ----

fn one_json(text: &str) -> serde_json::Value {
    let mut docs = serde_json::Deserializer::from_str(text).into_iter::<serde_json::Value>();
    let first = docs.next().expect("a JSON document").expect("valid JSON");
    assert!(docs.next().is_none(), "exactly one document: {text}");
    first
}

#[test]
fn every_command_prints_one_json_document_with_output_json() {
    let (dir, config) = project(SEED);
    let out = dir.path().join("out");
    let a = run(
        &config,
        &[
            "--output",
            "json",
            "render",
            "--out-dir",
            out.to_str().unwrap(),
        ],
    )
    .success();
    let doc = one_json(&stdout_of(&a));
    assert_eq!(
        doc["written"][0]["policy"],
        "RestrictIAMUserAccessWithExceptions"
    );
    let a = run(
        &config,
        &["--output", "json", "render", "--format", "terraform"],
    )
    .success();
    let doc = one_json(&stdout_of(&a));
    assert!(doc["content"]
        .as_str()
        .unwrap()
        .contains("aws_organizations_policy"));
    let a = run(
        &config,
        &["--output", "json", "render", "--format", "cloudformation"],
    )
    .success();
    one_json(&stdout_of(&a));
    let a = run(&config, &["--output", "json", "render"]).success();
    one_json(&stdout_of(&a));
    let fresh = dir.path().join("fresh.toml");
    let a = scpctl()
        .args(["--output", "json", "init"])
        .arg(&fresh)
        .assert()
        .success();
    assert_eq!(
        one_json(&stdout_of(&a))["written"],
        fresh.display().to_string()
    );
    for args in [vec!["validate"], vec!["simulate", "--scenario"]] {
        let a = run(&config, &[&["--output", "json"][..], &args].concat());
        one_json(&stdout_of(&a));
    }
}

#[test]
fn errors_with_output_json_are_one_json_object_on_stderr() {
    let (_d, config) = project("[network]\ncidrs = [\"300.1.1.1\"]\n");
    let a = run(&config, &["--output", "json", "render"]).code(1);
    assert!(stdout_of(&a).is_empty());
    let err = one_json(&stderr_of(&a));
    assert_eq!(err["exit_code"], 1);
    assert!(
        err["error"].as_str().unwrap().contains("300.1.1.1"),
        "{err}"
    );
    // Usage errors too, even those clap finds before the command runs.
    let a = scpctl()
        .args(["--output", "json", "render", "--bogus"])
        .assert()
        .code(2);
    let err = one_json(&stderr_of(&a));
    assert_eq!(err["exit_code"], 2);
    assert!(err["error"].as_str().unwrap().contains("--bogus"), "{err}");
}

// ---- 2. Network trouble fails fast and says what is wrong ----

fn aws_env(cmd: &mut Command) -> &mut Command {
    cmd.env_remove("AWS_PROFILE")
        .env("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEEXAMPLE00")
        .env("AWS_SECRET_ACCESS_KEY", "example-secret")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
}

#[test]
fn a_refused_connection_fails_within_seconds_in_a_few_lines_naming_the_endpoint() {
    let (_d, config) = project(SEED);
    // A port that was free a moment ago: nothing listens there now.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let start = Instant::now();
    let mut cmd = scpctl();
    aws_env(&mut cmd);
    let a = cmd
        .arg("--config")
        .arg(&config)
        .args(["status", "--endpoint-url", &endpoint])
        .timeout(Duration::from_secs(60))
        .assert()
        .code(1);
    let elapsed = start.elapsed();
    let err = stderr_of(&a);
    let error_lines: Vec<&str> = err
        .lines()
        .filter(|l| !l.starts_with("warning") && !l.starts_with("  note"))
        .collect();
    assert!(err.contains(&endpoint) && err.contains("refused"), "{err}");
    assert!(
        error_lines.len() <= 3,
        "a few lines, not the SDK's debug text: {err}"
    );
    assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");
    // The full chain is there with -v.
    let mut cmd = scpctl();
    aws_env(&mut cmd);
    let a = cmd
        .arg("--config")
        .arg(&config)
        .args(["status", "-v", "--endpoint-url", &endpoint])
        .assert()
        .code(1);
    assert!(
        stderr_of(&a).contains("details: dispatch failure"),
        "{}",
        stderr_of(&a)
    );
}

#[test]
fn an_endpoint_that_never_answers_fails_within_the_timeout_naming_it() {
    let (_d, config) = project(SEED);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    // Accept every connection and say nothing, until the test ends.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming().flatten() {
            held.push(conn);
        }
    });
    let start = Instant::now();
    let mut cmd = scpctl();
    aws_env(&mut cmd);
    let a = cmd
        .arg("--config")
        .arg(&config)
        .args(["status", "--timeout", "3", "--endpoint-url", &endpoint])
        .timeout(Duration::from_secs(60))
        .assert()
        .code(1);
    let elapsed = start.elapsed();
    let err = stderr_of(&a);
    assert!(
        err.contains(&endpoint) && err.contains("no answer in time"),
        "{err}"
    );
    assert!(
        elapsed < Duration::from_secs(10),
        "--timeout 3 took {elapsed:?}"
    );
}

#[test]
fn missing_credentials_say_how_to_provide_them() {
    let (dir, config) = project(SEED);
    let start = Instant::now();
    let a = scpctl()
        .env_clear()
        .env("HOME", dir.path())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_REGION", "us-east-1")
        .arg("--config")
        .arg(&config)
        .args(["status", "--endpoint-url", "http://127.0.0.1:9"])
        .timeout(Duration::from_secs(60))
        .assert()
        .code(1);
    let err = stderr_of(&a);
    assert!(
        err.contains("no usable AWS credentials") || err.contains("no AWS credentials"),
        "{err}"
    );
    assert!(
        err.contains("AWS_ACCESS_KEY_ID") && err.contains("--profile"),
        "{err}"
    );
    assert!(!err.contains("WARN"), "SDK warnings only with -v: {err}");
    assert!(
        start.elapsed() < Duration::from_secs(15),
        "{:?}",
        start.elapsed()
    );
}

// ---- Conveniences: completions and manual pages, generated from the same clap definitions ----

#[test]
fn completions_for_every_shell_name_the_subcommands() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let a = scpctl().args(["completions", shell]).assert().success();
        let out = stdout_of(&a);
        for word in ["scpctl", "simulate", "exception", "endpoint-url"] {
            assert!(out.contains(word), "{shell}: {word}");
        }
    }
    scpctl().args(["completions", "tcsh"]).assert().code(2);
}

#[test]
fn man_pages_are_roff_for_the_command_and_each_subcommand() {
    let a = scpctl().arg("man").assert().success();
    let page = stdout_of(&a);
    assert!(
        page.contains(".TH scpctl 1") && page.contains("simulate"),
        "{page}"
    );
    let dir = TempDir::new().unwrap();
    scpctl()
        .args(["man", "--out-dir"])
        .arg(dir.path())
        .assert()
        .success();
    for name in ["scpctl.1", "scpctl-render.1", "scpctl-exception-grant.1"] {
        let text = std::fs::read_to_string(dir.path().join(name)).unwrap();
        assert!(text.starts_with(".ie") || text.contains(".TH"), "{name}");
    }
}
