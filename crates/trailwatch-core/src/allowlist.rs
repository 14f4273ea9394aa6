//! Known, accepted exposures (a public website bucket, a sandbox account),
//! written down with a reason. A suppressed finding is counted and can be
//! listed; it is never silently dropped.
//!
//! ```toml
//! [[allow]]
//! reason = "static website, reviewed in SEC-123"
//! buckets = ["www.example.com", "assets-*"]   # globs
//! kinds = ["bucket-policy-public"]
//!
//! [[allow]]
//! reason = "sandbox account, nothing sensitive by policy"
//! accounts = ["111122223333"]
//! actors = ["arn:aws:iam::111122223333:role/sandbox-*"]   # globs
//! ```
//!
//! Within one entry every field given must match; any entry matching
//! suppresses the finding.

use std::path::Path;

use globset::{Glob, GlobMatcher};
use serde::Deserialize;
use thiserror::Error;

use crate::finding::{Finding, Kind};

/// Why an allowlist could not be loaded.
#[derive(Debug, Error)]
pub enum AllowlistError {
    /// The file could not be read.
    #[error("{path}: cannot read: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The TOML is malformed or has unknown fields.
    #[error("{origin}: {message}")]
    Invalid {
        /// The file, or another description of where the text came from.
        origin: String,
        /// What is wrong.
        message: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    allow: Vec<EntryText>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryText {
    reason: String,
    #[serde(default)]
    buckets: Vec<String>,
    #[serde(default)]
    accounts: Vec<String>,
    #[serde(default)]
    actors: Vec<String>,
    #[serde(default)]
    kinds: Vec<String>,
}

#[derive(Debug)]
struct Entry {
    reason: String,
    buckets: Vec<GlobMatcher>,
    accounts: Vec<String>,
    actors: Vec<GlobMatcher>,
    kinds: Vec<Kind>,
}

impl Entry {
    fn matches(&self, finding: &Finding) -> bool {
        let bucket = finding.bucket.as_deref();
        (self.buckets.is_empty()
            || bucket.is_some_and(|b| self.buckets.iter().any(|g| g.is_match(b))))
            && (self.accounts.is_empty() || self.accounts.contains(&finding.account))
            && (self.actors.is_empty()
                || self.actors.iter().any(|g| g.is_match(&finding.actor_arn)))
            && (self.kinds.is_empty() || self.kinds.contains(&finding.kind))
    }
}

/// A set of allowlist entries.
#[derive(Debug, Default)]
pub struct Allowlist {
    entries: Vec<Entry>,
}

impl Allowlist {
    /// Loads an allowlist file.
    pub fn load(path: &Path) -> Result<Self, AllowlistError> {
        let text = std::fs::read_to_string(path).map_err(|source| AllowlistError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Parses allowlist TOML; `origin` names where it came from in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Self, AllowlistError> {
        let invalid = |message: String| AllowlistError::Invalid {
            origin: origin.to_owned(),
            message,
        };
        let file: File = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        let globs = |patterns: &[String], n: usize| -> Result<Vec<GlobMatcher>, AllowlistError> {
            patterns
                .iter()
                .map(|p| {
                    Glob::new(p)
                        .map(|g| g.compile_matcher())
                        .map_err(|e| invalid(format!("allow entry {n}: bad glob `{p}`: {e}")))
                })
                .collect()
        };
        let mut entries = Vec::new();
        for (i, e) in file.allow.into_iter().enumerate() {
            let n = i + 1;
            if e.reason.trim().is_empty() {
                return Err(invalid(format!(
                    "allow entry {n}: `reason` must say why it is accepted"
                )));
            }
            if e.buckets.is_empty()
                && e.accounts.is_empty()
                && e.actors.is_empty()
                && e.kinds.is_empty()
            {
                return Err(invalid(format!(
                    "allow entry {n}: give at least one of buckets, accounts, actors, kinds (an empty entry would hide everything)"
                )));
            }
            let kinds = e
                .kinds
                .iter()
                .map(|k| {
                    k.parse::<Kind>()
                        .map_err(|m| invalid(format!("allow entry {n}: {m}")))
                })
                .collect::<Result<_, _>>()?;
            entries.push(Entry {
                buckets: globs(&e.buckets, n)?,
                actors: globs(&e.actors, n)?,
                accounts: e.accounts,
                kinds,
                reason: e.reason,
            });
        }
        Ok(Allowlist { entries })
    }

    /// The reason of the first entry that accepts this finding, if any.
    pub fn suppression(&self, finding: &Finding) -> Option<&str> {
        self.entries
            .iter()
            .find(|e| e.matches(finding))
            .map(|e| e.reason.as_str())
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing is allowlisted.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}
