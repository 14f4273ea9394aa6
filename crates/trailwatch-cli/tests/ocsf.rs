//! `--format ocsf`: every line is an OCSF Detection Finding that
//! py-ocsf-models (code we did not write) accepts, checked by
//! scripts/ocsf_check.py in the venv scripts/test.sh installs; one line per
//! finding of the fixtures, under the same stable uid; oversized log text
//! bounded under 256 KB a line.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::Value;
use trailwatch_testkit::{put_bucket_acl_record, workspace_root};

fn trailwatch(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_trailwatch"))
        .current_dir(workspace_root())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run trailwatch");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).expect("UTF-8 output"),
    )
}

fn python() -> PathBuf {
    if let Some(path) = std::env::var_os("TRAILWATCH_OCSF_PYTHON") {
        return PathBuf::from(path);
    }
    let venv = workspace_root().join(".venv-ocsf/bin/python");
    assert!(
        venv.exists(),
        "py-ocsf-models is needed by this test: run scripts/test.sh, which installs \
         scripts/requirements-ocsf.txt into .venv-ocsf, or set TRAILWATCH_OCSF_PYTHON"
    );
    venv
}

/// Runs the checker on `lines`; its exit code and report.
fn check(lines: &str) -> (i32, String) {
    let mut child = Command::new(python())
        .arg(workspace_root().join("scripts/ocsf_check.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run scripts/ocsf_check.py");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(lines.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn fixtures_replayed_as_ocsf_pass_py_ocsf_models() {
    let (code, ocsf) = trailwatch(&["replay", "fixtures/logs", "--format", "ocsf", "-q"]);
    assert_eq!(code, 0);
    let (code, jsonl) = trailwatch(&["replay", "fixtures/logs", "--format", "jsonl", "-q"]);
    assert_eq!(code, 0);
    let mut want: Vec<String> = jsonl
        .lines()
        .map(|l| {
            let f: Value = serde_json::from_str(l).unwrap();
            format!(
                "{}:{}",
                f["event_id"].as_str().unwrap(),
                f["kind"].as_str().unwrap()
            )
        })
        .collect();
    let mut got: Vec<String> = ocsf
        .lines()
        .map(|l| {
            assert!(l.len() <= 256 * 1024);
            let v: Value = serde_json::from_str(l).unwrap();
            assert_eq!(v["class_uid"], 2004);
            assert_eq!(v["metadata"]["version"], "1.5.0");
            assert!(v["unmapped"]["trailwatch"]["exposure"].is_string());
            assert!(v["evidences"][0]["data"]["log_file"]
                .as_str()
                .unwrap()
                .starts_with("fixtures/logs/"));
            v["finding_info"]["uid"].as_str().unwrap().to_owned()
        })
        .collect();
    want.sort();
    got.sort();
    assert!(got.len() > 50, "{}", got.len());
    assert_eq!(
        got, want,
        "one OCSF finding per finding, under the stable uid"
    );
    let (code, report) = check(&ocsf);
    assert_eq!(code, 0, "{report}");
    assert!(
        report.contains(&format!(
            "{} OCSF Detection Findings checked, 0 invalid",
            got.len()
        )),
        "{report}"
    );
}

#[test]
fn the_checker_rejects_what_the_model_does_not_know() {
    let (_, ocsf) = trailwatch(&["replay", "fixtures/logs", "--format", "ocsf", "-q"]);
    let mut v: Value = serde_json::from_str(ocsf.lines().next().unwrap()).unwrap();
    v["finding_info"]["titel"] = Value::from("misspelt");
    let (code, report) = check(&format!("{v}\n"));
    assert_eq!(code, 1, "{report}");
    assert!(
        report.contains("not an attribute of the model: finding_info.titel"),
        "{report}"
    );
    let mut v: Value = serde_json::from_str(ocsf.lines().next().unwrap()).unwrap();
    v["severity_id"] = Value::from(42);
    let (code, report) = check(&format!("{v}\n"));
    assert_eq!(code, 1, "{report}");
}

#[test]
fn oversized_log_text_stays_under_256_kb_a_line_and_valid() {
    let dir = tempfile::tempdir().unwrap();
    let mut record = put_bucket_acl_record(
        "7e1c0d7a-0000-4000-8000-000000000001",
        "huge",
        "public-read",
    );
    // Multi-byte text and escaped control characters, ~1 MB of record.
    record["userAgent"] = Value::from("é".repeat(300_000));
    record["userIdentity"]["arn"] = Value::from(format!(
        "arn:aws:iam::111122223333:user/{}",
        "\u{2}".repeat(50_000)
    ));
    let path = dir.path().join("huge.json");
    std::fs::write(
        &path,
        serde_json::json!({ "Records": [record] }).to_string(),
    )
    .unwrap();
    let (code, ocsf) = trailwatch(&[
        "replay",
        path.to_str().unwrap(),
        "--format",
        "ocsf",
        "-q",
        "--max-record",
        "2MiB",
    ]);
    assert_eq!(code, 0);
    let lines: Vec<&str> = ocsf.lines().collect();
    assert_eq!(lines.len(), 1);
    assert!(lines[0].len() <= 256 * 1024, "{}", lines[0].len());
    let v: Value = serde_json::from_str(lines[0]).unwrap();
    let agent = v["evidences"][0]["data"]["user_agent"].as_str().unwrap();
    assert!(agent.chars().count() <= 1024);
    let (code, report) = check(&ocsf);
    assert_eq!(code, 0, "{report}");
}
