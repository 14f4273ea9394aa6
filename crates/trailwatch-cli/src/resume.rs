//! The `--resume STATE` file: one JSON line per finished log file, with the
//! findings and permission changes read from it. Verdicts and windows are
//! decided over the whole archive at the end of a run, so a resumed run
//! folds what earlier runs read (from this file) with what it reads itself,
//! and gives exactly what one uninterrupted run gives. A file is recorded
//! once it was read to its end; at worst, after a crash, the files in
//! flight are read twice. A line that is not of this form (a state file
//! from an older trailwatch, which listed only names) is not trusted: that
//! file is read again.
//!
//! A line is a [`FileRecord`] (`trailwatch-aws`), the same line the Lambda
//! writes as a changes object (`TRAILWATCH_CHANGES_PREFIX`), so `timeline
//! --changes` also folds a state file.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use trailwatch_aws::FileRecord;
use trailwatch_core::FileScan;

/// An open state file.
pub struct ResumeState {
    path: PathBuf,
    file: File,
}

/// What earlier runs finished.
#[derive(Debug, Default)]
pub struct Done {
    /// The files, not to be read again.
    pub files: HashSet<String>,
    /// Their findings and changes.
    pub records: Vec<FileRecord>,
    /// Lines not understood (their files are read again).
    pub ignored_lines: u64,
}

impl ResumeState {
    /// Opens (or creates) the state file; returns it with what it records.
    pub fn open(path: &Path) -> Result<(ResumeState, Done)> {
        let mut done = Done::default();
        match File::open(path) {
            Ok(file) => {
                for line in BufReader::new(file).lines() {
                    let line = line.with_context(|| format!("reading {}", path.display()))?;
                    if line.is_empty() {
                        continue;
                    }
                    match serde_json::from_str::<FileRecord>(&line) {
                        Ok(record) => {
                            done.files.insert(record.log_file.clone());
                            done.records.push(record);
                        }
                        // A torn last line after a crash, or an old format.
                        Err(_) => done.ignored_lines += 1,
                    }
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("opening {} for writing", path.display()))?;
        let state = ResumeState {
            path: path.to_owned(),
            file,
        };
        Ok((state, done))
    }

    /// Records a file read to its end, with what it held.
    pub fn finished(&mut self, scan: &FileScan) -> Result<()> {
        if scan.log_file == "-" {
            return Ok(());
        }
        let line = FileRecord::of(scan)
            .to_line()
            .context("encoding the resume state")?;
        self.file
            .write_all(line.as_bytes())
            .and_then(|()| self.file.flush())
            .with_context(|| format!("writing {}", self.path.display()))
    }
}
