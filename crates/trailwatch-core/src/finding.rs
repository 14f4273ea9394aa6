//! What trailwatch reports: one finding per exposing CloudTrail record and kind.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The way a bucket or object was exposed (the DESIGN rules table, one row each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A bucket ACL (PutBucketAcl, CreateBucket) grants to AllUsers or AuthenticatedUsers.
    BucketAclPublic,
    /// An object ACL (PutObjectAcl, PutObject, CopyObject) grants to AllUsers or AuthenticatedUsers.
    ObjectAclPublic,
    /// A bucket policy allows anyone.
    BucketPolicyPublic,
    /// A bucket's Block Public Access was turned off, partly or wholly.
    BucketBpaDisabled,
    /// The account's Block Public Access was turned off, partly or wholly.
    AccountBpaDisabled,
    /// An access point policy allows anyone.
    AccessPointPolicyPublic,
    /// An access point was created with some Block Public Access flag off
    /// (fixed for its life).
    AccessPointBpaDisabled,
    /// A Multi-Region Access Point was created with some Block Public
    /// Access flag off (fixed for its life).
    MrapBpaDisabled,
    /// A Multi-Region Access Point policy allows anyone.
    MrapPolicyPublic,
    /// ACLs were re-enabled on a bucket (ownership controls set to
    /// ObjectWriter or BucketOwnerPreferred, or deleted): public ACLs that
    /// were dormant take effect again.
    BucketAclsEnabled,
    /// The organization stopped enforcing Block Public Access through an
    /// Organizations S3 policy (updated to `none`, detached, or the policy
    /// type disabled).
    OrgBpaDisabled,
    /// A policy or ACL grants access to an account outside the trusted set
    /// (only with a configured trusted set).
    CrossAccountAccess,
    /// Replication, inventory, logging or notifications deliver to an
    /// account outside the trusted set (only with a configured trusted set).
    CrossAccountDelivery,
    /// A log file could not be read: raised by the Lambda, since a corrupt
    /// object in a trail bucket is itself suspicious.
    UnreadableLogFile,
}

impl Kind {
    /// Every kind the rules can raise, in table order.
    pub const RULES: [Kind; 13] = [
        Kind::BucketAclPublic,
        Kind::ObjectAclPublic,
        Kind::BucketPolicyPublic,
        Kind::BucketBpaDisabled,
        Kind::AccountBpaDisabled,
        Kind::AccessPointPolicyPublic,
        Kind::AccessPointBpaDisabled,
        Kind::MrapBpaDisabled,
        Kind::MrapPolicyPublic,
        Kind::BucketAclsEnabled,
        Kind::OrgBpaDisabled,
        Kind::CrossAccountAccess,
        Kind::CrossAccountDelivery,
    ];

    /// Whether the kind is about access by accounts outside the trusted set
    /// rather than by the public (raised only with a configured trusted set).
    pub fn is_foreign(self) -> bool {
        matches!(self, Kind::CrossAccountAccess | Kind::CrossAccountDelivery)
    }

    /// Whether the finding's `bucket` names an access point or a
    /// Multi-Region Access Point rather than a bucket.
    pub fn names_access_point(self) -> bool {
        matches!(
            self,
            Kind::AccessPointPolicyPublic
                | Kind::AccessPointBpaDisabled
                | Kind::MrapBpaDisabled
                | Kind::MrapPolicyPublic
        )
    }

    /// The kebab-case name used in output, alerts and configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::BucketAclPublic => "bucket-acl-public",
            Kind::ObjectAclPublic => "object-acl-public",
            Kind::BucketPolicyPublic => "bucket-policy-public",
            Kind::BucketBpaDisabled => "bucket-bpa-disabled",
            Kind::AccountBpaDisabled => "account-bpa-disabled",
            Kind::AccessPointPolicyPublic => "access-point-policy-public",
            Kind::AccessPointBpaDisabled => "access-point-bpa-disabled",
            Kind::MrapBpaDisabled => "mrap-bpa-disabled",
            Kind::MrapPolicyPublic => "mrap-policy-public",
            Kind::BucketAclsEnabled => "bucket-acls-enabled",
            Kind::OrgBpaDisabled => "org-bpa-disabled",
            Kind::CrossAccountAccess => "cross-account-access",
            Kind::CrossAccountDelivery => "cross-account-delivery",
            Kind::UnreadableLogFile => "unreadable-log-file",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Kind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Kind::RULES
            .into_iter()
            .chain([Kind::UnreadableLogFile])
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown kind `{s}`"))
    }
}

