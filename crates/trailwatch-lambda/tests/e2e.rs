//! End to end against a real moto_server: log files uploaded under their
//! CloudTrail keys, the S3 notifications moto itself delivers, every event
//! form the function accepts (built from those notifications where the
//! form wraps one), and the alerts an SNS subscriber receives.

mod common;

use common::*;
use serde_json::{json, Value};
use trailwatch_core::text::printable;
use trailwatch_testkit::batch_encode;
use trailwatch_testkit::http::HttpCollector;

#[tokio::test]
async fn sqs_batch_of_moto_notifications_alerts_every_expected_finding_once() {
    let moto = MotoServer::start();
    let stack = Stack::new(&moto, "sqs-e2e").await;
    // A second subscriber, over HTTP: SNS gives `http` subscribers the
    // `default` variant of a JSON message structure (trailwatch sends no
    // `http` key), the same readable text as `email`. moto does not deliver
    // email, and gives SQS subscribers only the `sqs` variant.
    let web = HttpCollector::start();
    stack
        .subscribe(&stack.topic_arn, "http", &web.url("/alerts"))
        .await;

    let alerting = [
        PROD_2024,
        ORG_OBJECTS,
        PROD_HEADERS,
        DEV_CONDITIONS,
        PREFIXED,
    ];
    let quiet = [CLEAN_DECOYS, EMPTY_RECORDS, DIGEST, INSIGHT];
    for key in alerting.iter().chain(&quiet) {
        stack.upload_log(key).await;
    }

    let (test_events, notifications) = stack.s3_notifications().await;
    assert_eq!(
        test_events.len(),
        1,
        "moto sends one s3:TestEvent when notifications are configured"
    );
    assert_eq!(notifications.len(), alerting.len() + quiet.len());
    let prefixed = body_json(notification_for(&notifications, PREFIXED));
    assert!(
        raw_key(&prefixed).starts_with("audit+logs%2Bv2"),
        "moto URL-encodes keys as S3 does: {}",
        raw_key(&prefixed)
    );

    // One SQS batch, as the event source mapping would send it: the test
    // event first (as it arrived), then every notification.
    let batch: Vec<_> = test_events.iter().chain(&notifications).collect();
    let app = stack.app(&[]).await;
    let response = invoke(&app, sqs_event(&stack.notifications, &batch))
        .await
        .expect("the invocation succeeds");
    assert_eq!(response, json!({ "batchItemFailures": [] }));

    let alerts = stack.alerts().await;
    assert!(
        expected(DEV_CONDITIONS).len() > 10,
        "one file must need more than one PublishBatch"
    );
    let files: Vec<(&str, &str)> = alerting.iter().map(|k| (*k, *k)).collect();
    assert_findings(&alerts, &stack.bucket, &files);
    let total: usize = alerting.iter().map(|k| expected(k).len()).sum();
    assert_eq!(alerts.len(), total);
    for alert in &alerts {
        assert!(
            !quiet.iter().any(|q| alert.finding.log_file.ends_with(q)),
            "an alert for a quiet file: {}",
            alert.subject
        );
    }

    // The readable body, as the HTTP subscriber got it.
    let posts = web.take();
    assert_eq!(posts.len(), alerts.len(), "one HTTP delivery per alert");
    for post in posts {
        let envelope: Value = serde_json::from_slice(&post.body).expect("an SNS envelope");
        let text = envelope["Message"].as_str().expect("a Message");
        let alert = alerts
            .iter()
            .find(|a| {
                text.contains(&format!("What:      {}\n", a.finding.kind))
                    && text.contains(&format!(
                        "Event:     {} {}\n",
                        a.finding.event_name, a.finding.event_id
                    ))
            })
            .unwrap_or_else(|| panic!("an HTTP delivery matching no alert:\n{text}"));
        assert_eq!(envelope["Subject"].as_str(), Some(alert.subject.as_str()));
        let structure: Value =
            serde_json::from_str(&trailwatch_aws::render(&alert.finding).message)
                .expect("a message structure");
        assert_eq!(
            structure["default"].as_str(),
            Some(text),
            "the default variant"
        );
        assert_eq!(
            structure["email"], structure["default"],
            "email reads the same text"
        );
        assert!(
            text.starts_with("trailwatch found an S3 exposure"),
            "{text}"
        );
        let why = format!("Why:       {}\n", printable(&alert.finding.reason));
        assert!(text.contains(&why), "{text}");
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "control characters in the text body: {text:?}"
        );
        assert!(
            serde_json::from_str::<Value>(text).is_err(),
            "the text body is not JSON"
        );
    }
}

