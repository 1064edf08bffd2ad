//! What a failed AWS call means, in a few lines: the unreachable endpoint, the missing
//! credentials, or the service's error with a hint.

use std::sync::atomic::{AtomicU8, Ordering};

use aws_sdk_organizations::error::ProvideErrorMetadata;
use aws_smithy_runtime_api::client::result::SdkError;

/// The raw HTTP answer every SDK error carries.
pub type Raw = aws_smithy_runtime_api::http::Response;

/// `-v` count, so error messages can show the SDK's full cause chain only when asked.
static VERBOSE: AtomicU8 = AtomicU8::new(0);

pub fn set_verbosity(verbose: u8) {
    VERBOSE.store(verbose, Ordering::Relaxed);
}

/// The service error code of an SDK error (`DuplicatePolicyAttachmentException`, ...).
pub fn error_code<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> Option<&str> {
    err.as_service_error().and_then(|e| e.code())
}
/// What a failed AWS call means, in a few lines: the endpoint that could not be reached, the
/// missing credentials and how to provide them, or the service's own error with a hint. The
/// SDK's full cause chain only at `-v`.
pub fn explain<E>(what: &str, err: &SdkError<E, Raw>) -> anyhow::Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let verbose = VERBOSE.load(Ordering::Relaxed) > 0;
    let chain = || {
        format!(
            "\n  details: {}",
            aws_sdk_organizations::error::DisplayErrorContext(err)
        )
    };
    let details = |always: bool| {
        if always || verbose {
            chain()
        } else {
            String::new()
        }
    };
    if let Some(service) = err.as_service_error() {
        if service.code().is_none() && service.message().is_none_or(str::is_empty) {
            // No AWS error in the answer at all: usually an endpoint that does not serve this
            // API (an emulator without it, a proxy, a wrong --endpoint-url).
            let status = err
                .raw_response()
                .map_or("no".to_string(), |r| r.status().as_u16().to_string());
            let endpoint = super::counter::last_endpoint();
            return anyhow::anyhow!(
                "{what}: {endpoint} answered HTTP {status} without an AWS error: does it serve this AWS API? (check --endpoint-url / AWS_ENDPOINT_URL_<SERVICE>){}",
                details(false)
            );
        }
        let code = service.code().unwrap_or("error");
        let message = service.message().unwrap_or_default();
        let hint = service_hint(code, service);
        return anyhow::anyhow!("{what}: {code}: {message}{hint}{}", details(false));
    }
    if let SdkError::ResponseError(response) = err {
        // An answer the SDK could not read as this API's (HTML from a proxy, an emulator
        // without the API): name its status, not a connection problem.
        let endpoint = super::counter::last_endpoint();
        return anyhow::anyhow!(
            "{what}: {endpoint} answered HTTP {} without an AWS error: does it serve this AWS API? (check --endpoint-url / AWS_ENDPOINT_URL_<SERVICE>){}",
            response.raw().status().as_u16(),
            details(false)
        );
    }
    if let Some(cred) = credentials_error(err) {
        use aws_credential_types::provider::error::CredentialsError as C;
        let why = match cred {
            C::CredentialsNotLoaded(_) | C::InvalidConfiguration(_)
                if super::config::profile().is_some() =>
            {
                format!(
                    "--profile {}: no such profile with credentials in the AWS config and credentials files (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, default ~/.aws/): {}",
                    super::config::profile().unwrap_or_default(),
                    innermost(cred)
                )
            }
            C::CredentialsNotLoaded(_) => {
                format!("no AWS credentials were found ({})", innermost(cred))
            }
            C::ProviderTimedOut(_) => "loading AWS credentials timed out".to_string(),
            C::InvalidConfiguration(_) => {
                format!(
                    "the AWS credentials configuration is invalid: {}",
                    innermost(cred)
                )
            }
            // The standard chain reports the last source it tried (often the instance
            // metadata service): nothing usable was found anywhere before it.
            _ => format!(
                "no usable AWS credentials were found (the last source tried said: {})",
                innermost(cred)
            ),
        };
        return anyhow::anyhow!(
            "{what}: {why}.\n  Provide them in one of the standard ways: a profile (--profile NAME or AWS_PROFILE; \
             `aws sso login --profile NAME` for IAM Identity Center), the environment variables AWS_ACCESS_KEY_ID and \
             AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), or an instance or container role.{}",
            details(false)
        );
    }
    let endpoint = super::counter::last_endpoint();
    let endpoint = if endpoint.is_empty() {
        "the AWS endpoint".to_string()
    } else {
        endpoint
    };
    let why = match err {
        SdkError::TimeoutError(_) => {
            "no answer in time (--timeout sets the limit for one operation, retries included)"
                .to_string()
        }
        SdkError::DispatchFailure(d) if d.is_timeout() => "no answer in time".to_string(),
        SdkError::DispatchFailure(d) if d.is_io() => innermost(err),
        SdkError::DispatchFailure(_) => innermost(err),
        _ => innermost(err),
    };
    anyhow::anyhow!(
        "{what}: cannot reach {endpoint}: {why}\n  check the endpoint (--endpoint-url, AWS_ENDPOINT_URL), the network and any proxy; -v shows the full error{}",
        details(false)
    )
}

