//! Faults, each ending the way the error semantics in lib.rs say: transient
//! S3/SNS failures fail the invocation (the SQS message, the Batch task) so
//! it is retried; a log file that cannot be decoded or no longer exists is
//! alerted as `unreadable-log-file` and not retried.

mod common;

use aws_sdk_iam::Client as IamClient;
use common::*;
use serde_json::{json, Value};
use trailwatch_testkit::proxy::SnsFaultProxy;
use trailwatch_testkit::{batch_encode, sdk_config_at, sdk_config_routed};

#[tokio::test]
async fn missing_object_is_alerted_and_not_retried() {
    let moto = MotoServer::start();
    let stack = Stack::new(&moto, "missing").await;
    stack.upload_log(PROD_2024).await;
    let (_, notifications) = stack.s3_notifications().await;
    stack
        .s3
        .delete_object()
        .bucket(&stack.bucket)
        .key(PROD_2024)
        .send()
        .await
        .expect("DeleteObject");
    let app = stack.app(&[]).await;

    let response = invoke(&app, sqs_event(&stack.notifications, &[&notifications[0]]))
        .await
        .expect("the invocation succeeds");
    assert_eq!(
        batch_item_failures(&response),
        Vec::<String>::new(),
        "a missing object is not retried"
    );
    let alerts = stack.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let reason = assert_unreadable(
        &alerts[0],
        &stack.bucket,
        PROD_2024,
        "111122223333",
        "us-east-1",
    );
    assert!(reason.contains("does not exist"), "{reason}");
    assert!(alerts[0]
        .subject
        .starts_with("[trailwatch] HIGH unreadable-log-file s3://trail-missing/AWSLogs/"));

    // Invoked directly by S3: the invocation succeeds too (Lambda would
    // otherwise retry it twice and then drop it).
    assert_eq!(
        invoke(&app, body_json(&notifications[0])).await,
        Ok(json!({ "files": 1 }))
    );
    assert_eq!(stack.alerts().await.len(), 1);
}

/// moto enforces IAM once asked to: the function's user may read one
/// bucket, but not the trail bucket, which answers 403 AccessDenied.
///
/// The trail bucket lives on a second moto_server that enforces IAM, and
/// the function reaches SNS on the first one (as `AWS_ENDPOINT_URL_SNS`
/// would route it): moto 5.2.5 checks SigV4 on query-protocol calls (SNS)
/// against the form as botocore re-encodes it, not the bytes sent, and the
/// Rust SDK's PublishBatch then fails with SignatureDoesNotMatch. S3
/// requests verify fine: the readable bucket is read with the same keys.
#[tokio::test]
async fn access_denied_is_retried_not_alerted() {
    let moto = MotoServer::start();
    let stack = Stack::new(&moto, "denied").await;
    let trail_moto = MotoServer::start();
    let trail = Stack::new(&trail_moto, "denied").await;
    let readable = "readable-denied";
    trail.add_bucket(readable).await;
    trail.upload_log(PROD_2024).await;
    trail
        .upload_to(readable, PROD_2024, &format!("logs/{PROD_2024}"))
        .await;
    let (_, notifications) = trail.s3_notifications().await;
    let in_bucket = |bucket: &str| {
        notifications
            .iter()
            .find(|m| {
                body_json(m)
                    .pointer("/Records/0/s3/bucket/name")
                    .and_then(Value::as_str)
                    == Some(bucket)
            })
            .unwrap_or_else(|| panic!("no notification from {bucket}"))
    };
    let (denied_message, readable_message) = (in_bucket(&trail.bucket), in_bucket(readable));
    let function = iam_user(
        &IamClient::new(&trail.sdk),
        "trailwatch-function",
        json!([{ "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": format!("arn:aws:s3:::{readable}/*") }]),
    )
    .await;
    trail_moto.enforce_iam();
    let function_sdk = sdk_config_routed(
        &trail_moto.endpoint(),
        &[("SNS", &moto.endpoint())],
        &function.0,
        &function.1,
    )
    .await;
    let app = stack.app_with(&function_sdk, &stack.topic_arn, &[]).await;

    // An SQS batch: only the denied message is handed back for retry.
    let response = invoke(
        &app,
        sqs_event(&trail.notifications, &[denied_message, readable_message]),
    )
    .await
    .expect("an SQS batch response");
    assert_eq!(
        batch_item_failures(&response),
        vec![denied_message.message_id().expect("an id").to_owned()]
    );
    assert_findings(&stack.alerts().await, readable, &[(PROD_2024, PROD_2024)]);

    // Direct: the invocation fails, so Lambda retries it.
    let error = invoke(&app, body_json(denied_message))
        .await
        .expect_err("access denied fails the invocation");
    assert!(
        error.contains("access denied") && error.contains("AccessDenied"),
        "{error}"
    );

    // S3 Batch Operations: TemporaryFailure for the denied task only.
    let job = json!({
        "invocationSchemaVersion": "2.0",
        "invocationId": "ZGVuaWVk",
        "job": { "id": "7e1b2c3d-0000-4000-8000-000000000001" },
        "tasks": [
            { "taskId": "denied", "s3Key": PROD_2024, "s3VersionId": null, "s3Bucket": trail.bucket },
            { "taskId": "allowed", "s3Key": PROD_2024, "s3VersionId": null, "s3Bucket": readable }
        ]
    });
    let response = invoke(&app, job).await.expect("a Batch response");
    assert_eq!(
        response["results"][0]["resultCode"], "TemporaryFailure",
        "{response}"
    );
    assert!(response["results"][0]["resultString"]
        .as_str()
        .unwrap_or("")
        .contains("access denied"));
    assert_eq!(
        response["results"][1]["resultCode"], "Succeeded",
        "{response}"
    );
    // Nothing about the denied file was alerted, not even as unreadable.
    assert_findings(&stack.alerts().await, readable, &[(PROD_2024, PROD_2024)]);
}

