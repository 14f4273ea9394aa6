//! Hostile or broken digests and key files: each digest is one clear
//! `unreadable-digest` naming the file, and nothing else is reported
//! (its neighbours' signatures come from S3 metadata, its log files fall in
//! the span it leaves blind); memory stays bounded.

mod common;

use common::{build, gzip, public_keys, Tamper};
use trailwatch_evidence::digest::{MAX_DIGEST_BYTES, MAX_LOG_FILES};
use trailwatch_evidence::{verify, KeyFileError, Options, ProblemKind, PublicKeys};

fn unreadable(bytes: Vec<u8>) -> String {
    let mut archive = build(Tamper::None);
    let target = archive.digests[3].clone();
    archive.replace(&target, bytes);
    let report = verify(
        archive.inputs(true),
        &public_keys(),
        &Options {
            jobs: 2,
            scope: None,
        },
    );
    let shown: Vec<String> = report
        .problems
        .iter()
        .map(|p| format!("{} {} {}", p.kind, p.path, p.detail))
        .collect();
    assert_eq!(report.problems.len(), 1, "{shown:#?}");
    let p = &report.problems[0];
    assert_eq!(p.kind, ProblemKind::UnreadableDigest);
    assert_eq!(p.path, target);
    assert!(p.end.is_some(), "the window comes from the name");
    p.detail.clone()
}

fn real_digest_json() -> String {
    let archive = build(Tamper::None);
    let gz = &archive
        .files
        .iter()
        .find(|f| f.0 == archive.digests[3])
        .unwrap()
        .1;
    String::from_utf8(trailwatch_evidence::digest::inflate(gz).unwrap()).unwrap()
}

#[test]
fn not_gzip() {
    assert!(unreadable(b"{\"awsAccountId\":\"111122223333\"}".to_vec()).contains("gzip"));
    assert!(unreadable(Vec::new()).contains("gzip"));
}

#[test]
fn not_json() {
    assert!(unreadable(gzip(b"<html>Access Denied</html>")).contains("not a digest"));
}

#[test]
fn truncated() {
    let gz = gzip(real_digest_json().as_bytes());
    assert!(unreadable(gz[..gz.len() / 2].to_vec()).contains("gzip"));
    let json = real_digest_json();
    assert!(unreadable(gzip(&json.as_bytes()[..json.len() - 20])).contains("not a digest"));
}

#[test]
fn wrong_types() {
    let json = real_digest_json();
    let end = json
        .split("\"digestEndTime\":")
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .to_owned();
    let detail = unreadable(gzip(json.replacen(&end, "1706748433", 1).as_bytes()));
    assert!(detail.contains("invalid type"), "{detail}");
    let detail = unreadable(gzip(
        json.replacen("\"logFiles\":[", "\"logFiles\":{\"x\":[", 1)
            .replace("]}", "]}}")
            .as_bytes(),
    ));
    assert!(detail.contains("not a digest"), "{detail}");
    let detail = unreadable(gzip(
        json.replacen("\"hashValue\":\"", "\"hashValue\":\"zz", 1)
            .as_bytes(),
    ));
    assert!(detail.contains("logFiles.hashValue"), "{detail}");
    let detail = unreadable(gzip(
        json.replacen(
            "\"digestStartTime\":\"2024",
            "\"digestStartTime\":\"soon",
            1,
        )
        .as_bytes(),
    ));
    assert!(detail.contains("digestStartTime"), "{detail}");
}

#[test]
fn a_huge_log_file_list_is_refused_not_loaded() {
    let json = real_digest_json();
    let entry = r#"{"s3Bucket":"b","s3Object":"k","hashValue":"0000000000000000000000000000000000000000000000000000000000000000","hashAlgorithm":"SHA-256","newestEventTime":null,"oldestEventTime":null}"#;
    let many = vec![entry; MAX_LOG_FILES + 1].join(",");
    let (head, _) = json.split_once("\"logFiles\":[").unwrap();
    let huge = format!("{head}\"logFiles\":[{many}]}}");
    let detail = unreadable(gzip(huge.as_bytes()));
    assert!(detail.contains("more than"), "{detail}");
    // A gzip bomb stops at the size bound.
    let bomb = gzip(&vec![b' '; MAX_DIGEST_BYTES as usize + 10]);
    assert!(bomb.len() < 1 << 20);
    assert!(unreadable(bomb).contains("larger than"));
}

#[test]
fn a_moved_digest_is_unreadable() {
    let json = real_digest_json();
    let moved = json.replacen(
        "\"digestS3Object\":\"AWSLogs/",
        "\"digestS3Object\":\"AWSLogs/x",
        1,
    );
    assert!(unreadable(gzip(moved.as_bytes())).contains("moved"));
}

#[test]
fn key_files() {
    let mut keys = PublicKeys::new();
    assert!(matches!(
        keys.add_file(b"not json"),
        Err(KeyFileError::Json(_))
    ));
    assert!(matches!(
        keys.add_file(b"{\"Other\":1}"),
        Err(KeyFileError::NoKeys)
    ));
    let text = common::keys_file();
    let k1 = &common::keys().k1.fingerprint;
    let forged = text.replacen(k1.as_str(), "00000000000000000000000000000000", 1);
    let err = keys.add_file(forged.as_bytes()).unwrap_err().to_string();
    assert!(err.contains("not the MD5"), "{err}");
    assert_eq!(keys.add_file(text.as_bytes()).unwrap(), 2);
    // The same keys as one JSON array of responses.
    let parts: Vec<&str> = text.split("\n{").collect();
    let array = format!("[{},{{{}]", parts[0], parts[1]);
    let mut again = PublicKeys::new();
    assert_eq!(again.add_file(array.as_bytes()).unwrap(), 2);
    assert_eq!(again.len(), 2);
    assert_eq!(
        again.get(&k1.to_uppercase()).unwrap().valid_from,
        keys.get(k1).unwrap().valid_from
    );
}
