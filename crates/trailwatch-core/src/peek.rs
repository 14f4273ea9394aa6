//! Following a record that is skipped (over the size or depth cap, or not
//! valid JSON) to its end, and naming it on the way.
//!
//! A skipped record must still be named (which event, from where) and, when
//! it is one the rules watch, still alerted: an attacker who can pad a record
//! past a bound must not be able to hide it. [`RecordWalker`] is a tolerant,
//! incremental walk over the record's bytes, not a parser: it follows
//! strings, escapes and an unbounded depth to the closing brace, and keeps a
//! few string fields near the top of the object. It holds a few KiB whatever
//! the record's size, so a skipped record is never buffered. Only skipped
//! records pay for its byte-at-a-time pace.

/// String fields of a skipped record; each is `None` when it was not among
/// the bytes read (or was not a string).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordHead {
    /// `eventID`.
    pub event_id: Option<String>,
    /// `eventSource`.
    pub event_source: Option<String>,
    /// `eventName`.
    pub event_name: Option<String>,
    /// `eventTime`.
    pub event_time: Option<String>,
    /// `awsRegion`.
    pub aws_region: Option<String>,
    /// `recipientAccountId`.
    pub recipient_account_id: Option<String>,
    /// `sourceIPAddress`.
    pub source_ip: Option<String>,
    /// `userAgent`.
    pub user_agent: Option<String>,
    /// `errorCode`.
    pub error_code: Option<String>,
    /// `userIdentity.arn`.
    pub actor_arn: Option<String>,
    /// `userIdentity.type`.
    pub actor_type: Option<String>,
    /// `userIdentity.accountId`.
    pub actor_account: Option<String>,
    /// `requestParameters.bucketName`.
    pub bucket: Option<String>,
    /// `requestParameters.key`.
    pub key: Option<String>,
    /// Whether a key of `requestParameters` names an ACL (a canned ACL, a
    /// grant header or an access control policy): an upload without one
    /// cannot expose anything.
    pub carries_acl: bool,
}

impl RecordHead {
    /// Reads what it can from `bytes`, a record or its start.
    pub(crate) fn of(bytes: &[u8]) -> RecordHead {
        let mut walker = RecordWalker::new();
        walker.feed(bytes);
        walker.head
    }

    /// The field a string value at this path (object keys from the record
    /// down) fills, if any.
    fn slot(&mut self, first: &[u8], second: Option<&[u8]>) -> Option<&mut Option<String>> {
        Some(match (first, second) {
            (b"eventID", None) => &mut self.event_id,
            (b"eventSource", None) => &mut self.event_source,
            (b"eventName", None) => &mut self.event_name,
            (b"eventTime", None) => &mut self.event_time,
            (b"awsRegion", None) => &mut self.aws_region,
            (b"recipientAccountId", None) => &mut self.recipient_account_id,
            (b"sourceIPAddress", None) => &mut self.source_ip,
            (b"userAgent", None) => &mut self.user_agent,
            (b"errorCode", None) => &mut self.error_code,
            (b"userIdentity", Some(b"arn")) => &mut self.actor_arn,
            (b"userIdentity", Some(b"type")) => &mut self.actor_type,
            (b"userIdentity", Some(b"accountId")) => &mut self.actor_account,
            (b"requestParameters", Some(b"bucketName")) => &mut self.bucket,
            (b"requestParameters", Some(b"key")) => &mut self.key,
            _ => return None,
        })
    }
}

/// Longest value kept, in characters: these end up in alerts.
const MAX_VALUE_CHARS: usize = 1024;
/// Longest raw (escaped) value read; a longer one is left unset.
const MAX_VALUE_BYTES: usize = 16 << 10;
/// Longest key remembered; no field's key is longer.
const MAX_KEY_BYTES: usize = 64;
/// Containers followed by key (deeper levels are only counted).
const MAX_TRACKED_DEPTH: usize = 3;

struct Frame {
    object: bool,
    expect_key: bool,
    key: Option<Vec<u8>>,
}

/// A string being read whose content matters: a key of a tracked object,
/// or the value of a field not yet set.
struct Capture {
    key: bool,
    raw: Vec<u8>,
    overflow: bool,
}

/// Follows one record from its opening brace to its closing one, fed in
/// pieces of any size.
pub(crate) struct RecordWalker {
    frames: Vec<Frame>,
    untracked_depth: u64,
    in_string: bool,
    escaped: bool,
    capture: Option<Capture>,
    head: RecordHead,
}