/// Creates an IAM user with an inline policy and an access key; returns
/// (access key id, secret).
async fn iam_user(iam: &IamClient, name: &str, statements: Value) -> (String, String) {
    iam.create_user()
        .user_name(name)
        .send()
        .await
        .expect("CreateUser");
    let policy = json!({ "Version": "2012-10-17", "Statement": statements });
    iam.put_user_policy()
        .user_name(name)
        .policy_name(format!("{name}-policy"))
        .policy_document(policy.to_string())
        .send()
        .await
        .expect("PutUserPolicy");
    let key = iam
        .create_access_key()
        .user_name(name)
        .send()
        .await
        .expect("CreateAccessKey");
    let key = key.access_key().expect("an access key");
    (
        key.access_key_id().to_owned(),
        key.secret_access_key().to_owned(),
    )
}

#[tokio::test]
async fn missing_topic_fails_the_message_until_the_topic_exists() {
    let moto = MotoServer::start();
    let stack = Stack::new(&moto, "no-topic").await;
    stack.upload_log(PREFIXED).await;
    let (test_events, notifications) = stack.s3_notifications().await;
    let topic_name = "no-topic-yet";
    let topic_arn = format!("arn:aws:sns:us-east-1:123456789012:{topic_name}");
    let app = stack.app_with(&stack.sdk, &topic_arn, &[]).await;

    let batch = [&test_events[0], &notifications[0]];
    let response = invoke(&app, sqs_event(&stack.notifications, &batch))
        .await
        .expect("an SQS batch response");
    assert_eq!(
        batch_item_failures(&response),
        vec![notifications[0].message_id().expect("an id").to_owned()],
        "the notification is retried, the test event is not"
    );
    let error = invoke(&app, body_json(&notifications[0]))
        .await
        .expect_err("the direct invocation fails");
    assert!(error.contains(topic_name), "{error}");
    let job = json!({
        "invocationSchemaVersion": "1.0",
        "invocationId": "bm90b3BpYw",
        "job": { "id": "7e1b2c3d-0000-4000-8000-000000000002" },
        "tasks": [{ "taskId": "t", "s3Key": batch_encode(PREFIXED), "s3VersionId": null,
                    "s3BucketArn": format!("arn:aws:s3:::{}", stack.bucket) }]
    });
    let response = invoke(&app, job.clone()).await.expect("a Batch response");
    assert_eq!(
        response["results"][0]["resultCode"], "TemporaryFailure",
        "{response}"
    );

    // The retry after the topic is created delivers every finding.
    assert_eq!(stack.create_topic(topic_name).await, topic_arn);
    stack
        .subscribe(&topic_arn, "sqs", &stack.subscriber.arn)
        .await;
    let response = invoke(&app, sqs_event(&stack.notifications, &batch))
        .await
        .expect("an SQS batch response");
    assert_eq!(batch_item_failures(&response), Vec::<String>::new());
    assert_findings(
        &stack.alerts().await,
        &stack.bucket,
        &[(PREFIXED, PREFIXED)],
    );
}

