//! Scanning one log file: decode, split, prefilter, detect, dedupe.

use std::cell::Cell;
use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use flate2::bufread::MultiGzDecoder;
use thiserror::Error;

use crate::access::{request_of, RequestLog, RequestPrefilter, Requests};
use crate::change::Change;
use crate::detect::{detect, unevaluated, Prefilter, EVENT_NAME_PATTERN};
use crate::finding::Finding;
use crate::inflate::{Inflated, Inflater};
use crate::peek::RecordHead;
use crate::records::{Item, RecordReader, SkipReason, SkippedRecord, SplitError, SplitLimits};
use crate::rules::RuleLimits;
use crate::trust::Trust;

/// Skipped records listed one by one per file; past this they are counted.
pub const MAX_SKIPPED_LISTED: usize = 100;

/// Bounds on what one log file may cost. Everything in a log file is
/// attacker-influenced, so every dimension has a cap. Hitting a per-record
/// cap skips that record (reported, and alerted when it is a watched event)
/// and reading goes on; only a per-file cap or damage to the file ends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Decompressed bytes per file (gzip bombs).
    pub max_decompressed_bytes: u64,
    /// Bytes in one record; a larger record is skipped.
    pub max_record_bytes: usize,
    /// JSON nesting depth inside a record (at most 128); a deeper record is skipped.
    pub max_depth: u32,
    /// Bytes of one bucket or access point policy.
    pub max_policy_bytes: usize,
    /// Findings reported for one file; the rest are counted, not kept.
    pub max_findings_per_file: usize,
    /// Files whose decompressed size is at most this are inflated in one call
    /// into a reused buffer (fast); larger ones are streamed (flat memory).
    pub whole_file_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_decompressed_bytes: 1 << 30,
            max_record_bytes: 1 << 20,
            max_depth: 64,
            max_policy_bytes: 256 << 10,
            max_findings_per_file: 10_000,
            whole_file_bytes: 32 << 20,
        }
    }
}

/// Why a log file could not be read completely.
#[derive(Debug, Error)]
pub enum ScanErrorKind {
    /// Reading the bytes failed (file system, network): may succeed if retried.
    #[error("cannot read: {0}")]
    Source(io::Error),
    /// The file is empty.
    #[error("empty file")]
    Empty,
    /// Neither gzip nor JSON.
    #[error("neither gzip nor a JSON document (starts with {0})")]
    UnknownFormat(String),
    /// The gzip stream is damaged.
    #[error("gzip data is corrupt or truncated: {0}")]
    Gzip(io::Error),
    /// More decompressed bytes than allowed.
    #[error("decompresses to more than {limit} bytes (gzip bomb or oversized log; raise the limit to read it)")]
    TooLarge {
        /// The cap in force.
        limit: u64,
    },
    /// The JSON is not `{"Records":[...]}`.
    #[error("not a CloudTrail log file: expected {expected} at byte {offset}")]
    NotCloudTrail {
        /// Decompressed byte offset.
        offset: u64,
        /// What should have been there.
        expected: &'static str,
    },
    /// The document ends in the middle.
    #[error(
        "the JSON ends early (truncated, or a string left open), after {records} complete records"
    )]
    Truncated {
        /// Records read before the end.
        records: u64,
    },
    /// An element of `Records` is not an object.
    #[error("record {} is not a JSON object", .index + 1)]
    RecordNotObject {
        /// Zero-based record index (messages count from 1).
        index: u64,
    },
    /// Brackets do not match, so no later record can be found.
    #[error("record {} has mismatched brackets", .index + 1)]
    Mismatched {
        /// Zero-based record index (messages count from 1).
        index: u64,
    },
    /// More findings than allowed: the file was read to its end, but only
    /// the first `limit` findings are reported.
    #[error("more than {limit} findings: {dropped} more were found but not reported (raise the limit to see them)")]
    TooManyFindings {
        /// The cap in force.
        limit: usize,
        /// Findings past the cap.
        dropped: u64,
    },
}

/// A log file that could not be read completely, and why.
#[derive(Debug, Error)]
#[error("{log_file}: {kind}")]
pub struct ScanError {
    /// The file, as named by the caller.
    pub log_file: String,
    /// The reason.
    pub kind: ScanErrorKind,
}

impl ScanError {
    /// True when retrying might succeed (the bytes could not be fetched);
    /// false when the content itself is bad.
    pub fn is_transient(&self) -> bool {
        matches!(self.kind, ScanErrorKind::Source(_))
    }
}

/// Counters for one file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FileStats {
    /// Bytes as stored (compressed).
    pub stored_bytes: u64,
    /// Bytes of JSON after decompression.
    pub json_bytes: u64,
    /// Records split out, skipped ones included.
    pub records: u64,
    /// Records the prefilter let through to the parser.
    pub candidates: u64,
    /// Records skipped (over a cap, or not valid JSON): each is an error
    /// that names the record, but the file is still read to its end.
    pub skipped_records: u64,
}

