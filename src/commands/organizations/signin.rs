//! The console sign-in half of `plan`/`apply`/`status`/`destroy --kind signin`: console
//! authorization (AWS Sign-In) and the guards run before it is enabled. The RCP itself goes
//! through the same Organizations planner as the SCP (`deploy.rs`); the account-level
//! statements are `account_policy.rs`'s.

use scpctl_core::printable::printable;
use std::sync::Arc;

use anyhow::{bail, Result};
use aws_config::SdkConfig;
use scpctl_core::cidr::CidrSet;
use scpctl_core::config::Config;
use scpctl_core::eval::{CompiledPolicy, PolicySet, PolicyType};
use scpctl_core::plan::{Change, OrgPolicyType, Plan, TargetId};
use scpctl_core::signin::{
    arn_matches, break_glass_kind, judge_break_glass, principal_of_caller, BreakGlassKind,
};

use crate::aws::iam::{assume_role, caller, Iam};
use crate::aws::orgs::Orgs;
use crate::aws::signin::Signin;
use crate::aws::CallCounter;
use crate::cli::ApplyArgs;
use crate::commands::base::org_policies::{self, OrgPolicies};
use crate::commands::base::policies::Attached;

/// What every signin plan says, whatever the changes.
pub const CAVEATS: [&str; 2] = [
    "console access through the IAM Identity Center portal is blocked by network-restricted Sign-In policies: Identity Center users outside the networks lose the portal's console access",
    "`aws login` and other OAuth clients (signin:AuthorizeOAuth2Access, signin:CreateOAuth2Token) that refresh tokens from outside the networks will fail for the principals the policy reaches",
];

/// The organization id and whether console authorization is on for it.
pub async fn observe_console(orgs: &Orgs, signin: &Signin) -> Result<(String, bool)> {
    let org = orgs.organization_id().await?;
    let enabled = signin.console_authorization(&org).await?;
    Ok((org, enabled))
}

/// Carry out the Sign-In changes of a plan (after the Organizations ones).
pub async fn execute_console(signin: &Signin, plan: &Plan) -> Result<usize> {
    let mut done = 0;
    for c in &plan.changes {
        match c {
            Change::EnableConsoleAuthorization { organization } => {
                signin.enable_console_authorization(organization).await?
            }
            Change::DisableConsoleAuthorization { organization } => {
                signin.disable_console_authorization(organization).await?
            }
            _ => continue,
        }
        errln!("done: {}", printable(&c.to_string()))?;
        done += 1;
    }
    Ok(done)
}

