//! The record-to-request rules as data: one table that the local replay reads here and that a
//! SQL generator (issue 24, Athena) can read too, so the two cannot drift. Each rule follows
//! the design notes' "CloudTrail records as request contexts", and the CloudTrail User Guide's
//! "CloudTrail record contents" and "CloudTrail userIdentity element" pages.
//!
//! Nothing here evaluates a policy: the rules only say which request a record stands for, or
//! why it stands for none.

/// Why a record is not evaluated although it is an API call: the policy cannot apply to its
/// caller, or the record does not say enough to build the request. Counted apart, never guessed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ApartReason {
    /// `userIdentity.type` `AWSService`: a service principal, not subject to SCPs.
    AwsServicePrincipal,
    /// A role under `/aws-service-role/`: SCPs never restrict service-linked roles.
    ServiceLinkedRole,
    /// The caller's account is the management account: SCPs never restrict it.
    ManagementAccount,
    /// The caller's account is not among `--account`.
    AccountNotSelected,
    /// Replaying the identity-based policy, which is attached to IAM users only: a caller of
    /// another type never holds it.
    NotAttached,
    /// `AWSAccount`: another account or `ANONYMOUS_PRINCIPAL`; the caller's own principal is
    /// not in the record.
    OtherAccountPrincipal,
    /// `Unknown` identity type.
    UnknownIdentity,
    /// `IdentityCenterUser` identity type.
    IdentityCenterUser,
    /// No `userIdentity`, or one without `type`.
    NoIdentity,
    /// A `type` this table does not know.
    UnlistedIdentityType,
    /// `AssumedRole` without `sessionContext.sessionIssuer.arn`: the role is unknown.
    NoRoleArn,
    /// An `IAMUser` without `arn`: its tags cannot be looked up.
    UserWithoutArn,
    /// Neither `userIdentity.accountId` nor an account in the ARN.
    NoAccount,
    /// No `eventSource` or `eventName`, or an `eventSource` that is not a service host name.
    NoAction,
    /// An `eventType` other than the API call and the skipped types.
    UnlistedEventType,
    /// `--since`/`--until` given and `eventTime` missing or not CloudTrail's form.
    NoEventTime,
    /// Network keys unknown (see [`NetworkUnknown`]) and the verdict depends on their values.
    VerdictDependsOnNetwork,
    /// `--org-policies`: the caller's account is not in the organization, whose SCPs and RCPs
    /// therefore do not apply to it.
    OutsideOrganization,
    /// A value of the request (a principal tag, the principal ARN, ...) that a condition's
    /// operator of a policy cannot read (`eval::UnreadableValue`): no documented answer, so the
    /// record is not decided.
    UnreadableValue,
}

