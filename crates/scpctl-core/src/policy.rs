//! The policy document model: what a policy says, parsed from JSON with errors that name the
//! statement and element at fault. Used to check rendered documents and by the evaluator.

use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// `Action` or `NotAction`, each a list of patterns (`*`, `s3:*`, `s3:List*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionSpec {
    Action(Vec<String>),
    NotAction(Vec<String>),
}

/// `Resource` or `NotResource`; absent is allowed (SCPs may omit it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceSpec {
    Absent,
    Resource(Vec<String>),
    NotResource(Vec<String>),
}

/// One `"Operator": {"key": values}` pair of a Condition block, in document order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionEntry {
    pub operator: String,
    pub key: String,
    /// Values as strings (JSON booleans and numbers are spelled as IAM reads them).
    pub values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    pub action: ActionSpec,
    pub resource: ResourceSpec,
    /// Whether the statement has a `Principal`/`NotPrincipal` (resource policies only).
    pub has_principal: bool,
    /// `Principal` is everyone: `"*"` or `{"AWS": "*"}` (what an RCP requires).
    pub principal_is_any: bool,
    pub conditions: Vec<ConditionEntry>,
}

impl Statement {
    /// The Sid, or `#N` (1-based position) when the statement has none.
    pub fn label(&self, index: usize) -> String {
        self.sid
            .clone()
            .unwrap_or_else(|| format!("#{}", index + 1))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyDocument {
    pub version: Option<String>,
    pub statements: Vec<Statement>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("not valid JSON: {0}")]
    Json(String),
    #[error("{0}")]
    Shape(String),
}

fn shape(msg: impl Into<String>) -> PolicyError {
    PolicyError::Shape(msg.into())
}

/// A JSON string, or an array of strings, as a list.
fn string_list(v: &Value, what: &str) -> Result<Vec<String>, PolicyError> {
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| shape(format!("{what} must hold strings, found {i}")))
            })
            .collect(),
        other => Err(shape(format!(
            "{what} must be a string or a list of strings, found {other}"
        ))),
    }
}

/// A condition value: IAM reads JSON booleans and numbers by their text.
fn scalar(v: &Value, what: &str) -> Result<String, PolicyError> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(shape(format!(
            "{what}: a condition value must be a string, boolean or number, found {other}"
        ))),
    }
}

impl PolicyDocument {
    pub fn from_json(text: &str) -> Result<PolicyDocument, PolicyError> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| PolicyError::Json(e.to_string()))?;
        PolicyDocument::from_value(&value)
    }

    pub fn from_value(value: &Value) -> Result<PolicyDocument, PolicyError> {
        let obj = value
            .as_object()
            .ok_or_else(|| shape("a policy document must be a JSON object"))?;
        for key in obj.keys() {
            if !matches!(key.as_str(), "Version" | "Id" | "Statement") {
                return Err(shape(format!("unknown top-level element {key:?}")));
            }
        }
        let version = match obj.get("Version") {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => return Err(shape(format!("Version must be a string, found {other}"))),
        };
        let raw_statements: Vec<&Value> = match obj.get("Statement") {
            None => return Err(shape("the policy has no Statement")),
            Some(Value::Array(items)) => items.iter().collect(),
            Some(single @ Value::Object(_)) => vec![single],
            Some(other) => {
                return Err(shape(format!(
                    "Statement must be an object or a list, found {other}"
                )))
            }
        };
        if raw_statements.is_empty() {
            return Err(shape("the policy's Statement list is empty"));
        }
        let statements = raw_statements
            .iter()
            .enumerate()
            .map(|(i, s)| parse_statement(i, s))
            .collect::<Result<_, _>>()?;
        Ok(PolicyDocument {
            version,
            statements,
        })
    }
}