#[tokio::test]
async fn a_failed_batch_entry_is_retried_and_arrives_once() {
    let moto = MotoServer::start();
    let stack = Stack::new(&moto, "entry-fault").await;
    stack.upload_log(PROD_HEADERS).await;
    let (_, notifications) = stack.s3_notifications().await;
    // The function talks to moto through a proxy that withholds the last
    // entry of the first PublishBatch and reports it failed (SenderFault
    // false), as SNS does for an internal error on one entry.
    let proxy = SnsFaultProxy::start(&moto.endpoint(), 1);
    let app = stack
        .app_with(
            &sdk_config_at(&proxy.endpoint(), "testing", "testing").await,
            &stack.topic_arn,
            &[],
        )
        .await;

    let response = invoke(&app, sqs_event(&stack.notifications, &[&notifications[0]]))
        .await
        .expect("an SQS batch response");
    assert_eq!(batch_item_failures(&response), Vec::<String>::new());
    assert_findings(
        &stack.alerts().await,
        &stack.bucket,
        &[(PROD_HEADERS, PROD_HEADERS)],
    );
    let calls = proxy.publish_batches();
    let count = expected(PROD_HEADERS).len();
    assert!(count >= 2);
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!(calls[0].entry_ids.len(), count);
    let failed = calls[0]
        .failed
        .clone()
        .expect("the first batch had a failure");
    assert_eq!(
        calls[1].entry_ids,
        vec![failed],
        "only the failed entry is retried"
    );
    assert_eq!(calls[1].failed, None);
}

#[tokio::test]
async fn an_entry_that_keeps_failing_fails_the_message() {
    let moto = MotoServer::start();
    let stack = Stack::new(&moto, "entry-stuck").await;
    stack.upload_log(PREFIXED).await;
    let (_, notifications) = stack.s3_notifications().await;
    let proxy = SnsFaultProxy::start(&moto.endpoint(), usize::MAX);
    let app = stack
        .app_with(
            &sdk_config_at(&proxy.endpoint(), "testing", "testing").await,
            &stack.topic_arn,
            &[],
        )
        .await;

    let response = invoke(&app, sqs_event(&stack.notifications, &[&notifications[0]]))
        .await
        .expect("an SQS batch response");
    assert_eq!(
        batch_item_failures(&response),
        vec![notifications[0].message_id().expect("an id").to_owned()],
        "an alert that could not be published is never dropped silently"
    );
    let calls = proxy.publish_batches();
    assert!(calls.len() >= 3, "retried with backoff: {calls:?}");
    let stuck = calls[0].failed.clone().expect("a failure");
    assert!(
        calls[1..]
            .iter()
            .all(|c| c.entry_ids == vec![stuck.clone()]),
        "{calls:?}"
    );
    // The entries that did go through arrived (once); the retried message
    // will deliver the rest.
    let alerts = stack.alerts().await;
    assert_eq!(alerts.len(), expected(PREFIXED).len() - 1);
    alerts.iter().for_each(assert_well_formed);
}

