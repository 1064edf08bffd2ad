//! The monitoring the guide asks for (seed §6.3, "Enable CloudTrail monitoring and alerting for
//! break-glass usage"), as Amazon EventBridge rules on CloudTrail events: break-glass use, the
//! exception tag changing, the guardrail changing. Pure: patterns are JSON values; `iac.rs`
//! wraps them in CloudFormation or Terraform, and [`pattern_matches`] evaluates a pattern on an
//! event the way EventBridge does, for the tests and for anyone checking a sample event.
//!
//! Where events arrive (CloudTrail User Guide, "CloudTrail concepts: global service events";
//! AWS Sign-In, "Logging sign-in events"): Organizations, IAM and STS global-endpoint events in
//! us-east-1; console sign-in events and regional STS endpoints in the Region of the endpoint
//! used. So the rules on global services go to one Region (the first of `[monitoring] regions`,
//! us-east-1 by default), the others to every listed Region.

use serde_json::{json, Map, Value};

use crate::config::monitoring_values::GLOBAL_EVENT_REGIONS;
use crate::config::{Config, MonitoringSettings};

// The values the config checks, where callers of this module have always found them.
pub use crate::config::monitoring_values::{check_email, check_topic_arn};

/// One EventBridge rule.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRule {
    /// Logical name (`BreakGlassAssumeRole`): the CloudFormation id and Terraform name.
    pub name: &'static str,
    pub description: String,
    pub pattern: Value,
    /// Only in the Region where global-service events arrive.
    pub global_only: bool,
}

const API_CALL: &str = "AWS API Call via CloudTrail";
const SIGN_IN: &str = "AWS Console Sign In via CloudTrail";

/// An ARN pattern as an EventBridge matcher: exact string, or `wildcard` when it has `*`.
/// (EventBridge's wildcard knows `*` only: a `?` is kept literally, so patterns with `?` are
/// widened to `*` there, which can only alert more, never less.)
fn arn_matcher(pattern: &str) -> Value {
    if pattern.contains('*') || pattern.contains('?') {
        json!({ "wildcard": pattern.replace('?', "*") })
    } else {
        json!(pattern)
    }
}

/// `arn:P:iam::A:role/[PATH/]NAME` as its parts (partition, account, path with its slashes,
/// name), for a role pattern.
fn role_parts(pattern: &str) -> Option<(&str, &str, &str, &str)> {
    let parts: Vec<&str> = pattern.splitn(6, ':').collect();
    let [_, partition, _, _, account, resource] = parts.as_slice() else {
        return None;
    };
    let rest = resource.strip_prefix("role/")?;
    let (path, name) = match rest.rfind('/') {
        Some(i) => (&rest[..=i], &rest[i + 1..]),
        None => ("", rest),
    };
    Some((partition, account, path, name))
}

/// The role pattern as a session issuer's ARN: itself, and, when it names no path, the same
/// name under any path (IAM Identity Center's roles live under `aws-reserved/sso.amazonaws.com/`).
fn issuer_matchers(pattern: &str) -> Vec<Value> {
    let mut out = vec![arn_matcher(pattern)];
    if let Some((partition, account, "", name)) = role_parts(pattern) {
        out.push(json!({ "wildcard": format!("arn:{partition}:iam::{account}:role/*/{name}").replace('?', "*") }));
    }
    out
}

/// The assumed-role session ARN of a role pattern: `arn:P:sts::A:assumed-role/NAME/*` (session
/// ARNs carry no path).
fn session_matcher(pattern: &str) -> Option<Value> {
    let (partition, account, _, name) = role_parts(pattern)?;
    Some(
        json!({ "wildcard": format!("arn:{partition}:sts::{account}:assumed-role/{name}/*").replace('?', "*") }),
    )
}

fn split_principals(principals: &[String]) -> (Vec<&String>, Vec<&String>) {
    principals.iter().partition(|p| {
        p.splitn(6, ':')
            .nth(5)
            .is_some_and(|r| r.starts_with("role/"))
    })
}

/// Every rule for this config, with the denial alarm on any SCP's explicit deny.
pub fn rules(config: &Config) -> Vec<AlertRule> {
    rules_for(config, None)
}

