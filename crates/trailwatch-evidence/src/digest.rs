//! Digest files (CloudTrail user guide, "CloudTrail digest file structure"):
//! gzip of one JSON object naming the digest's window of delivery time,
//! the log files delivered in it with their SHA-256, and the previous
//! digest's key, hash and signature. Parsing is bounded: a digest larger
//! than [`MAX_DIGEST_BYTES`] uncompressed, or listing more than
//! [`MAX_LOG_FILES`] files, is refused before it can exhaust memory.

use std::fmt;
use std::io::Read;

use aws_lc_rs::digest::{digest, SHA256};
use serde::de::{Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use thiserror::Error;

use crate::logfile::hex;
use crate::time::parse_iso;

/// Largest digest accepted, uncompressed (a real hourly digest is a few
/// hundred bytes per listed log file).
pub const MAX_DIGEST_BYTES: u64 = 32 << 20;
/// Most log files one digest may list.
pub const MAX_LOG_FILES: usize = 50_000;

/// Why a digest file could not be read.
#[derive(Debug, Error)]
pub enum DigestError {
    /// Not a clean gzip stream.
    #[error("not gzip, or corrupt: {0}")]
    Gzip(String),
    /// Bytes after the end of the gzip stream.
    #[error("data after the end of the gzip stream")]
    Trailing,
    /// Larger than [`MAX_DIGEST_BYTES`] uncompressed.
    #[error("larger than {MAX_DIGEST_BYTES} bytes uncompressed")]
    TooLarge,
    /// Not JSON of the digest's shape (includes too many log files).
    #[error("not a digest: {0}")]
    Json(String),
    /// A field holds something other than what the guide defines.
    #[error("field `{0}`: {1}")]
    Field(&'static str, String),
}

/// One log file a digest lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// `s3Bucket`.
    pub bucket: String,
    /// `s3Object`, the log file's key.
    pub object: String,
    /// `hashValue`, lowercase hex SHA-256 of the uncompressed content.
    pub hash: String,
    /// `oldestEventTime` (Unix seconds), when given.
    pub oldest: Option<i64>,
    /// `newestEventTime` (Unix seconds), when given.
    pub newest: Option<i64>,
}

/// The previous digest, as a digest names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Previous {
    /// `previousDigestS3Bucket`.
    pub bucket: String,
    /// `previousDigestS3Object`.
    pub object: String,
    /// `previousDigestHashValue`: lowercase hex SHA-256 of the uncompressed
    /// previous digest.
    pub hash: String,
}

/// A parsed digest file.
#[derive(Debug, Clone)]
pub struct Digest {
    /// SHA-256 of the uncompressed digest, as the next digest must name it.
    pub sha256: [u8; 32],
    /// `awsAccountId`.
    pub account: String,
    /// `digestStartTime` (Unix seconds).
    pub start: i64,
    /// `digestEndTime` (Unix seconds).
    pub end: i64,
    /// `digestEndTime` as written: the signed string uses the text.
    pub end_text: String,
    /// `digestS3Bucket`.
    pub bucket: String,
    /// `digestS3Object`: where the digest says it was delivered.
    pub object: String,
    /// `digestPublicKeyFingerprint`.
    pub fingerprint: String,
    /// `digestSignatureAlgorithm`.
    pub algorithm: String,
    /// `oldestEventTime` (null in an empty digest).
    pub oldest: Option<i64>,
    /// `newestEventTime` (null in an empty digest).
    pub newest: Option<i64>,
    /// The previous digest; `None` in a starting digest (all five fields null).
    pub previous: Option<Previous>,
    /// `previousDigestSignature`, hex, or `None` (null).
    pub previous_signature: Option<String>,
    /// `logFiles`.
    pub logs: Vec<Listed>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLog {
    s3_bucket: String,
    s3_object: String,
    hash_value: String,
    hash_algorithm: Option<String>,
    newest_event_time: Option<String>,
    oldest_event_time: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Raw {
    aws_account_id: String,
    digest_start_time: String,
    digest_end_time: String,
    digest_s3_bucket: String,
    digest_s3_object: String,
    digest_public_key_fingerprint: String,
    digest_signature_algorithm: Option<String>,
    newest_event_time: Option<String>,
    oldest_event_time: Option<String>,
    previous_digest_s3_bucket: Option<String>,
    previous_digest_s3_object: Option<String>,
    previous_digest_hash_value: Option<String>,
    previous_digest_hash_algorithm: Option<String>,
    previous_digest_signature: Option<String>,
    #[serde(deserialize_with = "bounded_logs")]
    log_files: Vec<RawLog>,
}

fn bounded_logs<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<RawLog>, D::Error> {
    struct Bounded;
    impl<'de> Visitor<'de> for Bounded {
        type Value = Vec<RawLog>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            write!(f, "a list of at most {MAX_LOG_FILES} log files")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
            while let Some(item) = seq.next_element()? {
                if out.len() == MAX_LOG_FILES {
                    return Err(serde::de::Error::custom(format_args!(
                        "more than {MAX_LOG_FILES} log files listed"
                    )));
                }
                out.push(item);
            }
            Ok(out)
        }
    }
    d.deserialize_seq(Bounded)
}

/// Inflates a digest (one gzip member, bounded).
pub fn inflate(gz: &[u8]) -> Result<Vec<u8>, DigestError> {
    let mut rest = gz;
    let mut out = Vec::new();
    {
        let decoder = flate2::bufread::GzDecoder::new(&mut rest);
        decoder
            .take(MAX_DIGEST_BYTES + 1)
            .read_to_end(&mut out)
            .map_err(|e| DigestError::Gzip(e.to_string()))?;
    }
    if out.len() as u64 > MAX_DIGEST_BYTES {
        return Err(DigestError::TooLarge);
    }
    if gz.is_empty() {
        return Err(DigestError::Gzip("empty file".into()));
    }
    if !rest.is_empty() {
        return Err(DigestError::Trailing);
    }
    Ok(out)
}

fn time(field: &'static str, s: &str) -> Result<i64, DigestError> {
    parse_iso(s).ok_or_else(|| DigestError::Field(field, format!("`{s}` is not a UTC time")))
}

fn opt_time(field: &'static str, s: Option<&str>) -> Result<Option<i64>, DigestError> {
    s.map(|s| time(field, s)).transpose()
}

fn sha_hex(field: &'static str, s: &str) -> Result<String, DigestError> {
    let ok = s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit());
    ok.then(|| s.to_ascii_lowercase())
        .ok_or_else(|| DigestError::Field(field, format!("`{s}` is not a hex SHA-256")))
}

