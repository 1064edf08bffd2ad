//! The sign-in guard's judgement of one break-glass principal: the three Sign-In actions in
//! both phases from outside the networks, through the SCPs and RCPs in force on its account.
//! Pure: the edge reads the policies and, for an IAM user named exactly, its tags.
//!
//! Tags: an IAM user's tags are `aws:PrincipalTag/<key>` once it is authenticated (IAM User
//! Guide, "AWS global condition context keys", aws:PrincipalTag: "included in the request
//! context if the principal is using an IAM user with attached tags"), so they join the
//! post-authentication request with `aws:PrincipalType`; before authentication Sign-In knows only
//! `signin:PrincipalArn`. Tag keys compare case-insensitively (condition key names are not
//! case-sensitive, and IAM keeps one key per spelling ignoring case); values case-sensitively.

use crate::eval::{PolicySet, RequestContext, SetVerdict};

use super::{principal_type, request, sample, Origin, Phase, ACTIONS};

/// What scpctl can read about a break-glass principal before judging it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BreakGlassKind<'a> {
    /// `arn:PARTITION:iam::ACCOUNT:user/[PATH/]NAME` without a wildcard: its tags can be read.
    ExactUser { account: &'a str, name: &'a str },
    /// An IAM user pattern (a wildcard somewhere): which users it means is unknown, so it is
    /// judged without tags.
    UserPattern,
    /// A role, a root user, anything else: tags play no part in the guard for it.
    Other,
}

/// Classify a `[break_glass]` principal ARN pattern.
pub fn break_glass_kind(pattern: &str) -> BreakGlassKind<'_> {
    let parts: Vec<&str> = pattern.splitn(6, ':').collect();
    let ["arn", _, "iam", "", account, resource] = parts.as_slice() else {
        return BreakGlassKind::Other;
    };
    let Some(path) = resource.strip_prefix("user/") else {
        return BreakGlassKind::Other;
    };
    if pattern.contains(['*', '?']) {
        return BreakGlassKind::UserPattern;
    }
    let name = path.rsplit('/').next().unwrap_or(path);
    if name.is_empty() || crate::names::check_account_id(account).is_err() {
        return BreakGlassKind::Other;
    }
    BreakGlassKind::ExactUser { account, name }
}

/// The request Sign-In evaluates for a break-glass principal: `action` in `phase` from
/// `outside`, with the principal's type and tags after authentication.
pub fn break_glass_request(
    action: &str,
    phase: Phase,
    arn: &str,
    outside: &str,
    region: &str,
    tags: &[(String, String)],
) -> RequestContext {
    let mut ctx =
        request(action, phase, Some(arn), &Origin::ip(outside)).with("aws:RequestedRegion", region);
    if phase == Phase::PostAuth {
        ctx = ctx.with("aws:PrincipalType", principal_type(arn));
        for (k, v) in tags {
            ctx = ctx.with(&format!("aws:PrincipalTag/{k}"), v.as_str());
        }
    }
    ctx
}

