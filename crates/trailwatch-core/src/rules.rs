//! Where "public" is decided.
//!
//! Every rule of the DESIGN table lives in this file: which calls can expose
//! S3, and for each, the test that makes it an exposure, its severity and the
//! sentence that explains it. The authority is the S3 user guide, "Blocking
//! public access to your Amazon S3 storage → The meaning of public".
//!
//! Preconditions for every rule: `eventSource` is `s3.amazonaws.com` (or, for
//! the few calls of directory and table buckets that can expose them,
//! `s3express.amazonaws.com` and `s3tables.amazonaws.com`: see
//! [`admitted_source`]) and the call did not fail (no `errorCode`/`errorMessage`).
//! Grants to foreign accounts (opt-in, with a trusted set) are in `foreign.rs`.

use std::net::IpAddr;

use serde_json::Value;

use crate::finding::{Kind, Severity};
use crate::record::{as_plain_string, field, field_text, one_or_many, opt_text, scalar, Record};

/// The event source of every rule: S3 itself, not Lightsail nor S3 on Outposts.
pub(crate) const S3_EVENT_SOURCE: &str = "s3.amazonaws.com";

/// Directory buckets (S3 Express One Zone) and their access points.
pub(crate) const S3_EXPRESS_EVENT_SOURCE: &str = "s3express.amazonaws.com";

/// Table buckets and tables (S3 Tables).
pub(crate) const S3_TABLES_EVENT_SOURCE: &str = "s3tables.amazonaws.com";

/// Whether the rules read `event_name` from `source`: every S3 call; of
/// directory buckets, their policies and access points; of table buckets,
/// their policies (for the cross-account rule only); of Organizations, the
/// policy calls that decide the organization level of Block Public Access.
pub(crate) fn admitted_source(source: Option<&str>, event_name: &str) -> bool {
    match source {
        Some(S3_EVENT_SOURCE) => !organizations::ORGANIZATIONS_EVENTS.contains(&event_name),
        Some(S3_EXPRESS_EVENT_SOURCE) => {
            matches!(event_name, "PutBucketPolicy" | "PutAccessPointPolicy")
        }
        Some(S3_TABLES_EVENT_SOURCE) => foreign::FOREIGN_EVENTS.contains(&event_name),
        Some(organizations::ORGANIZATIONS_EVENT_SOURCE) => {
            organizations::ORGANIZATIONS_EVENTS.contains(&event_name)
        }
        _ => false,
    }
}

/// Every S3 event name any rule looks at. A record whose `eventName` is not
/// in this list nor among Organizations' policy calls ([`watched_events`])
/// can never be an exposure, which is what the byte prefilter uses.
pub(crate) const WATCHED_EVENTS: &[&str] = &[
    "PutBucketAcl",
    "CreateBucket",
    "PutObjectAcl",
    "PutObject",
    "CopyObject",
    "CreateMultipartUpload",
    "PutBucketPolicy",
    "PutAccessPointPolicy",
    "PutAccessPointPolicyForObjectLambda",
    "CreateAccessPoint",
    "CreateMultiRegionAccessPoint",
    "PutMultiRegionAccessPointPolicy",
    "PutBucketReplication",
    "PutBucketInventoryConfiguration",
    "PutBucketLogging",
    "PutBucketNotificationConfiguration",
    "PutBucketNotification",
    "PutTableBucketPolicy",
    "PutTablePolicy",
    "PutBucketPublicAccessBlock",
    "DeleteBucketPublicAccessBlock",
    "PutAccountPublicAccessBlock",
    "DeleteAccountPublicAccessBlock",
    // Not exposures themselves, but they change whether one is effective.
    "DeleteBucketPolicy",
    "DeleteBucket",
    "PutBucketOwnershipControls",
    "DeleteBucketOwnershipControls",
    "DeleteAccessPoint",
    "DeleteAccessPointPolicy",
    "DeleteMultiRegionAccessPoint",
];

/// Every event name any rule or the exposure state reads: S3's
/// ([`WATCHED_EVENTS`]) and Organizations' policy calls.
pub(crate) fn watched_events() -> impl Iterator<Item = &'static str> {
    WATCHED_EVENTS
        .iter()
        .chain(organizations::ORGANIZATIONS_EVENTS)
        .copied()
}

