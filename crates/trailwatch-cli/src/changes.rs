//! `timeline --changes`: the changes objects the Lambda wrote for the log
//! files an S3 Batch Operations job read (`TRAILWATCH_CHANGES_PREFIX`), one
//! [`FileRecord`] line each, read from `s3://bucket/prefix/` (listed with
//! every page) or a local copy of it (walked recursively), to be folded
//! exactly as a replay folds the files it reads itself. A file named
//! explicitly is read whatever its name (a `--resume` state file holds the
//! same lines); in a directory or under a prefix, only `.jsonl` objects.

use std::collections::{BTreeSet, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use tokio::task::JoinSet;
use trailwatch_aws::{fetch_object, list_objects_from, FileRecord};

use crate::discover::Filter;
use crate::s3source::{parse_uri, S3Access};

/// Largest changes object read (a log file's findings and changes are far
/// smaller; a larger object is not one).
const MAX_OBJECT_BYTES: u64 = 256 << 20;

/// What the changes sources held.
#[derive(Debug, Default)]
pub struct Gathered {
    /// One per log file, in no particular order (the fold sorts).
    pub records: Vec<FileRecord>,
    /// Changes objects read.
    pub objects: u64,
    /// Each object or source that could not be read: its name and why.
    pub errors: Vec<String>,
    /// Objects in directories or under prefixes not named `.jsonl`.
    pub ignored: u64,
    /// Records of a log file already folded (another object, or the
    /// `--resume` state, holds it).
    pub repeated: u64,
    /// Records of log files outside `--since`/`--until`/`--account`/`--region`.
    pub pruned: u64,
}

impl Gathered {
    /// Takes in one object's bytes, or why they could not be read.
    fn object(&mut self, name: &str, bytes: Result<Vec<u8>, String>) {
        let records = bytes
            .and_then(|b| String::from_utf8(b).map_err(|_| "not UTF-8 text".to_owned()))
            .and_then(|text| FileRecord::parse_lines(&text).map_err(|e| e.to_string()));
        match records {
            Ok(records) => {
                self.objects += 1;
                self.records.extend(records);
            }
            Err(why) => self.errors.push(format!("{name}: {why}")),
        }
    }
}

/// Reads every changes object under `sources`; keeps the records of log
/// files that `filter` keeps and that `done` (the `--resume` state) does
/// not hold yet, once each.
pub fn gather(
    sources: &[String],
    s3: Option<&S3Access>,
    concurrency: usize,
    filter: &Filter,
    done: &HashSet<String>,
) -> Gathered {
    let mut gathered = Gathered::default();
    for source in sources {
        match s3.filter(|_| source.starts_with("s3://")) {
            Some(access) => gather_s3(access, source, concurrency, &mut gathered),
            None => gather_local(Path::new(source), &mut gathered),
        }
    }
    gathered.errors.sort();
    let mut seen = done.clone();
    let records = std::mem::take(&mut gathered.records);
    for record in records {
        if !filter.may_contain(Path::new(&record.log_file)) {
            gathered.pruned += 1;
        } else if !seen.insert(record.log_file.clone()) {
            gathered.repeated += 1;
        } else {
            gathered.records.push(record);
        }
    }
    gathered
}

/// `s3://bucket` of each bucket the records' log files were read from.
pub fn bucket_roots(records: &[FileRecord]) -> BTreeSet<String> {
    records
        .iter()
        .filter_map(|r| parse_uri(&r.log_file))
        .map(|(bucket, _)| format!("s3://{bucket}"))
        .collect()
}

fn gather_local(path: &Path, out: &mut Gathered) {
    let mut files = Vec::new();
    match fs::metadata(path) {
        Ok(meta) if meta.is_dir() => walk(path, &mut files, out),
        Ok(_) => files.push(path.to_owned()),
        Err(e) => out.errors.push(format!("{}: {e}", path.display())),
    }
    files.sort();
    for file in files {
        let bytes = fs::read(&file).map_err(|e| e.to_string());
        out.object(&file.display().to_string(), bytes);
    }
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>, out: &mut Gathered) {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => return out.errors.push(format!("{}: {e}", dir.display())),
    };
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                out.errors.push(format!("{}: {e}", dir.display()));
                continue;
            }
        };
        let path = entry.path();
        if path.is_dir() {
            walk(&path, files, out);
        } else if path.extension().is_some_and(|e| e == "jsonl") {
            files.push(path);
        } else {
            out.ignored += 1;
        }
    }
}

fn gather_s3(access: &S3Access, uri: &str, concurrency: usize, out: &mut Gathered) {
    let Some((bucket, prefix)) = parse_uri(uri) else {
        return out
            .errors
            .push(format!("{uri}: not of the form s3://bucket/prefix/"));
    };
    access.runtime.block_on(async {
        let mut keys = Vec::new();
        let listed = list_objects_from(&access.client, bucket, prefix, None, |key, _| {
            if key.ends_with(".jsonl") {
                keys.push(key.to_owned());
            } else {
                out.ignored += 1;
            }
            true
        })
        .await;
        if let Err(e) = listed {
            return out.errors.push(e.to_string());
        }
        let mut keys = keys.into_iter();
        let mut fetches = JoinSet::new();
        loop {
            while fetches.len() < concurrency.max(1) {
                let Some(key) = keys.next() else { break };
                let (client, bucket) = (access.client.clone(), bucket.to_owned());
                fetches.spawn(async move {
                    let fetched = fetch_object(&client, &bucket, &key, MAX_OBJECT_BYTES).await;
                    (
                        format!("s3://{bucket}/{key}"),
                        fetched.map(|o| o.bytes).map_err(|e| e.reason()),
                    )
                });
            }
            let Some(done) = fetches.join_next().await else {
                break;
            };
            let (name, bytes) = done.expect("a fetch does not panic");
            out.object(&name, bytes);
        }
    });
}
