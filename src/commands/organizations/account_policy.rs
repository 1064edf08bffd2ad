//! `plan|apply --kind signin --account-policy`: one account's Sign-In resource permission
//! statements, then console authorization for the account; shown first, asked, read back with
//! GetResourcePolicy. `--prune` deletes the statements scpctl wrote that the config no longer
//! derives: AWS does not say who wrote a statement, so scpctl keeps a ledger per account beside
//! the config (`scpctl_core::signin::plan_statements` explains it), written before each put,
//! after each answer and after each delete.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use scpctl_core::printable::printable;
use scpctl_core::signin::{
    account_statements, arn_matches, plan_statements, principal_of_caller, Ledger,
};
use serde_json::json;

use crate::aws::iam::{assume_role, caller};
use crate::aws::signin::Signin;
use crate::cli::{AccountPolicyArgs, ApplyArgs, Cli, DeployArgs, OutputFormat};
use crate::commands::base::confirm::confirm;
use crate::commands::base::session::{self, block_on};
use crate::exit;
use crate::load::{load, print_warnings_summary, read_text};

use super::signin::CAVEATS;

/// Where the ledger of `account` lives: `.scpctl/signin-statements-ACCOUNT.json` in the
/// config file's directory.
pub fn ledger_path(config: &Path, account: &str) -> PathBuf {
    let dir = match config.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    dir.join(".scpctl")
        .join(format!("signin-statements-{account}.json"))
}

/// The ledger as last written, or an empty one where there is none yet.
fn read_ledger(path: &Path, account: &str) -> Result<Ledger> {
    if std::fs::symlink_metadata(path).is_err() {
        return Ok(Ledger::new(account));
    }
    let text = read_text(path, "Sign-In statement ledger")?;
    Ledger::parse(&text, &path.display().to_string(), account).map_err(anyhow::Error::msg)
}

fn write_ledger(path: &Path, ledger: &Ledger) -> Result<()> {
    crate::outdir::replace_file(path, ledger.to_json().as_bytes())
}

