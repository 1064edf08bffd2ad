//! The typed context entries IAM's policy simulator takes for a request (IAM API Reference,
//! "ContextEntry": `ContextKeyType` is one of string, stringList, numeric, numericList, boolean,
//! booleanList, ip, ipList, binary, binaryList, date, dateList; `ContextKeyName` is 5 to 256
//! characters). Every key of the request is passed explicitly: the simulator answers with
//! confidence even when a key its policies read was not given.

use crate::eval::RequestContext;
use crate::eval::{is_multivalued, key_type, KeyType};

/// IAM's `ContextKeyTypeEnum`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContextType {
    String,
    StringList,
    Numeric,
    NumericList,
    Boolean,
    BooleanList,
    Ip,
    IpList,
    Binary,
    BinaryList,
    Date,
    DateList,
}

impl ContextType {
    /// IAM's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ContextType::String => "string",
            ContextType::StringList => "stringList",
            ContextType::Numeric => "numeric",
            ContextType::NumericList => "numericList",
            ContextType::Boolean => "boolean",
            ContextType::BooleanList => "booleanList",
            ContextType::Ip => "ip",
            ContextType::IpList => "ipList",
            ContextType::Binary => "binary",
            ContextType::BinaryList => "binaryList",
            ContextType::Date => "date",
            ContextType::DateList => "dateList",
        }
    }

    fn list(self) -> ContextType {
        match self {
            ContextType::String => ContextType::StringList,
            ContextType::Numeric => ContextType::NumericList,
            ContextType::Boolean => ContextType::BooleanList,
            ContextType::Ip => ContextType::IpList,
            ContextType::Binary => ContextType::BinaryList,
            ContextType::Date => ContextType::DateList,
            list => list,
        }
    }
}

/// One context entry for the simulator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypedEntry {
    pub name: String,
    pub kind: ContextType,
    pub values: Vec<String>,
}

/// A part of the request the simulator is not given as it is, and why; `sent` when the entry
/// goes to AWS all the same (so the CLI says the simulator's reading of it is unconfirmed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotTaken {
    pub key: String,
    pub sent: bool,
    pub reason: String,
}

/// What goes to the simulator for one request, and what does not.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SimulatorContext {
    pub entries: Vec<TypedEntry>,
    pub not_taken: Vec<NotTaken>,
}

/// `ContextKeyName`'s length bounds (IAM API Reference, "ContextEntry").
const NAME_LEN: std::ops::RangeInclusive<usize> = 5..=256;

/// The simulator's context for `ctx`: each key with the IAM type of scpctl's key catalogue
/// (IAM User Guide, "AWS global condition context keys", each key's data type; a key the
/// catalogue does not type is a string), as a list type when the key is multivalued or holds
/// more than one value.
pub fn simulator_entries(ctx: &RequestContext) -> SimulatorContext {
    let mut out = SimulatorContext::default();
    for (key, values) in ctx.entries() {
        if !NAME_LEN.contains(&key.chars().count()) {
            out.not_taken.push(NotTaken {
                key: key.to_string(),
                sent: false,
                reason: format!(
                    "IAM takes context key names of 5 to 256 characters; this one has {}",
                    key.chars().count()
                ),
            });
            continue;
        }
        let single = match key_type(key) {
            Some(KeyType::Ip) => ContextType::Ip,
            Some(KeyType::Date) => ContextType::Date,
            Some(KeyType::Numeric) => ContextType::Numeric,
            Some(KeyType::Bool) => ContextType::Boolean,
            // IAM's ARN operators read strings; ContextKeyType has no ARN type.
            Some(KeyType::Arn) | None => ContextType::String,
        };
        let kind = if is_multivalued(key) || values.len() > 1 {
            single.list()
        } else {
            single
        };
        let values = values
            .iter()
            .map(|v| match single {
                // IAM spells booleans in lower case; scpctl reads `True` as true too.
                ContextType::Boolean => v.trim().to_ascii_lowercase(),
                _ => v.clone(),
            })
            .collect();
        if let Some(reason) = undocumented(key) {
            out.not_taken.push(NotTaken {
                key: key.to_string(),
                sent: true,
                reason: reason.to_string(),
            });
        }
        out.entries.push(TypedEntry {
            name: key.to_string(),
            kind,
            values,
        });
    }
    if ctx.management_account {
        out.not_taken.push(NotTaken {
            key: "(management account)".into(),
            sent: false,
            reason: "the simulator takes no input saying the caller is in the management account, which SCPs never restrict: it applies the SCPs".into(),
        });
    }
    if ctx.is_service_linked_role() {
        out.not_taken.push(NotTaken {
            key: "(service-linked role)".into(),
            sent: false,
            reason: "the simulator takes no input saying the caller is a service-linked role, which SCPs never restrict: it applies the SCPs".into(),
        });
    }
    out
}

