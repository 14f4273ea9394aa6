//! Every per-file bound is configurable on the command line, holds, and ends
//! as an error naming the file (or, for policies, as an unverifiable
//! finding), never as a silent truncation.

use std::process::{Command, Output};

use serde_json::Value;
use trailwatch_testkit::{oracle, workspace_root};

/// The fixture log file with the most expected findings, and their number.
fn richest_file() -> (String, usize) {
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    for f in oracle("logs-expected.jsonl") {
        *counts
            .entry(f["log_file"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    counts.into_iter().max_by_key(|(_, n)| *n).unwrap()
}

fn scan(file: &str, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trailwatch"))
        .arg("scan")
        .arg(file)
        .args(["--format", "jsonl"])
        .args(extra)
        .current_dir(workspace_root())
        .output()
        .unwrap()
}

fn findings(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn findings_per_file() {
    let (file, n) = richest_file();
    assert!(n > 3);
    let out = scan(&file, &["--max-findings", "3"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("{file}: more than 3 findings")),
        "{stderr}"
    );
    assert_eq!(findings(&out).len(), 3, "the first findings are kept");
    assert_eq!(
        scan(&file, &["--max-findings", &n.to_string()])
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn nesting_depth() {
    let (file, _) = richest_file();
    let out = scan(&file, &["--max-depth", "3"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    // Each record too deep is skipped and named; the file is still read.
    assert!(
        stderr.contains(&format!("{file}: record 1 (at byte 12, eventID ")),
        "{stderr}"
    );
    assert!(
        stderr.contains(") skipped: nests deeper than 3 levels"),
        "{stderr}"
    );
    assert!(stderr.contains("1 files read, 0 failed"), "{stderr}");
    let out = scan(&file, &["--max-depth", "129"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "129 is refused as a usage error"
    );
}

#[test]
fn record_size() {
    let (file, _) = richest_file();
    let out = scan(&file, &["--max-record", "1KiB"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(") skipped: larger than 1024 bytes"),
        "{stderr}"
    );
    assert!(stderr.contains("1 files read, 0 failed"), "{stderr}");
    assert!(stderr.contains("records skipped in 1 files"), "{stderr}");
}

#[test]
fn decompressed_size() {
    let (file, _) = richest_file();
    let out = scan(&file, &["--max-decompressed", "10KiB"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("{file}: decompresses to more than 10240 bytes")),
        "{stderr}"
    );
}

#[test]
fn policy_size() {
    let policy_files: Vec<String> = oracle("logs-expected.jsonl")
        .iter()
        .filter(|f| f["kind"] == "bucket-policy-public")
        .map(|f| f["log_file"].as_str().unwrap().to_owned())
        .collect();
    let file = &policy_files[0];
    let out = scan(file, &["--max-policy", "64"]);
    assert_eq!(out.status.code(), Some(0));
    let policies: Vec<Value> = findings(&out)
        .into_iter()
        .filter(|f| f["kind"] == "bucket-policy-public")
        .collect();
    assert!(!policies.is_empty());
    for f in policies {
        // Too large to evaluate is reported, never passed as private.
        assert_eq!(f["severity"], "medium", "{f}");
        assert!(
            f["reason"]
                .as_str()
                .unwrap()
                .contains("over the 64-byte limit"),
            "{f}"
        );
    }
}