fn sha256(field: &'static str, algorithm: Option<&str>) -> Result<(), DigestError> {
    match algorithm {
        None | Some("SHA-256") => Ok(()),
        Some(other) => Err(DigestError::Field(field, format!("unsupported `{other}`"))),
    }
}

/// Parses a digest file as stored (gzip).
pub fn parse(gz: &[u8]) -> Result<Digest, DigestError> {
    parse_json(&inflate(gz)?)
}

/// Parses the uncompressed JSON of a digest file.
pub fn parse_json(json: &[u8]) -> Result<Digest, DigestError> {
    let raw: Raw = serde_json::from_slice(json).map_err(|e| DigestError::Json(e.to_string()))?;
    let previous = match (
        raw.previous_digest_s3_bucket,
        raw.previous_digest_s3_object,
        raw.previous_digest_hash_value,
    ) {
        (Some(bucket), Some(object), Some(hash)) => {
            sha256(
                "previousDigestHashAlgorithm",
                raw.previous_digest_hash_algorithm.as_deref(),
            )?;
            Some(Previous {
                bucket,
                object,
                hash: sha_hex("previousDigestHashValue", &hash)?,
            })
        }
        (None, None, None) => None,
        _ => {
            return Err(DigestError::Field(
                "previousDigestS3Object",
                "the previous digest's bucket, key and hash must be all set or all null".into(),
            ))
        }
    };
    let mut logs = Vec::with_capacity(raw.log_files.len());
    for l in raw.log_files {
        sha256("logFiles.hashAlgorithm", l.hash_algorithm.as_deref())?;
        logs.push(Listed {
            hash: sha_hex("logFiles.hashValue", &l.hash_value)?,
            oldest: opt_time("logFiles.oldestEventTime", l.oldest_event_time.as_deref())?,
            newest: opt_time("logFiles.newestEventTime", l.newest_event_time.as_deref())?,
            bucket: l.s3_bucket,
            object: l.s3_object,
        });
    }
    let start = time("digestStartTime", &raw.digest_start_time)?;
    let end = time("digestEndTime", &raw.digest_end_time)?;
    if end < start {
        return Err(DigestError::Field(
            "digestEndTime",
            "the window ends before it starts".into(),
        ));
    }
    Ok(Digest {
        sha256: {
            let mut a = [0; 32];
            a.copy_from_slice(digest(&SHA256, json).as_ref());
            a
        },
        account: raw.aws_account_id,
        start,
        end,
        end_text: raw.digest_end_time,
        bucket: raw.digest_s3_bucket,
        object: raw.digest_s3_object,
        fingerprint: raw.digest_public_key_fingerprint,
        algorithm: raw
            .digest_signature_algorithm
            .unwrap_or_else(|| "SHA256withRSA".into()),
        oldest: opt_time("oldestEventTime", raw.oldest_event_time.as_deref())?,
        newest: opt_time("newestEventTime", raw.newest_event_time.as_deref())?,
        previous,
        previous_signature: raw.previous_digest_signature,
        logs,
    })
}

impl Digest {
    /// The string CloudTrail signs for this digest (user guide, "Custom
    /// implementations...", "Recreate the data signing string"; the AWS CLI's
    /// `validate-logs` builds the same): `digestEndTime`, `bucket/key`, the hex
    /// SHA-256 of the uncompressed digest and the previous signature (or
    /// `null`), joined by `\n` (not the platform line separator).
    pub fn signing_string(&self) -> String {
        signing_string(
            &self.end_text,
            &self.bucket,
            &self.object,
            &hex(&self.sha256),
            self.previous_signature.as_deref(),
        )
    }

    /// The digest's span in time: its delivery window widened to the events
    /// it lists.
    pub fn span(&self) -> (i64, i64) {
        (
            self.oldest.map_or(self.start, |o| o.min(self.start)),
            self.newest.map_or(self.end, |n| n.max(self.end)),
        )
    }
}

/// The data-signing string from its parts (see [`Digest::signing_string`]).
pub fn signing_string(
    end_text: &str,
    bucket: &str,
    key: &str,
    sha256_hex: &str,
    previous_signature: Option<&str>,
) -> String {
    format!(
        "{end_text}\n{bucket}/{key}\n{sha256_hex}\n{}",
        previous_signature.unwrap_or("null")
    )
}
