//! Rendering a finding as an SNS message: a short ASCII subject, a readable
//! text body for email, the finding as JSON for machines, and attributes
//! for subscription filters. Everything taken from the log is untrusted:
//! control characters are escaped and every field is bounded, so a message
//! stays far below SNS's 256 KiB whatever the log held.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use serde_json::json;
use trailwatch_core::text::{printable, truncate_chars};
use trailwatch_core::{Exposure, Finding, Kind, Severity};

/// SNS's limit on a subject.
pub const MAX_SUBJECT_CHARS: usize = 100;

/// Bounds on untrusted fields, in characters.
const MAX_FIELD_CHARS: usize = 1024;
const MAX_REASON_CHARS: usize = 2048;

/// One finding, ready to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// ASCII, no newlines, at most 100 characters.
    pub subject: String,
    /// A `MessageStructure=json` document: `default` and `email` hold the
    /// text body; `sqs`, `lambda`, `https`, `email-json` hold the finding as JSON.
    pub message: String,
    /// Message attributes (name, value) for subscription filter policies;
    /// empty values are left out, as SNS rejects them.
    pub attributes: Vec<(&'static str, String)>,
    /// FIFO topics: the message group (the bucket, else the account).
    pub group_id: String,
    /// FIFO topics: the deduplication id (event ID and kind).
    pub deduplication_id: String,
}

