//! IAM Access Analyzer: ValidatePolicy (AWS's linter for a policy document) and
//! CheckNoNewAccess (does a new version of a policy allow more than the old one). Decisions and
//! the mapping of findings to the rendered text are the core's (`scpctl_core::aws_checks`); this
//! file only calls.
//!
//! Facts (IAM Access Analyzer API Reference, "ValidatePolicy", "CheckNoNewAccess"): both are
//! regional and read nothing of the account, so any Region answers; ValidatePolicy pages its
//! findings with `nextToken`; CheckNoNewAccess answers PASS or FAIL with reasons. IAM User
//! Guide, "Checks for validating policies": "A charge is associated with each check for new
//! access."

use anyhow::{anyhow, Result};
use aws_config::SdkConfig;
use aws_sdk_accessanalyzer::error::ProvideErrorMetadata;
use aws_sdk_accessanalyzer::types::{
    AccessCheckPolicyType, CheckNoNewAccessResult, PathElement, PolicyType,
    ValidatePolicyFindingType,
};
use aws_sdk_accessanalyzer::Client;
use aws_smithy_runtime_api::client::result::SdkError;
use scpctl_core::aws_checks::{FindingLocation, PathStep};

use super::{error_code, CallCounter};

/// The kind of document sent to ValidatePolicy: scpctl's SCP and split pair are SCPs, the
/// sign-in RCP is an RCP, the fallback is an identity policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    ServiceControl,
    ResourceControl,
    Identity,
}

impl DocumentKind {
    fn sdk(self) -> PolicyType {
        match self {
            DocumentKind::ServiceControl => PolicyType::ServiceControlPolicy,
            DocumentKind::ResourceControl => PolicyType::ResourceControlPolicy,
            DocumentKind::Identity => PolicyType::IdentityPolicy,
        }
    }

    /// Access Analyzer's spelling (`SERVICE_CONTROL_POLICY`, ...), for `--policy-type`.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::ServiceControl => "SERVICE_CONTROL_POLICY",
            DocumentKind::ResourceControl => "RESOURCE_CONTROL_POLICY",
            DocumentKind::Identity => "IDENTITY_POLICY",
        }
    }
}

/// A finding's type, most severe first (ValidatePolicyFinding `findingType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    SecurityWarning,
    Warning,
    Suggestion,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "ERROR",
            Severity::SecurityWarning => "SECURITY_WARNING",
            Severity::Warning => "WARNING",
            Severity::Suggestion => "SUGGESTION",
        }
    }
}

/// One ValidatePolicy finding, in plain values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    pub issue_code: String,
    pub details: String,
    pub learn_more: String,
    pub locations: Vec<FindingLocation>,
}

/// A CheckNoNewAccess reason (`ReasonSummary`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    pub description: String,
    pub statement_id: Option<String>,
    pub statement_index: Option<i32>,
}

/// CheckNoNewAccess's verdict. `Denied` is its own outcome: the caller lacks
/// `access-analyzer:CheckNoNewAccess`, which the plan reports as a warning, never a failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Pass {
        message: String,
    },
    Fail {
        message: String,
        reasons: Vec<Reason>,
    },
    Denied {
        message: String,
    },
}

pub const VALIDATE_PERMISSION: &str = "access-analyzer:ValidatePolicy";
pub const CHECK_PERMISSION: &str = "access-analyzer:CheckNoNewAccess";

/// Pages of findings read at most: a misbehaving endpoint repeating a token cannot loop for
/// ever.
const MAX_PAGES: usize = 1000;

pub struct AccessAnalyzer {
    client: Client,
}

/// An Access Analyzer error in a few lines; AccessDenied names the permission the caller lacks.
fn failed<E>(what: &str, permission: &str, err: SdkError<E, super::Raw>) -> anyhow::Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    if error_code(&err) == Some("AccessDeniedException") {
        // Not `explain`'s hint (management account): Access Analyzer's checks need only the
        // permission, in any account and Region.
        let message = err
            .as_service_error()
            .and_then(|e| e.message())
            .unwrap_or_default();
        return anyhow!(
            "{what}: AccessDeniedException: {message}\n  the caller needs {permission} (an IAM policy allowing it; no SCP of its \
             account may deny it); any account and any Region can make this call"
        );
    }
    super::explain(what, &err)
}

fn severity(t: &ValidatePolicyFindingType) -> Result<Severity> {
    Ok(match t {
        ValidatePolicyFindingType::Error => Severity::Error,
        ValidatePolicyFindingType::SecurityWarning => Severity::SecurityWarning,
        ValidatePolicyFindingType::Warning => Severity::Warning,
        ValidatePolicyFindingType::Suggestion => Severity::Suggestion,
        other => {
            return Err(anyhow!(
                "ValidatePolicy answered a finding type scpctl does not know: {}",
                other.as_str()
            ))
        }
    })
}

