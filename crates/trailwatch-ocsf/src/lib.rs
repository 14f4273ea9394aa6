//! trailwatch findings as OCSF Detection Findings (`class_uid` 2004, schema
//! 1.5.0), one JSON object per finding, for security lakes and SIEMs that
//! speak OCSF. A pure mapping: no AWS, no I/O.
//!
//! Every string taken from the log (keys, user agents, ARNs, reasons) is
//! bounded, and the rendered line is checked against [`MAX_LINE_BYTES`]: if a
//! finding full of escaped control characters would still exceed it, the
//! log-derived text is cut shorter until it fits.

use serde_json::{json, Map, Value};
use trailwatch_core::text::truncate_chars;
use trailwatch_core::{partition, Exposure, Finding, ResourceType, Severity};

/// The OCSF schema version stated in `metadata.version`.
pub const OCSF_VERSION: &str = "1.5.0";

/// No rendered line (with its JSON escapes) is longer than this.
pub const MAX_LINE_BYTES: usize = 256 * 1024;

/// Characters kept of each log-derived string, first try; shorter ones are
/// tried when a line would still be too long.
const FIELD_CAPS: [usize; 4] = [1024, 256, 64, 16];
/// At most this many unknown facts are listed.
const MAX_UNKNOWN_FACTS: usize = 32;

/// The stable identifier of a finding: CloudTrail event ID and kind
/// (`<eventID>:<kind>`), so that the same event replayed again, or seen
/// by the Lambda and by a replay, is one finding downstream. A finding
/// without an event ID (an unreadable log file) is named by its log file.
pub fn finding_uid(finding: &Finding) -> String {
    if finding.event_id.is_empty() {
        format!("log-{:016x}:{}", fnv1a(&finding.log_file), finding.kind)
    } else {
        format!("{}:{}", finding.event_id, finding.kind)
    }
}

/// FNV-1a: stable across builds and platforms, unlike `DefaultHasher`.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The finding as one OCSF Detection Finding JSON line (no newline), at
/// most [`MAX_LINE_BYTES`] long. `account_alias` is the configured name of
/// the finding's account (`[accounts]`), shown as the cloud account's name;
/// `suppressed` is the allowlist reason of an accepted finding (status
/// `Suppressed`, the reason in `status_detail`).
pub fn to_line(finding: &Finding, account_alias: Option<&str>, suppressed: Option<&str>) -> String {
    let mut line = String::new();
    for cap in FIELD_CAPS {
        let mut object = detection_finding_capped(finding, account_alias, cap);
        if let Some(reason) = suppressed {
            object["status_id"] = json!(3);
            object["status"] = json!("Suppressed");
            object["status_detail"] = json!(truncate_chars(reason, cap).into_owned());
        }
        line = object.to_string();
        if line.len() <= MAX_LINE_BYTES {
            break;
        }
    }
    line
}

/// The finding as an OCSF Detection Finding object (log-derived strings
/// bounded to 1024 characters; see [`to_line`] for the line bound).
pub fn detection_finding(finding: &Finding, account_alias: Option<&str>) -> Value {
    detection_finding_capped(finding, account_alias, FIELD_CAPS[0])
}

