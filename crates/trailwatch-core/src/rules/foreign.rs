//! Exposure to foreign accounts (opt-in): grants and deliveries to accounts
//! outside the trusted set ([`Trust`]). Runs only when a trusted set is
//! configured; the record's own account is always trusted, and a principal
//! confined by `aws:PrincipalOrgID` to a trusted organization is trusted.
//!
//! Public grants (`*`) are the other rules' business; this module looks at
//! named accounts: policy principals (bucket, access point, Multi-Region
//! Access Point, directory bucket and table bucket policies), ACL grants to
//! canonical IDs or e-mail addresses, and the destinations of replication,
//! inventory, logging and event notifications.

use serde_json::Value;

use super::{
    access_point_name, access_point_policy_document, bucket_name, bucket_policy_document,
    collect_grants, describe_actions, mrap_name, mrap_policy_document, parse_policy, Hit,
    RuleLimits, GRANT_HEADERS, POSITIVE_OPERATORS, S3_EVENT_SOURCE, S3_EXPRESS_EVENT_SOURCE,
    S3_TABLES_EVENT_SOURCE, UPLOAD_EVENTS,
};
use crate::finding::{Kind, Severity};
use crate::record::{as_plain_string, field, field_text, one_or_many, opt_text, scalar, Record};
use crate::trust::{is_account_id, Trust};

/// The calls whose destination can be a foreign account.
const DELIVERY_EVENTS: [(&str, &str); 5] = [
    ("PutBucketReplication", "replication"),
    ("PutBucketInventoryConfiguration", "inventory"),
    ("PutBucketLogging", "server access logging"),
    ("PutBucketNotificationConfiguration", "event notifications"),
    ("PutBucketNotification", "event notifications"),
];

/// Every event name this module looks at (all join the byte prefilter's list).
pub(crate) const FOREIGN_EVENTS: &[&str] = &[
    "PutBucketReplication",
    "PutBucketInventoryConfiguration",
    "PutBucketLogging",
    "PutBucketNotificationConfiguration",
    "PutBucketNotification",
    "PutTableBucketPolicy",
    "PutTablePolicy",
];

/// The cross-account findings of one record: at most one per kind.
pub(crate) fn foreign_hits(record: &Record, trust: &Trust, limits: RuleLimits) -> Vec<Hit> {
    if !trust.is_configured() {
        return Vec::new();
    }
    let source = opt_text(&record.event_source).unwrap_or_default();
    let name = opt_text(&record.event_name).unwrap_or_default();
    let own = record.account();
    let params = record.params();
    let policy = |document: Option<&Value>, resource: Option<String>, what: &str| {
        policy_hit(document, resource, what, &own, trust, limits)
    };
    let hit = match (source, name) {
        (S3_EVENT_SOURCE | S3_EXPRESS_EVENT_SOURCE, "PutBucketPolicy") => policy(
            bucket_policy_document(params),
            bucket_name(record),
            if source == S3_EVENT_SOURCE {
                "bucket policy"
            } else {
                "directory bucket policy"
            },
        ),
        (S3_EVENT_SOURCE | S3_EXPRESS_EVENT_SOURCE, "PutAccessPointPolicy")
        | (S3_EVENT_SOURCE, "PutAccessPointPolicyForObjectLambda") => policy(
            access_point_policy_document(params),
            access_point_name(record),
            "access point policy",
        ),
        (S3_EVENT_SOURCE, "PutMultiRegionAccessPointPolicy") => policy(
            mrap_policy_document(params),
            mrap_name(record),
            "Multi-Region Access Point policy",
        ),
        (S3_TABLES_EVENT_SOURCE, "PutTableBucketPolicy" | "PutTablePolicy") => policy(
            field(params, "resourcePolicy"),
            table_bucket_name(params),
            if name == "PutTablePolicy" {
                "table policy"
            } else {
                "table bucket policy"
            },
        ),
        (S3_EVENT_SOURCE, "PutBucketAcl" | "CreateBucket" | "PutObjectAcl") => acl_hit(record),
        (S3_EVENT_SOURCE, upload) if UPLOAD_EVENTS.contains(&upload) => acl_hit(record),
        (S3_EVENT_SOURCE, delivery) => DELIVERY_EVENTS
            .iter()
            .find(|(n, _)| *n == delivery)
            .and_then(|(_, what)| delivery_hit(record, what, &own, trust)),
        _ => None,
    };
    hit.into_iter().collect()
}

// ---------------------------------------------------------------------------
// Policies.

