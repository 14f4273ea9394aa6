//! trailwatch-gen: a deterministic generator of realistic CloudTrail
//! archives, with the ground truth of what must be found in them.
//!
//! The same seed gives the same bytes on every machine: every log file is
//! built from its own random stream (SplitMix64 derived from the seed and
//! the file's index), so files can be made in parallel.
//!
//! What it writes under the output directory:
//!
//! - `AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<YYYYMMDDTHHMMZ>_<16 alnum>.json.gz`
//!   (and `AWSLogs/o-abc123def4/<account>/...` for the organization trail):
//!   single-member gzip of compact JSON `{"Records":[...]}`;
//! - `AWSLogs/.../CloudTrail-Digest/...`: signed hourly digests, one chain
//!   segment per account, region and delivery day (see [`digest`]), and
//!   `public-keys.json`, the `aws cloudtrail list-public-keys` output that
//!   verifies them, and `digest-signatures.jsonl`, each digest's S3
//!   `x-amz-meta-signature` (digests and keys differ from run to run: the
//!   keys are made fresh);
//! - `truth.jsonl`: every exposing record (`log_file`, `event_id`, `kind`),
//!   known from construction, not from running a detector;
//! - `candidates.jsonl`: every record the natural filter selects:
//!   `eventSource` `s3.amazonaws.com`, no `errorCode`, and an `eventName` in
//!   [`PERMISSION_EVENTS`] or an upload ([`UPLOAD_EVENTS`]) whose
//!   `requestParameters` has an `x-amz-acl` or `x-amz-grant-*` key;
//! - `files.txt` (log files, one per line) and `summary.json`.

pub mod digest;
pub mod json;
mod records;
pub mod rng;
pub mod time;

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use records::{decoy, era_of, noise, s3_change, Ctx, EXPOSING_SCENARIOS, HARMLESS_SCENARIOS};
pub use records::{Class, Era, RecordInfo, ORG_ID, TRAIL_BUCKET, TRAIL_NAME};
use rng::Rng;

/// Event names of S3 permission changes, as a natural filter lists them.
pub const PERMISSION_EVENTS: [&str; 9] = [
    "PutBucketAcl",
    "PutObjectAcl",
    "CreateBucket",
    "PutBucketPolicy",
    "PutBucketPublicAccessBlock",
    "DeleteBucketPublicAccessBlock",
    "PutAccountPublicAccessBlock",
    "DeleteAccountPublicAccessBlock",
    "PutAccessPointPolicy",
];

/// Uploads that matter to the natural filter only with an ACL header.
pub const UPLOAD_EVENTS: [&str; 2] = ["PutObject", "CopyObject"];

/// Share of records that are S3 permission changes (about 1 in 1,500).
pub const CHANGE_RATE: f64 = 1.0 / 1500.0;
/// Share of records that are decoys.
pub const DECOY_RATE: f64 = 1.0 / 250.0;

const ACCOUNTS: [(&str, bool, f64); 3] = [
    ("111122223333", false, 5.0),
    ("444455556666", false, 3.0),
    ("777788889999", true, 2.0),
];
const REGIONS: [(&str, f64); 5] = [
    ("us-east-1", 5.0),
    ("us-west-2", 3.0),
    ("eu-west-1", 2.0),
    ("eu-central-1", 1.0),
    ("ap-southeast-2", 1.0),
];

/// Median records per file; file sizes are log-normal around it.
const MEDIAN_RECORDS: f64 = 900.0;
const SIGMA_RECORDS: f64 = 1.25;
const MAX_RECORDS: f64 = 12_000.0;
/// Distinct delivery days in a corpus.
const ACTIVE_DAYS: u64 = 12;

/// Where and when one log file is, and how many records it holds.
#[derive(Debug, Clone)]
pub struct FilePlan {
    /// Account ID.
    pub account: &'static str,
    /// Logged by the organization trail (`AWSLogs/o-.../<account>/...`).
    pub org: bool,
    /// Region.
    pub region: &'static str,
    /// Delivery time (Unix seconds).
    pub deliver: i64,
    /// The 16 random characters that end the name.
    pub suffix: String,
    /// Records in the file.
    pub records: usize,
}

