//! `trailwatch replay s3://...` against a real moto_server: the archive is
//! uploaded with its CloudTrail keys, the binary lists and reads it through
//! aws-sdk-s3 with an endpoint override, and `--alert-sns` publishes to a
//! moto topic whose SQS subscriber receives the alerts.

use std::collections::BTreeSet;

use std::process::{Command, Output};

use trailwatch_testkit::{upload_fixture_logs, workspace_root, MotoServer};

const BUCKET: &str = "trail-archive";

/// Uploads fixtures/logs under `prefix` in the bucket; returns how many objects.
async fn upload_archive(s3: &aws_sdk_s3::Client, prefix: &str) -> usize {
    s3.create_bucket().bucket(BUCKET).send().await.unwrap();
    upload_fixture_logs(s3, BUCKET, prefix).await.len()
}

fn trailwatch(moto: &MotoServer, args: &[&str]) -> Output {
    moto.aws_env(&mut Command::new(env!("CARGO_BIN_EXE_trailwatch")))
        .args(args)
        .current_dir(workspace_root())
        .output()
        .unwrap()
}

/// (log file key, event id, kind) of each expected finding, filtered.
fn expected(prefix: &str, keep: impl Fn(&str) -> bool) -> BTreeSet<(String, String, String)> {
    let oracle =
        std::fs::read_to_string(workspace_root().join("fixtures/logs-expected.jsonl")).unwrap();
    oracle
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|f| keep(f["log_file"].as_str().unwrap()))
        .map(|f| {
            let relative = f["log_file"]
                .as_str()
                .unwrap()
                .strip_prefix("fixtures/logs/")
                .unwrap()
                .to_owned();
            (
                format!("s3://{BUCKET}/{prefix}{relative}"),
                f["event_id"].as_str().unwrap().to_owned(),
                f["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn found(stdout: &[u8]) -> BTreeSet<(String, String, String)> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .map(|f| {
            (
                f["log_file"].as_str().unwrap().to_owned(),
                f["event_id"].as_str().unwrap().to_owned(),
                f["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replays_an_s3_archive_with_pruning_and_alerts() {
    let moto = MotoServer::start();
    let config = moto.sdk_config().await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    upload_archive(&s3, "org/").await;

    // The whole archive: every expected finding, digest prefixes skipped.
    let out = trailwatch(
        &moto,
        &[
            "replay",
            &format!("s3://{BUCKET}/org/"),
            "--format",
            "jsonl",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(found(&out.stdout), expected("org/", |_| true), "{stderr}");
    assert!(stderr.contains("digest/insight prefixes in S3"), "{stderr}");

    // A date range and a region: only that part of the archive is listed and read.
    let out = trailwatch(
        &moto,
        &[
            "replay",
            &format!("s3://{BUCKET}/org/"),
            "--since",
            "2024-01-01",
            "--until",
            "2024-12-31",
            "--region",
            "us-east-1",
        ],
    );
    let in_range = |path: &str| path.contains("/CloudTrail/us-east-1/2024/");
    let want = expected("org/", in_range);
    assert!(
        !want.is_empty(),
        "the fixtures have 2024 us-east-1 findings"
    );
    assert_eq!(
        found(&out.stdout),
        want,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // --alert-sns: every finding becomes one SNS message on the subscriber queue.
    let sns = aws_sdk_sns::Client::new(&config);
    let sqs = aws_sdk_sqs::Client::new(&config);
    let topic = sns
        .create_topic()
        .name("replay-alerts")
        .send()
        .await
        .unwrap()
        .topic_arn
        .unwrap();
    let queue = sqs
        .create_queue()
        .queue_name("replay-alerts")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let queue_arn = sqs
        .get_queue_attributes()
        .queue_url(&queue)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
        .clone();
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint(&queue_arn)
        .send()
        .await
        .unwrap();
    let out = trailwatch(
        &moto,
        &[
            "replay",
            &format!("s3://{BUCKET}/org/"),
            "--alert-sns",
            &topic,
            "--since",
            "2024-01-01",
            "--until",
            "2024-12-31",
            "--region",
            "us-east-1",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut alerted = BTreeSet::new();
    loop {
        let received = sqs
            .receive_message()
            .queue_url(&queue)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        let messages = received.messages.unwrap_or_default();
        if messages.is_empty() {
            break;
        }
        for message in messages {
            let envelope: serde_json::Value =
                serde_json::from_str(message.body().unwrap()).unwrap();
            let finding: serde_json::Value =
                serde_json::from_str(envelope["Message"].as_str().unwrap()).unwrap();
            assert!(alerted.insert((
                finding["log_file"].as_str().unwrap().to_owned(),
                finding["event_id"].as_str().unwrap().to_owned(),
                finding["kind"].as_str().unwrap().to_owned(),
            )));
            sqs.delete_message()
                .queue_url(&queue)
                .receipt_handle(message.receipt_handle().unwrap())
                .send()
                .await
                .unwrap();
        }
    }
    assert_eq!(alerted, want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_bucket_is_an_error_not_an_empty_archive() {
    let moto = MotoServer::start();
    let out = trailwatch(&moto, &["replay", "s3://no-such-bucket/AWSLogs/"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("s3://no-such-bucket/AWSLogs/"), "{stderr}");
    assert!(out.stdout.is_empty());
}
