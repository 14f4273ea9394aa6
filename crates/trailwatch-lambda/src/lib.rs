//! The trailwatch Lambda: an S3 notification (direct, through SQS or SNS,
//! from EventBridge, from CloudTrail's own SNS notification, or an S3 Batch
//! Operations task) names a new CloudTrail log file; the function streams
//! it through `trailwatch-core` and publishes one SNS alert per finding
//! (and, when configured, a Security Hub finding and an EventBridge event).
//!
//! The map step: with `TRAILWATCH_CHANGES_PREFIX` set, each log file an S3
//! Batch Operations task reads also gets its changes object there (its
//! findings before verdicts, permission changes and request counts, one
//! JSON line at `<prefix><bucket>/<key>.jsonl`), so that `trailwatch
//! timeline --changes` folds an archive read by many concurrent Lambdas
//! into the windows and verdicts one local run gives. Notifications write
//! none: they alert on one new file each, and a failed write would have
//! them retried, their alerts sent again.
//!
//! Error semantics, so that no alert is lost and nothing loops forever:
//! - a transient S3 or SNS failure fails the invocation (or the SQS message,
//!   or the Batch task, as `TemporaryFailure`), so it is retried;
//! - a log file that cannot be decoded, or that no longer exists, is alerted
//!   as `unreadable-log-file` and not retried;
//! - an event of unknown shape is an error, never silently accepted.

/// Event recognition, re-exported from `trailwatch-events`.
pub use trailwatch_events as events;
pub mod metrics;
mod settings;

use std::time::Instant;

use aws_lambda_events::event::s3::batch_job::{S3BatchJobResponse, S3BatchJobResult};
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse};
use lambda_runtime::LambdaEvent;
use serde_json::{json, Value};
use thiserror::Error;
use trailwatch_aws::{
    scan_object, unreadable_log_finding, ChangesPrefix, DeliveryError, EventBridge, FetchError,
    FileRecord, Route, RouteOverride, SecurityHub, Sink, Sinks, SnsAlerter, Target,
};
use trailwatch_core::change::Change;
use trailwatch_core::ending::Ending;
use trailwatch_core::{exposure, Allowlist, Exposure, Limits, ScanError};

pub use settings::{AllowlistSource, Settings, SettingsError, SinkSettings};

use crate::events::{classify, is_cloudtrail_log, is_replayed_log, BatchJob, ObjectRef, Trigger};

/// Everything built once per container and shared by invocations.
pub struct App {
    s3: aws_sdk_s3::Client,
    sinks: Sinks,
    allowlist: Allowlist,
    limits: Limits,
    allowed_buckets: Option<Vec<String>>,
    alert_blocked: bool,
    metrics: metrics::Emitter,
    /// The live check; `None` with `TRAILWATCH_CONFIRM=off`.
    confirmer: Option<trailwatch_confirm::Confirmer>,
    /// `TRAILWATCH_ALERT_LATENT`: alert latent findings (default true).
    alert_latent: bool,
    /// `TRAILWATCH_CHANGES_PREFIX`: where Batch tasks write changes objects.
    changes: Option<ChangesPrefix>,
}

impl App {
    /// Sends the EMF metrics lines to `sink` instead of standard output.
    pub fn set_metrics_sink(&mut self, sink: metrics::Sink) {
        self.metrics.set_sink(sink);
    }

    /// Builds the clients and loads the allowlist (inline, or from S3).
    pub async fn new(sdk: &trailwatch_aws::SdkConfig, settings: Settings) -> anyhow::Result<App> {
        let s3 = trailwatch_aws::s3_client(sdk);
        let allowlist = match &settings.allowlist {
            AllowlistSource::None => Allowlist::default(),
            AllowlistSource::Inline(text) => Allowlist::parse(text, "TRAILWATCH_CONFIG")?,
            AllowlistSource::S3 { bucket, key } => {
                let object = s3
                    .get_object()
                    .bucket(bucket)
                    .key(key)
                    .send()
                    .await
                    .map_err(|e| {
                        anyhow::anyhow!(
                            "reading the allowlist s3://{bucket}/{key}: {}",
                            aws_sdk_s3::error::DisplayErrorContext(&e)
                        )
                    })?;
                let bytes = object.body.collect().await?.into_bytes();
                let text = String::from_utf8(bytes.to_vec()).map_err(|_| {
                    anyhow::anyhow!("s3://{bucket}/{key}: the allowlist is not UTF-8")
                })?;
                Allowlist::parse(&text, &format!("s3://{bucket}/{key}"))?
            }
        };
        let (sinks, any_blocked) = build_sinks(sdk, &settings, &allowlist).await?;
        Ok(App {
            sinks,
            s3,
            allowlist,
            limits: settings.limits,
            allowed_buckets: settings.allowed_buckets,
            // A sink that takes refused attempts must be given them.
            alert_blocked: settings.alert_blocked || any_blocked,
            metrics: metrics::Emitter::stdout(settings.metrics),
            confirmer: settings
                .confirm
                .map(|c| trailwatch_confirm::Confirmer::new(sdk, c)),
            alert_latent: settings.alert_latent,
            changes: settings.changes,
        })
    }
}

