//! One record -> one verdict, through the same evaluator as `simulate`. Where the record leaves
//! network keys unknown, every possible value is tried and the record is decided only when all
//! give the same verdict.

use std::net::IpAddr;
use std::sync::Arc;

use crate::eval::{
    AddressClasses, CompiledPolicy, EvalError, PolicySet, PolicyType, RequestContext, SetVerdict,
};
use crate::policy::PolicyDocument;

use super::map::{map_record, AddressKey, MapOptions, Mapped, Request};
use super::record::Record;
use super::rules::{ApartReason, NetworkUnknown, PrincipalKind, SkipReason};
use super::FastMap;

/// Where principal tags come from (records do not carry them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum TagSource {
    /// Every principal untagged.
    #[default]
    Untagged,
    /// Principal ARN -> tags; principals not listed are untagged.
    Map(FastMap<String, Vec<(String, String)>>),
    /// Every IAM user holds the exception tag (what statement 2 alone would deny).
    AssumeExcepted { key: String, value: String },
}

impl TagSource {
    /// Tags of a principal. Keys are unique case-insensitively (IAM's rule); the map is built
    /// with [`TagSource::from_map`], which enforces it.
    fn tags<'s>(&'s self, kind: PrincipalKind, arn: &str) -> TagIter<'s> {
        match self {
            TagSource::Untagged => TagIter::None,
            TagSource::Map(m) => m
                .get(arn)
                .map_or(TagIter::None, |v| TagIter::List(v.iter())),
            TagSource::AssumeExcepted { key, value } if kind == PrincipalKind::User => {
                TagIter::One(Some((key, value)))
            }
            TagSource::AssumeExcepted { .. } => TagIter::None,
        }
    }

    /// Build the map from principal ARN -> {key: value}, refusing two keys that differ only in
    /// case (IAM tag keys are case-insensitive: one user cannot hold both).
    pub fn from_map(
        map: impl IntoIterator<Item = (String, Vec<(String, String)>)>,
    ) -> Result<TagSource, String> {
        let mut out = FastMap::default();
        for (arn, tags) in map {
            let mut seen: Vec<String> = Vec::new();
            for (k, _) in &tags {
                let lower = k.to_lowercase();
                if seen.contains(&lower) {
                    return Err(format!(
                        "{arn}: tag key {k:?} appears twice (IAM tag keys are case-insensitive)"
                    ));
                }
                seen.push(lower);
            }
            out.insert(arn, tags);
        }
        Ok(TagSource::Map(out))
    }

    /// The assumption a report states.
    pub fn describe(&self) -> String {
        match self {
            TagSource::Untagged => "no tags given: every principal counts as untagged".into(),
            TagSource::Map(m) => format!(
                "tags from a file for {} principal(s); principals not in it count as untagged",
                m.len()
            ),
            TagSource::AssumeExcepted { key, value } => format!(
                "--assume-excepted: every IAM user counts as tagged {key}={value} (what the network statement alone denies)"
            ),
        }
    }
}

enum TagIter<'s> {
    None,
    List(std::slice::Iter<'s, (String, String)>),
    One(Option<(&'s String, &'s String)>),
}

impl<'s> Iterator for TagIter<'s> {
    type Item = (&'s String, &'s String);
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            TagIter::None => None,
            TagIter::List(it) => it.next().map(|(k, v)| (k, v)),
            TagIter::One(o) => o.take(),
        }
    }
}

/// The policies an organization already runs, evaluated with the new one (`--policy`,
/// `--policy-dir`, `--org-policies`): compiled once, with the keys they read.
#[derive(Debug, Clone, Default)]
pub struct InForce {
    set: PolicySet,
    /// [`PolicySet::statement_read_keys`], sorted.
    keys: Vec<String>,
    /// How the set reads each address key.
    address: [AddressReading; 2],
}

impl InForce {
    pub fn new(set: PolicySet) -> InForce {
        let keys = set.statement_read_keys();
        let address = AddressReading::both(&keys, |k| set.address_classes(k));
        InForce { set, keys, address }
    }

    pub fn set(&self) -> &PolicySet {
        &self.set
    }

