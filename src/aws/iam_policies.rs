//! IAM for the identity-based fallback: read the managed policy, the requested users, groups
//! and roles and the account's quotas into the core's plain structs, and execute the core's
//! changes. No policy logic: `scpctl_core::identity_plan` decides. Every write is safe to
//! repeat: a policy that already exists, or a version, attachment or inline policy already
//! gone, counts as done, so a re-run after a crash converges.

use std::collections::BTreeMap;

use anyhow::Result;
use aws_config::SdkConfig;
use aws_sdk_iam::primitives::DateTimeFormat;
use aws_sdk_iam::types::{EntityType, Tag};
use aws_sdk_iam::Client;
use aws_smithy_runtime_api::client::result::SdkError;
use scpctl_core::iam_doc::{decode_document, service_principals, Quotas};
use scpctl_core::identity_plan::{
    Entity, EntityKind, ObservedEntity, ObservedManaged, PolicyVersion,
};
use scpctl_core::plan::{MANAGED_TAG_KEY, MANAGED_TAG_VALUE};

use super::{error_code, CallCounter};

mod execute;

fn failed<E>(what: &str, err: SdkError<E, super::Raw>) -> anyhow::Error
where
    E: aws_sdk_iam::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    super::explain(what, &err)
}

fn is_missing<E: aws_sdk_iam::error::ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> bool {
    error_code(e) == Some("NoSuchEntity")
}

/// Ok(None) for NoSuchEntity, the explained error otherwise.
fn missing_ok<T, E>(what: &str, r: Result<T, SdkError<E, super::Raw>>) -> Result<Option<T>>
where
    E: aws_sdk_iam::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if is_missing(&e) => Ok(None),
        Err(e) => Err(failed(what, e)),
    }
}

/// What the writes need besides the changes themselves.
pub struct Documents<'a> {
    pub arn: &'a str,
    pub name: &'a str,
    pub description: &'a str,
    pub managed: &'a str,
    pub inline: &'a str,
}

pub struct IamPolicies {
    client: Client,
}

impl IamPolicies {
    pub fn new(config: &SdkConfig, counter: &CallCounter) -> IamPolicies {
        let conf = aws_sdk_iam::config::Builder::from(config)
            .interceptor(counter.clone())
            .retry_classifier(super::ConnectionRetries::shared())
            .build();
        IamPolicies {
            client: Client::from_conf(conf),
        }
    }

