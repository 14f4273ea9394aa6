//! Rendering a finding as an SNS message: a short ASCII subject, a readable
//! text body for email, the finding as JSON for machines, and attributes
//! for subscription filters. Everything taken from the log is untrusted:
//! control characters are escaped and every field is bounded, so a message
//! stays far below SNS's 256 KiB whatever the log held.
//!
//! With [`SnsFormat::Chat`] the `default` and `https` forms carry an Amazon Q
//! Developer in chat applications (formerly AWS Chatbot) custom notification
//! instead, so that a Slack or Teams channel subscribed through it shows a
//! readable card; email and queue subscribers get the same forms as ever.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use serde::Serialize;
use serde_json::{json, Value};
use trailwatch_core::text::{printable, truncate_chars};
use trailwatch_core::{Exposure, Finding, Kind, Severity};

/// SNS's limit on a subject.
pub const MAX_SUBJECT_CHARS: usize = 100;

/// Bounds on untrusted fields, in characters.
const MAX_FIELD_CHARS: usize = 1024;
const MAX_REASON_CHARS: usize = 2048;
/// At most this many unknown facts, each at most 256 characters.
const MAX_UNKNOWN_FACTS: usize = 32;
const MAX_FACT_CHARS: usize = 256;

/// What the `default` and `https` forms of an SNS message hold
/// (`TRAILWATCH_SNS_FORMAT`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SnsFormat {
    /// The readable text body (`default`) and the finding JSON (`https`).
    #[default]
    Standard,
    /// An Amazon Q Developer custom notification in both.
    Chat,
}

impl FromStr for SnsFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "standard" | "default" => Ok(SnsFormat::Standard),
            "chat" => Ok(SnsFormat::Chat),
            other => Err(format!("`{other}` is not an SNS format (standard or chat)")),
        }
    }
}

/// The finding as machines receive it: its JSON with the account's alias
/// (from `[accounts]`) beside the account ID when one is configured.
#[derive(Debug, Serialize)]
pub(crate) struct MachineFinding<'a> {
    #[serde(flatten)]
    pub(crate) finding: &'a Finding,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) account_alias: Option<&'a str>,
}

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

/// Renders one finding in the standard format, without an account alias.
pub fn render(finding: &Finding) -> Alert {
    render_with(finding, SnsFormat::Standard, None)
}

/// Renders one finding; `account_alias` is the configured name of its
/// account, shown in the subject, the bodies and the JSON.
pub fn render_with(finding: &Finding, format: SnsFormat, account_alias: Option<&str>) -> Alert {
    let bounded = bounded(finding);
    let alias = account_alias.map(|a| truncate_chars(&printable(a), 64).into_owned());
    let text = text_body(&bounded, alias.as_deref());
    let machine = serde_json::to_string(&MachineFinding {
        finding: &bounded,
        account_alias: alias.as_deref(),
    })
    .expect("a finding serializes");
    let (default, https) = match format {
        SnsFormat::Standard => (text.clone(), machine.clone()),
        SnsFormat::Chat => {
            let chat = chat_notification(&bounded, alias.as_deref()).to_string();
            (chat.clone(), chat)
        }
    };
    let message = json!({
        "default": default,
        "email": text,
        "sqs": machine,
        "lambda": machine,
        "https": https,
        "email-json": machine,
    })
    .to_string();
    let attributes = [
        ("kind", finding.kind.to_string()),
        ("severity", finding.severity.to_string()),
        ("exposure", finding.exposure.to_string()),
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
        subject: subject(finding, alias.as_deref()),
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
        live_check: None,
    }
}