impl FilePlan {
    /// The file's key under the archive root.
    pub fn key(&self) -> String {
        let (y, mo, d, ..) = time::parts(self.deliver);
        let org = if self.org {
            format!("{ORG_ID}/")
        } else {
            String::new()
        };
        format!(
            "AWSLogs/{org}{acct}/CloudTrail/{region}/{y:04}/{mo:02}/{d:02}/{acct}_CloudTrail_{region}_{}_{}.json.gz",
            time::stamp(self.deliver),
            self.suffix,
            acct = self.account,
            region = self.region,
        )
    }
}

/// The plan of file `index` of the corpus made from `seed`.
pub fn plan(seed: u64, index: u64) -> FilePlan {
    let mut r = Rng::derive(seed, index.wrapping_mul(2));
    let (account, org, _) = ACCOUNTS[r.weighted(&ACCOUNTS.map(|a| a.2))];
    let region = REGIONS[r.weighted(&REGIONS.map(|a| a.1))].0;
    let first = time::days_from_civil(2019, 6, 1);
    let last = time::days_from_civil(2026, 3, 31);
    // Files cluster on ACTIVE_DAYS days spread over the years (so that every
    // era's record shapes appear and each day's digest lists several files).
    let day = first + (last - first) * r.below(ACTIVE_DAYS) as i64 / (ACTIVE_DAYS as i64 - 1);
    let deliver = day * 86_400 + r.range(0, 23) * 3600 + r.range(0, 11) * 300 + r.range(0, 4) * 60;
    let records = if r.chance(0.003) {
        0
    } else {
        (MEDIAN_RECORDS * (SIGMA_RECORDS * r.normal()).exp())
            .round()
            .clamp(1.0, MAX_RECORDS) as usize
    };
    FilePlan {
        account,
        org,
        region,
        deliver,
        suffix: r.alnum(16),
        records,
    }
}

/// One generated log file, uncompressed.
#[derive(Debug, Clone)]
pub struct LogFile {
    /// Where and when.
    pub plan: FilePlan,
    /// The key under the archive root.
    pub key: String,
    /// The JSON document.
    pub json: Vec<u8>,
    /// What each record is, in order.
    pub records: Vec<RecordInfo>,
    /// Each record's size in bytes, in order.
    pub record_sizes: Vec<u32>,
}

impl LogFile {
    /// The file gzip-compressed (single member, libdeflate level 6).
    pub fn gzip(&self) -> Vec<u8> {
        gzip(&self.json)
    }
}

/// Single-member gzip at level 6, in one call.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut c = libdeflater::Compressor::new(libdeflater::CompressionLvl::new(6).expect("level 6"));
    let mut out = vec![0; c.gzip_compress_bound(data.len())];
    let n = c
        .gzip_compress(data, &mut out)
        .expect("the bound is large enough");
    out.truncate(n);
    out
}

/// Writes one record chosen with the corpus's mix.
fn next_record(c: &mut Ctx, out: &mut String) -> RecordInfo {
    let u = c.rng.f64();
    if u < CHANGE_RATE {
        let v = c.rng.f64();
        if v < 0.30 {
            let s = c.rng.below(EXPOSING_SCENARIOS);
            s3_change(c, out, s, false)
        } else if v < 0.75 {
            let s = EXPOSING_SCENARIOS + c.rng.below(HARMLESS_SCENARIOS);
            s3_change(c, out, s, false)
        } else {
            let s = c.rng.below(EXPOSING_SCENARIOS);
            s3_change(c, out, s, true)
        }
    } else if u < CHANGE_RATE + DECOY_RATE {
        decoy(c, out)
    } else {
        noise(c, out)
    }
}

