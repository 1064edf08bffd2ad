//! The per-principal tally, fed one outcome at a time and mergeable across threads, and the
//! CIDR suggestions for users denied only by the network statement.

use std::collections::BTreeMap;
use std::net::IpAddr;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use serde::Serialize;

use crate::cidr::{compact_spelling, CidrSet};

use super::replay::{reported_address, Outcome};
use super::rules::{ApartReason, NetworkUnknown, PrincipalKind, SkipReason};
use super::FastMap;

/// Distinct outside addresses kept per principal; beyond that they are only counted.
pub const ADDRESSES_PER_PRINCIPAL: usize = 1_000;
/// Distinct denied actions kept per principal; beyond that they are only counted.
pub const ACTIONS_PER_PRINCIPAL: usize = 1_000;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrincipalStats {
    pub kind: Option<PrincipalKind>,
    /// Requests evaluated (decided or not).
    pub requests: u64,
    /// Would-be-denied requests by Sid.
    pub denied: BTreeMap<String, u64>,
    /// Requests whose verdict depends on unknown network keys.
    pub undecided: u64,
    /// Requests the policies already in force deny (`--policy`, `--org-policies`).
    pub denied_today: u64,
    /// Requests the new policy denies and the policies in force do not.
    pub newly_denied: u64,
    /// Source addresses outside the CIDRs, with counts (capped, see `other_addresses`).
    pub outside: FastMap<IpAddr, u64>,
    pub other_addresses: u64,
    /// Denied actions, with counts (capped, see `other_actions`).
    pub denied_actions: FastMap<String, u64>,
    pub other_actions: u64,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
}

impl PrincipalStats {
    pub fn denied_total(&self) -> u64 {
        self.denied.values().sum()
    }

    fn seen(&mut self, time: Option<&str>) {
        let Some(t) = time else { return };
        // Overwrite in place: records arrive in time order, so last_seen moves on most of them.
        match &mut self.first_seen {
            Some(f) if t < f.as_str() => {
                f.clear();
                f.push_str(t);
            }
            Some(_) => {}
            None => self.first_seen = Some(t.to_string()),
        }
        match &mut self.last_seen {
            Some(l) if t > l.as_str() => {
                l.clear();
                l.push_str(t);
            }
            Some(_) => {}
            None => self.last_seen = Some(t.to_string()),
        }
    }

    /// `n` decided requests at once (a row of `impact --engine athena`'s aggregation): seen
    /// from `first` to `last`, from an outside address or not, denied by a Sid with an action.
    pub fn add_counts(
        &mut self,
        n: u64,
        first: Option<&str>,
        last: Option<&str>,
        outside: Option<IpAddr>,
        denied: Option<(&str, &str)>,
    ) {
        self.requests += n;
        self.seen(first);
        self.seen(last);
        if let Some(ip) = outside {
            add_capped(
                &mut self.outside,
                ip,
                n,
                ADDRESSES_PER_PRINCIPAL,
                &mut self.other_addresses,
            );
        }
        if let Some((sid, action)) = denied {
            *self.denied.entry(sid.to_string()).or_default() += n;
            add_capped(
                &mut self.denied_actions,
                action.to_string(),
                n,
                ACTIONS_PER_PRINCIPAL,
                &mut self.other_actions,
            );
        }
    }

    fn merge(&mut self, o: PrincipalStats) {
        self.kind = self.kind.or(o.kind);
        self.requests += o.requests;
        self.undecided += o.undecided;
        self.denied_today += o.denied_today;
        self.newly_denied += o.newly_denied;
        for (k, v) in o.denied {
            *self.denied.entry(k).or_default() += v;
        }
        for (ip, n) in o.outside {
            add_capped(
                &mut self.outside,
                ip,
                n,
                ADDRESSES_PER_PRINCIPAL,
                &mut self.other_addresses,
            );
        }
        self.other_addresses += o.other_addresses;
        for (a, n) in o.denied_actions {
            add_capped(
                &mut self.denied_actions,
                a,
                n,
                ACTIONS_PER_PRINCIPAL,
                &mut self.other_actions,
            );
        }
        self.other_actions += o.other_actions;
        self.seen(o.first_seen.as_deref());
        self.seen(o.last_seen.as_deref());
    }

