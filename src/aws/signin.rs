//! AWS Sign-In: console authorization for the organization (or one account), and the
//! account's resource permission statements. Decisions are the core's (`scpctl_core::signin`);
//! this file only calls.
//!
//! Facts (AWS Sign-In API Reference and user guide, "Controlling console access with
//! resource-based policies and resource control policies"): Sign-In writes go to us-east-1
//! and take minutes to replicate; until `PutConsoleAuthorizationConfiguration` enables console
//! authorization for a target (organization id or account id), neither RCPs nor account
//! statements decide sign-in. AWS does not document who may make that call for an
//! organization: an AccessDenied names the call, the target and the permission.

use std::collections::BTreeMap;

use anyhow::{anyhow, Result};
use aws_config::{Region, SdkConfig};
use aws_sdk_signin::error::ProvideErrorMetadata;
use aws_sdk_signin::Client;
use aws_smithy_runtime_api::client::result::SdkError;
use scpctl_core::signin::{delete_token, AccountStatement};

use super::{error_code, CallCounter};

/// Where Sign-In's control plane takes writes.
pub const SIGNIN_REGION: &str = "us-east-1";

pub struct Signin {
    client: Client,
}

/// Every Sign-In operation to one endpoint.
#[derive(Debug)]
struct Fixed(String);

impl aws_sdk_signin::config::endpoint::ResolveEndpoint for Fixed {
    fn resolve_endpoint<'a>(
        &'a self,
        _params: &'a aws_sdk_signin::config::endpoint::Params,
    ) -> aws_sdk_signin::config::endpoint::EndpointFuture<'a> {
        aws_sdk_signin::config::endpoint::EndpointFuture::ready(Ok(
            aws_sdk_signin::config::endpoint::Endpoint::builder()
                .url(self.0.clone())
                .build(),
        ))
    }
}

/// A Sign-In error in a few lines; AccessDenied says who must call and with what permission.
fn failed<E>(
    what: &str,
    target: &str,
    permission: &str,
    err: SdkError<E, super::Raw>,
) -> anyhow::Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let base = super::explain(what, &err);
    match error_code(&err) {
        Some("AccessDeniedException") => anyhow!(
            "{base}\n  {permission} on {target} was refused. AWS does not document which account may make this call for an \
             organization: run scpctl with credentials of the management account (for an account-level statement, of that \
             account) whose IAM policies allow {permission}; SCPs of the caller's account must not deny it"
        ),
        Some("ConflictException") => anyhow!(
            "{base}\n  another change to {target}'s Sign-In configuration is under way (Sign-In replicates writes from \
             us-east-1 for a few minutes); wait and re-run the same command: every step is safe to repeat"
        ),
        _ => base,
    }
}

/// Whether an error means "nothing configured yet".
fn is_not_found<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> bool {
    error_code(err) == Some("ResourceNotFoundException")
}

impl Signin {
    /// A client in us-east-1 (Sign-In's write Region) unless an endpoint is given, with the
    /// call counter and the connection-retry classifier every client gets.
    pub fn new(config: &SdkConfig, counter: &CallCounter) -> Signin {
        let mut conf = aws_sdk_signin::config::Builder::from(config)
            .region(Region::from_static(SIGNIN_REGION))
            .interceptor(counter.clone())
            .retry_classifier(super::ConnectionRetries::shared());
        // Sign-In's endpoint rules send control-plane operations to the fixed AWS endpoint
        // whatever `endpoint_url` says: an override (AWS_ENDPOINT_URL_SIGNIN, --endpoint-url,
        // AWS_ENDPOINT_URL) needs a resolver of its own.
        let url = std::env::var("AWS_ENDPOINT_URL_SIGNIN")
            .ok()
            .filter(|u| !u.is_empty())
            .or_else(|| config.endpoint_url().map(str::to_string));
        if let Some(url) = url {
            conf = conf.endpoint_resolver(Fixed(url));
        }
        Signin {
            client: Client::from_conf(conf.build()),
        }
    }

    /// A Sign-In edge around a ready client (tests give a mocked one).
    #[cfg(test)]
    pub fn from_client(client: Client) -> Signin {
        Signin { client }
    }

    /// Whether console authorization is enabled for `target` (an organization id `o-...` or
    /// an account id); nothing configured is "not enabled".
    pub async fn console_authorization(&self, target: &str) -> Result<bool> {
        match self
            .client
            .get_console_authorization_configuration()
            .target_id(target)
            .send()
            .await
        {
            Ok(out) => Ok(out.console_authorization_enabled()),
            Err(e) if is_not_found(&e) => Ok(false),
            Err(e) => Err(failed(
                "GetConsoleAuthorizationConfiguration",
                target,
                "signin:GetConsoleAuthorizationConfiguration",
                e,
            )),
        }
    }

