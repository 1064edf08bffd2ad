//! `scpctl validate`: findings about a config, without printing the policy; with `--online`,
//! AWS's own (IAM Access Analyzer ValidatePolicy).

mod files;
mod online;

use anyhow::Result;
use scpctl_core::render::{render, Layout, PolicyKind, RenderError};
use serde::Serialize;
use serde_json::json;

use crate::cli::{Cli, OutputFormat, ValidateArgs};
use crate::exit;
use crate::load::{load, print_warnings};
use crate::problems::Problems;

pub fn run(cli: &Cli, args: &ValidateArgs) -> Result<u8> {
    if !args.policy.is_empty() || args.policy_dir.is_some() {
        return files::run(cli, args);
    }
    if args.policy_type.is_some() {
        return Err(crate::problems::usage(
            "--policy-type says what --policy or --policy-dir files are: give one of them".into(),
        ));
    }
    let loaded = match load(&cli.config) {
        Ok(l) => l,
        // Scripts asked for JSON: give them a report even when the config cannot be read.
        Err(e) if cli.output == OutputFormat::Json => {
            let errors = match e.downcast_ref::<Problems>() {
                Some(p) => p.0.clone(),
                None => vec![format!("{e:#}")],
            };
            let count = errors.len();
            let errors = &errors[..count.min(crate::problems::LISTED_JSON)];
            let report = json!({"config": cli.config.display().to_string(), "valid": false, "errors": errors, "error_count": count});
            outln!("{}", serde_json::to_string_pretty(&report)?)?;
            return Ok(exit::FAILURE);
        }
        Err(e) => return Err(e),
    };
    let kinds: Vec<PolicyKind> = match args.kind {
        Some(k) => vec![crate::commands::base::kinds::policy_kind(k)?],
        None => vec![PolicyKind::Scp, PolicyKind::Identity],
    };
    let mut errors = Vec::new();
    let mut sizes = Vec::new();
    let mut documents = Vec::new();
    for kind in kinds {
        let kind_name = kind_name(kind);
        match render(&loaded.config, &loaded.cidrs.set, kind, Layout::Single) {
            Ok(docs) => {
                documents.extend(docs.iter().map(|d| online::Document {
                    name: d.name.clone(),
                    kind,
                    text: d.compact.clone(),
                    file: false,
                }));
                let d = &docs[0];
                sizes.push(Size {
                    kind: kind_name,
                    name: d.name.clone(),
                    chars: d.chars(),
                    limit: d.limit(),
                });
            }
            Err(e) => {
                if let RenderError::TooLarge {
                    name, chars, limit, ..
                } = &e
                {
                    sizes.push(Size {
                        kind: kind_name,
                        name: name.clone(),
                        chars: *chars,
                        limit: *limit,
                    });
                }
                errors.push(e.to_string());
            }
        }
    }
    let vpc_note = (!loaded.config.network.opt_ins.exempt_vpc_resident_actions).then_some(
        if args.kind == Some(crate::cli::Kind::Identity) {
            scpctl_core::networks::VPC_RESIDENT_NOTE_IDENTITY
        } else {
            scpctl_core::networks::VPC_RESIDENT_NOTE
        },
    );
    let owner_note = (loaded.config.network.opt_ins.has_owners()
        && args.kind != Some(crate::cli::Kind::Signin))
    .then(scpctl_core::networks::owner_note);
    // AWS's own linter, once scpctl's own checks pass (a document scpctl refuses is not sent).
    let checked = if args.online && errors.is_empty() {
        Some(online::check(&args.aws, documents)?)
    } else {
        None
    };
    let online_fails = checked
        .as_deref()
        .is_some_and(|c| online::fails(c, args.fail_on));
    let stats = loaded.cidrs.stats;
    let set = &loaded.cidrs.set;
    let file = loaded.path.display().to_string();
    match cli.output {
        OutputFormat::Json => {
            let warnings: Vec<_> = loaded
                .cidrs
                .warnings
                .iter()
                .map(|w| json!({"origin": w.origin.to_string(), "value": w.value, "message": format!("{} {}", w.value, w.kind.what()), "why": w.kind.why()}))
                .chain(loaded.config.warnings.iter().map(|w| json!({"message": w})))
                .collect();
            let notes: Vec<&str> = vpc_note.into_iter().chain(owner_note.as_deref()).collect();
            let report = json!({
                "config": file,
                "valid": errors.is_empty(),
                "errors": errors,
                "warnings": warnings,
                "cidrs": {"given": stats.given, "aggregated": stats.aggregated, "ipv4": set.v4().len(), "ipv6": set.v6().len()},
                "policies": sizes,
                "notes": notes,
            });
            let mut report = report;
            if let Some(c) = &checked {
                report["online"] = online::to_json(c);
            }
            outln!("{}", serde_json::to_string_pretty(&report)?)?;
        }
        OutputFormat::Text | OutputFormat::Jsonl | OutputFormat::Html => {
            print_warnings(&loaded);
            for note in vpc_note.into_iter().chain(owner_note.as_deref()) {
                errln!("{note}")?;
            }
            for e in &errors {
                errln!("error: {e}")?;
            }
            outln!(
                "{file}: {} CIDRs given, {} after lossless aggregation ({} IPv4, {} IPv6)",
                stats.given,
                stats.aggregated,
                set.v4().len(),
                set.v6().len()
            )?;
            for s in &sizes {
                outln!(
                    "  {} {}: {}",
                    s.kind,
                    s.name,
                    crate::commands::base::table::budget(s.chars, s.limit)
                )?;
            }
            if let Some(c) = &checked {
                online::print(c)?;
            }
            let w = loaded.cidrs.warnings.len() + loaded.config.warnings.len();
            if errors.is_empty() {
                outln!(
                    "{file}: valid ({w} warning{})",
                    if w == 1 { "" } else { "s" }
                )?;
            } else {
                outln!(
                    "{file}: {} error{}, {w} warning{}",
                    errors.len(),
                    if errors.len() == 1 { "" } else { "s" },
                    if w == 1 { "" } else { "s" }
                )?;
            }
        }
    }
    Ok(if errors.is_empty() && !online_fails {
        exit::SUCCESS
    } else {
        exit::FAILURE
    })
}

/// How much of its limit one policy uses.
#[derive(Serialize)]
struct Size {
    kind: &'static str,
    name: String,
    chars: usize,
    limit: usize,
}

fn kind_name(kind: PolicyKind) -> &'static str {
    match kind {
        PolicyKind::Scp => "scp",
        PolicyKind::Identity => "identity",
        PolicyKind::Signin => "signin",
    }
}
