//! Reading CloudTrail log files from S3, streamed into the core's scanner so
//! that memory stays flat whatever the object's size, and listing an
//! archive one key level at a time so callers can prune by the layout.

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use thiserror::Error;

use crate::sdk_error::Cause;
use tokio_util::io::SyncIoBridge;
use trailwatch_core::{FileScan, Limits, Scanner, Trust};

/// Objects up to this size are fetched whole and inflated in one call
/// (fastest); larger ones are streamed.
const WHOLE_OBJECT_BYTES: i64 = 4 << 20;

/// Why an object could not be fetched, listed or written.
#[derive(Debug, Error)]
pub enum FetchError {
    /// No such object (deleted after the notification, or never there).
    #[error("s3://{bucket}/{key}: no such object")]
    NotFound {
        /// The bucket.
        bucket: String,
        /// The key.
        key: String,
    },
    /// The bucket does not exist.
    #[error("s3://{bucket}/{key}: {message}")]
    NoSuchBucket {
        /// The bucket.
        bucket: String,
        /// The key or prefix.
        key: String,
        /// What to check.
        message: String,
    },
    /// The caller may not read it (IAM, bucket policy, KMS).
    #[error("s3://{bucket}/{key}: {message}")]
    AccessDenied {
        /// The bucket.
        bucket: String,
        /// The key or prefix.
        key: String,
        /// Who may not do what, and how to allow it.
        message: String,
    },
    /// Anything else: configuration, network, throttling, server errors.
    #[error("s3://{bucket}/{key}: {message}")]
    Other {
        /// The bucket.
        bucket: String,
        /// The key or prefix.
        key: String,
        /// The cause and the fix, in one sentence.
        message: String,
    },
}

impl FetchError {
    /// The error for a failed `action` (the IAM action, e.g. `s3:GetObject`)
    /// on `s3://bucket/key`, in words a person can act on.
    pub(crate) fn from_sdk<E>(
        bucket: &str,
        key: &str,
        action: &str,
        err: SdkError<E, HttpResponse>,
    ) -> FetchError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let cause = crate::sdk_error::cause(&err);
        let (bucket, key) = (bucket.to_owned(), key.to_owned());
        let resource = format!("s3://{bucket}/{key}");
        let message = cause.sentence(action, &resource);
        match cause {
            Cause::NotFound => FetchError::NotFound { bucket, key },
            Cause::NoSuchBucket => FetchError::NoSuchBucket {
                bucket,
                key,
                message,
            },
            Cause::AccessDenied(_) => FetchError::AccessDenied {
                bucket,
                key,
                message,
            },
            _ => FetchError::Other {
                bucket,
                key,
                message,
            },
        }
    }

    /// The reason alone, without the `s3://` name the `Display` form starts with.
    pub fn reason(&self) -> String {
        match self {
            FetchError::NotFound { .. } => "no such object".to_owned(),
            FetchError::NoSuchBucket { message, .. }
            | FetchError::AccessDenied { message, .. }
            | FetchError::Other { message, .. } => message.clone(),
        }
    }
}

/// Fetches `s3://bucket/key` and scans it as a log file named
/// `s3://bucket/key`. Errors reading the body midway are reported in the
/// returned scan as transient (`ScanError::is_transient`).
pub async fn scan_object(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    limits: Limits,
    trust: &Trust,
) -> Result<FileScan, FetchError> {
    let scanner = Scanner::new(limits).with_trust(trust.clone());
    let object = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| FetchError::from_sdk(bucket, key, "s3:GetObject", e))?;
    let log_file = format!("s3://{bucket}/{key}");
    let size = object.content_length().unwrap_or(i64::MAX);
    if size <= WHOLE_OBJECT_BYTES {
        let bytes = object
            .body
            .collect()
            .await
            .map_err(|e| FetchError::Other {
                bucket: bucket.to_owned(),
                key: key.to_owned(),
                message: format!("reading the body: {}", DisplayErrorContext(&e)),
            })?
            .into_bytes();
        let scan = tokio::task::spawn_blocking(move || {
            let mut scanner = scanner;
            scanner.scan_bytes(&log_file, &bytes)
        })
        .await
        .expect("the scanner does not panic");
        return Ok(scan);
    }
    let body = SyncIoBridge::new(object.body.into_async_read());
    let scan = tokio::task::spawn_blocking(move || {
        let mut scanner = scanner;
        scanner.scan_reader(&log_file, body)
    })
    .await
    .expect("the scanner does not panic");
    Ok(scan)
}

/// An object fetched whole, with its user metadata (`x-amz-meta-*`, keys
/// without the prefix): CloudTrail keeps a digest's own signature in
/// `x-amz-meta-signature`.
#[derive(Debug, Default)]
pub struct FetchedObject {
    /// The object's bytes.
    pub bytes: Vec<u8>,
    /// User metadata, e.g. `signature` and `signature-algorithm`.
    pub metadata: std::collections::HashMap<String, String>,
}

/// Fetches `s3://bucket/key` whole, refusing objects larger than
/// `max_bytes` before reading their body.
pub async fn fetch_object(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    max_bytes: u64,
) -> Result<FetchedObject, FetchError> {
    let object = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| FetchError::from_sdk(bucket, key, "s3:GetObject", e))?;
    let other = |message: String| FetchError::Other {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        message,
    };
    if object.content_length().unwrap_or(0).max(0) as u64 > max_bytes {
        return Err(other(format!("larger than {max_bytes} bytes")));
    }
    let metadata = object.metadata().cloned().unwrap_or_default();
    let bytes = object
        .body
        .collect()
        .await
        .map_err(|e| other(format!("reading the body: {}", DisplayErrorContext(&e))))?
        .into_bytes()
        .to_vec();
    Ok(FetchedObject { bytes, metadata })
}

/// One level of an S3 "directory": the sub-prefixes and the objects
/// (key and size) directly under `prefix`, all pages.
#[derive(Debug, Default)]
pub struct Level {
    /// Common prefixes, each ending in `/`.
    pub prefixes: Vec<String>,
    /// Objects directly under the prefix.
    pub objects: Vec<(String, u64)>,
}

/// Lists one level under `prefix` with delimiter `/`.
pub async fn list_level(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
) -> Result<Level, FetchError> {
    let mut level = Level::default();
    let mut pages = client
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .delimiter("/")
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| FetchError::from_sdk(bucket, prefix, "s3:ListBucket", e))?;
        level.prefixes.extend(
            page.common_prefixes()
                .iter()
                .filter_map(|p| p.prefix().map(str::to_owned)),
        );
        level.objects.extend(
            page.contents()
                .iter()
                .filter_map(|o| Some((o.key()?.to_owned(), o.size().unwrap_or(0).max(0) as u64))),
        );
    }
    Ok(level)
}

/// Lists every object under `prefix` (no delimiter) in key order, starting
/// after `start_after` when given, calling `visit(key, size)` for each until
/// it returns false.
pub async fn list_objects_from(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
    start_after: Option<&str>,
    mut visit: impl FnMut(&str, u64) -> bool,
) -> Result<(), FetchError> {
    let mut pages = client
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .set_start_after(start_after.map(str::to_owned))
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| FetchError::from_sdk(bucket, prefix, "s3:ListBucket", e))?;
        for object in page.contents() {
            let Some(key) = object.key() else { continue };
            if !visit(key, object.size().unwrap_or(0).max(0) as u64) {
                return Ok(());
            }
        }
    }
    Ok(())
}
