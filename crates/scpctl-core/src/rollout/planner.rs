//! The rollout planner: `status`, `next` and `abort` from what AWS holds (the policy's tags,
//! the targets it is attached to) and, for `next`, the trail's refusals since the stage in
//! force started. Every plan is data; the command layer shows it, asks, and executes it.
//!
//! Order of execution, so a run cut short converges when run again:
//! - `next`: the tags first (stage, start time), then the attachments. A re-run after a crash
//!   sees the new stage in the tags and only attaches what is missing, without a gate (the gate
//!   was passed when the tags were written).
//! - `abort`: the detachments first (stopping the policy is what matters), then the tags. A
//!   re-run detaches what is left; a second `abort` once all is done plans nothing.

use std::collections::BTreeSet;

use serde::Serialize;

use super::state::{
    tag_value, RolloutState, TagChanges, TagProblem, ALL_TAGS, TAG_ABORTED, TAG_FORCED, TAG_REASON,
    TAG_STAGE, TAG_STARTED,
};
use super::{describe_seconds, epoch_seconds, format_epoch, RolloutSettings};
use crate::denials::tally::{DenialTally, UnexpectedPrincipal};
use crate::plan::{Change, TargetId};

/// One stage target and whether it holds the policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetState {
    pub target: TargetId,
    pub attached: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StageStatus {
    /// 1-based.
    pub stage: usize,
    pub soak: Option<String>,
    pub targets: Vec<TargetState>,
}

/// `rollout status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RolloutStatus {
    pub state: RolloutState,
    /// Tags that do not parse: reported, not trusted.
    pub problems: Vec<TagProblem>,
    pub stages: Vec<StageStatus>,
    /// When the stage in force may be followed by the next (its start plus its soak).
    pub soak_ends: Option<String>,
    /// The stage `next` would move to, and the targets it would attach.
    pub next_stage: Option<usize>,
    pub next_adds: Vec<TargetId>,
    /// Targets in the stages up to the one in force that do not hold the policy: `next`
    /// attaches them first (a run cut short, or a manual detach).
    pub incomplete: Vec<TargetId>,
    /// Targets holding the policy that no stage names (attached by `apply` or by hand).
    pub attached_elsewhere: Vec<String>,
}

fn stage_targets(settings: &RolloutSettings, upto: usize) -> impl Iterator<Item = &TargetId> {
    settings
        .stages
        .iter()
        .take(upto)
        .flat_map(|s| s.targets.iter())
}