    /// Why the set denies `ctx` today, or `None`: `Sid in policy`, or the implicit deny of a
    /// chain level.
    pub fn denial(&self, ctx: &RequestContext) -> Option<Sid> {
        denial_of(self.set.decide(ctx))
    }
}

/// `Sid in policy`, or the implicit deny of a chain level; `None` when not denied.
fn denial_of(v: SetVerdict<'_>) -> Option<Sid> {
    match v {
        SetVerdict::NotDenied { .. } => None,
        SetVerdict::Explicit {
            policy, statement, ..
        } => Some(Sid::from(format!("{statement} in {policy}"))),
        SetVerdict::Implicit { level } => Some(Sid::from(format!(
            "implicit deny: no SCP at {level} allows it"
        ))),
    }
}

/// The policies in force for a caller's account.
#[derive(Debug, Clone)]
pub enum AccountPolicies {
    InForce(Arc<InForce>),
    /// Not in the organization: its policies do not apply (counted apart).
    OutsideOrganization,
}

/// Where the policies in force per account come from (Organizations, read at the edge). Called
/// from the replay's threads; implementations cache per account.
pub trait PoliciesByAccount: Send + Sync + std::fmt::Debug {
    fn policies(&self, account: &str) -> Result<AccountPolicies, String>;
}

/// The policies already in force, if any are given.
#[derive(Debug, Clone, Default)]
pub enum Existing {
    #[default]
    None,
    /// The same for every account (`--policy`, `--policy-dir`).
    Same(Arc<InForce>),
    /// Per account (`--org-policies`).
    PerAccount(Arc<dyn PoliciesByAccount>),
}

/// Everything the replay needs besides the records.
#[derive(Debug, Clone, Default)]
pub struct ReplayOptions {
    pub map: MapOptions,
    pub tags: TagSource,
    /// Addresses to try when a record's address is unknown: at least one inside and one outside
    /// the policy's CIDRs for each family the CIDRs have (absent is always tried too).
    pub candidate_addresses: Vec<IpAddr>,
    /// The policies an organization already runs: each record is also decided through them.
    pub existing: Existing,
}

/// The verdict on one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome<'r> {
    Skipped(SkipReason),
    Apart {
        reason: ApartReason,
        /// (account, principal ARN) when known.
        principal: Option<(&'r str, &'r str)>,
        /// For [`ApartReason::VerdictDependsOnNetwork`]: why the network keys are unknown.
        network: Option<NetworkUnknown>,
    },
    Decided {
        request: Request<'r>,
        /// The Sid of the Deny statement that applies, `None` when not denied.
        denied_by: Option<Sid>,
        /// Why the policies already in force deny it (`None`: not denied today, or none given).
        denied_today: Option<Sid>,
    },
}

/// A statement's Sid, shared (a verdict is handed out for every record).
pub type Sid = Arc<str>;

/// The verdicts of one request: the new policy's and the existing policies'.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdicts {
    /// The Sid of the new policy's Deny that applies.
    pub new: Option<Sid>,
    /// Why the policies in force deny it today.
    pub today: Option<Sid>,
    /// A request value some condition's operator cannot read: neither verdict holds
    /// ([`crate::eval::UnreadableValue`]); the record is counted apart.
    pub unreadable: bool,
}

/// An error that stops the replay.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplayError {
    #[error("cannot read the policies in force for account {account}: {why}")]
    Policies { account: String, why: String },
}

/// How policies read an address key (`aws:SourceIp`, `aws:VpcSourceIp`): the verdict cache keys
/// the address by what the policies tell apart.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
enum AddressReading {
    /// No statement reads it.
    #[default]
    Unread,
    /// Only IP operators and `Null` read it: the address's class is what decides.
    Classes(AddressClasses),
    /// Read otherwise: the whole address decides.
    Whole,
}

