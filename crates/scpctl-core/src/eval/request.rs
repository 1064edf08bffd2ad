//! The request as the fast path reads it: the context keys a policy (or a whole set) reads are
//! known when it is compiled, so each request's values for them are found once per request
//! (one ordered walk of the request's keys, not a lookup per condition), and each value a typed
//! operator reads (an address, an ARN, a number, ...) is read once per request, not once per
//! condition. The AWS rules that exempt a request are also decided once per request.
//!
//! The traced path ([`super::CompiledPolicy::evaluate`]) keeps reading the request directly:
//! it is the plain evaluation the property tests compare this one with.

use std::cell::{Cell, RefCell};

use super::operators::{Base, RequestValue};
use super::{rules, PolicyType, RequestContext};

/// The keys read, lower-cased, sorted, once each; with, for each, the typed operator its
/// conditions read it with (the first one, when several), whose reading of a single value is
/// done once per request.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct KeyTable {
    names: Vec<String>,
    bases: Vec<Option<Base>>,
}

/// Operators that read the request value as its text need no reading ahead.
fn typed(base: Base) -> Option<Base> {
    match base {
        Base::StringEquals | Base::StringEqualsIgnoreCase | Base::StringLike | Base::Null => None,
        other => Some(other),
    }
}

impl KeyTable {
    /// The table of these (lower-cased key, operator) pairs.
    pub(crate) fn build<'k>(keys: impl IntoIterator<Item = (&'k str, Base)>) -> KeyTable {
        KeyTable::from_pairs(keys.into_iter().map(|(k, b)| (k, typed(b))).collect())
    }

    /// The union of tables.
    pub(crate) fn union<'t>(tables: impl IntoIterator<Item = &'t KeyTable>) -> KeyTable {
        KeyTable::from_pairs(
            tables
                .into_iter()
                .flat_map(|t| {
                    t.names
                        .iter()
                        .map(String::as_str)
                        .zip(t.bases.iter().copied())
                })
                .collect(),
        )
    }

    fn from_pairs(mut pairs: Vec<(&str, Option<Base>)>) -> KeyTable {
        // Stable: the first typed operator of a key wins.
        pairs.sort_by(|a, b| a.0.cmp(b.0));
        let mut table = KeyTable::default();
        for (name, base) in pairs {
            if let (Some(last), Some(b)) = (table.names.last(), table.bases.last_mut()) {
                if last == name {
                    *b = b.or(base);
                    continue;
                }
            }
            table.names.push(name.to_string());
            table.bases.push(base);
        }
        table
    }

    /// The slot of a key of this table.
    pub(crate) fn slot(&self, key_lower: &str) -> Option<usize> {
        self.names
            .binary_search_by(|n| n.as_str().cmp(key_lower))
            .ok()
    }

    /// For each key of `sub` (a policy's table), its slot in this one (a set's table holding it).
    /// `None` when some key of `sub` is not in this table.
    pub(crate) fn map(&self, sub: &KeyTable) -> Option<Box<[usize]>> {
        sub.names.iter().map(|n| self.slot(n)).collect()
    }

    /// `0, 1, ...`: a policy's map onto its own table.
    pub(crate) fn identity(&self) -> Box<[usize]> {
        (0..self.names.len()).collect()
    }

    /// The request's values of every key of the table, found in one walk of both sorted lists.
    pub(crate) fn resolve<'a>(&self, ctx: &'a RequestContext, out: &mut Vec<Slot<'a>>) {
        out.clear();
        out.reserve(self.names.len());
        let mut given = ctx.sorted_keys().peekable();
        for (name, base) in self.names.iter().zip(&self.bases) {
            let mut values = None;
            while let Some((k, v)) = given.peek() {
                match k.cmp(&name.as_str()) {
                    std::cmp::Ordering::Less => {
                        given.next();
                    }
                    std::cmp::Ordering::Equal => {
                        values = Some(*v);
                        given.next();
                        break;
                    }
                    std::cmp::Ordering::Greater => break,
                }
            }
            let read = match (values, base) {
                (Some([one]), Some(base)) => Some((*base, RequestValue::parse(*base, one))),
                _ => None,
            };
            out.push(Slot { values, read });
        }
    }
}

/// One key's values in one request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Slot<'a> {
    /// As [`RequestContext::get`] gives them; `None` when the key is absent.
    pub values: Option<&'a [String]>,
    /// The single value, read once for the key's typed operator.
    pub read: Option<(Base, RequestValue<'a>)>,
}

impl Slot<'_> {
    /// The single value as `base` reads it, when it was read ahead.
    pub(crate) fn read_as(&self, base: Base) -> Option<&RequestValue<'_>> {
        match &self.read {
            Some((b, v)) if *b == base => Some(v),
            _ => None,
        }
    }
}

