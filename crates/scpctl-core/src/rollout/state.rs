//! The rollout's state, kept as tags on scpctl's policy so CI jobs and colleagues share it
//! (Organizations `TagResource`/`UntagResource` on the policy id). Organizations tag rules are
//! IAM's (AWS Organizations User Guide, "Tagging AWS Organizations resources": keys 1-128,
//! values 0-256 characters of letters, digits, spaces and `_ . : / = + - @`), checked by
//! [`crate::tags`]. A tag that does not parse (written by hand, or by another tool) is
//! reported as a [`TagProblem`], never trusted: `next` refuses until `abort` rewrites them.

use serde::Serialize;

use super::epoch_seconds;

/// The stage in force, 1-based.
pub const TAG_STAGE: &str = "scpctl:rollout-stage";
/// When that stage started (`YYYY-MM-DDTHH:MM:SSZ`).
pub const TAG_STARTED: &str = "scpctl:rollout-started";
/// When the rollout was aborted.
pub const TAG_ABORTED: &str = "scpctl:rollout-aborted";
/// Why (the `--reason` text, cut to what a tag value may hold).
pub const TAG_REASON: &str = "scpctl:rollout-reason";
/// Set when `--force` took the stage in force past a gate: what was passed.
pub const TAG_FORCED: &str = "scpctl:rollout-forced";

pub const ALL_TAGS: [&str; 5] = [TAG_STAGE, TAG_STARTED, TAG_ABORTED, TAG_REASON, TAG_FORCED];

/// What the tags say.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RolloutState {
    /// The stage in force (1-based), when a rollout is under way.
    pub stage: Option<usize>,
    pub started: Option<String>,
    pub aborted: Option<String>,
    pub reason: Option<String>,
    pub forced: Option<String>,
}

/// A rollout tag that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("tag {key} = {value}: {why}")]
pub struct TagProblem {
    pub key: String,
    /// The value, cut to a short excerpt.
    pub value: String,
    pub why: String,
}

impl RolloutState {
    /// Read the rollout tags among a policy's tags; `stages` is how many the config has.
    /// Other tags are ignored.
    pub fn parse(tags: &[(String, String)], stages: usize) -> (RolloutState, Vec<TagProblem>) {
        let mut state = RolloutState::default();
        let mut problems = Vec::new();
        let mut problem = |key: &str, value: &str, why: String| {
            problems.push(TagProblem {
                key: key.to_string(),
                value: crate::origin::excerpt(value),
                why,
            })
        };
        let time = |v: &str| epoch_seconds(v).map(|_| v.to_string());
        for (key, value) in tags {
            match key.as_str() {
                TAG_STAGE => match value.parse::<usize>() {
                    Ok(n) if (1..=stages).contains(&n) && value.bytes().all(|b| b.is_ascii_digit()) => {
                        state.stage = Some(n)
                    }
                    _ => problem(key, value, format!("expected a stage number from 1 to {stages} (the config's [[rollout.stages]])")),
                },
                TAG_STARTED | TAG_ABORTED => match time(value) {
                    Some(t) if key == TAG_STARTED => state.started = Some(t),
                    Some(t) => state.aborted = Some(t),
                    None => problem(key, value, "expected a UTC time YYYY-MM-DDTHH:MM:SSZ".into()),
                },
                TAG_REASON => state.reason = Some(value.clone()),
                TAG_FORCED => state.forced = Some(value.clone()),
                other if ALL_TAGS.iter().any(|t| t.eq_ignore_ascii_case(other)) => problem(
                    key,
                    value,
                    "a rollout tag spelled in another letter case: scpctl writes and reads the lower-case key only".into(),
                ),
                _ => {}
            }
        }
        let stage_problem = tags.iter().any(|(k, _)| k == TAG_STAGE);
        match (state.stage, &state.started) {
            (Some(_), None) => {
                problem(
                    TAG_STAGE,
                    &state.stage.unwrap_or_default().to_string(),
                    format!("no valid {TAG_STARTED} beside it: when the stage started is unknown"),
                );
                state.stage = None;
            }
            (None, Some(s)) if !stage_problem => {
                let s = s.clone();
                problem(TAG_STARTED, &s, format!("no {TAG_STAGE} beside it"));
                state.started = None;
            }
            _ => {}
        }
        (state, problems)
    }

    /// The time from which refusals count for `next`'s gate: when the stage in force started.
    /// Records before it never count.
    pub fn denials_since(&self) -> Option<&str> {
        self.started.as_deref()
    }
}

/// Tag writes on scpctl's policy, done after the attachments.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TagChanges {
    /// `TagResource` (replaces values of existing keys).
    pub set: Vec<(String, String)>,
    /// `UntagResource`, only keys the policy holds.
    pub remove: Vec<String>,
}

impl TagChanges {
    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.remove.is_empty()
    }

    /// Remove `keys` that the policy holds (including malformed or differently cased ones).
    pub(crate) fn remove_present(&mut self, present: &[(String, String)], keys: &[&str]) {
        for (k, _) in present {
            if keys.iter().any(|t| t.eq_ignore_ascii_case(k))
                && !self.set.iter().any(|(s, _)| s == k)
                && !self.remove.contains(k)
            {
                self.remove.push(k.clone());
            }
        }
    }

    /// Set `key` to `value` unless the policy already holds exactly that.
    pub(crate) fn set_if_changed(
        &mut self,
        present: &[(String, String)],
        key: &str,
        value: String,
    ) {
        if !present.iter().any(|(k, v)| k == key && *v == value) {
            self.set.push((key.to_string(), value));
        }
    }
}

/// A tag value from free text (`--reason`): characters a tag value may not hold become spaces,
/// and the text is cut to 256 characters. Returns the value and whether it was changed.
pub fn tag_value(text: &str) -> (String, bool) {
    let mut out: String = text
        .chars()
        .map(|c| {
            let mut buf = [0u8; 4];
            if crate::tags::validate_value(c.encode_utf8(&mut buf)).is_ok() {
                c
            } else {
                ' '
            }
        })
        .take(crate::tags::VALUE_MAX)
        .collect();
    out = out.trim().to_string();
    let changed = out != text;
    (out, changed)
}