impl AddressReading {
    /// For [`AddressKey::SourceIp`] and [`AddressKey::VpcSourceIp`], in that order, from the
    /// statements' read keys (lower-cased) and the policies' classes of a key.
    fn both(
        read_keys: &[String],
        classes: impl Fn(&str) -> Option<AddressClasses>,
    ) -> [AddressReading; 2] {
        [AddressKey::SourceIp, AddressKey::VpcSourceIp].map(|k| {
            let lower = k.name().to_ascii_lowercase();
            if !read_keys.contains(&lower) {
                AddressReading::Unread
            } else {
                classes(&lower).map_or(AddressReading::Whole, AddressReading::Classes)
            }
        })
    }
}

fn address_slot(key: AddressKey) -> usize {
    match key {
        AddressKey::SourceIp => 0,
        AddressKey::VpcSourceIp => 1,
    }
}

/// `ip` spelled on the stack: an IPv6 literal is at most 45 characters (RFC 4291 form with an
/// embedded IPv4 address), and 64 bytes hold any `Display` of one.
fn spelled(ip: IpAddr, f: impl FnOnce(&str)) {
    let mut buf = [0u8; 64];
    let mut cursor = std::io::Cursor::new(&mut buf[..]);
    let ok = std::io::Write::write_fmt(&mut cursor, format_args!("{ip}")).is_ok();
    let len = cursor.position() as usize;
    match std::str::from_utf8(&buf[..len]) {
        Ok(text) if ok => f(text),
        _ => f(&ip.to_string()),
    }
}

/// Verdicts by the projection of a request onto what the policies read: the fast path. One per
/// thread.
#[derive(Debug, Default)]
pub struct VerdictCache {
    map: FastMap<String, Verdicts>,
    /// The key being built, reused from record to record.
    key: String,
    /// The last account's policies in force (records of one account come in runs).
    last: Option<(String, AccountPolicies)>,
    pub hits: u64,
    pub misses: u64,
}

/// Entries kept before the cache starts over: memory stays bounded whatever the input (about
/// 20 MB a thread at most with the keys of a trail; 200,000 entries were 60 MB a thread, most of
/// the growth of peak memory when the input grew). 8,192 entries cut the peak by 20 MB on
/// `bench/impact.py`'s mix shape but cost about 20% more CPU there (the cache cleared often,
/// each miss building a request context): kept at 65,536.
const CACHE_MAX: usize = 1 << 16;

/// A compiled policy and the options, shared by every thread (read-only).
#[derive(Debug, Clone)]
pub struct Replayer {
    policy: Arc<CompiledPolicy>,
    opts: ReplayOptions,
    /// Lower-cased context keys the policy's statements read, sorted
    /// ([`CompiledPolicy::statement_read_keys`]); the service-linked-role exemption's reading
    /// of `aws:PrincipalArn` is in the cache key as a yes/no.
    read_keys: Vec<String>,
    /// How the policy reads each address key.
    address: [AddressReading; 2],
}

impl Replayer {
    /// The policy is checked once here (as an identity-style policy), so an unsupported policy
    /// fails before any record.
    pub fn new(policy: PolicyDocument, opts: ReplayOptions) -> Result<Replayer, EvalError> {
        Ok(Replayer::compiled(
            CompiledPolicy::new(&policy, PolicyType::Identity)?,
            opts,
        ))
    }

    /// A policy compiled with its own type (SCP, RCP, identity).
    pub fn compiled(policy: CompiledPolicy, opts: ReplayOptions) -> Replayer {
        let read_keys = policy.statement_read_keys();
        let address = AddressReading::both(&read_keys, |k| policy.address_classes(k));
        Replayer {
            policy: Arc::new(policy),
            opts,
            read_keys,
            address,
        }
    }

    pub fn options(&self) -> &ReplayOptions {
        &self.opts
    }

    /// The policies in force for `account` (`None` when none are given), through the
    /// thread's cache of the last account.
    pub fn in_force(
        &self,
        account: &str,
        cache: &mut VerdictCache,
    ) -> Result<Option<AccountPolicies>, ReplayError> {
        match &self.opts.existing {
            Existing::None => Ok(None),
            Existing::Same(p) => Ok(Some(AccountPolicies::InForce(p.clone()))),
            Existing::PerAccount(source) => {
                if let Some((a, p)) = &cache.last {
                    if a == account {
                        return Ok(Some(p.clone()));
                    }
                }
                let p = source
                    .policies(account)
                    .map_err(|why| ReplayError::Policies {
                        account: account.to_string(),
                        why,
                    })?;
                cache.last = Some((account.to_string(), p.clone()));
                Ok(Some(p))
            }
        }
    }