#[tokio::test]
async fn direct_s3_events_test_events_and_notifications_without_identity() {
    let moto = MotoServer::start();
    let stack = Stack::new(&moto, "direct").await;
    stack.upload_log(PREFIXED).await;
    stack.upload_log(PROD_2024).await;
    let (test_events, notifications) = stack.s3_notifications().await;
    let app = stack.app(&[]).await;

    // s3:TestEvent, exactly as moto sent it, invoking the function directly.
    let test_event = body_json(&test_events[0]);
    assert_eq!(test_event["Event"], "s3:TestEvent");
    assert_eq!(
        invoke(&app, test_event).await,
        Ok(json!({ "testEvent": true }))
    );
    assert!(
        stack.alerts().await.is_empty(),
        "a test event alerts nothing"
    );

    // The direct S3 event is the notification body itself. moto's, like
    // MinIO's, has no userIdentity/requestParameters/responseElements.
    let event = body_json(notification_for(&notifications, PREFIXED));
    let record = &event["Records"][0];
    for absent in ["userIdentity", "requestParameters", "responseElements"] {
        assert!(
            record.get(absent).is_none(),
            "moto now sends {absent}; find another minimal notification"
        );
    }
    assert_eq!(invoke(&app, event).await, Ok(json!({ "files": 1 })));
    assert_findings(
        &stack.alerts().await,
        &stack.bucket,
        &[(PREFIXED, PREFIXED)],
    );

    // The shipped MinIO-style payload, pointed at this bucket.
    let mut minio = event_fixture("s3-put-minio-style.json");
    assert_eq!(
        minio
            .pointer("/Records/0/s3/object/key")
            .and_then(Value::as_str),
        Some(PROD_2024)
    );
    minio["Records"][0]["s3"]["bucket"]["name"] = json!(stack.bucket);
    assert_eq!(invoke(&app, minio).await, Ok(json!({ "files": 1 })));
    assert_findings(
        &stack.alerts().await,
        &stack.bucket,
        &[(PROD_2024, PROD_2024)],
    );

    // The shipped real-S3 payload (with userIdentity, `+` and `%2B` in the key).
    let mut real = event_fixture("s3-put.json");
    real["Records"][0]["s3"]["bucket"]["name"] = json!(stack.bucket);
    assert_eq!(invoke(&app, real).await, Ok(json!({ "files": 1 })));
    assert_findings(
        &stack.alerts().await,
        &stack.bucket,
        &[(PREFIXED, PREFIXED)],
    );
}

