//! Live documents judged by the record rules: a bucket policy or ACL read
//! from S3 now is evaluated exactly as the same document in a
//! `PutBucketPolicy` or `PutBucketAcl` record would be (one evaluator for
//! records and live state), and what the live check puts on a finding.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::record::Record;
use crate::rules::{self, RuleLimits};
use crate::{Limits, Severity};

/// A public grant found in a live document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveGrant {
    /// How bad the grant is, as the record rules rate it.
    pub severity: Severity,
    /// The rules' sentence saying why it is public.
    pub reason: String,
}

/// The verdict on a live bucket policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LivePolicy {
    /// Some statement makes the bucket public.
    Public(LiveGrant),
    /// No statement makes it public.
    NotPublic,
    /// The document cannot be evaluated (not JSON, over the size limit):
    /// it cannot be shown to be private.
    Unevaluable(String),
}

/// One grant of a live bucket ACL: the grantee's group URI (absent for
/// canonical users and e-mail grantees) and the permission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveAclGrant {
    /// `Grantee.URI`, for group grantees.
    pub grantee_uri: Option<String>,
    /// `READ`, `WRITE`, `READ_ACP`, `WRITE_ACP` or `FULL_CONTROL`.
    pub permission: String,
}

/// Evaluates a bucket policy as read by `GetBucketPolicy`, with the rules a
/// logged `PutBucketPolicy` of the same document goes through.
pub fn evaluate_live_policy(bucket: &str, document: &str, limits: &Limits) -> LivePolicy {
    let record = synthetic(
        "PutBucketPolicy",
        json!({ "bucketName": bucket, "bucketPolicy": document }),
    );
    match rules::evaluate_call(&record, rule_limits(limits))
        .into_iter()
        .next()
    {
        None => LivePolicy::NotPublic,
        Some(hit) if hit.unevaluable => LivePolicy::Unevaluable(hit.reason),
        Some(hit) => LivePolicy::Public(LiveGrant {
            severity: hit.severity,
            reason: hit.reason,
        }),
    }
}

/// Evaluates a bucket ACL as read by `GetBucketAcl`, with the rules a logged
/// `PutBucketAcl` carrying the same grants goes through; `None` when no
/// grant is public.
pub fn evaluate_live_acl(bucket: &str, grants: &[LiveAclGrant]) -> Option<LiveGrant> {
    let grants: Vec<Value> = grants
        .iter()
        .map(|g| {
            json!({
                "Grantee": { "URI": g.grantee_uri.clone().unwrap_or_default() },
                "Permission": g.permission,
            })
        })
        .collect();
    let record = synthetic(
        "PutBucketAcl",
        json!({
            "bucketName": bucket,
            "AccessControlPolicy": { "AccessControlList": { "Grant": grants } },
        }),
    );
    rules::evaluate_call(&record, rule_limits(&Limits::default()))
        .into_iter()
        .next()
        .map(|hit| LiveGrant {
            severity: hit.severity,
            reason: hit.reason,
        })
}

fn rule_limits(limits: &Limits) -> RuleLimits {
    RuleLimits {
        max_policy_bytes: limits.max_policy_bytes,
    }
}

/// A successful S3 record of `event_name` with `params`: the shape the
/// rules read.
fn synthetic(event_name: &str, params: Value) -> Record {
    Record {
        event_source: Some(Value::String(rules::S3_EVENT_SOURCE.to_owned())),
        event_name: Some(Value::String(event_name.to_owned())),
        request_parameters: Some(params),
        ..Record::default()
    }
}

/// What asking S3 about the resource found, put on a finding by the Lambda
/// (and `trailwatch replay --confirm`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveCheck {
    /// The live verdict, or `unverifiable` when S3 could not be asked.
    pub status: LiveStatus,
    /// When S3 was asked (UTC, ISO 8601).
    pub checked_at: String,
    /// What was read, one line each with its answer
    /// (e.g. `GetBucketPolicy: public (statement ...)`).
    pub checked: Vec<String>,
    /// One sentence for a person: why this verdict, or why none.
    pub detail: String,
}

/// The outcome of a live check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LiveStatus {
    /// Public now, as S3 has it.
    Effective,
    /// A public grant exists now but a setting neutralises it.
    Latent,
    /// Not public any more when checked.
    Closed,
    /// S3 could not be asked (access denied, throttled past the budget, no
    /// role for the account); the finding keeps the record's verdict.
    Unverifiable,
}

impl LiveStatus {
    /// The lowercase name used in output and alerts.
    pub fn as_str(self) -> &'static str {
        match self {
            LiveStatus::Effective => "effective",
            LiveStatus::Latent => "latent",
            LiveStatus::Closed => "closed",
            LiveStatus::Unverifiable => "unverifiable",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_policy_uses_the_record_rules() {
        let limits = Limits::default();
        let public = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#;
        assert!(matches!(
            evaluate_live_policy("b", public, &limits),
            LivePolicy::Public(LiveGrant {
                severity: Severity::High,
                ..
            })
        ));
        // Only SecureTransport: still anyone (the rules say public).
        let tls = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}"#;
        assert!(matches!(
            evaluate_live_policy("b", tls, &limits),
            LivePolicy::Public(_)
        ));
        let vpc = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1"}}}]}"#;
        assert_eq!(
            evaluate_live_policy("b", vpc, &limits),
            LivePolicy::NotPublic
        );
        assert!(matches!(
            evaluate_live_policy("b", "{not json", &limits),
            LivePolicy::Unevaluable(_)
        ));
    }

    #[test]
    fn live_acl_uses_the_record_rules() {
        let grant = |uri: Option<&str>, p: &str| LiveAclGrant {
            grantee_uri: uri.map(str::to_owned),
            permission: p.to_owned(),
        };
        let owner = grant(None, "FULL_CONTROL");
        assert_eq!(evaluate_live_acl("b", std::slice::from_ref(&owner)), None);
        let all = grant(
            Some("http://acs.amazonaws.com/groups/global/AllUsers"),
            "WRITE",
        );
        let hit = evaluate_live_acl("b", &[owner, all]).expect("public");
        assert_eq!(hit.severity, Severity::Critical);
        let log = grant(
            Some("http://acs.amazonaws.com/groups/s3/LogDelivery"),
            "WRITE",
        );
        assert_eq!(evaluate_live_acl("b", &[log]), None);
    }
}
