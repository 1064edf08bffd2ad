//! Exceptions: which tags a grant or revoke writes on an IAM user, and what a user's tags say
//! about its exception. Pure: the edge reads and writes the tags.
//!
//! A user holds an exception while tagged `key=value` (seed 003 §4.1), the key in any case and
//! the value exactly: IAM tag keys and condition key names (`aws:PrincipalTag/<key>`) compare
//! ignoring case, so `accessexception=True` holds it, while `StringNotEquals` compares values
//! case-sensitively, so `true` is not `True` (sources cited at `crate::tags::same_key`).
//! Companion tags record why, until when, by whom and since when: `<key>Reason`,
//! `<key>Expires`, `<key>GrantedBy`, `<key>GrantedAt`, also matched ignoring case.
//!
//! Writes follow IAM: `TagUser` replaces a tag whose key matches ignoring case, so a grant
//! writes each key in the spelling the user already has, in one `TagUser` call (the user never
//! loses the exception between two calls), and never removes a key matching one it sets.

use std::fmt;

use serde::Serialize;

use crate::config::ExceptionTag;
use crate::tags::{same_key, validate_key, validate_value};

/// IAM: "You can add up to 50 tags to an IAM user" (IAM User Guide, IAM and STS quotas). IAM
/// reports going over as `LimitExceededException`, which the SDK retries as throttling, so the
/// limit is checked before calling.
pub const MAX_TAGS_PER_USER: usize = 50;

/// A calendar date (UTC), as written in `--expires` and the Expires tag: `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

impl Date {
    pub fn parse(s: &str) -> Option<Date> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            let part = s.get(r)?;
            part.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| part.parse().ok())?
        };
        let (year, month, day) = (num(0..4)? as i32, num(5..7)?, num(8..10)?);
        ((1..=12).contains(&month) && (1..=days_in_month(year, month)).contains(&day))
            .then_some(Date { year, month, day })
    }

    /// The date of a Unix time in days since 1970-01-01 (Howard Hinnant's `civil_from_days`).
    pub fn from_unix_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// Days since 1970-01-01 (Howard Hinnant's `days_from_civil`), the inverse of
    /// `from_unix_days`.
    pub fn to_unix_days(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400);
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// An `--expires` value: a date `YYYY-MM-DD`, or a number of days from `today` such as
    /// `30d` (`0d` is today: the exception holds through its expiry date). `today` comes from
    /// the caller: the core reads no clock.
    pub fn parse_expires(value: &str, today: Date) -> Result<Date, ExceptionError> {
        let bad = || ExceptionError::BadDate {
            value: value.to_string(),
        };
        if let Some(d) = Date::parse(value) {
            return Ok(d);
        }
        let n = value.strip_suffix('d').ok_or_else(bad)?;
        if n.is_empty() || n.len() > 7 || !n.bytes().all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        let days: i64 = n.parse().map_err(|_| bad())?;
        let date = Date::from_unix_days(today.to_unix_days() + days);
        // Written back as YYYY-MM-DD, which has four digits for the year.
        if date.year > 9999 {
            return Err(bad());
        }
        Ok(date)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// The tag keys scpctl writes, derived from the configured exception key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExceptionKeys {
    pub exception: String,
    pub value: String,
    pub reason: String,
    pub expires: String,
    pub granted_by: String,
    pub granted_at: String,
}

impl ExceptionKeys {
    pub fn new(tag: &ExceptionTag) -> ExceptionKeys {
        ExceptionKeys {
            exception: tag.key.clone(),
            value: tag.value.clone(),
            reason: format!("{}Reason", tag.key),
            expires: format!("{}Expires", tag.key),
            granted_by: format!("{}GrantedBy", tag.key),
            granted_at: format!("{}GrantedAt", tag.key),
        }
    }

    fn companions(&self) -> [&str; 4] {
        [
            &self.reason,
            &self.expires,
            &self.granted_by,
            &self.granted_at,
        ]
    }

