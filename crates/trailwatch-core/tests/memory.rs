//! Memory stays flat however large the log: a generated log of a few hundred
//! megabytes, never held whole by anyone, streams through `scan_reader`
//! while the process's peak resident set stays under a fixed bound.
//!
//! One test in its own file, so it has the process (and VmHWM) to itself.

use std::collections::BTreeSet;
use std::io::{self, Read};

use flate2::read::{GzEncoder, MultiGzDecoder};
use flate2::Compression;
use serde_json::Value;
use trailwatch_core::{Kind, Limits, Scanner};
use trailwatch_testkit::{files_under, oracle, put_bucket_acl_record, workspace_root};

/// Uncompressed size of the plain-JSON run.
const PLAIN_BYTES: u64 = 200_000_000;
/// Uncompressed size of the gzip run (inflating is slow in a debug build;
/// compressing on the fly even slower, hence the precompressed members).
const GZIP_BYTES: u64 = 120_000_000;
/// Peak resident set allowed for the whole test process.
const PEAK_LIMIT_BYTES: u64 = 64 << 20;

/// Realistic records that produce no finding: every record of the fixture
/// log files that the oracle lists no finding for.
fn quiet_records() -> Vec<Vec<u8>> {
    let root = workspace_root();
    let noisy: BTreeSet<String> = oracle("logs-expected.jsonl")
        .iter()
        .map(|v| v["log_file"].as_str().unwrap().to_owned())
        .collect();
    let mut files = files_under(&root.join("fixtures/logs"));
    files.sort();
    let mut records = Vec::new();
    for path in files {
        let rel = path
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let side = rel.contains("/CloudTrail-Digest/") || rel.contains("/CloudTrail-Insight/");
        if side || !rel.ends_with(".json.gz") || noisy.contains(&rel) {
            continue;
        }
        let mut text = Vec::new();
        MultiGzDecoder::new(std::fs::File::open(&path).unwrap())
            .read_to_end(&mut text)
            .unwrap();
        let doc: Value = serde_json::from_slice(&text).unwrap();
        for record in doc["Records"].as_array().unwrap() {
            records.push(serde_json::to_vec(record).unwrap());
        }
    }
    assert!(records.len() > 100, "too few quiet fixture records");
    records
}

fn planted_record(index: u64) -> Vec<u8> {
    let record = put_bucket_acl_record(
        &format!("planted-{index}"),
        &format!("planted-bucket-{index}"),
        "public-read",
    );
    serde_json::to_vec(&record).unwrap()
}

/// Produces `{"Records":[ ... ]}` piece by piece: `count` records cycling
/// through `quiet`, with planted exposures at the given indexes.
struct Generator<'a> {
    quiet: &'a [Vec<u8>],
    planted: &'a BTreeSet<u64>,
    count: u64,
    next: u64,
    piece: Vec<u8>,
    at: usize,
    finished: bool,
    produced: u64,
}

impl<'a> Generator<'a> {
    fn new(quiet: &'a [Vec<u8>], planted: &'a BTreeSet<u64>, count: u64) -> Self {
        Generator {
            quiet,
            planted,
            count,
            next: 0,
            piece: b"{\"Records\":[".to_vec(),
            at: 0,
            finished: false,
            produced: 0,
        }
    }

    fn refill(&mut self) {
        self.piece.clear();
        self.at = 0;
        if self.next == self.count {
            if !self.finished {
                self.piece.extend_from_slice(b"]}");
                self.finished = true;
            }
            return;
        }
        if self.next > 0 {
            self.piece.push(b',');
        }
        if self.planted.contains(&self.next) {
            self.piece.extend_from_slice(&planted_record(self.next));
        } else {
            let quiet = &self.quiet[(self.next % self.quiet.len() as u64) as usize];
            self.piece.extend_from_slice(quiet);
        }
        self.next += 1;
    }
}

impl Read for Generator<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut written = 0;
        while written < buf.len() {
            if self.at == self.piece.len() {
                self.refill();
                if self.piece.is_empty() {
                    break;
                }
            }
            let n = (self.piece.len() - self.at).min(buf.len() - written);
            buf[written..written + n].copy_from_slice(&self.piece[self.at..self.at + n]);
            self.at += n;
            written += n;
        }
        self.produced += written as u64;
        Ok(written)
    }
}

/// A gzip stream of `{"Records":[ ... ]}` in many members: the quiet records
/// compressed once as one member (`batch`) and sent `batches` times, with a
/// small member holding one planted exposure after each batch listed in
/// `plant_after`. Inflating it is real work; producing it costs nothing.
struct GzMembers<'a> {
    first: Vec<u8>,
    middle: Vec<u8>,
    end: Vec<u8>,
    batches: u64,
    plant_after: &'a BTreeSet<u64>,
    /// Next batch to send, and whether its planted member was sent.
    batch: u64,
    planted_sent: bool,
    piece: Vec<u8>,
    at: usize,
    finished: bool,
}

fn gzip_member(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    GzEncoder::new(bytes, Compression::default())
        .read_to_end(&mut out)
        .unwrap();
    out
}

