//! Time bounds for `--since`/`--until` and the dates in CloudTrail's S3 keys. CloudTrail writes
//! `eventTime` as `YYYY-MM-DDTHH:MM:SSZ` (UTC, no fraction), so bounds in the same form compare
//! as text.

/// `[since, until]`, both inclusive, each `YYYY-MM-DDTHH:MM:SSZ`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimeRange {
    pub since: Option<String>,
    pub until: Option<String>,
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn valid_date(s: &str) -> bool {
    let b = s.as_bytes();
    // ASCII first: every slice below is then on a character boundary.
    if !s.is_ascii() || b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let (y, m, d) = (&s[..4], &s[5..7], &s[8..10]);
    if !(digits(y) && digits(m) && digits(d)) {
        return false;
    }
    let (m, d): (u32, u32) = (m.parse().unwrap_or(0), d.parse().unwrap_or(0));
    (1..=12).contains(&m) && (1..=31).contains(&d)
}

/// CloudTrail's `eventTime` form, `2024-05-01T12:00:00Z`.
pub fn is_event_time(s: &str) -> bool {
    let b = s.as_bytes();
    s.is_ascii()
        && b.len() == 20
        && valid_date(&s[..10])
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'Z'
        && digits(&s[11..13])
        && digits(&s[14..16])
        && digits(&s[17..19])
}

impl TimeRange {
    /// From `--since`/`--until`: `YYYY-MM-DD` (a whole day: from its start for `since`,
    /// through its end for `until`) or `YYYY-MM-DDTHH:MM:SSZ`.
    pub fn parse(since: Option<&str>, until: Option<&str>) -> Result<TimeRange, String> {
        let bound = |flag: &str, v: &str, end: bool| -> Result<String, String> {
            if valid_date(v) {
                Ok(format!(
                    "{v}T{}Z",
                    if end { "23:59:59" } else { "00:00:00" }
                ))
            } else if is_event_time(v) {
                Ok(v.to_string())
            } else {
                Err(format!(
                    "{flag} {v:?}: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC)"
                ))
            }
        };
        let range = TimeRange {
            since: since.map(|v| bound("--since", v, false)).transpose()?,
            until: until.map(|v| bound("--until", v, true)).transpose()?,
        };
        if let (Some(s), Some(u)) = (&range.since, &range.until) {
            if s > u {
                return Err(format!("--since {s} is after --until {u}"));
            }
        }
        Ok(range)
    }

    pub fn is_unbounded(&self) -> bool {
        self.since.is_none() && self.until.is_none()
    }

    /// Whether an `eventTime` (already checked with [`is_event_time`]) is in the range.
    pub fn contains(&self, event_time: &str) -> bool {
        self.since.as_deref().is_none_or(|s| event_time >= s)
            && self.until.as_deref().is_none_or(|u| event_time <= u)
    }

    /// Whether an S3 object may hold records in the range, judged by the delivery date in its
    /// key (`.../CloudTrail/<region>/YYYY/MM/DD/<file>`). A file holds records written before
    /// its delivery, usually minutes before but possibly later: files delivered up to
    /// [`DELIVERY_MARGIN_DAYS`] after `until` are still read, and any file delivered on or after
    /// the day of `since` is read. Keys without a date are read.
    pub fn may_hold(&self, key: &str) -> bool {
        let Some(date) = key_date(key) else {
            return true;
        };
        if let Some(s) = &self.since {
            if date.as_str() < &s[..10] {
                return false;
            }
        }
        if let Some(u) = &self.until {
            if date > add_days(&u[..10], DELIVERY_MARGIN_DAYS) {
                return false;
            }
        }
        true
    }
}

/// Days after `--until` whose deliveries are still read.
pub const DELIVERY_MARGIN_DAYS: u32 = 1;

/// `YYYY-MM-DD` of a CloudTrail key: the three path segments after `/CloudTrail/<region>/`.
pub fn key_date(key: &str) -> Option<String> {
    let rest = key.split("/CloudTrail/").nth(1)?;
    let mut seg = rest.split('/');
    let _region = seg.next()?;
    let (y, m, d) = (seg.next()?, seg.next()?, seg.next()?);
    seg.next()?; // the file name
    let date = format!("{y}-{m}-{d}");
    valid_date(&date).then_some(date)
}

fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        2 if (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `YYYY-MM-DD` plus `n` days (for a valid date).
pub(crate) fn add_days(date: &str, n: u32) -> String {
    let (mut y, mut m, mut d): (u32, u32, u32) = (
        date[..4].parse().unwrap_or(0),
        date[5..7].parse().unwrap_or(1),
        date[8..10].parse().unwrap_or(1),
    );
    for _ in 0..n {
        d += 1;
        if d > days_in_month(y, m) {
            d = 1;
            m += 1;
            if m > 12 {
                m = 1;
                y += 1;
            }
        }
    }
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_parse_and_compare() {
        let r = TimeRange::parse(Some("2024-05-01"), Some("2024-05-31")).unwrap();
        assert!(r.contains("2024-05-01T00:00:00Z"));
        assert!(r.contains("2024-05-31T23:59:59Z"));
        assert!(!r.contains("2024-04-30T23:59:59Z"));
        assert!(!r.contains("2024-06-01T00:00:00Z"));
        assert!(TimeRange::parse(Some("2024-5-1"), None)
            .unwrap_err()
            .contains("--since \"2024-5-1\""));
        assert!(TimeRange::parse(Some("2024-06-01"), Some("2024-05-01")).is_err());
        assert!(TimeRange::parse(None, Some("2024-05-01T10:00:00Z")).is_ok());
        assert!(!is_event_time("2024-05-01T10:00:00.123Z"));
        // 20 bytes with a character across byte 10: refused, not a panic.
        assert!(!is_event_time("2024-05-0\u{e9}:00:00:0Z"));
        assert!(!valid_date("2024-0\u{e9}-0"));
    }

    #[test]
    fn keys_are_judged_by_delivery_date_with_a_margin_after_until() {
        let r = TimeRange::parse(Some("2024-02-28"), Some("2024-02-28")).unwrap();
        let key = |d: &str| {
            format!("AWSLogs/o-abc/111122223333/CloudTrail/eu-west-1/{d}/111122223333_CloudTrail_eu-west-1_x.json.gz")
        };
        assert!(!r.may_hold(&key("2024/02/27")));
        assert!(r.may_hold(&key("2024/02/28")));
        assert!(
            r.may_hold(&key("2024/02/29")),
            "margin of one day (leap year)"
        );
        assert!(!r.may_hold(&key("2024/03/01")));
        assert!(r.may_hold("some/other/key.json.gz"));
        assert_eq!(add_days("2023-12-31", 1), "2024-01-01");
        assert_eq!(key_date(&key("2024/13/01")), None);
    }
}
