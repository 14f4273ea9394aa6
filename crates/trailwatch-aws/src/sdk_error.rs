//! AWS SDK failures as one sentence a person can act on: what went wrong and
//! how to fix it, never the SDK's debug structure (that goes to the debug
//! log, `RUST_LOG=debug`).
//!
//! The SDK reports configuration problems (no region, no credentials) as
//! dispatch failures whose only typed detail is a message deep in the source
//! chain, so those are recognised by the words the pinned SDK uses; the tests
//! in `trailwatch-cli/tests/aws_errors.rs` run the real SDK into each case, so
//! a change of wording fails a test rather than passing unexplained.

use std::error::Error as StdError;

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

/// What an SDK failure comes down to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cause {
    /// No region in the environment or the profile.
    NoRegion,
    /// No credentials anywhere in the provider chain.
    NoCredentials,
    /// The session token or credentials have expired.
    Expired(String),
    /// The access key ID is unknown, or the secret does not match it.
    BadKey(String),
    /// Authorization refused: the code and S3's message, which may name the principal.
    AccessDenied(String),
    /// The bucket does not exist.
    NoSuchBucket,
    /// The object (or prefix) does not exist.
    NotFound,
    /// The endpoint could not be reached; the innermost cause.
    Unreachable(String),
    /// No answer in time.
    TimedOut,
    /// Any other service error: its code and message.
    Service(String),
    /// Anything else, in the SDK's words (flattened to one line).
    Other(String),
}

/// Classifies an SDK error, and logs its full structure at debug level.
pub(crate) fn cause<E>(err: &SdkError<E, HttpResponse>) -> Cause
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    tracing::debug!(error = %DisplayErrorContext(err), "AWS SDK error");
    let chain = chain_text(err);
    let lower = chain.to_ascii_lowercase();
    if let SdkError::ServiceError(_) = err {
        let code = err.code().unwrap_or_default();
        let message = err.message().unwrap_or_default().to_owned();
        return match code {
            "NoSuchBucket" => Cause::NoSuchBucket,
            "NoSuchKey" | "NotFound" => Cause::NotFound,
            "ExpiredToken"
            | "ExpiredTokenException"
            | "TokenRefreshRequired"
            | "RequestExpired" => Cause::Expired(code.to_owned()),
            "InvalidAccessKeyId" | "SignatureDoesNotMatch" | "InvalidClientTokenId" => {
                Cause::BadKey(code.to_owned())
            }
            "AccessDenied" | "Forbidden" | "AllAccessDisabled" | "KMS.AccessDeniedException" => {
                Cause::AccessDenied(format!("{code}: {message}"))
            }
            "" => match err.raw_response().map(|r| r.status().as_u16()) {
                Some(404) => Cause::NotFound,
                Some(403) => Cause::AccessDenied(format!("HTTP 403: {message}")),
                Some(status) => Cause::Service(format!("HTTP {status}")),
                None => Cause::Other(one_line(&chain)),
            },
            code if message.is_empty() => Cause::Service(code.to_owned()),
            code => Cause::Service(format!("{code}: {message}")),
        };
    }
    if lower.contains("region must be set") || lower.contains("no region") {
        return Cause::NoRegion;
    }
    if lower.contains("no credentials found") || lower.contains("credentialsnotloaded") {
        return Cause::NoCredentials;
    }
    if lower.contains("expired") && lower.contains("token") {
        return Cause::Expired("the session token".to_owned());
    }
    match err {
        SdkError::TimeoutError(_) => Cause::TimedOut,
        SdkError::DispatchFailure(failure) if failure.is_timeout() => Cause::TimedOut,
        SdkError::DispatchFailure(failure) if failure.is_io() => {
            Cause::Unreachable(innermost(err).unwrap_or_else(|| one_line(&chain)))
        }
        _ => Cause::Other(one_line(&chain)),
    }
}

