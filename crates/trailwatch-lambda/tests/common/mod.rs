//! Shared harness for the Lambda's end-to-end tests: a trail bucket on a
//! real moto_server whose ObjectCreated notifications go to an SQS queue,
//! an SNS alert topic with an SQS subscriber queue, the fixture oracle, and
//! the assertions every form of invocation must pass.
//!
//! Everything talks to moto through the real aws-sdk-s3/sns/sqs clients.

#![allow(dead_code)] // each test file uses a different part of the harness

pub mod runtime;

use std::collections::BTreeMap;
use std::path::Path;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Event, NotificationConfiguration, QueueConfiguration, TopicConfiguration};
use aws_sdk_sqs::types::{Message, MessageSystemAttributeName, QueueAttributeName};
use lambda_runtime::{Context, LambdaEvent};
use serde::Deserialize;
use serde_json::{json, Value};
use trailwatch_aws::SdkConfig;
use trailwatch_core::Finding;
use trailwatch_lambda::{App, Settings};
pub use trailwatch_testkit::{fixture, MotoServer};

pub const REGION: &str = "us-east-1";

// Fixture log files, by their CloudTrail key (the path after fixtures/logs/).
/// prod us-east-1 2024-02-08: a duplicated eventID, control characters in a user agent.
pub const PROD_2024: &str = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/02/08/111122223333_CloudTrail_us-east-1_20240208T1210Z_9wVhnnhWLzDYJGfT.json.gz";
/// org ap-southeast-2 2024-09-12: object ACLs on keys with unicode, quotes and a newline.
pub const ORG_OBJECTS: &str = "AWSLogs/o-abc123def4/777788889999/CloudTrail/ap-southeast-2/2024/09/12/777788889999_CloudTrail_ap-southeast-2_20240912T0405Z_5n8Rzm45fibdLwde.json.gz";
/// prod us-east-1 2022-12-06: grant headers, 7 findings.
pub const PROD_HEADERS: &str = "AWSLogs/111122223333/CloudTrail/us-east-1/2022/12/06/111122223333_CloudTrail_us-east-1_20221206T1830Z_rDsd9yZp5UneuW82.json.gz";
/// dev us-east-1 2024-06-30: 11 policy findings (more than one PublishBatch).
pub const DEV_CONDITIONS: &str = "AWSLogs/444455556666/CloudTrail/us-east-1/2024/06/30/444455556666_CloudTrail_us-east-1_20240630T2040Z_jd8LR8bmRQ3A8xbn.json.gz";
/// A trail with the S3 key prefix `audit logs+v2/` (space and plus).
pub const PREFIXED: &str = "audit logs+v2/AWSLogs/444455556666/CloudTrail/ap-southeast-2/2025/05/14/444455556666_CloudTrail_ap-southeast-2_20250514T0320Z_gHojvpxrbgYHzG7t.json.gz";
/// prod us-west-2 2025-01-15: account and bucket BPA.
pub const PROD_WEST_2025: &str = "AWSLogs/111122223333/CloudTrail/us-west-2/2025/01/15/111122223333_CloudTrail_us-west-2_20250115T1735Z_NJc4e8vPYnM47KVi.json.gz";
/// org us-west-2 2023-07-19: access point policies.
pub const ORG_ACCESS_POINTS: &str = "AWSLogs/o-abc123def4/777788889999/CloudTrail/us-west-2/2023/07/19/777788889999_CloudTrail_us-west-2_20230719T1325Z_BfBjAffwyhDwCrUf.json.gz";
/// prod eu-west-1 2023-11-21: decoys only, no finding.
pub const CLEAN_DECOYS: &str = "AWSLogs/111122223333/CloudTrail/eu-west-1/2023/11/21/111122223333_CloudTrail_eu-west-1_20231121T0850Z_KmkNa6auJ0ZhlAx9.json.gz";
/// dev us-west-2 2026-02-02: exactly `{"Records":[]}`.
pub const EMPTY_RECORDS: &str = "AWSLogs/444455556666/CloudTrail/us-west-2/2026/02/02/444455556666_CloudTrail_us-west-2_20260202T0005Z_gxrGKejoTlKt3ZXz.json.gz";
/// A digest file (not `{"Records":...}`): must be skipped.
pub const DIGEST: &str = "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/02/08/111122223333_CloudTrail-Digest_us-east-1_management-events_us-east-1_20240208T130643Z.json.gz";
/// An Insights file that mentions PutBucketAcl: must be skipped by path.
pub const INSIGHT: &str = "AWSLogs/111122223333/CloudTrail-Insight/us-east-1/2024/02/08/111122223333_CloudTrail-Insight_us-east-1_20240208T1215Z_VLhO97LLsjHDsZbc.json.gz";
/// The uncompressed `.json` copy (not a name CloudTrail writes): skipped by the Lambda.
pub const UNCOMPRESSED: &str = "AWSLogs/111122223333/CloudTrail/us-east-1/2025/03/03/111122223333_CloudTrail_us-east-1_20250303T1055Z_IWXcvZE91Ts8ZDkc.json";

