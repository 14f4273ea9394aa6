//! What S3 answered about one bucket, and the live verdict it adds up to
//! (EXPOSURE.md, "Confirming against the live bucket"). Pure: no AWS here.

use trailwatch_core::{LiveGrant, LivePolicy, LiveStatus};

/// A fact read from S3: known, or unknown with the reason (access denied,
/// throttled, an unexpected error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Fact<T> {
    Known(T),
    Unknown(String),
}

impl<T> Fact<T> {
    fn map<U>(&self, f: impl FnOnce(&T) -> U) -> Fact<U> {
        match self {
            Fact::Known(v) => Fact::Known(f(v)),
            Fact::Unknown(why) => Fact::Unknown(why.clone()),
        }
    }
}

/// The two flags that neutralise an existing grant (the other two only
/// refuse new ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Neutralising {
    pub ignore_public_acls: bool,
    pub restrict_public_buckets: bool,
}

/// Everything read about one bucket.
#[derive(Debug, Clone)]
pub(crate) struct BucketFacts {
    /// `false` once any call answered NoSuchBucket.
    pub exists: bool,
    /// `None`: NoSuchBucketPolicy.
    pub policy: Fact<Option<LivePolicy>>,
    /// AWS's own verdict (`GetBucketPolicyStatus`); `None`: no policy.
    pub policy_status: Fact<Option<bool>>,
    /// The worst public grant of the bucket ACL, `None` when none is public.
    pub acl: Fact<Option<LiveGrant>>,
    /// Bucket BPA (all off on NoSuchPublicAccessBlockConfiguration).
    pub bucket_bpa: Fact<Neutralising>,
    /// Account BPA (S3 Control; all off on NoSuchPublicAccessBlockConfiguration).
    pub account_bpa: Fact<Neutralising>,
    /// Ownership controls say `BucketOwnerEnforced` (ACLs disabled).
    pub acls_disabled: Fact<bool>,
    /// The finding is about an object whose ACL the check does not read.
    pub object_acl: bool,
}

/// Three-valued truth: `None` is unknown, carrying the reasons apart.
type Tri = Option<bool>;

fn tri<T>(fact: &Fact<T>, f: impl FnOnce(&T) -> bool, unknowns: &mut Vec<String>) -> Tri {
    match fact {
        Fact::Known(v) => Some(f(v)),
        Fact::Unknown(why) => {
            if !unknowns.contains(why) {
                unknowns.push(why.clone());
            }
            None
        }
    }
}

fn or(a: Tri, b: Tri) -> Tri {
    match (a, b) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (Some(false), Some(false)) => Some(false),
        _ => None,
    }
}

fn and(a: Tri, b: Tri) -> Tri {
    match (a, b) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    }
}

fn not(a: Tri) -> Tri {
    a.map(|v| !v)
}

/// The verdict and a sentence saying why.
pub(crate) fn combine(facts: &BucketFacts) -> (LiveStatus, String) {
    if !facts.exists {
        return (LiveStatus::Closed, "the bucket no longer exists".into());
    }
    let mut unknowns = Vec::new();
    let mut notes = Vec::new();

    let ours = tri(
        &facts.policy,
        |p| matches!(p, Some(LivePolicy::Public(_) | LivePolicy::Unevaluable(_))),
        &mut unknowns,
    );
    let theirs = match &facts.policy_status {
        Fact::Known(v) => Some(v.unwrap_or(false)),
        Fact::Unknown(_) => None,
    };
    let policy_public = match (ours, theirs) {
        (Some(a), Some(b)) if a != b => {
            notes.push(format!(
                "GetBucketPolicyStatus says {} where trailwatch's rules say {}: treated as public",
                if b { "public" } else { "not public" },
                if a { "public" } else { "not public" },
            ));
            Some(true)
        }
        (Some(a), _) => Some(a),
        // The document could not be read: AWS's verdict stands in.
        (None, Some(b)) => Some(b),
        (None, None) => None,
    };
    if let Fact::Known(Some(LivePolicy::Public(grant))) = &facts.policy {
        notes.push(format!("policy: {}", grant.reason));
    }
    if let Fact::Known(Some(LivePolicy::Unevaluable(why))) = &facts.policy {
        notes.push(format!("policy: {why}"));
    }
    let acl_public = tri(&facts.acl, Option::is_some, &mut unknowns);
    if let Fact::Known(Some(grant)) = &facts.acl {
        notes.push(format!("ACL: {}", grant.reason));
    }
    let restrict = or(
        tri(
            &facts.bucket_bpa,
            |n| n.restrict_public_buckets,
            &mut unknowns,
        ),
        tri(
            &facts.account_bpa,
            |n| n.restrict_public_buckets,
            &mut unknowns,
        ),
    );
    let acl_neutral = or(
        or(
            tri(&facts.bucket_bpa, |n| n.ignore_public_acls, &mut unknowns),
            tri(&facts.account_bpa, |n| n.ignore_public_acls, &mut unknowns),
        ),
        tri(&facts.acls_disabled, |d| *d, &mut unknowns),
    );
    let object_public: Tri = if facts.object_acl { None } else { Some(false) };
    if facts.object_acl && acl_neutral != Some(true) {
        unknowns.push("the object's ACL is not read (no s3:GetObjectAcl)".into());
    }
    let any_acl = or(acl_public, object_public);
    let effective = or(
        and(policy_public, not(restrict)),
        and(any_acl, not(acl_neutral)),
    );
    let grant = or(policy_public, any_acl);
    let status = match (effective, grant) {
        (Some(true), _) => LiveStatus::Effective,
        (Some(false), Some(false)) => LiveStatus::Closed,
        // Not public now; a grant exists or may: dormant at worst.
        (Some(false), _) => LiveStatus::Latent,
        (None, _) => LiveStatus::Unverifiable,
    };
    let neutralised_by = |restricting: bool| {
        let mut by = Vec::new();
        let flag = |f: &Fact<Neutralising>| match f {
            Fact::Known(n) if restricting => n.restrict_public_buckets,
            Fact::Known(n) => n.ignore_public_acls,
            Fact::Unknown(_) => false,
        };
        if flag(&facts.bucket_bpa) {
            by.push(if restricting {
                "bucket RestrictPublicBuckets"
            } else {
                "bucket IgnorePublicAcls"
            });
        }
        if flag(&facts.account_bpa) {
            by.push(if restricting {
                "account RestrictPublicBuckets"
            } else {
                "account IgnorePublicAcls"
            });
        }
        if !restricting && facts.acls_disabled == Fact::Known(true) {
            by.push("ACLs disabled (BucketOwnerEnforced)");
        }
        by
    };
    let lead = match status {
        LiveStatus::Effective => "public now".to_owned(),
        LiveStatus::Closed => "no public grant now".to_owned(),
        LiveStatus::Latent => {
            let mut by = Vec::new();
            if policy_public != Some(false) {
                by.extend(neutralised_by(true));
            }
            if any_acl != Some(false) {
                by.extend(neutralised_by(false));
            }
            format!("a public grant is neutralised by {}", by.join(", "))
        }
        LiveStatus::Unverifiable => format!("cannot tell: {}", unknowns.join("; ")),
    };
    let mut detail = lead;
    for note in notes {
        detail.push_str("; ");
        detail.push_str(&note);
    }
    if status != LiveStatus::Unverifiable && !unknowns.is_empty() {
        detail.push_str(&format!(" (not read: {})", unknowns.join("; ")));
    }
    (status, detail)
}

