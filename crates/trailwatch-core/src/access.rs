//! The exploitation overlay: S3 requests made without the owner's
//! credentials, which say whether anything was read while a bucket was open.
//!
//! Two kinds of data event are kept (`../shared/EXPOSURE.md`):
//! - **anonymous** requests, which CloudTrail logs with the identity
//!   `{"type":"AWSAccount","principalId":"","accountId":"anonymous"}` and
//!   the bucket owner as `recipientAccountId` (S3 user guide, "Logging Amazon
//!   S3 API calls using AWS CloudTrail", and the records cited in
//!   `fixtures/logs/exposure/`). A successful one proves the bucket served
//!   the public at that second, whatever the archive says of its grants;
//! - **presigned-URL** requests (`additionalEventData.AuthenticationMethod`
//!   `"QueryString"`): signed by a credential holder, so not an exposure by
//!   themselves, but counted in the window they fall in.
//!
//! CORS preflights (`PreflightRequest`, always anonymous) read nothing and
//! refused requests served nothing: neither is counted. Requests are counted
//! per bucket, key and second (CloudTrail's time resolution, so a window
//! boundary never splits a count), which keeps the state to one slot per
//! second of traffic; past [`MAX_REQUEST_SLOTS`] slots, requests are counted
//! in [`RequestLog::over_cap`] and left out of the windows.

use std::collections::{BTreeMap, HashMap};

use crate::exposure::{Level, SourceCount, Window};
use crate::record::{field, field_text, opt_text, Record};
use crate::rules::S3_EVENT_SOURCE;
use memchr::memmem;
use serde::{Deserialize, Serialize};

/// Distinct (bucket, key, second) slots kept across an archive.
pub const MAX_REQUEST_SLOTS: usize = 1_000_000;

/// Source addresses counted per slot; the rest are counted as `other`.
const MAX_SOURCES_PER_SLOT: usize = 8;

/// The name under which sources past a cap are counted.
pub const OTHER_SOURCES: &str = "other";

/// Requests to one bucket and key within one second.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requests {
    /// The bucket owner's account (`recipientAccountId`).
    pub account: String,
    /// The bucket.
    pub bucket: String,
    /// The key, for object requests.
    pub key: Option<String>,
    /// `eventTime` (one second).
    pub at: String,
    /// Successful anonymous requests.
    pub anonymous: u64,
    /// Successful presigned-URL requests.
    pub presigned: u64,
    /// Requests by `sourceIPAddress` (bounded; the rest under `other`).
    pub sources: BTreeMap<String, u64>,
}

type SlotKey = (String, String, Option<String>, String);

/// Requests of one file or of a whole archive, by slot.
#[derive(Debug, Default, Clone)]
pub struct RequestLog {
    slots: BTreeMap<SlotKey, Requests>,
    /// Requests not kept because of [`MAX_REQUEST_SLOTS`].
    pub over_cap: u64,
}

impl RequestLog {
    /// No requests.
    pub fn new() -> Self {
        RequestLog::default()
    }

    /// Adds the counts of `requests` (one file's, or one request's).
    pub fn add(&mut self, requests: Requests) {
        let key = (
            requests.account.clone(),
            requests.bucket.clone(),
            requests.key.clone(),
            requests.at.clone(),
        );
        if let Some(slot) = self.slots.get_mut(&key) {
            slot.anonymous += requests.anonymous;
            slot.presigned += requests.presigned;
            for (source, n) in requests.sources {
                count_source(&mut slot.sources, source, n, MAX_SOURCES_PER_SLOT);
            }
        } else if self.slots.len() >= MAX_REQUEST_SLOTS {
            self.over_cap += requests.anonymous + requests.presigned;
        } else {
            self.slots.insert(key, requests);
        }
    }

    /// Every slot, by account, bucket, key and time.
    pub fn iter(&self) -> impl Iterator<Item = &Requests> {
        self.slots.values()
    }

    /// The slots, for a resume file or a changes object.
    pub fn into_vec(self) -> Vec<Requests> {
        self.slots.into_values().collect()
    }

    /// Adds one request, if there is one.
    pub fn extend(&mut self, requests: Option<Requests>) {
        if let Some(requests) = requests {
            self.add(requests);
        }
    }

