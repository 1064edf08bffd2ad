//! IAM policy documents as IAM stores and counts them, for the identity-based fallback: the
//! URL-decoding of what IAM returns, sizes without whitespace, the account's quotas, the mark
//! on the inline copies scpctl writes, and the service principals of a role's trust policy.
//! Pure: the edge hands in the text IAM returned.
//!
//! Sources (IAM User Guide and IAM API Reference):
//! - "IAM and AWS STS quotas": managed policy 6,144 characters; inline policies, aggregate per
//!   entity, 2,048 for a user, 5,120 for a group, 10,240 for a role; 10 managed policies per
//!   entity by default; "IAM doesn't count white space when calculating the size of a policy".
//! - GetPolicyVersion, GetUserPolicy, GetRole ...: "The policy document returned in this
//!   structure is URL-encoded compliant with RFC 3986".
//! - GetAccountSummary: `SummaryMap` keys `PolicySizeQuota`, `UserPolicySizeQuota`,
//!   `GroupPolicySizeQuota`, `RolePolicySizeQuota`, `AttachedPoliciesPerUserQuota`,
//!   `AttachedPoliciesPerGroupQuota`, `AttachedPoliciesPerRoleQuota`.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::render::SID_IDENTITY;

/// The Sid of the inline copies scpctl writes. Inline policies cannot be tagged and a put
/// silently replaces a same-named one, so this mark is how scpctl recognises its own copy and
/// leaves alone one it did not write. IAM Sids allow letters and digits only.
pub const INLINE_SID: &str = "DenyAccessOutsideEnterpriseNetworkScpctl";

/// Versions IAM keeps per managed policy ("IAM and AWS STS quotas": 5).
pub const MAX_POLICY_VERSIONS: usize = 5;

/// RFC 3986 percent-decoding. `+` stays `+` (that is form encoding, not RFC 3986); a `%` not
/// followed by two hex digits is kept as is; bytes that are not UTF-8 become U+FFFD.
pub fn url_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                let (h, l) = (hex(h).unwrap_or(0), hex(l).unwrap_or(0));
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A policy document as IAM returned it, decoded: the URL-decoded text when that is JSON,
/// else the text as given when that is (an emulator that does not encode), else the decoded.
pub fn decode_document(raw: &str) -> String {
    let decoded = url_decode(raw);
    let is_json = |s: &str| serde_json::from_str::<Value>(s).is_ok();
    if !is_json(&decoded) && is_json(raw) {
        raw.to_string()
    } else {
        decoded
    }
}

/// Characters as IAM counts them against its quotas: white space is not counted.
pub fn iam_size(document: &str) -> usize {
    document.chars().filter(|c| !c.is_whitespace()).count()
}

/// The account's IAM quotas. Defaults are AWS's documented figures, used only for a key
/// `GetAccountSummary` did not return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quotas {
    pub policy_size: usize,
    pub user_inline: usize,
    pub group_inline: usize,
    pub role_inline: usize,
    pub user_attached: usize,
    pub group_attached: usize,
    pub role_attached: usize,
}

impl Default for Quotas {
    fn default() -> Self {
        Quotas {
            policy_size: 6144,
            user_inline: 2048,
            group_inline: 5120,
            role_inline: 10_240,
            user_attached: 10,
            group_attached: 10,
            role_attached: 10,
        }
    }
}

impl Quotas {
    /// From GetAccountSummary's `SummaryMap`; a missing or negative key keeps the default.
    pub fn from_summary(summary: &BTreeMap<String, i64>) -> Quotas {
        let d = Quotas::default();
        let get = |key: &str, default: usize| {
            summary
                .get(key)
                .and_then(|v| usize::try_from(*v).ok())
                .unwrap_or(default)
        };
        Quotas {
            policy_size: get("PolicySizeQuota", d.policy_size),
            user_inline: get("UserPolicySizeQuota", d.user_inline),
            group_inline: get("GroupPolicySizeQuota", d.group_inline),
            role_inline: get("RolePolicySizeQuota", d.role_inline),
            user_attached: get("AttachedPoliciesPerUserQuota", d.user_attached),
            group_attached: get("AttachedPoliciesPerGroupQuota", d.group_attached),
            role_attached: get("AttachedPoliciesPerRoleQuota", d.role_attached),
        }
    }
}

fn statements_mut(doc: &mut Value) -> Vec<&mut Value> {
    match doc.get_mut("Statement") {
        Some(Value::Array(items)) => items.iter_mut().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => vec![],
    }
}

fn statements(doc: &Value) -> Vec<&Value> {
    match doc.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => vec![],
    }
}

/// The inline copy of the rendered identity policy: the same document with its statement
/// marked [`INLINE_SID`]. `None` when the text is not the identity policy.
pub fn inline_document(document: &str) -> Option<String> {
    let mut doc: Value = serde_json::from_str(document).ok()?;
    let mut marked = 0;
    for s in statements_mut(&mut doc) {
        if s.get("Sid").and_then(Value::as_str) == Some(SID_IDENTITY) {
            s["Sid"] = Value::String(INLINE_SID.into());
            marked += 1;
        }
    }
    (marked > 0).then(|| serde_json::to_string(&doc).ok())?
}

