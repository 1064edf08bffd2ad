//! `scpctl status --kind identity`: where the policy is attached (managed) or embedded
//! (inline copies scpctl wrote), whether each copy's content drifted from the config, and,
//! given --user/--group/--role, which of them hold neither. Exit 4 on any drift.

use anyhow::Result;
use scpctl_core::iam_doc::{inline_document, written_by_scpctl};
use scpctl_core::identity_plan::Entity;
use scpctl_core::plan::{cidr_diff, policy_cidrs, same_policy};
use serde_json::{json, Value};

use super::deploy::{checked_accounts, entities, open};
use crate::cli::{Cli, OutputFormat, StatusArgs};
use crate::commands::base::session::block_on;
use crate::exit;

fn entity_json(e: &Entity) -> Value {
    json!({e.kind.as_str(): e.name})
}

pub fn status(cli: &Cli, args: &StatusArgs) -> Result<u8> {
    block_on(async {
        let ids = checked_accounts(&args.accounts)?;
        let targets = entities(&args.identity);
        let (policy, counter, accounts) =
            open(cli, &args.aws, &ids, &args.identity.role_name).await?;
        let inline_doc = inline_document(&policy.compact).unwrap_or_default();
        let mut in_sync = true;
        let mut reports = Vec::new();
        let mut lines = Vec::new();
        for a in &accounts {
            let managed = a.iam.managed(&a.arn).await?;
            let copies = a.iam.inline_copies(&policy.name).await?;
            let mut report =
                json!({"account": a.id, "deployed": managed.is_some() || !copies.is_empty()});
            lines.push(format!("account {}:", a.id));
            if managed.is_none() && copies.is_empty() {
                in_sync = false;
                lines.push(format!("  {}: not deployed (no managed policy, no inline copy). `scpctl plan --kind identity --user NAME` shows what apply would do.", policy.name));
            }
            if let Some(p) = &managed {
                let same = same_policy(&p.document, &policy.compact);
                let (added, removed) =
                    match (policy_cidrs(&p.document), policy_cidrs(&policy.compact)) {
                        (Some(d), Some(w)) => cidr_diff(&d, &w),
                        _ => (vec![], vec![]),
                    };
                in_sync &= same && p.managed;
                let owner = if p.managed {
                    "managed by scpctl"
                } else {
                    "NOT created by scpctl: apply will not change it"
                };
                lines.push(format!(
                    "  managed policy {} (versions: {}), {owner}",
                    p.arn,
                    p.versions.len()
                ));
                let names: Vec<String> = p.attached_to.iter().map(ToString::to_string).collect();
                lines.push(format!(
                    "    attached to: {}",
                    if names.is_empty() {
                        "nothing (the policy has no effect)".into()
                    } else {
                        names.join(", ")
                    }
                ));
                if same {
                    lines.push("    content: in sync with the config".into());
                } else {
                    // apply never changes a policy it did not create: say only that.
                    lines.push(if p.managed {
                        "    content: differs from the config; `scpctl apply --kind identity` would add a version".into()
                    } else {
                        "    content: differs from the config (apply leaves this policy alone: it was not created by scpctl)".into()
                    });
                    added.iter().for_each(|c| {
                        lines.push(format!("      + {c}  (in the config, not deployed)"))
                    });
                    removed.iter().for_each(|c| {
                        lines.push(format!("      - {c}  (deployed, not in the config)"))
                    });
                }
                report["managed"] = json!({
                    "arn": p.arn, "managed": p.managed, "in_sync": same, "versions": p.versions.len(),
                    "cidrs_to_add": added, "cidrs_to_remove": removed,
                    "attached_to": p.attached_to.iter().map(entity_json).collect::<Vec<_>>(),
                });
            }
            let mut inline = Vec::new();
            for (entity, docs) in &copies {
                for (_, doc) in docs {
                    let ours = written_by_scpctl(doc);
                    let same = same_policy(doc, &inline_doc);
                    in_sync &= !ours || same;
                    let foreign = scpctl_core::iam_doc::foreign_statements(doc);
                    let mixed = format!("written by scpctl, but also holds {} added by someone else: apply leaves it alone", foreign.join(", "));
                    let state = match (ours, same) {
                        (false, _) => "NOT written by scpctl: left alone",
                        (true, true) => "in sync",
                        (true, false) if !foreign.is_empty() => mixed.as_str(),
                        (true, false) => "differs from the config; `scpctl apply --kind identity --inline` would update it",
                    };
                    lines.push(format!("  inline copy on {entity}: {state}"));
                    let mut v = entity_json(entity);
                    v["written_by_scpctl"] = json!(ours);
                    v["in_sync"] = json!(same);
                    inline.push(v);
                }
            }
            report["inline"] = json!(inline);
            let holds = |t: &Entity| {
                managed
                    .as_ref()
                    .is_some_and(|p| p.attached_to.iter().any(|a| a.is(t)))
                    || copies
                        .iter()
                        .any(|(e, docs)| e.is(t) && docs.iter().any(|(_, d)| written_by_scpctl(d)))
            };
            let missing: Vec<&Entity> = targets.iter().filter(|t| !holds(t)).collect();
            for t in &missing {
                lines.push(format!(
                    "  {t}: holds neither the managed policy nor an inline copy"
                ));
            }
            in_sync &= missing.is_empty();
            report["not_restricted"] =
                json!(missing.iter().map(|e| entity_json(e)).collect::<Vec<_>>());
            reports.push(report);
        }
        match cli.output {
            OutputFormat::Json => outln!(
                "{}",
                json!({"policy": policy.name, "in_sync": in_sync, "accounts": reports, "api_calls": counter.snapshot()})
            )?,
            OutputFormat::Text | OutputFormat::Jsonl | OutputFormat::Html => {
                lines.iter().try_for_each(|l| outln!("{l}"))?
            }
        }
        tracing::info!("AWS requests: {}", counter.summary());
        Ok(if in_sync { exit::SUCCESS } else { exit::DRIFT })
    })?
}
