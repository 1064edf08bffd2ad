//! Headless Chromium for the HTML reports' tests (`tests/html_report.rs`, `tests/html_denials.rs`):
//! found through `SCPCTL_CHROMIUM` (Debian's `chromium`, installed by `scripts/test.sh`), run on
//! a page file; a loopback listener that counts the requests a page makes; PNG statistics for
//! "the screenshot is not blank"; text as Chromium serialises it. A missing browser fails the
//! test (in CI always), never skips it.

#![allow(dead_code)] // each test binary uses its own part of this module

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// The browser, or a failure that says how to get it: never a skip.
pub fn chromium() -> PathBuf {
    let install = "install it with `apt-get install -y chromium` (scripts/test.sh does, as root) \
                   or point SCPCTL_CHROMIUM at a Chromium binary";
    match std::env::var_os("SCPCTL_CHROMIUM") {
        Some(p) => {
            let p = PathBuf::from(p);
            assert!(
                p.is_file(),
                "SCPCTL_CHROMIUM={} is not a file: {install}",
                p.display()
            );
            p
        }
        None => {
            // A developer's machine: take `chromium` from PATH when it is there.
            let found = std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|d| d.join("chromium"))
                    .find(|p| p.is_file())
            });
            match found {
                Some(p) if std::env::var_os("CI").is_none() => p,
                _ => panic!(
                    "headless Chromium not found (SCPCTL_CHROMIUM unset{}): {install}",
                    if std::env::var_os("CI").is_some() {
                        ", and CI must set it"
                    } else {
                        ""
                    }
                ),
            }
        }
    }
}