fn build(plan: FilePlan, mut r: Rng) -> LogFile {
    let mut json = String::with_capacity(plan.records * 1800 + 16);
    let mut records = Vec::with_capacity(plan.records);
    let mut record_sizes = Vec::with_capacity(plan.records);
    let mut ctx = Ctx {
        rng: &mut r,
        acct: plan.account,
        region: plan.region,
        deliver: plan.deliver,
        era: era_of(plan.deliver),
    };
    json.push_str("{\"Records\":[");
    for i in 0..plan.records {
        if i > 0 {
            json.push(',');
        }
        let start = json.len();
        records.push(next_record(&mut ctx, &mut json));
        record_sizes.push((json.len() - start) as u32);
    }
    json.push_str("]}");
    LogFile {
        key: plan.key(),
        plan,
        json: json.into_bytes(),
        records,
        record_sizes,
    }
}

/// File `index` of the corpus made from `seed`.
pub fn log_file(seed: u64, index: u64) -> LogFile {
    build(
        plan(seed, index),
        Rng::derive(seed, index.wrapping_mul(2) + 1),
    )
}

/// A log file of exactly `records` records (recent record shapes), for
/// benchmarks that need a file of a given size.
pub fn log_file_with(seed: u64, records: usize) -> LogFile {
    let mut p = plan(seed, 0);
    p.records = records;
    p.deliver = time::ts(2025, 6, 18, 14, 35);
    build(p, Rng::derive(seed, 1))
}

/// `n` records of one class (compact JSON, one per element), for benchmarks
/// of the parse and rules stages. `Exposing`, `Harmless` and `Failed` cycle
/// through every scenario.
pub fn sample_records(seed: u64, n: usize, class: Class) -> Vec<(RecordInfo, Vec<u8>)> {
    let mut r = Rng::new(seed);
    let mut out = Vec::with_capacity(n);
    let regions = ["us-east-1", "eu-west-1"];
    for i in 0..n {
        let deliver = time::ts(
            2019 + (i % 7) as i64,
            1 + (i % 12) as u32,
            1 + (i % 28) as u32,
            12,
            5,
        );
        let mut ctx = Ctx {
            rng: &mut r,
            acct: ACCOUNTS[i % 3].0,
            region: regions[i % 2],
            deliver,
            era: era_of(deliver),
        };
        let mut s = String::new();
        let info = match class {
            Class::Noise => noise(&mut ctx, &mut s),
            Class::Decoy => decoy(&mut ctx, &mut s),
            Class::Exposing => s3_change(&mut ctx, &mut s, i as u64 % EXPOSING_SCENARIOS, false),
            Class::Harmless => s3_change(
                &mut ctx,
                &mut s,
                EXPOSING_SCENARIOS + i as u64 % HARMLESS_SCENARIOS,
                false,
            ),
            Class::Failed => s3_change(&mut ctx, &mut s, i as u64 % EXPOSING_SCENARIOS, true),
        };
        out.push((info, s.into_bytes()));
    }
    out
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct Options {
    /// Stop once the log files hold at least this many bytes of JSON.
    pub target_json_bytes: u64,
    /// The seed.
    pub seed: u64,
    /// Threads.
    pub jobs: usize,
}

/// Totals of a generated corpus.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Log files written.
    pub log_files: u64,
    /// Digest files written.
    pub digest_files: u64,
    /// Records in the log files.
    pub records: u64,
    /// Bytes of JSON (uncompressed).
    pub json_bytes: u64,
    /// Bytes of gzip (as stored).
    pub gz_bytes: u64,
    /// Records by class.
    pub by_class: BTreeMap<Class, u64>,
    /// Exposing records by finding kind (= lines of truth.jsonl).
    pub exposures: BTreeMap<&'static str, u64>,
    /// Records the natural filter selects (= lines of candidates.jsonl).
    pub candidates: u64,
    /// Smallest log file (JSON bytes).
    pub smallest_json: u64,
    /// Largest log file (JSON bytes).
    pub largest_json: u64,
    /// Largest log file (gzip bytes).
    pub largest_gz: u64,
    /// Record size percentiles (bytes): 50th, 90th, 99th, and the largest.
    pub record_bytes: [u32; 4],
}

impl Summary {
    /// Lines of `truth.jsonl`.
    pub fn truth(&self) -> u64 {
        self.exposures.values().sum()
    }

