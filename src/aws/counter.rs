//! The count of API requests each run makes, per `Service.Operation`, and the endpoint of the
//! last one (to name it when it fails).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_sdk_organizations::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;

/// The endpoint of the last request sent (scheme, host and port), to name it when it fails.
static LAST_ENDPOINT: Mutex<String> = Mutex::new(String::new());

/// The endpoint of the last request sent, or "" before any.
pub fn last_endpoint() -> String {
    LAST_ENDPOINT.lock().map(|e| e.clone()).unwrap_or_default()
}

/// HTTP requests sent, per `Service.Operation`, retries included: what AWS's rate limits see.
#[derive(Debug, Clone, Default)]
pub struct CallCounter(Arc<Mutex<BTreeMap<String, u64>>>);

impl CallCounter {
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.0.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// `ListRoots 1, ListPolicies 1, ...` for logs.
    pub fn summary(&self) -> String {
        let calls = self.snapshot();
        if calls.is_empty() {
            return "none".into();
        }
        calls
            .iter()
            .map(|(op, n)| format!("{op} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "scpctl-call-counter"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // Scheme and authority only: never a path or query string.
        let uri = _context.request().uri();
        if let Some((scheme, rest)) = uri.split_once("://") {
            let authority = rest.split(['/', '?']).next().unwrap_or_default();
            if let Ok(mut last) = LAST_ENDPOINT.lock() {
                *last = format!("{scheme}://{authority}");
            }
        }
        if let Some(meta) = cfg.load::<Metadata>() {
            let key = format!("{}.{}", meta.service(), meta.name());
            tracing::debug!("AWS request {key}");
            if let Ok(mut m) = self.0.lock() {
                *m.entry(key).or_default() += 1;
            }
        }
        Ok(())
    }
}
