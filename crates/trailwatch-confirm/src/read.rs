//! The reads: one client pair per account, every answer turned into a fact
//! (a missing configuration is a fact, not an error).

use std::future::Future;
use std::time::{Duration, SystemTime};

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3control::config::endpoint::{
    DefaultResolver, Endpoint, EndpointFuture, Params, ResolveEndpoint,
};
use aws_smithy_types::error::display::DisplayErrorContext;
use trailwatch_core::{evaluate_live_acl, evaluate_live_policy, Limits, LiveAclGrant, LivePolicy};

use crate::facts::{describe, BucketFacts, Fact, Neutralising};

/// The S3 and S3 Control clients of one account.
#[derive(Clone, Debug)]
pub(crate) struct Clients {
    s3: aws_sdk_s3::Client,
    s3control: aws_sdk_s3control::Client,
}

impl Clients {
    pub(crate) fn new(sdk: &aws_config::SdkConfig) -> Clients {
        Clients {
            s3: trailwatch_aws::s3_client(sdk),
            s3control: s3control_client(sdk),
        }
    }
}

/// The configuration with the check's retry policy: throttling and
/// transient errors retried with exponential backoff (the standard
/// strategy), each attempt bounded; the caller bounds the whole.
pub(crate) fn with_retries(sdk: &aws_config::SdkConfig) -> aws_config::SdkConfig {
    sdk.to_builder()
        .retry_config(
            aws_config::retry::RetryConfig::standard()
                .with_max_attempts(5)
                .with_initial_backoff(Duration::from_millis(200)),
        )
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .operation_attempt_timeout(Duration::from_secs(5))
                .build(),
        )
        .build()
}

/// An S3 Control client that, with an endpoint override, sends requests to
/// the override itself. The S3 Control endpoint rules put the account ID in
/// front of the host (`{AccountId}.s3-control...`), also in front of an
/// override (`111122223333.127.0.0.1`), which a VPC endpoint, a proxy or a
/// local endpoint does not answer to; the Rust SDK has no setting to turn
/// that off (the other SDKs' `disable_host_prefix_injection`).
pub fn s3control_client(sdk: &aws_config::SdkConfig) -> aws_sdk_s3control::Client {
    let config = aws_sdk_s3control::config::Builder::from(sdk)
        .endpoint_resolver(OverrideAsGiven::default())
        .build();
    aws_sdk_s3control::Client::from_conf(config)
}

/// The standard S3 Control resolver, minus the account prefix on an
/// overridden endpoint.
#[derive(Debug, Default)]
struct OverrideAsGiven(DefaultResolver);

impl ResolveEndpoint for OverrideAsGiven {
    fn resolve_endpoint<'a>(&'a self, params: &'a Params) -> EndpointFuture<'a> {
        let resolved = self.0.resolve_endpoint(params);
        EndpointFuture::new(async move {
            let endpoint = resolved.await?;
            Ok(match (params.endpoint(), params.account_id()) {
                (Some(_), Some(account)) => without_prefix(endpoint, account),
                _ => endpoint,
            })
        })
    }
}

fn without_prefix(endpoint: Endpoint, account: &str) -> Endpoint {
    let prefixed = format!("://{account}.");
    match endpoint.url().find(&prefixed) {
        Some(at) => {
            let url = format!(
                "{}://{}",
                &endpoint.url()[..at],
                &endpoint.url()[at + prefixed.len()..]
            );
            endpoint.into_builder().url(url).build()
        }
        None => endpoint,
    }
}

/// The function's own account (STS GetCallerIdentity).
pub(crate) async fn caller_account(sdk: &aws_config::SdkConfig) -> Result<String, String> {
    let identity = aws_sdk_sts::Client::new(sdk)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| format!("STS GetCallerIdentity: {}", short(&e)))?;
    identity
        .account()
        .map(str::to_owned)
        .ok_or_else(|| "STS GetCallerIdentity returned no account".into())
}

/// Assumes `role` (with the external ID) and builds that account's clients;
/// also says when the credentials expire.
pub(crate) async fn assume(
    sdk: &aws_config::SdkConfig,
    role: &str,
    external_id: Option<&str>,
) -> Result<(Clients, SystemTime), String> {
    let answer = aws_sdk_sts::Client::new(sdk)
        .assume_role()
        .role_arn(role)
        .role_session_name("trailwatch-confirm")
        .set_external_id(external_id.map(str::to_owned))
        .duration_seconds(3600)
        .send()
        .await
        .map_err(|e| format!("STS AssumeRole {role}: {}", short(&e)))?;
    let creds = answer
        .credentials()
        .ok_or_else(|| format!("STS AssumeRole {role} returned no credentials"))?;
    let expires = SystemTime::try_from(*creds.expiration())
        .unwrap_or_else(|_| SystemTime::now() + Duration::from_secs(900));
    let provider = aws_sdk_s3::config::Credentials::new(
        creds.access_key_id(),
        creds.secret_access_key(),
        Some(creds.session_token().to_owned()),
        Some(expires),
        "trailwatch-confirm",
    );
    let config = sdk
        .to_builder()
        .credentials_provider(aws_sdk_s3::config::SharedCredentialsProvider::new(provider))
        .build();
    Ok((Clients::new(&config), expires))
}

