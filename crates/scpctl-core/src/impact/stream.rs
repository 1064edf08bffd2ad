//! Records read from a stream (a decompressor), one at a time, for files too large to hold in
//! memory whole: memory stays bounded whatever a file decompresses to. Each record is taken as
//! its raw text (at most [`MAX_STREAMED_ITEM`] bytes) and parsed on its own, so a bad record is
//! reported with its position and the others are still read, as the careful pass does; a
//! syntax error stops the file there, as it does for a file read whole.
//!
//! Pure: the caller hands in any `Read` (bytes already in memory, a decompressor over them).

use std::cell::Cell;
use std::io::Read;

use serde::de::{self, Deserializer};
use serde_json::value::RawValue;

use super::record::{
    problem_at, without_position, FileProblem, FileSummary, LookupEvent, Position, Record, NO_ARRAY,
};

/// The most one record (or key) may take in a streamed file. CloudTrail records are kilobytes
/// (a few hundred at most); a longer one is no record, and holding it would undo the bound.
pub const MAX_STREAMED_ITEM: u64 = 8 << 20;

/// Where the reader is, shared between the reader and the visitors.
#[derive(Default)]
struct State {
    /// Bytes read so far.
    offset: Cell<u64>,
    /// 1-based line of `offset`, and the offset its line starts at.
    line: Cell<usize>,
    line_start: Cell<u64>,
    /// Reading past this offset fails (the current item is too long); `None`: no bound (bytes
    /// skipped unparsed are not held).
    limit: Cell<Option<u64>>,
    /// Set by [`State::arm`]: the next byte that is not whitespace or a separator starts an item;
    /// its position is kept in `start`.
    seeking: Cell<bool>,
    /// Line and offset of the item's first byte, and the offset its line starts at.
    start: Cell<(usize, u64)>,
    start_line_start: Cell<u64>,
}

impl State {
    /// Before a key or an element: bound its length, and note where it starts.
    fn arm(&self) {
        self.limit
            .set(Some(self.offset.get().saturating_add(MAX_STREAMED_ITEM)));
        self.seeking.set(true);
    }

    /// Before a value skipped unparsed: no bound.
    fn unbound(&self) {
        self.limit.set(None);
        self.seeking.set(false);
    }

    /// The position where the last item started.
    fn start(&self, record: usize) -> Position {
        let (line, offset) = self.start.get();
        let line_start = self.start_line_start.get();
        Position {
            line,
            column: (offset - line_start) as usize + 1,
            record: Some(record),
        }
    }
}

/// A reader that counts lines and bounds item lengths (serde_json reads a byte at a time from
/// a reader, so each byte passes here once).
struct Counted<'s, R> {
    inner: R,
    state: &'s State,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let s = self.state;
        let mut want = buf.len();
        if let Some(limit) = s.limit.get() {
            let room = limit.saturating_sub(s.offset.get());
            if room == 0 && want > 0 {
                return Err(std::io::Error::other(format!(
                    "a record or key longer than {} MiB, far more than a CloudTrail record holds",
                    MAX_STREAMED_ITEM >> 20
                )));
            }
            want = want.min(usize::try_from(room).unwrap_or(usize::MAX));
        }
        let n = self.inner.read(&mut buf[..want])?;
        for &b in &buf[..n] {
            let at = s.offset.get();
            if s.seeking.get() && !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b',') {
                s.seeking.set(false);
                s.start.set((s.line.get(), at));
                s.start_line_start.set(s.line_start.get());
            }
            if b == b'\n' {
                s.line.set(s.line.get() + 1);
                s.line_start.set(at + 1);
            }
            s.offset.set(at + 1);
        }
        Ok(n)
    }
}

/// Read a log file or a lookup-events document from `reader`, handing each record to
/// `on_record` as it is read, holding one record at a time. The same summary as
/// [`super::read_records`] gives for the same bytes, but records before a syntax error have
/// been handed on already.
pub fn read_records_from(reader: impl Read, mut on_record: impl FnMut(&Record<'_>)) -> FileSummary {
    let state = State {
        line: Cell::new(1),
        ..State::default()
    };
    let mut summary = FileSummary::default();
    let mut de = serde_json::Deserializer::from_reader(Counted {
        inner: reader,
        state: &state,
    });
    let read = de::DeserializeSeed::deserialize(
        StreamFile {
            on_record: &mut on_record,
            summary: &mut summary,
            state: &state,
        },
        &mut de,
    );
    // Trailing whitespace is not an item: no bound.
    state.unbound();
    match read.and_then(|found| de.end().map(|()| found)) {
        Ok(true) => {}
        Ok(false) => summary.problem(|| FileProblem {
            position: Position {
                line: 1,
                column: 1,
                record: None,
            },
            message: NO_ARRAY.into(),
        }),
        Err(e) => summary.problem(|| FileProblem {
            position: Position {
                line: e.line(),
                column: e.column(),
                record: None,
            },
            message: if e.is_io() {
                format!("not read past this point: {}", without_position(&e))
            } else {
                format!("not a CloudTrail log file: {}", without_position(&e))
            },
        }),
    }
    summary
}

struct StreamFile<'f, F> {
    on_record: &'f mut F,
    summary: &'f mut FileSummary,
    state: &'f State,
}

