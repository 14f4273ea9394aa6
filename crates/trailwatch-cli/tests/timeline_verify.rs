//! `trailwatch timeline --verify`: each window says whether the logs under
//! it are proven (`verified`), which verification problems overlap it
//! (`problems`), or that no digest covers it (`no-digests`). The archive is
//! a copy of the fixtures' log files with a freshly signed digest chain
//! (one segment per account, region and day, as in the verify tests).

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use trailwatch_evidence::time::parse_iso;
use trailwatch_testkit::workspace_root;

mod common;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn trailwatch(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_trailwatch"))
        .args(args)
        .current_dir(workspace_root())
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The windows `timeline` prints as JSON lines in `format` (jsonl or timesketch).
fn windows_as(format: &str, dir: &Path, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["timeline", dir.to_str().unwrap(), "--format", format];
    args.extend_from_slice(extra);
    let run = trailwatch(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn windows(dir: &Path, extra: &[&str]) -> Vec<Value> {
    windows_as("jsonl", dir, extra)
}

/// An empty log file delivered at 17:40 on the day of the fixtures' short
/// latent windows (2025-01-15, 17:22 to 17:33, us-west-2): nothing in it
/// changes a window, but its digest lists it.
const EXTRA: &str = "AWSLogs/111122223333/CloudTrail/us-west-2/2025/01/15/111122223333_CloudTrail_us-west-2_20250115T1740Z_AbCdEfGhIjKlMnOp.json.gz";

fn day(t: &Value) -> Option<&str> {
    t.as_str().map(|t| &t[..10])
}

/// Opened and closed on one day: inside one chain segment.
fn within_one_day(w: &Value) -> bool {
    day(&w["opened_at"]).is_some() && day(&w["opened_at"]) == day(&w["closed_at"])
}

fn evidence(w: &Value) -> &str {
    w["evidence"].as_str().unwrap_or_else(|| panic!("{w}"))
}

fn problem_kinds(w: &Value) -> Vec<&str> {
    w["evidence_problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["problem"].as_str().unwrap())
        .collect()
}

#[test]
fn windows_carry_the_evidence_of_the_logs_under_them() {
    let dir = tempfile::tempdir().unwrap();
    let root = &dir.path().join("archive");
    common::copy_fixture_logs(root);
    let extra = root.join(EXTRA);
    std::fs::create_dir_all(extra.parent().unwrap()).unwrap();
    std::fs::write(&extra, trailwatch_gen::gzip(b"{\"Records\":[]}")).unwrap();

    // No digests at all: nothing is proven, nothing is wrong.
    let bare = windows(root, &["--verify"]);
    assert!(bare.len() > 20);
    for w in &bare {
        assert_eq!(evidence(w), "no-digests", "{w}");
        assert!(problem_kinds(w).is_empty(), "{w}");
    }

    let keys = dir.path().join("keys.json");
    common::sign_chains(root, &keys);
    let keys = keys.to_str().unwrap();
    let clean = windows(root, &["--verify", "--public-keys", keys, "-j", "2"]);
    assert_eq!(clean.len(), bare.len());
    let short: Vec<&Value> = clean.iter().filter(|w| within_one_day(w)).collect();
    assert!(
        !short.is_empty(),
        "the fixtures have windows inside one day"
    );
    for w in &clean {
        let listed = w["evidence_problems"].as_array().unwrap().len();
        assert_eq!(w["evidence_problems_total"], listed, "{w}");
        if within_one_day(w) {
            // Inside one day's segment, listed by a digest its successor vouches for.
            assert_eq!(evidence(w), "verified", "{w}");
        } else {
            // Across days (between segments), or open to the archive's end
            // (each segment's newest digest is unverifiable offline).
            assert_ne!(evidence(w), "verified", "{w}");
        }
        if evidence(w) == "problems" {
            assert!(listed > 0, "{w}");
            // Nothing is wrong with this copy, only not provable offline.
            for kind in problem_kinds(w) {
                assert_eq!(kind, "unverifiable-newest-digest", "{w}");
            }
        } else {
            assert_eq!(listed, 0, "{w}");
        }
    }

    // The empty log file deleted: the windows over it say so, the others
    // are unchanged.
    std::fs::remove_file(&extra).unwrap();
    let deleted_at = parse_iso("2025-01-15T17:30:00Z").unwrap();
    let broken = windows(root, &["--verify", "--public-keys", keys]);
    assert_eq!(broken.len(), clean.len());
    let mut over_it = 0;
    for (before, after) in clean.iter().zip(&broken) {
        let missing: Vec<&Value> = after["evidence_problems"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["problem"] == "missing-log-file")
            .collect();
        let t = |k: &str| after[k].as_str().and_then(parse_iso);
        // Windows are judged in the regions of their events' log files, or
        // in every region when no event names one (a window known only by
        // the anonymous requests it served).
        let files: Vec<&str> = ["opened_by", "closed_by"]
            .iter()
            .filter_map(|by| after[by]["log_file"].as_str())
            .collect();
        let logged_there = files.is_empty()
            || files
                .iter()
                .any(|f| f.contains("/AWSLogs/111122223333/CloudTrail/us-west-2/"));
        let spans_it = logged_there
            && t("opened_at").is_none_or(|o| o <= deleted_at + 540)
            && t("closed_at").is_none_or(|c| c + 15 * 60 >= deleted_at);
        if spans_it {
            over_it += 1;
            assert_eq!(evidence(after), "problems", "{after}");
            assert_eq!(missing.len(), 1, "{after}");
            assert_eq!(
                missing[0]["path"],
                format!("s3://{}/{EXTRA}", common::BUCKET)
            );
            assert!(missing[0]["digest"]
                .as_str()
                .unwrap()
                .contains("CloudTrail-Digest"));
        } else {
            assert!(missing.is_empty(), "{after}");
            assert_eq!(before["evidence"], after["evidence"], "{after}");
        }
    }
    assert!(over_it >= short.len(), "the short windows lie over it");

    // The table: an EVIDENCE column, and the problem under the window.
    let dir_arg = root.to_str().unwrap();
    let run = trailwatch(&[
        "timeline",
        dir_arg,
        "--verify",
        "--public-keys",
        keys,
        "--format",
        "table",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let head = run.stdout.lines().next().unwrap();
    assert!(head.contains("EVIDENCE"), "{head}");
    assert!(
        run.stdout.contains("evidence: missing-log-file s3://"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains("evidence: ") && run.stderr.contains("windows verified"),
        "{}",
        run.stderr
    );

    // Timesketch lines carry the same evidence.
    let sketch = windows_as("timesketch", root, &["--verify", "--public-keys", keys]);
    for (s, w) in sketch.iter().zip(&broken) {
        assert_eq!(s["evidence"], w["evidence"]);
        assert_eq!(s["evidence_problems"], w["evidence_problems"]);
        let marker = format!("[evidence: {}]", evidence(w));
        assert!(s["message"].as_str().unwrap().ends_with(&marker), "{s}");
    }
}

#[test]
fn keys_without_verify_and_ocsf_windows_are_usage_errors() {
    let run = trailwatch(&["timeline", "fixtures/logs", "--public-keys", "keys.json"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--verify"), "{}", run.stderr);
    let run = trailwatch(&["timeline", "fixtures/logs", "--format", "ocsf"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("replay --format ocsf"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    let run = trailwatch(&["timeline", "-", "--verify"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}
