//! `scpctl rollout status|next|abort`: read the policy's tags and attachments, let the core
//! plan (`scpctl_core::rollout`), show, ask, execute. Nothing is kept on a local disk: every
//! run plans from what AWS holds, so a run cut short is finished by running it again.
//! `denials` (what the policy actually refused) is the observing half of the same loop.

pub mod denials;
mod denials_report;

use std::collections::BTreeSet;

use anyhow::{anyhow, bail, Result};
use scpctl_core::denials::tally::DenialTally;
use scpctl_core::denials::Attributor;
use scpctl_core::impact::TagSource;
use scpctl_core::plan::{plan_apply, Change, Desired, ObservedPolicy, OrgPolicyType, TargetId};
use scpctl_core::printable::printable;
use scpctl_core::render::{PolicyKind, RenderedPolicy};
use scpctl_core::rollout::{self, RolloutSettings, RolloutState, TagChanges};
use serde_json::json;

use crate::aws::orgs::Orgs;
use crate::aws::CallCounter;
use crate::cli::{
    Cli, OutputFormat, RolloutAbortArgs, RolloutCommand, RolloutNextArgs, RolloutStatusArgs,
};
use crate::exit;
use crate::load::Loaded;
use crate::problems::{Problems, Usage};

use crate::commands::base::confirm::{confirm_changes, plan_errors};
use crate::commands::base::load::load_and_render;
use crate::commands::base::session::{block_on, connect};

pub fn run(cli: &Cli, command: &RolloutCommand) -> Result<u8> {
    match command {
        RolloutCommand::Status(args) => status(cli, args),
        RolloutCommand::Next(args) => next(cli, args),
        RolloutCommand::Abort(args) => abort(cli, args),
    }
}

/// The config's `[rollout]`, or a usage error saying how to write one.
fn settings(loaded: &Loaded) -> Result<RolloutSettings> {
    loaded.config.rollout.clone().ok_or_else(|| {
        Usage(Problems(vec![format!(
            "{} has no [[rollout.stages]]: add stages (targets = [\"ou-...\"], soak = \"2d\") to roll out in stages",
            loaded.path.display()
        )]))
        .into()
    })
}

/// What AWS holds: scpctl's policy (if any), its tags and the targets it is attached to.
struct Held {
    policy: Option<ObservedPolicy>,
    tags: Vec<(String, String)>,
    attachments: BTreeSet<String>,
}

async fn observe(orgs: &Orgs, name: &str) -> Result<Held> {
    let Some(policy) = orgs.find_policy(name).await? else {
        return Ok(Held {
            policy: None,
            tags: Vec::new(),
            attachments: BTreeSet::new(),
        });
    };
    if !policy.managed {
        bail!(
            "an SCP named {} ({}) exists but is not tagged ManagedBy=scpctl: scpctl does not roll out a policy it does not manage; nothing was changed",
            printable(name),
            policy.id
        );
    }
    let (tags, attachments) =
        tokio::try_join!(orgs.policy_tags(&policy.id), orgs.targets_of(&policy.id))?;
    Ok(Held {
        policy: Some(policy),
        tags,
        attachments,
    })
}

/// The system clock as `YYYY-MM-DDTHH:MM:SSZ`.
fn now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    rollout::format_epoch(secs as i64)
}

fn tag_lines(tags: &TagChanges) -> Vec<String> {
    tags.set
        .iter()
        .map(|(k, v)| format!("tag the policy {k}={}", printable(v)))
        .chain(
            tags.remove
                .iter()
                .map(|k| format!("untag the policy {}", printable(k))),
        )
        .collect()
}

/// Print the plan (text: the lines; json: the document, with `applied` once done).
fn print(
    cli: &Cli,
    mut doc: serde_json::Value,
    lines: &[String],
    counter: &CallCounter,
    applied: Option<usize>,
) -> std::io::Result<()> {
    match cli.output {
        OutputFormat::Json => {
            doc["api_calls"] = json!(counter.snapshot());
            if let Some(n) = applied {
                doc["applied"] = json!(n);
            }
            outln!("{doc}")?;
        }
        _ if applied.is_some() => outln!("Applied {} change(s).", applied.unwrap_or(0))?,
        _ if lines.is_empty() => {}
        _ => {
            outln!("{} change(s):", lines.len())?;
            for l in lines {
                outln!("  + {l}")?;
            }
        }
    }
    Ok(())
}

