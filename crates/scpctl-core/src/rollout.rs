//! `rollout`: attach scpctl's policy stage by stage, and stop on a surprise. Pure: the command
//! layer observes (the tags on scpctl's policy, `ListTargetsForPolicy`, the trail's refusals
//! tallied by [`crate::denials`] since [`RolloutState::denials_since`]), calls [`status`],
//! [`next`] or [`abort`], shows the plan, and executes its changes in order: attaches or
//! detaches first, tag writes last, so a run cut short is finished by running it again (every
//! plan is computed from what AWS holds, nothing is remembered locally).
//!
//! ```toml
//! [[rollout.stages]]
//! targets = ["ou-ab12-canary01"]   # OUs, accounts or the root, as apply takes them
//! soak = "2d"                      # at least this long before the next stage (30m, 12h, 2d)
//! [[rollout.stages]]
//! targets = ["ou-ab12-prod0001", "ou-ab12-prod0002"]
//! [rollout]
//! expected_denied = ["arn:aws:iam::*:user/stale-*"]   # principals the team means to deny
//! max_unexpected_principals = 0
//! ```
//!
//! - `state`: the stage tags on scpctl's policy, read (never trusted when they do not parse)
//!   and written;
//! - `planner`: `status`, `next` (the soak and denial gates, `--force`), `abort`.

use serde::Deserialize;
use toml::Spanned;

use crate::config::error::ConfigError;
use crate::origin::{excerpt, LineIndex};
use crate::plan::TargetId;

pub mod planner;
pub mod state;

pub use planner::{abort, next, status, AbortPlan, NextPlan, Refusal, RolloutStatus, StageStatus};
pub use state::{RolloutState, TagChanges, TagProblem};

/// One `[[rollout.stages]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    pub targets: Vec<TargetId>,
    /// Seconds the stage must be in force before the next one; 0 when not given.
    pub soak_seconds: u64,
    /// The soak as written (`2d`), for messages.
    pub soak: Option<String>,
}

/// `[rollout]` and its stages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RolloutSettings {
    pub stages: Vec<Stage>,
    /// ARN patterns (`*`, `?`, matched as `ArnLike`) of principals the team means to deny.
    pub expected_denied: Vec<String>,
    pub max_unexpected_principals: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRollout {
    #[serde(default)]
    stages: Vec<Spanned<RawStage>>,
    #[serde(default)]
    expected_denied: Vec<Spanned<String>>,
    max_unexpected_principals: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStage {
    targets: Vec<Spanned<String>>,
    soak: Option<Spanned<String>>,
}

/// A soak: a whole number and one unit, `m` (minutes), `h` (hours) or `d` (days): `30m`,
/// `12h`, `2d`. Anything else is refused, so a typo never means "no soak".
pub fn parse_duration(text: &str) -> Result<u64, String> {
    let bad = || {
        format!(
            "{} is not a duration: write a whole number and a unit, m, h or d (30m, 12h, 2d)",
            excerpt(text)
        )
    };
    let unit = text.chars().last().ok_or_else(bad)?;
    let scale = match unit {
        'm' => 60,
        'h' => 3_600,
        'd' => 86_400,
        _ => return Err(bad()),
    };
    let digits = &text[..text.len() - 1];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(scale))
        .filter(|s| *s <= 366 * 86_400)
        .ok_or_else(|| format!("{}: a soak longer than a year is refused", excerpt(text)))
}

/// A stage target by its prefix: `r-` root, `ou-` OU, 12 digits an account.
pub fn parse_target(value: &str) -> Result<TargetId, String> {
    let parsed = if value.starts_with("r-") {
        TargetId::root(value)
    } else if value.starts_with("ou-") {
        TargetId::ou(value)
    } else {
        TargetId::account(value)
    };
    parsed.map_err(|e| {
        format!(
            "{} is not a root (r-ab12), OU (ou-ab12-cd34ef56) or account (12 digits) id: {}",
            excerpt(value),
            e.why
        )
    })
}

