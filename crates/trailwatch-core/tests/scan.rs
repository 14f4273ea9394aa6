//! Integration tests of `Scanner` through the public API, against the shipped
//! fixtures and their oracle (`fixtures/*-expected.jsonl`), and against
//! generated hostile inputs.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::path::PathBuf;

use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use serde_json::{json, Value};
use trailwatch_core::{FileScan, Finding, Kind, Limits, ScanErrorKind, Scanner};

// ---------------------------------------------------------------- helpers

/// Is this path a CloudTrail side file (digest or insight) rather than a log?
fn is_side_file(relative: &str) -> bool {
    relative
        .split('/')
        .any(|c| c == "CloudTrail-Digest" || c == "CloudTrail-Insight")
}

/// Every readable log file among the fixtures: `(name relative to the repo
/// root, as the oracle spells it, absolute path)`.
fn fixture_logs() -> Vec<(String, PathBuf)> {
    let root = workspace_root();
    let mut files = files_under(&root.join("fixtures/logs"));
    files.extend(files_under(&root.join("fixtures/bad")));
    let mut logs: Vec<(String, PathBuf)> = files
        .into_iter()
        .map(|p| {
            let rel = p
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (rel, p)
        })
        .filter(|(rel, _)| {
            let is_log = rel.ends_with(".json.gz") || rel.ends_with(".json");
            let readable = !rel.starts_with("fixtures/bad/") || rel.contains("-neighbour");
            is_log && readable && !is_side_file(rel)
        })
        .collect();
    logs.sort();
    assert!(
        logs.len() > 10,
        "fixtures not found under {}",
        root.display()
    );
    logs
}

/// The oracle files, as JSON objects.
fn oracle() -> Vec<Value> {
    let mut all = trailwatch_testkit::oracle("logs-expected.jsonl");
    all.extend(trailwatch_testkit::oracle("bad-expected.jsonl"));
    all
}

/// The fields the oracle pins down, in a comparable form.
type OracleKey = Vec<Option<String>>;

use trailwatch_testkit::{files_under, put_bucket_acl_record, workspace_root, ORACLE_FIELDS};

fn oracle_key(v: &Value) -> OracleKey {
    ORACLE_FIELDS
        .iter()
        .map(|f| match &v[*f] {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            other => panic!("unexpected {f} value {other}"),
        })
        .collect()
}

fn finding_keys(findings: &[Finding]) -> Vec<OracleKey> {
    let mut keys: Vec<OracleKey> = findings
        .iter()
        .map(|f| oracle_key(&serde_json::to_value(f).unwrap()))
        .collect();
    keys.sort();
    keys
}

fn expected_for(oracle: &[Value], log_file: &str) -> Vec<OracleKey> {
    let mut keys: Vec<OracleKey> = oracle
        .iter()
        .filter(|v| v["log_file"] == log_file)
        .map(oracle_key)
        .collect();
    keys.sort();
    keys
}

/// Decompressed content of a fixture (gzip or plain).
fn json_of(bytes: &[u8]) -> Vec<u8> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        MultiGzDecoder::new(bytes).read_to_end(&mut out).unwrap();
        out
    } else {
        bytes.to_vec()
    }
}

/// Number of records, counted by a full JSON parse (independent of the scanner).
fn record_count(bytes: &[u8]) -> u64 {
    let doc: Value = serde_json::from_slice(&json_of(bytes)).unwrap();
    doc["Records"].as_array().unwrap().len() as u64
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// A reader that hands out at most `step` bytes per call.
struct Trickle<R> {
    inner: R,
    step: usize,
}

impl<R: Read> Read for Trickle<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.step);
        self.inner.read(&mut buf[..n])
    }
}

/// A reader that serves `data` and then fails with ConnectionReset once
/// `fail_at` bytes have been delivered.
struct FailAfter<'a> {
    data: &'a [u8],
    pos: usize,
    fail_at: usize,
}

