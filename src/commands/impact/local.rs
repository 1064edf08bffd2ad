//! The local engine of `scpctl impact`: replay CloudTrail records (local files or S3) through
//! the rendered policy on this machine's threads. The mapping and the tally are the core's
//! (`scpctl_core::impact`); this file wires inputs, threads and the report.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use scpctl_core::eval::{CompiledPolicy, PolicySet, PolicyType};
use scpctl_core::impact::{
    candidate_addresses, Existing, InForce, MapOptions, ReplayOptions, Replayer, TagSource, Tally,
    TimeRange,
};
use scpctl_core::policy::PolicyDocument;
use scpctl_core::render::{render, Layout, PolicyKind, SID_IDENTITY, SID_OUTSIDE_NETWORK};
use scpctl_core::signin::SID_CONSOLE;

use crate::cli::{Cli, ImpactArgs, OutputFormat};
use crate::exit;
use crate::load::load;
use crate::trail::{self, Job, Out, Problems, Shared};

use super::in_force::OrgInForce;
use super::report::Report;
use crate::commands::base::feed::produce;
use crate::commands::base::inputs::{lookup_management, tag_source, twelve_digits};
use crate::commands::base::kinds::policy_kind;
use crate::commands::base::policies::{policy_files, Attached};
use crate::commands::base::session;

pub fn run(cli: &Cli, args: &ImpactArgs) -> Result<u8> {
    let started = Instant::now();
    crate::commands::base::report_out::check_out(args.out.as_deref(), cli.output)?;
    let loaded = load(&cli.config)?;
    let kind: PolicyKind = policy_kind(args.kind)?;
    let doc = render(&loaded.config, &loaded.cidrs.set, kind, Layout::Single)?
        .into_iter()
        .next()
        .context("internal: no policy rendered")?;
    let policy = PolicyDocument::from_json(&doc.compact)
        .context("internal: the rendered policy does not parse")?;
    let (network_sid, policy_type) = match kind {
        PolicyKind::Scp => (SID_OUTSIDE_NETWORK, PolicyType::Scp),
        PolicyKind::Identity => (SID_IDENTITY, PolicyType::Identity),
        PolicyKind::Signin => (SID_CONSOLE, PolicyType::Rcp),
    };
    let policy = CompiledPolicy::new(&policy, policy_type)
        .with_context(|| format!("cannot evaluate {}", doc.name))?;
    // The policies in force, from files (checked before any work starts).
    let files = policy_files(&args.policies, args.policy_dir.as_deref())?;

    // Inputs: local paths checked before any work starts; S3 URLs read in turn.
    let mut local = Vec::new();
    let mut remote = Vec::new();
    for input in &args.inputs {
        if input.starts_with("s3://") {
            let parsed = crate::aws::s3::parse_url(input)
                .with_context(|| format!("{input:?} is not s3://BUCKET/PREFIX"))?;
            remote.push(parsed);
        } else {
            local.push(PathBuf::from(input));
        }
    }
    trail::check_paths(&local)?;

    let tags = tag_source(args, &loaded.config)?;
    let time = TimeRange::parse(args.since.as_deref(), args.until.as_deref())
        .map_err(|e| anyhow::anyhow!(e))?;
    let (management_account, management_looked_up) = match &args.management_account {
        Some(a) => (Some(twelve_digits("--management-account", a)?), false),
        // AWS is reached anyway: ask Organizations, and say so when it cannot tell.
        None if args.tags_from_iam || args.org_policies || !remote.is_empty() => {
            match lookup_management(args) {
                Ok(a) => (Some(a), true),
                Err(e) => {
                    errln!(
                        "warning: management account unknown ({e:#}); pass --management-account ID"
                    )?;
                    (None, false)
                }
            }
        }
        None => (None, false),
    };
    let map = MapOptions {
        management_account: management_account.clone(),
        accounts: args
            .accounts
            .iter()
            .map(|a| twelve_digits("--account", a))
            .collect::<Result<_>>()?,
        time: time.clone(),
        users_only: kind == PolicyKind::Identity,
        signin: kind == PolicyKind::Signin,
    };
    let (existing, in_force) = existing(args, kind, files)?;
    let replayer = Replayer::compiled(
        policy,
        ReplayOptions {
            map,
            tags,
            candidate_addresses: candidate_addresses(&loaded.cidrs.set),
            existing,
        },
    );

    let out = Out::new();
    let shared = Shared {
        replayer: &replayer,
        cidrs: &loaded.cidrs.set,
        jsonl: (cli.output == OutputFormat::Jsonl).then_some(&out),
        problems: Mutex::new(Problems::default()),
        progress: Default::default(),
        fatal: Mutex::new(None),
    };
    let workers = args.jobs.map(usize::from).unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
    });
    let (tx, rx) = tokio::sync::mpsc::channel::<Job>(workers * 2);
    let rx = Mutex::new(rx);
    let done = AtomicBool::new(false);

    // Ctrl-C stops the reading and says how far it got, instead of leaving the progress line.
    crate::interrupt::catch();
    let (tally, produced) = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| s.spawn(|| trail::worker(&shared, &rx)))
            .collect();
        s.spawn(|| trail::progress_loop(&shared, &done));
        let produced = produce(
            &args.aws,
            args.concurrency,
            &local,
            &remote,
            &time,
            tx,
            &shared,
        );
        let mut tally = Tally::default();
        for h in handles {
            match h.join() {
                Ok(t) => tally.merge(t),
                Err(_) => {
                    shared.problem("scpctl", None, "a worker thread failed".into());
                }
            }
        }
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        (tally, produced)
    });
    if crate::interrupt::interrupted() {
        errln!(
            "interrupted (Ctrl-C): {} file(s) and {} record(s) read when it stopped; no report printed",
            shared
                .progress
                .files
                .load(std::sync::atomic::Ordering::Relaxed),
            tally.records
        )?;
        return Ok(exit::INTERRUPTED);
    }
    produced?;
    if let Some(e) = shared.fatal.lock().ok().and_then(|mut f| f.take()) {
        bail!("{e}");
    }
    let problems = shared.problems.into_inner().unwrap_or_default();
    // Best effort: the report on stdout matters more, and a lost line still ends in exit 1.
    let _ = problems.print();
    tracing::info!(
        "{} files, {} records, {:.1} MB in {:.2?}",
        shared
            .progress
            .files
            .load(std::sync::atomic::Ordering::Relaxed),
        tally.records,
        shared
            .progress
            .bytes
            .load(std::sync::atomic::Ordering::Relaxed) as f64
            / 1e6,
        started.elapsed()
    );

    let files = shared
        .progress
        .files
        .load(std::sync::atomic::Ordering::Relaxed);
    let report = Report {
        policy: &doc.name,
        network_sid,
        tags: match (&args.tags_file, args.tags_from_iam, &replayer.options().tags) {
            (Some(path), _, TagSource::Map(m)) => format!(
                "tags from {} for {} principal(s); principals not in it count as untagged",
                path.display(),
                m.len()
            ),
            (None, true, TagSource::Map(m)) => format!(
                "tags from IAM (GetAccountAuthorizationDetails) for {} user(s); principals not found count as untagged",
                m.len()
            ),
            (_, _, other) => other.describe(),
        },
        management_account: management_account.as_deref(),
        management_looked_up,
        tally: &tally,
        problems: &problems,
        files,
        in_force: in_force.as_ref().map(|f| f.describe()),
        api_calls: in_force.as_ref().and_then(|f| f.api_calls()),
        signin: kind == PolicyKind::Signin,
        notes: super::report::config_notes(&loaded.config),
    };
    let written = super::report::emit(cli, args, &report, &out)?;
    if !written || !out.flush() {
        // A closed pipe (`| head`) ends with 141 and no message; any other failure (a full
        // disk) is an error: exit 0 with a lost report would read as "nothing denied".
        return Err(crate::output::stdout_failure().into());
    }
    if problems.total() > 0 {
        errln!(
            "{} input problem(s): the report covers the rest (exit {})",
            problems.total(),
            exit::INPUT_SKIPPED
        )?;
        return Ok(exit::INPUT_SKIPPED);
    }
    Ok(exit::SUCCESS)
}