fn status(cli: &Cli, args: &RolloutStatusArgs) -> Result<u8> {
    let (loaded, scp) = load_and_render(cli, PolicyKind::Scp)?;
    let settings = settings(&loaded)?;
    block_on(async {
        let (orgs, counter) = connect(&args.aws, 4).await;
        let held = observe(&orgs, &scp.name).await?;
        let st = rollout::status(&settings, &held.tags, &held.attachments);
        for p in &st.problems {
            errln!("warning: {} (not trusted)", printable(&p.to_string()))?;
        }
        if cli.output == OutputFormat::Json {
            let mut doc = serde_json::to_value(&st)?;
            doc["policy"] = json!(scp.name);
            doc["policy_id"] = json!(held.policy.as_ref().map(|p| &p.id));
            doc["api_calls"] = json!(counter.snapshot());
            outln!("{doc}")?;
            return Ok(exit::SUCCESS);
        }
        let id = held.policy.as_ref().map_or("not created yet", |p| &p.id);
        outln!("{} ({id})", printable(&scp.name))?;
        match (&st.state.stage, &st.state.started) {
            (Some(n), Some(since)) => outln!(
                "stage {n} of {} in force since {}{}",
                settings.stages.len(),
                printable(since),
                st.soak_ends
                    .as_deref()
                    .map(|e| format!("; its soak ends at {e}"))
                    .unwrap_or_default()
            )?,
            _ => outln!(
                "no stage in force (`scpctl rollout next` attaches stage 1 of {})",
                settings.stages.len()
            )?,
        }
        if let (Some(at), reason) = (&st.state.aborted, &st.state.reason) {
            outln!(
                "aborted at {}: {}",
                printable(at),
                printable(reason.as_deref().unwrap_or("no reason recorded"))
            )?;
        }
        if let Some(f) = &st.state.forced {
            outln!("forced: {}", printable(f))?;
        }
        for s in &st.stages {
            let targets: Vec<String> = s
                .targets
                .iter()
                .map(|t| {
                    format!(
                        "{} ({})",
                        t.target,
                        if t.attached {
                            "attached"
                        } else {
                            "not attached"
                        }
                    )
                })
                .collect();
            outln!(
                "  stage {}{}: {}",
                s.stage,
                s.soak
                    .as_deref()
                    .map(|x| format!(", soak {x}"))
                    .unwrap_or_default(),
                targets.join(", ")
            )?;
        }
        if !st.incomplete.is_empty() {
            outln!(
                "not attached although their stage is in force (`next` attaches them first): {}",
                join(&st.incomplete)
            )?;
        }
        match st.next_stage {
            Some(n) => outln!("next: stage {n} adds {}", join(&st.next_adds))?,
            None => outln!("next: nothing, the last stage is in force")?,
        }
        if !st.attached_elsewhere.is_empty() {
            outln!(
                "also attached outside the stages: {}",
                st.attached_elsewhere
                    .iter()
                    .map(|a| printable(a))
                    .collect::<Vec<_>>()
                    .join(", ")
            )?;
        }
        Ok(exit::SUCCESS)
    })?
}

