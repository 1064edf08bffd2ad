//! `scpctl validate --online`: every document scpctl renders, sent to IAM Access Analyzer's
//! ValidatePolicy with its policy type (the SCP as SERVICE_CONTROL_POLICY, the sign-in RCP as
//! RESOURCE_CONTROL_POLICY, the fallback as IDENTITY_POLICY); each finding shown with its type,
//! issue code, details, link and its place as line:column of the document as rendered.

use anyhow::Result;
use scpctl_core::aws_checks::locate;
use scpctl_core::printable::printable;
use scpctl_core::render::PolicyKind;
use serde_json::{json, Value};

use crate::aws::access_analyzer::{AccessAnalyzer, DocumentKind, Finding, Severity};
use crate::cli::{AwsArgs, FailOn};
use crate::commands::base::session;

/// One document to check: its name, kind and text (compact as rendered, or a file's as read).
pub struct Document {
    pub name: String,
    pub kind: PolicyKind,
    pub text: String,
    /// Read from a file named `name` (findings are then shown as FILE:LINE:COLUMN).
    pub file: bool,
}

/// The findings of one document.
pub struct Checked {
    pub document: Document,
    pub findings: Vec<Finding>,
}

fn document_kind(kind: PolicyKind) -> DocumentKind {
    match kind {
        PolicyKind::Scp => DocumentKind::ServiceControl,
        PolicyKind::Signin => DocumentKind::ResourceControl,
        PolicyKind::Identity => DocumentKind::Identity,
    }
}

/// The most severe finding type that fails the run.
pub fn threshold(fail_on: FailOn) -> Severity {
    match fail_on {
        FailOn::Error => Severity::Error,
        FailOn::SecurityWarning => Severity::SecurityWarning,
        FailOn::Warning => Severity::Warning,
        FailOn::Suggestion => Severity::Suggestion,
    }
}

/// ValidatePolicy for each document, one after the other (a handful of calls).
pub fn check(aws: &AwsArgs, documents: Vec<Document>) -> Result<Vec<Checked>> {
    session::block_on(async {
        let config = session::sdk_config(aws).await;
        let analyzer = AccessAnalyzer::new(&config, &session::counter());
        let mut out = Vec::new();
        for document in documents {
            let findings = analyzer
                .validate_policy(&document.text, document_kind(document.kind))
                .await?;
            out.push(Checked { document, findings });
        }
        Ok(out)
    })?
}

/// Whether any finding is at least as severe as `fail_on`.
pub fn fails(checked: &[Checked], fail_on: FailOn) -> bool {
    let t = threshold(fail_on);
    checked
        .iter()
        .flat_map(|c| &c.findings)
        .any(|f| f.severity <= t)
}

/// Where a finding points in the document as rendered: `line:column`, or its path when the path
/// does not fit the text.
fn places(document: &Document, f: &Finding) -> Vec<String> {
    let file = match document.file {
        true => format!("{}:", document.name),
        false => String::new(),
    };
    f.locations
        .iter()
        .map(|l| match locate(&document.text, &l.path) {
            Some(p) => format!("{file}{p}"),
            None => format!("{file}{:?}", l.path),
        })
        .collect()
}

pub fn to_json(checked: &[Checked]) -> Value {
    json!(checked
        .iter()
        .map(|c| json!({
            "policy": c.document.name,
            "policy_type": document_kind(c.document.kind).as_str(),
            "findings": c.findings.iter().map(|f| json!({
                "type": f.severity.as_str(),
                "issue_code": f.issue_code,
                "details": f.details,
                "learn_more": f.learn_more,
                "at": places(&c.document, f),
            })).collect::<Vec<_>>(),
        }))
        .collect::<Vec<_>>())
}

pub fn print(checked: &[Checked]) -> std::io::Result<()> {
    for c in checked {
        let kind = document_kind(c.document.kind).as_str();
        if c.findings.is_empty() {
            outln!(
                "online: {} ({kind}): IAM Access Analyzer reports no finding",
                c.document.name
            )?;
            continue;
        }
        outln!(
            "online: {} ({kind}): {} finding(s) from IAM Access Analyzer",
            c.document.name,
            c.findings.len()
        )?;
        for f in &c.findings {
            let at = places(&c.document, f);
            outln!(
                "  {} {}{}: {}",
                f.severity.as_str(),
                printable(&f.issue_code),
                if at.is_empty() {
                    String::new()
                } else {
                    format!(" at {}", at.join(", "))
                },
                printable(&f.details)
            )?;
            if !f.learn_more.is_empty() {
                outln!("    {}", printable(&f.learn_more))?;
            }
        }
    }
    Ok(())
}