impl Read for FailAfter<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.fail_at {
            return Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "injected failure",
            ));
        }
        let n = buf
            .len()
            .min(self.fail_at - self.pos)
            .min(self.data.len() - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

fn streaming_limits() -> Limits {
    Limits {
        whole_file_bytes: 0,
        ..Limits::default()
    }
}

/// A harmless data event.
fn noise_record(i: usize) -> Value {
    json!({
        "eventVersion": "1.09",
        "userIdentity": {"type": "AWSService", "invokedBy": "s3.amazonaws.com"},
        "eventTime": "2024-02-08T11:58:29Z",
        "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "10.1.2.3",
        "userAgent": "aws-sdk-java/1.12.266",
        "requestParameters": {"bucketName": "quiet", "key": format!("data/{i:06}.parquet")},
        "eventID": format!("noise-{i}"),
        "recipientAccountId": "111122223333",
        "eventType": "AwsApiEvent",
        "padding": "p".repeat(1200)
    })
}

fn document(records: &[Value]) -> Vec<u8> {
    let body: Vec<String> = records
        .iter()
        .map(|r| serde_json::to_string(r).unwrap())
        .collect();
    format!("{{\"Records\":[{}]}}", body.join(",")).into_bytes()
}

fn ids(scan: &FileScan) -> Vec<&str> {
    scan.findings.iter().map(|f| f.event_id.as_str()).collect()
}

fn error_kind(scan: &FileScan) -> &ScanErrorKind {
    &scan
        .error
        .as_ref()
        .unwrap_or_else(|| panic!("{}: expected an error, got none", scan.log_file))
        .kind
}

// ------------------------------------------------------------------ tests

/// B1: every way of feeding a fixture gives the same findings and record
/// count, and they agree with the oracle and with a full JSON parse.
#[test]
fn every_reading_path_agrees_with_the_oracle() {
    let oracle = oracle();
    let mut default = Scanner::new(Limits::default());
    let mut streaming = Scanner::new(streaming_limits());
    let mut total_findings = 0;
    for (name, path) in fixture_logs() {
        let bytes = std::fs::read(&path).unwrap();
        let records = record_count(&bytes);
        let expected = expected_for(&oracle, &name);
        total_findings += expected.len();
        let mut scans = Vec::new();
        for (label, scanner) in [("default", &mut default), ("streaming", &mut streaming)] {
            scans.push((
                format!("{label} scan_bytes"),
                scanner.scan_bytes(&name, &bytes),
            ));
            let trickle = Trickle {
                inner: bytes.as_slice(),
                step: 7,
            };
            scans.push((
                format!("{label} scan_reader/7"),
                scanner.scan_reader(&name, trickle),
            ));
            scans.push((
                format!("{label} scan_path"),
                scanner.scan_path(&path, &name),
            ));
        }
        let (_, reference) = &scans[0];
        for (how, scan) in &scans {
            assert!(
                scan.error.is_none(),
                "{name} via {how}: unexpected error {:?}",
                scan.error
            );
            assert_eq!(scan.log_file, name);
            assert_eq!(
                scan.stats.records, records,
                "{name} via {how}: record count"
            );
            assert!(scan.stats.candidates <= scan.stats.records);
            assert_eq!(
                scan.stats.json_bytes,
                json_of(&bytes).len() as u64,
                "{name} via {how}: JSON bytes"
            );
            assert_eq!(
                scan.findings, reference.findings,
                "{name} via {how}: findings differ from scan_bytes"
            );
            assert_eq!(
                finding_keys(&scan.findings),
                expected,
                "{name} via {how}: findings differ from the oracle"
            );
        }
    }
    assert_eq!(
        total_findings,
        oracle.len(),
        "some oracle file was not scanned"
    );
}

/// B2: each hostile fixture fails with its own error kind, and none of them
/// invents findings.
#[test]
fn bad_fixtures_give_their_error_kind() {
    let limit = 8u64 << 20;
    let bad = workspace_root().join("fixtures/bad");
    let mut names: Vec<String> = std::fs::read_dir(&bad)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.contains("-neighbour"))
        .collect();
    names.sort();
    let check = |name: &str, kind: &ScanErrorKind| -> bool {
        match name {
            "empty.json.gz" => matches!(kind, ScanErrorKind::Empty),
            "not-gzip.json.gz" => matches!(kind, ScanErrorKind::UnknownFormat(_)),
            "truncated.json.gz" => matches!(kind, ScanErrorKind::Gzip(_)),
            "bomb.json.gz" => matches!(kind, ScanErrorKind::TooLarge { limit: l } if *l == limit),
            // Broken JSON that leaves a string open: the splitter sees the end
            // of the document inside a string.
            "invalid-json.json.gz" => matches!(kind, ScanErrorKind::Truncated { .. }),
            "not-records.json.gz" | "not-records-array.json.gz" | "records-not-array.json.gz" => {
                matches!(kind, ScanErrorKind::NotCloudTrail { .. })
            }
            "huge-record.json.gz" => {
                matches!(kind, ScanErrorKind::RecordTooLarge { limit, .. } if *limit == 1 << 20)
            }
            other => panic!("new bad fixture {other}: add its expected error kind here"),
        }
    };
    for whole in [Limits::default().whole_file_bytes, 0] {
        let limits = Limits {
            max_decompressed_bytes: limit,
            max_record_bytes: 1 << 20,
            whole_file_bytes: whole,
            ..Limits::default()
        };
        let mut scanner = Scanner::new(limits);
        for name in &names {
            let path = bad.join(name);
            let bytes = std::fs::read(&path).unwrap();
            let log_file = format!("fixtures/bad/{name}");
            for scan in [
                scanner.scan_path(&path, &log_file),
                scanner.scan_bytes(&log_file, &bytes),
                scanner.scan_reader(&log_file, bytes.as_slice()),
            ] {
                let kind = error_kind(&scan);
                assert!(
                    check(name, kind),
                    "{name} (whole_file_bytes {whole}): unexpected error {kind:?}"
                );
                let error = scan.error.as_ref().unwrap();
                assert!(
                    !error.is_transient(),
                    "{name}: content errors are not transient"
                );
                assert_eq!(error.log_file, log_file);
                assert!(error.to_string().starts_with(&log_file));
                assert!(scan.findings.is_empty(), "{name}: {:?}", scan.findings);
            }
        }
    }
}