/// Every denial of `pattern`'s sign-in from `outside` under `set`, in words (empty: it keeps
/// console access). `tags`: the user's tags when read, none otherwise.
pub fn judge_break_glass(
    set: &PolicySet,
    pattern: &str,
    tags: &[(String, String)],
    outside: &str,
    region: &str,
) -> Vec<String> {
    let arn = sample(pattern);
    let mut problems = Vec::new();
    for phase in [Phase::PreAuth, Phase::PostAuth] {
        for action in ACTIONS {
            let ctx = break_glass_request(action, phase, &arn, outside, region, tags);
            match set.decide(&ctx) {
                SetVerdict::NotDenied { .. } => {}
                SetVerdict::Explicit {
                    policy, statement, ..
                } => problems.push(format!(
                    "break-glass {pattern} would be denied {action} ({}) from outside the networks by {statement} in {policy}",
                    phase.name()
                )),
                SetVerdict::Implicit { level } => problems.push(format!(
                    "break-glass {pattern} would be denied {action} ({}): no SCP at {level} allows it",
                    phase.name()
                )),
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::{CompiledPolicy, PolicyType};
    use crate::policy::PolicyDocument;

    /// The guide's SCP (statement 1 and 2), as an organization runs it.
    const GUIDE_SCP: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"DenyIAMUsersWithoutAccessException","Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalType":"User"},"StringNotEquals":{"aws:PrincipalTag/AccessException":"True"}}},{"Sid":"DenyIAMUsersOutsideApprovedNetwork","Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalType":"User","aws:PrincipalTag/AccessException":"True"},"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"},"Bool":{"aws:ViaAWSService":"false"}}}]}"#;
    const FULL: &str =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
    const USER: &str = "arn:aws:iam::111122223333:user/breakglass";

    fn set() -> PolicySet {
        let compile = |text: &str| {
            CompiledPolicy::new(&PolicyDocument::from_json(text).unwrap(), PolicyType::Scp).unwrap()
        };
        let mut set = PolicySet::new();
        set.add_level(
            "111122223333",
            true,
            vec![
                ("FullAWSAccess".into(), compile(FULL)),
                ("Guide".into(), compile(GUIDE_SCP)),
            ],
        );
        set
    }

    fn tags(k: &str, v: &str) -> Vec<(String, String)> {
        vec![(k.into(), v.into())]
    }

    #[test]
    fn exact_users_patterns_and_other_principals_are_told_apart() {
        assert_eq!(
            break_glass_kind(USER),
            BreakGlassKind::ExactUser {
                account: "111122223333",
                name: "breakglass"
            }
        );
        assert_eq!(
            break_glass_kind("arn:aws-us-gov:iam::111122223333:user/ops/team/bg@x"),
            BreakGlassKind::ExactUser {
                account: "111122223333",
                name: "bg@x"
            }
        );
        for pattern in [
            "arn:aws:iam::111122223333:user/breakglass*",
            "arn:aws:iam::*:user/breakglass",
            "arn:aws:iam::11112222333?:user/bg",
        ] {
            assert_eq!(
                break_glass_kind(pattern),
                BreakGlassKind::UserPattern,
                "{pattern}"
            );
        }
        for other in [
            "arn:aws:iam::111122223333:role/BreakGlass",
            "arn:aws:iam::111122223333:root",
            "arn:aws:iam::12345:user/bg",
            "arn:aws:iam::111122223333:user/",
            "garbage",
        ] {
            assert_eq!(break_glass_kind(other), BreakGlassKind::Other, "{other}");
        }
    }

    #[test]
    fn a_tagged_break_glass_user_passes_the_guides_scp_whatever_the_key_case() {
        for key in ["AccessException", "accessexception", "ACCESSEXCEPTION"] {
            let p = judge_break_glass(
                &set(),
                USER,
                &tags(key, "True"),
                "198.51.100.7",
                "us-east-1",
            );
            assert!(p.is_empty(), "{key}: {p:?}");
        }
    }

    #[test]
    fn an_untagged_or_wrongly_tagged_break_glass_user_is_denied_after_authentication() {
        for t in [
            vec![],
            tags("AccessException", "true"),
            tags("Other", "True"),
        ] {
            let p = judge_break_glass(&set(), USER, &t, "198.51.100.7", "us-east-1");
            // Before authentication there is no principal type: statement 1 cannot apply.
            assert_eq!(p.len(), ACTIONS.len(), "{t:?}: {p:?}");
            assert!(
                p.iter().all(|m| m.contains("(post-auth)")
                    && m.contains("DenyIAMUsersWithoutAccessException in Guide")),
                "{p:?}"
            );
        }
    }

    #[test]
    fn tags_join_the_post_authentication_request_only() {
        let t = tags("accessexception", "True");
        let pre = break_glass_request(ACTIONS[0], Phase::PreAuth, USER, "x", "us-east-1", &t);
        assert_eq!(pre.get("aws:PrincipalTag/AccessException"), None);
        assert_eq!(pre.get("aws:PrincipalType"), None);
        let post = break_glass_request(ACTIONS[0], Phase::PostAuth, USER, "x", "us-east-1", &t);
        assert_eq!(
            post.get("aws:PrincipalTag/AccessException"),
            Some(&["True".to_string()][..])
        );
        assert_eq!(
            post.get("aws:PrincipalType"),
            Some(&["User".to_string()][..])
        );
    }
}
