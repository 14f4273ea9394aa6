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
//! `src/rules.rs`, one file. Each record's permission change ([`change`])
//! is folded, in time order across every file, into the exposure state;
//! where "effective" is decided: `src/exposure.rs`, one file.

pub mod access;
mod allowlist;
pub mod change;
mod detect;
pub mod ending;
pub mod exposure;
mod finding;
mod inflate;
mod live;
mod peek;
mod record;
mod records;
mod resource;
mod rules;
mod scan;
mod structure;
pub mod text;
mod trust;

pub use allowlist::{Allowlist, AllowlistError};
pub use finding::{Exposure, Finding, Kind, Severity};
pub use live::{
    evaluate_live_acl, evaluate_live_policy, LiveAclGrant, LiveCheck, LiveGrant, LivePolicy,
    LiveStatus,
};
pub use peek::RecordHead;
pub use records::{SkipReason, SkippedRecord};
pub use resource::{partition, AwsResource, ResourceType};
pub use scan::{
    FileScan, FileStats, Limits, ScanError, ScanErrorKind, Scanner, MAX_SKIPPED_LISTED,
};
pub use trust::Trust;

/// Evaluates one CloudTrail record (JSON bytes) against the rules, without
/// the prefilter: for tests, fuzzing and tools that already hold a record.
/// Findings of a failed call are `blocked`; the rest are judged by the
/// exposure state only when folded with their archive (`exposure::judge`).
pub fn detect_record(
    record: &[u8],
    log_file: &str,
    limits: &Limits,
) -> Result<Vec<Finding>, serde_json::Error> {
    detect_record_trusting(record, log_file, limits, &Trust::default())
}

/// [`detect_record`] with a trusted set: grants and deliveries to accounts
/// outside it are findings too.
pub fn detect_record_trusting(
    record: &[u8],
    log_file: &str,
    limits: &Limits,
    trust: &Trust,
) -> Result<Vec<Finding>, serde_json::Error> {
    detect::detect(
        record,
        log_file,
        rules::RuleLimits {
            max_policy_bytes: limits.max_policy_bytes,
        },
        trust,
    )
    .map(|d| {
        // Judged alone, a record whose finding rests on the archive is none.
        d.findings
            .into_iter()
            .filter(|f| !rules::rests_on_archive(&f.event_name))
            .collect()
    })
}

/// The event names the rules watch: any record with another name is skipped
/// on bytes alone.
pub fn watched_events() -> impl Iterator<Item = &'static str> {
    rules::watched_events()
}

/// The rules in prose, as `trailwatch explain` prints them.
pub fn rules_explained() -> &'static str {
    include_str!("explain.txt")
}

/// Single stages, for `cargo bench` and the fuzz targets only (feature
/// `bench`); not a stable API.
#[cfg(feature = "bench")]
#[doc(hidden)]
pub mod bench {
    use crate::detect::{Prefilter, EVENT_NAME_PATTERN};
    use crate::records::{Item, RecordReader, SplitLimits};

    fn limits() -> SplitLimits {
        SplitLimits {
            max_decompressed_bytes: u64::MAX,
            max_record_bytes: 1 << 20,
            max_depth: 64,
        }
    }

    /// Splits a plain JSON log into records (copying it through the
    /// streaming window, as a stream would); returns how many.
    pub fn split(json: &[u8]) -> u64 {
        let mut reader = RecordReader::streaming(json, Vec::new(), limits(), EVENT_NAME_PATTERN);
        let mut records = 0;
        while let Ok(Some(_)) = reader.next_record() {
            records += 1;
        }
        records
    }

    /// Splits a plain JSON log read from `source`: each record before the
    /// first error, with the positions the splitter reports for
    /// `"eventName"` in it (which must be every one a byte search finds).
    pub fn records_with_key_positions<R: std::io::Read>(source: R) -> Vec<(Vec<u8>, Vec<usize>)> {
        let mut reader = RecordReader::streaming(source, Vec::new(), limits(), EVENT_NAME_PATTERN);
        let mut records = Vec::new();
        while let Ok(Some(Item::Record(record))) = reader.next_record() {
            records.push((record.bytes.to_vec(), record.key_at.to_vec()));
        }
        records
    }

    /// Splits and prefilters; returns how many records are candidates.
    pub fn split_and_prefilter(json: &[u8]) -> u64 {
        let mut reader = RecordReader::streaming(json, Vec::new(), limits(), EVENT_NAME_PATTERN);
        let mut prefilter = Prefilter::new();
        let mut candidates = 0;
        while let Ok(Some(Item::Record(record))) = reader.next_record() {
            candidates += prefilter.is_candidate(record.bytes, record.key_at) as u64;
        }
        candidates
    }
}
