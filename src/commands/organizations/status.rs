//! `scpctl status`: where the managed SCP is attached, and whether it drifted from the config.

use anyhow::Result;
use scpctl_core::plan::{cidr_diff, policy_cidrs, same_policy};
use scpctl_core::printable::printable;
use serde_json::json;

use scpctl_core::monitoring::{break_glass_report, BreakGlassState};

use crate::aws::signin::Signin;
use crate::aws::{iam, CallCounter};
use crate::cli::{Cli, OutputFormat, StatusArgs};
use crate::commands::base::kinds::{org_type, policy_kind};
use crate::commands::base::load::load_and_render;
use crate::commands::base::session::{block_on, connect_with_config};
use crate::exit;

/// `[break_glass] principals` checked against the caller's account: which exist, which do not.
/// A failure to read (no permission) is a warning: the deployment status still counts.
async fn break_glass(
    principals: &[String],
    config: &aws_config::SdkConfig,
    counter: &CallCounter,
) -> Option<Vec<(String, BreakGlassState)>> {
    if principals.is_empty() {
        return None;
    }
    let read = async {
        let caller = iam::caller(config, counter).await?;
        let arns = iam::Iam::new(config, counter).role_and_user_arns().await?;
        anyhow::Ok(break_glass_report(principals, &caller.account, &arns))
    };
    match read.await {
        Ok(report) => Some(report),
        Err(e) => {
            // A lost warning still ends the run with exit 1 (see output::stderr_failed).
            let _ = errln!("warning: cannot check [break_glass] principals: {e:#}");
            None
        }
    }
}

fn print_break_glass(report: &[(String, BreakGlassState)]) -> std::io::Result<()> {
    for (principal, state) in report {
        match state {
            BreakGlassState::Found { matches } => {
                outln!("  break-glass {principal}: exists ({})", matches.join(", "))
            }
            BreakGlassState::Missing => outln!(
                "  break-glass {principal}: DOES NOT EXIST in this account; an emergency would find nothing to use"
            ),
            BreakGlassState::OtherAccount => {
                outln!("  break-glass {principal}: in another account, not checked from here")
            }
        }?;
    }
    Ok(())
}

pub fn run(cli: &Cli, args: &StatusArgs) -> Result<u8> {
    let t = org_type(args.identity.kind)?;
    let (loaded, scp) = load_and_render(cli, policy_kind(args.identity.kind)?)?;
    let principals = loaded.config.break_glass.principals;
    let signin_kind = t == scpctl_core::plan::OrgPolicyType::ResourceControl;
    block_on(async {
        let (orgs, counter, sdk) = connect_with_config(&args.aws, 1).await;
        let orgs = orgs.for_type(t);
        let glass = break_glass(&principals, &sdk, &counter).await;
        if let (Some(report), OutputFormat::Text) = (&glass, cli.output) {
            print_break_glass(report)?;
        }
        let glass_json = glass.as_ref().map(|r| {
            r.iter()
                .map(|(p, s)| json!({"principal": p, "status": s}))
                .collect::<Vec<_>>()
        });
        // The console half: whether Sign-In checks RCPs at all for this organization.
        let console = if signin_kind {
            let signin = Signin::new(&sdk, &counter);
            Some(super::signin::observe_console(&orgs, &signin).await?)
        } else {
            None
        };
        if let Some((org, enabled)) = &console {
            match cli.output {
                OutputFormat::Json | OutputFormat::Jsonl | OutputFormat::Html => {}
                OutputFormat::Text if *enabled => outln!(
                    "console authorization: enabled for {org}; RCPs decide console sign-in (Sign-In replicates a change from us-east-1 within minutes: in force a few minutes after it was made)"
                )?,
                OutputFormat::Text => outln!(
                    "console authorization: NOT enabled for {org}: the RCP has no effect on sign-in; `scpctl apply --kind signin` enables it"
                )?,
            }
        }
        let console_json = console
            .as_ref()
            .map(|(org, enabled)| json!({"organization": org, "enabled": enabled}));
        let console_on = console.as_ref().is_none_or(|(_, e)| *e);
        let Some(policy) = orgs.find_policy(&scp.name).await? else {
            match cli.output {
                OutputFormat::Json => outln!(
                    "{}",
                    json!({"policy": scp.name, "deployed": false, "in_sync": false, "attached_to": [], "break_glass": glass_json, "console_authorization": console_json, "api_calls": counter.snapshot()})
                ),
                OutputFormat::Text | OutputFormat::Jsonl | OutputFormat::Html => outln!(
                    "{}: not deployed (no {} of this name). `scpctl plan --ou OU` shows what apply would create.",
                    scp.name,
                    t.short()
                ),
            }?;
            return Ok(exit::DRIFT);
        };
        let attached_to = orgs.targets_of(&policy.id).await?;
        let content_same = same_policy(&policy.content, &scp.compact);
        let description_same = policy.description == scp.description;
        let (added, removed) = match (policy_cidrs(&policy.content), policy_cidrs(&scp.compact)) {
            (Some(deployed), Some(wanted)) => cidr_diff(&deployed, &wanted),
            _ => (vec![], vec![]),
        };
        let in_sync = content_same && description_same && console_on;
        match cli.output {
            OutputFormat::Json => outln!(
                "{}",
                json!({
                    "policy": policy.name,
                    "policy_id": policy.id,
                    "deployed": true,
                    "managed": policy.managed,
                    "in_sync": in_sync,
                    "content_in_sync": content_same,
                    "description_in_sync": description_same,
                    "cidrs_to_add": added,
                    "cidrs_to_remove": removed,
                    "attached_to": attached_to,
                    "break_glass": glass_json,
                    "console_authorization": console_json,
                    "in_force": console_on && !attached_to.is_empty(),
                    "api_calls": counter.snapshot(),
                })
            )?,
            OutputFormat::Text | OutputFormat::Jsonl | OutputFormat::Html => {
                let owner = if policy.managed {
                    "managed by scpctl"
                } else {
                    "NOT created by scpctl: apply will not change it"
                };
                outln!(
                    "{} ({}), {owner}",
                    printable(&policy.name),
                    printable(&policy.id)
                )?;
                if attached_to.is_empty() {
                    outln!("  attached to: nothing (the policy has no effect)")?;
                } else {
                    let list: Vec<_> = attached_to.iter().map(|t| printable(t)).collect();
                    outln!("  attached to: {}", list.join(", "))?;
                }
                if content_same && description_same {
                    outln!("  content: in sync with the config")?;
                } else {
                    if !content_same {
                        // apply never changes a policy it did not create: say only that.
                        if policy.managed {
                            outln!(
                                "  content: differs from the config; `scpctl apply` would update it"
                            )?;
                        } else {
                            outln!("  content: differs from the config (apply leaves this policy alone: it was not created by scpctl)")?;
                        }
                        for c in &added {
                            outln!("    + {c}  (in the config, not deployed)")?;
                        }
                        for c in &removed {
                            outln!("    - {c}  (deployed, not in the config)")?;
                        }
                        if added.is_empty() && removed.is_empty() {
                            outln!("    (same CIDRs; the statements differ)")?;
                        }
                    }
                    if !description_same {
                        outln!("  description: differs from the config")?;
                    }
                }
            }
        }
        tracing::info!("AWS requests: {}", counter.summary());
        Ok(if in_sync { exit::SUCCESS } else { exit::DRIFT })
    })?
}