    fn all(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.exception.as_str()).chain(self.companions())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExceptionError {
    #[error("{what} {value:?} cannot be stored as an IAM tag value: {why}")]
    BadValue {
        what: &'static str,
        value: String,
        why: String,
    },
    #[error("tag key {key:?} (derived from the configured exception key) is not a valid IAM tag key: {why}")]
    BadKey { key: String, why: String },
    #[error("--expires {value:?} is not a date: write YYYY-MM-DD (e.g. 2026-12-31) or a number of days from today (e.g. 30d), ending by 9999-12-31")]
    BadDate { value: String },
    #[error("--expires {expires} is in the past (today is {today}, UTC); the exception would be swept at once")]
    PastDate { expires: Date, today: Date },
    #[error("user {user} has {have} tags; this grant adds {adding}, over IAM's limit of {MAX_TAGS_PER_USER} tags per user. Remove {excess} of its other tags first")]
    TooManyTags {
        user: String,
        have: usize,
        adding: usize,
        excess: usize,
    },
}

/// What a grant or revoke writes. Empty: nothing to do.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct TagChange {
    pub set: Vec<(String, String)>,
    pub remove: Vec<String>,
}

impl TagChange {
    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.remove.is_empty()
    }
}

/// What the grant records besides the exception tag itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub reason: Option<String>,
    pub expires: Option<Date>,
    pub granted_by: String,
    pub today: Date,
}

fn value_ok(what: &'static str, value: &str) -> Result<(), ExceptionError> {
    validate_value(value).map_err(|why| ExceptionError::BadValue {
        what,
        value: value.to_string(),
        why,
    })
}

/// The user's tag under `key` as IAM finds it, ignoring case: its spelling and its value. IAM
/// holds at most one; a case-sensitive store (moto) may hold several, and the exact spelling
/// then wins.
pub fn find_tag<'a>(tags: &'a [(String, String)], key: &str) -> Option<(&'a str, &'a str)> {
    tags.iter()
        .find(|(k, _)| k == key)
        .or_else(|| tags.iter().find(|(k, _)| same_key(k, key)))
        .map(|(k, v)| (k.as_str(), v.as_str()))
}

fn get<'a>(tags: &'a [(String, String)], key: &str) -> Option<&'a str> {
    find_tag(tags, key).map(|(_, v)| v)
}

/// How many tags IAM counts: keys differing only in case are one tag.
fn distinct_keys(tags: &[(String, String)]) -> usize {
    tags.iter()
        .enumerate()
        .filter(|(i, (k, _))| !tags[..*i].iter().any(|(earlier, _)| same_key(earlier, k)))
        .count()
}

/// Tags to set and remove so the user holds exactly this grant; every other tag is kept. A
/// re-grant replaces the companions (an old reason or expiry does not linger). The granted-at
/// date is kept when nothing else changes, so a repeated grant writes nothing. Keys compare
/// ignoring case: a key is set in the spelling the user already has, and no key removed
/// matches, ignoring case, a key set (in IAM, untagging it would delete what was just set).
pub fn plan_grant(
    user: &str,
    tags: &[(String, String)],
    keys: &ExceptionKeys,
    grant: &Grant,
) -> Result<TagChange, ExceptionError> {
    for key in keys.all() {
        validate_key(key).map_err(|why| ExceptionError::BadKey {
            key: key.to_string(),
            why,
        })?;
    }
    if let Some(expires) = grant.expires {
        if expires < grant.today {
            return Err(ExceptionError::PastDate {
                expires,
                today: grant.today,
            });
        }
    }
    if let Some(r) = &grant.reason {
        value_ok("--reason", r)?;
    }
    value_ok("the caller identity", &grant.granted_by)?;

    let mut wanted: Vec<(String, String)> = vec![(keys.exception.clone(), keys.value.clone())];
    if let Some(r) = &grant.reason {
        wanted.push((keys.reason.clone(), r.clone()));
    }
    if let Some(e) = grant.expires {
        wanted.push((keys.expires.clone(), e.to_string()));
    }
    wanted.push((keys.granted_by.clone(), grant.granted_by.clone()));
    let unchanged = wanted.iter().all(|(k, v)| get(tags, k) == Some(v.as_str()));
    // Companions this grant does not write (granted-at it always keeps or writes).
    let stale: Vec<&str> = keys
        .companions()
        .into_iter()
        .filter(|k| *k != keys.granted_at && !wanted.iter().any(|(w, _)| same_key(w, k)))
        .collect();
    // Every spelling of them.
    let remove: Vec<String> = tags
        .iter()
        .map(|(k, _)| k)
        .filter(|k| stale.iter().any(|s| same_key(s, k)))
        .cloned()
        .collect();
    if unchanged && remove.is_empty() && get(tags, &keys.granted_at).is_some() {
        return Ok(TagChange::default());
    }
    wanted.push((keys.granted_at.clone(), grant.today.to_string()));
    let adding = wanted
        .iter()
        .filter(|(k, _)| find_tag(tags, k).is_none())
        .count();
    let removing = stale.iter().filter(|k| find_tag(tags, k).is_some()).count();
    let have = distinct_keys(tags);
    if have - removing + adding > MAX_TAGS_PER_USER {
        return Err(ExceptionError::TooManyTags {
            user: user.to_string(),
            have,
            adding,
            excess: have - removing + adding - MAX_TAGS_PER_USER,
        });
    }
    let set: Vec<(String, String)> = wanted
        .into_iter()
        .filter(|(k, v)| get(tags, k) != Some(v.as_str()))
        .map(|(k, v)| match find_tag(tags, &k) {
            Some((spelling, _)) => (spelling.to_string(), v),
            None => (k, v),
        })
        .collect();
    Ok(TagChange { set, remove })
}