    /// The network values a mapped request may have: one pair when the record gives them,
    /// else every combination of the candidate addresses (and absent) with the possible
    /// `aws:ViaAWSService` values (Sign-In has no `aws:ViaAWSService`: one value, not sent).
    pub fn combinations(&self, req: &Request<'_>) -> Vec<(Option<IpAddr>, bool)> {
        let addresses: Vec<Option<IpAddr>> = match req.network.address {
            Ok(ip) => vec![Some(ip)],
            Err(_) => self
                .opts
                .candidate_addresses
                .iter()
                .copied()
                .map(Some)
                .chain([None])
                .collect(),
        };
        let vias: &[bool] = match (req.phase, req.network.via_aws_service) {
            (Some(_), _) => &[false],
            (None, Some(true)) => &[true],
            (None, Some(false)) => &[false],
            (None, None) => &[false, true],
        };
        addresses
            .iter()
            .flat_map(|a| vias.iter().map(move |v| (*a, *v)))
            .collect()
    }

    /// Every key and value of the request context for one combination: the one source of
    /// both the context handed to the evaluator and the fast path's cache key.
    fn emit(
        &self,
        req: &Request<'_>,
        address: Option<IpAddr>,
        via: bool,
        f: &mut dyn FnMut(&str, &str),
    ) {
        self.emit_but_address(req, via, f);
        if let Some(ip) = address {
            spelled(ip, |text| f(req.network.key.name(), text));
        }
    }

    /// [`Self::emit`] but for the address key.
    fn emit_but_address(&self, req: &Request<'_>, via: bool, f: &mut dyn FnMut(&str, &str)) {
        req.for_each_key(|k, v| f(k, v));
        // Tags are known after authentication only.
        if req.phase != Some(super::map::SigninPhase::PreAuth) {
            // The key spelled on the stack (IAM tag keys are at most 128 characters): no
            // allocation per record.
            const PREFIX: &str = "aws:PrincipalTag/";
            let mut buf = [0u8; 256];
            for (k, v) in self.opts.tags.tags(req.kind, req.principal_arn) {
                let end = PREFIX.len() + k.len();
                if end <= buf.len() {
                    buf[..PREFIX.len()].copy_from_slice(PREFIX.as_bytes());
                    buf[PREFIX.len()..end].copy_from_slice(k.as_bytes());
                }
                match std::str::from_utf8(buf.get(..end).unwrap_or_default()) {
                    Ok(key) if end <= buf.len() => f(key, v),
                    _ => f(&format!("{PREFIX}{k}"), v),
                }
            }
        }
        if req.phase.is_none() {
            f("aws:ViaAWSService", if via { "true" } else { "false" });
        }
    }

    /// The request context for one combination, as the evaluator takes it.
    pub fn context(&self, req: &Request<'_>, address: Option<IpAddr>, via: bool) -> RequestContext {
        let mut ctx = RequestContext::new(&req.action);
        self.emit(req, address, via, &mut |k, v| {
            ctx = std::mem::take(&mut ctx).with(k, v)
        });
        ctx
    }

