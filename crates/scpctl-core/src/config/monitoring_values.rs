//! The `[monitoring]` section's values the config checks: the SNS topic ARN, the e-mail
//! address, and the Regions where global-service events arrive (which the rules' Region list
//! must hold one of). The config owns them; `monitoring` builds rules from the checked values.

/// The partitions an SNS topic ARN may name (AWS General Reference, "Amazon Resource Names":
/// aws, aws-cn, aws-us-gov, and the isolated ISO and European Sovereign Cloud partitions).
const PARTITIONS: &[&str] = &[
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];

/// `[monitoring] topic_arn`: `arn:PARTITION:sns:REGION:ACCOUNT:NAME`, where NAME is 1 to 256
/// of `[A-Za-z0-9_-]`, `.fifo` allowed at its end (Amazon SNS API Reference, CreateTopic `Name`).
/// The ARN lands in a template and a policy: nothing else may pass.
pub fn check_topic_arn(value: &str) -> Result<(), String> {
    let shape = "is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)";
    let parts: Vec<&str> = value.splitn(6, ':').collect();
    let ["arn", partition, "sns", region, account, name] = parts.as_slice() else {
        return Err(shape.into());
    };
    if !PARTITIONS.contains(partition) {
        return Err(format!(
            "{shape}: partition {} is not one of {}",
            crate::origin::excerpt(partition),
            PARTITIONS.join(", ")
        ));
    }
    crate::networks::check_region(region).map_err(|why| format!("{shape}: {why}"))?;
    if crate::names::check_account_id(account).is_err() {
        return Err(format!(
            "{shape}: account {} is not 12 digits",
            crate::origin::excerpt(account)
        ));
    }
    let len = name.chars().count();
    let base = name.strip_suffix(".fifo").unwrap_or(name);
    let chars_ok = base
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if base.is_empty() || len > 256 || !chars_ok {
        return Err(format!(
            "{shape}: a topic name is 1 to 256 characters of letters, digits, _ and - (with .fifo at the end of a FIFO topic)"
        ));
    }
    Ok(())
}

/// `[monitoring] email`: one address, subscribed to the topic. SNS takes one endpoint per
/// subscription, so a list (`a@x.org,b@y.org`) or a display name is refused, as is anything
/// beyond RFC 5321's sizes: a local part of at most 64 octets, a domain of at most 255, a path
/// of at most 256 with its angle brackets (so an address of at most 254).
pub fn check_email(value: &str) -> Result<(), String> {
    const LOCAL_MAX: usize = 64;
    const DOMAIN_MAX: usize = 255;
    const TOTAL_MAX: usize = 254;
    if let Some(c) = value.chars().find(|c| {
        !c.is_ascii_graphic()
            || matches!(
                c,
                ',' | '"' | '\'' | '<' | '>' | '(' | ')' | ';' | ':' | '\\' | '[' | ']'
            )
    }) {
        return Err(format!(
            "is not one e-mail address: character {c:?} is refused (give a single address such as ops@example.com)"
        ));
    }
    let Some((local, domain)) = value.split_once('@') else {
        return Err("is not an e-mail address (no @)".into());
    };
    if domain.contains('@') {
        return Err("is not one e-mail address: it holds more than one @".into());
    }
    if value.len() > TOTAL_MAX {
        return Err(format!(
            "is {} characters; an e-mail address holds at most {TOTAL_MAX} (RFC 5321)",
            value.len()
        ));
    }
    if local.is_empty() || local.len() > LOCAL_MAX {
        return Err(format!(
            "has a local part of {} characters; it must be 1 to {LOCAL_MAX} (RFC 5321)",
            local.len()
        ));
    }
    let labels_ok = domain.split('.').all(|l| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    });
    if domain.len() > DOMAIN_MAX || !domain.contains('.') || !labels_ok {
        return Err(format!(
            "has the domain {}, not a host name such as example.com",
            crate::origin::excerpt(domain)
        ));
    }
    Ok(())
}

/// The Regions where each partition's global-service events (Organizations, IAM, STS global
/// endpoint) arrive: us-east-1 in `aws`, us-gov-west-1 in `aws-us-gov`, cn-north-1 in `aws-cn`
/// (CloudTrail User Guide, "Global service events").
pub const GLOBAL_EVENT_REGIONS: [&str; 3] = ["us-east-1", "us-gov-west-1", "cn-north-1"];
