//! `trailwatch replay --confirm` against moto_server: each finding's bucket
//! is asked about now, and the output says so (`exposure` and `live_check`
//! in JSON, `now` in the table).

use std::process::Command;

use serde_json::{json, Value};
use trailwatch_testkit::MotoServer;

const KEY: &str = "AWSLogs/123456789012/CloudTrail/us-east-1/2026/01/01/123456789012_CloudTrail_us-east-1_20260101T0000Z_r3playC0nfirmXYZ.json.gz";

fn policy(bucket: &str) -> Value {
    json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{bucket}/*")}]})
}

fn put_policy_record(id: &str, bucket: &str) -> Value {
    json!({
        "eventVersion": "1.09", "eventTime": "2026-01-01T00:00:00Z",
        "eventSource": "s3.amazonaws.com", "eventName": "PutBucketPolicy",
        "awsRegion": "us-east-1", "sourceIPAddress": "198.51.100.7",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/a", "accountId": "123456789012"},
        "requestParameters": {"bucketName": bucket, "bucketPolicy": policy(bucket)},
        "eventID": id, "recipientAccountId": "123456789012"
    })
}

fn replay(moto: &MotoServer, dir: &std::path::Path, args: &[&str]) -> String {
    let output = moto
        .aws_env(&mut Command::new(env!("CARGO_BIN_EXE_trailwatch")))
        .arg("replay")
        .arg(dir)
        .args(args)
        .env_remove("TRAILWATCH_CONFIRM_ROLE")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    String::from_utf8(output.stdout).unwrap()
}

#[tokio::test]
async fn replay_confirm_reports_the_state_now() {
    let moto = MotoServer::start();
    let s3 = trailwatch_aws::s3_client(&moto.sdk_config().await);
    s3.create_bucket().bucket("cli-open").send().await.unwrap();
    s3.put_bucket_policy()
        .bucket("cli-open")
        .policy(policy("cli-open").to_string())
        .send()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(KEY);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let doc = json!({"Records": [put_policy_record("e-open", "cli-open"), put_policy_record("e-gone", "cli-gone")]});
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, doc.to_string().as_bytes()).unwrap();
    std::fs::write(&path, gz.finish().unwrap()).unwrap();

    let lines = replay(&moto, dir.path(), &["--confirm", "--format", "jsonl"]);
    let findings: Vec<Value> = lines
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(findings.len(), 2, "{lines}");
    for (id, want) in [("e-open", "effective"), ("e-gone", "closed")] {
        let f = findings.iter().find(|f| f["event_id"] == id).unwrap();
        assert_eq!(f["exposure"], want, "{f}");
        assert_eq!(f["live_check"]["status"], want, "{f}");
    }

    let table = replay(&moto, dir.path(), &["--confirm", "--format", "table"]);
    assert!(
        table.contains("bucket-policy-public (now effective)"),
        "{table}"
    );
    assert!(
        table.contains("bucket-policy-public (now closed)"),
        "{table}"
    );
    // Without --confirm: the archive's verdicts, no live check.
    let plain = replay(&moto, dir.path(), &["--format", "jsonl"]);
    assert!(!plain.contains("live_check"), "{plain}");
    assert!(
        plain
            .lines()
            .all(|l| l.contains("\"exposure\":\"possible\"")),
        "{plain}"
    );
}