impl ApartReason {
    /// Stable name for reports and JSON (snake case).
    pub fn code(self) -> &'static str {
        match self {
            ApartReason::AwsServicePrincipal => "aws_service_principal",
            ApartReason::ServiceLinkedRole => "service_linked_role",
            ApartReason::ManagementAccount => "management_account",
            ApartReason::AccountNotSelected => "account_not_selected",
            ApartReason::NotAttached => "identity_policy_not_attached",
            ApartReason::OtherAccountPrincipal => "other_account_principal",
            ApartReason::UnknownIdentity => "unknown_identity",
            ApartReason::IdentityCenterUser => "identity_center_user",
            ApartReason::NoIdentity => "no_identity",
            ApartReason::UnlistedIdentityType => "unlisted_identity_type",
            ApartReason::NoRoleArn => "assumed_role_without_issuer_arn",
            ApartReason::UserWithoutArn => "iam_user_without_arn",
            ApartReason::NoAccount => "no_account",
            ApartReason::NoAction => "no_action",
            ApartReason::UnlistedEventType => "unlisted_event_type",
            ApartReason::NoEventTime => "no_event_time",
            ApartReason::VerdictDependsOnNetwork => "verdict_depends_on_network",
            ApartReason::OutsideOrganization => "outside_organization",
            ApartReason::UnreadableValue => "unreadable_request_value",
        }
    }

    /// One sentence for people.
    pub fn describe(self) -> &'static str {
        match self {
            ApartReason::AwsServicePrincipal => "an AWS service principal (not subject to SCPs)",
            ApartReason::ServiceLinkedRole => "a service-linked role (SCPs never restrict them)",
            ApartReason::ManagementAccount => {
                "a principal of the management account (SCPs never restrict it)"
            }
            ApartReason::AccountNotSelected => "an account not among --account",
            ApartReason::NotAttached => {
                "not an IAM user: the identity-based policy is attached to IAM users only"
            }
            ApartReason::OtherAccountPrincipal => {
                "AWSAccount caller: its own principal is not in the record"
            }
            ApartReason::UnknownIdentity => "userIdentity type Unknown",
            ApartReason::IdentityCenterUser => "userIdentity type IdentityCenterUser",
            ApartReason::NoIdentity => "no userIdentity or no userIdentity.type",
            ApartReason::UnlistedIdentityType => "a userIdentity.type scpctl does not know",
            ApartReason::NoRoleArn => "AssumedRole without sessionContext.sessionIssuer.arn",
            ApartReason::UserWithoutArn => "IAMUser without arn: its tags cannot be looked up",
            ApartReason::NoAccount => "no userIdentity.accountId and no account in the ARN",
            ApartReason::NoAction => {
                "no eventSource/eventName, or an eventSource that is not a service host"
            }
            ApartReason::UnlistedEventType => {
                "an eventType other than AwsApiCall and the skipped ones"
            }
            ApartReason::NoEventTime => {
                "eventTime missing or unreadable while --since/--until filter by it"
            }
            ApartReason::VerdictDependsOnNetwork => {
                "network keys unknown and the verdict depends on their values"
            }
            ApartReason::OutsideOrganization => {
                "an account outside the organization (its SCPs and RCPs do not apply)"
            }
            ApartReason::UnreadableValue => {
                "a request value a policy's condition operator cannot read (e.g. a tag value that is not a number for a Numeric operator)"
            }
        }
    }

    /// Not subject to the policy at all (as opposed to undecidable).
    pub fn not_subject(self) -> bool {
        matches!(
            self,
            ApartReason::AwsServicePrincipal
                | ApartReason::ServiceLinkedRole
                | ApartReason::ManagementAccount
                | ApartReason::AccountNotSelected
                | ApartReason::NotAttached
                | ApartReason::OutsideOrganization
        )
    }
}

/// Why a record is skipped: it is not an API call a policy authorizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SkipReason {
    ConsoleSignIn,
    ServiceEvent,
    ConsoleAction,
    Insight,
    VpceEvent,
    /// `SAMLUser` / `WebIdentityUser`: `AssumeRoleWith*` calls made before any principal exists.
    FederationBeforePrincipal,
    /// `eventTime` outside `--since`/`--until`.
    OutsideTimeRange,
    /// `impact --kind signin`: an API call, not a sign-in (the Sign-In policy does not see it).
    NotSignIn,
    /// `impact --kind signin`: a `signin.amazonaws.com` event that none of the three Sign-In
    /// actions governs (`SwitchRole`, `ExitRole`, `GetSigninToken`, ...).
    SignInEventNotGoverned,
}

impl SkipReason {
    pub fn code(self) -> &'static str {
        match self {
            SkipReason::ConsoleSignIn => "console_sign_in",
            SkipReason::ServiceEvent => "aws_service_event",
            SkipReason::ConsoleAction => "aws_console_action",
            SkipReason::Insight => "cloudtrail_insight",
            SkipReason::VpceEvent => "aws_vpce_event",
            SkipReason::FederationBeforePrincipal => "saml_or_web_identity_federation",
            SkipReason::OutsideTimeRange => "outside_time_range",
            SkipReason::NotSignIn => "not_a_sign_in",
            SkipReason::SignInEventNotGoverned => "sign_in_event_not_governed",
        }
    }
}

/// `eventType` of an API call. Records older than the field (no `eventType`) are API calls too.
pub const API_CALL_EVENT_TYPE: &str = "AwsApiCall";

/// `eventType` values that are not API calls a policy authorizes.
pub const SKIPPED_EVENT_TYPES: &[(&str, SkipReason)] = &[
    ("AwsConsoleSignIn", SkipReason::ConsoleSignIn),
    ("AwsServiceEvent", SkipReason::ServiceEvent),
    ("AwsConsoleAction", SkipReason::ConsoleAction),
    ("AwsCloudTrailInsight", SkipReason::Insight),
    ("AwsVpceEvent", SkipReason::VpceEvent),
];

/// `eventSource` values whose events are skipped whatever their `eventType`.
pub const SKIPPED_EVENT_SOURCES: &[(&str, SkipReason)] =
    &[("signin.amazonaws.com", SkipReason::ConsoleSignIn)];

/// Which principal key AWS Sign-In puts in the request: `signin:PrincipalArn` before
/// authentication, `aws:PrincipalArn` (with the other principal keys) after it (AWS Sign-In
/// condition-key reference; [`crate::signin::Phase`]).
pub use crate::signin::Phase as SigninPhase;