#[tokio::test]
async fn corrupt_log_files_are_alerted_and_not_retried() {
    let moto = MotoServer::start();
    let stack = Stack::new(&moto, "corrupt").await;
    let dir = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/01/";
    let files = [
        (
            "bad/truncated.json.gz",
            "111122223333_CloudTrail_us-east-1_20240301T0000Z_TruncatedTrunca.json.gz",
            "gzip",
        ),
        (
            "bad/not-gzip.json.gz",
            "111122223333_CloudTrail_us-east-1_20240301T0005Z_NotGzipNotGzipNo.json.gz",
            "neither gzip nor",
        ),
        (
            "bad/bomb.json.gz",
            "111122223333_CloudTrail_us-east-1_20240301T0010Z_BombBombBombBomb.json.gz",
            "more than",
        ),
    ];
    for (path, name, _) in &files {
        stack
            .upload_to(&stack.bucket, &format!("{dir}{name}"), path)
            .await;
    }
    let (_, notifications) = stack.s3_notifications().await;
    let batch: Vec<_> = notifications.iter().collect();
    let app = stack
        .app(&[("TRAILWATCH_MAX_DECOMPRESSED_BYTES", "8388608")])
        .await;

    let response = invoke(&app, sqs_event(&stack.notifications, &batch))
        .await
        .expect("an SQS batch response");
    assert_eq!(
        batch_item_failures(&response),
        Vec::<String>::new(),
        "corrupt files are not retried"
    );
    let alerts = stack.alerts().await;
    assert_eq!(alerts.len(), files.len(), "{alerts:#?}");
    for (_, name, why) in &files {
        let key = format!("{dir}{name}");
        let alert = alerts
            .iter()
            .find(|a| a.finding.key.as_deref() == Some(key.as_str()))
            .unwrap_or_else(|| panic!("no alert for {key}"));
        let reason = assert_unreadable(alert, &stack.bucket, &key, "111122223333", "us-east-1");
        assert!(reason.contains(why), "{key}: {reason}");
    }
}

#[tokio::test]
async fn keys_with_spaces_and_unicode() {
    let moto = MotoServer::start();
    let stack = Stack::new(&moto, "unicode").await;
    let key = "équipe 日本/AWSLogs/111122223333/CloudTrail/us-east-1/2024/02/08/111122223333_CloudTrail_us-east-1_20240208T1210Z_é 日本+1.json.gz";
    stack
        .upload_to(&stack.bucket, key, &format!("logs/{PROD_2024}"))
        .await;
    let (_, notifications) = stack.s3_notifications().await;
    let raw = raw_key(&body_json(&notifications[0]));
    assert!(
        raw.contains("%C3%A9")
            && raw.contains("%E6%97%A5")
            && raw.contains('+')
            && raw.contains("%2B"),
        "{raw}"
    );
    let app = stack.app(&[]).await;

    let response = invoke(&app, sqs_event(&stack.notifications, &[&notifications[0]]))
        .await
        .expect("an SQS batch response");
    assert_eq!(batch_item_failures(&response), Vec::<String>::new());
    let alerts = stack.alerts().await;
    assert_findings(&alerts, &stack.bucket, &[(key, PROD_2024)]);

    // The same object named by EventBridge, which sends the key as it is.
    let eventbridge = json!({
        "version": "0", "id": "4d5c7a9e-1f2b-4c3d-9e8f-0a1b2c3d4e5f", "detail-type": "Object Created",
        "source": "aws.s3", "account": "123456789012", "time": "2024-02-08T12:10:05Z", "region": "us-east-1",
        "resources": [format!("arn:aws:s3:::{}", stack.bucket)],
        "detail": { "version": "0", "bucket": { "name": stack.bucket }, "object": { "key": key },
                    "reason": "PutObject" }
    });
    assert_eq!(invoke(&app, eventbridge).await, Ok(json!({ "files": 1 })));
    assert_findings(&stack.alerts().await, &stack.bucket, &[(key, PROD_2024)]);
}

#[tokio::test]
async fn digest_insight_and_other_keys_are_skipped() {
    let moto = MotoServer::start();
    let stack = Stack::new(&moto, "skipped").await;
    // The uncompressed copy has a finding in the oracle (replay reads it),
    // but CloudTrail never writes `.json`: the Lambda skips it by name.
    for key in [DIGEST, INSIGHT, UNCOMPRESSED] {
        stack.upload_log(key).await;
    }
    let (_, notifications) = stack.s3_notifications().await;
    assert_eq!(notifications.len(), 3);
    let batch: Vec<_> = notifications.iter().collect();
    let app = stack.app(&[]).await;

    let response = invoke(&app, sqs_event(&stack.notifications, &batch))
        .await
        .expect("an SQS batch response");
    assert_eq!(batch_item_failures(&response), Vec::<String>::new());
    assert!(
        stack.alerts().await.is_empty(),
        "no alert for a digest, an Insights file or a .json"
    );
    let job = json!({
        "invocationSchemaVersion": "2.0",
        "invocationId": "ZGlnZXN0",
        "job": { "id": "7e1b2c3d-0000-4000-8000-000000000003" },
        "tasks": [{ "taskId": "d", "s3Key": batch_encode(DIGEST), "s3VersionId": null, "s3Bucket": stack.bucket }]
    });
    let response = invoke(&app, job).await.expect("a Batch response");
    assert_eq!(response["results"][0]["resultCode"], "Succeeded");
    assert!(
        response["results"][0]["resultString"]
            .as_str()
            .unwrap_or("")
            .contains("digest"),
        "{response}"
    );
    assert!(stack.alerts().await.is_empty());
}