    /// The summary as one JSON object.
    pub fn to_json(&self) -> String {
        let classes = self
            .by_class
            .iter()
            .fold(json::Obj::new(), |o, (k, v)| {
                o.n(&format!("{k:?}").to_lowercase(), *v as i64)
            })
            .end();
        let kinds = self
            .exposures
            .iter()
            .fold(json::Obj::new(), |o, (k, v)| o.n(k, *v as i64))
            .end();
        json::Obj::new()
            .n("log_files", self.log_files as i64)
            .n("digest_files", self.digest_files as i64)
            .n("records", self.records as i64)
            .n("json_bytes", self.json_bytes as i64)
            .n("gz_bytes", self.gz_bytes as i64)
            .n("truth", self.truth() as i64)
            .n("candidates", self.candidates as i64)
            .raw("records_by_class", &classes)
            .raw("exposures_by_kind", &kinds)
            .n("smallest_file_json_bytes", self.smallest_json as i64)
            .n("largest_file_json_bytes", self.largest_json as i64)
            .n("largest_file_gz_bytes", self.largest_gz as i64)
            .n("record_bytes_p50", self.record_bytes[0] as i64)
            .n("record_bytes_p90", self.record_bytes[1] as i64)
            .n("record_bytes_p99", self.record_bytes[2] as i64)
            .n("record_bytes_max", self.record_bytes[3] as i64)
            .end()
    }

    /// A few lines for people.
    pub fn to_text(&self) -> String {
        let mb = |b: u64| b as f64 / 1e6;
        let kinds: Vec<String> = self
            .exposures
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        format!(
            "{} log files ({} digest files), {} records\n\
             {:.1} MB JSON, {:.1} MB gzip (ratio {:.2}); files {:.3} to {:.1} MB JSON (largest {:.2} MB gzip)\n\
             record bytes: median {}, p90 {}, p99 {}, max {}\n\
             records: {}\n\
             truth: {} exposing records ({})\n\
             candidates (natural filter): {}\n",
            self.log_files,
            self.digest_files,
            self.records,
            mb(self.json_bytes),
            mb(self.gz_bytes),
            self.json_bytes as f64 / self.gz_bytes.max(1) as f64,
            mb(self.smallest_json),
            mb(self.largest_json),
            mb(self.largest_gz),
            self.record_bytes[0],
            self.record_bytes[1],
            self.record_bytes[2],
            self.record_bytes[3],
            self.by_class.iter().map(|(k, v)| format!("{k:?} {v}")).collect::<Vec<_>>().join(", "),
            self.truth(),
            kinds.join(", "),
            self.candidates,
        )
    }
}

/// Accumulates the ground truth and the totals while files are written.
struct Ledger {
    truth: BufWriter<File>,
    candidates: BufWriter<File>,
    files: BufWriter<File>,
    summary: Summary,
    sizes: Vec<u32>,
}

impl Ledger {
    fn create(out: &Path) -> io::Result<Ledger> {
        let open = |name: &str| File::create(out.join(name)).map(BufWriter::new);
        Ok(Ledger {
            truth: open("truth.jsonl")?,
            candidates: open("candidates.jsonl")?,
            files: open("files.txt")?,
            summary: Summary {
                smallest_json: u64::MAX,
                ..Summary::default()
            },
            sizes: Vec::new(),
        })
    }

    fn record(&mut self, key: &str, info: &RecordInfo, size: u32) -> io::Result<()> {
        let s = &mut self.summary;
        s.records += 1;
        *s.by_class.entry(info.class).or_default() += 1;
        self.sizes.push(size);
        if let Some(kind) = info.kind {
            *s.exposures.entry(kind).or_default() += 1;
            let line = json::Obj::new()
                .s("log_file", key)
                .s("event_id", &info.event_id)
                .s("kind", kind)
                .s("event_name", info.event_name)
                .s("event_time", &time::iso(info.time))
                .end();
            writeln!(self.truth, "{line}")?;
        }
        if info.candidate {
            s.candidates += 1;
            let line = json::Obj::new()
                .s("log_file", key)
                .s("event_id", &info.event_id)
                .s("event_name", info.event_name)
                .b("exposing", info.kind.is_some())
                .end();
            writeln!(self.candidates, "{line}")?;
        }
        Ok(())
    }

