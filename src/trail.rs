//! Streaming CloudTrail files through the replay: a bounded channel of jobs (local paths, or
//! objects already fetched from S3), worker threads that decompress, parse, replay and tally,
//! one tally per thread merged at the end. Memory stays flat: at most the channel's capacity
//! (compressed objects) plus, per thread, [`IN_MEMORY`] bytes of decompressed text are held,
//! never all records: a file that decompresses to more is read as a stream, one record at a
//! time.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::{BufReader, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use scpctl_core::cidr::CidrSet;
use scpctl_core::impact::{
    read_records, read_records_from, Outcome, Record, Replayer, Tally, VerdictCache,
    MAX_PROBLEMS_KEPT,
};
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

/// Problems printed per file on stderr; the rest are counted there and listed in JSON.
pub const PRINTED_PER_FILE: usize = 20;

/// Problems listed in all (in the JSON report); beyond, only counted. A run over a million
/// corrupt files stays bounded in memory and output.
const MAX_LISTED: usize = 10_000;

/// Inputs not read again, listed (on stderr and in JSON); beyond, only counted.
const MAX_LINKS_LISTED: usize = 1_000;

/// What could not be read, and what was not read twice.
#[derive(Default)]
pub struct Problems {
    /// The first problems of each file (at most [`MAX_PROBLEMS_KEPT`] each, [`MAX_LISTED`] in
    /// all), in the order found.
    pub listed: Vec<Problem>,
    /// Problems found but not listed, per file that has some listed.
    unlisted: BTreeMap<String, u64>,
    /// Problems found after [`MAX_LISTED`] were listed.
    unlisted_elsewhere: u64,
    /// Inputs not read because they were read already: a link back into the walk, the same
    /// file (device and inode) under another name. Not a problem: nothing is missing.
    pub links: Vec<Problem>,
    pub links_total: u64,
}

impl Problems {
    /// Every problem found, listed or not.
    pub fn total(&self) -> u64 {
        self.listed.len() as u64 + self.unlisted()
    }

    /// Problems found and not listed.
    pub fn unlisted(&self) -> u64 {
        self.unlisted.values().sum::<u64>() + self.unlisted_elsewhere
    }

    /// A file's problems: those `kept` (in order) and a count of the others.
    fn add(
        &mut self,
        source: &str,
        kept: impl IntoIterator<Item = (Option<String>, String)>,
        unlisted: u64,
    ) {
        let mut more = unlisted;
        for (position, message) in kept {
            if self.listed.len() < MAX_LISTED {
                self.listed.push(Problem {
                    source: source.to_string(),
                    position,
                    message,
                });
            } else {
                self.unlisted_elsewhere += 1;
            }
        }
        if more > 0 && self.listed.last().is_some_and(|p| p.source == source) {
            *self.unlisted.entry(source.to_string()).or_default() += more;
            more = 0;
        }
        self.unlisted_elsewhere += more;
    }

    fn link(&mut self, source: String, message: String) {
        self.links_total += 1;
        if self.links.len() < MAX_LINKS_LISTED {
            self.links.push(Problem {
                source,
                position: None,
                message,
            });
        }
    }

