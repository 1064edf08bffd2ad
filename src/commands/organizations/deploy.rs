//! `scpctl plan`, `apply`, `detach`, `destroy`: read the organization, let the core decide,
//! show the plan, ask, execute.

use scpctl_core::printable::printable;

use anyhow::{bail, Result};
use scpctl_core::config::AWS_RCPS_PER_TARGET;
use scpctl_core::plan::{
    plan_apply, plan_destroy, plan_detach, Change, Desired, OrgPolicyType, Plan, TargetId,
};
use serde_json::json;

use aws_config::SdkConfig;
use scpctl_core::lockout::{caller_kind, check_caller, reaching_target, CallerKind, Verdict};

use crate::aws::iam::{caller, Iam};
use crate::aws::orgs::Orgs;
use crate::aws::signin::Signin;
use crate::aws::CallCounter;
use crate::cli::{
    ApplyArgs, Cli, DeployArgs, DestroyArgs, DetachArgs, Kind, OutputFormat, PlanArgs,
};
use crate::commands::base::confirm::{confirm_changes, plan_errors};
use crate::commands::base::kinds::{org_type, policy_kind};
use crate::commands::base::load::load_and_render;
use crate::commands::base::session::{block_on, connect, connect_with_config};
use crate::commands::base::targets::targets;
use crate::exit;
use crate::load::load;
use crate::problems::{Problems, Usage};

/// Refuse to deploy a policy that would deny the IAM user running scpctl (issue: lockout
/// guards). Roles, the root user and the management account are never restricted by it.
async fn guard_self_lockout(
    config: &SdkConfig,
    counter: &CallCounter,
    orgs: &Orgs,
    targets: &[TargetId],
    content: &str,
    apply: &ApplyArgs,
) -> Result<()> {
    let me = caller(config, counter).await?;
    let CallerKind::IamUser { account, name } = caller_kind(&me.arn) else {
        tracing::info!(
            "caller {} is not an IAM user: the policy does not restrict it",
            me.arn
        );
        return Ok(());
    };
    if orgs.management_account().await? == account {
        tracing::info!("caller is in the management account, which SCPs never restrict");
        return Ok(());
    }
    // The account itself or the root reach it without reading where it sits.
    let via = match reaching_target(targets, &account, &[]) {
        Some(t) => t.clone(),
        None if targets.iter().any(|t| matches!(t, TargetId::Ou(_))) => {
            let ancestors = orgs.ancestors(&account).await?;
            match reaching_target(targets, &account, &ancestors) {
                Some(t) => t.clone(),
                None => return Ok(()),
            }
        }
        None => return Ok(()),
    };
    let tags = Iam::new(config, counter)
        .user_tags(&name)
        .await?
        .unwrap_or_default();
    match check_caller(content, &name, &tags, apply.my_ip) {
        Verdict::Safe { note } => {
            if let Some(n) = note {
                errln!("note: {n}")?;
            }
            Ok(())
        }
        Verdict::LockedOut { why } if apply.allow_self_lockout => {
            errln!("warning: {why} (through {via}); deploying anyway (--allow-self-lockout)")?;
            Ok(())
        }
        Verdict::LockedOut { why } => bail!(
            "refusing to lock you out: you are {} in account {account}, which {via} contains, and {why}.\n  Grant yourself the exception (`scpctl exception grant {name}`), deploy from the management account or a role, or pass --allow-self-lockout. Nothing was changed",
            me.arn
        ),
    }
}

fn print_plan(
    cli: &Cli,
    plan: &Plan,
    counter: &CallCounter,
    done: Option<usize>,
) -> std::io::Result<()> {
    for w in &plan.warnings {
        errln!("warning: {w}")?;
    }
    match cli.output {
        OutputFormat::Json => {
            let mut doc = json!({
                "changes": plan.changes,
                "warnings": plan.warnings,
                "api_calls": counter.snapshot(),
            });
            if let Some(n) = done {
                doc["applied"] = json!(n);
            }
            outln!("{doc}")?;
        }
        OutputFormat::Text if done.is_none() => {
            if plan.changes.is_empty() {
                outln!("No changes: the organization matches the config.")?;
            } else {
                outln!("{} change(s):", plan.changes.len())?;
                for c in &plan.changes {
                    outln!("  + {}", printable(&c.to_string()))?;
                }
            }
        }
        OutputFormat::Text | OutputFormat::Jsonl | OutputFormat::Html => {}
    }
    Ok(())
}

async fn execute(
    orgs: &Orgs,
    plan: &Plan,
    content: &str,
    policy_id: Option<String>,
) -> Result<usize> {
    let changes = crate::progress::Changes::new(plan.changes.len());
    let progress = |c: &Change| changes.done(c);
    orgs.execute(&plan.changes, content, policy_id, &progress)
        .await?;
    // Console authorization changes are AWS Sign-In's, counted where they are made.
    Ok(plan
        .changes
        .iter()
        .filter(|c| {
            !matches!(
                c,
                Change::EnableConsoleAuthorization { .. }
                    | Change::DisableConsoleAuthorization { .. }
            )
        })
        .count())
}