/// Run Chromium headless on `page` with extra arguments; its stdout.
pub fn browse(page: &Path, args: &[&str]) -> String {
    let profile = TempDir::new().unwrap();
    let out = std::process::Command::new(chromium())
        .args(["--headless", "--disable-gpu", "--no-sandbox"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args([
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-default-apps",
            "--force-color-profile=srgb",
            "--hide-scrollbars",
        ])
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("Chromium starts");
    assert!(
        out.status.success(),
        "Chromium failed on {}: {}",
        page.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Text as Chromium serialises a text node (`&`, `<`, `>` and no-break spaces escaped).
pub fn dom_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\u{a0}', "&nbsp;")
}

/// Counts the connections a page opens to a loopback port.
pub fn listener() -> (u16, Arc<AtomicUsize>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    std::thread::spawn(move || {
        for mut c in l.incoming().flatten() {
            counted.fetch_add(1, Ordering::SeqCst);
            let mut buf = [0u8; 1024];
            let _ = c.set_read_timeout(Some(Duration::from_millis(200)));
            let _ = c.read(&mut buf);
            let _ = std::io::Write::write_all(
                &mut c,
                b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n",
            );
        }
    });
    (port, hits)
}

/// Width, height, distinct colours and the share of the most common one, from a PNG of 8-bit
/// RGB or RGBA (what Chromium writes), decoded here with flate2.
pub fn png_stats(png: &[u8]) -> (u32, u32, usize, f64) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let mut pos = 8;
    let (mut w, mut h, mut channels) = (0u32, 0u32, 0usize);
    let mut idat = Vec::new();
    while pos + 8 <= png.len() {
        let len = u32::from_be_bytes(png[pos..pos + 4].try_into().unwrap()) as usize;
        let kind = &png[pos + 4..pos + 8];
        let data = &png[pos + 8..pos + 8 + len];
        match kind {
            b"IHDR" => {
                w = u32::from_be_bytes(data[0..4].try_into().unwrap());
                h = u32::from_be_bytes(data[4..8].try_into().unwrap());
                assert_eq!(data[8], 8, "bit depth");
                assert_eq!(data[12], 0, "interlaced");
                channels = match data[9] {
                    2 => 3,
                    6 => 4,
                    t => panic!("colour type {t}"),
                };
            }
            b"IDAT" => idat.extend_from_slice(data),
            _ => {}
        }
        pos += 12 + len;
    }
    let mut raw = Vec::new();
    flate2::read::ZlibDecoder::new(&idat[..])
        .read_to_end(&mut raw)
        .unwrap();
    let stride = w as usize * channels;
    assert_eq!(raw.len(), (stride + 1) * h as usize);
    let mut prev = vec![0u8; stride];
    let mut counts: std::collections::HashMap<Vec<u8>, usize> = Default::default();
    for y in 0..h as usize {
        let filter = raw[y * (stride + 1)];
        let line = &raw[y * (stride + 1) + 1..(y + 1) * (stride + 1)];
        let mut cur = vec![0u8; stride];
        for x in 0..stride {
            let a = if x >= channels { cur[x - channels] } else { 0 } as i16;
            let b = prev[x] as i16;
            let c = if x >= channels { prev[x - channels] } else { 0 } as i16;
            let predictor = match filter {
                0 => 0,
                1 => a,
                2 => b,
                3 => (a + b) / 2,
                4 => {
                    let p = a + b - c;
                    let (pa, pb, pc) = ((p - a).abs(), (p - b).abs(), (p - c).abs());
                    if pa <= pb && pa <= pc {
                        a
                    } else if pb <= pc {
                        b
                    } else {
                        c
                    }
                }
                f => panic!("filter {f}"),
            };
            cur[x] = line[x].wrapping_add(predictor as u8);
        }
        for px in cur.chunks(channels) {
            *counts.entry(px[..3].to_vec()).or_default() += 1;
        }
        prev = cur;
    }
    let dominant = *counts.values().max().unwrap() as f64 / (w as f64 * h as f64);
    (w, h, counts.len(), dominant)
}

/// Chromium's time to load `page` and print its DOM (`--dump-dom`), with the DOM.
pub fn timed_dump(page: &Path) -> (String, Duration) {
    let started = Instant::now();
    let dom = browse(page, &["--dump-dom"]);
    (dom, started.elapsed())
}

/// A 1280x800 screenshot of `page` into `shot`, checked not blank (more than 20 colours, none
/// covering 97% of it); copied to `docs/<name>` when `SCPCTL_WRITE_SCREENSHOT` is set.
pub fn screenshot(page: &Path, shot: &Path, name: &str) {
    browse(
        page,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,800",
        ],
    );
    let (w, h, colours, dominant) = png_stats(&std::fs::read(shot).unwrap());
    assert_eq!((w, h), (1280, 800));
    assert!(colours > 20, "{colours} colours: a blank page");
    assert!(
        dominant < 0.97,
        "one colour covers {dominant:.3} of the page"
    );
    if std::env::var_os("SCPCTL_WRITE_SCREENSHOT").is_some() {
        let docs = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("docs")
            .join(name);
        std::fs::copy(shot, docs).unwrap();
    }
}

/// A loopback listener, armed: a control page that loads an image from it is browsed first, and
/// the request it made is counted, so that "no request" from a report means something. Returns
/// the port, the counter, and the count after the control page.
pub fn armed_listener() -> (u16, Arc<AtomicUsize>, usize) {
    let (port, hits) = listener();
    let control = TempDir::new().unwrap();
    let control_page = control.path().join("control.html");
    std::fs::write(
        &control_page,
        format!("<!DOCTYPE html><title>c</title><img src=\"http://127.0.0.1:{port}/control\">"),
    )
    .unwrap();
    browse(&control_page, &["--dump-dom", "--virtual-time-budget=3000"]);
    let control_hits = hits.load(Ordering::SeqCst);
    assert!(
        control_hits > 0,
        "the loopback listener saw no request from the control page"
    );
    (port, hits, control_hits)
}

/// A report page built from records holding a script (`document.title='pwned'`) and an image
/// pointing at the listener on `port` is safe and offline: no request beyond the control
/// page's, the title `title` unchanged, one script (the page's own), no element from a record
/// (the record's text escaped), no URL but the hostile record's, and a `default-src 'none'`
/// content security policy.
pub fn assert_safe_and_offline(
    html: &str,
    dom: &str,
    title: &str,
    port: u16,
    hits: &AtomicUsize,
    control_hits: usize,
) {
    assert_eq!(
        hits.load(Ordering::SeqCst),
        control_hits,
        "the report fetched from the network"
    );
    assert!(
        dom.contains(&format!("<title>{title}</title>")),
        "the title changed: a record's script ran"
    );
    assert!(!dom.contains("pwned</title>"));
    assert_eq!(
        dom.matches("<script").count(),
        1,
        "one script: the page's own"
    );
    assert_eq!(dom.matches("<img").count(), 0, "an element from a record");
    assert!(dom.contains("&lt;script&gt;document.title='pwned'&lt;/script&gt;"));
    assert!(dom.contains(&format!("x\"&gt;&lt;img src=http://127.0.0.1:{port}/leak")));
    assert_eq!(
        html.matches("http://").count(),
        1,
        "only the hostile record holds a URL"
    );
    assert!(!html.contains("https://"));
    assert!(html.contains("default-src 'none'"));
}

/// A report's project in a temporary folder: `scpctl.toml` with `cidrs`, one records file in
/// the `trail` folder and a tags file beside them; the report command is run there with relative paths (the page, and the
/// README's screenshots, name the tags file as given, not a temporary folder).
pub struct ReportRun {
    pub dir: TempDir,
    /// The command and its fixed arguments after the trail, e.g. `impact` `--tags-file ...`.
    command: Vec<String>,
}

impl ReportRun {
    pub fn new(
        cidrs: &str,
        records: &[serde_json::Value],
        tags: &serde_json::Value,
        command: &[&str],
    ) -> ReportRun {
        let dir = TempDir::new().unwrap();
        std::fs::write(
            dir.path().join("scpctl.toml"),
            format!("[network]\ncidrs = {cidrs}\n"),
        )
        .unwrap();
        std::fs::create_dir(dir.path().join("trail")).unwrap();
        std::fs::write(
            dir.path().join("trail/records.json"),
            serde_json::to_string(&serde_json::json!({ "Records": records })).unwrap(),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("tags.json"),
            serde_json::to_string(tags).unwrap(),
        )
        .unwrap();
        ReportRun {
            dir,
            command: command.iter().map(|a| a.to_string()).collect(),
        }
    }

    /// `scpctl --output OUTPUT <command> trail <fixed arguments> <extra>`.
    pub fn run(&self, output: &str, extra: &[&str]) -> assert_cmd::assert::Assert {
        let (command, fixed) = self.command.split_first().unwrap();
        assert_cmd::Command::cargo_bin("scpctl")
            .unwrap()
            .current_dir(self.dir.path())
            .args([
                "--config",
                "scpctl.toml",
                "--output",
                output,
                command,
                "trail",
            ])
            .args(fixed)
            .args(extra)
            .assert()
    }

    /// The JSON report, and the page written with `--out out/<page>`.
    pub fn both(&self, page: &str) -> (serde_json::Value, PathBuf) {
        let json = self.run("json", &[]).success();
        let json = serde_json::from_slice(&json.get_output().stdout).unwrap();
        let out = format!("out/{page}");
        let written = self.run("html", &["--out", &out]).success();
        assert!(
            written.get_output().stdout.is_empty(),
            "--out writes the page, not stdout"
        );
        (json, self.dir.path().join(out))
    }
}
