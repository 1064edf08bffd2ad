//! `scpctl exception grant|revoke|list|sweep`: read a user's tags, let the core decide what to
//! write, show it, write it.

use scpctl_core::printable::printable;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, Result};
use aws_config::SdkConfig;
use futures_util::stream::{self, StreamExt};
use scpctl_core::exception::{
    find_tag, inspect, plan_grant, plan_revoke, Date, ExceptionInfo, ExceptionKeys, Grant,
    TagChange,
};
use scpctl_core::plan::TargetId;
use serde::Serialize;
use serde_json::json;

use crate::aws::iam::{assume_role, caller, Iam};
use crate::aws::orgs::Orgs;
use crate::aws::{CallCounter, ACCOUNT_CONCURRENCY};
use crate::cli::{
    AccountArgs, Cli, ExceptionCommand, GrantArgs, ListArgs, OutputFormat, RevokeArgs, SweepArgs,
};
use crate::commands::base::confirm::confirm;
use crate::commands::base::session::{self, block_on};
use crate::exit;
use crate::load::load;

fn today() -> Date {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    Date::from_unix_days((secs / 86_400) as i64)
}

fn keys(cli: &Cli) -> Result<ExceptionKeys> {
    Ok(ExceptionKeys::new(
        &load(&cli.config)?.config.policy.exception_tag,
    ))
}

/// The account the command works in, its IAM client, and the caller.
struct Session {
    account: String,
    caller_arn: String,
    iam: Iam,
}

async fn session(args: &AccountArgs, counter: &CallCounter) -> Result<Session> {
    if let Some(a) = &args.account {
        TargetId::account(a)?;
    }
    let base = session::sdk_config(&args.aws).await;
    let me = caller(&base, counter).await?;
    let (config, account) = match &args.account {
        Some(a) if *a != me.account => (assume_role(&base, a, &args.role_name).await, a.clone()),
        _ => (base, me.account.clone()),
    };
    Ok(Session {
        account,
        caller_arn: me.arn,
        iam: Iam::new(&config, counter),
    })
}

fn not_found(user: &str, account: &str) -> anyhow::Error {
    anyhow!("IAM user {user:?} not found in account {account}; nothing was written")
}

fn describe_change(user: &str, change: &TagChange) -> String {
    let mut parts: Vec<String> = change
        .set
        .iter()
        .map(|(k, v)| format!("set {}={}", printable(k), printable(v)))
        .collect();
    parts.extend(
        change
            .remove
            .iter()
            .map(|k| format!("remove {}", printable(k))),
    );
    format!("user {}: {}", printable(user), parts.join(", "))
}

fn print_change(
    cli: &Cli,
    user: &str,
    account: &str,
    change: &TagChange,
    done: &str,
) -> std::io::Result<()> {
    let set: serde_json::Map<String, serde_json::Value> = change
        .set
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    match cli.output {
        OutputFormat::Json => outln!(
            "{}",
            json!({"user": user, "account": account, "changed": !change.is_empty(), "set": set, "removed": change.remove})
        ),
        OutputFormat::Text | OutputFormat::Jsonl | OutputFormat::Html => outln!("{done}"),
    }?;
    Ok(())
}

/// Read one user's tags, let `decide` (the core) compute the change, show it, write it.
/// `nothing` and `done` word the outcome, given the account.
fn change_user_tags(
    cli: &Cli,
    account: &AccountArgs,
    user: &str,
    decide: impl FnOnce(&[(String, String)], &str) -> Result<TagChange>,
    nothing: impl FnOnce(&str) -> String,
    done: impl FnOnce(&str, &[(String, String)]) -> String,
) -> Result<u8> {
    block_on(async {
        let counter = session::counter();
        let s = session(account, &counter).await?;
        let tags = s
            .iam
            .user_tags(user)
            .await?
            .ok_or_else(|| not_found(user, &s.account))?;
        let change = decide(&tags, &s.caller_arn)?;
        if change.is_empty() {
            print_change(cli, user, &s.account, &change, &nothing(&s.account))?;
            return Ok(exit::SUCCESS);
        }
        errln!("about to change {}", describe_change(user, &change))?;
        s.iam.write(user, &change).await?;
        print_change(cli, user, &s.account, &change, &done(&s.account, &tags))?;
        Ok(exit::SUCCESS)
    })?
}

