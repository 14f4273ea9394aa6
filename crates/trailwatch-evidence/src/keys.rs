//! CloudTrail's public keys, as `aws cloudtrail list-public-keys` prints
//! them, and SHA256withRSA (PKCS#1 v1.5) verification with them.
//!
//! - `PublicKeyList[].Value` is base64 of the DER key. The API reference
//!   says PKCS#1 `RSAPublicKey`; one of the guide's own samples is an X.509
//!   `SubjectPublicKeyInfo` instead, so both are accepted.
//! - `Fingerprint` is the hex MD5 of those DER bytes, exactly as given (checked
//!   on the three keys of the guide's sample response), so a file whose
//!   fingerprint does not match its value is refused.
//! - `ValidityStartTime`/`ValidityEndTime` are epoch numbers from AWS CLI v1
//!   (`1436317441.0`, also as a string in the guide's sample) and ISO 8601
//!   from v2 (`2015-07-08T01:04:01+00:00`).
//! - A file may hold one response, several concatenated (one per Region,
//!   `cat`-merged), a JSON array of them, or a bare array of keys.

use std::collections::HashMap;

use aws_lc_rs::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use base64::Engine;
use md5::{Digest as _, Md5};
use serde_json::Value;
use thiserror::Error;

use crate::logfile::hex;
use crate::time::{parse_epoch, parse_iso};

/// Why a public-keys file was refused.
#[derive(Debug, Error)]
pub enum KeyFileError {
    /// Not JSON.
    #[error("not JSON: {0}")]
    Json(String),
    /// No `PublicKeyList` anywhere in it.
    #[error("no PublicKeyList in it (expected `aws cloudtrail list-public-keys` output)")]
    NoKeys,
    /// One key entry is malformed.
    #[error("key {index}: {message}")]
    Key {
        /// Position in the file (0-based, over all lists).
        index: usize,
        /// What is wrong.
        message: String,
    },
}

/// One CloudTrail public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    /// Lowercase hex MD5 of `der`.
    pub fingerprint: String,
    /// The DER key (PKCS#1 or SubjectPublicKeyInfo).
    pub der: Vec<u8>,
    /// Start of validity (Unix seconds), when given.
    pub valid_from: Option<i64>,
    /// End of validity (Unix seconds), when given.
    pub valid_to: Option<i64>,
}

/// Slack around a key's validity window: a digest's end time may precede
/// its signing (delivery) by minutes.
pub const VALIDITY_SLACK_SECONDS: i64 = 3600;

impl PublicKey {
    /// A key from its DER bytes, fingerprinted as CloudTrail does.
    pub fn from_der(der: Vec<u8>, valid_from: Option<i64>, valid_to: Option<i64>) -> PublicKey {
        PublicKey {
            fingerprint: fingerprint(&der),
            der,
            valid_from,
            valid_to,
        }
    }

    /// Whether the key was valid at `t` (within [`VALIDITY_SLACK_SECONDS`]).
    pub fn valid_at(&self, t: i64) -> bool {
        self.valid_from
            .is_none_or(|f| t >= f - VALIDITY_SLACK_SECONDS)
            && self
                .valid_to
                .is_none_or(|e| t <= e + VALIDITY_SLACK_SECONDS)
    }

    /// Verifies an RSASSA-PKCS1-v1_5 SHA-256 signature of `message`.
    pub fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &self.der)
            .verify(message, signature)
            .is_ok()
    }
}

/// CloudTrail's fingerprint of a key: hex MD5 of its DER bytes.
pub fn fingerprint(der: &[u8]) -> String {
    hex(&Md5::digest(der))
}

/// The keys supplied, by fingerprint.
#[derive(Debug, Default, Clone)]
pub struct PublicKeys {
    by_fingerprint: HashMap<String, PublicKey>,
}

fn time_value(v: &Value) -> Option<Option<i64>> {
    match v {
        Value::Null => Some(None),
        Value::Number(n) => n
            .as_f64()
            .and_then(|f| parse_epoch(&f.to_string()))
            .map(Some),
        Value::String(s) => parse_iso(s).or_else(|| parse_epoch(s)).map(Some),
        _ => None,
    }
}

impl PublicKeys {
    /// No keys.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one key (a key seen twice is kept once).
    pub fn add(&mut self, key: PublicKey) {
        self.by_fingerprint.insert(key.fingerprint.clone(), key);
    }

    /// The key with this fingerprint (either case).
    pub fn get(&self, fingerprint: &str) -> Option<&PublicKey> {
        self.by_fingerprint
            .get(fingerprint)
            .or_else(|| self.by_fingerprint.get(&fingerprint.to_ascii_lowercase()))
    }

    /// How many keys.
    pub fn len(&self) -> usize {
        self.by_fingerprint.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.by_fingerprint.is_empty()
    }

    /// Adds every key of a `list-public-keys` output file (see the module
    /// doc for the forms accepted); returns how many entries it held.
    pub fn add_file(&mut self, text: &[u8]) -> Result<usize, KeyFileError> {
        let values = serde_json::Deserializer::from_slice(text)
            .into_iter::<Value>()
            .collect::<Result<Vec<Value>, _>>()
            .map_err(|e| KeyFileError::Json(e.to_string()))?;
        let mut entries = Vec::new();
        for value in &values {
            collect(value, &mut entries);
        }
        if entries.is_empty() {
            return Err(KeyFileError::NoKeys);
        }
        let n = entries.len();
        for (index, entry) in entries.into_iter().enumerate() {
            let bad = |message: String| KeyFileError::Key { index, message };
            let value = entry
                .get("Value")
                .and_then(Value::as_str)
                .ok_or_else(|| bad("no Value".into()))?;
            let der = base64::engine::general_purpose::STANDARD
                .decode(value.trim())
                .map_err(|e| bad(format!("Value is not base64: {e}")))?;
            let from = time_value(entry.get("ValidityStartTime").unwrap_or(&Value::Null))
                .ok_or_else(|| bad("ValidityStartTime is not a time".into()))?;
            let to = time_value(entry.get("ValidityEndTime").unwrap_or(&Value::Null))
                .ok_or_else(|| bad("ValidityEndTime is not a time".into()))?;
            let key = PublicKey::from_der(der, from, to);
            if let Some(given) = entry.get("Fingerprint").and_then(Value::as_str) {
                if !given.eq_ignore_ascii_case(&key.fingerprint) {
                    return Err(bad(format!(
                        "Fingerprint {given} is not the MD5 of its Value ({})",
                        key.fingerprint
                    )));
                }
            }
            self.add(key);
        }
        Ok(n)
    }
}

/// Key entries of one JSON value: `{"PublicKeyList": [...]}` (also the
/// guide's `publicKeyList`), arrays of those, or a bare array of keys.
fn collect<'a>(value: &'a Value, out: &mut Vec<&'a Value>) {
    match value {
        Value::Object(map) => {
            if let Some(list) = map
                .get("PublicKeyList")
                .or_else(|| map.get("publicKeyList"))
            {
                collect(list, out);
            } else if map.contains_key("Value") {
                out.push(value);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect(v, out)),
        _ => {}
    }
}