fn detection_finding_capped(f: &Finding, account_alias: Option<&str>, cap: usize) -> Value {
    let cut = |s: &str| truncate_chars(s, cap).into_owned();
    let uid = cut(&finding_uid(f));
    let time = epoch_millis(&f.event_time);
    let (severity_id, severity) = match f.severity {
        Severity::Medium => (3, "Medium"),
        Severity::High => (4, "High"),
        Severity::Critical => (5, "Critical"),
    };
    // How sure the verdict is: every deciding fact known, or resting on
    // settings never seen in the archive.
    let (confidence_id, confidence) = match f.exposure {
        Exposure::Effective | Exposure::Blocked | Exposure::Closed => (3, "High"),
        Exposure::Possible | Exposure::Latent | Exposure::Weakened => (2, "Medium"),
        Exposure::Unknown => (1, "Low"),
    };
    let account = cut(&f.account);
    let region = cut(&f.region);
    let partition = partition(&f.region);
    let alias = account_alias.map(cut);
    let resource = resource(f, &cut, partition);
    let title = cut(&format!("{} {}", f.kind, f.resource()));
    let reason = truncate_chars(&f.reason, cap * 2).into_owned();
    let unknown_facts: Vec<String> = f
        .unknown_facts
        .iter()
        .take(MAX_UNKNOWN_FACTS)
        .map(|s| truncate_chars(s, cap.min(256)).into_owned())
        .collect();
    let cloud_account = json!({
        "uid": account,
        "name": alias.clone().unwrap_or_else(|| account.clone()),
        "type": "AWS Account",
        "type_id": 10,
    });
    let actor_uid = cut(&f.actor_arn);
    let source = cut(&f.source_ip);
    let src_endpoint = if source.parse::<std::net::IpAddr>().is_ok() {
        json!({ "ip": source })
    } else {
        // An AWS service calling on the user's behalf logs its host name.
        json!({ "hostname": source })
    };
    let mut observables = vec![json!({
        "name": "resources[0].uid",
        "type": "Resource UID",
        "type_id": 10,
        "value": resource["uid"],
    })];
    if src_endpoint.get("ip").is_some() {
        observables.push(json!({
            "name": "evidences[0].src_endpoint.ip",
            "type": "IP Address",
            "type_id": 2,
            "value": source,
        }));
    }
    if !actor_uid.is_empty() {
        observables.push(json!({
            "name": "evidences[0].actor.user.uid",
            "type": "Resource UID",
            "type_id": 10,
            "value": actor_uid,
        }));
    }
    let mut trailwatch = Map::new();
    trailwatch.insert("kind".into(), json!(f.kind.as_str()));
    trailwatch.insert("exposure".into(), json!(f.exposure.as_str()));
    trailwatch.insert("unknown_facts".into(), json!(unknown_facts));
    trailwatch.insert("account".into(), json!(account));
    if let Some(alias) = &alias {
        trailwatch.insert("account_alias".into(), json!(alias));
    }
    let mut object = json!({
        "activity_id": 1,
        "activity_name": "Create",
        "category_uid": 2,
        "category_name": "Findings",
        "class_uid": 2004,
        "class_name": "Detection Finding",
        "type_uid": 200401,
        "type_name": "Detection Finding: Create",
        "severity_id": severity_id,
        "severity": severity,
        "status_id": 1,
        "status": "New",
        "confidence_id": confidence_id,
        "confidence": confidence,
        "time": time.unwrap_or(0),
        "message": reason,
        "metadata": {
            "version": OCSF_VERSION,
            "uid": uid,
            "product": {
                "name": "trailwatch",
                "vendor_name": "trailwatch",
                "version": env!("CARGO_PKG_VERSION"),
            },
            "profiles": ["cloud"],
            "original_time": cut(&f.event_time),
            "log_name": cut(&f.log_file),
            "log_provider": "CloudTrail",
        },
        "finding_info": {
            "uid": uid,
            "title": title,
            "desc": reason,
            "types": [f.kind.as_str(), format!("exposure/{}", f.exposure)],
            "data_sources": ["AWS CloudTrail"],
            "analytic": {
                "uid": f.kind.as_str(),
                "name": f.kind.as_str(),
                "type": "Rule",
                "type_id": 1,
            },
        },
        "resources": [resource],
        "cloud": {
            "provider": "AWS",
            "region": region,
            "account": cloud_account,
        },
        "api": {
            "operation": cut(&f.event_name),
            "request": { "uid": cut(&f.event_id) },
        },
        "evidences": [{
            "api": {
                "operation": cut(&f.event_name),
                "request": { "uid": cut(&f.event_id) },
            },
            "actor": {
                "user": {
                    "uid": actor_uid,
                    "type": cut(&f.actor_type),
                    "account": { "uid": account, "type": "AWS Account", "type_id": 10 },
                },
            },
            "src_endpoint": src_endpoint,
            "data": {
                "event_id": cut(&f.event_id),
                "event_time": cut(&f.event_time),
                "log_file": cut(&f.log_file),
                "user_agent": cut(&f.user_agent),
            },
        }],
        "observables": observables,
        "remediation": {
            "desc": "Check whether this exposure is intended. If not, revert it (restore Block \
                     Public Access, the previous ACL or policy) and review what the actor did \
                     around that time; accepted exposures can be allowlisted with a reason.",
        },
        "unmapped": { "trailwatch": trailwatch },
    });
    if let Some(ms) = time {
        object["finding_info"]["first_seen_time"] = json!(ms);
        object["finding_info"]["last_seen_time"] = json!(ms);
        object["start_time"] = json!(ms);
        object["end_time"] = json!(ms);
    }
    object
}

