//! Executing an identity plan: each change as its IAM call, in order, safe to repeat.

use anyhow::{anyhow, Result};
use aws_sdk_iam::types::Tag;
use scpctl_core::identity_plan::{Entity, EntityKind, IdentityChange};
use scpctl_core::plan::{MANAGED_TAG_KEY, MANAGED_TAG_VALUE};

use super::{done_if_missing, failed, Documents, IamPolicies};
use crate::aws::{error_code, retry_conflicts};

impl IamPolicies {
    /// Execute the changes in order; `progress` is told of each one done. On a failure the
    /// error says what was done before it and to re-run.
    pub async fn execute(
        &self,
        changes: &[IdentityChange],
        docs: &Documents<'_>,
        progress: &(dyn Fn(&IdentityChange) + Sync),
    ) -> Result<()> {
        for (i, change) in changes.iter().enumerate() {
            self.execute_one(change, docs).await.map_err(|e| {
                anyhow!(
                    "{e:#}\n  {i} of {} change(s) were made before this one; re-run the same command to finish",
                    changes.len()
                )
            })?;
            progress(change);
        }
        Ok(())
    }

    async fn execute_one(&self, change: &IdentityChange, d: &Documents<'_>) -> Result<()> {
        let c = &self.client;
        let what = change.to_string();
        match change {
            IdentityChange::CreatePolicy { .. } => {
                let tag = Tag::builder()
                    .key(MANAGED_TAG_KEY)
                    .value(MANAGED_TAG_VALUE)
                    .build()
                    .map_err(|e| anyhow!("{e}"))?;
                let r = retry_conflicts(&what, || {
                    c.create_policy()
                        .policy_name(d.name)
                        .description(d.description)
                        .policy_document(d.managed)
                        .tags(tag.clone())
                        .send()
                })
                .await;
                match r {
                    // Ours after a lost answer or a crash: done. Someone else's (created between
                    // the plan and now): never taken over, as the plan itself would refuse.
                    Err(e) if error_code(&e) == Some("EntityAlreadyExists") => {
                        match self.managed(d.arn).await? {
                            Some(p) if p.managed => Ok(()),
                            _ => Err(anyhow!(
                                "{what}: a policy named {} appeared that scpctl did not create (no tag {MANAGED_TAG_KEY}={MANAGED_TAG_VALUE}); scpctl never takes one over. Nothing more was changed",
                                d.name
                            )),
                        }
                    }
                    r => r.map(|_| ()).map_err(|e| failed(&what, e)),
                }
            }
            IdentityChange::DeletePolicyVersion { version, .. } => {
                let r = retry_conflicts(&what, || {
                    c.delete_policy_version()
                        .policy_arn(d.arn)
                        .version_id(version)
                        .send()
                });
                done_if_missing(&what, r.await)
            }
            IdentityChange::CreatePolicyVersion { .. } => retry_conflicts(&what, || {
                c.create_policy_version()
                    .policy_arn(d.arn)
                    .policy_document(d.managed)
                    .set_as_default(true)
                    .send()
            })
            .await
            .map(|_| ())
            .map_err(|e| failed(&what, e)),
            IdentityChange::DeletePolicy { .. } => {
                let r = retry_conflicts(&what, || c.delete_policy().policy_arn(d.arn).send());
                done_if_missing(&what, r.await)
            }
            IdentityChange::Attach { entity, .. } => self.attach(entity, d.arn, &what).await,
            IdentityChange::Detach { entity, .. } => self.detach(entity, d.arn, &what).await,
            IdentityChange::PutInline { entity, .. } => self.put_inline(entity, d, &what).await,
            IdentityChange::DeleteInline { entity, .. } => {
                let n = &entity.name;
                match entity.kind {
                    EntityKind::User => done_if_missing(
                        &what,
                        retry_conflicts(&what, || {
                            c.delete_user_policy()
                                .user_name(n)
                                .policy_name(d.name)
                                .send()
                        })
                        .await,
                    ),
                    EntityKind::Group => done_if_missing(
                        &what,
                        retry_conflicts(&what, || {
                            c.delete_group_policy()
                                .group_name(n)
                                .policy_name(d.name)
                                .send()
                        })
                        .await,
                    ),
                    EntityKind::Role => done_if_missing(
                        &what,
                        retry_conflicts(&what, || {
                            c.delete_role_policy()
                                .role_name(n)
                                .policy_name(d.name)
                                .send()
                        })
                        .await,
                    ),
                }
            }
        }
    }

    /// IAM answers an attachment that is already there with success: repeating it is safe.
    async fn attach(&self, e: &Entity, arn: &str, what: &str) -> Result<()> {
        let c = &self.client;
        let n = &e.name;
        match e.kind {
            EntityKind::User => retry_conflicts(what, || {
                c.attach_user_policy().user_name(n).policy_arn(arn).send()
            })
            .await
            .map(|_| ())
            .map_err(|err| failed(what, err)),
            EntityKind::Group => retry_conflicts(what, || {
                c.attach_group_policy().group_name(n).policy_arn(arn).send()
            })
            .await
            .map(|_| ())
            .map_err(|err| failed(what, err)),
            EntityKind::Role => retry_conflicts(what, || {
                c.attach_role_policy().role_name(n).policy_arn(arn).send()
            })
            .await
            .map(|_| ())
            .map_err(|err| failed(what, err)),
        }
    }

    async fn detach(&self, e: &Entity, arn: &str, what: &str) -> Result<()> {
        let c = &self.client;
        let n = &e.name;
        match e.kind {
            EntityKind::User => done_if_missing(
                what,
                retry_conflicts(what, || {
                    c.detach_user_policy().user_name(n).policy_arn(arn).send()
                })
                .await,
            ),
            EntityKind::Group => done_if_missing(
                what,
                retry_conflicts(what, || {
                    c.detach_group_policy().group_name(n).policy_arn(arn).send()
                })
                .await,
            ),
            EntityKind::Role => done_if_missing(
                what,
                retry_conflicts(what, || {
                    c.detach_role_policy().role_name(n).policy_arn(arn).send()
                })
                .await,
            ),
        }
    }

    async fn put_inline(&self, e: &Entity, d: &Documents<'_>, what: &str) -> Result<()> {
        let c = &self.client;
        let (n, p, doc) = (&e.name, d.name, d.inline);
        match e.kind {
            EntityKind::User => retry_conflicts(what, || {
                c.put_user_policy()
                    .user_name(n)
                    .policy_name(p)
                    .policy_document(doc)
                    .send()
            })
            .await
            .map(|_| ())
            .map_err(|err| failed(what, err)),
            EntityKind::Group => retry_conflicts(what, || {
                c.put_group_policy()
                    .group_name(n)
                    .policy_name(p)
                    .policy_document(doc)
                    .send()
            })
            .await
            .map(|_| ())
            .map_err(|err| failed(what, err)),
            EntityKind::Role => retry_conflicts(what, || {
                c.put_role_policy()
                    .role_name(n)
                    .policy_name(p)
                    .policy_document(doc)
                    .send()
            })
            .await
            .map(|_| ())
            .map_err(|err| failed(what, err)),
        }
    }
}