fn grant(cli: &Cli, args: &GrantArgs) -> Result<u8> {
    let keys = keys(cli)?;
    let today = today();
    let expires = args
        .expires
        .as_deref()
        .map(|e| Date::parse_expires(e, today))
        .transpose()?;
    let user = &args.user;
    change_user_tags(
        cli,
        &args.account,
        user,
        |tags, caller_arn| {
            let grant = Grant {
                reason: args.reason.clone(),
                expires,
                granted_by: caller_arn.to_string(),
                today,
            };
            Ok(plan_grant(user, tags, &keys, &grant)?)
        },
        |account| {
            format!("{user} already holds this exception in account {account}; nothing to do")
        },
        |account, before| {
            // The key in the spelling the user had: TagUser replaced it (keys ignore case).
            let key = find_tag(before, &keys.exception).map_or(keys.exception.as_str(), |(k, _)| k);
            format!(
                "granted: {user} in account {account} is tagged {key}={}",
                keys.value
            )
        },
    )
}

fn revoke(cli: &Cli, args: &RevokeArgs) -> Result<u8> {
    let keys = keys(cli)?;
    let user = &args.user;
    change_user_tags(
        cli,
        &args.account,
        user,
        |tags, _| Ok(plan_revoke(tags, &keys)),
        |account| format!("{user} holds no exception in account {account}; nothing to do"),
        |account, _| format!("revoked: {user} in account {account}"),
    )
}

#[derive(Debug, Serialize)]
struct Row {
    user: String,
    account: String,
    #[serde(flatten)]
    info: ExceptionInfo,
    #[serde(skip)]
    tags: Vec<(String, String)>,
}

async fn rows_in(
    iam: &Iam,
    account: &str,
    keys: &ExceptionKeys,
    concurrency: usize,
) -> Result<Vec<Row>> {
    let today = today();
    Ok(iam
        .all_user_tags(account, concurrency)
        .await?
        .into_iter()
        .filter_map(|(user, tags)| {
            inspect(&tags, keys, today).map(|info| Row {
                user,
                account: account.to_string(),
                info,
                tags,
            })
        })
        .collect())
}

/// Every active account: the caller's own with its credentials, the others through AssumeRole,
/// a few at a time. An account that fails is reported and skipped.
async fn rows_all_accounts(
    args: &ListArgs,
    keys: &ExceptionKeys,
    counter: &CallCounter,
) -> Result<Vec<Row>> {
    let base = session::sdk_config(&args.account.aws).await;
    let me = caller(&base, counter).await?;
    let accounts = Orgs::new(&base, counter, 1).active_accounts().await?;
    let bar = crate::progress::bar(accounts.len(), "accounts");
    let results: Vec<(String, Result<Vec<Row>>)> = stream::iter(accounts)
        .map(|(account, _name)| {
            let (base, me, bar) = (&base, &me, &bar);
            async move {
                let config: SdkConfig = if account == me.account {
                    base.clone()
                } else {
                    assume_role(base, &account, &args.account.role_name).await
                };
                let iam = Iam::new(&config, counter);
                let rows = rows_in(&iam, &account, keys, args.concurrency.into()).await;
                bar.inc(1);
                (account, rows)
            }
        })
        .buffer_unordered(ACCOUNT_CONCURRENCY)
        .collect()
        .await;
    bar.finish_and_clear();
    let mut rows = Vec::new();
    for (account, result) in results {
        match result {
            Ok(r) => rows.extend(r),
            Err(e) => errln!(
                "warning: account {account} skipped: cannot list its users through role {}: {}",
                args.account.role_name,
                format!("{e:#}").lines().next().unwrap_or_default()
            )?,
        }
    }
    rows.sort_by(|a, b| (&a.account, &a.user).cmp(&(&b.account, &b.user)));
    Ok(rows)
}