#[tokio::test]
async fn allowed_buckets_refuse_events_for_other_buckets() {
    let moto = MotoServer::start();
    let stack = Stack::new(&moto, "allowed").await;
    let other = "other-allowed";
    stack.add_bucket(other).await;
    stack.upload_log(PROD_2024).await;
    stack
        .upload_to(other, PROD_2024, &format!("logs/{PROD_2024}"))
        .await;
    let (_, notifications) = stack.s3_notifications().await;
    assert_eq!(notifications.len(), 2);
    let batch: Vec<_> = notifications.iter().collect();
    let app = stack
        .app(&[(
            "TRAILWATCH_ALLOWED_BUCKETS",
            &format!(" {} ,", stack.bucket),
        )])
        .await;

    let response = invoke(&app, sqs_event(&stack.notifications, &batch))
        .await
        .expect("an SQS batch response");
    assert_eq!(
        batch_item_failures(&response),
        Vec::<String>::new(),
        "a refusal is final, not retried"
    );
    assert_findings(
        &stack.alerts().await,
        &stack.bucket,
        &[(PROD_2024, PROD_2024)],
    );

    // A bucket that does not exist: had it been read, the 404 would have
    // raised an unreadable-log-file alert.
    let mut event = body_json(&notifications[0]);
    event["Records"][0]["s3"]["bucket"]["name"] = json!("no-such-bucket-anywhere");
    assert!(invoke(&app, event).await.is_ok());
    let job = json!({
        "invocationSchemaVersion": "2.0",
        "invocationId": "b3RoZXI",
        "job": { "id": "7e1b2c3d-0000-4000-8000-000000000004" },
        "tasks": [{ "taskId": "o", "s3Key": PROD_2024, "s3VersionId": null, "s3Bucket": other }]
    });
    let response = invoke(&app, job).await.expect("a Batch response");
    assert_eq!(
        response["results"][0]["resultCode"], "PermanentFailure",
        "{response}"
    );
    assert!(
        stack.alerts().await.is_empty(),
        "nothing read from buckets outside the list"
    );
}

/// A shared buffer that JSON log lines are written to, so a test can read
/// what the function logged.
#[derive(Clone, Default)]
struct CapturedLogs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for CapturedLogs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl CapturedLogs {
    fn lines(&self) -> Vec<Value> {
        String::from_utf8(self.0.lock().unwrap().clone())
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON log line"))
            .collect()
    }
}

/// A PutBucketAcl making `bucket` public-read, as CloudTrail logs it.
fn public_acl_record(event_id: &str, bucket: &str) -> Value {
    json!({
        "eventVersion": "1.08", "eventTime": "2024-02-08T12:02:00Z",
        "eventSource": "s3.amazonaws.com", "eventName": "PutBucketAcl",
        "awsRegion": "us-east-1", "sourceIPAddress": "198.51.100.7",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/dev", "accountId": "111122223333"},
        "requestParameters": {"bucketName": bucket, "x-amz-acl": ["public-read"], "acl": [""]},
        "eventID": event_id, "recipientAccountId": "111122223333"
    })
}

/// Stores `doc` gzipped as the log file `PROD_2024` of the stack's trail
/// bucket, invokes the function with its notification through SQS, and
/// checks that nothing is retried.
async fn invoke_on_log(stack: &Stack, doc: &str) {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, doc.as_bytes()).unwrap();
    stack
        .s3
        .put_object()
        .bucket(&stack.bucket)
        .key(PROD_2024)
        .body(aws_sdk_s3::primitives::ByteStream::from(
            gz.finish().unwrap(),
        ))
        .send()
        .await
        .expect("PutObject");
    let (_, notifications) = stack.s3_notifications().await;
    let app = stack.app(&[]).await;
    let response = invoke(&app, sqs_event(&stack.notifications, &[&notifications[0]]))
        .await
        .expect("an SQS batch response");
    assert_eq!(batch_item_failures(&response), Vec::<String>::new());
}

