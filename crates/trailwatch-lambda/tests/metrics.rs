//! The function's CloudWatch Embedded Metric Format lines (issue 16: the
//! alarms on LogFilesFailed and on LogFilesScanned silence read them): one
//! line per invocation, from the real handler, against moto_server, with
//! real S3 notifications and fixture log files.

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use common::*;
use serde_json::{json, Value};
use trailwatch_lambda::App;

const NAMESPACE: &str = "trailwatch-test/metrics";
const FUNCTION: &str = "trailwatch-metrics";

/// The EMF lines an app wrote, parsed.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<String>>>);

impl Lines {
    fn capture(&self, app: &mut App) {
        let lines = self.0.clone();
        app.set_metrics_sink(Arc::new(move |line: &str| {
            lines.lock().unwrap().push(line.to_owned())
        }));
    }

    fn take(&self) -> Vec<Value> {
        std::mem::take(&mut *self.0.lock().unwrap())
            .iter()
            .map(|l| {
                assert!(!l.contains('\n'), "an EMF document is one log line: {l}");
                serde_json::from_str(l).expect("an EMF line is one JSON object")
            })
            .collect()
    }
}

async fn app(stack: &Stack, extra: &[(&str, &str)]) -> (App, Lines) {
    let mut vars = vec![
        ("TRAILWATCH_METRICS_NAMESPACE", NAMESPACE),
        ("AWS_LAMBDA_FUNCTION_NAME", FUNCTION),
    ];
    vars.extend_from_slice(extra);
    let mut app = stack.app(&vars).await;
    let lines = Lines::default();
    lines.capture(&mut app);
    (app, lines)
}

/// Checks the document against the EMF specification (one metric directive,
/// every defined metric present as a number at the root, every dimension a
/// string at the root) and returns its metric values by name.
fn metric_values(doc: &Value) -> BTreeMap<String, u64> {
    let aws = &doc["_aws"];
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let timestamp = aws["Timestamp"]
        .as_u64()
        .expect("Timestamp in milliseconds");
    assert!(
        timestamp <= now && now - timestamp < 120_000,
        "Timestamp {timestamp} is not the invocation's time ({now})"
    );
    let directives = aws["CloudWatchMetrics"]
        .as_array()
        .expect("CloudWatchMetrics");
    assert_eq!(directives.len(), 1, "{doc}");
    let directive = &directives[0];
    assert_eq!(directive["Namespace"], NAMESPACE);
    assert_eq!(directive["Dimensions"], json!([["FunctionName"]]));
    assert_eq!(doc["FunctionName"], FUNCTION);
    let definitions = directive["Metrics"].as_array().expect("Metrics");
    assert!(
        definitions.len() <= 100,
        "EMF allows 100 metrics per directive"
    );
    let mut values = BTreeMap::new();
    for definition in definitions {
        assert_eq!(definition["Unit"], "Count", "{definition}");
        let name = definition["Name"].as_str().expect("a metric name");
        let value = doc[name]
            .as_u64()
            .unwrap_or_else(|| panic!("metric {name} has no numeric value at the root: {doc}"));
        assert!(
            values.insert(name.to_owned(), value).is_none(),
            "{name} defined twice"
        );
    }
    // Nothing at the root looks like a metric without being defined as one.
    let root = doc.as_object().expect("an object");
    for key in root.keys() {
        assert!(
            key == "_aws" || key == "FunctionName" || values.contains_key(key),
            "root member {key} is neither metadata, dimension nor metric"
        );
    }
    values
}

fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

#[tokio::test]
async fn an_sqs_batch_writes_one_line_with_files_scanned_failed_and_findings_by_kind() {
    let moto = MotoServer::start();
    let stack = Stack::new(&moto, "emf").await;
    let scanned = [PROD_2024, DEV_CONDITIONS, CLEAN_DECOYS];
    for key in scanned.iter().chain(&[DIGEST, PROD_HEADERS]) {
        stack.upload_log(key).await;
    }
    // A notification for a log file deleted since: unreadable, alerted, and
    // counted as failed.
    stack
        .s3
        .delete_object()
        .bucket(&stack.bucket)
        .key(PROD_HEADERS)
        .send()
        .await
        .expect("DeleteObject");
    let (test_events, notifications) = stack.s3_notifications().await;
    assert_eq!(notifications.len(), 5);
    let (app, lines) = app(&stack, &[]).await;

    let batch: Vec<_> = test_events.iter().chain(&notifications).collect();
    let response = invoke(&app, sqs_event(&stack.notifications, &batch))
        .await
        .expect("the invocation succeeds");
    assert_eq!(batch_item_failures(&response), Vec::<String>::new());

    let docs = lines.take();
    assert_eq!(docs.len(), 1, "one line per invocation: {docs:?}");
    let values = metric_values(&docs[0]);

    // The oracle's findings, by kind, for the files that were scanned.
    let mut by_kind: BTreeMap<String, u64> = BTreeMap::new();
    for key in &scanned {
        for e in expected(key) {
            *by_kind.entry(format!("Findings.{}", e.kind)).or_default() += 1;
        }
    }
    let total: u64 = by_kind.values().sum();
    assert!(
        by_kind.len() >= 2,
        "the fixtures hold several kinds: {by_kind:?}"
    );
    let mut want = counts(&[
        ("LogFilesScanned", 3),
        ("LogFilesFailed", 1),
        ("DecompressedCapHits", 0),
        ("Findings", total),
    ]);
    want.extend(by_kind);
    assert_eq!(values, want);

    // Findings counts what subscribers received (plus the unreadable alert,
    // which is a failure, not a finding).
    let alerts = stack.alerts().await;
    let unreadable = alerts
        .iter()
        .filter(|a| a.finding.kind.as_str() == "unreadable-log-file")
        .count();
    assert_eq!(unreadable, 1);
    assert_eq!(alerts.len() as u64, total + 1);
}