/// B2: a failing source is a transient `Source` error; corrupt gzip is not.
#[test]
fn io_failures_are_transient_and_corruption_is_not() {
    let (name, path) = fixture_logs()
        .into_iter()
        .filter(|(n, _)| n.ends_with(".json.gz"))
        .max_by_key(|(_, p)| std::fs::metadata(p).unwrap().len())
        .unwrap();
    let gz = std::fs::read(&path).unwrap();
    let plain = json_of(&gz);
    let mut scanner = Scanner::new(Limits::default());
    for (what, data) in [("gzip", &gz), ("plain", &plain)] {
        for fail_at in [0, 5, 100, data.len() / 2, data.len() - 1] {
            let reader = FailAfter {
                data,
                pos: 0,
                fail_at,
            };
            let scan = scanner.scan_reader(&name, reader);
            let error = scan
                .error
                .as_ref()
                .unwrap_or_else(|| panic!("{what} failing at {fail_at}: no error"));
            match &error.kind {
                ScanErrorKind::Source(e) => {
                    assert_eq!(
                        e.kind(),
                        io::ErrorKind::ConnectionReset,
                        "{what} at {fail_at}"
                    )
                }
                other => panic!("{what} failing at {fail_at}: expected Source, got {other:?}"),
            }
            assert!(error.is_transient(), "{what} at {fail_at}");
            assert!(scan.stats.records <= record_count(&gz));
        }
    }

    // A bad block type right after the gzip header: corrupt from the start.
    let mut corrupt = gzip(&document(&[put_bucket_acl_record(
        "c-1",
        "b",
        "public-read",
    )]));
    assert_eq!(corrupt[3], 0, "no optional gzip header fields");
    corrupt[10] = 0x07; // BFINAL=1, BTYPE=11 (reserved)
                        // A damaged CRC: every byte inflates, the check at the end fails.
    let mut bad_crc = gzip(&document(&[put_bucket_acl_record(
        "c-2",
        "b",
        "public-read",
    )]));
    let at = bad_crc.len() - 8;
    bad_crc[at] ^= 0xff;
    for (what, data) in [("bad block type", &corrupt), ("bad CRC", &bad_crc)] {
        for scan in [
            scanner.scan_bytes(what, data),
            scanner.scan_reader(what, data.as_slice()),
        ] {
            let error = scan
                .error
                .as_ref()
                .unwrap_or_else(|| panic!("{what}: no error"));
            assert!(
                matches!(error.kind, ScanErrorKind::Gzip(_)),
                "{what}: expected Gzip, got {:?}",
                error.kind
            );
            assert!(!error.is_transient(), "{what}");
        }
    }
}