/// Whether an inline policy's (decoded) document is a copy scpctl wrote: it carries the mark.
pub fn written_by_scpctl(document: &str) -> bool {
    serde_json::from_str::<Value>(document).is_ok_and(|doc| {
        statements(&doc)
            .iter()
            .any(|s| s.get("Sid").and_then(Value::as_str) == Some(INLINE_SID))
    })
}

/// The statements of an inline policy other than scpctl's marked one, each by its Sid (or
/// `statement N`, 1-based, without one): someone added them to a policy scpctl wrote, and
/// replacing or deleting that policy would lose them.
pub fn foreign_statements(document: &str) -> Vec<String> {
    let Ok(doc) = serde_json::from_str::<Value>(document) else {
        return vec![];
    };
    statements(&doc)
        .iter()
        .enumerate()
        .filter_map(|(i, s)| match s.get("Sid").and_then(Value::as_str) {
            Some(INLINE_SID) => None,
            Some(sid) if !sid.is_empty() => Some(crate::origin::excerpt(sid)),
            _ => Some(format!("statement {}", i + 1)),
        })
        .collect()
}

/// The service principals an (decoded) trust policy allows: a role assumed by a service calls
/// from AWS's addresses, which the network condition would deny.
pub fn service_principals(trust: &str) -> Vec<String> {
    let Ok(doc) = serde_json::from_str::<Value>(trust) else {
        return vec![];
    };
    let mut out = Vec::new();
    for s in statements(&doc) {
        if s.get("Effect").and_then(Value::as_str) != Some("Allow") {
            continue;
        }
        match s.get("Principal").and_then(|p| p.get("Service")) {
            Some(Value::String(one)) => out.push(one.clone()),
            Some(Value::Array(many)) => {
                out.extend(many.iter().filter_map(Value::as_str).map(str::to_string))
            }
            _ => {}
        }
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_url_decoded_as_rfc_3986() {
        assert_eq!(url_decode("%7B%22a%22%3A%22b+c%22%7D"), r#"{"a":"b+c"}"#);
        assert_eq!(url_decode("100%"), "100%");
        assert_eq!(url_decode("%zz%4"), "%zz%4");
        assert_eq!(url_decode("%C3%A9"), "é");
        assert_eq!(url_decode("%FF"), "\u{FFFD}");
        // Decoded whenever the decoding is JSON (IAM always encodes); an unencoded document
        // that would not survive decoding is kept as given.
        let raw = r#"{"a":"%41 %"}"#;
        assert_eq!(decode_document(raw), r#"{"a":"A %"}"#);
        assert_eq!(decode_document(r#"{"a":"50% off"}"#), r#"{"a":"50% off"}"#);
        assert_eq!(decode_document(r#"{"a":"%22"}"#), r#"{"a":"%22"}"#);
    }

    #[test]
    fn sizes_do_not_count_white_space() {
        assert_eq!(iam_size("{ \"a\" :\n\t\"b\" }"), 9);
    }

    #[test]
    fn quotas_come_from_the_summary_with_defaults_for_missing_keys() {
        let mut m = BTreeMap::new();
        m.insert("AttachedPoliciesPerUserQuota".to_string(), 20);
        m.insert("PolicySizeQuota".to_string(), -1);
        let q = Quotas::from_summary(&m);
        assert_eq!(q.user_attached, 20);
        assert_eq!(q.policy_size, 6144);
        assert_eq!(q.role_inline, 10_240);
    }

    #[test]
    fn inline_copies_are_marked_and_recognised() {
        let doc = r#"{"Version":"2012-10-17","Statement":{"Sid":"DenyAccessOutsideEnterpriseNetwork","Effect":"Deny","Action":"*","Resource":"*"}}"#;
        let inline = inline_document(doc).unwrap();
        assert!(inline.contains(INLINE_SID) && written_by_scpctl(&inline));
        assert!(!written_by_scpctl(doc));
        assert!(!written_by_scpctl("not json"));
        assert_eq!(inline_document(r#"{"Statement":[]}"#), None);
    }

    #[test]
    fn service_principals_are_read_from_trust_policies() {
        let trust = r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":["lambda.amazonaws.com","ec2.amazonaws.com"]}},{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::1:saml-provider/x"}},{"Effect":"Deny","Principal":{"Service":"s3.amazonaws.com"}}]}"#;
        assert_eq!(
            service_principals(trust),
            ["ec2.amazonaws.com", "lambda.amazonaws.com"]
        );
        assert!(
            service_principals(r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"*"}}}"#)
                .is_empty()
        );
        assert!(service_principals("garbage").is_empty());
    }
}