/// The affected resource: a bucket, object, access point or account, typed
/// and named as `trailwatch_core::AwsResource` says. A Multi-Region Access
/// Point has no `uid`: its ARN holds an alias the archive does not show.
fn resource(f: &Finding, cut: &dyn Fn(&str) -> String, partition: &str) -> Value {
    let account = cut(&f.account);
    let region = cut(&f.region);
    let named = f.aws_resource();
    let uid = match named.resource_type {
        ResourceType::Account => Some(format!("arn:{partition}:iam::{account}:root")),
        _ => named.arn(cut),
    };
    let mut object = json!({
        "name": cut(named.name),
        "type": named.resource_type.aws_type_name(),
        "region": region,
        "cloud_partition": partition,
        "data": { "account": account },
    });
    if let Some(uid) = uid {
        object["uid"] = json!(uid);
    }
    if let Some(bucket) = named.bucket {
        object["data"]["bucket"] = json!(cut(bucket));
    }
    object
}

/// `2024-02-08T11:58:28Z` (optionally with fractional seconds) as
/// milliseconds since the Unix epoch; `None` when it is not that shape.
fn epoch_millis(time: &str) -> Option<i64> {
    let b = time.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || !time.ends_with('Z') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| time.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let millis = match &time[19..time.len() - 1] {
        "" => 0,
        frac if frac.starts_with('.') && frac.len() > 1 => {
            let digits: String = frac[1..].chars().chain("000".chars()).take(3).collect();
            digits.parse::<i64>().ok()?
        }
        _ => return None,
    };
    // Days from civil (Howard Hinnant's algorithm).
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 24 + h) * 60 + mi) * 60_000 + s * 1000 + millis)
}

#[cfg(test)]
mod tests {
    use super::*;
    use trailwatch_core::Kind;

    fn finding() -> Finding {
        Finding {
            event_id: "0b1c4d2e-1111-2222-3333-444455556666".into(),
            event_time: "2024-03-07T10:00:00Z".into(),
            event_name: "PutObjectAcl".into(),
            kind: Kind::ObjectAclPublic,
            severity: Severity::High,
            reason: "canned ACL `public-read` lets anyone read the object".into(),
            account: "111122223333".into(),
            region: "eu-west-1".into(),
            bucket: Some("reports".into()),
            key: Some("q1/salaries.csv".into()),
            actor_arn: "arn:aws:iam::111122223333:user/alice".into(),
            actor_type: "IAMUser".into(),
            source_ip: "198.51.100.7".into(),
            user_agent: "aws-cli/2.15".into(),
            log_file: "s3://trail/AWSLogs/111122223333/x.json.gz".into(),
            exposure: Exposure::Possible,
            unknown_facts: vec!["account 111122223333 IgnorePublicAcls".into()],
            live_check: None,
        }
    }

    #[test]
    fn maps_the_finding() {
        let v = detection_finding(&finding(), Some("payments-prod"));
        assert_eq!(v["class_uid"], 2004);
        assert_eq!(v["type_uid"], 200401);
        assert_eq!(v["metadata"]["version"], "1.5.0");
        assert_eq!(v["severity_id"], 4);
        assert_eq!(
            v["finding_info"]["uid"],
            "0b1c4d2e-1111-2222-3333-444455556666:object-acl-public"
        );
        assert_eq!(
            v["resources"][0]["uid"],
            "arn:aws:s3:::reports/q1/salaries.csv"
        );
        assert_eq!(v["resources"][0]["type"], "AWS::S3::Object");
        assert_eq!(v["cloud"]["account"]["name"], "payments-prod");
        assert_eq!(v["evidences"][0]["src_endpoint"]["ip"], "198.51.100.7");
        assert_eq!(
            v["evidences"][0]["actor"]["user"]["uid"],
            "arn:aws:iam::111122223333:user/alice"
        );
        assert_eq!(
            v["evidences"][0]["data"]["log_file"],
            "s3://trail/AWSLogs/111122223333/x.json.gz"
        );
        assert_eq!(v["unmapped"]["trailwatch"]["exposure"], "possible");
        assert_eq!(v["time"], 1_709_805_600_000i64);
    }

