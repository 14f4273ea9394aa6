//! One log file's contribution to the fold, as one JSON line: its findings
//! before verdicts, its permission changes and its anonymous and presigned
//! request counts. Verdicts and windows need every change of the archive in
//! one place, but reading the files does not: whoever reads a file (the
//! command line for `--resume`, the Lambda for a changes prefix) writes this
//! line, and whoever folds reads it back. One serialisation serves both.
//!
//! A changes object (`TRAILWATCH_CHANGES_PREFIX`) holds one line, for one
//! log file, at a key derived from the log file's bucket and key, so a
//! retried S3 Batch Operations task overwrites its object, never adds one.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use trailwatch_core::access::Requests;
use trailwatch_core::change::Change;
use trailwatch_core::{FileScan, Finding};

use crate::s3::FetchError;

/// What one log file contributed to the fold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileRecord {
    /// The file, as trailwatch names it (`s3://bucket/key` when read from S3).
    pub log_file: String,
    /// Its findings, before verdicts.
    pub findings: Vec<Finding>,
    /// Its permission changes.
    pub changes: Vec<Change>,
    /// Its anonymous and presigned requests. Required: a resume line from
    /// before they were recorded is not trusted, and its file is read again.
    pub requests: Vec<Requests>,
    /// Why the file was not read to its end, as a replay reports it (what
    /// was read before is still above). Never set in a resume state, which
    /// records only files read to their end; absent when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The records it skipped, as a replay reports them (a folded file
    /// with skipped records makes the fold exit non-zero too); absent when
    /// none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<String>,
}

impl FileRecord {
    /// What `scan` contributes.
    pub fn of(scan: &FileScan) -> FileRecord {
        FileRecord {
            log_file: scan.log_file.clone(),
            findings: scan.findings.clone(),
            changes: scan.changes.clone(),
            requests: scan.requests.clone(),
            error: scan.error.as_ref().map(ToString::to_string),
            skipped: scan.skipped_messages(),
        }
    }

    /// The record as one line of JSON, newline included.
    pub fn to_line(&self) -> Result<String, serde_json::Error> {
        let mut line = serde_json::to_string(self)?;
        line.push('\n');
        Ok(line)
    }

    /// Every record of a changes object (or of a resume state read
    /// strictly): one per non-empty line.
    pub fn parse_lines(text: &str) -> Result<Vec<FileRecord>, LineError> {
        text.lines()
            .enumerate()
            .filter(|(_, line)| !line.trim().is_empty())
            .map(|(i, line)| {
                serde_json::from_str(line).map_err(|source| LineError {
                    line: i + 1,
                    source,
                })
            })
            .collect()
    }
}

/// A line that is not a [`FileRecord`].
#[derive(Debug, Error)]
#[error("line {line}: not a trailwatch changes line: {source}")]
pub struct LineError {
    /// The line, from 1.
    pub line: usize,
    /// Why.
    #[source]
    pub source: serde_json::Error,
}

/// Where changes objects go: `s3://bucket/` or `s3://bucket/prefix/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangesPrefix {
    /// The bucket.
    pub bucket: String,
    /// The key prefix: empty, or ending in `/`.
    pub prefix: String,
}

/// Why a changes prefix is not usable.
#[derive(Debug, Error)]
#[error("`{0}` is not of the form s3://bucket/ or s3://bucket/prefix/ (a bucket name, and a prefix ending in /)")]
pub struct PrefixError(String);

impl FromStr for ChangesPrefix {
    type Err = PrefixError;

    fn from_str(uri: &str) -> Result<Self, Self::Err> {
        let bad = || PrefixError(uri.to_owned());
        let (bucket, prefix) = uri
            .strip_prefix("s3://")
            .and_then(|rest| rest.split_once('/'))
            .ok_or_else(bad)?;
        // S3's rules for a bucket name (general purpose and directory).
        let bucket_ok = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
            && bucket.starts_with(|c: char| c.is_ascii_alphanumeric())
            && bucket.ends_with(|c: char| c.is_ascii_alphanumeric());
        let prefix_ok = prefix.is_empty() || (prefix.ends_with('/') && !prefix.starts_with('/'));
        if !bucket_ok || !prefix_ok {
            return Err(bad());
        }
        Ok(ChangesPrefix {
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
        })
    }
}

impl fmt::Display for ChangesPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.prefix)
    }
}

impl ChangesPrefix {
    /// The key of the changes object of `s3://log_bucket/log_key`:
    /// `<prefix><log_bucket>/<log_key>.jsonl`, the same for every retry.
    pub fn object_key(&self, log_bucket: &str, log_key: &str) -> String {
        format!("{}{log_bucket}/{log_key}.jsonl", self.prefix)
    }

    /// Writes `record`, the contribution of `s3://log_bucket/log_key`, as
    /// its changes object (replacing any earlier one); returns its URI.
    pub async fn put(
        &self,
        client: &aws_sdk_s3::Client,
        log_bucket: &str,
        log_key: &str,
        record: &FileRecord,
    ) -> Result<String, FetchError> {
        let key = self.object_key(log_bucket, log_key);
        let other = |message: String| FetchError::Other {
            bucket: self.bucket.clone(),
            key: key.clone(),
            message,
        };
        let line = record
            .to_line()
            .map_err(|e| other(format!("encoding the changes line: {e}")))?;
        client
            .put_object()
            .bucket(&self.bucket)
            .key(&key)
            .content_type("application/x-ndjson")
            .body(line.into_bytes().into())
            .send()
            .await
            .map_err(|e| FetchError::from_sdk(&self.bucket, &key, "s3:PutObject", e))?;
        Ok(format!("s3://{}/{key}", self.bucket))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        let p: ChangesPrefix = "s3://map-bucket/trailwatch/changes/".parse().unwrap();
        assert_eq!(p.bucket, "map-bucket");
        assert_eq!(p.prefix, "trailwatch/changes/");
        assert_eq!(p.to_string(), "s3://map-bucket/trailwatch/changes/");
        assert_eq!(
            p.object_key("trail", "AWSLogs/1/CloudTrail/x.json.gz"),
            "trailwatch/changes/trail/AWSLogs/1/CloudTrail/x.json.gz.jsonl"
        );
        let root: ChangesPrefix = "s3://map-bucket/".parse().unwrap();
        assert_eq!(root.object_key("t", "k"), "t/k.jsonl");
        for bad in [
            "map-bucket/changes/",
            "s3://map-bucket",
            "s3://map-bucket/changes",
            "s3:///changes/",
            "s3://Map_Bucket/changes/",
            "s3://map-bucket//",
        ] {
            let err = bad.parse::<ChangesPrefix>().unwrap_err();
            assert!(err.to_string().contains(bad), "{err}");
        }
    }

    #[test]
    fn lines_round_trip_and_name_the_bad_line() {
        let record = FileRecord {
            log_file: "s3://trail/k.json.gz".into(),
            findings: Vec::new(),
            changes: Vec::new(),
            requests: Vec::new(),
            error: None,
            skipped: Vec::new(),
        };
        let line = record.to_line().unwrap();
        assert!(
            !line.contains("error") && !line.contains("skipped"),
            "{line}"
        );
        let text = format!("{line}\n{line}");
        assert_eq!(
            FileRecord::parse_lines(&text).unwrap(),
            vec![record.clone(), record]
        );
        let err = FileRecord::parse_lines(&format!("{line}{{\"log_file\":")).unwrap_err();
        assert_eq!(err.line, 2);
    }
}
