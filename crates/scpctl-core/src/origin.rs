//! Where a value came from: a file, and the line and column in it when known.
//!
//! Every user-supplied value carries its `Origin`, so an error can point at the exact spot
//! (`scpctl.toml:7:5`), the way compilers and `just` do.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    /// The file name as the user gave it (or a label such as `--source-ip`).
    pub source: String,
    /// 1-based line, when the value came from a file.
    pub line: Option<usize>,
    /// 1-based column (in characters), when known.
    pub column: Option<usize>,
}

impl Origin {
    /// A value that does not come from a file (a flag, a test).
    pub fn label(source: impl Into<String>) -> Self {
        Origin {
            source: source.into(),
            line: None,
            column: None,
        }
    }

    /// A value at a byte offset of `text`, which was read from `source`.
    pub fn at_offset(source: impl Into<String>, text: &str, offset: usize) -> Self {
        let (line, column) = line_col(text, offset);
        Origin {
            source: source.into(),
            line: Some(line),
            column: Some(column),
        }
    }

    /// A value on a given 1-based line of `source`.
    pub fn at_line(source: impl Into<String>, line: usize) -> Self {
        Origin {
            source: source.into(),
            line: Some(line),
            column: None,
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.source)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        Ok(())
    }
}

/// Line and column look-ups for many offsets of one text, in O(log lines) each plus the
/// characters between two look-ups on the same line. Rescanning the text per value (as
/// [`line_col`] does) made 100,000 inline CIDRs quadratic; offsets usually come in order, so the
/// last position is remembered and counting resumes from it.
pub struct LineIndex<'a> {
    source: &'a str,
    text: &'a str,
    /// Byte offset where each line starts.
    starts: Vec<usize>,
    /// The last answer: (offset, line index, column), to resume counting on the same line.
    last: std::cell::Cell<(usize, usize, usize)>,
}

impl<'a> LineIndex<'a> {
    pub fn new(source: &'a str, text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex {
            source,
            text,
            starts,
            last: std::cell::Cell::new((0, 0, 1)),
        }
    }

    /// 1-based line and column (in characters) of a byte offset, clamped like [`line_col`].
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let (last_offset, last_line, last_col) = self.last.get();
        let (from, col) = if last_line == line && last_offset <= offset {
            (last_offset, last_col)
        } else {
            (self.starts[line], 1)
        };
        let column = col + self.text[from..offset].chars().count();
        self.last.set((offset, line, column));
        (line + 1, column)
    }

    pub fn origin(&self, offset: usize) -> Origin {
        let (line, column) = self.line_col(offset);
        Origin {
            source: self.source.to_string(),
            line: Some(line),
            column: Some(column),
        }
    }
}

/// A value for a message: short values whole, long ones as their start and their length, so
/// a 100 kB bad value never floods the terminal. Quoted like `{:?}`.
pub fn excerpt(value: &str) -> String {
    const SHOWN: usize = 40;
    let count = value.chars().count();
    if count <= SHOWN + 20 {
        return format!("{value:?}");
    }
    let start: String = value.chars().take(SHOWN).collect();
    format!("{start:?}... ({count} characters)")
}

/// 1-based line and column (in characters) of a byte offset. Offsets past the end, or inside a
/// multi-byte character, are clamped rather than panicking.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        let text = "a = 1\nbb = \"é2\"\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 6), (2, 1));
        // 'é' is two bytes: the column counts characters.
        let after_e = text.find('2').unwrap();
        assert_eq!(line_col(text, after_e), (2, 8));
        // Inside a multi-byte character and past the end: clamped, no panic.
        let in_e = text.find('é').unwrap() + 1;
        assert_eq!(line_col(text, in_e), (2, 7));
        assert_eq!(line_col(text, 10_000), (3, 1));
    }

    #[test]
    fn line_index_agrees_with_line_col_in_any_order() {
        let text = "a = 1\nbb = \"é2\"\n\nxyz é é\n";
        let index = LineIndex::new("f", text);
        let mut offsets: Vec<usize> = (0..=text.len() + 3).collect();
        // In order, backwards, and jumping around: the cache must never give a wrong answer.
        let backwards: Vec<usize> = offsets.iter().rev().copied().collect();
        offsets.extend(backwards);
        offsets.extend([7, 3, 15, 15, 2, 20]);
        for o in offsets {
            assert_eq!(index.line_col(o), line_col(text, o), "offset {o}");
        }
        assert_eq!(index.origin(6).to_string(), "f:2:1");
    }

    #[test]
    fn excerpts_keep_short_values_and_cut_long_ones() {
        assert_eq!(excerpt("192.0.2.0/24"), "\"192.0.2.0/24\"");
        let long = "x".repeat(100_000);
        let e = excerpt(&long);
        assert!(e.len() < 80 && e.contains("100000 characters"), "{e}");
    }

    #[test]
    fn display_shows_what_is_known() {
        assert_eq!(Origin::label("--source-ip").to_string(), "--source-ip");
        assert_eq!(Origin::at_line("ipam.txt", 4).to_string(), "ipam.txt:4");
        assert_eq!(
            Origin::at_offset("scpctl.toml", "x\n  y", 4).to_string(),
            "scpctl.toml:2:3"
        );
    }
}