    /// On stderr: the first [`PRINTED_PER_FILE`] problems of each file, then how many more;
    /// the first links not followed, then how many more. The caller decides what a write
    /// error (stderr gone) means; `errln!` remembers it, so the run ends with exit 1 anyway.
    pub fn print(&self) -> std::io::Result<()> {
        use scpctl_core::printable::printable;
        let mut printed: HashMap<&str, usize> = HashMap::new();
        let mut order: Vec<&str> = Vec::new();
        for p in &self.listed {
            let n = printed.entry(p.source.as_str()).or_insert_with(|| {
                order.push(p.source.as_str());
                0
            });
            *n += 1;
            if *n <= PRINTED_PER_FILE {
                errln!("skipped: {}", printable(&p.to_string()))?;
            }
        }
        for source in order {
            let more = printed[source].saturating_sub(PRINTED_PER_FILE) as u64
                + self.unlisted.get(source).copied().unwrap_or(0);
            if more > 0 {
                errln!(
                    "skipped: {}: and {more} more problem(s) in this file (--output json lists the first {MAX_PROBLEMS_KEPT})",
                    printable(source)
                )?;
            }
        }
        if self.unlisted_elsewhere > 0 {
            errln!(
                "skipped: and {} more problem(s) in other files, counted, not listed",
                self.unlisted_elsewhere
            )?;
        }
        for p in self.links.iter().take(PRINTED_PER_FILE) {
            errln!("not read again: {}", printable(&p.to_string()))?;
        }
        let more = self
            .links_total
            .saturating_sub(PRINTED_PER_FILE.min(self.links.len()) as u64);
        if more > 0 {
            errln!("not read again: and {more} more input(s)")?;
        }
        Ok(())
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
    pub problems: Mutex<Problems>,
    pub progress: Progress,
    /// An evaluation error (the policy cannot be evaluated): stop and report it.
    pub fatal: Mutex<Option<String>>,
}

impl Shared<'_> {
    /// Whether to take no more work: the output is gone, a fatal error, or Ctrl-C.
    pub fn stopped(&self) -> bool {
        crate::interrupt::interrupted()
            || self.jsonl.is_some_and(|o| o.closed.load(Ordering::Relaxed))
            || self.fatal.lock().map(|f| f.is_some()).unwrap_or(true)
    }

    pub fn problem(&self, source: &str, position: Option<String>, message: String) {
        if let Ok(mut p) = self.problems.lock() {
            p.add(source, [(position, message)], 0);
        }
    }