/// One sign-in event the Sign-In policy governs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SigninEvent {
    pub event_source: &'static str,
    pub event_name: &'static str,
    /// The Sign-In action it stands for.
    pub action: &'static str,
    pub phase: SigninPhase,
}

/// `impact --kind signin`: the sign-in records replayed through the Sign-In policy, and the
/// action and phase each stands for. Every other record is skipped: API calls
/// ([`SkipReason::NotSignIn`]) and the other `signin.amazonaws.com` events
/// ([`SkipReason::SignInEventNotGoverned`]); for the SCP and identity policy these records
/// stay skipped as [`SkipReason::ConsoleSignIn`] (tables above).
/// - `ConsoleLogin` (`eventType` `AwsConsoleSignIn`, CloudTrail User Guide, "AWS console
///   sign-in events"): the password (or root) sign-in, `signin:Authenticate`, evaluated before
///   authentication: the principal is named by `signin:PrincipalArn` only.
/// - The OAuth operations (Service Authorization Reference, AWS Sign-In: `CreateOAuth2Token`
///   and `CreateOAuth2TokenWithIAM` authorize `signin:CreateOAuth2Token`): a signed-in principal
///   authorizing a client, or a client redeeming a code or refreshing a token on its behalf;
///   both after authentication (`aws:PrincipalArn`). CloudTrail logs an operation under its
///   name as `eventName`.
pub const SIGNIN_EVENTS: &[SigninEvent] = &[
    SigninEvent {
        event_source: "signin.amazonaws.com",
        event_name: "ConsoleLogin",
        action: "signin:Authenticate",
        phase: SigninPhase::PreAuth,
    },
    SigninEvent {
        event_source: "signin.amazonaws.com",
        event_name: "AuthorizeOAuth2Access",
        action: "signin:AuthorizeOAuth2Access",
        phase: SigninPhase::PostAuth,
    },
    SigninEvent {
        event_source: "signin.amazonaws.com",
        event_name: "CreateOAuth2Token",
        action: "signin:CreateOAuth2Token",
        phase: SigninPhase::PostAuth,
    },
    SigninEvent {
        event_source: "signin.amazonaws.com",
        event_name: "CreateOAuth2TokenWithIAM",
        action: "signin:CreateOAuth2Token",
        phase: SigninPhase::PostAuth,
    },
];

/// The governed sign-in event a record is, by `eventSource` and `eventName`.
pub fn signin_event(event_source: &str, event_name: &str) -> Option<&'static SigninEvent> {
    SIGNIN_EVENTS
        .iter()
        .find(|e| e.event_source.eq_ignore_ascii_case(event_source) && e.event_name == event_name)
}

/// The `aws:PrincipalType` a record's caller has, when the policy can apply to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PrincipalKind {
    User,
    AssumedRole,
    Account,
    FederatedUser,
}

impl PrincipalKind {
    /// The value of `aws:PrincipalType`.
    pub fn principal_type(self) -> &'static str {
        match self {
            PrincipalKind::User => "User",
            PrincipalKind::AssumedRole => "AssumedRole",
            PrincipalKind::Account => "Account",
            PrincipalKind::FederatedUser => "FederatedUser",
        }
    }
}

/// What a `userIdentity.type` means for the replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityRule {
    Principal(PrincipalKind),
    Apart(ApartReason),
    Skip(SkipReason),
}

/// `userIdentity.type` -> rule. A type not listed is [`ApartReason::UnlistedIdentityType`]; a
/// record without the field is [`ApartReason::NoIdentity`].
pub const IDENTITY_TYPES: &[(&str, IdentityRule)] = &[
    ("IAMUser", IdentityRule::Principal(PrincipalKind::User)),
    (
        "AssumedRole",
        IdentityRule::Principal(PrincipalKind::AssumedRole),
    ),
    ("Root", IdentityRule::Principal(PrincipalKind::Account)),
    (
        "FederatedUser",
        IdentityRule::Principal(PrincipalKind::FederatedUser),
    ),
    (
        "AWSService",
        IdentityRule::Apart(ApartReason::AwsServicePrincipal),
    ),
    (
        "AWSAccount",
        IdentityRule::Apart(ApartReason::OtherAccountPrincipal),
    ),
    ("Unknown", IdentityRule::Apart(ApartReason::UnknownIdentity)),
    (
        "IdentityCenterUser",
        IdentityRule::Apart(ApartReason::IdentityCenterUser),
    ),
    (
        "SAMLUser",
        IdentityRule::Skip(SkipReason::FederationBeforePrincipal),
    ),
    (
        "WebIdentityUser",
        IdentityRule::Skip(SkipReason::FederationBeforePrincipal),
    ),
];

