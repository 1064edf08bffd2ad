//! One record -> one verdict, through the same evaluator as `simulate`. Where the record leaves
//! network keys unknown, every possible value is tried and the record is decided only when all
//! give the same verdict.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use crate::eval::{evaluate, EvalError, RequestContext};
use crate::policy::{ActionSpec, PolicyDocument};

use super::map::{map_record, AddressKey, MapOptions, Mapped, Request};
use super::record::Record;
use super::rules::{ApartReason, NetworkUnknown, PrincipalKind, SkipReason};

/// Where principal tags come from (records do not carry them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum TagSource {
    /// Every principal untagged.
    #[default]
    Untagged,
    /// Principal ARN -> tags; principals not listed are untagged.
    Map(HashMap<String, Vec<(String, String)>>),
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
        let mut out = HashMap::new();
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

/// Everything the replay needs besides the records.
#[derive(Debug, Clone, Default)]
pub struct ReplayOptions {
    pub map: MapOptions,
    pub tags: TagSource,
    /// Addresses to try when a record's address is unknown: at least one inside and one outside
    /// the policy's CIDRs for each family the CIDRs have (absent is always tried too).
    pub candidate_addresses: Vec<IpAddr>,
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
    },
}

/// A statement's Sid, shared (a verdict is handed out for every record).
pub type Sid = Arc<str>;

/// Verdicts by the projection of a request onto what the policy reads: the fast path. One per
/// thread.
#[derive(Debug, Default)]
pub struct VerdictCache {
    map: HashMap<String, Option<Sid>>,
    /// The key being built, reused from record to record.
    key: String,
    pub hits: u64,
    pub misses: u64,
}

/// Entries kept before the cache starts over: memory stays bounded whatever the input.
const CACHE_MAX: usize = 200_000;

/// A parsed policy and the options, shared by every thread (read-only).
#[derive(Debug, Clone)]
pub struct Replayer {
    policy: PolicyDocument,
    opts: ReplayOptions,
    /// Lower-cased condition keys the policy reads, or `None` when the fast path is off.
    read_keys: Option<Vec<String>>,
    /// Whether any statement's Action/NotAction is not just `*`.
    action_matters: bool,
}

impl Replayer {
    /// The policy is checked once here, so an unsupported policy fails before any record.
    pub fn new(policy: PolicyDocument, opts: ReplayOptions) -> Result<Replayer, EvalError> {
        evaluate(&policy, &RequestContext::new("sts:GetCallerIdentity"))?;
        let mut keys = Vec::new();
        let mut variables = false;
        let mut action_matters = false;
        for s in &policy.statements {
            for c in &s.conditions {
                keys.push(c.key.to_lowercase());
                variables |= c.values.iter().any(|v| v.contains("${"));
            }
            action_matters |= match &s.action {
                ActionSpec::Action(p) => !p.iter().all(|p| p == "*"),
                ActionSpec::NotAction(_) => true,
            };
        }
        keys.sort();
        keys.dedup();
        Ok(Replayer {
            policy,
            opts,
            // A policy variable would read keys not named in the conditions: no fast path.
            read_keys: (!variables).then_some(keys),
            action_matters,
        })
    }

    pub fn options(&self) -> &ReplayOptions {
        &self.opts
    }

