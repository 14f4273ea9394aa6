//! trailwatch-core reads AWS CloudTrail log files and finds the records that
//! made an S3 bucket or object public.
//!
//! It is the pure middle of trailwatch: bytes in, findings out, no AWS SDK
//! and no async runtime, so that the Lambda, the command line, the benches
//! and the fuzzers all run exactly the same code.
//!
//! The data flows one way: gzip bytes → [`Scanner`] (decompression, record
//! splitting, a byte prefilter that rejects almost every record) → typed
//! parse of the few candidates → the rules → [`Finding`]s,
//! which an [`Allowlist`] may mark as accepted. Where "public" is decided:
//! `src/rules.rs`, one file.

mod allowlist;
mod detect;
mod finding;
mod inflate;
mod record;
mod records;
mod rules;
mod scan;
mod structure;
pub mod text;

pub use allowlist::{Allowlist, AllowlistError};
pub use finding::{Finding, Kind, Severity};
pub use scan::{FileScan, FileStats, Limits, ScanError, ScanErrorKind, Scanner};

/// Evaluates one CloudTrail record (JSON bytes) against the rules, without
/// the prefilter: for tests, fuzzing and tools that already hold a record.
pub fn detect_record(
    record: &[u8],
    log_file: &str,
    limits: &Limits,
) -> Result<Vec<Finding>, serde_json::Error> {
    detect::detect(
        record,
        log_file,
        rules::RuleLimits {
            max_policy_bytes: limits.max_policy_bytes,
        },
    )
}

/// The event names the rules watch: any record with another name is skipped
/// on bytes alone.
pub fn watched_events() -> &'static [&'static str] {
    rules::WATCHED_EVENTS
}

/// The rules in prose, as `trailwatch explain` prints them.
pub fn rules_explained() -> &'static str {
    include_str!("explain.txt")
}