/// Object uploads are the bulk of S3 data events; only those that carry an
/// ACL (canned or grant headers, or an access control policy) can expose.
pub(crate) const UPLOAD_EVENTS: &[&str] = &["PutObject", "CopyObject", "CreateMultipartUpload"];

/// Byte markers of an ACL in an upload record, searched case-insensitively.
pub(crate) const UPLOAD_ACL_MARKERS: &[&str] = &["x-amz-acl", "x-amz-grant-", "accesscontrol"];

/// Whether a `requestParameters` key names an ACL (a canned ACL, a grant
/// header or an access control policy), in any case.
pub(crate) fn names_acl(key: &[u8]) -> bool {
    let key = key.to_ascii_lowercase();
    UPLOAD_ACL_MARKERS
        .iter()
        .any(|m| memchr::memmem::find(&key, m.as_bytes()).is_some())
}

/// A rule's verdict on one record: what it grants, how badly, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hit {
    pub kind: Kind,
    pub severity: Severity,
    pub reason: String,
    pub bucket: Option<String>,
    pub key: Option<String>,
    /// The call could not be evaluated (a policy not logged, not JSON, or
    /// over the size limit): it cannot be shown private.
    pub unevaluable: bool,
}

/// Bounds applied while evaluating one record.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RuleLimits {
    /// A policy document larger than this (as JSON) is not evaluated and is
    /// reported as unverifiable rather than silently passed.
    pub max_policy_bytes: usize,
}

/// The kind of exposure a watched event can raise; `None` for every other
/// event. One table for the rules below and for records that could not be
/// evaluated (over a cap, or not valid JSON), which are still alerted.
pub(crate) fn kind_of_event(event_name: &str) -> Option<Kind> {
    Some(match event_name {
        "PutBucketAcl" | "CreateBucket" => Kind::BucketAclPublic,
        "PutObjectAcl" | "PutObject" | "CopyObject" | "CreateMultipartUpload" => {
            Kind::ObjectAclPublic
        }
        "PutBucketPolicy" => Kind::BucketPolicyPublic,
        "PutAccessPointPolicy" | "PutAccessPointPolicyForObjectLambda" => {
            Kind::AccessPointPolicyPublic
        }
        "CreateAccessPoint" => Kind::AccessPointBpaDisabled,
        "CreateMultiRegionAccessPoint" => Kind::MrapBpaDisabled,
        "PutMultiRegionAccessPointPolicy" => Kind::MrapPolicyPublic,
        "PutBucketPublicAccessBlock" | "DeleteBucketPublicAccessBlock" => Kind::BucketBpaDisabled,
        "PutAccountPublicAccessBlock" | "DeleteAccountPublicAccessBlock" => {
            Kind::AccountBpaDisabled
        }
        "PutBucketOwnershipControls" | "DeleteBucketOwnershipControls" => Kind::BucketAclsEnabled,
        "UpdatePolicy" | "DetachPolicy" | "DisablePolicyType" => Kind::OrgBpaDisabled,
        _ => return None,
    })
}

/// Whether a finding of this event stands only if the archive shows more
/// than its record: a DetachPolicy names the policy by ID alone, so it is an
/// `org-bpa-disabled` finding only when the exposure state knows the policy
/// is an S3 policy (`exposure.rs`); judged alone, it is no finding.
pub(crate) fn rests_on_archive(event_name: &str) -> bool {
    event_name == "DetachPolicy"
}

/// Severity of a watched record that could not be evaluated: account-wide
/// changes stay critical, the rest ask for review.
pub(crate) fn unevaluated_severity(kind: Kind) -> Severity {
    bpa_severity(kind)
}

/// Applies every rule to one parsed record: at most one exposure per kind.
pub(crate) fn evaluate(record: &Record, limits: RuleLimits) -> Vec<Hit> {
    if record.failed() {
        return Vec::new();
    }
    evaluate_call(record, limits)
}

