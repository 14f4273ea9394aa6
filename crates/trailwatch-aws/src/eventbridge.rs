//! Findings as EventBridge events, one `PutEvents` entry per finding
//! (source `trailwatch`, detail-type `S3 Exposure Finding`, detail = the
//! finding JSON), so that rules can route them by account, kind, severity
//! or exposure. Ten entries per call and 256 KB per call; failed entries
//! are retried and those still refused reported, never dropped.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_eventbridge::error::DisplayErrorContext;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use thiserror::Error;
use trailwatch_core::text::truncate_chars;
use trailwatch_core::Finding;

use crate::alert::{bounded, MachineFinding};

/// The `source` of every event.
pub const SOURCE: &str = "trailwatch";
/// The `detail-type` of every event.
pub const DETAIL_TYPE: &str = "S3 Exposure Finding";
/// PutEvents takes at most ten entries...
const MAX_ENTRIES: usize = 10;
/// ...and 256 KB in all (an entry is measured as its source, detail type,
/// detail and resources).
pub const MAX_REQUEST_BYTES: usize = 256 * 1024;

/// Why events could not all be put.
#[derive(Debug, Error)]
pub enum EventBridgeError {
    /// The PutEvents call itself failed (after the SDK's retries).
    #[error("putting events on {bus} failed: {message}")]
    Call {
        /// The bus.
        bus: String,
        /// The SDK's error, with its context.
        message: String,
    },
    /// Some entries were still refused after retrying.
    #[error("{bus} refused {count} of the events after {attempts} attempts: {first}")]
    Refused {
        /// The bus.
        bus: String,
        /// How many.
        count: usize,
        /// Attempts made.
        attempts: u32,
        /// The first refusal's code and message.
        first: String,
    },
}

/// Puts findings on one event bus.
#[derive(Debug, Clone)]
pub struct EventBridge {
    client: aws_sdk_eventbridge::Client,
    bus: String,
    aliases: BTreeMap<String, String>,
    max_attempts: u32,
    first_backoff: Duration,
}

/// One finding as an event entry.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    detail: String,
    resources: Vec<String>,
}

impl Entry {
    fn size(&self) -> usize {
        SOURCE.len()
            + DETAIL_TYPE.len()
            + self.detail.len()
            + self.resources.iter().map(String::len).sum::<usize>()
    }
}

/// The event `detail` of a finding: its JSON (with the account alias),
/// every log-derived string bounded so that it stays under 256 KB.
pub fn detail(finding: &Finding, account_alias: Option<&str>) -> String {
    let alias = account_alias.map(|a| truncate_chars(a, 64).into_owned());
    let mut f = bounded(finding);
    let budget = MAX_REQUEST_BYTES - SOURCE.len() - DETAIL_TYPE.len() - 2048;
    for cap in [1024, 256, 64, 16] {
        let json = serde_json::to_string(&MachineFinding {
            finding: &f,
            account_alias: alias.as_deref(),
        })
        .expect("a finding serializes");
        if json.len() <= budget || cap == 16 {
            return json;
        }
        f = cut_to(&f, cap);
    }
    unreachable!("the loop returns at the last cap")
}

/// Every log-derived string of `f` cut to `cap` characters.
fn cut_to(f: &Finding, cap: usize) -> Finding {
    let cut = |s: &str| truncate_chars(s, cap).into_owned();
    Finding {
        event_id: cut(&f.event_id),
        event_time: cut(&f.event_time),
        event_name: cut(&f.event_name),
        reason: cut(&f.reason),
        account: cut(&f.account),
        region: cut(&f.region),
        bucket: f.bucket.as_deref().map(cut),
        key: f.key.as_deref().map(cut),
        actor_arn: cut(&f.actor_arn),
        actor_type: cut(&f.actor_type),
        source_ip: cut(&f.source_ip),
        user_agent: cut(&f.user_agent),
        log_file: cut(&f.log_file),
        unknown_facts: f.unknown_facts.iter().take(4).map(|s| cut(s)).collect(),
        ..f.clone()
    }
}

impl EventBridge {
    /// Puts events on `bus` (a name, or an ARN for another account's bus).
    pub fn new(client: aws_sdk_eventbridge::Client, bus: impl Into<String>) -> Self {
        EventBridge {
            client,
            bus: bus.into(),
            aliases: BTreeMap::new(),
            max_attempts: 5,
            first_backoff: Duration::from_millis(100),
        }
    }

    /// Account aliases (`[accounts]`) to show in the details.
    pub fn with_aliases(mut self, aliases: BTreeMap<String, String>) -> Self {
        self.aliases = aliases;
        self
    }

    /// The bus events go to.
    pub fn bus(&self) -> &str {
        &self.bus
    }

    /// Puts one event per finding; returns how many were accepted.
    pub async fn put(&self, findings: &[Finding]) -> Result<usize, EventBridgeError> {
        let entries: Vec<Entry> = findings
            .iter()
            .map(|f| Entry {
                detail: detail(f, self.aliases.get(&f.account).map(String::as_str)),
                resources: resource_arn(f).into_iter().collect(),
            })
            .collect();
        let mut put = 0;
        for batch in batches(&entries) {
            put += self.put_batch(batch).await?;
        }
        Ok(put)
    }

