//! Known, accepted exposures (a public website bucket, a sandbox account),
//! written down with a reason. A suppressed finding is counted and can be
//! listed; it is never silently dropped.
//!
//! ```toml
//! [[allow]]
//! reason = "static website, reviewed in SEC-123"
//! buckets = ["www.example.com", "assets-*"]   # globs
//! kinds = ["bucket-policy-public"]
//!
//! [[allow]]
//! reason = "sandbox account, nothing sensitive by policy"
//! accounts = ["111122223333"]
//! actors = ["arn:aws:iam::111122223333:role/sandbox-*"]   # globs
//! ```
//!
//! Within one entry every field given must match; any entry matching
//! suppresses the finding.
//!
//! The same file names accounts and routes findings to sinks by severity
//! (every finding by default; `blocked` ones only when a sink includes them):
//!
//! ```toml
//! [accounts]
//! "111122223333" = "payments-prod"   # shown next to the ID in every alert
//!
//! [sinks.sns]
//! min_severity = "high"
//! [sinks.security_hub]
//! min_severity = "medium"
//! include_blocked = true
//! [sinks.event_bridge]
//! min_severity = "critical"
//! ```
//!
//! And it names the trusted set, which turns on the cross-account rules
//! (the record's own account is always trusted):
//!
//! ```toml
//! [trust]
//! accounts = ["444455556666"]
//! organizations = ["o-a1b2c3d4e5"]
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use globset::{Glob, GlobMatcher};
use serde::Deserialize;
use thiserror::Error;

use crate::finding::{Finding, Kind, Severity};
use crate::trust::{is_account_id, is_organization_id, Trust};

/// Why an allowlist could not be loaded.
#[derive(Debug, Error)]
pub enum AllowlistError {
    /// The file could not be read.
    #[error("{path}: cannot read: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The TOML is malformed or has unknown fields.
    #[error("{origin}: {message}")]
    Invalid {
        /// The file, or another description of where the text came from.
        origin: String,
        /// What is wrong.
        message: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    allow: Vec<EntryText>,
    #[serde(default)]
    accounts: BTreeMap<String, String>,
    #[serde(default)]
    sinks: Routes,
    #[serde(default)]
    trust: TrustText,
}

/// `[trust]`: accounts and organizations whose access is expected.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TrustText {
    #[serde(default)]
    accounts: Vec<String>,
    #[serde(default)]
    organizations: Vec<String>,
}

/// `[sinks.<name>]`: which findings one sink receives.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RouteText {
    #[serde(default)]
    min_severity: Option<Severity>,
    #[serde(default)]
    include_blocked: bool,
}

/// `[sinks]`: the sinks a route can be given for; any other name is an error.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Routes {
    #[serde(default)]
    sns: RouteText,
    #[serde(default)]
    security_hub: RouteText,
    #[serde(default)]
    event_bridge: RouteText,
}