/// What the call asked for, whether or not it succeeded: the state engine
/// judges failed attempts too (a refused public grant is `blocked`).
pub(crate) fn evaluate_call(record: &Record, limits: RuleLimits) -> Vec<Hit> {
    let params = record.params();
    let name = opt_text(&record.event_name).unwrap_or_default();
    if !admitted_source(opt_text(&record.event_source), name) {
        return Vec::new();
    }
    let Some(kind) = kind_of_event(name) else {
        return Vec::new();
    };
    let deleted = name.starts_with("Delete");
    let exposure = match kind {
        Kind::BucketAclPublic | Kind::ObjectAclPublic => acl_exposure(params, kind, record),
        Kind::BucketPolicyPublic => policy_exposure(
            bucket_policy_document(params),
            kind,
            bucket_name(record),
            limits,
        ),
        Kind::AccessPointPolicyPublic => policy_exposure(
            access_point_policy_document(params),
            kind,
            access_point_name(record),
            limits,
        ),
        Kind::BucketBpaDisabled | Kind::AccountBpaDisabled if deleted => {
            Some(bpa_deleted(kind, record))
        }
        Kind::BucketBpaDisabled | Kind::AccountBpaDisabled => {
            bpa_put_exposure(params, kind, record)
        }
        Kind::AccessPointBpaDisabled => access_point_bpa_exposure(record),
        Kind::MrapBpaDisabled => mrap_bpa_exposure(record),
        Kind::MrapPolicyPublic => policy_exposure(
            mrap_policy_document(params),
            kind,
            mrap_name(record),
            limits,
        )
        .map(|mut hit| {
            hit.reason.push_str(
                " (Multi-Region Access Point calls are asynchronous: this record means the request was accepted)",
            );
            hit
        }),
        Kind::BucketAclsEnabled => acls_enabled_exposure(record),
        Kind::OrgBpaDisabled => organizations::org_bpa_exposure(record),
        Kind::CrossAccountAccess | Kind::CrossAccountDelivery => None,
        Kind::UnreadableLogFile => None,
    };
    exposure.into_iter().collect()
}

// ---------------------------------------------------------------------------
// ACLs: canned ACLs, grant headers, and Grant elements naming the public groups.

/// The two groups that make a grant public.
const PUBLIC_GROUPS: [(&str, &str); 2] = [
    (
        "acs.amazonaws.com/groups/global/allusers",
        "AllUsers (anyone on the internet)",
    ),
    (
        "acs.amazonaws.com/groups/global/authenticatedusers",
        "AuthenticatedUsers (any AWS account)",
    ),
];

/// The public group a grantee URI or grant header names, if any.
fn public_group(grantee: &str) -> Option<&'static str> {
    let lower = grantee.to_ascii_lowercase();
    PUBLIC_GROUPS
        .iter()
        .find(|(uri, _)| lower.contains(uri))
        .map(|(_, name)| *name)
}

/// Severity of granting `permission` to a public group.
fn permission_severity(permission: &str) -> Severity {
    match permission.to_ascii_uppercase().as_str() {
        "FULL_CONTROL" | "WRITE" | "WRITE_ACP" => Severity::Critical,
        "READ_ACP" => Severity::Medium,
        _ => Severity::High,
    }
}

const GRANT_HEADERS: [(&str, &str); 5] = [
    ("x-amz-grant-read", "READ"),
    ("x-amz-grant-write", "WRITE"),
    ("x-amz-grant-read-acp", "READ_ACP"),
    ("x-amz-grant-write-acp", "WRITE_ACP"),
    ("x-amz-grant-full-control", "FULL_CONTROL"),
];

fn acl_exposure(params: &Value, kind: Kind, record: &Record) -> Option<Hit> {
    let target = if kind == Kind::ObjectAclPublic {
        "object"
    } else {
        "bucket"
    };
    let mut worst: Option<(Severity, String)> = None;
    let mut consider = |severity: Severity, reason: String| {
        if worst.as_ref().is_none_or(|(s, _)| severity > *s) {
            worst = Some((severity, reason));
        }
    };

    if let Some(canned) = field_text(params, "x-amz-acl") {
        let severity = match canned.to_ascii_lowercase().as_str() {
            "public-read-write" => Some(Severity::Critical),
            "public-read" | "authenticated-read" => Some(Severity::High),
            _ => None,
        };
        if let Some(severity) = severity {
            let who = if canned.eq_ignore_ascii_case("authenticated-read") {
                "any AWS account"
            } else {
                "anyone on the internet"
            };
            let can = if severity == Severity::Critical {
                "read and write"
            } else {
                "read"
            };
            consider(
                severity,
                format!("canned ACL `{canned}` lets {who} {can} the {target}"),
            );
        }
    }

    for (header, permission) in GRANT_HEADERS {
        if let Some(group) = field(params, header)
            .into_iter()
            .flat_map(one_or_many)
            .filter_map(Value::as_str)
            .find_map(public_group)
        {
            consider(
                permission_severity(permission),
                format!("header `{header}` grants {permission} on the {target} to {group}"),
            );
        }
    }

    if let Some(policy) = field(params, "AccessControlPolicy") {
        let mut grants = Vec::new();
        collect_grants(policy, &mut grants, 0);
        for grant in grants {
            let Some(group) = field(grant, "Grantee")
                .into_iter()
                .flat_map(one_or_many)
                .filter_map(|grantee| field_text(grantee, "URI"))
                .find_map(public_group)
            else {
                continue;
            };
            let permission = field_text(grant, "Permission").unwrap_or("an unspecified permission");
            consider(
                permission_severity(permission),
                format!("ACL grants {permission} on the {target} to {group}"),
            );
        }
    }

    let (severity, reason) = worst?;
    let key = if kind == Kind::ObjectAclPublic {
        field_text(params, "key").map(str::to_owned)
    } else {
        None
    };
    Some(Hit {
        kind,
        severity,
        reason,
        bucket: bucket_name(record),
        key,
        unevaluable: false,
    })
}

