//! The function's configuration, from its environment.

use thiserror::Error;
use trailwatch_aws::{ChangesPrefix, RouteOverride, Sink, SnsFormat};
use trailwatch_core::Limits;

use crate::metrics::MetricsSettings;

/// Where the allowlist comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowlistSource {
    /// No allowlist: every finding alerts.
    None,
    /// TOML given inline in `TRAILWATCH_CONFIG`.
    Inline(String),
    /// A TOML object named by an `s3://bucket/key` URI in `TRAILWATCH_CONFIG`.
    S3 {
        /// The bucket.
        bucket: String,
        /// The key.
        key: String,
    },
}

/// Configuration read once at start.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `SNS_TOPIC_ARN`: where alerts go (required).
    pub topic_arn: String,
    /// `TRAILWATCH_CONFIG`: the allowlist.
    pub allowlist: AllowlistSource,
    /// Per-file bounds; `TRAILWATCH_MAX_DECOMPRESSED_BYTES` sets the size cap.
    pub limits: Limits,
    /// `TRAILWATCH_ALLOWED_BUCKETS` (comma-separated): events naming other
    /// buckets are refused. Unset: any bucket.
    pub allowed_buckets: Option<Vec<String>>,
    /// `TRAILWATCH_ALERT_BLOCKED=true`: also alert refused attempts
    /// (findings whose call failed, `exposure: blocked`). Default false.
    pub alert_blocked: bool,
    /// `TRAILWATCH_METRICS_NAMESPACE` (default `trailwatch`) and the
    /// `FunctionName` dimension (`AWS_LAMBDA_FUNCTION_NAME`) of the EMF
    /// metrics.
    pub metrics: MetricsSettings,
    /// The sinks besides SNS, and how findings are routed to each.
    pub sinks: SinkSettings,
    /// The live check (`TRAILWATCH_CONFIRM`, default on; `off` turns it
    /// off): `None` when off.
    pub confirm: Option<trailwatch_confirm::ConfirmSettings>,
    /// `TRAILWATCH_ALERT_LATENT=false` drops latent findings (a public
    /// grant neutralised by a setting), as the records or the live check
    /// found them. Default true.
    pub alert_latent: bool,
    /// `TRAILWATCH_CHANGES_PREFIX` (`s3://bucket/prefix/`): the map step.
    /// Each log file an S3 Batch Operations task reads also gets its
    /// changes object there, for `trailwatch timeline --changes` to fold.
    /// Unset: none is written.
    pub changes: Option<ChangesPrefix>,
}

/// Where findings go besides the SNS topic, and which ones.
#[derive(Debug, Clone, Default)]
pub struct SinkSettings {
    /// `TRAILWATCH_SNS_FORMAT` (`standard` or `chat`): `chat` puts an Amazon
    /// Q Developer custom notification in the `default` and `https` forms.
    pub sns_format: SnsFormat,
    /// `TRAILWATCH_SECURITY_HUB=true`: import findings into Security Hub, as
    /// the calling account's default product in the function's region.
    pub security_hub: bool,
    /// `TRAILWATCH_EVENT_BUS` (a name or ARN): put one event per finding.
    pub event_bus: Option<String>,
    /// `TRAILWATCH_SNS_MIN_SEVERITY`, `TRAILWATCH_SNS_INCLUDE_BLOCKED`.
    pub sns_route: RouteOverride,
    /// `TRAILWATCH_SECURITY_HUB_MIN_SEVERITY`, `..._INCLUDE_BLOCKED`.
    pub security_hub_route: RouteOverride,
    /// `TRAILWATCH_EVENT_BUS_MIN_SEVERITY`, `..._INCLUDE_BLOCKED`.
    pub event_bus_route: RouteOverride,
}

