//! Cutting a `{"Records":[...]}` document into one byte slice per record,
//! from a stream, holding at most one record plus one read chunk in memory.
//! The pass that delimits each record also finds where one key (the
//! prefilter's `"eventName"`) occurs in it, so each record arrives with the
//! positions of that key inside it.
//!
//! A record over the size or depth cap is skipped to its end (followed by a
//! [`RecordWalker`] with an unbounded depth counter, and not buffered) and
//! reported as a [`SkippedRecord`] named from its bytes; the records after
//! it are read as usual. Only damage to the document itself ends it.

use std::io::{self, Read};

use crate::peek::{RecordHead, RecordWalker};
use crate::structure::{KeyPattern, ObjectScanner, Progress, StructureError};

/// Bytes asked of the source per read.
const CHUNK: usize = 256 * 1024;

/// Why a document could not be cut into records (past the records read).
#[derive(Debug)]
pub(crate) enum SplitError {
    Io(io::Error),
    Empty,
    DecompressedTooLarge { limit: u64 },
    NotRecordsDocument { offset: u64, expected: &'static str },
    Truncated { records: u64 },
    RecordNotObject { index: u64 },
    Mismatched { index: u64 },
}

/// Why a record was skipped rather than read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// Larger than the record-size cap.
    TooLarge {
        /// The cap in force, in bytes.
        limit: usize,
    },
    /// Nested deeper than the depth cap.
    TooDeep {
        /// The cap in force, in levels.
        limit: u32,
    },
    /// Delimited, but the parser rejected it.
    InvalidJson(String),
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SkipReason::TooLarge { limit } => write!(f, "larger than {limit} bytes"),
            SkipReason::TooDeep { limit } => write!(f, "nests deeper than {limit} levels"),
            SkipReason::InvalidJson(why) => write!(f, "not valid JSON ({why})"),
        }
    }
}

/// A record that was not evaluated, with what its first bytes say of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedRecord {
    /// Zero-based index in the file's `Records` (messages count from 1).
    pub index: u64,
    /// Offset of its opening brace in the decompressed document.
    pub offset: u64,
    /// Why it was skipped.
    pub reason: SkipReason,
    /// The fields found in the bytes seen before it was skipped.
    pub head: RecordHead,
}

impl std::fmt::Display for SkippedRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "record {} (at byte {}", self.index + 1, self.offset)?;
        let named = [
            ("eventID", &self.head.event_id),
            ("eventSource", &self.head.event_source),
            ("eventName", &self.head.event_name),
        ];
        for (field, value) in named {
            if let Some(value) = value {
                write!(f, ", {field} {value}")?;
            }
        }
        write!(f, ") skipped: {}", self.reason)
    }
}

/// What the reader yields: a record to evaluate, or one it skipped.
pub(crate) enum Item<'a> {
    Record(Record<'a>),
    /// Boxed: records are the common case and stay small.
    Skipped(Box<SkippedRecord>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    RootOpen,
    RecordsKey,
    Colon,
    ArrayOpen,
    FirstElementOrEnd,
    Element,
    CommaOrEnd,
    RootClose,
    Trailing,
    Done,
    /// Following a skipped record to its end.
    Skipping,
    /// The document broke while a record was skipped: the skipped record
    /// was reported, the error comes next.
    Failed,
}

/// Limits that bound what one document may make the reader hold.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SplitLimits {
    pub max_decompressed_bytes: u64,
    pub max_record_bytes: usize,
    pub max_depth: u32,
}

/// One record: its bytes, where the reader's key occurs in them, and the
/// offset of its first byte in the decompressed document.
pub(crate) struct Record<'a> {
    pub bytes: &'a [u8],
    pub key_at: &'a [usize],
    pub offset: u64,
}