    /// Whether nothing was counted.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty() && self.over_cap == 0
    }
}

/// Adds `n` requests from `source`, counting sources past `cap` as `other`.
pub(crate) fn count_source(
    sources: &mut BTreeMap<String, u64>,
    source: String,
    n: u64,
    cap: usize,
) {
    if let Some(count) = sources.get_mut(&source) {
        *count += n;
    } else if sources.len() < cap {
        sources.insert(source, n);
    } else {
        *sources.entry(OTHER_SOURCES.to_owned()).or_default() += n;
    }
}

/// Sources listed per window.
pub const MAX_TOP_SOURCES: usize = 10;

/// What the windows cannot explain: anonymous requests served while no
/// known grant was live.
const UNEXPLAINED: &str =
    "the grant that served anonymous requests (set before the archive, or not logged)";
const END_UNKNOWN: &str = "when this exposure ended (the archive shows only its requests)";

/// Whether a window was open at second `at`: from its opening (inclusive)
/// to its closing (exclusive); an open end is unbounded.
fn covers(window: &Window, at: &str) -> bool {
    window.opened_at.as_deref().is_none_or(|o| o <= at)
        && window.closed_at.as_deref().is_none_or(|c| at < c)
}

/// Counts every request into the windows it falls in, and makes a window
/// for each run of anonymous requests that no live window explains.
///
/// A request to a bucket counts into that bucket's windows, and, when it
/// names a key, into that object's windows. Presigned requests count into
/// any window they fall in; anonymous ones only into windows that say the
/// resource was public (possible or effective): AWS serving the public
/// during a latent window means something the archive does not show made
/// it live, which is a window of its own, `effective` (the request proves
/// it), opened at an unknown time (`opened_at` null). Runs are split where
/// a known window of the bucket opens.
pub(crate) fn overlay(windows: &mut Vec<Window>, requests: &RequestLog) {
    if requests.slots.is_empty() {
        return;
    }
    let mut by_bucket: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    let mut by_object: HashMap<(&str, &str, &str), Vec<usize>> = HashMap::new();
    for (i, w) in windows.iter().enumerate() {
        let (Some(bucket), "bucket" | "object") = (w.bucket.as_deref(), w.resource_type) else {
            continue;
        };
        match w.key.as_deref() {
            Some(key) => by_object
                .entry((&w.account, bucket, key))
                .or_default()
                .push(i),
            None => by_bucket.entry((&w.account, bucket)).or_default().push(i),
        }
    }
    let mut counts: Vec<Counted> = vec![Counted::default(); windows.len()];
    let mut unexplained: BTreeMap<(&str, &str), Vec<&Requests>> = BTreeMap::new();
    for slot in requests.slots.values() {
        let candidates = by_bucket
            .get(&(slot.account.as_str(), slot.bucket.as_str()))
            .into_iter()
            .flatten()
            .chain(
                slot.key
                    .as_deref()
                    .and_then(|k| by_object.get(&(slot.account.as_str(), slot.bucket.as_str(), k)))
                    .into_iter()
                    .flatten(),
            );
        let mut explained = false;
        for &i in candidates {
            let window = &windows[i];
            if !covers(window, &slot.at) {
                continue;
            }
            let live = window.exposure > Level::Latent;
            explained |= live;
            let anonymous = if live { slot.anonymous } else { 0 };
            counts[i].add(slot, anonymous, slot.presigned);
        }
        if !explained && slot.anonymous > 0 {
            unexplained
                .entry((slot.account.as_str(), slot.bucket.as_str()))
                .or_default()
                .push(slot);
        }
    }
    let mut observed = Vec::new();
    for ((account, bucket), mut slots) in unexplained {
        slots.sort_by(|a, b| a.at.cmp(&b.at));
        // Where a known window of the bucket or its objects opens, a run
        // of unexplained requests ends.
        let mut opened: Vec<&str> = windows
            .iter()
            .filter(|w| w.account == account && w.bucket.as_deref() == Some(bucket))
            .filter_map(|w| w.opened_at.as_deref())
            .collect();
        opened.sort_unstable();
        let mut run: Option<(Window, Counted)> = None;
        for slot in slots {
            if let Some((window, counted)) = run.take() {
                let last = counted.last.clone().unwrap_or_default();
                if opened
                    .iter()
                    .any(|o| last.as_str() < *o && *o <= slot.at.as_str())
                {
                    observed.push(counted.into_window(window));
                } else {
                    run = Some((window, counted));
                }
            }
            let (_, counted) = run
                .get_or_insert_with(|| (unexplained_window(account, bucket), Counted::default()));
            counted.add(slot, slot.anonymous, 0);
        }
        observed.extend(run.map(|(window, counted)| counted.into_window(window)));
    }
    for (window, counted) in windows.iter_mut().zip(counts) {
        counted.fill(window);
    }
    windows.extend(observed);
}

