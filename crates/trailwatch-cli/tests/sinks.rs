//! `trailwatch replay fixtures/logs --security-hub --event-bus security`
//! against moto_server: every finding printed is imported into Security Hub
//! under its stable Id (as the calling account) and put on the bus, where a
//! rule routes it to an SQS queue; `TRAILWATCH_SECURITY_HUB_MIN_SEVERITY`
//! narrows what Security Hub gets.

use std::collections::BTreeSet;
use std::process::{Command, Output};

use serde_json::Value;
use trailwatch_testkit::{workspace_root, MotoServer};

fn trailwatch(moto: &MotoServer, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_trailwatch"));
    command
        .args(args)
        .current_dir(workspace_root())
        .env("AWS_ENDPOINT_URL", moto.endpoint())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_PROFILE")
        .env_remove("TRAILWATCH_EVENT_BUS");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().unwrap()
}

#[tokio::test]
async fn replay_imports_into_security_hub_and_puts_events_on_the_bus() {
    let moto = MotoServer::start();
    let config = moto.sdk_config().await;
    let hub = aws_sdk_securityhub::Client::new(&config);
    hub.enable_security_hub().send().await.unwrap();
    let events = aws_sdk_eventbridge::Client::new(&config);
    events
        .create_event_bus()
        .name("security")
        .send()
        .await
        .unwrap();
    let sqs = aws_sdk_sqs::Client::new(&config);
    let queue_url = sqs
        .create_queue()
        .queue_name("findings")
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_owned();
    let queue_arn = "arn:aws:sqs:us-east-1:123456789012:findings";
    events
        .put_rule()
        .name("all")
        .event_bus_name("security")
        .event_pattern(r#"{"source":["trailwatch"]}"#)
        .send()
        .await
        .unwrap();
    events
        .put_targets()
        .rule("all")
        .event_bus_name("security")
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("q")
                .arn(queue_arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    let out = trailwatch(
        &moto,
        &[
            "replay",
            "fixtures/logs",
            "--security-hub",
            "--event-bus",
            "security",
            "--format",
            "jsonl",
            "--no-progress",
        ],
        &[("TRAILWATCH_SECURITY_HUB_MIN_SEVERITY", "high")],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let printed: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let id = |f: &Value| {
        format!(
            "{}:{}",
            f["event_id"].as_str().unwrap(),
            f["kind"].as_str().unwrap()
        )
    };
    let all: BTreeSet<String> = printed.iter().map(id).collect();
    let high: BTreeSet<String> = printed
        .iter()
        .filter(|f| f["severity"] != "medium")
        .map(id)
        .collect();
    assert!(high.len() < all.len() && !high.is_empty());
    assert!(
        stderr.contains(&format!(
            "findings imported into Security Hub: {}",
            high.len()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("events put on security: {}", printed.len())),
        "{stderr}"
    );

    let mut ids = BTreeSet::new();
    let mut token: Option<String> = None;
    loop {
        let page = hub
            .get_findings()
            .max_results(100)
            .set_next_token(token.clone())
            .send()
            .await
            .unwrap();
        for f in page.findings() {
            assert_eq!(f.aws_account_id(), Some("123456789012"));
            ids.insert(f.id().unwrap().to_owned());
        }
        token = page
            .next_token()
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(ids, high);

    let mut put = Vec::new();
    loop {
        let got = sqs
            .receive_message()
            .queue_url(&queue_url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        if got.messages().is_empty() {
            break;
        }
        for m in got.messages() {
            let event: Value = serde_json::from_str(m.body().unwrap()).unwrap();
            assert_eq!(event["detail-type"], "S3 Exposure Finding");
            put.push(id(&event["detail"]));
        }
    }
    let distinct: BTreeSet<String> = put.iter().cloned().collect();
    assert_eq!(put.len(), printed.len(), "one event per finding");
    assert_eq!(distinct, all);
}
