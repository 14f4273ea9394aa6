//! The map step at organization scale, end to end on a real moto_server:
//! the fixture archive is uploaded under its CloudTrail keys, the Lambda's
//! handler (the library `bootstrap` serves) reads every object through an
//! S3 Batch Operations task with `TRAILWATCH_CHANGES_PREFIX` set, writing
//! one changes object per log file, and `trailwatch timeline --changes`
//! folds them. Its output must be byte for byte that of `timeline` reading
//! the same log files itself, from the same bucket (every format) and from
//! the fixture tree (the log file names aside); a retried task overwrites
//! its object; a corrupt object is reported by name while the rest fold.

use std::path::Path;
use std::process::{Command, Output};

use lambda_runtime::{Context, LambdaEvent};
use serde_json::{json, Value};
use trailwatch_lambda::{App, Settings};
use trailwatch_testkit::{batch_encode, fixture, upload_fixture_logs, workspace_root, MotoServer};

const TRAIL: &str = "trail-map";
const MAP: &str = "map-changes";
const PREFIX: &str = "org/changes/";

fn trailwatch(moto: &MotoServer, args: &[&str]) -> Output {
    moto.aws_env(&mut Command::new(env!("CARGO_BIN_EXE_trailwatch")))
        .args(args)
        .current_dir(workspace_root())
        .env_remove("COLUMNS")
        .output()
        .unwrap()
}

/// `timeline ARGS` whose run must read everything; its standard output.
fn timeline(moto: &MotoServer, args: &[&str]) -> String {
    let out = trailwatch(moto, &[&["timeline"], args].concat());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "timeline {args:?}: {stderr}");
    String::from_utf8(out.stdout).unwrap()
}

/// One S3 Batch Operations invocation (schema 2.0, the shipped event's
/// shape) with one task for `s3://TRAIL/key`; returns its one result.
async fn batch_task(app: &App, n: usize, key: &str) -> Value {
    let mut event: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("events/s3-batch-2.0.json")).unwrap(),
    )
    .unwrap();
    event["invocationId"] = json!(format!("map-invocation-{n}"));
    event["tasks"] = json!([{
        "taskId": format!("task-{n}"),
        "s3Key": batch_encode(key),
        "s3VersionId": null,
        "s3Bucket": TRAIL,
    }]);
    let response = trailwatch_lambda::handle(app, LambdaEvent::new(event, Context::default()))
        .await
        .unwrap_or_else(|e| panic!("{key}: {e}"));
    assert_eq!(response["results"].as_array().map(Vec::len), Some(1));
    response["results"][0].clone()
}

/// The keys under `prefix` in `bucket`.
async fn keys(s3: &aws_sdk_s3::Client, bucket: &str, prefix: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let mut pages = s3
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.unwrap();
        keys.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_owned)),
        );
    }
    keys
}

