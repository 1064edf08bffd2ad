//! CloudTrail records as they are read: only the fields the replay needs, borrowed from the
//! file's text where it holds no escapes, every other field skipped unparsed. And the two file
//! shapes that hold them: a log file as delivered to S3 (`{"Records": [...]}`) and the output of
//! `aws cloudtrail lookup-events` (`{"Events": [{"CloudTrailEvent": "<record as a JSON
//! string>"}]}`).
//!
//! Pure: bytes in, records out. A record that does not parse is reported with its position and
//! the others are still read; a file that is not JSON stops at the first syntax error (its
//! position is reported), because nothing after it can be trusted to be delimited correctly.

use std::borrow::Cow;

use serde::de::{self, Deserializer};
use serde::Deserialize;
use serde_json::value::RawValue;

type Text<'a> = Option<Cow<'a, str>>;

/// A string field, or `null`: borrowed from the text when it holds no escape. (`#[serde(borrow)]`
/// borrows only a field whose type is `Cow<str>` itself; through `Option`, serde's `Cow` impl
/// would allocate every field of every record.) Any other JSON value is an error, as before.
fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Cow<'de, str>>, D::Error> {
    struct Str;
    impl<'de> de::Visitor<'de> for Str {
        type Value = Cow<'de, str>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a string")
        }
        fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
            Ok(Cow::Borrowed(v))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Cow::Owned(v.to_owned()))
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
            Ok(Cow::Owned(v))
        }
    }
    struct Opt;
    impl<'de> de::Visitor<'de> for Opt {
        type Value = Option<Cow<'de, str>>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a string or null")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_str(Str).map(Some)
        }
    }
    d.deserialize_option(Opt)
}

/// One CloudTrail record (CloudTrail User Guide, "CloudTrail record contents").
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Record<'a> {
    #[serde(rename = "eventTime", borrow, default, deserialize_with = "text")]
    pub event_time: Text<'a>,
    #[serde(rename = "eventSource", borrow, default, deserialize_with = "text")]
    pub event_source: Text<'a>,
    #[serde(rename = "eventName", borrow, default, deserialize_with = "text")]
    pub event_name: Text<'a>,
    #[serde(rename = "awsRegion", borrow, default, deserialize_with = "text")]
    pub aws_region: Text<'a>,
    #[serde(rename = "sourceIPAddress", borrow, default, deserialize_with = "text")]
    pub source_ip_address: Text<'a>,
    #[serde(rename = "eventID", borrow, default, deserialize_with = "text")]
    pub event_id: Text<'a>,
    #[serde(rename = "eventType", borrow, default, deserialize_with = "text")]
    pub event_type: Text<'a>,
    #[serde(rename = "vpcEndpointId", borrow, default, deserialize_with = "text")]
    pub vpc_endpoint_id: Text<'a>,
    #[serde(rename = "userIdentity", borrow, default)]
    pub user_identity: Option<UserIdentity<'a>>,
    /// A refused or failed call's error (`denials`); absent on success.
    #[serde(rename = "errorCode", borrow, default, deserialize_with = "text")]
    pub error_code: Text<'a>,
    #[serde(rename = "errorMessage", borrow, default, deserialize_with = "text")]
    pub error_message: Text<'a>,
    /// Only `ConsoleLogin`'s `Success`/`Failure` is read (`denials --kind signin`).
    #[serde(
        rename = "responseElements",
        default,
        deserialize_with = "console_login"
    )]
    pub console_login: Option<String>,
}

/// `responseElements.ConsoleLogin` (`Success`/`Failure`) when it is a string; any other shape of
/// `responseElements` (most records: `null` or a service's own object) is skipped, never an error.
fn console_login<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct V;
    impl<'de> de::Visitor<'de> for V {
        type Value = Option<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("responseElements")
        }
        fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut found = None;
            while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                if key == "ConsoleLogin" {
                    found = map
                        .next_value::<serde_json::Value>()?
                        .as_str()
                        .map(str::to_string);
                } else {
                    map.next_value::<de::IgnoredAny>()?;
                }
            }
            Ok(found)
        }
        fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<de::IgnoredAny>()?.is_some() {}
            Ok(None)
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }
    d.deserialize_any(V)
}