/// A window seen only through the anonymous requests it served.
fn unexplained_window(account: &str, bucket: &str) -> Window {
    Window {
        resource_type: "bucket",
        account: account.to_owned(),
        bucket: Some(bucket.to_owned()),
        key: None,
        access_point: None,
        exposure: Level::Effective,
        via: Default::default(),
        unknown_facts: [UNEXPLAINED, END_UNKNOWN].map(str::to_owned).into(),
        opened_at: None,
        opened_by: None,
        closed_at: None,
        closed_by: None,
        anonymous_requests: 0,
        presigned_requests: 0,
        first_request_at: None,
        last_request_at: None,
        top_sources: Vec::new(),
    }
}

/// The requests counted into one window so far.
#[derive(Debug, Clone, Default)]
struct Counted {
    anonymous: u64,
    presigned: u64,
    first: Option<String>,
    last: Option<String>,
    sources: BTreeMap<String, u64>,
}

impl Counted {
    fn add(&mut self, slot: &Requests, anonymous: u64, presigned: u64) {
        if anonymous + presigned == 0 {
            return;
        }
        self.anonymous += anonymous;
        self.presigned += presigned;
        if self.first.as_ref().is_none_or(|f| slot.at < *f) {
            self.first = Some(slot.at.clone());
        }
        if self.last.as_ref().is_none_or(|l| slot.at > *l) {
            self.last = Some(slot.at.clone());
        }
        for (source, n) in &slot.sources {
            // Bounded by the distinct sources of the archive's slots; only
            // the top ones are kept in the window.
            *self.sources.entry(source.clone()).or_default() += n;
        }
    }

    fn fill(self, window: &mut Window) {
        window.anonymous_requests += self.anonymous;
        window.presigned_requests += self.presigned;
        window.first_request_at = self.first;
        window.last_request_at = self.last;
        let mut top: Vec<SourceCount> = self
            .sources
            .into_iter()
            .map(|(source, requests)| SourceCount { source, requests })
            .collect();
        top.sort_by(|a, b| b.requests.cmp(&a.requests).then(a.source.cmp(&b.source)));
        top.truncate(MAX_TOP_SOURCES);
        window.top_sources = top;
    }

    fn into_window(self, mut window: Window) -> Window {
        self.fill(&mut window);
        window
    }
}

/// The byte test in front of the parser: a record can be an anonymous or a
/// presigned request only if it holds the string `"anonymous"` or
/// `"QueryString"` (as whole JSON strings: inside another string the quotes
/// would be escaped).
pub(crate) struct RequestPrefilter {
    anonymous: memmem::Finder<'static>,
    presigned: memmem::Finder<'static>,
    identity: memmem::Finder<'static>,
}

impl RequestPrefilter {
    pub(crate) fn new() -> Self {
        RequestPrefilter {
            anonymous: memmem::Finder::new(b"\"anonymous\""),
            presigned: memmem::Finder::new(b"\"QueryString\""),
            identity: memmem::Finder::new(IDENTITY_TYPE_KEY),
        }
    }

