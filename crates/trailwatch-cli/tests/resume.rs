//! Interrupted replays: Ctrl-C prints a partial summary and exits 130; a
//! replay killed outright and run again with `--resume STATE` reads only the
//! rest, and, since verdicts are decided over the whole archive, prints
//! exactly what one uninterrupted run prints: the same findings with the
//! same verdicts. Also: the number of files open at once is bounded by the
//! worker count.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use trailwatch_testkit::{files_under, workspace_root};

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

/// The log files (not digests nor Insights files) in one copy of the fixtures.
fn log_files_per_copy() -> usize {
    files_under(&workspace_root().join("fixtures/logs"))
        .iter()
        .filter(|f| {
            let path = f.to_string_lossy();
            !path.contains("CloudTrail-Digest") && !path.contains("CloudTrail-Insight")
        })
        .count()
}

fn trailwatch() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trailwatch"));
    cmd.current_dir(workspace_root());
    cmd
}

/// Lines of the state file: files recorded as finished.
fn recorded(state: &Path) -> usize {
    std::fs::read_to_string(state).map_or(0, |s| s.lines().count())
}

/// Starts a replay, waits until `after` files are recorded in the state,
/// sends `signal`; returns (exit code, stderr).
fn interrupted_run(tree: &Path, state: &Path, signal: &str, after: usize) -> (Option<i32>, String) {
    let child = trailwatch()
        .args(["replay", "-j", "1", "--format", "jsonl", "--resume"])
        .arg(state)
        .arg(tree)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while recorded(state) < after && started.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(2));
    }
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A run's JSON lines, sorted, and its stderr.
fn run(tree: &Path, state: Option<&Path>) -> (Vec<String>, String) {
    let mut cmd = trailwatch();
    cmd.args(["replay", "--format", "jsonl"]);
    if let Some(state) = state {
        cmd.arg("--resume").arg(state);
    }
    let out = cmd.arg(tree).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let mut lines: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    lines.sort();
    (lines, stderr)
}

/// The files an earlier run finished, from the summary.
fn done_before(stderr: &str) -> usize {
    let label = "already done in an earlier run (--resume): ";
    let at = stderr
        .find(label)
        .unwrap_or_else(|| panic!("no resume line in {stderr}"))
        + label.len();
    stderr[at..].split(' ').next().unwrap().parse().unwrap()
}

/// The count before `label` in the summary (`N files read`).
fn count_before(stderr: &str, label: &str) -> usize {
    let at = stderr
        .find(label)
        .unwrap_or_else(|| panic!("no `{label}` in {stderr}"));
    stderr[..at]
        .rsplit(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn ctrl_c_then_resume_gives_exactly_the_uninterrupted_output() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    big_tree(&tree, 40);
    let total = files_under(&tree)
        .iter()
        .filter(|p| p.to_string_lossy().contains("/CloudTrail/"))
        .count();
    let state = dir.path().join("state");
    let (code, stderr) = interrupted_run(&tree, &state, "-INT", 100);
    assert_eq!(code, Some(130), "{stderr}");
    assert!(
        stderr.contains("interrupted") && stderr.contains("--resume"),
        "{stderr}"
    );
    assert!(
        stderr.contains("files read"),
        "partial summary printed: {stderr}"
    );
    let first_read = count_before(&stderr, " files read");
    assert!(first_read < total, "the interrupt came before the end");
    let (full, _) = run(&tree, None);
    let (resumed, stderr) = run(&tree, Some(&state));
    assert!(
        stderr.contains("already done in an earlier run"),
        "{stderr}"
    );
    assert_eq!(resumed, full, "a resumed run prints what one run prints");
    // Ctrl-C lets files in flight finish and records them: nothing is read twice.
    let done_before = done_before(&stderr);
    let read_now = count_before(&stderr, " files read");
    assert_eq!(done_before + read_now, total, "{stderr}");
}

#[test]
fn a_killed_replay_resumes_without_losing_anything() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    big_tree(&tree, 40);
    let state = dir.path().join("state");
    let (code, _) = interrupted_run(&tree, &state, "-KILL", 150);
    assert_eq!(code, None, "killed by a signal");
    let (full, _) = run(&tree, None);
    let (resumed, stderr) = run(&tree, Some(&state));
    assert_eq!(resumed, full, "a resumed run prints what one run prints");
    // The second run read only what the first had not finished.
    let read_now = count_before(&stderr, " files read");
    assert!(read_now < 40 * log_files_per_copy(), "{stderr}");
    assert!(done_before(&stderr) >= 150, "{stderr}");
}

#[test]
fn open_files_are_bounded_by_the_workers() {
    let dir = tempfile::tempdir().unwrap();
    big_tree(dir.path(), 10);
    // Hundreds of log files, but a descriptor limit of 32: a replay that
    // kept files open would fail with "Too many open files".
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
    let files = 10 * log_files_per_copy();
    assert!(
        stderr.contains(&format!("{files} files read, 0 failed")),
        "{stderr}"
    );
}

/// A file read to its end with a skipped record is recorded with that
/// record's report, so that folding the record (`--resume`, or the same
/// line as a changes object) reports it again and exits non-zero, as the
/// run that read the file did.
#[test]
fn a_folded_file_reports_its_skipped_records_again() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.jsonl");
    let huge = "fixtures/bad/huge-record.json.gz";
    let first = trailwatch()
        .args(["replay", huge, "--no-progress", "--resume"])
        .arg(&state)
        .output()
        .unwrap();
    assert_eq!(first.status.code(), Some(2));
    let reported = |stderr: &[u8]| {
        String::from_utf8_lossy(stderr)
            .lines()
            .filter(|l| l.starts_with("trailwatch: error: ") && l.contains("skipped: larger than"))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let once = reported(&first.stderr);
    assert_eq!(once.len(), 1, "{}", String::from_utf8_lossy(&first.stderr));
    assert_eq!(recorded(&state), 1, "the file was read to its end");
    for args in [
        vec!["replay", huge, "--no-progress", "--resume"],
        vec!["timeline", "--no-progress", "--changes"],
    ] {
        let again = trailwatch().args(&args).arg(&state).output().unwrap();
        assert_eq!(again.status.code(), Some(2), "{args:?}");
        assert_eq!(reported(&again.stderr), once, "{args:?}");
    }
}
