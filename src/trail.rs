//! Streaming CloudTrail files through the replay: a bounded channel of jobs (local paths, or
//! objects already fetched from S3), worker threads that decompress, parse, replay and tally,
//! one tally per thread merged at the end. Memory stays flat: at most the channel's capacity
//! plus one file per thread is held, never all records.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use scpctl_core::cidr::CidrSet;
use scpctl_core::impact::{read_records, Outcome, Record, Replayer, Tally, VerdictCache};
use serde::Serialize;
use tokio::sync::mpsc::{Receiver, Sender};

/// One unit of work.
pub enum Job {
    Path(PathBuf),
    /// An object read elsewhere (S3), with the name to report it by.
    Bytes {
        name: String,
        bytes: Vec<u8>,
    },
}

/// Something skipped, with where: a file or object, and a position in it when known.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<String>,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.position {
            Some(p) => write!(f, "{}: {p}: {}", self.source, self.message),
            None => write!(f, "{}: {}", self.source, self.message),
        }
    }
}

/// Standard output shared by the threads; a closed pipe stops everything quietly.
pub struct Out {
    w: Mutex<std::io::BufWriter<std::io::Stdout>>,
    pub closed: AtomicBool,
}

impl Out {
    pub fn new() -> Out {
        Out {
            w: Mutex::new(std::io::BufWriter::with_capacity(
                1 << 16,
                std::io::stdout(),
            )),
            closed: AtomicBool::new(false),
        }
    }

    /// Write bytes; `false` once the reader has gone (broken pipe) or on any write error.
    pub fn write(&self, bytes: &[u8]) -> bool {
        if self.closed.load(Ordering::Relaxed) {
            return false;
        }
        let ok = match self.w.lock() {
            Ok(mut w) => w.write_all(bytes).is_ok(),
            Err(_) => false,
        };
        if !ok {
            self.closed.store(true, Ordering::Relaxed);
        }
        ok
    }

    /// Write through a closure (a serialiser); `false` as for [`Out::write`].
    pub fn with(&self, f: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> bool {
        if self.closed.load(Ordering::Relaxed) {
            return false;
        }
        let ok = match self.w.lock() {
            Ok(mut w) => f(&mut *w).is_ok(),
            Err(_) => false,
        };
        if !ok {
            self.closed.store(true, Ordering::Relaxed);
        }
        ok
    }

    pub fn flush(&self) -> bool {
        let ok = match self.w.lock() {
            Ok(mut w) => w.flush().is_ok(),
            Err(_) => false,
        };
        if !ok {
            self.closed.store(true, Ordering::Relaxed);
        }
        ok && !self.closed.load(Ordering::Relaxed)
    }
}

/// Counters for the progress line and the report.
#[derive(Default)]
pub struct Progress {
    pub files: AtomicU64,
    pub records: AtomicU64,
    /// Uncompressed bytes parsed.
    pub bytes: AtomicU64,
    pub compressed: AtomicU64,
}

/// What every worker shares.
pub struct Shared<'a> {
    pub replayer: &'a Replayer,
    pub cidrs: &'a CidrSet,
    /// `Some` for `--output jsonl`.
    pub jsonl: Option<&'a Out>,
    pub problems: Mutex<Vec<Problem>>,
    pub progress: Progress,
    /// An evaluation error (the policy cannot be evaluated): stop and report it.
    pub fatal: Mutex<Option<String>>,
}

impl Shared<'_> {
    fn stopped(&self) -> bool {
        self.jsonl.is_some_and(|o| o.closed.load(Ordering::Relaxed))
            || self.fatal.lock().map(|f| f.is_some()).unwrap_or(true)
    }

    pub fn problem(&self, source: &str, position: Option<String>, message: String) {
        if let Ok(mut p) = self.problems.lock() {
            p.push(Problem {
                source: source.to_string(),
                position,
                message,
            });
        }
    }
}

