//! Values from records, trail files, tag files and AWS answers, made safe to print on a
//! terminal. A principal ARN holding a newline could forge a report line (`totals: ...`), and
//! ESC, BEL or NUL in an event name could hide text, ring the bell or retitle the window.
//! Text outputs pass such values through [`printable`]; JSON and JSONL escape by themselves.

use std::borrow::Cow;
use std::fmt::Write;

/// Whether `c` must not reach a terminal as it is: the C0 controls (newline, CR, ESC, BEL,
/// NUL, ...), DEL, the C1 controls (U+0080 to U+009F, which some terminals obey as ESC
/// sequences), the line and paragraph separators, and the bidirectional overrides that make a
/// line read differently from its bytes.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
        )
}

/// `value` with each unsafe character written as an escape (`\n`, `\r`, `\t`, `\0`, `\x1b`,
/// `\u{85}`); every other character is kept as it is. Borrowed when nothing needed escaping.
pub fn printable(value: &str) -> Cow<'_, str> {
    if !value.chars().any(is_unsafe) {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        push(&mut out, c);
    }
    Cow::Owned(out)
}

/// Like [`printable`], but newlines and tabs are kept: for a whole block of text scpctl
/// composed itself, whose line breaks are its own. Values inside it must still go through
/// [`printable`] first, or a newline in a value would pass as one of scpctl's.
pub fn printable_block(text: &str) -> Cow<'_, str> {
    let unsafe_here = |c: char| c != '\n' && c != '\t' && is_unsafe(c);
    if !text.chars().any(unsafe_here) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_here(c) {
            push(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn push(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\0' => out.push_str("\\0"),
        c if !is_unsafe(c) => out.push(c),
        c if (c as u32) < 0x80 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn escapes_what_a_terminal_would_obey() {
        assert_eq!(
            printable("arn:aws:iam::1:user/a\ntotals: 0 records"),
            "arn:aws:iam::1:user/a\\ntotals: 0 records"
        );
        assert_eq!(
            printable("Get\u{1b}[8m\u{7}\0\r\u{7f}\u{85}"),
            "Get\\x1b[8m\\x07\\0\\r\\x7f\\u{85}"
        );
        assert_eq!(printable("a\u{202e}b"), "a\\u{202e}b");
        assert!(matches!(printable("plain é ✓"), Cow::Borrowed(_)));
        assert_eq!(printable_block("a\n\tb\u{1b}"), "a\n\tb\\x1b");
    }

    proptest! {
        #[test]
        fn no_unsafe_character_survives(s in any::<String>()) {
            let p = printable(&s);
            prop_assert!(!p.chars().any(is_unsafe), "{:?} -> {:?}", s, p);
            let b = printable_block(&s);
            prop_assert!(!b.chars().any(|c| c != '\n' && c != '\t' && is_unsafe(c)));
        }

        #[test]
        fn printable_text_is_kept_unchanged(s in any::<String>()) {
            let safe: String = s.chars().filter(|c| !is_unsafe(*c)).collect();
            prop_assert_eq!(printable(&safe), safe.as_str());
            prop_assert_eq!(printable_block(&safe), safe.as_str());
        }

        #[test]
        fn escaping_only_grows_the_unsafe_characters(s in any::<String>()) {
            // Each safe character is kept in order: deleting the escapes gives them back.
            let p = printable(&s).into_owned();
            let safe: String = s.chars().filter(|c| !is_unsafe(*c)).collect();
            let unsafe_count = s.chars().filter(|c| is_unsafe(*c)).count();
            prop_assert!(p.chars().count() >= safe.chars().count() + 2 * unsafe_count);
        }
    }
}
