//! Every sink a finding can go to (SNS, Security Hub, EventBridge), each
//! with its route (minimum severity, `blocked` or not), delivered together:
//! a failing sink does not keep the others from being tried, and every
//! failure is reported.

use std::collections::HashSet;

use thiserror::Error;
use trailwatch_core::ending::Ending;
use trailwatch_core::Finding;

use crate::eventbridge::EventBridge;
use crate::route::Route;
use crate::securityhub::SecurityHub;
use crate::sns::SnsAlerter;

/// How many findings each sink took.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivered {
    /// SNS alerts published.
    pub sns: usize,
    /// Security Hub findings imported (archived ones included).
    pub security_hub: usize,
    /// Of those, imported `ARCHIVED`: their exposure closed later.
    pub security_hub_archived: usize,
    /// EventBridge events put.
    pub event_bridge: usize,
}

impl Delivered {
    fn add(&mut self, other: Delivered) {
        self.sns += other.sns;
        self.security_hub += other.security_hub;
        self.security_hub_archived += other.security_hub_archived;
        self.event_bridge += other.event_bridge;
    }
}

/// Some sinks could not take every finding (each failure in its own words).
#[derive(Debug, Error)]
#[error("{}", failures.join("; "))]
pub struct DeliveryError {
    /// One sentence per failed sink.
    pub failures: Vec<String>,
    /// What the sinks did take.
    pub delivered: Delivered,
}

/// The configured sinks.
#[derive(Debug, Clone, Default)]
pub struct Sinks {
    sns: Option<(SnsAlerter, Route)>,
    security_hub: Option<(SecurityHub, Route)>,
    event_bridge: Option<(EventBridge, Route)>,
}

impl Sinks {
    /// No sink.
    pub fn new() -> Self {
        Sinks::default()
    }

    /// Adds SNS alerts.
    pub fn with_sns(mut self, alerter: SnsAlerter, route: Route) -> Self {
        self.sns = Some((alerter, route));
        self
    }

    /// Adds Security Hub findings.
    pub fn with_security_hub(mut self, hub: SecurityHub, route: Route) -> Self {
        self.security_hub = Some((hub, route));
        self
    }

    /// Adds EventBridge events.
    pub fn with_event_bridge(mut self, bus: EventBridge, route: Route) -> Self {
        self.event_bridge = Some((bus, route));
        self
    }

    /// True when no sink is configured.
    pub fn is_empty(&self) -> bool {
        self.sns.is_none() && self.security_hub.is_none() && self.event_bridge.is_none()
    }

    /// The SNS topic, when SNS is a sink.
    pub fn sns_topic(&self) -> Option<&str> {
        self.sns.as_ref().map(|(a, _)| a.topic_arn())
    }

    /// Sends each sink the findings its route admits.
    pub async fn deliver(&self, findings: &[Finding]) -> Result<Delivered, DeliveryError> {
        self.deliver_judged(findings, &vec![false; findings.len()])
            .await
    }

    /// As [`Sinks::deliver`], but the findings marked in `closed` (parallel
    /// to `findings`: their exposure closed later, see
    /// [`crate::closed_later`]) go to Security Hub as `ARCHIVED`, never
    /// `ACTIVE` first (an update needs a later `UpdatedAt`); the other sinks
    /// get every finding alike.
    pub async fn deliver_judged(
        &self,
        findings: &[Finding],
        closed: &[bool],
    ) -> Result<Delivered, DeliveryError> {
        let mut delivered = Delivered::default();
        let mut failures = Vec::new();
        if let Some((alerter, route)) = &self.sns {
            match alerter.publish(&route.select(findings)).await {
                Ok(n) => delivered.add(Delivered {
                    sns: n,
                    ..Default::default()
                }),
                Err(e) => failures.push(e.to_string()),
            }
        }
        if let Some((hub, route)) = &self.security_hub {
            let (mut active, mut archived) = (Vec::new(), Vec::new());
            let marks = closed.iter().chain(std::iter::repeat(&false));
            for (f, &c) in findings.iter().zip(marks).filter(|(f, _)| route.admits(f)) {
                if c {
                    archived.push(f.clone())
                } else {
                    active.push(f.clone())
                }
            }
            match hub.import(&active).await {
                Ok(n) => delivered.add(Delivered {
                    security_hub: n,
                    ..Default::default()
                }),
                Err(e) => failures.push(e.to_string()),
            }
            if !archived.is_empty() {
                match hub.archive(&archived).await {
                    Ok(n) => delivered.add(Delivered {
                        security_hub: n,
                        security_hub_archived: n,
                        ..Default::default()
                    }),
                    Err(e) => failures.push(e.to_string()),
                }
            }
        }
        if let Some((bus, route)) = &self.event_bridge {
            match bus.put(&route.select(findings)).await {
                Ok(n) => delivered.add(Delivered {
                    event_bridge: n,
                    ..Default::default()
                }),
                Err(e) => failures.push(e.to_string()),
            }
        }
        if failures.is_empty() {
            Ok(delivered)
        } else {
            Err(DeliveryError {
                failures,
                delivered,
            })
        }
    }

    /// Archives in Security Hub the findings of files read before whose
    /// exposure a change of this file ended
    /// ([`SecurityHub::archive_ended`]); `this_file` are this file's
    /// findings, left to [`Sinks::deliver_judged`]. Without Security Hub,
    /// nothing to do.
    pub async fn archive_ended(
        &self,
        endings: &[Ending],
        this_file: &[Finding],
    ) -> Result<usize, DeliveryError> {
        let Some((hub, _)) = &self.security_hub else {
            return Ok(0);
        };
        if endings.is_empty() {
            return Ok(0);
        }
        let skip: HashSet<&str> = this_file.iter().map(|f| f.event_id.as_str()).collect();
        hub.archive_ended(endings, &skip)
            .await
            .map_err(|e| DeliveryError {
                failures: vec![e.to_string()],
                delivered: Delivered::default(),
            })
    }

    /// Re-imports findings whose exposure closed into Security Hub as
    /// `ARCHIVED` (the other sinks have nothing to close). Findings the
    /// Security Hub route never admitted are not archived either.
    pub async fn archive(&self, findings: &[Finding]) -> Result<usize, DeliveryError> {
        match &self.security_hub {
            None => Ok(0),
            Some((hub, route)) => {
                hub.archive(&route.select(findings))
                    .await
                    .map_err(|e| DeliveryError {
                        failures: vec![e.to_string()],
                        delivered: Delivered::default(),
                    })
            }
        }
    }
}
