//! From one record's bytes to findings: a byte prefilter that rejects almost
//! every record, then a typed parse and the rules for the few that remain.

use memchr::memmem;

use crate::access::{request_of, Requests};
use crate::change::{change_of, Change};
use crate::finding::{Exposure, Finding, Kind};
use crate::record::{opt_text, Record};
use crate::records::SkippedRecord;
use crate::rules::organizations;
use crate::rules::{self, RuleLimits, S3_EVENT_SOURCE, UPLOAD_ACL_MARKERS, UPLOAD_EVENTS};
use crate::structure::KeyPattern;
use crate::trust::Trust;

/// The key the prefilter looks for.
const EVENT_NAME_KEY: &[u8] = b"\"eventName\"";

/// The same key, for the record reader, which reports where it occurs.
pub(crate) const EVENT_NAME_PATTERN: KeyPattern = KeyPattern::new(EVENT_NAME_KEY);

/// Decides on bytes alone whether a record can matter: its `eventName` is
/// one the rules watch (and, for uploads, it carries an ACL). The token
/// `"eventName"` followed by `:` and a watched name cannot occur inside a
/// string, since quotes inside strings are escaped; it may still be a nested
/// key, which the parse that follows rules out along with everything else.
pub(crate) struct Prefilter {
    upload_markers: Vec<memmem::Finder<'static>>,
    folded: Vec<u8>,
}

impl Prefilter {
    pub(crate) fn new() -> Self {
        Prefilter {
            upload_markers: UPLOAD_ACL_MARKERS
                .iter()
                .map(|m| memmem::Finder::new(m.as_bytes()))
                .collect(),
            folded: Vec::new(),
        }
    }

    /// True when the record must be parsed and given to the rules.
    /// `key_at` holds the offsets of `"eventName"` in the record.
    pub(crate) fn is_candidate(&mut self, record: &[u8], key_at: &[usize]) -> bool {
        key_at.iter().any(|&at| {
            let value = &record[at + EVENT_NAME_KEY.len()..];
            match event_name_value(value) {
                NameValue::Plain(name) => {
                    let Some(watched) = rules::watched_events().find(|w| w.as_bytes() == name)
                    else {
                        return false;
                    };
                    !UPLOAD_EVENTS.contains(&watched) || self.carries_acl(record)
                }
                // Escaped or odd spellings are rare and cheap: let the parser decide.
                NameValue::Unusual => true,
                NameValue::NotAString => false,
            }
        })
    }

    /// Whether an upload record mentions an ACL header or policy, in any case.
    fn carries_acl(&mut self, record: &[u8]) -> bool {
        self.folded.clear();
        self.folded
            .extend(record.iter().map(u8::to_ascii_lowercase));
        self.upload_markers
            .iter()
            .any(|m| m.find(&self.folded).is_some())
    }
}

enum NameValue<'a> {
    Plain(&'a [u8]),
    Unusual,
    NotAString,
}

/// Reads `: "Name"` after the key, tolerating whitespace.
fn event_name_value(bytes: &[u8]) -> NameValue<'_> {
    let mut rest = bytes.trim_ascii_start();
    match rest.split_first() {
        Some((b':', after)) => rest = after.trim_ascii_start(),
        _ => return NameValue::NotAString,
    }
    let Some((b'"', after)) = rest.split_first() else {
        // An array (`["PutBucketAcl"]`) or something stranger.
        return if rest.first() == Some(&b'[') {
            NameValue::Unusual
        } else {
            NameValue::NotAString
        };
    };
    match memchr::memchr2(b'"', b'\\', after) {
        Some(end) if after[end] == b'"' => NameValue::Plain(&after[..end]),
        _ => NameValue::Unusual,
    }
}

/// What one candidate record holds: its findings, and the permission
/// change it made (or tried to make) for the exposure state.
pub(crate) struct Detected {
    pub findings: Vec<Finding>,
    pub change: Option<Change>,
    /// The anonymous or presigned request it is, if any.
    pub request: Option<Requests>,
}