/// A configuration problem, found at start rather than at the first event.
#[derive(Debug, Error)]
pub enum SettingsError {
    /// A required variable is unset or empty.
    #[error("{0} is required but not set")]
    Missing(&'static str),
    /// A variable has a value that cannot be used.
    #[error("{name}: {problem}")]
    Invalid {
        /// The variable.
        name: &'static str,
        /// What is wrong with it.
        problem: String,
    },
}

impl Settings {
    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<Settings, SettingsError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Settings, SettingsError> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let topic_arn = get("SNS_TOPIC_ARN").ok_or(SettingsError::Missing("SNS_TOPIC_ARN"))?;
        if !topic_arn.starts_with("arn:") {
            return Err(SettingsError::Invalid {
                name: "SNS_TOPIC_ARN",
                problem: format!("`{topic_arn}` is not an ARN"),
            });
        }
        let allowlist = match get("TRAILWATCH_CONFIG") {
            None => AllowlistSource::None,
            Some(uri) if uri.starts_with("s3://") => {
                let (bucket, key) = uri["s3://".len()..]
                    .split_once('/')
                    .filter(|(b, k)| !b.is_empty() && !k.is_empty())
                    .ok_or(SettingsError::Invalid {
                        name: "TRAILWATCH_CONFIG",
                        problem: format!("`{uri}` is not of the form s3://bucket/key"),
                    })?;
                AllowlistSource::S3 {
                    bucket: bucket.to_owned(),
                    key: key.to_owned(),
                }
            }
            Some(_) => AllowlistSource::Inline(lookup("TRAILWATCH_CONFIG").unwrap_or_default()),
        };
        let mut limits = Limits::default();
        if let Some(cap) = get("TRAILWATCH_MAX_DECOMPRESSED_BYTES") {
            limits.max_decompressed_bytes = cap.parse().map_err(|_| SettingsError::Invalid {
                name: "TRAILWATCH_MAX_DECOMPRESSED_BYTES",
                problem: format!("`{cap}` is not a whole number of bytes"),
            })?;
        }
        let allowed_buckets = get("TRAILWATCH_ALLOWED_BUCKETS").map(|list| {
            list.split(',')
                .map(str::trim)
                .filter(|b| !b.is_empty())
                .map(str::to_owned)
                .collect()
        });
        let mut metrics = MetricsSettings::default();
        if let Some(namespace) = get("TRAILWATCH_METRICS_NAMESPACE") {
            // CloudWatch's rules for a custom namespace.
            if namespace.len() > 255
                || namespace.starts_with("AWS/")
                || !namespace
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._/#:-".contains(c))
            {
                return Err(SettingsError::Invalid {
                    name: "TRAILWATCH_METRICS_NAMESPACE",
                    problem: format!(
                        "`{namespace}` is not a custom CloudWatch namespace (at most 255 of A-Z a-z 0-9 . _ / # : -, not starting with AWS/)"
                    ),
                });
            }
            metrics.namespace = namespace;
        }
        let alert_blocked = match get("TRAILWATCH_ALERT_BLOCKED").as_deref() {
            None => false,
            Some(v) if v.eq_ignore_ascii_case("true") => true,
            Some(v) if v.eq_ignore_ascii_case("false") => false,
            Some(v) => {
                return Err(SettingsError::Invalid {
                    name: "TRAILWATCH_ALERT_BLOCKED",
                    problem: format!("`{v}` is neither true nor false"),
                })
            }
        };
        let sinks = sink_settings(&lookup)?;
        let confirm = confirm_settings(&get)?;
        let alert_latent = boolean(&get, "TRAILWATCH_ALERT_LATENT", true)?;
        let changes = get("TRAILWATCH_CHANGES_PREFIX")
            .map(|uri| uri.parse())
            .transpose()
            .map_err(|e: trailwatch_aws::PrefixError| SettingsError::Invalid {
                name: "TRAILWATCH_CHANGES_PREFIX",
                problem: e.to_string(),
            })?;
        if let Some(function_name) = get("AWS_LAMBDA_FUNCTION_NAME") {
            metrics.function_name = function_name;
        }
        Ok(Settings {
            topic_arn,
            allowlist,
            limits,
            allowed_buckets,
            alert_blocked,
            metrics,
            sinks,
            confirm,
            alert_latent,
            changes,
        })
    }
}

/// `true` or `false` (any case), `default` when unset.
fn boolean(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: bool,
) -> Result<bool, SettingsError> {
    match get(name).as_deref() {
        None => Ok(default),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(v) => Err(SettingsError::Invalid {
            name,
            problem: format!("`{v}` is neither true nor false"),
        }),
    }
}

