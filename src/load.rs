//! The edge that reads the config file and the CIDR files it names, and hands their text to the
//! pure core. Errors name the path and, for values, the file, line and column.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use scpctl_core::cidr::{parse_cidr_lines, BuiltCidrSet, CidrSet, CidrWarning, SourcedValue};
use scpctl_core::config::Config;

use crate::problems::Problems;

pub struct Loaded {
    pub path: PathBuf,
    pub config: Config,
    pub cidrs: BuiltCidrSet,
}

/// The largest file scpctl reads as text (config, CIDR list, policy): 64 MiB, far above any real
/// list (100,000 CIDRs take about 2.5 MB) and far below what would exhaust memory.
pub const MAX_TEXT_BYTES: u64 = 64 << 20;

/// Read a regular text file, refusing at once what is not one: a directory, a FIFO (which would
/// block), a device such as `/dev/zero` or `/dev/urandom` (endless), a file over
/// [`MAX_TEXT_BYTES`], bytes that are not UTF-8. A UTF-8 byte-order mark is dropped.
pub fn read_text(path: &Path, what: &str) -> Result<String> {
    let bytes = read_regular(path, what, MAX_TEXT_BYTES)?;
    let text = String::from_utf8(bytes).map_err(|e| {
        anyhow::anyhow!(
            "{what} {} is not UTF-8 text (invalid byte at offset {})",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

/// The bytes of a regular file of at most `max` bytes: a directory, a FIFO (which would block),
/// a device such as `/dev/zero` (endless) or a larger file is refused at once, naming the path.
pub fn read_regular(path: &Path, what: &str, max: u64) -> Result<Vec<u8>> {
    use std::io::Read;
    let (file, meta) = open_regular(path, what, max)?;
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| anyhow::anyhow!("cannot read {what} {}: {e}", path.display()))?;
    if bytes.len() as u64 > max {
        return Err(too_big(path, what, max));
    }
    Ok(bytes)
}

/// A regular file of at most `max` bytes, open for reading (to read as a stream), with its
/// metadata; refused as [`read_regular`] refuses.
pub fn open_regular(
    path: &Path,
    what: &str,
    max: u64,
) -> Result<(std::fs::File, std::fs::Metadata)> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => anyhow::anyhow!("{what} {shown} not found"),
        _ => anyhow::anyhow!("cannot read {what} {shown}: {e}"),
    })?;
    check_regular(&meta, path, what, max)?;
    // Opened without blocking, and checked again on the open file: a path swapped for a FIFO
    // between the two checks still cannot make scpctl wait forever.
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options
        .open(path)
        .map_err(|e| anyhow::anyhow!("cannot read {what} {shown}: {e}"))?;
    let meta = file
        .metadata()
        .map_err(|e| anyhow::anyhow!("cannot read {what} {shown}: {e}"))?;
    check_regular(&meta, path, what, max)?;
    Ok((file, meta))
}

fn check_regular(meta: &std::fs::Metadata, path: &Path, what: &str, max: u64) -> Result<()> {
    let shown = path.display();
    if meta.is_dir() {
        anyhow::bail!("{what} {shown} is a directory; give the path of a file");
    }
    if !meta.is_file() {
        anyhow::bail!(
            "{what} {shown} is not a regular file (a FIFO, socket or device such as /dev/zero); scpctl reads regular files only"
        );
    }
    if meta.len() > max {
        return Err(too_big(path, what, max));
    }
    Ok(())
}

fn too_big(path: &Path, what: &str, max: u64) -> anyhow::Error {
    anyhow::anyhow!(
        "{what} {} is larger than {} MiB, the most scpctl reads",
        path.display(),
        max >> 20
    )
}

/// Read and validate the config and every CIDR it names.
pub fn load(path: &Path) -> Result<Loaded> {
    if std::fs::symlink_metadata(path).is_err() {
        anyhow::bail!(
            "config file {p} not found; create one with `scpctl init {p}` or pass --config PATH",
            p = path.display()
        );
    }
    let text = read_text(path, "config file")?;
    let source = path.display().to_string();
    let config = Config::parse(&text, &source).map_err(|errs| Problems::from_errors(&errs))?;
    tracing::info!("read config {source}");

    let mut values: Vec<SourcedValue> = config.network.cidrs.clone();
    let base = path.parent().unwrap_or(Path::new(""));
    for file in &config.network.cidr_files {
        let file_path = base.join(&file.value);
        let content = read_text(&file_path, "CIDR file")
            .with_context(|| format!("{}: cidr_files entry {:?}", file.origin, file.value))?;
        let lines = parse_cidr_lines(&content, &file_path.display().to_string());
        tracing::info!("read {} CIDRs from {}", lines.len(), file_path.display());
        values.extend(lines);
    }
    let empty_where = format!("[network] cidrs and cidr_files in {source}");
    let cidrs = CidrSet::build(&values, config.network.options, &empty_where)
        .map_err(|errs| Problems::from_errors(&errs))?;
    Ok(Loaded {
        path: path.to_path_buf(),
        config,
        cidrs,
    })
}

/// Print the config's warnings on stderr: the CIDRs' (each value on its own line, each reason
/// once), then the others (VPC Regions, ...). Only commands that use the networks call this.
pub fn print_warnings(loaded: &Loaded) {
    print_cidr_warnings(&loaded.cidrs.warnings);
    for w in &loaded.config.warnings {
        // Best effort: a lost warning still ends the run with exit 1.
        let _ = errln!("warning: {w}");
    }
}

/// For commands other than `validate` and `render`: the config's warnings in one line that
/// points to where they are shown in full, instead of the same lines on every command.
pub fn print_warnings_summary(loaded: &Loaded) {
    let n = loaded.cidrs.warnings.len() + loaded.config.warnings.len();
    if n > 0 {
        // Best effort: a lost warning still ends the run with exit 1.
        let _ = errln!(
            "warning: {} has {n} warning{} (`scpctl validate` shows {})",
            loaded.path.display(),
            if n == 1 { "" } else { "s" },
            if n == 1 { "it" } else { "them" }
        );
    }
}

/// Values listed per kind of warning; the rest are counted (`validate --output json` lists all).
const WARNINGS_LISTED: usize = 20;

fn print_cidr_warnings(warnings: &[CidrWarning]) {
    use std::fmt::Write;
    let mut kinds: Vec<_> = warnings.iter().map(|w| w.kind).collect();
    kinds.sort();
    kinds.dedup();
    // One write: thousands of unbuffered stderr lines cost more than the render itself.
    let mut text = String::new();
    for kind in kinds {
        let of_kind: Vec<&CidrWarning> = warnings.iter().filter(|w| w.kind == kind).collect();
        for w in of_kind.iter().take(WARNINGS_LISTED) {
            let _ = writeln!(text, "warning: {}: {} {}", w.origin, w.value, kind.what());
        }
        if of_kind.len() > WARNINGS_LISTED {
            let _ = writeln!(
                text,
                "warning: ... and {} more that {} (`scpctl --output json validate` lists them all)",
                of_kind.len() - WARNINGS_LISTED,
                kind.what().trim_start_matches("is ")
            );
        }
        let _ = writeln!(text, "  note: {}", kind.why());
    }
    let _ = err!("{text}");
}