/// One line of fixtures/logs-expected.jsonl.
#[derive(Debug, Clone, Deserialize)]
pub struct Expected {
    pub log_file: String,
    pub event_id: String,
    pub kind: String,
    pub severity: String,
    pub bucket: Option<String>,
    pub key: Option<String>,
    pub account: String,
    pub region: String,
    pub event_name: String,
    pub event_time: String,
}

/// The oracle's findings for one fixture log file.
pub fn expected(fixture_key: &str) -> Vec<Expected> {
    let wanted = format!("fixtures/logs/{fixture_key}");
    trailwatch_testkit::oracle("logs-expected.jsonl")
        .into_iter()
        .map(|l| serde_json::from_value::<Expected>(l).expect("an oracle line"))
        .filter(|e| e.log_file == wanted)
        .collect()
}

/// An SQS queue.
#[derive(Debug, Clone)]
pub struct Queue {
    pub url: String,
    pub arn: String,
}

/// One alert as an SQS subscriber of the topic received it.
#[derive(Debug, Clone)]
pub struct Delivered {
    /// The SNS envelope's `Subject`.
    pub subject: String,
    /// The SNS envelope's `MessageAttributes`, name to value.
    pub attributes: BTreeMap<String, String>,
    /// The SNS envelope's `Message`: the `sqs` variant of the message structure.
    pub message: String,
    /// `message`, parsed.
    pub finding: Finding,
}

/// A trail bucket with notifications to a queue, and an alert topic with an
/// SQS subscriber, on one moto_server.
pub struct Stack {
    pub sdk: SdkConfig,
    pub s3: aws_sdk_s3::Client,
    pub sns: aws_sdk_sns::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub name: String,
    pub bucket: String,
    pub topic_arn: String,
    /// Where moto delivers the trail bucket's S3 event notifications.
    pub notifications: Queue,
    /// Subscribed (protocol sqs, no raw delivery) to the alert topic.
    pub subscriber: Queue,
}

impl Stack {
    /// Creates the stack on `moto` with dummy credentials; `name` makes
    /// every resource name unique to the test.
    pub async fn new(moto: &MotoServer, name: &str) -> Stack {
        Stack::with_config(moto.sdk_config().await, name).await
    }

