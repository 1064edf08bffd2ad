//! The whole-document outputs of the replaying reports (`impact`, `denials`): text, JSON or
//! one HTML page drawn from the JSON, to stdout or to `--out FILE` (all or nothing). JSONL is
//! streamed by the commands themselves while they read, so `--out` refuses it before any work.

use std::path::Path;

use anyhow::{bail, Context, Result};

use crate::cli::OutputFormat;
use crate::trail::Out;

/// A report printable in the three whole-document formats.
pub trait Report {
    fn text(&self) -> String;
    /// The JSON document, serialised straight to `w`.
    fn json_to(&self, w: &mut dyn std::io::Write) -> std::io::Result<()>;
    /// The page drawn from the JSON document (parsed back, so its numbers are the JSON's).
    fn html(&self, json: &serde_json::Value) -> String;
}

/// `--out FILE` with `--output jsonl` is refused before anything is read.
pub fn check_out(out: Option<&Path>, format: OutputFormat) -> Result<()> {
    if let (Some(file), OutputFormat::Jsonl) = (out, format) {
        bail!(
            "--out {}: --output jsonl streams to stdout; --out takes text, json or html",
            scpctl_core::printable::printable(&file.display().to_string())
        );
    }
    Ok(())
}

/// The whole report as bytes in `format` (text, json or html).
pub fn document(report: &dyn Report, format: OutputFormat) -> Result<Vec<u8>> {
    if format == OutputFormat::Text {
        return Ok(report.text().into_bytes());
    }
    let mut json = Vec::new();
    report
        .json_to(&mut json)
        .context("internal: the JSON report could not be built")?;
    if format != OutputFormat::Html {
        return Ok(json);
    }
    let value: serde_json::Value =
        serde_json::from_slice(&json).context("internal: the JSON report does not parse")?;
    Ok(report.html(&value).into_bytes())
}

/// Print the report (or write it to `--out`, all or nothing) in the chosen format; `false` when
/// stdout is gone. With `--output jsonl` the lines are already written: nothing more.
pub fn emit(
    report: &dyn Report,
    format: OutputFormat,
    file: Option<&Path>,
    out: &Out,
) -> Result<bool> {
    match (format, file) {
        (OutputFormat::Jsonl, _) => Ok(true),
        (OutputFormat::Json, None) => Ok(out.with(|w| report.json_to(w))),
        (format, None) => Ok(out.write(&document(report, format)?)),
        (format, Some(file)) => {
            let bytes = document(report, format)?;
            let name = file.file_name().and_then(|n| n.to_str()).with_context(|| {
                format!(
                    "--out {}: not a file name",
                    scpctl_core::origin::excerpt(&file.display().to_string())
                )
            })?;
            let dir = match file.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            crate::outdir::write_all_or_nothing(dir, &[(name.to_string(), bytes)])
                .with_context(|| format!("--out {}", file.display()))?;
            errln!("wrote {}", file.display())?;
            Ok(true)
        }
    }
}
