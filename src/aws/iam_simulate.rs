//! IAM's policy simulator, `SimulateCustomPolicy`, asked the same request scpctl's evaluator
//! answers: the organization's SCPs level by level, an identity policy that allows everything
//! (so only the SCPs decide), the action, the resource, the caller and every context key, typed.
//! The comparison is the core's (`scpctl_core::aws_checks::compare`); this file only calls.
//!
//! Facts (IAM API Reference, "SimulateCustomPolicy"): `OrderedOrganizationPolicyInputList` holds
//! one element per level, "The first element must represent the organization root, and the last
//! element must represent the account"; results are paged with `Marker` while `IsTruncated`;
//! `CallerArn` cannot be "the ARN of an assumed role, federated user, or a service principal".
//! The simulator answers even when a key its policies read was not given, and lists it in
//! `MissingContextValues`: every key is passed explicitly.

use anyhow::{anyhow, bail, Result};
use aws_config::SdkConfig;
use aws_sdk_iam::error::ProvideErrorMetadata;
use aws_sdk_iam::types::{
    ContextEntry, ContextKeyTypeEnum, OrderedOrganizationPolicyType, PolicyEvaluationDecisionType,
};
use aws_sdk_iam::Client;
use aws_smithy_runtime_api::client::result::SdkError;
use scpctl_core::aws_checks::{ContextType, SimDecision, TypedEntry};

use super::{error_code, CallCounter};

pub const SIMULATE_PERMISSION: &str = "iam:SimulateCustomPolicy";

/// The identity policy sent beside the SCPs: it allows everything, so the decision is the
/// SCPs' alone, as scpctl's evaluation of an SCP chain is.
pub const ALLOW_ALL: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

/// Pages read at most: a misbehaving endpoint repeating a marker cannot loop for ever.
const MAX_PAGES: usize = 100;

/// One request for the simulator.
#[derive(Debug, Clone)]
pub struct SimulationRequest<'a> {
    /// The SCP documents of each level, the root first and the account last.
    pub chain: &'a [Vec<String>],
    pub action: &'a str,
    /// The resource ARN; `None` is `*`.
    pub resource: Option<&'a str>,
    /// The caller's ARN, when scpctl knows it.
    pub caller_arn: Option<&'a str>,
    pub context: &'a [TypedEntry],
}

/// A statement the simulator says decided (`Statement`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedStatement {
    pub source_policy_id: Option<String>,
    pub source_policy_type: Option<String>,
    /// (line, column) of its start and end in the policy, as IAM reports them.
    pub start: Option<(i32, i32)>,
    pub end: Option<(i32, i32)>,
}

/// AWS's answer for the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Simulation {
    pub decision: SimDecision,
    /// `OrganizationsDecisionDetail.AllowedByOrganizations`, when the simulator gave it.
    pub allowed_by_organizations: Option<bool>,
    pub matched: Vec<MatchedStatement>,
    /// Keys the simulated policies read that the request did not give (`MissingContextValues`).
    pub missing_context_values: Vec<String>,
    /// What scpctl left out of the request, and why (a caller ARN the simulator refuses).
    pub notes: Vec<String>,
}

pub struct IamSimulator {
    client: Client,
}

fn sdk_type(t: ContextType) -> ContextKeyTypeEnum {
    match t {
        ContextType::String => ContextKeyTypeEnum::String,
        ContextType::StringList => ContextKeyTypeEnum::StringList,
        ContextType::Numeric => ContextKeyTypeEnum::Numeric,
        ContextType::NumericList => ContextKeyTypeEnum::NumericList,
        ContextType::Boolean => ContextKeyTypeEnum::Boolean,
        ContextType::BooleanList => ContextKeyTypeEnum::BooleanList,
        ContextType::Ip => ContextKeyTypeEnum::Ip,
        ContextType::IpList => ContextKeyTypeEnum::IpList,
        ContextType::Binary => ContextKeyTypeEnum::Binary,
        ContextType::BinaryList => ContextKeyTypeEnum::BinaryList,
        ContextType::Date => ContextKeyTypeEnum::Date,
        ContextType::DateList => ContextKeyTypeEnum::DateList,
    }
}

/// Whether the simulator takes `arn` as `CallerArn`: an IAM user, group or role.
fn is_iam_entity(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && parts[2] == "iam"
        && ["user/", "group/", "role/"]
            .iter()
            .any(|p| parts[5].starts_with(p))
}

fn failed<E>(err: SdkError<E, super::Raw>) -> anyhow::Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    if matches!(
        error_code(&err),
        Some("AccessDenied" | "AccessDeniedException")
    ) {
        let message = err
            .as_service_error()
            .and_then(|e| e.message())
            .unwrap_or_default();
        return anyhow!(
            "SimulateCustomPolicy: AccessDenied: {message}\n  the caller needs {SIMULATE_PERMISSION} (an IAM policy allowing it; \
             no SCP of its account may deny it); the simulation reads nothing of the organization"
        );
    }
    super::explain("SimulateCustomPolicy", &err)
}