#[tokio::test]
async fn sns_wrapped_notifications_and_cloudtrail_log_delivery() {
    let moto = MotoServer::start();
    let stack = Stack::new(&moto, "sns-forms").await;
    // S3 -> SNS -> SQS without raw delivery: moto wraps its own S3
    // notification in an SNS envelope.
    let s3_topic = stack.create_topic("sns-forms-s3-events").await;
    let wrapped = stack.create_queue("sns-forms-wrapped").await;
    let subscription = stack.subscribe(&s3_topic, "sqs", &wrapped.arn).await;
    stack.notify(&stack.bucket, Some(&s3_topic)).await;
    stack.upload_log(ORG_ACCESS_POINTS).await;
    stack.upload_log(PROD_WEST_2025).await;
    let _ = stack.s3_notifications().await;
    let envelopes = stack.drain(&wrapped).await;
    let inner = |m: &aws_sdk_sqs::types::Message| -> Value {
        serde_json::from_str(body_json(m)["Message"].as_str().expect("an SNS Message"))
            .expect("JSON")
    };
    let (tests, objects): (Vec<_>, Vec<_>) = envelopes
        .iter()
        .partition(|m| inner(m).get("Event").and_then(Value::as_str) == Some("s3:TestEvent"));
    assert_eq!((tests.len(), objects.len()), (1, 2));
    let for_key = |key: &str| {
        *objects
            .iter()
            .find(|m| s3_decode(&raw_key(&inner(m))) == key)
            .unwrap_or_else(|| panic!("no wrapped notification for {key}"))
    };
    let app = stack.app(&[]).await;

    // Lambda subscribed to the S3 topic: Records[].Sns around the envelope.
    let event = sns_event(&body_json(for_key(ORG_ACCESS_POINTS)), &subscription);
    assert_eq!(invoke(&app, event).await, Ok(json!({ "files": 1 })));
    assert_findings(
        &stack.alerts().await,
        &stack.bucket,
        &[(ORG_ACCESS_POINTS, ORG_ACCESS_POINTS)],
    );

    // The test event, wrapped the same way: acknowledged, nothing alerted.
    let event = sns_event(&body_json(tests[0]), &subscription);
    assert!(invoke(&app, event).await.is_ok());
    assert!(stack.alerts().await.is_empty());

    // S3 -> SNS -> SQS -> Lambda: the SQS body is the SNS envelope.
    let message = for_key(PROD_WEST_2025);
    let response = invoke(&app, sqs_event(&wrapped, &[message]))
        .await
        .expect("the invocation succeeds");
    assert_eq!(batch_item_failures(&response), Vec::<String>::new());
    assert_findings(
        &stack.alerts().await,
        &stack.bucket,
        &[(PROD_WEST_2025, PROD_WEST_2025)],
    );

    // CloudTrail's own log-delivery notification, published through SNS:
    // keys are sent as they are, not URL-encoded (the space and the plus
    // of the prefixed key must survive).
    stack.upload_log(PREFIXED).await;
    stack.upload_log(ORG_OBJECTS).await;
    let delivery_topic = stack.create_topic("sns-forms-cloudtrail-delivery").await;
    let delivery_queue = stack.create_queue("sns-forms-cloudtrail-delivery").await;
    let delivery_subscription = stack
        .subscribe(&delivery_topic, "sqs", &delivery_queue.arn)
        .await;
    let cloudtrail = json!({ "s3Bucket": stack.bucket, "s3ObjectKey": [PREFIXED, ORG_OBJECTS] });
    stack
        .sns
        .publish()
        .topic_arn(&delivery_topic)
        .message(cloudtrail.to_string())
        .send()
        .await
        .expect("Publish");
    let delivered = stack.drain(&delivery_queue).await;
    assert_eq!(delivered.len(), 1);
    let event = sns_event(&body_json(&delivered[0]), &delivery_subscription);
    assert_eq!(invoke(&app, event).await, Ok(json!({ "files": 2 })));
    assert_findings(
        &stack.alerts().await,
        &stack.bucket,
        &[(PREFIXED, PREFIXED), (ORG_OBJECTS, ORG_OBJECTS)],
    );
}

