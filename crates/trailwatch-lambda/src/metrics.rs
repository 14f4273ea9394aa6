//! CloudWatch metrics in Embedded Metric Format (EMF): one JSON log line per
//! invocation, which CloudWatch Logs turns into metrics with no
//! `PutMetricData` call and no extra permission.
//!
//! Metrics (unit `Count`, dimension `FunctionName`, namespace
//! `TRAILWATCH_METRICS_NAMESPACE`, default `trailwatch`):
//!
//! - `LogFilesScanned`: CloudTrail log files read to their end and alerted
//!   on. Digest, Insights and other objects are skipped and not counted, so
//!   an alarm on its silence fires when log files stop arriving even though
//!   digest files keep coming.
//! - `LogFilesFailed`: log files not scanned: unreadable (alerted as
//!   `unreadable-log-file`), refused (bucket outside
//!   `TRAILWATCH_ALLOWED_BUCKETS`), or failed and to be retried (access or
//!   key denied, S3 or SNS errors). In an SQS batch such a failure is only a
//!   `batchItemFailures` entry and the invocation counts as a success for
//!   `AWS/Lambda Errors`: this metric is what sees it.
//! - `DecompressedCapHits`: log files over `TRAILWATCH_MAX_DECOMPRESSED_BYTES`
//!   (also counted in `LogFilesFailed`).
//! - `Findings`: findings published (after the allowlist), every kind; and
//!   `Findings.<kind>` (e.g. `Findings.bucket-acl-public`) for each kind
//!   present. An EMF document holds one value per dimension, so a `Kind`
//!   dimension would take one line per kind; a metric per kind keeps one line
//!   per invocation.
//!
//! Every invocation writes its line, zeros included (an event the function
//! does not understand too), so a silence alarm can treat missing data as a
//! stopped pipeline.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};

/// The namespace when `TRAILWATCH_METRICS_NAMESPACE` is not set.
pub const DEFAULT_NAMESPACE: &str = "trailwatch";

/// The `FunctionName` dimension when `AWS_LAMBDA_FUNCTION_NAME` is not set
/// (outside Lambda).
pub const DEFAULT_FUNCTION_NAME: &str = "trailwatch";

/// Where and under which names the metrics go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricsSettings {
    /// `TRAILWATCH_METRICS_NAMESPACE`.
    pub namespace: String,
    /// The `FunctionName` dimension: `AWS_LAMBDA_FUNCTION_NAME`, which the
    /// Lambda runtime sets.
    pub function_name: String,
}

impl Default for MetricsSettings {
    fn default() -> Self {
        MetricsSettings {
            namespace: DEFAULT_NAMESPACE.to_owned(),
            function_name: DEFAULT_FUNCTION_NAME.to_owned(),
        }
    }
}

/// Receives each EMF line (without a newline).
pub type Sink = Arc<dyn Fn(&str) + Send + Sync>;

/// Writes one EMF line per invocation.
#[derive(Clone)]
pub struct Emitter {
    settings: MetricsSettings,
    sink: Sink,
}

impl std::fmt::Debug for Emitter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emitter")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Emitter {
    /// Lines to standard output, which Lambda sends to the function's log
    /// group, where CloudWatch extracts the metrics.
    pub fn stdout(settings: MetricsSettings) -> Emitter {
        Emitter::with_sink(
            settings,
            Arc::new(|line: &str| {
                use std::io::Write;
                // One write per line, so no other output interleaves with it.
                let mut out = std::io::stdout().lock();
                let _ = out.write_all(format!("{line}\n").as_bytes());
                let _ = out.flush();
            }),
        )
    }

    /// Lines to `sink` (tests).
    pub fn with_sink(settings: MetricsSettings, sink: Sink) -> Emitter {
        Emitter { settings, sink }
    }

    /// Replaces where the lines go, keeping the settings.
    pub fn set_sink(&mut self, sink: Sink) {
        self.sink = sink;
    }

    fn emit(&self, counts: &Counts) {
        let line = document(&self.settings, counts, now_millis()).to_string();
        (self.sink)(&line);
    }
}

/// What one invocation did, per log file named in its event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// `LogFilesScanned`.
    pub scanned: u64,
    /// `LogFilesFailed`.
    pub failed: u64,
    /// `DecompressedCapHits`.
    pub cap_hits: u64,
    /// Published findings by kind.
    pub findings: BTreeMap<String, u64>,
}

/// The fate of one object, for the counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Read to its end (findings, if any, published).
    Scanned,
    /// Not a CloudTrail log file (digest, Insights, other key): not counted.
    Skipped,
    /// Not scanned: unreadable, refused, or to be retried.
    Failed,
}

tokio::task_local! {
    static CURRENT: RefCell<Counts>;
}

/// Runs one invocation with fresh counters, then writes its line, whatever
/// the invocation returned.
pub(crate) async fn measure<F: Future>(emitter: &Emitter, invocation: F) -> F::Output {
    let (output, counts) = CURRENT
        .scope(RefCell::new(Counts::default()), async {
            let output = invocation.await;
            (output, CURRENT.with(|c| c.take()))
        })
        .await;
    emitter.emit(&counts);
    output
}