    /// An input not read because it was read already.
    fn not_again(&self, source: String, message: String) {
        if let Ok(mut p) = self.problems.lock() {
            p.link(source, message);
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
/// account and Region, megabytes each; a file beyond this is no log file (or a gzip bomb): it is
/// read no further, and memory stays bounded whatever an S3 prefix holds.
pub const MAX_DECOMPRESSED: u64 = 1 << 30;

/// The most decompressed text one thread holds: a file up to this size is parsed in one pass
/// over its bytes in memory (fields borrowed from them, the fastest path); a larger one is read
/// as a stream, one record at a time. With every thread at this bound, memory stays flat
/// whatever the files hold (8 gzip bombs in parallel: 8 times this, not 8 GiB).
pub const IN_MEMORY: usize = 32 << 20;

/// A pending JSONL output larger than this is written out before the file ends.
const LINES_FLUSH: usize = 1 << 20;

/// Read `n` bytes or up to the end.
fn read_head(input: &mut dyn Read, head: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < head.len() {
        match input.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Read up to `limit` bytes into `buf`, returning how many. `buf`'s length is the part already
/// initialised, kept from file to file and grown (doubling) only when a file needs more: unlike
/// `read_to_end`, the space is not zeroed again for every file.
fn fill(input: &mut impl Read, buf: &mut Vec<u8>, limit: usize) -> std::io::Result<usize> {
    let mut used = 0;
    while used < limit {
        if used == buf.len() {
            let grown = (buf.len() * 2).max(1 << 16).min(limit);
            buf.resize(grown, 0);
        }
        let end = buf.len().min(limit);
        used += read_head(input, &mut buf[used..end])?;
        if used < end {
            break; // the end of the input
        }
    }
    Ok(used)
}

/// Decompress (gzip by its magic bytes, whatever the name; else plain JSON), parse, replay and
/// tally one file. `buf` is the thread's buffer, reused from file to file.
fn process(
    name: &str,
    mut input: impl Read,
    shared: &Shared,
    tally: &mut dyn FnMut(&Record, &Outcome),
    cache: &mut VerdictCache,
    buf: &mut Vec<u8>,
) {
    let mut head = [0u8; 2];
    let n = match read_head(&mut input, &mut head) {
        Ok(n) => n,
        Err(e) => {
            shared.problem(name, None, format!("cannot read: {e}"));
            return;
        }
    };
    let gzip = head[..n] == [0x1f, 0x8b];
    let joined = (&head[..n]).chain(input);
    let decoded: Box<dyn Read> = if gzip {
        Box::new(flate2::read::MultiGzDecoder::new(joined))
    } else {
        Box::new(joined)
    };
    let mut capped = decoded.take(MAX_DECOMPRESSED + 1);
    let used = match fill(&mut capped, buf, IN_MEMORY + 1) {
        Ok(n) => n,
        Err(e) => {
            let what = if gzip {
                "cannot decompress"
            } else {
                "cannot read"
            };
            shared.problem(name, None, format!("{what}: {e}"));
            return;
        }
    };
    let text = &buf[..used];

    let mut lines: Vec<u8> = Vec::new();
    let mut error: Option<String> = None;
    let mut on_record = |record: &Record| {
        if error.is_some() {
            return;
        }
        match shared.replayer.replay(record, cache) {
            Ok(outcome) => {
                if let (
                    Some(out),
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
                    // Whole lines, written before they pile up (a streamed file may deny
                    // millions of records).
                    if lines.len() > LINES_FLUSH {
                        out.write(&lines);
                        lines.clear();
                    }
                }
                tally(record, &outcome);
            }
            Err(e) => error = Some(e.to_string()),
        }
    };
    let streamed = text.len() > IN_MEMORY;
    let mut summary = if streamed {
        // serde_json reads a stream a byte at a time: buffered.
        let rest = BufReader::with_capacity(1 << 16, text.chain(&mut capped));
        read_records_from(rest, &mut on_record)
    } else {
        read_records(text, &mut on_record)
    };
    if let Some(e) = error {
        if let Ok(mut f) = shared.fatal.lock() {
            f.get_or_insert(e);
        }
        return;
    }
    if capped.limit() == 0 {
        // The cap cut the text short: the last problem is that cut, not the file's syntax.
        if summary.unlisted > 0 {
            summary.unlisted -= 1;
        } else {
            summary.problems.pop();
        }
        summary.problems.push(scpctl_core::impact::FileProblem {
            position: scpctl_core::impact::record::Position {
                line: 1,
                column: 1,
                record: None,
            },
            message: format!(
                "it decompresses to more than {} MiB, far more than a CloudTrail log file holds; read no further ({} record(s) before the cut were counted)",
                MAX_DECOMPRESSED >> 20,
                summary.records
            ),
        });
    }
    if summary.problem_count() > 0 {
        if let Ok(mut p) = shared.problems.lock() {
            p.add(
                name,
                summary
                    .problems
                    .into_iter()
                    .map(|p| (Some(p.position.to_string()), p.message)),
                summary.unlisted,
            );
        }
    }
    shared.progress.files.fetch_add(1, Ordering::Relaxed);
    shared
        .progress
        .records
        .fetch_add(summary.records, Ordering::Relaxed);
    shared
        .progress
        .bytes
        .fetch_add(MAX_DECOMPRESSED + 1 - capped.limit(), Ordering::Relaxed);
    if let Some(out) = shared.jsonl {
        if !lines.is_empty() {
            out.write(&lines);
        }
    }
}

/// Take jobs until the channel closes (or output is gone); return this thread's tally.
pub fn worker(shared: &Shared, jobs: &Mutex<Receiver<Job>>) -> Tally {
    let mut tally = Tally::default();
    worker_with(shared, jobs, &mut |_, outcome| {
        tally.add(outcome, shared.cidrs)
    });
    tally
}

/// [`worker`] handing each replayed record to `observe` instead of impact's tally (`denials`
/// attributes refusals with the same replay).
pub fn worker_with(
    shared: &Shared,
    jobs: &Mutex<Receiver<Job>>,
    observe: &mut dyn FnMut(&Record, &Outcome),
) {
    let tally = observe;
    let mut cache = VerdictCache::default();
    // Grown as files need it, and reused for the next ([`fill`]).
    let mut buf = Vec::new();
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
                match crate::load::open_regular(&path, "trail file", MAX_DECOMPRESSED) {
                    Ok((file, meta)) => {
                        shared
                            .progress
                            .compressed
                            .fetch_add(meta.len(), Ordering::Relaxed);
                        process(&name, file, shared, tally, &mut cache, &mut buf)
                    }
                    Err(e) => shared.problem(&name, None, format!("{e:#}")),
                }
            }
            Job::Bytes { name, bytes } => {
                shared
                    .progress
                    .compressed
                    .fetch_add(bytes.len() as u64, Ordering::Relaxed);
                process(&name, bytes.as_slice(), shared, tally, &mut cache, &mut buf)
            }
        }
    }
    tracing::debug!(
        "verdict cache: {} hits, {} evaluations",
        cache.hits,
        cache.misses
    );
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
/// order) as a job, each file once. Returns `false` when the workers are gone.
///
/// A directory is walked once and a file read once, whatever the names that lead to them (both
/// known by device and inode): a link back into the walk (`self -> .`, `up -> ..`) is not
/// followed, two names of one file are read once, and each is said. Links met inside the
/// directories are followed after the directories' own entries, so that a file or directory
/// reached both ways is read under its real name.
pub fn send_paths(paths: &[PathBuf], tx: &Sender<Job>, shared: &Shared) -> bool {
    let mut walk = Walk {
        tx,
        shared,
        dirs: HashMap::new(),
        files: HashMap::new(),
        links: VecDeque::new(),
    };
    for p in paths {
        // Inputs named on the command line are followed, links or not: the user chose them.
        if !walk.visit(p, true) {
            return false;
        }
    }
    while let Some(link) = walk.links.pop_front() {
        if !walk.visit(&link, false) {
            return false;
        }
    }
    true
}

/// What makes a file or directory the same whatever its name: device and inode on unix;
/// elsewhere, its canonical path.
#[cfg(unix)]
type FileId = (u64, u64);
#[cfg(not(unix))]
type FileId = PathBuf;

#[cfg(unix)]
fn file_id(_path: &Path, meta: &std::fs::Metadata) -> Option<FileId> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn file_id(path: &Path, _meta: &std::fs::Metadata) -> Option<FileId> {
    std::fs::canonicalize(path).ok()
}

/// The id of a regular file met in a directory: its device is the directory's (`dir`, found
/// once per directory), its inode in the entry: no stat per file.
#[cfg(unix)]
fn entry_id(dir: &Option<std::fs::Metadata>, e: &std::fs::DirEntry) -> Option<FileId> {
    use std::os::unix::fs::{DirEntryExt, MetadataExt};
    Some((dir.as_ref()?.dev(), e.ino()))
}

#[cfg(not(unix))]
fn entry_id(_dir: &Option<std::fs::Metadata>, e: &std::fs::DirEntry) -> Option<FileId> {
    std::fs::canonicalize(e.path()).ok()
}

struct Walk<'a, 'b> {
    tx: &'a Sender<Job>,
    shared: &'a Shared<'b>,
    /// Directories walked, with the name first walked under.
    dirs: HashMap<FileId, PathBuf>,
    /// Files sent, with the name first sent under.
    files: HashMap<FileId, PathBuf>,
    /// Links met in directories, followed once the directories are walked.
    links: VecDeque<PathBuf>,
}

impl Walk<'_, '_> {
    /// An input or a link: a directory is walked, a file sent (once each); `named`: given on
    /// the command line (read whatever its name), not met in a directory.
    fn visit(&mut self, path: &Path, named: bool) -> bool {
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            // A dangling link, or a path gone since: the worker says why, for a wanted name.
            Err(_) if !named && !wanted(path) => return true,
            Err(_) => return self.send(path.to_path_buf(), None),
        };
        let id = file_id(path, &meta);
        if meta.is_dir() {
            let Some(key) = id else {
                return self.tree(path);
            };
            if let Some(first) = self.dirs.get(&key) {
                let message = match std::fs::read_link(path) {
                    Ok(target) => format!(
                        "a link to {}, a directory already read as {}: not followed",
                        target.display(),
                        first.display()
                    ),
                    Err(_) => format!("the directory {} already read", first.display()),
                };
                self.shared.not_again(path.display().to_string(), message);
                return true;
            }
            self.dirs.insert(key, path.to_path_buf());
            return self.tree(path);
        }
        if named || wanted(path) {
            return self.send(path.to_path_buf(), id);
        }
        true
    }

    /// Send a file, unless it was sent already under another name.
    fn send(&mut self, path: PathBuf, key: Option<FileId>) -> bool {
        if let Some(key) = key {
            if let Some(first) = self.files.get(&key) {
                let message = format!(
                    "the same file (device and inode) as {}, already read: read once",
                    first.display()
                );
                self.shared.not_again(path.display().to_string(), message);
                return true;
            }
            self.files.insert(key, path.clone());
        }
        self.tx.blocking_send(Job::Path(path)).is_ok()
    }

    /// Walk a directory and the real directories below it, depth first in name order (a stack,
    /// not recursion: a deep tree cannot exhaust the thread's stack); links wait in `links`.
    fn tree(&mut self, top: &Path) -> bool {
        let mut stack = vec![top.to_path_buf()];
        while let Some(dir) = stack.pop() {
            let entries = match std::fs::read_dir(&dir) {
                Ok(e) => e,
                Err(e) => {
                    self.shared.problem(
                        &dir.display().to_string(),
                        None,
                        format!("cannot list: {e}"),
                    );
                    continue;
                }
            };
            let here = std::fs::metadata(&dir).ok();
            let mut entries: Vec<std::fs::DirEntry> = entries.filter_map(|e| e.ok()).collect();
            entries.sort_by_key(|e| e.file_name());
            let mut below = Vec::new();
            for e in entries {
                let path = e.path();
                let Ok(kind) = e.file_type() else { continue };
                if kind.is_symlink() {
                    self.links.push_back(path);
                } else if kind.is_dir() {
                    match e.metadata() {
                        Ok(m) => {
                            let Some(key) = file_id(&path, &m) else {
                                below.push(path);
                                continue;
                            };
                            if let Some(first) = self.dirs.get(&key) {
                                // A bind mount of a directory already walked.
                                self.shared.not_again(
                                    path.display().to_string(),
                                    format!("the directory {} already read", first.display()),
                                );
                            } else {
                                self.dirs.insert(key, path.clone());
                                below.push(path);
                            }
                        }
                        Err(err) => self.shared.problem(
                            &path.display().to_string(),
                            None,
                            format!("cannot list: {err}"),
                        ),
                    }
                } else if wanted(&path) {
                    // A regular file (or a FIFO, refused by the worker) of this directory.
                    let id = entry_id(&here, &e);
                    if !self.send(path, id) {
                        return false;
                    }
                }
            }
            stack.extend(below.into_iter().rev());
        }
        true
    }
}

/// A progress line on stderr every half second while `done` is false, only on a terminal.
pub fn progress_loop(shared: &Shared, done: &AtomicBool) {
    if crate::progress::quiet() || !std::io::stderr().is_terminal() {
        return;
    }
    let start = Instant::now();
    let mut shown = false;
    while !done.load(Ordering::Relaxed) && !crate::interrupt::interrupted() {
        std::thread::sleep(Duration::from_millis(500));
        let p = &shared.progress;
        let secs = start.elapsed().as_secs_f64().max(0.001);
        let mb = p.bytes.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = err!(
            "\r{} files, {} records, {:.0} MB ({:.0} MB/s)   ",
            p.files.load(Ordering::Relaxed),
            p.records.load(Ordering::Relaxed),
            mb,
            mb / secs
        );
        shown = true;
    }
    if shown {
        let _ = err!("\r{:60}\r", "");
    }
}
