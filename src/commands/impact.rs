//! `scpctl impact`: replay CloudTrail records (local files or S3) through the rendered policy
//! and report per principal what it would deny. The mapping and the tally are the core's
//! (`scpctl_core::impact`); this file reads inputs, runs the threads and prints.

use scpctl_core::printable::printable;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use scpctl_core::eval::{CompiledPolicy, PolicySet, PolicyType};
use scpctl_core::impact::{
    candidate_addresses, Existing, InForce, MapOptions, PrincipalReport, ReplayOptions, Replayer,
    TagSource, Tally, TimeRange,
};
use scpctl_core::policy::PolicyDocument;
use scpctl_core::render::{render, Layout, PolicyKind, SID_IDENTITY, SID_OUTSIDE_NETWORK};
use scpctl_core::signin::SID_CONSOLE;
use serde::Serialize;
use serde_json::json;

use crate::cli::{Cli, ImpactArgs, OutputFormat};
use crate::exit;
use crate::load::{load, read_text};
use crate::trail::{self, Job, Out, Problem, Problems, Shared};

pub(super) fn twelve_digits(flag: &str, v: &str) -> Result<String> {
    if v.len() == 12 && v.bytes().all(|b| b.is_ascii_digit()) {
        Ok(v.to_string())
    } else {
        bail!("{flag} {v:?}: an AWS account id is 12 digits")
    }
}

/// `--tags-file`: `{"<principal ARN>": {"<key>": "<value>"}}`.
pub(super) fn read_tags(path: &std::path::Path) -> Result<TagSource> {
    let text = read_text(path, "tags file")?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("tags file {}: not JSON", path.display()))?;
    let Some(map) = value.as_object() else {
        bail!(
            "tags file {}: expected an object {{\"<principal ARN>\": {{\"<tag key>\": \"<value>\"}}}}",
            path.display()
        );
    };
    let mut out = Vec::new();
    for (arn, tags) in map {
        let Some(tags) = tags.as_object() else {
            bail!(
                "tags file {}: {arn}: expected an object of tags",
                path.display()
            );
        };
        let mut list = Vec::new();
        for (k, v) in tags {
            let Some(v) = v.as_str() else {
                bail!(
                    "tags file {}: {arn}: tag {k:?} has the value {v}, not a string",
                    path.display()
                );
            };
            if let Err(why) = scpctl_core::tags::check_sizes(k, v) {
                bail!(
                    "tags file {}: {}: {why}",
                    path.display(),
                    scpctl_core::origin::excerpt(arn)
                );
            }
            list.push((k.clone(), v.to_string()));
        }
        out.push((arn.clone(), list));
    }
    TagSource::from_map(out).map_err(|e| anyhow::anyhow!("tags file {}: {e}", path.display()))
}

/// The management account from Organizations (DescribeOrganization).
pub(super) fn lookup_management(args: &ImpactArgs) -> Result<String> {
    super::deploy::block_on(async {
        let counter = crate::aws::CallCounter::default();
        let base = crate::aws::sdk_config(&args.aws).await;
        crate::aws::orgs::Orgs::new(&base, &counter, 1)
            .management_account()
            .await
    })?
}

/// `--tags-from-iam`: users' tags in the caller's account and each `--account` (through
/// `--role-name`), one GetAccountAuthorizationDetails page at a time.
pub(super) fn tags_from_iam(args: &ImpactArgs) -> Result<TagSource> {
    let accounts: Vec<String> = args
        .accounts
        .iter()
        .map(|a| twelve_digits("--account", a))
        .collect::<Result<_>>()?;
    super::deploy::block_on(async {
        let counter = crate::aws::CallCounter::default();
        let base = crate::aws::sdk_config(&args.aws).await;
        let me = crate::aws::iam::caller(&base, &counter).await?;
        let mut targets = accounts.clone();
        if targets.is_empty() {
            targets.push(me.account.clone());
        }
        let mut all = Vec::new();
        for account in &targets {
            let config = if *account == me.account {
                base.clone()
            } else {
                crate::aws::iam::assume_role(&base, account, &args.role_name).await
            };
            let users = crate::aws::iam::Iam::new(&config, &counter)
                .users_with_tags()
                .await
                .with_context(|| format!("cannot read the users' tags of account {account}"))?;
            tracing::info!("{} users' tags read in account {account}", users.len());
            all.extend(users);
        }
        TagSource::from_map(all).map_err(|e| anyhow::anyhow!("tags from IAM: {e}"))
    })?
}