/// Every object holding a `Grantee` inside an access control policy, however
/// the `AccessControlList`/`Grant` levels were nested and shaped.
fn collect_grants<'a>(value: &'a Value, out: &mut Vec<&'a Value>, depth: usize) {
    if depth > 16 {
        return;
    }
    match value {
        Value::Object(map) => {
            if map.keys().any(|k| k.eq_ignore_ascii_case("Grantee")) {
                out.push(value);
            } else {
                map.values().for_each(|v| collect_grants(v, out, depth + 1));
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_grants(v, out, depth + 1)),
        _ => {}
    }
}

// ---------------------------------------------------------------------------
// Policies: a statement is public when it allows anyone and no condition
// restricts it to a fixed set of sources or principals.

fn bucket_policy_document(params: &Value) -> Option<&Value> {
    field(params, "bucketPolicy")
}

/// The policy of PutAccessPointPolicy (and its Object Lambda twin): under
/// `<Operation>Request` as logged, or bare (`Policy`, `policy`).
fn access_point_policy_document(params: &Value) -> Option<&Value> {
    field(params, "policy").or_else(|| {
        [
            "PutAccessPointPolicyRequest",
            "PutAccessPointPolicyForObjectLambdaRequest",
        ]
        .iter()
        .find_map(|wrapper| field(params, wrapper))
        .and_then(|r| field(r, "Policy"))
    })
}

/// The policy of PutMultiRegionAccessPointPolicy: `Details.Policy`, under
/// `PutMultiRegionAccessPointPolicyRequest` or not.
fn mrap_policy_document(params: &Value) -> Option<&Value> {
    find_key(params, "Policy", 0)
}

/// The first value of `key` (any case) in a request, however deeply its
/// `<Operation>Request` and `Details` wrappers nest it.
fn find_key<'a>(value: &'a Value, key: &str, depth: usize) -> Option<&'a Value> {
    if depth > 6 {
        return None;
    }
    match scalar(value) {
        Value::Object(map) => {
            field(value, key).or_else(|| map.values().find_map(|v| find_key(v, key, depth + 1)))
        }
        Value::Array(items) => items.iter().find_map(|v| find_key(v, key, depth + 1)),
        _ => None,
    }
}

/// A logged policy as JSON: an object, or a JSON string. `Err` says why it
/// cannot be evaluated (not logged, not JSON, over the size limit).
fn parse_policy(
    document: Option<&Value>,
    limits: RuleLimits,
) -> Result<std::borrow::Cow<'_, Value>, String> {
    use std::borrow::Cow;
    match document.map(scalar) {
        None | Some(Value::Null) => Err("the policy was not logged".into()),
        Some(Value::String(s)) if s.is_empty() => Err("the policy was not logged".into()),
        Some(Value::String(s)) => {
            if s.len() > limits.max_policy_bytes {
                return Err(format!(
                    "the policy is {} bytes, over the {}-byte limit",
                    s.len(),
                    limits.max_policy_bytes
                ));
            }
            serde_json::from_str::<Value>(s)
                .map(Cow::Owned)
                .map_err(|e| format!("the policy is not valid JSON ({e})"))
        }
        Some(object) => {
            let size = serde_json::to_vec(object).map_or(usize::MAX, |v| v.len());
            if size > limits.max_policy_bytes {
                return Err(format!(
                    "the policy is {size} bytes, over the {}-byte limit",
                    limits.max_policy_bytes
                ));
            }
            Ok(Cow::Borrowed(object))
        }
    }
}

