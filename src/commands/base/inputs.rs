//! What the commands that replay CloudTrail (impact's two engines, denials, rollout next) read
//! before the replay: account ids from flags, the tags (a file or IAM) and the management
//! account (Organizations).

use anyhow::{bail, Context, Result};
use scpctl_core::config::Config;
use scpctl_core::impact::TagSource;

use crate::cli::ImpactArgs;
use crate::commands::base::session;
use crate::load::read_text;

/// An account id from `flag`, checked (the message names the flag and the value).
pub fn twelve_digits(flag: &str, v: &str) -> Result<String> {
    match scpctl_core::names::check_account_id(v) {
        Ok(()) => Ok(v.to_string()),
        Err(_) => bail!("{flag} {v:?}: an AWS account id is 12 digits"),
    }
}

/// `--tags-file`: `{"<principal ARN>": {"<key>": "<value>"}}`.
pub fn read_tags(path: &std::path::Path) -> Result<TagSource> {
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
pub fn lookup_management(args: &ImpactArgs) -> Result<String> {
    session::block_on(async {
        let (orgs, _) = session::connect(&args.aws, 1).await;
        orgs.management_account().await
    })?
}

/// `--tags-from-iam`: users' tags in the caller's account and each `--account` (through
/// `--role-name`), one GetAccountAuthorizationDetails page at a time.
pub fn tags_from_iam(args: &ImpactArgs) -> Result<TagSource> {
    let accounts: Vec<String> = args
        .accounts
        .iter()
        .map(|a| twelve_digits("--account", a))
        .collect::<Result<_>>()?;
    session::block_on(async {
        let counter = session::counter();
        let base = session::sdk_config(&args.aws).await;
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

/// The tags of both engines: `--tags-file`, `--tags-from-iam`, `--assume-excepted`, or none.
pub fn tag_source(args: &ImpactArgs, config: &Config) -> Result<TagSource> {
    Ok(if let Some(path) = &args.tags_file {
        read_tags(path)?
    } else if args.tags_from_iam {
        tags_from_iam(args)?
    } else if args.assume_excepted {
        let t = &config.policy.exception_tag;
        TagSource::AssumeExcepted {
            key: t.key.clone(),
            value: t.value.clone(),
        }
    } else {
        TagSource::Untagged
    })
}