/// Renders one finding.
pub fn render(finding: &Finding) -> Alert {
    let bounded = bounded(finding);
    let text = text_body(&bounded);
    let machine = serde_json::to_string(&bounded).expect("a finding serializes");
    let message = json!({
        "default": text,
        "email": text,
        "sqs": machine,
        "lambda": machine,
        "https": machine,
        "email-json": machine,
    })
    .to_string();
    let attributes = [
        ("kind", finding.kind.to_string()),
        ("severity", finding.severity.to_string()),
        ("account", attribute_value(&finding.account)),
        (
            "bucket",
            attribute_value(finding.bucket.as_deref().unwrap_or("")),
        ),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .collect();
    let group = finding
        .bucket
        .as_deref()
        .filter(|b| !b.is_empty())
        .unwrap_or(&finding.account);
    let dedup_source = if finding.event_id.is_empty() {
        format!("{:016x}", stable_hash(&finding.log_file))
    } else {
        finding.event_id.clone()
    };
    Alert {
        subject: subject(finding),
        message,
        attributes,
        group_id: fifo_id(if group.is_empty() {
            "trailwatch"
        } else {
            group
        }),
        deduplication_id: fifo_id(&format!("{dedup_source}:{}", finding.kind)),
    }
}

/// A finding for a log file that could not be read: a damaged or unexpected
/// object in a trail bucket can hide activity, so it is alerted like an
/// exposure. Account and region come from the key's AWSLogs layout.
pub fn unreadable_log_finding(bucket: &str, key: &str, reason: &str) -> Finding {
    let parts: Vec<&str> = key.split('/').collect();
    let at = parts.iter().position(|p| *p == "CloudTrail");
    let part = |offset: isize| {
        at.and_then(|i| parts.get(i.checked_add_signed(offset)?))
            .map(|s| s.to_string())
            .unwrap_or_default()
    };
    Finding {
        event_id: String::new(),
        event_time: aws_smithy_types::DateTime::from(std::time::SystemTime::now())
            .fmt(aws_smithy_types::date_time::Format::DateTime)
            .unwrap_or_default(),
        event_name: String::new(),
        kind: Kind::UnreadableLogFile,
        severity: Severity::High,
        reason: format!(
            "the log file could not be read ({reason}); a damaged or unexpected object in a \
             trail bucket can hide activity, so check who wrote it"
        ),
        account: part(-1),
        region: part(1),
        bucket: Some(bucket.to_owned()),
        key: Some(key.to_owned()),
        actor_arn: String::new(),
        actor_type: String::new(),
        source_ip: String::new(),
        user_agent: String::new(),
        log_file: format!("s3://{bucket}/{key}"),
        exposure: Exposure::Unknown,
        unknown_facts: Vec::new(),
    }
}

/// `[trailwatch] HIGH bucket-acl-public s3://bucket/key (111122223333)`,
/// reduced to printable ASCII and cut to SNS's 100 characters.
fn subject(f: &Finding) -> String {
    let full = format!(
        "[trailwatch] {} {} {} ({})",
        f.severity.as_str().to_ascii_uppercase(),
        f.kind,
        f.resource(),
        f.account
    );
    let ascii: String = full
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect();
    if ascii.len() <= MAX_SUBJECT_CHARS {
        ascii
    } else {
        format!("{}...", &ascii[..MAX_SUBJECT_CHARS - 3])
    }
}

/// The finding with every untrusted string bounded.
fn bounded(f: &Finding) -> Finding {
    let cut = |s: &str| truncate_chars(s, MAX_FIELD_CHARS).into_owned();
    Finding {
        event_id: cut(&f.event_id),
        event_time: cut(&f.event_time),
        event_name: cut(&f.event_name),
        reason: truncate_chars(&f.reason, MAX_REASON_CHARS).into_owned(),
        account: cut(&f.account),
        region: cut(&f.region),
        bucket: f.bucket.as_deref().map(cut),
        key: f.key.as_deref().map(cut),
        actor_arn: cut(&f.actor_arn),
        actor_type: cut(&f.actor_type),
        source_ip: cut(&f.source_ip),
        user_agent: cut(&f.user_agent),
        log_file: cut(&f.log_file),
        ..f.clone()
    }
}

fn text_body(f: &Finding) -> String {
    let resource = match f.bucket {
        Some(_) => f.resource(),
        None => format!("the whole {}", f.resource()),
    };
    let lines = [
        format!("trailwatch found an S3 exposure ({} severity).", f.severity),
        String::new(),
        format!("What:      {}", f.kind),
        format!("Why:       {}", f.reason),
        format!("Resource:  {resource}"),
        format!("Account:   {}   Region: {}", f.account, f.region),
        format!("When:      {}", f.event_time),
        format!("Who:       {} ({})", f.actor_arn, f.actor_type),
        format!("From:      {}", f.source_ip),
        format!("Agent:     {}", f.user_agent),
        format!("Event:     {} {}", f.event_name, f.event_id),
        format!("Log file:  {}", f.log_file),
        String::new(),
        "Check whether this exposure is intended. If not, revert it (restore Block Public \
         Access, the previous ACL or policy) and review what the actor did around that time. \
         Accepted exposures can be allowlisted with a reason."
            .to_owned(),
    ];
    // Escape per line so the layout's own newlines survive.
    lines
        .iter()
        .map(|l| printable(l).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A message attribute value: printable and short.
fn attribute_value(value: &str) -> String {
    truncate_chars(&printable(value), 256).into_owned()
}

/// FIFO ids: at most 128 characters of ASCII alphanumerics and punctuation.
fn fifo_id(raw: &str) -> String {
    raw.chars()
        .filter(|c| c.is_ascii_alphanumeric() || c.is_ascii_punctuation())
        .take(128)
        .collect()
}

fn stable_hash(text: &str) -> u64 {
    let mut h = DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding() -> Finding {
        Finding {
            event_id: "0b1c4d2e-1111-2222-3333-444455556666".into(),
            event_time: "2024-03-07T10:00:00Z".into(),
            event_name: "PutObjectAcl".into(),
            kind: Kind::ObjectAclPublic,
            severity: Severity::High,
            reason: "canned ACL `public-read` lets anyone on the internet read the object".into(),
            account: "111122223333".into(),
            region: "eu-west-1".into(),
            bucket: Some("reports".into()),
            key: Some("q1/\u{1b}[2Jsalaries é.csv".into()),
            actor_arn: "arn:aws:iam::111122223333:user/alice".into(),
            actor_type: "IAMUser".into(),
            source_ip: "198.51.100.7".into(),
            user_agent: format!("curl\u{1b}]0;pwned\u{7}\r\n{}", "A".repeat(100_000)),
            log_file: "s3://trail/AWSLogs/111122223333/CloudTrail/eu-west-1/2024/03/07/x.json.gz"
                .into(),
            exposure: Exposure::Effective,
            unknown_facts: Vec::new(),
        }
    }

    #[test]
    fn subject_is_short_ascii_without_newlines() {
        let mut f = finding();
        f.key = Some(format!("{}\n\u{202e}", "ключ/".repeat(50)));
        let alert = render(&f);
        assert!(
            alert.subject.len() <= MAX_SUBJECT_CHARS,
            "{}",
            alert.subject
        );
        assert!(alert
            .subject
            .chars()
            .all(|c| c.is_ascii_graphic() || c == ' '));
        assert!(alert
            .subject
            .starts_with("[trailwatch] HIGH object-acl-public s3://reports/"));
    }

    #[test]
    fn bodies_escape_and_bound_untrusted_text() {
        let alert = render(&finding());
        let doc: serde_json::Value = serde_json::from_str(&alert.message).unwrap();
        let email = doc["email"].as_str().unwrap();
        assert!(!email.contains('\u{1b}') && !email.contains('\u{7}'));
        assert!(email.contains("\\u{1b}[2Jsalaries é.csv"));
        assert!(email.contains("Why:       canned ACL `public-read`"));
        assert!(alert.message.len() < 64 * 1024, "{}", alert.message.len());
        let machine: Finding = serde_json::from_str(doc["sqs"].as_str().unwrap()).unwrap();
        assert_eq!(machine.event_id, finding().event_id);
        assert_eq!(machine.user_agent.chars().count(), MAX_FIELD_CHARS);
        assert_eq!(doc["default"], doc["email"]);
    }

    #[test]
    fn attributes_and_fifo_ids() {
        let alert = render(&finding());
        assert_eq!(
            alert.attributes,
            vec![
                ("kind", "object-acl-public".to_string()),
                ("severity", "high".to_string()),
                ("account", "111122223333".to_string()),
                ("bucket", "reports".to_string()),
            ]
        );
        assert_eq!(alert.group_id, "reports");
        assert_eq!(
            alert.deduplication_id,
            "0b1c4d2e-1111-2222-3333-444455556666:object-acl-public"
        );
        let mut account_level = finding();
        account_level.bucket = None;
        account_level.key = None;
        let alert = render(&account_level);
        assert_eq!(alert.group_id, "111122223333");
        assert!(alert.attributes.iter().all(|(name, _)| *name != "bucket"));
    }

    #[test]
    fn unreadable_files_are_findings_with_layout_context() {
        let f = unreadable_log_finding(
            "trail",
            "AWSLogs/o-1/111122223333/CloudTrail/eu-west-1/2024/01/01/x.json.gz",
            "gzip data is corrupt",
        );
        assert_eq!(f.kind, Kind::UnreadableLogFile);
        assert_eq!(
            (f.account.as_str(), f.region.as_str()),
            ("111122223333", "eu-west-1")
        );
        assert!(f.reason.contains("gzip data is corrupt"));
        assert!(f.event_time.ends_with('Z'), "{}", f.event_time);
        let alert = render(&f);
        assert!(alert
            .subject
            .starts_with("[trailwatch] HIGH unreadable-log-file s3://trail/AWSLogs/"));
        assert!(alert.deduplication_id.ends_with(":unreadable-log-file"));
    }
}
