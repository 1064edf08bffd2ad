//! `scpctl denials`: what was actually refused, by which policy, against the prediction. The
//! attribution and the tally are the core's (`scpctl_core::denials`); this file reads the
//! records through `impact`'s reader and workers, and prints the report
//! (`denials_report.rs`: text, JSON, HTML; stdout or `--out`). `rollout next` calls [`replay`]
//! for its gate.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use anyhow::{bail, Context, Result};
use scpctl_core::denials::tally::DenialTally;
use scpctl_core::denials::Attributor;
use scpctl_core::eval::{CompiledPolicy, PolicyType};
use scpctl_core::impact::{
    candidate_addresses, Existing, MapOptions, ReplayOptions, Replayer, TagSource, TimeRange,
};
use scpctl_core::policy::PolicyDocument;
use scpctl_core::printable::printable;
use scpctl_core::render::{render, Layout, PolicyKind};

use super::denials_report::Report;
use crate::cli::{AwsArgs, Cli, DenialsArgs, Kind, OutputFormat};
use crate::commands::base::report_out;
use crate::exit;
use crate::load::{load, Loaded};
use crate::trail::{self, Job, Out, Problems, Shared};

/// What to replay, and how.
pub(super) struct ReplayInput<'a> {
    pub inputs: &'a [String],
    pub tags: TagSource,
    pub management_account: Option<String>,
    pub accounts: Vec<String>,
    pub attributor: Attributor,
    pub jobs: Option<u16>,
    pub concurrency: u16,
    pub aws: &'a AwsArgs,
    /// `Some` for `--output jsonl`: one line per refused or predicted-but-succeeded call.
    pub jsonl: Option<&'a Out>,
}

/// The tally, and what could not be read.
pub(super) struct Replayed {
    pub tally: DenialTally,
    pub problems: Problems,
    pub files: u64,
    pub policy_name: String,
}

/// Lines buffered per worker before they are written.
const LINES_FLUSH: usize = 1 << 16;

/// Replay the records through the rendered SCP and attribute every refusal.
pub(super) fn replay(loaded: &Loaded, input: ReplayInput<'_>) -> Result<Replayed> {
    let doc = render(
        &loaded.config,
        &loaded.cidrs.set,
        PolicyKind::Scp,
        Layout::Single,
    )?
    .into_iter()
    .next()
    .context("internal: no policy rendered")?;
    let policy = PolicyDocument::from_json(&doc.compact)
        .context("internal: the rendered policy does not parse")?;
    let policy = CompiledPolicy::new(&policy, PolicyType::Scp)
        .with_context(|| format!("cannot evaluate {}", doc.name))?;
    let mut local = Vec::new();
    let mut remote = Vec::new();
    for i in input.inputs {
        if i.starts_with("s3://") {
            let parsed = crate::aws::s3::parse_url(i).with_context(|| {
                format!(
                    "{} is not s3://BUCKET/PREFIX",
                    scpctl_core::origin::excerpt(i)
                )
            })?;
            remote.push(parsed);
        } else {
            local.push(PathBuf::from(i));
        }
    }
    trail::check_paths(&local)?;
    // The time window is the attributor's: the replay itself reads every record.
    let time = TimeRange::default();
    let replayer = Replayer::compiled(
        policy,
        ReplayOptions {
            map: MapOptions {
                management_account: input.management_account.clone(),
                accounts: input.accounts.iter().cloned().collect(),
                time: time.clone(),
                users_only: false,
                signin: false,
            },
            tags: input.tags,
            candidate_addresses: candidate_addresses(&loaded.cidrs.set),
            existing: Existing::None,
        },
    );
    let shared = Shared {
        replayer: &replayer,
        cidrs: &loaded.cidrs.set,
        // Impact's lines are not ours: denials writes its own.
        jsonl: None,
        problems: Mutex::new(Problems::default()),
        progress: Default::default(),
        fatal: Mutex::new(None),
    };
    let workers = input.jobs.map(usize::from).unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
    });
    let (tx, rx) = tokio::sync::mpsc::channel::<Job>(workers * 2);
    let rx = Mutex::new(rx);
    let done = AtomicBool::new(false);
    let attributor = &input.attributor;
    let jsonl = input.jsonl;
    crate::interrupt::catch();
    let (tally, produced) = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut tally = DenialTally::default();
                    let mut lines: Vec<u8> = Vec::new();
                    trail::worker_with(&shared, &rx, &mut |record, outcome| {
                        let Some(o) = attributor.observe(record, outcome) else {
                            return;
                        };
                        tally.add(&o);
                        if let Some(out) = jsonl {
                            if o.refused.is_some() || o.predicted == Some(true) {
                                if serde_json::to_writer(&mut lines, &o).is_ok() {
                                    lines.push(b'\n');
                                }
                                if lines.len() > LINES_FLUSH {
                                    out.write(&lines);
                                    lines.clear();
                                }
                            }
                        }
                    });
                    if let (Some(out), false) = (jsonl, lines.is_empty()) {
                        out.write(&lines);
                    }
                    tally
                })
            })
            .collect();
        s.spawn(|| trail::progress_loop(&shared, &done));
        let produced = crate::commands::base::feed::produce(
            input.aws,
            input.concurrency,
            &local,
            &remote,
            &time,
            tx,
            &shared,
        );
        let mut tally = DenialTally::default();
        for h in handles {
            match h.join() {
                Ok(t) => tally.merge(t),
                Err(_) => shared.problem("scpctl", None, "a worker thread failed".into()),
            }
        }
        done.store(true, Ordering::Relaxed);
        (tally, produced)
    });
    if crate::interrupt::interrupted() {
        bail!(
            "interrupted (Ctrl-C) after {} record(s); nothing printed",
            tally.records
        );
    }
    produced?;
    if let Some(e) = shared.fatal.lock().ok().and_then(|mut f| f.take()) {
        bail!("{e}");
    }
    let files = shared.progress.files.load(Ordering::Relaxed);
    Ok(Replayed {
        tally,
        problems: shared.problems.into_inner().unwrap_or_default(),
        files,
        policy_name: doc.name,
    })
}