/// Tags to remove: the exception tag and its companions in every spelling (IAM holds one per
/// key ignoring case; a case-sensitive store may hold several).
pub fn plan_revoke(tags: &[(String, String)], keys: &ExceptionKeys) -> TagChange {
    let remove = tags
        .iter()
        .map(|(k, _)| k)
        .filter(|k| keys.all().any(|ours| same_key(ours, k)))
        .cloned()
        .collect();
    TagChange {
        set: vec![],
        remove,
    }
}

/// A user's exception as its tags tell it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExceptionInfo {
    /// Holds the tag (key in any case, value exact): statement 1 does not deny it.
    pub granted: bool,
    /// The exception key as spelled on the user.
    pub key: String,
    /// The value found under that key.
    pub value: String,
    pub reason: Option<String>,
    pub expires: Option<String>,
    pub granted_by: Option<String>,
    pub granted_at: Option<String>,
    /// The expiry date is before today.
    pub expired: bool,
    /// Why a near miss is not an exception, or why an expiry cannot be read.
    pub warning: Option<String>,
}

fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// What the tags say; `None` when they hold no exception and no near miss.
pub fn inspect(
    tags: &[(String, String)],
    keys: &ExceptionKeys,
    today: Date,
) -> Option<ExceptionInfo> {
    // IAM's match (case only), else a near miss that differs in spacing too.
    let (key, value, key_near_miss) = match find_tag(tags, &keys.exception) {
        Some((k, v)) => (k, v, false),
        None => tags
            .iter()
            .find(|(k, _)| squash(k) == squash(&keys.exception))
            .map(|(k, v)| (k.as_str(), v.as_str(), true))?,
    };
    let granted = !key_near_miss && value == keys.value;
    if !granted && squash(value) != squash(&keys.value) {
        return None;
    }
    let mut warning = (!granted).then(|| {
        let why = if key_near_miss {
            "IAM matches tag keys ignoring case only, not spaces"
        } else {
            "tag values compare case-sensitively (keys do not)"
        };
        format!(
            "tagged {key}={value:?}, not {}={:?}: {why}, so statement 1 denies this user. `scpctl exception grant` sets the exact tag",
            keys.exception, keys.value
        )
    });
    let expires = get(tags, &keys.expires).map(str::to_string);
    let expired = match expires.as_deref().map(|e| (e, Date::parse(e))) {
        Some((_, Some(d))) => d < today,
        Some((e, None)) => {
            warning.get_or_insert_with(|| {
                format!(
                    "{} {e:?} is not a YYYY-MM-DD date; sweep ignores it",
                    keys.expires
                )
            });
            false
        }
        None => false,
    };
    Some(ExceptionInfo {
        granted,
        key: key.to_string(),
        value: value.to_string(),
        reason: get(tags, &keys.reason).map(str::to_string),
        expires,
        granted_by: get(tags, &keys.granted_by).map(str::to_string),
        granted_at: get(tags, &keys.granted_at).map(str::to_string),
        expired,
        warning,
    })
}

#[cfg(test)]
mod tests;
