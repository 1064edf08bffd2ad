//! IAM and STS: user tags (exceptions), the caller's identity, and credentials for a member
//! account through AssumeRole. Which tags to write is the core's decision
//! (`scpctl_core::exception`); this file only calls.

use anyhow::{anyhow, Result};
use aws_config::sts::AssumeRoleProvider;
use aws_config::SdkConfig;
use aws_sdk_iam::types::Tag;
use aws_sdk_iam::Client;
use aws_sdk_organizations::config::SharedCredentialsProvider;
use futures_util::stream::{self, StreamExt};
use scpctl_core::exception::TagChange;
use scpctl_core::tags::same_key;

use super::{error_code, CallCounter};

pub type Tags = Vec<(String, String)>;

/// An SDK error in a few lines (see `aws::explain`).
fn failed<E, R>(
    what: &str,
    err: aws_smithy_runtime_api::client::result::SdkError<E, R>,
) -> anyhow::Error
where
    E: aws_sdk_iam::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    super::explain(what, &err)
}

/// Who is calling: the ARN recorded as the granter, and the account.
pub struct Caller {
    pub arn: String,
    pub account: String,
}

pub async fn caller(config: &SdkConfig, counter: &CallCounter) -> Result<Caller> {
    let conf = aws_sdk_sts::config::Builder::from(config)
        .interceptor(counter.clone())
        .retry_classifier(super::ConnectionRetries::shared())
        .build();
    let out = aws_sdk_sts::Client::from_conf(conf)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| super::explain("cannot tell who is calling (STS GetCallerIdentity)", &e))?;
    Ok(Caller {
        arn: out.arn().unwrap_or_default().to_string(),
        account: out.account().unwrap_or_default().to_string(),
    })
}

/// The same config with credentials of `role` in `account`, obtained through STS AssumeRole
/// from the base credentials (lazily, at the first call).
pub async fn assume_role(base: &SdkConfig, account: &str, role: &str) -> SdkConfig {
    let provider = AssumeRoleProvider::builder(format!("arn:aws:iam::{account}:role/{role}"))
        .session_name("scpctl")
        .configure(base)
        .build()
        .await;
    base.to_builder()
        .credentials_provider(SharedCredentialsProvider::new(provider))
        .build()
}

pub struct Iam {
    client: Client,
}

impl Iam {
    pub fn new(config: &SdkConfig, counter: &CallCounter) -> Iam {
        let conf = aws_sdk_iam::config::Builder::from(config)
            .interceptor(counter.clone())
            .retry_classifier(super::ConnectionRetries::shared())
            .build();
        Iam {
            client: Client::from_conf(conf),
        }
    }

    /// The user's tags; `None` if the user does not exist.
    pub async fn user_tags(&self, user: &str) -> Result<Option<Tags>> {
        let mut tags = Vec::new();
        let mut pages = self
            .client
            .list_user_tags()
            .user_name(user)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            match page {
                Ok(p) => tags.extend(
                    p.tags()
                        .iter()
                        .map(|t| (t.key().to_string(), t.value().to_string())),
                ),
                Err(e) if error_code(&e) == Some("NoSuchEntity") => return Ok(None),
                Err(e) => return Err(failed(&format!("ListUserTags {user}"), e)),
            }
        }
        Ok(Some(tags))
    }

    /// Set (one `TagUser`, which replaces keys matching ignoring case), then remove: a crash
    /// in between leaves the exception granted with a stale companion at worst, and re-running
    /// the command finishes it. The core never removes a key matching one it sets (in IAM that
    /// would delete what was just written); this refuses such a change rather than send it.
    pub async fn write(&self, user: &str, change: &TagChange) -> Result<()> {
        if let Some(k) = change
            .remove
            .iter()
            .find(|r| change.set.iter().any(|(k, _)| same_key(k, r)))
        {
            return Err(anyhow!(
                "internal: refusing to untag {k:?} from {user} while setting it (IAM tag keys ignore case); nothing was written"
            ));
        }
        if !change.set.is_empty() {
            let tags: Vec<Tag> = change
                .set
                .iter()
                .map(|(k, v)| Tag::builder().key(k).value(v).build())
                .collect::<Result<_, _>>()
                .map_err(|e| anyhow!("{e}"))?;
            self.client
                .tag_user()
                .user_name(user)
                .set_tags(Some(tags))
                .send()
                .await
                .map_err(|e| failed(&format!("TagUser {user}"), e))?;
        }
        if !change.remove.is_empty() {
            self.client
                .untag_user()
                .user_name(user)
                .set_tag_keys(Some(change.remove.clone()))
                .send()
                .await
                .map_err(|e| failed(&format!("UntagUser {user}"), e))?;
        }
        Ok(())
    }

    /// Every user with its tags. ListUsers does not return tags, so they are read per user,
    /// `concurrency` at a time; a user deleted in between is left out.
    pub async fn all_user_tags(&self, concurrency: usize) -> Result<Vec<(String, Tags)>> {
        let mut users = Vec::new();
        let mut pages = self.client.list_users().into_paginator().items().send();
        while let Some(user) = pages.next().await {
            users.push(
                user.map_err(|e| failed("ListUsers", e))?
                    .user_name()
                    .to_string(),
            );
        }
        let results: Vec<(String, Result<Option<Tags>>)> = stream::iter(users)
            .map(|user| async move {
                let tags = self.user_tags(&user).await;
                (user, tags)
            })
            .buffered(concurrency.max(1))
            .collect()
            .await;
        let mut out = Vec::new();
        for (user, tags) in results {
            if let Some(tags) = tags? {
                out.push((user, tags));
            }
        }
        Ok(out)
    }

    /// The ARNs of every role and user of the account (ListRoles, ListUsers, paginated).
    pub async fn role_and_user_arns(&self) -> Result<Vec<String>> {
        let mut arns = Vec::new();
        let mut roles = self.client.list_roles().into_paginator().items().send();
        while let Some(role) = roles.next().await {
            arns.push(role.map_err(|e| failed("ListRoles", e))?.arn().to_string());
        }
        let mut users = self.client.list_users().into_paginator().items().send();
        while let Some(user) = users.next().await {
            arns.push(user.map_err(|e| failed("ListUsers", e))?.arn().to_string());
        }
        Ok(arns)
    }

    /// Every user's ARN and tags in one call per page: GetAccountAuthorizationDetails with
    /// Filter=User (needs `iam:GetAccountAuthorizationDetails`). IAM may return fewer than
    /// MaxItems and sets IsTruncated with a Marker: follow it to the end.
    pub async fn users_with_tags(&self) -> Result<Vec<(String, Tags)>> {
        let mut out = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let page = self
                .client
                .get_account_authorization_details()
                .filter(aws_sdk_iam::types::EntityType::User)
                .max_items(1000)
                .set_marker(marker.take())
                .send()
                .await
                .map_err(|e| failed("GetAccountAuthorizationDetails", e))?;
            for u in page.user_detail_list() {
                if let Some(arn) = u.arn() {
                    let tags = u
                        .tags()
                        .iter()
                        .map(|t| (t.key().to_string(), t.value().to_string()))
                        .collect();
                    out.push((arn.to_string(), tags));
                }
            }
            match page.marker() {
                Some(m) if page.is_truncated() && !m.is_empty() => marker = Some(m.to_string()),
                _ => return Ok(out),
            }
        }
    }
}