/// The fields of one would-be-denied event, one JSON line each.
#[derive(Serialize)]
struct DeniedLine<'a> {
    #[serde(rename = "eventID")]
    event_id: Option<&'a str>,
    sid: &'a str,
    #[serde(rename = "principalArn")]
    principal_arn: &'a str,
    #[serde(rename = "accountId")]
    account_id: &'a str,
    #[serde(rename = "sourceIPAddress")]
    source_ip_address: Option<&'a str>,
    #[serde(rename = "eventSource")]
    event_source: Option<&'a str>,
    #[serde(rename = "eventName")]
    event_name: Option<&'a str>,
    #[serde(rename = "eventTime")]
    event_time: Option<&'a str>,
    /// With the policies in force given: why they deny it already (absent: newly denied).
    #[serde(rename = "deniedToday", skip_serializing_if = "Option::is_none")]
    denied_today: Option<&'a str>,
}

/// The most one log file may decompress to. CloudTrail delivers a file every few minutes per
/// account and Region, megabytes each; a file beyond this is no log file (or a gzip bomb) and is
/// reported, not read: memory stays bounded whatever an S3 prefix holds.
const MAX_DECOMPRESSED: u64 = 1 << 30;

/// Gzip (by its magic bytes, whatever the name) or plain JSON.
fn decompress(raw: Vec<u8>) -> std::io::Result<Vec<u8>> {
    if raw.starts_with(&[0x1f, 0x8b]) {
        // A hint, not a promise: at most 64 MiB reserved up front.
        let hint = raw.len().saturating_mul(12).min(64 << 20);
        let mut out = Vec::with_capacity(hint);
        flate2::read::MultiGzDecoder::new(raw.as_slice())
            .take(MAX_DECOMPRESSED + 1)
            .read_to_end(&mut out)?;
        if out.len() as u64 > MAX_DECOMPRESSED {
            return Err(std::io::Error::other(format!(
                "it decompresses to more than {} MiB, far more than a CloudTrail log file holds; skipped",
                MAX_DECOMPRESSED >> 20
            )));
        }
        Ok(out)
    } else {
        Ok(raw)
    }
}

/// Decompress, parse, replay and tally one file.
fn process(name: &str, raw: Vec<u8>, shared: &Shared, tally: &mut Tally, cache: &mut VerdictCache) {
    shared
        .progress
        .compressed
        .fetch_add(raw.len() as u64, Ordering::Relaxed);
    let text = match decompress(raw) {
        Ok(t) => t,
        Err(e) => {
            shared.problem(name, None, format!("cannot decompress: {e}"));
            return;
        }
    };
    let mut lines: Vec<u8> = Vec::new();
    let mut error: Option<String> = None;
    let summary = read_records(&text, |record: &Record| {
        if error.is_some() {
            return;
        }
        match shared.replayer.replay(record, cache) {
            Ok(outcome) => {
                if let (
                    Some(_),
                    Outcome::Decided {
                        request,
                        denied_by: Some(sid),
                        denied_today,
                    },
                ) = (shared.jsonl, &outcome)
                {
                    let line = DeniedLine {
                        event_id: record.event_id.as_deref(),
                        sid,
                        principal_arn: request.principal_arn,
                        account_id: request.account,
                        source_ip_address: record.source_ip_address.as_deref(),
                        event_source: record.event_source.as_deref(),
                        event_name: record.event_name.as_deref(),
                        event_time: record.event_time.as_deref(),
                        denied_today: denied_today.as_deref(),
                    };
                    if serde_json::to_writer(&mut lines, &line).is_ok() {
                        lines.push(b'\n');
                    }
                }
                tally.add(&outcome, shared.cidrs);
            }
            Err(e) => error = Some(e.to_string()),
        }
    });
    if let Some(e) = error {
        if let Ok(mut f) = shared.fatal.lock() {
            f.get_or_insert(e);
        }
        return;
    }
    for p in summary.problems {
        shared.problem(name, Some(p.position.to_string()), p.message);
    }
    shared.progress.files.fetch_add(1, Ordering::Relaxed);
    shared
        .progress
        .records
        .fetch_add(summary.records, Ordering::Relaxed);
    shared
        .progress
        .bytes
        .fetch_add(text.len() as u64, Ordering::Relaxed);
    if let Some(out) = shared.jsonl {
        if !lines.is_empty() {
            out.write(&lines);
        }
    }
}

