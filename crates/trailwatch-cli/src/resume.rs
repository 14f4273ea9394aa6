//! The `--resume STATE` file: one finished log file per line (its path or
//! `s3://` URI, as trailwatch names it). A file is recorded only after its
//! findings were written out, so a replay interrupted at any point and run
//! again loses nothing: at worst the files in flight are read twice.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// An open state file.
pub struct ResumeState {
    path: PathBuf,
    file: File,
    /// Files finished but not yet recorded (their findings are still held).
    pending: Vec<String>,
}

impl ResumeState {
    /// Opens (or creates) the state file; returns it with the files it already lists.
    pub fn open(path: &Path) -> Result<(ResumeState, HashSet<String>)> {
        let mut done = HashSet::new();
        match File::open(path) {
            Ok(file) => {
                for line in BufReader::new(file).lines() {
                    let line = line.with_context(|| format!("reading {}", path.display()))?;
                    if !line.is_empty() {
                        done.insert(line);
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
            pending: Vec::new(),
        };
        Ok((state, done))
    }

    /// Notes a finished file, to be recorded by the next `record_pending`.
    pub fn finished(&mut self, log_file: &str) {
        // A name with a newline could not be read back as one line.
        if !log_file.contains('\n') && log_file != "-" {
            self.pending.push(log_file.to_owned());
        }
    }

    /// Records the finished files; call once their findings are written out.
    pub fn record_pending(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let mut text = self.pending.join("\n");
        text.push('\n');
        self.file
            .write_all(text.as_bytes())
            .with_context(|| format!("writing {}", self.path.display()))?;
        self.pending.clear();
        Ok(())
    }
}