/// Every rule for this config. Break-glass rules only when `[break_glass] principals` lists
/// some (roles and users each their own). With `policy_id` (scpctl's SCP), the denial alarm
/// watches that policy's denials (and unnamed ones) only.
pub fn rules_for(config: &Config, policy_id: Option<&str>) -> Vec<AlertRule> {
    let mut rules = Vec::new();
    let (roles, users) = split_principals(&config.break_glass.principals);
    if !roles.is_empty() {
        let role_matchers: Vec<Value> = roles.iter().map(|r| arn_matcher(r)).collect();
        rules.push(AlertRule {
            name: "BreakGlassAssumeRole",
            description: "A break-glass role was assumed (sts:AssumeRole)".into(),
            pattern: json!({
                "source": ["aws.sts"],
                "detail-type": [API_CALL],
                "detail": {
                    "eventSource": ["sts.amazonaws.com"],
                    "eventName": ["AssumeRole"],
                    "requestParameters": { "roleArn": role_matchers }
                }
            }),
            global_only: false,
        });
    }
    let mut sign_in = Vec::new();
    if !users.is_empty() {
        let m: Vec<Value> = users.iter().map(|u| arn_matcher(u)).collect();
        sign_in.push(json!({ "userIdentity": { "arn": m } }));
    }
    if !roles.is_empty() {
        // The role as the session's issuer, with or without a path (a pattern without one also
        // matches `role/aws-reserved/sso.amazonaws.com/.../NAME`); and the assumed-role ARN,
        // because some ConsoleLogin records of assumed roles carry no sessionContext.
        let issuers: Vec<Value> = roles.iter().flat_map(|r| issuer_matchers(r)).collect();
        let sessions: Vec<Value> = roles.iter().filter_map(|r| session_matcher(r)).collect();
        sign_in.push(
            json!({ "userIdentity": { "sessionContext": { "sessionIssuer": { "arn": issuers } } } }),
        );
        if !sessions.is_empty() {
            sign_in.push(json!({ "userIdentity": { "arn": sessions } }));
        }
    }
    if !sign_in.is_empty() {
        let detail = if sign_in.len() == 1 {
            sign_in.remove(0)
        } else {
            json!({ "$or": sign_in })
        };
        rules.push(AlertRule {
            name: "BreakGlassConsoleSignIn",
            description: "Console sign-in as a break-glass user or role".into(),
            pattern: json!({
                "source": ["aws.signin"],
                "detail-type": [SIGN_IN],
                "detail": detail
            }),
            global_only: false,
        });
    }
    if !users.is_empty() {
        let m: Vec<Value> = users.iter().map(|u| arn_matcher(u)).collect();
        rules.push(AlertRule {
            name: "BreakGlassUserApiCall",
            description: "An API call by a break-glass IAM user".into(),
            pattern: json!({
                "detail-type": [API_CALL],
                "detail": { "userIdentity": { "type": ["IAMUser"], "arn": m } }
            }),
            global_only: false,
        });
    }
    // IAM tag keys are case-insensitive: `accessexception` is the same tag.
    let key = json!([{ "equals-ignore-case": config.policy.exception_tag.key }]);
    rules.push(AlertRule {
        name: "ExceptionTagChanged",
        description: format!(
            "The exception tag {} was set on or removed from an IAM user",
            config.policy.exception_tag.key
        ),
        pattern: json!({
            "source": ["aws.iam"],
            "detail-type": [API_CALL],
            "detail": {
                "eventSource": ["iam.amazonaws.com"],
                "$or": [
                    { "eventName": ["TagUser"], "requestParameters": { "tags": { "key": key } } },
                    { "eventName": ["UntagUser"], "requestParameters": { "tagKeys": key } }
                ]
            }
        }),
        global_only: true,
    });
    rules.push(AlertRule {
        name: "GuardrailChanged",
        description:
            "A service control policy was changed, detached or deleted, or SCPs were disabled"
                .into(),
        pattern: json!({
            "source": ["aws.organizations"],
            "detail-type": [API_CALL],
            "detail": {
                "eventSource": ["organizations.amazonaws.com"],
                "eventName": ["UpdatePolicy", "DetachPolicy", "DeletePolicy", "DisablePolicyType"]
            }
        }),
        global_only: true,
    });
    // AWS Sign-In: console authorization turned off or changed, account statements deleted:
    // the console half of the guardrail (Sign-In writes go to us-east-1).
    rules.push(AlertRule {
        name: "ConsoleSignInGuardrailChanged",
        description: "Console authorization or an account-level Sign-In statement was changed or deleted".into(),
        pattern: json!({
            "source": ["aws.signin"],
            "detail-type": [API_CALL],
            "detail": {
                "eventSource": ["signin.amazonaws.com"],
                "eventName": ["PutConsoleAuthorizationConfiguration", "DeleteConsoleAuthorizationConfiguration",
                              "PutResourcePermissionStatement", "DeleteResourcePermissionStatement"]
            }
        }),
        global_only: true,
    });
    let name = &config.identity.name;
    rules.push(AlertRule {
        name: "FallbackPolicyChanged",
        description: format!("The identity-based policy {name} was changed, detached or deleted"),
        pattern: json!({
            "source": ["aws.iam"],
            "detail-type": [API_CALL],
            "detail": {
                "eventSource": ["iam.amazonaws.com"],
                "$or": [
                    {
                        "eventName": ["CreatePolicyVersion", "SetDefaultPolicyVersion", "DeletePolicyVersion", "DeletePolicy",
                                      "DetachUserPolicy", "DetachGroupPolicy", "DetachRolePolicy"],
                        "requestParameters": { "policyArn": [
                            { "wildcard": format!("arn:*:iam::*:policy/{name}") },
                            { "wildcard": format!("arn:*:iam::*:policy/*/{name}") }
                        ] }
                    },
                    {
                        "eventName": ["PutUserPolicy", "PutGroupPolicy", "PutRolePolicy",
                                      "DeleteUserPolicy", "DeleteGroupPolicy", "DeleteRolePolicy"],
                        "requestParameters": { "policyName": [name] }
                    }
                ]
            }
        }),
        global_only: true,
    });
    rules.push(denials::denial_rule(policy_id));
    rules
}