/// `plan` (`apply` is None) or `apply` of the account's statements.
pub fn run(
    cli: &Cli,
    deploy: &DeployArgs,
    flags: &AccountPolicyArgs,
    apply: Option<&ApplyArgs>,
) -> Result<u8> {
    let loaded = load(&cli.config)?;
    print_warnings_summary(&loaded);
    let wanted = account_statements(&loaded.config, &loaded.cidrs.set, flags.all_principals)
        .map_err(crate::problems::Problems)?;
    block_on(async {
        let counter = session::counter();
        let base = session::sdk_config(&deploy.aws).await;
        let me = caller(&base, &counter).await?;
        let account = match deploy.targets.accounts.as_slice() {
            [] => me.account.clone(),
            [one] => one.clone(),
            _ => bail!("--account-policy takes at most one --account"),
        };
        if let Err(why) = scpctl_core::names::check_account_id(&account) {
            bail!("--account {}: {why}", printable(&account));
        }
        let sdk = if account == me.account {
            base
        } else {
            assume_role(&base, &account, &deploy.identity.role_name).await
        };
        let signin = Signin::new(&sdk, &counter);
        let present = signin.statements(&account).await?;
        let enabled = signin.console_authorization(&account).await?;
        let path = ledger_path(&cli.config, &account);
        let before = read_ledger(&path, &account)?;
        let plan = plan_statements(&before, &present, &wanted, flags.prune);
        for c in CAVEATS {
            errln!("warning: {c}")?;
        }
        for (id, s) in &plan.foreign {
            errln!(
                "warning: account {account} holds statement {} that scpctl did not write and the config does not derive: {} (left alone)",
                printable(id),
                printable(&s.to_string())
            )?;
        }
        for (id, s) in &plan.stale {
            errln!(
                "warning: statement {} ({}) was written by scpctl and the config no longer derives it; --prune deletes it",
                printable(id),
                printable(&s.to_string())
            )?;
        }
        let mut changes: Vec<String> = plan
            .puts
            .iter()
            .map(|s| format!("put statement: {s}"))
            .collect();
        changes.extend(
            plan.deletes
                .iter()
                .map(|(id, s)| format!("delete statement {id}: {s}")),
        );
        if !enabled {
            changes.push(format!("enable console authorization for account {account}: from then on its statements decide console sign-in"));
        }
        if cli.output == OutputFormat::Text {
            if changes.is_empty() {
                outln!("No changes: account {account} matches the config.")?;
            } else {
                outln!("{} change(s) in account {account}:", changes.len())?;
                for c in &changes {
                    let sign = if c.starts_with("delete ") { '-' } else { '+' };
                    outln!("  {sign} {}", printable(c))?;
                }
            }
        }
        let apply = apply.filter(|a| !a.dry_run);
        let mut written = false;
        if let Some(args) = apply.filter(|_| !changes.is_empty()) {
            // Enabling console authorization, or deleting a statement that let someone in,
            // restricts sign-in: the caller must stay inside or be exempt.
            let restricts = !enabled || !plan.deletes.is_empty();
            if restricts && args.my_ip.is_none_or(|ip| !loaded.cidrs.set.contains(ip)) {
                let principal = principal_of_caller(&me.arn);
                let exempt = loaded
                    .config
                    .break_glass
                    .principals
                    .iter()
                    .any(|p| arn_matches(p, &principal));
                if !exempt && !args.allow_self_lockout {
                    let what = if enabled {
                        format!("deleting statements of account {account}")
                    } else {
                        format!("enabling console authorization for account {account}")
                    };
                    bail!("refusing {what}: you ({principal}) are no [break_glass] principal and --my-ip is missing or outside the networks; pass --my-ip IP or --allow-self-lockout. Nothing was changed");
                }
            }
            confirm(
                args.yes,
                &format!("Make these {} change(s)?", changes.len()),
            )?;
            let mut ledger = plan.ledger.clone();
            if plan.writes() || ledger != before {
                write_ledger(&path, &ledger)?;
            }
            for s in &plan.puts {
                ledger.record_intent(s);
                write_ledger(&path, &ledger)?;
                let id = signin.put_statement(&account, s).await?;
                ledger.record_answer(s, &id);
                write_ledger(&path, &ledger)?;
                errln!("done: put statement {}: {s}", printable(&id))?;
            }
            for (id, s) in &plan.deletes {
                signin.delete_statement(&account, id).await?;
                ledger.record_deleted(id);
                write_ledger(&path, &ledger)?;
                errln!("done: deleted statement {}: {s}", printable(id))?;
            }
            if !enabled {
                signin.enable_console_authorization(&account).await?;
                errln!("done: console authorization enabled for account {account}")?;
            }
            written = true;
        } else if apply.is_some() && plan.ledger != before {
            // Nothing to change in AWS, but the ledger learned (an adopted put) or forgot (a
            // statement gone) something.
            write_ledger(&path, &plan.ledger)?;
        }
        let policy = if written {
            signin.resource_policy(&account).await?
        } else {
            None
        };
        match cli.output {
            OutputFormat::Json => outln!(
                "{}",
                json!({"account": account, "changes": changes, "resource_policy": policy, "api_calls": counter.snapshot()})
            )?,
            OutputFormat::Text | OutputFormat::Jsonl | OutputFormat::Html => {
                if let Some(p) = &policy {
                    outln!(
                        "Sign-In resource policy of account {account} as AWS holds it:\n{}",
                        serde_json::to_string_pretty(p)?
                    )?;
                }
            }
        }
        tracing::info!("AWS requests: {}", counter.summary());
        Ok(exit::SUCCESS)
    })?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ledger_sits_beside_the_config() {
        assert_eq!(
            ledger_path(Path::new("scpctl.toml"), "111122223333"),
            Path::new("./.scpctl/signin-statements-111122223333.json")
        );
        assert_eq!(
            ledger_path(Path::new("/etc/scp/scpctl.toml"), "111122223333"),
            Path::new("/etc/scp/.scpctl/signin-statements-111122223333.json")
        );
    }
}