#[tokio::test]
async fn eventbridge_and_s3_batch_operations() {
    let moto = MotoServer::start();
    let stack = Stack::new(&moto, "batch-forms").await;
    for key in [PREFIXED, PROD_2024, ORG_OBJECTS, EMPTY_RECORDS, DIGEST] {
        stack.upload_log(key).await;
    }
    let (_, notifications) = stack.s3_notifications().await;
    let app = stack.app(&[]).await;

    // EventBridge "Object Created", made from moto's notification for the
    // same object; EventBridge sends the key as it is.
    let notification = body_json(notification_for(&notifications, PREFIXED));
    let record = &notification["Records"][0];
    let eventbridge = json!({
        "version": "0",
        "id": "17793124-05d4-b198-2fde-7ededc63b103",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": "123456789012",
        "time": record["eventTime"],
        "region": record["awsRegion"],
        "resources": [record["s3"]["bucket"]["arn"]],
        "detail": {
            "version": "0",
            "bucket": { "name": record["s3"]["bucket"]["name"] },
            "object": {
                "key": s3_decode(&raw_key(&notification)),
                "size": record["s3"]["object"]["size"],
                "etag": record["s3"]["object"]["eTag"],
                "sequencer": "617f08299329d189"
            },
            "request-id": "N4N7GDK58NMKJ12R",
            "requester": "123456789012",
            "source-ip-address": "127.0.0.1",
            "reason": "PutObject"
        }
    });
    assert_eq!(invoke(&app, eventbridge).await, Ok(json!({ "files": 1 })));
    assert_findings(
        &stack.alerts().await,
        &stack.bucket,
        &[(PREFIXED, PREFIXED)],
    );

    // S3 Batch Operations schema 1.0: bucket by ARN, keys URL-encoded; a
    // task naming a key that is gone is alerted and not retried.
    let missing = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/02/08/111122223333_CloudTrail_us-east-1_20240208T1215Z_GoneGoneGoneGone.json.gz";
    let bucket_arn = format!("arn:aws:s3:::{}", stack.bucket);
    let job = json!({
        "invocationSchemaVersion": "1.0",
        "invocationId": "YXNkbGZqYWRmaiBhc2RmdW9hZHNmZGpmaGFzbGtkaGZza2RmaAo",
        "job": { "id": "f3cc4f60-61f6-4a2b-8a21-d07600c373ce" },
        "tasks": [
            { "taskId": "dGFza2lkZ29lc2hlcmUK", "s3Key": batch_encode(PREFIXED), "s3VersionId": null, "s3BucketArn": bucket_arn },
            { "taskId": "bWlzc2luZ3Rhc2sK", "s3Key": batch_encode(missing), "s3VersionId": null, "s3BucketArn": bucket_arn }
        ]
    });
    assert!(batch_encode(PREFIXED).starts_with("audit%20logs%2Bv2/"));
    let response = invoke(&app, job).await.expect("a Batch response");
    assert_eq!(response["invocationSchemaVersion"], "1.0");
    assert_eq!(
        response["invocationId"],
        "YXNkbGZqYWRmaiBhc2RmdW9hZHNmZGpmaGFzbGtkaGZza2RmaAo"
    );
    assert_eq!(response["treatMissingKeysAs"], "PermanentFailure");
    assert_eq!(
        result_codes(&response),
        vec![
            ("dGFza2lkZ29lc2hlcmUK".to_owned(), "Succeeded".to_owned()),
            ("bWlzc2luZ3Rhc2sK".to_owned(), "PermanentFailure".to_owned()),
        ]
    );
    let mut alerts = stack.alerts().await;
    let at = alerts
        .iter()
        .position(|a| a.finding.kind.as_str() == "unreadable-log-file")
        .expect("the missing key is alerted");
    let unreadable = alerts.remove(at);
    let reason = assert_unreadable(
        &unreadable,
        &stack.bucket,
        missing,
        "111122223333",
        "us-east-1",
    );
    assert!(reason.contains("does not exist"), "{reason}");
    assert_findings(&alerts, &stack.bucket, &[(PREFIXED, PREFIXED)]);

    // Schema 2.0: bucket by name, userArguments; an empty log file and a
    // digest succeed without alerts.
    let job = json!({
        "invocationSchemaVersion": "2.0",
        "invocationId": "Zm9vYmFyYmF6cXV4Cg",
        "job": { "id": "9ae1e0c4-7d1a-4ca7-982c-5e384b7c0073", "userArguments": { "mode": "replay" } },
        "tasks": [
            { "taskId": "one", "s3Key": batch_encode(ORG_OBJECTS), "s3VersionId": null, "s3Bucket": stack.bucket },
            { "taskId": "two", "s3Key": batch_encode(EMPTY_RECORDS), "s3VersionId": null, "s3Bucket": stack.bucket },
            { "taskId": "three", "s3Key": batch_encode(DIGEST), "s3VersionId": null, "s3Bucket": stack.bucket }
        ]
    });
    let response = invoke(&app, job).await.expect("a Batch response");
    assert_eq!(response["invocationSchemaVersion"], "2.0");
    assert_eq!(response["invocationId"], "Zm9vYmFyYmF6cXV4Cg");
    assert_eq!(
        result_codes(&response),
        vec![
            ("one".to_owned(), "Succeeded".to_owned()),
            ("two".to_owned(), "Succeeded".to_owned()),
            ("three".to_owned(), "Succeeded".to_owned()),
        ]
    );
    assert!(
        response["results"][2]["resultString"]
            .as_str()
            .unwrap_or("")
            .contains("digest"),
        "{response}"
    );
    assert_findings(
        &stack.alerts().await,
        &stack.bucket,
        &[(ORG_OBJECTS, ORG_OBJECTS)],
    );
}

