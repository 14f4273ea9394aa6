//! The Lambda with every sink on, against moto_server: a real S3
//! notification for a fixture log file is handled once, and the same
//! findings arrive as SNS alerts (with the account alias), as Security Hub
//! findings (imported as the calling account's default product) and, for
//! the critical ones only (`TRAILWATCH_EVENT_BUS_MIN_SEVERITY`), as
//! EventBridge events routed by a rule to an SQS queue.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::*;
use serde_json::Value;

#[tokio::test]
async fn one_notification_reaches_sns_security_hub_and_eventbridge() {
    let moto = MotoServer::start();
    let stack = Stack::new(&moto, "sinks").await;
    stack.upload_log(PROD_HEADERS).await;
    let (_, notifications) = stack.s3_notifications().await;

    let hub = aws_sdk_securityhub::Client::new(&stack.sdk);
    hub.enable_security_hub().send().await.unwrap();
    let events = aws_sdk_eventbridge::Client::new(&stack.sdk);
    events
        .create_event_bus()
        .name("security")
        .send()
        .await
        .unwrap();
    let queue = stack.create_queue("sinks-critical").await;
    events
        .put_rule()
        .name("all-trailwatch")
        .event_bus_name("security")
        .event_pattern(r#"{"source":["trailwatch"],"detail-type":["S3 Exposure Finding"]}"#)
        .send()
        .await
        .unwrap();
    events
        .put_targets()
        .rule("all-trailwatch")
        .event_bus_name("security")
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("q")
                .arn(&queue.arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    let app = stack
        .app(&[
            ("TRAILWATCH_SECURITY_HUB", "true"),
            ("TRAILWATCH_EVENT_BUS", "security"),
            ("TRAILWATCH_EVENT_BUS_MIN_SEVERITY", "critical"),
            (
                "TRAILWATCH_CONFIG",
                "[accounts]\n\"111122223333\" = \"payments-prod\"\n",
            ),
        ])
        .await;
    let event = body_json(notification_for(&notifications, PROD_HEADERS));
    assert_eq!(
        invoke(&app, event).await,
        Ok(serde_json::json!({ "files": 1 }))
    );

    // SNS: one alert per finding, the alias beside the account.
    let alerts = stack.alerts().await;
    let oracle: BTreeSet<(String, String)> = expected(PROD_HEADERS)
        .into_iter()
        .map(|e| (e.event_id, e.kind))
        .collect();
    let sns: BTreeSet<(String, String)> = alerts
        .iter()
        .map(|a| (a.finding.event_id.clone(), a.finding.kind.to_string()))
        .collect();
    assert_eq!(sns.len(), alerts.len(), "no duplicate alerts");
    assert!(
        !sns.is_empty() && sns.is_subset(&oracle),
        "{sns:?} vs {oracle:?}"
    );
    for alert in &alerts {
        let machine: Value = serde_json::from_str(&alert.message).unwrap();
        assert_eq!(machine["account_alias"], "payments-prod");
        assert!(
            alert.subject.contains("111122223333 payments-prod") || alert.subject.ends_with("...")
        );
    }

    // Security Hub: the same findings, under stable Ids, as the caller.
    let found = hub.get_findings().max_results(100).send().await.unwrap();
    let ids: BTreeSet<String> = found
        .findings()
        .iter()
        .filter_map(|f| f.id())
        .map(str::to_owned)
        .collect();
    let want: BTreeSet<String> = sns
        .iter()
        .map(|(id, kind)| format!("{id}:{kind}"))
        .collect();
    assert_eq!(ids, want);
    for f in found.findings() {
        assert_eq!(f.aws_account_id(), Some("123456789012"));
        assert_eq!(
            f.product_arn(),
            Some("arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default")
        );
        let resource = &f.resources()[0];
        let owner = resource
            .details()
            .and_then(|d| d.other())
            .and_then(|o| o.get("Account"))
            .cloned();
        assert_eq!(owner.as_deref(), Some("111122223333"));
    }

    // EventBridge: only the critical findings were put.
    let critical: BTreeSet<String> = alerts
        .iter()
        .filter(|a| a.finding.severity == trailwatch_core::Severity::Critical)
        .map(|a| format!("{}:{}", a.finding.event_id, a.finding.kind))
        .collect();
    assert!(!critical.is_empty() && critical.len() < alerts.len());
    let mut got = BTreeSet::new();
    for _ in 0..30 {
        for m in stack.drain(&queue).await {
            let event: Value = serde_json::from_str(m.body().unwrap()).unwrap();
            assert_eq!(event["source"], "trailwatch");
            assert_eq!(event["detail-type"], "S3 Exposure Finding");
            assert_eq!(event["detail"]["severity"], "critical");
            assert_eq!(event["detail"]["account_alias"], "payments-prod");
            got.insert(format!(
                "{}:{}",
                event["detail"]["event_id"].as_str().unwrap(),
                event["detail"]["kind"].as_str().unwrap()
            ));
        }
        if got.len() >= critical.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(got, critical);
}
