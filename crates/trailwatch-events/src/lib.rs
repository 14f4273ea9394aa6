//! trailwatch-events recognises what invoked the trailwatch Lambda, from the
//! event's shape alone, and names the CloudTrail log objects it points at.
//! It is pure (no AWS SDK, no I/O) so that it can be fuzzed and tested with
//! real event JSON.
//!
//! Notifications are parsed tolerantly: S3-compatible stores (and moto) omit
//! fields that `aws_lambda_events`'s strict S3 types require, so only the
//! fields trailwatch needs are read, and everything else may be missing.

use serde::Deserialize;
use serde_json::Value;
use thiserror::Error;

/// A log object named by an event. Some event sources URL-encode keys and
/// some do not, so where the encoding is not certain the other reading is
/// kept and tried if the first one does not exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRef {
    /// The bucket.
    pub bucket: String,
    /// The key, as best understood.
    pub key: String,
    /// The other reading of the key, when it differs.
    pub alternate_key: Option<String>,
}

impl ObjectRef {
    /// A key that was URL-encoded by the sender (S3 notifications, Batch Operations).
    fn encoded(bucket: &str, raw_key: &str) -> ObjectRef {
        let key = decode_key(raw_key);
        ObjectRef {
            bucket: bucket.to_owned(),
            alternate_key: (key != raw_key).then(|| raw_key.to_owned()),
            key,
        }
    }

    /// A key sent as it is, though possibly encoded (EventBridge).
    fn plain_or_encoded(bucket: &str, raw_key: &str) -> ObjectRef {
        let decoded = decode_key(raw_key);
        ObjectRef {
            bucket: bucket.to_owned(),
            alternate_key: (decoded != raw_key).then_some(decoded),
            key: raw_key.to_owned(),
        }
    }

    /// A key sent as it is (CloudTrail's own notification).
    fn plain(bucket: &str, key: &str) -> ObjectRef {
        ObjectRef {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            alternate_key: None,
        }
    }
}

/// Why an event (or a message inside one) was not understood.
#[derive(Debug, Error)]
pub enum EventError {
    /// Not JSON.
    #[error("the message is not JSON: {0}")]
    NotJson(String),
    /// JSON of no known shape.
    #[error("unrecognised event shape (top-level keys: {0})")]
    Unrecognised(String),
    /// A known shape with a required part missing.
    #[error("malformed {what}: {detail}")]
    Malformed {
        /// Which kind of event.
        what: &'static str,
        /// What is missing.
        detail: String,
    },
}

/// One SQS message and what it named.
#[derive(Debug)]
pub struct QueuedMessage {
    /// SQS message id, for `batchItemFailures`.
    pub message_id: String,
    /// The objects, or why the body was not understood.
    pub objects: Result<Vec<ObjectRef>, EventError>,
}

/// One S3 Batch Operations task.
#[derive(Debug)]
pub struct BatchTask {
    /// The task id, echoed in the result.
    pub task_id: String,
    /// The object, or why the task was not understood.
    pub object: Result<ObjectRef, EventError>,
}

/// An S3 Batch Operations invocation.
#[derive(Debug)]
pub struct BatchJob {
    /// `invocationSchemaVersion`, echoed in the response.
    pub schema_version: String,
    /// `invocationId`, echoed in the response.
    pub invocation_id: String,
    /// The tasks (one per object).
    pub tasks: Vec<BatchTask>,
}

/// What invoked the function.
#[derive(Debug)]
pub enum Trigger {
    /// Objects to read: a direct S3 notification, an SNS-wrapped one,
    /// CloudTrail's SNS log-delivery notification, or EventBridge.
    Objects(Vec<ObjectRef>),
    /// S3's `s3:TestEvent`, sent when a notification is configured.
    TestEvent,
    /// An SQS batch: each message is answered on its own.
    Queue(Vec<QueuedMessage>),
    /// An S3 Batch Operations job: each task is answered on its own.
    Batch(BatchJob),
}

/// Recognises an invocation event.
pub fn classify(event: &Value) -> Result<Trigger, EventError> {
    if let Some(records) = event.get("Records").and_then(Value::as_array) {
        let source = records.first().and_then(|r| {
            r.get("eventSource")
                .or_else(|| r.get("EventSource"))
                .and_then(Value::as_str)
        });
        return match source {
            Some("aws:sqs") => Ok(Trigger::Queue(queued_messages(records)?)),
            Some("aws:sns") => sns_records(records).map(Trigger::Objects),
            _ => s3_records(records).map(Trigger::Objects),
        };
    }
    if event.get("invocationSchemaVersion").is_some() && event.get("tasks").is_some() {
        return batch_job(event).map(Trigger::Batch);
    }
    match message_objects(event)? {
        Some(objects) => Ok(Trigger::Objects(objects)),
        None => Ok(Trigger::TestEvent),
    }
}