#[tokio::test]
async fn every_invocation_writes_its_own_line_from_zero() {
    let moto = MotoServer::start();
    let stack = Stack::new(&moto, "emf-zero").await;
    stack.upload_log(PROD_WEST_2025).await;
    let (test_events, notifications) = stack.s3_notifications().await;
    let (app, lines) = app(&stack, &[]).await;

    // Direct S3 invocation: the log file.
    invoke(&app, body_json(&notifications[0]))
        .await
        .expect("the invocation succeeds");
    // The s3:TestEvent alone: nothing scanned.
    invoke(&app, body_json(&test_events[0]))
        .await
        .expect("the test event is acknowledged");
    // An event the function does not understand fails, and still writes its
    // line, so that a silence alarm sees the function is running.
    invoke(&app, json!({ "unexpected": true }))
        .await
        .expect_err("an unknown event is an error");
    // A digest file only: skipped, so not a scanned log file (the silence
    // alarm must not be fooled by digests that keep arriving).
    stack.upload_log(DIGEST).await;
    let (_, digest) = stack.s3_notifications().await;
    invoke(&app, body_json(&digest[0]))
        .await
        .expect("a digest file is skipped");

    let docs = lines.take();
    assert_eq!(docs.len(), 4, "one line per invocation: {docs:?}");
    let findings = expected(PROD_WEST_2025).len() as u64;
    assert!(findings > 0);
    let first = metric_values(&docs[0]);
    assert_eq!(first["LogFilesScanned"], 1);
    assert_eq!(first["LogFilesFailed"], 0);
    assert_eq!(first["Findings"], findings);
    let zeros = counts(&[
        ("LogFilesScanned", 0),
        ("LogFilesFailed", 0),
        ("DecompressedCapHits", 0),
        ("Findings", 0),
    ]);
    for doc in &docs[1..] {
        assert_eq!(metric_values(doc), zeros, "counters carried over: {doc}");
    }
}

#[tokio::test]
async fn a_file_over_the_decompressed_cap_is_a_cap_hit_and_a_failed_file() {
    let moto = MotoServer::start();
    let stack = Stack::new(&moto, "emf-cap").await;
    let dir = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/01/";
    stack
        .upload_to(
            &stack.bucket,
            &format!(
                "{dir}111122223333_CloudTrail_us-east-1_20240301T0010Z_BombBombBombBomb.json.gz"
            ),
            "bad/bomb.json.gz",
        )
        .await;
    stack
        .upload_to(
            &stack.bucket,
            &format!(
                "{dir}111122223333_CloudTrail_us-east-1_20240301T0000Z_TruncatedTrunca.json.gz"
            ),
            "bad/truncated.json.gz",
        )
        .await;
    stack.upload_log(PROD_2024).await;
    let (_, notifications) = stack.s3_notifications().await;
    let batch: Vec<_> = notifications.iter().collect();
    let (app, lines) = app(&stack, &[("TRAILWATCH_MAX_DECOMPRESSED_BYTES", "8388608")]).await;

    let response = invoke(&app, sqs_event(&stack.notifications, &batch))
        .await
        .expect("an SQS batch response");
    assert_eq!(batch_item_failures(&response), Vec::<String>::new());

    let docs = lines.take();
    assert_eq!(docs.len(), 1);
    let values = metric_values(&docs[0]);
    // The bomb is over the cap; the truncated file fails for another reason.
    assert_eq!(values["DecompressedCapHits"], 1);
    assert_eq!(values["LogFilesFailed"], 2);
    assert_eq!(values["LogFilesScanned"], 1);
    assert_eq!(values["Findings"], expected(PROD_2024).len() as u64);
}