/// The map step: with `TRAILWATCH_CHANGES_PREFIX`, a Batch task also writes
/// its log file's changes object (the file's own contribution to the fold,
/// as the command line's resume state records it), and its alerts go out as
/// without it. A write that fails makes the task a `TemporaryFailure`
/// naming the object; the alerts still go out. Notifications write none.
#[tokio::test]
async fn batch_tasks_write_changes_objects() {
    let moto = MotoServer::start();
    let stack = Stack::new(&moto, "changes").await;
    stack.upload_log(PROD_HEADERS).await;
    let map = "map-changes";
    stack
        .s3
        .create_bucket()
        .bucket(map)
        .send()
        .await
        .expect("CreateBucket");
    let job = |task: &str| {
        json!({
            "invocationSchemaVersion": "2.0",
            "invocationId": "bWFwLXN0ZXA",
            "job": { "id": "7e1b2c3d-0000-4000-8000-000000000011" },
            "tasks": [{ "taskId": task, "s3Key": batch_encode(PROD_HEADERS), "s3VersionId": null, "s3Bucket": stack.bucket }]
        })
    };

    let app = stack
        .app(&[("TRAILWATCH_CHANGES_PREFIX", &format!("s3://{map}/org/"))])
        .await;
    let response = invoke(&app, job("written"))
        .await
        .expect("a Batch response");
    assert_eq!(
        result_codes(&response),
        vec![("written".to_owned(), "Succeeded".to_owned())]
    );
    assert_findings(
        &stack.alerts().await,
        &stack.bucket,
        &[(PROD_HEADERS, PROD_HEADERS)],
    );
    let key = format!("org/{}/{PROD_HEADERS}.jsonl", stack.bucket);
    let object = stack
        .s3
        .get_object()
        .bucket(map)
        .key(&key)
        .send()
        .await
        .expect("the changes object");
    let text = String::from_utf8(
        object
            .body
            .collect()
            .await
            .expect("a body")
            .into_bytes()
            .to_vec(),
    )
    .expect("UTF-8");
    let records = trailwatch_aws::FileRecord::parse_lines(&text).expect("changes lines");
    let bytes = std::fs::read(fixture(&format!("logs/{PROD_HEADERS}"))).expect("the fixture");
    let log_file = format!("s3://{}/{PROD_HEADERS}", stack.bucket);
    let scan = trailwatch_core::Scanner::new(trailwatch_core::Limits::default())
        .scan_bytes(&log_file, &bytes);
    assert_eq!(records, vec![trailwatch_aws::FileRecord::of(&scan)]);
    assert!(!records[0].changes.is_empty() && !records[0].findings.is_empty());

    // Notifications do not write: the object stays as the task wrote it.
    stack
        .s3
        .delete_object()
        .bucket(map)
        .key(&key)
        .send()
        .await
        .expect("DeleteObject");
    let (_, notifications) = stack.s3_notifications().await;
    let response = invoke(&app, sqs_event(&stack.notifications, &[&notifications[0]]))
        .await
        .expect("an SQS batch response");
    assert_eq!(batch_item_failures(&response), Vec::<String>::new());
    assert_findings(
        &stack.alerts().await,
        &stack.bucket,
        &[(PROD_HEADERS, PROD_HEADERS)],
    );
    let listed = stack
        .s3
        .list_objects_v2()
        .bucket(map)
        .send()
        .await
        .expect("ListObjectsV2");
    assert_eq!(listed.key_count(), Some(0));

    // A prefix in a bucket that does not exist: the write fails, the task
    // is retried, its reason names the object; the alerts still go out.
    let app = stack
        .app(&[("TRAILWATCH_CHANGES_PREFIX", "s3://no-such-map-bucket/org/")])
        .await;
    let response = invoke(&app, job("failed")).await.expect("a Batch response");
    assert_eq!(
        result_codes(&response),
        vec![("failed".to_owned(), "TemporaryFailure".to_owned())]
    );
    let reason = response["results"][0]["resultString"]
        .as_str()
        .unwrap_or_default();
    assert!(
        reason.starts_with(&format!(
            "writing the changes object: s3://no-such-map-bucket/org/{}/{PROD_HEADERS}.jsonl: ",
            stack.bucket
        )),
        "{reason}"
    );
    assert_findings(
        &stack.alerts().await,
        &stack.bucket,
        &[(PROD_HEADERS, PROD_HEADERS)],
    );
}

