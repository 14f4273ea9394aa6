//! What a change ends, for sinks that hold findings from files read before.
//!
//! The exposure state (`exposure.rs`) closes windows when it has seen the
//! grant and its removal in one archive. The Lambda reads one log file at a
//! time, so a grant made in one file and removed in a later one meets no
//! state; yet a sink that keeps findings (Security Hub) should still learn
//! that the exposure they reported is over. An [`Ending`] says, from the
//! removing call alone, which earlier findings it ends: those of the listed
//! kinds on the named resource, raised by an earlier event. It is a
//! conservative reading: a removal ends only the grants it replaces or
//! neutralises (a private bucket policy ends the `bucket-policy-public`
//! findings of that bucket, never its ACL's), so a resource still public
//! another way keeps the findings that say so.

use crate::change::{Change, What};
use crate::finding::Kind;

/// Where the findings an [`Ending`] ends live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Exactly this bucket, object, access point or Multi-Region Access
    /// Point (the finding's `bucket` and `key`).
    Exact {
        /// The finding's `bucket` (a bucket or access point name).
        bucket: String,
        /// The finding's `key`, for an object.
        key: Option<String>,
    },
    /// The bucket and every object in it.
    Bucket(String),
    /// Every resource of the account.
    Account,
}

/// Which earlier findings one successful change ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ending {
    /// The account the findings' resources live in.
    pub account: String,
    /// Which resources.
    pub scope: Scope,
    /// Which kinds of finding.
    pub kinds: Vec<Kind>,
    /// The ending event's `eventTime`: only findings of earlier events end.
    pub event_time: String,
    /// The ending event's `eventID` (ties in the same second order by it).
    pub event_id: String,
    /// The ending call, for the log line.
    pub event_name: String,
}

impl Ending {
    /// Whether a finding with these fields is one this change ends.
    pub fn ends(
        &self,
        kind: Kind,
        account: &str,
        bucket: Option<&str>,
        key: Option<&str>,
        event: (&str, &str),
    ) -> bool {
        let in_scope = match &self.scope {
            Scope::Exact { bucket: b, key: k } => bucket == Some(b.as_str()) && key == k.as_deref(),
            Scope::Bucket(b) => bucket == Some(b.as_str()),
            Scope::Account => true,
        };
        account == self.account
            && in_scope
            && self.kinds.contains(&kind)
            && event < (self.event_time.as_str(), self.event_id.as_str())
    }
}

/// The public grants Block Public Access flags neutralise: IgnorePublicAcls
/// the ACLs, RestrictPublicBuckets the policies; all four on also undo the
/// weakening itself.
fn neutralised(flags: &[bool; 4], weakened: Kind) -> Vec<Kind> {
    let [_, ignore_acls, _, restrict] = *flags;
    let mut kinds = Vec::new();
    if ignore_acls {
        kinds.extend([Kind::BucketAclPublic, Kind::ObjectAclPublic]);
    }
    if restrict {
        kinds.extend([Kind::BucketPolicyPublic, Kind::AccessPointPolicyPublic]);
    }
    if flags.iter().all(|&on| on) {
        kinds.push(weakened);
    }
    kinds
}

