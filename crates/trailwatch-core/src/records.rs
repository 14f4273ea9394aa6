//! Cutting a `{"Records":[...]}` document into one byte slice per record,
//! from a stream, holding at most one record plus one read chunk in memory.
//! The pass that delimits each record also finds where one key (the
//! prefilter's `"eventName"`) occurs in it, so each record arrives with the
//! positions of that key inside it.

use std::io::{self, Read};

use crate::structure::{KeyPattern, ObjectScanner, Progress, StructureError};

/// Bytes asked of the source per read.
const CHUNK: usize = 256 * 1024;

/// Why a document could not be cut into records.
#[derive(Debug)]
pub(crate) enum SplitError {
    Io(io::Error),
    Empty,
    DecompressedTooLarge { limit: u64 },
    NotRecordsDocument { offset: u64, expected: &'static str },
    Truncated { records: u64 },
    RecordNotObject { index: u64 },
    RecordTooLarge { index: u64, limit: usize },
    TooDeep { index: u64, limit: u32 },
    Mismatched { index: u64 },
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
}

/// Limits that bound what one document may make the reader hold.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SplitLimits {
    pub max_decompressed_bytes: u64,
    pub max_record_bytes: usize,
    pub max_depth: u32,
}

/// One record: its bytes, and where the reader's key occurs in them.
pub(crate) struct Record<'a> {
    pub bytes: &'a [u8],
    pub key_at: &'a [usize],
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

    /// The next record, `None` at the end of a well-formed document.
    pub(crate) fn next_record(&mut self) -> Result<Option<Record<'_>>, SplitError> {
        loop {
            match self.phase {
                Phase::Done => return Ok(None),
                Phase::Element => {
                    if let Some(range) = self.scan_element()? {
                        return Ok(Some(Record {
                            bytes: &self.buf[range],
                            key_at: self.object.key_at(),
                        }));
                    }
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
            (Phase::Element | Phase::Trailing | Phase::Done, _) => {
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

    /// Scans the record starting at `start`; its range once complete.
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
        // Show the scanner at most one byte past the size cap, so a record
        // over the cap is reported as such whether the document is streamed
        // or held whole, before anything else inside it is judged.
        let window_end = self.start + self.limits.max_record_bytes + 1;
        let visible_end = self.end.min(window_end);
        // No more bytes will become visible: the input ended, or the window is full.
        let window_final = self.eof || visible_end == window_end;
        let progress = self
            .object
            .scan(&self.buf[self.start..visible_end], window_final)
            .map_err(|e| match e {
                StructureError::Mismatched => SplitError::Mismatched { index },
                StructureError::TooDeep => SplitError::TooDeep {
                    index,
                    limit: self.limits.max_depth,
                },
            })?;
        match progress {
            Progress::Complete(last) => {
                let len = last + 1;
                if len > self.limits.max_record_bytes {
                    return Err(SplitError::RecordTooLarge {
                        index,
                        limit: self.limits.max_record_bytes,
                    });
                }
                let range = self.start..self.start + len;
                self.start += len;
                self.in_object = false;
                self.records += 1;
                self.phase = Phase::CommaOrEnd;
                Ok(Some(range))
            }
            Progress::NeedMore(_) => {
                if visible_end - self.start > self.limits.max_record_bytes {
                    return Err(SplitError::RecordTooLarge {
                        index,
                        limit: self.limits.max_record_bytes,
                    });
                }
                if self.eof {
                    return Err(SplitError::Truncated {
                        records: self.records,
                    });
                }
                self.fill()?;
                Ok(None)
            }
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
            offset: self.bytes_in - (self.end - self.start) as u64,
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

    fn split(doc: &[u8], step: usize) -> Result<Vec<Vec<u8>>, SplitError> {
        let mut reader =
            RecordReader::streaming(Trickle { data: doc, step }, Vec::new(), limits(), KEY);
        let mut out = Vec::new();
        while let Some(record) = reader.next_record()? {
            // The key positions agree with a plain search of the record.
            let expected: Vec<usize> = (0..record.bytes.len())
                .filter(|&i| record.bytes[i..].starts_with(KEY_BYTES))
                .collect();
            assert_eq!(record.key_at, &expected[..]);
            out.push(record.bytes.to_vec());
        }
        Ok(out)
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

    #[test]
    fn bounds_record_size_depth_and_total() {
        let big = format!(r#"{{"Records":[{{"a":"{}"}}]}}"#, "x".repeat(2 << 20));
        assert!(matches!(
            split(big.as_bytes(), 1 << 16),
            Err(SplitError::RecordTooLarge { index: 0, .. })
        ));
        let deep = format!(
            r#"{{"Records":[{{"a":{}1{}}}]}}"#,
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert!(matches!(
            split(deep.as_bytes(), 1 << 16),
            Err(SplitError::TooDeep { limit: 64, .. })
        ));
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
        while let Some(record) = reader.next_record().unwrap() {
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
                    reader
                        .next_record()
                        .map(|record| record.map(|r| r.key_at.to_vec()))
                };
                assert_eq!(
                    first_keys(cap).unwrap(),
                    Some(vec![cap - 12]),
                    "cap {cap}, step {step}"
                );
                assert!(matches!(
                    first_keys(cap - 1),
                    Err(SplitError::RecordTooLarge { .. })
                ));
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
