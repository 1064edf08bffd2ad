//! Where an IAM Access Analyzer finding points, as line:column of the document text scpctl
//! rendered (compact or pretty). A finding's location is a JSON path (IAM Access Analyzer API
//! Reference, "PathElement": `index` in an array, `key` of an object member, `value` of the member
//! with that key, `substring` of a string literal) plus a span in the text AWS was sent. The path
//! is walked over the text itself, so the same finding lands on the right line of either render.

/// One element of a finding's path, as Access Analyzer gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathStep {
    /// The array element at this index (0-based).
    Index(usize),
    /// The key of the object member with this name (the key text itself).
    Key(String),
    /// The value of the object member with this name.
    Value(String),
    /// Characters `start..start+length` of the string literal reached so far.
    Substring { start: usize, length: usize },
}

/// A finding's location: its path, and the span AWS reported in the text it was sent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FindingLocation {
    pub path: Vec<PathStep>,
    /// (start, end) offsets in the text sent, when AWS gave them.
    pub span: Option<(usize, usize)>,
}

/// A place in the text: 1-based line and column (columns count characters), and the byte
/// offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextPosition {
    pub line: usize,
    pub column: usize,
    pub offset: usize,
}

impl std::fmt::Display for TextPosition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// Where `path` points in `text`: the start of the value, key or substring it names. `None` when
/// the path does not fit the text (another document, an element Access Analyzer added a kind
/// for later); the caller then shows the path alone. An empty path is the whole document.
pub fn locate(text: &str, path: &[PathStep]) -> Option<TextPosition> {
    let bytes = text.as_bytes();
    let mut at = skip_ws(bytes, 0);
    if at >= bytes.len() {
        return None;
    }
    let mut steps = path.iter().peekable();
    while let Some(step) = steps.next() {
        match step {
            PathStep::Index(i) => match bytes[at] {
                b'[' => at = *array_elements(bytes, at)?.get(*i)?,
                // IAM lets a single value stand for a one-element list (`"Action": "s3:*"`):
                // index 0 of a scalar is the scalar itself.
                _ if *i == 0 => {}
                _ => return None,
            },
            PathStep::Value(name) => {
                let (_, value) = member(bytes, at, name)?;
                at = value;
            }
            PathStep::Key(name) => {
                let (key, value) = member(bytes, at, name)?;
                // A key is a place in itself; a further step goes on into its value.
                at = if steps.peek().is_some() { value } else { key };
            }
            PathStep::Substring { start, .. } => {
                if bytes[at] != b'"' {
                    return None;
                }
                at = string_char_offset(bytes, at, *start)?;
            }
        }
    }
    Some(position(text, at))
}

/// Line and column of a byte offset (1-based, columns in characters).
pub fn position(text: &str, offset: usize) -> TextPosition {
    let offset = offset.min(text.len());
    let before = &text[..floor_char_boundary(text, offset)];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    TextPosition {
        line,
        column,
        offset,
    }
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// End (exclusive) of the string literal starting at `i` (its opening quote).
fn string_end(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    while j < b.len() {
        match b[j] {
            b'\\' => j += 2,
            b'"' => return Some(j + 1),
            _ => j += 1,
        }
    }
    None
}

/// End (exclusive) of the JSON value starting at `i`.
fn value_end(b: &[u8], i: usize) -> Option<usize> {
    match *b.get(i)? {
        b'"' => string_end(b, i),
        open @ (b'{' | b'[') => {
            let close = if open == b'{' { b'}' } else { b']' };
            let mut j = skip_ws(b, i + 1);
            if b.get(j) == Some(&close) {
                return Some(j + 1);
            }
            loop {
                if open == b'{' {
                    j = skip_ws(b, string_end(b, j)?);
                    if b.get(j) != Some(&b':') {
                        return None;
                    }
                    j = skip_ws(b, j + 1);
                }
                j = skip_ws(b, value_end(b, j)?);
                match b.get(j)? {
                    b',' => j = skip_ws(b, j + 1),
                    c if *c == close => return Some(j + 1),
                    _ => return None,
                }
            }
        }
        _ => {
            let mut j = i;
            while j < b.len() && !matches!(b[j], b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
            {
                j += 1;
            }
            (j > i).then_some(j)
        }
    }
}

/// Start offsets of the elements of the array starting at `i`.
fn array_elements(b: &[u8], i: usize) -> Option<Vec<usize>> {
    let mut out = Vec::new();
    let mut j = skip_ws(b, i + 1);
    if b.get(j) == Some(&b']') {
        return Some(out);
    }
    loop {
        out.push(j);
        j = skip_ws(b, value_end(b, j)?);
        match b.get(j)? {
            b',' => j = skip_ws(b, j + 1),
            b']' => return Some(out),
            _ => return None,
        }
    }
}

/// The (key offset, value offset) of the member named `name` in the object starting at `i`.
/// Keys compare exactly first, then case-insensitively (IAM's element and condition key names
/// are not case-sensitive, and Access Analyzer may spell them its own way).
fn member(b: &[u8], i: usize, name: &str) -> Option<(usize, usize)> {
    if b.get(i) != Some(&b'{') {
        return None;
    }
    let mut members = Vec::new();
    let mut j = skip_ws(b, i + 1);
    if b.get(j) != Some(&b'}') {
        loop {
            let key_end = string_end(b, j)?;
            let key = unescape(&b[j + 1..key_end - 1]);
            let mut v = skip_ws(b, key_end);
            if b.get(v) != Some(&b':') {
                return None;
            }
            v = skip_ws(b, v + 1);
            members.push((key, j, v));
            j = skip_ws(b, value_end(b, v)?);
            match b.get(j)? {
                b',' => j = skip_ws(b, j + 1),
                b'}' => break,
                _ => return None,
            }
        }
    }
    members
        .iter()
        .find(|(k, _, _)| k == name)
        .or_else(|| {
            members
                .iter()
                .find(|(k, _, _)| k.eq_ignore_ascii_case(name))
        })
        .map(|(_, k, v)| (*k, *v))
}

/// A JSON string's content with the common escapes undone (enough to compare key names).
fn unescape(raw: &[u8]) -> String {
    let s = String::from_utf8_lossy(raw);
    if !s.contains('\\') {
        return s.into_owned();
    }
    serde_json::from_str::<String>(&format!("\"{s}\"")).unwrap_or_else(|_| s.into_owned())
}

/// Byte offset of the `n`-th character of the string literal starting at `i` (its opening
/// quote); an escape sequence counts as the one character it stands for.
fn string_char_offset(b: &[u8], i: usize, n: usize) -> Option<usize> {
    let end = string_end(b, i)? - 1;
    let mut j = i + 1;
    let mut count = 0;
    while j <= end {
        if count == n {
            return Some(j);
        }
        if j == end {
            return None;
        }
        j += if b[j] == b'\\' {
            if b.get(j + 1) == Some(&b'u') {
                6
            } else {
                2
            }
        } else {
            utf8_len(b[j])
        };
        count += 1;
    }
    None
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

#[cfg(test)]
#[path = "location_tests.rs"]
mod tests;
