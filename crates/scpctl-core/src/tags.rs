//! IAM tag rules, checked before anything is sent to AWS.
//!
//! IAM User Guide, "Tagging IAM resources" (tag naming rules) and the IAM API `Tag` type:
//! keys are 1-128 characters, values 0-256, both matching `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`
//! (Unicode letters, separators and numbers, and `_ . : / = + - @`; no comma); keys must not
//! begin with `aws:` (reserved for AWS).

pub const KEY_MAX: usize = 128;
pub const VALUE_MAX: usize = 256;

/// Unicode category Z (separators): Zs space separators, Zl U+2028, Zp U+2029. Tabs and line
/// feeds are control characters (Cc), not separators, and are refused.
fn separator(c: char) -> bool {
    matches!(
        c,
        ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}' | '\u{2028}' | '\u{2029}' | '\u{202f}' | '\u{205f}' | '\u{3000}'
    )
}

fn allowed(c: char) -> bool {
    c.is_alphanumeric() || separator(c) || "_.:/=+-@".contains(c)
}

fn first_bad(s: &str) -> Option<char> {
    s.chars().find(|c| !allowed(*c))
}

/// Whether two tag keys name the same tag, as IAM decides: IAM user and role tag keys are
/// case-insensitive, with case preserved (IAM User Guide, "Tagging IAM resources": tagging
/// `department=hr` onto a user tagged `Department=finance` replaces it), and condition key
/// names, `aws:PrincipalTag/<key>` included, compare case-insensitively (IAM JSON policy
/// elements: Condition). Values are not compared here: they are case-sensitive.
pub fn same_key(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
        || (!(a.is_ascii() && b.is_ascii()) && a.to_lowercase() == b.to_lowercase())
}

/// Check a tag key; the error says what is wrong.
pub fn validate_key(key: &str) -> Result<(), String> {
    let len = key.chars().count();
    if len == 0 || len > KEY_MAX {
        return Err(format!(
            "a tag key must be 1 to {KEY_MAX} characters (it has {len})"
        ));
    }
    if key.to_ascii_lowercase().starts_with("aws:") {
        return Err("tag keys beginning with `aws:` are reserved for AWS".into());
    }
    if let Some(c) = first_bad(key) {
        return Err(format!(
            "character {c:?} is not allowed in a tag key (letters, digits, spaces and _.:/=+-@ only)"
        ));
    }
    Ok(())
}

/// Check a tag value; the error says what is wrong.
pub fn validate_value(value: &str) -> Result<(), String> {
    let len = value.chars().count();
    if len > VALUE_MAX {
        return Err(format!(
            "a tag value must be at most {VALUE_MAX} characters (it has {len})"
        ));
    }
    if let Some(c) = first_bad(value) {
        return Err(format!(
            "character {c:?} is not allowed in a tag value (letters, digits, spaces and _.:/=+-@ only)"
        ));
    }
    Ok(())
}

/// The sizes IAM allows a tag read from elsewhere (a tags file): a key of 1 to 128 characters,
/// a value of at most 256. Only the sizes: such tags were set by IAM or by AWS itself, and
/// AWS's own keys (`aws:cloudformation:stack-name`) begin with the `aws:` users may not write.
pub fn check_sizes(key: &str, value: &str) -> Result<(), String> {
    let key_len = key.chars().count();
    if key_len == 0 || key_len > KEY_MAX {
        return Err(format!(
            "tag key {} is {key_len} characters; IAM allows 1 to {KEY_MAX}",
            crate::origin::excerpt(key)
        ));
    }
    let value_len = value.chars().count();
    if value_len > VALUE_MAX {
        return Err(format!(
            "tag {} has a value of {value_len} characters; IAM allows at most {VALUE_MAX}",
            crate::origin::excerpt(key)
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert!(validate_key("AccessException").is_ok());
        assert!(validate_key("team:owner/é 1").is_ok());
        assert!(validate_key("").is_err());
        assert!(validate_key(&"k".repeat(129)).is_err());
        assert!(validate_key(&"k".repeat(128)).is_ok());
        assert!(validate_key("AWS:thing").unwrap_err().contains("reserved"));
        assert!(validate_key("a\"b").unwrap_err().contains("'\"'"));
    }

    #[test]
    fn keys_compare_ignoring_case_as_iam_does() {
        assert!(same_key("AccessException", "accessexception"));
        assert!(same_key("AccessException", "ACCESSEXCEPTION"));
        assert!(same_key("Équipe", "équipe"));
        assert!(!same_key("AccessException", "Access Exception"));
        assert!(!same_key("AccessException", "AccessExceptionReason"));
    }

    #[test]
    fn values() {
        assert!(validate_value("True").is_ok());
        assert!(validate_value("").is_ok());
        assert!(validate_value(&"v".repeat(257)).is_err());
        assert!(validate_value("a,b").is_err());
        assert!(validate_value("a{b}").is_err());
        // IAM's pattern takes Unicode separators (\p{Z}) and letters, not control characters.
        assert!(validate_value("a\u{a0}b\u{3000}c").is_ok());
        assert!(validate_value("Zürich 東京").is_ok());
        assert!(validate_value("a\tb").is_err());
        assert!(validate_value("a\nb").is_err());
    }

    #[test]
    fn sizes_of_tags_read_from_a_file() {
        assert!(check_sizes("aws:cloudformation:stack-name", &"v".repeat(256)).is_ok());
        assert!(check_sizes(&"k".repeat(128), "").is_ok());
        assert!(check_sizes("", "v").unwrap_err().contains("1 to 128"));
        assert!(check_sizes(&"k".repeat(129), "v")
            .unwrap_err()
            .contains("129 characters"));
        let e = check_sizes("Team", &"v".repeat(50_000)).unwrap_err();
        assert!(e.contains("50000 characters") && e.len() < 200, "{e}");
    }
}
