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
    fn display_shows_what_is_known() {
        assert_eq!(Origin::label("--source-ip").to_string(), "--source-ip");
        assert_eq!(Origin::at_line("ipam.txt", 4).to_string(), "ipam.txt:4");
        assert_eq!(
            Origin::at_offset("scpctl.toml", "x\n  y", 4).to_string(),
            "scpctl.toml:2:3"
        );
    }
}