/// B3: findings made before an error are kept, whatever the error.
#[test]
fn findings_before_an_error_are_kept() {
    let mut records = vec![
        put_bucket_acl_record("early-1", "early-a", "public-read"),
        noise_record(0),
        put_bucket_acl_record("early-2", "early-b", "public-read-write"),
    ];
    records.extend((1..400).map(noise_record));
    records.push(put_bucket_acl_record("late-1", "late", "public-read"));
    let doc = document(&records);
    let full_gz = gzip(&doc);
    let full_count = records.len() as u64;

    // The JSON cut in the middle of the last record.
    let cut_json = &doc[..doc.len() - 300];
    let cut_json_gz = gzip(cut_json);
    // The gzip stream cut in half (the late record is in the second half).
    let cut_gz = &full_gz[..full_gz.len() / 2];

    type Case<'a> = (&'a str, Box<dyn Fn(&mut Scanner) -> FileScan + 'a>);
    let mut cases: Vec<Case> = vec![
        (
            "plain JSON truncated",
            Box::new(|s: &mut Scanner| s.scan_bytes("t", cut_json)),
        ),
        (
            "gzip of truncated JSON",
            Box::new(|s: &mut Scanner| s.scan_bytes("t", &cut_json_gz)),
        ),
        (
            "gzip of truncated JSON, streamed",
            Box::new(|s: &mut Scanner| s.scan_reader("t", cut_json_gz.as_slice())),
        ),
        (
            "truncated gzip",
            Box::new(|s: &mut Scanner| s.scan_bytes("t", cut_gz)),
        ),
        (
            "source failing",
            Box::new(|s: &mut Scanner| {
                s.scan_reader(
                    "t",
                    FailAfter {
                        data: &full_gz,
                        pos: 0,
                        fail_at: full_gz.len() / 2,
                    },
                )
            }),
        ),
    ];
    cases.push((
        "record too large",
        Box::new(|s: &mut Scanner| {
            let mut r = records.clone();
            r[200]["userAgent"] = Value::String("u".repeat(3 << 20));
            s.scan_bytes("t", &gzip(&document(&r)))
        }),
    ));
    for limits in [Limits::default(), streaming_limits()] {
        let mut scanner = Scanner::new(limits);
        let whole = scanner.scan_bytes("t", &full_gz);
        assert!(whole.error.is_none());
        assert_eq!(ids(&whole), ["early-1", "early-2", "late-1"]);
        assert_eq!(whole.stats.records, full_count);
        for (what, run) in &cases {
            let scan = run(&mut scanner);
            assert!(scan.error.is_some(), "{what}: expected an error");
            assert_eq!(ids(&scan), ["early-1", "early-2"], "{what}");
            assert!(scan.stats.records >= 3, "{what}");
            assert!(scan.stats.records < full_count, "{what}");
            if let ScanErrorKind::Truncated { records } = error_kind(&scan) {
                assert_eq!(*records, scan.stats.records, "{what}");
            }
        }
    }
}

/// B4: dedup by event ID within a file, never across files.
#[test]
fn duplicates_are_merged_within_a_file_only() {
    let a = put_bucket_acl_record("dup-1", "dup-bucket", "public-read");
    let b = put_bucket_acl_record("dup-2", "dup-bucket", "public-read");
    let one = gzip(&document(&[
        a.clone(),
        noise_record(1),
        a.clone(),
        b.clone(),
        a.clone(),
    ]));
    let two = gzip(&document(&[noise_record(2), a.clone()]));
    for limits in [Limits::default(), streaming_limits()] {
        let mut scanner = Scanner::new(limits);
        let first = scanner.scan_bytes("one", &one);
        assert!(first.error.is_none());
        assert_eq!(first.stats.records, 5);
        assert_eq!(ids(&first), ["dup-1", "dup-2"]);
        let second = scanner.scan_bytes("two", &two);
        assert_eq!(ids(&second), ["dup-1"]);
        assert_eq!(second.findings[0].log_file, "two");
        let again = scanner.scan_reader("one", one.as_slice());
        assert_eq!(ids(&again), ["dup-1", "dup-2"]);
    }
}