/// What the report says about the policies in force.
enum InForceSource {
    Files(usize),
    Org {
        source: std::sync::Arc<OrgInForce>,
        counter: crate::aws::CallCounter,
        rcps: bool,
        files: usize,
    },
}

impl InForceSource {
    fn describe(&self) -> String {
        match self {
            InForceSource::Files(n) => format!("{n} policy file(s) (--policy, --policy-dir)"),
            InForceSource::Org {
                source,
                rcps,
                files,
                ..
            } => format!(
                "the {} attached on each account's path root -> OUs -> account, read from Organizations for {} account(s){}",
                if *rcps { "SCPs and RCPs" } else { "SCPs" },
                source.accounts_read(),
                if *files > 0 { format!(", and {files} policy file(s)") } else { String::new() }
            ),
        }
    }

    fn api_calls(&self) -> Option<BTreeMap<String, u64>> {
        match self {
            InForceSource::Files(_) => None,
            InForceSource::Org { counter, .. } => Some(counter.snapshot()),
        }
    }
}

/// `--policy`, `--policy-dir`, `--org-policies`: what each record is also decided through.
fn existing(
    args: &ImpactArgs,
    kind: PolicyKind,
    files: Attached,
) -> Result<(Existing, Option<InForceSource>)> {
    if args.org_policies {
        let rcps = kind == PolicyKind::Signin;
        let n = files.len();
        let (orgs, counter) = session::block_on(session::connect(&args.aws, 1))?;
        let concurrency = usize::from(args.concurrency).min(8);
        let source = std::sync::Arc::new(OrgInForce::new(orgs, concurrency, rcps, files)?);
        return Ok((
            Existing::PerAccount(source.clone()),
            Some(InForceSource::Org {
                source,
                counter,
                rcps,
                files: n,
            }),
        ));
    }
    if files.is_empty() {
        return Ok((Existing::None, None));
    }
    let n = files.len();
    let mut set = PolicySet::new();
    set.add_shared_level("policies", false, files);
    Ok((
        Existing::Same(std::sync::Arc::new(InForce::new(set))),
        Some(InForceSource::Files(n)),
    ))
}
