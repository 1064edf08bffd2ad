//! `scpctl impact` on hostile local inputs: directory symlink loops, a line of corrupt records,
//! gzip bombs read in parallel. Each must end, in bounded time and memory, saying what it
//! skipped. Unix only: symbolic links, hard links and getrusage.
#![cfg(unix)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

/// One IAM user's call from outside the CIDRs: denied, one record.
const RECORD: &str = r#"{"eventID":"e1","eventTime":"2024-05-01T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"eu-west-1","sourceIPAddress":"198.51.100.7","userIdentity":{"type":"IAMUser","principalId":"AIDAX","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","userName":"alice"}}"#;

fn project() -> (TempDir, PathBuf) {
    let dir = TempDir::new().unwrap();
    let config = dir.path().join("scpctl.toml");
    std::fs::write(&config, "[network]\ncidrs = [\"192.0.2.0/24\"]\n").unwrap();
    (dir, config)
}

/// Run `scpctl --config CONFIG --output OUTPUT impact ARGS`, killed after `limit`.
fn impact(
    config: &Path,
    output: &str,
    args: &[&dyn AsRef<std::ffi::OsStr>],
    limit: Duration,
) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_scpctl"));
    cmd.arg("--config")
        .arg(config)
        .args(["--output", output, "impact"]);
    for a in args {
        cmd.arg(a);
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read both pipes on threads, so a large output cannot block the child.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut out, &mut v).unwrap();
        v
    });
    let err = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut err, &mut v).unwrap();
        v
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > limit {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("scpctl impact {output} still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn log_file(records: usize) -> String {
    format!("{{\"Records\":[{}]}}", vec![RECORD; records].join(","))
}

#[test]
fn symlink_loops_end_and_each_file_is_read_once() {
    use std::os::unix::fs::symlink;
    let (dir, config) = project();
    // loopdir: self -> ../loopdir, sub/up -> .., and a file under two more names (a link and
    // a hard link); me: me -> . (read 41 times before, through 40 levels of links).
    let loopdir = dir.path().join("loopdir");
    std::fs::create_dir_all(loopdir.join("sub")).unwrap();
    std::fs::write(loopdir.join("sub/a.json"), log_file(1)).unwrap();
    std::fs::write(loopdir.join("top.json"), log_file(2)).unwrap();
    symlink("../loopdir", loopdir.join("self")).unwrap();
    symlink("..", loopdir.join("sub/up")).unwrap();
    symlink("a.json", loopdir.join("sub/b.json")).unwrap();
    std::fs::hard_link(loopdir.join("sub/a.json"), loopdir.join("sub/c.json")).unwrap();
    let me = dir.path().join("me");
    std::fs::create_dir(&me).unwrap();
    std::fs::write(me.join("x.json"), log_file(4)).unwrap();
    symlink(".", me.join("me")).unwrap();
    // A link to a directory outside the walk is followed, once.
    let outside = dir.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::fs::write(outside.join("o.json"), log_file(8)).unwrap();
    symlink(&outside, loopdir.join("elsewhere")).unwrap();

    let o = impact(&config, "text", &[&loopdir], Duration::from_secs(60));
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("Impact of RestrictIAMUserAccessWithExceptions on 11 records in 3 file(s)"),
        "1 + 2 + 8 records, each file once:\n{text}\n{err}"
    );
    for (name, why) in [
        (
            "loopdir/self",
            "a link to ../loopdir, a directory already read as",
        ),
        (
            "loopdir/sub/up",
            "a link to .., a directory already read as",
        ),
        ("loopdir/sub/b.json", "the same file (device and inode) as"),
        ("loopdir/sub/c.json", "the same file (device and inode) as"),
    ] {
        assert!(
            err.lines()
                .any(|l| l.starts_with("not read again: ") && l.contains(name) && l.contains(why)),
            "{name}: {why}\n{err}"
        );
    }

    // The directory holding `me -> .`, named twice, and a file named twice: read once each.
    let x = me.join("x.json");
    let o = impact(&config, "json", &[&me, &me, &x], Duration::from_secs(60));
    let doc = json(&o);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(doc["totals"]["records"], 4, "{doc}");
    assert_eq!(doc["totals"]["files"], 1, "{doc}");
    assert_eq!(doc["totals"]["not_read_again"], 3, "{doc}");
    let skipped: Vec<&str> = doc["not_read_again"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["source"].as_str().unwrap())
        .collect();
    assert_eq!(skipped.len(), 3, "{doc}");
    assert!(skipped.iter().any(|s| s.ends_with("me/me")), "{skipped:?}");
    assert!(skipped.iter().any(|s| s.ends_with("x.json")), "{skipped:?}");
}