    /// True when the record must be parsed to know. `key_at` holds the
    /// offsets of `"eventName"` in the record. CloudTrail writes
    /// `"userIdentity"` first and `"eventSource":"…",` just before
    /// `"eventName"`, with `additionalEventData` after it; in that layout a
    /// record of another service is rejected unread, the anonymous marker
    /// is looked for only when the identity's type is `AWSAccount`, and the
    /// presigned one only after the event name. In any other layout the
    /// whole record is searched for both.
    pub(crate) fn may_be_request(&self, record: &[u8], key_at: &[usize]) -> bool {
        let mut s3_at = None;
        let mut unusual = key_at.is_empty();
        for &at in key_at {
            match source_before(&record[..at]) {
                Some(source) if source == S3_EVENT_SOURCE.as_bytes() => {
                    s3_at = Some(at);
                    break;
                }
                Some(_) => {}
                None => unusual = true,
            }
        }
        let at = match (s3_at, unusual) {
            (Some(at), _) => at,
            (None, true) => {
                return self.anonymous.find(record).is_some()
                    || self.presigned.find(record).is_some()
            }
            (None, false) => return false,
        };
        let anonymous = match identity_type(&self.identity, &record[..at]) {
            Some(kind) => kind == b"AWSAccount" && self.anonymous.find(&record[..at]).is_some(),
            None => self.anonymous.find(record).is_some(),
        };
        anonymous || self.presigned.find(&record[at..]).is_some()
    }
}

const IDENTITY_TYPE_KEY: &[u8] = b"\"userIdentity\":{\"type\":\"";

/// The `type` of a `"userIdentity":{"type":"…"` near the start of a record
/// (`finder` looks for [`IDENTITY_TYPE_KEY`]).
fn identity_type<'a>(finder: &memmem::Finder<'_>, head: &'a [u8]) -> Option<&'a [u8]> {
    let window = &head[..head.len().min(96)];
    let at = finder.find(window)? + IDENTITY_TYPE_KEY.len();
    let rest = &head[at..];
    let end = memchr::memchr2(b'"', b'\\', rest)?;
    (rest[end] == b'"').then(|| &rest[..end])
}

/// The value of a `"eventSource":"…",` that ends `before` (whitespace
/// allowed), if it does and holds no escape.
fn source_before(before: &[u8]) -> Option<&[u8]> {
    let rest = before.trim_ascii_end().strip_suffix(b",")?.trim_ascii_end();
    let rest = rest.strip_suffix(b"\"")?;
    let open = memchr::memrchr(b'"', rest)?;
    let value = &rest[open + 1..];
    if value.contains(&b'\\') {
        return None;
    }
    let key = rest[..open]
        .trim_ascii_end()
        .strip_suffix(b":")?
        .trim_ascii_end();
    key.ends_with(b"\"eventSource\"").then_some(value)
}

