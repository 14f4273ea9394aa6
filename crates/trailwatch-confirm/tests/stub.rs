//! The live check where moto cannot answer as S3 does, against a loopback
//! stub that speaks S3's and S3 Control's XML (STS stays on moto_server):
//! - `GetBucketPolicyStatus` saying public where the rules say not (a
//!   condition S3 does not count as restricting; moto calls any condition
//!   not public, so it never says this);
//! - access denied on every read (a role without the permissions);
//! - throttling (`503 SlowDown`) that the retries outlast;
//! - an S3 that does not answer within the time budget.

use std::io::BufReader;
use std::net::{Ipv4Addr, TcpListener};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use trailwatch_confirm::{ConfirmSettings, Confirmer};
use trailwatch_core::{Exposure, Finding, Limits, LiveStatus};
use trailwatch_testkit::http::{read_message, respond};
use trailwatch_testkit::MotoServer;

const S3_NS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// A policy the rules call restricted, that AWS calls public.
    AwsSaysPublic,
    Denied,
    /// Answers as AwsSaysPublic after this many SlowDowns in all.
    Throttled(usize),
    Silent,
}

/// Starts the stub; returns its endpoint and how many requests it saw.
fn stub(mode: Mode) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("a loopback port");
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let counter = counter.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let Ok(Some(request)) = read_message(&mut reader, false) else {
                    return;
                };
                let n = counter.fetch_add(1, Ordering::SeqCst);
                let (status, body) = answer(mode, n, request.path());
                if mode == Mode::Silent {
                    std::thread::sleep(Duration::from_secs(30));
                }
                let _ = respond(&mut stream, status, "application/xml", body.as_bytes());
            });
        }
    });
    (format!("http://127.0.0.1:{port}"), seen)
}

fn s3_error(code: &str) -> String {
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{code}</Message><RequestId>R</RequestId></Error>")
}

fn answer(mode: Mode, n: usize, path: &str) -> (&'static str, String) {
    let control = path.starts_with("/v20180820/");
    match mode {
        Mode::Denied if control => (
            "403 Forbidden",
            "<ErrorResponse><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error><RequestId>R</RequestId></ErrorResponse>".into(),
        ),
        Mode::Denied => ("403 Forbidden", s3_error("AccessDenied")),
        Mode::Throttled(k) if n < k => ("503 Slow Down", s3_error("SlowDown")),
        _ if control => (
            "404 Not Found",
            "<ErrorResponse><Error><Code>NoSuchPublicAccessBlockConfiguration</Code><Message>none</Message></Error><RequestId>R</RequestId></ErrorResponse>".into(),
        ),
        _ if path.contains("policyStatus") => (
            "200 OK",
            format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><PolicyStatus xmlns=\"{S3_NS}\"><IsPublic>true</IsPublic></PolicyStatus>"),
        ),
        _ if path.contains("policy") => (
            "200 OK",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::stub-bucket/*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}}]}"#.into(),
        ),
        _ if path.contains("acl") => (
            "200 OK",
            format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><AccessControlPolicy xmlns=\"{S3_NS}\"><Owner><ID>owner</ID></Owner><AccessControlList><Grant><Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"CanonicalUser\"><ID>owner</ID></Grantee><Permission>FULL_CONTROL</Permission></Grant></AccessControlList></AccessControlPolicy>"),
        ),
        _ if path.contains("publicAccessBlock") => {
            ("404 Not Found", s3_error("NoSuchPublicAccessBlockConfiguration"))
        }
        _ if path.contains("ownershipControls") => {
            ("404 Not Found", s3_error("OwnershipControlsNotFoundError"))
        }
        _ => ("400 Bad Request", s3_error("InvalidRequest")),
    }
}

/// A public-policy finding on `stub-bucket` in moto's (the caller's) account.
fn finding() -> Finding {
    let record = serde_json::json!({
        "eventVersion": "1.09", "eventTime": "2026-01-01T00:00:00Z",
        "eventSource": "s3.amazonaws.com", "eventName": "PutBucketPolicy",
        "awsRegion": "us-east-1", "sourceIPAddress": "198.51.100.7",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/a", "accountId": "123456789012"},
        "requestParameters": {"bucketName": "stub-bucket", "bucketPolicy": {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::stub-bucket/*"}]}},
        "eventID": "e-stub", "recipientAccountId": "123456789012"
    });
    let mut found =
        trailwatch_core::detect_record(record.to_string().as_bytes(), "log", &Limits::default())
            .expect("a record");
    assert_eq!(found.len(), 1);
    found.remove(0)
}

async fn check(mode: Mode, budget: Duration) -> (Finding, usize, Duration) {
    let moto = MotoServer::start();
    let (endpoint, seen) = stub(mode);
    let sdk = trailwatch_testkit::sdk_config_routed(
        &moto.endpoint(),
        &[("S3", &endpoint), ("S3 Control", &endpoint)],
        "testing",
        "testing",
    )
    .await;
    let confirmer = Confirmer::new(
        &sdk,
        ConfirmSettings {
            budget,
            ..ConfirmSettings::default()
        },
    );
    let mut findings = [finding()];
    let started = Instant::now();
    confirmer.confirm_all(&mut findings).await;
    let [f] = findings;
    (f, seen.load(Ordering::SeqCst), started.elapsed())
}

#[tokio::test]
async fn aws_saying_public_where_the_rules_say_not_is_public() {
    let (f, seen, _) = check(Mode::AwsSaysPublic, Duration::from_secs(20)).await;
    let live = f.live_check.expect("a live check");
    assert_eq!(live.status, LiveStatus::Effective, "{live:?}");
    assert_eq!(f.exposure, Exposure::Effective);
    assert!(
        live.detail
            .contains("GetBucketPolicyStatus says public where trailwatch's rules say not public"),
        "{}",
        live.detail
    );
    assert!(
        live.checked
            .contains(&"GetBucketPolicy: not public".to_owned()),
        "{:?}",
        live.checked
    );
    assert!(live
        .checked
        .contains(&"GetBucketPolicyStatus: IsPublic=true".to_owned()));
    assert_eq!(seen, 6, "one request per read");
}

#[tokio::test]
async fn access_denied_keeps_the_records_verdict() {
    let (f, _, _) = check(Mode::Denied, Duration::from_secs(20)).await;
    let live = f.live_check.expect("a live check");
    assert_eq!(live.status, LiveStatus::Unverifiable);
    assert_eq!(
        f.exposure,
        Exposure::Possible,
        "the record's verdict stands"
    );
    assert!(live.detail.contains("AccessDenied"), "{}", live.detail);
    assert!(
        live.checked
            .iter()
            .all(|c| c.contains("not read (AccessDenied")),
        "{:?}",
        live.checked
    );
}

#[tokio::test]
async fn throttling_is_retried_with_backoff() {
    let (f, seen, _) = check(Mode::Throttled(4), Duration::from_secs(20)).await;
    let live = f.live_check.expect("a live check");
    assert_eq!(live.status, LiveStatus::Effective, "{live:?}");
    assert_eq!(seen, 6 + 4, "each SlowDown was retried");
}

#[tokio::test]
async fn a_silent_s3_is_cut_at_the_budget() {
    let (f, _, took) = check(Mode::Silent, Duration::from_secs(2)).await;
    let live = f.live_check.expect("a live check");
    assert_eq!(live.status, LiveStatus::Unverifiable);
    assert_eq!(f.exposure, Exposure::Possible);
    assert!(
        live.detail.contains("did not finish within 2s"),
        "{}",
        live.detail
    );
    assert!(took < Duration::from_secs(4), "the alert waited {took:?}");
}