    /// The account's quotas (GetAccountSummary).
    pub async fn quotas(&self) -> Result<Quotas> {
        let out = self
            .client
            .get_account_summary()
            .send()
            .await
            .map_err(|e| failed("GetAccountSummary", e))?;
        let map: BTreeMap<String, i64> = out
            .summary_map()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.as_str().to_string(), i64::from(*v)))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Quotas::from_summary(&map))
    }

    /// The managed policy at `arn` with its default document, versions and attachments.
    pub async fn managed(&self, arn: &str) -> Result<Option<ObservedManaged>> {
        let what = format!("GetPolicy {arn}");
        let Some(out) = missing_ok(&what, self.client.get_policy().policy_arn(arn).send().await)?
        else {
            return Ok(None);
        };
        let Some(policy) = out.policy() else {
            return Ok(None);
        };
        let tagged = |tags: &[Tag]| {
            tags.iter()
                .any(|t| t.key() == MANAGED_TAG_KEY && t.value() == MANAGED_TAG_VALUE)
        };
        let mut managed = tagged(policy.tags());
        if !managed {
            // GetPolicy returns the tags; ask ListPolicyTags before calling it someone else's.
            let tags = self
                .client
                .list_policy_tags()
                .policy_arn(arn)
                .send()
                .await
                .map_err(|e| failed(&format!("ListPolicyTags {arn}"), e))?;
            managed = tagged(tags.tags());
        }
        let default = policy.default_version_id().unwrap_or("v1").to_string();
        let version = self
            .client
            .get_policy_version()
            .policy_arn(arn)
            .version_id(&default)
            .send()
            .await
            .map_err(|e| failed(&format!("GetPolicyVersion {arn} {default}"), e))?;
        let document = version
            .policy_version()
            .and_then(|v| v.document())
            .map(decode_document)
            .unwrap_or_default();
        let mut versions = Vec::new();
        let mut pages = self
            .client
            .list_policy_versions()
            .policy_arn(arn)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| failed(&format!("ListPolicyVersions {arn}"), e))?;
            versions.extend(page.versions().iter().map(|v| {
                PolicyVersion {
                    id: v.version_id().unwrap_or_default().to_string(),
                    is_default: v.is_default_version(),
                    created: v
                        .create_date()
                        .and_then(|d| d.fmt(DateTimeFormat::DateTime).ok())
                        .unwrap_or_default(),
                }
            }));
        }
        let mut attached_to = Vec::new();
        let mut pages = self
            .client
            .list_entities_for_policy()
            .policy_arn(arn)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| failed(&format!("ListEntitiesForPolicy {arn}"), e))?;
            let users = page.policy_users().iter().filter_map(|u| u.user_name());
            let groups = page.policy_groups().iter().filter_map(|g| g.group_name());
            let roles = page.policy_roles().iter().filter_map(|r| r.role_name());
            attached_to.extend(users.map(|n| Entity::new(EntityKind::User, n)));
            attached_to.extend(groups.map(|n| Entity::new(EntityKind::Group, n)));
            attached_to.extend(roles.map(|n| Entity::new(EntityKind::Role, n)));
        }
        Ok(Some(ObservedManaged {
            arn: arn.to_string(),
            managed,
            document,
            versions,
            attached_to,
        }))
    }

    /// One user, group or role: whether it exists, its attached managed policies, its inline
    /// policies (only when `inline`), and for a role its path and trust policy's services.
    pub async fn entity(&self, entity: &Entity, inline: bool) -> Result<ObservedEntity> {
        let mut observed = ObservedEntity::new(entity.clone());
        if entity.kind == EntityKind::Role {
            let what = format!("GetRole {}", entity.name);
            let got = self.client.get_role().role_name(&entity.name).send().await;
            match missing_ok(&what, got)?.and_then(|o| o.role().cloned()) {
                Some(role) => {
                    observed.path = role.path().to_string();
                    observed.service_principals = role
                        .assume_role_policy_document()
                        .map(|d| service_principals(&decode_document(d)))
                        .unwrap_or_default();
                }
                None => {
                    observed.exists = false;
                    return Ok(observed);
                }
            }
        }
        match self.attached(entity).await? {
            Some(arns) => observed.attached = arns,
            None => {
                observed.exists = false;
                return Ok(observed);
            }
        }
        if inline {
            observed.inline = self.inline_policies(entity).await?;
        }
        Ok(observed)
    }

    /// ARNs of the managed policies attached to an entity; `None` if it does not exist.
    async fn attached(&self, e: &Entity) -> Result<Option<Vec<String>>> {
        let c = &self.client;
        let mut arns = Vec::new();
        let what = format!("ListAttached{}Policies {}", title(e.kind), e.name);
        let mut marker: Option<String> = None;
        loop {
            let (policies, next) = match e.kind {
                EntityKind::User => {
                    let r = c.list_attached_user_policies().user_name(&e.name);
                    let Some(o) = missing_ok(&what, r.set_marker(marker).send().await)? else {
                        return Ok(None);
                    };
                    (
                        o.attached_policies().to_vec(),
                        o.marker().map(str::to_string),
                    )
                }
                EntityKind::Group => {
                    let r = c.list_attached_group_policies().group_name(&e.name);
                    let Some(o) = missing_ok(&what, r.set_marker(marker).send().await)? else {
                        return Ok(None);
                    };
                    (
                        o.attached_policies().to_vec(),
                        o.marker().map(str::to_string),
                    )
                }
                EntityKind::Role => {
                    let r = c.list_attached_role_policies().role_name(&e.name);
                    let Some(o) = missing_ok(&what, r.set_marker(marker).send().await)? else {
                        return Ok(None);
                    };
                    (
                        o.attached_policies().to_vec(),
                        o.marker().map(str::to_string),
                    )
                }
            };
            arns.extend(
                policies
                    .iter()
                    .filter_map(|p| p.policy_arn())
                    .map(str::to_string),
            );
            match next {
                Some(m) => marker = Some(m),
                None => return Ok(Some(arns)),
            }
        }
    }

    /// Every inline policy of an entity with its decoded document.
    async fn inline_policies(&self, e: &Entity) -> Result<Vec<(String, String)>> {
        let c = &self.client;
        let what = format!("List{}Policies {}", title(e.kind), e.name);
        let mut names = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let (page, next) = match e.kind {
                EntityKind::User => {
                    let o = c.list_user_policies().user_name(&e.name).set_marker(marker);
                    let o = o.send().await.map_err(|err| failed(&what, err))?;
                    (o.policy_names().to_vec(), o.marker().map(str::to_string))
                }
                EntityKind::Group => {
                    let o = c
                        .list_group_policies()
                        .group_name(&e.name)
                        .set_marker(marker);
                    let o = o.send().await.map_err(|err| failed(&what, err))?;
                    (o.policy_names().to_vec(), o.marker().map(str::to_string))
                }
                EntityKind::Role => {
                    let o = c.list_role_policies().role_name(&e.name).set_marker(marker);
                    let o = o.send().await.map_err(|err| failed(&what, err))?;
                    (o.policy_names().to_vec(), o.marker().map(str::to_string))
                }
            };
            names.extend(page);
            match next {
                Some(m) => marker = Some(m),
                None => break,
            }
        }
        let mut out = Vec::new();
        for name in names {
            let what = format!("Get{}Policy {} {name}", title(e.kind), e.name);
            let doc = match e.kind {
                EntityKind::User => {
                    let r = c.get_user_policy().user_name(&e.name).policy_name(&name);
                    missing_ok(&what, r.send().await)?.map(|o| o.policy_document().to_string())
                }
                EntityKind::Group => {
                    let r = c.get_group_policy().group_name(&e.name).policy_name(&name);
                    missing_ok(&what, r.send().await)?.map(|o| o.policy_document().to_string())
                }
                EntityKind::Role => {
                    let r = c.get_role_policy().role_name(&e.name).policy_name(&name);
                    missing_ok(&what, r.send().await)?.map(|o| o.policy_document().to_string())
                }
            };
            if let Some(doc) = doc {
                out.push((name, decode_document(&doc)));
            }
        }
        Ok(out)
    }

    /// Groups of a user (for the self-lockout guard); none if the user is not found.
    pub async fn groups_of(&self, user: &str) -> Result<Vec<String>> {
        let mut groups = Vec::new();
        let mut pages = self
            .client
            .list_groups_for_user()
            .user_name(user)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            match page {
                Ok(p) => groups.extend(p.groups().iter().map(|g| g.group_name().to_string())),
                Err(e) if is_missing(&e) => return Ok(vec![]),
                Err(e) => return Err(failed(&format!("ListGroupsForUser {user}"), e)),
            }
        }
        Ok(groups)
    }

    /// Every user, group and role with its inline policies named `name` (decoded), from
    /// GetAccountAuthorizationDetails a page at a time: where scpctl may have written copies.
    pub async fn inline_copies(&self, name: &str) -> Result<Vec<(Entity, Vec<(String, String)>)>> {
        let mut out = Vec::new();
        let mut pages = self
            .client
            .get_account_authorization_details()
            .filter(EntityType::User)
            .filter(EntityType::Group)
            .filter(EntityType::Role)
            .into_paginator()
            .send();
        let named = |list: &[aws_sdk_iam::types::PolicyDetail]| -> Vec<(String, String)> {
            list.iter()
                .filter(|p| {
                    p.policy_name()
                        .is_some_and(|n| n.eq_ignore_ascii_case(name))
                })
                .map(|p| {
                    let doc = p.policy_document().map(decode_document).unwrap_or_default();
                    (p.policy_name().unwrap_or_default().to_string(), doc)
                })
                .collect()
        };
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| failed("GetAccountAuthorizationDetails", e))?;
            for u in page.user_detail_list() {
                let found = named(u.user_policy_list());
                if let (false, Some(n)) = (found.is_empty(), u.user_name()) {
                    out.push((Entity::new(EntityKind::User, n), found));
                }
            }
            for g in page.group_detail_list() {
                let found = named(g.group_policy_list());
                if let (false, Some(n)) = (found.is_empty(), g.group_name()) {
                    out.push((Entity::new(EntityKind::Group, n), found));
                }
            }
            for r in page.role_detail_list() {
                let found = named(r.role_policy_list());
                if let (false, Some(n)) = (found.is_empty(), r.role_name()) {
                    out.push((Entity::new(EntityKind::Role, n), found));
                }
            }
        }
        Ok(out)
    }
}

/// A delete or detach of something already gone is done.
fn done_if_missing<T, E>(what: &str, r: Result<T, SdkError<E, super::Raw>>) -> Result<()>
where
    E: aws_sdk_iam::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    missing_ok(what, r).map(|_| ())
}

fn title(kind: EntityKind) -> &'static str {
    match kind {
        EntityKind::User => "User",
        EntityKind::Group => "Group",
        EntityKind::Role => "Role",
    }
}