/// B5: at most `max_findings_per_file` findings, and an error saying so.
#[test]
fn findings_per_file_are_capped() {
    let make = |n: usize| {
        let records: Vec<Value> = (0..n)
            .flat_map(|i| {
                [
                    put_bucket_acl_record(&format!("cap-{i:03}"), &format!("b{i}"), "public-read"),
                    noise_record(i),
                ]
            })
            .collect();
        gzip(&document(&records))
    };
    let limits = Limits {
        max_findings_per_file: 10,
        ..Limits::default()
    };
    let expected: Vec<String> = (0..10).map(|i| format!("cap-{i:03}")).collect();
    for limits in [
        limits,
        Limits {
            whole_file_bytes: 0,
            ..limits
        },
    ] {
        let mut scanner = Scanner::new(limits);
        let scan = scanner.scan_bytes("many", &make(50));
        assert_eq!(scan.findings.len(), 10);
        assert_eq!(ids(&scan), expected);
        assert!(
            matches!(
                error_kind(&scan),
                ScanErrorKind::TooManyFindings { limit: 10 }
            ),
            "{:?}",
            scan.error
        );
        assert!(!scan.error.as_ref().unwrap().is_transient());
        // Exactly at the cap is not an error.
        let scan = scanner.scan_bytes("ten", &make(10));
        assert!(scan.error.is_none(), "{:?}", scan.error);
        assert_eq!(ids(&scan), expected);
    }
}

/// B6: 100,000 nested arrays are refused by depth, without recursion.
#[test]
fn nesting_bomb_is_too_deep() {
    const DEPTH: usize = 100_000;
    // The nesting sits inside requestParameters, which the rules parse.
    let record =
        serde_json::to_string(&put_bucket_acl_record("deep-1", "deep", "public-read")).unwrap();
    let acl = "\"x-amz-acl\":\"public-read\"";
    assert_eq!(record.matches(acl).count(), 1);
    let nested = format!(
        "{acl},\"nested\":{}{}",
        "[".repeat(DEPTH),
        "]".repeat(DEPTH)
    );
    let bomb = record.replace(acl, &nested);
    let first =
        serde_json::to_string(&put_bucket_acl_record("ok-1", "fine", "public-read")).unwrap();
    let doc = format!("{{\"Records\":[{first},{bomb}]}}");
    let gz = gzip(doc.as_bytes());
    for limits in [Limits::default(), streaming_limits()] {
        let mut scanner = Scanner::new(limits);
        for scan in [
            scanner.scan_bytes("deep", doc.as_bytes()),
            scanner.scan_bytes("deep", &gz),
            scanner.scan_reader("deep", gz.as_slice()),
        ] {
            match error_kind(&scan) {
                ScanErrorKind::TooDeep { index, limit } => {
                    assert_eq!(*index, 1);
                    assert_eq!(*limit, limits.max_depth);
                }
                other => panic!("expected TooDeep, got {other:?}"),
            }
            assert_eq!(ids(&scan), ["ok-1"]);
        }
    }
    // Evaluating the record directly is refused by the parser, not by a crash.
    assert!(trailwatch_core::detect_record(bomb.as_bytes(), "deep", &Limits::default()).is_err());
}

/// The kinds seen in the oracle are ones the rules know, and each kind's
/// findings in the fixtures come from the events the rules name.
#[test]
fn oracle_kinds_are_rule_kinds() {
    let mut by_kind: BTreeMap<String, usize> = BTreeMap::new();
    for v in oracle() {
        *by_kind
            .entry(v["kind"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    let rules: Vec<&str> = Kind::RULES.iter().map(|k| k.as_str()).collect();
    for kind in by_kind.keys() {
        assert!(rules.contains(&kind.as_str()), "{kind}");
        assert!(kind.parse::<Kind>().is_ok());
    }
    assert_eq!(by_kind.len(), Kind::RULES.len(), "every rule has a fixture");
}
