//! The sinks against moto_server: Security Hub BatchImportFindings then
//! GetFindings (and the archived re-import), an EventBridge rule with an
//! SQS target, the SNS chat format as an `http` subscriber receives it,
//! routing by severity and `blocked`, and service-side partial failures
//! (which moto never produces: see `trailwatch_testkit::jsonfault`).

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;
use trailwatch_aws::{
    caller_account, eventbridge_client, securityhub_client, sns_client, EventBridge, Route,
    SecurityHub, Sinks, SnsAlerter, SnsFormat, Target,
};
use trailwatch_core::{Exposure, Finding, Kind, Severity};
use trailwatch_testkit::http::HttpCollector;
use trailwatch_testkit::jsonfault::{BatchApi, BatchFaultProxy};
use trailwatch_testkit::{sdk_config_at, MotoServer};

fn finding(event_id: &str, kind: Kind, severity: Severity) -> Finding {
    Finding {
        event_id: event_id.into(),
        event_time: "2024-02-08T11:58:28Z".into(),
        event_name: "PutBucketAcl".into(),
        kind,
        severity,
        reason: "canned ACL `public-read-write` lets anyone write to the bucket".into(),
        account: "111122223333".into(),
        region: "us-east-1".into(),
        bucket: Some("payments-exports".into()),
        key: None,
        actor_arn: "arn:aws:iam::111122223333:user/alice".into(),
        actor_type: "IAMUser".into(),
        source_ip: "198.51.100.7".into(),
        user_agent: "aws-cli/2.15".into(),
        log_file: "s3://trail/AWSLogs/111122223333/CloudTrail/us-east-1/2024/02/08/x.json.gz"
            .into(),
        exposure: Exposure::Possible,
        unknown_facts: vec!["account 111122223333 IgnorePublicAcls".into()],
        live_check: None,
    }
}

fn aliases() -> BTreeMap<String, String> {
    [("111122223333".to_owned(), "payments-prod".to_owned())].into()
}

async fn hub_findings(client: &aws_sdk_securityhub::Client) -> Vec<Value> {
    // Every page of GetFindings, the fields checked below.
    let mut all = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = client
            .get_findings()
            .max_results(100)
            .set_next_token(token.clone())
            .send()
            .await
            .unwrap();
        all.extend(out.findings().iter().cloned());
        token = out
            .next_token()
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    all.iter()
        .map(|f| {
            serde_json::json!({
                "Id": f.id(),
                "ProductArn": f.product_arn(),
                "AwsAccountId": f.aws_account_id(),
                "GeneratorId": f.generator_id(),
                "Severity": f.severity().and_then(|s| s.label()).map(|l| l.as_str()),
                "RecordState": f.record_state().map(|r| r.as_str()),
                "Title": f.title(),
                "ResourceType": f.resources()[0].r#type(),
                "ResourceId": f.resources()[0].id(),
                "Owner": f.resources()[0].details().and_then(|d| d.aws_s3_bucket()).and_then(|b| b.owner_account_id()),
                "Other": f.resources()[0].details().and_then(|d| d.other()).cloned(),
                "Exposure": f.product_fields().and_then(|p| p.get("trailwatch/Exposure")).cloned(),
                "EventId": f.product_fields().and_then(|p| p.get("trailwatch/EventId")).cloned(),
            })
        })
        .collect()
}