/// A `--since`/`--until` flag as the `eventTime` bound it means (a date: its first or last
/// second).
fn bound(value: Option<&str>, end: bool) -> Option<String> {
    value.map(|v| {
        if v.len() == 10 {
            format!("{v}T{}Z", if end { "23:59:59" } else { "00:00:00" })
        } else {
            v.to_string()
        }
    })
}

/// scpctl's policy id: `--policy-id`, else Organizations by name and the ManagedBy tag.
fn policy_id(args: &DenialsArgs, name: &str) -> Result<(Option<String>, String)> {
    if let Some(id) = &args.policy_id {
        return Ok((Some(id.clone()), "--policy-id".into()));
    }
    let found = crate::commands::base::session::block_on(async {
        let (orgs, _) = crate::commands::base::session::connect(&args.replay.aws, 1).await;
        orgs.find_policy(name).await
    })?;
    Ok(match found {
        Ok(Some(p)) if p.managed => (Some(p.id), "found in Organizations".into()),
        Ok(Some(_)) => (
            None,
            format!("unknown: the SCP named {name} is not tagged ManagedBy=scpctl"),
        ),
        Ok(None) => (
            None,
            format!("unknown: no SCP named {name} in Organizations"),
        ),
        Err(e) => (
            None,
            format!(
                "unknown: Organizations cannot be read ({}); pass --policy-id",
                printable(&format!("{e:#}"))
            ),
        ),
    })
}

pub fn run(cli: &Cli, args: &DenialsArgs) -> Result<u8> {
    let r = &args.replay;
    let mut refused = Vec::new();
    if r.athena.engine.is_some() {
        refused.push("--engine: Athena is out of scope for denials; read the trail files or s3://");
    }
    if !r.policies.is_empty() || r.policy_dir.is_some() || r.org_policies {
        refused.push("--policy, --policy-dir and --org-policies are impact's; denials replays scpctl's policy alone");
    }
    if r.kind != Kind::Scp {
        refused.push("--kind: denials attributes refusals to the SCP only (--kind scp)");
    }
    if !refused.is_empty() {
        return Err(crate::problems::Usage(crate::problems::Problems(
            refused.into_iter().map(String::from).collect(),
        ))
        .into());
    }
    report_out::check_out(r.out.as_deref(), cli.output)?;
    let loaded = load(&cli.config)?;
    let since = bound(r.since.as_deref(), false);
    let until = bound(r.until.as_deref(), true);
    let tags = if let Some(path) = &r.tags_file {
        crate::commands::base::inputs::read_tags(path)?
    } else if r.tags_from_iam {
        crate::commands::base::inputs::tags_from_iam(r)?
    } else if r.assume_excepted {
        let t = &loaded.config.policy.exception_tag;
        TagSource::AssumeExcepted {
            key: t.key.clone(),
            value: t.value.clone(),
        }
    } else {
        TagSource::Untagged
    };
    let tags_note = tags.describe();
    let (id, id_source) = policy_id(args, &loaded.config.policy.name)?;
    if id.is_none() {
        errln!("warning: scpctl's policy id is {id_source}: no message naming a policy ARN is attributed to it")?;
    }
    let reaches_aws = args.policy_id.is_none()
        || r.tags_from_iam
        || r.inputs.iter().any(|i| i.starts_with("s3://"));
    let management_account = match &r.management_account {
        Some(a) => Some(a.clone()),
        // AWS is reached anyway: ask Organizations.
        None if reaches_aws => crate::commands::base::inputs::lookup_management(r).ok(),
        None => None,
    };
    let out = Out::new();
    let replayed = replay(
        &loaded,
        ReplayInput {
            inputs: &r.inputs,
            tags,
            management_account: management_account.clone(),
            accounts: r.accounts.clone(),
            attributor: Attributor {
                policy_id: id.clone().unwrap_or_default(),
                since: since.clone(),
                until: until.clone(),
            },
            jobs: r.jobs,
            concurrency: r.concurrency,
            aws: &r.aws,
            jsonl: (cli.output == OutputFormat::Jsonl).then_some(&out),
        },
    )?;
    let _ = replayed.problems.print();
    let report = Report {
        policy: &replayed.policy_name,
        policy_id: id.as_deref(),
        policy_id_source: &id_source,
        tags: &tags_note,
        management_account: management_account.as_deref(),
        since: since.as_deref(),
        until: until.as_deref(),
        files: replayed.files,
        problems: replayed.problems.total(),
        tally: &replayed.tally,
        notes: loaded.config.network.opt_ins.replay_notes(),
    };
    let written = report_out::emit(&report, cli.output, r.out.as_deref(), &out)?;
    if !written || !out.flush() {
        return Err(crate::output::stdout_failure().into());
    }
    if replayed.problems.total() > 0 {
        errln!(
            "{} input problem(s): the report covers the rest (exit {})",
            replayed.problems.total(),
            exit::INPUT_SKIPPED
        )?;
        return Ok(exit::INPUT_SKIPPED);
    }
    Ok(exit::SUCCESS)
}