/// A fact's line in `checked`.
pub(crate) fn describe<T>(call: &str, fact: &Fact<T>, answer: impl FnOnce(&T) -> String) -> String {
    match fact.map(answer) {
        Fact::Known(text) => format!("{call}: {text}"),
        Fact::Unknown(why) => format!("{call}: not read ({why})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trailwatch_core::Severity;

    fn public() -> LiveGrant {
        LiveGrant {
            severity: Severity::High,
            reason: "anyone".into(),
        }
    }

    fn base() -> BucketFacts {
        BucketFacts {
            exists: true,
            policy: Fact::Known(None),
            policy_status: Fact::Known(None),
            acl: Fact::Known(None),
            bucket_bpa: Fact::Known(Neutralising::default()),
            account_bpa: Fact::Known(Neutralising::default()),
            acls_disabled: Fact::Known(false),
            object_acl: false,
        }
    }

    #[test]
    fn verdicts() {
        let mut f = base();
        assert_eq!(combine(&f).0, LiveStatus::Closed);
        f.policy = Fact::Known(Some(LivePolicy::Public(public())));
        f.policy_status = Fact::Known(Some(true));
        assert_eq!(combine(&f).0, LiveStatus::Effective);
        f.account_bpa = Fact::Known(Neutralising {
            restrict_public_buckets: true,
            ..Default::default()
        });
        let (status, detail) = combine(&f);
        assert_eq!(status, LiveStatus::Latent);
        assert!(detail.contains("account RestrictPublicBuckets"), "{detail}");
        f.exists = false;
        assert_eq!(combine(&f).0, LiveStatus::Closed);
    }

    #[test]
    fn aws_disagreeing_counts_as_public() {
        let mut f = base();
        f.policy = Fact::Known(Some(LivePolicy::Public(public())));
        f.policy_status = Fact::Known(Some(false));
        let (status, detail) = combine(&f);
        assert_eq!(status, LiveStatus::Effective);
        assert!(
            detail.contains("GetBucketPolicyStatus says not public"),
            "{detail}"
        );
    }

    #[test]
    fn unknowns_decide_only_when_they_matter() {
        let mut f = base();
        f.account_bpa = Fact::Unknown("AccessDenied".into());
        // No grant at all: closed whatever the account says.
        assert_eq!(combine(&f).0, LiveStatus::Closed);
        f.acl = Fact::Known(Some(public()));
        let (status, detail) = combine(&f);
        assert_eq!(status, LiveStatus::Unverifiable);
        assert!(detail.contains("AccessDenied"), "{detail}");
        // The bucket's own flag neutralises it: known latent.
        f.bucket_bpa = Fact::Known(Neutralising {
            ignore_public_acls: true,
            ..Default::default()
        });
        assert_eq!(combine(&f).0, LiveStatus::Latent);
    }

    #[test]
    fn object_acls_are_neutralised_or_unknown() {
        let mut f = base();
        f.object_acl = true;
        assert_eq!(combine(&f).0, LiveStatus::Unverifiable);
        f.acls_disabled = Fact::Known(true);
        assert_eq!(combine(&f).0, LiveStatus::Latent);
    }
}