impl<'de, F: FnMut(&Record<'_>)> de::DeserializeSeed<'de> for StreamFile<'_, F> {
    type Value = bool;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, F: FnMut(&Record<'_>)> de::Visitor<'de> for StreamFile<'_, F> {
    type Value = bool;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a CloudTrail log file")
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let (mut records, mut events) = (false, false);
        loop {
            self.state.arm();
            let Some(key) = map.next_key::<String>()? else {
                break;
            };
            let events_array = match key.as_str() {
                "Records" if !records => false,
                "Events" if !events => true,
                "Records" | "Events" => {
                    return Err(de::Error::custom(format_args!("duplicate field `{key}`")))
                }
                _ => {
                    self.state.unbound();
                    map.next_value::<de::IgnoredAny>()?;
                    continue;
                }
            };
            records |= !events_array;
            events |= events_array;
            map.next_value_seed(StreamItems {
                on_record: &mut *self.on_record,
                summary: &mut *self.summary,
                state: self.state,
                events: events_array,
            })?;
        }
        Ok(records || events)
    }
}

struct StreamItems<'f, F> {
    on_record: &'f mut F,
    summary: &'f mut FileSummary,
    state: &'f State,
    /// `Events` (lookup-events output) rather than `Records`.
    events: bool,
}

impl<'de, F: FnMut(&Record<'_>)> de::DeserializeSeed<'de> for StreamItems<'_, F> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, F: FnMut(&Record<'_>)> de::Visitor<'de> for StreamItems<'_, F> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of records")
    }
    fn visit_seq<A: de::SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0usize;
        loop {
            self.state.arm();
            let Some(raw) = seq.next_element::<Box<RawValue>>()? else {
                break;
            };
            let start = self.state.start(index);
            if self.events {
                self.event(&raw, start);
            } else {
                match serde_json::from_str::<Record>(raw.get()) {
                    Ok(r) => {
                        self.summary.records += 1;
                        (self.on_record)(&r);
                    }
                    Err(e) => self
                        .summary
                        .problem(|| problem_at(start, "record not readable", &e)),
                }
            }
            index += 1;
        }
        Ok(())
    }
}

impl<F: FnMut(&Record<'_>)> StreamItems<'_, F> {
    fn event(&mut self, raw: &RawValue, start: Position) {
        let inner = match serde_json::from_str::<LookupEvent>(raw.get()) {
            Ok(LookupEvent {
                cloud_trail_event: Some(inner),
            }) => inner,
            Ok(_) => {
                self.summary.problem(|| FileProblem {
                    position: start,
                    message: "event has no CloudTrailEvent string".into(),
                });
                return;
            }
            Err(e) => {
                self.summary
                    .problem(|| problem_at(start, "event not readable", &e));
                return;
            }
        };
        match serde_json::from_str::<Record>(&inner) {
            Ok(r) => {
                self.summary.records += 1;
                (self.on_record)(&r);
            }
            Err(e) => self.summary.problem(|| FileProblem {
                position: start,
                message: format!("CloudTrailEvent not readable: {e}"),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::impact::read_records;

    fn both(text: &str) -> (Vec<String>, FileSummary, Vec<String>, FileSummary) {
        let mut whole = Vec::new();
        let a = read_records(text.as_bytes(), |r| {
            whole.push(r.event_id.clone().unwrap_or_default().into_owned())
        });
        let mut streamed = Vec::new();
        let b = read_records_from(text.as_bytes(), |r| {
            streamed.push(r.event_id.clone().unwrap_or_default().into_owned())
        });
        (whole, a, streamed, b)
    }

    #[test]
    fn streamed_records_and_problems_match_the_whole_file_reader() {
        let inner = r#"{\"eventID\":\"c\"}"#;
        for text in [
            r#"{"Records":[{"eventID":"a","requestParameters":{"x":[1,{"y":null}]}},{"eventID":"b"}]}"#.to_string(),
            "{\"Records\":[\n{\"eventID\":\"a\"},\n  {\"eventID\":7},\n{\"eventID\":\"c\"}]}".to_string(),
            "{\"Records\": [ {\"eventID\":\"a\"} , {\n\"eventID\":\n7} ,5, {\"eventTime\":5}]}".to_string(),
            format!(r#"{{"Events":[{{"EventId":"c","CloudTrailEvent":"{inner}"}},{{"x":1}},{{"CloudTrailEvent":"{{"}}],"NextToken":"t"}}"#),
            "{\"Digest\":1}".to_string(),
            "{\"Other\":[1,2,3],\"Records\":[{\"eventID\":\"a\"}]}".to_string(),
        ] {
            let (whole, a, streamed, b) = both(&text);
            assert_eq!(whole, streamed, "{text}");
            assert_eq!(a, b, "{text}");
        }
    }

    #[test]
    fn a_syntax_error_keeps_the_records_before_it() {
        let (_, _, streamed, b) = both("{\"Records\":[{\"eventID\":\"a\"},\n{");
        assert_eq!(streamed, ["a"]);
        assert_eq!(b.records, 1);
        assert_eq!(b.problems.len(), 1);
        assert_eq!(b.problems[0].position.line, 2);
        let (_, _, _, b) = both("\0\0\0\0");
        assert!(b.problems[0].message.contains("not a CloudTrail log file"));
    }

    #[test]
    fn a_record_longer_than_the_bound_stops_the_file_without_holding_it() {
        let long = "x".repeat(MAX_STREAMED_ITEM as usize + 10);
        let text = format!(r#"{{"Records":[{{"eventID":"a"}},{{"eventID":"{long}"}}]}}"#);
        let mut ids = 0;
        let s = read_records_from(text.as_bytes(), |_| ids += 1);
        assert_eq!(ids, 1);
        assert_eq!(s.problems.len(), 1, "{:?}", s.problems);
        assert!(
            s.problems[0].message.contains("longer than 8 MiB"),
            "{}",
            s.problems[0].message
        );
        // A long value of another field is skipped, not held, and not refused.
        let text = format!(r#"{{"Other":"{long}","Records":[{{"eventID":"a"}}]}}"#);
        let s = read_records_from(text.as_bytes(), |_| {});
        assert_eq!((s.records, s.problems.len()), (1, 0));
    }
}
