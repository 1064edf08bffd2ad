//! `scpctl plan|apply|detach|destroy|status --kind identity`: the fallback
//! EnterpriseNetworkRestriction on IAM users, groups and roles of one or more accounts. Reads
//! IAM (`aws::iam_policies`), lets the core decide (`scpctl_core::identity_plan`), shows the
//! plan, asks, executes; several accounts are worked on at once, with a bound.

use anyhow::{anyhow, Result};
use aws_config::SdkConfig;
use clap::ValueEnum;
use futures_util::stream::{self, StreamExt};
use scpctl_core::iam_doc::inline_document;
use scpctl_core::identity_plan::{
    plan_identity_apply, plan_identity_destroy, plan_identity_detach, Entity, EntityKind,
    IdentityDesired, IdentityObserved, IdentityPlan, IdentityPlanError, Writer,
};
use scpctl_core::lockout::{caller_kind, CallerKind};
use scpctl_core::plan::TargetId;
use scpctl_core::printable::printable_block;
use scpctl_core::render::{render_any_size, Layout, PolicyKind, RenderedPolicy};
use serde_json::{json, Value};

use super::access_check::{self, AccessCheck};
use crate::aws::access_analyzer::AccessAnalyzer;
use crate::aws::iam::{assume_role, caller, Caller};
use crate::aws::iam_policies::{Documents, IamPolicies};
use crate::aws::{CallCounter, ACCOUNT_CONCURRENCY};
use crate::cli::{
    ApplyArgs, AwsArgs, Cli, DeployArgs, DestroyArgs, DetachArgs, IdentityArgs, Kind, OutputFormat,
};
use crate::commands::base::session::{self, block_on};
use crate::exit;
use crate::load::{load, print_warnings_summary};
use crate::problems::{Problems, Usage};

/// Entities read at once within one account.
const ENTITY_CONCURRENCY: usize = 8;

pub fn wanted(args: &IdentityArgs) -> bool {
    args.kind == Kind::Identity
}

use crate::problems::usage;

/// The identity-only flags are refused with the SCP (the default kind), naming the flag.
pub fn scp_only(args: &IdentityArgs, accounts: &[String]) -> Result<()> {
    let given = [
        (!args.users.is_empty(), "--user"),
        (!args.groups.is_empty(), "--group"),
        (!args.roles.is_empty(), "--role"),
        (args.inline, "--inline"),
        (!accounts.is_empty(), "--account"),
    ];
    match given.iter().find(|(set, _)| *set) {
        Some((_, flag)) => Err(usage(format!(
            "{flag} applies to the identity-based policy only: add --kind identity"
        ))),
        None => Ok(()),
    }
}

/// [`scp_only`] for plan, apply and detach, and `--no-access-check`, which only the identity
/// kind's plan and apply take (no other kind asks Access Analyzer).
pub fn deploy_scp_only(args: &DeployArgs) -> Result<()> {
    scp_only(&args.identity, &[])?;
    if args.no_access_check {
        return Err(usage(format!(
            "--no-access-check applies to the identity-based policy only (--kind {} asks no access check): add --kind identity or drop the flag",
            args.identity
                .kind
                .to_possible_value()
                .map_or_else(String::new, |v| v.get_name().to_string())
        )));
    }
    Ok(())
}

pub(super) fn entities(args: &IdentityArgs) -> Vec<Entity> {
    let mut out: Vec<Entity> = Vec::new();
    let all = (args.users.iter().map(|n| Entity::new(EntityKind::User, n)))
        .chain(
            args.groups
                .iter()
                .map(|n| Entity::new(EntityKind::Group, n)),
        )
        .chain(args.roles.iter().map(|n| Entity::new(EntityKind::Role, n)));
    for e in all {
        if !out.iter().any(|o| o.is(&e)) {
            out.push(e);
        }
    }
    out
}