    /// Creates the stack with the given configuration.
    pub async fn with_config(sdk: SdkConfig, name: &str) -> Stack {
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&sdk)
                .force_path_style(true)
                .build(),
        );
        let sns = aws_sdk_sns::Client::new(&sdk);
        let sqs = aws_sdk_sqs::Client::new(&sdk);
        let mut stack = Stack {
            sdk,
            s3,
            sns,
            sqs,
            name: name.to_owned(),
            bucket: format!("trail-{name}"),
            topic_arn: String::new(),
            notifications: Queue {
                url: String::new(),
                arn: String::new(),
            },
            subscriber: Queue {
                url: String::new(),
                arn: String::new(),
            },
        };
        stack.notifications = stack.create_queue(&format!("{name}-s3-events")).await;
        let bucket = stack.bucket.clone();
        stack.add_bucket(&bucket).await;
        stack.topic_arn = stack.create_topic(&format!("{name}-alerts")).await;
        stack.subscriber = stack
            .create_queue(&format!("{name}-alerts-subscriber"))
            .await;
        stack
            .subscribe(&stack.topic_arn, "sqs", &stack.subscriber.arn)
            .await;
        stack
    }

    /// Creates a bucket whose ObjectCreated notifications go to the
    /// notification queue.
    pub async fn add_bucket(&self, bucket: &str) {
        self.s3
            .create_bucket()
            .bucket(bucket)
            .send()
            .await
            .expect("CreateBucket");
        self.notify(bucket, None).await;
    }

    /// (Re)configures `bucket`'s notifications: `s3:ObjectCreated:*` to the
    /// notification queue, and to `topic_arn` when given. moto sends an
    /// `s3:TestEvent` to each destination, as S3 does.
    pub async fn notify(&self, bucket: &str, topic_arn: Option<&str>) {
        let queue = QueueConfiguration::builder()
            .id("trailwatch-object-created")
            .queue_arn(&self.notifications.arn)
            .events(Event::from("s3:ObjectCreated:*"))
            .build()
            .expect("a queue configuration");
        let mut config = NotificationConfiguration::builder().queue_configurations(queue);
        if let Some(topic_arn) = topic_arn {
            config = config.topic_configurations(
                TopicConfiguration::builder()
                    .id("trailwatch-object-created-sns")
                    .topic_arn(topic_arn)
                    .events(Event::from("s3:ObjectCreated:*"))
                    .build()
                    .expect("a topic configuration"),
            );
        }
        self.s3
            .put_bucket_notification_configuration()
            .bucket(bucket)
            .notification_configuration(config.build())
            .send()
            .await
            .expect("PutBucketNotificationConfiguration");
    }

    pub async fn create_queue(&self, name: &str) -> Queue {
        let url = self
            .sqs
            .create_queue()
            .queue_name(name)
            // Received messages stay hidden for the whole test, however
            // slow the machine: a drain never sees one twice.
            .attributes(QueueAttributeName::VisibilityTimeout, "43200")
            .send()
            .await
            .expect("CreateQueue")
            .queue_url()
            .expect("a queue URL")
            .to_owned();
        let attributes = self
            .sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .expect("GetQueueAttributes");
        let arn = attributes
            .attributes()
            .and_then(|a| a.get(&QueueAttributeName::QueueArn))
            .expect("a queue ARN")
            .to_owned();
        Queue { url, arn }
    }

    pub async fn create_topic(&self, name: &str) -> String {
        self.sns
            .create_topic()
            .name(name)
            .send()
            .await
            .expect("CreateTopic")
            .topic_arn()
            .expect("a topic ARN")
            .to_owned()
    }

    /// Subscribes `endpoint` to `topic_arn`; returns the subscription ARN.
    pub async fn subscribe(&self, topic_arn: &str, protocol: &str, endpoint: &str) -> String {
        self.sns
            .subscribe()
            .topic_arn(topic_arn)
            .protocol(protocol)
            .endpoint(endpoint)
            .return_subscription_arn(true)
            .send()
            .await
            .expect("Subscribe")
            .subscription_arn()
            .expect("a subscription ARN")
            .to_owned()
    }

    /// Uploads `fixtures/<fixture_path>` as `s3://bucket/key`.
    pub async fn upload_to(&self, bucket: &str, key: &str, fixture_path: &str) {
        let bytes = std::fs::read(fixture(fixture_path))
            .unwrap_or_else(|e| panic!("reading {fixture_path}: {e}"));
        self.s3
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "PutObject {key}: {}",
                    aws_sdk_s3::error::DisplayErrorContext(&e)
                )
            });
    }

    /// Uploads the fixture log file `fixtures/logs/<key>` to the trail
    /// bucket under its real CloudTrail key.
    pub async fn upload_log(&self, key: &str) {
        self.upload_to(&self.bucket, key, &format!("logs/{key}"))
            .await;
    }

    /// Every message now in `queue` (moto delivers synchronously, so what
    /// was sent before this call is there).
    pub async fn drain(&self, queue: &Queue) -> Vec<Message> {
        let mut all = Vec::new();
        loop {
            let batch = self
                .sqs
                .receive_message()
                .queue_url(&queue.url)
                .max_number_of_messages(10)
                .wait_time_seconds(0)
                .message_system_attribute_names(MessageSystemAttributeName::All)
                .message_attribute_names("All")
                .send()
                .await
                .expect("ReceiveMessage");
            let messages = batch.messages().to_vec();
            if messages.is_empty() {
                return all;
            }
            all.extend(messages);
        }
    }

    /// The S3 event notifications moto delivered to the notification queue,
    /// split into (test events, object notifications).
    pub async fn s3_notifications(&self) -> (Vec<Message>, Vec<Message>) {
        self.drain(&self.notifications)
            .await
            .into_iter()
            .partition(|m| {
                body_json(m).get("Event").and_then(Value::as_str) == Some("s3:TestEvent")
            })
    }

    /// The alerts received by the subscriber queue since the last call.
    pub async fn alerts(&self) -> Vec<Delivered> {
        self.drain(&self.subscriber)
            .await
            .iter()
            .map(delivered)
            .collect()
    }

    /// The function's state, as `bootstrap` builds it, with `SNS_TOPIC_ARN`
    /// set to the stack's topic and `extra` variables.
    pub async fn app(&self, extra: &[(&str, &str)]) -> App {
        self.app_with(&self.sdk, &self.topic_arn, extra).await
    }

    /// The function's state with another configuration or topic.
    pub async fn app_with(&self, sdk: &SdkConfig, topic_arn: &str, extra: &[(&str, &str)]) -> App {
        let vars = function_vars(topic_arn, extra);
        let settings =
            Settings::from_lookup(|name| vars.get(name).cloned()).expect("valid settings");
        App::new(sdk, settings).await.expect("the app starts")
    }
}