/// Shared by `plan` and `apply`.
async fn plan_and_maybe_apply(
    cli: &Cli,
    args: &DeployArgs,
    apply: Option<&ApplyArgs>,
) -> Result<u8> {
    let policy_type = org_type(args.identity.kind)?;
    // Usage errors (bad target ids) before the config's warnings.
    let mut target_ids = targets(&args.targets)?;
    let (loaded, scp) = load_and_render(cli, policy_kind(args.identity.kind)?)?;
    let limits = loaded.config.limits;
    let (orgs, counter, config) = connect_with_config(&args.aws, args.concurrency).await;
    let orgs = orgs.for_type(policy_type);
    let observed = orgs
        .observe(&scp.name, &target_ids, args.targets.root)
        .await?;
    if args.targets.root {
        target_ids.push(TargetId::Root(observed.root_id.clone()));
    }
    let desired = Desired {
        policy_type,
        name: scp.name.clone(),
        description: scp.description.clone(),
        content: scp.compact.clone(),
        targets: target_ids,
        per_target: match policy_type {
            OrgPolicyType::ServiceControl => limits.scps_per_target,
            OrgPolicyType::ResourceControl => AWS_RCPS_PER_TARGET,
        },
    };
    let mut plan = plan_apply(&desired, &observed).map_err(plan_errors)?;
    let signin =
        (policy_type == OrgPolicyType::ResourceControl).then(|| Signin::new(&config, &counter));
    if let Some(signin) = &signin {
        let (organization, enabled) = super::signin::observe_console(&orgs, signin).await?;
        if !enabled {
            plan.changes
                .push(Change::EnableConsoleAuthorization { organization });
        }
        plan.warnings
            .extend(super::signin::CAVEATS.iter().map(|c| c.to_string()));
    }
    let Some(apply) = apply.filter(|a| !a.dry_run && !plan.changes.is_empty()) else {
        print_plan(cli, &plan, &counter, None)?;
        return Ok(exit::SUCCESS);
    };
    if cli.output == OutputFormat::Text {
        print_plan(cli, &plan, &counter, None)?;
    }
    if signin.is_some() {
        super::signin::guard(
            &config,
            &counter,
            &orgs,
            &loaded.config,
            &loaded.cidrs.set,
            (&scp.name, &scp.compact),
            &desired.targets,
            apply,
        )
        .await?;
    } else {
        // A content update takes effect wherever the policy is attached already, not only on
        // this run's targets: the guard looks at all of them.
        let updates_content = plan.changes.iter().any(|c| {
            matches!(
                c,
                Change::UpdatePolicy {
                    content: Some(_),
                    ..
                }
            )
        });
        let mut reach = desired.targets.clone();
        if updates_content {
            for id in &observed.attached_to {
                if let Ok(t) = TargetId::from_aws(id) {
                    if !reach.contains(&t) {
                        reach.push(t);
                    }
                }
            }
        }
        guard_self_lockout(&config, &counter, &orgs, &reach, &scp.compact, apply).await?;
    }
    confirm_changes(cli, apply.yes, &plan.changes)?;
    let policy_id = observed.policy.as_ref().map(|p| p.id.clone());
    let mut done = execute(&orgs, &plan, &scp.compact, policy_id).await?;
    if let Some(signin) = &signin {
        done += super::signin::execute_console(signin, &plan).await?;
    }
    tracing::info!("AWS requests: {}", counter.summary());
    print_plan(cli, &plan, &counter, Some(done))?;
    if cli.output == OutputFormat::Text {
        outln!("Applied {done} change(s).")?;
    }
    Ok(exit::SUCCESS)
}

pub fn plan(cli: &Cli, args: &PlanArgs) -> Result<u8> {
    if args.account.account_policy {
        signin_only(&args.deploy)?;
        return super::account_policy::run(cli, &args.deploy, &args.account, None);
    }
    block_on(plan_and_maybe_apply(cli, &args.deploy, None))?
}

pub fn apply(cli: &Cli, args: &ApplyArgs) -> Result<u8> {
    if args.account.account_policy {
        signin_only(&args.deploy)?;
        return super::account_policy::run(cli, &args.deploy, &args.account, Some(args));
    }
    block_on(plan_and_maybe_apply(cli, &args.deploy, Some(args)))?
}

fn signin_only(args: &DeployArgs) -> Result<()> {
    if args.identity.kind != Kind::Signin {
        return Err(Usage(Problems(vec![
            "--account-policy applies to --kind signin only".into(),
        ]))
        .into());
    }
    Ok(())
}