/// Validate `[rollout]` (the hook `Config::parse` calls); problems go to `errors` with their
/// file:line:column.
pub fn from_raw(
    raw: Option<RawRollout>,
    index: &LineIndex<'_>,
    errors: &mut Vec<ConfigError>,
) -> Option<RolloutSettings> {
    let raw = raw?;
    let mut invalid = |offset: usize, message: String| {
        errors.push(ConfigError::Invalid {
            origin: index.origin(offset),
            message,
        })
    };
    let mut settings = RolloutSettings::default();
    let mut seen: Vec<(TargetId, usize)> = Vec::new();
    for (i, stage) in raw.stages.into_iter().enumerate() {
        let n = i + 1;
        let start = stage.span().start;
        let stage = stage.into_inner();
        if stage.targets.is_empty() {
            invalid(
                start,
                format!("[[rollout.stages]] stage {n}: targets is empty; list the OUs, accounts or root this stage attaches to"),
            );
        }
        let mut targets = Vec::new();
        for t in stage.targets {
            // The span covers the opening quote; point at the value itself.
            let offset = t.span().start + 1;
            match parse_target(t.get_ref()) {
                Ok(id) => match seen.iter().find(|(s, _)| *s == id) {
                    Some((_, earlier)) => invalid(
                        offset,
                        format!("[[rollout.stages]] stage {n}: {id} is already in stage {earlier}; a target belongs to one stage"),
                    ),
                    None => {
                        seen.push((id.clone(), n));
                        targets.push(id);
                    }
                },
                Err(why) => invalid(offset, format!("[[rollout.stages]] stage {n}: target {why}")),
            }
        }
        let (soak_seconds, soak) = match stage.soak {
            Some(s) => match parse_duration(s.get_ref()) {
                Ok(secs) => (secs, Some(s.into_inner())),
                Err(why) => {
                    invalid(
                        s.span().start + 1,
                        format!("[[rollout.stages]] stage {n}: soak {why}"),
                    );
                    (0, None)
                }
            },
            None => (0, None),
        };
        settings.stages.push(Stage {
            targets,
            soak_seconds,
            soak,
        });
    }
    for p in raw.expected_denied {
        let ok = p.get_ref().starts_with("arn:") && p.get_ref().split(':').count() >= 6;
        if ok {
            settings.expected_denied.push(p.into_inner());
        } else {
            invalid(
                p.span().start + 1,
                format!(
                    "[rollout] expected_denied {} is not an ARN pattern (arn:aws:iam::*:user/stale-*)",
                    excerpt(p.get_ref())
                ),
            );
        }
    }
    if let Some(m) = raw.max_unexpected_principals {
        match usize::try_from(*m.get_ref()) {
            Ok(v) => settings.max_unexpected_principals = v,
            Err(_) => invalid(
                m.span().start,
                format!(
                    "[rollout] max_unexpected_principals = {} must be 0 or more",
                    m.get_ref()
                ),
            ),
        }
    }
    if settings.stages.is_empty() {
        errors.push(ConfigError::Invalid {
            origin: index.origin(0),
            message: "[rollout] has no [[rollout.stages]]; add at least one with `targets = [...]`"
                .into(),
        });
    }
    Some(settings)
}

/// Seconds since 1970 of a `YYYY-MM-DDTHH:MM:SSZ` time (CloudTrail's `eventTime` form).
pub fn epoch_seconds(time: &str) -> Option<i64> {
    if !crate::impact::time::is_event_time(time) {
        return None;
    }
    let n = |a: usize, b: usize| time[a..b].parse::<i64>().ok();
    let (y, m, d) = (n(0, 4)?, n(5, 7)?, n(8, 10)?);
    let (hh, mm, ss) = (n(11, 13)?, n(14, 16)?, n(17, 19)?);
    if hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    // Days from the civil date (H. Hinnant's algorithm), proleptic Gregorian.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3_600 + mm * 60 + ss)
}

/// The `YYYY-MM-DDTHH:MM:SSZ` form of seconds since 1970.
pub fn format_epoch(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3_600,
        rem % 3_600 / 60,
        rem % 60
    )
}

/// A duration for messages: `1d 2h 3m`.
pub fn describe_seconds(secs: u64) -> String {
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3_600, secs % 3_600 / 60);
    let mut parts = Vec::new();
    if d > 0 {
        parts.push(format!("{d}d"));
    }
    if h > 0 {
        parts.push(format!("{h}h"));
    }
    if m > 0 || parts.is_empty() {
        parts.push(format!("{m}m"));
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests;
