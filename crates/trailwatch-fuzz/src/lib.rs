//! The bodies of trailwatch's fuzz targets, one per input surface, shared by
//! the libFuzzer binaries (`fuzz_targets/`, run with `cargo fuzz`) and by the
//! regression tests that replay every crash ever found on the stable
//! toolchain. Each body panics when an invariant breaks; a panic is a bug.

use std::io::{self, Read};

use serde_json::{json, Value};
use trailwatch_core::{Allowlist, Finding, Kind, Limits, Scanner, Severity};

/// Small limits, so that the fuzzer explores the bounds instead of spending
/// its time inside one huge input.
fn limits() -> Limits {
    Limits {
        max_decompressed_bytes: 4 << 20,
        max_record_bytes: 64 << 10,
        max_findings_per_file: 50,
        ..Limits::default()
    }
}

/// A reader that hands out at most `step` bytes per call.
struct Trickle<'a> {
    data: &'a [u8],
    step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = self.step.min(out.len()).min(self.data.len());
        out[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fn check_findings(findings: &[Finding], log_file: &str, max: usize) {
    assert!(findings.len() <= max, "more findings than the cap");
    for f in findings {
        assert_eq!(f.log_file, log_file);
        assert!(!f.reason.is_empty(), "a finding without a reason");
        assert_ne!(
            f.kind,
            Kind::UnreadableLogFile,
            "the rules never raise unreadable-log-file"
        );
    }
}

/// Log-file reader: any bytes, as a stored file. The whole-buffer path
/// (libdeflate) and the streaming path (flate2, fed a few bytes at a time)
/// must agree: both read the file, with the same findings and records, or
/// both report an error. (On a damaged stream the decoders may get different
/// distances before noticing, so then one's findings must be a prefix of the
/// other's.)
pub fn log_file(data: &[u8]) {
    let limits = limits();
    let whole = Scanner::new(limits).scan_bytes("f", data);
    let step = 1 + data.first().copied().unwrap_or(0) as usize % 97;
    let streamed = Scanner::new(Limits {
        whole_file_bytes: 0,
        ..limits
    })
    .scan_reader("f", Trickle { data, step });
    check_findings(&whole.findings, "f", limits.max_findings_per_file);
    assert_eq!(
        whole.error.is_some(),
        streamed.error.is_some(),
        "one path read the file, the other did not: {:?} / {:?}",
        whole.error.as_ref().map(ToString::to_string),
        streamed.error.as_ref().map(ToString::to_string)
    );
    if whole.error.is_none() {
        assert_eq!(
            whole.findings, streamed.findings,
            "whole-buffer and streaming paths disagree"
        );
        assert_eq!(whole.stats.records, streamed.stats.records);
        assert_eq!(
            whole.skipped, streamed.skipped,
            "the paths skip different records"
        );
        assert_eq!(whole.stats.skipped_records, streamed.stats.skipped_records);
    } else {
        let (short, long) = if whole.findings.len() <= streamed.findings.len() {
            (&whole.findings, &streamed.findings)
        } else {
            (&streamed.findings, &whole.findings)
        };
        assert_eq!(
            short[..],
            long[..short.len()],
            "findings before an error differ"
        );
    }
}

/// Record splitter: the first byte picks a read size, the rest is read as a
/// plain JSON log. Every record it yields carries the position of every
/// `"eventName"` a byte search finds in it (a missed one could hide an
/// event). When the rest is a JSON array of objects, the document
/// `{"Records": that array}` must split into exactly that many records,
/// without error, whatever the read size.
pub fn splitter(data: &[u8]) {
    let Some((&step, rest)) = data.split_first() else {
        return;
    };
    let limits = Limits {
        max_record_bytes: 1 << 20,
        max_decompressed_bytes: 1 << 30,
        ..limits()
    };
    let step = 1 + step as usize;
    let raw = Scanner::new(limits).scan_reader("f", Trickle { data: rest, step });
    check_findings(&raw.findings, "f", limits.max_findings_per_file);
    let records = trailwatch_core::bench::records_with_key_positions(Trickle { data: rest, step });
    for (bytes, key_at) in records {
        let searched: Vec<usize> = (0..bytes.len())
            .filter(|&i| bytes[i..].starts_with(b"\"eventName\""))
            .collect();
        assert_eq!(key_at, searched, "key positions differ from a byte search");
    }
    let Ok(Value::Array(records)) = serde_json::from_slice::<Value>(rest) else {
        return;
    };
    if records.is_empty()
        || !records.iter().all(Value::is_object)
        || records.iter().any(|r| depth(r) > 60)
    {
        return;
    }
    for pretty in [false, true] {
        let doc = json!({ "Records": records });
        let text = if pretty {
            serde_json::to_vec_pretty(&doc)
        } else {
            serde_json::to_vec(&doc)
        }
        .unwrap();
        let scan = Scanner::new(limits).scan_reader("f", Trickle { data: &text, step });
        if let Some(e) = &scan.error {
            // Only the findings cap may mark a valid document as an error
            // (and it is still read to its end).
            assert!(
                e.to_string().contains("findings"),
                "valid document rejected: {e}"
            );
        }
        // Every record is read or skipped (a candidate with a duplicate key
        // that the typed parse refuses is skipped), none lost.
        assert_eq!(
            scan.stats.records,
            records.len() as u64,
            "record count differs from serde_json"
        );
    }
}

fn depth(v: &Value) -> usize {
    match v {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// Rule engine on one record: never panics; at most one finding per kind;
/// nothing for other services; a failed call only as `blocked`.
pub fn record(data: &[u8]) {
    let limits = limits();
    let Ok(findings) = trailwatch_core::detect_record(data, "f", &limits) else {
        return;
    };
    check_findings(&findings, "f", usize::MAX);
    let mut kinds: Vec<Kind> = findings.iter().map(|f| f.kind).collect();
    kinds.sort();
    kinds.dedup();
    assert_eq!(
        kinds.len(),
        findings.len(),
        "two findings of one kind for one record"
    );
    if findings.is_empty() {
        return;
    }
    // The typed parse skips ignored fields without checking their UTF-8, so
    // read the record leniently here too.
    let value: Value = serde_json::from_slice(data)
        .or_else(|_| serde_json::from_str(&String::from_utf8_lossy(data)))
        .expect("detect_record parsed it");
    let source = value.get("eventSource").map(|s| match s {
        Value::Array(a) if a.len() == 1 => a[0].clone(),
        other => other.clone(),
    });
    assert_eq!(
        source,
        Some(json!("s3.amazonaws.com")),
        "a finding from another service"
    );
    let failed = ["errorCode", "errorMessage"]
        .iter()
        .any(|key| match value.get(key) {
            None | Some(Value::Null) => false,
            Some(Value::String(s)) => !s.is_empty(),
            Some(Value::Array(a)) => a.iter().any(|v| !v.is_null() && v != &json!("")),
            Some(_) => true,
        });
    // A failed call's findings, and only those, are `blocked`: a refused
    // call never claims an exposure.
    for finding in &findings {
        assert_eq!(
            finding.exposure == trailwatch_core::Exposure::Blocked,
            failed,
            "blocked if and only if the call failed"
        );
    }
}

/// Policy evaluator: the bytes as a bucket policy (a JSON value when they
/// parse, else a string). At most one finding, of the policy kind; wrapping
/// every statement in a Deny never leaves a public verdict standing.
pub fn policy(data: &[u8]) {
    let policy = serde_json::from_slice::<Value>(data)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(data).into_owned()));
    let findings = evaluate_policy(&policy);
    assert!(findings.len() <= 1);
    if let Some(f) = findings.first() {
        assert_eq!(f.kind, Kind::BucketPolicyPublic);
        assert_eq!(f.bucket.as_deref(), Some("fuzzed-bucket"));
        if f.severity == Severity::Medium {
            assert!(
                f.reason.contains("cannot be shown to be private"),
                "{}",
                f.reason
            );
        }
    }
    if let Some(statements) = policy.get("Statement") {
        let mut denied = policy.clone();
        let deny_all = |s: &Value| {
            let mut s = s.clone();
            if let Some(map) = s.as_object_mut() {
                map.insert("Effect".into(), json!("Deny"));
            }
            s
        };
        denied["Statement"] = match statements {
            Value::Array(items) => Value::Array(items.iter().map(deny_all).collect()),
            other => deny_all(other),
        };
        let verdicts = evaluate_policy(&denied);
        assert!(
            verdicts.iter().all(|f| f.severity == Severity::Medium),
            "a policy of Deny statements was found public"
        );
    }
}

fn evaluate_policy(policy: &Value) -> Vec<Finding> {
    let record = json!({
        "eventVersion": "1.09",
        "eventSource": "s3.amazonaws.com",
        "eventName": "PutBucketPolicy",
        "eventID": "00000000-0000-0000-0000-000000000000",
        "eventTime": "2024-01-01T00:00:00Z",
        "awsRegion": "us-east-1",
        "recipientAccountId": "111122223333",
        "requestParameters": { "bucketName": "fuzzed-bucket", "bucketPolicy": policy },
    });
    let bytes = serde_json::to_vec(&record).expect("serializes");
    trailwatch_core::detect_record(&bytes, "f", &limits()).expect("a well-formed record parses")
}

/// Allowlist configuration: any text parses or fails cleanly, and a loaded
/// allowlist answers for any finding.
pub fn allowlist(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(allowlist) = Allowlist::parse(text, "fuzz.toml") else {
        return;
    };
    let finding = Finding {
        event_id: "e".into(),
        event_time: "2024-01-01T00:00:00Z".into(),
        event_name: "PutBucketAcl".into(),
        kind: Kind::BucketAclPublic,
        severity: Severity::High,
        reason: "r".into(),
        account: "111122223333".into(),
        region: "us-east-1".into(),
        bucket: Some("www.example.com".into()),
        key: None,
        actor_arn: "arn:aws:iam::111122223333:user/a".into(),
        actor_type: "IAMUser".into(),
        source_ip: "1.2.3.4".into(),
        user_agent: "ua".into(),
        log_file: "f".into(),
        exposure: trailwatch_core::Exposure::Possible,
        unknown_facts: Vec::new(),
        live_check: None,
    };
    if let Some(reason) = allowlist.suppression(&finding) {
        assert!(
            !reason.trim().is_empty(),
            "an entry without a reason suppressed a finding"
        );
    }
}

/// Lambda events: any JSON is recognised or refused with an error, never a
/// panic; every object named has a bucket and a key, and an alternate key
/// reading is only kept when it differs.
pub fn lambda_event(data: &[u8]) {
    let Ok(event) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let Ok(trigger) = trailwatch_events::classify(&event) else {
        return;
    };
    let check = |o: &trailwatch_events::ObjectRef| {
        assert_ne!(
            o.alternate_key.as_deref(),
            Some(o.key.as_str()),
            "alternate equals key"
        );
    };
    match trigger {
        trailwatch_events::Trigger::Objects(objects) => objects.iter().for_each(check),
        trailwatch_events::Trigger::Queue(messages) => messages
            .iter()
            .filter_map(|m| m.objects.as_ref().ok())
            .flatten()
            .for_each(check),
        trailwatch_events::Trigger::Batch(job) => job
            .tasks
            .iter()
            .filter_map(|t| t.object.as_ref().ok())
            .for_each(check),
        trailwatch_events::Trigger::TestEvent => {}
    }
    // Decoding is total: any key decodes to something, without panicking.
    if let Some(key) = event
        .pointer("/Records/0/s3/object/key")
        .and_then(Value::as_str)
    {
        let _ = trailwatch_events::decode_key(key);
    }
}