/// The guards before console authorization is enabled: every break-glass principal must
/// still be able to sign in under the SCPs and RCPs in force (with this RCP added to the
/// targets), and the caller must be inside the networks or break-glass. Refusals name the
/// principal, phase, action and the policy and statement that deny. scpctl's own RCP is
/// evaluated with its new content everywhere: where it is attached already and at the targets.
/// A break-glass IAM user named exactly is judged with its tags, read in its account
/// (`--role-name` for a member account); a pattern over users is judged without tags.
/// `--allow-break-glass-denial` waives the break-glass refusals, `--allow-self-lockout` the
/// caller's own.
#[allow(clippy::too_many_arguments)]
pub async fn guard(
    sdk: &SdkConfig,
    counter: &CallCounter,
    orgs: &Orgs,
    config: &Config,
    cidrs: &CidrSet,
    rcp: (&str, &str),
    targets: &[TargetId],
    apply: &ApplyArgs,
) -> Result<()> {
    let mut mine = Vec::new();
    let mut break_glass = Vec::new();
    // The caller.
    let me = caller(sdk, counter).await?;
    let principal = principal_of_caller(&me.arn);
    let exempt = config
        .break_glass
        .principals
        .iter()
        .any(|p| arn_matches(p, &principal));
    if !exempt {
        match apply.my_ip {
            None => mine.push(format!(
                "you ({principal}) are no [break_glass] principal and --my-ip was not given: pass your public address as AWS sees it (--my-ip IP) so scpctl can check you stay inside the networks"
            )),
            Some(ip) if !cidrs.contains(ip) => mine.push(format!(
                "your address {ip} is outside the networks and you ({principal}) are no [break_glass] principal: once console authorization is on, your console sign-in from there would be refused"
            )),
            Some(_) => {}
        }
    }
    if config.break_glass.principals.is_empty() {
        errln!("warning: [break_glass] lists no principal: nobody is exempt from the networks")?;
    }
    // The policies in force, read once per level.
    let management = orgs.management_account().await?;
    let root = orgs.root_target().await?;
    let ours = Arc::new(compile(rcp.1, PolicyType::Rcp, rcp.0)?);
    // Each target's policies listed once, each policy described and compiled once.
    let in_force = OrgPolicies::new(orgs.clone(), 4);
    let outside = cidrs
        .example_outside_v4()
        .map_or_else(|| "198.51.100.7".to_string(), |a| a.to_string());
    for bg in &config.break_glass.principals {
        let account = bg.split(':').nth(4).unwrap_or("*");
        let chains: Vec<Vec<String>> = if account.len() == 12 && !account.contains(['*', '?']) {
            if account == management {
                errln!("note: {bg} is in the management account, which SCPs and RCPs never reach")?;
                continue;
            }
            let mut chain: Vec<String> = orgs.ancestors(account).await?;
            chain.reverse();
            chain.push(account.to_string());
            vec![chain]
        } else {
            // A pattern over accounts: every target's own chain stands for them.
            let mut chains = Vec::new();
            for t in targets {
                let mut chain = match t {
                    TargetId::Root(_) => vec![],
                    _ => orgs.ancestors(t.as_str()).await?,
                };
                chain.reverse();
                chain.push(t.as_str().to_string());
                chains.push(chain);
            }
            if chains.is_empty() {
                chains.push(vec![root.as_str().to_string()]);
            }
            chains
        };
        let tags = match break_glass_kind(bg) {
            BreakGlassKind::ExactUser { account, name } => {
                let role = &apply.deploy.identity.role_name;
                match break_glass_tags(sdk, counter, &me.account, account, name, role).await {
                    Ok(Some(tags)) => tags,
                    Ok(None) => {
                        break_glass.push(format!(
                            "break-glass IAM user {name} does not exist in account {account} (IAM ListUserTags: NoSuchEntity): nobody can sign in as {bg}"
                        ));
                        continue;
                    }
                    Err(e) => {
                        break_glass.push(format!(
                            "the tags of break-glass IAM user {name} in account {account} could not be read, so its console sign-in cannot be judged: {e:#}"
                        ));
                        continue;
                    }
                }
            }
            BreakGlassKind::UserPattern => {
                errln!("note: {bg} is a pattern over IAM users: their tags are not read, so it is judged as an untagged user")?;
                Vec::new()
            }
            BreakGlassKind::Other => Vec::new(),
        };
        for chain in chains {
            let mut set = PolicySet::new();
            let mut rcp_levels = Vec::new();
            for level in &chain {
                let scps = in_force
                    .level(level, OrgPolicyType::ServiceControl)
                    .await
                    .map_err(cannot_prove)?;
                let rcps = in_force
                    .level(level, OrgPolicyType::ResourceControl)
                    .await
                    .map_err(cannot_prove)?;
                if !scps.is_empty() {
                    set.add_shared_level(level.clone(), true, scps);
                }
                let target = targets.iter().any(|t| t.as_str() == level);
                let rcps = after_apply(rcps, rcp.0, &ours, target);
                rcp_levels.push((format!("{level} (RCPs)"), rcps));
            }
            // RCPFullAWSAccess can never be detached: RCP levels add denies, never an
            // implicit deny.
            for (name, rcps) in rcp_levels {
                set.add_shared_level(name, false, rcps);
            }
            break_glass.extend(judge_break_glass(
                &set,
                bg,
                &tags,
                &outside,
                crate::aws::signin::SIGNIN_REGION,
            ));
        }
    }
    break_glass.dedup();
    let refusals = [
        (
            break_glass,
            apply.allow_break_glass_denial,
            "--allow-break-glass-denial",
            "Fix the policies, grant the exception tag to the break-glass IAM user, or pass --allow-break-glass-denial",
        ),
        (
            mine,
            apply.allow_self_lockout,
            "--allow-self-lockout",
            "Pass --my-ip with an address inside the networks, deploy as a break-glass principal, or pass --allow-self-lockout",
        ),
    ];
    let mut refused = Vec::new();
    let mut fixes = Vec::new();
    for (problems, allowed, flag, fix) in refusals {
        if problems.is_empty() {
            continue;
        }
        if allowed {
            for p in &problems {
                errln!("warning: {p} (deploying anyway: {flag})")?;
            }
        } else {
            refused.extend(problems);
            fixes.push(fix);
        }
    }
    if refused.is_empty() {
        return Ok(());
    }
    bail!(
        "refusing to enable console authorization: once it is on, every SCP and RCP that denies the Sign-In actions applies to console sign-in too:\n  - {}\n  {}. Nothing was changed",
        refused.join("\n  - "),
        fixes.join("; ")
    )
}