/// A log file whose first record nests 80 levels deep, then one over the
/// size cap naming a watched event, then a public ACL: the ACL is alerted
/// with its bucket, the oversized PutBucketPolicy is alerted as a finding
/// that cannot be shown private, both skipped records are logged by name,
/// and nothing is reported unreadable or retried.
#[tokio::test]
async fn a_skipped_record_does_not_hide_the_exposure_after_it() {
    let logs = CapturedLogs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::INFO)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let moto = MotoServer::start();
    let stack = Stack::new(&moto, "skipped").await;
    let deep = format!(
        r#"{{"eventVersion":"1.08","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","eventID":"deep-1","requestParameters":{{"x":{}1{}}}}}"#,
        "[".repeat(80),
        "]".repeat(80)
    );
    let oversized = json!({
        "eventVersion": "1.08", "eventTime": "2024-02-08T12:01:00Z",
        "eventSource": "s3.amazonaws.com", "eventName": "PutBucketPolicy",
        "awsRegion": "us-east-1", "userAgent": "u".repeat(2 << 20),
        "requestParameters": {"bucketName": "hidden-policy"},
        "eventID": "oversized-1", "recipientAccountId": "111122223333"
    });
    let acl = public_acl_record("acl-after-deep", "after-deep");
    let doc = format!(r#"{{"Records":[{deep},{oversized},{acl}]}}"#);
    invoke_on_log(&stack, &doc).await;

    let mut alerts = stack.alerts().await;
    alerts.sort_by(|a, b| a.finding.event_id.cmp(&b.finding.event_id));
    let found: Vec<(&str, &str, Option<&str>)> = alerts
        .iter()
        .map(|a| {
            assert_well_formed(a);
            (
                a.finding.event_id.as_str(),
                a.finding.kind.as_str(),
                a.finding.bucket.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("acl-after-deep", "bucket-acl-public", Some("after-deep")),
            ("oversized-1", "bucket-policy-public", Some("hidden-policy")),
        ]
    );
    assert!(alerts[1].finding.reason.contains("was not evaluated"));

    let skipped: Vec<String> = logs
        .lines()
        .into_iter()
        .filter(|l| l["fields"]["message"] == "record skipped; the rest of the file was read")
        .map(|l| l["fields"]["record"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    assert!(
        skipped[0].starts_with("record 1 (at byte 12, eventID deep-1"),
        "{}",
        skipped[0]
    );
    assert!(skipped[0].ends_with("skipped: nests deeper than 64 levels"));
    assert!(skipped[1].contains("eventID oversized-1"), "{}", skipped[1]);
    assert!(skipped[1].ends_with("skipped: larger than 1048576 bytes"));
}

/// Damage to the file itself (here, brackets that do not match after the
/// first record) ends the file, but the exposure read before the damage is
/// still alerted, beside the unreadable-log-file alert.
#[tokio::test]
async fn findings_before_damage_are_alerted_with_the_damage() {
    let moto = MotoServer::start();
    let stack = Stack::new(&moto, "damaged").await;
    let acl = public_acl_record("acl-before-damage", "before-damage");
    let doc = format!(r#"{{"Records":[{acl},{{"eventName":"X","a":[1}}]}}"#);
    invoke_on_log(&stack, &doc).await;
    let alerts = stack.alerts().await;
    let mut kinds: Vec<(&str, Option<&str>)> = alerts
        .iter()
        .map(|a| (a.finding.kind.as_str(), a.finding.bucket.as_deref()))
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        [
            ("bucket-acl-public", Some("before-damage")),
            ("unreadable-log-file", Some(stack.bucket.as_str())),
        ]
    );
    let unreadable = alerts
        .iter()
        .find(|a| a.finding.kind.as_str() == "unreadable-log-file")
        .unwrap();
    let reason = assert_unreadable(
        unreadable,
        &stack.bucket,
        PROD_2024,
        "111122223333",
        "us-east-1",
    );
    assert!(
        reason.contains("record 2 has mismatched brackets"),
        "{reason}"
    );
}