    /// The most denied actions, most first (ties by name).
    pub fn top_actions(&self, n: usize) -> Vec<(&str, u64)> {
        let mut v: Vec<(&str, u64)> = self
            .denied_actions
            .iter()
            .map(|(a, c)| (a.as_str(), *c))
            .collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        v.truncate(n);
        v
    }

    /// Outside addresses, most frequent first (ties by address).
    pub fn outside_sorted(&self) -> Vec<(IpAddr, u64)> {
        let mut v: Vec<(IpAddr, u64)> = self.outside.iter().map(|(a, c)| (*a, *c)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    }
}

fn add_capped<K: std::hash::Hash + Eq>(
    map: &mut FastMap<K, u64>,
    key: K,
    n: u64,
    cap: usize,
    overflow: &mut u64,
) {
    if let Some(c) = map.get_mut(&key) {
        *c += n;
    } else if map.len() < cap {
        map.insert(key, n);
    } else {
        *overflow += n;
    }
}

/// The statistics of one principal in `principals`, created empty when new. Borrowed lookups
/// first: no allocation for a principal already seen.
fn principal_in<'t>(
    principals: &'t mut FastMap<String, FastMap<String, PrincipalStats>>,
    account: &str,
    arn: &str,
) -> &'t mut PrincipalStats {
    if !principals.contains_key(account) {
        principals.insert(account.to_string(), FastMap::default());
    }
    let by_arn = principals.get_mut(account).expect("inserted above");
    if !by_arn.contains_key(arn) {
        by_arn.insert(arn.to_string(), PrincipalStats::default());
    }
    by_arn.get_mut(arn).expect("inserted above")
}

/// Totals and per-principal statistics of a replay.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Records read (every outcome).
    pub records: u64,
    /// Records decided (denied or not).
    pub decided: u64,
    /// Decided records the new policy denies.
    pub denied: u64,
    /// Decided records the policies already in force deny, by why (`Sid in policy`, or an
    /// implicit deny); empty when none are given.
    pub denied_today: BTreeMap<String, u64>,
    /// Decided records the new policy denies and the policies in force do not: what enforcing
    /// it changes.
    pub newly_denied: u64,
    pub apart: BTreeMap<ApartReason, u64>,
    /// Records apart because their verdict depends on unknown network keys, by why unknown.
    pub undecided_network: BTreeMap<NetworkUnknown, u64>,
    pub skipped: BTreeMap<SkipReason, u64>,
    /// Would-be-denied records per UTC day (`YYYY-MM-DD` of `eventTime`) and Sid: the report's
    /// per-day chart. Records without a time are not in it.
    pub denied_by_day: BTreeMap<String, BTreeMap<String, u64>>,
    /// account -> principal ARN -> statistics, for principals the policy can apply to.
    pub principals: FastMap<String, FastMap<String, PrincipalStats>>,
}