/// Take jobs until the channel closes (or output is gone); return this thread's tally.
pub fn worker(shared: &Shared, jobs: &Mutex<Receiver<Job>>) -> Tally {
    let mut tally = Tally::default();
    let mut cache = VerdictCache::default();
    loop {
        let job = match jobs.lock() {
            Ok(mut rx) => rx.blocking_recv(),
            Err(_) => None,
        };
        let Some(job) = job else { break };
        if shared.stopped() {
            continue; // drain, so the producer never blocks on a full channel
        }
        match job {
            Job::Path(path) => {
                let name = path.display().to_string();
                // Regular files only (a FIFO or /dev/zero named as input would block or never
                // end), at most what one log file may decompress to.
                match crate::load::read_regular(&path, "trail file", MAX_DECOMPRESSED) {
                    Ok(raw) => process(&name, raw, shared, &mut tally, &mut cache),
                    Err(e) => shared.problem(&name, None, format!("{e:#}")),
                }
            }
            Job::Bytes { name, bytes } => process(&name, bytes, shared, &mut tally, &mut cache),
        }
    }
    tracing::debug!(
        "verdict cache: {} hits, {} evaluations",
        cache.hits,
        cache.misses
    );
    tally
}

/// Whether a directory entry is a CloudTrail file to read: `.json` or `.json.gz`, not under
/// `CloudTrail-Digest/` or `CloudTrail-Insight/` (other documents).
fn wanted(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let other = path.components().any(|c| {
        matches!(
            c.as_os_str().to_str(),
            Some("CloudTrail-Digest" | "CloudTrail-Insight")
        )
    });
    !other && (name.ends_with(".json") || name.ends_with(".json.gz"))
}

/// Check that every local input exists (before any work starts).
pub fn check_paths(paths: &[PathBuf]) -> Result<()> {
    for p in paths {
        if !p.exists() {
            bail!("input {} not found", p.display());
        }
    }
    Ok(())
}

/// Send every file under `paths` (files as given, directories walked recursively in name
/// order) as a job. Returns `false` when the workers are gone.
pub fn send_paths(paths: &[PathBuf], tx: &Sender<Job>, shared: &Shared) -> bool {
    for p in paths {
        if p.is_dir() {
            if !walk(p, tx, shared) {
                return false;
            }
        } else if tx.blocking_send(Job::Path(p.clone())).is_err() {
            return false;
        }
    }
    true
}

fn walk(dir: &Path, tx: &Sender<Job>, shared: &Shared) -> bool {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            shared.problem(
                &dir.display().to_string(),
                None,
                format!("cannot list: {e}"),
            );
            return true;
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            if !walk(&p, tx, shared) {
                return false;
            }
        } else if wanted(&p) && tx.blocking_send(Job::Path(p)).is_err() {
            return false;
        }
    }
    true
}

/// A progress line on stderr every half second while `done` is false, only on a terminal.
pub fn progress_loop(shared: &Shared, done: &AtomicBool) {
    if !std::io::stderr().is_terminal() {
        return;
    }
    let start = Instant::now();
    let mut shown = false;
    while !done.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(500));
        let p = &shared.progress;
        let secs = start.elapsed().as_secs_f64().max(0.001);
        let mb = p.bytes.load(Ordering::Relaxed) as f64 / 1e6;
        eprint!(
            "\r{} files, {} records, {:.0} MB ({:.0} MB/s)   ",
            p.files.load(Ordering::Relaxed),
            p.records.load(Ordering::Relaxed),
            mb,
            mb / secs
        );
        shown = true;
    }
    if shown {
        eprint!("\r{:60}\r", "");
    }
}