/// What `status` found of one `[break_glass]` principal.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum BreakGlassState {
    /// Names (or matches) at least one role or user of the account checked.
    Found { matches: Vec<String> },
    /// Lies in the account checked, and nothing there is (or matches) it.
    Missing,
    /// Names another account: not checked from here.
    OtherAccount,
}

/// Check each break-glass principal against the roles and users of `account` (their ARNs as
/// listed by IAM). A pattern whose account part is `*` or matches `account` is checked.
pub fn break_glass_report(
    principals: &[String],
    account: &str,
    existing: &[String],
) -> Vec<(String, BreakGlassState)> {
    principals
        .iter()
        .map(|p| {
            let account_part = p.split(':').nth(4).unwrap_or_default();
            let here = crate::eval::arn_like(
                &format!("arn:*:iam::{account_part}:x"),
                &format!("arn:aws:iam::{account}:x"),
            );
            if !here {
                return (p.clone(), BreakGlassState::OtherAccount);
            }
            // IAM ARNs carry a path (`role/ops/BreakGlass`); a pattern without one means the
            // root path only, as IAM's ArnLike would.
            let matches: Vec<String> = existing
                .iter()
                .filter(|arn| crate::eval::arn_like(p, arn))
                .cloned()
                .collect();
            let state = if matches.is_empty() {
                BreakGlassState::Missing
            } else {
                BreakGlassState::Found { matches }
            };
            (p.clone(), state)
        })
        .collect()
}

/// The Region where global-service rules go: the listed one among [`GLOBAL_EVENT_REGIONS`]
/// (the config refuses a list without one).
pub fn global_region(settings: &MonitoringSettings) -> &str {
    settings
        .regions
        .iter()
        .find(|r| GLOBAL_EVENT_REGIONS.contains(&r.as_str()))
        .map_or("us-east-1", String::as_str)
}

/// Whether `event` matches `pattern` as EventBridge decides (Amazon EventBridge User Guide,
/// "Event patterns" and "Content filtering"): every field of the pattern must match; a leaf is a
/// list of matchers, any of which may match; an array in the event matches when any element
/// does; `$or` takes any of its sub-patterns. Matchers: exact values, `prefix`, `suffix`,
/// `wildcard`, `equals-ignore-case`, `anything-but` (values or `prefix`), `exists`.
pub fn pattern_matches(pattern: &Value, event: &Value) -> bool {
    let Some(fields) = pattern.as_object() else {
        return false;
    };
    fields.iter().all(|(key, expected)| {
        if key == "$or" {
            return expected
                .as_array()
                .is_some_and(|alts| alts.iter().any(|alt| pattern_matches(alt, event)));
        }
        let found = event.get(key);
        match expected {
            Value::Object(_) => match found {
                Some(Value::Array(items)) => items.iter().any(|i| pattern_matches(expected, i)),
                Some(v) => pattern_matches(expected, v),
                None => false,
            },
            Value::Array(matchers) => leaf_matches(matchers, found),
            _ => false,
        }
    })
}

fn leaf_matches(matchers: &[Value], found: Option<&Value>) -> bool {
    let values: Vec<&Value> = match found {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(v) => vec![v],
        None => vec![],
    };
    matchers.iter().any(|m| match m {
        Value::Object(op) => {
            if let Some(exists) = op.get("exists").and_then(Value::as_bool) {
                return exists == found.is_some();
            }
            values.iter().any(|v| operator_matches(op, v))
        }
        literal => values.contains(&literal),
    })
}

fn operator_matches(op: &Map<String, Value>, value: &Value) -> bool {
    let text = value.as_str();
    if let Some(p) = op.get("prefix").and_then(Value::as_str) {
        return text.is_some_and(|t| t.starts_with(p));
    }
    if let Some(s) = op.get("suffix").and_then(Value::as_str) {
        return text.is_some_and(|t| t.ends_with(s));
    }
    if let Some(w) = op.get("wildcard").and_then(Value::as_str) {
        return text.is_some_and(|t| wildcard(w, t));
    }
    if let Some(e) = op.get("equals-ignore-case").and_then(Value::as_str) {
        return text.is_some_and(|t| t.to_lowercase() == e.to_lowercase());
    }
    if let Some(not) = op.get("anything-but") {
        return match not {
            Value::Array(list) => !list.contains(value),
            Value::Object(inner) => !operator_matches(inner, value),
            other => other != value,
        };
    }
    false
}

/// EventBridge's `wildcard`: `*` matches any run of characters; everything else literally.
fn wildcard(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(i) => rest = &rest[i + middle.len()..],
            None => return false,
        }
    }
    true
}

pub mod denials;
pub mod iac;

#[cfg(test)]
mod tests;