    fn file(&mut self, key: &str, json_bytes: u64, gz_bytes: u64) -> io::Result<()> {
        let s = &mut self.summary;
        s.log_files += 1;
        s.json_bytes += json_bytes;
        s.gz_bytes += gz_bytes;
        s.smallest_json = s.smallest_json.min(json_bytes);
        s.largest_json = s.largest_json.max(json_bytes);
        s.largest_gz = s.largest_gz.max(gz_bytes);
        writeln!(self.files, "{key}")
    }

    fn finish(mut self, out: &Path) -> io::Result<Summary> {
        self.truth.flush()?;
        self.candidates.flush()?;
        self.files.flush()?;
        self.sizes.sort_unstable();
        let pct = |p: f64| -> u32 {
            if self.sizes.is_empty() {
                0
            } else {
                self.sizes[((self.sizes.len() - 1) as f64 * p) as usize]
            }
        };
        self.summary.record_bytes = [pct(0.5), pct(0.9), pct(0.99), pct(1.0)];
        if self.summary.log_files == 0 {
            self.summary.smallest_json = 0;
        }
        fs::write(out.join("summary.json"), self.summary.to_json() + "\n")?;
        Ok(self.summary)
    }
}

/// What a digest needs to know of one log file.
#[derive(Debug, Clone)]
pub struct DigestEntry {
    /// The log file's key.
    pub key: String,
    /// Hex SHA-256 of its JSON.
    pub sha256: String,
    /// Its oldest event time (Unix seconds).
    pub oldest: i64,
    /// Its newest event time.
    pub newest: i64,
    /// Its delivery time.
    pub deliver: i64,
}

/// Creates `out`, refusing one that already holds a corpus (stale files
/// would not be in the new ground truth).
fn fresh(out: &Path) -> io::Result<()> {
    if out.join("AWSLogs").exists() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} already holds AWSLogs/: remove it first", out.display()),
        ));
    }
    fs::create_dir_all(out)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn write_file(path: &Path, data: &[u8]) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    fs::write(path, data)
}

