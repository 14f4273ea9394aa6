//! The Lambda with every sink on, against moto_server: a real S3
//! notification for a fixture log file is handled once, and the same
//! findings arrive as SNS alerts (with the account alias), as Security Hub
//! findings (imported as the calling account's default product) and, for
//! the critical ones only (`TRAILWATCH_EVENT_BUS_MIN_SEVERITY`), as
//! EventBridge events routed by a rule to an SQS queue.

mod common;
mod live;

use std::collections::BTreeSet;
use std::time::Duration;

use common::*;
use serde_json::Value;

/// Runs a test body on a thread with a 64 MB stack: unoptimised, the
/// Security Hub SDK's finding type needs more than a test thread's 2 MB
/// while the handler holds the findings it read back (release fits).
fn on_large_stack<F: std::future::Future<Output = ()> + 'static>(body: fn() -> F) {
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(body())
        })
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn one_notification_reaches_sns_security_hub_and_eventbridge() {
    on_large_stack(every_sink_gets_the_notifications_findings);
}

async fn every_sink_gets_the_notifications_findings() {
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

/// A later log file's removal archives the Security Hub findings of an
/// earlier file whose exposure it ended (the Lambda keeps no state: it asks
/// Security Hub for the active findings the change may end), and only
/// those: another bucket's finding, and a kind the removal does not end,
/// stay ACTIVE.
///
/// moto's `GetFindings` ignores `Filters` (it pages every finding), so
/// this also proves the function's own check of each returned finding
/// against the removal, which real Security Hub's filters make redundant.
#[test]
fn a_later_files_removal_archives_the_earlier_findings_it_ended() {
    on_large_stack(removal_archives_earlier_findings);
}

async fn removal_archives_earlier_findings() {
    let moto = MotoServer::start();
    let stack = Stack::new(&moto, "sinks-archive").await;
    let hub = aws_sdk_securityhub::Client::new(&stack.sdk);
    hub.enable_security_hub().send().await.unwrap();
    let app = stack.app(&[("TRAILWATCH_SECURITY_HUB", "true")]).await;
    let run = |records: Vec<Value>| {
        let (stack, app) = (&stack, &app);
        async move {
            live::store_log(stack, &records).await;
            let (_, notifications) = stack.s3_notifications().await;
            assert_eq!(notifications.len(), 1);
            let response = invoke(app, sqs_event(&stack.notifications, &[&notifications[0]]))
                .await
                .expect("an SQS batch response");
            assert_eq!(batch_item_failures(&response), Vec::<String>::new());
        }
    };
    let states = || async {
        let found = hub.get_findings().max_results(100).send().await.unwrap();
        found
            .findings()
            .iter()
            .map(|f| {
                let state = f.record_state().map(|s| s.as_str().to_owned());
                (
                    f.id().unwrap_or_default().to_owned(),
                    state.unwrap_or_default(),
                )
            })
            .collect::<std::collections::BTreeMap<String, String>>()
    };

    let home = live::HOME;
    let acl = live::record(
        "e-acl-a",
        "PutBucketAcl",
        home,
        serde_json::json!({"bucketName": "arch-a", "x-amz-acl": ["public-read"], "acl": [""]}),
    );
    run(vec![
        live::policy_record("e-open-a", home, "arch-a", &live::public_policy("arch-a")),
        live::policy_record("e-open-b", home, "arch-b", &live::public_policy("arch-b")),
        acl,
    ])
    .await;
    let opened = states().await;
    let ids = [
        "e-open-a:bucket-policy-public",
        "e-open-b:bucket-policy-public",
        "e-acl-a:bucket-acl-public",
    ];
    for id in ids {
        assert_eq!(
            opened.get(id).map(String::as_str),
            Some("ACTIVE"),
            "{opened:?}"
        );
    }

    let mut delete = live::record(
        "e-close-a",
        "DeleteBucketPolicy",
        home,
        serde_json::json!({"bucketName": "arch-a", "policy": [""]}),
    );
    delete["eventTime"] = "2026-01-01T01:00:00Z".into();
    run(vec![delete]).await;
    let after = states().await;
    assert_eq!(after.len(), 3, "{after:?}");
    assert_eq!(after[ids[0]], "ARCHIVED", "{after:?}");
    assert_eq!(after[ids[1]], "ACTIVE", "another bucket: {after:?}");
    assert_eq!(
        after[ids[2]], "ACTIVE",
        "the ACL is still public: {after:?}"
    );
}
