//! Which findings each sink receives: a minimum severity, and whether
//! `blocked` findings (failed attempts, which changed nothing) are sent at
//! all. By default every severity and no `blocked` finding. Set in the
//! config file (`[sinks.sns]`, `[sinks.security_hub]`,
//! `[sinks.event_bridge]`) and overridden by the environment
//! (`TRAILWATCH_SNS_MIN_SEVERITY`, `TRAILWATCH_SECURITY_HUB_MIN_SEVERITY`,
//! `TRAILWATCH_EVENT_BUS_MIN_SEVERITY`, and `..._INCLUDE_BLOCKED`).

use trailwatch_core::{Allowlist, Exposure, Finding, Severity};

/// A sink findings can be routed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sink {
    /// SNS alerts.
    Sns,
    /// Security Hub findings.
    SecurityHub,
    /// EventBridge events.
    EventBridge,
}

impl Sink {
    /// The table name under `[sinks]` in the config file.
    pub fn config_name(self) -> &'static str {
        match self {
            Sink::Sns => "sns",
            Sink::SecurityHub => "security_hub",
            Sink::EventBridge => "event_bridge",
        }
    }

    /// The environment variable setting this sink's minimum severity.
    pub fn min_severity_var(self) -> &'static str {
        match self {
            Sink::Sns => "TRAILWATCH_SNS_MIN_SEVERITY",
            Sink::SecurityHub => "TRAILWATCH_SECURITY_HUB_MIN_SEVERITY",
            Sink::EventBridge => "TRAILWATCH_EVENT_BUS_MIN_SEVERITY",
        }
    }

    /// The environment variable including `blocked` findings (`true`/`false`).
    pub fn include_blocked_var(self) -> &'static str {
        match self {
            Sink::Sns => "TRAILWATCH_SNS_INCLUDE_BLOCKED",
            Sink::SecurityHub => "TRAILWATCH_SECURITY_HUB_INCLUDE_BLOCKED",
            Sink::EventBridge => "TRAILWATCH_EVENT_BUS_INCLUDE_BLOCKED",
        }
    }
}

/// Environment overrides of one sink's route, read once at start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RouteOverride {
    /// The minimum severity, when the variable is set.
    pub min_severity: Option<Severity>,
    /// Whether `blocked` findings are included, when the variable is set.
    pub include_blocked: Option<bool>,
}

impl RouteOverride {
    /// Reads `sink`'s variables through `lookup`; an unusable value is an
    /// error naming the variable.
    pub fn from_lookup(
        sink: Sink,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<RouteOverride, String> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let min_severity = get(sink.min_severity_var())
            .map(|v| parse_severity(&v).map_err(|e| format!("{}: {e}", sink.min_severity_var())))
            .transpose()?;
        let include_blocked = get(sink.include_blocked_var())
            .map(|v| match v.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => Ok(true),
                "false" | "0" | "no" => Ok(false),
                _ => Err(format!(
                    "{}: `{v}` is not true or false",
                    sink.include_blocked_var()
                )),
            })
            .transpose()?;
        Ok(RouteOverride {
            min_severity,
            include_blocked,
        })
    }
}

/// Which findings one sink receives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Route {
    /// Findings below this are not sent; `None` sends every severity.
    pub min_severity: Option<Severity>,
    /// Send `blocked` findings too.
    pub include_blocked: bool,
}

impl Route {
    /// The route the config file gives `sink`, with the environment's
    /// overrides applied on top.
    pub fn new(config: &Allowlist, sink: Sink, overrides: RouteOverride) -> Route {
        Route {
            min_severity: overrides
                .min_severity
                .or_else(|| config.min_severity(sink.config_name())),
            include_blocked: overrides
                .include_blocked
                .unwrap_or_else(|| config.includes_blocked(sink.config_name())),
        }
    }

    /// True when the sink takes this finding.
    pub fn admits(&self, finding: &Finding) -> bool {
        (self.include_blocked || finding.exposure != Exposure::Blocked)
            && self.min_severity.is_none_or(|min| finding.severity >= min)
    }

    /// The findings the sink takes, in order.
    pub fn select(&self, findings: &[Finding]) -> Vec<Finding> {
        findings
            .iter()
            .filter(|f| self.admits(f))
            .cloned()
            .collect()
    }
}

/// `critical`, `high` or `medium` (any case).
pub fn parse_severity(text: &str) -> Result<Severity, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "critical" => Ok(Severity::Critical),
        "high" => Ok(Severity::High),
        "medium" => Ok(Severity::Medium),
        other => Err(format!(
            "`{other}` is not a severity (critical, high or medium)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use trailwatch_core::Kind;

    fn finding(severity: Severity, exposure: Exposure) -> Finding {
        Finding {
            event_id: "e".into(),
            event_time: "2024-01-01T00:00:00Z".into(),
            event_name: "PutBucketAcl".into(),
            kind: Kind::BucketAclPublic,
            severity,
            reason: "r".into(),
            account: "111122223333".into(),
            region: "us-east-1".into(),
            bucket: Some("b".into()),
            key: None,
            actor_arn: String::new(),
            actor_type: String::new(),
            source_ip: String::new(),
            user_agent: String::new(),
            log_file: "f".into(),
            exposure,
            unknown_facts: Vec::new(),
            live_check: None,
        }
    }

    #[test]
    fn default_takes_everything_but_blocked() {
        let route = Route::default();
        assert!(route.admits(&finding(Severity::Medium, Exposure::Possible)));
        assert!(route.admits(&finding(Severity::Critical, Exposure::Latent)));
        assert!(!route.admits(&finding(Severity::Critical, Exposure::Blocked)));
        let including = Route {
            include_blocked: true,
            ..Route::default()
        };
        assert!(including.admits(&finding(Severity::Critical, Exposure::Blocked)));
    }

    #[test]
    fn config_then_environment() {
        let config = Allowlist::parse(
            "[sinks.sns]\nmin_severity = \"high\"\n[sinks.security_hub]\ninclude_blocked = true\n",
            "test",
        )
        .unwrap();
        let sns = Route::new(&config, Sink::Sns, RouteOverride::default());
        assert_eq!(sns.min_severity, Some(Severity::High));
        assert!(!sns.admits(&finding(Severity::Medium, Exposure::Effective)));
        assert!(sns.admits(&finding(Severity::High, Exposure::Effective)));
        let env: HashMap<&str, &str> = [
            ("TRAILWATCH_SNS_MIN_SEVERITY", "Critical"),
            ("TRAILWATCH_SECURITY_HUB_INCLUDE_BLOCKED", "false"),
        ]
        .into();
        let lookup = |k: &str| env.get(k).map(|v| v.to_string());
        let sns = Route::new(
            &config,
            Sink::Sns,
            RouteOverride::from_lookup(Sink::Sns, lookup).unwrap(),
        );
        assert_eq!(sns.min_severity, Some(Severity::Critical));
        let hub = Route::new(&config, Sink::SecurityHub, RouteOverride::default());
        assert!(hub.include_blocked);
        let hub = Route::new(
            &config,
            Sink::SecurityHub,
            RouteOverride::from_lookup(Sink::SecurityHub, lookup).unwrap(),
        );
        assert!(!hub.include_blocked);
        let bad = |k: &str| (k == "TRAILWATCH_EVENT_BUS_MIN_SEVERITY").then(|| "urgent".to_owned());
        let err = RouteOverride::from_lookup(Sink::EventBridge, bad).unwrap_err();
        assert!(
            err.starts_with("TRAILWATCH_EVENT_BUS_MIN_SEVERITY: `urgent`"),
            "{err}"
        );
    }
}