    async fn put_batch(&self, batch: &[Entry]) -> Result<usize, EventBridgeError> {
        let mut pending: Vec<&Entry> = batch.iter().collect();
        let mut backoff = self.first_backoff;
        let mut first = String::new();
        for attempt in 1..=self.max_attempts {
            let request: Vec<PutEventsRequestEntry> = pending
                .iter()
                .map(|e| {
                    PutEventsRequestEntry::builder()
                        .source(SOURCE)
                        .detail_type(DETAIL_TYPE)
                        .detail(&e.detail)
                        .set_resources(Some(e.resources.clone()))
                        .event_bus_name(&self.bus)
                        .build()
                })
                .collect();
            let output = self
                .client
                .put_events()
                .set_entries(Some(request))
                .send()
                .await
                .map_err(|e| EventBridgeError::Call {
                    bus: self.bus.clone(),
                    message: DisplayErrorContext(&e).to_string(),
                })?;
            // Result entries are in request order; a failed one has an ErrorCode.
            let results = output.entries();
            let failed: Vec<usize> = (0..pending.len())
                .filter(|&i| results.get(i).is_none_or(|r| r.error_code().is_some()))
                .collect();
            if failed.is_empty() && output.failed_entry_count() == 0 {
                return Ok(batch.len());
            }
            if let Some(r) = failed.first().and_then(|&i| results.get(i)) {
                first = format!(
                    "{}: {}",
                    r.error_code().unwrap_or("?"),
                    r.error_message().unwrap_or("")
                );
            } else if first.is_empty() {
                first = "the answer listed fewer entries than were sent".to_owned();
            }
            tracing::warn!(bus = %self.bus, attempt, failed = failed.len(), first = %first, "EventBridge refused some events");
            pending = failed.into_iter().map(|i| pending[i]).collect();
            if attempt < self.max_attempts {
                tokio::time::sleep(backoff).await;
                backoff *= 2;
            }
        }
        Err(EventBridgeError::Refused {
            bus: self.bus.clone(),
            count: pending.len(),
            attempts: self.max_attempts,
            first,
        })
    }
}

/// The ARN of the exposed bucket or object, for the event's `resources`.
fn resource_arn(f: &Finding) -> Option<String> {
    let partition = if f.region.starts_with("cn-") {
        "aws-cn"
    } else if f.region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    };
    let cut = |s: &str| truncate_chars(s, 1024).into_owned();
    match (&f.bucket, &f.key) {
        (Some(b), Some(k)) => Some(format!("arn:{partition}:s3:::{}/{}", cut(b), cut(k))),
        (Some(b), None) if !f.kind.names_access_point() => {
            Some(format!("arn:{partition}:s3:::{}", cut(b)))
        }
        _ => None,
    }
}

/// Splits entries into batches of at most ten entries and 256 KB.
fn batches(entries: &[Entry]) -> Vec<&[Entry]> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, entry) in entries.iter().enumerate() {
        let size = entry.size();
        if i > start && (i - start == MAX_ENTRIES || bytes + size > MAX_REQUEST_BYTES) {
            out.push(&entries[start..i]);
            start = i;
            bytes = 0;
        }
        bytes += size;
    }
    if start < entries.len() {
        out.push(&entries[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use trailwatch_core::{Exposure, Kind, Severity};

    fn finding() -> Finding {
        Finding {
            event_id: "e1".into(),
            event_time: "2024-02-08T11:58:28Z".into(),
            event_name: "PutObjectAcl".into(),
            kind: Kind::ObjectAclPublic,
            severity: Severity::High,
            reason: "r".into(),
            account: "111122223333".into(),
            region: "us-east-1".into(),
            bucket: Some("b".into()),
            key: Some("k".into()),
            actor_arn: String::new(),
            actor_type: String::new(),
            source_ip: String::new(),
            user_agent: String::new(),
            log_file: "f".into(),
            exposure: Exposure::Effective,
            unknown_facts: Vec::new(),
            live_check: None,
        }
    }

    #[test]
    fn detail_is_the_finding_with_its_alias() {
        let d: serde_json::Value =
            serde_json::from_str(&detail(&finding(), Some("payments-prod"))).unwrap();
        assert_eq!(d["account_alias"], "payments-prod");
        assert_eq!(d["kind"], "object-acl-public");
        assert_eq!(d["exposure"], "effective");
        assert_eq!(resource_arn(&finding()).unwrap(), "arn:aws:s3:::b/k");
    }

    #[test]
    fn hostile_details_fit_one_entry() {
        let mut f = finding();
        let evil = "\u{1}".repeat(400_000);
        f.reason = evil.clone();
        f.key = Some(evil.clone());
        f.user_agent = evil.clone();
        f.actor_arn = evil.clone();
        f.log_file = evil.clone();
        f.event_id = evil.clone();
        f.event_name = evil.clone();
        f.actor_type = evil.clone();
        f.source_ip = evil.clone();
        f.unknown_facts = vec![evil.clone(); 500];
        let d = detail(&f, Some(&evil));
        let entry = Entry {
            detail: d.clone(),
            resources: resource_arn(&f).into_iter().collect(),
        };
        assert!(entry.size() <= MAX_REQUEST_BYTES, "{}", entry.size());
        let back: Finding = serde_json::from_str(&d).unwrap();
        assert_eq!(back.kind, Kind::ObjectAclPublic);
    }

    #[test]
    fn batches_by_count_and_size() {
        let small = Entry {
            detail: "x".repeat(100),
            resources: vec![],
        };
        let entries = vec![small; 23];
        let sizes: Vec<usize> = batches(&entries).iter().map(|b| b.len()).collect();
        assert_eq!(sizes, vec![10, 10, 3]);
        let big = Entry {
            detail: "x".repeat(100 * 1024),
            resources: vec![],
        };
        let entries = vec![big; 5];
        let sizes: Vec<usize> = batches(&entries).iter().map(|b| b.len()).collect();
        assert_eq!(sizes, vec![2, 2, 1]);
    }
}