/// Parses one candidate record and applies the rules to it. A call that
/// failed still yields its findings, marked `blocked` (it tried to make
/// something public and was refused); the state decides every other verdict.
/// With a configured `trust`, grants and deliveries to foreign accounts are
/// findings too; their verdict is `effective` (Block Public Access does not
/// govern a grant to a named account) and stays so.
pub(crate) fn detect(
    record: &[u8],
    log_file: &str,
    limits: RuleLimits,
    trust: &Trust,
) -> Result<Detected, serde_json::Error> {
    let parsed: Record = serde_json::from_slice(record)?;
    let change = change_of(&parsed, log_file, limits);
    let request = request_of(&parsed);
    let failed = parsed.failed();
    let mut hits = if failed {
        rules::evaluate_call(&parsed, limits)
    } else {
        rules::evaluate(&parsed, limits)
    };
    hits.extend(rules::foreign_hits(&parsed, trust, limits));
    let text = |v| opt_text(v).unwrap_or_default().to_owned();
    let error = text(&parsed.error_code);
    let findings = hits
        .into_iter()
        .map(|e| Finding {
            event_id: text(&parsed.event_id),
            event_time: text(&parsed.event_time),
            event_name: text(&parsed.event_name),
            kind: e.kind,
            severity: e.severity,
            reason: if failed {
                format!(
                    "refused ({}): {}",
                    if error.is_empty() { "an error" } else { &error },
                    e.reason
                )
            } else {
                e.reason
            },
            account: organizations::detached_from_account(&parsed)
                .unwrap_or_else(|| parsed.account()),
            region: text(&parsed.aws_region),
            bucket: e.bucket,
            key: e.key,
            actor_arn: parsed.actor_arn(),
            actor_type: parsed.actor_type(),
            source_ip: text(&parsed.source_ip_address),
            user_agent: text(&parsed.user_agent),
            log_file: log_file.to_owned(),
            exposure: if failed {
                Exposure::Blocked
            } else if e.unevaluable {
                Exposure::Unknown
            } else if e.kind.is_foreign() {
                Exposure::Effective
            } else {
                Exposure::Possible
            },
            unknown_facts: Vec::new(),
            live_check: None,
        })
        .collect();
    Ok(Detected {
        findings,
        change,
        request,
    })
}

/// The finding for a record skipped unevaluated, when what was seen of it
/// names an event the rules watch: from S3 (or from a source not seen), and
/// not shown to have failed. Padding a record past a cap must not hide it.
pub(crate) fn unevaluated(skipped: &SkippedRecord, log_file: &str) -> Option<Finding> {
    let head = &skipped.head;
    let name = head.event_name.as_deref()?;
    let kind = rules::kind_of_event(name)?;
    if head
        .event_source
        .as_deref()
        .is_some_and(|s| s != S3_EVENT_SOURCE)
        || head.error_code.as_deref().is_some_and(|e| !e.is_empty())
    {
        return None;
    }
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let account_level = kind == Kind::AccountBpaDisabled;
    Some(Finding {
        event_id: text(&head.event_id),
        event_time: text(&head.event_time),
        event_name: name.to_owned(),
        kind,
        severity: rules::unevaluated_severity(kind),
        reason: format!(
            "record {} was not evaluated: it {}; a {name} can make it public, so it cannot be shown to be private: review it",
            skipped.index + 1,
            skipped.reason
        ),
        account: head
            .recipient_account_id
            .clone()
            .or_else(|| head.actor_account.clone())
            .unwrap_or_default(),
        region: text(&head.aws_region),
        bucket: head.bucket.clone().filter(|_| !account_level),
        key: head.key.clone().filter(|_| kind == Kind::ObjectAclPublic),
        actor_arn: text(&head.actor_arn),
        actor_type: text(&head.actor_type),
        source_ip: text(&head.source_ip),
        user_agent: text(&head.user_agent),
        log_file: log_file.to_owned(),
        exposure: Exposure::Unknown,
        unknown_facts: Vec::new(),
        live_check: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(record: &[u8]) -> bool {
        let key_at: Vec<usize> = memmem::find_iter(record, EVENT_NAME_KEY).collect();
        Prefilter::new().is_candidate(record, &key_at)
    }

    #[test]
    fn prefilter_keeps_watched_names_only_outside_strings() {
        assert!(candidate(br#"{"eventName":"PutBucketAcl","x":1}"#));
        assert!(candidate(br#"{"eventName" : "PutBucketPolicy"}"#));
        assert!(!candidate(br#"{"eventName":"GetBucketAcl"}"#));
        // Organizations' policy calls decide the organization level.
        assert!(candidate(br#"{"eventName":"DetachPolicy"}"#));
        assert!(!candidate(br#"{"eventName":"ListPolicies"}"#));
        assert!(!candidate(br#"{"eventName":"PutBucketAclX"}"#));
        // Mentioned inside another service's string: escaped quotes never match.
        assert!(!candidate(
            br#"{"eventName":"PutRule","requestParameters":{"eventPattern":"{\"eventName\":[\"PutBucketAcl\"]}"}}"#
        ));
        // A nested decoy before the real name does not hide it.
        assert!(candidate(
            br#"{"x":{"eventName":"GetObject"},"eventName":"PutBucketPolicy"}"#
        ));
        // Uploads matter only with an ACL, whatever its case.
        assert!(!candidate(
            br#"{"eventName":"PutObject","requestParameters":{"key":"a"}}"#
        ));
        assert!(candidate(
            br#"{"eventName":"PutObject","requestParameters":{"X-Amz-Acl":"public-read"}}"#
        ));
        assert!(candidate(
            br#"{"eventName":"CopyObject","requestParameters":{"x-amz-grant-read":"uri=x"}}"#
        ));
        assert!(candidate(br#"{"eventName":"Put\u0042ucketAcl"}"#));
        assert!(!candidate(br#"{"name":"PutBucketAcl"}"#));
    }
}
