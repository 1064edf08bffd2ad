//! Several policies at once: the request is denied when any statement of any policy denies,
//! and, for an SCP chain (root -> OUs -> account), when some level has no Allow that matches.
//!
//! [LOGIC] IAM User Guide, "Policy evaluation logic": an explicit deny in any policy overrides
//! every allow. AWS Organizations User Guide, "SCP evaluation": at every level of the hierarchy
//! (root, each OU on the path, the account) some attached SCP must allow the request; a level
//! without a matching Allow denies implicitly.

use std::sync::Arc;

use serde::Serialize;

use std::cell::Cell;

use super::request::{lower_action, ConditionTable, Exempt, KeyTable, Slot, View};
use super::{CompiledPolicy, Decision, EvalError, PolicyType, RequestContext, UnreadableValue};
use crate::policy::PolicyDocument;

#[derive(Debug, Clone, PartialEq)]
struct Level {
    name: String,
    /// SCP chain level: some policy here must allow the request.
    require_allow: bool,
    policies: Vec<(String, Arc<CompiledPolicy>)>,
    /// For each policy, its keys' slots in the set's table.
    maps: Vec<Box<[usize]>>,
    /// For each policy, its conditions' numbers in the set's table.
    condition_maps: Vec<Box<[usize]>>,
}

/// Compiled policies grouped in levels, evaluated together for each request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PolicySet {
    levels: Vec<Level>,
    /// Every condition key of every policy: resolved once per request for the whole set.
    keys: KeyTable,
    /// Every condition of every policy, equal ones numbered alike: evaluated once per request.
    conditions: ConditionTable,
}

/// Why a set of policies denies a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Denial {
    /// A Deny statement applies.
    Explicit {
        level: String,
        policy: String,
        statement: String,
    },
    /// An SCP chain level where no Allow statement matches.
    Implicit { level: String },
}

impl std::fmt::Display for Denial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Denial::Explicit {
                policy, statement, ..
            } => write!(f, "{statement} in {policy}"),
            Denial::Implicit { level } => {
                write!(
                    f,
                    "implicit deny: no Allow statement matches at level {level}"
                )
            }
        }
    }
}

/// The fast answer, borrowing names from the set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetVerdict<'a> {
    NotDenied {
        /// An AWS rule under which some policy did not apply.
        exemption: Option<&'static str>,
    },
    Explicit {
        level: &'a str,
        policy: &'a str,
        statement: &'a str,
    },
    Implicit {
        level: &'a str,
    },
}