/// Reads `TRAILWATCH_CONFIRM` (`on`, the default, or `off`),
/// `TRAILWATCH_CONFIRM_ROLE` (an IAM role ARN template with `{account}`),
/// `TRAILWATCH_CONFIRM_EXTERNAL_ID` and `TRAILWATCH_CONFIRM_TIMEOUT_SECONDS`
/// (the time budget of one log file's checks, default 20).
fn confirm_settings(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<Option<trailwatch_confirm::ConfirmSettings>, SettingsError> {
    let invalid = |name, problem: String| SettingsError::Invalid { name, problem };
    match get("TRAILWATCH_CONFIRM")
        .map(|v| v.to_ascii_lowercase())
        .as_deref()
    {
        None | Some("on") => {}
        Some("off") => return Ok(None),
        Some(v) => {
            return Err(invalid(
                "TRAILWATCH_CONFIRM",
                format!("`{v}` is neither on nor off"),
            ))
        }
    }
    let mut confirm = trailwatch_confirm::ConfirmSettings::default();
    if let Some(role) = get("TRAILWATCH_CONFIRM_ROLE") {
        if !role.starts_with("arn:") || !role.contains(":role/") || !role.contains("{account}") {
            return Err(invalid(
                "TRAILWATCH_CONFIRM_ROLE",
                format!("`{role}` is not a role ARN template with {{account}}, e.g. arn:aws:iam::{{account}}:role/trailwatch-confirm"),
            ));
        }
        confirm.role_template = Some(role);
    }
    confirm.external_id = get("TRAILWATCH_CONFIRM_EXTERNAL_ID");
    if let Some(seconds) = get("TRAILWATCH_CONFIRM_TIMEOUT_SECONDS") {
        let seconds: u64 = seconds
            .parse()
            .ok()
            .filter(|s| (1..=600).contains(s))
            .ok_or_else(|| {
                invalid(
                    "TRAILWATCH_CONFIRM_TIMEOUT_SECONDS",
                    format!("`{seconds}` is not a whole number of seconds from 1 to 600"),
                )
            })?;
        confirm.budget = std::time::Duration::from_secs(seconds);
    }
    Ok(Some(confirm))
}

/// Reads the `TRAILWATCH_SNS_*`, `TRAILWATCH_SECURITY_HUB*` and
/// `TRAILWATCH_EVENT_BUS*` variables.
fn sink_settings(lookup: &impl Fn(&str) -> Option<String>) -> Result<SinkSettings, SettingsError> {
    let get = |name: &str| {
        lookup(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    // Each variable's own name is in its message.
    let invalid = |name: &'static str| {
        move |problem: String| SettingsError::Invalid {
            name,
            problem: problem
                .strip_prefix(&format!("{name}: "))
                .unwrap_or(&problem)
                .to_owned(),
        }
    };
    let sns_format = match get("TRAILWATCH_SNS_FORMAT") {
        None => SnsFormat::Standard,
        Some(v) => v.parse().map_err(invalid("TRAILWATCH_SNS_FORMAT"))?,
    };
    let security_hub = match get("TRAILWATCH_SECURITY_HUB").as_deref() {
        None => false,
        Some(v) if v.eq_ignore_ascii_case("true") => true,
        Some(v) if v.eq_ignore_ascii_case("false") => false,
        Some(v) => {
            return Err(SettingsError::Invalid {
                name: "TRAILWATCH_SECURITY_HUB",
                problem: format!("`{v}` is neither true nor false"),
            })
        }
    };
    let event_bus = get("TRAILWATCH_EVENT_BUS");
    if let Some(bus) = &event_bus {
        let name = bus.rsplit('/').next().unwrap_or(bus);
        if bus.len() > 1600
            || name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-/".contains(c))
            || (bus.contains('/') && !bus.starts_with("arn:"))
        {
            return Err(SettingsError::Invalid {
                name: "TRAILWATCH_EVENT_BUS",
                problem: format!("`{bus}` is not an event bus name or ARN"),
            });
        }
    }
    let route = |sink: Sink| {
        RouteOverride::from_lookup(sink, |k| lookup(k)).map_err(|problem| {
            let name = if problem.starts_with(sink.include_blocked_var()) {
                sink.include_blocked_var()
            } else {
                sink.min_severity_var()
            };
            invalid(name)(problem)
        })
    };
    Ok(SinkSettings {
        sns_format,
        security_hub,
        event_bus,
        sns_route: route(Sink::Sns)?,
        security_hub_route: route(Sink::SecurityHub)?,
        event_bus_route: route(Sink::EventBridge)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn live_check_variables() {
        let topic = ("SNS_TOPIC_ARN", "arn:aws:sns:us-east-1:111122223333:t");
        let s = settings(&[topic]).unwrap();
        assert!(s.alert_latent);
        let confirm = s.confirm.expect("on by default");
        assert_eq!(confirm.role_template, None);
        let s = settings(&[
            topic,
            (
                "TRAILWATCH_CONFIRM_ROLE",
                "arn:aws:iam::{account}:role/trailwatch-confirm",
            ),
            ("TRAILWATCH_CONFIRM_EXTERNAL_ID", "ext-1"),
            ("TRAILWATCH_CONFIRM_TIMEOUT_SECONDS", "7"),
            ("TRAILWATCH_ALERT_LATENT", "false"),
        ])
        .unwrap();
        assert!(!s.alert_latent);
        let confirm = s.confirm.unwrap();
        assert_eq!(confirm.external_id.as_deref(), Some("ext-1"));
        assert_eq!(confirm.budget.as_secs(), 7);
        assert!(settings(&[topic, ("TRAILWATCH_CONFIRM", "OFF")])
            .unwrap()
            .confirm
            .is_none());
        for (name, bad) in [
            ("TRAILWATCH_CONFIRM", "maybe"),
            (
                "TRAILWATCH_CONFIRM_ROLE",
                "arn:aws:iam::111122223333:role/fixed",
            ),
            ("TRAILWATCH_CONFIRM_TIMEOUT_SECONDS", "0"),
            ("TRAILWATCH_ALERT_LATENT", "no"),
        ] {
            let err = settings(&[topic, (name, bad)]).unwrap_err();
            assert!(err.to_string().starts_with(name), "{err}");
        }
    }

    #[test]
    fn changes_prefix() {
        let topic = ("SNS_TOPIC_ARN", "arn:aws:sns:us-east-1:111122223333:t");
        assert_eq!(settings(&[topic]).unwrap().changes, None);
        let s = settings(&[topic, ("TRAILWATCH_CHANGES_PREFIX", "s3://map/changes/")]).unwrap();
        let changes = s.changes.expect("set");
        assert_eq!(
            (changes.bucket.as_str(), changes.prefix.as_str()),
            ("map", "changes/")
        );
        let err =
            settings(&[topic, ("TRAILWATCH_CHANGES_PREFIX", "s3://map/changes")]).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("TRAILWATCH_CHANGES_PREFIX: `s3://map/changes` is not"),
            "{err}"
        );
    }

    #[test]
    fn topic_is_required() {
        let err = settings(&[]).unwrap_err();
        assert_eq!(err.to_string(), "SNS_TOPIC_ARN is required but not set");
        assert!(settings(&[("SNS_TOPIC_ARN", "alerts")]).is_err());
    }

    #[test]
    fn reads_every_variable() {
        let s = settings(&[
            ("SNS_TOPIC_ARN", "arn:aws:sns:us-east-1:111122223333:alerts"),
            (
                "TRAILWATCH_CONFIG",
                "s3://config-bucket/trailwatch/allow.toml",
            ),
            ("TRAILWATCH_MAX_DECOMPRESSED_BYTES", "1000000"),
            ("TRAILWATCH_ALLOWED_BUCKETS", "trail-a, trail-b,"),
        ])
        .unwrap();
        assert_eq!(
            s.allowlist,
            AllowlistSource::S3 {
                bucket: "config-bucket".into(),
                key: "trailwatch/allow.toml".into()
            }
        );
        assert_eq!(s.limits.max_decompressed_bytes, 1_000_000);
        assert_eq!(
            s.allowed_buckets,
            Some(vec!["trail-a".to_owned(), "trail-b".to_owned()])
        );
        let inline = settings(&[
            ("SNS_TOPIC_ARN", "arn:aws:sns:us-east-1:111122223333:alerts"),
            (
                "TRAILWATCH_CONFIG",
                "[[allow]]\nreason = \"x\"\nbuckets = [\"www\"]\n",
            ),
        ])
        .unwrap();
        assert!(matches!(inline.allowlist, AllowlistSource::Inline(t) if t.contains("[[allow]]")));
        assert!(settings(&[
            ("SNS_TOPIC_ARN", "arn:aws:sns:us-east-1:1:a"),
            ("TRAILWATCH_MAX_DECOMPRESSED_BYTES", "lots")
        ])
        .is_err());
        assert!(settings(&[
            ("SNS_TOPIC_ARN", "arn:aws:sns:us-east-1:1:a"),
            ("TRAILWATCH_CONFIG", "s3://bucket-only")
        ])
        .is_err());
    }

    #[test]
    fn sinks_and_routes() {
        let topic = ("SNS_TOPIC_ARN", "arn:aws:sns:us-east-1:111122223333:alerts");
        let defaults = settings(&[topic]).unwrap().sinks;
        assert_eq!(defaults.sns_format, SnsFormat::Standard);
        assert!(!defaults.security_hub);
        assert_eq!(defaults.event_bus, None);
        assert_eq!(defaults.sns_route, RouteOverride::default());
        let set = settings(&[
            topic,
            ("TRAILWATCH_SNS_FORMAT", "chat"),
            ("TRAILWATCH_SECURITY_HUB", "true"),
            (
                "TRAILWATCH_EVENT_BUS",
                "arn:aws:events:us-east-1:111122223333:event-bus/security",
            ),
            ("TRAILWATCH_SNS_MIN_SEVERITY", "high"),
            ("TRAILWATCH_SECURITY_HUB_INCLUDE_BLOCKED", "true"),
            ("TRAILWATCH_EVENT_BUS_MIN_SEVERITY", "critical"),
        ])
        .unwrap()
        .sinks;
        assert_eq!(set.sns_format, SnsFormat::Chat);
        assert!(set.security_hub);
        assert_eq!(
            set.event_bus.as_deref(),
            Some("arn:aws:events:us-east-1:111122223333:event-bus/security")
        );
        assert_eq!(
            set.sns_route.min_severity,
            Some(trailwatch_core::Severity::High)
        );
        assert_eq!(set.security_hub_route.include_blocked, Some(true));
        assert_eq!(
            set.event_bus_route.min_severity,
            Some(trailwatch_core::Severity::Critical)
        );
        for (name, bad) in [
            ("TRAILWATCH_SNS_FORMAT", "slack"),
            ("TRAILWATCH_SECURITY_HUB", "yes please"),
            ("TRAILWATCH_EVENT_BUS", "has space"),
            ("TRAILWATCH_SNS_MIN_SEVERITY", "urgent"),
            ("TRAILWATCH_EVENT_BUS_INCLUDE_BLOCKED", "maybe"),
        ] {
            let err = settings(&[topic, (name, bad)]).unwrap_err().to_string();
            assert!(err.starts_with(&format!("{name}: ")), "{name}: {err}");
        }
    }

    #[test]
    fn metrics_namespace_and_dimension() {
        let topic = ("SNS_TOPIC_ARN", "arn:aws:sns:us-east-1:111122223333:alerts");
        let defaults = settings(&[topic]).unwrap().metrics;
        assert_eq!(defaults.namespace, "trailwatch");
        assert_eq!(defaults.function_name, "trailwatch");
        let set = settings(&[
            topic,
            ("TRAILWATCH_METRICS_NAMESPACE", "Security/trailwatch"),
            ("AWS_LAMBDA_FUNCTION_NAME", "trailwatch-prod"),
        ])
        .unwrap()
        .metrics;
        assert_eq!(set.namespace, "Security/trailwatch");
        assert_eq!(set.function_name, "trailwatch-prod");
        for bad in ["AWS/Lambda", "has space", &"x".repeat(256)] {
            let err = settings(&[topic, ("TRAILWATCH_METRICS_NAMESPACE", bad)]).unwrap_err();
            assert!(
                err.to_string().starts_with("TRAILWATCH_METRICS_NAMESPACE:"),
                "{bad}: {err}"
            );
        }
    }
}