impl RecordWalker {
    pub(crate) fn new() -> Self {
        RecordWalker {
            frames: Vec::with_capacity(MAX_TRACKED_DEPTH),
            untracked_depth: 0,
            in_string: false,
            escaped: false,
            capture: None,
            head: RecordHead::default(),
        }
    }

    /// What the record said of itself so far.
    pub(crate) fn into_head(self) -> RecordHead {
        self.head
    }

    /// Reads the next bytes of the record; the offset (in `bytes`) of its
    /// closing byte once found. Escapes apply wherever a backslash stands,
    /// as in the block scanner that delimits records.
    pub(crate) fn feed(&mut self, bytes: &[u8]) -> Option<usize> {
        let mut i = 0;
        while i < bytes.len() {
            if self.escaped {
                self.escaped = false;
                self.keep(&bytes[i..=i]);
                i += 1;
                continue;
            }
            if self.in_string {
                let Some(stop) = memchr::memchr2(b'"', b'\\', &bytes[i..]) else {
                    self.keep(&bytes[i..]);
                    return None;
                };
                self.keep(&bytes[i..i + stop]);
                i += stop;
                if bytes[i] == b'\\' {
                    self.escaped = true;
                    self.keep(b"\\");
                } else {
                    self.in_string = false;
                    self.end_string();
                }
                i += 1;
                continue;
            }
            match bytes[i] {
                b'"' => {
                    self.in_string = true;
                    self.begin_string();
                }
                b'\\' => self.escaped = true,
                open @ (b'{' | b'[') => {
                    if self.untracked_depth > 0 || self.frames.len() == MAX_TRACKED_DEPTH {
                        self.untracked_depth += 1;
                    } else {
                        self.frames.push(Frame {
                            object: open == b'{',
                            expect_key: open == b'{',
                            key: None,
                        });
                    }
                }
                b'}' | b']' => {
                    if self.untracked_depth > 0 {
                        self.untracked_depth -= 1;
                    } else {
                        self.frames.pop();
                    }
                    if self.frames.is_empty() {
                        return Some(i);
                    }
                }
                b',' if self.untracked_depth == 0 => {
                    if let Some(top) = self.frames.last_mut().filter(|f| f.object) {
                        top.expect_key = true;
                        top.key = None;
                    }
                }
                b':' if self.untracked_depth == 0 => {
                    if let Some(top) = self.frames.last_mut() {
                        top.expect_key = false;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        None
    }

    fn keep(&mut self, bytes: &[u8]) {
        if let Some(capture) = &mut self.capture {
            let room = if capture.key {
                MAX_KEY_BYTES
            } else {
                MAX_VALUE_BYTES
            };
            if capture.raw.len() + bytes.len() > room {
                capture.overflow = true;
            } else {
                capture.raw.extend_from_slice(bytes);
            }
        }
    }

    fn begin_string(&mut self) {
        if self.untracked_depth > 0 {
            return;
        }
        let Some(top) = self.frames.last() else {
            return;
        };
        let key = top.object && top.expect_key;
        if key || self.value_slot_open() {
            self.capture = Some(Capture {
                key,
                raw: Vec::new(),
                overflow: false,
            });
        }
    }

    /// Whether a string value here would fill a field not yet set.
    fn value_slot_open(&mut self) -> bool {
        let mut path = self
            .frames
            .iter()
            .filter(|f| f.object)
            .map(|f| f.key.as_deref().unwrap_or_default());
        let (Some(first), second, None) = (path.next(), path.next(), path.next()) else {
            return false;
        };
        let (first, second) = (first.to_vec(), second.map(<[u8]>::to_vec));
        self.head
            .slot(&first, second.as_deref())
            .is_some_and(|slot| slot.is_none())
    }

    fn end_string(&mut self) {
        let Some(capture) = self.capture.take() else {
            return;
        };
        if capture.key {
            if self.frames.len() == 2 && self.frames[0].key.as_deref() == Some(b"requestParameters")
            {
                self.head.carries_acl |= crate::rules::names_acl(&capture.raw);
            }
            if let Some(top) = self.frames.last_mut() {
                // An overlong key matches no field.
                top.key = Some(if capture.overflow {
                    b"\0".to_vec()
                } else {
                    capture.raw
                });
            }
            return;
        }
        if capture.overflow {
            return;
        }
        let mut quoted = Vec::with_capacity(capture.raw.len() + 2);
        quoted.push(b'"');
        quoted.extend_from_slice(&capture.raw);
        quoted.push(b'"');
        let value = serde_json::from_slice::<String>(&quoted)
            .ok()
            .map(|s| crate::text::truncate_chars(&s, MAX_VALUE_CHARS).into_owned());
        let mut path = self
            .frames
            .iter()
            .filter(|f| f.object)
            .map(|f| f.key.clone().unwrap_or_default());
        let (Some(first), second) = (path.next(), path.next()) else {
            return;
        };
        if let Some(slot) = self.head.slot(&first, second.as_deref()) {
            *slot = value;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_top_level_and_nested_fields_only_at_their_place() {
        let record = br#"{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/a","sessionContext":{"arn":"decoy"}},"eventTime":"2024-01-02T03:04:05Z","eventSource":"s3.amazonaws.com","eventName":"PutBucketAcl","awsRegion":"eu-west-1","requestParameters":{"bucketName":"b\"q","x":{"eventName":"Decoy"},"key":["k"]},"eventID":"e-1","recipientAccountId":"111122223333"}"#;
        let head = RecordHead::of(record);
        assert_eq!(head.event_name.as_deref(), Some("PutBucketAcl"));
        assert_eq!(head.event_source.as_deref(), Some("s3.amazonaws.com"));
        assert_eq!(head.event_id.as_deref(), Some("e-1"));
        assert_eq!(head.event_time.as_deref(), Some("2024-01-02T03:04:05Z"));
        assert_eq!(head.aws_region.as_deref(), Some("eu-west-1"));
        assert_eq!(head.recipient_account_id.as_deref(), Some("111122223333"));
        assert_eq!(head.actor_arn.as_deref(), Some("arn:aws:iam::1:user/a"));
        assert_eq!(head.actor_type.as_deref(), Some("IAMUser"));
        assert_eq!(head.bucket.as_deref(), Some("b\"q"));
        // A one-element array (older records) still names the value.
        assert_eq!(head.key.as_deref(), Some("k"));
        assert!(!head.carries_acl);
        let acl = RecordHead::of(br#"{"requestParameters":{"key":"k","X-Amz-Acl":"private"}}"#);
        assert!(acl.carries_acl);
        let elsewhere = RecordHead::of(br#"{"responseElements":{"x-amz-acl":"public-read"}}"#);
        assert!(!elsewhere.carries_acl);
        // The first value of a field wins.
        let twice = RecordHead::of(br#"{"eventName":"A","eventName":"B"}"#);
        assert_eq!(twice.event_name.as_deref(), Some("A"));
    }

    #[test]
    fn finds_the_end_in_any_pieces() {
        let record = br#"{"a":"}\"{","b":[{"c":"\\"}],"eventID":"x"} trailing"#;
        let close = record.iter().position(|&b| b == b' ').unwrap() - 1;
        for step in 1..record.len() {
            let mut walker = RecordWalker::new();
            let mut at = None;
            for (n, piece) in record.chunks(step).enumerate() {
                if let Some(end) = walker.feed(piece) {
                    at = Some(n * step + end);
                    break;
                }
            }
            assert_eq!(at, Some(close), "step {step}");
            assert_eq!(walker.into_head().event_id.as_deref(), Some("x"));
        }
    }

    #[test]
    fn stops_where_the_bytes_stop() {
        let record = br#"{"eventName":"PutBucketPolicy","eventSource":"s3.amazon"#;
        let head = RecordHead::of(record);
        assert_eq!(head.event_name.as_deref(), Some("PutBucketPolicy"));
        assert_eq!(head.event_source, None);
        // Every prefix is read without a panic, and never invents a value.
        for cut in 0..record.len() {
            assert!(RecordHead::of(&record[..cut]).event_source.is_none());
        }
    }

    #[test]
    fn deep_nesting_long_values_and_escapes_do_not_confuse_it() {
        let mut record = String::from(r#"{"requestParameters":{"a":"#);
        record.push_str(&"[".repeat(10_000));
        record.push_str(r#""\"eventName\":\"x\"""#);
        record.push_str(&"]".repeat(10_000));
        record.push_str(r#"},"eventName":"DeleteBucketPublicAccessBlock"}"#);
        let head = RecordHead::of(record.as_bytes());
        assert_eq!(
            head.event_name.as_deref(),
            Some("DeleteBucketPublicAccessBlock")
        );
        let quotes = format!(
            r#"{{"userAgent":"{}","sourceIPAddress":"{}","eventID":"x"}}"#,
            "\\\"".repeat(100_000),
            "a".repeat(5000)
        );
        let head = RecordHead::of(quotes.as_bytes());
        assert_eq!(head.event_id.as_deref(), Some("x"));
        // Over the raw bound: left unset rather than half read.
        assert_eq!(head.user_agent, None);
        assert_eq!(head.source_ip.unwrap().chars().count(), MAX_VALUE_CHARS);
    }
}