fn policy_hit(
    document: Option<&Value>,
    resource: Option<String>,
    what: &str,
    own: &str,
    trust: &Trust,
    limits: RuleLimits,
) -> Option<Hit> {
    // An unevaluable policy is reported by the public rules already.
    let document = parse_policy(document, limits).ok()?;
    let mut worst: Option<(Severity, String)> = None;
    for (index, statement) in field(&document, "Statement")
        .into_iter()
        .flat_map(one_or_many)
        .enumerate()
    {
        let foreign = foreign_principals(statement, own, trust);
        if foreign.is_empty() {
            continue;
        }
        let (public_severity, actions) = describe_actions(statement);
        let severity = lower(public_severity);
        if worst.as_ref().is_none_or(|(s, _)| severity > *s) {
            let name = field_text(statement, "Sid")
                .filter(|s| !s.is_empty())
                .map_or_else(|| format!("#{}", index + 1), |sid| format!("`{sid}`"));
            worst = Some((
                severity,
                format!(
                    "{what} statement {name} allows {actions} to {}, outside the trusted set",
                    foreign.join(", ")
                ),
            ));
        }
    }
    let (severity, reason) = worst?;
    Some(hit(Kind::CrossAccountAccess, severity, reason, resource))
}

/// One step below the public severity: a named foreign account is less
/// than anyone, but write access there is still serious.
fn lower(severity: Severity) -> Severity {
    match severity {
        Severity::Critical => Severity::High,
        _ => Severity::Medium,
    }
}

/// The foreign accounts or organizations an `Allow` statement names.
fn foreign_principals(statement: &Value, own: &str, trust: &Trust) -> Vec<String> {
    let allows = field_text(statement, "Effect").is_some_and(|e| e.eq_ignore_ascii_case("Allow"));
    if !allows || field(statement, "NotPrincipal").is_some() {
        return Vec::new();
    }
    let Some(principal) = field(statement, "Principal") else {
        return Vec::new();
    };
    let condition = field(statement, "Condition");
    let orgs = condition
        .map(|c| condition_values(c, "aws:principalorgid"))
        .unwrap_or_default();
    if !orgs.is_empty() && orgs.iter().all(|o| trust.trusts_organization(o)) {
        return Vec::new();
    }
    let is_star = |v: &Value| v.as_str().is_some_and(|s| s.trim() == "*");
    let aws_values: Vec<&Value> = if one_or_many(principal).any(is_star) {
        vec![principal]
    } else {
        scalar(principal)
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(k, _)| k.eq_ignore_ascii_case("AWS"))
            .flat_map(|(_, v)| one_or_many(v))
            .collect()
    };
    let mut foreign = Vec::new();
    let mut star = false;
    for value in aws_values {
        let Some(text) = value.as_str().map(str::trim) else {
            continue;
        };
        if text == "*" {
            star = true;
        } else if let Some(account) = account_of(text) {
            if !trust.trusts_account(own, account) {
                foreign.push(format!("account {account}"));
            }
        }
    }
    if star {
        // Anyone, confined by a condition to named accounts or
        // organizations: those are who it is granted to.
        foreign.extend(
            orgs.iter()
                .filter(|o| !trust.trusts_organization(o))
                .map(|o| format!("organization {o}")),
        );
        let accounts = condition
            .map(|c| condition_values(c, "aws:principalaccount"))
            .unwrap_or_default();
        foreign.extend(
            accounts
                .iter()
                .filter(|a| is_account_id(a) && !trust.trusts_account(own, a))
                .map(|a| format!("account {a}")),
        );
    }
    foreign.sort();
    foreign.dedup();
    foreign
}

/// The account of a principal: a bare 12-digit ID or the account field of
/// an ARN (`arn:aws:iam::123456789012:root`).
fn account_of(principal: &str) -> Option<&str> {
    if is_account_id(principal) {
        return Some(principal);
    }
    let account = principal.strip_prefix("arn:")?.split(':').nth(3)?;
    is_account_id(account).then_some(account)
}

/// The fixed values a positive operator (not `Not…`, `…IfExists` or
/// `ForAllValues:`) tests `key` (lowercase) against.
fn condition_values(condition: &Value, key: &str) -> Vec<String> {
    let mut out = Vec::new();
    let Some(operators) = scalar(condition).as_object() else {
        return out;
    };
    for (operator, entries) in operators {
        let lower = operator.to_ascii_lowercase();
        let base = lower.strip_prefix("foranyvalue:").unwrap_or(&lower);
        if !POSITIVE_OPERATORS.contains(&base) {
            continue;
        }
        for (k, values) in scalar(entries).as_object().into_iter().flatten() {
            if k.eq_ignore_ascii_case(key) {
                out.extend(one_or_many(values).filter_map(as_plain_string));
            }
        }
    }
    out
}

/// The table bucket named by `tableBucketARN` (`...:bucket/<name>`).
fn table_bucket_name(params: &Value) -> Option<String> {
    let arn = field_text(params, "tableBucketARN")?;
    let name = arn.split_once(":bucket/")?.1;
    Some(name.split('/').next().unwrap_or(name).to_owned())
}

// ---------------------------------------------------------------------------
// ACLs: grants to canonical IDs other than the owner's, and to e-mail
// addresses. A canonical ID cannot be mapped to an account from the record:
// only the owner's own ID (the access control policy's `Owner`) tells a
// foreign ID from the record's own, so a grant header naming an ID (where
// no owner is logged) is judged only beside a logged owner.