/// The last message of an error's cause chain: "Connection refused (os error 111)".
fn innermost(err: &(dyn std::error::Error + 'static)) -> String {
    let mut last: &(dyn std::error::Error + 'static) = err;
    while let Some(next) = last.source() {
        last = next;
    }
    last.to_string()
}

fn credentials_error<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> Option<&'a aws_credential_types::provider::error::CredentialsError> {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = next {
        if let Some(c) = e.downcast_ref::<aws_credential_types::provider::error::CredentialsError>()
        {
            return Some(c);
        }
        next = e.source();
    }
    None
}

/// Plain words for the service errors a first-time user meets, and for AWS's quota refusals
/// the `[limits]` setting to change (Organizations API reference, ConstraintViolationException
/// reasons).
fn service_hint(code: &str, service: &(dyn std::error::Error + 'static)) -> String {
    let reason = constraint_reason(service);
    match (code, reason.as_deref()) {
        ("ConstraintViolationException", Some("POLICY_CONTENT_LIMIT_EXCEEDED")) => {
            "\n  AWS refused the policy's size (POLICY_CONTENT_LIMIT_EXCEEDED): this organization's SCP size quota is lower than \
             [limits] scp_max_chars. Set [limits] scp_max_chars to the quota it has (for example 5120, the figure before \
             2026-05-15) and run `scpctl validate`.".into()
        }
        ("ConstraintViolationException", Some("MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED")) => {
            "\n  AWS refused the attachment (MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED): the target holds as many SCPs as this \
             organization allows, fewer than [limits] scps_per_target. Set [limits] scps_per_target to its quota (for example \
             5, the figure before 2026-05-15) so the plan checks it before writing, and detach a policy from that target.".into()
        }
        ("ConstraintViolationException", Some("POLICY_NUMBER_LIMIT_EXCEEDED")) => {
            "\n  AWS refused a new policy (POLICY_NUMBER_LIMIT_EXCEEDED): the organization holds its maximum number of policies. \
             This is the organization-wide count, not a [limits] setting: delete unused policies first.".into()
        }
        ("ConstraintViolationException", Some(r)) => format!("\n  reason: {r}"),
        ("AWSOrganizationsNotInUseException", _) => {
            "\n  this account is not in an organization: SCPs need AWS Organizations; for a standalone account use `scpctl render --kind identity`".into()
        }
        ("AccessDeniedException", _) => {
            "\n  run scpctl with credentials of the management account (or of a delegated administrator for Organizations policies)".into()
        }
        _ => String::new(),
    }
}

/// The `Reason` of an Organizations `ConstraintViolationException`, whichever operation raised
/// it (each operation's error enum gives the exception as its source).
fn constraint_reason(service: &(dyn std::error::Error + 'static)) -> Option<String> {
    use aws_sdk_organizations::types::error::ConstraintViolationException;
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(service);
    while let Some(e) = next {
        if let Some(c) = e.downcast_ref::<ConstraintViolationException>() {
            return c.reason().map(|r| r.as_str().to_string());
        }
        next = e.source();
    }
    None
}
