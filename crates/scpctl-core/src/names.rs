//! IAM entity names, checked before anything is sent to AWS.
//!
//! IAM API Reference, `CreateUser` / `CreateRole` request parameters: `UserName` and `RoleName`
//! are 1 to 64 characters matching `[\w+=,.@-]+` (ASCII letters, digits, underscore and
//! `+=,.@-`; commas are allowed here, unlike in tag values).

pub const IAM_NAME_MAX: usize = 64;

fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

/// Check an IAM user or role name; `what` names it in the message ("user name").
pub fn check_iam_name(what: &str, name: &str) -> Result<(), String> {
    let len = name.chars().count();
    if len == 0 || len > IAM_NAME_MAX {
        return Err(format!(
            "an IAM {what} must be 1 to {IAM_NAME_MAX} characters (it has {len})"
        ));
    }
    if let Some(c) = name.chars().find(|c| !allowed(*c)) {
        return Err(format!(
            "character {c:?} is not allowed in an IAM {what} (ASCII letters, digits and _+=,.@- only)"
        ));
    }
    Ok(())
}

/// An AWS account id: exactly 12 digits.
pub fn check_account_id(value: &str) -> Result<(), String> {
    if value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(format!(
            "{} is not an AWS account id (exactly 12 digits)",
            crate::origin::excerpt(value)
        ))
    }
}

/// An STS caller ARN (GetCallerIdentity's `Arn`), cut into its parts: the one parser behind
/// the lockout guard, the sign-in guard and the identity fallback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallerArn<'a> {
    pub partition: &'a str,
    /// `iam` (a user, the root user) or `sts` (a role session, a federated user).
    pub service: &'a str,
    pub account: &'a str,
    /// `user/path/name`, `assumed-role/Role/session`, `root`, ...
    pub resource: &'a str,
}

impl<'a> CallerArn<'a> {
    /// `arn:PARTITION:SERVICE::ACCOUNT:RESOURCE`; `None` for anything else.
    pub fn parse(arn: &'a str) -> Option<CallerArn<'a>> {
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let ["arn", partition, service, "", account, resource] = parts.as_slice() else {
            return None;
        };
        Some(CallerArn {
            partition,
            service,
            account,
            resource,
        })
    }

    /// An IAM user's name (the last part of its path), from `iam` or `sts`.
    pub fn iam_user(&self) -> Option<&'a str> {
        if !matches!(self.service, "iam" | "sts") {
            return None;
        }
        let path = self.resource.strip_prefix("user/")?;
        Some(path.rsplit('/').next().unwrap_or(path))
    }

    /// The role of an assumed-role session (`assumed-role/Role/session`).
    pub fn assumed_role(&self) -> Option<&'a str> {
        if self.service != "sts" {
            return None;
        }
        let rest = self.resource.strip_prefix("assumed-role/")?;
        rest.split('/').next()
    }
}

/// An S3 bucket name (Amazon S3 User Guide, "General purpose bucket naming rules"): 3 to 63
/// characters of lowercase letters, digits, `.` and `-`, beginning and ending with a letter or
/// digit, no `..`, not shaped like an IP address, none of the reserved prefixes and suffixes.
pub fn check_bucket_name(name: &str) -> Result<(), String> {
    let why = if !(3..=63).contains(&name.len()) {
        Some(format!("is {} characters (3 to 63)", name.len()))
    } else if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '.' || *c == '-'))
    {
        Some(format!(
            "holds {c:?} (lowercase letters, digits, . and - only)"
        ))
    } else if !name.starts_with(|c: char| c.is_ascii_alphanumeric())
        || !name.ends_with(|c: char| c.is_ascii_alphanumeric())
    {
        Some("must begin and end with a letter or digit".into())
    } else if name.contains("..") {
        Some("holds \"..\"".into())
    } else if name.parse::<std::net::Ipv4Addr>().is_ok() {
        Some("is shaped like an IP address".into())
    } else if ["xn--", "sthree-", "amzn-s3-demo-"]
        .iter()
        .any(|p| name.starts_with(p))
        || ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"]
            .iter()
            .any(|x| name.ends_with(x))
    {
        Some("uses a prefix or suffix S3 reserves".into())
    } else {
        None
    };
    match why {
        Some(why) => Err(format!(
            "bucket name {} {why}",
            crate::origin::excerpt(name)
        )),
        None => Ok(()),
    }
}