/// The sinks, built once: SNS always; Security Hub and EventBridge when
/// configured. `TRAILWATCH_ALERT_BLOCKED=true` sends refused attempts to
/// every sink; a sink's own `include_blocked` (config or environment) to
/// that sink. Also says whether any sink takes refused attempts.
async fn build_sinks(
    sdk: &trailwatch_aws::SdkConfig,
    settings: &Settings,
    config: &Allowlist,
) -> anyhow::Result<(Sinks, bool)> {
    let wanted = &settings.sinks;
    let route = |sink: Sink, mut overrides: RouteOverride| {
        if settings.alert_blocked && overrides.include_blocked.is_none() {
            overrides.include_blocked = Some(true);
        }
        Route::new(config, sink, overrides)
    };
    let aliases = config.account_aliases().clone();
    let sns_route = route(Sink::Sns, wanted.sns_route);
    let mut any_blocked = sns_route.include_blocked;
    let mut sinks = Sinks::new().with_sns(
        SnsAlerter::new(trailwatch_aws::sns_client(sdk), &settings.topic_arn)
            .with_format(wanted.sns_format)
            .with_aliases(aliases.clone()),
        sns_route,
    );
    if wanted.security_hub {
        let account = trailwatch_aws::caller_account(sdk)
            .await
            .map_err(|e| anyhow::anyhow!("TRAILWATCH_SECURITY_HUB: {e}"))?;
        let region = sdk
            .region()
            .map(|r| r.to_string())
            .ok_or_else(|| anyhow::anyhow!("TRAILWATCH_SECURITY_HUB: no AWS region configured"))?;
        let hub = SecurityHub::new(
            trailwatch_aws::securityhub_client(sdk),
            Target { account, region },
        )
        .with_aliases(aliases.clone());
        tracing::info!(product = %hub.product_arn(), "findings go to Security Hub");
        let hub_route = route(Sink::SecurityHub, wanted.security_hub_route);
        any_blocked |= hub_route.include_blocked;
        sinks = sinks.with_security_hub(hub, hub_route);
    }
    if let Some(bus) = &wanted.event_bus {
        let bus_route = route(Sink::EventBridge, wanted.event_bus_route);
        any_blocked |= bus_route.include_blocked;
        sinks = sinks.with_event_bridge(
            EventBridge::new(trailwatch_aws::eventbridge_client(sdk), bus).with_aliases(aliases),
            bus_route,
        );
    }
    Ok((sinks, any_blocked))
}

/// Why one object could not be handled; every variant is retried.
#[derive(Debug, Error)]
enum Retry {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Read(ScanError),
    #[error(transparent)]
    Deliver(#[from] DeliveryError),
    #[error("writing the changes object: {0}")]
    Write(FetchError),
}

/// What named the object: the map step (changes objects, `.json` copies)
/// is the Batch Operations replay's alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// An S3, SQS, SNS or EventBridge notification.
    Notification,
    /// An S3 Batch Operations task.
    Batch,
}