fn acl_hit(record: &Record) -> Option<Hit> {
    let params = record.params();
    let policy = field(params, "AccessControlPolicy");
    let owner = policy
        .and_then(|p| field(p, "Owner"))
        .and_then(|o| field_text(o, "ID"));
    let is_foreign_id = |id: &str| owner.is_some_and(|o| !o.eq_ignore_ascii_case(id.trim()));
    let mut worst: Option<(Severity, String)> = None;
    let mut consider = |permission: &str, grantee: String, via: &str| {
        let severity = match permission.to_ascii_uppercase().as_str() {
            "FULL_CONTROL" | "WRITE" | "WRITE_ACP" => Severity::High,
            _ => Severity::Medium,
        };
        if worst.as_ref().is_none_or(|(s, _)| severity > *s) {
            worst = Some((
                severity,
                format!("{via} grants {permission} to {grantee}, not the owner"),
            ));
        }
    };
    for (header, permission) in GRANT_HEADERS {
        for value in field(params, header)
            .into_iter()
            .flat_map(one_or_many)
            .filter_map(Value::as_str)
        {
            for grantee in value.split(',') {
                let Some((kind, id)) = grantee.trim().split_once('=') else {
                    continue;
                };
                let id = id.trim().trim_matches('"');
                if kind.trim().eq_ignore_ascii_case("id") && is_foreign_id(id) {
                    consider(
                        permission,
                        format!("canonical user {}", short_id(id)),
                        &format!("header `{header}`"),
                    );
                } else if kind.trim().eq_ignore_ascii_case("emailAddress") {
                    consider(
                        permission,
                        format!("e-mail address {id}"),
                        &format!("header `{header}`"),
                    );
                }
            }
        }
    }
    if let Some(policy) = policy {
        let mut grants = Vec::new();
        collect_grants(policy, &mut grants, 0);
        for grant in grants {
            let permission = field_text(grant, "Permission").unwrap_or("an unspecified permission");
            for grantee in field(grant, "Grantee").into_iter().flat_map(one_or_many) {
                if let Some(id) = field_text(grantee, "ID").filter(|id| is_foreign_id(id)) {
                    consider(
                        permission,
                        format!("canonical user {}", short_id(id)),
                        "ACL",
                    );
                } else if let Some(email) = field_text(grantee, "EmailAddress") {
                    consider(permission, format!("e-mail address {email}"), "ACL");
                }
            }
        }
    }
    let (severity, reason) = worst?;
    let name = opt_text(&record.event_name).unwrap_or_default();
    let mut found = hit(
        Kind::CrossAccountAccess,
        severity,
        reason,
        bucket_name(record),
    );
    if name == "PutObjectAcl" || UPLOAD_EVENTS.contains(&name) {
        found.key = field_text(params, "key").map(str::to_owned);
    }
    Some(found)
}

/// A canonical ID shortened for a sentence (they are 64 hex digits).
fn short_id(id: &str) -> String {
    match id.get(..16) {
        Some(head) if id.len() > 20 => format!("{head}..."),
        _ => id.to_owned(),
    }
}

// ---------------------------------------------------------------------------
// Deliveries: every account named by a destination (an ARN's account field,
// or a bucket owner the request states: `Account`, `AccountId`,
// `ExpectedBucketOwner`). The replication role is the source's, not a
// destination. A destination named by bucket alone (server access logging)
// cannot be placed in an account.

fn delivery_hit(record: &Record, what: &str, own: &str, trust: &Trust) -> Option<Hit> {
    let mut named = Vec::new();
    destinations(record.params(), "", &mut named, 0);
    let mut foreign: Vec<String> = named
        .into_iter()
        .filter(|(account, _)| !trust.trusts_account(own, account))
        .map(|(account, key)| format!("account {account} (`{key}`)"))
        .collect();
    foreign.sort();
    foreign.dedup();
    if foreign.is_empty() {
        return None;
    }
    let severity = if what == "replication" || what == "inventory" {
        Severity::High
    } else {
        Severity::Medium
    };
    Some(hit(
        Kind::CrossAccountDelivery,
        severity,
        format!(
            "{what} delivers to {}, outside the trusted set",
            foreign.join(", ")
        ),
        bucket_name(record),
    ))
}

fn destinations(value: &Value, key: &str, out: &mut Vec<(String, String)>, depth: usize) {
    if depth > 12 {
        return;
    }
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if k.eq_ignore_ascii_case("Role") {
                    continue;
                }
                destinations(v, k, out, depth + 1);
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|v| destinations(v, key, out, depth + 1)),
        Value::String(s) => {
            let s = s.trim();
            let owner_key = ["Account", "AccountId", "ExpectedBucketOwner"]
                .iter()
                .any(|k| k.eq_ignore_ascii_case(key));
            if owner_key && is_account_id(s) {
                out.push((s.to_owned(), key.to_owned()));
            } else if s.starts_with("arn:") {
                if let Some(account) = account_of(s) {
                    out.push((account.to_owned(), key.to_owned()));
                }
            }
        }
        _ => {}
    }
}

fn hit(kind: Kind, severity: Severity, reason: String, bucket: Option<String>) -> Hit {
    Hit {
        kind,
        severity,
        reason,
        bucket,
        key: None,
        unevaluable: false,
    }
}