fn location(l: &aws_sdk_accessanalyzer::types::Location) -> FindingLocation {
    let path = l
        .path()
        .iter()
        .filter_map(|p| match p {
            PathElement::Index(i) => usize::try_from(*i).ok().map(PathStep::Index),
            PathElement::Key(k) => Some(PathStep::Key(k.clone())),
            PathElement::Value(v) => Some(PathStep::Value(v.clone())),
            PathElement::Substring(s) => Some(PathStep::Substring {
                start: usize::try_from(s.start()).unwrap_or(0),
                length: usize::try_from(s.length()).unwrap_or(0),
            }),
            // A kind of element this SDK does not know: the rest of the path still helps.
            _ => None,
        })
        .collect();
    let span = l.span().and_then(|s| {
        let start = usize::try_from(s.start()?.offset()).ok()?;
        let end = usize::try_from(s.end()?.offset()).ok()?;
        Some((start, end))
    });
    FindingLocation { path, span }
}

impl AccessAnalyzer {
    /// A client from the shared config, with the call counter and the connection-retry
    /// classifier every client gets. `AWS_ENDPOINT_URL_ACCESSANALYZER` works unchanged.
    pub fn new(config: &SdkConfig, counter: &CallCounter) -> AccessAnalyzer {
        let conf = aws_sdk_accessanalyzer::config::Builder::from(config)
            .interceptor(counter.clone())
            .retry_classifier(super::ConnectionRetries::shared())
            .build();
        AccessAnalyzer {
            client: Client::from_conf(conf),
        }
    }

    /// An edge around a ready client (tests give a mocked one).
    #[cfg(test)]
    pub fn from_client(client: Client) -> AccessAnalyzer {
        AccessAnalyzer { client }
    }

    /// Every finding of ValidatePolicy for `document` sent as `kind`, all pages, in AWS's order.
    pub async fn validate_policy(
        &self,
        document: &str,
        kind: DocumentKind,
    ) -> Result<Vec<Finding>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let page = self
                .client
                .validate_policy()
                .policy_document(document)
                .policy_type(kind.sdk())
                .set_next_token(token.clone())
                .send()
                .await
                .map_err(|e| {
                    failed(
                        &format!("ValidatePolicy ({})", kind.as_str()),
                        VALIDATE_PERMISSION,
                        e,
                    )
                })?;
            for f in page.findings() {
                out.push(Finding {
                    severity: severity(f.finding_type())?,
                    issue_code: f.issue_code().to_string(),
                    details: f.finding_details().to_string(),
                    learn_more: f.learn_more_link().to_string(),
                    locations: f.locations().iter().map(location).collect(),
                });
            }
            token = page.next_token().map(str::to_string);
            if token.is_none() {
                return Ok(out);
            }
        }
        Err(anyhow!(
            "ValidatePolicy ({}): still answering a nextToken after {MAX_PAGES} pages; giving up",
            kind.as_str()
        ))
    }

    /// Whether `new` allows anything `existing` does not, both identity policies (the fallback's
    /// default version as the reference). AccessDenied is the `Denied` verdict, not an error.
    pub async fn check_no_new_access(&self, existing: &str, new: &str) -> Result<Verdict> {
        let out = self
            .client
            .check_no_new_access()
            .existing_policy_document(existing)
            .new_policy_document(new)
            .policy_type(AccessCheckPolicyType::IdentityPolicy)
            .send()
            .await;
        let out = match out {
            Ok(out) => out,
            Err(e) if error_code(&e) == Some("AccessDeniedException") => {
                return Ok(Verdict::Denied {
                    message: failed("CheckNoNewAccess", CHECK_PERMISSION, e).to_string(),
                })
            }
            Err(e) => return Err(failed("CheckNoNewAccess", CHECK_PERMISSION, e)),
        };
        let message = out.message().unwrap_or_default().to_string();
        match out.result() {
            Some(CheckNoNewAccessResult::Pass) => Ok(Verdict::Pass { message }),
            Some(CheckNoNewAccessResult::Fail) => Ok(Verdict::Fail {
                message,
                reasons: out
                    .reasons()
                    .iter()
                    .map(|r| Reason {
                        description: r.description().unwrap_or_default().to_string(),
                        statement_id: r.statement_id().map(str::to_string),
                        statement_index: r.statement_index(),
                    })
                    .collect(),
            }),
            other => Err(anyhow!(
                "CheckNoNewAccess answered no verdict scpctl knows ({}): {message}",
                other.map_or("none", |r| r.as_str())
            )),
        }
    }
}

#[cfg(test)]
mod tests;