/// `userIdentity` (CloudTrail User Guide, "CloudTrail userIdentity element").
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct UserIdentity<'a> {
    #[serde(rename = "type", borrow, default, deserialize_with = "text")]
    pub kind: Text<'a>,
    #[serde(rename = "principalId", borrow, default, deserialize_with = "text")]
    pub principal_id: Text<'a>,
    #[serde(borrow, default, deserialize_with = "text")]
    pub arn: Text<'a>,
    #[serde(rename = "accountId", borrow, default, deserialize_with = "text")]
    pub account_id: Text<'a>,
    #[serde(rename = "userName", borrow, default, deserialize_with = "text")]
    pub user_name: Text<'a>,
    #[serde(rename = "sessionContext", borrow, default)]
    pub session_context: Option<SessionContext<'a>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct SessionContext<'a> {
    #[serde(rename = "sessionIssuer", borrow, default)]
    pub session_issuer: Option<SessionIssuer<'a>>,
    #[serde(default)]
    pub attributes: Option<SessionAttributes>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct SessionIssuer<'a> {
    #[serde(borrow, default, deserialize_with = "text")]
    pub arn: Text<'a>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct SessionAttributes {
    /// `"true"`/`"false"` in records; a JSON boolean is read too.
    #[serde(rename = "mfaAuthenticated", default, deserialize_with = "flag")]
    pub mfa_authenticated: Option<bool>,
}

fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    struct V;
    impl<'de> de::Visitor<'de> for V {
        type Value = Option<bool>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("true or false")
        }
        fn visit_bool<E: de::Error>(self, b: bool) -> Result<Self::Value, E> {
            Ok(Some(b))
        }
        fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
            Ok(match s {
                s if s.eq_ignore_ascii_case("true") => Some(true),
                s if s.eq_ignore_ascii_case("false") => Some(false),
                _ => None,
            })
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }
    d.deserialize_any(V)
}

impl Record<'_> {
    pub fn identity_type(&self) -> Option<&str> {
        self.user_identity.as_ref()?.kind.as_deref()
    }
}

/// Where in a file something went wrong: 1-based line and column, and the record's index
/// (0-based) in `Records` or `Events` when it is about one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
    pub record: Option<usize>,
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {} column {}", self.line, self.column)?;
        if let Some(i) = self.record {
            write!(f, " (record {})", i + 1)?;
        }
        Ok(())
    }
}

/// A problem in one file: the whole file, or one record of it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{position}: {message}")]
pub struct FileProblem {
    pub position: Position,
    pub message: String,
}

#[derive(Deserialize)]
struct LogFile<'a> {
    #[serde(rename = "Records", borrow, default)]
    records: Option<Vec<&'a RawValue>>,
    #[serde(rename = "Events", borrow, default)]
    events: Option<Vec<&'a RawValue>>,
}

#[derive(Deserialize)]
pub(super) struct LookupEvent<'a> {
    #[serde(rename = "CloudTrailEvent", borrow, default)]
    pub(super) cloud_trail_event: Option<Cow<'a, str>>,
}

/// 1-based lines and columns of byte offsets, for offsets met in increasing order (records are
/// read front to back): each call counts the newlines since the previous one only, so the
/// positions of every bad record of a file cost one pass over it, not one pass each (a one-line
/// file of a million bad records took hours when each position was counted from the start).
struct Lines<'t> {
    text: &'t [u8],
    offset: usize,
    line: usize,
    line_start: usize,
}

impl<'t> Lines<'t> {
    fn new(text: &'t [u8]) -> Self {
        Lines {
            text,
            offset: 0,
            line: 1,
            line_start: 0,
        }
    }

    fn at(&mut self, offset: usize, record: Option<usize>) -> Position {
        let offset = offset.min(self.text.len());
        if offset < self.offset {
            // Out of order (not expected): count again from the start.
            *self = Lines::new(self.text);
        }
        let between = &self.text[self.offset..offset];
        for (i, b) in between.iter().enumerate() {
            if *b == b'\n' {
                self.line += 1;
                self.line_start = self.offset + i + 1;
            }
        }
        self.offset = offset;
        Position {
            line: self.line,
            column: offset - self.line_start + 1,
            record,
        }
    }
}

/// The position of an error inside a record, in the file: serde_json counts from the record's
/// start; the message loses its own (relative) position.
fn problem_in(
    text: &[u8],
    lines: &mut Lines<'_>,
    raw: &RawValue,
    index: usize,
    what: &str,
    e: &serde_json::Error,
) -> FileProblem {
    problem_at(lines.at(offset_in(text, raw), Some(index)), what, e)
}