/// `s3://BUCKET/PREFIX` as a table or result location: a valid bucket name, and a prefix that
/// stays one S3 key prefix wherever it is written (a DDL string, a template): no control
/// character (a newline included), backslash, quote or `${`.
pub fn check_s3_location(value: &str) -> Result<(), String> {
    let Some(rest) = value.strip_prefix("s3://") else {
        return Err(format!(
            "{} is not an S3 location (s3://BUCKET/PREFIX)",
            crate::origin::excerpt(value)
        ));
    };
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(format!(
            "{} names no bucket (s3://BUCKET/PREFIX)",
            crate::origin::excerpt(value)
        ));
    }
    check_bucket_name(bucket)?;
    if let Some(c) = prefix
        .chars()
        .find(|c| c.is_control() || matches!(c, '\\' | '\'' | '"' | '`'))
    {
        return Err(format!(
            "the prefix of {} holds {c:?}, which is refused (no control characters, backslashes or quotes)",
            crate::origin::excerpt(value)
        ));
    }
    if prefix.contains("${") {
        return Err(format!(
            "the prefix of {} holds \"${{\", which a template would read as a variable",
            crate::origin::excerpt(value)
        ));
    }
    if prefix.len() > 1024 {
        return Err(format!(
            "the prefix is {} bytes; an S3 key holds at most 1,024",
            prefix.len()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iam_names_follow_the_api_pattern() {
        for ok in ["svc-legacy", "a", "user+x=y,z.w@v_1", &"n".repeat(64)] {
            assert!(check_iam_name("user name", ok).is_ok(), "{ok}");
        }
        assert!(check_iam_name("user name", "")
            .unwrap_err()
            .contains("1 to 64"));
        assert!(check_iam_name("user name", &"n".repeat(65))
            .unwrap_err()
            .contains("it has 65"));
        for bad in ["has space", "slash/x", "é", "a:b", "semi;colon"] {
            let e = check_iam_name("role name", bad).unwrap_err();
            assert!(e.contains("not allowed in an IAM role name"), "{bad}: {e}");
        }
    }

    #[test]
    fn account_ids_are_twelve_digits() {
        assert!(check_account_id("111122223333").is_ok());
        for bad in ["123", "1111222233334", "11112222333a", "", "11112222333 "] {
            assert!(
                check_account_id(bad).unwrap_err().contains("12 digits"),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn s3_locations_are_a_bucket_and_a_clean_prefix() {
        for ok in [
            "s3://my-trail-bucket/AWSLogs/o-abc123",
            "s3://my.bucket.2024",
            "s3://abc/",
            "s3://b-1/AWSLogs/111122223333/CloudTrail/eu-west-1",
        ] {
            assert!(
                check_s3_location(ok).is_ok(),
                "{ok}: {:?}",
                check_s3_location(ok)
            );
        }
        for (bad, says) in [
            ("s3://", "names no bucket"),
            ("s3:///x", "names no bucket"),
            ("https://bucket/x", "not an S3 location"),
            ("s3://Bucket/x", "'B'"),
            ("s3://ab/x", "3 to 63"),
            ("s3://a..b/x", "\"..\""),
            ("s3://192.168.1.1/x", "IP address"),
            ("s3://-abc/x", "begin and end"),
            ("s3://bkt/x\ny", "'\\n'"),
            ("s3://bkt/x\\y", "'\\\\'"),
            ("s3://bkt/x'y", "'\\''"),
            ("s3://bkt/${x}", "${"),
            ("s3://bkt/a\u{1b}[8m", "'\\u{1b}'"),
        ] {
            let e = check_s3_location(bad).unwrap_err();
            assert!(e.contains(says), "{bad:?}: {e}");
        }
    }

    #[test]
    fn caller_arns_are_read_by_one_parser() {
        let user = CallerArn::parse("arn:aws:iam::111122223333:user/ops/alice").unwrap();
        assert_eq!(user.account, "111122223333");
        assert_eq!(user.iam_user(), Some("alice"));
        assert_eq!(user.assumed_role(), None);
        let session =
            CallerArn::parse("arn:aws-us-gov:sts::111122223333:assumed-role/Deploy/ci").unwrap();
        assert_eq!(session.partition, "aws-us-gov");
        assert_eq!(session.assumed_role(), Some("Deploy"));
        assert_eq!(session.iam_user(), None);
        assert_eq!(
            CallerArn::parse("arn:aws:iam::111122223333:root")
                .unwrap()
                .iam_user(),
            None
        );
        assert!(CallerArn::parse("not an arn").is_none());
        assert!(CallerArn::parse("arn:aws:sts:us-east-1:111122223333:assumed-role/R/s").is_none());
    }
}
