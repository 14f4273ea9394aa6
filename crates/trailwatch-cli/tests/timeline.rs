//! `trailwatch timeline` over the shipped archive: exactly the windows of
//! `fixtures/logs-timeline-expected.jsonl` (a reviewed record of the
//! engine's output: set `TRAILWATCH_UPDATE_SNAPSHOTS=1` to rewrite it after a
//! deliberate change, and read the diff), the same whatever `-j`, every
//! window well formed, and the Timesketch form carrying the same windows.

use std::process::Command;

use serde_json::Value;
use trailwatch_testkit::workspace_root;

fn timeline(args: &[&str]) -> Vec<Value> {
    let out = Command::new(env!("CARGO_BIN_EXE_trailwatch"))
        .arg("timeline")
        .args(args)
        .current_dir(workspace_root())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

const WINDOW_FIELDS: [&str; 17] = [
    "resource_type",
    "account",
    "bucket",
    "key",
    "access_point",
    "exposure",
    "via",
    "unknown_facts",
    "opened_at",
    "opened_by",
    "closed_at",
    "closed_by",
    "anonymous_requests",
    "presigned_requests",
    "first_request_at",
    "last_request_at",
    "top_sources",
];

#[test]
fn the_fixture_archive_gives_the_expected_windows() {
    let got = timeline(&["fixtures/logs", "--format", "jsonl", "-j", "2"]);
    let path = workspace_root().join("fixtures/logs-timeline-expected.jsonl");
    if std::env::var_os("TRAILWATCH_UPDATE_SNAPSHOTS").is_some() {
        let text: String = got.iter().map(|w| format!("{w}\n")).collect();
        std::fs::write(&path, text).unwrap();
    }
    let want: Vec<Value> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(want.len() > 50, "the expected file is nearly empty");
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g, w);
    }
    // Every level appears, and the archive ends with windows still open.
    for level in ["effective", "possible", "latent"] {
        assert!(
            got.iter().any(|w| w["exposure"] == level),
            "no {level} window"
        );
    }
    assert!(got.iter().any(|w| w["closed_at"].is_null()));
    assert!(got.iter().any(|w| w["resource_type"] == "object"));
    // The overlay: anonymous and presigned requests are counted somewhere.
    assert!(got
        .iter()
        .any(|w| w["anonymous_requests"].as_u64() > Some(0)));
    assert!(got
        .iter()
        .any(|w| w["presigned_requests"].as_u64() > Some(0)));
}

#[test]
fn windows_are_well_formed_and_independent_of_workers() {
    let one = timeline(&["fixtures/logs", "--format", "jsonl", "-j", "1"]);
    let many = timeline(&["fixtures/logs", "--format", "jsonl", "-j", "8"]);
    assert_eq!(one, many);
    for w in &one {
        let object = w.as_object().unwrap();
        let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
        keys.sort();
        let mut want = WINDOW_FIELDS.to_vec();
        want.sort();
        assert_eq!(keys, want, "{w}");
        assert!([
            "bucket",
            "object",
            "access-point",
            "multi-region-access-point"
        ]
        .contains(&w["resource_type"].as_str().unwrap()));
        let requests =
            w["anonymous_requests"].as_u64().unwrap() + w["presigned_requests"].as_u64().unwrap();
        assert_eq!(requests > 0, w["first_request_at"].is_string(), "{w}");
        assert!(w["top_sources"].as_array().unwrap().len() <= 10, "{w}");
        let unknown = !w["unknown_facts"].as_array().unwrap().is_empty();
        if w["opened_by"].is_null() {
            // Seen only through the anonymous requests it served (the
            // overlay fixture reads the bucket before any grant is logged).
            assert!(w["anonymous_requests"].as_u64().unwrap() > 0, "{w}");
            assert!(
                w["opened_at"].is_null() && w["via"].as_array().unwrap().is_empty(),
                "{w}"
            );
            assert!(w["exposure"] == "effective" && unknown, "{w}");
            continue;
        }
        assert!(!w["via"].as_array().unwrap().is_empty(), "{w}");
        // Opened by an event shown in the archive.
        assert!(
            w["opened_at"].is_string() && w["opened_by"]["event_id"].is_string(),
            "{w}"
        );
        if let Some(closed) = w["closed_at"].as_str() {
            assert!(w["opened_at"].as_str().unwrap() <= closed, "{w}");
            assert!(w["closed_by"]["event_id"].is_string(), "{w}");
        } else {
            assert!(w["closed_by"].is_null(), "{w}");
        }
        assert_eq!(w["key"].is_string(), w["resource_type"] == "object", "{w}");
        // A possible window names what it rests on; the others need nothing unknown.
        assert_eq!(unknown, w["exposure"] == "possible", "{w}");
    }
    // Ordered by account, bucket, opening time.
    let order: Vec<(String, String, String)> = one
        .iter()
        .map(|w| {
            let text = |k: &str| w[k].as_str().unwrap_or_default().to_owned();
            (text("account"), text("bucket"), text("opened_at"))
        })
        .collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted);
}

#[test]
fn timesketch_lines_carry_the_same_windows() {
    let plain = timeline(&["fixtures/logs", "--format", "jsonl"]);
    let sketch = timeline(&["fixtures/logs", "--format", "timesketch"]);
    assert_eq!(plain.len(), sketch.len());
    for (p, s) in plain.iter().zip(&sketch) {
        assert!(s["message"].as_str().unwrap().contains(" exposed ("), "{s}");
        if p["opened_at"].is_null() {
            assert_eq!(s["datetime"], p["first_request_at"]);
            assert_eq!(s["timestamp_desc"], "First Anonymous Request");
        } else {
            assert_eq!(s["datetime"], p["opened_at"]);
            assert_eq!(s["timestamp_desc"], "Exposure Opened");
        }
        for field in WINDOW_FIELDS {
            assert_eq!(s[field], p[field], "{field}");
        }
    }
}