fn print_rows(cli: &Cli, rows: &[Row], keys: &ExceptionKeys) -> std::io::Result<()> {
    match cli.output {
        OutputFormat::Json => outln!("{}", serde_json::to_string(rows).expect("rows serialise"))?,
        OutputFormat::Text | OutputFormat::Jsonl | OutputFormat::Html => {
            if rows.is_empty() {
                outln!(
                    "No IAM user holds an exception ({}={}).",
                    keys.exception,
                    keys.value
                )?;
            }
            for r in rows {
                let state = match (r.info.granted, r.info.expired) {
                    (false, _) => "NOT GRANTED",
                    (true, true) => "EXPIRED",
                    (true, false) => "granted",
                };
                let mut line =
                    format!("{}  {}  {state}", printable(&r.account), printable(&r.user));
                if let Some(e) = &r.info.expires {
                    line += &format!("  expires {}", printable(&e.to_string()));
                }
                if let Some(reason) = &r.info.reason {
                    line += &format!("  reason {reason:?}");
                }
                if let Some(by) = &r.info.granted_by {
                    line += &format!("  by {}", printable(by));
                }
                outln!("{line}")?;
            }
            for r in rows {
                if let Some(w) = &r.info.warning {
                    errln!(
                        "warning: {} in account {}: {}",
                        printable(&r.user),
                        printable(&r.account),
                        printable(&w.to_string())
                    )?;
                }
            }
        }
    }
    Ok(())
}

fn list(cli: &Cli, args: &ListArgs) -> Result<u8> {
    let keys = keys(cli)?;
    block_on(async {
        let counter = session::counter();
        let rows = if args.all_accounts {
            rows_all_accounts(args, &keys, &counter).await?
        } else {
            let s = session(&args.account, &counter).await?;
            rows_in(&s.iam, &s.account, &keys, args.concurrency.into()).await?
        };
        print_rows(cli, &rows, &keys)?;
        tracing::info!("AWS requests: {}", counter.summary());
        Ok(exit::SUCCESS)
    })?
}

fn sweep(cli: &Cli, args: &SweepArgs) -> Result<u8> {
    let keys = keys(cli)?;
    block_on(async {
        let counter = session::counter();
        let s = session(&args.account, &counter).await?;
        let expired: Vec<Row> = rows_in(&s.iam, &s.account, &keys, 8)
            .await?
            .into_iter()
            .filter(|r| r.info.expired)
            .collect();
        let changes: Vec<(String, TagChange)> = expired
            .iter()
            .map(|r| (r.user.clone(), plan_revoke(&r.tags, &keys)))
            .collect();
        for (user, change) in &changes {
            errln!(
                "will revoke the expired exception of {}",
                describe_change(user, change)
            )?;
        }
        let users: Vec<&str> = changes.iter().map(|(u, _)| u.as_str()).collect();
        if changes.is_empty() || args.dry_run {
            if changes.is_empty() {
                errln!("no expired exception in account {}", s.account)?;
            }
            if cli.output == OutputFormat::Json {
                outln!(
                    "{}",
                    json!({"account": s.account, "revoked": [], "expired": users})
                )?;
            }
            return Ok(exit::SUCCESS);
        }
        confirm(
            args.yes,
            &format!("Revoke {} expired exception(s)?", changes.len()),
        )?;
        let mut revoked = Vec::new();
        for (user, change) in &changes {
            s.iam.write(user, change).await.map_err(|e| {
                anyhow!("{e:#}\n  revoked before the failure: {revoked:?}; re-run to finish")
            })?;
            revoked.push(user.clone());
        }
        match cli.output {
            OutputFormat::Json => outln!(
                "{}",
                json!({"account": s.account, "revoked": revoked, "expired": users})
            ),
            OutputFormat::Text | OutputFormat::Jsonl | OutputFormat::Html => outln!(
                "revoked {} expired exception(s): {}",
                revoked.len(),
                revoked.join(", ")
            ),
        }?;
        Ok(exit::SUCCESS)
    })?
}

pub fn run(cli: &Cli, command: &ExceptionCommand) -> Result<u8> {
    match command {
        ExceptionCommand::Grant(a) => grant(cli, a),
        ExceptionCommand::Revoke(a) => revoke(cli, a),
        ExceptionCommand::List(a) => list(cli, a),
        ExceptionCommand::Sweep(a) => sweep(cli, a),
    }
}