#[test]
fn a_line_of_corrupt_records_ends_with_twenty_problems_printed_and_all_counted() {
    let (dir, config) = project();
    // One line, as CloudTrail writes its files: 200,000 records of the wrong shape and one good
    // one. Counting each position from the start of the line took minutes at this size.
    let n = 200_000;
    let bad = r#"{"eventTime":5}"#;
    let mut body = vec![bad; n];
    body.push(RECORD);
    let path = dir.path().join("corrupt.json");
    std::fs::write(&path, format!("{{\"Records\":[{}]}}", body.join(","))).unwrap();

    let o = impact(&config, "text", &[&path], Duration::from_secs(60));
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(5), "{err}");
    let printed = err
        .lines()
        .filter(|l| l.contains("record not readable"))
        .count();
    assert_eq!(printed, 20, "{err}");
    assert!(
        err.contains(&format!(
            "corrupt.json: and {} more problem(s) in this file (--output json lists the first 1000)",
            n - 20
        )),
        "{err}"
    );
    // The first one names its place: line 1, the value 5 of record 1.
    assert!(
        err.contains("corrupt.json: line 1 column 26 (record 1): record not readable: invalid type: integer `5`"),
        "{err}"
    );
    assert!(err.contains(&format!("{n} input problem(s)")), "{err}");
    assert!(
        err.lines().count() < 30,
        "bounded output: {} lines",
        err.lines().count()
    );
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("on 1 records in 1 file(s)"), "{text}");

    let o = impact(&config, "json", &[&path], Duration::from_secs(60));
    let doc = json(&o);
    assert_eq!(doc["totals"]["problems"], n, "{}", doc["totals"]);
    assert_eq!(doc["totals"]["records"], 1);
    assert_eq!(doc["problems"].as_array().unwrap().len(), 1000);
    assert_eq!(doc["problems_unlisted"], n - 1000);
    // The 1,000th listed problem has its own position (each record is 16 bytes with its comma).
    assert_eq!(
        doc["problems"][999]["position"],
        format!("line 1 column {} (record 1000)", 13 + 999 * 16 + 13)
    );
}

/// Peak resident memory of the largest child this process has waited for, in bytes.
fn children_peak_rss() -> u64 {
    // SAFETY: getrusage writes into the struct it is given, nothing else.
    let usage = unsafe {
        let mut u: libc::rusage = std::mem::zeroed();
        assert_eq!(libc::getrusage(libc::RUSAGE_CHILDREN, &mut u), 0);
        u
    };
    // Linux reports kilobytes.
    u64::try_from(usage.ru_maxrss).unwrap() * 1024
}

/// A gzip file of `members` concatenated members, each `chunk` bytes of zeros: a bomb that
/// decompresses to members x chunk bytes, built without compressing all of it.
fn gzip_bomb(path: &Path, chunk: usize, members: usize) {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..chunk >> 20 {
        enc.write_all(&zeros).unwrap();
    }
    let member = enc.finish().unwrap();
    let mut f = std::fs::File::create(path).unwrap();
    for _ in 0..members {
        f.write_all(&member).unwrap();
    }
}

