//! IAM and STS: user tags (exceptions), the caller's identity, and credentials for a member
//! account through AssumeRole. Which tags to write is the core's decision
//! (`scpctl_core::exception`); this file only calls.

use anyhow::{anyhow, Result};
use aws_config::sts::AssumeRoleProvider;
use aws_config::SdkConfig;
use aws_sdk_iam::types::{EntityType, Tag};
use aws_sdk_iam::Client;
use aws_sdk_organizations::config::SharedCredentialsProvider;
use futures_util::stream::{self, StreamExt};
use scpctl_core::exception::TagChange;
use scpctl_core::tags::same_key;

use super::{error_code, CallCounter};

pub type Tags = Vec<(String, String)>;

/// One user as GetAccountAuthorizationDetails lists it.
struct UserWithTags {
    name: String,
    arn: String,
    tags: Tags,
}

/// IAM's largest page of GetAccountAuthorizationDetails (`MaxItems`, 1 to 1,000).
const GAAD_MAX_ITEMS: i32 = 1000;
/// The codes IAM answers a call the caller may not make with (the query protocol's
/// `AccessDenied`; `AccessDeniedException` in case of a JSON endpoint in front).
const DENIED: [&str; 2] = ["AccessDenied", "AccessDeniedException"];

/// An SDK error in a few lines (see `aws::explain`).
fn failed<E>(
    what: &str,
    err: aws_smithy_runtime_api::client::result::SdkError<E, super::Raw>,
) -> anyhow::Error
where
    E: aws_sdk_iam::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
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

    /// Every user of the account with its tags, a page of up to 1,000 users per call
    /// (GetAccountAuthorizationDetails). Where that is denied, `ListUsers` and one
    /// `ListUserTags` per user, `concurrency` at a time, as said at `-v`. `account` names the
    /// account in that message.
    pub async fn all_user_tags(
        &self,
        account: &str,
        concurrency: usize,
    ) -> Result<Vec<(String, Tags)>> {
        match self.user_tags_by_page().await? {
            Some(users) => Ok(users.into_iter().map(|u| (u.name, u.tags)).collect()),
            None => {
                tracing::info!(
                    "account {account}: iam:GetAccountAuthorizationDetails is denied (AccessDenied); \
                     reading tags with one ListUserTags call per user instead (allow it for one call per 1,000 users)"
                );
                self.user_tags_one_by_one(concurrency).await
            }
        }
    }

    /// Every user with its tags through GetAccountAuthorizationDetails (`Filter=User`), following
    /// `Marker` while `IsTruncated`: IAM returns at most `MaxItems` (1 to 1,000; 100 by default)
    /// and may return fewer even when more follow (IAM API reference,
    /// GetAccountAuthorizationDetails). `None` where the caller may not call it (AccessDenied).
    async fn user_tags_by_page(&self) -> Result<Option<Vec<UserWithTags>>> {
        let mut users = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let page = match self
                .client
                .get_account_authorization_details()
                .filter(EntityType::User)
                .max_items(GAAD_MAX_ITEMS)
                .set_marker(marker.clone())
                .send()
                .await
            {
                Ok(page) => page,
                Err(e) if matches!(error_code(&e), Some(c) if DENIED.contains(&c)) => {
                    return Ok(None)
                }
                Err(e) => return Err(failed("GetAccountAuthorizationDetails", e)),
            };
            for user in page.user_detail_list() {
                let (Some(name), Some(arn)) = (user.user_name(), user.arn()) else {
                    continue;
                };
                let tags = user
                    .tags()
                    .iter()
                    .map(|t| (t.key().to_string(), t.value().to_string()))
                    .collect();
                users.push(UserWithTags {
                    name: name.to_string(),
                    arn: arn.to_string(),
                    tags,
                });
            }
            if !page.is_truncated() {
                return Ok(Some(users));
            }
            match page.marker() {
                Some(next) if marker.as_deref() != Some(next) => marker = Some(next.to_string()),
                next => {
                    return Err(anyhow!(
                        "GetAccountAuthorizationDetails said more users follow but gave {} marker after {} users; \
                         nothing was written",
                        next.map_or("no".to_string(), |m| format!("the same {m:?}")),
                        users.len()
                    ))
                }
            }
        }
    }

    /// Every user with its tags, one `ListUserTags` per user (ListUsers does not return tags),
    /// `concurrency` at a time; a user deleted in between is left out.
    async fn user_tags_one_by_one(&self, concurrency: usize) -> Result<Vec<(String, Tags)>> {
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

    /// Every user's ARN and tags, a page at a time (see `user_tags_by_page`); `impact
    /// --tags-from-iam` needs `iam:GetAccountAuthorizationDetails`, and says so when denied.
    pub async fn users_with_tags(&self) -> Result<Vec<(String, Tags)>> {
        match self.user_tags_by_page().await? {
            Some(users) => Ok(users.into_iter().map(|u| (u.arn, u.tags)).collect()),
            None => Err(anyhow!(
                "GetAccountAuthorizationDetails is denied: --tags-from-iam reads users' tags with it; allow iam:GetAccountAuthorizationDetails (in IAMReadOnlyAccess and SecurityAudit) or pass --tags-file"
            )),
        }
    }
}