#[tokio::test]
async fn security_hub_imports_then_archives_the_same_ids() {
    let moto = MotoServer::start();
    let config = moto.sdk_config().await;
    // The calling account, from STS (moto's is 123456789012): not the
    // bucket's account 111122223333.
    let caller = caller_account(&config).await.unwrap();
    assert_eq!(caller, "123456789012");
    let client = securityhub_client(&config);
    client.enable_security_hub().send().await.unwrap();
    let hub = SecurityHub::new(
        client.clone(),
        Target {
            account: caller.clone(),
            region: "us-east-1".into(),
        },
    )
    .with_aliases(aliases());
    // 150 findings: two calls (at most 100 per call).
    let findings: Vec<Finding> = (0..150)
        .map(|i| {
            let severity = [Severity::Critical, Severity::High, Severity::Medium][i % 3];
            finding(&format!("ev-{i:03}"), Kind::BucketAclPublic, severity)
        })
        .collect();
    assert_eq!(hub.import(&findings).await.unwrap(), 150);
    let mut got = hub_findings(&client).await;
    got.sort_by_key(|f| f["Id"].as_str().unwrap().to_owned());
    assert_eq!(got.len(), 150);
    let first = &got[0];
    assert_eq!(first["Id"], "ev-000:bucket-acl-public");
    assert_eq!(
        first["ProductArn"],
        "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default"
    );
    assert_eq!(first["AwsAccountId"], "123456789012");
    assert_eq!(first["GeneratorId"], "trailwatch/bucket-acl-public");
    assert_eq!(first["Severity"], "CRITICAL");
    assert_eq!(got[1]["Severity"], "HIGH");
    assert_eq!(got[2]["Severity"], "MEDIUM");
    assert_eq!(first["RecordState"], "ACTIVE");
    assert_eq!(first["ResourceType"], "AwsS3Bucket");
    assert_eq!(first["ResourceId"], "arn:aws:s3:::payments-exports");
    assert_eq!(first["Owner"], "111122223333");
    assert_eq!(first["Other"]["AccountAlias"], "payments-prod");
    assert_eq!(first["Exposure"], "possible");
    assert_eq!(first["EventId"], "ev-000");
    assert!(first["Title"]
        .as_str()
        .unwrap()
        .ends_with("(111122223333 payments-prod)"));

    // The exposure closed: the same Ids come back ARCHIVED, no new findings.
    assert_eq!(hub.archive(&findings[..3]).await.unwrap(), 3);
    let mut got = hub_findings(&client).await;
    got.sort_by_key(|f| f["Id"].as_str().unwrap().to_owned());
    assert_eq!(got.len(), 150, "the same Ids, updated in place");
    let states: Vec<&str> = got[..4]
        .iter()
        .map(|f| f["RecordState"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["ARCHIVED", "ARCHIVED", "ARCHIVED", "ACTIVE"]);
    assert_eq!(got[0]["Id"], "ev-000:bucket-acl-public");
}

#[tokio::test]
async fn security_hub_retries_refused_findings_and_reports_the_rest() {
    let moto = MotoServer::start();
    // moto never refuses a finding with resources; the proxy refuses the
    // last finding of the first call, as Security Hub reports a
    // service-side failure (FailedFindings with an Id).
    let proxy = BatchFaultProxy::start(&moto.endpoint(), BatchApi::SecurityHubImport, 1);
    let config = sdk_config_at(&proxy.endpoint(), "testing", "testing").await;
    let client = securityhub_client(&config);
    let hub = SecurityHub::new(
        client.clone(),
        Target {
            account: "123456789012".into(),
            region: "us-east-1".into(),
        },
    );
    let findings: Vec<Finding> = (0..3)
        .map(|i| finding(&format!("r-{i}"), Kind::BucketAclPublic, Severity::High))
        .collect();
    assert_eq!(hub.import(&findings).await.unwrap(), 3);
    assert_eq!(
        proxy.calls(),
        vec![3, 1],
        "the refused finding alone is retried"
    );
    assert_eq!(hub_findings(&client).await.len(), 3);

    // Refused every time: an error naming the Id, never a silent drop.
    let proxy = BatchFaultProxy::start(&moto.endpoint(), BatchApi::SecurityHubImport, 100);
    let config = sdk_config_at(&proxy.endpoint(), "testing", "testing").await;
    let hub = SecurityHub::new(
        securityhub_client(&config),
        Target {
            account: "123456789012".into(),
            region: "us-east-1".into(),
        },
    );
    let err = hub.import(&findings[..2]).await.unwrap_err().to_string();
    assert!(
        err.contains("refused 1 findings after 5 attempts")
            && err.contains("r-1:bucket-acl-public"),
        "{err}"
    );
}

struct Bus {
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
}

/// A bus `security` with a rule sending critical trailwatch findings to an SQS queue.
async fn bus_with_critical_rule(config: &aws_config::SdkConfig) -> Bus {
    let events = eventbridge_client(config);
    events
        .create_event_bus()
        .name("security")
        .send()
        .await
        .unwrap();
    let sqs = aws_sdk_sqs::Client::new(config);
    let queue_url = sqs
        .create_queue()
        .queue_name("critical-findings")
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_owned();
    let queue_arn = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes()
        .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
        .clone();
    events
        .put_rule()
        .name("critical-s3-exposures")
        .event_bus_name("security")
        .event_pattern(
            r#"{"source":["trailwatch"],"detail-type":["S3 Exposure Finding"],"detail":{"severity":["critical"]}}"#,
        )
        .send()
        .await
        .unwrap();
    events
        .put_targets()
        .rule("critical-s3-exposures")
        .event_bus_name("security")
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("queue")
                .arn(queue_arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    Bus { sqs, queue_url }
}

async fn received(bus: &Bus, want: usize) -> Vec<Value> {
    let mut out = Vec::new();
    for _ in 0..20 {
        let got = bus
            .sqs
            .receive_message()
            .queue_url(&bus.queue_url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        for m in got.messages() {
            out.push(serde_json::from_str(m.body().unwrap()).unwrap());
        }
        if out.len() >= want {
            // One more look, so that extra deliveries are seen too.
            tokio::time::sleep(Duration::from_millis(200)).await;
            let extra = bus
                .sqs
                .receive_message()
                .queue_url(&bus.queue_url)
                .max_number_of_messages(10)
                .send()
                .await
                .unwrap();
            for m in extra.messages() {
                out.push(serde_json::from_str(m.body().unwrap()).unwrap());
            }
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    out
}

#[tokio::test]
async fn eventbridge_rule_routes_critical_findings_to_sqs() {
    let moto = MotoServer::start();
    let config = moto.sdk_config().await;
    let bus = bus_with_critical_rule(&config).await;
    let sink = EventBridge::new(eventbridge_client(&config), "security").with_aliases(aliases());
    let mut big = finding("ev-big", Kind::BucketPolicyPublic, Severity::Critical);
    big.user_agent = "\u{1b}[31m".repeat(200_000);
    let findings = vec![
        finding("ev-crit", Kind::BucketAclPublic, Severity::Critical),
        finding("ev-high", Kind::BucketAclPublic, Severity::High),
        big,
    ];
    assert_eq!(sink.put(&findings).await.unwrap(), 3);
    let mut events = received(&bus, 2).await;
    events.sort_by_key(|e| e["detail"]["event_id"].as_str().unwrap().to_owned());
    assert_eq!(
        events.len(),
        2,
        "only critical findings match the rule: {events:?}"
    );
    let event = &events[1];
    assert_eq!(event["source"], "trailwatch");
    assert_eq!(event["detail-type"], "S3 Exposure Finding");
    let detail = &event["detail"];
    assert_eq!(detail["event_id"], "ev-crit");
    assert_eq!(detail["kind"], "bucket-acl-public");
    assert_eq!(detail["severity"], "critical");
    assert_eq!(detail["account"], "111122223333");
    assert_eq!(detail["account_alias"], "payments-prod");
    assert_eq!(detail["exposure"], "possible");
    assert_eq!(detail["bucket"], "payments-exports");
    assert_eq!(event["resources"][0], "arn:aws:s3:::payments-exports");
    // The oversized user agent arrived bounded.
    let agent = events[0]["detail"]["user_agent"].as_str().unwrap();
    assert_eq!(agent.chars().count(), 1024);
    assert!(serde_json::to_string(&events[0]["detail"]).unwrap().len() < 256 * 1024);
}

#[tokio::test]
async fn eventbridge_retries_refused_entries() {
    let moto = MotoServer::start();
    // moto accepts every PutEvents entry; the proxy fails the last entry
    // of the first call with an ErrorCode, as EventBridge does.
    let proxy = BatchFaultProxy::start(&moto.endpoint(), BatchApi::EventBridgePutEvents, 1);
    let config = moto.sdk_config().await;
    let bus = bus_with_critical_rule(&config).await;
    let via_proxy = sdk_config_at(&proxy.endpoint(), "testing", "testing").await;
    let sink = EventBridge::new(eventbridge_client(&via_proxy), "security");
    let findings: Vec<Finding> = (0..3)
        .map(|i| {
            finding(
                &format!("ev-{i}"),
                Kind::BucketAclPublic,
                Severity::Critical,
            )
        })
        .collect();
    assert_eq!(sink.put(&findings).await.unwrap(), 3);
    assert_eq!(proxy.calls(), vec![3, 1]);
    let mut ids: Vec<String> = received(&bus, 3)
        .await
        .iter()
        .map(|e| e["detail"]["event_id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    assert_eq!(ids, ["ev-0", "ev-1", "ev-2"], "each delivered exactly once");
}

#[tokio::test]
async fn routes_by_severity_and_leave_blocked_out_unless_included() {
    let moto = MotoServer::start();
    let config = moto.sdk_config().await;
    let bus = bus_with_critical_rule(&config).await;
    let events = eventbridge_client(&config);
    let mut blocked = finding("ev-blocked", Kind::BucketAclPublic, Severity::Critical);
    blocked.exposure = Exposure::Blocked;
    let findings = vec![
        blocked,
        finding("ev-crit", Kind::BucketAclPublic, Severity::Critical),
    ];
    let default_route = Sinks::new().with_event_bridge(
        EventBridge::new(events.clone(), "security"),
        Route::default(),
    );
    let delivered = default_route.deliver(&findings).await.unwrap();
    assert_eq!(delivered.event_bridge, 1);
    let got = received(&bus, 1).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["detail"]["event_id"], "ev-crit");

    let including = Sinks::new().with_event_bridge(
        EventBridge::new(events.clone(), "security"),
        Route {
            include_blocked: true,
            min_severity: Some(Severity::Critical),
        },
    );
    assert_eq!(including.deliver(&findings).await.unwrap().event_bridge, 2);
    let mut ids: Vec<String> = received(&bus, 2)
        .await
        .iter()
        .map(|e| e["detail"]["event_id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    assert_eq!(ids, ["ev-blocked", "ev-crit"]);

    let high_only = Sinks::new().with_event_bridge(
        EventBridge::new(events, "security"),
        Route {
            include_blocked: false,
            min_severity: Some(Severity::Critical),
        },
    );
    let medium = finding("ev-medium", Kind::BucketBpaDisabled, Severity::Medium);
    assert_eq!(high_only.deliver(&[medium]).await.unwrap().event_bridge, 0);
}

#[tokio::test]
async fn sns_chat_format_reaches_an_http_subscriber_as_a_q_developer_card() {
    let moto = MotoServer::start();
    let config = moto.sdk_config().await;
    let sns = sns_client(&config);
    let topic = sns
        .create_topic()
        .name("alerts")
        .send()
        .await
        .unwrap()
        .topic_arn()
        .unwrap()
        .to_owned();
    // Q Developer subscribes over HTTPS; moto delivers the `default` form
    // to an `http` subscriber, which chat mode fills with the card.
    let web = HttpCollector::start();
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("http")
        .endpoint(web.url("/chat"))
        .send()
        .await
        .unwrap();
    let alerter = SnsAlerter::new(sns.clone(), &topic)
        .with_format(SnsFormat::Chat)
        .with_aliases(aliases());
    let mut f = finding("ev-chat", Kind::BucketAclPublic, Severity::Critical);
    f.user_agent = "x".repeat(500_000);
    f.key = Some(format!(
        "[click me](https://evil.example/){}",
        "k".repeat(300_000)
    ));
    assert_eq!(alerter.publish(&[f]).await.unwrap(), 1);
    let mut posts = Vec::new();
    for _ in 0..50 {
        posts = web
            .take()
            .into_iter()
            .filter(|m| {
                serde_json::from_slice::<Value>(&m.body)
                    .is_ok_and(|envelope| envelope["Type"] == "Notification")
            })
            .collect();
        if !posts.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(posts.len(), 1, "one notification");
    let envelope: Value = serde_json::from_slice(&posts[0].body).unwrap();
    let subject = envelope["Subject"].as_str().unwrap();
    assert!(subject.starts_with("[trailwatch] CRITICAL bucket-acl-public s3://payments-exports/"));
    assert!(subject.len() <= 100);
    let card: Value = serde_json::from_str(envelope["Message"].as_str().unwrap()).unwrap();
    assert_eq!(card["version"], "1.0");
    assert_eq!(card["source"], "custom");
    assert_eq!(card["content"]["textType"], "client-markdown");
    let title = card["content"]["title"].as_str().unwrap();
    assert!(
        title.starts_with("CRITICAL bucket-acl-public on s3://payments-exports/"),
        "{title}"
    );
    assert!(title.chars().count() <= 250);
    let description = card["content"]["description"].as_str().unwrap();
    assert!(
        description.contains("*Why:* `canned ACL 'public-read-write'"),
        "{description}"
    );
    assert!(
        description.contains("*Account:* `111122223333 payments-prod`"),
        "{description}"
    );
    assert!(description.contains("*Exposure:* possible"));
    assert!(description.chars().count() <= 4000);
    let steps = card["content"]["nextSteps"].as_array().unwrap();
    assert!(steps[0].as_str().unwrap().starts_with("Check whether"));
    let context = card["metadata"]["additionalContext"].as_object().unwrap();
    assert_eq!(context["accountAlias"], "payments-prod");
    assert_eq!(context["account"], "111122223333");
    assert_eq!(context["severity"], "critical");
    assert_eq!(context["eventId"], "ev-chat");
    assert!(context["resource"].as_str().unwrap().chars().count() <= 256);
    assert!(envelope["Message"].as_str().unwrap().len() < 64 * 1024);
}