#[test]
fn eight_gzip_bombs_in_parallel_keep_memory_bounded() {
    let (dir, config) = project();
    let bombs = dir.path().join("bombs");
    std::fs::create_dir(&bombs).unwrap();
    // Eight files of 1.1 GiB each once decompressed (64 MiB x 18): held whole, 8.8 GB.
    let first = bombs.join("bomb0.json.gz");
    gzip_bomb(&first, 64 << 20, 18);
    for i in 1..8 {
        std::fs::copy(&first, bombs.join(format!("bomb{i}.json.gz"))).unwrap();
    }
    let o = impact(
        &config,
        "json",
        &[&bombs, &"--jobs", &"8"],
        Duration::from_secs(300),
    );
    let doc = json(&o);
    assert_eq!(o.status.code(), Some(5), "{}", stderr(&o));
    assert_eq!(doc["totals"]["problems"], 8, "{doc}");
    for p in doc["problems"].as_array().unwrap() {
        assert!(
            p["message"]
                .as_str()
                .unwrap()
                .starts_with("not a CloudTrail log file"),
            "{p}"
        );
    }
    let peak = children_peak_rss();
    assert!(
        peak < 400 << 20,
        "peak memory {} MiB with 8 bombs in parallel",
        peak >> 20
    );
}

#[test]
fn a_file_larger_than_memory_holds_is_read_a_record_at_a_time() {
    let (dir, config) = project();
    // Just over the 32 MiB held in memory: read as a stream, every record counted, and a bad
    // record in the middle reported with its place, as for a file read whole.
    let per = RECORD.len() + 1;
    let n = (33 << 20) / per;
    let mut body = vec![RECORD; n];
    body[n / 2] = r#"{"eventTime":5}"#;
    let text = format!("{{\"Records\":[{}]}}", body.join(","));
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(text.as_bytes()).unwrap();
    let path = dir.path().join("large.json.gz");
    std::fs::write(&path, enc.finish().unwrap()).unwrap();
    let column = text.find(r#"{"eventTime":5}"#).unwrap() + 14;

    let o = impact(&config, "json", &[&path], Duration::from_secs(300));
    let doc = json(&o);
    assert_eq!(o.status.code(), Some(5), "{}", stderr(&o));
    assert_eq!(doc["totals"]["records"], n - 1, "{}", doc["totals"]);
    assert_eq!(doc["totals"]["denied"], n - 1);
    assert_eq!(doc["totals"]["problems"], 1);
    assert_eq!(
        doc["problems"][0]["position"],
        format!("line 1 column {column} (record {})", n / 2 + 1)
    );
}

/// Ctrl-C (SIGINT) during a long replay: exit 130 with a line saying how far it got, and no
/// report on stdout.
#[test]
fn ctrl_c_stops_the_replay_and_says_what_was_read() {
    let (dir, config) = project();
    let trail = dir.path().join("trail");
    std::fs::create_dir(&trail).unwrap();
    // Enough work that the run is still going when the signal comes: every record from another
    // address, so the verdict cache cannot shortcut them.
    let records: Vec<String> = (0..20_000)
        .map(|i| {
            RECORD.replace(
                "198.51.100.7",
                &format!("198.51.{}.{}", i / 256 % 256, i % 256),
            )
        })
        .collect();
    let file = format!("{{\"Records\":[{}]}}", records.join(","));
    for i in 0..30 {
        std::fs::write(trail.join(format!("f{i:03}.json")), &file).unwrap();
    }
    let child = Command::new(env!("CARGO_BIN_EXE_scpctl"))
        .arg("--config")
        .arg(&config)
        .args(["impact", "--jobs", "1"])
        .arg(&trail)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    // SAFETY: sends SIGINT to the child this test spawned.
    assert_eq!(
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) },
        0
    );
    let started = Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(started.elapsed() < Duration::from_secs(30));
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(
        err.contains("interrupted (Ctrl-C):") && err.contains("record(s) read"),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "no report");
}