/// The keys the simulated policies read (`read_keys` of the compiled policies or set, lower-cased)
/// that the request does not give. AWS's `MissingContextValues` does not list keys read only by
/// SCPs sent in `OrderedOrganizationPolicyInputList` (aws/aws-cli issue 10525: the decision is
/// then made against an absent key, with nothing in the answer saying so): the CLI lists these
/// itself, from scpctl's own reading of the same documents.
pub fn keys_not_given(read_keys: &[String], ctx: &RequestContext) -> Vec<String> {
    let mut out: Vec<String> = read_keys
        .iter()
        .filter(|k| ctx.get(k).is_none())
        .cloned()
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Keys that describe the caller rather than the request. `ContextEntry` accepts any key name,
/// but neither the SimulateCustomPolicy reference nor the policy simulator guide says the
/// simulator reads the caller's tags or type from a context entry instead of from the caller
/// (the custom simulation has no caller but `CallerArn`): scpctl sends them and says the
/// simulator's reading of them is not documented, instead of guessing.
fn undocumented(key: &str) -> Option<&'static str> {
    let lower = key.to_ascii_lowercase();
    if lower.starts_with("aws:principaltag/") {
        Some("a principal tag: AWS does not document that the simulator reads it from a context entry")
    } else if lower == "aws:principaltype" {
        Some("the principal type: AWS does not document that the simulator reads it from a context entry")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry<'a>(c: &'a SimulatorContext, name: &str) -> &'a TypedEntry {
        c.entries.iter().find(|e| e.name == name).unwrap()
    }

    #[test]
    fn each_key_gets_the_iam_type_of_the_catalogue() {
        let ctx = RequestContext::new("s3:GetObject")
            .with("aws:SourceIp", "203.0.113.9")
            .with("aws:CurrentTime", "2026-12-04T17:00:00Z")
            .with("aws:MultiFactorAuthAge", "300")
            .with("aws:ViaAWSService", "False")
            .with("aws:PrincipalArn", "arn:aws:iam::111122223333:user/alice")
            .with("s3:prefix", "home/")
            .with_values("aws:CalledVia", &["cloudformation.amazonaws.com"])
            .with_values("aws:VpcSourceIp", &["10.0.0.1", "10.0.0.2"]);
        let c = simulator_entries(&ctx);
        let kinds: Vec<(&str, &str)> = c
            .entries
            .iter()
            .map(|e| (e.name.as_str(), e.kind.as_str()))
            .collect();
        for expected in [
            ("aws:SourceIp", "ip"),
            ("aws:CurrentTime", "date"),
            ("aws:MultiFactorAuthAge", "numeric"),
            ("aws:ViaAWSService", "boolean"),
            ("aws:PrincipalArn", "string"),
            ("s3:prefix", "string"),
            // Multivalued by definition, even with one value.
            ("aws:CalledVia", "stringList"),
            // Two values of an IP key.
            ("aws:VpcSourceIp", "ipList"),
        ] {
            assert!(kinds.contains(&expected), "{expected:?} in {kinds:?}");
        }
        assert_eq!(entry(&c, "aws:ViaAWSService").values, vec!["false"]);
        assert_eq!(
            entry(&c, "aws:VpcSourceIp").values,
            vec!["10.0.0.1", "10.0.0.2"]
        );
        assert!(c.not_taken.is_empty(), "{:?}", c.not_taken);
    }

    #[test]
    fn caller_keys_are_sent_but_named_as_undocumented() {
        let ctx = RequestContext::new("s3:GetObject")
            .with("aws:PrincipalTag/network-exempt", "true")
            .with("aws:PrincipalType", "User");
        let c = simulator_entries(&ctx);
        assert_eq!(c.entries.len(), 2);
        assert_eq!(
            entry(&c, "aws:PrincipalTag/network-exempt").kind,
            ContextType::String
        );
        let keys: Vec<(&str, bool)> = c
            .not_taken
            .iter()
            .map(|n| (n.key.as_str(), n.sent))
            .collect();
        assert_eq!(
            keys,
            vec![
                ("aws:PrincipalTag/network-exempt", true),
                ("aws:PrincipalType", true)
            ]
        );
        assert!(c.not_taken[0].reason.contains("principal tag"));
    }

    #[test]
    fn keys_the_scps_read_and_the_request_lacks_are_listed() {
        use crate::eval::{CompiledPolicy, PolicyType};
        use crate::policy::PolicyDocument;
        let doc = PolicyDocument::from_json(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*",
            "Condition":{"NotIpAddressIfExists":{"aws:SourceIp":["203.0.113.0/24"]},
            "StringNotEquals":{"aws:RequestedRegion":"eu-west-1"}}}]}"#,
        )
        .unwrap();
        let read = CompiledPolicy::new(&doc, PolicyType::Scp)
            .unwrap()
            .read_keys();
        let ctx = RequestContext::new("s3:GetObject").with("aws:SourceIP", "203.0.113.9");
        // Given under another spelling still counts (key names are case-insensitive);
        // aws:PrincipalArn is read by the service-linked role exemption of every SCP.
        assert_eq!(
            keys_not_given(&read, &ctx),
            vec!["aws:principalarn", "aws:requestedregion"]
        );
        let ctx = ctx
            .with("aws:RequestedRegion", "eu-west-1")
            .with("aws:PrincipalArn", "arn:aws:iam::111122223333:user/alice");
        assert!(keys_not_given(&read, &ctx).is_empty());
    }

    #[test]
    fn what_the_simulator_cannot_take_is_listed_not_sent() {
        let long = format!("aws:RequestTag/{}", "k".repeat(250));
        let ctx = RequestContext::new("s3:GetObject")
            .with("a:b", "x")
            .with(&long, "y")
            .with_management_account(true)
            .with(
                "aws:PrincipalArn",
                "arn:aws:iam::111122223333:role/aws-service-role/x/y",
            );
        let c = simulator_entries(&ctx);
        let names: Vec<&str> = c.entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, vec!["aws:PrincipalArn"]);
        let not: Vec<(&str, bool)> = c
            .not_taken
            .iter()
            .map(|n| (n.key.as_str(), n.sent))
            .collect();
        assert_eq!(
            not,
            vec![
                ("a:b", false),
                (long.as_str(), false),
                ("(management account)", false),
                ("(service-linked role)", false)
            ]
        );
        assert!(c.not_taken[0].reason.contains("has 3"));
    }
}