/// The outcome of scanning one file: whatever was found before any error is
/// kept, so an error never hides the findings that preceded it.
#[derive(Debug)]
pub struct FileScan {
    /// The file, as named by the caller.
    pub log_file: String,
    /// Findings, deduplicated by event ID and kind.
    pub findings: Vec<Finding>,
    /// Counters.
    pub stats: FileStats,
    /// The first error, if the file could not be read completely.
    pub error: Option<ScanError>,
    /// The records skipped, in file order: the first [`MAX_SKIPPED_LISTED`]
    /// (`stats.skipped_records` counts them all).
    pub skipped: Vec<SkippedRecord>,
    /// The permission changes the file's records made or tried to make, in
    /// file order: what the exposure state folds (`exposure::judge`).
    pub changes: Vec<Change>,
    /// The file's anonymous and presigned requests, by bucket, key and
    /// second: the exploitation overlay of the windows (`access.rs`).
    pub requests: Vec<Requests>,
}

/// Scans log files one after another, reusing its buffers: one per worker.
pub struct Scanner {
    limits: Limits,
    /// Accounts whose access is expected; without one, no cross-account rule runs.
    trust: Trust,
    prefilter: Prefilter,
    request_filter: RequestPrefilter,
    inflater: Inflater,
    /// Decompressed whole files.
    whole: Vec<u8>,
    /// Streaming window.
    window: Vec<u8>,
    /// Compressed bytes of a file read from disk.
    stored: Vec<u8>,
}

impl Scanner {
    /// A scanner enforcing `limits`.
    pub fn new(limits: Limits) -> Self {
        Scanner {
            limits,
            trust: Trust::default(),
            prefilter: Prefilter::new(),
            request_filter: RequestPrefilter::new(),
            inflater: Inflater::new(),
            whole: Vec::new(),
            window: Vec::new(),
            stored: Vec::new(),
        }
    }

    /// The same scanner judging grants to accounts outside `trust` too
    /// (`[trust]` in the configuration file).
    pub fn with_trust(mut self, trust: Trust) -> Self {
        self.trust = trust;
        self
    }

    /// The limits in force.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Scans a file on disk: read whole and inflated in one call when small
    /// enough, streamed otherwise.
    pub fn scan_path(&mut self, path: &Path, log_file: &str) -> FileScan {
        let opened = File::open(path).and_then(|f| f.metadata().map(|m| (f, m.len())));
        let (mut file, len) = match opened {
            Ok(pair) => pair,
            Err(e) => return FileScan::failed(log_file, ScanErrorKind::Source(e)),
        };
        // Compressed CloudTrail logs inflate about tenfold; a file that could
        // not fit the whole-file buffer once inflated is streamed from disk.
        if len <= self.limits.whole_file_bytes as u64 {
            let mut stored = std::mem::take(&mut self.stored);
            stored.clear();
            let scan = match file.read_to_end(&mut stored) {
                Ok(_) => self.scan_bytes(log_file, &stored),
                Err(e) => FileScan::failed(log_file, ScanErrorKind::Source(e)),
            };
            self.stored = stored;
            scan
        } else {
            self.scan_reader(log_file, file)
        }
    }

    /// Scans a log file held in memory (gzip or plain JSON).
    pub fn scan_bytes(&mut self, log_file: &str, data: &[u8]) -> FileScan {
        let stored = data.len() as u64;
        if is_gzip(data) && data.len() >= 18 {
            // ISIZE: the last member's size mod 2^32. Only a hint: a truncated
            // or multi-member file has another number there, and streaming
            // (which enforces the cap byte by byte) handles every such case.
            let trailer: [u8; 4] = data[data.len() - 4..].try_into().expect("4 bytes");
            let isize = u32::from_le_bytes(trailer) as u64;
            if isize as usize <= self.limits.whole_file_bytes
                && isize <= self.limits.max_decompressed_bytes
            {
                let mut whole = std::mem::take(&mut self.whole);
                if whole.len() < isize as usize {
                    whole.resize(isize as usize, 0);
                }
                let inflated = self.inflater.gunzip(data, &mut whole[..isize as usize]);
                if let Inflated::Whole(len) = inflated {
                    let reader =
                        RecordReader::whole(whole, len, self.split_limits(), EVENT_NAME_PATTERN);
                    let (scan, buffer) = self.scan_records(log_file, reader, stored, None);
                    self.whole = buffer;
                    return scan;
                }
                self.whole = whole;
            }
        }
        self.scan_reader(log_file, data)
    }

