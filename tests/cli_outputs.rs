//! Output failures and hostile values on the way out: every command on a full device (stdout,
//! then stderr) ends with exit 1 and a message, never a panic; a closed pipe ends with 141;
//! `apply --yes` whose plan cannot be printed changes nothing; echoed input is cut; values
//! from records cannot forge report lines or drive the terminal.

mod support;
mod trail_fixtures;

use std::fs::OpenOptions;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};

use assert_cmd::cargo::CommandCargoExt;
use serde_json::{json, Value};
use tempfile::TempDir;

/// Which stream goes to the full device.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Full {
    Stdout,
    Stderr,
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn dev_full() -> Stdio {
    OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full")
        .into()
}

/// An `assert_cmd` command (the emulator's, with its environment) as a std one, whose streams
/// can be files.
fn to_std(cmd: &assert_cmd::Command) -> Process {
    let mut p = Process::new(cmd.get_program());
    p.args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => p.env(k, v),
            None => p.env_remove(k),
        };
    }
    if let Some(d) = cmd.get_current_dir() {
        p.current_dir(d);
    }
    p
}

fn run(mut p: Process, full: Option<Full>) -> Run {
    p.stdin(Stdio::null());
    match full {
        Some(Full::Stdout) => p.stdout(dev_full()).stderr(Stdio::piped()),
        Some(Full::Stderr) => p.stdout(Stdio::piped()).stderr(dev_full()),
        None => p.stdout(Stdio::piped()).stderr(Stdio::piped()),
    };
    let out = p.output().expect("scpctl runs");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The command three times: as is, with stdout full, with stderr full. Whatever a normal run
/// writes to a stream, losing it must end with exit 1 (a message on stderr when stdout is
/// full), and no run may panic.
fn check_full(label: &str, make: &dyn Fn() -> Process) {
    let normal = run(make(), None);
    assert_ne!(normal.code, Some(101), "{label}: {}", normal.stderr);
    assert!(!normal.stderr.contains("panicked"), "{label}");
    assert!(
        !normal.stdout.is_empty() || !normal.stderr.is_empty(),
        "{label}: the normal run writes nothing, so the test proves nothing"
    );

    let r = run(make(), Some(Full::Stdout));
    assert!(!r.stderr.contains("panicked"), "{label}: {}", r.stderr);
    if normal.stdout.is_empty() {
        assert_eq!(r.code, normal.code, "{label} (nothing on stdout)");
    } else {
        assert_eq!(r.code, Some(1), "{label} >/dev/full: {}", r.stderr);
        assert!(
            r.stderr.contains("No space left on device"),
            "{label} >/dev/full says why: {}",
            r.stderr
        );
    }

    let r = run(make(), Some(Full::Stderr));
    if normal.stderr.is_empty() {
        assert_eq!(r.code, normal.code, "{label} (nothing on stderr)");
    } else {
        assert_eq!(r.code, Some(1), "{label} 2>/dev/full");
    }
}

fn scpctl(config: &Path, args: &[&dyn AsRef<std::ffi::OsStr>]) -> Process {
    let mut p = Process::cargo_bin("scpctl").unwrap();
    p.arg("--config").arg(config);
    for a in args {
        p.arg(a);
    }
    p
}

/// A project: the starter config (documentation ranges, so render and validate warn on
/// stderr), the fixtures' tags, and their trail.
fn offline_project() -> (TempDir, PathBuf, PathBuf, PathBuf) {
    let dir = TempDir::new().unwrap();
    let config = dir.path().join("scpctl.toml");
    std::fs::write(
        &config,
        format!("[network]\ncidrs = {}\n", trail_fixtures::CIDRS),
    )
    .unwrap();
    let tags = dir.path().join("tags.json");
    std::fs::write(&tags, trail_fixtures::TAGS).unwrap();
    let trail = dir.path().join("trail");
    trail_fixtures::write_all(&trail, &trail_fixtures::three_shapes());
    (dir, config, tags, trail)
}

#[test]
fn every_offline_command_on_a_full_device_exits_1_without_a_panic() {
    let (dir, config, tags, trail) = offline_project();
    let c = &config;
    let d = dir.path();
    let simulate: &[&dyn AsRef<std::ffi::OsStr>] = &[
        &"simulate",
        &"--principal-type",
        &"User",
        &"--source-ip",
        &"198.51.100.7",
    ];
    let cases: Vec<(&str, MakeCommand)> = vec![
        ("render", Box::new(|| scpctl(c, &[&"render"]))),
        (
            "render --out-dir --output json",
            Box::new(|| {
                let out = d.join(format!("out-{}", rand_suffix()));
                scpctl(c, &[&"--output", &"json", &"render", &"--out-dir", &out])
            }),
        ),
        ("validate", Box::new(|| scpctl(c, &[&"validate"]))),
        (
            "validate --output json",
            Box::new(|| scpctl(c, &[&"--output", &"json", &"validate"])),
        ),
        ("simulate", Box::new(|| scpctl(c, simulate))),
        (
            "simulate --output json",
            Box::new(|| {
                let mut p = scpctl(c, &[&"--output", &"json"]);
                p.args(["simulate", "--principal-type", "User", "--source-ip"])
                    .arg("198.51.100.7");
                p
            }),
        ),
        (
            "simulate --scenario",
            Box::new(|| scpctl(c, &[&"simulate", &"--scenario"])),
        ),
        (
            "impact text",
            Box::new(|| scpctl(c, &[&"impact", &trail, &"--tags-file", &tags])),
        ),
        (
            "impact json",
            Box::new(|| {
                scpctl(
                    c,
                    &[
                        &"--output",
                        &"json",
                        &"impact",
                        &trail,
                        &"--tags-file",
                        &tags,
                    ],
                )
            }),
        ),
        (
            "impact jsonl",
            Box::new(|| {
                scpctl(
                    c,
                    &[
                        &"--output",
                        &"jsonl",
                        &"impact",
                        &trail,
                        &"--tags-file",
                        &tags,
                    ],
                )
            }),
        ),
        (
            "impact --emit-sql",
            Box::new(|| {
                scpctl(
                    c,
                    &[
                        &"impact",
                        &"--engine",
                        &"athena",
                        &"--table",
                        &"db.cloudtrail",
                        &"--allow-full-scan",
                        &"--account",
                        &trail_fixtures::ACCOUNT,
                        &"--emit-sql",
                    ],
                )
            }),
        ),
        (
            "init",
            Box::new(|| {
                let target = d.join(format!("init-{}.toml", rand_suffix()));
                scpctl(c, &[&"--output", &"json", &"init", &target])
            }),
        ),
        (
            "completions",
            Box::new(|| scpctl(c, &[&"completions", &"bash"])),
        ),
        ("man", Box::new(|| scpctl(c, &[&"man"]))),
        (
            "man --out-dir --output json",
            Box::new(|| {
                let out = d.join(format!("man-{}", rand_suffix()));
                scpctl(c, &[&"--output", &"json", &"man", &"--out-dir", &out])
            }),
        ),
        ("--help", Box::new(|| scpctl(c, &[&"--help"]))),
        (
            "an error message",
            Box::new(|| scpctl(c, &[&"simulate", &"--policy", &"missing.json"])),
        ),
    ];
    for (label, make) in &cases {
        check_full(label, make.as_ref());
    }
}

/// Builds the command afresh for each of its three runs.
type MakeCommand<'a> = Box<dyn Fn() -> Process + 'a>;

/// A fresh name per call: a command that writes files runs three times.
fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    N.fetch_add(1, Ordering::Relaxed).to_string()
}

