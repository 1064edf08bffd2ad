//! One record -> the request it stands for, or the reason it stands for none. Every decision
//! is taken from the table in `rules.rs`; this file only reads fields and applies it.

use std::borrow::Cow;
use std::collections::HashSet;
use std::net::IpAddr;
use std::str::FromStr;

use super::record::Record;
pub use super::rules::SigninPhase;
use super::rules::{
    self, ApartReason, IdentityRule, NetworkUnknown, PrincipalKind, SkipReason,
    API_CALL_EVENT_TYPE, AWS_INTERNAL, CONSOLE_HOSTS, IDENTITY_TYPES, SERVICE_HOST_VIA,
    SERVICE_LINKED_ROLE_PATH, SKIPPED_EVENT_SOURCES, SKIPPED_EVENT_TYPES,
};
use super::time::TimeRange;

/// What the caller knows beyond the records.
#[derive(Debug, Clone, Default)]
pub struct MapOptions {
    /// Its principals are never restricted by SCPs.
    pub management_account: Option<String>,
    /// Only these accounts (empty: every account).
    pub accounts: HashSet<String>,
    /// The policy is the identity-based one, attached to IAM users only.
    pub users_only: bool,
    /// `impact --kind signin`: the sign-in records ([`rules::SIGNIN_EVENTS`]) are the
    /// requests; every other record is skipped.
    pub signin: bool,
    pub time: TimeRange,
}

/// The address-bearing key of a request: `aws:SourceIp`, or `aws:VpcSourceIp` through a VPC
/// endpoint (where `aws:SourceIp` is absent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressKey {
    SourceIp,
    VpcSourceIp,
}

impl AddressKey {
    pub fn name(self) -> &'static str {
        match self {
            AddressKey::SourceIp => "aws:SourceIp",
            AddressKey::VpcSourceIp => "aws:VpcSourceIp",
        }
    }
}

/// Where the request came from, as far as the record says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Network<'r> {
    pub key: AddressKey,
    /// The address, or why it is unknown.
    pub address: Result<IpAddr, NetworkUnknown>,
    /// `aws:ViaAWSService`; `None` when unknown (`AWS Internal`).
    pub via_aws_service: Option<bool>,
    /// `aws:SourceVpce`.
    pub vpce: Option<&'r str>,
}

/// The request one record stands for (everything but the principal's tags, which the record
/// does not carry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request<'r> {
    pub kind: PrincipalKind,
    /// `aws:PrincipalArn`: for a role session, the role's ARN (with its path).
    pub principal_arn: &'r str,
    /// The caller's account: the SCPs that apply are this account's.
    pub account: &'r str,
    /// The ARN's partition (`aws`, `aws-cn`, `aws-us-gov`).
    pub partition: Option<&'r str>,
    pub action: String,
    pub user_name: Option<&'r str>,
    pub user_id: Option<&'r str>,
    pub mfa: Option<bool>,
    pub region: Option<&'r str>,
    pub time: Option<&'r str>,
    pub network: Network<'r>,
    /// A sign-in request: the phase Sign-In evaluates it in. `None` for API calls.
    pub phase: Option<SigninPhase>,
}

impl Request<'_> {
    /// Every context key the record gives, in a fixed order, network keys included when known
    /// (unknown network keys are the replay's business). Tags are added by the replay.
    /// Before authentication Sign-In knows only who is signing in (`signin:PrincipalArn`) and
    /// from where: no other principal key.
    pub fn for_each_key(&self, mut f: impl FnMut(&'static str, &str)) {
        if self.phase == Some(SigninPhase::PreAuth) {
            f("signin:PrincipalArn", self.principal_arn);
            if let Some(r) = self.region {
                f("aws:RequestedRegion", r);
            }
            if let Some(t) = self.time {
                f("aws:CurrentTime", t);
            }
            if let Some(v) = self.network.vpce {
                f("aws:SourceVpce", v);
            }
            return;
        }
        f("aws:PrincipalType", self.kind.principal_type());
        f("aws:PrincipalArn", self.principal_arn);
        f("aws:PrincipalAccount", self.account);
        if let Some(u) = self.user_name {
            f("aws:username", u);
        }
        if let Some(u) = self.user_id {
            f("aws:userid", u);
        }
        if let Some(m) = self.mfa {
            f(
                "aws:MultiFactorAuthPresent",
                if m { "true" } else { "false" },
            );
        }
        if let Some(r) = self.region {
            f("aws:RequestedRegion", r);
        }
        if let Some(t) = self.time {
            f("aws:CurrentTime", t);
        }
        if let Some(v) = self.network.vpce {
            f("aws:SourceVpce", v);
        }
    }
}