/// A problem at `e`'s position inside an item (record or event) that starts at `start`.
pub(super) fn problem_at(start: Position, what: &str, e: &serde_json::Error) -> FileProblem {
    let index = start.record;
    let position = if e.line() <= 1 {
        Position {
            column: start.column + e.column().saturating_sub(1),
            ..start
        }
    } else {
        Position {
            line: start.line + e.line() - 1,
            column: e.column(),
            record: index,
        }
    };
    FileProblem {
        position,
        message: format!("{what}: {}", without_position(e)),
    }
}

/// serde_json's message without its trailing " at line L column C" (the caller gives the
/// position in the file).
pub(super) fn without_position(e: &serde_json::Error) -> String {
    let message = e.to_string();
    match message.rfind(" at line ") {
        Some(cut) => message[..cut].to_string(),
        None => message,
    }
}

fn offset_in(text: &[u8], raw: &RawValue) -> usize {
    (raw.get().as_ptr() as usize).saturating_sub(text.as_ptr() as usize)
}

/// The most problems kept (with position and message) for one file; the others are counted in
/// [`FileSummary::unlisted`]. A file of a million bad records would otherwise hold a million
/// messages in memory and print them all.
pub const MAX_PROBLEMS_KEPT: usize = 1000;

pub(super) const NO_ARRAY: &str = "not a CloudTrail log file: no \"Records\" (log file) or \"Events\" (lookup-events output) array";

/// What reading one file gave: how many records and which problems.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileSummary {
    pub records: u64,
    /// The first [`MAX_PROBLEMS_KEPT`] problems, in file order.
    pub problems: Vec<FileProblem>,
    /// Problems found after those: counted, not kept.
    pub unlisted: u64,
}

impl FileSummary {
    /// Every problem found, kept or not.
    pub fn problem_count(&self) -> u64 {
        self.problems.len() as u64 + self.unlisted
    }

    /// Keep a problem while there is room; the message is only built for those kept.
    pub(super) fn problem(&mut self, make: impl FnOnce() -> FileProblem) {
        if self.problems.len() < MAX_PROBLEMS_KEPT {
            self.problems.push(make());
        } else {
            self.unlisted += 1;
        }
    }
}

/// Read a log file or a lookup-events document and hand each record to `on_record`. Records
/// that do not parse are reported in the summary; the others are still read. A file that is not
/// JSON, or JSON without `Records` or `Events`, is one problem.
pub fn read_records(text: &[u8], mut on_record: impl FnMut(&Record<'_>)) -> FileSummary {
    // One pass first: records parsed straight from the text, each handed on as it is read.
    // On anything unusual (an `Events` array, a record that does not parse, a syntax error)
    // the careful pass takes over, skipping the records already handed on: the two passes
    // parse a record the same way, so the first `done` records are exactly those.
    let mut done = 0usize;
    // Text that is UTF-8 throughout (every CloudTrail file) is checked once, here, at the speed
    // of memory, and parsed as `str`: strings are then borrowed without a check each (a check
    // per key and value was the largest single cost of a replay). Other bytes are parsed as
    // bytes, as before: strings the replay reads are checked, skipped ones are not.
    let fast = match std::str::from_utf8(text) {
        Ok(s) => fast_pass(
            serde_json::Deserializer::from_str(s),
            &mut on_record,
            &mut done,
        ),
        Err(_) => fast_pass(
            serde_json::Deserializer::from_slice(text),
            &mut on_record,
            &mut done,
        ),
    };
    match fast {
        Ok(true) => FileSummary {
            records: done as u64,
            ..FileSummary::default()
        },
        _ => careful(text, done, on_record),
    }
}

fn fast_pass<'de, R: serde_json::de::Read<'de>, F: FnMut(&Record<'_>)>(
    mut de: serde_json::Deserializer<R>,
    on_record: &mut F,
    done: &mut usize,
) -> serde_json::Result<bool> {
    let r = de::DeserializeSeed::deserialize(FastFile { on_record, done }, &mut de);
    r.and_then(|found| de.end().map(|()| found))
}

/// The one-pass reader of `{"Records": [...]}`: `Ok(true)` when the whole document was read
/// and held a `Records` array; an error (or `false`) hands over to the careful pass.
struct FastFile<'f, F> {
    on_record: &'f mut F,
    done: &'f mut usize,
}

