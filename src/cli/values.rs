//! What several command families share: `--kind`, and the value parsers that make a bad flag
//! value a usage error (exit 2) naming the flag.

use clap::ValueEnum;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    /// The Service Control Policy RestrictIAMUserAccessWithExceptions.
    Scp,
    /// The identity-based fallback EnterpriseNetworkRestriction.
    Identity,
    /// EventBridge rules alerting on break-glass use, exception-tag and guardrail changes
    /// (render only: --format cloudformation, terraform, or json for the patterns).
    Monitoring,
    /// The console sign-in resource control policy ([console]; AWS Sign-In).
    Signin,
}

/// `--kind` of every verb but `render`: the policies (scp, identity, signin), not `monitoring`,
/// which is a set of EventBridge rules only `render` writes.
pub(crate) fn policy_kinds() -> impl clap::builder::TypedValueParser<Value = Kind> {
    let values = Kind::value_variants()
        .iter()
        .filter(|k| **k != Kind::Monitoring)
        .filter_map(ValueEnum::to_possible_value);
    clap::builder::TypedValueParser::map(
        clap::builder::PossibleValuesParser::new(values),
        |s: String| Kind::from_str(&s, true).unwrap_or(Kind::Scp),
    )
}

pub(crate) fn parse_vpc(s: &str) -> Result<String, String> {
    scpctl_core::networks::check_id(s, "vpc-").map(|()| s.to_string())
}

pub(crate) fn parse_vpce(s: &str) -> Result<String, String> {
    scpctl_core::networks::check_id(s, "vpce-").map(|()| s.to_string())
}

pub(crate) fn parse_org_id(s: &str) -> Result<String, String> {
    scpctl_core::networks::check_org_id(s).map(|()| s.to_string())
}

/// A bad flag value is a usage error (exit 2), reported by clap with the flag's name.
pub(crate) fn parse_account_id(s: &str) -> Result<String, String> {
    scpctl_core::names::check_account_id(s).map(|()| s.to_string())
}

pub(crate) fn parse_since(s: &str) -> Result<String, String> {
    scpctl_core::impact::TimeRange::parse(Some(s), None).map_err(without_flag)?;
    calendar_day(s)
}

pub(crate) fn parse_until(s: &str) -> Result<String, String> {
    scpctl_core::impact::TimeRange::parse(None, Some(s)).map_err(without_flag)?;
    calendar_day(s)
}

/// The day of a time must exist (2024-02-30 does not), as for --expires.
pub(crate) fn calendar_day(s: &str) -> Result<String, String> {
    match s.get(..10).and_then(scpctl_core::exception::Date::parse) {
        Some(_) => Ok(s.to_string()),
        None => Err(format!(
            "{} is not a day of the calendar",
            s.get(..10).unwrap_or(s)
        )),
    }
}

/// The core's message names the flag and value, which clap's usage error names already.
pub(crate) fn without_flag(message: String) -> String {
    match message.split_once(": ") {
        Some((head, rest)) if head.starts_with("--") => rest.to_string(),
        _ => message,
    }
}

/// The form only (a calendar date, or Nd): whether the date has passed is decided when the
/// grant runs, against that day.
pub(crate) fn parse_expires(s: &str) -> Result<String, String> {
    let epoch = scpctl_core::exception::Date::parse("2000-01-01").expect("a valid date");
    scpctl_core::exception::Date::parse_expires(s, epoch)
        .map(|_| s.to_string())
        .map_err(|e| e.to_string())
}

pub(crate) fn parse_s3_location(s: &str) -> Result<String, String> {
    scpctl_core::names::check_s3_location(s).map(|()| s.to_string())
}

pub(crate) fn parse_user_name(s: &str) -> Result<String, String> {
    scpctl_core::names::check_iam_name("user name", s).map(|()| s.to_string())
}

/// IAM CreateGroup: GroupName 1 to 128 characters of `[\w+=,.@-]`.
pub(crate) fn parse_group_name(s: &str) -> Result<String, String> {
    let len = s.chars().count();
    if len == 0 || len > 128 {
        return Err(format!(
            "an IAM group name must be 1 to 128 characters (it has {len})"
        ));
    }
    s.chars()
        .try_for_each(|c| scpctl_core::names::check_iam_name("group name", &c.to_string()))
        .map(|()| s.to_string())
}

pub(crate) fn parse_role_name(s: &str) -> Result<String, String> {
    scpctl_core::names::check_iam_name("role name", s).map(|()| s.to_string())
}

/// `KEY=VALUE` whose value has the key's documented type (a usage error otherwise).
pub(crate) fn parse_context(s: &str) -> Result<(String, String), String> {
    let (k, v) = parse_key_value(s)?;
    scpctl_core::eval::check_request_value(&k, &v)?;
    Ok((k, v))
}

pub(crate) fn parse_principal_arn(s: &str) -> Result<String, String> {
    scpctl_core::eval::check_request_value("aws:PrincipalArn", s)?;
    Ok(s.to_string())
}

pub(crate) fn parse_key_value(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(format!("{s:?} is not KEY=VALUE")),
    }
}