async fn get(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Vec<u8> {
    let object = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap();
    object.body.collect().await.unwrap().into_bytes().to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_objects_fold_into_the_windows_of_a_local_run() {
    let moto = MotoServer::start();
    let sdk = moto.sdk_config().await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    for bucket in [TRAIL, MAP] {
        s3.create_bucket().bucket(bucket).send().await.unwrap();
    }
    // The whole archive, digests and Insights files too, as an inventory
    // manifest of the trail bucket lists it.
    let archive = upload_fixture_logs(&s3, TRAIL, "").await;
    let topic = aws_sdk_sns::Client::new(&sdk)
        .create_topic()
        .name("map-alerts")
        .send()
        .await
        .unwrap()
        .topic_arn
        .unwrap();
    let prefix_uri = format!("s3://{MAP}/{PREFIX}");
    let vars = [
        ("SNS_TOPIC_ARN", topic.as_str()),
        ("TRAILWATCH_CONFIRM", "off"),
        ("TRAILWATCH_CHANGES_PREFIX", prefix_uri.as_str()),
    ];
    let settings = Settings::from_lookup(|name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    })
    .unwrap();
    let mut app = App::new(&sdk, settings).await.unwrap();
    app.set_metrics_sink(std::sync::Arc::new(|_: &str| {}));

    // The map: one task per object, as Batch Operations invokes.
    let mut scanned = 0;
    for (n, key) in archive.iter().enumerate() {
        let result = batch_task(&app, n, key).await;
        assert_eq!(result["resultCode"], "Succeeded", "{key}: {result}");
        scanned += usize::from(result["resultString"] == "scanned");
    }
    let objects = keys(&s3, MAP, PREFIX).await;
    assert_eq!(objects.len(), scanned, "{objects:?}");
    assert!(
        objects
            .iter()
            .all(|k| k.starts_with(&format!("{PREFIX}{TRAIL}/")) && k.ends_with(".jsonl")),
        "{objects:?}"
    );

    // The fold gives what reading the same log files gives, in every format.
    let changes = ["--changes", prefix_uri.as_str()];
    let trail_uri = format!("s3://{TRAIL}/");
    for format in ["jsonl", "json", "timesketch", "table"] {
        let folded = timeline(&moto, &[&changes[..], &["--format", format]].concat());
        let read = timeline(&moto, &[trail_uri.as_str(), "--format", format]);
        assert!(!folded.is_empty(), "{format}");
        assert_eq!(folded, read, "--format {format}");
    }
    // And what a local run over the fixture tree gives: only the log files'
    // names differ (s3://trail-map/<key> there, fixtures/logs/<key> here).
    let folded = timeline(&moto, &[&changes[..], &["--format", "jsonl"]].concat());
    let local = timeline(&moto, &["fixtures/logs", "--format", "jsonl"]);
    assert_eq!(folded.replace(&trail_uri, "fixtures/logs/"), local);
    assert!(folded.contains(&trail_uri), "{folded}");
    let table = timeline(&moto, &[&changes[..], &["--format", "table"]].concat());
    let local_table = timeline(&moto, &["fixtures/logs", "--format", "table"]);
    assert_eq!(
        table, local_table,
        "the table names log files relative to the archive"
    );

    // A local copy of the prefix folds the same.
    let copy = tempfile::tempdir().unwrap();
    for key in &objects {
        let path = copy.path().join(key);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, get(&s3, MAP, key).await).unwrap();
    }
    let copy_arg = copy.path().to_str().unwrap();
    assert_eq!(
        timeline(&moto, &["--changes", copy_arg, "--format", "jsonl"]),
        folded
    );

    // A retried task overwrites its object: same objects, same content.
    let retried = archive
        .iter()
        .position(|k| k.starts_with("audit logs+v2/"))
        .expect("the fixture trail with a prefix of its own");
    let object_key = format!("{PREFIX}{TRAIL}/{}.jsonl", archive[retried]);
    let before = get(&s3, MAP, &object_key).await;
    let result = batch_task(&app, archive.len(), &archive[retried]).await;
    assert_eq!(result["resultCode"], "Succeeded", "{result}");
    assert_eq!(keys(&s3, MAP, PREFIX).await, objects);
    assert_eq!(get(&s3, MAP, &object_key).await, before);

    // A corrupt object is named, with why; the others still fold.
    let corrupt = format!("{PREFIX}{TRAIL}/AWSLogs/corrupt.json.gz.jsonl");
    s3.put_object()
        .bucket(MAP)
        .key(&corrupt)
        .body(aws_sdk_s3::primitives::ByteStream::from_static(
            b"{\"log_file\": \"cut",
        ))
        .send()
        .await
        .unwrap();
    let out = trailwatch(
        &moto,
        &["timeline", "--changes", &prefix_uri, "--format", "jsonl"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "trailwatch: error: --changes: s3://{MAP}/{corrupt}: line 1: not a trailwatch changes line"
        )),
        "{stderr}"
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap(), folded);
    // The same from the local copy, named by its path.
    let local_corrupt = copy.path().join(&corrupt);
    std::fs::write(&local_corrupt, b"not json\n").unwrap();
    let out = trailwatch(
        &moto,
        &["timeline", "--changes", copy_arg, "--format", "jsonl"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("{}: line 1:", Path::new(&local_corrupt).display())),
        "{stderr}"
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap(), folded);
}
