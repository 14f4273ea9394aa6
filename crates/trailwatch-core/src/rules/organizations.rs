//! The organization level of Block Public Access: Organizations S3 policies.
//!
//! An Organizations policy of type `S3_POLICY` assigns Block Public Access to
//! every account under the roots, OUs or accounts it is attached to: all four
//! protections on (`"@@assign": "all"`) or off (`"none"`) (Organizations user
//! guide, "Amazon S3 policy syntax and examples"). Three calls can take that
//! protection away, and are `org-bpa-disabled` findings:
//! - UpdatePolicy of an S3 policy to `none`: its record proves it alone (the
//!   response names the policy's type, the content its value);
//! - DisablePolicyType of `S3_POLICY`: every S3 policy of the organization is
//!   detached;
//! - DetachPolicy of a policy the archive shows to be an S3 policy: the record
//!   names only the policy and target IDs, so the exposure state decides
//!   (`exposure.rs`, [`super::rests_on_archive`]).
//!
//! Record shapes: the CloudTrail samples quoted in `fixtures/README.md`
//! (CreatePolicy, AttachPolicy, UpdatePolicy, DetachPolicy, DisablePolicyType
//! of an organization's management account).

use serde_json::Value;

use super::{find_key, Hit};
use crate::finding::{Kind, Severity};
use crate::record::{field, field_text, opt_text, Record};

/// The event source of Organizations calls.
pub(crate) const ORGANIZATIONS_EVENT_SOURCE: &str = "organizations.amazonaws.com";

/// The Organizations calls the exposure state reads.
pub(crate) const ORGANIZATIONS_EVENTS: &[&str] = &[
    "CreatePolicy",
    "UpdatePolicy",
    "DeletePolicy",
    "AttachPolicy",
    "DetachPolicy",
    "DisablePolicyType",
];

/// The policy type that carries Block Public Access.
pub(crate) const S3_POLICY_TYPE: &str = "S3_POLICY";

/// A policy's content larger than this is not parsed (S3 policies are a few
/// dozen bytes; Organizations caps every policy type far below this).
const MAX_CONTENT_BYTES: usize = 64 * 1024;

/// What a CreatePolicy or UpdatePolicy record shows of the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PolicyShown {
    /// `p-…`.
    pub id: String,
    /// Whether it is an S3 policy; `None` when the record does not say.
    pub s3: Option<bool>,
    /// For an S3 policy, whether it assigns `all` (true) or `none` (false);
    /// `None` when the content is not logged or assigns something else.
    pub enforces: Option<bool>,
}

/// The policy a CreatePolicy or UpdatePolicy record created or changed:
/// its ID and type from the response's `policySummary` (else the request),
/// its Block Public Access assignment from the content.
pub(crate) fn policy_shown(record: &Record) -> Option<PolicyShown> {
    let params = record.params();
    let policy = record
        .response_elements
        .as_ref()
        .and_then(|r| field(r, "policy"));
    let summary = policy.and_then(|p| field(p, "policySummary"));
    let id = summary
        .and_then(|s| field_text(s, "id"))
        .or_else(|| field_text(params, "policyId"))
        .filter(|id| !id.is_empty())?;
    let policy_type = summary
        .and_then(|s| field_text(s, "type"))
        .or_else(|| field_text(params, "type"));
    let content = policy
        .and_then(|p| field(p, "content"))
        .or_else(|| field(params, "content"));
    Some(PolicyShown {
        id: id.to_owned(),
        s3: policy_type.map(|t| t.eq_ignore_ascii_case(S3_POLICY_TYPE)),
        enforces: content.and_then(assigned_bpa),
    })
}

/// `s3_attributes.public_access_block_configuration.@@assign` of an S3
/// policy's content (a JSON string, as logged, or an object): `all` is true,
/// `none` false.
fn assigned_bpa(content: &Value) -> Option<bool> {
    let parsed;
    let document = match content {
        Value::String(text) if text.len() <= MAX_CONTENT_BYTES => {
            parsed = serde_json::from_str::<Value>(text).ok()?;
            &parsed
        }
        Value::String(_) => return None,
        other => other,
    };
    let config = find_key(document, "public_access_block_configuration", 0)?;
    match field_text(config, "@@assign")? {
        v if v.eq_ignore_ascii_case("all") => Some(true),
        v if v.eq_ignore_ascii_case("none") => Some(false),
        _ => None,
    }
}

/// The policy and target of an AttachPolicy or DetachPolicy.
pub(crate) fn attachment(record: &Record) -> Option<(String, String)> {
    let params = record.params();
    let policy = field_text(params, "policyId").filter(|p| !p.is_empty())?;
    let target = field_text(params, "targetId").filter(|t| !t.is_empty())?;
    Some((policy.to_owned(), target.to_owned()))
}

/// The root a DisablePolicyType of `S3_POLICY` names (`None` for another
/// policy type).
pub(crate) fn s3_policies_disabled_at(record: &Record) -> Option<String> {
    let params = record.params();
    field_text(params, "policyType").filter(|t| t.eq_ignore_ascii_case(S3_POLICY_TYPE))?;
    Some(
        field_text(params, "rootId")
            .unwrap_or("(unnamed root)")
            .to_owned(),
    )
}

/// Whether an Organizations target ID names an account (twelve digits)
/// rather than a root (`r-…`) or an OU (`ou-…`).
pub(crate) fn is_account_id(target: &str) -> bool {
    target.len() == 12 && target.bytes().all(|b| b.is_ascii_digit())
}

/// The account a DetachPolicy aimed at an account takes the policy from:
/// the account its finding is about (the account whose buckets lose the
/// organization's protection), rather than the management account that
/// logged the call.
pub(crate) fn detached_from_account(record: &Record) -> Option<String> {
    if opt_text(&record.event_name) != Some("DetachPolicy") {
        return None;
    }
    attachment(record)
        .map(|(_, target)| target)
        .filter(|t| is_account_id(t))
}

/// The `org-bpa-disabled` finding of an Organizations record, if it can be one.
pub(crate) fn org_bpa_exposure(record: &Record) -> Option<Hit> {
    let reason = match opt_text(&record.event_name)? {
        "UpdatePolicy" => {
            let shown = policy_shown(record)?;
            if shown.s3 != Some(true) || shown.enforces != Some(false) {
                return None;
            }
            format!(
                "Organizations S3 policy {} now assigns Block Public Access `none`: every account it applies to falls back to its own Block Public Access settings",
                shown.id
            )
        }
        "DisablePolicyType" => format!(
            "S3 policies were disabled at organization root {}: every S3 policy is detached, so the organization enforces Block Public Access on no account",
            s3_policies_disabled_at(record)?
        ),
        "DetachPolicy" => {
            let (policy, target) = attachment(record)?;
            let under = if is_account_id(&target) {
                format!("account {target}")
            } else {
                format!("{target} (every account under it)")
            };
            format!(
                "Organizations S3 policy {policy} (an S3 policy, as the archive shows) was detached from {under}: the organization no longer enforces Block Public Access there through it"
            )
        }
        _ => return None,
    };
    Some(Hit {
        kind: Kind::OrgBpaDisabled,
        severity: Severity::Critical,
        reason,
        bucket: None,
        key: None,
        unevaluable: false,
    })
}