    /// The cache key: the account when the policies in force differ per account, the action,
    /// and the keys any policy reads with their values, each followed by a NUL, so no two
    /// projections share a key. A value holding a NUL itself (only a crafted record can) gets
    /// no key: no fast path.
    fn cache_key(
        &self,
        req: &Request<'_>,
        address: Option<IpAddr>,
        via: bool,
        today: Option<&InForce>,
        s: &mut String,
    ) -> bool {
        s.clear();
        if matches!(self.opts.existing, Existing::PerAccount(_)) {
            s.push_str(req.account);
            s.push('\0');
        } else if req.action.eq_ignore_ascii_case("sts:GetCallerIdentity") {
            // `evaluate` exempts it whatever the statements name: never share its verdict.
            s.push_str("sts:getcalleridentity\0");
        }
        // Always the action: even a policy on `"Action": "*"` decides sts:GetCallerIdentity
        // apart (never denied). Lower-cased as it is appended: no string per record.
        s.extend(req.action.chars().map(|c| c.to_ascii_lowercase()));
        s.push('\0');
        let mut clean = !req.action.contains('\0') && !req.account.contains('\0');
        // The key as the policies read it (lower case, folded once, when they were compiled),
        // `None` when none reads it.
        fn read<'k>(keys: &'k [String], k: &str) -> Option<&'k str> {
            if k.is_ascii() {
                // A policy reads a handful of keys: a scan that compares lengths first beats a
                // binary search comparing byte by byte (10% of a cached replay).
                keys.iter()
                    .find(|r| r.len() == k.len() && r.eq_ignore_ascii_case(k))
                    .map(String::as_str)
            } else {
                // Key names compare as `RequestContext` does: Unicode lower case.
                let lower = k.to_lowercase();
                keys.iter().find(|r| **r == lower).map(String::as_str)
            }
        }
        // What the service-linked-role exemption reads (`RequestContext::is_service_linked_role`).
        let mut service_linked = false;
        let mut pair = |k: &str, v: &str, s: &mut String| {
            if k.eq_ignore_ascii_case("aws:PrincipalArn") {
                service_linked |= v
                    .splitn(6, ':')
                    .nth(5)
                    .is_some_and(|r| r.starts_with("role/aws-service-role/"));
            }
            let lower = read(&self.read_keys, k).or_else(|| today.and_then(|t| read(&t.keys, k)));
            if let Some(lower) = lower {
                clean &= !v.contains('\0');
                s.push_str(lower);
                s.push('\0');
                s.push_str(v);
                s.push('\0');
            }
        };
        self.emit_but_address(req, via, &mut |k, v| pair(k, v, s));
        if let Some(ip) = address {
            // The address by what the policies tell apart: its class under each reading (`#`
            // starts no address), or the whole address when some policy reads it otherwise.
            let slot = address_slot(req.network.key);
            let readings = [Some(&self.address[slot]), today.map(|t| &t.address[slot])];
            let readings = readings.iter().flatten();
            if readings.clone().any(|r| **r == AddressReading::Whole) {
                spelled(ip, |text| pair(req.network.key.name(), text, s));
            } else if readings.clone().any(|r| **r != AddressReading::Unread) {
                s.push_str(req.network.key.name());
                s.push_str("\0#");
                for r in readings {
                    if let AddressReading::Classes(c) = r {
                        // Into the String itself: no allocation, and it cannot fail.
                        let _ = std::fmt::Write::write_fmt(s, format_args!("{}", c.class(ip)));
                    }
                    s.push('/');
                }
                s.push('\0');
            }
        }
        // Last, after the NUL that ends every pair: unambiguous.
        s.push(if service_linked { '1' } else { '0' });
        clean
    }

    /// The verdicts for one combination. The fast path: a decision reads only the action and
    /// the context keys the policies read ([`CompiledPolicy::read_keys`], policy variables
    /// included), so two requests equal on those are decided alike; each thread caches
    /// verdicts by that projection.
    pub fn verdict(
        &self,
        req: &Request<'_>,
        address: Option<IpAddr>,
        via: bool,
        today: Option<&InForce>,
        cache: &mut VerdictCache,
    ) -> Verdicts {
        let mut key = std::mem::take(&mut cache.key);
        let keyed = self.cache_key(req, address, via, today, &mut key);
        if keyed {
            if let Some(v) = cache.map.get(key.as_str()) {
                cache.hits += 1;
                let v = v.clone();
                cache.key = key;
                return v;
            }
        }
        cache.misses += 1;
        let v = self.verdict_uncached(&self.context(req, address, via), today);
        if keyed {
            if cache.map.len() >= CACHE_MAX {
                cache.map.clear();
            }
            cache.map.insert(key.clone(), v.clone());
        }
        cache.key = key;
        v
    }

    /// The verdicts without the fast path (for tests and checks).
    pub fn verdict_uncached(&self, ctx: &RequestContext, today: Option<&InForce>) -> Verdicts {
        // Checked and decided in one pass per policy ([`CompiledPolicy::decide_checked`]).
        let unreadable = Verdicts {
            unreadable: true,
            ..Verdicts::default()
        };
        let Some(v) = self.policy.decide_checked(ctx) else {
            return unreadable;
        };
        let today = match today.map(|t| t.set.decide_checked(ctx)) {
            None => None,
            Some(None) => return unreadable,
            Some(Some(verdict)) => denial_of(verdict),
        };
        Verdicts {
            new: v.deny.map(|i| Sid::from(self.policy.statement_label(i))),
            today,
            unreadable: false,
        }
    }

    /// Replay one record.
    pub fn replay<'r>(
        &self,
        record: &'r Record<'_>,
        cache: &mut VerdictCache,
    ) -> Result<Outcome<'r>, ReplayError> {
        let request = match map_record(record, &self.opts.map) {
            Mapped::Skip(why) => return Ok(Outcome::Skipped(why)),
            Mapped::Apart(reason, principal) => {
                return Ok(Outcome::Apart {
                    reason,
                    principal,
                    network: None,
                })
            }
            Mapped::Request(r) => r,
        };
        let today = match self.in_force(request.account, cache)? {
            None => None,
            Some(AccountPolicies::InForce(p)) => Some(p),
            Some(AccountPolicies::OutsideOrganization) => {
                return Ok(Outcome::Apart {
                    reason: ApartReason::OutsideOrganization,
                    principal: Some((request.account, request.principal_arn)),
                    network: None,
                })
            }
        };
        let today = today.as_deref();
        // The common case, everything known: one verdict, no list of combinations.
        if let (Ok(ip), Some(via)) = (request.network.address, request.network.via_aws_service) {
            let v = self.verdict(&request, Some(ip), via, today, cache);
            if v.unreadable {
                return Ok(unreadable(&request));
            }
            return Ok(Outcome::Decided {
                denied_by: v.new,
                denied_today: v.today,
                request,
            });
        }
        let mut verdict: Option<Verdicts> = None;
        for (address, via) in self.combinations(&request) {
            let v = self.verdict(&request, address, via, today, cache);
            if v.unreadable {
                return Ok(unreadable(&request));
            }
            match &verdict {
                None => verdict = Some(v),
                Some(first) if *first == v => {}
                Some(_) => {
                    return Ok(Outcome::Apart {
                        reason: ApartReason::VerdictDependsOnNetwork,
                        principal: Some((request.account, request.principal_arn)),
                        network: request.network.address.err(),
                    })
                }
            }
        }
        let v = verdict.unwrap_or_default();
        Ok(Outcome::Decided {
            denied_by: v.new,
            denied_today: v.today,
            request,
        })
    }
}

