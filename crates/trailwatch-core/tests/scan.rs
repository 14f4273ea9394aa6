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
use trailwatch_core::{FileScan, Finding, Kind, Limits, ScanErrorKind, Scanner, SkipReason};

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
            // The oversized record's file is read too (the record is skipped).
            let readable = !rel.starts_with("fixtures/bad/")
                || rel.contains("-neighbour")
                || rel.ends_with("/huge-record.json.gz");
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
            // The oracle lists exposures; refused calls are `blocked`
            // findings, all of them from records that carry an errorCode.
            let (refused, exposures): (Vec<Finding>, Vec<Finding>) = judged_alone(scan)
                .into_iter()
                .partition(|f| f.exposure == trailwatch_core::Exposure::Blocked);
            assert!(refused.iter().all(|f| f.reason.starts_with("refused (")));
            assert_eq!(
                finding_keys(&exposures),
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

/// With `fixtures/trust.toml`, every fixture gives the oracle's findings plus
/// exactly the cross-account ones of `logs-trusted-expected.jsonl`; without
/// it (above), none of those.
/// A file's findings judged with its own changes alone, as the Lambda
/// judges them: a finding that rests on the archive (a DetachPolicy) stands
/// only if the file shows what it rests on.
fn judged_alone(scan: &trailwatch_core::FileScan) -> Vec<Finding> {
    let mut judged = scan.findings.clone();
    trailwatch_core::exposure::judge(&mut judged, scan.changes.clone());
    judged
}

#[test]
fn the_trusted_set_adds_exactly_the_cross_account_findings() {
    let config = workspace_root().join("fixtures/trust.toml");
    let trust = trailwatch_core::Allowlist::load(&config)
        .unwrap()
        .trust()
        .clone();
    assert!(trust.is_configured());
    let mut oracle = oracle();
    let trusted = trailwatch_testkit::oracle("logs-trusted-expected.jsonl");
    assert!(trusted.len() >= 5, "the trusted oracle lists its findings");
    oracle.extend(trusted);
    let mut scanner = Scanner::new(Limits::default()).with_trust(trust);
    let mut foreign = 0;
    for (name, path) in fixture_logs() {
        let scan = scanner.scan_path(&path, &name);
        let exposures: Vec<Finding> = judged_alone(&scan)
            .into_iter()
            .filter(|f| f.exposure != trailwatch_core::Exposure::Blocked)
            .collect();
        foreign += exposures.iter().filter(|f| f.kind.is_foreign()).count();
        assert!(exposures
            .iter()
            .filter(|f| f.kind.is_foreign())
            .all(|f| f.exposure == trailwatch_core::Exposure::Effective));
        assert_eq!(
            finding_keys(&exposures),
            expected_for(&oracle, &name),
            "{name}"
        );
    }
    assert!(foreign >= 5);
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
        // The oversized record is skipped, not a file error: its own test.
        .filter(|n| !n.contains("-neighbour") && n != "huge-record.json.gz")
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

/// The fixture whose record is over the size cap: the file is read, the
/// record is reported as skipped, and, being a PutBucketAcl, is still a
/// finding (it cannot be shown to be private).
#[test]
fn huge_record_fixture_is_skipped_and_still_alerted() {
    let path = workspace_root().join("fixtures/bad/huge-record.json.gz");
    let bytes = std::fs::read(&path).unwrap();
    for limits in [Limits::default(), streaming_limits()] {
        let mut scanner = Scanner::new(limits);
        for scan in [
            scanner.scan_path(&path, "huge"),
            scanner.scan_bytes("huge", &bytes),
        ] {
            assert!(scan.error.is_none(), "{:?}", scan.error);
            assert_eq!(scan.stats.skipped_records, 1);
            let skipped = &scan.skipped[0];
            assert_eq!(skipped.reason, SkipReason::TooLarge { limit: 1 << 20 });
            assert_eq!(skipped.head.event_name.as_deref(), Some("PutBucketAcl"));
            assert_eq!(scan.findings.len(), 1, "{:?}", scan.findings);
            let finding = &scan.findings[0];
            assert_eq!(finding.kind, Kind::BucketAclPublic);
            assert_eq!(Some(&finding.event_id), skipped.head.event_id.as_ref());
            assert!(
                finding.reason.contains("was not evaluated"),
                "{}",
                finding.reason
            );
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
    let cases: Vec<Case> = vec![
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
    // (An oversized record no longer ends the file: see
    // an_oversized_record_does_not_hide_the_public_policy_after_it.)
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

/// B5: at most `max_findings_per_file` findings, and an error saying how
/// many more there were: the file is still read to its end.
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
                ScanErrorKind::TooManyFindings {
                    limit: 10,
                    dropped: 40
                }
            ),
            "{:?}",
            scan.error
        );
        assert_eq!(scan.stats.records, 100, "read to the end");
        assert!(!scan.error.as_ref().unwrap().is_transient());
        // Exactly at the cap is not an error.
        let scan = scanner.scan_bytes("ten", &make(10));
        assert!(scan.error.is_none(), "{:?}", scan.error);
        assert_eq!(ids(&scan), expected);
    }
}

/// Scans `doc` every way (plain, gzip whole, gzip streamed; whole-file and
/// streaming limits) and checks that each way gives the same outcome.
fn scan_every_way(doc: &[u8], limits: Limits) -> FileScan {
    let gz = gzip(doc);
    let mut outcomes = Vec::new();
    for limits in [
        limits,
        Limits {
            whole_file_bytes: 0,
            ..limits
        },
    ] {
        let mut scanner = Scanner::new(limits);
        outcomes.push(scanner.scan_bytes("f", doc));
        outcomes.push(scanner.scan_bytes("f", &gz));
        outcomes.push(scanner.scan_reader(
            "f",
            Trickle {
                inner: gz.as_slice(),
                step: 1000,
            },
        ));
    }
    let first = outcomes.remove(0);
    for other in &outcomes {
        assert_eq!(other.findings, first.findings);
        assert_eq!(other.skipped, first.skipped);
        assert_eq!(
            other.error.as_ref().map(ToString::to_string),
            first.error.as_ref().map(ToString::to_string)
        );
    }
    first
}

fn public_acl_after(first: &str) -> Vec<u8> {
    let after =
        serde_json::to_string(&put_bucket_acl_record("after-1", "after", "public-read")).unwrap();
    format!("{{\"Records\":[{first},{after}]}}").into_bytes()
}

/// B6: a first record nested 80 levels deep (or 100,000) is skipped; the
/// public ACL after it is found, and the skipped record is named.
#[test]
fn a_deep_record_does_not_hide_the_public_acl_after_it() {
    for levels in [80usize, 100_000] {
        let deep = format!(
            r#"{{"eventID":"deep-1","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","requestParameters":{{"x":{}1{}}}}}"#,
            "[".repeat(levels),
            "]".repeat(levels)
        );
        let scan = scan_every_way(&public_acl_after(&deep), Limits::default());
        assert!(scan.error.is_none(), "{:?}", scan.error);
        assert_eq!(ids(&scan), ["after-1"]);
        assert_eq!(scan.stats.skipped_records, 1);
        let skipped = &scan.skipped[0];
        assert_eq!((skipped.index, skipped.offset), (0, 12));
        assert_eq!(skipped.reason, SkipReason::TooDeep { limit: 64 });
        assert_eq!(skipped.head.event_id.as_deref(), Some("deep-1"));
        assert_eq!(
            skipped.to_string(),
            "record 1 (at byte 12, eventID deep-1, eventSource ec2.amazonaws.com, eventName RunInstances) skipped: nests deeper than 64 levels"
        );
    }
}

/// An oversized record, then a public policy: the policy is found.
#[test]
fn an_oversized_record_does_not_hide_the_public_policy_after_it() {
    let big = format!(
        r#"{{"eventID":"big-1","eventSource":"ec2.amazonaws.com","eventName":"CreateTags","userAgent":"{}"}}"#,
        "u".repeat(3 << 20)
    );
    let policy = json!({
        "eventVersion": "1.08", "eventSource": "s3.amazonaws.com", "eventName": "PutBucketPolicy",
        "eventID": "policy-1", "eventTime": "2024-05-01T10:00:00Z", "awsRegion": "us-east-1",
        "recipientAccountId": "111122223333",
        "requestParameters": {"bucketName": "open", "bucketPolicy": {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                           "Resource": "arn:aws:s3:::open/*"}]}}
    });
    let doc = format!("{{\"Records\":[{big},{policy}]}}");
    let scan = scan_every_way(doc.as_bytes(), Limits::default());
    assert!(scan.error.is_none(), "{:?}", scan.error);
    assert_eq!(ids(&scan), ["policy-1"]);
    assert_eq!(scan.findings[0].kind, Kind::BucketPolicyPublic);
    assert_eq!(
        scan.skipped[0].reason,
        SkipReason::TooLarge { limit: 1 << 20 }
    );
    // Not a watched event: skipped and named, but no finding of its own.
    assert_eq!(
        scan.skipped[0].head.event_name.as_deref(),
        Some("CreateTags")
    );
}