/// `[trailwatch] HIGH bucket-acl-public s3://bucket/key (111122223333
/// payments-prod)`, reduced to printable ASCII and cut to SNS's 100
/// characters.
fn subject(f: &Finding, alias: Option<&str>) -> String {
    let full = format!(
        "[trailwatch] {} {} {} ({})",
        f.severity.as_str().to_ascii_uppercase(),
        f.kind,
        f.resource(),
        account_label(&f.account, alias)
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

/// `111122223333 payments-prod`, or the ID alone without an alias.
fn account_label(account: &str, alias: Option<&str>) -> String {
    match alias {
        Some(alias) => format!("{account} {alias}"),
        None => account.to_owned(),
    }
}

/// The finding with every untrusted string bounded: at most 1024
/// characters a field (2048 for the reason) and 32 unknown facts of 256,
/// so that its JSON stays under 160 KB even when every character is an
/// escaped control character.
pub(crate) fn bounded(f: &Finding) -> Finding {
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
        unknown_facts: f
            .unknown_facts
            .iter()
            .take(MAX_UNKNOWN_FACTS)
            .map(|s| truncate_chars(s, MAX_FACT_CHARS).into_owned())
            .collect(),
        ..f.clone()
    }
}

/// Q Developer's limits on a custom notification, in characters.
const CHAT_TITLE_CHARS: usize = 250;
const CHAT_DESCRIPTION_CHARS: usize = 4000;
const CHAT_CONTEXT_CHARS: usize = 256;

/// Log text inside chat markdown: one line of inline code, so that a key
/// or user agent cannot add links, mentions or formatting to the card.
fn code(text: &str, max: usize) -> String {
    let flat: String = printable(text).replace('`', "'");
    format!("`{}`", truncate_chars(&flat, max))
}

/// The Amazon Q Developer in chat applications custom notification for a
/// (bounded) finding: `version`, `source: custom`, `content` (title,
/// markdown description, next steps) and `metadata.additionalContext`.
fn chat_notification(f: &Finding, alias: Option<&str>) -> Value {
    let account = account_label(&f.account, alias);
    let title = truncate_chars(
        &printable(&format!(
            "{} {} on {} ({account})",
            f.severity.as_str().to_ascii_uppercase(),
            f.kind,
            f.resource()
        )),
        CHAT_TITLE_CHARS,
    )
    .into_owned();
    let mut description = format!(
        "*Why:* {}\n*Exposure:* {}\n*Account:* {}   *Region:* {}\n*When:* {}\n*Who:* {} ({})\n\
         *From:* {}\n*Event:* {} {}\n*Log file:* {}",
        code(&f.reason, 1500),
        f.exposure,
        code(&account, 100),
        code(&f.region, 40),
        code(&f.event_time, 40),
        code(&f.actor_arn, 300),
        code(&f.actor_type, 40),
        code(&f.source_ip, 100),
        code(&f.event_name, 60),
        code(&f.event_id, 100),
        code(&f.log_file, 400),
    );
    if !f.unknown_facts.is_empty() {
        let facts: Vec<String> = f
            .unknown_facts
            .iter()
            .take(5)
            .map(|u| code(u, 120))
            .collect();
        description.push_str(&format!("\n*Unknown:* {}", facts.join(", ")));
    }
    let description = truncate_chars(&description, CHAT_DESCRIPTION_CHARS).into_owned();
    let context = |text: &str| truncate_chars(&printable(text), CHAT_CONTEXT_CHARS).into_owned();
    let mut additional = serde_json::Map::new();
    for (name, value) in [
        ("kind", f.kind.as_str()),
        ("severity", f.severity.as_str()),
        ("exposure", f.exposure.as_str()),
        ("account", f.account.as_str()),
        ("accountAlias", alias.unwrap_or("")),
        ("region", f.region.as_str()),
        ("resource", &f.resource()),
        ("eventId", f.event_id.as_str()),
        ("eventName", f.event_name.as_str()),
        ("eventTime", f.event_time.as_str()),
        ("actor", f.actor_arn.as_str()),
        ("sourceIp", f.source_ip.as_str()),
        ("logFile", f.log_file.as_str()),
    ] {
        if !value.is_empty() {
            additional.insert(name.to_owned(), Value::String(context(value)));
        }
    }
    json!({
        "version": "1.0",
        "source": "custom",
        "id": fifo_id(&format!("{}:{}", f.event_id, f.kind)),
        "content": {
            "textType": "client-markdown",
            "title": title,
            "description": description,
            "nextSteps": [
                "Check whether this exposure is intended (ask the actor or the bucket owner).",
                "If not, revert it: restore Block Public Access, the previous ACL or policy.",
                "Review what the actor did around that time in CloudTrail.",
                "Accepted exposures can be allowlisted in the trailwatch config with a reason.",
            ],
            "keywords": [f.severity.as_str(), f.kind.as_str(), f.exposure.as_str()],
        },
        "metadata": {
            "threadId": fifo_id(f.bucket.as_deref().unwrap_or(&f.account)),
            "summary": truncate_chars(&printable(&title), 100),
            "eventType": f.kind.as_str(),
            "additionalContext": additional,
        },
    })
}

fn text_body(f: &Finding, alias: Option<&str>) -> String {
    let resource = match f.bucket {
        Some(_) => f.resource(),
        None => format!("the whole {}", f.resource()),
    };
    let lines = [
        headline(f, &resource),
        String::new(),
        format!("What:      {}", f.kind),
        format!("Why:       {}", f.reason),
        format!("Resource:  {resource}"),
        format!(
            "Account:   {}   Region: {}",
            match alias {
                Some(alias) => format!("{} ({alias})", f.account),
                None => f.account.clone(),
            },
            f.region
        ),
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

/// The body's first line: what S3 said when asked (the live check), in
/// plain words, or that an exposure was found when S3 was not asked.
fn headline(f: &Finding, resource: &str) -> String {
    use trailwatch_core::LiveStatus;
    let Some(live) = &f.live_check else {
        return format!("trailwatch found an S3 exposure ({} severity).", f.severity);
    };
    let at = &live.checked_at;
    match live.status {
        LiveStatus::Effective => format!("EFFECTIVE: {resource} IS public now (S3 checked at {at})."),
        LiveStatus::Latent => format!(
            "LATENT: {resource} holds a public grant that a setting neutralises now (S3 checked at {at})."
        ),
        LiveStatus::Closed => format!("CLOSED: {resource} is no longer public (S3 checked at {at})."),
        LiveStatus::Unverifiable => format!(
            "UNVERIFIED ({}): S3 could not be asked about {resource}: {}",
            f.exposure, live.detail
        ),
    }
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
            live_check: None,
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
    fn aliases_show_in_subject_bodies_and_json() {
        let alert = render_with(&finding(), SnsFormat::Standard, Some("payments-prod"));
        assert!(
            alert.subject.ends_with("(111122223333 payments-prod)")
                || alert.subject.ends_with("..."),
            "{}",
            alert.subject
        );
        let mut short = finding();
        short.key = Some("k".into());
        let alert = render_with(&short, SnsFormat::Standard, Some("payments-prod"));
        assert_eq!(
            alert.subject,
            "[trailwatch] HIGH object-acl-public s3://reports/k (111122223333 payments-prod)"
        );
        let doc: Value = serde_json::from_str(&alert.message).unwrap();
        assert!(doc["email"]
            .as_str()
            .unwrap()
            .contains("Account:   111122223333 (payments-prod)   Region: eu-west-1"));
        let machine: Value = serde_json::from_str(doc["sqs"].as_str().unwrap()).unwrap();
        assert_eq!(machine["account_alias"], "payments-prod");
        assert_eq!(machine["account"], "111122223333");
        assert_eq!(doc["https"], doc["sqs"]);
    }

    #[test]
    fn chat_format_is_a_q_developer_custom_notification() {
        let mut f = finding();
        f.key = Some("q1/[click](https://evil.example)`x`".into());
        f.unknown_facts = vec!["account 111122223333 IgnorePublicAcls".into()];
        let alert = render_with(&f, SnsFormat::Chat, Some("payments-prod"));
        let doc: Value = serde_json::from_str(&alert.message).unwrap();
        assert_eq!(doc["default"], doc["https"]);
        assert!(doc["email"]
            .as_str()
            .unwrap()
            .starts_with("trailwatch found"));
        let chat: Value = serde_json::from_str(doc["https"].as_str().unwrap()).unwrap();
        assert_eq!(chat["version"], "1.0");
        assert_eq!(chat["source"], "custom");
        let title = chat["content"]["title"].as_str().unwrap();
        assert!(
            title.starts_with("HIGH object-acl-public on s3://reports/"),
            "{title}"
        );
        assert!(title.ends_with("(111122223333 payments-prod)"), "{title}");
        let description = chat["content"]["description"].as_str().unwrap();
        assert!(
            description.contains("*Why:* `canned ACL 'public-read'"),
            "{description}"
        );
        // Log text is inline code: no markdown link escapes it.
        assert!(
            description.contains("`s3://trail/AWSLogs/"),
            "{description}"
        );
        assert!(!description.contains('\u{1b}'));
        assert!(description.contains("*Unknown:* `account 111122223333 IgnorePublicAcls`"));
        assert_eq!(chat["content"]["nextSteps"].as_array().unwrap().len(), 4);
        let context = &chat["metadata"]["additionalContext"];
        assert_eq!(context["accountAlias"], "payments-prod");
        assert_eq!(context["eventId"], "0b1c4d2e-1111-2222-3333-444455556666");
        assert_eq!(context["exposure"], "effective");
        assert!(context["actor"].as_str().unwrap().len() <= 256);
        assert!(alert.message.len() < 64 * 1024, "{}", alert.message.len());
        assert_eq!("chat".parse::<SnsFormat>(), Ok(SnsFormat::Chat));
        assert!("slack".parse::<SnsFormat>().is_err());
    }

    #[test]
    fn the_first_line_says_what_s3_said() {
        let first_line = |f: &Finding| {
            let message: Value = serde_json::from_str(&render(f).message).unwrap();
            message["email"]
                .as_str()
                .unwrap()
                .lines()
                .next()
                .unwrap()
                .to_owned()
        };
        let mut f = finding();
        f.key = Some("q3/summary.pdf".into());
        assert!(first_line(&f).starts_with("trailwatch found an S3 exposure"));
        let live = |status| trailwatch_core::LiveCheck {
            status,
            checked_at: "2026-01-01T00:00:00Z".into(),
            checked: vec!["GetBucketPolicy: public".into()],
            detail: "AccessDenied: no".into(),
        };
        f.live_check = Some(live(trailwatch_core::LiveStatus::Effective));
        assert_eq!(
            first_line(&f),
            "EFFECTIVE: s3://reports/q3/summary.pdf IS public now (S3 checked at 2026-01-01T00:00:00Z)."
        );
        f.live_check = Some(live(trailwatch_core::LiveStatus::Unverifiable));
        f.exposure = Exposure::Possible;
        assert_eq!(
            first_line(&f),
            "UNVERIFIED (possible): S3 could not be asked about s3://reports/q3/summary.pdf: AccessDenied: no"
        );
    }

    #[test]
    fn attributes_and_fifo_ids() {
        let alert = render(&finding());
        assert_eq!(
            alert.attributes,
            vec![
                ("kind", "object-acl-public".to_string()),
                ("severity", "high".to_string()),
                ("exposure", "effective".to_string()),
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