/// Generates a corpus under `out` (created if needed): log files until
/// `target_json_bytes` of JSON, digests, and the ground truth.
pub fn generate(out: &Path, options: &Options) -> io::Result<Summary> {
    fresh(out)?;
    let mut ledger = Ledger::create(out)?;
    let mut digests: digest::DigestGroups = BTreeMap::new();
    let jobs = options.jobs.max(1);
    let mut next = 0u64;
    'outer: loop {
        let batch: Vec<u64> = (next..next + 2 * jobs as u64).collect();
        next += batch.len() as u64;
        let made: Vec<(LogFile, Vec<u8>, String)> = std::thread::scope(|scope| {
            let handles: Vec<_> = batch
                .chunks(2)
                .map(|pair| {
                    scope.spawn(move || {
                        pair.iter()
                            .map(|&i| {
                                let f = log_file(options.seed, i);
                                let gz = f.gzip();
                                let sha = hex(&Sha256::digest(&f.json));
                                (f, gz, sha)
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("generator thread"))
                .collect()
        });
        for (file, gz, sha) in made {
            if ledger.summary.json_bytes >= options.target_json_bytes {
                break 'outer;
            }
            write_file(&out.join(&file.key), &gz)?;
            for (info, size) in file.records.iter().zip(&file.record_sizes) {
                ledger.record(&file.key, info, *size)?;
            }
            ledger.file(&file.key, file.json.len() as u64, gz.len() as u64)?;
            let times = file.records.iter().map(|r| r.time);
            let p = &file.plan;
            digests
                .entry((p.org, p.account, p.region, p.deliver.div_euclid(86_400)))
                .or_default()
                .push(DigestEntry {
                    key: file.key.clone(),
                    sha256: sha,
                    oldest: times.clone().min().unwrap_or(p.deliver),
                    newest: times.max().unwrap_or(p.deliver),
                    deliver: p.deliver,
                });
        }
    }
    let digest_files = digest::write_corpus(out, options.seed, digests, jobs)?;
    let mut summary = ledger.finish(out)?;
    summary.digest_files = digest_files;
    fs::write(out.join("summary.json"), summary.to_json() + "\n")?;
    Ok(summary)
}

/// Writes ONE log file of at least `target_json_bytes` of JSON under `out`
/// (with `truth.jsonl`, `candidates.jsonl`, `files.txt`, `summary.json`),
/// streaming through a gzip encoder so that memory stays small whatever the
/// size: for the Lambda memory test on a 50 MB gzip log file.
pub fn generate_single(
    out: &Path,
    target_json_bytes: u64,
    seed: u64,
) -> io::Result<(PathBuf, Summary)> {
    fs::create_dir_all(out)?;
    let mut ledger = Ledger::create(out)?;
    let mut p = plan(seed, 0);
    p.deliver = time::ts(2025, 6, 18, 14, 35);
    let key = p.key();
    let path = out.join(&key);
    fs::create_dir_all(path.parent().expect("a key has directories"))?;
    let file = BufWriter::with_capacity(1 << 20, File::create(&path)?);
    let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::new(6));
    let mut r = Rng::derive(seed, 1);
    let mut ctx = Ctx {
        rng: &mut r,
        acct: p.account,
        region: p.region,
        deliver: p.deliver,
        era: era_of(p.deliver),
    };
    let mut json_bytes = 0u64;
    let mut buf = String::with_capacity(64 << 10);
    gz.write_all(b"{\"Records\":[")?;
    json_bytes += 12;
    let mut first = true;
    while json_bytes < target_json_bytes {
        buf.clear();
        if !first {
            buf.push(',');
        }
        first = false;
        let start = buf.len();
        let info = next_record(&mut ctx, &mut buf);
        ledger.record(&key, &info, (buf.len() - start) as u32)?;
        gz.write_all(buf.as_bytes())?;
        json_bytes += buf.len() as u64;
    }
    gz.write_all(b"]}")?;
    json_bytes += 2;
    gz.finish()?.flush()?;
    let gz_bytes = fs::metadata(&path)?.len();
    ledger.file(&key, json_bytes, gz_bytes)?;
    Ok((path, ledger.finish(out)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic() {
        let a = log_file(42, 3);
        let b = log_file(42, 3);
        assert_eq!(a.json, b.json);
        assert_eq!(a.key, b.key);
        assert_ne!(log_file(43, 3).json, a.json);
    }

    #[test]
    fn every_record_is_valid_json_with_its_id() {
        for class in [
            Class::Noise,
            Class::Decoy,
            Class::Exposing,
            Class::Harmless,
            Class::Failed,
        ] {
            for (info, bytes) in sample_records(9, 120, class) {
                let text = std::str::from_utf8(&bytes).unwrap();
                let v: serde_json::Value = serde_json::from_slice(&bytes).expect(text);
                assert_eq!(v["eventID"], info.event_id.as_str());
                assert!(text.starts_with('{') && text.ends_with('}'), "{text}");
                assert!(text.contains(&format!("\"eventID\":\"{}\"", info.event_id)));
                assert!(text.contains(&format!("\"eventName\":\"{}\"", info.event_name)));
                assert_eq!(info.class, class, "{text}");
                assert_eq!(info.kind.is_some(), class == Class::Exposing);
                let natural = info.event_source == "s3.amazonaws.com"
                    && !text.contains("\"errorCode\"")
                    && (PERMISSION_EVENTS.contains(&info.event_name)
                        || (UPLOAD_EVENTS.contains(&info.event_name)
                            && (text.contains("\"x-amz-acl\"")
                                || text.contains("\"x-amz-grant-"))));
                assert_eq!(info.candidate, natural, "{text}");
            }
        }
    }

    #[test]
    fn file_layout() {
        let f = log_file(1, 0);
        assert!(f.key.starts_with("AWSLogs/"));
        assert!(f.key.ends_with(".json.gz"));
        assert!(f.json.starts_with(b"{\"Records\":["));
        assert!(f.json.ends_with(b"]}"));
        assert_eq!(f.records.len(), f.plan.records);
        let v: serde_json::Value = serde_json::from_slice(&f.json).unwrap();
        assert_eq!(v["Records"].as_array().unwrap().len(), f.records.len());
    }
}