fn update(f: impl FnOnce(&mut Counts)) {
    // Outside `measure` (no invocation scope) there is nothing to count.
    let _ = CURRENT.try_with(|c| f(&mut c.borrow_mut()));
}

/// Counts the fate of one object.
pub(crate) fn record(outcome: Outcome) {
    update(|c| match outcome {
        Outcome::Scanned => c.scanned += 1,
        Outcome::Failed => c.failed += 1,
        Outcome::Skipped => {}
    });
}

/// Counts published findings by kind.
pub(crate) fn findings<'a>(kinds: impl IntoIterator<Item = &'a str>) {
    update(|c| {
        for kind in kinds {
            *c.findings.entry(kind.to_owned()).or_default() += 1;
        }
    });
}

/// Counts a log file over the decompressed-size cap.
pub(crate) fn cap_hit() {
    update(|c| c.cap_hits += 1);
}

/// The EMF document for one invocation.
pub fn document(settings: &MetricsSettings, counts: &Counts, timestamp_millis: u64) -> Value {
    let total: u64 = counts.findings.values().sum();
    let mut values: Vec<(String, u64)> = vec![
        ("LogFilesScanned".to_owned(), counts.scanned),
        ("LogFilesFailed".to_owned(), counts.failed),
        ("DecompressedCapHits".to_owned(), counts.cap_hits),
        ("Findings".to_owned(), total),
    ];
    values.extend(
        counts
            .findings
            .iter()
            .map(|(kind, n)| (format!("Findings.{kind}"), *n)),
    );
    let definitions: Vec<Value> = values
        .iter()
        .map(|(name, _)| json!({ "Name": name, "Unit": "Count" }))
        .collect();
    let mut root = Map::new();
    root.insert(
        "_aws".to_owned(),
        json!({
            "Timestamp": timestamp_millis,
            "CloudWatchMetrics": [{
                "Namespace": settings.namespace,
                "Dimensions": [["FunctionName"]],
                "Metrics": definitions,
            }],
        }),
    );
    root.insert(
        "FunctionName".to_owned(),
        Value::String(settings.function_name.clone()),
    );
    for (name, n) in values {
        root.insert(name, json!(n));
    }
    Value::Object(root)
}

fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    fn settings() -> MetricsSettings {
        MetricsSettings {
            namespace: "ns".into(),
            function_name: "fn".into(),
        }
    }

    #[test]
    fn document_defines_every_value_it_carries() {
        let counts = Counts {
            scanned: 3,
            failed: 1,
            cap_hits: 1,
            findings: BTreeMap::from([
                ("bucket-acl-public".to_owned(), 2),
                ("bucket-policy-public".to_owned(), 5),
            ]),
        };
        let doc = document(&settings(), &counts, 1_700_000_000_123);
        assert_eq!(
            doc,
            json!({
                "_aws": {
                    "Timestamp": 1_700_000_000_123u64,
                    "CloudWatchMetrics": [{
                        "Namespace": "ns",
                        "Dimensions": [["FunctionName"]],
                        "Metrics": [
                            {"Name": "LogFilesScanned", "Unit": "Count"},
                            {"Name": "LogFilesFailed", "Unit": "Count"},
                            {"Name": "DecompressedCapHits", "Unit": "Count"},
                            {"Name": "Findings", "Unit": "Count"},
                            {"Name": "Findings.bucket-acl-public", "Unit": "Count"},
                            {"Name": "Findings.bucket-policy-public", "Unit": "Count"},
                        ],
                    }],
                },
                "FunctionName": "fn",
                "LogFilesScanned": 3,
                "LogFilesFailed": 1,
                "DecompressedCapHits": 1,
                "Findings": 7,
                "Findings.bucket-acl-public": 2,
                "Findings.bucket-policy-public": 5,
            })
        );
    }

    #[tokio::test]
    async fn each_measured_invocation_starts_from_zero_and_writes_one_line() {
        let lines = Arc::new(Mutex::new(Vec::<String>::new()));
        let captured = lines.clone();
        let emitter = Emitter::with_sink(
            settings(),
            Arc::new(move |l: &str| captured.lock().unwrap().push(l.to_owned())),
        );
        let answer = measure(&emitter, async {
            record(Outcome::Scanned);
            record(Outcome::Skipped);
            record(Outcome::Failed);
            cap_hit();
            findings(["object-acl-public", "object-acl-public"]);
            42
        })
        .await;
        assert_eq!(answer, 42);
        measure(&emitter, async {}).await;
        // Outside an invocation nothing is counted, and nothing panics.
        record(Outcome::Scanned);

        let lines = lines.lock().unwrap();
        assert_eq!(lines.len(), 2);
        let first: Value = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(first["LogFilesScanned"], 1);
        assert_eq!(first["LogFilesFailed"], 1);
        assert_eq!(first["DecompressedCapHits"], 1);
        assert_eq!(first["Findings"], 2);
        assert_eq!(first["Findings.object-acl-public"], 2);
        let second: Value = serde_json::from_str(&lines[1]).unwrap();
        for name in [
            "LogFilesScanned",
            "LogFilesFailed",
            "DecompressedCapHits",
            "Findings",
        ] {
            assert_eq!(second[name], 0, "{name} carried over");
        }
        assert!(second.get("Findings.object-acl-public").is_none());
    }
}