    /// Scans a log file from a stream (gzip or plain JSON) with memory bounded
    /// by one record plus one read chunk, whatever the file's size.
    pub fn scan_reader<R: Read>(&mut self, log_file: &str, reader: R) -> FileScan {
        let source_failed = Cell::new(false);
        let stored_bytes = Cell::new(0u64);
        let mut counted = Counted {
            inner: reader,
            failed: &source_failed,
            bytes: &stored_bytes,
        };
        let head = match read_head(&mut counted) {
            Ok(head) => head,
            Err(e) => return FileScan::failed(log_file, ScanErrorKind::Source(e)),
        };
        let input = BufReader::with_capacity(64 << 10, head.as_slice().chain(counted));
        let window = std::mem::take(&mut self.window);
        let limits = self.split_limits();
        let (mut scan, window) = if head.is_empty() {
            (FileScan::failed(log_file, ScanErrorKind::Empty), window)
        } else if is_gzip(&head) {
            let reader = RecordReader::streaming(
                MultiGzDecoder::new(input),
                window,
                limits,
                EVENT_NAME_PATTERN,
            );
            self.scan_records(log_file, reader, 0, Some((&source_failed, true)))
        } else if matches!(head.trim_ascii_start().first(), None | Some(b'{')) {
            let reader = RecordReader::streaming(input, window, limits, EVENT_NAME_PATTERN);
            self.scan_records(log_file, reader, 0, Some((&source_failed, false)))
        } else {
            let start = describe_start(&head);
            (
                FileScan::failed(log_file, ScanErrorKind::UnknownFormat(start)),
                window,
            )
        };
        self.window = window;
        scan.stats.stored_bytes = stored_bytes.get();
        scan
    }

    fn split_limits(&self) -> SplitLimits {
        SplitLimits {
            max_decompressed_bytes: self.limits.max_decompressed_bytes,
            max_record_bytes: self.limits.max_record_bytes,
            max_depth: self.limits.max_depth,
        }
    }

    /// Runs records through the prefilter and rules. `source` says whether
    /// the raw source reported an I/O error and whether the data was gzip,
    /// to tell transient read failures from corrupt content.
    fn scan_records<R: Read>(
        &mut self,
        log_file: &str,
        mut reader: RecordReader<R>,
        stored_bytes: u64,
        source: Option<(&Cell<bool>, bool)>,
    ) -> (FileScan, Vec<u8>) {
        let rule_limits = RuleLimits {
            max_policy_bytes: self.limits.max_policy_bytes,
        };
        let mut stats = FileStats {
            stored_bytes,
            ..FileStats::default()
        };
        let mut kept = Findings {
            list: Vec::new(),
            seen: HashSet::new(),
            limit: self.limits.max_findings_per_file,
            dropped: 0,
        };
        let mut skipped = Vec::new();
        let mut changes = Vec::new();
        let mut requests = RequestLog::new();
        let mut skip = |record: SkippedRecord, stats: &mut FileStats, kept: &mut Findings| {
            stats.skipped_records += 1;
            if let Some(finding) = unevaluated(&record, log_file) {
                kept.add(finding);
            }
            if skipped.len() < MAX_SKIPPED_LISTED {
                skipped.push(record);
            }
        };
        let mut first_error = None;
        loop {
            let record = match reader.next_record() {
                Ok(Some(Item::Record(record))) => record,
                Ok(Some(Item::Skipped(record))) => {
                    stats.records += 1;
                    skip(*record, &mut stats, &mut kept);
                    continue;
                }
                Ok(None) => break,
                Err(e) => {
                    let io_from_source = source.is_some_and(|(failed, _)| failed.get());
                    let gzip = source.is_some_and(|(_, gzip)| gzip);
                    first_error.get_or_insert(split_error_kind(e, io_from_source, gzip));
                    break;
                }
            };
            let index = stats.records;
            stats.records += 1;
            if !self.prefilter.is_candidate(record.bytes, record.key_at) {
                // Data events are the bulk of a trail: only those that can be
                // anonymous or presigned requests are parsed, and one that does
                // not parse is no request (its name was not watched).
                if self
                    .request_filter
                    .may_be_request(record.bytes, record.key_at)
                {
                    if let Ok(parsed) = serde_json::from_slice(record.bytes) {
                        requests.extend(request_of(&parsed));
                    }
                }
                continue;
            }
            stats.candidates += 1;
            match detect(record.bytes, log_file, rule_limits, &self.trust) {
                Ok(detected) => {
                    detected.findings.into_iter().for_each(|f| kept.add(f));
                    changes.extend(detected.change);
                    requests.extend(detected.request);
                }
                Err(source) => {
                    let invalid = SkippedRecord {
                        index,
                        offset: record.offset,
                        reason: SkipReason::InvalidJson(source.to_string()),
                        head: RecordHead::of(record.bytes),
                    };
                    skip(invalid, &mut stats, &mut kept);
                }
            }
        }
        if kept.dropped > 0 {
            first_error.get_or_insert(ScanErrorKind::TooManyFindings {
                limit: kept.limit,
                dropped: kept.dropped,
            });
        }
        let findings = kept.list;
        stats.json_bytes = reader.bytes_in();
        let scan = FileScan {
            log_file: log_file.to_owned(),
            findings,
            stats,
            error: first_error.map(|kind| ScanError {
                log_file: log_file.to_owned(),
                kind,
            }),
            skipped,
            changes,
            requests: requests.into_vec(),
        };
        (scan, reader.into_buffer())
    }
}