/// How urgently a person should look. Ordered: `Medium < High < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Exposure of metadata (ACP read) or a weakened guard rail on one bucket.
    Medium,
    /// Anyone can read data.
    High,
    /// Anyone can write or take control, or an account-wide guard rail fell.
    Critical,
}

impl Severity {
    /// The lowercase name used in output and alerts.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether the resource left after the event is really exposed, and how sure
/// that is: decided in `exposure.rs` from the state of everything the archive
/// shows, never from the one call alone.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Exposure {
    /// Public after this event, and every deciding fact is known.
    Effective,
    /// Public unless a setting never seen in the archive blocks it
    /// (`unknown_facts` names them).
    #[default]
    Possible,
    /// A public grant exists, but a known setting neutralises it.
    Latent,
    /// A protection was removed and no public grant is known yet.
    Weakened,
    /// The call tried to make it public and failed.
    Blocked,
    /// The call could not be evaluated (policy not logged, not JSON, over a
    /// limit, record skipped).
    Unknown,
    /// No longer public when S3 was asked (the live check only).
    Closed,
}

impl Exposure {
    /// The lowercase name used in output and alerts.
    pub fn as_str(self) -> &'static str {
        match self {
            Exposure::Effective => "effective",
            Exposure::Possible => "possible",
            Exposure::Latent => "latent",
            Exposure::Weakened => "weakened",
            Exposure::Blocked => "blocked",
            Exposure::Unknown => "unknown",
            Exposure::Closed => "closed",
        }
    }
}

impl fmt::Display for Exposure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One exposure, with everything a responder needs to act on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// CloudTrail `eventID`: unique per event, the deduplication key.
    pub event_id: String,
    /// CloudTrail `eventTime` (UTC, ISO 8601), as logged.
    pub event_time: String,
    /// The API call, e.g. `PutBucketAcl`.
    pub event_name: String,
    /// Which rule fired.
    pub kind: Kind,
    /// How urgent.
    pub severity: Severity,
    /// One sentence saying why this is public, for a person to act on.
    pub reason: String,
    /// The account the resource lives in (`recipientAccountId`).
    pub account: String,
    /// `awsRegion` of the call.
    pub region: String,
    /// Bucket (or access point) name; `None` for account-level changes.
    pub bucket: Option<String>,
    /// Object key, for object-level findings.
    pub key: Option<String>,
    /// Who made the call (`userIdentity.arn`, or a description when absent).
    pub actor_arn: String,
    /// `userIdentity.type` (IAMUser, AssumedRole, Root, ...).
    pub actor_type: String,
    /// `sourceIPAddress` as logged.
    pub source_ip: String,
    /// `userAgent` as logged (untrusted text).
    pub user_agent: String,
    /// The log file the record came from.
    pub log_file: String,
    /// Whether the resource is really exposed after this event.
    #[serde(default)]
    pub exposure: Exposure,
    /// The facts never seen in the archive that the verdict rests on (e.g.
    /// `account 111122223333 RestrictPublicBuckets`); empty when none.
    #[serde(default)]
    pub unknown_facts: Vec<String>,
    /// What S3 said when asked about the resource (the Lambda's live
    /// check, `replay --confirm`); absent when it was not asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live_check: Option<crate::LiveCheck>,
}

impl Finding {
    /// What was exposed, as a person would name it: `s3://bucket/key`,
    /// `s3://bucket`, or `account 111122223333` for account-level changes.
    pub fn resource(&self) -> String {
        match (&self.bucket, &self.key) {
            (Some(b), Some(k)) => format!("s3://{b}/{k}"),
            (Some(b), None) => format!("s3://{b}"),
            (None, _) => format!("account {}", self.account),
        }
    }
}
