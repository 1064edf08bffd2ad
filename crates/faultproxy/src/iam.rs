//! IAM's strict answers that moto does not give ("IAM and AWS STS quotas"): a managed policy
//! over its size quota, inline policies over the aggregate size per user, group or role, and
//! more managed policies attached to one entity than the quota. Each as IAM answers it:
//! `LimitExceeded` in the query protocol's XML error shape. Sizes do not count white space,
//! as IAM's do not. moto ignores paging, so one page of each list is the whole list.

use std::net::SocketAddr;

use bytes::Bytes;
use hyper::Request;

use crate::{send, Fault};

/// The IAM quotas the strict mode enforces: AWS's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IamLimits {
    pub policy_size: usize,
    pub user_inline: usize,
    pub group_inline: usize,
    pub role_inline: usize,
    pub attached_per_entity: usize,
}

impl Default for IamLimits {
    fn default() -> Self {
        IamLimits {
            policy_size: 6144,
            user_inline: 2048,
            group_inline: 5120,
            role_inline: 10_240,
            attached_per_entity: 10,
        }
    }
}

/// `application/x-www-form-urlencoded` decoding: `+` is a space, `%XX` a byte.
pub(crate) fn form_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: Option<&u8>| b.and_then(|b| (*b as char).to_digit(16));
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if hex(bytes.get(i + 1)).is_some() && hex(bytes.get(i + 2)).is_some() => {
                let v =
                    hex(bytes.get(i + 1)).unwrap_or(0) * 16 + hex(bytes.get(i + 2)).unwrap_or(0);
                out.push(v as u8);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub(crate) fn form_value(body: &str, key: &str) -> Option<String> {
    body.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == key).then(|| form_decode(v))
    })
}

/// Every `<tag>value</tag>` in an XML text, unescaped.
fn xml_values(xml: &str, tag: &str) -> Vec<String> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find(&close) else { break };
        let v = &after[..end];
        out.push(
            v.replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&"),
        );
        rest = &after[end + close.len()..];
    }
    out
}

fn size(document: &str) -> usize {
    document.chars().filter(|c| !c.is_whitespace()).count()
}

fn limit_exceeded(message: String) -> Fault {
    Fault::Error {
        code: "LimitExceeded".into(),
        message,
    }
}

/// One IAM query-protocol call to the emulator; its XML answer.
async fn ask(
    upstream: SocketAddr,
    headers: &hyper::HeaderMap,
    params: &[(&str, &str)],
) -> Option<String> {
    let mut body = String::from("Version=2010-05-08");
    for (k, v) in params {
        body.push_str(&format!("&{k}={}", form_encode(v)));
    }
    let mut req = Request::builder().method("POST").uri("/");
    for (k, v) in headers {
        if k != "content-length" {
            req = req.header(k, v);
        }
    }
    let (parts, ()) = req.body(()).ok()?.into_parts();
    let (rparts, bytes) = send(upstream, &parts, Bytes::from(body)).await.ok()?;
    rparts
        .status
        .is_success()
        .then(|| String::from_utf8_lossy(&bytes).into_owned())
}

pub(crate) async fn strict_check(
    upstream: SocketAddr,
    limits: IamLimits,
    headers: &hyper::HeaderMap,
    op: &str,
    body: &[u8],
) -> Option<Fault> {
    let body = String::from_utf8_lossy(body);
    let action = op.strip_prefix("IAM.")?;
    match action {
        "CreatePolicy" | "CreatePolicyVersion" => {
            let chars = size(&form_value(&body, "PolicyDocument")?);
            (chars > limits.policy_size).then(|| {
                limit_exceeded(format!(
                    "Cannot exceed quota for PolicySize: {}",
                    limits.policy_size
                ))
            })
        }
        "PutUserPolicy" | "PutGroupPolicy" | "PutRolePolicy" => {
            let kind = &action[3..action.len() - 6];
            let name_key = format!("{kind}Name");
            let entity = form_value(&body, &name_key)?;
            let policy = form_value(&body, "PolicyName")?;
            let chars = size(&form_value(&body, "PolicyDocument")?);
            let quota = match kind {
                "User" => limits.user_inline,
                "Group" => limits.group_inline,
                _ => limits.role_inline,
            };
            let list = ask(
                upstream,
                headers,
                &[
                    ("Action", &format!("List{kind}Policies")),
                    (&name_key, &entity),
                ],
            )
            .await?;
            let mut existing = 0;
            for other in xml_values(&list, "member")
                .into_iter()
                .filter(|n| *n != policy)
            {
                let got = ask(
                    upstream,
                    headers,
                    &[
                        ("Action", &format!("Get{kind}Policy")),
                        (&name_key, &entity),
                        ("PolicyName", &other),
                    ],
                )
                .await?;
                existing += xml_values(&got, "PolicyDocument")
                    .first()
                    .map(|d| size(&form_decode(&d.replace('+', "%2B"))))
                    .unwrap_or(0);
            }
            (existing + chars > quota).then(|| {
                limit_exceeded(format!(
                    "Maximum policy size of {quota} bytes exceeded for {} {entity}",
                    kind.to_lowercase()
                ))
            })
        }
        "AttachUserPolicy" | "AttachGroupPolicy" | "AttachRolePolicy" => {
            let kind = &action[6..action.len() - 6];
            let name_key = format!("{kind}Name");
            let entity = form_value(&body, &name_key)?;
            let arn = form_value(&body, "PolicyArn")?;
            let list = ask(
                upstream,
                headers,
                &[
                    ("Action", &format!("ListAttached{kind}Policies")),
                    (&name_key, &entity),
                ],
            )
            .await?;
            let attached = xml_values(&list, "PolicyArn");
            let quota = limits.attached_per_entity;
            (!attached.contains(&arn) && attached.len() >= quota).then(|| {
                limit_exceeded(format!(
                    "Cannot exceed quota for PoliciesPer{kind}: {quota}"
                ))
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_and_xml_are_read() {
        assert_eq!(form_decode("a+b%7B%22x%22%7D%zz"), "a b{\"x\"}%zz");
        assert_eq!(form_encode("a b/{"), "a%20b%2F%7B");
        assert_eq!(
            form_value("Action=X&UserName=al%2Bice", "UserName").as_deref(),
            Some("al+ice")
        );
        assert_eq!(
            xml_values(
                "<a><member>x</member><member>&quot;y&amp;</member></a>",
                "member"
            ),
            ["x", "\"y&"]
        );
        assert_eq!(size("{ \"a\" }"), 5);
    }
}