pub fn status(
    settings: &RolloutSettings,
    tags: &[(String, String)],
    attachments: &BTreeSet<String>,
) -> RolloutStatus {
    let (state, problems) = RolloutState::parse(tags, settings.stages.len());
    let current = state.stage.unwrap_or(0);
    let stages = settings
        .stages
        .iter()
        .enumerate()
        .map(|(i, s)| StageStatus {
            stage: i + 1,
            soak: s.soak.clone(),
            targets: s
                .targets
                .iter()
                .map(|t| TargetState {
                    target: t.clone(),
                    attached: attachments.contains(t.as_str()),
                })
                .collect(),
        })
        .collect();
    let soak_ends = state
        .started
        .as_deref()
        .and_then(epoch_seconds)
        .map(|t| format_epoch(t + settings.stages[current.max(1) - 1].soak_seconds as i64));
    let next_stage = (current < settings.stages.len()).then_some(current + 1);
    let next_adds = next_stage
        .map(|n| {
            settings.stages[n - 1]
                .targets
                .iter()
                .filter(|t| !attachments.contains(t.as_str()))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let incomplete = stage_targets(settings, current)
        .filter(|t| !attachments.contains(t.as_str()))
        .cloned()
        .collect();
    let named: BTreeSet<&str> = stage_targets(settings, usize::MAX)
        .map(|t| t.as_str())
        .collect();
    let attached_elsewhere = attachments
        .iter()
        .filter(|a| !named.contains(a.as_str()))
        .cloned()
        .collect();
    RolloutStatus {
        state,
        problems,
        stages,
        soak_ends,
        next_stage,
        next_adds,
        incomplete,
        attached_elsewhere,
    }
}

/// Why `next` does not proceed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "refusal", rename_all = "snake_case")]
pub enum Refusal {
    #[error("the rollout tags on the policy do not parse, so the stage in force is unknown: {}; run `scpctl rollout abort --reason ...` to detach everywhere and rewrite them", list(problems))]
    BadTags { problems: Vec<TagProblem> },
    #[error("the current time {now:?} is not YYYY-MM-DDTHH:MM:SSZ")]
    BadTime { now: String },
    #[error("stage {stage} of {stage} is in force since {since}: the rollout is complete")]
    Finished { stage: usize, since: String },
    #[error("{}", gate_message(.stage, .since, .soak_left, .soak_ends, .unexpected, .allowed))]
    Gate {
        /// The stage in force.
        stage: usize,
        since: String,
        /// Seconds of soak left, when the soak is not over.
        soak_left: Option<u64>,
        soak_ends: String,
        /// Principals refused by scpctl's policy since `since`, outside `expected_denied`.
        unexpected: Vec<UnexpectedPrincipal>,
        allowed: usize,
    },
}

fn list(problems: &[TagProblem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

fn gate_message(
    stage: &usize,
    since: &str,
    soak_left: &Option<u64>,
    soak_ends: &str,
    unexpected: &[UnexpectedPrincipal],
    allowed: &usize,
) -> String {
    let mut parts = Vec::new();
    if let Some(left) = soak_left {
        parts.push(format!(
            "stage {stage} is in force since {since} and its soak ends at {soak_ends} ({} left)",
            describe_seconds(*left)
        ));
    }
    if unexpected.len() > *allowed {
        let who: Vec<String> = unexpected
            .iter()
            .map(|u| {
                let more = u
                    .refused
                    .count
                    .saturating_sub(u.refused.event_ids.len() as u64);
                let mut events = u.refused.event_ids.join(", ");
                if more > 0 {
                    events.push_str(&format!(" and {more} more"));
                }
                format!(
                    "{} (account {}; {} refused call(s): {events})",
                    u.principal, u.account, u.refused.count
                )
            })
            .collect();
        parts.push(format!(
            "{} principal(s) outside [rollout] expected_denied were refused by scpctl's policy since {since} (at most {allowed} allowed): {}",
            unexpected.len(),
            who.join("; ")
        ));
    }
    format!(
        "not moving to stage {}: {}; grant an exception or add the principal to expected_denied and wait for a quiet trail, or pass --force (recorded in the {TAG_FORCED} tag)",
        stage + 1,
        parts.join("; ")
    )
}

/// What `next` will do: write `tags` first, then `changes` (attachments).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NextPlan {
    /// The stage in force once the plan is executed.
    pub stage: usize,
    /// `true` when the tags already name this stage and only missing attachments are made.
    pub completing: bool,
    pub tags: TagChanges,
    pub changes: Vec<Change>,
    /// What `--force` went past, also written in the forced tag.
    pub forced: Option<String>,
}

impl NextPlan {
    pub fn is_noop(&self) -> bool {
        self.tags.is_empty() && self.changes.is_empty()
    }
}

/// Plan `rollout next`. `denials` must be tallied from [`RolloutState::denials_since`] (the
/// stage's start) on; `now` is `YYYY-MM-DDTHH:MM:SSZ`.
pub fn next(
    settings: &RolloutSettings,
    policy_name: &str,
    tags: &[(String, String)],
    attachments: &BTreeSet<String>,
    now: &str,
    denials: &DenialTally,
    force: bool,
) -> Result<NextPlan, Refusal> {
    let (state, problems) = RolloutState::parse(tags, settings.stages.len());
    if !problems.is_empty() {
        return Err(Refusal::BadTags { problems });
    }
    let attach = |upto: usize, from: usize| -> Vec<Change> {
        settings
            .stages
            .iter()
            .take(upto)
            .skip(from)
            .flat_map(|s| s.targets.iter())
            .filter(|t| !attachments.contains(t.as_str()))
            .map(|t| Change::AttachPolicy {
                policy: policy_name.to_string(),
                target: t.clone(),
            })
            .collect()
    };
    let current = state.stage.unwrap_or(0);
    // Finish what the tags already claim before anything else.
    let missing = attach(current, 0);
    if !missing.is_empty() {
        return Ok(NextPlan {
            stage: current,
            completing: true,
            tags: TagChanges::default(),
            changes: missing,
            forced: None,
        });
    }
    let since = state.started.clone().unwrap_or_default();
    let now_secs = epoch_seconds(now).ok_or_else(|| Refusal::BadTime { now: now.into() })?;
    if current == settings.stages.len() {
        return Err(Refusal::Finished {
            stage: current,
            since,
        });
    }
    let mut forced = None;
    if current > 0 {
        let started = epoch_seconds(&since).unwrap_or(now_secs);
        let ends = started + settings.stages[current - 1].soak_seconds as i64;
        let soak_left = (now_secs < ends).then(|| (ends - now_secs) as u64);
        let unexpected = denials.unexpected(&settings.expected_denied);
        let too_many = unexpected.len() > settings.max_unexpected_principals;
        if soak_left.is_some() || too_many {
            let refusal = Refusal::Gate {
                stage: current,
                since: since.clone(),
                soak_left,
                soak_ends: format_epoch(ends),
                unexpected: if too_many { unexpected } else { Vec::new() },
                allowed: settings.max_unexpected_principals,
            };
            if !force {
                return Err(refusal);
            }
            let (value, _) = tag_value(&forced_value(current, now, &refusal));
            forced = Some(value);
        }
    }
    let stage = current + 1;
    let mut tags_plan = TagChanges::default();
    tags_plan.set.push((TAG_STAGE.into(), stage.to_string()));
    tags_plan.set.push((TAG_STARTED.into(), now.to_string()));
    match &forced {
        Some(f) => tags_plan.set.push((TAG_FORCED.into(), f.clone())),
        None => tags_plan.remove_present(tags, &[TAG_FORCED]),
    }
    tags_plan.remove_present(tags, &[TAG_ABORTED, TAG_REASON]);
    Ok(NextPlan {
        stage,
        completing: false,
        tags: tags_plan,
        changes: attach(stage, current),
        forced,
    })
}

/// The forced tag's value: which gate, in tag-safe characters.
fn forced_value(stage: usize, now: &str, refusal: &Refusal) -> String {
    let Refusal::Gate {
        soak_left,
        unexpected,
        ..
    } = refusal
    else {
        return format!("stage {} at {now}", stage + 1);
    };
    let mut v = format!("stage {} at {now}:", stage + 1);
    if let Some(left) = soak_left {
        v.push_str(&format!(" soak {} early", describe_seconds(*left)));
    }
    if !unexpected.is_empty() {
        v.push_str(&format!(" {} unexpected principals", unexpected.len()));
    }
    v
}

/// What `abort` will do: `changes` (detachments) first, then `tags`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AbortPlan {
    pub changes: Vec<Change>,
    pub tags: TagChanges,
    /// The reason as written in the tag, and whether it had to be changed to fit tag rules.
    pub reason: String,
    pub reason_adjusted: bool,
    /// Targets holding the policy that no stage names: left as they are.
    pub left_attached: Vec<String>,
}

impl AbortPlan {
    pub fn is_noop(&self) -> bool {
        self.tags.is_empty() && self.changes.is_empty()
    }
}

/// Plan `rollout abort`: detach from every stage target holding the policy (the broadest
/// stage first), record the reason and time, and clear the stage tags so `next` starts again
/// at stage 1. Tags that do not parse do not stop it: they are replaced.
pub fn abort(
    settings: &RolloutSettings,
    policy_name: &str,
    tags: &[(String, String)],
    attachments: &BTreeSet<String>,
    reason: &str,
    now: &str,
) -> AbortPlan {
    let changes: Vec<Change> = settings
        .stages
        .iter()
        .rev()
        .flat_map(|s| s.targets.iter())
        .filter(|t| attachments.contains(t.as_str()))
        .map(|t| Change::DetachPolicy {
            policy: policy_name.to_string(),
            target: t.clone(),
        })
        .collect();
    let (reason, reason_adjusted) = tag_value(reason);
    let holds = |keys: &[&str]| {
        tags.iter()
            .any(|(k, _)| keys.iter().any(|t| t.eq_ignore_ascii_case(k)))
    };
    let mut tag_plan = TagChanges::default();
    let under_way = holds(&[TAG_STAGE, TAG_STARTED, TAG_FORCED]);
    let already_aborted = tags.iter().any(|(k, _)| k == TAG_ABORTED);
    if under_way || (!changes.is_empty() && !already_aborted) {
        tag_plan.set_if_changed(tags, TAG_ABORTED, now.to_string());
        tag_plan.set_if_changed(tags, TAG_REASON, reason.clone());
        // Malformed or differently cased rollout tags go too (the ones set above stay).
        let stale: Vec<&str> = ALL_TAGS.to_vec();
        tag_plan.remove_present(tags, &stale);
        tag_plan
            .remove
            .retain(|k| k != TAG_ABORTED && k != TAG_REASON);
    }
    let named: BTreeSet<&str> = stage_targets(settings, usize::MAX)
        .map(|t| t.as_str())
        .collect();
    AbortPlan {
        changes,
        tags: tag_plan,
        reason,
        reason_adjusted,
        left_attached: attachments
            .iter()
            .filter(|a| !named.contains(a.as_str()))
            .cloned()
            .collect(),
    }
}