/// AWS's fixed rules about who asks, decided once per request ([`super::exemption`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Exempt {
    get_caller_identity: bool,
    management_account: bool,
    service_linked_role: bool,
}

impl Exempt {
    pub(crate) fn of(ctx: &RequestContext) -> Exempt {
        Exempt {
            get_caller_identity: ctx.action.eq_ignore_ascii_case("sts:GetCallerIdentity"),
            management_account: ctx.management_account,
            service_linked_role: ctx.is_service_linked_role(),
        }
    }

    /// As [`super::exemption`] for a policy of this kind.
    pub(crate) fn rule(self, kind: PolicyType) -> Option<&'static str> {
        if self.get_caller_identity {
            return Some(rules::GET_CALLER_IDENTITY);
        }
        if matches!(kind, PolicyType::Scp | PolicyType::Rcp) {
            if self.management_account {
                return Some(rules::MANAGEMENT_ACCOUNT);
            }
            if self.service_linked_role {
                return Some(rules::SERVICE_LINKED_ROLE);
            }
        }
        None
    }
}

/// What one policy's statements read of one request: the request, its action lower-cased, the
/// values of the policy's keys (its slot `i` is `slots[map[i]]`), and the answers of the
/// conditions evaluated so far (its condition `i` is `memo[conditions[i]]`: 0 not yet, 1 false,
/// 2 true), shared by the equal conditions of a set.
#[derive(Debug, Clone, Copy)]
pub(crate) struct View<'r, 'a> {
    pub ctx: &'a RequestContext,
    pub action: &'r str,
    pub slots: &'r [Slot<'a>],
    pub map: &'r [usize],
    pub memo: &'r [Cell<u8>],
    pub conditions: &'r [usize],
}

/// The slot of a key the request's table does not hold (it cannot happen: the table is built
/// from the keys the statements read): the key absent.
static ABSENT: Slot<'static> = Slot {
    values: None,
    read: None,
};

impl<'r, 'a> View<'r, 'a> {
    /// The answer of the policy's condition `i` if an equal one was evaluated for this request.
    pub(crate) fn known(&self, i: usize) -> Option<bool> {
        let cell = self.conditions.get(i).and_then(|j| self.memo.get(*j))?;
        match cell.get() {
            0 => None,
            v => Some(v == 2),
        }
    }

    pub(crate) fn remember(&self, i: usize, answer: bool) {
        if let Some(cell) = self.conditions.get(i).and_then(|j| self.memo.get(*j)) {
            cell.set(1 + u8::from(answer));
        }
    }

    pub(crate) fn slot(&self, i: usize) -> &'r Slot<'a> {
        self.map
            .get(i)
            .and_then(|j| self.slots.get(*j))
            .unwrap_or(&ABSENT)
    }
}

/// The request's action, ASCII lower-cased into `buf` when it fits (no allocation), else into
/// `spill`.
pub(crate) fn lower_action<'b>(
    action: &str,
    buf: &'b mut [u8; 128],
    spill: &'b mut String,
) -> &'b str {
    if action.len() <= buf.len() {
        let out = &mut buf[..action.len()];
        out.copy_from_slice(action.as_bytes());
        out.make_ascii_lowercase();
        // ASCII lower-casing keeps UTF-8 valid: the first branch always holds.
        if let Ok(text) = std::str::from_utf8(&buf[..action.len()]) {
            return text;
        }
    }
    *spill = action.to_ascii_lowercase();
    spill
}

/// Conditions of a set (or of one policy), numbered so that equal ones share a number
/// ([`super::keys::CompiledCondition::signature`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ConditionTable {
    count: usize,
}

impl ConditionTable {
    /// For each policy (its conditions' signatures in order), its conditions' numbers.
    pub(crate) fn number<'s>(
        policies: impl IntoIterator<Item = Vec<&'s str>>,
    ) -> (ConditionTable, Vec<Box<[usize]>>) {
        let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        let maps = policies
            .into_iter()
            .map(|sigs| {
                sigs.into_iter()
                    .map(|s| {
                        let n = seen.len();
                        *seen.entry(s).or_insert(n)
                    })
                    .collect()
            })
            .collect();
        (ConditionTable { count: seen.len() }, maps)
    }

    /// Run `f` with a memo of this table's size, all unknown (a buffer reused per thread).
    pub(crate) fn with_memo<R>(&self, f: impl FnOnce(&[Cell<u8>]) -> R) -> R {
        thread_local! {
            static MEMO: RefCell<Vec<Cell<u8>>> = const { RefCell::new(Vec::new()) };
        }
        let mut memo = MEMO.with(|m| m.take());
        memo.clear();
        memo.resize(self.count, Cell::new(0));
        let out = f(&memo);
        MEMO.with(|m| m.replace(memo));
        out
    }
}
