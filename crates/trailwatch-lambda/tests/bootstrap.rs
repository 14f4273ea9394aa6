//! The compiled `bootstrap` binary, run as Lambda runs it: against a Lambda
//! Runtime API endpoint served here on loopback, with its configuration in
//! the environment and AWS at a moto_server.

mod common;
mod live;

use std::time::{Duration, Instant};

use common::runtime::{lambda_environment, Function, RuntimeApi};
use common::*;
use serde_json::{json, Value};

#[tokio::test]
async fn bootstrap_serves_invocations_from_the_runtime_api() {
    let moto = MotoServer::start();
    let stack = Stack::new(&moto, "bootstrap").await;
    stack.upload_log(PREFIXED).await;
    stack.upload_log(PROD_2024).await;
    let (test_events, notifications) = stack.s3_notifications().await;
    let batch: Vec<_> = test_events.iter().chain(&notifications).collect();

    let api = RuntimeApi::start();
    let (address, endpoint) = (api.address(), moto.endpoint());
    let mut vars = lambda_environment(&address, &endpoint);
    vars.push(("SNS_TOPIC_ARN", &stack.topic_arn));
    let function = Function::start(&vars);

    // An SQS batch of moto's notifications.
    api.invoke(
        "8476a536-e9f4-11e8-9739-2dfe598c3fcd",
        sqs_event(&stack.notifications, &batch),
    );
    let (path, body) = api.next_post(Duration::from_secs(30));
    assert_eq!(
        path,
        "/2018-06-01/runtime/invocation/8476a536-e9f4-11e8-9739-2dfe598c3fcd/response"
    );
    assert_eq!(body, json!({ "batchItemFailures": [] }));
    assert_findings(
        &stack.alerts().await,
        &stack.bucket,
        &[(PREFIXED, PREFIXED), (PROD_2024, PROD_2024)],
    );

    // An event of no known shape: an error response, and the same process
    // goes on serving.
    api.invoke(
        "c0ffee00-0000-4000-8000-000000000002",
        json!({ "hello": "world" }),
    );
    let (path, body) = api.next_post(Duration::from_secs(30));
    assert_eq!(
        path,
        "/2018-06-01/runtime/invocation/c0ffee00-0000-4000-8000-000000000002/error"
    );
    assert!(
        body["errorMessage"]
            .as_str()
            .unwrap_or("")
            .contains("unrecognised event shape"),
        "{body}"
    );

    // A direct S3 event: the container's clients are reused.
    api.invoke(
        "c0ffee00-0000-4000-8000-000000000003",
        body_json(notification_for(&notifications, PREFIXED)),
    );
    let (path, body) = api.next_post(Duration::from_secs(30));
    assert_eq!(
        path,
        "/2018-06-01/runtime/invocation/c0ffee00-0000-4000-8000-000000000003/response"
    );
    assert_eq!(body, json!({ "files": 1 }));
    assert_findings(
        &stack.alerts().await,
        &stack.bucket,
        &[(PREFIXED, PREFIXED)],
    );

    let output = function.stop();
    // Structured JSON logs, one line per scanned file with its numbers.
    let scanned: Vec<Value> = output
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| {
            l.pointer("/fields/message").and_then(Value::as_str) == Some("log file scanned")
        })
        .collect();
    assert_eq!(scanned.len(), 3, "{output}");
    for line in &scanned {
        let fields = &line["fields"];
        for name in [
            "bucket",
            "key",
            "bytes",
            "records",
            "findings",
            "duration_ms",
        ] {
            assert!(fields.get(name).is_some(), "no {name} in {line}");
        }
    }
}

/// The live check through the binary, with its default configuration (on):
/// a bucket public now is alerted `effective`, one whose policy is gone
/// `closed`, each with the live check in the message.
#[tokio::test]
async fn bootstrap_confirms_findings_against_the_live_bucket() {
    let moto = MotoServer::start();
    let stack = Stack::new(&moto, "bootstrap-confirm").await;
    live::create(&stack.s3, "boot-open").await;
    live::put_policy(&stack.s3, "boot-open", &live::public_policy("boot-open")).await;
    live::store_log(
        &stack,
        &[
            live::policy_record(
                "e-open",
                live::HOME,
                "boot-open",
                &live::public_policy("boot-open"),
            ),
            live::policy_record(
                "e-gone",
                live::HOME,
                "boot-gone",
                &live::public_policy("boot-gone"),
            ),
        ],
    )
    .await;
    let (_, notifications) = stack.s3_notifications().await;

    let api = RuntimeApi::start();
    let (address, endpoint) = (api.address(), moto.endpoint());
    let mut vars = lambda_environment(&address, &endpoint);
    vars.push(("SNS_TOPIC_ARN", &stack.topic_arn));
    let function = Function::start(&vars);
    api.invoke(
        "c0ffee00-0000-4000-8000-00000000c0f1",
        sqs_event(&stack.notifications, &[&notifications[0]]),
    );
    let (path, body) = api.next_post(Duration::from_secs(30));
    assert!(path.ends_with("/response"), "{path}: {body}");
    assert_eq!(body, json!({ "batchItemFailures": [] }));
    let alerts = stack.alerts().await;
    let output = function.stop();
    assert_eq!(alerts.len(), 2, "{output}");
    for (id, want) in [("e-open", "effective"), ("e-gone", "closed")] {
        let alert = alerts
            .iter()
            .find(|a| a.finding.event_id == id)
            .unwrap_or_else(|| panic!("no alert for {id}: {output}"));
        assert_well_formed(alert);
        assert_eq!(
            alert.attributes.get("exposure").map(String::as_str),
            Some(want)
        );
        let live = alert.finding.live_check.as_ref().expect("a live check");
        assert_eq!(live.status.as_str(), want);
    }
}

#[tokio::test]
async fn bootstrap_without_a_topic_fails_at_start_naming_the_variable() {
    let api = RuntimeApi::start();
    let address = api.address();
    // No AWS call is made before the check; the endpoint is never reached.
    let vars = lambda_environment(&address, "http://127.0.0.1:9");
    let mut function = Function::start(&vars);
    let started = Instant::now();
    let status = loop {
        if let Some(status) = function.child.try_wait().expect("waiting for bootstrap") {
            break Some(status);
        }
        if let Ok((path, body)) = api.posts.try_recv() {
            assert_eq!(path, "/2018-06-01/runtime/init/error");
            assert!(body.to_string().contains("SNS_TOPIC_ARN"), "{body}");
            break None;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "bootstrap neither failed nor reported"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let output = function.stop();
    if let Some(status) = status {
        assert!(
            !status.success(),
            "bootstrap exited successfully without SNS_TOPIC_ARN"
        );
    }
    assert!(
        output.contains("SNS_TOPIC_ARN is required but not set"),
        "{output}"
    );
}