fn policy_exposure(
    document: Option<&Value>,
    kind: Kind,
    resource: Option<String>,
    limits: RuleLimits,
) -> Option<Hit> {
    let document = match parse_policy(document, limits) {
        Ok(document) => document,
        Err(why) => {
            return Some(Hit {
                kind,
                severity: Severity::Medium,
                reason: format!("{why}, so it cannot be shown to be private; review it"),
                bucket: resource,
                key: None,
                unevaluable: true,
            })
        }
    };
    let document = document.as_ref();

    let mut worst: Option<(Severity, String)> = None;
    for (index, statement) in field(document, "Statement")
        .into_iter()
        .flat_map(one_or_many)
        .enumerate()
    {
        let Some(public) = public_statement(statement) else {
            continue;
        };
        if worst.as_ref().is_none_or(|(s, _)| public.severity > *s) {
            let name = field_text(statement, "Sid")
                .filter(|s| !s.is_empty())
                .map_or_else(|| format!("#{}", index + 1), |sid| format!("`{sid}`"));
            worst = Some((
                public.severity,
                format!(
                    "statement {name} allows {} to {} with no restricting condition",
                    public.actions, public.principal
                ),
            ));
        }
    }
    let (severity, reason) = worst?;
    Some(Hit {
        kind,
        severity,
        reason,
        bucket: resource,
        key: None,
        unevaluable: false,
    })
}

struct PublicStatement {
    severity: Severity,
    principal: String,
    actions: String,
}

/// A statement's exposure, if it is an `Allow` to anyone without a
/// restricting condition.
fn public_statement(statement: &Value) -> Option<PublicStatement> {
    let allows = field_text(statement, "Effect").is_some_and(|e| e.eq_ignore_ascii_case("Allow"));
    if !allows {
        return None;
    }
    let principal = public_principal(statement)?;
    if field(statement, "Condition").is_some_and(|c| restricting_condition(c).is_some()) {
        return None;
    }
    let (severity, actions) = describe_actions(statement);
    Some(PublicStatement {
        severity,
        principal,
        actions,
    })
}

/// Describes the principal when it means "anyone": `NotPrincipal` in an
/// Allow, `"*"`, `{"AWS":"*"}` (alone or in a list), or any Federated principal.
fn public_principal(statement: &Value) -> Option<String> {
    if let Some(not_principal) = field(statement, "NotPrincipal") {
        return Some(format!(
            "everyone except NotPrincipal {}",
            short_json(not_principal)
        ));
    }
    let principal = field(statement, "Principal")?;
    let is_star = |v: &Value| v.as_str().is_some_and(|s| s.trim() == "*");
    if one_or_many(principal).any(is_star) {
        return Some("Principal `*`".to_owned());
    }
    let map = scalar(principal).as_object()?;
    for (kind, value) in map {
        if kind.eq_ignore_ascii_case("Federated") {
            let ids: Vec<_> = one_or_many(value).filter_map(Value::as_str).collect();
            return Some(format!("Federated principal `{}`", ids.join("`, `")));
        }
        if !kind.eq_ignore_ascii_case("Service") && one_or_many(value).any(is_star) {
            return Some(format!("Principal `{{\"{kind}\":\"*\"}}`"));
        }
    }
    None
}

/// Severity and a short list of the actions: write access (or `NotAction`)
/// is critical, read-only access high.
fn describe_actions(statement: &Value) -> (Severity, String) {
    if let Some(not_action) = field(statement, "NotAction") {
        return (
            Severity::Critical,
            format!("every action except {}", short_json(not_action)),
        );
    }
    let actions: Vec<&str> = field(statement, "Action")
        .into_iter()
        .flat_map(one_or_many)
        .filter_map(Value::as_str)
        .collect();
    let is_read = |a: &&str| {
        let a = a.to_ascii_lowercase();
        a.starts_with("s3:get") || a.starts_with("s3:list")
    };
    let severity = if !actions.is_empty() && actions.iter().all(is_read) {
        Severity::High
    } else {
        Severity::Critical
    };
    let mut listed = actions
        .iter()
        .take(3)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if actions.len() > 3 {
        listed.push_str(&format!(" and {} more", actions.len() - 3));
    }
    if listed.is_empty() {
        listed = "no listed action".to_owned();
    }
    (severity, listed)
}