impl SetVerdict<'_> {
    pub fn denied(&self) -> bool {
        !matches!(self, SetVerdict::NotDenied { .. })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyOutcome {
    pub level: String,
    pub policy: String,
    pub kind: PolicyType,
    pub decision: Decision,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetDecision {
    pub denied: bool,
    pub denial: Option<Denial>,
    pub policies: Vec<PolicyOutcome>,
    /// Each policy's notes, prefixed with its label.
    pub notes: Vec<String>,
}

impl PolicySet {
    pub fn new() -> Self {
        PolicySet::default()
    }

    /// Policies of which any Deny denies, with no Allow needed (identity policies, or SCPs
    /// looked at one by one): `simulate --policy`.
    pub fn flat(policies: Vec<(String, CompiledPolicy)>) -> Self {
        let mut set = PolicySet::new();
        set.add_level("policies", false, policies);
        set
    }

    /// An SCP chain: each level (root, OUs, account) with its attached policies.
    pub fn chain(levels: Vec<(String, Vec<(String, CompiledPolicy)>)>) -> Self {
        let mut set = PolicySet::new();
        for (name, policies) in levels {
            set.add_level(name, true, policies);
        }
        set
    }

    pub fn add_level(
        &mut self,
        name: impl Into<String>,
        require_allow: bool,
        policies: Vec<(String, CompiledPolicy)>,
    ) {
        let shared = policies
            .into_iter()
            .map(|(label, p)| (label, Arc::new(p)))
            .collect();
        self.add_shared_level(name, require_allow, shared);
    }

    /// A level of policies compiled once and shared between sets: an organization's SCPs
    /// attached to the root and OUs appear in the chain of every account below them.
    pub fn add_shared_level(
        &mut self,
        name: impl Into<String>,
        require_allow: bool,
        policies: Vec<(String, Arc<CompiledPolicy>)>,
    ) {
        self.levels.push(Level {
            name: name.into(),
            require_allow,
            policies,
            maps: Vec::new(),
            condition_maps: Vec::new(),
        });
        // The set's table grows: every policy's slots move.
        self.keys = KeyTable::union(
            self.levels
                .iter()
                .flat_map(|l| l.policies.iter().map(|(_, p)| &p.keys)),
        );
        for level in &mut self.levels {
            level.maps = level
                .policies
                .iter()
                .map(|(_, p)| self.keys.map(&p.keys).unwrap_or_default())
                .collect();
        }
        let (conditions, mut numbers) = ConditionTable::number(
            self.levels
                .iter()
                .flat_map(|l| l.policies.iter().map(|(_, p)| p.condition_signatures()))
                .collect::<Vec<_>>(),
        );
        self.conditions = conditions;
        numbers.reverse();
        for level in &mut self.levels {
            level.condition_maps = (0..level.policies.len())
                .map(|_| numbers.pop().unwrap_or_default())
                .collect();
        }
    }

    /// Every context key any policy of the set can read ([`CompiledPolicy::read_keys`]).
    pub fn read_keys(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .levels
            .iter()
            .flat_map(|l| l.policies.iter().flat_map(|(_, p)| p.read_keys()))
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Every context key a statement of the set can read
    /// ([`CompiledPolicy::statement_read_keys`]).
    pub fn statement_read_keys(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .levels
            .iter()
            .flat_map(|l| l.policies.iter().flat_map(|(_, p)| p.statement_read_keys()))
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// [`CompiledPolicy::address_classes`] over every policy of the set.
    pub fn address_classes(&self, key: &str) -> Option<super::AddressClasses> {
        let mut out = super::AddressClasses::default();
        for l in &self.levels {
            for (_, p) in &l.policies {
                out = out.merge(&p.address_classes(key)?);
            }
        }
        Some(out)
    }

    /// Level names and the labels of their policies, in evaluation order.
    pub fn describe(&self) -> Vec<(&str, Vec<&str>)> {
        self.levels
            .iter()
            .map(|l| {
                (
                    l.name.as_str(),
                    l.policies.iter().map(|(n, _)| n.as_str()).collect(),
                )
            })
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.levels.iter().all(|l| l.policies.is_empty())
    }

    /// [`CompiledPolicy::check_request`] for every policy, naming the policy.
    pub fn check_request(&self, ctx: &RequestContext) -> Result<(), Box<UnreadableValue>> {
        for level in &self.levels {
            for (label, policy) in &level.policies {
                policy.check_request(ctx).map_err(|mut e| {
                    e.policy = Some(label.clone());
                    e
                })?;
            }
        }
        Ok(())
    }

    /// Decide without traces: explicit denies first (they win), then the implicit deny of the
    /// first chain level without an Allow.
    pub fn decide(&self, ctx: &RequestContext) -> SetVerdict<'_> {
        self.run::<false>(ctx)
            .unwrap_or(SetVerdict::NotDenied { exemption: None })
    }

    /// [`PolicySet::check_request`] then [`PolicySet::decide`] in one pass over the policies
    /// ([`CompiledPolicy::decide_checked`]): `None` when some policy refuses the request, even
    /// one after the first explicit deny.
    pub fn decide_checked(&self, ctx: &RequestContext) -> Option<SetVerdict<'_>> {
        self.run::<true>(ctx)
    }

    /// Both: the set's keys resolved once for the request, the action lower-cased once, AWS's
    /// exemptions decided once; then each policy ([`CompiledPolicy::verdict`]). Unchecked, the
    /// first explicit deny ends it (never `None`); checked, every policy is still checked.
    fn run<const CHECKED: bool>(&self, ctx: &RequestContext) -> Option<SetVerdict<'_>> {
        let (mut buf, mut spill) = ([0u8; 128], String::new());
        let action = lower_action(&ctx.action, &mut buf, &mut spill);
        let mut slots = Vec::new();
        self.keys.resolve(ctx, &mut slots);
        let exempt = Exempt::of(ctx);
        self.conditions
            .with_memo(|memo| self.each::<CHECKED>(ctx, action, &slots, memo, exempt))
    }

    fn each<'s, const CHECKED: bool>(
        &'s self,
        ctx: &RequestContext,
        action: &str,
        slots: &[Slot<'_>],
        memo: &[Cell<u8>],
        exempt: Exempt,
    ) -> Option<SetVerdict<'s>> {
        let mut implicit = None;
        let mut exemption = None;
        let mut explicit = None;
        for level in &self.levels {
            let mut allowed = false;
            let policies = level
                .policies
                .iter()
                .zip(&level.maps)
                .zip(&level.condition_maps);
            for (((label, policy), map), conditions) in policies {
                let view = View {
                    ctx,
                    action,
                    slots,
                    map,
                    memo,
                    conditions,
                };
                let v = policy.verdict::<CHECKED>(&view, exempt)?;
                if let (None, Some(i)) = (&explicit, v.deny) {
                    explicit = Some(SetVerdict::Explicit {
                        level: &level.name,
                        policy: label,
                        statement: policy.statement_label(i),
                    });
                    if !CHECKED {
                        return explicit;
                    }
                }
                allowed |= v.allow;
                exemption = exemption.or(v.exemption);
            }
            if level.require_allow && !allowed && implicit.is_none() {
                implicit = Some(level.name.as_str());
            }
        }
        Some(match (explicit, implicit) {
            (Some(e), _) => e,
            (None, Some(level)) => SetVerdict::Implicit { level },
            (None, None) => SetVerdict::NotDenied { exemption },
        })
    }

    /// Decide with every policy's trace.
    pub fn evaluate(&self, ctx: &RequestContext) -> SetDecision {
        let mut outcomes = Vec::new();
        let mut notes = Vec::new();
        let mut explicit = None;
        let mut implicit = None;
        for level in &self.levels {
            let mut allowed = false;
            for (label, policy) in &level.policies {
                let d = policy.evaluate(ctx);
                if let (None, Some(sid)) = (&explicit, &d.statement) {
                    explicit = Some(Denial::Explicit {
                        level: level.name.clone(),
                        policy: label.clone(),
                        statement: sid.clone(),
                    });
                }
                allowed |= d.allowed;
                notes.extend(d.notes.iter().map(|n| format!("{label}: {n}")));
                outcomes.push(PolicyOutcome {
                    level: level.name.clone(),
                    policy: label.clone(),
                    kind: policy.kind(),
                    decision: d,
                });
            }
            if level.require_allow && !allowed && implicit.is_none() {
                implicit = Some(Denial::Implicit {
                    level: level.name.clone(),
                });
            }
        }
        let denial = explicit.or(implicit);
        SetDecision {
            denied: denial.is_some(),
            denial,
            policies: outcomes,
            notes,
        }
    }
}