impl Tally {
    /// Count one outcome. `cidrs` says which addresses are outside.
    pub fn add(&mut self, outcome: &Outcome<'_>, cidrs: &CidrSet) {
        self.records += 1;
        match outcome {
            Outcome::Skipped(why) => *self.skipped.entry(*why).or_default() += 1,
            Outcome::Apart {
                reason,
                principal,
                network,
            } => {
                *self.apart.entry(*reason).or_default() += 1;
                if let Some(n) = network {
                    *self.undecided_network.entry(*n).or_default() += 1;
                }
                if *reason == ApartReason::VerdictDependsOnNetwork {
                    if let Some((account, arn)) = principal {
                        let p = self.principal(account, arn);
                        p.requests += 1;
                        p.undecided += 1;
                    }
                }
            }
            Outcome::Decided {
                request,
                denied_by,
                denied_today,
            } => {
                self.decided += 1;
                // One lookup of the principal per record.
                let p = principal_in(&mut self.principals, request.account, request.principal_arn);
                if let Some(why) = denied_today {
                    match self.denied_today.get_mut(why.as_ref()) {
                        Some(c) => *c += 1,
                        None => {
                            self.denied_today.insert(why.to_string(), 1);
                        }
                    }
                    p.denied_today += 1;
                } else if denied_by.is_some() {
                    self.newly_denied += 1;
                    p.newly_denied += 1;
                }
                p.kind = Some(request.kind);
                p.requests += 1;
                p.seen(request.time);
                if let Some(ip) = reported_address(request).filter(|ip| !cidrs.contains(*ip)) {
                    add_capped(
                        &mut p.outside,
                        ip,
                        1,
                        ADDRESSES_PER_PRINCIPAL,
                        &mut p.other_addresses,
                    );
                }
                if let Some(sid) = denied_by {
                    self.denied += 1;
                    if let Some(day) = request.time.and_then(|t| t.get(..10)) {
                        let by_sid = match self.denied_by_day.get_mut(day) {
                            Some(m) => m,
                            None => self.denied_by_day.entry(day.to_string()).or_default(),
                        };
                        match by_sid.get_mut(sid.as_ref()) {
                            Some(c) => *c += 1,
                            None => {
                                by_sid.insert(sid.to_string(), 1);
                            }
                        }
                    }
                    match p.denied.get_mut(sid.as_ref()) {
                        Some(c) => *c += 1,
                        None => {
                            p.denied.insert(sid.to_string(), 1);
                        }
                    }
                    let full = p.denied_actions.len() >= ACTIONS_PER_PRINCIPAL;
                    match p.denied_actions.get_mut(request.action.as_str()) {
                        Some(c) => *c += 1,
                        None if !full => {
                            p.denied_actions.insert(request.action.clone(), 1);
                        }
                        None => p.other_actions += 1,
                    }
                }
            }
        }
    }

    /// The statistics of one principal, created empty when new.
    pub fn principal_mut(&mut self, account: &str, arn: &str) -> &mut PrincipalStats {
        self.principal(account, arn)
    }

    fn principal(&mut self, account: &str, arn: &str) -> &mut PrincipalStats {
        principal_in(&mut self.principals, account, arn)
    }

    /// Records counted apart or skipped.
    pub fn not_decided(&self) -> u64 {
        self.apart.values().sum::<u64>() + self.skipped.values().sum::<u64>()
    }

    pub fn merge(&mut self, o: Tally) {
        self.records += o.records;
        self.decided += o.decided;
        self.denied += o.denied;
        self.newly_denied += o.newly_denied;
        for (k, v) in o.denied_today {
            *self.denied_today.entry(k).or_default() += v;
        }
        for (k, v) in o.apart {
            *self.apart.entry(k).or_default() += v;
        }
        for (k, v) in o.undecided_network {
            *self.undecided_network.entry(k).or_default() += v;
        }
        for (k, v) in o.skipped {
            *self.skipped.entry(k).or_default() += v;
        }
        for (day, by_sid) in o.denied_by_day {
            let mine = self.denied_by_day.entry(day).or_default();
            for (sid, n) in by_sid {
                *mine.entry(sid).or_default() += n;
            }
        }
        // A principal (or account) only one side saw is moved, not rebuilt: the merge of the
        // threads' tallies holds little more than the tallies themselves.
        if self.principals.is_empty() {
            self.principals = o.principals;
            return;
        }
        for (account, by_arn) in o.principals {
            let Some(mine) = self.principals.get_mut(&account) else {
                self.principals.insert(account, by_arn);
                continue;
            };
            for (arn, stats) in by_arn {
                match mine.get_mut(&arn) {
                    Some(m) => m.merge(stats),
                    None => {
                        mine.insert(arn, stats);
                    }
                }
            }
        }
    }

    /// Principals with a denied or undecided request, by account then ARN.
    pub fn affected(&self) -> Vec<(&str, &str, &PrincipalStats)> {
        let mut v: Vec<(&str, &str, &PrincipalStats)> = self
            .principals
            .iter()
            .flat_map(|(account, m)| {
                m.iter()
                    .map(move |(arn, p)| (account.as_str(), arn.as_str(), p))
            })
            .filter(|(_, _, p)| p.denied_total() > 0 || p.undecided > 0 || p.denied_today > 0)
            .collect();
        v.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        v
    }