    /// The network values a mapped request may have: one pair when the record gives them,
    /// else every combination of the candidate addresses (and absent) with the possible
    /// `aws:ViaAWSService` values.
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
        let vias: &[bool] = match req.network.via_aws_service {
            Some(true) => &[true],
            Some(false) => &[false],
            None => &[false, true],
        };
        addresses
            .iter()
            .flat_map(|a| vias.iter().map(move |v| (*a, *v)))
            .collect()
    }

    /// Every key and value of the request context for one combination: the one source of
    /// both the context handed to `evaluate` and the fast path's cache key.
    fn emit(
        &self,
        req: &Request<'_>,
        address: Option<IpAddr>,
        via: bool,
        f: &mut dyn FnMut(&str, &str),
    ) {
        req.for_each_key(|k, v| f(k, v));
        let mut key = String::new();
        for (k, v) in self.opts.tags.tags(req.kind, req.principal_arn) {
            key.clear();
            key.push_str("aws:PrincipalTag/");
            key.push_str(k);
            f(&key, v);
        }
        f("aws:ViaAWSService", if via { "true" } else { "false" });
        if let Some(ip) = address {
            // Spelled on the stack: an IPv6 literal is at most 45 characters (RFC 4291 form
            // with an embedded IPv4 address), and 64 bytes hold any `Display` of one.
            let mut buf = [0u8; 64];
            let mut cursor = std::io::Cursor::new(&mut buf[..]);
            let spelled = std::io::Write::write_fmt(&mut cursor, format_args!("{ip}")).is_ok();
            let len = cursor.position() as usize;
            match std::str::from_utf8(&buf[..len]) {
                Ok(text) if spelled => f(req.network.key.name(), text),
                _ => f(req.network.key.name(), &ip.to_string()),
            }
        }
    }

    /// The request context for one combination, as `evaluate` takes it.
    pub fn context(&self, req: &Request<'_>, address: Option<IpAddr>, via: bool) -> RequestContext {
        let mut ctx = RequestContext::new(&req.action);
        self.emit(req, address, via, &mut |k, v| {
            ctx = std::mem::take(&mut ctx).with(k, v)
        });
        ctx
    }

    /// The cache key: the action when any statement names actions, and the keys the policy
    /// reads with their values, each followed by a NUL, so no two projections share a key. A
    /// value holding a NUL itself (only a crafted record can) gets no key: no fast path.
    /// `None` when the fast path is off.
    fn cache_key(
        &self,
        req: &Request<'_>,
        address: Option<IpAddr>,
        via: bool,
        s: &mut String,
    ) -> bool {
        let Some(keys) = self.read_keys.as_ref() else {
            return false;
        };
        s.clear();
        if self.action_matters {
            s.push_str(&req.action.to_lowercase());
            s.push('\0');
        } else if req.action.eq_ignore_ascii_case("sts:GetCallerIdentity") {
            // `evaluate` exempts it whatever the statements name: never share its verdict.
            s.push_str("sts:getcalleridentity\0");
        }
        let mut clean = !req.action.contains('\0');
        self.emit(req, address, via, &mut |k, v| {
            if let Some(read) = keys.iter().find(|r| r.eq_ignore_ascii_case(k)) {
                clean &= !v.contains('\0');
                s.push_str(read);
                s.push('\0');
                s.push_str(v);
                s.push('\0');
            }
        });
        clean
    }

    /// The verdict for one combination: the Sid of the Deny that applies, or `None`. The
    /// fast path: `evaluate` reads only the action and the condition keys a policy names (and
    /// no policy variable: the fast path is off for a policy with one), so two requests equal
    /// on those are decided alike; each thread caches verdicts by that projection.
    pub fn verdict(
        &self,
        req: &Request<'_>,
        address: Option<IpAddr>,
        via: bool,
        cache: &mut VerdictCache,
    ) -> Result<Option<Sid>, EvalError> {
        let mut key = std::mem::take(&mut cache.key);
        let keyed = self.cache_key(req, address, via, &mut key);
        if keyed {
            if let Some(v) = cache.map.get(key.as_str()) {
                cache.hits += 1;
                let v = v.clone();
                cache.key = key;
                return Ok(v);
            }
        }
        cache.misses += 1;
        let v = self.verdict_uncached(&self.context(req, address, via))?;
        if keyed {
            if cache.map.len() >= CACHE_MAX {
                cache.map.clear();
            }
            cache.map.insert(key.clone(), v.clone());
        }
        cache.key = key;
        Ok(v)
    }

    /// The verdict without the fast path: `evaluate` itself (for tests and checks).
    pub fn verdict_uncached(&self, ctx: &RequestContext) -> Result<Option<Sid>, EvalError> {
        let d = evaluate(&self.policy, ctx)?;
        Ok(d.denied
            .then(|| Sid::from(d.statement.unwrap_or_else(|| "(no Sid)".into()))))
    }

    /// Replay one record.
    pub fn replay<'r>(
        &self,
        record: &'r Record<'_>,
        cache: &mut VerdictCache,
    ) -> Result<Outcome<'r>, EvalError> {
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
        // The common case, everything known: one verdict, no list of combinations.
        if let (Ok(ip), Some(via)) = (request.network.address, request.network.via_aws_service) {
            return Ok(Outcome::Decided {
                denied_by: self.verdict(&request, Some(ip), via, cache)?,
                request,
            });
        }
        let mut verdict: Option<Option<Sid>> = None;
        for (address, via) in self.combinations(&request) {
            let v = self.verdict(&request, address, via, cache)?;
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
        Ok(Outcome::Decided {
            denied_by: verdict.flatten(),
            request,
        })
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
mod tests;
