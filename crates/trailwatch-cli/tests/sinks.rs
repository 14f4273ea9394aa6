//! `trailwatch replay fixtures/logs --security-hub --event-bus security`
//! against moto_server: every finding printed is imported into Security Hub
//! under its stable Id (as the calling account) and put on the bus, where a
//! rule routes it to an SQS queue; `TRAILWATCH_SECURITY_HUB_MIN_SEVERITY`
//! narrows what Security Hub gets; findings whose exposure a later event
//! closed are imported `ARCHIVED`, the others `ACTIVE`.

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Output};

use serde_json::Value;
use trailwatch_testkit::{workspace_root, MotoServer};

fn trailwatch(moto: &MotoServer, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_trailwatch"));
    moto.aws_env(&mut command)
        .args(args)
        .current_dir(workspace_root())
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
    for f in hub_findings(&hub).await {
        assert_eq!(f.aws_account_id(), Some("123456789012"));
        ids.insert(f.id().unwrap().to_owned());
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

/// Every finding in Security Hub (every page of GetFindings).
async fn hub_findings(
    hub: &aws_sdk_securityhub::Client,
) -> Vec<aws_sdk_securityhub::types::AwsSecurityFinding> {
    let mut all = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = hub
            .get_findings()
            .max_results(100)
            .set_next_token(token.clone())
            .send()
            .await
            .unwrap();
        all.extend(page.findings().iter().cloned());
        token = page
            .next_token()
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        if token.is_none() {
            return all;
        }
    }
}

/// Every finding in Security Hub: Id to `RecordState`.
async fn hub_states(hub: &aws_sdk_securityhub::Client) -> BTreeMap<String, String> {
    let states = hub_findings(hub).await.into_iter().map(|f| {
        let state = f.record_state().map(|s| s.as_str().to_owned());
        (f.id().unwrap().to_owned(), state.unwrap_or_default())
    });
    states.collect()
}

#[tokio::test]
async fn findings_whose_exposure_closed_are_imported_archived() {
    let moto = MotoServer::start();
    let config = moto.sdk_config().await;
    let hub = aws_sdk_securityhub::Client::new(&config);
    hub.enable_security_hub().send().await.unwrap();
    let args = [
        "fixtures/logs",
        "--security-hub",
        "--format",
        "jsonl",
        "--no-progress",
    ];
    let run = |command: &'static str| {
        let mut all = vec![command];
        all.extend_from_slice(&args);
        let out = trailwatch(&moto, &all, &[]);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        let lines: Vec<Value> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        (lines, stderr)
    };
    let (windows, stderr) = run("timeline");
    let states = hub_states(&hub).await;
    let archived = states.values().filter(|s| *s == "ARCHIVED").count();
    assert!(
        stderr.contains(&format!(
            "findings imported into Security Hub: {} ({archived} archived",
            states.len()
        )),
        "{stderr}"
    );

    // The windows say which exposures closed: a public (effective or
    // possible) window that closed, with no public window of the same
    // resource going on past its close, has its opener archived; the opener
    // of a window still open at the end stays active.
    let resource =
        |w: &Value| ["account", "bucket", "key", "access_point"].map(|k| w[k].to_string());
    let public: Vec<&Value> = windows
        .iter()
        .filter(|w| w["exposure"] != "latent")
        .collect();
    let state_of = |event_id: &str| -> Vec<&String> {
        states
            .iter()
            .filter(|(id, _)| id.starts_with(&format!("{event_id}:")))
            .map(|(_, s)| s)
            .collect()
    };
    let (mut closed_seen, mut open_seen) = (0, 0);
    for w in &public {
        let Some(opener) = w["opened_by"]["event_id"].as_str() else {
            continue;
        };
        let got = state_of(opener);
        assert!(!got.is_empty(), "the opener {opener} is in Security Hub");
        let opened_open = public
            .iter()
            .any(|o| o["closed_at"].is_null() && o["opened_by"]["event_id"] == opener);
        if opened_open {
            open_seen += 1;
            assert!(got.iter().all(|s| *s == "ACTIVE"), "{w}: {got:?}");
            continue;
        }
        let closed = w["closed_at"].as_str().unwrap();
        let goes_on = public.iter().any(|o| {
            !std::ptr::eq(*o, *w)
                && resource(o) == resource(w)
                && o["opened_at"].as_str().is_none_or(|t| t <= closed)
                && o["closed_at"].as_str().is_none_or(|t| t > closed)
        });
        if !goes_on {
            closed_seen += 1;
            assert!(got.iter().all(|s| *s == "ARCHIVED"), "{w}: {got:?}");
        }
    }
    assert!(
        closed_seen > 0 && open_seen > 0,
        "{closed_seen} {open_seen}"
    );
    assert!(archived > 0 && archived < states.len());

    // `replay` judges alike; a second import changes nothing.
    let (findings, _) = run("replay");
    assert_eq!(findings.len(), states.len());
    assert_eq!(hub_states(&hub).await, states);
}