/// The function's own variables as the tests configure it, in process
/// ([`Stack::app_with`]) or as the `bootstrap` process
/// ([`Stack::invoke_bootstrap`]): `SNS_TOPIC_ARN`, the live check off, and
/// `extra` over them.
pub fn function_vars(topic_arn: &str, extra: &[(&str, &str)]) -> BTreeMap<String, String> {
    // The live check asks S3 about the fixtures' buckets, which do not
    // exist here: off unless a test turns it on (tests/confirm.rs).
    let mut vars = BTreeMap::from([
        ("SNS_TOPIC_ARN".to_owned(), topic_arn.to_owned()),
        ("TRAILWATCH_CONFIRM".to_owned(), "off".to_owned()),
    ]);
    vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    vars
}

/// A received message's body, as JSON.
pub fn body_json(message: &Message) -> Value {
    serde_json::from_str(message.body().expect("a body")).expect("a JSON body")
}

/// The object key a moto S3 notification names, as sent (URL-encoded).
pub fn raw_key(notification: &Value) -> String {
    notification
        .pointer("/Records/0/s3/object/key")
        .and_then(Value::as_str)
        .expect("an S3 notification")
        .to_owned()
}

/// Decodes a key the way S3 notifications encode it (`+` is a space, then
/// percent-decoding): the test's own decoder, independent of the product's.
pub fn s3_decode(raw: &str) -> String {
    let spaced = raw.replace('+', " ");
    let bytes = spaced.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            out.push(u8::from_str_radix(&spaced[i + 1..i + 3], 16).expect("a percent escape"));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("UTF-8")
}

/// The notification (among `messages`) that names `key`.
pub fn notification_for<'a>(messages: &'a [Message], key: &str) -> &'a Message {
    messages
        .iter()
        .find(|m| s3_decode(&raw_key(&body_json(m))) == key)
        .unwrap_or_else(|| panic!("no S3 notification for {key}"))
}