    /// One principal's statistics.
    pub fn get(&self, account: &str, arn: &str) -> Option<&PrincipalStats> {
        self.principals.get(account)?.get(arn)
    }
}

/// The smallest CIDR additions that would let a principal's outside addresses through: each
/// IPv4 address as itself (/32), each IPv6 address as its /64, then merged losslessly. IPv6
/// clients change their interface identifier over time (temporary addresses, RFC 8981) within
/// the /64 their network assigns (RFC 4291 subnets are /64), so a /128 seen today may not be
/// the address of tomorrow; an IPv4 egress address is stable and is taken as is. Suggestions
/// to review, never applied: an address outside the CIDRs may also be a leaked key.
pub fn suggest_cidrs(addresses: impl IntoIterator<Item = IpAddr>) -> Vec<String> {
    let mut v4 = Vec::new();
    let mut v6 = Vec::new();
    for a in addresses {
        match a {
            IpAddr::V4(a) => v4.push(Ipv4Net::new(a, 32).expect("/32 is valid")),
            IpAddr::V6(a) => v6.push(Ipv6Net::new(a, 64).expect("/64 is valid").trunc()),
        }
    }
    CidrSet::from_networks(v4, v6)
        .iter()
        .map(|n: IpNet| match n {
            // Spelled with its prefix here: this is advice for a person, not policy text.
            IpNet::V4(_) => n.to_string(),
            IpNet::V6(_) => compact_spelling(&n),
        })
        .collect()
}

/// An address and how many requests came from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AddressCount {
    pub address: String,
    pub count: u64,
}

/// An action and how many of its requests would be denied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionCount {
    pub action: String,
    pub count: u64,
}

/// A principal's line in a JSON report.
#[derive(Debug, Clone, Serialize)]
pub struct PrincipalReport {
    pub account: String,
    pub principal_arn: String,
    pub principal_type: Option<&'static str>,
    pub requests: u64,
    pub denied: BTreeMap<String, u64>,
    pub undecided: u64,
    /// With the policies in force given: requests they deny already.
    pub denied_today: u64,
    /// With the policies in force given: requests only the new policy denies.
    pub newly_denied: u64,
    pub outside_addresses: Vec<AddressCount>,
    pub other_outside_addresses: u64,
    pub top_denied_actions: Vec<ActionCount>,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    /// For users denied only by the network statement.
    pub suggested_cidrs: Option<Vec<String>>,
}

impl PrincipalReport {
    pub fn new(
        account: &str,
        arn: &str,
        p: &PrincipalStats,
        network_sid: Option<&str>,
    ) -> PrincipalReport {
        let only_network = network_sid
            .is_some_and(|sid| !p.denied.is_empty() && p.denied.keys().all(|k| k == sid))
            && p.kind == Some(PrincipalKind::User);
        let outside = p.outside_sorted();
        PrincipalReport {
            account: account.to_string(),
            principal_arn: arn.to_string(),
            principal_type: p.kind.map(PrincipalKind::principal_type),
            requests: p.requests,
            denied: p.denied.clone(),
            undecided: p.undecided,
            denied_today: p.denied_today,
            newly_denied: p.newly_denied,
            suggested_cidrs: only_network.then(|| suggest_cidrs(outside.iter().map(|(a, _)| *a))),
            outside_addresses: outside
                .iter()
                .map(|(a, n)| AddressCount {
                    address: a.to_string(),
                    count: *n,
                })
                .collect(),
            other_outside_addresses: p.other_addresses,
            top_denied_actions: p
                .top_actions(5)
                .into_iter()
                .map(|(a, n)| ActionCount {
                    action: a.to_string(),
                    count: n,
                })
                .collect(),
            first_seen: p.first_seen.clone(),
            last_seen: p.last_seen.clone(),
        }
    }
}