/// The objects named by a message body (SQS) or SNS `Message`: an S3
/// notification, an SNS envelope around any of these, CloudTrail's
/// log-delivery notification, or an EventBridge event. `None` for a test event.
fn message_objects(message: &Value) -> Result<Option<Vec<ObjectRef>>, EventError> {
    if message.get("Event").and_then(Value::as_str) == Some("s3:TestEvent") {
        return Ok(None);
    }
    if let Some(records) = message.get("Records").and_then(Value::as_array) {
        return s3_records(records).map(Some);
    }
    if message.get("Type").and_then(Value::as_str) == Some("Notification") {
        let inner = message
            .get("Message")
            .and_then(Value::as_str)
            .ok_or_else(|| EventError::Malformed {
                what: "SNS envelope",
                detail: "no Message".into(),
            })?;
        return message_objects(&parse_text(inner)?);
    }
    if let Some(bucket) = message.get("s3Bucket").and_then(Value::as_str) {
        let keys = message
            .get("s3ObjectKey")
            .and_then(Value::as_array)
            .ok_or_else(|| EventError::Malformed {
                what: "CloudTrail notification",
                detail: "no s3ObjectKey list".into(),
            })?;
        return Ok(Some(
            keys.iter()
                .filter_map(Value::as_str)
                .map(|k| ObjectRef::plain(bucket, k))
                .collect(),
        ));
    }
    if message.get("detail-type").is_some() {
        return eventbridge(message).map(Some);
    }
    Err(unrecognised(message))
}

fn parse_text(text: &str) -> Result<Value, EventError> {
    serde_json::from_str(text).map_err(|e| EventError::NotJson(e.to_string()))
}

fn unrecognised(value: &Value) -> EventError {
    let keys = value
        .as_object()
        .map(|m| m.keys().take(8).cloned().collect::<Vec<_>>().join(", "))
        .unwrap_or_else(|| "none: not an object".into());
    EventError::Unrecognised(keys)
}

#[derive(Deserialize)]
struct S3Record {
    #[serde(rename = "eventName", default)]
    event_name: Option<String>,
    s3: S3Entity,
}

#[derive(Deserialize)]
struct S3Entity {
    bucket: Named,
    object: KeyOnly,
}

#[derive(Deserialize)]
struct Named {
    name: String,
}

#[derive(Deserialize)]
struct KeyOnly {
    key: String,
}

/// S3 notification records; only object creations name log files.
fn s3_records(records: &[Value]) -> Result<Vec<ObjectRef>, EventError> {
    let mut objects = Vec::new();
    for record in records {
        let parsed: S3Record =
            serde_json::from_value(record.clone()).map_err(|e| EventError::Malformed {
                what: "S3 notification",
                detail: e.to_string(),
            })?;
        let created = parsed
            .event_name
            .as_deref()
            .is_none_or(|n| n.starts_with("ObjectCreated"));
        if !created {
            tracing::info!(event = ?parsed.event_name, key = %parsed.s3.object.key, "not an object creation; ignored");
            continue;
        }
        objects.push(ObjectRef::encoded(
            &parsed.s3.bucket.name,
            &parsed.s3.object.key,
        ));
    }
    Ok(objects)
}

fn sns_records(records: &[Value]) -> Result<Vec<ObjectRef>, EventError> {
    let mut objects = Vec::new();
    for record in records {
        let message = record
            .pointer("/Sns/Message")
            .and_then(Value::as_str)
            .ok_or_else(|| EventError::Malformed {
                what: "SNS record",
                detail: "no Sns.Message".into(),
            })?;
        if let Some(found) = message_objects(&parse_text(message)?)? {
            objects.extend(found);
        }
    }
    Ok(objects)
}

fn queued_messages(records: &[Value]) -> Result<Vec<QueuedMessage>, EventError> {
    let event: aws_lambda_events::event::sqs::SqsEvent =
        serde_json::from_value(serde_json::json!({ "Records": records })).map_err(|e| {
            EventError::Malformed {
                what: "SQS batch",
                detail: e.to_string(),
            }
        })?;
    Ok(event
        .records
        .into_iter()
        .map(|message| {
            let body = message.body.unwrap_or_default();
            let objects = parse_text(&body)
                .and_then(|v| message_objects(&v))
                .map(Option::unwrap_or_default);
            QueuedMessage {
                message_id: message.message_id.unwrap_or_default(),
                objects,
            }
        })
        .collect())
}

fn eventbridge(event: &Value) -> Result<Vec<ObjectRef>, EventError> {
    let malformed = |detail: &str| EventError::Malformed {
        what: "EventBridge event",
        detail: detail.to_owned(),
    };
    let detail_type = event
        .get("detail-type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if detail_type != "Object Created" {
        tracing::info!(
            detail_type,
            "EventBridge event is not an object creation; ignored"
        );
        return Ok(Vec::new());
    }
    let bucket = event
        .pointer("/detail/bucket/name")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed("no detail.bucket.name"))?;
    let key = event
        .pointer("/detail/object/key")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed("no detail.object.key"))?;
    Ok(vec![ObjectRef::plain_or_encoded(bucket, key)])
}