/// An oversized *watched* record is itself a finding that cannot be shown
/// private, named from its head; an oversized watched record that failed,
/// or that comes from another service, is not.
#[test]
fn an_oversized_watched_record_is_still_a_finding() {
    let padded = |id: &str, source: &str, error: &str| {
        format!(
            r#"{{"eventVersion":"1.08","userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/mallory","accountId":"111122223333"}},"eventTime":"2024-05-01T10:00:00Z","eventSource":"{source}","eventName":"PutBucketPolicy","awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.9",{error}"requestParameters":{{"bucketName":"hidden","bucketPolicy":{{"Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Sid":"{}"}}]}}}},"eventID":"{id}","recipientAccountId":"111122223333"}}"#,
            "p".repeat(2 << 20)
        )
    };
    let doc = format!(
        "{{\"Records\":[{},{},{}]}}",
        padded("hidden-1", "s3.amazonaws.com", ""),
        padded(
            "failed-1",
            "s3.amazonaws.com",
            r#""errorCode":"AccessDenied","#
        ),
        padded("lightsail-1", "lightsail.amazonaws.com", "")
    );
    let scan = scan_every_way(doc.as_bytes(), Limits::default());
    assert!(scan.error.is_none(), "{:?}", scan.error);
    assert_eq!(scan.stats.skipped_records, 3);
    assert_eq!(ids(&scan), ["hidden-1"]);
    let finding = &scan.findings[0];
    assert_eq!(finding.kind, Kind::BucketPolicyPublic);
    assert_eq!(finding.bucket.as_deref(), Some("hidden"));
    assert_eq!(finding.account, "111122223333");
    assert_eq!(finding.region, "eu-west-1");
    assert_eq!(finding.actor_arn, "arn:aws:iam::111122223333:user/mallory");
    assert_eq!(finding.event_time, "2024-05-01T10:00:00Z");
    assert!(
        finding
            .reason
            .starts_with("record 1 was not evaluated: it larger than"),
        "{}",
        finding.reason
    );
}