/// Condition keys that, tested with a positive operator against fixed
/// values, confine a statement to known networks, principals or resources.
const RESTRICTING_KEYS: [&str; 13] = [
    "aws:sourcearn",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourceaccount",
    "aws:sourceowner",
    "aws:principalorgid",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:userid",
    "aws:sourceip",
    "s3:dataaccesspointarn",
    "s3:dataaccesspointaccount",
    "s3:x-amz-server-side-encryption-aws-kms-key-id",
];

/// Operators that require the key to match (after any `ForAnyValue:`).
const POSITIVE_OPERATORS: [&str; 6] = [
    "stringequals",
    "stringequalsignorecase",
    "stringlike",
    "arnequals",
    "arnlike",
    "ipaddress",
];

/// The first condition entry that restricts the statement, described.
/// Keys are ANDed, so one restricting entry is enough.
fn restricting_condition(condition: &Value) -> Option<String> {
    let operators = scalar(condition).as_object()?;
    for (operator, entries) in operators {
        let lower = operator.to_ascii_lowercase();
        if lower.starts_with("forallvalues:") {
            continue; // true when the key is absent
        }
        let base = lower.strip_prefix("foranyvalue:").unwrap_or(&lower);
        if !POSITIVE_OPERATORS.contains(&base) {
            continue; // Not..., ...IfExists, Null, Bool and the rest
        }
        let Some(entries) = scalar(entries).as_object() else {
            continue;
        };
        for (key, values) in entries {
            let key_lower = key.to_ascii_lowercase();
            if !RESTRICTING_KEYS.contains(&key_lower.as_str()) {
                continue;
            }
            let values: Vec<Option<String>> = one_or_many(values).map(as_plain_string).collect();
            let fixed = !values.is_empty()
                && values.iter().all(|v| {
                    v.as_deref().is_some_and(|v| {
                        !v.is_empty()
                            && !v.contains(['*', '?'])
                            && !v.contains("${")
                            && (key_lower != "aws:sourceip" || narrow_ip_range(v))
                    })
                });
            if fixed {
                return Some(format!("{operator} on {key}"));
            }
        }
    }
    None
}

/// An address or CIDR no wider than /8 (IPv4) or /32 (IPv6).
fn narrow_ip_range(value: &str) -> bool {
    let (address, prefix) = match value.split_once('/') {
        Some((a, p)) => match p.trim().parse::<u8>() {
            Ok(p) => (a, Some(p)),
            Err(_) => return false,
        },
        None => (value, None),
    };
    match address.trim().parse::<IpAddr>() {
        Ok(IpAddr::V4(_)) => prefix.is_none_or(|p| (8..=32).contains(&p)),
        // An IPv4-mapped range (::ffff:a.b.c.d/n) spans IPv4 space: judge it
        // as the IPv4 range it maps, so ::ffff:0:0/96 is every IPv4 address.
        Ok(IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_some() => {
            prefix.is_none_or(|p| (96 + 8..=128).contains(&p))
        }
        Ok(IpAddr::V6(_)) => prefix.is_none_or(|p| (32..=128).contains(&p)),
        Err(_) => false,
    }
}

// ---------------------------------------------------------------------------
// Block Public Access: every one of the four flags must be true.

/// The four Block Public Access flags, in the order the state keeps them.
pub(crate) const BPA_FLAGS: [&str; 4] = [
    "BlockPublicAcls",
    "IgnorePublicAcls",
    "BlockPublicPolicy",
    "RestrictPublicBuckets",
];

/// The four flags a Put...PublicAccessBlock call sets, in `BPA_FLAGS`
/// order (an omitted flag is false).
pub(crate) fn bpa_flags(params: &Value) -> [bool; 4] {
    flags_of(field(params, "PublicAccessBlockConfiguration").unwrap_or(&Value::Null))
}

/// The four flags of one configuration (an omitted flag is false).
fn flags_of(config: &Value) -> [bool; 4] {
    BPA_FLAGS.map(|flag| match field(config, flag).map(scalar) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    })
}

