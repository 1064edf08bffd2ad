//! The denial alarm: an EventBridge rule on calls refused "with an explicit deny in a service
//! control policy" (any service, any monitored Region), to the same SNS topic as the other
//! rules, with an input transformer that turns the CloudTrail event into a readable mail (who,
//! what, from where, which policy). The command layer passes scpctl's policy id (`--policy-id`,
//! or the id found by name and `ManagedBy=scpctl`) to [`super::rules_for`]; then only
//! messages naming that policy's ARN, or naming no ARN at all, match.
//!
//! What it misses: services that record only "Access Denied" (S3 among them) or encode the
//! reason; messages of callers from outside the organization, which carry no ARN (they still
//! match the phrase); and EventBridge receives only the CloudTrail events it is sent (AWS API
//! Call via CloudTrail, read-only calls included only where the trail's EventBridge delivery
//! covers them).

use serde_json::{json, Value};

use super::AlertRule;

/// The rule's logical name.
pub const DENIAL_RULE: &str = "ScpDenial";

const PHRASE: &str = "explicit deny in a service control policy";

/// The rule. With `policy_id`, the ARN form must name it; messages without an ARN match too
/// (they may be scpctl's policy: `denials` decides with the replay).
pub fn denial_rule(policy_id: Option<&str>) -> AlertRule {
    let matchers = match policy_id {
        None => json!([{ "wildcard": format!("*{PHRASE}*") }]),
        Some(id) => json!([
            { "wildcard": format!("*{PHRASE}: arn:*/service_control_policy/{id}*") },
            { "suffix": PHRASE },
            { "suffix": format!("{PHRASE}.") },
            { "wildcard": format!("*{PHRASE}. *") }
        ]),
    };
    let description = match policy_id {
        None => "A call was refused by an explicit deny in a service control policy".to_string(),
        Some(id) => format!(
            "A call was refused by an explicit deny in a service control policy ({id}, or one not named)"
        ),
    };
    AlertRule {
        name: DENIAL_RULE,
        description,
        pattern: json!({
            "detail-type": [super::API_CALL],
            "detail": { "errorMessage": matchers }
        }),
        global_only: false,
    }
}

/// The transformer's paths (EventBridge JSON paths in dot notation) and template, for the
/// rules that have one.
pub fn input_transformer(rule: &str) -> Option<(Value, String)> {
    if rule != DENIAL_RULE {
        return None;
    }
    let paths = json!({
        "who": "$.detail.userIdentity.arn",
        "account": "$.detail.userIdentity.accountId",
        "service": "$.detail.eventSource",
        "action": "$.detail.eventName",
        "ip": "$.detail.sourceIPAddress",
        "region": "$.detail.awsRegion",
        "time": "$.detail.eventTime",
        "event": "$.detail.eventID",
        "message": "$.detail.errorMessage"
    });
    let template = [
        "scpctl: a call was refused by an explicit deny in a service control policy.",
        "Who: <who> (account <account>)",
        "What: <action> on <service>, in <region>, at <time>",
        "From: <ip>",
        "Which policy: the message below names it when AWS adds the policy ARN; otherwise run scpctl denials on the trail.",
        "Message: <message>",
        "CloudTrail event id: <event>",
    ]
    .join("\n");
    Some((paths, template))
}