/// The account's buckets (name, region), at most `max`, and how many
/// there are in all that were listed.
pub(crate) async fn list_buckets(
    clients: &Clients,
    max: usize,
) -> Result<(Vec<(String, String)>, usize), String> {
    let mut buckets = Vec::new();
    let mut total = 0usize;
    let mut token = None;
    loop {
        let page = clients
            .s3
            .list_buckets()
            .set_continuation_token(token)
            .send()
            .await
            .map_err(|e| short(&e))?;
        for b in page.buckets() {
            total += 1;
            if buckets.len() < max {
                if let Some(name) = b.name() {
                    buckets.push((
                        name.to_owned(),
                        b.bucket_region().unwrap_or_default().to_owned(),
                    ));
                }
            }
        }
        token = page.continuation_token().map(str::to_owned);
        if token.is_none() || total >= max.saturating_mul(10) {
            break;
        }
    }
    Ok((buckets, total))
}

/// What one call answered.
enum Answer<T> {
    Got(T),
    /// The configuration does not exist (a fact).
    Missing,
    /// NoSuchBucket.
    NoBucket,
    Failed(String),
}

async fn ask<T, E, R>(
    missing: &[&str],
    call: impl Future<Output = Result<T, aws_sdk_s3::error::SdkError<E, R>>>,
) -> Answer<T>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    match call.await {
        Ok(v) => Answer::Got(v),
        Err(e) => match e.code() {
            Some("NoSuchBucket") => Answer::NoBucket,
            Some(code) if missing.contains(&code) => Answer::Missing,
            _ => Answer::Failed(short(&e)),
        },
    }
}

/// An error in one line: the service's code and message, else the SDK's
/// description.
fn short<E, R>(e: &aws_sdk_s3::error::SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match (e.code(), e.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_owned(),
        _ => DisplayErrorContext(e).to_string(),
    }
}

/// Turns an answer into a fact, noting a missing bucket.
fn fact<T, U>(
    answer: Answer<T>,
    exists: &mut bool,
    got: impl FnOnce(T) -> U,
    missing: U,
) -> Fact<U> {
    match answer {
        Answer::Got(v) => Fact::Known(got(v)),
        Answer::Missing => Fact::Known(missing),
        Answer::NoBucket => {
            *exists = false;
            Fact::Unknown("NoSuchBucket".into())
        }
        Answer::Failed(why) => Fact::Unknown(why),
    }
}

/// The neutralising flags of a Block Public Access configuration (S3's or
/// S3 Control's); a flag left out is off.
fn neutralising(
    ignore_public_acls: Option<bool>,
    restrict_public_buckets: Option<bool>,
) -> Neutralising {
    Neutralising {
        ignore_public_acls: ignore_public_acls.unwrap_or(false),
        restrict_public_buckets: restrict_public_buckets.unwrap_or(false),
    }
}