/// What became of one object.
#[derive(Debug)]
enum Handled {
    Scanned,
    Skipped(&'static str),
    Refused,
    Unreadable(String),
}

/// The function: recognises the event, handles every object it names, and
/// answers in the form the event source expects.
pub async fn handle(app: &App, event: LambdaEvent<Value>) -> Result<Value, lambda_runtime::Error> {
    // One EMF metrics line per invocation, whatever it returns (metrics.rs).
    metrics::measure(&app.metrics, handle_event(app, event)).await
}

async fn handle_event(
    app: &App,
    event: LambdaEvent<Value>,
) -> Result<Value, lambda_runtime::Error> {
    let trigger = classify(&event.payload).map_err(|e| {
        tracing::error!(error = %e, "event not understood");
        e
    })?;
    match trigger {
        Trigger::TestEvent => {
            tracing::info!("s3:TestEvent acknowledged");
            Ok(json!({ "testEvent": true }))
        }
        Trigger::Objects(objects) => {
            let mut failures = Vec::new();
            let mut handled = 0;
            for object in &objects {
                match process(app, object, Source::Notification).await {
                    Ok(_) => handled += 1,
                    Err(e) => failures.push(e.to_string()),
                }
            }
            if !failures.is_empty() {
                return Err(format!(
                    "{} of {} log files failed: {}",
                    failures.len(),
                    objects.len(),
                    failures.join("; ")
                )
                .into());
            }
            Ok(json!({ "files": handled }))
        }
        Trigger::Queue(messages) => {
            let mut response = SqsBatchResponse::default();
            for message in messages {
                let result = match message.objects {
                    Err(e) => Err(e.to_string()),
                    Ok(objects) => {
                        let mut first_failure = None;
                        for object in &objects {
                            if let Err(e) = process(app, object, Source::Notification).await {
                                first_failure.get_or_insert(e.to_string());
                            }
                        }
                        first_failure.map_or(Ok(()), Err)
                    }
                };
                if let Err(reason) = result {
                    tracing::error!(message_id = %message.message_id, %reason, "SQS message failed; it will be retried");
                    let mut failure = BatchItemFailure::default();
                    failure.item_identifier = message.message_id;
                    response.batch_item_failures.push(failure);
                }
            }
            Ok(serde_json::to_value(response)?)
        }
        Trigger::Batch(job) => Ok(serde_json::to_value(batch(app, job).await)?),
    }
}

async fn batch(app: &App, job: BatchJob) -> S3BatchJobResponse {
    let mut response = S3BatchJobResponse::default();
    response.invocation_schema_version = Some(job.schema_version);
    response.invocation_id = Some(job.invocation_id);
    response.treat_missing_keys_as = Some("PermanentFailure".into());
    for task in job.tasks {
        let (code, text) = match task.object {
            Err(e) => ("PermanentFailure", e.to_string()),
            Ok(object) => match process(app, &object, Source::Batch).await {
                Ok(Handled::Scanned) => ("Succeeded", "scanned".to_owned()),
                Ok(Handled::Skipped(why)) => ("Succeeded", format!("skipped: {why}")),
                Ok(Handled::Refused) => (
                    "PermanentFailure",
                    "bucket not in TRAILWATCH_ALLOWED_BUCKETS".to_owned(),
                ),
                Ok(Handled::Unreadable(why)) => {
                    ("PermanentFailure", format!("unreadable (alerted): {why}"))
                }
                Err(e) => ("TemporaryFailure", e.to_string()),
            },
        };
        let mut result = S3BatchJobResult::default();
        result.task_id = Some(task.task_id);
        result.result_code = Some(code.to_owned());
        result.result_string = Some(text);
        response.results.push(result);
    }
    response
}

/// Reads one object and alerts on what it holds.
async fn process(app: &App, object: &ObjectRef, source: Source) -> Result<Handled, Retry> {
    let handled = process_object(app, object, source).await;
    metrics::record(match &handled {
        Ok(Handled::Scanned) => metrics::Outcome::Scanned,
        Ok(Handled::Skipped(_)) => metrics::Outcome::Skipped,
        Ok(Handled::Refused | Handled::Unreadable(_)) | Err(_) => metrics::Outcome::Failed,
    });
    handled
}

async fn process_object(app: &App, object: &ObjectRef, source: Source) -> Result<Handled, Retry> {
    let ObjectRef { bucket, key, .. } = object;
    if let Some(allowed) = &app.allowed_buckets {
        if !allowed.iter().any(|b| b == bucket) {
            tracing::error!(%bucket, %key, "event names a bucket outside TRAILWATCH_ALLOWED_BUCKETS; refused");
            return Ok(Handled::Refused);
        }
    }
    let is_log = match source {
        Source::Notification => is_cloudtrail_log(key),
        Source::Batch => is_replayed_log(key),
    };
    if let Err(why) = is_log {
        tracing::info!(%bucket, %key, why, "not a CloudTrail log file; skipped");
        return Ok(Handled::Skipped(why));
    }
    let started = Instant::now();
    // The key read: the other reading of it when the first does not exist.
    let mut read_key = key.as_str();
    let fetched = match scan_object(&app.s3, bucket, key, app.limits, app.allowlist.trust()).await {
        Err(FetchError::NotFound { .. }) if object.alternate_key.is_some() => {
            read_key = object.alternate_key.as_deref().unwrap_or_default();
            scan_object(&app.s3, bucket, read_key, app.limits, app.allowlist.trust()).await
        }
        other => other,
    };
    let scan = match fetched {
        Ok(scan) => scan,
        Err(FetchError::NotFound { .. }) => {
            let why = "the object does not exist (deleted after it was written?)".to_owned();
            alert_unreadable(app, bucket, key, &why).await?;
            return Ok(Handled::Unreadable(why));
        }
        Err(e) => {
            tracing::error!(%bucket, %key, error = %e, "cannot fetch the log file; will be retried");
            return Err(e.into());
        }
    };
    if let Some(error) = &scan.error {
        if error.is_transient() {
            tracing::error!(%bucket, %key, error = %error, "reading the log file failed midway; will be retried");
            return Err(Retry::Read(scan.error.expect("checked above")));
        }
    }
    // A skipped record is reported, never silently passed: watched ones are
    // already findings (alerted below), every one is logged by name.
    for record in &scan.skipped {
        tracing::error!(%bucket, %key, record = %record, "record skipped; the rest of the file was read");
    }
    let unlisted = scan.unlisted_skipped();
    if unlisted > 0 {
        tracing::error!(%bucket, %key, unlisted, "more records skipped than are listed");
    }
    // The map step: the file's contribution to the archive's fold, written
    // before its alerts go out and whatever becomes of them (both are
    // reported; a retried task overwrites the object).
    let written = match (&app.changes, source) {
        (Some(prefix), Source::Batch) => {
            let record = FileRecord::of(&scan);
            let written = prefix.put(&app.s3, bucket, read_key, &record).await;
            match &written {
                Ok(uri) => {
                    tracing::info!(%bucket, key = %read_key, changes_object = %uri, "changes object written")
                }
                Err(e) => {
                    tracing::error!(%bucket, key = %read_key, error = %e, "cannot write the changes object; will be retried")
                }
            }
            Some(written)
        }
        _ => None,
    };
    // In the Lambda the file alone is the archive: its changes, in time
    // order, decide its findings' verdicts.
    let mut findings = scan.findings;
    // What this file's removals end among findings of files read before
    // (Security Hub keeps them; the Lambda keeps no state).
    let endings: Vec<Ending> = scan.changes.iter().filter_map(Change::ending).collect();
    let mut timeline = exposure::judge(&mut findings, scan.changes);
    timeline.add_requests(scan.requests);
    let windows = timeline.windows();
    let mut alerts = Vec::new();
    let mut suppressed = 0usize;
    let mut blocked = 0usize;
    for finding in findings {
        if finding.exposure == Exposure::Blocked && !app.alert_blocked {
            blocked += 1;
            tracing::info!(event_id = %finding.event_id, kind = %finding.kind, "refused attempt (blocked); not alerted without TRAILWATCH_ALERT_BLOCKED=true");
            continue;
        }
        match app.allowlist.suppression(&finding) {
            Some(reason) => {
                suppressed += 1;
                tracing::info!(
                    event_id = %finding.event_id,
                    kind = %finding.kind,
                    reason,
                    "finding accepted by the allowlist"
                );
            }
            None => alerts.push(finding),
        }
    }
    // Ask S3 whether what the records say is public still is (bounded in
    // time; what cannot be asked keeps the record's verdict).
    if let Some(confirmer) = &app.confirmer {
        confirmer.confirm_all(&mut alerts).await;
    }
    let mut latent = 0usize;
    if !app.alert_latent {
        alerts.retain(|f| {
            let keep = f.exposure != Exposure::Latent;
            latent += usize::from(!keep);
            keep
        });
    }
    // An exposure closed later in the same file goes to Security Hub archived.
    let closed = trailwatch_aws::closed_later(&alerts, &windows);
    let delivered = app.sinks.deliver_judged(&alerts, &closed).await;
    // Tried even when a sink failed above: both are reported, then retried.
    // Boxed: the Security Hub lookup's future is large, and it would make
    // every invocation's future (on the runtime's stack) as large.
    let archived_earlier = Box::pin(app.sinks.archive_ended(&endings, &alerts)).await;
    delivered?;
    let archived_earlier = archived_earlier?;
    if let Some(written) = written {
        written.map_err(Retry::Write)?;
    }
    metrics::findings(alerts.iter().map(|f| f.kind.as_str()));
    tracing::info!(
        %bucket,
        %key,
        bytes = scan.stats.stored_bytes,
        json_bytes = scan.stats.json_bytes,
        records = scan.stats.records,
        skipped_records = scan.stats.skipped_records,
        findings = alerts.len(),
        suppressed,
        blocked,
        latent,
        archived_earlier,
        duration_ms = started.elapsed().as_millis() as u64,
        "log file scanned"
    );
    match scan.error {
        None => Ok(Handled::Scanned),
        Some(error) => {
            if matches!(error.kind, trailwatch_core::ScanErrorKind::TooLarge { .. }) {
                metrics::cap_hit();
            }
            let why = error.kind.to_string();
            alert_unreadable(app, bucket, key, &why).await?;
            Ok(Handled::Unreadable(why))
        }
    }
}

async fn alert_unreadable(app: &App, bucket: &str, key: &str, why: &str) -> Result<(), Retry> {
    tracing::error!(%bucket, %key, reason = %why, "log file unreadable; alerting");
    app.sinks
        .deliver(&[unreadable_log_finding(bucket, key, why)])
        .await?;
    Ok(())
}