/// Run a detach or destroy plan: show, confirm, execute. `nothing` says why an empty plan has
/// nothing to do (the generic "matches the config" would be wrong here).
#[allow(clippy::too_many_arguments)]
async fn run_removal(
    cli: &Cli,
    orgs: &Orgs,
    counter: &CallCounter,
    plan: Plan,
    policy_id: &str,
    yes: bool,
    dry_run: bool,
    nothing: &str,
) -> Result<u8> {
    if plan.changes.is_empty() && cli.output == OutputFormat::Text {
        for w in &plan.warnings {
            errln!("warning: {w}")?;
        }
        outln!("{nothing}")?;
        return Ok(exit::SUCCESS);
    }
    if dry_run || plan.changes.is_empty() {
        print_plan(cli, &plan, counter, None)?;
        return Ok(exit::SUCCESS);
    }
    if cli.output == OutputFormat::Text {
        print_plan(cli, &plan, counter, None)?;
    }
    confirm_changes(cli, yes, &plan.changes)?;
    let done = execute(orgs, &plan, "", Some(policy_id.to_string())).await?;
    print_plan(cli, &plan, counter, Some(done))?;
    if cli.output == OutputFormat::Text {
        outln!("Applied {done} change(s).")?;
    }
    Ok(exit::SUCCESS)
}

/// The managed policy's name: detach and destroy do not use the CIDRs, so their warnings are
/// not printed (nor does a CIDR problem matter to them beyond the config being valid).
fn policy_name(cli: &Cli, t: OrgPolicyType) -> Result<String> {
    let config = load(&cli.config)?.config;
    Ok(match t {
        OrgPolicyType::ServiceControl => config.policy.name,
        OrgPolicyType::ResourceControl => config.console.name,
    })
}

pub fn detach(cli: &Cli, args: &DetachArgs) -> Result<u8> {
    block_on(async {
        // Usage errors first, then the config.
        let t = org_type(args.deploy.identity.kind)?;
        let mut target_ids = targets(&args.deploy.targets)?;
        let name = policy_name(cli, t)?;
        let (orgs, counter) = connect(&args.deploy.aws, args.deploy.concurrency).await;
        let orgs = orgs.for_type(t);
        let Some(policy) = orgs.find_policy(&name).await? else {
            errln!("no {} named {name} exists; nothing to detach", t.short())?;
            print_plan(cli, &Plan::default(), &counter, None)?;
            return Ok(exit::SUCCESS);
        };
        if args.deploy.targets.root {
            target_ids.push(orgs.root_target().await?);
        }
        let observed = orgs.attached_all(&target_ids).await?;
        let plan = plan_detach(&policy, &observed).map_err(plan_errors)?;
        run_removal(
            cli,
            &orgs,
            &counter,
            plan,
            &policy.id,
            args.yes,
            args.dry_run,
            &format!("{name} is not attached to these targets; nothing to detach."),
        )
        .await
    })?
}

pub fn destroy(cli: &Cli, args: &DestroyArgs) -> Result<u8> {
    block_on(async {
        let t = org_type(args.identity.kind)?;
        if args.disable_console_authorization && t != OrgPolicyType::ResourceControl {
            return Err(Usage(Problems(vec![
                "--disable-console-authorization applies to --kind signin only".into(),
            ]))
            .into());
        }
        let name = policy_name(cli, t)?;
        let (orgs, counter, config) = connect_with_config(&args.aws, args.concurrency).await;
        let orgs = orgs.for_type(t);
        let mut console = Vec::new();
        let signin = Signin::new(&config, &counter);
        if t == OrgPolicyType::ResourceControl {
            if args.disable_console_authorization {
                let (organization, enabled) =
                    super::signin::observe_console(&orgs, &signin).await?;
                if enabled {
                    console.push(Change::DisableConsoleAuthorization { organization });
                }
            } else {
                errln!("note: console authorization is left as it is, not read (other RCPs and account statements may rely on it); --disable-console-authorization turns it off")?;
            }
        }
        let Some(policy) = orgs.find_policy(&name).await? else {
            errln!("no {} named {name} exists; nothing to destroy", t.short())?;
            let plan = Plan {
                changes: console,
                warnings: vec![],
            };
            if plan.changes.is_empty() || args.dry_run {
                print_plan(cli, &plan, &counter, None)?;
                return Ok(exit::SUCCESS);
            }
            print_plan(cli, &plan, &counter, None)?;
            confirm_changes(cli, args.yes, &plan.changes)?;
            super::signin::execute_console(&signin, &plan).await?;
            return Ok(exit::SUCCESS);
        };
        let mut target_ids = Vec::new();
        if policy.managed {
            for id in orgs.targets_of(&policy.id).await? {
                target_ids.push(TargetId::from_aws(&id)?);
            }
        }
        let observed = orgs.attached_all(&target_ids).await?;
        let mut plan = plan_destroy(t, &policy, &observed).map_err(plan_errors)?;
        plan.changes.extend(console);
        let code = run_removal(
            cli,
            &orgs,
            &counter,
            plan.clone(),
            &policy.id,
            args.yes,
            args.dry_run,
            &format!("no {} named {name} exists; nothing to destroy", t.short()),
        )
        .await?;
        if !args.dry_run {
            super::signin::execute_console(&signin, &plan).await?;
        }
        Ok(code)
    })?
}