/// The verdict-free outcome of mapping one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mapped<'r> {
    Request(Request<'r>),
    /// Counted apart; with the principal when it is known (account, ARN).
    Apart(ApartReason, Option<(&'r str, &'r str)>),
    Skip(SkipReason),
}

fn text<'r>(v: &'r Option<Cow<'_, str>>) -> Option<&'r str> {
    v.as_deref().filter(|s| !s.is_empty())
}

/// `arn:partition:service:region:account:resource`
fn arn_parts(arn: &str) -> Option<(&str, &str, &str)> {
    let mut it = arn.splitn(6, ':');
    (it.next()? == "arn").then_some(())?;
    let partition = it.next()?;
    let _service = it.next()?;
    let _region = it.next()?;
    let account = it.next()?;
    let resource = it.next()?;
    Some((partition, account, resource))
}

/// A strict IPv4 or IPv6 literal: Rust's parsers refuse leading zeros (`035.1.2.3`, which
/// some parsers read as octal), lists, zone ids and surrounding spaces.
pub fn strict_ip(s: &str) -> Option<IpAddr> {
    IpAddr::from_str(s).ok()
}

/// Classify `sourceIPAddress` for a caller of `kind`.
fn network<'r>(source: Option<&'r str>, vpce: Option<&'r str>, kind: PrincipalKind) -> Network<'r> {
    let key = if vpce.is_some() {
        AddressKey::VpcSourceIp
    } else {
        AddressKey::SourceIp
    };
    let (address, via) = match source {
        None => (Err(NetworkUnknown::NoAddress), Some(false)),
        Some(s) if s == AWS_INTERNAL => (Err(NetworkUnknown::AwsInternal), None),
        Some(s) => match strict_ip(s) {
            Some(ip) => (Ok(ip), Some(false)),
            None if CONSOLE_HOSTS.iter().any(|h| h.eq_ignore_ascii_case(s)) => {
                (Err(NetworkUnknown::ConsoleHost), Some(false))
            }
            None if rules::is_service_host(s) => {
                let via = SERVICE_HOST_VIA
                    .iter()
                    .find(|(k, _)| *k == kind)
                    .and_then(|(_, v)| *v);
                (Err(NetworkUnknown::ServiceHost), via)
            }
            None => (Err(NetworkUnknown::InvalidAddress), Some(false)),
        },
    };
    Network {
        key,
        address,
        via_aws_service: via,
        vpce,
    }
}