fn join(targets: &[TargetId]) -> String {
    if targets.is_empty() {
        return "nothing".into();
    }
    targets
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The denials since the stage in force started, for the gate.
fn tally(
    loaded: &Loaded,
    args: &RolloutNextArgs,
    policy_id: &str,
    since: &str,
) -> Result<DenialTally> {
    let tags = if let Some(path) = &args.tags_file {
        crate::commands::base::inputs::read_tags(path)?
    } else if args.assume_excepted {
        let t = &loaded.config.policy.exception_tag;
        TagSource::AssumeExcepted {
            key: t.key.clone(),
            value: t.value.clone(),
        }
    } else {
        TagSource::Untagged
    };
    let replayed = denials::replay(
        loaded,
        denials::ReplayInput {
            inputs: &args.trail,
            tags,
            management_account: args.management_account.clone(),
            accounts: Vec::new(),
            attributor: Attributor {
                policy_id: policy_id.to_string(),
                since: Some(since.to_string()),
                until: None,
            },
            jobs: None,
            concurrency: 16,
            aws: &args.aws,
            jsonl: None,
        },
    )?;
    if replayed.problems.total() > 0 {
        let _ = replayed.problems.print();
        bail!(
            "{} problem(s) reading the trail: the gate is not decided on part of it; nothing was changed",
            replayed.problems.total()
        );
    }
    tracing::info!(
        "gate: {} records in {} file(s) since {since}, {} refused by scpctl's policy",
        replayed.tally.records,
        replayed.files,
        replayed.tally.ours
    );
    Ok(replayed.tally)
}

fn next(cli: &Cli, args: &RolloutNextArgs) -> Result<u8> {
    let (loaded, scp) = load_and_render(cli, PolicyKind::Scp)?;
    let settings = settings(&loaded)?;
    block_on(async {
        let (orgs, counter) = connect(&args.aws, args.concurrency).await;
        let held = observe(&orgs, &scp.name).await?;
        let (state, problems) = RolloutState::parse(&held.tags, settings.stages.len());
        let missing = state.stage.is_some_and(|n| {
            settings
                .stages
                .iter()
                .take(n)
                .flat_map(|s| s.targets.iter())
                .any(|t| !held.attachments.contains(t.as_str()))
        });
        // The gate reads the trail only when it applies: a stage in force and complete, the
        // tags sound, a stage after it.
        let gated = problems.is_empty()
            && state.stage.is_some()
            && !missing
            && state.stage < Some(settings.stages.len());
        let denials = match (gated, state.denials_since(), &held.policy) {
            (true, Some(since), Some(policy)) if !args.trail.is_empty() => {
                // The replay runs its own threads and S3 runtime, outside this one.
                std::thread::scope(|s| {
                    s.spawn(|| tally(&loaded, args, &policy.id, since))
                        .join()
                        .unwrap_or_else(|_| Err(anyhow!("the trail reader failed")))
                })?
            }
            (true, _, _) if !args.force => {
                return Err(Usage(Problems(vec![format!(
                    "stage {} is in force since {}: give --trail PATH|s3://BUCKET/PREFIX with the CloudTrail records since then (the gate counts the principals refused by scpctl's policy), or --force",
                    state.stage.unwrap_or(0),
                    state.started.as_deref().map(printable).unwrap_or_default()
                )]))
                .into())
            }
            _ => DenialTally::default(),
        };
        let plan = match rollout::next(
            &settings,
            &scp.name,
            &held.tags,
            &held.attachments,
            &now(),
            &denials,
            args.force,
        ) {
            Ok(p) => p,
            Err(refusal) => {
                if cli.output == OutputFormat::Json {
                    outln!(
                        "{}",
                        json!({"refused": refusal, "message": refusal.to_string(), "api_calls": counter.snapshot()})
                    )?;
                }
                errln!("error: {}", printable(&refusal.to_string()))?;
                return Ok(exit::FAILURE);
            }
        };
        execute_next(cli, args, &loaded, &scp, &orgs, &counter, held, plan).await
    })?
}

#[allow(clippy::too_many_arguments)]
async fn execute_next(
    cli: &Cli,
    args: &RolloutNextArgs,
    loaded: &Loaded,
    scp: &RenderedPolicy,
    orgs: &Orgs,
    counter: &CallCounter,
    held: Held,
    plan: rollout::NextPlan,
) -> Result<u8> {
    // The attachments through apply's planner: it creates or updates the policy when needed,
    // names a target that does not exist and checks FullAWSAccess and the per-target limit,
    // all before any write.
    let targets: Vec<TargetId> = plan
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::AttachPolicy { target, .. } => Some(target.clone()),
            _ => None,
        })
        .collect();
    let changes = if targets.is_empty() {
        Vec::new()
    } else {
        let observed = orgs.observe(&scp.name, &targets, false).await?;
        let desired = Desired {
            policy_type: OrgPolicyType::ServiceControl,
            name: scp.name.clone(),
            description: scp.description.clone(),
            content: scp.compact.clone(),
            targets,
            per_target: loaded.config.limits.scps_per_target,
        };
        plan_apply(&desired, &observed)
            .map_err(plan_errors)?
            .changes
    };
    let (attaches, before): (Vec<Change>, Vec<Change>) = changes
        .into_iter()
        .partition(|c| matches!(c, Change::AttachPolicy { .. }));
    let mut lines: Vec<String> = before.iter().map(ToString::to_string).collect();
    lines.extend(tag_lines(&plan.tags));
    lines.extend(attaches.iter().map(ToString::to_string));
    let doc = json!({
        "stage": plan.stage,
        "completing": plan.completing,
        "forced": plan.forced,
        "changes": before.iter().chain(&attaches).collect::<Vec<_>>(),
        "tags": plan.tags,
    });
    if let Some(f) = &plan.forced {
        errln!(
            "warning: --force: going past the gate ({}), recorded in the {} tag",
            printable(f),
            rollout::state::TAG_FORCED
        )?;
    }
    if lines.is_empty() {
        if cli.output == OutputFormat::Text {
            outln!("No changes: stage {} is in force everywhere.", plan.stage)?;
        }
        print(cli, doc, &lines, counter, None)?;
        return Ok(exit::SUCCESS);
    }
    if cli.output == OutputFormat::Text {
        outln!(
            "{} stage {}:",
            if plan.completing {
                "Completing"
            } else {
                "Moving to"
            },
            plan.stage
        )?;
    }
    if args.dry_run {
        print(cli, doc, &lines, counter, None)?;
        return Ok(exit::SUCCESS);
    }
    if cli.output == OutputFormat::Text {
        print(cli, doc.clone(), &lines, counter, None)?;
    }
    confirm_changes(cli, args.yes, &lines)?;
    let none = |_: &Change| {};
    let mut policy_id = held.policy.as_ref().map(|p| p.id.clone());
    // Enable the type, create or update the policy; then the stage tags; then the
    // attachments (the planner's order: a re-run completes the stage the tags name).
    if !before.is_empty() {
        orgs.execute(&before, &scp.compact, policy_id.clone(), &none)
            .await?;
        if policy_id.is_none() {
            policy_id = orgs.find_policy(&scp.name).await?.map(|p| p.id);
        }
    }
    let id =
        policy_id.ok_or_else(|| anyhow!("{} has no policy id after its creation", scp.name))?;
    orgs.tag_policy(&id, &plan.tags.set).await?;
    orgs.untag_policy(&id, &plan.tags.remove).await?;
    orgs.execute(&attaches, "", Some(id.clone()), &none).await?;
    tracing::info!("AWS requests: {}", counter.summary());
    print(cli, doc, &lines, counter, Some(lines.len()))?;
    Ok(exit::SUCCESS)
}

