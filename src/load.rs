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

pub fn read_text(path: &Path, what: &str) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => anyhow::anyhow!("{what} {} not found", path.display()),
        _ => anyhow::anyhow!("cannot read {what} {}: {e}", path.display()),
    })
}

/// Read and validate the config and every CIDR it names.
pub fn load(path: &Path) -> Result<Loaded> {
    let text = read_text(path, "config file").map_err(|e| {
        anyhow::anyhow!(
            "{e}; create one with `scpctl init {p}` or pass --config PATH",
            p = path.display()
        )
    })?;
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

/// Print warnings on stderr, each value on its own line and each reason once.
pub fn print_warnings(warnings: &[CidrWarning]) {
    let mut kinds: Vec<_> = warnings.iter().map(|w| w.kind).collect();
    kinds.sort();
    kinds.dedup();
    for kind in kinds {
        for w in warnings.iter().filter(|w| w.kind == kind) {
            eprintln!("warning: {}: {} {}", w.origin, w.value, kind.what());
        }
        eprintln!("  note: {}", kind.why());
    }
}