/// Service-linked roles live under this path (IAM User Guide, "Using service-linked roles").
pub const SERVICE_LINKED_ROLE_PATH: &str = "/aws-service-role/";

/// `sourceIPAddress` of calls AWS makes internally.
pub const AWS_INTERNAL: &str = "AWS Internal";

/// Host names in `sourceIPAddress` of the console itself: the user acted in the console, whose
/// address is not logged.
pub const CONSOLE_HOSTS: &[&str] = &["signin.amazonaws.com", "console.amazonaws.com"];

/// A `sourceIPAddress` or `eventSource` ending in one of these is an AWS service host name.
pub const SERVICE_HOST_SUFFIXES: &[&str] = &[".amazonaws.com", ".amazonaws.com.cn"];

/// `aws:ViaAWSService` when `sourceIPAddress` is a service host name (not a console host), by
/// caller: for an IAM user the service called on the user's behalf (forward access session);
/// for a role the service usually acts with the role's own credentials. `None`: unknown, both
/// values are tried.
pub const SERVICE_HOST_VIA: &[(PrincipalKind, Option<bool>)] = &[
    (PrincipalKind::User, Some(true)),
    (PrincipalKind::AssumedRole, Some(false)),
    (PrincipalKind::Account, None),
    (PrincipalKind::FederatedUser, None),
];

/// `eventSource` host -> IAM service prefix, where the prefix is not the host's first label.
/// From the Service Authorization Reference: CloudWatch's API host is `monitoring`, SES's
/// `email`, the Resource Groups Tagging API's `tagging` (prefix `tag`), DynamoDB Streams'
/// `streams.dynamodb`, Lex's and SageMaker's runtime hosts.
pub const EVENT_SOURCE_PREFIXES: &[(&str, &str)] = &[
    ("monitoring.amazonaws.com", "cloudwatch"),
    ("email.amazonaws.com", "ses"),
    ("tagging.amazonaws.com", "tag"),
    ("streams.dynamodb.amazonaws.com", "dynamodb"),
    ("models.lex.amazonaws.com", "lex"),
    ("runtime.lex.amazonaws.com", "lex"),
    ("runtime.sagemaker.amazonaws.com", "sagemaker"),
];

/// Why the network keys (`aws:SourceIp`, `aws:VpcSourceIp`) are unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NetworkUnknown {
    /// `AWS Internal`: network keys and `aws:ViaAWSService` unknown.
    AwsInternal,
    /// The console's own host: the user's address is not logged.
    ConsoleHost,
    /// A service host name: the service's address, not the caller's.
    ServiceHost,
    /// Not a strict IPv4/IPv6 literal (leading zeros, a list, `redacted`, ...).
    InvalidAddress,
    /// Empty or missing `sourceIPAddress`.
    NoAddress,
}

impl NetworkUnknown {
    pub fn code(self) -> &'static str {
        match self {
            NetworkUnknown::AwsInternal => "aws_internal",
            NetworkUnknown::ConsoleHost => "console_host",
            NetworkUnknown::ServiceHost => "service_host",
            NetworkUnknown::InvalidAddress => "invalid_address",
            NetworkUnknown::NoAddress => "no_address",
        }
    }
}

/// The IAM action prefix of an `eventSource`, or `None` when it is not a service host name.
pub fn action_prefix(event_source: &str) -> Option<&str> {
    if let Some((_, prefix)) = EVENT_SOURCE_PREFIXES
        .iter()
        .find(|(host, _)| host.eq_ignore_ascii_case(event_source))
    {
        return Some(prefix);
    }
    let host = SERVICE_HOST_SUFFIXES
        .iter()
        .find_map(|s| strip_suffix_ignore_case(event_source, s))?;
    let first = host.split('.').next().unwrap_or(host);
    (!first.is_empty()
        && first
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    .then_some(first)
}

fn strip_suffix_ignore_case<'a>(s: &'a str, suffix: &str) -> Option<&'a str> {
    let cut = s.len().checked_sub(suffix.len())?;
    (s.is_char_boundary(cut) && s[cut..].eq_ignore_ascii_case(suffix)).then(|| &s[..cut])
}

/// Whether `s` is an AWS service host name (`cloudformation.amazonaws.com`).
pub fn is_service_host(s: &str) -> bool {
    SERVICE_HOST_SUFFIXES.iter().any(|suffix| {
        strip_suffix_ignore_case(s, suffix).is_some_and(|h| {
            !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        })
    })
}