/// The request a parsed record is, if it is a successful anonymous or
/// presigned S3 request.
pub(crate) fn request_of(record: &Record) -> Option<Requests> {
    if opt_text(&record.event_source) != Some(S3_EVENT_SOURCE)
        || record.failed()
        || opt_text(&record.event_name) == Some("PreflightRequest")
    {
        return None;
    }
    let anonymous = record
        .user_identity
        .as_ref()
        .and_then(|u| field_text(u, "accountId"))
        == Some("anonymous");
    let presigned = record
        .additional_event_data
        .as_ref()
        .and_then(|a| field_text(a, "AuthenticationMethod"))
        == Some("QueryString");
    if !anonymous && !presigned {
        return None;
    }
    let account = opt_text(&record.recipient_account_id)?.to_owned();
    let params = record.params();
    let bucket = field_text(params, "bucketName")?.to_owned();
    let key = field(params, "key")
        .and_then(crate::record::text)
        .filter(|k| !k.is_empty())
        .map(str::to_owned);
    let source = opt_text(&record.source_ip_address)
        .unwrap_or("unknown")
        .to_owned();
    Some(Requests {
        account,
        bucket,
        key,
        at: opt_text(&record.event_time)?.to_owned(),
        anonymous: u64::from(anonymous),
        presigned: u64::from(presigned && !anonymous),
        sources: BTreeMap::from([(source, 1)]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    use serde_json::Value;

    fn request(record: Value) -> Option<Requests> {
        let parsed: Record = serde_json::from_value(record).unwrap();
        request_of(&parsed)
    }

    fn anonymous_get() -> Value {
        serde_json::json!({"eventSource":"s3.amazonaws.com","eventName":"GetObject",
            "eventTime":"2024-05-01T10:00:00Z","recipientAccountId":"111122223333",
            "userIdentity":{"type":"AWSAccount","principalId":"","accountId":"anonymous"},
            "sourceIPAddress":"198.51.100.7",
            "requestParameters":{"bucketName":"b","key":"k"}})
    }

    #[test]
    fn anonymous_and_presigned_requests_are_counted_preflights_and_refusals_not() {
        let got = request(anonymous_get()).unwrap();
        assert_eq!((got.anonymous, got.presigned), (1, 0));
        assert_eq!(got.key.as_deref(), Some("k"));
        assert_eq!(got.sources.get("198.51.100.7"), Some(&1));

        let mut preflight = anonymous_get();
        preflight["eventName"] = "PreflightRequest".into();
        assert!(request(preflight).is_none());

        let mut refused = anonymous_get();
        refused["errorCode"] = "AccessDenied".into();
        assert!(request(refused).is_none());

        let mut presigned = anonymous_get();
        presigned["userIdentity"] =
            serde_json::json!({"type":"IAMUser","accountId":"111122223333"});
        presigned["additionalEventData"] =
            serde_json::json!({"AuthenticationMethod":"QueryString"});
        let got = request(presigned).unwrap();
        assert_eq!((got.anonymous, got.presigned), (0, 1));

        let mut signed = anonymous_get();
        signed["userIdentity"] = serde_json::json!({"type":"IAMUser","accountId":"111122223333"});
        signed["additionalEventData"] = serde_json::json!({"AuthenticationMethod":"AuthHeader"});
        assert!(request(signed).is_none());
    }

    fn may_be(record: &[u8]) -> bool {
        let key_at: Vec<usize> = memmem::find_iter(record, b"\"eventName\"").collect();
        RequestPrefilter::new().may_be_request(record, &key_at)
    }

    #[test]
    fn the_prefilter_needs_a_whole_string_from_s3() {
        assert!(may_be(br#"{"accountId":"anonymous"}"#));
        assert!(may_be(br#"{"AuthenticationMethod":"QueryString"}"#));
        assert!(!may_be(br#"{"note":"an \"anonymous\" user"}"#));
        assert!(!may_be(br#"{"AuthenticationMethod":"AuthHeader"}"#));
        // Another service, as CloudTrail lays records out: rejected unread.
        assert!(!may_be(
            br#"{"userIdentity":{"accountId":"anonymous"},"eventSource":"lambda.amazonaws.com","eventName":"Invoke"}"#
        ));
        // S3, in that layout or with spaces, or in any other layout: searched.
        assert!(may_be(
            br#"{"userIdentity":{"accountId":"anonymous"},"eventSource" : "s3.amazonaws.com" , "eventName":"GetObject"}"#
        ));
        assert!(may_be(
            br#"{"eventName":"GetObject","eventSource":"lambda.amazonaws.com","userIdentity":{"accountId":"anonymous"}}"#
        ));
        // An identity of another type is not read further.
        assert!(!may_be(
            br#"{"userIdentity":{"type":"IAMUser","x":"anonymous"},"eventSource":"s3.amazonaws.com","eventName":"GetObject"}"#
        ));
        assert!(may_be(
            br#"{"userIdentity":{"type":"AWSAccount","principalId":"","accountId":"anonymous"},"eventSource":"s3.amazonaws.com","eventName":"GetObject"}"#
        ));
        assert!(may_be(
            br#"{"userIdentity":{"type":"IAMUser"},"eventSource":"s3.amazonaws.com","eventName":"GetObject","additionalEventData":{"AuthenticationMethod":"QueryString"}}"#
        ));
    }

    #[test]
    fn slots_merge_and_sources_are_bounded() {
        let mut log = RequestLog::new();
        for i in 0..20 {
            let mut r = request(anonymous_get()).unwrap();
            r.sources = BTreeMap::from([(format!("192.0.2.{i}"), 1)]);
            log.add(r);
        }
        let slots: Vec<&Requests> = log.iter().collect();
        assert_eq!(slots.len(), 1);
        assert_eq!(slots[0].anonymous, 20);
        assert_eq!(slots[0].sources.len(), MAX_SOURCES_PER_SLOT + 1);
        assert_eq!(slots[0].sources.get(OTHER_SOURCES), Some(&12));
    }
}