impl FileScan {
    /// Skipped records counted but not listed in `skipped` (past
    /// [`MAX_SKIPPED_LISTED`]).
    pub fn unlisted_skipped(&self) -> u64 {
        self.stats.skipped_records - self.skipped.len() as u64
    }

    /// One message per skipped record, naming the file (and one more for
    /// those counted past [`MAX_SKIPPED_LISTED`]): what a replay reports,
    /// wherever the file was read.
    pub fn skipped_messages(&self) -> Vec<String> {
        let mut messages: Vec<String> = self
            .skipped
            .iter()
            .map(|record| format!("{}: {record}", self.log_file))
            .collect();
        let unlisted = self.unlisted_skipped();
        if unlisted > 0 {
            messages.push(format!(
                "{}: {unlisted} more records skipped (only the first {MAX_SKIPPED_LISTED} are listed)",
                self.log_file
            ));
        }
        messages
    }

    /// The outcome of a file that could not be read at all.
    pub fn failed(log_file: &str, kind: ScanErrorKind) -> Self {
        FileScan {
            log_file: log_file.to_owned(),
            findings: Vec::new(),
            stats: FileStats::default(),
            error: Some(ScanError {
                log_file: log_file.to_owned(),
                kind,
            }),
            skipped: Vec::new(),
            changes: Vec::new(),
            requests: Vec::new(),
        }
    }
}

/// A file's findings so far: deduplicated by event ID and kind, and bounded.
struct Findings {
    list: Vec<Finding>,
    seen: HashSet<(String, crate::finding::Kind)>,
    limit: usize,
    dropped: u64,
}

impl Findings {
    fn add(&mut self, finding: Finding) {
        if !finding.event_id.is_empty()
            && !self.seen.insert((finding.event_id.clone(), finding.kind))
        {
            return;
        }
        if self.list.len() < self.limit {
            self.list.push(finding);
        } else {
            self.dropped += 1;
        }
    }
}

fn split_error_kind(e: SplitError, io_from_source: bool, gzip: bool) -> ScanErrorKind {
    match e {
        SplitError::Io(e) if io_from_source || !gzip => ScanErrorKind::Source(e),
        SplitError::Io(e) => ScanErrorKind::Gzip(e),
        SplitError::Empty => ScanErrorKind::Empty,
        SplitError::DecompressedTooLarge { limit } => ScanErrorKind::TooLarge { limit },
        SplitError::NotRecordsDocument { offset, expected } => {
            ScanErrorKind::NotCloudTrail { offset, expected }
        }
        SplitError::Truncated { records } => ScanErrorKind::Truncated { records },
        SplitError::RecordNotObject { index } => ScanErrorKind::RecordNotObject { index },
        SplitError::Mismatched { index } => ScanErrorKind::Mismatched { index },
    }
}

fn is_gzip(head: &[u8]) -> bool {
    head.starts_with(&[0x1f, 0x8b])
}

/// The first bytes of a stream, enough to tell gzip from JSON from junk.
fn read_head<R: Read>(source: &mut R) -> io::Result<Vec<u8>> {
    let mut head = vec![0; 16];
    let mut filled = 0;
    while filled < head.len() {
        match source.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    head.truncate(filled);
    Ok(head)
}

fn describe_start(bytes: &[u8]) -> String {
    let head: String = bytes
        .iter()
        .take(16)
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                (b as char).to_string()
            } else {
                format!("\\x{b:02x}")
            }
        })
        .collect();
    format!("`{head}`")
}

/// Counts the raw bytes read and remembers whether the source failed.
struct Counted<'a, R> {
    inner: R,
    failed: &'a Cell<bool>,
    bytes: &'a Cell<u64>,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Ok(n) => {
                self.bytes.set(self.bytes.get() + n as u64);
                Ok(n)
            }
            Err(e) => {
                if e.kind() != io::ErrorKind::Interrupted {
                    self.failed.set(true);
                }
                Err(e)
            }
        }
    }
}