/// A break-glass IAM user's tags, read in its account: directly in the caller's own, through
/// `role` elsewhere. `None`: no such user.
async fn break_glass_tags(
    sdk: &SdkConfig,
    counter: &CallCounter,
    own_account: &str,
    account: &str,
    name: &str,
    role: &str,
) -> Result<Option<Vec<(String, String)>>> {
    if account == own_account {
        return Iam::new(sdk, counter).user_tags(name).await;
    }
    let member = assume_role(sdk, account, role).await;
    Iam::new(&member, counter)
        .user_tags(name)
        .await
        .map_err(|e| anyhow::anyhow!("{e:#} (read through role {role} in account {account})"))
}

/// The RCPs of one level once apply is done: scpctl's own (the same name) carries the new
/// content wherever it is already attached (apply updates it there too), and is attached at
/// the targets of this run.
fn after_apply(
    mut rcps: Attached,
    name: &str,
    ours: &Arc<CompiledPolicy>,
    target: bool,
) -> Attached {
    let attached = rcps.iter().any(|(n, _)| n == name);
    rcps.retain(|(n, _)| n != name);
    if attached || target {
        rcps.push((name.to_string(), ours.clone()));
    }
    rcps
}

fn cannot_prove(e: anyhow::Error) -> anyhow::Error {
    anyhow::anyhow!("{e:#}; scpctl cannot prove the break-glass principals keep console access")
}

fn compile(content: &str, kind: PolicyType, name: &str) -> Result<CompiledPolicy> {
    org_policies::compile(content, kind, name).map_err(cannot_prove)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAME: &str = "RestrictConsoleSignInToExpectedNetworks";

    fn rcp(text: &str) -> Arc<CompiledPolicy> {
        let doc = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"{text}","Effect":"Deny","Principal":"*","Action":"signin:Authenticate","Resource":"*"}}]}}"#
        );
        Arc::new(compile(&doc, PolicyType::Rcp, text).unwrap())
    }

    fn names(rcps: &Attached, ours: &Arc<CompiledPolicy>) -> Vec<String> {
        rcps.iter()
            .map(|(n, p)| match Arc::ptr_eq(p, ours) {
                true => format!("{n} (new)"),
                false => n.clone(),
            })
            .collect()
    }

    #[test]
    fn the_own_rcp_has_the_new_content_wherever_it_is_and_is_added_at_the_targets() {
        let ours = rcp("New");
        let level = || -> Attached {
            vec![
                ("RCPFullAWSAccess".into(), rcp("Full")),
                (NAME.into(), rcp("Old")),
            ]
        };
        // Attached already, not a target of this run: the old content is replaced all the same.
        let out = after_apply(level(), NAME, &ours, false);
        assert_eq!(
            names(&out, &ours),
            ["RCPFullAWSAccess", &format!("{NAME} (new)")]
        );
        // Attached already and a target: once, with the new content.
        let out = after_apply(level(), NAME, &ours, true);
        assert_eq!(
            names(&out, &ours),
            ["RCPFullAWSAccess", &format!("{NAME} (new)")]
        );
        // Not attached: added at a target only.
        let bare = || -> Attached { vec![("RCPFullAWSAccess".into(), rcp("Full"))] };
        assert_eq!(
            names(&after_apply(bare(), NAME, &ours, true), &ours),
            ["RCPFullAWSAccess", &format!("{NAME} (new)")]
        );
        assert_eq!(
            names(&after_apply(bare(), NAME, &ours, false), &ours),
            ["RCPFullAWSAccess"]
        );
    }
}
