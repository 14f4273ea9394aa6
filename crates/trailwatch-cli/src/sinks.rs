//! The sinks of a replay (`--alert-sns`, `--security-hub`, `--event-bus`),
//! built once, with the routes of the config file (`[sinks.*]`) and the
//! environment (`TRAILWATCH_*_MIN_SEVERITY`, `TRAILWATCH_*_INCLUDE_BLOCKED`,
//! `TRAILWATCH_SNS_FORMAT`, `TRAILWATCH_EVENT_BUS`), as the Lambda reads them.

use anyhow::{Context, Result};
use trailwatch_aws::{
    EventBridge, Route, RouteOverride, SdkConfig, SecurityHub, Sink, Sinks, SnsAlerter, SnsFormat,
    Target,
};
use trailwatch_core::Allowlist;

use crate::session::Remote;

/// The event bus: `--event-bus`, else `TRAILWATCH_EVENT_BUS`.
pub fn event_bus(flag: Option<String>) -> Option<String> {
    flag.or_else(|| std::env::var("TRAILWATCH_EVENT_BUS").ok())
        .map(|b| b.trim().to_owned())
        .filter(|b| !b.is_empty())
}

/// True when any sink is asked for.
pub fn wanted(remote: &Remote) -> bool {
    remote.alert_sns.is_some() || remote.security_hub || remote.event_bus.is_some()
}

/// Builds the sinks asked for; Security Hub asks STS for the calling account.
pub fn build(
    runtime: &tokio::runtime::Runtime,
    config: &SdkConfig,
    remote: &Remote,
    allowlist: &Allowlist,
) -> Result<Sinks> {
    let env = |name: &str| std::env::var(name).ok();
    let route = |sink: Sink| -> Result<Route> {
        let overrides = RouteOverride::from_lookup(sink, env).map_err(anyhow::Error::msg)?;
        Ok(Route::new(allowlist, sink, overrides))
    };
    let aliases = allowlist.account_aliases().clone();
    let mut sinks = Sinks::new();
    if let Some(topic) = &remote.alert_sns {
        let format: SnsFormat = match env("TRAILWATCH_SNS_FORMAT") {
            Some(v) if !v.trim().is_empty() => v
                .parse()
                .map_err(|e: String| anyhow::anyhow!("TRAILWATCH_SNS_FORMAT: {e}"))?,
            _ => SnsFormat::Standard,
        };
        let alerter = SnsAlerter::new(trailwatch_aws::sns_client(config), topic)
            .with_format(format)
            .with_aliases(aliases.clone());
        sinks = sinks.with_sns(alerter, route(Sink::Sns)?);
    }
    if remote.security_hub {
        let account = runtime
            .block_on(trailwatch_aws::caller_account(config))
            .map_err(anyhow::Error::msg)
            .context("--security-hub")?;
        let region = config
            .region()
            .map(|r| r.to_string())
            .context("--security-hub needs an AWS region (AWS_REGION or the profile's)")?;
        let hub = SecurityHub::new(
            trailwatch_aws::securityhub_client(config),
            Target { account, region },
        )
        .with_aliases(aliases.clone());
        sinks = sinks.with_security_hub(hub, route(Sink::SecurityHub)?);
    }
    if let Some(bus) = &remote.event_bus {
        let bus =
            EventBridge::new(trailwatch_aws::eventbridge_client(config), bus).with_aliases(aliases);
        sinks = sinks.with_event_bridge(bus, route(Sink::EventBridge)?);
    }
    Ok(sinks)
}