pub(super) fn checked_accounts(accounts: &[String]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for a in accounts {
        match TargetId::account(a) {
            Ok(_) if !out.contains(a) => out.push(a.clone()),
            Ok(_) => {}
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(Usage(Problems::from_errors(&errors)).into())
    }
}

/// The identity-based policy rendered from the config, at any size: which form holds it is
/// the planner's decision, from the account's quotas.
pub fn rendered(cli: &Cli) -> Result<RenderedPolicy> {
    let loaded = load(&cli.config)?;
    print_warnings_summary(&loaded);
    let mut policies = render_any_size(
        &loaded.config,
        &loaded.cidrs.set,
        PolicyKind::Identity,
        Layout::Single,
    )?;
    Ok(policies.remove(0))
}

/// One account to work in: its IAM client, the identity that writes there, the policy's ARN.
pub struct Account {
    pub id: String,
    pub iam: IamPolicies,
    pub writer: Writer,
    pub arn: String,
}

/// What every identity command opens first: the policy rendered from the config, the process's
/// call counter, and the accounts to work in.
pub async fn open(
    cli: &Cli,
    aws: &AwsArgs,
    ids: &[String],
    role_name: &str,
) -> Result<(RenderedPolicy, CallCounter, Vec<Account>)> {
    let policy = rendered(cli)?;
    let counter = session::counter();
    let (_, accounts) = accounts(aws, ids, role_name, &policy.name, &counter).await?;
    Ok((policy, counter, accounts))
}

/// The accounts of the command: the caller's own, or each `--account` (through
/// `--role-name` unless it is the caller's).
async fn accounts(
    aws: &AwsArgs,
    ids: &[String],
    role_name: &str,
    name: &str,
    counter: &CallCounter,
) -> Result<(Caller, Vec<Account>)> {
    let base = session::sdk_config(aws).await;
    let me = caller(&base, counter).await?;
    let partition = me.arn.split(':').nth(1).unwrap_or("aws").to_string();
    let own_writer = match caller_kind(&me.arn) {
        CallerKind::IamUser { name, .. } => Writer::User {
            name,
            groups: vec![],
        },
        CallerKind::Other => {
            assumed_role(&me.arn).map_or(Writer::Other, |r| Writer::Role { name: r })
        }
    };
    let ids = if ids.is_empty() {
        vec![me.account.clone()]
    } else {
        ids.to_vec()
    };
    let mut out = Vec::new();
    for id in ids {
        let (config, writer): (SdkConfig, Writer) = if id == me.account {
            (base.clone(), own_writer.clone())
        } else {
            let writer = Writer::Role {
                name: role_name.to_string(),
            };
            (assume_role(&base, &id, role_name).await, writer)
        };
        out.push(Account {
            arn: format!("arn:{partition}:iam::{id}:policy/{name}"),
            iam: IamPolicies::new(&config, counter),
            id,
            writer,
        });
    }
    Ok((me, out))
}

/// The role of an STS assumed-role session ARN (`arn:aws:sts::1:assumed-role/Role/session`).
fn assumed_role(arn: &str) -> Option<String> {
    scpctl_core::names::CallerArn::parse(arn)?
        .assumed_role()
        .map(str::to_string)
}

/// Read one account and plan it.
async fn plan_account(
    account: &Account,
    policy: &RenderedPolicy,
    targets: &[Entity],
    args: &IdentityArgs,
    apply: Option<&ApplyArgs>,
) -> Result<(Result<IdentityPlan, Vec<IdentityPlanError>>, Option<String>)> {
    let quotas = account.iam.quotas().await?;
    let managed = match args.inline {
        true => None,
        false => account.iam.managed(&account.arn).await?,
    };
    let attached = managed
        .as_ref()
        .map(|p| p.attached_to.clone())
        .unwrap_or_default();
    let to_read: Vec<&Entity> = targets
        .iter()
        .filter(|t| args.inline || !attached.iter().any(|a| a.is(t)))
        .collect();
    let observed: Vec<_> = stream::iter(to_read.iter().copied())
        .map(|t| account.iam.entity(t, args.inline))
        .buffered(ENTITY_CONCURRENCY)
        .collect()
        .await;
    let mut writer = account.writer.clone();
    if let Writer::User { name, groups } = &mut writer {
        // The groups reached: targets, and, when the content changes, those already holding
        // the policy (a new version changes it there too). A no-op re-run reads no groups.
        let content_changes = managed
            .as_ref()
            .is_some_and(|p| !scpctl_core::plan::same_policy(&p.document, &policy.compact));
        let is_group = |t: &&Entity| t.kind == EntityKind::Group;
        let groups_reached = to_read.iter().any(is_group)
            || (content_changes && attached.iter().any(|t| is_group(&t)));
        if groups_reached {
            *groups = account.iam.groups_of(name).await?;
        }
    }
    let existing = managed.as_ref().map(|p| p.document.clone());
    let observed = IdentityObserved {
        account: account.id.clone(),
        policy: managed,
        entities: observed.into_iter().collect::<Result<_>>()?,
        quotas,
    };
    let desired = IdentityDesired {
        name: policy.name.clone(),
        description: policy.description.clone(),
        document: policy.compact.clone(),
        targets: targets.to_vec(),
        inline: args.inline,
        writer,
        my_ip: apply.and_then(|a| a.my_ip),
        allow_self_lockout: apply.is_some_and(|a| a.allow_self_lockout),
    };
    Ok((plan_identity_apply(&desired, &observed), existing))
}

/// Per account, in the order given: its plan or its refusals.
type Planned = Vec<(String, Result<IdentityPlan, Vec<IdentityPlanError>>)>;

/// Refusals of every account as one error (prefixed with the account when there are several).
fn refusals(planned: &Planned) -> Option<anyhow::Error> {
    let several = planned.len() > 1;
    let mut messages: Vec<String> = Vec::new();
    for (account, r) in planned {
        if let Err(errors) = r {
            messages.extend(errors.iter().map(|e| match several {
                true => format!("account {account}: {e}"),
                false => e.to_string(),
            }));
        }
    }
    let last = messages.last_mut()?;
    last.push_str("\nnothing was changed");
    Some(Problems(messages).into())
}

fn plans(planned: &Planned) -> Vec<(&str, &IdentityPlan)> {
    planned
        .iter()
        .filter_map(|(a, r)| r.as_ref().ok().map(|p| (a.as_str(), p)))
        .collect()
}

fn changes_json(plans: &[(&str, &IdentityPlan)]) -> Value {
    let changes: Vec<Value> = plans
        .iter()
        .flat_map(|(account, p)| {
            p.changes.iter().map(move |c| {
                let mut v = c.to_json();
                v["account"] = json!(account);
                v
            })
        })
        .collect();
    json!(changes)
}

/// Print the plan (text before asking, JSON once at the end); `done` after applying.
pub fn print(
    cli: &Cli,
    plans: &[(&str, &IdentityPlan)],
    counter: &CallCounter,
    checks: &[AccessCheck],
    done: Option<usize>,
) -> std::io::Result<()> {
    let check_warnings: Vec<String> = checks.iter().filter_map(AccessCheck::warning).collect();
    let warnings: Vec<&String> = plans
        .iter()
        .flat_map(|(_, p)| &p.warnings)
        .chain(&check_warnings)
        .collect();
    if done.is_none() || cli.output == OutputFormat::Json {
        for w in &warnings {
            errln!("warning: {w}")?;
        }
    }
    let total: usize = plans.iter().map(|(_, p)| p.changes.len()).sum();
    match cli.output {
        OutputFormat::Json => {
            let mut doc = json!({
                "changes": changes_json(plans),
                "warnings": warnings,
                "access_check": checks.iter().map(AccessCheck::to_json).collect::<Vec<_>>(),
                "api_calls": counter.snapshot(),
            });
            if let Some(n) = done {
                doc["applied"] = json!(n);
            }
            outln!("{doc}")?;
        }
        OutputFormat::Text if done.is_none() => {
            if total == 0 {
                outln!("No changes: IAM matches the config.")?;
            } else {
                outln!("{total} change(s):")?;
                for (account, p) in plans {
                    for c in &p.changes {
                        // A new version lists its CIDRs one per line: printable() would
                        // show those line breaks as a literal `\n`.
                        outln!("  + account {account}: {}", printable_block(&c.to_string()))?;
                    }
                }
            }
            for check in checks {
                for line in check.lines() {
                    outln!("{line}")?;
                }
            }
        }
        OutputFormat::Text | OutputFormat::Jsonl | OutputFormat::Html => {
            outln!("Applied {total} change(s).")?
        }
    }
    Ok(())
}

/// Confirm, execute every account's changes (a few accounts at once), print.
async fn execute(
    cli: &Cli,
    accounts: &[Account],
    planned: &Planned,
    policy: &RenderedPolicy,
    counter: &CallCounter,
    checks: &[AccessCheck],
    yes: bool,
) -> Result<u8> {
    let plans = plans(planned);
    let total: usize = plans.iter().map(|(_, p)| p.changes.len()).sum();
    if cli.output == OutputFormat::Text {
        print(cli, &plans, counter, checks, None)?;
    }
    let listed: Vec<String> = plans
        .iter()
        .flat_map(|(account, p)| p.changes.iter().map(move |c| format!("{account}: {c}")))
        .collect();
    crate::commands::base::confirm::confirm_changes(cli, yes, &listed)?;
    let inline = inline_document(&policy.compact).unwrap_or_else(|| policy.compact.clone());
    let changes = crate::progress::Changes::new(total);
    let progress = |c: &scpctl_core::identity_plan::IdentityChange| changes.done(c);
    let results: Vec<Result<()>> = stream::iter(plans.iter())
        .map(|(id, plan)| {
            let account = accounts.iter().find(|a| a.id == *id);
            let docs = account.map(|a| Documents {
                arn: &a.arn,
                name: &policy.name,
                description: &policy.description,
                managed: &policy.compact,
                inline: &inline,
            });
            let progress = &progress;
            async move {
                let (Some(a), Some(docs)) = (account, docs) else {
                    return Err(anyhow!("internal: account {id} was not prepared"));
                };
                a.iam
                    .execute(&plan.changes, &docs, progress)
                    .await
                    .map_err(|e| anyhow!("account {id}: {e:#}"))
            }
        })
        .buffered(ACCOUNT_CONCURRENCY)
        .collect()
        .await;
    let failures: Vec<String> = results
        .into_iter()
        .filter_map(|r| r.err().map(|e| format!("{e:#}")))
        .collect();
    if !failures.is_empty() {
        return Err(Problems(failures).into());
    }
    tracing::info!("AWS requests: {}", counter.summary());
    print(cli, &plans, counter, checks, Some(total))?;
    Ok(exit::SUCCESS)
}

fn require_targets(targets: &[Entity]) -> Result<()> {
    if targets.is_empty() {
        return Err(usage(
            "no target: give at least one --user NAME, --group NAME or --role NAME".into(),
        ));
    }
    Ok(())
}

fn no_scp_targets(args: &DeployArgs) -> Result<()> {
    if !args.targets.ous.is_empty() || args.targets.root {
        return Err(usage(
            "--ou and --root are SCP targets; with --kind identity give --user, --group or --role (and --account for member accounts)".into(),
        ));
    }
    Ok(())
}

async fn plan_and_maybe_apply(
    cli: &Cli,
    args: &DeployArgs,
    apply: Option<&ApplyArgs>,
) -> Result<u8> {
    no_scp_targets(args)?;
    let targets = entities(&args.identity);
    require_targets(&targets)?;
    let ids = checked_accounts(&args.targets.accounts)?;
    let (policy, counter, accounts) = open(cli, &args.aws, &ids, &args.identity.role_name).await?;
    let results: Vec<Result<_>> = stream::iter(accounts.iter())
        .map(|a| plan_account(a, &policy, &targets, &args.identity, apply))
        .buffered(ACCOUNT_CONCURRENCY)
        .collect()
        .await;
    let mut planned: Planned = Vec::new();
    let mut existing: Vec<Option<String>> = Vec::new();
    for (a, r) in accounts.iter().zip(results) {
        let (plan, doc) = r.map_err(|e| anyhow!("account {}: {e:#}", a.id))?;
        planned.push((a.id.clone(), plan));
        existing.push(doc);
    }
    if let Some(err) = refusals(&planned) {
        return Err(err);
    }
    let to_check: Vec<(&str, &IdentityPlan, Option<&str>)> = planned
        .iter()
        .zip(&existing)
        .filter_map(|((a, r), doc)| Some((a.as_str(), r.as_ref().ok()?, doc.as_deref())))
        .collect();
    let analyzer = AccessAnalyzer::new(&session::sdk_config(&args.aws).await, &counter);
    let checks =
        access_check::check(&analyzer, &to_check, &policy.compact, args.no_access_check).await;
    let empty = plans(&planned).iter().all(|(_, p)| p.changes.is_empty());
    match apply {
        Some(a) if !a.dry_run && !empty => {
            execute(cli, &accounts, &planned, &policy, &counter, &checks, a.yes).await
        }
        _ => {
            print(cli, &plans(&planned), &counter, &checks, None)?;
            Ok(exit::SUCCESS)
        }
    }
}

pub fn plan(cli: &Cli, args: &DeployArgs) -> Result<u8> {
    block_on(plan_and_maybe_apply(cli, args, None))?
}

pub fn apply(cli: &Cli, args: &ApplyArgs) -> Result<u8> {
    block_on(plan_and_maybe_apply(cli, &args.deploy, Some(args)))?
}

/// Show a removal plan; execute it unless it is empty or a dry run.
async fn run_removal(
    cli: &Cli,
    accounts: &[Account],
    planned: Planned,
    policy: &RenderedPolicy,
    counter: &CallCounter,
    (yes, dry_run): (bool, bool),
    nothing: &str,
) -> Result<u8> {
    if let Some(err) = refusals(&planned) {
        return Err(err);
    }
    let empty = plans(&planned).iter().all(|(_, p)| p.changes.is_empty());
    if empty && cli.output == OutputFormat::Text {
        for (_, p) in plans(&planned) {
            p.warnings.iter().try_for_each(|w| errln!("warning: {w}"))?;
        }
        outln!("{nothing}")?;
        return Ok(exit::SUCCESS);
    }
    if empty || dry_run {
        print(cli, &plans(&planned), counter, &[], None)?;
        return Ok(exit::SUCCESS);
    }
    execute(cli, accounts, &planned, policy, counter, &[], yes).await
}

pub fn detach(cli: &Cli, args: &DetachArgs) -> Result<u8> {
    block_on(async {
        let deploy = &args.deploy;
        no_scp_targets(deploy)?;
        if deploy.no_access_check {
            return Err(usage(
                "--no-access-check applies to plan and apply only: detach writes no new policy version, so it asks no access check; drop the flag".into(),
            ));
        }
        let targets = entities(&deploy.identity);
        require_targets(&targets)?;
        let ids = checked_accounts(&deploy.targets.accounts)?;
        let (policy, counter, accounts) =
            open(cli, &deploy.aws, &ids, &deploy.identity.role_name).await?;
        let mut planned: Planned = Vec::new();
        for a in &accounts {
            let managed = a.iam.managed(&a.arn).await?;
            let observed: Vec<_> = stream::iter(targets.iter())
                .map(|t| a.iam.entity(t, true))
                .buffered(ENTITY_CONCURRENCY)
                .collect()
                .await;
            let observed = observed.into_iter().collect::<Result<Vec<_>>>()?;
            planned.push((
                a.id.clone(),
                plan_identity_detach(&policy.name, managed.as_ref(), &observed, &a.id),
            ));
        }
        let nothing = format!(
            "{} is neither attached to nor embedded in these entities; nothing to detach.",
            policy.name
        );
        run_removal(
            cli,
            &accounts,
            planned,
            &policy,
            &counter,
            (args.yes, args.dry_run),
            &nothing,
        )
        .await
    })?
}

pub fn destroy(cli: &Cli, args: &DestroyArgs) -> Result<u8> {
    block_on(async {
        if !entities(&args.identity).is_empty() || args.identity.inline {
            return Err(usage("destroy removes the policy from every user, group and role; to remove it from some, use `scpctl detach --kind identity --user ...`".into()));
        }
        let ids = checked_accounts(&args.accounts)?;
        let (policy, counter, accounts) =
            open(cli, &args.aws, &ids, &args.identity.role_name).await?;
        let mut planned: Planned = Vec::new();
        for a in &accounts {
            let managed = a.iam.managed(&a.arn).await?;
            let inline = a.iam.inline_copies(&policy.name).await?;
            planned.push((
                a.id.clone(),
                plan_identity_destroy(&policy.name, managed.as_ref(), &inline),
            ));
        }
        let nothing = format!(
            "no managed policy and no inline copy named {} exists; nothing to destroy.",
            policy.name
        );
        run_removal(
            cli,
            &accounts,
            planned,
            &policy,
            &counter,
            (args.yes, args.dry_run),
            &nothing,
        )
        .await
    })?
}
