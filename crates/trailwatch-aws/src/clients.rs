//! Building AWS clients once, from the standard configuration chain.

use aws_config::{BehaviorVersion, SdkConfig};

/// Loads the standard AWS configuration: credentials, region, and endpoint
/// overrides from `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_S3` and
/// `AWS_ENDPOINT_URL_SNS` (for S3-compatible stores and local tests).
pub async fn load_sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest()).load().await
}

/// An S3 client. With an endpoint override, addressing is path-style
/// (`http://host/bucket/key`), which S3-compatible stores and local
/// endpoints expect; against AWS itself, virtual-host style as usual.
pub fn s3_client(config: &SdkConfig) -> aws_sdk_s3::Client {
    let overridden = config.endpoint_url().is_some()
        || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some()
        || std::env::var_os("AWS_ENDPOINT_URL").is_some();
    let s3_config = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(overridden)
        .build();
    aws_sdk_s3::Client::from_conf(s3_config)
}

/// An SNS client.
pub fn sns_client(config: &SdkConfig) -> aws_sdk_sns::Client {
    aws_sdk_sns::Client::new(config)
}

/// A Security Hub client.
pub fn securityhub_client(config: &SdkConfig) -> aws_sdk_securityhub::Client {
    aws_sdk_securityhub::Client::new(config)
}

/// An EventBridge client.
pub fn eventbridge_client(config: &SdkConfig) -> aws_sdk_eventbridge::Client {
    aws_sdk_eventbridge::Client::new(config)
}

/// The account the credentials belong to (STS GetCallerIdentity), asked
/// once at start: Security Hub findings are imported as its default product.
pub async fn caller_account(config: &SdkConfig) -> Result<String, String> {
    let identity = aws_sdk_sts::Client::new(config)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| {
            format!(
                "STS GetCallerIdentity (the account Security Hub findings are imported as): {}",
                aws_sdk_sts::error::DisplayErrorContext(&e)
            )
        })?;
    identity
        .account()
        .map(str::to_owned)
        .ok_or_else(|| "STS GetCallerIdentity returned no account".to_owned())
}