fn result_codes(response: &Value) -> Vec<(String, String)> {
    response["results"]
        .as_array()
        .unwrap_or_else(|| panic!("no results: {response}"))
        .iter()
        .map(|r| {
            (
                r["taskId"].as_str().unwrap_or_default().to_owned(),
                r["resultCode"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// A FIFO topic: the group is the bucket (the account for account-level
/// findings) and the deduplication id the event ID, so the duplicate
/// deliveries that at-least-once S3/SQS make reach a FIFO subscriber once.
#[tokio::test]
async fn fifo_topic_deduplicates_redelivered_notifications() {
    let moto = MotoServer::start();
    let stack = Stack::new(&moto, "fifo").await;
    let topic_arn = stack
        .sns
        .create_topic()
        .name("fifo-alerts.fifo")
        .attributes("FifoTopic", "true")
        .send()
        .await
        .expect("CreateTopic")
        .topic_arn()
        .expect("a topic ARN")
        .to_owned();
    let url = stack
        .sqs
        .create_queue()
        .queue_name("fifo-alerts-subscriber.fifo")
        .attributes(aws_sdk_sqs::types::QueueAttributeName::FifoQueue, "true")
        .attributes(
            aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout,
            "43200",
        )
        .send()
        .await
        .expect("CreateQueue")
        .queue_url()
        .expect("a queue URL")
        .to_owned();
    let arn = "arn:aws:sqs:us-east-1:123456789012:fifo-alerts-subscriber.fifo".to_owned();
    let subscriber = Queue { url, arn };
    stack.subscribe(&topic_arn, "sqs", &subscriber.arn).await;
    stack.upload_log(PROD_WEST_2025).await;
    let (_, notifications) = stack.s3_notifications().await;
    let app = stack.app_with(&stack.sdk, &topic_arn, &[]).await;

    let event = sqs_event(&stack.notifications, &[&notifications[0]]);
    for _ in 0..2 {
        let response = invoke(&app, event.clone())
            .await
            .expect("an SQS batch response");
        assert_eq!(batch_item_failures(&response), Vec::<String>::new());
    }
    let received = stack.drain(&subscriber).await;
    let alerts: Vec<Delivered> = received.iter().map(delivered).collect();
    assert_findings(&alerts, &stack.bucket, &[(PROD_WEST_2025, PROD_WEST_2025)]);
    for (message, alert) in received.iter().zip(&alerts) {
        let system = message.attributes().expect("system attributes");
        let get = |name: &str| {
            system
                .get(&aws_sdk_sqs::types::MessageSystemAttributeName::from(name))
                .cloned()
        };
        let f = &alert.finding;
        let group = f.bucket.clone().unwrap_or_else(|| f.account.clone());
        assert_eq!(get("MessageGroupId"), Some(group), "{}", alert.subject);
        assert_eq!(
            get("MessageDeduplicationId"),
            Some(format!("{}:{}", f.event_id, f.kind))
        );
    }
}

/// A log file larger than the 4 MiB trailwatch-aws fetches whole is
/// streamed from the GetObject body into the decoder; its findings (and the
/// deduplication of a record repeated across the file) are the same.
#[tokio::test]
async fn a_large_log_file_is_streamed_from_s3() {
    let moto = MotoServer::start();
    let stack = Stack::new(&moto, "large").await;
    let text =
        std::fs::read_to_string(fixture(&format!("logs/{UNCOMPRESSED}"))).expect("the .json log");
    let log: Value = serde_json::from_str(&text).expect("JSON");
    let records = log["Records"].as_array().expect("Records");
    // Every record 50 times over: ~5.4 MB, stored without compression so
    // that the object itself is that large.
    let big =
        json!({ "Records": (0..50).flat_map(|_| records.iter().cloned()).collect::<Vec<_>>() });
    let gzip = stored_gzip(big.to_string().as_bytes());
    assert!(gzip.len() > 5 << 20, "{} bytes", gzip.len());
    let key = "AWSLogs/111122223333/CloudTrail/us-east-1/2025/03/03/111122223333_CloudTrail_us-east-1_20250303T1100Z_LargeLargeLargeL.json.gz";
    stack
        .s3
        .put_object()
        .bucket(&stack.bucket)
        .key(key)
        .body(aws_sdk_s3::primitives::ByteStream::from(gzip))
        .send()
        .await
        .expect("PutObject");
    let (_, notifications) = stack.s3_notifications().await;
    let app = stack.app(&[]).await;

    let response = invoke(&app, sqs_event(&stack.notifications, &[&notifications[0]]))
        .await
        .expect("an SQS batch response");
    assert_eq!(batch_item_failures(&response), Vec::<String>::new());
    assert_findings(&stack.alerts().await, &stack.bucket, &[(key, UNCOMPRESSED)]);
}

/// A single-member gzip file whose deflate stream is made of stored
/// (uncompressed) blocks.
fn stored_gzip(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    let chunks: Vec<&[u8]> = data.chunks(65_535).collect();
    for (i, chunk) in chunks.iter().enumerate() {
        out.push(u8::from(i + 1 == chunks.len()));
        let len = chunk.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    out.extend_from_slice(&crc32(data).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let table: Vec<u32> = (0..256u32)
        .map(|n| {
            (0..8).fold(n, |c, _| {
                if c & 1 == 1 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                }
            })
        })
        .collect();
    !data.iter().fold(!0u32, |c, &b| {
        table[((c ^ u32::from(b)) & 0xff) as usize] ^ (c >> 8)
    })
}

/// `TRAILWATCH_CONFIG`, inline or as an `s3://` URI read once at start:
/// accepted exposures are not alerted, the others are.
#[tokio::test]
async fn allowlist_inline_or_from_s3_suppresses_accepted_exposures() {
    let moto = MotoServer::start();
    let stack = Stack::new(&moto, "allowlist").await;
    let accepted = ["acme-cognito-media", "acme-tls-only"];
    let toml = "[[allow]]\nreason = \"reviewed in SEC-42\"\nbuckets = [\"acme-cognito-media\", \"acme-tls-*\"]\nkinds = [\"bucket-policy-public\"]\n";
    stack.add_bucket("allowlist-config").await;
    stack
        .s3
        .put_object()
        .bucket("allowlist-config")
        .key("trailwatch/allow.toml")
        .body(aws_sdk_s3::primitives::ByteStream::from(
            toml.as_bytes().to_vec(),
        ))
        .send()
        .await
        .expect("PutObject");
    stack.upload_log(DEV_CONDITIONS).await;
    let (_, notifications) = stack.s3_notifications().await;
    let notification = notification_for(&notifications, DEV_CONDITIONS);
    let kept = |e: &Expected| !accepted.contains(&e.bucket.as_deref().unwrap_or(""));
    assert_eq!(
        expected(DEV_CONDITIONS).iter().filter(|e| !kept(e)).count(),
        accepted.len()
    );

    for config in [toml, "s3://allowlist-config/trailwatch/allow.toml"] {
        let app = stack.app(&[("TRAILWATCH_CONFIG", config)]).await;
        let response = invoke(&app, sqs_event(&stack.notifications, &[notification]))
            .await
            .expect("an SQS batch response");
        assert_eq!(batch_item_failures(&response), Vec::<String>::new());
        let files = [(DEV_CONDITIONS, DEV_CONDITIONS)];
        assert_findings_where(&stack.alerts().await, &stack.bucket, &files, kept);
    }

    // An allowlist that cannot be read stops the function at start.
    let vars = std::collections::HashMap::from([
        ("SNS_TOPIC_ARN", stack.topic_arn.clone()),
        (
            "TRAILWATCH_CONFIG",
            "s3://allowlist-config/missing.toml".to_owned(),
        ),
    ]);
    let settings =
        trailwatch_lambda::Settings::from_lookup(|k| vars.get(k).cloned()).expect("settings");
    let error = match trailwatch_lambda::App::new(&stack.sdk, settings).await {
        Ok(_) => panic!("started without its allowlist"),
        Err(e) => format!("{e:#}"),
    };
    assert!(
        error.contains("s3://allowlist-config/missing.toml"),
        "{error}"
    );
}