impl<'de, F: FnMut(&Record<'_>)> de::DeserializeSeed<'de> for FastFile<'_, F> {
    type Value = bool;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, F: FnMut(&Record<'_>)> de::Visitor<'de> for FastFile<'_, F> {
    type Value = bool;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a CloudTrail log file")
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let mut found = false;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match key.as_ref() {
                "Records" if !found => {
                    found = true;
                    map.next_value_seed(FastRecords {
                        on_record: &mut *self.on_record,
                        done: &mut *self.done,
                    })?;
                }
                "Events" | "Records" => return Err(de::Error::custom("careful pass")),
                _ => {
                    map.next_value::<de::IgnoredAny>()?;
                }
            }
        }
        Ok(found)
    }
}

struct FastRecords<'f, F> {
    on_record: &'f mut F,
    done: &'f mut usize,
}

impl<'de, F: FnMut(&Record<'_>)> de::DeserializeSeed<'de> for FastRecords<'_, F> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, F: FnMut(&Record<'_>)> de::Visitor<'de> for FastRecords<'_, F> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of records")
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(r) = seq.next_element::<Record<'de>>()? {
            (self.on_record)(&r);
            *self.done += 1;
        }
        Ok(())
    }
}

/// The careful pass: every record on its own, so one bad record is reported with its position
/// and the others are still read. The first `skip` records of `Records` were handed on already.
fn careful(text: &[u8], skip: usize, mut on_record: impl FnMut(&Record<'_>)) -> FileSummary {
    let mut summary = FileSummary {
        records: skip as u64,
        ..FileSummary::default()
    };
    let mut lines = Lines::new(text);
    let file: LogFile = match serde_json::from_slice(text) {
        Ok(f) => f,
        Err(e) => {
            summary.problems.push(FileProblem {
                position: Position {
                    line: e.line(),
                    column: e.column(),
                    record: None,
                },
                message: format!("not a CloudTrail log file: {}", without_position(&e)),
            });
            return summary;
        }
    };
    if file.records.is_none() && file.events.is_none() {
        summary.problems.push(FileProblem {
            position: Position {
                line: 1,
                column: 1,
                record: None,
            },
            message: NO_ARRAY.into(),
        });
    }
    for (i, raw) in file.records.iter().flatten().enumerate().skip(skip) {
        match serde_json::from_str::<Record>(raw.get()) {
            Ok(r) => {
                summary.records += 1;
                on_record(&r);
            }
            Err(e) => {
                summary.problem(|| problem_in(text, &mut lines, raw, i, "record not readable", &e))
            }
        }
    }
    for (i, raw) in file.events.iter().flatten().enumerate() {
        let event = match serde_json::from_str::<LookupEvent>(raw.get()) {
            Ok(LookupEvent {
                cloud_trail_event: Some(inner),
            }) => inner,
            Ok(_) => {
                summary.problem(|| FileProblem {
                    position: lines.at(offset_in(text, raw), Some(i)),
                    message: "event has no CloudTrailEvent string".into(),
                });
                continue;
            }
            Err(e) => {
                summary.problem(|| problem_in(text, &mut lines, raw, i, "event not readable", &e));
                continue;
            }
        };
        match serde_json::from_str::<Record>(&event) {
            Ok(r) => {
                summary.records += 1;
                on_record(&r);
            }
            Err(e) => summary.problem(|| FileProblem {
                position: lines.at(offset_in(text, raw), Some(i)),
                message: format!("CloudTrailEvent not readable: {e}"),
            }),
        }
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> (Vec<String>, FileSummary) {
        let mut ids = Vec::new();
        let s = read_records(text.as_bytes(), |r| {
            ids.push(r.event_id.clone().unwrap_or_default().into_owned())
        });
        (ids, s)
    }

    #[test]
    fn fields_without_escapes_are_borrowed_from_the_text() {
        let text = r#"{"Records":[{"eventID":"a","eventName":"Get\u004fbject","sourceIPAddress":null,"userIdentity":{"arn":"arn:aws:iam::111122223333:user/u","sessionContext":{"sessionIssuer":{"arn":"x"}}}},{"eventID":["not a string"]}]}"#;
        let mut seen = Vec::new();
        let s = read_records(text.as_bytes(), |r| {
            let id = r.user_identity.as_ref().unwrap();
            let issuer = id.session_context.as_ref().unwrap().session_issuer.as_ref();
            seen.push((
                matches!(r.event_id, Some(Cow::Borrowed("a"))),
                matches!(&r.event_name, Some(Cow::Owned(n)) if n == "GetObject"),
                r.source_ip_address.is_none() && r.aws_region.is_none(),
                matches!(id.arn, Some(Cow::Borrowed(_))),
                matches!(issuer.unwrap().arn, Some(Cow::Borrowed("x"))),
            ));
        });
        assert_eq!(seen, [(true, true, true, true, true)]);
        // A field that is neither a string nor null is still the record's error.
        assert_eq!(s.problems.len(), 1, "{:?}", s.problems);
    }

    #[test]
    fn reads_both_shapes_and_ignores_other_fields() {
        let (ids, s) = read(
            r#"{"Records":[{"eventID":"a","requestParameters":{"x":[1,2,{"y":null}]},"userIdentity":{"type":"IAMUser","sessionContext":{"attributes":{"mfaAuthenticated":"true"}}}},{"eventID":"b"}]}"#,
        );
        assert_eq!(ids, ["a", "b"]);
        assert!(s.problems.is_empty());
        let inner = r#"{\"eventID\":\"c\",\"userAgent\":\"x \\\"quoted\\\"\"}"#;
        let (ids, s) = read(&format!(
            r#"{{"Events":[{{"EventId":"c","CloudTrailEvent":"{inner}"}}],"NextToken":"t"}}"#
        ));
        assert_eq!(ids, ["c"]);
        assert!(s.problems.is_empty(), "{:?}", s.problems);
    }

    #[test]
    fn a_bad_record_is_reported_with_its_position_and_the_rest_is_read() {
        let (ids, s) =
            read("{\"Records\":[\n{\"eventID\":\"a\"},\n{\"eventID\":7},\n{\"eventID\":\"c\"}]}");
        assert_eq!(ids, ["a", "c"]);
        assert_eq!(s.problems.len(), 1);
        assert_eq!(
            s.problems[0].position,
            Position {
                line: 3,
                column: 12,
                record: Some(1)
            }
        );
    }

    #[test]
    fn many_bad_records_keep_the_first_problems_with_their_positions_and_count_the_rest() {
        // One line, as CloudTrail writes it: each bad record's column is its offset + 1.
        let bad = r#"{"eventTime":5}"#;
        let n = MAX_PROBLEMS_KEPT + 1500;
        let text = format!("{{\"Records\":[{}]}}", vec![bad; n].join(","));
        let (ids, s) = read(&format!("\n{text}"));
        assert!(ids.is_empty());
        assert_eq!(s.problems.len(), MAX_PROBLEMS_KEPT);
        assert_eq!(s.unlisted, 1500);
        assert_eq!(s.problem_count(), n as u64);
        for (i, p) in s.problems.iter().enumerate() {
            // `{"Records":[` then `bad,` per record; the error is at the value 5 (column 14).
            let start = 13 + i * (bad.len() + 1);
            assert_eq!(
                p.position,
                Position {
                    line: 2,
                    column: start + 13,
                    record: Some(i)
                }
            );
        }
    }

    #[test]
    fn not_json_or_not_cloudtrail_is_one_problem() {
        // A file cut short: the records before the cut are read, once each.
        let (ids, s) = read("{\"Records\":[{\"eventID\":\"a\"},\n{");
        assert_eq!(ids, ["a"]);
        assert_eq!(s.records, 1);
        assert_eq!(s.problems.len(), 1);
        assert_eq!(s.problems[0].position.line, 2);
        let (_, s) = read("{\"Digest\":1}");
        assert!(s.problems[0].message.contains("no \"Records\""));
        let (_, s) = read("");
        assert_eq!(s.problems.len(), 1);
    }

    #[test]
    fn mfa_flag_reads_strings_and_booleans() {
        for (text, want) in [
            ("\"true\"", Some(true)),
            ("false", Some(false)),
            ("null", None),
            ("\"x\"", None),
        ] {
            let json = format!(r#"{{"mfaAuthenticated":{text}}}"#);
            let a: SessionAttributes = serde_json::from_str(&json).unwrap();
            assert_eq!(a.mfa_authenticated, want, "{text}");
        }
    }
}