impl Cause {
    /// The sentence, for `action` (e.g. `s3:GetObject`) on `resource` (an
    /// ARN or `s3://` URI).
    pub(crate) fn sentence(&self, action: &str, resource: &str) -> String {
        match self {
            Cause::NoRegion => "no AWS region is configured: set AWS_REGION (for example \
                `export AWS_REGION=us-east-1`, the bucket's region) or `region` in your AWS \
                profile"
                .to_owned(),
            Cause::NoCredentials => "no AWS credentials were found (the environment, the \
                shared config and credentials files, web identity, ECS and EC2 instance \
                metadata were tried): run `aws configure` or `aws sso login`, or set \
                AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
                .to_owned(),
            Cause::Expired(code) => format!(
                "the AWS credentials have expired ({code}): refresh them (`aws sso login`, or a \
                 new assume-role session) and run again"
            ),
            Cause::BadKey(code) => format!(
                "AWS refused the credentials ({code}): the access key ID is unknown or the secret \
                 does not match it; check AWS_PROFILE or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
            ),
            Cause::AccessDenied(message) => {
                let who = principal_in(message).unwrap_or("the credentials in use");
                let said = if message.is_empty() {
                    String::new()
                } else {
                    format!(" (AWS said: {})", one_line(message))
                };
                format!(
                    "access denied: {who} may not {action} on {resource}{said}; allow it in that \
                     principal's IAM policy and in the bucket policy (and kms:Decrypt on the \
                     trail's KMS key when the logs are SSE-KMS encrypted); \
                     `aws sts get-caller-identity` shows which principal runs"
                )
            }
            Cause::NoSuchBucket => format!(
                "no such bucket: {resource} does not exist; check the bucket name (and that the \
                 endpoint is the right one)"
            ),
            Cause::NotFound => format!("{resource} does not exist"),
            Cause::Unreachable(why) => format!(
                "cannot reach the AWS endpoint ({why}): check the network, any proxy \
                 (HTTPS_PROXY) and AWS_ENDPOINT_URL"
            ),
            Cause::TimedOut => "AWS did not answer in time: check the network, or try again \
                (AWS_MAX_ATTEMPTS raises the retries)"
                .to_owned(),
            Cause::Service(what) => format!("{action} on {resource} failed: {what}"),
            Cause::Other(what) => format!("{action} on {resource} failed: {what}"),
        }
    }
}

/// The principal S3 names in an AccessDenied message ("User: arn:... is not
/// authorized to perform: ..."), if it names one.
fn principal_in(message: &str) -> Option<&str> {
    let rest = message.split_once("User: ")?.1;
    let arn = rest.split_whitespace().next()?;
    arn.starts_with("arn:").then_some(arn)
}

/// Every message in the error's source chain, joined.
fn chain_text(err: &(dyn StdError + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

/// The last message of the source chain: for an I/O failure, the OS's words
/// (`Connection refused (os error 111)`, a DNS error).
fn innermost(err: &(dyn StdError + 'static)) -> Option<String> {
    let mut last = None;
    let mut source = err.source();
    while let Some(inner) = source {
        last = Some(inner.to_string());
        source = inner.source();
    }
    last.map(|l| one_line(&l))
}

/// Text on one line, bounded.
fn one_line(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    trailwatch_core::text::truncate_chars(flat.trim(), 300).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_principal_s3_names() {
        let message = "User: arn:aws:iam::111122223333:user/analyst is not authorized to perform: s3:ListBucket on resource: \"arn:aws:s3:::trail\" because no identity-based policy allows the s3:ListBucket action";
        assert_eq!(
            principal_in(message),
            Some("arn:aws:iam::111122223333:user/analyst")
        );
        assert_eq!(principal_in("Access Denied"), None);
        let sentence = Cause::AccessDenied(message.to_owned())
            .sentence("s3:ListBucket", "s3://trail/AWSLogs/");
        assert!(sentence.starts_with(
            "access denied: arn:aws:iam::111122223333:user/analyst may not s3:ListBucket on s3://trail/AWSLogs/"
        ));
    }
}
