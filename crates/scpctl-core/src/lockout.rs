//! The self-lockout guard: would the policy being deployed deny the very IAM user deploying it?
//! Pure: the edge reads who calls (STS GetCallerIdentity), where its account sits, and its tags;
//! the offline evaluator decides.

use std::net::IpAddr;

use crate::eval::evaluate;
use crate::plan::TargetId;
use crate::policy::PolicyDocument;
use crate::render::SID_UNTAGGED;
use crate::scenario::RequestSpec;

/// What an STS caller ARN says the caller is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallerKind {
    /// `arn:aws:iam::111122223333:user/path/name`: the only kind the SCP restricts.
    IamUser { account: String, name: String },
    /// A role session (IAM Identity Center users included), the root user, a federated user:
    /// not restricted by this policy, which applies to `aws:PrincipalType` `User` only.
    Other,
}

pub fn caller_kind(arn: &str) -> CallerKind {
    let parsed = crate::names::CallerArn::parse(arn);
    match parsed.and_then(|c| Some((c.account, c.iam_user()?))) {
        Some((account, name)) => CallerKind::IamUser {
            account: account.to_string(),
            name: name.to_string(),
        },
        None => CallerKind::Other,
    }
}

/// The target through which the policy reaches `account`: the account itself, an OU among its
/// ancestors, or the root.
pub fn reaching_target<'a>(
    targets: &'a [TargetId],
    account: &str,
    ancestors: &[String],
) -> Option<&'a TargetId> {
    targets.iter().find(|t| match t {
        TargetId::Account(a) => a == account,
        TargetId::Ou(o) => ancestors.contains(o),
        TargetId::Root(_) => true,
    })
    // (An account-or-root answer needs no ancestors: callers try with none first.)
}

/// The guard's answer for an IAM user the policy reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Not denied; `note` says what could not be checked.
    Safe { note: Option<String> },
    /// Denied: why, in words.
    LockedOut { why: String },
}

/// Evaluate the policy for the calling user with its own tags and, when known, its public IP.
/// Without an IP only statement 1 (the missing exception tag) is decisive: `aws:SourceIp` is
/// absent from the evaluation, which statement 2 would deny regardless of the network.
pub fn check_caller(
    policy: &str,
    user: &str,
    tags: &[(String, String)],
    my_ip: Option<IpAddr>,
) -> Verdict {
    let Ok(doc) = PolicyDocument::from_json(policy) else {
        return Verdict::LockedOut {
            why: "the policy to deploy cannot be read back".into(),
        };
    };
    let mut request = RequestSpec::new("User");
    request.tags = tags.to_vec();
    request.source_ip = my_ip;
    let decision = match evaluate(&doc, &request.context()) {
        Ok(d) => d,
        Err(e) => {
            return Verdict::LockedOut {
                why: format!("the policy cannot be evaluated: {e}"),
            }
        }
    };
    let denying: Vec<&str> = decision
        .statements
        .iter()
        .filter(|s| s.applies)
        .map(|s| s.statement.as_str())
        .collect();
    match my_ip {
        Some(ip) if !denying.is_empty() => Verdict::LockedOut {
            why: format!(
                "IAM user {user} calling from {ip} would be denied by {}",
                denying.join(" and ")
            ),
        },
        Some(_) => Verdict::Safe { note: None },
        None if denying.contains(&SID_UNTAGGED) => Verdict::LockedOut {
            why: format!(
                "IAM user {user} has no exception tag, so {SID_UNTAGGED} would deny it everywhere"
            ),
        },
        None => Verdict::Safe {
            note: Some(format!(
                "IAM user {user} holds the exception; whether your network is inside the CIDRs was not checked (pass --my-ip YOUR_PUBLIC_IP)"
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"DenyIAMUsersWithoutAccessException","Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalType":"User"},"StringNotEquals":{"aws:PrincipalTag/AccessException":"True"}}},{"Sid":"DenyIAMUsersOutsideApprovedNetwork","Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalType":"User","aws:PrincipalTag/AccessException":"True"},"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"},"Bool":{"aws:ViaAWSService":"false"}}}]}"#;

    fn tag(v: &str) -> Vec<(String, String)> {
        vec![("AccessException".into(), v.into())]
    }

    #[test]
    fn caller_arns_are_classified() {
        assert_eq!(
            caller_kind("arn:aws:iam::111122223333:user/ops/deployer"),
            CallerKind::IamUser {
                account: "111122223333".into(),
                name: "deployer".into()
            }
        );
        assert_eq!(
            caller_kind("arn:aws-us-gov:iam::111122223333:user/x"),
            CallerKind::IamUser {
                account: "111122223333".into(),
                name: "x".into()
            }
        );
        for other in [
            "arn:aws:sts::111122223333:assumed-role/Admin/session",
            "arn:aws:iam::111122223333:root",
            "arn:aws:sts::111122223333:federated-user/bob",
            "garbage",
            "",
        ] {
            assert_eq!(caller_kind(other), CallerKind::Other, "{other}");
        }
    }

    #[test]
    fn the_target_reaching_an_account_is_found() {
        let targets = vec![
            TargetId::ou("ou-abcd-11111111").unwrap(),
            TargetId::account("111122223333").unwrap(),
        ];
        let ancestors = vec!["ou-abcd-11111111".to_string(), "r-abcd".to_string()];
        assert_eq!(
            reaching_target(&targets, "999999999999", &ancestors),
            Some(&targets[0])
        );
        assert_eq!(
            reaching_target(&targets, "111122223333", &[]),
            Some(&targets[1])
        );
        assert_eq!(reaching_target(&targets, "999999999999", &[]), None);
        let root = vec![TargetId::root("r-abcd").unwrap()];
        assert!(reaching_target(&root, "999999999999", &[]).is_some());
    }

    #[test]
    fn untagged_or_wrongly_tagged_callers_are_locked_out() {
        for tags in [vec![], tag("true")] {
            match check_caller(POLICY, "me", &tags, None) {
                Verdict::LockedOut { why } => assert!(why.contains(SID_UNTAGGED), "{why}"),
                v => panic!("{v:?}"),
            }
        }
    }

    #[test]
    fn a_tagged_caller_is_checked_against_its_ip_when_given() {
        assert!(matches!(
            check_caller(POLICY, "me", &tag("True"), None),
            Verdict::Safe { note: Some(n) } if n.contains("--my-ip")
        ));
        assert_eq!(
            check_caller(
                POLICY,
                "me",
                &tag("True"),
                Some("192.0.2.9".parse().unwrap())
            ),
            Verdict::Safe { note: None }
        );
        match check_caller(
            POLICY,
            "me",
            &tag("True"),
            Some("198.51.100.1".parse().unwrap()),
        ) {
            Verdict::LockedOut { why } => {
                assert!(why.contains("198.51.100.1") && why.contains("OutsideApprovedNetwork"))
            }
            v => panic!("{v:?}"),
        }
    }
}
