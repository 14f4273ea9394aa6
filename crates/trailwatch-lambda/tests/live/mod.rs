//! Shared by the live-check tests (tests/confirm.rs, tests/bootstrap.rs):
//! CloudTrail records naming buckets, buckets set up in moto, and the log
//! file that names them.

#![allow(dead_code)] // each test file uses a different part

use aws_sdk_s3::types::ObjectOwnership;
use serde_json::{json, Value};

use crate::common::Stack;

/// moto's account for the dummy `testing` credentials: the function's own.
pub const HOME: &str = "123456789012";
/// The log file the records are stored as (in the home account's layout).
pub const LOG_KEY: &str = "AWSLogs/123456789012/CloudTrail/us-east-1/2026/01/01/123456789012_CloudTrail_us-east-1_20260101T0000Z_c0nf1rmL1veCheck.json.gz";

/// A bucket policy letting anyone read `bucket`'s objects.
pub fn public_policy(bucket: &str) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{
        "Sid": "Open", "Effect": "Allow", "Principal": "*",
        "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{bucket}/*")
    }]})
}

/// A successful S3 management event by `account`'s admin.
pub fn record(id: &str, name: &str, account: &str, params: Value) -> Value {
    json!({
        "eventVersion": "1.09", "eventTime": "2026-01-01T00:00:00Z",
        "eventSource": "s3.amazonaws.com", "eventName": name,
        "awsRegion": "us-east-1", "sourceIPAddress": "198.51.100.7",
        "userAgent": "aws-cli/2",
        "userIdentity": {"type": "IAMUser", "arn": format!("arn:aws:iam::{account}:user/admin"), "accountId": account},
        "requestParameters": params,
        "eventID": id, "recipientAccountId": account,
        "eventType": "AwsApiCall", "managementEvent": true
    })
}

/// A successful PutBucketPolicy of `policy` on `bucket`.
pub fn policy_record(id: &str, account: &str, bucket: &str, policy: &Value) -> Value {
    record(
        id,
        "PutBucketPolicy",
        account,
        json!({"bucketName": bucket, "bucketPolicy": policy, "policy": [""]}),
    )
}

/// Creates `bucket` with ACLs enabled (ObjectWriter).
pub async fn create(s3: &aws_sdk_s3::Client, bucket: &str) {
    s3.create_bucket()
        .bucket(bucket)
        .object_ownership(ObjectOwnership::ObjectWriter)
        .send()
        .await
        .expect("CreateBucket");
}

/// Sets `bucket`'s policy.
pub async fn put_policy(s3: &aws_sdk_s3::Client, bucket: &str, policy: &Value) {
    s3.put_bucket_policy()
        .bucket(bucket)
        .policy(policy.to_string())
        .send()
        .await
        .expect("PutBucketPolicy");
}

/// Stores `records` gzipped as [`LOG_KEY`] in the stack's trail bucket.
pub async fn store_log(stack: &Stack, records: &[Value]) {
    let doc = json!({ "Records": records }).to_string();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, doc.as_bytes()).unwrap();
    stack
        .s3
        .put_object()
        .bucket(&stack.bucket)
        .key(LOG_KEY)
        .body(aws_sdk_s3::primitives::ByteStream::from(
            gz.finish().unwrap(),
        ))
        .send()
        .await
        .expect("PutObject");
}