/// A Lambda SQS event for `messages` received from `queue`, in the shape
/// the SQS event source mapping sends.
pub fn sqs_event(queue: &Queue, messages: &[&Message]) -> Value {
    let records: Vec<Value> = messages
        .iter()
        .map(|m| {
            let attributes: BTreeMap<&str, &str> = m
                .attributes()
                .map(|a| a.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect())
                .unwrap_or_default();
            let message_attributes: BTreeMap<&str, Value> = m
                .message_attributes()
                .map(|a| {
                    a.iter()
                        .map(|(k, v)| {
                            (
                                k.as_str(),
                                json!({"stringValue": v.string_value(), "dataType": v.data_type()}),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            json!({
                "messageId": m.message_id().expect("a message id"),
                "receiptHandle": m.receipt_handle().expect("a receipt handle"),
                "body": m.body().expect("a body"),
                "attributes": attributes,
                "messageAttributes": message_attributes,
                "md5OfBody": m.md5_of_body().expect("an MD5"),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue.arn,
                "awsRegion": REGION,
            })
        })
        .collect();
    json!({ "Records": records })
}

/// A Lambda SNS event (as Lambda receives a topic's message) made from the
/// SNS envelope an SQS subscriber of the same topic received.
pub fn sns_event(envelope: &Value, subscription_arn: &str) -> Value {
    let field = |name: &str| envelope.get(name).cloned().unwrap_or(Value::Null);
    json!({
        "Records": [{
            "EventSource": "aws:sns",
            "EventVersion": "1.0",
            "EventSubscriptionArn": subscription_arn,
            "Sns": {
                "Type": field("Type"),
                "MessageId": field("MessageId"),
                "TopicArn": field("TopicArn"),
                "Subject": field("Subject"),
                "Message": field("Message"),
                "Timestamp": field("Timestamp"),
                "SignatureVersion": field("SignatureVersion"),
                "Signature": field("Signature"),
                "SigningCertUrl": field("SigningCertURL"),
                "UnsubscribeUrl": field("UnsubscribeURL"),
                "MessageAttributes": envelope.get("MessageAttributes").cloned().unwrap_or_else(|| json!({})),
            }
        }]
    })
}

/// Calls the function's handler as the runtime would.
pub async fn invoke(app: &App, event: Value) -> Result<Value, String> {
    trailwatch_lambda::handle(app, LambdaEvent::new(event, Context::default()))
        .await
        .map_err(|e| e.to_string())
}

/// The ids of the messages an SQS batch response asks to retry.
pub fn batch_item_failures(response: &Value) -> Vec<String> {
    response
        .get("batchItemFailures")
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("not an SQS batch response: {response}"))
        .iter()
        .map(|f| {
            f["itemIdentifier"]
                .as_str()
                .expect("an itemIdentifier")
                .to_owned()
        })
        .collect()
}

/// Parses one subscriber message: the SNS envelope around the alert.
pub fn delivered(message: &Message) -> Delivered {
    let envelope = body_json(message);
    assert_eq!(envelope["Type"], "Notification", "{envelope}");
    let text = envelope["Message"].as_str().expect("a Message").to_owned();
    let finding: Finding = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("the sqs variant is not a finding ({e}): {text}"));
    let attributes = envelope
        .get("MessageAttributes")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    assert_eq!(v["Type"], "String", "attribute {k}: {v}");
                    (k.clone(), v["Value"].as_str().expect("a value").to_owned())
                })
                .collect()
        })
        .unwrap_or_default();
    Delivered {
        subject: envelope["Subject"].as_str().expect("a Subject").to_owned(),
        attributes,
        message: text,
        finding,
    }
}

/// What every delivered alert must satisfy, whatever it is about: a short
/// ASCII subject, attributes that match the finding, and a message that is
/// the `sqs` variant of what `trailwatch_aws::render` produces for it.
pub fn assert_well_formed(alert: &Delivered) {
    let f = &alert.finding;
    let subject = &alert.subject;
    assert!(subject.len() <= 100, "subject longer than 100: {subject}");
    assert!(
        subject.chars().all(|c| c.is_ascii_graphic() || c == ' '),
        "subject not printable ASCII: {subject:?}"
    );
    let head = format!(
        "[trailwatch] {} {} ",
        f.severity.as_str().to_ascii_uppercase(),
        f.kind
    );
    assert!(
        subject.starts_with(&head),
        "subject {subject:?} does not start with {head:?}"
    );
    let mut want = BTreeMap::from([
        ("kind".to_owned(), f.kind.to_string()),
        ("severity".to_owned(), f.severity.to_string()),
        ("exposure".to_owned(), f.exposure.to_string()),
    ]);
    if !f.account.is_empty() {
        want.insert("account".into(), f.account.clone());
    }
    if let Some(bucket) = &f.bucket {
        want.insert("bucket".into(), bucket.clone());
    }
    assert_eq!(alert.attributes, want, "message attributes of {subject}");
    let rendered: Value =
        serde_json::from_str(&trailwatch_aws::render(f).message).expect("JSON structure");
    assert_eq!(
        rendered["sqs"].as_str(),
        Some(alert.message.as_str()),
        "the sqs variant"
    );
}