pub fn run(cli: &Cli, args: &ImpactArgs) -> Result<u8> {
    if args.athena.engine.is_some() {
        return super::impact_athena::run(cli, args);
    }
    let started = Instant::now();
    if let (Some(file), OutputFormat::Jsonl) = (&args.out, cli.output) {
        bail!(
            "--out {}: --output jsonl streams to stdout; --out takes text, json or html",
            file.display()
        );
    }
    let loaded = load(&cli.config)?;
    let kind: PolicyKind = super::policy_kind(args.kind)?;
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
    let files = super::in_force::policy_files(&args.policies, args.policy_dir.as_deref())?;

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

    let tags = if let Some(path) = &args.tags_file {
        read_tags(path)?
    } else if args.tags_from_iam {
        tags_from_iam(args)?
    } else if args.assume_excepted {
        let t = &loaded.config.policy.exception_tag;
        TagSource::AssumeExcepted {
            key: t.key.clone(),
            value: t.value.clone(),
        }
    } else {
        TagSource::Untagged
    };
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
        let produced = produce(args, &local, &remote, &time, tx, &shared);
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
    };
    let written = emit(cli, args, &report, &out)?;
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

/// Feed the workers: local paths, then each S3 prefix. Dropping `tx` at the end closes the
/// channel, so the workers finish.
fn produce(
    args: &ImpactArgs,
    local: &[PathBuf],
    remote: &[(String, String)],
    time: &TimeRange,
    tx: tokio::sync::mpsc::Sender<Job>,
    shared: &Shared,
) -> Result<()> {
    if !trail::send_paths(local, &tx, shared) || remote.is_empty() {
        return Ok(());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let config = crate::aws::sdk_config(&args.aws).await;
        let client = crate::aws::s3::client(&config);
        for (bucket, prefix) in remote {
            let (listed, kept) = crate::aws::s3::send_objects(
                &client,
                bucket,
                prefix,
                time,
                usize::from(args.concurrency),
                &tx,
                shared,
            )
            .await?;
            tracing::info!("s3://{bucket}/{prefix}: {listed} keys listed, {kept} log files read");
        }
        Ok(())
    })
}