    #[test]
    fn access_points_accounts_and_partitions() {
        let mut f = finding();
        f.kind = Kind::AccessPointPolicyPublic;
        f.key = None;
        f.bucket = Some("ap1".into());
        f.region = "cn-north-1".into();
        let v = detection_finding(&f, None);
        assert_eq!(
            v["resources"][0]["uid"],
            "arn:aws-cn:s3:cn-north-1:111122223333:accesspoint/ap1"
        );
        assert_eq!(v["cloud"]["account"]["name"], "111122223333");
        // A Multi-Region Access Point is named, never given a regional ARN.
        f.kind = Kind::MrapPolicyPublic;
        f.event_name = "PutMultiRegionAccessPointPolicy".into();
        f.bucket = Some("global".into());
        let v = detection_finding(&f, None);
        assert_eq!(v["resources"][0]["type"], "AWS::S3::MultiRegionAccessPoint");
        assert_eq!(v["resources"][0]["name"], "global");
        assert!(v["resources"][0].get("uid").is_none());
        // An Object Lambda access point has its own service in the ARN.
        f.kind = Kind::AccessPointPolicyPublic;
        f.event_name = "PutAccessPointPolicyForObjectLambda".into();
        f.bucket = Some("ol".into());
        let v = detection_finding(&f, None);
        assert_eq!(
            v["resources"][0]["uid"],
            "arn:aws-cn:s3-object-lambda:cn-north-1:111122223333:accesspoint/ol"
        );
        f.kind = Kind::AccountBpaDisabled;
        f.bucket = None;
        let v = detection_finding(&f, None);
        assert_eq!(v["resources"][0]["type"], "AWS::::Account");
    }

    #[test]
    fn uids_are_stable() {
        let mut f = finding();
        f.event_id.clear();
        let a = finding_uid(&f);
        assert_eq!(a, finding_uid(&f.clone()));
        assert!(
            a.starts_with("log-") && a.ends_with(":object-acl-public"),
            "{a}"
        );
        // FNV-1a of the empty string, the published offset basis.
        assert_eq!(fnv1a(""), 0xcbf2_9ce4_8422_2325);
    }

    #[test]
    fn times() {
        assert_eq!(epoch_millis("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            epoch_millis("2024-02-29T23:59:59.5Z"),
            Some(1_709_251_199_500)
        );
        assert_eq!(epoch_millis("yesterday"), None);
        assert_eq!(epoch_millis("2024-13-01T00:00:00Z"), None);
    }

    #[test]
    fn hostile_fields_stay_under_the_line_bound() {
        let mut f = finding();
        let evil = "\u{1}".repeat(300_000);
        f.reason = evil.clone();
        f.key = Some(evil.clone());
        f.bucket = Some(evil.clone());
        f.user_agent = evil.clone();
        f.actor_arn = evil.clone();
        f.actor_type = evil.clone();
        f.event_id = evil.clone();
        f.event_name = evil.clone();
        f.log_file = evil.clone();
        f.account = evil.clone();
        f.region = evil.clone();
        f.event_time = evil.clone();
        f.source_ip = evil.clone();
        f.unknown_facts = vec![evil.clone(); 1000];
        let line = to_line(&f, Some(&evil), Some(&evil));
        assert!(line.len() <= MAX_LINE_BYTES, "{}", line.len());
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["class_uid"], 2004);
        assert!(
            v["unmapped"]["trailwatch"]["unknown_facts"]
                .as_array()
                .unwrap()
                .len()
                <= 32
        );
        // An ordinary finding keeps its text whole.
        let plain = to_line(&finding(), None, None);
        assert!(plain.contains("q1/salaries.csv"));
    }
}
