//! Interrupted replays: Ctrl-C prints a partial summary and exits 130; a
//! replay killed outright and run again with `--resume STATE` reads the rest,
//! and the union of the runs' findings equals one uninterrupted run.
//! Also: the number of files open at once is bounded by the worker count.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use trailwatch_testkit::{files_under, finding_keys, workspace_root, FindingKey};

/// A tree of `copies` copies of the fixture archive (distinct paths, so each
/// copy's findings are distinct by log_file).
fn big_tree(dir: &Path, copies: usize) {
    let logs = workspace_root().join("fixtures/logs");
    let files = files_under(&logs);
    for copy in 0..copies {
        for file in &files {
            let target = dir
                .join(format!("copy{copy:03}"))
                .join(file.strip_prefix(&logs).unwrap());
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::copy(file, target).unwrap();
        }
    }
}

type Key = FindingKey;

fn keys(lines: &str) -> Vec<Key> {
    finding_keys(lines).collect()
}

fn trailwatch() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trailwatch"));
    cmd.current_dir(workspace_root());
    cmd
}

/// Starts a replay, lets it print `after` findings, sends `signal`, and
/// returns (findings printed, exit code, stderr).
fn interrupted_run(
    tree: &Path,
    state: &Path,
    signal: &str,
    after: usize,
) -> (Vec<Key>, Option<i32>, String) {
    let mut child = trailwatch()
        .args(["replay", "-j", "1", "--format", "jsonl", "--resume"])
        .arg(state)
        .arg(tree)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut printed = String::new();
    let mut lines = 0;
    while lines < after {
        let mut line = String::new();
        if stdout.read_line(&mut line).unwrap() == 0 {
            break;
        }
        printed.push_str(&line);
        lines += 1;
    }
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    printed.push_str(&rest);
    let output = child.wait_with_output().unwrap();
    (
        keys(&printed),
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn full_run(tree: &Path) -> BTreeSet<Key> {
    let out = trailwatch()
        .args(["replay", "--format", "jsonl"])
        .arg(tree)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    keys(&String::from_utf8_lossy(&out.stdout))
        .into_iter()
        .collect()
}

fn resumed_run(tree: &Path, state: &Path) -> (Vec<Key>, String) {
    let out = trailwatch()
        .args(["replay", "--format", "jsonl", "--resume"])
        .arg(state)
        .arg(tree)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    (keys(&String::from_utf8_lossy(&out.stdout)), stderr)
}

#[test]
fn ctrl_c_then_resume_loses_and_repeats_nothing() {
    let dir = tempfile::tempdir().unwrap();
    big_tree(dir.path(), 40);
    let state = dir.path().join("state");
    let (first, code, stderr) = interrupted_run(dir.path(), &state, "-INT", 100);
    assert_eq!(code, Some(130), "{stderr}");
    assert!(
        stderr.contains("interrupted") && stderr.contains("--resume"),
        "{stderr}"
    );
    assert!(
        stderr.contains("files read"),
        "partial summary printed: {stderr}"
    );
    let full = full_run(dir.path());
    assert!(
        first.len() < full.len(),
        "the interrupt came before the end"
    );
    let (second, stderr) = resumed_run(dir.path(), &state);
    assert!(
        stderr.contains("already done in an earlier run"),
        "{stderr}"
    );
    let mut all = first.clone();
    all.extend(second.iter().cloned());
    let union: BTreeSet<Key> = all.iter().cloned().collect();
    assert_eq!(union, full);
    // Ctrl-C lets files in flight finish and records them: nothing is read twice.
    assert_eq!(all.len(), full.len(), "duplicates after a clean interrupt");
}

#[test]
fn a_killed_replay_resumes_without_losing_anything() {
    let dir = tempfile::tempdir().unwrap();
    big_tree(dir.path(), 40);
    let state = dir.path().join("state");
    let (first, code, _) = interrupted_run(dir.path(), &state, "-KILL", 150);
    assert_eq!(code, None, "killed by a signal");
    let full = full_run(dir.path());
    assert!(first.len() < full.len(), "the kill came before the end");
    let (second, _) = resumed_run(dir.path(), &state);
    let union: BTreeSet<Key> = first.iter().chain(second.iter()).cloned().collect();
    assert_eq!(union, full);
    // The second run read only what the first had not finished.
    assert!(second.len() < full.len());
}

#[test]
fn open_files_are_bounded_by_the_workers() {
    let dir = tempfile::tempdir().unwrap();
    big_tree(dir.path(), 10);
    // 330 log files, but a descriptor limit of 32: a replay that kept files
    // open would fail with "Too many open files".
    let bin = env!("CARGO_BIN_EXE_trailwatch");
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -n 32 && exec '{bin}' replay -j 2 --format jsonl '{}'",
            dir.path().display()
        ))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("330 files read, 0 failed"), "{stderr}");
}