fn batch_job(event: &Value) -> Result<BatchJob, EventError> {
    let text = |pointer: &str| {
        event
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let tasks = event
        .get("tasks")
        .and_then(Value::as_array)
        .ok_or_else(|| EventError::Malformed {
            what: "S3 Batch Operations job",
            detail: "no tasks".into(),
        })?;
    let tasks = tasks
        .iter()
        .map(|task| {
            let field = |name: &str| task.get(name).and_then(Value::as_str);
            // Schema 1.0 names the bucket by ARN, 2.0 by name.
            let bucket = field("s3Bucket").map(str::to_owned).or_else(|| {
                field("s3BucketArn").map(|arn| arn.rsplit(":::").next().unwrap_or(arn).to_owned())
            });
            let object = match (bucket, field("s3Key")) {
                (Some(bucket), Some(key)) => Ok(ObjectRef::encoded(&bucket, key)),
                _ => Err(EventError::Malformed {
                    what: "S3 Batch Operations task",
                    detail: "no s3Bucket/s3BucketArn or s3Key".into(),
                }),
            };
            BatchTask {
                task_id: field("taskId").unwrap_or_default().to_owned(),
                object,
            }
        })
        .collect();
    Ok(BatchJob {
        schema_version: text("/invocationSchemaVersion"),
        invocation_id: text("/invocationId"),
        tasks,
    })
}

/// Decodes a key as S3 notifications encode it: `+` is a space, then
/// percent-decoding. Invalid escapes are kept as they are.
pub fn decode_key(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(high), Some(low)) => {
                    out.push(high << 4 | low);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| raw.to_owned())
}

fn hex(digit: u8) -> Option<u8> {
    (digit as char).to_digit(16).map(|d| d as u8)
}

/// Whether a key is a CloudTrail log file (not a digest, insight or other object).
pub fn is_cloudtrail_log(key: &str) -> Result<(), &'static str> {
    log_under_cloudtrail(key)?;
    if !key.ends_with(".json.gz") {
        Err("not a .json.gz file")
    } else {
        Ok(())
    }
}

/// Whether a key an S3 Batch Operations task names is a log file to read:
/// what [`is_cloudtrail_log`] accepts, and an uncompressed `.json` copy too.
/// A Batch job replays an archive, so it reads the files `trailwatch
/// replay` reads (and its changes objects fold into what a replay gives);
/// a notification, for a file just written, is trusted only with the
/// `.json.gz` names CloudTrail writes.
pub fn is_replayed_log(key: &str) -> Result<(), &'static str> {
    log_under_cloudtrail(key)?;
    if !key.ends_with(".json.gz") && !key.ends_with(".json") {
        Err("not a .json or .json.gz file")
    } else {
        Ok(())
    }
}

/// A key under `CloudTrail/`, not a digest or Insights file.
fn log_under_cloudtrail(key: &str) -> Result<(), &'static str> {
    if key.contains("/CloudTrail-Digest/") {
        Err("a CloudTrail digest file")
    } else if key.contains("/CloudTrail-Insight/") {
        Err("a CloudTrail Insights file")
    } else if !key.contains("/CloudTrail/") {
        Err("not under a CloudTrail/ prefix")
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_keys_like_s3() {
        assert_eq!(
            decode_key("audit+logs%2Bv2/AWSLogs/a%C3%A9.json.gz"),
            "audit logs+v2/AWSLogs/aé.json.gz"
        );
        assert_eq!(decode_key("100%"), "100%");
        assert_eq!(decode_key("bad%zzescape%4"), "bad%zzescape%4");
        assert_eq!(decode_key("%FF%FE"), "%FF%FE");
        assert_eq!(decode_key("é%"), "é%");
    }

    #[test]
    fn recognises_cloudtrail_keys() {
        assert!(is_cloudtrail_log("AWSLogs/1/CloudTrail/us-east-1/2024/01/01/x.json.gz").is_ok());
        assert!(
            is_cloudtrail_log("AWSLogs/1/CloudTrail-Digest/us-east-1/2024/01/01/x.json.gz")
                .is_err()
        );
        assert!(
            is_cloudtrail_log("AWSLogs/1/CloudTrail-Insight/us-east-1/2024/01/01/x.json.gz")
                .is_err()
        );
        assert!(is_cloudtrail_log("AWSLogs/1/CloudTrail/us-east-1/2024/01/01/x.json").is_err());
        assert!(is_replayed_log("AWSLogs/1/CloudTrail/us-east-1/2024/01/01/x.json").is_ok());
        assert!(is_replayed_log("AWSLogs/1/CloudTrail/us-east-1/2024/01/01/x.json.gz").is_ok());
        assert!(
            is_replayed_log("AWSLogs/1/CloudTrail-Digest/us-east-1/2024/01/01/x.json").is_err()
        );
        assert!(is_replayed_log("AWSLogs/1/CloudTrail/us-east-1/2024/01/01/x.txt").is_err());
        assert!(is_cloudtrail_log("other/x.json.gz").is_err());
    }

    #[test]
    fn unknown_shapes_are_errors_not_silence() {
        let err = classify(&serde_json::json!({"hello": 1})).unwrap_err();
        assert!(err.to_string().contains("hello"), "{err}");
        assert!(classify(&serde_json::json!([1, 2])).is_err());
    }
}