/// Map one record (the design notes, "CloudTrail records as request contexts").
pub fn map_record<'r>(r: &'r Record<'_>, opts: &MapOptions) -> Mapped<'r> {
    let event_source = text(&r.event_source);
    // The Sign-In policy sees sign-ins only; the other policies everything but sign-ins.
    let signin = match (opts.signin, event_source, text(&r.event_name)) {
        (false, _, _) => None,
        (true, Some(source), Some(name)) => match rules::signin_event(source, name) {
            Some(e) => Some(e),
            None if SKIPPED_EVENT_SOURCES.iter().any(|(n, why)| {
                *why == SkipReason::ConsoleSignIn && n.eq_ignore_ascii_case(source)
            }) =>
            {
                return Mapped::Skip(SkipReason::SignInEventNotGoverned)
            }
            None => return Mapped::Skip(SkipReason::NotSignIn),
        },
        (true, _, _) => return Mapped::Skip(SkipReason::NotSignIn),
    };
    // Not API calls a policy authorizes.
    if let (None, Some(t)) = (signin, text(&r.event_type)) {
        if let Some((_, why)) = SKIPPED_EVENT_TYPES.iter().find(|(n, _)| *n == t) {
            return Mapped::Skip(*why);
        }
    }
    if let (None, Some(s)) = (signin, event_source) {
        if let Some((_, why)) = SKIPPED_EVENT_SOURCES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(s))
        {
            return Mapped::Skip(*why);
        }
    }
    if let Some(identity_type) = r.identity_type() {
        if let Some((_, IdentityRule::Skip(why))) =
            IDENTITY_TYPES.iter().find(|(n, _)| *n == identity_type)
        {
            return Mapped::Skip(*why);
        }
    }
    if !opts.time.is_unbounded() {
        match text(&r.event_time) {
            Some(t) if super::time::is_event_time(t) => {
                if !opts.time.contains(t) {
                    return Mapped::Skip(SkipReason::OutsideTimeRange);
                }
            }
            _ => return Mapped::Apart(ApartReason::NoEventTime, None),
        }
    }

    // Who.
    let Some(id) = r.user_identity.as_ref() else {
        return Mapped::Apart(ApartReason::NoIdentity, None);
    };
    let Some(identity_type) = text(&id.kind) else {
        return Mapped::Apart(ApartReason::NoIdentity, None);
    };
    let kind = match IDENTITY_TYPES.iter().find(|(n, _)| *n == identity_type) {
        Some((_, IdentityRule::Principal(k))) => *k,
        Some((_, IdentityRule::Apart(why))) => return Mapped::Apart(*why, None),
        Some((_, IdentityRule::Skip(why))) => return Mapped::Skip(*why),
        None => return Mapped::Apart(ApartReason::UnlistedIdentityType, None),
    };
    let identity_arn = text(&id.arn);
    let principal_arn = match kind {
        PrincipalKind::AssumedRole => {
            match id
                .session_context
                .as_ref()
                .and_then(|c| c.session_issuer.as_ref())
                .and_then(|i| text(&i.arn))
            {
                Some(a) => a,
                None => return Mapped::Apart(ApartReason::NoRoleArn, None),
            }
        }
        PrincipalKind::User => match identity_arn {
            Some(a) => a,
            None => return Mapped::Apart(ApartReason::UserWithoutArn, None),
        },
        _ => match identity_arn {
            Some(a) => a,
            None => return Mapped::Apart(ApartReason::NoAccount, None),
        },
    };
    let parts = arn_parts(principal_arn);
    let Some(account) = text(&id.account_id).or(parts.map(|p| p.1).filter(|a| !a.is_empty()))
    else {
        return Mapped::Apart(ApartReason::NoAccount, None);
    };
    let who = Some((account, principal_arn));
    if kind == PrincipalKind::AssumedRole
        && parts.is_some_and(|(_, _, res)| {
            res.strip_prefix("role")
                .is_some_and(|p| p.starts_with(SERVICE_LINKED_ROLE_PATH))
        })
    {
        return Mapped::Apart(ApartReason::ServiceLinkedRole, who);
    }
    if opts.management_account.as_deref() == Some(account) {
        return Mapped::Apart(ApartReason::ManagementAccount, who);
    }
    if !opts.accounts.is_empty() && !opts.accounts.contains(account) {
        return Mapped::Apart(ApartReason::AccountNotSelected, who);
    }
    if opts.users_only && kind != PrincipalKind::User {
        return Mapped::Apart(ApartReason::NotAttached, who);
    }

    // What.
    let action = match signin {
        Some(e) => e.action.to_string(),
        None => {
            match text(&r.event_type) {
                None => {}
                Some(t) if t == API_CALL_EVENT_TYPE => {}
                Some(_) => return Mapped::Apart(ApartReason::UnlistedEventType, who),
            }
            let (Some(source), Some(name)) = (event_source, text(&r.event_name)) else {
                return Mapped::Apart(ApartReason::NoAction, who);
            };
            let Some(prefix) = rules::action_prefix(source) else {
                return Mapped::Apart(ApartReason::NoAction, who);
            };
            format!("{prefix}:{name}")
        }
    };

    // From where.
    let vpce = text(&r.vpc_endpoint_id);
    let network = network(text(&r.source_ip_address), vpce, kind);

    Mapped::Request(Request {
        kind,
        principal_arn,
        account,
        partition: parts.map(|p| p.0),
        action,
        user_name: if kind == PrincipalKind::User {
            text(&id.user_name)
        } else {
            None
        },
        user_id: text(&id.principal_id),
        mfa: id
            .session_context
            .as_ref()
            .and_then(|c| c.attributes.as_ref())
            .and_then(|a| a.mfa_authenticated),
        region: text(&r.aws_region),
        time: text(&r.event_time),
        network,
        phase: signin.map(|e| e.phase),
    })
}

#[cfg(test)]
mod tests;
