//! The query's result rows back into the local report's [`Tally`]: the aggregated rows (one per
//! status, reason, principal, Sid, denied action and outside address, with a count) add up to
//! what the local replay counts record by record.

use std::net::IpAddr;
use std::str::FromStr;

use super::super::rules::{ApartReason, NetworkUnknown, SkipReason};
use super::super::tally::Tally;
use super::principal_kind;

/// Every reason code, for reading rows back.
const APART: &[ApartReason] = &[
    ApartReason::AwsServicePrincipal,
    ApartReason::ServiceLinkedRole,
    ApartReason::ManagementAccount,
    ApartReason::AccountNotSelected,
    ApartReason::NotAttached,
    ApartReason::OtherAccountPrincipal,
    ApartReason::UnknownIdentity,
    ApartReason::IdentityCenterUser,
    ApartReason::NoIdentity,
    ApartReason::UnlistedIdentityType,
    ApartReason::NoRoleArn,
    ApartReason::UserWithoutArn,
    ApartReason::NoAccount,
    ApartReason::NoAction,
    ApartReason::UnlistedEventType,
    ApartReason::NoEventTime,
    ApartReason::VerdictDependsOnNetwork,
    ApartReason::UnreadableValue,
];
const SKIP: &[SkipReason] = &[
    SkipReason::ConsoleSignIn,
    SkipReason::ServiceEvent,
    SkipReason::ConsoleAction,
    SkipReason::Insight,
    SkipReason::VpceEvent,
    SkipReason::FederationBeforePrincipal,
    SkipReason::OutsideTimeRange,
];
const NET: &[NetworkUnknown] = &[
    NetworkUnknown::AwsInternal,
    NetworkUnknown::ConsoleHost,
    NetworkUnknown::ServiceHost,
    NetworkUnknown::InvalidAddress,
    NetworkUnknown::NoAddress,
];

/// One aggregated row, as the query's columns name it (NULL as `None`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AggregateRow {
    pub status: String,
    pub reason: Option<String>,
    pub net: Option<String>,
    pub account: Option<String>,
    pub parn: Option<String>,
    pub pkind: Option<String>,
    pub sid: Option<String>,
    pub denied_action: Option<String>,
    pub outside: Option<String>,
    pub n: u64,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
}

/// The column names of the aggregated query, in order.
pub const AGGREGATE_COLUMNS: [&str; 12] = [
    "status",
    "reason",
    "net",
    "account",
    "parn",
    "pkind",
    "sid",
    "denied_action",
    "outside",
    "n",
    "first_seen",
    "last_seen",
];

impl AggregateRow {
    /// From the 12 columns in [`AGGREGATE_COLUMNS`] order.
    pub fn from_columns(c: Vec<Option<String>>) -> Result<AggregateRow, String> {
        let [status, reason, net, account, parn, pkind, sid, denied_action, outside, n, first_seen, last_seen]: [Option<String>; 12] =
            c.try_into().map_err(|c: Vec<_>| format!("a result row with {} columns, expected 12", c.len()))?;
        let status = status.ok_or("a result row without status")?;
        let n = n
            .as_deref()
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| format!("a result row with the count {n:?}"))?;
        Ok(AggregateRow {
            status,
            reason,
            net,
            account,
            parn,
            pkind,
            sid,
            denied_action,
            outside,
            n,
            first_seen,
            last_seen,
        })
    }
}

/// Add one row to the tally. An unknown status or reason is an error naming it (the query and
/// this reader are generated from the same tables, so it means another query's results).
pub fn add_row(t: &mut Tally, row: &AggregateRow) -> Result<(), String> {
    let n = row.n;
    t.records += n;
    let reason = row.reason.as_deref().unwrap_or("");
    match row.status.as_str() {
        "skip" => {
            let why = SKIP
                .iter()
                .find(|r| r.code() == reason)
                .ok_or_else(|| format!("unknown skip reason {reason:?}"))?;
            *t.skipped.entry(*why).or_default() += n;
        }
        "apart" => {
            let why = APART
                .iter()
                .find(|r| r.code() == reason)
                .ok_or_else(|| format!("unknown apart reason {reason:?}"))?;
            *t.apart.entry(*why).or_default() += n;
            if *why == ApartReason::VerdictDependsOnNetwork {
                if let Some(net) = row.net.as_deref() {
                    let net = NET
                        .iter()
                        .find(|r| r.code() == net)
                        .ok_or_else(|| format!("unknown network reason {net:?}"))?;
                    *t.undecided_network.entry(*net).or_default() += n;
                }
                if let (Some(a), Some(p)) = (&row.account, &row.parn) {
                    let s = t.principal_mut(a, p);
                    s.requests += n;
                    s.undecided += n;
                }
            }
        }
        "denied" | "allowed" => {
            let (Some(a), Some(p)) = (&row.account, &row.parn) else {
                return Err("a decided row without account or principal".into());
            };
            t.decided += n;
            let kind = row.pkind.as_deref().and_then(principal_kind);
            let outside = match row.outside.as_deref() {
                Some(o) => Some(IpAddr::from_str(o).map_err(|_| format!("outside address {o:?}"))?),
                None => None,
            };
            let s = t.principal_mut(a, p);
            s.kind = s.kind.or(kind);
            s.add_counts(
                n,
                row.first_seen.as_deref(),
                row.last_seen.as_deref(),
                outside,
                row.sid.as_deref().zip(row.denied_action.as_deref()),
            );
            if row.status == "denied" {
                t.denied += n;
            }
        }
        other => return Err(format!("unknown status {other:?}")),
    }
    Ok(())
}
