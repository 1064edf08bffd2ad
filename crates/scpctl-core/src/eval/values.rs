//! Typed values of condition operators: numbers, dates, booleans, base64 binaries.
//!
//! [OPS] "IAM JSON policy elements: Condition operators":
//! - Numeric operators compare numbers (integers and decimals).
//! - Date operators take "one of the supported W3C implementations of the ISO 8601 date formats"
//!   or epoch (UNIX) time in seconds.
//! - Bool takes `true`/`false`; BinaryEquals takes base64-encoded bytes.

/// A number as IAM reads it; `None` for anything else (NaN and infinities included).
pub(crate) fn parse_number(s: &str) -> Option<f64> {
    let s = s.trim();
    if s.is_empty()
        || !s
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.'))
    {
        return None;
    }
    s.parse::<f64>().ok().filter(|n| n.is_finite())
}

pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Days from 1970-01-01 to the civil date (H. Hinnant's algorithm), proleptic Gregorian.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

fn digits(s: &str, n: usize) -> Option<i64> {
    (s.len() == n && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// A date as milliseconds since the epoch: epoch seconds (digits only), or W3C ISO 8601
/// (`YYYY`, `YYYY-MM`, `YYYY-MM-DD`, `YYYY-MM-DDThh:mm[:ss[.s+]]TZD`, TZD `Z` or `+hh:mm`;
/// a time without TZD is read as UTC).
pub(crate) fn parse_date(s: &str) -> Option<i64> {
    let s = s.trim();
    if !s.is_empty() && s.len() != 4 && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse::<i64>().ok()?.checked_mul(1000);
    }
    let (date, time) = match s.split_once(['T', 't']) {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let mut dp = date.split('-');
    let y = digits(dp.next()?, 4)?;
    let m = dp.next().map_or(Some(1), |v| digits(v, 2))?;
    let d = dp.next().map_or(Some(1), |v| digits(v, 2))?;
    if dp.next().is_some() || !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    let mut ms = days_from_civil(y, m, d) * 86_400_000;
    let Some(time) = time else {
        return Some(ms);
    };
    // Split off the zone designator.
    let (clock, offset_min) = if let Some(c) = time.strip_suffix(['Z', 'z']) {
        (c, 0)
    } else if let Some(at) = time.rfind(['+', '-']) {
        let (c, z) = time.split_at(at);
        let sign = if z.starts_with('-') { -1 } else { 1 };
        let (hh, mm) = z[1..].split_once(':')?;
        let (hh, mm) = (digits(hh, 2)?, digits(mm, 2)?);
        if hh > 23 || mm > 59 {
            return None;
        }
        (c, sign * (hh * 60 + mm))
    } else {
        (time, 0)
    };
    let mut cp = clock.split(':');
    let hh = digits(cp.next()?, 2)?;
    let mm = digits(cp.next()?, 2)?;
    let (ss, frac_ms) = match cp.next() {
        None => (0, 0),
        Some(sec) => {
            let (whole, frac) = sec.split_once('.').unwrap_or((sec, ""));
            let ss = digits(whole, 2)?;
            if !frac.bytes().all(|b| b.is_ascii_digit()) || sec.ends_with('.') {
                return None;
            }
            let frac_ms = format!("{frac:0<3}")[..3].parse::<i64>().ok()?;
            (ss, frac_ms)
        }
    };
    if cp.next().is_some() || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    ms += ((hh * 60 + mm - offset_min) * 60 + ss) * 1000 + frac_ms;
    Some(ms)
}

/// Standard base64 (RFC 4648, padding optional); `None` when not base64.
pub(crate) fn parse_base64(s: &str) -> Option<Vec<u8>> {
    let s = s.trim().trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for b in s.bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    // A lone trailing sextet cannot encode a byte.
    (bits < 6).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(parse_number("3600"), Some(3600.0));
        assert_eq!(parse_number(" 1.5 "), Some(1.5));
        assert_eq!(parse_number("-2"), Some(-2.0));
        for bad in ["", "abc", "1e3", "NaN", "inf", "1,000"] {
            assert_eq!(parse_number(bad), None, "{bad}");
        }
    }

    // [OPS] Date operators: W3C ISO 8601 profiles and epoch seconds.
    #[test]
    fn dates() {
        let day = 86_400_000;
        assert_eq!(parse_date("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_date("0"), Some(0));
        assert_eq!(parse_date("1700000000"), Some(1_700_000_000_000));
        assert_eq!(parse_date("2026-05-15"), parse_date("2026-05-15T00:00:00Z"));
        assert_eq!(parse_date("1970-01-02"), Some(day));
        assert_eq!(parse_date("1970"), Some(0));
        assert_eq!(parse_date("1970-02"), Some(31 * day));
        assert_eq!(parse_date("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(parse_date("1970-01-01T00:00:00.250Z"), Some(250));
        assert_eq!(parse_date("1970-01-01T00:00Z"), Some(0));
        assert_eq!(
            parse_date("2024-02-29"),
            Some(days_from_civil(2024, 2, 29) * day)
        );
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        for bad in [
            "",
            "2023-02-29",
            "2026-13-01",
            "2026-01-01T25:00:00Z",
            "yesterday",
            "2026/01/01",
            "2026-01-01T10:00:00.Z",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn base64() {
        assert_eq!(parse_base64("QmluYXJ5VmFsdWU=").unwrap(), b"BinaryValue");
        assert_eq!(parse_base64("YQ==").unwrap(), b"a");
        assert_eq!(parse_base64("YQ").unwrap(), b"a");
        assert_eq!(parse_base64("").unwrap(), b"");
        assert_eq!(parse_base64("Y"), None);
        assert_eq!(parse_base64("not base64!"), None);
    }
}
