//! Publishing findings to an SNS topic, ten per `PublishBatch` call, with
//! failed entries retried and nothing dropped without an error.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use aws_sdk_sns::error::DisplayErrorContext;
use aws_sdk_sns::types::{MessageAttributeValue, PublishBatchRequestEntry};
use thiserror::Error;
use trailwatch_core::Finding;

use crate::alert::{render_with, Alert, SnsFormat};

/// SNS accepts at most ten entries per batch...
const MAX_BATCH_ENTRIES: usize = 10;
/// ...and at most 256 KiB for all of them together.
const MAX_BATCH_BYTES: usize = 256 * 1024;

/// Why alerts could not all be published.
#[derive(Debug, Error)]
pub enum AlertError {
    /// The PublishBatch call itself failed (after the SDK's own retries).
    #[error("publishing to {topic} failed: {message}")]
    Call {
        /// The topic.
        topic: String,
        /// The SDK's error, with its context.
        message: String,
    },
    /// Some entries were still refused after retrying.
    #[error("{topic} refused {count} of the alerts after {attempts} attempts: {first}")]
    Refused {
        /// The topic.
        topic: String,
        /// How many alerts were refused.
        count: usize,
        /// Attempts made.
        attempts: u32,
        /// The first refusal's code and message.
        first: String,
    },
    /// An alert could not be turned into a request.
    #[error("building an SNS request: {0}")]
    Build(String),
}

/// Publishes findings as alerts to one topic.
#[derive(Debug, Clone)]
pub struct SnsAlerter {
    client: aws_sdk_sns::Client,
    topic_arn: String,
    fifo: bool,
    max_attempts: u32,
    first_backoff: Duration,
    format: SnsFormat,
    aliases: BTreeMap<String, String>,
}

impl SnsAlerter {
    /// An alerter for `topic_arn`; a topic whose name ends in `.fifo` gets
    /// message group and deduplication ids.
    pub fn new(client: aws_sdk_sns::Client, topic_arn: impl Into<String>) -> Self {
        let topic_arn = topic_arn.into();
        SnsAlerter {
            fifo: topic_arn.ends_with(".fifo"),
            client,
            topic_arn,
            max_attempts: 5,
            first_backoff: Duration::from_millis(100),
            format: SnsFormat::Standard,
            aliases: BTreeMap::new(),
        }
    }

    /// What the `default` and `https` forms hold (`TRAILWATCH_SNS_FORMAT`).
    pub fn with_format(mut self, format: SnsFormat) -> Self {
        self.format = format;
        self
    }

    /// Account aliases (`[accounts]`) to show in subjects and bodies.
    pub fn with_aliases(mut self, aliases: BTreeMap<String, String>) -> Self {
        self.aliases = aliases;
        self
    }

    /// The topic alerts go to.
    pub fn topic_arn(&self) -> &str {
        &self.topic_arn
    }

    /// Publishes one alert per finding. Returns how many were published;
    /// any that could not be published after retries make it an error.
    pub async fn publish(&self, findings: &[Finding]) -> Result<usize, AlertError> {
        let alerts: Vec<Alert> = findings
            .iter()
            .map(|f| {
                let alias = self.aliases.get(&f.account).map(String::as_str);
                render_with(f, self.format, alias)
            })
            .collect();
        let mut published = 0;
        for batch in batches(&alerts) {
            published += self.publish_batch(batch).await?;
        }
        Ok(published)
    }