/// Reads everything about one bucket (the six calls at once) and what was read.
pub(crate) async fn read_bucket(
    clients: &Clients,
    account: &str,
    bucket: &str,
    region: &str,
) -> (BucketFacts, Vec<String>) {
    let s3 = &clients.s3;
    let here = || {
        let mut c = aws_sdk_s3::config::Builder::default();
        if !region.is_empty() {
            c = c.region(aws_sdk_s3::config::Region::new(region.to_owned()));
        }
        c
    };
    let (policy, status, acl, bpa, ownership, account_bpa) = tokio::join!(
        ask(
            &["NoSuchBucketPolicy"],
            s3.get_bucket_policy()
                .bucket(bucket)
                .customize()
                .config_override(here())
                .send()
        ),
        ask(
            &["NoSuchBucketPolicy"],
            s3.get_bucket_policy_status()
                .bucket(bucket)
                .customize()
                .config_override(here())
                .send()
        ),
        ask(
            &[],
            s3.get_bucket_acl()
                .bucket(bucket)
                .customize()
                .config_override(here())
                .send()
        ),
        ask(
            &["NoSuchPublicAccessBlockConfiguration"],
            s3.get_public_access_block()
                .bucket(bucket)
                .customize()
                .config_override(here())
                .send()
        ),
        ask(
            &["OwnershipControlsNotFoundError"],
            s3.get_bucket_ownership_controls()
                .bucket(bucket)
                .customize()
                .config_override(here())
                .send()
        ),
        ask(
            &["NoSuchPublicAccessBlockConfiguration"],
            clients
                .s3control
                .get_public_access_block()
                .account_id(account)
                .send()
        ),
    );
    let mut exists = true;
    let limits = Limits::default();
    let policy = fact(
        policy,
        &mut exists,
        |p| {
            Some(evaluate_live_policy(
                bucket,
                p.policy().unwrap_or_default(),
                &limits,
            ))
        },
        None,
    );
    let policy_status = fact(
        status,
        &mut exists,
        |s| s.policy_status().and_then(|p| p.is_public()),
        None,
    );
    let acl = fact(
        acl,
        &mut exists,
        |a| {
            let grants: Vec<LiveAclGrant> = a
                .grants()
                .iter()
                .map(|g| LiveAclGrant {
                    grantee_uri: g.grantee().and_then(|g| g.uri()).map(str::to_owned),
                    permission: g
                        .permission()
                        .map(|p| p.as_str().to_owned())
                        .unwrap_or_default(),
                })
                .collect();
            evaluate_live_acl(bucket, &grants)
        },
        None,
    );
    let bucket_bpa = fact(
        bpa,
        &mut exists,
        |b| {
            let c = b.public_access_block_configuration();
            neutralising(
                c.and_then(|c| c.ignore_public_acls()),
                c.and_then(|c| c.restrict_public_buckets()),
            )
        },
        Neutralising::default(),
    );
    let acls_disabled = fact(
        ownership,
        &mut exists,
        |o| {
            o.ownership_controls().is_some_and(|c| {
                c.rules().iter().any(|r| {
                    r.object_ownership() == &aws_sdk_s3::types::ObjectOwnership::BucketOwnerEnforced
                })
            })
        },
        false,
    );
    let account_bpa = fact(
        account_bpa,
        &mut exists,
        |b| {
            let c = b.public_access_block_configuration();
            neutralising(
                c.and_then(|c| c.ignore_public_acls()),
                c.and_then(|c| c.restrict_public_buckets()),
            )
        },
        Neutralising::default(),
    );
    let flags = |n: &Neutralising| {
        format!(
            "IgnorePublicAcls={} RestrictPublicBuckets={}",
            n.ignore_public_acls, n.restrict_public_buckets
        )
    };
    let checked = if exists {
        vec![
            describe("GetBucketPolicy", &policy, |p| match p {
                None => "no policy".into(),
                Some(LivePolicy::Public(_)) => "public".into(),
                Some(LivePolicy::NotPublic) => "not public".into(),
                Some(LivePolicy::Unevaluable(_)) => "not evaluable".into(),
            }),
            describe("GetBucketPolicyStatus", &policy_status, |s| match s {
                None => "no policy".into(),
                Some(true) => "IsPublic=true".into(),
                Some(false) => "IsPublic=false".into(),
            }),
            describe("GetBucketAcl", &acl, |a| {
                if a.is_some() {
                    "public".into()
                } else {
                    "not public".into()
                }
            }),
            describe("GetBucketPublicAccessBlock", &bucket_bpa, flags),
            describe("GetBucketOwnershipControls", &acls_disabled, |d| {
                if *d {
                    "BucketOwnerEnforced (ACLs disabled)".into()
                } else {
                    "ACLs enabled".into()
                }
            }),
            describe("S3 Control GetPublicAccessBlock", &account_bpa, flags),
        ]
    } else {
        vec!["NoSuchBucket".to_owned()]
    };
    (
        BucketFacts {
            exists,
            policy,
            policy_status,
            acl,
            bucket_bpa,
            account_bpa,
            acls_disabled,
            object_acl: false,
        },
        checked,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_account_prefix_goes_only_on_an_override() {
        let e = |url: &str| {
            Endpoint::builder()
                .url(url.to_owned())
                .property("x", "y".to_owned())
                .build()
        };
        let out = without_prefix(e("http://111122223333.127.0.0.1:5000"), "111122223333");
        assert_eq!(out.url(), "http://127.0.0.1:5000");
        assert!(out.properties().contains_key("x"));
        let other = without_prefix(e("http://127.0.0.1:5000"), "111122223333");
        assert_eq!(other.url(), "http://127.0.0.1:5000");
    }
}
