//! Every input a fuzzer ever found a bug with (`regressions/<target>/`), and
//! the shipped fixtures as seeds, replayed through the fuzz bodies on the
//! stable toolchain, so that fixed bugs stay fixed in `cargo test`.

use std::path::{Path, PathBuf};

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                out.extend(files(&path));
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn regressions(target: &str) -> Vec<PathBuf> {
    files(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("regressions")
            .join(target),
    )
}

fn fixtures(sub: &str) -> Vec<PathBuf> {
    files(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures")
            .join(sub),
    )
}

fn replay(target: &str, body: fn(&[u8]), seeds: Vec<PathBuf>) {
    let inputs: Vec<PathBuf> = regressions(target).into_iter().chain(seeds).collect();
    assert!(!inputs.is_empty(), "no inputs for {target}");
    for input in inputs {
        let data = std::fs::read(&input).unwrap();
        let outcome = std::panic::catch_unwind(|| body(&data));
        assert!(outcome.is_ok(), "{target} fails on {}", input.display());
    }
}

#[test]
fn log_file() {
    let seeds = fixtures("logs")
        .into_iter()
        .chain(fixtures("bad"))
        .filter(|p| {
            // The 200 MiB bomb is exercised by the core's own tests.
            !p.ends_with("bomb.json.gz")
        });
    replay("log_file", trailwatch_fuzz::log_file, seeds.collect());
}

#[test]
fn record() {
    replay("record", trailwatch_fuzz::record, Vec::new());
}

#[test]
fn splitter() {
    replay("splitter", trailwatch_fuzz::splitter, Vec::new());
}

#[test]
fn policy() {
    replay("policy", trailwatch_fuzz::policy, Vec::new());
}

#[test]
fn allowlist() {
    replay("allowlist", trailwatch_fuzz::allowlist, Vec::new());
}

#[test]
fn lambda_event() {
    replay(
        "lambda_event",
        trailwatch_fuzz::lambda_event,
        fixtures("events"),
    );
}