fn compile_all(
    policies: &[(&str, &PolicyDocument)],
    kind: PolicyType,
) -> Result<Vec<(String, CompiledPolicy)>, EvalError> {
    policies
        .iter()
        .map(|(label, doc)| {
            CompiledPolicy::new(doc, kind)
                .map(|p| (label.to_string(), p))
                .map_err(|e| EvalError::InPolicy {
                    policy: label.to_string(),
                    error: Box::new(e),
                })
        })
        .collect()
}

/// Evaluate several policies of one kind: denied when any statement of any policy denies.
pub fn evaluate_set(
    policies: &[(&str, &PolicyDocument)],
    kind: PolicyType,
    ctx: &RequestContext,
) -> Result<SetDecision, EvalError> {
    Ok(PolicySet::flat(compile_all(policies, kind)?).evaluate(ctx))
}

/// Evaluate an SCP chain, root first: denied when any statement denies, or when a level has no
/// Allow statement that matches.
pub fn evaluate_chain(
    levels: &[(&str, &[(&str, &PolicyDocument)])],
    ctx: &RequestContext,
) -> Result<SetDecision, EvalError> {
    let levels = levels
        .iter()
        .map(|(name, policies)| Ok((name.to_string(), compile_all(policies, PolicyType::Scp)?)))
        .collect::<Result<Vec<_>, EvalError>>()?;
    Ok(PolicySet::chain(levels).evaluate(ctx))
}