/// Streaming record reader over any byte source (a decoder, a file, or
/// nothing when the whole document is already in `buf`).
pub(crate) struct RecordReader<R> {
    source: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    phase: Phase,
    /// Delimits the current record (reused from record to record).
    object: ObjectScanner,
    /// Whether `object` is partway through a record.
    in_object: bool,
    limits: SplitLimits,
    bytes_in: u64,
    records: u64,
    /// The record being skipped, in `Phase::Skipping`.
    skipping: Option<Skipping>,
    /// The error that ended the document, in `Phase::Failed`.
    failure: Option<SplitError>,
}

/// A record being followed to its end.
struct Skipping {
    index: u64,
    offset: u64,
    reason: SkipReason,
    walker: RecordWalker,
}

impl RecordReader<io::Empty> {
    /// Reads a document already in memory: the first `len` bytes of `buf`,
    /// reporting where `key` occurs in each record.
    pub(crate) fn whole(buf: Vec<u8>, len: usize, limits: SplitLimits, key: KeyPattern) -> Self {
        RecordReader {
            source: io::empty(),
            buf,
            start: 0,
            end: len,
            eof: true,
            phase: Phase::RootOpen,
            object: ObjectScanner::new(limits.max_depth, key),
            in_object: false,
            limits,
            bytes_in: len as u64,
            records: 0,
            skipping: None,
            failure: None,
        }
    }
}

impl<R: Read> RecordReader<R> {
    /// Reads the document from `source`, reusing `buf`'s allocation and
    /// reporting where `key` occurs in each record.
    pub(crate) fn streaming(
        source: R,
        mut buf: Vec<u8>,
        limits: SplitLimits,
        key: KeyPattern,
    ) -> Self {
        buf.clear();
        RecordReader {
            source,
            buf,
            start: 0,
            end: 0,
            eof: false,
            phase: Phase::RootOpen,
            object: ObjectScanner::new(limits.max_depth, key),
            in_object: false,
            limits,
            bytes_in: 0,
            records: 0,
            skipping: None,
            failure: None,
        }
    }

    /// Bytes of document seen so far.
    pub(crate) fn bytes_in(&self) -> u64 {
        self.bytes_in
    }

    /// Gives the buffer back for reuse.
    pub(crate) fn into_buffer(self) -> Vec<u8> {
        self.buf
    }

