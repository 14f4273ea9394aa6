//! `replay s3://...` when S3 misbehaves, against a real moto_server behind a
//! fault-injecting proxy: throttling answers are retried; an endpoint that
//! goes away fails each object it could not read with a clear error (and a
//! `--resume` run after it comes back reads the rest); an object deleted
//! between the listing and the read is reported, not skipped.

use std::collections::BTreeSet;
use std::process::{Command, Output};

use trailwatch_testkit::s3proxy::S3FaultProxy;
use trailwatch_testkit::{
    finding_keys, oracle, upload_fixture_logs, workspace_root, FindingKey, MotoServer,
};

const BUCKET: &str = "faulty-trail";

/// Uploads the fixture archive; returns the keys of the log files.
async fn upload(moto: &MotoServer) -> Vec<String> {
    let config = moto.sdk_config().await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    s3.create_bucket().bucket(BUCKET).send().await.unwrap();
    upload_fixture_logs(&s3, BUCKET, "")
        .await
        .into_iter()
        .filter(|key| key.contains("/CloudTrail/") && !key.contains(' '))
        .collect()
}

fn trailwatch(endpoint: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trailwatch"))
        .args(args)
        .current_dir(workspace_root())
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_MAX_ATTEMPTS")
        .output()
        .unwrap()
}

type Key = FindingKey;

fn findings(out: &Output) -> BTreeSet<Key> {
    finding_keys(&String::from_utf8_lossy(&out.stdout)).collect()
}

fn expected() -> BTreeSet<Key> {
    oracle("logs-expected.jsonl")
        .into_iter()
        .map(|f| {
            let file = f["log_file"]
                .as_str()
                .unwrap()
                .strip_prefix("fixtures/logs/")
                .unwrap();
            let s = |k: &str| f[k].as_str().unwrap().to_owned();
            (format!("s3://{BUCKET}/{file}"), s("event_id"), s("kind"))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttled_reads_are_retried() {
    let moto = MotoServer::start();
    let logs = upload(&moto).await;
    let proxy = S3FaultProxy::start(&moto.endpoint());
    proxy.throttle_reads(2);
    let out = trailwatch(
        &proxy.endpoint(),
        &["replay", &format!("s3://{BUCKET}/"), "--format", "jsonl"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(findings(&out), expected());
    assert!(
        proxy.reads_seen() >= logs.len() + 2,
        "the throttled reads were retried"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_fails_objects_clearly_and_resume_finishes_the_job() {
    let moto = MotoServer::start();
    upload(&moto).await;
    let proxy = S3FaultProxy::start(&moto.endpoint());
    proxy.outage_after_reads(6);
    let state = tempfile::NamedTempFile::new().unwrap();
    let state_path = state.path().to_str().unwrap();
    let uri = format!("s3://{BUCKET}/");
    let args = [
        "replay",
        uri.as_str(),
        "--format",
        "jsonl",
        "--resume",
        state_path,
    ];
    let first = trailwatch(&proxy.endpoint(), &args);
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert_eq!(first.status.code(), Some(2), "{stderr}");
    assert!(proxy.refused() > 0, "the endpoint was down for a while");
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("trailwatch: error: s3://"))
        .collect();
    assert!(!errors.is_empty(), "{stderr}");
    for line in &errors {
        // Each failure names the object (or prefix) and says what went wrong.
        assert!(line.contains(&format!("s3://{BUCKET}/")), "{line}");
    }
    let recorded = std::fs::read_to_string(state.path()).unwrap();
    for line in &errors {
        let name = line
            .trim_start_matches("trailwatch: error: ")
            .split(": ")
            .next()
            .unwrap();
        assert!(
            !recorded.lines().any(|l| l == name),
            "a failed object was recorded as done: {name}"
        );
    }

    proxy.restore();
    let second = trailwatch(&proxy.endpoint(), &args);
    assert_eq!(
        second.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    let union: BTreeSet<Key> = findings(&first)
        .union(&findings(&second))
        .cloned()
        .collect();
    assert_eq!(union, expected());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_object_deleted_after_listing_is_reported() {
    let moto = MotoServer::start();
    let logs = upload(&moto).await;
    let expected = expected();
    let victim = logs
        .iter()
        .find(|k| {
            expected
                .iter()
                .any(|(f, _, _)| f == &format!("s3://{BUCKET}/{k}"))
        })
        .unwrap()
        .clone();
    let proxy = S3FaultProxy::start(&moto.endpoint());
    proxy.delete_before_read(&format!("{BUCKET}/{victim}"));
    let out = trailwatch(
        &proxy.endpoint(),
        &["replay", &format!("s3://{BUCKET}/"), "--format", "jsonl"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "s3://{BUCKET}/{victim}: cannot read: no such object"
        )),
        "{stderr}"
    );
    let victim_uri = format!("s3://{BUCKET}/{victim}");
    let others: BTreeSet<Key> = expected
        .into_iter()
        .filter(|(f, _, _)| *f != victim_uri)
        .collect();
    assert_eq!(findings(&out), others);
}