impl<'a> GzMembers<'a> {
    fn new(quiet: &[Vec<u8>], batches: u64, plant_after: &'a BTreeSet<u64>) -> Self {
        let batch = quiet.join(&b',');
        let mut first = b"{\"Records\":[".to_vec();
        first.extend_from_slice(&batch);
        let mut middle = b",".to_vec();
        middle.extend_from_slice(&batch);
        GzMembers {
            first: gzip_member(&first),
            middle: gzip_member(&middle),
            end: gzip_member(b"]}"),
            batches,
            plant_after,
            batch: 0,
            planted_sent: false,
            piece: Vec::new(),
            at: 0,
            finished: false,
        }
    }

    fn refill(&mut self) {
        self.at = 0;
        self.piece.clear();
        if self.batch > 0 && !self.planted_sent && self.plant_after.contains(&(self.batch - 1)) {
            let mut member = b",".to_vec();
            member.extend_from_slice(&planted_record(self.batch - 1));
            self.piece = gzip_member(&member);
            self.planted_sent = true;
        } else if self.batch < self.batches {
            let member = if self.batch == 0 {
                &self.first
            } else {
                &self.middle
            };
            self.piece.extend_from_slice(member);
            self.batch += 1;
            self.planted_sent = false;
        } else if !self.finished {
            self.piece.extend_from_slice(&self.end);
            self.finished = true;
        }
    }
}

impl Read for GzMembers<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.at == self.piece.len() {
            self.refill();
        }
        let n = (self.piece.len() - self.at).min(buf.len());
        buf[..n].copy_from_slice(&self.piece[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// Peak resident set size of this process so far (VmHWM), in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("VmHWM in /proc/self/status");
    let kb: u64 = line
        .trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .unwrap();
    kb * 1024
}

#[derive(Debug, Clone, Copy)]
enum Shape {
    /// Plain JSON.
    Plain,
    /// Many gzip members of really compressed data, precompressed once.
    GzipMembers,
}

#[test]
fn huge_logs_stream_in_bounded_memory() {
    let quiet = quiet_records();
    let batch_bytes = quiet.iter().map(|r| r.len() as u64 + 1).sum::<u64>();
    let average = batch_bytes / quiet.len() as u64;
    assert!(
        (500..5000).contains(&average),
        "average record {average} bytes"
    );
    let mut scanner = Scanner::new(Limits::default());

    for (shape, target) in [
        (Shape::Plain, PLAIN_BYTES),
        (Shape::GzipMembers, GZIP_BYTES),
    ] {
        let started = std::time::Instant::now();
        let (scan, count, planted) = match shape {
            Shape::Plain => {
                let count = target / average;
                let planted: BTreeSet<u64> = [0, 1, count / 3, count / 2, count / 2 + 1, count - 1]
                    .into_iter()
                    .collect();
                let mut generator = Generator::new(&quiet, &planted, count);
                let scan = scanner.scan_reader("generated.json", &mut generator);
                assert_eq!(scan.stats.json_bytes, generator.produced);
                (scan, count, planted)
            }
            Shape::GzipMembers => {
                let batches = target / batch_bytes;
                let plant_after: BTreeSet<u64> = [0, batches / 3, batches / 2, batches - 1]
                    .into_iter()
                    .collect();
                let members = GzMembers::new(&quiet, batches, &plant_after);
                let scan = scanner.scan_reader("generated.json.gz", members);
                let count = batches * quiet.len() as u64 + plant_after.len() as u64;
                (scan, count, plant_after)
            }
        };
        assert!(scan.error.is_none(), "{shape:?}: {:?}", scan.error);
        assert_eq!(scan.stats.records, count, "{shape:?}: record count");
        assert!(
            scan.stats.json_bytes > PEAK_LIMIT_BYTES * 3 / 2,
            "{shape:?}: only {} bytes of JSON: the bound would mean nothing",
            scan.stats.json_bytes
        );
        // The quiet records include refused calls: those are `blocked`
        // findings, not exposures.
        let exposures: Vec<_> = scan
            .findings
            .iter()
            .filter(|f| f.exposure != trailwatch_core::Exposure::Blocked)
            .collect();
        let found: BTreeSet<String> = exposures.iter().map(|f| f.event_id.clone()).collect();
        let expected: BTreeSet<String> = planted.iter().map(|i| format!("planted-{i}")).collect();
        assert_eq!(found, expected, "{shape:?}: planted findings");
        assert_eq!(exposures.len(), planted.len(), "{shape:?}");
        assert!(exposures
            .iter()
            .all(|f| f.kind == Kind::BucketAclPublic && f.log_file.starts_with("generated")));
        let peak = peak_rss();
        eprintln!(
            "{shape:?}: {} records, {:.0} MB JSON in {:.1}s, peak RSS {:.1} MB",
            scan.stats.records,
            scan.stats.json_bytes as f64 / 1e6,
            started.elapsed().as_secs_f64(),
            peak as f64 / (1 << 20) as f64
        );
        assert!(
            peak < PEAK_LIMIT_BYTES,
            "{shape:?}: peak resident set {peak} bytes is over {PEAK_LIMIT_BYTES}"
        );
    }
}