    /// The next record or skipped record, `None` at the end of a well-formed
    /// document. After a skipped record, reading goes on with the next one.
    pub(crate) fn next_record(&mut self) -> Result<Option<Item<'_>>, SplitError> {
        loop {
            match self.phase {
                Phase::Done => return Ok(None),
                Phase::Element => {
                    if let Some(range) = self.scan_element()? {
                        return Ok(Some(Item::Record(Record {
                            offset: self.offset() - range.len() as u64,
                            bytes: &self.buf[range],
                            key_at: self.object.key_at(),
                        })));
                    }
                }
                Phase::Skipping => {
                    let outcome = self.skip_rest();
                    let skip = self.skipping.take().expect("set with Phase::Skipping");
                    let skipped = SkippedRecord {
                        index: skip.index,
                        offset: skip.offset,
                        reason: skip.reason,
                        head: skip.walker.into_head(),
                    };
                    match outcome {
                        Ok(()) => {
                            self.records += 1;
                            self.phase = Phase::CommaOrEnd;
                        }
                        Err(e) => {
                            self.failure = Some(e);
                            self.phase = Phase::Failed;
                        }
                    }
                    return Ok(Some(Item::Skipped(Box::new(skipped))));
                }
                Phase::Failed => {
                    self.phase = Phase::Done;
                    return Err(self.failure.take().expect("set with Phase::Failed"));
                }
                Phase::Trailing => {
                    if self.skip_whitespace()? {
                        return Err(self.unexpected("end of document after `}`"));
                    }
                    self.phase = Phase::Done;
                }
                phase => {
                    if !self.skip_whitespace()? {
                        return Err(if self.bytes_in == 0 {
                            SplitError::Empty
                        } else {
                            SplitError::Truncated {
                                records: self.records,
                            }
                        });
                    }
                    self.advance_punctuation(phase)?;
                }
            }
        }
    }

    fn advance_punctuation(&mut self, phase: Phase) -> Result<(), SplitError> {
        let byte = self.buf[self.start];
        let (next, expected) = match (phase, byte) {
            (Phase::RootOpen, b'{') => (Phase::RecordsKey, ""),
            (Phase::RootOpen, _) => (phase, "`{` opening a CloudTrail log document"),
            (Phase::RecordsKey, b'"') => {
                const KEY: &[u8] = b"\"Records\"";
                if !self.ensure(KEY.len())? || &self.buf[self.start..self.start + KEY.len()] != KEY
                {
                    return Err(self.unexpected("the key \"Records\""));
                }
                self.start += KEY.len() - 1;
                (Phase::Colon, "")
            }
            (Phase::RecordsKey, _) => (phase, "the key \"Records\""),
            (Phase::Colon, b':') => (Phase::ArrayOpen, ""),
            (Phase::Colon, _) => (phase, "`:` after \"Records\""),
            (Phase::ArrayOpen, b'[') => (Phase::FirstElementOrEnd, ""),
            (Phase::ArrayOpen, _) => (phase, "`[`: \"Records\" must be an array"),
            (Phase::FirstElementOrEnd | Phase::CommaOrEnd, b']') => (Phase::RootClose, ""),
            (Phase::FirstElementOrEnd, _) => {
                self.phase = Phase::Element;
                return Ok(());
            }
            (Phase::CommaOrEnd, b',') => (Phase::Element, ""),
            (Phase::CommaOrEnd, _) => (phase, "`,` or `]` after a record"),
            (Phase::RootClose, b'}') => (Phase::Trailing, ""),
            (Phase::RootClose, _) => (phase, "`}` closing the document"),
            (
                Phase::Element | Phase::Trailing | Phase::Done | Phase::Skipping | Phase::Failed,
                _,
            ) => {
                unreachable!("handled by caller")
            }
        };
        if !expected.is_empty() {
            return Err(self.unexpected(expected));
        }
        self.start += 1;
        self.phase = next;
        Ok(())
    }

    /// Scans the record starting at `start`: its range once complete, or
    /// `None` when more bytes are needed or the record is to be skipped.
    fn scan_element(&mut self) -> Result<Option<std::ops::Range<usize>>, SplitError> {
        let index = self.records;
        if !self.in_object {
            if !self.skip_whitespace()? {
                return Err(SplitError::Truncated {
                    records: self.records,
                });
            }
            if self.buf[self.start] != b'{' {
                return Err(SplitError::RecordNotObject { index });
            }
            self.object.reset();
            self.in_object = true;
        }
        // Show the scanner whole blocks up to just past the size cap, so that
        // a record is judged on the same bytes whether the document is
        // streamed or held whole.
        let window_end = self.start + (self.limits.max_record_bytes + 1).next_multiple_of(64);
        let visible_end = self.end.min(window_end);
        // Only at the very end of the input is a partial block scanned.
        let input_final = self.eof && visible_end == self.end;
        let progress = self
            .object
            .scan(&self.buf[self.start..visible_end], input_final);
        let too_large = SkipReason::TooLarge {
            limit: self.limits.max_record_bytes,
        };
        match progress {
            Err(StructureError::Mismatched) => Err(SplitError::Mismatched { index }),
            Err(StructureError::TooDeep) => {
                let limit = self.limits.max_depth;
                self.begin_skip(index, SkipReason::TooDeep { limit });
                Ok(None)
            }
            Ok(Progress::Complete(last)) if last >= self.limits.max_record_bytes => {
                self.begin_skip(index, too_large);
                Ok(None)
            }
            Ok(Progress::Complete(last)) => {
                let range = self.start..self.start + last + 1;
                self.start = range.end;
                self.in_object = false;
                self.records += 1;
                self.phase = Phase::CommaOrEnd;
                Ok(Some(range))
            }
            Ok(Progress::NeedMore(_)) if visible_end == window_end => {
                self.begin_skip(index, too_large);
                Ok(None)
            }
            Ok(Progress::NeedMore(_)) if self.eof => Err(SplitError::Truncated {
                records: self.records,
            }),
            Ok(Progress::NeedMore(_)) => {
                self.fill()?;
                Ok(None)
            }
        }
    }

    /// Switches to following the record at `start` to its end, from its
    /// first byte, to report it as skipped.
    fn begin_skip(&mut self, index: u64, reason: SkipReason) {
        self.skipping = Some(Skipping {
            index,
            offset: self.offset(),
            reason,
            walker: RecordWalker::new(),
        });
        self.in_object = false;
        self.phase = Phase::Skipping;
    }

    /// Offset of `start` in the decompressed document.
    fn offset(&self) -> u64 {
        self.bytes_in - (self.end - self.start) as u64
    }

    /// Feeds the skipped record to its walker up to its closing byte,
    /// discarding what was read.
    fn skip_rest(&mut self) -> Result<(), SplitError> {
        loop {
            let walker = &mut self.skipping.as_mut().expect("skipping").walker;
            if let Some(close) = walker.feed(&self.buf[self.start..self.end]) {
                self.start += close + 1;
                return Ok(());
            }
            self.start = self.end;
            if self.eof {
                return Err(SplitError::Truncated {
                    records: self.records,
                });
            }
            self.fill()?;
        }
    }

    /// Skips whitespace; false when the document ended first.
    fn skip_whitespace(&mut self) -> Result<bool, SplitError> {
        loop {
            while self.start < self.end {
                if !matches!(self.buf[self.start], b' ' | b'\n' | b'\r' | b'\t') {
                    return Ok(true);
                }
                self.start += 1;
            }
            if self.eof {
                return Ok(false);
            }
            self.fill()?;
        }
    }

    /// Makes sure `n` bytes are buffered from `start`; false at end of input.
    fn ensure(&mut self, n: usize) -> Result<bool, SplitError> {
        while self.end - self.start < n {
            if self.eof {
                return Ok(false);
            }
            self.fill()?;
        }
        Ok(true)
    }

    /// Reads more bytes after `end`, compacting or growing the buffer first.
    fn fill(&mut self) -> Result<(), SplitError> {
        if self.start > 0 && (self.start == self.end || self.buf.len() - self.end < CHUNK) {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.buf.len() - self.end < CHUNK {
            self.buf.resize(self.end + CHUNK, 0);
        }
        let read = loop {
            match self.source.read(&mut self.buf[self.end..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(SplitError::Io(e)),
            }
        };
        if read == 0 {
            self.eof = true;
        }
        self.end += read;
        self.bytes_in += read as u64;
        if self.bytes_in > self.limits.max_decompressed_bytes {
            return Err(SplitError::DecompressedTooLarge {
                limit: self.limits.max_decompressed_bytes,
            });
        }
        Ok(())
    }

    fn unexpected(&self, expected: &'static str) -> SplitError {
        SplitError::NotRecordsDocument {
            offset: self.offset(),
            expected,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const KEY_BYTES: &[u8] = b"\"k\"";
    const KEY: KeyPattern = KeyPattern::new(KEY_BYTES);

    fn limits() -> SplitLimits {
        SplitLimits {
            max_decompressed_bytes: 1 << 30,
            max_record_bytes: 1 << 20,
            max_depth: 64,
        }
    }

    /// A reader that hands out at most `step` bytes per call.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }
    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(out.len()).min(self.data.len());
            out[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    /// What the reader yielded, in order: records' bytes, or what was skipped.
    #[derive(Debug, PartialEq)]
    #[allow(clippy::large_enum_variant)] // test data
    enum Out {
        Record(Vec<u8>),
        Skipped(SkippedRecord),
    }

    fn split_items(doc: &[u8], step: usize, limits: SplitLimits) -> (Vec<Out>, Option<SplitError>) {
        let mut reader =
            RecordReader::streaming(Trickle { data: doc, step }, Vec::new(), limits, KEY);
        let mut out = Vec::new();
        loop {
            match reader.next_record() {
                Ok(Some(Item::Record(record))) => {
                    // The key positions agree with a plain search of the record.
                    let expected: Vec<usize> = (0..record.bytes.len())
                        .filter(|&i| record.bytes[i..].starts_with(KEY_BYTES))
                        .collect();
                    assert_eq!(record.key_at, &expected[..]);
                    // The offset is where the record stands in the document.
                    let at = record.offset as usize;
                    assert_eq!(&doc[at..at + record.bytes.len()], record.bytes);
                    out.push(Out::Record(record.bytes.to_vec()));
                }
                Ok(Some(Item::Skipped(skipped))) => out.push(Out::Skipped(*skipped)),
                Ok(None) => return (out, None),
                Err(e) => return (out, Some(e)),
            }
        }
    }

    /// The records of a document, which must have no skipped record.
    fn split(doc: &[u8], step: usize) -> Result<Vec<Vec<u8>>, SplitError> {
        let (items, error) = split_items(doc, step, limits());
        if let Some(error) = error {
            return Err(error);
        }
        Ok(items
            .into_iter()
            .map(|item| match item {
                Out::Record(bytes) => bytes,
                Out::Skipped(s) => panic!("unexpected skip: {s}"),
            })
            .collect())
    }

    #[test]
    fn splits_compact_and_pretty_documents() {
        let doc = br#"{"Records":[{"a":"}{"},{"b":[{"c":"\\\""}]}]}"#;
        let records = split(doc, 3).unwrap();
        assert_eq!(
            records,
            vec![
                br#"{"a":"}{"}"#.to_vec(),
                br#"{"b":[{"c":"\\\""}]}"#.to_vec()
            ]
        );
        let pretty = b"\n{ \"Records\" : [\n  {\"x\": 1} ,\n  {\"y\": 2}\n ]\n}\n";
        assert_eq!(split(pretty, 5).unwrap().len(), 2);
        assert!(split(br#"{"Records":[]}"#, 64).unwrap().is_empty());
    }

    #[test]
    fn rejects_what_is_not_a_records_document() {
        let cases: &[(&[u8], &str)] = &[
            (b"", "Empty"),
            (b"   ", "Truncated"),
            (br#"{"foo":1}"#, "NotRecordsDocument"),
            (br#"[{"a":1}]"#, "NotRecordsDocument"),
            (br#"{"Records":{}}"#, "NotRecordsDocument"),
            (br#"{"Records":[1]}"#, "RecordNotObject"),
            (br#"{"Records":[{"a":1}"#, "Truncated"),
            (br#"{"Records":[{"a":"1}]}"#, "Truncated"),
            (br#"{"Records":[{"a":1}]}}"#, "NotRecordsDocument"),
            (br#"{"Records":[{"a":1} {"b":2}]}"#, "NotRecordsDocument"),
            (br#"{"Records":[{"a":[1}]}"#, "Mismatched"),
        ];
        for (doc, want) in cases {
            let err = split(doc, 4).expect_err(std::str::from_utf8(doc).unwrap());
            assert!(format!("{err:?}").starts_with(want), "{err:?} for {doc:?}");
        }
    }

    /// Each way through the reader (held whole, streamed at several read
    /// sizes) yields the same items and error.
    fn split_every_way(doc: &[u8], limits: SplitLimits) -> (Vec<Out>, Option<String>) {
        let whole = {
            let mut reader = RecordReader::whole(doc.to_vec(), doc.len(), limits, KEY);
            let mut out = Vec::new();
            let error = loop {
                match reader.next_record() {
                    Ok(Some(Item::Record(r))) => out.push(Out::Record(r.bytes.to_vec())),
                    Ok(Some(Item::Skipped(s))) => out.push(Out::Skipped(*s)),
                    Ok(None) => break None,
                    Err(e) => break Some(format!("{e:?}")),
                }
            };
            (out, error)
        };
        for step in [1, 7, 64, 4096, 1 << 20] {
            let (items, error) = split_items(doc, step, limits);
            assert_eq!(items, whole.0, "step {step}");
            assert_eq!(error.map(|e| format!("{e:?}")), whole.1, "step {step}");
        }
        whole
    }

    fn skipped(items: &[Out]) -> Vec<&SkippedRecord> {
        items
            .iter()
            .filter_map(|item| match item {
                Out::Skipped(s) => Some(s),
                Out::Record(_) => None,
            })
            .collect()
    }

    fn records(items: &[Out]) -> Vec<&[u8]> {
        items
            .iter()
            .filter_map(|item| match item {
                Out::Record(r) => Some(r.as_slice()),
                Out::Skipped(_) => None,
            })
            .collect()
    }

    const AFTER: &str = r#"{"eventName":"PutBucketAcl","k":"after"}"#;

    /// A record over the size cap is skipped, named, and the next one read.
    #[test]
    fn an_oversized_record_is_skipped_and_the_next_one_read() {
        let small = SplitLimits {
            max_record_bytes: 1000,
            ..limits()
        };
        for filler in [990, 1000, 5000, 3 << 20] {
            let big = format!(
                r#"{{"eventID":"big-1","eventSource":"s3.amazonaws.com","eventName":"PutBucketPolicy","p":"{}"}}"#,
                "x".repeat(filler)
            );
            let doc = format!(r#"{{"Records":[{{"a":1}},{big} , {AFTER}]}}"#);
            let (items, error) = split_every_way(doc.as_bytes(), small);
            assert!(error.is_none(), "{error:?}");
            assert_eq!(
                records(&items),
                [br#"{"a":1}"#.as_slice(), AFTER.as_bytes()]
            );
            let skipped = skipped(&items);
            assert_eq!(skipped.len(), 1);
            let skip = skipped[0];
            assert_eq!(skip.index, 1);
            assert_eq!(
                skip.offset as usize,
                doc.find(r#"{"eventID":"big-1""#).unwrap()
            );
            assert_eq!(skip.reason, SkipReason::TooLarge { limit: 1000 });
            assert_eq!(skip.head.event_id.as_deref(), Some("big-1"));
            assert_eq!(skip.head.event_name.as_deref(), Some("PutBucketPolicy"));
            assert_eq!(skip.head.event_source.as_deref(), Some("s3.amazonaws.com"));
        }
    }

    /// Depth exactly at the cap is read; one more level is skipped, however
    /// deep it goes past the reader's 128-level bit stack.
    #[test]
    fn depth_at_below_and_above_the_cap() {
        // A record of `levels` nested containers, the record itself included.
        let nested = |levels: usize| {
            format!(
                r#"{{"eventName":"PutBucketAcl","n":{}1{}}}"#,
                "[".repeat(levels - 1),
                "]".repeat(levels - 1)
            )
        };
        for cap in [1u32, 2, 63, 64, 65, 127, 128] {
            let limits = SplitLimits {
                max_depth: cap,
                ..limits()
            };
            for levels in [cap as usize - 1, cap as usize, cap as usize + 1, 100_000] {
                if levels < 2 {
                    continue;
                }
                let doc = format!(r#"{{"Records":[{},{AFTER}]}}"#, nested(levels));
                let (items, error) = split_every_way(doc.as_bytes(), limits);
                assert!(error.is_none(), "cap {cap}, levels {levels}: {error:?}");
                assert_eq!(records(&items).last(), Some(&AFTER.as_bytes()));
                let skipped = skipped(&items);
                if levels <= cap as usize {
                    assert!(skipped.is_empty(), "cap {cap}, levels {levels}");
                } else {
                    assert_eq!(skipped.len(), 1, "cap {cap}, levels {levels}");
                    assert_eq!(skipped[0].reason, SkipReason::TooDeep { limit: cap });
                    assert_eq!(skipped[0].head.event_name.as_deref(), Some("PutBucketAcl"));
                }
            }
        }
    }

    /// Strings inside a skipped record hide nothing: escaped quotes,
    /// backslash runs and brackets in strings do not end it early.
    #[test]
    fn a_skipped_record_ends_where_its_json_ends() {
        let tricky = format!(
            r#"{{"eventName":"PutBucketAcl","a":"{}","b":"\\","c":"}}]{{[","d":{}{}}}"#,
            "\"".repeat(100_000),
            "[".repeat(200),
            "]".repeat(200)
        );
        let doc = format!(r#"{{"Records":[{tricky},{AFTER}]}}"#);
        for limits in [
            SplitLimits {
                max_record_bytes: 4096,
                ..limits()
            },
            limits(),
        ] {
            let (items, error) = split_every_way(doc.as_bytes(), limits);
            assert!(error.is_none(), "{error:?}");
            assert_eq!(records(&items), [AFTER.as_bytes()]);
            assert_eq!(skipped(&items).len(), 1);
        }
    }

    /// Damage inside or after a skipped record is still damage to the file.
    #[test]
    fn damage_around_a_skipped_record_ends_the_document() {
        let small = SplitLimits {
            max_record_bytes: 64,
            ..limits()
        };
        let big = format!(r#"{{"eventName":"X","p":"{}"}}"#, "y".repeat(300));
        let cases = [
            (format!(r#"{{"Records":[{big}"#), "Truncated"),
            (
                format!(r#"{{"Records":[{big} {AFTER}]}}"#),
                "NotRecordsDocument",
            ),
            // Cut inside the skipped record, past the window the scanner sees.
            (format!(r#"{{"Records":[{}"#, &big[..250]), "Truncated"),
        ];
        for (doc, want) in cases {
            let (items, error) = split_every_way(doc.as_bytes(), small);
            assert_eq!(skipped(&items).len(), 1, "{doc}");
            assert!(
                error.as_deref().unwrap_or_default().starts_with(want),
                "{error:?}"
            );
        }
    }

    /// Memory stays bounded while a huge record is skipped: the buffer
    /// holds one window and a read chunk, not the record.
    #[test]
    fn skipping_does_not_buffer_the_record() {
        let huge = format!(r#"{{"p":"{}"}}"#, "z".repeat(64 << 20));
        let doc = format!(r#"{{"Records":[{huge},{AFTER}]}}"#);
        let mut reader = RecordReader::streaming(
            doc.as_bytes(),
            Vec::new(),
            SplitLimits {
                max_record_bytes: 1 << 16,
                ..limits()
            },
            KEY,
        );
        assert!(matches!(reader.next_record(), Ok(Some(Item::Skipped(_)))));
        assert!(matches!(reader.next_record(), Ok(Some(Item::Record(_)))));
        assert!(matches!(reader.next_record(), Ok(None)));
        assert!(reader.into_buffer().capacity() < 4 << 20);
    }

    #[test]
    fn bounds_the_total() {
        let big = format!(r#"{{"Records":[{{"a":"{}"}}]}}"#, "x".repeat(2 << 20));
        let mut reader = RecordReader::streaming(
            big.as_bytes(),
            Vec::new(),
            SplitLimits {
                max_decompressed_bytes: 1000,
                ..limits()
            },
            KEY,
        );
        assert!(matches!(
            reader.next_record(),
            Err(SplitError::DecompressedTooLarge { limit: 1000 })
        ));
    }

    fn key_positions<R: Read>(mut reader: RecordReader<R>) -> Vec<Vec<usize>> {
        let mut got = Vec::new();
        while let Some(item) = reader.next_record().unwrap() {
            let Item::Record(record) = item else {
                panic!("unexpected skip");
            };
            got.push(record.key_at.to_vec());
        }
        got
    }

    /// Every record carries exactly its own `"eventName"` positions, held
    /// whole or streamed at any read size, whatever the alignment.
    #[test]
    fn each_record_carries_its_own_key_positions() {
        const EVENT_NAME: KeyPattern = KeyPattern::new(b"\"eventName\"");
        for pad in 0..80 {
            let doc = format!(
                r#"{{"Records":[{{"p":"{}"}},{{"eventName":"PutBucketAcl"}}, {{"q":{{"eventName":1}}}}]}}"#,
                "y".repeat(pad)
            );
            let want: Vec<Vec<usize>> = vec![vec![], vec![1], vec![6]];
            let bytes = doc.as_bytes().to_vec();
            let whole = RecordReader::whole(bytes.clone(), bytes.len(), limits(), EVENT_NAME);
            assert_eq!(key_positions(whole), want, "whole, pad {pad}");
            for step in [1, 9, 64, 70] {
                let streamed = RecordReader::streaming(
                    Trickle { data: &bytes, step },
                    Vec::new(),
                    limits(),
                    EVENT_NAME,
                );
                assert_eq!(key_positions(streamed), want, "step {step}, pad {pad}");
            }
        }
    }

    /// A record exactly at the size cap, its key ending two bytes before its
    /// end, is read with the key; one byte more is too large.
    #[test]
    fn key_positions_at_the_record_size_cap() {
        const EVENT_NAME: KeyPattern = KeyPattern::new(b"\"eventName\"");
        for cap in [64usize, 65, 74, 75, 127, 128, 129] {
            // {"p":"yy..","eventName"}  : the key is followed by `}` directly.
            let filler = cap - r#"{"p":"",}"#.len() - 11;
            let record = format!(r#"{{"p":"{}","eventName"}}"#, "y".repeat(filler));
            assert_eq!(record.len(), cap);
            let doc = format!(r#"{{"Records":[{record},{{"a":1}}]}}"#);
            for step in [1, 64, 4096] {
                // The first record's key positions, with records capped at `max`.
                let first_keys = |max_record_bytes| {
                    let limits = SplitLimits {
                        max_record_bytes,
                        ..limits()
                    };
                    let source = Trickle {
                        data: doc.as_bytes(),
                        step,
                    };
                    let mut reader =
                        RecordReader::streaming(source, Vec::new(), limits, EVENT_NAME);
                    match reader.next_record() {
                        Ok(Some(Item::Record(r))) => Ok(r.key_at.to_vec()),
                        Ok(Some(Item::Skipped(s))) => Err(s.reason),
                        other => panic!("{:?}", other.err()),
                    }
                };
                assert_eq!(
                    first_keys(cap),
                    Ok(vec![cap - 12]),
                    "cap {cap}, step {step}"
                );
                assert_eq!(
                    first_keys(cap - 1),
                    Err(SkipReason::TooLarge { limit: cap - 1 })
                );
            }
        }
    }

    fn record() -> impl Strategy<Value = serde_json::Value> {
        let text = "[{}\\[\\]\"\\\\a-z :,\\n\\u{1b}é]{0,30}";
        prop::collection::btree_map(
            text,
            prop_oneof![
                text.prop_map(serde_json::Value::from),
                prop::collection::vec(text.prop_map(serde_json::Value::from), 0..4)
                    .prop_map(serde_json::Value::from),
                any::<i64>().prop_map(serde_json::Value::from),
            ],
            0..8,
        )
        .prop_map(|m| serde_json::Value::Object(m.into_iter().collect()))
    }

    proptest! {
        /// The splitter yields exactly the records serde_json finds.
        #[test]
        fn yields_what_serde_json_finds(records in prop::collection::vec(record(), 0..20), pretty: bool, step in 1usize..5000) {
            let doc = serde_json::json!({ "Records": records });
            let text = if pretty { serde_json::to_vec_pretty(&doc) } else { serde_json::to_vec(&doc) }.unwrap();
            let split = split(&text, step).unwrap();
            let reparsed: Vec<serde_json::Value> = split.iter().map(|r| serde_json::from_slice(r).unwrap()).collect();
            prop_assert_eq!(reparsed, records);
        }
    }
}