/// What the report says about the policies in force.
enum InForceSource {
    Files(usize),
    Org {
        source: std::sync::Arc<super::in_force::OrgInForce>,
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
    files: super::in_force::Attached,
) -> Result<(Existing, Option<InForceSource>)> {
    if args.org_policies {
        let rcps = kind == PolicyKind::Signin;
        let n = files.len();
        let counter = crate::aws::CallCounter::default();
        let orgs = super::deploy::block_on(async {
            let base = crate::aws::sdk_config(&args.aws).await;
            crate::aws::orgs::Orgs::new(&base, &counter, 1)
        })?;
        let concurrency = usize::from(args.concurrency).min(8);
        let source = std::sync::Arc::new(super::in_force::OrgInForce::new(
            orgs,
            concurrency,
            rcps,
            files,
        )?);
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

pub(super) struct Report<'a> {
    pub(super) policy: &'a str,
    pub(super) network_sid: &'a str,
    pub(super) tags: String,
    pub(super) management_account: Option<&'a str>,
    pub(super) management_looked_up: bool,
    pub(super) tally: &'a Tally,
    pub(super) problems: &'a Problems,
    pub(super) files: u64,
    /// The policies in force, when given.
    pub(super) in_force: Option<String>,
    /// AWS calls made to read them (`--org-policies`).
    pub(super) api_calls: Option<BTreeMap<String, u64>>,
    pub(super) signin: bool,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn codes<K: Copy + Ord>(
    m: &BTreeMap<K, u64>,
    code: impl Fn(K) -> &'static str,
) -> serde_json::Map<String, serde_json::Value> {
    m.iter()
        .map(|(k, v)| (code(*k).to_string(), json!(v)))
        .collect()
}

impl Report<'_> {
    fn principals(&self) -> Vec<PrincipalReport> {
        self.tally
            .affected()
            .into_iter()
            .map(|(account, arn, p)| PrincipalReport::new(account, arn, p, Some(self.network_sid)))
            .collect()
    }

    fn management_note(&self) -> String {
        match self.management_account {
            Some(a) => format!(
                "management account {a}{}: its principals are never restricted",
                if self.management_looked_up { " (from Organizations)" } else { "" }
            ),
            None => "management account not given (--management-account): its principals are counted like any other".into(),
        }
    }

    /// The JSON document, serialised straight to the output (no intermediate tree: a report
    /// of many principals stays cheap).
    pub(super) fn write_json(&self, out: &Out) -> bool {
        out.with(|w| self.json_to(w))
    }

    fn json_to(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        #[derive(Serialize)]
        struct Totals {
            files: u64,
            records: u64,
            decided: u64,
            denied: u64,
            principals_denied: usize,
            apart: u64,
            skipped: u64,
            /// Every problem found; `problems` lists the first of each file.
            problems: u64,
            /// Inputs not read again (links back into the walk, a file under a second name).
            #[serde(skip_serializing_if = "is_zero")]
            not_read_again: u64,
            /// With the policies in force given: records they deny already.
            #[serde(skip_serializing_if = "Option::is_none")]
            denied_today: Option<u64>,
            /// With the policies in force given: records only the new policy denies.
            #[serde(skip_serializing_if = "Option::is_none")]
            newly_denied: Option<u64>,
        }
        #[derive(Serialize)]
        struct Doc<'a> {
            policy: &'a str,
            tags_assumption: &'a str,
            management_account: Option<&'a str>,
            totals: Totals,
            principals: Vec<PrincipalReport>,
            apart: serde_json::Map<String, serde_json::Value>,
            undecided_network: serde_json::Map<String, serde_json::Value>,
            skipped: serde_json::Map<String, serde_json::Value>,
            /// Would-be-denied records per UTC day and Sid (not from `--engine athena`).
            #[serde(skip_serializing_if = "BTreeMap::is_empty")]
            denied_by_day: &'a BTreeMap<String, BTreeMap<String, u64>>,
            problems: &'a [Problem],
            /// Problems found but not in `problems` (beyond the first of each file).
            #[serde(skip_serializing_if = "is_zero")]
            problems_unlisted: u64,
            #[serde(skip_serializing_if = "<[Problem]>::is_empty")]
            not_read_again: &'a [Problem],
            #[serde(skip_serializing_if = "Option::is_none")]
            in_force: Option<&'a str>,
            /// Why the policies in force deny, with counts.
            #[serde(skip_serializing_if = "Option::is_none")]
            denied_today_by: Option<&'a BTreeMap<String, u64>>,
            #[serde(skip_serializing_if = "Option::is_none")]
            api_calls: Option<&'a BTreeMap<String, u64>>,
        }
        let t = self.tally;
        let with = self.in_force.is_some();
        let principals = self.principals();
        let doc = Doc {
            policy: self.policy,
            tags_assumption: &self.tags,
            management_account: self.management_account,
            totals: Totals {
                files: self.files,
                records: t.records,
                decided: t.decided,
                denied: t.denied,
                principals_denied: principals.iter().filter(|p| !p.denied.is_empty()).count(),
                apart: t.apart.values().sum(),
                skipped: t.skipped.values().sum(),
                problems: self.problems.total(),
                not_read_again: self.problems.links_total,
                denied_today: with.then(|| t.denied_today.values().sum()),
                newly_denied: with.then_some(t.newly_denied),
            },
            principals,
            apart: codes(&t.apart, |r| r.code()),
            undecided_network: codes(&t.undecided_network, |r| r.code()),
            skipped: codes(&t.skipped, |r| r.code()),
            denied_by_day: &t.denied_by_day,
            problems: &self.problems.listed,
            problems_unlisted: self.problems.unlisted(),
            not_read_again: &self.problems.links,
            in_force: self.in_force.as_deref(),
            denied_today_by: with.then_some(&t.denied_today),
            api_calls: self.api_calls.as_ref(),
        };
        serde_json::to_writer_pretty(&mut *w, &doc).map_err(std::io::Error::other)?;
        w.write_all(b"\n")
    }

    /// The whole report as bytes, for `--out` and `--output html` (the page is drawn from the
    /// JSON document itself, so its numbers are the JSON's).
    fn document(&self, format: OutputFormat) -> Result<Vec<u8>> {
        if format == OutputFormat::Text {
            return Ok(self.text().into_bytes());
        }
        let mut json = Vec::new();
        self.json_to(&mut json)
            .context("internal: the JSON report could not be built")?;
        if format != OutputFormat::Html {
            return Ok(json);
        }
        let value: serde_json::Value =
            serde_json::from_slice(&json).context("internal: the JSON report does not parse")?;
        Ok(scpctl_core::report_html::impact_html(&value).into_bytes())
    }

    pub(super) fn text(&self) -> String {
        let t = self.tally;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "Impact of {} on {} records in {} file(s)",
            self.policy, t.records, self.files
        );
        let _ = writeln!(s, "tags: {}", printable(&self.tags));
        let _ = writeln!(s, "{}", self.management_note());
        if let Some(f) = &self.in_force {
            let _ = writeln!(s, "policies in force: {}", printable(f));
        }
        let what = if self.signin {
            "sign-in(s)"
        } else {
            "request(s)"
        };
        let verb = if self.signin {
            "would be refused"
        } else {
            "would be denied"
        };
        let principals = self.principals();
        let mut account = "";
        for p in &principals {
            if p.account != account {
                let _ = writeln!(s, "\naccount {}", printable(&p.account));
                account = &p.account;
            }
            let denied: u64 = p.denied.values().sum();
            let _ = writeln!(
                s,
                "  {} ({})",
                printable(&p.principal_arn),
                printable(p.principal_type.unwrap_or("unknown type"))
            );
            let by: Vec<String> = p
                .denied
                .iter()
                .map(|(sid, n)| format!("{} {n}", printable(sid)))
                .collect();
            let _ = write!(s, "    {} {what}, {denied} {verb}", p.requests);
            if !by.is_empty() {
                let _ = write!(s, ": {}", by.join(", "));
            }
            if self.in_force.is_some() {
                let _ = write!(
                    s,
                    "; {} newly denied, {} denied today already",
                    p.newly_denied, p.denied_today
                );
            }
            if p.undecided > 0 {
                let _ = write!(s, "; {} undecided (address unknown)", p.undecided);
            }
            let _ = writeln!(s);
            if !p.outside_addresses.is_empty() {
                let shown: Vec<String> = p
                    .outside_addresses
                    .iter()
                    .take(10)
                    .map(|c| format!("{} ({})", printable(&c.address.to_string()), c.count))
                    .collect();
                let more =
                    p.outside_addresses.len().saturating_sub(10) as u64 + p.other_outside_addresses;
                let _ = writeln!(
                    s,
                    "    outside the CIDRs: {}{}",
                    shown.join(", "),
                    if more > 0 {
                        format!(" and {more} more")
                    } else {
                        String::new()
                    }
                );
            }
            if !p.top_denied_actions.is_empty() {
                let shown: Vec<String> = p
                    .top_denied_actions
                    .iter()
                    .map(|c| format!("{} ({})", printable(&c.action), c.count))
                    .collect();
                let _ = writeln!(s, "    most denied actions: {}", shown.join(", "));
            }
            if let (Some(f), Some(l)) = (&p.first_seen, &p.last_seen) {
                let _ = writeln!(
                    s,
                    "    seen {} .. {}",
                    printable(&f.to_string()),
                    printable(&l.to_string())
                );
            }
            if let Some(cidrs) = &p.suggested_cidrs {
                // The first 20 on the terminal; the JSON report lists them all.
                const SHOWN: usize = 20;
                let more = cidrs.len().saturating_sub(SHOWN);
                let _ = writeln!(
                    s,
                    "    suggestion to review (never applied): add {}{} to [network] cidrs",
                    cidrs[..cidrs.len().min(SHOWN)].join(", "),
                    if more > 0 {
                        format!(" and {more} more (--output json lists them all)")
                    } else {
                        String::new()
                    }
                );
            }
        }
        if principals.is_empty() {
            let _ = writeln!(s, "\nNo {what} in these records {verb}.");
        }
        let denied_principals = principals.iter().filter(|p| !p.denied.is_empty()).count();
        if self.in_force.is_some() {
            let today: u64 = t.denied_today.values().sum();
            let _ = writeln!(
                s,
                "\nof {} decided records:\n  denied today already (by the policies in force): {today:>8}\n  newly denied by this policy:                     {:>8}",
                t.decided, t.newly_denied
            );
            for (why, n) in &t.denied_today {
                let _ = writeln!(s, "    today {n:>8}  {}", printable(why));
            }
        }
        let _ = writeln!(
            s,
            "\ntotals: {} records, {} decided, {} {verb} ({} principal(s)), {} apart, {} skipped",
            t.records,
            t.decided,
            t.denied,
            denied_principals,
            t.apart.values().sum::<u64>(),
            t.skipped.values().sum::<u64>()
        );
        for (r, n) in &t.apart {
            let _ = writeln!(s, "  apart   {n:>8}  {}: {}", r.code(), r.describe());
        }
        for (r, n) in &t.undecided_network {
            let _ = writeln!(
                s,
                "          {n:>8}    of which address unknown: {}",
                r.code()
            );
        }
        for (r, n) in &t.skipped {
            let _ = writeln!(s, "  skipped {n:>8}  {}", r.code());
        }
        if self.problems.total() > 0 {
            let _ = writeln!(
                s,
                "  problems {:>7}  input skipped (listed on stderr)",
                self.problems.total()
            );
        }
        s
    }
}

/// Print the report (or write it to `--out`, all or nothing) in the chosen format.
pub(super) fn emit(cli: &Cli, args: &ImpactArgs, report: &Report, out: &Out) -> Result<bool> {
    match (cli.output, &args.out) {
        (OutputFormat::Jsonl, _) => Ok(true),
        (OutputFormat::Json, None) => Ok(report.write_json(out)),
        (format, None) => Ok(out.write(&report.document(format)?)),
        (format, Some(file)) => {
            let bytes = report.document(format)?;
            let name = file.file_name().and_then(|n| n.to_str()).with_context(|| {
                format!(
                    "--out {}: not a file name",
                    scpctl_core::origin::excerpt(&file.display().to_string())
                )
            })?;
            let dir = match file.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => std::path::Path::new("."),
            };
            crate::outdir::write_all_or_nothing(dir, &[(name.to_string(), bytes)])
                .with_context(|| format!("--out {}", file.display()))?;
            errln!("wrote {}", file.display())?;
            Ok(true)
        }
    }
}