fn abort(cli: &Cli, args: &RolloutAbortArgs) -> Result<u8> {
    let (loaded, scp) = load_and_render(cli, PolicyKind::Scp)?;
    let settings = settings(&loaded)?;
    block_on(async {
        let (orgs, counter) = connect(&args.aws, args.concurrency).await;
        let held = observe(&orgs, &scp.name).await?;
        let plan = rollout::abort(
            &settings,
            &scp.name,
            &held.tags,
            &held.attachments,
            &args.reason,
            &now(),
        );
        if plan.reason_adjusted {
            errln!(
                "note: the reason is written as {:?}: a tag value holds letters, digits, spaces and _.:/=+-@, at most 256 characters",
                printable(&plan.reason)
            )?;
        }
        if !plan.left_attached.is_empty() {
            errln!(
                "note: left attached (no stage names them; `scpctl detach` removes them): {}",
                plan.left_attached
                    .iter()
                    .map(|a| printable(a))
                    .collect::<Vec<_>>()
                    .join(", ")
            )?;
        }
        let mut lines: Vec<String> = plan.changes.iter().map(ToString::to_string).collect();
        lines.extend(tag_lines(&plan.tags));
        let doc = json!({"changes": plan.changes, "tags": plan.tags, "reason": plan.reason});
        let Some(policy) = held.policy.filter(|_| !plan.is_noop()) else {
            if cli.output == OutputFormat::Text {
                outln!(
                    "Nothing to abort: no stage target holds {}.",
                    printable(&scp.name)
                )?;
            }
            print(cli, doc, &[], &counter, None)?;
            return Ok(exit::SUCCESS);
        };
        if args.dry_run {
            print(cli, doc, &lines, &counter, None)?;
            return Ok(exit::SUCCESS);
        }
        if cli.output == OutputFormat::Text {
            print(cli, doc.clone(), &lines, &counter, None)?;
        }
        confirm_changes(cli, args.yes, &lines)?;
        // Detach first (stopping the policy is what matters), then the tags.
        orgs.execute(&plan.changes, "", Some(policy.id.clone()), &|_| {})
            .await?;
        orgs.tag_policy(&policy.id, &plan.tags.set).await?;
        orgs.untag_policy(&policy.id, &plan.tags.remove).await?;
        tracing::info!("AWS requests: {}", counter.summary());
        print(cli, doc, &lines, &counter, Some(lines.len()))?;
        Ok(exit::SUCCESS)
    })?
}