/// A record holding a value some policy's operator cannot read: apart, with its principal.
fn unreadable<'r>(request: &Request<'r>) -> Outcome<'r> {
    Outcome::Apart {
        reason: ApartReason::UnreadableValue,
        principal: Some((request.account, request.principal_arn)),
        network: None,
    }
}

/// The source address worth reporting: a known `aws:SourceIp` (not a VPC-internal address).
pub fn reported_address(req: &Request<'_>) -> Option<IpAddr> {
    match (req.network.key, req.network.address) {
        (AddressKey::SourceIp, Ok(ip)) => Some(ip),
        _ => None,
    }
}

/// Addresses to try for an unknown address: an inside and an outside one per family the CIDRs
/// cover (an outside one for the others), so both outcomes of an address test are tried.
pub fn candidate_addresses(cidrs: &crate::cidr::CidrSet) -> Vec<IpAddr> {
    let mut v: Vec<IpAddr> = Vec::new();
    v.extend(cidrs.example_inside_v4().map(IpAddr::V4));
    v.extend(cidrs.example_outside_v4().map(IpAddr::V4));
    v.extend(cidrs.example_inside_v6().map(IpAddr::V6));
    v.extend(cidrs.example_outside_v6().map(IpAddr::V6));
    v
}

#[cfg(test)]
mod existing_tests;
#[cfg(test)]
mod signin_tests;
#[cfg(test)]
mod tests;