/// The Block Public Access an access point (CreateAccessPoint,
/// `PublicAccessBlockConfiguration`) or a Multi-Region Access Point
/// (CreateMultiRegionAccessPoint, `Details.PublicAccessBlock`) is created
/// with, fixed for its life: all four on when the request gives no
/// configuration; otherwise the flags given, an omitted one off.
pub(crate) fn created_bpa_flags(params: &Value) -> [bool; 4] {
    match ["PublicAccessBlockConfiguration", "PublicAccessBlock"]
        .iter()
        .find_map(|key| find_key(params, key, 0))
    {
        None | Some(Value::Null) => [true; 4],
        Some(config) => flags_of(config),
    }
}

/// The names of the flags that are off.
fn off_flags(flags: [bool; 4]) -> Vec<&'static str> {
    BPA_FLAGS
        .into_iter()
        .zip(flags)
        .filter(|(_, on)| !on)
        .map(|(f, _)| f)
        .collect()
}

fn access_point_bpa_exposure(record: &Record) -> Option<Hit> {
    let name = access_point_name(record);
    let on_bucket = access_point_bucket(record.params())
        .map(|b| format!(" on bucket {b}"))
        .unwrap_or_default();
    created_bpa_exposure(
        record,
        Kind::AccessPointBpaDisabled,
        format!(
            "access point {}{on_bucket}",
            name.as_deref().unwrap_or("(unnamed)")
        ),
        name,
    )
}

fn mrap_bpa_exposure(record: &Record) -> Option<Hit> {
    let name = mrap_name(record);
    created_bpa_exposure(
        record,
        Kind::MrapBpaDisabled,
        format!(
            "Multi-Region Access Point {}",
            name.as_deref().unwrap_or("(unnamed)")
        ),
        name,
    )
}

fn created_bpa_exposure(
    record: &Record,
    kind: Kind,
    what: String,
    name: Option<String>,
) -> Option<Hit> {
    let off = off_flags(created_bpa_flags(record.params()));
    if off.is_empty() {
        return None;
    }
    Some(Hit {
        kind,
        severity: bpa_severity(kind),
        reason: format!(
            "{what} was created with Block Public Access {} off, fixed for its life (no configuration means all on; a flag omitted from one is off)",
            off.join(", ")
        ),
        bucket: name,
        key: None,
        unevaluable: false,
    })
}

fn bpa_put_exposure(params: &Value, kind: Kind, record: &Record) -> Option<Hit> {
    let off = off_flags(bpa_flags(params));
    if off.is_empty() {
        return None;
    }
    let (scope, bucket) = bpa_scope(kind, record);
    Some(Hit {
        kind,
        severity: bpa_severity(kind),
        reason: format!(
            "Block Public Access for {scope} now has {} off (an omitted flag is off)",
            off.join(", ")
        ),
        bucket,
        key: None,
        unevaluable: false,
    })
}

fn bpa_deleted(kind: Kind, record: &Record) -> Hit {
    let (scope, bucket) = bpa_scope(kind, record);
    Hit {
        kind,
        severity: bpa_severity(kind),
        reason: format!(
            "Block Public Access for {scope} was deleted: all four protections are off"
        ),
        bucket,
        key: None,
        unevaluable: false,
    }
}

/// `BucketOwnerEnforced` disables ACLs; `ObjectWriter` and
/// `BucketOwnerPreferred` leave them on.
pub(crate) fn acls_enabled_by(ownership: &str) -> bool {
    !ownership.eq_ignore_ascii_case("BucketOwnerEnforced")
}

/// `ObjectOwnership` anywhere in an `OwnershipControls` request (its rule
/// may be an object or a one-element list).
pub(crate) fn object_ownership(params: &Value) -> Option<&str> {
    find_key(field(params, "OwnershipControls")?, "ObjectOwnership", 0)
        .and_then(crate::record::text)
}