/// Asserts that `alerts` are exactly the oracle's findings for `files`
/// (pairs of S3 key in `bucket` and fixture key), each exactly once, with
/// the right fields and envelope.
pub fn assert_findings(alerts: &[Delivered], bucket: &str, files: &[(&str, &str)]) {
    assert_findings_where(alerts, bucket, files, |_| true)
}

/// [`assert_findings`] for the oracle's findings that `keep` keeps.
pub fn assert_findings_where(
    alerts: &[Delivered],
    bucket: &str,
    files: &[(&str, &str)],
    keep: impl Fn(&Expected) -> bool,
) {
    let mut want: BTreeMap<(String, String), (Expected, String)> = BTreeMap::new();
    for (key, fixture_key) in files {
        let found = expected(fixture_key);
        assert!(
            !found.is_empty(),
            "the oracle has no finding for {fixture_key}"
        );
        for e in found.into_iter().filter(|e| keep(e)) {
            let id = (e.event_id.clone(), e.kind.clone());
            assert!(want
                .insert(id, (e, format!("s3://{bucket}/{key}")))
                .is_none());
        }
    }
    let mut seen: BTreeMap<(String, String), usize> = BTreeMap::new();
    for alert in alerts {
        assert_well_formed(alert);
        let f = &alert.finding;
        let id = (f.event_id.clone(), f.kind.to_string());
        *seen.entry(id.clone()).or_default() += 1;
        let (e, log_file) = want.get(&id).unwrap_or_else(|| {
            panic!(
                "unexpected alert {id:?} ({}) from {}",
                alert.subject, f.log_file
            )
        });
        assert_eq!(f.severity.as_str(), e.severity, "severity of {id:?}");
        assert_eq!(f.bucket, e.bucket, "bucket of {id:?}");
        assert_eq!(f.key, e.key, "key of {id:?}");
        assert_eq!(f.account, e.account, "account of {id:?}");
        assert_eq!(f.region, e.region, "region of {id:?}");
        assert_eq!(f.event_name, e.event_name, "event name of {id:?}");
        assert_eq!(f.event_time, e.event_time, "event time of {id:?}");
        assert_eq!(&f.log_file, log_file, "log file of {id:?}");
        assert!(!f.reason.is_empty(), "no reason for {id:?}");
    }
    let repeated: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(repeated.is_empty(), "alerted more than once: {repeated:?}");
    let missing: Vec<_> = want.keys().filter(|k| !seen.contains_key(*k)).collect();
    assert!(
        missing.is_empty(),
        "expected findings that never arrived: {missing:?}"
    );
}

/// Asserts that `alert` reports `s3://bucket/key` as unreadable, with the
/// account and region the key's layout names, and returns its reason.
pub fn assert_unreadable(
    alert: &Delivered,
    bucket: &str,
    key: &str,
    account: &str,
    region: &str,
) -> String {
    assert_well_formed(alert);
    let f = &alert.finding;
    assert_eq!(f.kind.as_str(), "unreadable-log-file", "{}", alert.subject);
    assert_eq!(f.severity.as_str(), "high");
    assert_eq!(f.bucket.as_deref(), Some(bucket));
    assert_eq!(f.key.as_deref(), Some(key));
    assert_eq!(f.log_file, format!("s3://{bucket}/{key}"));
    assert_eq!((f.account.as_str(), f.region.as_str()), (account, region));
    f.reason.clone()
}

/// Reads a shipped event payload.
pub fn event_fixture(name: &str) -> Value {
    let path = fixture(&format!("events/{name}"));
    serde_json::from_str(&std::fs::read_to_string(Path::new(&path)).expect("reading an event"))
        .expect("JSON")
}
