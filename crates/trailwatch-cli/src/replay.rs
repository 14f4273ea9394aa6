//! Reading many log files on all cores: a discovery thread feeds paths to
//! one scanner per worker; the calling thread receives each file's outcome
//! in completion order.

use std::collections::{BTreeMap, HashSet};
use std::io;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, Receiver};
use trailwatch_core::{FileScan, Kind, Limits, ScanErrorKind, Scanner, Trust};

use crate::discover::{discover_local, Filter, Item, Skipped};
use crate::s3source::{discover_s3, S3Access};

/// How to run a replay.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Paths given on the command line (`-` is standard input).
    pub inputs: Vec<String>,
    /// Path pruning.
    pub filter: Filter,
    /// Worker threads.
    pub jobs: usize,
    /// Per-file bounds.
    pub limits: Limits,
    /// Accounts whose access is expected (`[trust]`): the cross-account rules.
    pub trust: Trust,
    /// S3 access, when any input is an `s3://` URI.
    pub s3: Option<S3Access>,
    /// Files finished by an earlier run (`--resume`), not read again.
    pub already_done: HashSet<String>,
    /// Set to stop: no new file is started, files in flight finish.
    pub stop: Arc<AtomicBool>,
}

/// Totals for the end-of-run summary.
#[derive(Debug, Default, Clone)]
pub struct Totals {
    /// Files read completely.
    pub files_ok: u64,
    /// Files that could not be read completely.
    pub files_failed: u64,
    /// Records seen.
    pub records: u64,
    /// Records parsed by the rules.
    pub candidates: u64,
    /// Records skipped (over a cap, or not valid JSON), in files still read.
    pub skipped_records: u64,
    /// Files with at least one skipped record.
    pub files_with_skipped: u64,
    /// Bytes as stored.
    pub stored_bytes: u64,
    /// Bytes of JSON.
    pub json_bytes: u64,
    /// Findings reported, by kind.
    pub findings: BTreeMap<Kind, u64>,
    /// Findings accepted by the allowlist.
    pub suppressed: u64,
    /// Refused attempts (`blocked`) not shown (no `--include-blocked`).
    pub blocked: u64,
    /// Digest and Insight files passed over.
    pub side_files: u64,
    /// S3 prefixes of digest or Insight files passed over.
    pub side_prefixes: u64,
    /// Files skipped because an earlier run finished them (`--resume`).
    pub resumed: u64,
    /// Files and directories pruned by path.
    pub pruned: u64,
    /// Files in walked directories that are not logs.
    pub other_files: u64,
    /// Wall time.
    pub elapsed: Duration,
}

/// Live progress, for a progress bar.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// Files done (read or failed).
    pub done: u64,
    /// Files discovered so far.
    pub found: u64,
    /// JSON bytes so far.
    pub json_bytes: u64,
}

/// Runs the plan. `on_file` sees each file's outcome as it completes;
/// `on_progress` is called after each file.
pub fn run(
    plan: &Plan,
    mut on_file: impl FnMut(FileScan),
    mut on_progress: impl FnMut(Progress),
) -> Totals {
    let started = Instant::now();
    let skipped = Skipped::default();
    let jobs = plan.jobs.max(1);
    let (work_tx, work_rx) = bounded::<Item>(jobs * 64);
    let (done_tx, done_rx) = bounded::<FileScan>(jobs * 4);
    let mut totals = Totals::default();
    let resumed = AtomicU64::new(0);
    thread::scope(|scope| {
        let skipped = &skipped;
        scope.spawn(move || {
            for input in &plan.inputs {
                let alive = match (&plan.s3, input.starts_with("s3://")) {
                    (Some(s3), true) => discover_s3(s3, input, &plan.filter, skipped, &work_tx),
                    _ => discover_local(input, &plan.filter, skipped, &work_tx),
                };
                if !alive {
                    break;
                }
            }
        });
        for _ in 0..jobs {
            let (work_rx, done_tx) = (work_rx.clone(), done_tx.clone());
            let resumed = &resumed;
            scope.spawn(move || worker(plan, resumed, work_rx, done_tx));
        }
        drop((work_rx, done_tx));
        for scan in done_rx {
            if scan.error.is_some() {
                totals.files_failed += 1;
            } else {
                totals.files_ok += 1;
            }
            totals.records += scan.stats.records;
            totals.candidates += scan.stats.candidates;
            totals.skipped_records += scan.stats.skipped_records;
            totals.files_with_skipped += u64::from(scan.stats.skipped_records > 0);
            totals.stored_bytes += scan.stats.stored_bytes;
            totals.json_bytes += scan.stats.json_bytes;
            on_file(scan);
            on_progress(Progress {
                done: totals.files_ok + totals.files_failed,
                found: skipped.found.load(Ordering::Relaxed),
                json_bytes: totals.json_bytes,
            });
        }
    });
    totals.side_files = skipped.side_files.load(Ordering::Relaxed);
    totals.side_prefixes = skipped.side_prefixes.load(Ordering::Relaxed);
    totals.resumed = resumed.load(Ordering::Relaxed);
    totals.pruned = skipped.pruned.load(Ordering::Relaxed);
    totals.other_files = skipped.other_files.load(Ordering::Relaxed);
    totals.elapsed = started.elapsed();
    totals
}

fn worker(
    plan: &Plan,
    resumed: &AtomicU64,
    work: Receiver<Item>,
    done: crossbeam_channel::Sender<FileScan>,
) {
    let mut scanner = Scanner::new(plan.limits).with_trust(plan.trust.clone());
    for item in work {
        if plan.stop.load(Ordering::SeqCst) {
            // Dropping the receiver ends discovery; queued files stay unread.
            return;
        }
        let name = match &item {
            Item::File(path) => display(path),
            Item::S3 { bucket, key } => format!("s3://{bucket}/{key}"),
            Item::Stdin => "-".to_owned(),
            Item::Unreadable(name, _) => name.clone(),
        };
        if plan.already_done.contains(&name) {
            resumed.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        let scan = match item {
            Item::File(path) => scanner.scan_path(&path, &name),
            Item::Stdin => scanner.scan_reader(&name, io::stdin().lock()),
            Item::S3 { bucket, key } => {
                let s3 = plan.s3.as_ref().expect("S3 items come only with S3 access");
                let fetched = s3.runtime.block_on(trailwatch_aws::scan_object(
                    &s3.client,
                    &bucket,
                    &key,
                    plan.limits,
                    &plan.trust,
                ));
                fetched.unwrap_or_else(|e| {
                    FileScan::failed(&name, ScanErrorKind::Source(io::Error::other(e.reason())))
                })
            }
            Item::Unreadable(_, e) => FileScan::failed(&name, ScanErrorKind::Source(e)),
        };
        if done.send(scan).is_err() {
            return;
        }
    }
}

fn display(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}
