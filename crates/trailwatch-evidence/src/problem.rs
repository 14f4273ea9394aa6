//! What verification found wrong, one [`Problem`] per fault, each with the
//! span of time it leaves unproven so that exposure windows can be marked.

use std::fmt;

use serde::{Serialize, Serializer};

use crate::time::iso;

/// The kinds of problem, named as `trailwatch verify --format jsonl` prints them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemKind {
    /// A log file a digest lists is not in the copy.
    MissingLogFile,
    /// A log file's content is not what its digest lists (hash, gzip damage,
    /// data after the gzip stream).
    ModifiedLogFile,
    /// A log file delivered inside a digest's window that no digest lists.
    UnlistedLogFile,
    /// A log file delivered after the newest digest's window (informational).
    NotYetDigested,
    /// A digest's `previousDigestHashValue` is not the hash of the previous
    /// digest, or a digest sits outside the chain.
    BrokenChain,
    /// A digest's signature does not verify with its key.
    BadSignature,
    /// A digest names a key fingerprint that no supplied key has.
    UnknownPublicKey,
    /// The newest digest of a chain (or segment) has its signature only in
    /// S3 metadata, which an offline copy lacks (informational).
    UnverifiableNewestDigest,
    /// A digest is missing from the chain.
    DigestGap,
    /// A digest file could not be read (not gzip, not JSON, wrong shape, too
    /// large, or moved from where it says it was delivered).
    UnreadableDigest,
}

impl ProblemKind {
    /// Every kind, in report order.
    pub const ALL: [ProblemKind; 10] = [
        ProblemKind::MissingLogFile,
        ProblemKind::ModifiedLogFile,
        ProblemKind::UnlistedLogFile,
        ProblemKind::NotYetDigested,
        ProblemKind::BrokenChain,
        ProblemKind::BadSignature,
        ProblemKind::UnknownPublicKey,
        ProblemKind::UnverifiableNewestDigest,
        ProblemKind::DigestGap,
        ProblemKind::UnreadableDigest,
    ];

    /// The name printed (`missing-log-file`, ...).
    pub fn name(self) -> &'static str {
        match self {
            ProblemKind::MissingLogFile => "missing-log-file",
            ProblemKind::ModifiedLogFile => "modified-log-file",
            ProblemKind::UnlistedLogFile => "unlisted-log-file",
            ProblemKind::NotYetDigested => "not-yet-digested",
            ProblemKind::BrokenChain => "broken-chain",
            ProblemKind::BadSignature => "bad-signature",
            ProblemKind::UnknownPublicKey => "unknown-public-key",
            ProblemKind::UnverifiableNewestDigest => "unverifiable-newest-digest",
            ProblemKind::DigestGap => "digest-gap",
            ProblemKind::UnreadableDigest => "unreadable-digest",
        }
    }

    /// Informational kinds say what could not be proven yet, not that
    /// anything is wrong: they do not fail `trailwatch verify`.
    pub fn is_informational(self) -> bool {
        matches!(
            self,
            ProblemKind::NotYetDigested | ProblemKind::UnverifiableNewestDigest
        )
    }
}

impl fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

fn opt_iso<S: Serializer>(t: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&iso(*t)),
        None => s.serialize_none(),
    }
}

/// One problem found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// What is wrong.
    #[serde(rename = "problem")]
    pub kind: ProblemKind,
    /// The account of the file, from its key or the digest.
    pub account: Option<String>,
    /// The region of the file, from its key.
    pub region: Option<String>,
    /// The log or digest file concerned (as found, or as a digest names it
    /// when it is missing).
    pub path: String,
    /// The digest that proves the problem, when one does.
    pub digest: Option<String>,
    /// Start of the span left unproven (Unix seconds; ISO 8601 in JSON).
    #[serde(serialize_with = "opt_iso")]
    pub start: Option<i64>,
    /// End of that span.
    #[serde(serialize_with = "opt_iso")]
    pub end: Option<i64>,
    /// One sentence for a person.
    pub detail: String,
}

impl Problem {
    /// Whether the problem's span overlaps `[start, end]` (a problem with no
    /// span overlaps everything of its account and region).
    pub fn overlaps(&self, start: i64, end: i64) -> bool {
        self.start.is_none_or(|s| s <= end) && self.end.is_none_or(|e| e >= start)
    }
}