impl Routes {
    fn get(&self, sink: &str) -> Option<&RouteText> {
        match sink {
            "sns" => Some(&self.sns),
            "security_hub" => Some(&self.security_hub),
            "event_bridge" => Some(&self.event_bridge),
            _ => None,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryText {
    reason: String,
    #[serde(default)]
    buckets: Vec<String>,
    #[serde(default)]
    accounts: Vec<String>,
    #[serde(default)]
    actors: Vec<String>,
    #[serde(default)]
    kinds: Vec<String>,
}

#[derive(Debug)]
struct Entry {
    reason: String,
    buckets: Vec<GlobMatcher>,
    accounts: Vec<String>,
    actors: Vec<GlobMatcher>,
    kinds: Vec<Kind>,
}

impl Entry {
    fn matches(&self, finding: &Finding) -> bool {
        let bucket = finding.bucket.as_deref();
        (self.buckets.is_empty()
            || bucket.is_some_and(|b| self.buckets.iter().any(|g| g.is_match(b))))
            && (self.accounts.is_empty() || self.accounts.contains(&finding.account))
            && (self.actors.is_empty()
                || self.actors.iter().any(|g| g.is_match(&finding.actor_arn)))
            && (self.kinds.is_empty() || self.kinds.contains(&finding.kind))
    }
}

/// A set of allowlist entries.
#[derive(Debug, Default)]
pub struct Allowlist {
    entries: Vec<Entry>,
    accounts: BTreeMap<String, String>,
    routes: Routes,
    trust: Trust,
}

impl Allowlist {
    /// Loads an allowlist file.
    pub fn load(path: &Path) -> Result<Self, AllowlistError> {
        let text = std::fs::read_to_string(path).map_err(|source| AllowlistError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Parses allowlist TOML; `origin` names where it came from in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Self, AllowlistError> {
        let invalid = |message: String| AllowlistError::Invalid {
            origin: origin.to_owned(),
            message,
        };
        let file: File = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        let globs = |patterns: &[String], n: usize| -> Result<Vec<GlobMatcher>, AllowlistError> {
            patterns
                .iter()
                .map(|p| {
                    Glob::new(p)
                        .map(|g| g.compile_matcher())
                        .map_err(|e| invalid(format!("allow entry {n}: bad glob `{p}`: {e}")))
                })
                .collect()
        };
        for (id, alias) in &file.accounts {
            if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid(format!(
                    "accounts: `{id}` is not a 12-digit AWS account ID"
                )));
            }
            if alias.trim().is_empty()
                || alias.chars().count() > 64
                || alias.chars().any(char::is_control)
            {
                return Err(invalid(format!(
                    "accounts: the alias of {id} must be 1 to 64 printable characters"
                )));
            }
        }
        if let Some(bad) = file.trust.accounts.iter().find(|a| !is_account_id(a)) {
            return Err(invalid(format!(
                "trust: `{bad}` is not a 12-digit AWS account ID"
            )));
        }
        if let Some(bad) = file
            .trust
            .organizations
            .iter()
            .find(|o| !is_organization_id(o))
        {
            return Err(invalid(format!(
                "trust: `{bad}` is not an organization ID (o- and 10 to 32 lowercase letters or digits)"
            )));
        }
        let mut entries = Vec::new();
        for (i, e) in file.allow.into_iter().enumerate() {
            let n = i + 1;
            if e.reason.trim().is_empty() {
                return Err(invalid(format!(
                    "allow entry {n}: `reason` must say why it is accepted"
                )));
            }
            if e.buckets.is_empty()
                && e.accounts.is_empty()
                && e.actors.is_empty()
                && e.kinds.is_empty()
            {
                return Err(invalid(format!(
                    "allow entry {n}: give at least one of buckets, accounts, actors, kinds (an empty entry would hide everything)"
                )));
            }
            let kinds = e
                .kinds
                .iter()
                .map(|k| {
                    k.parse::<Kind>()
                        .map_err(|m| invalid(format!("allow entry {n}: {m}")))
                })
                .collect::<Result<_, _>>()?;
            entries.push(Entry {
                buckets: globs(&e.buckets, n)?,
                actors: globs(&e.actors, n)?,
                accounts: e.accounts,
                kinds,
                reason: e.reason,
            });
        }
        Ok(Allowlist {
            entries,
            accounts: file.accounts,
            routes: file.sinks,
            trust: Trust::new(file.trust.accounts, file.trust.organizations),
        })
    }

    /// The reason of the first entry that accepts this finding, if any.
    pub fn suppression(&self, finding: &Finding) -> Option<&str> {
        self.entries
            .iter()
            .find(|e| e.matches(finding))
            .map(|e| e.reason.as_str())
    }

    /// The alias configured for an account ID (`[accounts]`), if any.
    pub fn account_alias(&self, account: &str) -> Option<&str> {
        self.accounts.get(account).map(String::as_str)
    }

    /// The trusted set (`[trust]`); not configured when the section is absent.
    pub fn trust(&self) -> &Trust {
        &self.trust
    }

    /// Every configured account alias, by account ID.
    pub fn account_aliases(&self) -> &BTreeMap<String, String> {
        &self.accounts
    }

    /// `[sinks.<sink>] min_severity` (`sink` is `sns`, `security_hub` or
    /// `event_bridge`): findings below it are not sent there. `None`: every
    /// severity.
    pub fn min_severity(&self, sink: &str) -> Option<Severity> {
        self.routes.get(sink).and_then(|r| r.min_severity)
    }

    /// `[sinks.<sink>] include_blocked`: whether `blocked` findings (failed
    /// attempts, which changed nothing) are sent there; false by default.
    pub fn includes_blocked(&self, sink: &str) -> bool {
        self.routes.get(sink).is_some_and(|r| r.include_blocked)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing is allowlisted.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_and_sink_routes() {
        let list = Allowlist::parse(
            "[accounts]\n\"111122223333\" = \"payments-prod\"\n\
             [sinks.sns]\nmin_severity = \"high\"\n\
             [sinks.event_bridge]\ninclude_blocked = true\n",
            "test",
        )
        .unwrap();
        assert_eq!(list.account_alias("111122223333"), Some("payments-prod"));
        assert_eq!(list.account_alias("444455556666"), None);
        assert_eq!(list.min_severity("sns"), Some(Severity::High));
        assert_eq!(list.min_severity("security_hub"), None);
        assert!(list.includes_blocked("event_bridge"));
        assert!(!list.includes_blocked("sns"));
        assert!(list.is_empty());
        assert!(!list.trust().is_configured());
    }

    #[test]
    fn trusted_set() {
        let list = Allowlist::parse(
            "[trust]\naccounts = [\"444455556666\"]\norganizations = [\"o-a1b2c3d4e5\"]\n",
            "test",
        )
        .unwrap();
        assert!(list.trust().is_configured());
        assert!(list.trust().trusts_account("111122223333", "444455556666"));
        assert!(!list.trust().trusts_account("111122223333", "777788889999"));
        assert!(list.trust().trusts_organization("o-a1b2c3d4e5"));
    }

    #[test]
    fn rejects_unknown_sinks_fields_and_bad_accounts() {
        for (text, needle) in [
            ("[sinks.snss]\nmin_severity = \"high\"\n", "snss"),
            ("[sinks.sns]\nmin_sev = \"high\"\n", "min_sev"),
            ("[sinks.sns]\nmin_severity = \"urgent\"\n", "urgent"),
            ("[accounts]\n\"1234\" = \"short\"\n", "12-digit"),
            ("[accounts]\n\"111122223333\" = \" \"\n", "alias"),
            ("[trust]\naccounts = [\"1234\"]\n", "12-digit"),
            ("[trust]\norganizations = [\"org-1\"]\n", "organization ID"),
            ("[trust]\naccount = [\"111122223333\"]\n", "account"),
        ] {
            let err = Allowlist::parse(text, "test").unwrap_err().to_string();
            assert!(err.contains(needle), "{text}: {err}");
        }
    }
}