/// Ownership controls that leave ACLs enabled (ObjectWriter,
/// BucketOwnerPreferred, or none at all): every public ACL on the bucket and
/// its objects takes effect again, which the exposure state names.
fn acls_enabled_exposure(record: &Record) -> Option<Hit> {
    let bucket = bucket_name(record);
    let on = format!("bucket {}", bucket.as_deref().unwrap_or("(unnamed)"));
    let how = match opt_text(&record.event_name) {
        Some("DeleteBucketOwnershipControls") => "its ownership controls were deleted".to_owned(),
        _ => {
            let ownership = object_ownership(record.params());
            if ownership.is_some_and(|o| !acls_enabled_by(o)) {
                return None;
            }
            format!(
                "its ownership controls were set to {}",
                ownership.unwrap_or("a rule without ObjectOwnership")
            )
        }
    };
    Some(Hit {
        kind: Kind::BucketAclsEnabled,
        severity: Severity::Medium,
        reason: format!(
            "ACLs take effect again on {on}: {how}, so any public ACL on it or its objects is live unless IgnorePublicAcls blocks it"
        ),
        bucket,
        key: None,
        unevaluable: false,
    })
}

fn bpa_severity(kind: Kind) -> Severity {
    if matches!(kind, Kind::AccountBpaDisabled | Kind::OrgBpaDisabled) {
        Severity::Critical
    } else {
        Severity::Medium
    }
}

fn bpa_scope(kind: Kind, record: &Record) -> (String, Option<String>) {
    if kind == Kind::AccountBpaDisabled {
        let account = field_text(record.params(), "x-amz-account-id")
            .map(str::to_owned)
            .unwrap_or_else(|| record.account());
        (format!("account {account}"), None)
    } else {
        let bucket = bucket_name(record);
        let scope = format!("bucket {}", bucket.as_deref().unwrap_or("(unnamed)"));
        (scope, bucket)
    }
}

// ---------------------------------------------------------------------------
// Names of the exposed resources.

/// `requestParameters.bucketName`, else the bucket in `resources`, else the
/// virtual-host-style `Host`.
pub(crate) fn bucket_name(record: &Record) -> Option<String> {
    let params = record.params();
    if let Some(name) = field_text(params, "bucketName").filter(|n| !n.is_empty()) {
        return Some(name.to_owned());
    }
    let from_resources = record.resources.iter().flat_map(one_or_many).find_map(|r| {
        (field_text(r, "type") == Some("AWS::S3::Bucket"))
            .then(|| field_text(r, "ARN"))
            .flatten()
            .and_then(|arn| arn.rsplit(":::").next())
            .map(str::to_owned)
    });
    from_resources.or_else(|| {
        let host = field_text(params, "Host")?;
        // The last `.s3`: a bucket name may contain `.s3`, the endpoint never
        // does after it. `{account}.s3-control...` names an account, not a bucket.
        let (bucket, rest) = host.rsplit_once(".s3")?;
        (!bucket.is_empty()
            && (rest.starts_with('.') || rest.starts_with('-'))
            && !rest.starts_with("-control"))
        .then(|| bucket.to_owned())
    })
}

/// The bucket an access point is created on (`CreateAccessPointRequest.Bucket`).
pub(crate) fn access_point_bucket(params: &Value) -> Option<String> {
    find_key(params, "Bucket", 0)
        .and_then(crate::record::text)
        .filter(|b| !b.is_empty())
        .map(str::to_owned)
}

/// A Multi-Region Access Point's name (`Details.Name`, `name`), else the
/// alias in its ARN.
pub(crate) fn mrap_name(record: &Record) -> Option<String> {
    find_key(record.params(), "Name", 0)
        .and_then(crate::record::text)
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .or_else(|| access_point_arn_name(record))
}

/// The name after `:accesspoint/` in the record's resources.
fn access_point_arn_name(record: &Record) -> Option<String> {
    record.resources.iter().flat_map(one_or_many).find_map(|r| {
        let arn = field_text(r, "ARN")?;
        arn.split_once(":accesspoint/")
            .map(|(_, name)| name.to_owned())
    })
}

/// The access point's name, from the request or its ARN.
pub(crate) fn access_point_name(record: &Record) -> Option<String> {
    field_text(record.params(), "name")
        .map(str::to_owned)
        .or_else(|| access_point_arn_name(record))
        .or_else(|| bucket_name(record))
}

/// A compact, bounded rendering of a small JSON value for a reason sentence.
fn short_json(value: &Value) -> String {
    let mut s = value.to_string();
    if s.len() > 120 {
        let mut cut = 117;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push_str("...");
    }
    s
}

mod foreign;
pub(crate) use foreign::foreign_hits;
pub(crate) mod organizations;

#[cfg(test)]
mod tests;