/// A string of 100,000 escaped quotes does not end a record early.
#[test]
fn escaped_quotes_stay_inside_their_string() {
    let quotes = format!(
        r#"{{"eventName":"GetObject","userAgent":"{}"}}"#,
        "\\\"".repeat(100_000)
    );
    for max_record_bytes in [1 << 20, 1 << 16] {
        let scan = scan_every_way(
            &public_acl_after(&quotes),
            Limits {
                max_record_bytes,
                ..Limits::default()
            },
        );
        assert!(scan.error.is_none(), "{:?}", scan.error);
        assert_eq!(ids(&scan), ["after-1"]);
        assert_eq!(scan.stats.records, 2);
        assert_eq!(
            scan.stats.skipped_records,
            u64::from(max_record_bytes < 200_000)
        );
    }
}

/// A candidate the parser rejects is a skipped record, and the records
/// around it are still read.
#[test]
fn an_invalid_candidate_is_skipped_not_fatal() {
    let invalid = r#"{"eventSource":"s3.amazonaws.com","eventName":"PutBucketAcl","eventID":"bad-1","requestParameters":{"x-amz-acl" "public-read"}}"#;
    let scan = scan_every_way(&public_acl_after(invalid), Limits::default());
    assert!(scan.error.is_none(), "{:?}", scan.error);
    assert_eq!(ids(&scan), ["bad-1", "after-1"]);
    assert!(matches!(scan.skipped[0].reason, SkipReason::InvalidJson(_)));
    assert_eq!(scan.skipped[0].offset, 12);
}

/// Skipped records are listed up to a bound and counted past it.
#[test]
fn skipped_records_are_bounded() {
    let deep = format!(r#"{{"a":{}{}}}"#, "[".repeat(70), "]".repeat(70));
    let many = vec![deep; 300].join(",");
    let doc = format!("{{\"Records\":[{many}]}}");
    let scan = scan_every_way(doc.as_bytes(), Limits::default());
    assert_eq!(scan.stats.skipped_records, 300);
    assert_eq!(scan.skipped.len(), trailwatch_core::MAX_SKIPPED_LISTED);
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
    // The cross-account kinds fire only with the trusted set (their own oracle).
    for v in trailwatch_testkit::oracle("logs-trusted-expected.jsonl") {
        let kind = v["kind"].as_str().unwrap().to_owned();
        assert!(kind.parse::<Kind>().is_ok_and(Kind::is_foreign), "{kind}");
        *by_kind.entry(kind).or_default() += 1;
    }
    let rules: Vec<&str> = Kind::RULES.iter().map(|k| k.as_str()).collect();
    for kind in by_kind.keys() {
        assert!(rules.contains(&kind.as_str()), "{kind}");
        assert!(kind.parse::<Kind>().is_ok());
    }
    assert_eq!(by_kind.len(), Kind::RULES.len(), "every rule has a fixture");
}
