//! From a parsed record to the permission change it makes (or tried to make):
//! the input of the exposure state in `exposure.rs`.
//!
//! Every permission-relevant S3 call becomes one [`Change`], whether it
//! grants, removes or failed: a private ACL closes a window as surely as a
//! public one opens it, and a refused call proves something about the
//! settings that refused it. What counts as a public grant is decided by the
//! rules (`rules.rs`); this module only says what the call set.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::finding::{Kind, Severity};
use crate::record::{field_text, opt_text, scalar, Record};
use crate::rules::organizations::{self, ORGANIZATIONS_EVENT_SOURCE};
use crate::rules::{self, Hit, RuleLimits, S3_EVENT_SOURCE};

/// A public grant as the rules judged it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// Which rule.
    pub kind: Kind,
    /// How bad.
    pub severity: Severity,
    /// Why, in one sentence.
    pub reason: String,
}

/// What one call set (or tried to set).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum What {
    /// A bucket ACL set: public (`grant`) or private.
    BucketAcl {
        /// The bucket.
        bucket: String,
        /// The public grant, if the ACL is public.
        grant: Option<Grant>,
    },
    /// A bucket created: with the ACL and ownership its request set.
    CreateBucket {
        /// The bucket.
        bucket: String,
        /// A public ACL set at creation.
        grant: Option<Grant>,
        /// ACLs enabled by the request's `x-amz-object-ownership`, if set.
        acls_enabled: Option<bool>,
    },
    /// An object ACL set (PutObjectAcl, or an upload carrying an ACL).
    ObjectAcl {
        /// The bucket.
        bucket: String,
        /// The key.
        key: String,
        /// The public grant, if the ACL is public.
        grant: Option<Grant>,
    },
    /// A bucket policy set: public, private, or not evaluable.
    BucketPolicy {
        /// The bucket.
        bucket: String,
        /// The public statement, if public.
        grant: Option<Grant>,
        /// The policy could not be evaluated (not logged, not JSON, too large).
        unevaluable: bool,
    },
    /// The bucket policy deleted.
    BucketPolicyDeleted {
        /// The bucket.
        bucket: String,
    },
    /// An access point policy set.
    AccessPointPolicy {
        /// The access point.
        access_point: String,
        /// The public statement, if public.
        grant: Option<Grant>,
        /// The policy could not be evaluated.
        unevaluable: bool,
    },
    /// An access point created on a bucket, with the Block Public Access
    /// fixed for its life (a new life: no policy yet).
    CreateAccessPoint {
        /// The access point.
        access_point: String,
        /// Its bucket, when logged.
        bucket: Option<String>,
        /// BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets.
        flags: [bool; 4],
    },
    /// An access point deleted: its windows end.
    DeleteAccessPoint {
        /// The access point.
        access_point: String,
    },
    /// A Multi-Region Access Point created (accepted: the call is
    /// asynchronous), with the Block Public Access fixed for its life.
    CreateMrap {
        /// Its name.
        name: String,
        /// BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets.
        flags: [bool; 4],
    },
    /// A Multi-Region Access Point deleted (accepted).
    DeleteMrap {
        /// Its name.
        name: String,
    },
    /// A Multi-Region Access Point policy set (accepted).
    MrapPolicy {
        /// Its name.
        name: String,
        /// The public statement, if public.
        grant: Option<Grant>,
        /// The policy could not be evaluated.
        unevaluable: bool,
    },
    /// Bucket Block Public Access set (or deleted: all four off).
    BucketBpa {
        /// The bucket.
        bucket: String,
        /// BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets.
        flags: [bool; 4],
    },
    /// Account Block Public Access set (or deleted: all four off).
    AccountBpa {
        /// BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets.
        flags: [bool; 4],
    },
    /// Ownership controls set (`acls_enabled` false for BucketOwnerEnforced)
    /// or deleted (ACLs enabled).
    Ownership {
        /// The bucket.
        bucket: String,
        /// Whether ACLs take effect afterwards.
        acls_enabled: bool,
    },
    /// The bucket deleted: every window of it ends.
    DeleteBucket {
        /// The bucket.
        bucket: String,
    },
    /// An Organizations policy created or updated, as its record shows it.
    OrgPolicy {
        /// `p-…`.
        policy_id: String,
        /// Whether it is an S3 policy (`None`: the record does not say).
        s3: Option<bool>,
        /// An S3 policy's assignment: `all` (true) or `none` (false).
        enforces: Option<bool>,
        /// Created by this call (every later attachment is then in the archive).
        created: bool,
    },
    /// An Organizations policy attached to or detached from a root, an OU
    /// or an account.
    OrgAttachment {
        /// `p-…`.
        policy_id: String,
        /// `r-…`, `ou-…` or an account ID.
        target: String,
        /// Attached (true) or detached.
        attached: bool,
    },
    /// An Organizations policy deleted (it was detached from everything first).
    OrgPolicyDeleted {
        /// `p-…`.
        policy_id: String,
    },
    /// The S3 policy type disabled at an organization's root: every S3
    /// policy of the organization is detached.
    OrgS3PoliciesDisabled {
        /// `r-…`.
        root: String,
    },
}