fn parse_statement(index: usize, value: &Value) -> Result<Statement, PolicyError> {
    let obj = value
        .as_object()
        .ok_or_else(|| shape(format!("statement #{} must be an object", index + 1)))?;
    let sid = match obj.get("Sid") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            return Err(shape(format!(
                "statement #{}: Sid must be a string, found {other}",
                index + 1
            )))
        }
    };
    let label = sid.clone().unwrap_or_else(|| format!("#{}", index + 1));
    let here = |msg: String| shape(format!("statement {label}: {msg}"));
    for key in obj.keys() {
        let known = [
            "Sid",
            "Effect",
            "Action",
            "NotAction",
            "Resource",
            "NotResource",
            "Principal",
            "NotPrincipal",
            "Condition",
        ];
        if !known.contains(&key.as_str()) {
            return Err(here(format!("unknown element {key:?}")));
        }
    }
    let effect = match obj.get("Effect").and_then(Value::as_str) {
        Some("Allow") => Effect::Allow,
        Some("Deny") => Effect::Deny,
        Some(other) => {
            return Err(here(format!(
                "Effect must be \"Allow\" or \"Deny\", found {other:?}"
            )))
        }
        None => return Err(here("Effect is missing or not a string".into())),
    };
    let action = match (obj.get("Action"), obj.get("NotAction")) {
        (Some(a), None) => {
            ActionSpec::Action(string_list(a, "Action").map_err(|e| here(e.to_string()))?)
        }
        (None, Some(a)) => {
            ActionSpec::NotAction(string_list(a, "NotAction").map_err(|e| here(e.to_string()))?)
        }
        (Some(_), Some(_)) => return Err(here("has both Action and NotAction".into())),
        (None, None) => return Err(here("has neither Action nor NotAction".into())),
    };
    let resource = match (obj.get("Resource"), obj.get("NotResource")) {
        (Some(r), None) => {
            ResourceSpec::Resource(string_list(r, "Resource").map_err(|e| here(e.to_string()))?)
        }
        (None, Some(r)) => ResourceSpec::NotResource(
            string_list(r, "NotResource").map_err(|e| here(e.to_string()))?,
        ),
        (Some(_), Some(_)) => return Err(here("has both Resource and NotResource".into())),
        (None, None) => ResourceSpec::Absent,
    };
    let mut conditions = Vec::new();
    if let Some(cond) = obj.get("Condition") {
        let block = cond
            .as_object()
            .ok_or_else(|| here("Condition must be an object".into()))?;
        for (operator, keys) in block {
            let keys = keys.as_object().ok_or_else(|| {
                here(format!(
                    "Condition operator {operator} must map keys to values"
                ))
            })?;
            if keys.is_empty() {
                return Err(here(format!("Condition operator {operator} has no keys")));
            }
            for (key, values) in keys {
                let what = format!("{operator} {key}");
                let values = match values {
                    Value::Array(items) => items
                        .iter()
                        .map(|v| scalar(v, &what))
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(|e| here(e.to_string()))?,
                    single => vec![scalar(single, &what).map_err(|e| here(e.to_string()))?],
                };
                if values.is_empty() {
                    return Err(here(format!("{what} has an empty list of values")));
                }
                conditions.push(ConditionEntry {
                    operator: operator.clone(),
                    key: key.clone(),
                    values,
                });
            }
        }
    }
    Ok(Statement {
        sid,
        effect,
        action,
        resource,
        has_principal: obj.contains_key("Principal") || obj.contains_key("NotPrincipal"),
        principal_is_any: obj.get("Principal").is_some_and(|p| {
            let star = |v: &Value| match v {
                Value::String(s) => s == "*",
                Value::Array(items) => items.len() == 1 && items[0] == "*",
                _ => false,
            };
            star(p)
                || p.as_object()
                    .is_some_and(|o| o.len() == 1 && o.get("AWS").is_some_and(star))
        }),
        conditions,
    })
}

/// One value as a plain string, several as a list: the policy grammar accepts both, and one
/// entry spelled plain is 2 characters shorter. The one helper for every rendered list.
pub fn one_or_list(values: &[String]) -> serde_json::Value {
    use serde_json::Value;
    match values {
        [one] => Value::String(one.clone()),
        many => Value::Array(many.iter().cloned().map(Value::String).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_seed_identity_policy_with_a_single_statement_object() {
        let doc = PolicyDocument::from_json(
            r#"{"Version":"2012-10-17","Statement":{"Sid":"DenyAccessOutsideEnterpriseNetwork","Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","203.0.113.0/24"]},"Bool":{"aws:ViaAWSService":false}}}}"#,
        )
        .unwrap();
        assert_eq!(doc.statements.len(), 1);
        let s = &doc.statements[0];
        assert_eq!(s.effect, Effect::Deny);
        assert_eq!(s.action, ActionSpec::Action(vec!["*".into()]));
        assert_eq!(
            s.conditions[0].values,
            vec!["192.0.2.0/24", "203.0.113.0/24"]
        );
        // A JSON boolean reads as its text.
        assert_eq!(s.conditions[1].values, vec!["false"]);
    }

    #[test]
    fn errors_name_the_statement() {
        let e = PolicyDocument::from_json(
            r#"{"Statement":[{"Sid":"A","Effect":"Maybe","Action":"*"}]}"#,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "statement A: Effect must be \"Allow\" or \"Deny\", found \"Maybe\""
        );
        let e = PolicyDocument::from_json(r#"{"Statement":[{"Effect":"Deny"}]}"#).unwrap_err();
        assert_eq!(
            e.to_string(),
            "statement #1: has neither Action nor NotAction"
        );
        let e = PolicyDocument::from_json(
            r#"{"Statement":[{"Effect":"Deny","Action":"*","Condition":{"Bool":{"k":{}}}}]}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("Bool k"), "{e}");
        assert!(matches!(
            PolicyDocument::from_json("{"),
            Err(PolicyError::Json(_))
        ));
        assert!(PolicyDocument::from_json(r#"{"Statement":[]}"#).is_err());
        assert!(PolicyDocument::from_json(
            r#"{"Statement":[{"Effect":"Deny","Action":"*","Acton":"x"}]}"#
        )
        .is_err());
    }
}