/// Many copies of the fixtures' records, so the JSONL stream outlasts a pipe's buffer.
fn big_trail(dir: &Path) -> PathBuf {
    let mut records = Vec::new();
    for i in 0..300 {
        for mut r in trail_fixtures::records() {
            r["eventID"] = json!(format!("{i}-{}", r["eventID"].as_str().unwrap_or("")));
            records.push(r);
        }
    }
    let t = dir.join("big");
    std::fs::create_dir_all(&t).unwrap();
    std::fs::write(t.join("big.json"), trail_fixtures::log_file(&records)).unwrap();
    t
}

#[test]
fn a_reader_that_closes_the_pipe_ends_impact_with_141() {
    let (dir, config, tags, _) = offline_project();
    let trail = big_trail(dir.path());
    let mut p = scpctl(
        &config,
        &[
            &"--output",
            &"jsonl",
            &"impact",
            &trail,
            &"--tags-file",
            &tags,
        ],
    );
    p.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = p.spawn().unwrap();
    let mut first = [0u8; 10];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // The pipe's read end is dropped here: like `| head -c 10`.
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(141), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        !stderr.contains("error"),
        "a closed pipe is no error: {stderr}"
    );
}

#[test]
fn record_values_cannot_forge_report_lines_nor_drive_the_terminal() {
    let (dir, config, tags, _) = offline_project();
    let forged =
        "\ntotals: 0 records, 0 decided, 0 would be denied (0 principal(s)), 0 apart, 0 skipped\n";
    let mut records = trail_fixtures::records();
    for r in &mut records {
        if r["userIdentity"]["arn"] == trail_fixtures::BOB {
            r["userIdentity"]["arn"] = json!(format!("{}{forged}", trail_fixtures::BOB));
            r["eventName"] = json!("List\u{1b}[8mBuckets\u{7}\u{0}\r\u{9b}");
        }
    }
    let t = dir.path().join("hostile");
    std::fs::create_dir_all(&t).unwrap();
    std::fs::write(t.join("h.json"), trail_fixtures::log_file(&records)).unwrap();

    let r = run(
        scpctl(&config, &[&"impact", &t, &"--tags-file", &tags]),
        None,
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let totals: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("totals:"))
        .collect();
    assert_eq!(totals.len(), 1, "one totals line, scpctl's:\n{}", r.stdout);
    assert!(!totals[0].contains(" 0 records"), "{}", totals[0]);
    for c in r.stdout.chars().chain(r.stderr.chars()) {
        assert!(
            c == '\n' || !c.is_control(),
            "control character {c:?} reached the terminal:\n{}",
            r.stdout
        );
    }
    assert!(
        r.stdout.contains("user/ops/bob\\ntotals: 0 records"),
        "the newline is shown escaped:\n{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("List\\x1b[8mBuckets\\x07\\0\\r\\u{9b}"),
        "the event name is shown escaped:\n{}",
        r.stdout
    );

    // JSON keeps the values exact (its own escaping makes them safe).
    let r = run(
        scpctl(
            &config,
            &[&"--output", &"json", &"impact", &t, &"--tags-file", &tags],
        ),
        None,
    );
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    let arns: Vec<&str> = doc["principals"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["principal_arn"].as_str())
        .collect();
    assert!(
        arns.iter().any(|a| a.ends_with(forged)),
        "JSON keeps the ARN as it is: {arns:?}"
    );
}

#[test]
fn echoed_input_is_cut_and_long_lists_are_counted() {
    let dir = TempDir::new().unwrap();
    let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    let mut lines = vec![format!("aws_secret_access_key = {secret}")];
    let bad = 5000;
    lines.extend((1..bad).map(|i| format!("not-a-cidr-{i}")));
    std::fs::write(dir.path().join("creds"), lines.join("\n")).unwrap();
    let config = dir.path().join("scpctl.toml");
    std::fs::write(
        &config,
        "[network]\ncidrs = [\"192.0.2.0/24\"]\ncidr_files = [\"creds\"]\n",
    )
    .unwrap();

    let r = run(scpctl(&config, &[&"validate"]), None);
    assert_eq!(r.code, Some(1));
    assert!(!r.stderr.contains(secret), "{}", r.stderr);
    assert!(r.stderr.contains("aws_secret_access_key"), "{}", r.stderr);
    let errors = r.stderr.lines().filter(|l| l.starts_with("error:")).count();
    assert_eq!(errors, 21, "20 listed, then a count:\n{}", r.stderr);
    assert!(
        r.stderr.contains(&format!("and {} more", bad - 20)),
        "{}",
        r.stderr
    );

    for command in ["validate", "render"] {
        let r = run(scpctl(&config, &[&"--output", &"json", &command]), None);
        assert_eq!(r.code, Some(1));
        let text = if r.stdout.is_empty() {
            &r.stderr
        } else {
            &r.stdout
        };
        let doc: Value = serde_json::from_str(text).unwrap();
        assert_eq!(doc["error_count"], bad, "{doc}");
        let listed = doc["errors"].as_array().unwrap().len();
        assert!(listed <= 1000 && listed > 20, "{listed}");
        assert!(!text.contains(secret));
    }

    // A huge operator and a huge address in a policy document are cut to an excerpt.
    std::fs::write(&config, "[network]\ncidrs = [\"192.0.2.0/24\"]\n").unwrap();
    let huge = "X".repeat(200_000);
    for condition in [
        json!({ huge.clone(): {"aws:SourceIp": ["192.0.2.1"]} }),
        json!({"IpAddress": {"aws:SourceIp": [huge.clone()]}}),
    ] {
        let policy = dir.path().join("p.json");
        let doc = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": condition}]});
        std::fs::write(&policy, doc.to_string()).unwrap();
        for command in ["simulate", "impact"] {
            let mut p = scpctl(&config, &[&command, &"--policy", &policy]);
            if command == "simulate" {
                p.args(["--principal-type", "User", "--source-ip", "192.0.2.1"]);
            } else {
                p.arg(dir.path());
            }
            let r = run(p, None);
            assert_ne!(r.code, Some(0), "{command}");
            assert!(
                r.stderr.len() < 1000 && r.stderr.contains("200000 characters"),
                "{command}: {} bytes: {}",
                r.stderr.len(),
                &r.stderr[..r.stderr.len().min(300)]
            );
        }
    }
}

#[test]
fn no_print_site_can_panic_on_a_write_error() {
    // The std printing macros panic when a write fails; every print under src/ goes through the
    // output module's macros instead. The trail reader is another engineer's module in this
    // round, and its writer returns its failures rather than printing.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut offenders = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            if p.extension().is_none_or(|x| x != "rs") || p.ends_with("src/trail.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap();
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                for m in ["println!(", "eprintln!(", "print!(", "eprint!("] {
                    let hit = code.match_indices(m).any(|(i, _)| {
                        !code[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_')
                    });
                    if hit {
                        offenders.push(format!("{}:{}: {line}", p.display(), n + 1));
                    }
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "use out!/outln!/err!/errln!:\n{}",
        offenders.join("\n")
    );
}

mod aws {
    use super::support::*;
    use super::*;

    fn deploy(emu: &Emulator, config: &Path, args: &[&str]) -> Process {
        let mut cmd = emu.scpctl();
        cmd.arg("--config").arg(config).args(args);
        to_std(&cmd)
    }

    #[test]
    fn aws_commands_on_a_full_device_exit_1_and_apply_changes_nothing() {
        let emu = Emulator::start();
        let org = seed_org(&emu, 1);
        let (_dir, config) = project(CIDRS);
        let ou = org.ous[0].as_str();

        // The plan cannot be printed: apply stops before its first write.
        let r = run(
            deploy(&emu, &config, &["apply", "--yes", "--ou", ou]),
            Some(Full::Stdout),
        );
        assert_eq!(r.code, Some(1), "{}", r.stderr);
        assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
        assert!(r.stderr.contains("No space left on device"), "{}", r.stderr);
        assert!(
            policies_named(&emu, SCP_NAME).is_empty(),
            "apply wrote to AWS though its plan was lost"
        );

        let cases: Vec<(&str, Vec<&str>)> = vec![
            ("plan", vec!["plan", "--ou", ou]),
            (
                "plan --output json",
                vec!["--output", "json", "plan", "--ou", ou],
            ),
            ("status (not deployed)", vec!["status"]),
            ("exception list", vec!["exception", "list"]),
            ("destroy --dry-run", vec!["destroy", "--dry-run"]),
        ];
        for (label, args) in &cases {
            check_full(label, &|| deploy(&emu, &config, args));
        }

        // Deployed: status and destroy --dry-run have more to say.
        let r = run(deploy(&emu, &config, &["apply", "--yes", "--ou", ou]), None);
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        check_full("status (deployed)", &|| deploy(&emu, &config, &["status"]));
        check_full("destroy --dry-run (deployed)", &|| {
            deploy(&emu, &config, &["destroy", "--dry-run"])
        });
        assert_eq!(policies_named(&emu, SCP_NAME).len(), 1);
    }
}