/// One permission change, with where and when it happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// `eventID`.
    pub event_id: String,
    /// `eventTime`, as logged.
    pub event_time: String,
    /// `eventName`.
    pub event_name: String,
    /// The account the resource lives in.
    pub account: String,
    /// `awsRegion`.
    pub region: String,
    /// Who made the call.
    pub actor_arn: String,
    /// The log file the record came from.
    pub log_file: String,
    /// `errorCode` when the call failed: it changed nothing.
    pub error_code: Option<String>,
    /// What it set.
    pub what: What,
}

impl Change {
    /// The order changes are folded in: `eventTime`, then `eventID`. A
    /// record whose time is missing or not CloudTrail's ISO-8601 form is
    /// ordered last, never dropped.
    pub fn order_key(&self) -> (bool, &str, &str) {
        (
            !is_iso_time(&self.event_time),
            self.event_time.as_str(),
            self.event_id.as_str(),
        )
    }

    /// Whether the call failed.
    pub fn failed(&self) -> bool {
        self.error_code.is_some()
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` (what CloudTrail writes), which sorts as text.
fn is_iso_time(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() == 20
        && b.iter().enumerate().all(|(i, &c)| match i {
            4 | 7 => c == b'-',
            10 => c == b'T',
            13 | 16 => c == b':',
            19 => c == b'Z',
            _ => c.is_ascii_digit(),
        })
}

/// The change a parsed S3 or Organizations record makes, if it is
/// permission-relevant.
pub(crate) fn change_of(record: &Record, log_file: &str, limits: RuleLimits) -> Option<Change> {
    let what = match opt_text(&record.event_source)? {
        S3_EVENT_SOURCE => s3_change(record, limits)?,
        ORGANIZATIONS_EVENT_SOURCE => organizations_change(record)?,
        _ => return None,
    };
    let name = opt_text(&record.event_name).unwrap_or_default();
    let params = record.params();
    let text = |v: &Option<Value>| opt_text(v).unwrap_or_default().to_owned();
    let error_code = opt_text(&record.error_code)
        .filter(|e| !e.is_empty())
        .map(str::to_owned)
        .or_else(|| record.failed().then(|| "error".to_owned()));
    let account = match &what {
        What::AccountBpa { .. } => field_text(params, "x-amz-account-id")
            .map(str::to_owned)
            .unwrap_or_else(|| record.account()),
        _ => record.account(),
    };
    Some(Change {
        event_id: text(&record.event_id),
        event_time: text(&record.event_time),
        event_name: name.to_owned(),
        account,
        region: text(&record.aws_region),
        actor_arn: record.actor_arn(),
        log_file: log_file.to_owned(),
        error_code,
        what,
    })
}

/// What an Organizations policy call does to the organization level of
/// Block Public Access (`rules/organizations.rs` reads the record).
fn organizations_change(record: &Record) -> Option<What> {
    Some(match opt_text(&record.event_name)? {
        name @ ("CreatePolicy" | "UpdatePolicy") => {
            let shown = organizations::policy_shown(record)?;
            What::OrgPolicy {
                policy_id: shown.id,
                s3: shown.s3,
                enforces: shown.enforces,
                created: name == "CreatePolicy",
            }
        }
        name @ ("AttachPolicy" | "DetachPolicy") => {
            let (policy_id, target) = organizations::attachment(record)?;
            What::OrgAttachment {
                policy_id,
                target,
                attached: name == "AttachPolicy",
            }
        }
        "DeletePolicy" => What::OrgPolicyDeleted {
            policy_id: field_text(record.params(), "policyId")?.to_owned(),
        },
        "DisablePolicyType" => What::OrgS3PoliciesDisabled {
            root: organizations::s3_policies_disabled_at(record)?,
        },
        _ => return None,
    })
}

/// What an S3 call set, if it is permission-relevant.
fn s3_change(record: &Record, limits: RuleLimits) -> Option<What> {
    let name = opt_text(&record.event_name).unwrap_or_default();
    let hits = rules::evaluate_call(record, limits);
    let hit = |kind: Kind| hits.iter().find(|h| h.kind == kind);
    let grant = |kind: Kind| {
        hit(kind).filter(|h| !h.unevaluable).map(|h: &Hit| Grant {
            kind: h.kind,
            severity: h.severity,
            reason: h.reason.clone(),
        })
    };
    let params = record.params();
    let bucket = || rules::bucket_name(record);
    let what = match name {
        "PutBucketAcl" => What::BucketAcl {
            bucket: bucket()?,
            grant: grant(Kind::BucketAclPublic),
        },
        "CreateBucket" => What::CreateBucket {
            bucket: bucket()?,
            grant: grant(Kind::BucketAclPublic),
            acls_enabled: field_text(params, "x-amz-object-ownership").map(rules::acls_enabled_by),
        },
        "PutObjectAcl" | "PutObject" | "CopyObject" | "CreateMultipartUpload" => {
            let grant = grant(Kind::ObjectAclPublic);
            // An upload without an ACL changes no permission.
            if name != "PutObjectAcl" && grant.is_none() && !carries_acl(params) {
                return None;
            }
            What::ObjectAcl {
                bucket: bucket()?,
                key: field_text(params, "key")?.to_owned(),
                grant,
            }
        }
        "PutBucketPolicy" => What::BucketPolicy {
            bucket: bucket()?,
            grant: grant(Kind::BucketPolicyPublic),
            unevaluable: hit(Kind::BucketPolicyPublic).is_some_and(|h| h.unevaluable),
        },
        "DeleteBucketPolicy" => What::BucketPolicyDeleted { bucket: bucket()? },
        "PutAccessPointPolicy" => {
            let found = hit(Kind::AccessPointPolicyPublic);
            What::AccessPointPolicy {
                access_point: found
                    .and_then(|h| h.bucket.clone())
                    .or_else(|| field_text(params, "name").map(str::to_owned))?,
                grant: grant(Kind::AccessPointPolicyPublic),
                unevaluable: found.is_some_and(|h| h.unevaluable),
            }
        }
        "DeleteAccessPointPolicy" => What::AccessPointPolicy {
            access_point: rules::access_point_name(record)?,
            grant: None,
            unevaluable: false,
        },
        "CreateAccessPoint" => What::CreateAccessPoint {
            access_point: rules::access_point_name(record)?,
            bucket: rules::access_point_bucket(params),
            flags: rules::created_bpa_flags(params),
        },
        "DeleteAccessPoint" => What::DeleteAccessPoint {
            access_point: rules::access_point_name(record)?,
        },
        "CreateMultiRegionAccessPoint" => What::CreateMrap {
            name: rules::mrap_name(record)?,
            flags: rules::created_bpa_flags(params),
        },
        "DeleteMultiRegionAccessPoint" => What::DeleteMrap {
            name: rules::mrap_name(record)?,
        },
        "PutMultiRegionAccessPointPolicy" => {
            let found = hit(Kind::MrapPolicyPublic);
            What::MrapPolicy {
                name: found
                    .and_then(|h| h.bucket.clone())
                    .or_else(|| rules::mrap_name(record))?,
                grant: grant(Kind::MrapPolicyPublic),
                unevaluable: found.is_some_and(|h| h.unevaluable),
            }
        }
        "PutBucketPublicAccessBlock" => What::BucketBpa {
            bucket: bucket()?,
            flags: rules::bpa_flags(params),
        },
        "DeleteBucketPublicAccessBlock" => What::BucketBpa {
            bucket: bucket()?,
            flags: [false; 4],
        },
        "PutAccountPublicAccessBlock" => What::AccountBpa {
            flags: rules::bpa_flags(params),
        },
        "DeleteAccountPublicAccessBlock" => What::AccountBpa { flags: [false; 4] },
        "PutBucketOwnershipControls" => What::Ownership {
            bucket: bucket()?,
            acls_enabled: rules::object_ownership(params).is_none_or(rules::acls_enabled_by),
        },
        "DeleteBucketOwnershipControls" => What::Ownership {
            bucket: bucket()?,
            acls_enabled: true,
        },
        "DeleteBucket" => What::DeleteBucket { bucket: bucket()? },
        _ => return None,
    };
    Some(what)
}

/// Whether an upload's request names an ACL at all (a private one replaces
/// a public object ACL).
fn carries_acl(params: &Value) -> bool {
    scalar(params)
        .as_object()
        .is_some_and(|map| map.keys().any(|k| rules::names_acl(k.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(record: serde_json::Value) -> Option<Change> {
        let parsed: Record = serde_json::from_value(record).unwrap();
        change_of(
            &parsed,
            "f",
            RuleLimits {
                max_policy_bytes: 1 << 20,
            },
        )
    }

    fn s3(name: &str, params: serde_json::Value) -> serde_json::Value {
        serde_json::json!({"eventSource":"s3.amazonaws.com","eventName":name,"eventID":"e",
            "eventTime":"2024-01-01T00:00:00Z","recipientAccountId":"111122223333",
            "requestParameters":params})
    }

    #[test]
    fn private_and_public_acls_both_change_the_state() {
        let public = change(s3(
            "PutBucketAcl",
            serde_json::json!({"bucketName":"b","x-amz-acl":["public-read"]}),
        ))
        .unwrap();
        assert!(matches!(
            public.what,
            What::BucketAcl { grant: Some(_), .. }
        ));
        let private = change(s3(
            "PutBucketAcl",
            serde_json::json!({"bucketName":"b","x-amz-acl":["private"]}),
        ))
        .unwrap();
        assert!(matches!(private.what, What::BucketAcl { grant: None, .. }));
        // An upload without an ACL changes nothing; with a private one it does.
        assert!(change(s3(
            "PutObject",
            serde_json::json!({"bucketName":"b","key":"k"})
        ))
        .is_none());
        let private_upload = change(s3(
            "PutObject",
            serde_json::json!({"bucketName":"b","key":"k","x-amz-acl":"private"}),
        ))
        .unwrap();
        assert!(matches!(
            private_upload.what,
            What::ObjectAcl { grant: None, .. }
        ));
    }

    #[test]
    fn failed_calls_are_changes_with_their_error() {
        let mut record = s3(
            "PutBucketPolicy",
            serde_json::json!({"bucketName":"b","bucketPolicy":{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}]}}),
        );
        record["errorCode"] = "AccessDenied".into();
        let c = change(record).unwrap();
        assert_eq!(c.error_code.as_deref(), Some("AccessDenied"));
        assert!(matches!(c.what, What::BucketPolicy { grant: Some(_), .. }));
    }

    #[test]
    fn ownership_bpa_and_deletions() {
        let enforced = change(s3(
            "PutBucketOwnershipControls",
            serde_json::json!({"bucketName":"b","OwnershipControls":{"Rule":{"ObjectOwnership":"BucketOwnerEnforced"}}}),
        ))
        .unwrap();
        assert!(matches!(
            enforced.what,
            What::Ownership {
                acls_enabled: false,
                ..
            }
        ));
        let writer = change(s3(
            "PutBucketOwnershipControls",
            serde_json::json!({"bucketName":"b","OwnershipControls":{"Rule":[{"ObjectOwnership":"ObjectWriter"}]}}),
        ))
        .unwrap();
        assert!(matches!(
            writer.what,
            What::Ownership {
                acls_enabled: true,
                ..
            }
        ));
        let bpa = change(s3(
            "PutBucketPublicAccessBlock",
            serde_json::json!({"bucketName":"b","PublicAccessBlockConfiguration":{"BlockPublicAcls":true,"IgnorePublicAcls":true,"BlockPublicPolicy":true}}),
        ))
        .unwrap();
        assert_eq!(
            bpa.what,
            What::BucketBpa {
                bucket: "b".into(),
                flags: [true, true, true, false]
            }
        );
        let gone = change(s3("DeleteAccountPublicAccessBlock", serde_json::json!({}))).unwrap();
        assert_eq!(gone.what, What::AccountBpa { flags: [false; 4] });
        assert_eq!(gone.account, "111122223333");
    }

    #[test]
    fn access_point_and_mrap_lifetimes() {
        let bpa = serde_json::json!({"BlockPublicAcls":true,"IgnorePublicAcls":true,"BlockPublicPolicy":false});
        // Wrapped as logged, or bare: the same change.
        for params in [
            serde_json::json!({"name":"ap","CreateAccessPointRequest":{"Bucket":"b","PublicAccessBlockConfiguration":bpa}}),
            serde_json::json!({"name":"ap","Bucket":"b","PublicAccessBlockConfiguration":bpa}),
        ] {
            assert_eq!(
                change(s3("CreateAccessPoint", params)).unwrap().what,
                What::CreateAccessPoint {
                    access_point: "ap".into(),
                    bucket: Some("b".into()),
                    flags: [true, true, false, false]
                }
            );
        }
        // No configuration: all four on.
        let plain = change(s3(
            "CreateAccessPoint",
            serde_json::json!({"name":"ap","CreateAccessPointRequest":{"Bucket":"b"}}),
        ))
        .unwrap();
        assert!(matches!(
            plain.what,
            What::CreateAccessPoint {
                flags: [true, true, true, true],
                ..
            }
        ));
        let gone = change(s3("DeleteAccessPoint", serde_json::json!({"name":"ap"}))).unwrap();
        assert_eq!(
            gone.what,
            What::DeleteAccessPoint {
                access_point: "ap".into()
            }
        );
        let mrap = change(s3(
            "CreateMultiRegionAccessPoint",
            serde_json::json!({"CreateMultiRegionAccessPointRequest":{"Details":{"Name":"m","PublicAccessBlock":{"BlockPublicAcls":true}}}}),
        ))
        .unwrap();
        assert_eq!(
            mrap.what,
            What::CreateMrap {
                name: "m".into(),
                flags: [true, false, false, false]
            }
        );
    }

    #[test]
    fn times_order_as_text_and_bad_times_last() {
        assert!(is_iso_time("2024-01-01T00:00:00Z"));
        assert!(!is_iso_time("2024-01-01 00:00:00"));
        assert!(!is_iso_time(""));
    }
}
