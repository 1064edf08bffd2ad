//! `scpctl render`: print (or write) the rendered policy.

use std::io::Write;

use anyhow::{Context, Result};
use scpctl_core::iac;
use scpctl_core::render::{render, Layout, RenderedPolicy};

use crate::cli::{Cli, Format, Kind, OutputFormat, RenderArgs};
use crate::exit;
use crate::load::{load, print_warnings};
use crate::outdir::write_all_or_nothing;

pub fn run(cli: &Cli, args: &RenderArgs) -> Result<u8> {
    if args.kind == Kind::Monitoring {
        return monitoring(cli, args);
    }
    let loaded = load(&cli.config)?;
    print_warnings(&loaded);
    if !loaded.config.network.opt_ins.exempt_vpc_resident_actions && args.kind != Kind::Signin {
        errln!(
            "{}",
            if args.kind == Kind::Identity {
                scpctl_core::networks::VPC_RESIDENT_NOTE_IDENTITY
            } else {
                scpctl_core::networks::VPC_RESIDENT_NOTE
            }
        )?;
    }
    let layout = if args.split_statements {
        Layout::SplitStatements
    } else {
        Layout::Single
    };
    let policies = render(
        &loaded.config,
        &loaded.cidrs.set,
        crate::commands::base::kinds::policy_kind(args.kind)?,
        layout,
    )?;
    for p in &policies {
        errln!(
            "{}: {}",
            p.name,
            crate::commands::base::table::budget(p.chars(), p.limit())
        )?;
    }
    if layout == Layout::SplitStatements {
        errln!(
            "note: the two documents are one policy in two parts: attach both to the same targets, never one alone."
        )?;
    }
    let json = cli.output == OutputFormat::Json;
    match &args.out_dir {
        // The JSON policy and the CloudFormation template are one JSON document already; HCL
        // is wrapped, so `--output json` always gives one JSON document.
        None if json && args.format == Format::Terraform => {
            let doc = serde_json::json!({
                "format": "terraform",
                "policies": policies.iter().map(|p| serde_json::json!({
                    "name": p.name, "chars": p.chars(), "limit": p.limit(),
                })).collect::<Vec<_>>(),
                "content": format_policies(&policies, args.format, args.pretty),
            });
            outln!("{doc}")?;
        }
        None => {
            let text = format_policies(&policies, args.format, args.pretty);
            std::io::stdout()
                .write_all(text.as_bytes())
                .context("cannot write to stdout")?;
        }
        Some(dir) => {
            let files: Vec<(String, Vec<u8>)> = policies
                .iter()
                .map(|p| {
                    (
                        format!("{}.{}", p.name, extension(args.format)),
                        format_policies(std::slice::from_ref(p), args.format, args.pretty)
                            .into_bytes(),
                    )
                })
                .collect();
            let paths = write_all_or_nothing(dir, &files)?;
            for path in &paths {
                errln!("wrote {}", path.display())?;
            }
            if json {
                let written: Vec<_> = policies
                    .iter()
                    .zip(&paths)
                    .map(|(p, path)| {
                        serde_json::json!({
                            "policy": p.name,
                            "path": path.display().to_string(),
                            "chars": p.chars(),
                            "limit": p.limit(),
                        })
                    })
                    .collect();
                outln!("{}", serde_json::json!({ "written": written }))?;
            }
        }
    }
    Ok(exit::SUCCESS)
}

/// `render --kind monitoring`: the EventBridge rules as CloudFormation, Terraform, or their
/// patterns as JSON. They use the exception tag, the fallback's name and `[break_glass]`,
/// not the CIDRs, so no CIDR warning is printed.
fn monitoring(cli: &Cli, args: &RenderArgs) -> Result<u8> {
    use scpctl_core::monitoring::iac as mon;
    if args.split_statements {
        return Err(crate::problems::Usage(crate::problems::Problems(vec![
            "--split-statements applies to the SCP only".into(),
        ]))
        .into());
    }
    let loaded = load(&cli.config)?;
    let config = &loaded.config;
    let text = match args.format {
        Format::Cloudformation => mon::cloudformation(config).map_err(anyhow::Error::msg)?,
        Format::Terraform => mon::terraform(config).map_err(anyhow::Error::msg)?,
        Format::Json => mon::patterns_json(config),
    };
    if config.break_glass.principals.is_empty() {
        errln!("note: [break_glass] principals is empty: only the exception-tag and guardrail rules are rendered")?;
    }
    errln!(
        "monitoring: deploy in {} (rules on global-service events only in {})",
        config.monitoring.regions.join(", "),
        scpctl_core::monitoring::global_region(&config.monitoring)
    )?;
    match &args.out_dir {
        None if cli.output == OutputFormat::Json && args.format == Format::Terraform => {
            outln!(
                "{}",
                serde_json::json!({ "format": "terraform", "content": text })
            )?;
        }
        None => std::io::stdout()
            .write_all(text.as_bytes())
            .context("cannot write to stdout")?,
        Some(dir) => {
            let name = format!("scpctl-monitoring.{}", extension(args.format));
            let path = write_all_or_nothing(dir, &[(name, text.into_bytes())])?.remove(0);
            errln!("wrote {}", path.display())?;
            if cli.output == OutputFormat::Json {
                outln!(
                    "{}",
                    serde_json::json!({ "written": [{ "policy": "monitoring", "path": path.display().to_string() }] })
                )?;
            }
        }
    }
    Ok(exit::SUCCESS)
}

fn extension(format: Format) -> &'static str {
    match format {
        Format::Json => "json",
        Format::Terraform => "tf",
        Format::Cloudformation => "cfn.json",
    }
}

fn format_policies(policies: &[RenderedPolicy], format: Format, pretty: bool) -> String {
    match format {
        Format::Json => policies
            .iter()
            .map(|p| if pretty { p.pretty() } else { p.compact.clone() } + "\n")
            .collect(),
        Format::Terraform => iac::terraform(policies),
        Format::Cloudformation => iac::cloudformation(policies),
    }
}
