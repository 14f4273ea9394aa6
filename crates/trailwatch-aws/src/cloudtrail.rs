//! CloudTrail's public keys for digest validation, from the ListPublicKeys
//! API (what `aws cloudtrail list-public-keys` prints), for `trailwatch
//! verify --fetch-public-keys` when AWS can be reached.

use aws_config::SdkConfig;
use aws_sdk_cloudtrail::error::DisplayErrorContext;
use aws_sdk_cloudtrail::primitives::DateTime;
use thiserror::Error;

/// ListPublicKeys failed in a Region.
#[derive(Debug, Error)]
#[error("CloudTrail ListPublicKeys in {region}: {message}")]
pub struct KeysError {
    /// The Region asked.
    pub region: String,
    /// The SDK's error with its context.
    pub message: String,
}

/// One public key as the API returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedKey {
    /// The DER key bytes (the API's `Value` blob).
    pub der: Vec<u8>,
    /// The fingerprint CloudTrail gives it.
    pub fingerprint: String,
    /// Start of validity (Unix seconds).
    pub valid_from: Option<i64>,
    /// End of validity (Unix seconds).
    pub valid_to: Option<i64>,
}

/// Every public key of `region` whose private key signed digests between
/// `start` and `end` (Unix seconds), all pages.
pub async fn list_public_keys(
    config: &SdkConfig,
    region: &str,
    start: i64,
    end: i64,
) -> Result<Vec<ListedKey>, KeysError> {
    let conf = aws_sdk_cloudtrail::config::Builder::from(config)
        .region(aws_sdk_cloudtrail::config::Region::new(region.to_owned()))
        .build();
    let client = aws_sdk_cloudtrail::Client::from_conf(conf);
    let mut keys = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .list_public_keys()
            .start_time(DateTime::from_secs(start))
            .end_time(DateTime::from_secs(end))
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| KeysError {
                region: region.to_owned(),
                message: DisplayErrorContext(&e).to_string(),
            })?;
        for k in page.public_key_list() {
            keys.push(ListedKey {
                der: k.value().map(|b| b.as_ref().to_vec()).unwrap_or_default(),
                fingerprint: k.fingerprint().unwrap_or_default().to_owned(),
                valid_from: k.validity_start_time().map(DateTime::secs),
                valid_to: k.validity_end_time().map(DateTime::secs),
            });
        }
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_owned()),
            _ => return Ok(keys),
        }
    }
}