    /// Turn console authorization on for `target`. Repeating it is harmless: AWS answers with
    /// the (already enabled) configuration.
    pub async fn enable_console_authorization(&self, target: &str) -> Result<()> {
        let out = self
            .client
            .put_console_authorization_configuration()
            .target_id(target)
            .send()
            .await
            .map_err(|e| {
                failed(
                    "PutConsoleAuthorizationConfiguration",
                    target,
                    "signin:PutConsoleAuthorizationConfiguration",
                    e,
                )
            })?;
        if out.console_authorization_enabled() {
            Ok(())
        } else {
            Err(anyhow!(
                "PutConsoleAuthorizationConfiguration for {target} answered that console authorization is not enabled; re-run in a few minutes (Sign-In replicates from us-east-1)"
            ))
        }
    }

    /// Turn it off; already off (nothing configured) counts as done.
    pub async fn disable_console_authorization(&self, target: &str) -> Result<()> {
        match self
            .client
            .delete_console_authorization_configuration()
            .target_id(target)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if is_not_found(&e) => Ok(()),
            Err(e) => Err(failed(
                "DeleteConsoleAuthorizationConfiguration",
                target,
                "signin:DeleteConsoleAuthorizationConfiguration",
                e,
            )),
        }
    }

    /// The account's resource permission statements, every page, each with its id.
    pub async fn statements(&self, account: &str) -> Result<Vec<(String, AccountStatement)>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        // Bounded: a misbehaving endpoint repeating a token cannot loop for ever.
        for _ in 0..1000 {
            let page = self
                .client
                .list_resource_permission_statements()
                .set_next_token(token.clone())
                .send()
                .await;
            let page = match page {
                Ok(p) => p,
                Err(e) if is_not_found(&e) => return Ok(out),
                Err(e) => {
                    return Err(failed(
                        "ListResourcePermissionStatements",
                        account,
                        "signin:ListResourcePermissionStatements",
                        e,
                    ))
                }
            };
            for s in page.permission_statements() {
                let condition: BTreeMap<String, BTreeMap<String, Vec<String>>> = s
                    .condition()
                    .map(|c| {
                        c.iter()
                            .map(|(op, keys)| {
                                let keys =
                                    keys.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                                (op.clone(), keys)
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                out.push((
                    s.sid().to_string(),
                    AccountStatement::from_condition(&condition),
                ));
            }
            token = page.next_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
        Ok(out)
    }

    /// Create one statement; the deterministic client token makes a retry after a lost answer
    /// create nothing more.
    pub async fn put_statement(&self, account: &str, s: &AccountStatement) -> Result<String> {
        self.client
            .put_resource_permission_statement()
            .set_source_ip(s.source_ip.clone())
            .set_source_vpc(s.source_vpc.clone())
            .set_signin_source_vpce(s.signin_source_vpce.clone())
            .set_requested_region(s.requested_region.clone())
            .set_excluded_principal(s.excluded_principal.clone())
            .client_token(s.client_token())
            .send()
            .await
            .map(|o| o.statement_id().to_string())
            .map_err(|e| {
                failed(
                    &format!("PutResourcePermissionStatement ({s})"),
                    account,
                    "signin:PutResourcePermissionStatement",
                    e,
                )
            })
    }

    /// Delete one statement by id, with a fixed client token per id (a retry after a lost
    /// answer is the same request); a statement already gone counts as deleted.
    pub async fn delete_statement(&self, account: &str, id: &str) -> Result<()> {
        match self
            .client
            .delete_resource_permission_statement()
            .statement_id(id)
            .client_token(delete_token(id))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if is_not_found(&e) => Ok(()),
            Err(e) => Err(failed(
                &format!("DeleteResourcePermissionStatement ({id})"),
                account,
                "signin:DeleteResourcePermissionStatement",
                e,
            )),
        }
    }

    /// The account's consolidated Sign-In policy as JSON, for showing what AWS holds.
    pub async fn resource_policy(&self, account: &str) -> Result<Option<serde_json::Value>> {
        let out = match self.client.get_resource_policy().send().await {
            Ok(o) => o,
            Err(e) if is_not_found(&e) => return Ok(None),
            Err(e) => {
                return Err(failed(
                    "GetResourcePolicy",
                    account,
                    "signin:GetResourcePolicy",
                    e,
                ))
            }
        };
        Ok(out.signin_resource_based_policy().map(|p| {
            let statements: Vec<serde_json::Value> = p
                .statement()
                .iter()
                .map(|s| {
                    serde_json::json!({
                        "Effect": s.effect(),
                        "Principal": s.principal(),
                        "Action": s.action(),
                        "Resource": s.resource(),
                        "Condition": s.condition(),
                    })
                })
                .collect();
            serde_json::json!({ "Version": p.version(), "Statement": statements })
        }))
    }
}

#[cfg(test)]
mod tests;