impl IamSimulator {
    /// A client from the shared config, with the call counter and the connection-retry
    /// classifier every client gets (throttling is retried like every call).
    pub fn new(config: &SdkConfig, counter: &CallCounter) -> IamSimulator {
        let conf = aws_sdk_iam::config::Builder::from(config)
            .interceptor(counter.clone())
            .retry_classifier(super::ConnectionRetries::shared())
            .build();
        IamSimulator {
            client: Client::from_conf(conf),
        }
    }

    /// An edge around a ready client (tests give a mocked one).
    #[cfg(test)]
    pub fn from_client(client: Client) -> IamSimulator {
        IamSimulator { client }
    }

    /// AWS's decision for `req`. A level with no SCP is refused before any call, naming its
    /// position: IAM would deny every request implicitly there, which is never what was meant.
    pub async fn simulate(&self, req: &SimulationRequest<'_>) -> Result<Simulation> {
        if req.chain.is_empty() {
            bail!("SimulateCustomPolicy: no SCP level to simulate (the chain is empty)");
        }
        if let Some(i) = req.chain.iter().position(Vec::is_empty) {
            bail!(
                "SimulateCustomPolicy: level {} of {} (the root is level 1) has no SCP: a level without one denies every request implicitly",
                i + 1,
                req.chain.len()
            );
        }
        let levels: Vec<OrderedOrganizationPolicyType> = req
            .chain
            .iter()
            .map(|docs| {
                OrderedOrganizationPolicyType::builder()
                    .set_service_control_policy_input_list(Some(docs.clone()))
                    .build()
            })
            .collect();
        let entries: Vec<ContextEntry> = req
            .context
            .iter()
            .map(|e| {
                ContextEntry::builder()
                    .context_key_name(&e.name)
                    .context_key_type(sdk_type(e.kind))
                    .set_context_key_values(Some(e.values.clone()))
                    .build()
            })
            .collect();
        let mut notes = Vec::new();
        let caller = match req.caller_arn {
            Some(arn) if is_iam_entity(arn) => Some(arn.to_string()),
            Some(arn) => {
                notes.push(format!(
                    "caller {arn} not sent: the simulator takes only an IAM user, group or role as the caller"
                ));
                None
            }
            None => None,
        };
        let resource = req.resource.unwrap_or("*");
        let mut results = Vec::new();
        let mut marker: Option<String> = None;
        let mut pages = 0;
        loop {
            pages += 1;
            if pages > MAX_PAGES {
                bail!("SimulateCustomPolicy: still truncated after {MAX_PAGES} pages; giving up");
            }
            let page = self
                .client
                .simulate_custom_policy()
                .policy_input_list(ALLOW_ALL)
                .set_ordered_organization_policy_input_list(Some(levels.clone()))
                .action_names(req.action)
                .resource_arns(resource)
                .set_caller_arn(caller.clone())
                .set_context_entries(Some(entries.clone()))
                .set_marker(marker.clone())
                .send()
                .await
                .map_err(failed)?;
            results.extend(page.evaluation_results().iter().cloned());
            marker = page.marker().map(str::to_string);
            if !page.is_truncated() || marker.is_none() {
                break;
            }
        }
        let result = results
            .iter()
            .find(|r| {
                r.eval_action_name().eq_ignore_ascii_case(req.action)
                    && r.eval_resource_name().is_none_or(|n| n == resource)
            })
            .ok_or_else(|| {
                anyhow!(
                    "SimulateCustomPolicy answered no result for {} on {resource} ({} results)",
                    req.action,
                    results.len()
                )
            })?;
        let decision = match result.eval_decision() {
            PolicyEvaluationDecisionType::Allowed => SimDecision::Allowed,
            PolicyEvaluationDecisionType::ExplicitDeny => SimDecision::ExplicitDeny,
            PolicyEvaluationDecisionType::ImplicitDeny => SimDecision::ImplicitDeny,
            other => bail!(
                "SimulateCustomPolicy answered a decision scpctl does not know: {}",
                other.as_str()
            ),
        };
        let mut missing: Vec<String> = result.missing_context_values().to_vec();
        for r in result.resource_specific_results() {
            for k in r.missing_context_values() {
                if !missing.contains(k) {
                    missing.push(k.clone());
                }
            }
        }
        Ok(Simulation {
            decision,
            allowed_by_organizations: result
                .organizations_decision_detail()
                .map(|d| d.allowed_by_organizations()),
            matched: result
                .matched_statements()
                .iter()
                .map(|s| MatchedStatement {
                    source_policy_id: s.source_policy_id().map(str::to_string),
                    source_policy_type: s.source_policy_type().map(|t| t.as_str().to_string()),
                    start: s.start_position().map(|p| (p.line(), p.column())),
                    end: s.end_position().map(|p| (p.line(), p.column())),
                })
                .collect(),
            missing_context_values: missing,
            notes,
        })
    }
}

#[cfg(test)]
mod tests;