    async fn publish_batch(&self, alerts: &[Alert]) -> Result<usize, AlertError> {
        let mut pending: Vec<(String, &Alert)> = alerts
            .iter()
            .enumerate()
            .map(|(i, a)| (format!("a{i}"), a))
            .collect();
        let mut backoff = self.first_backoff;
        let mut last_refusal = String::new();
        for attempt in 1..=self.max_attempts {
            let entries = pending
                .iter()
                .map(|(id, alert)| self.entry(id, alert))
                .collect::<Result<Vec<_>, _>>()?;
            let output = self
                .client
                .publish_batch()
                .topic_arn(&self.topic_arn)
                .set_publish_batch_request_entries(Some(entries))
                .send()
                .await
                .map_err(|e| AlertError::Call {
                    topic: self.topic_arn.clone(),
                    message: DisplayErrorContext(&e).to_string(),
                })?;
            let failed = output.failed();
            if failed.is_empty() {
                return Ok(alerts.len());
            }
            let first = &failed[0];
            last_refusal = format!("{}: {}", first.code(), first.message().unwrap_or(""));
            tracing::warn!(
                topic = %self.topic_arn,
                attempt,
                failed = failed.len(),
                first = %last_refusal,
                "SNS refused some alerts"
            );
            // Entries the sender got wrong will not succeed on retry.
            if failed.iter().any(|f| f.sender_fault()) {
                return Err(self.refused(failed.len(), attempt, last_refusal));
            }
            let failed_ids: Vec<&str> = failed.iter().map(|f| f.id()).collect();
            pending.retain(|(id, _)| failed_ids.contains(&id.as_str()));
            if attempt < self.max_attempts {
                tokio::time::sleep(backoff).await;
                backoff *= 2;
            }
        }
        Err(self.refused(pending.len(), self.max_attempts, last_refusal))
    }

    fn refused(&self, count: usize, attempts: u32, first: String) -> AlertError {
        AlertError::Refused {
            topic: self.topic_arn.clone(),
            count,
            attempts,
            first,
        }
    }

    fn entry(&self, id: &str, alert: &Alert) -> Result<PublishBatchRequestEntry, AlertError> {
        let attributes = alert
            .attributes
            .iter()
            .map(|(name, value)| {
                MessageAttributeValue::builder()
                    .data_type("String")
                    .string_value(value)
                    .build()
                    .map(|v| (name.to_string(), v))
            })
            .collect::<Result<HashMap<_, _>, _>>()
            .map_err(|e| AlertError::Build(e.to_string()))?;
        let mut entry = PublishBatchRequestEntry::builder()
            .id(id)
            .subject(&alert.subject)
            .message(&alert.message)
            .message_structure("json")
            .set_message_attributes(Some(attributes));
        if self.fifo {
            entry = entry
                .message_group_id(&alert.group_id)
                .message_deduplication_id(&alert.deduplication_id);
        }
        entry.build().map_err(|e| AlertError::Build(e.to_string()))
    }
}

/// Splits alerts into batches of at most ten entries and 256 KiB.
fn batches(alerts: &[Alert]) -> Vec<&[Alert]> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, alert) in alerts.iter().enumerate() {
        let size = alert.message.len() + alert.subject.len() + 512;
        if i > start && (i - start == MAX_BATCH_ENTRIES || bytes + size > MAX_BATCH_BYTES) {
            out.push(&alerts[start..i]);
            start = i;
            bytes = 0;
        }
        bytes += size;
    }
    if start < alerts.len() {
        out.push(&alerts[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(size: usize) -> Alert {
        Alert {
            subject: "s".into(),
            message: "m".repeat(size),
            attributes: Vec::new(),
            group_id: "g".into(),
            deduplication_id: "d".into(),
        }
    }

    #[test]
    fn batches_by_count_and_size() {
        let small: Vec<Alert> = (0..23).map(|_| alert(100)).collect();
        let sizes: Vec<usize> = batches(&small).iter().map(|b| b.len()).collect();
        assert_eq!(sizes, vec![10, 10, 3]);
        let big: Vec<Alert> = (0..5).map(|_| alert(100 * 1024)).collect();
        let sizes: Vec<usize> = batches(&big).iter().map(|b| b.len()).collect();
        assert_eq!(sizes, vec![2, 2, 1]);
        assert!(batches(&[]).is_empty());
    }
}