impl Change {
    /// The earlier findings this change ends, if it succeeded and removes
    /// or neutralises a public grant.
    pub fn ending(&self) -> Option<Ending> {
        if self.failed() {
            return None;
        }
        let exact = |bucket: &str, key: Option<&str>| Scope::Exact {
            bucket: bucket.to_owned(),
            key: key.map(str::to_owned),
        };
        let (scope, kinds) = match &self.what {
            What::BucketAcl {
                bucket,
                grant: None,
            } => (exact(bucket, None), vec![Kind::BucketAclPublic]),
            What::ObjectAcl {
                bucket,
                key,
                grant: None,
            } => (exact(bucket, Some(key)), vec![Kind::ObjectAclPublic]),
            What::BucketPolicy {
                bucket,
                grant: None,
                unevaluable: false,
            }
            | What::BucketPolicyDeleted { bucket } => {
                (exact(bucket, None), vec![Kind::BucketPolicyPublic])
            }
            What::AccessPointPolicy {
                access_point,
                grant: None,
                unevaluable: false,
            } => (
                exact(access_point, None),
                vec![Kind::AccessPointPolicyPublic],
            ),
            What::DeleteAccessPoint { access_point } => (
                exact(access_point, None),
                vec![Kind::AccessPointPolicyPublic, Kind::AccessPointBpaDisabled],
            ),
            What::MrapPolicy {
                name,
                grant: None,
                unevaluable: false,
            } => (exact(name, None), vec![Kind::MrapPolicyPublic]),
            What::DeleteMrap { name } => (
                exact(name, None),
                vec![Kind::MrapPolicyPublic, Kind::MrapBpaDisabled],
            ),
            What::BucketBpa { bucket, flags } => (
                Scope::Bucket(bucket.clone()),
                neutralised(flags, Kind::BucketBpaDisabled),
            ),
            What::AccountBpa { flags } => {
                (Scope::Account, neutralised(flags, Kind::AccountBpaDisabled))
            }
            What::Ownership {
                bucket,
                acls_enabled: false,
            } => (
                Scope::Bucket(bucket.clone()),
                vec![Kind::BucketAclPublic, Kind::ObjectAclPublic],
            ),
            What::DeleteBucket { bucket } => (
                Scope::Bucket(bucket.clone()),
                Kind::RULES
                    .into_iter()
                    .filter(|k| !k.names_access_point())
                    .collect(),
            ),
            _ => return None,
        };
        (!kinds.is_empty()).then(|| Ending {
            account: self.account.clone(),
            scope,
            kinds,
            event_time: self.event_time.clone(),
            event_id: self.event_id.clone(),
            event_name: self.event_name.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(what: What, error: Option<&str>) -> Change {
        Change {
            event_id: "e2".into(),
            event_time: "2026-02-01T00:00:00Z".into(),
            event_name: "Call".into(),
            account: "111122223333".into(),
            region: "eu-west-1".into(),
            actor_arn: String::new(),
            log_file: String::new(),
            error_code: error.map(str::to_owned),
            what,
        }
    }

    const EARLIER: (&str, &str) = ("2026-01-01T00:00:00Z", "e1");
    const ACCOUNT: &str = "111122223333";

    #[test]
    fn a_private_policy_ends_only_the_policy_findings_of_its_bucket() {
        let ending = change(What::BucketPolicyDeleted { bucket: "b".into() }, None)
            .ending()
            .unwrap();
        assert!(ending.ends(Kind::BucketPolicyPublic, ACCOUNT, Some("b"), None, EARLIER));
        assert!(!ending.ends(Kind::BucketAclPublic, ACCOUNT, Some("b"), None, EARLIER));
        assert!(!ending.ends(Kind::BucketPolicyPublic, ACCOUNT, Some("c"), None, EARLIER));
        assert!(!ending.ends(
            Kind::BucketPolicyPublic,
            "444455556666",
            Some("b"),
            None,
            EARLIER
        ));
        // A later or the same event is not ended by it.
        let later = ("2026-03-01T00:00:00Z", "e0");
        assert!(!ending.ends(Kind::BucketPolicyPublic, ACCOUNT, Some("b"), None, later));
        let same = ("2026-02-01T00:00:00Z", "e2");
        assert!(!ending.ends(Kind::BucketPolicyPublic, ACCOUNT, Some("b"), None, same));
    }

    #[test]
    fn removals_that_fail_or_grant_end_nothing() {
        let failed = change(
            What::BucketPolicyDeleted { bucket: "b".into() },
            Some("AccessDenied"),
        );
        assert_eq!(failed.ending(), None);
        let unevaluable = change(
            What::BucketPolicy {
                bucket: "b".into(),
                grant: None,
                unevaluable: true,
            },
            None,
        );
        assert_eq!(unevaluable.ending(), None);
        let weakening = change(
            What::BucketBpa {
                bucket: "b".into(),
                flags: [false; 4],
            },
            None,
        );
        assert_eq!(weakening.ending(), None);
    }

    #[test]
    fn block_public_access_ends_what_it_neutralises() {
        let acls_only = change(
            What::BucketBpa {
                bucket: "b".into(),
                flags: [true, true, false, false],
            },
            None,
        )
        .ending()
        .unwrap();
        assert_eq!(acls_only.scope, Scope::Bucket("b".into()));
        assert!(acls_only.ends(
            Kind::ObjectAclPublic,
            ACCOUNT,
            Some("b"),
            Some("k"),
            EARLIER
        ));
        assert!(!acls_only.ends(Kind::BucketPolicyPublic, ACCOUNT, Some("b"), None, EARLIER));
        assert!(!acls_only.ends(Kind::BucketBpaDisabled, ACCOUNT, Some("b"), None, EARLIER));
        let account = change(What::AccountBpa { flags: [true; 4] }, None)
            .ending()
            .unwrap();
        assert!(account.ends(
            Kind::BucketPolicyPublic,
            ACCOUNT,
            Some("any"),
            None,
            EARLIER
        ));
        assert!(account.ends(Kind::AccountBpaDisabled, ACCOUNT, None, None, EARLIER));
        assert!(!account.ends(Kind::BucketBpaDisabled, ACCOUNT, Some("any"), None, EARLIER));
    }

    #[test]
    fn a_deleted_bucket_ends_every_finding_on_it_and_its_objects() {
        let ending = change(What::DeleteBucket { bucket: "b".into() }, None)
            .ending()
            .unwrap();
        for kind in [
            Kind::BucketAclPublic,
            Kind::ObjectAclPublic,
            Kind::BucketPolicyPublic,
            Kind::BucketBpaDisabled,
            Kind::CrossAccountAccess,
        ] {
            let key = (kind == Kind::ObjectAclPublic).then_some("k");
            assert!(
                ending.ends(kind, ACCOUNT, Some("b"), key, EARLIER),
                "{kind}"
            );
        }
        assert!(!ending.ends(
            Kind::AccessPointPolicyPublic,
            ACCOUNT,
            Some("b"),
            None,
            EARLIER
        ));
    }
}
