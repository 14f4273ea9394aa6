//! The exposure state (`exposure.rs`) on hand-written multi-file archives:
//! verdicts, windows, what a successful call proves, the April 2023
//! defaults, deletions, refusals, and that the result depends on neither the
//! order of files nor the order of records across them.

use proptest::prelude::*;
use serde_json::{json, Value};
use trailwatch_core::exposure::{judge, Level, Via, Window};
use trailwatch_core::{Exposure, Finding, Kind, Limits, Scanner};

const ACCOUNT: &str = "111122223333";

/// One S3 management record. `n` orders it: second `n` of 2024-05-01
/// unless `time` is given.
fn record(n: u32, name: &str, params: Value) -> Value {
    json!({
        "eventVersion": "1.09",
        "userIdentity": {"type": "IAMUser", "arn": format!("arn:aws:iam::{ACCOUNT}:user/u{n}"), "accountId": ACCOUNT},
        "eventTime": format!("2024-05-01T10:{:02}:{:02}Z", n / 60, n % 60),
        "eventSource": "s3.amazonaws.com",
        "eventName": name,
        "awsRegion": "eu-west-1",
        "requestParameters": params,
        "eventID": format!("e{n:04}"),
        "recipientAccountId": ACCOUNT,
    })
}

fn at(mut record: Value, time: &str) -> Value {
    record["eventTime"] = time.into();
    record
}

fn failed(mut record: Value, code: &str) -> Value {
    record["errorCode"] = code.into();
    record["errorMessage"] = "refused".into();
    record
}

fn public_policy(bucket: &str) -> Value {
    json!({"bucketName": bucket, "bucketPolicy": {"Version": "2012-10-17", "Statement": [
        {"Sid": "Public", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
         "Resource": format!("arn:aws:s3:::{bucket}/*")}]}})
}

fn private_policy(bucket: &str) -> Value {
    json!({"bucketName": bucket, "bucketPolicy": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")},
         "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{bucket}/*")}]}})
}

fn bpa(bucket: Option<&str>, flags: [bool; 4]) -> Value {
    let config = json!({"BlockPublicAcls": flags[0], "IgnorePublicAcls": flags[1],
        "BlockPublicPolicy": flags[2], "RestrictPublicBuckets": flags[3]});
    match bucket {
        Some(b) => json!({"bucketName": b, "PublicAccessBlockConfiguration": config}),
        None => json!({"PublicAccessBlockConfiguration": config}),
    }
}

fn acl(bucket: &str, canned: &str) -> Value {
    json!({"bucketName": bucket, "x-amz-acl": [canned], "acl": [""]})
}

/// Scans each file, then judges every finding with every change.
fn archive(files: &[Vec<Value>]) -> (Vec<Finding>, Vec<Window>) {
    let mut scanner = Scanner::new(Limits::default());
    let mut findings = Vec::new();
    let mut changes = Vec::new();
    let mut requests = Vec::new();
    for (i, records) in files.iter().enumerate() {
        let doc = json!({ "Records": records }).to_string();
        let scan = scanner.scan_bytes(&format!("file-{i}"), doc.as_bytes());
        assert!(scan.error.is_none(), "{:?}", scan.error);
        findings.extend(scan.findings);
        changes.extend(scan.changes);
        requests.extend(scan.requests);
    }
    let mut timeline = judge(&mut findings, changes);
    timeline.add_requests(requests);
    findings.sort_by(|a, b| (&a.event_id, a.kind).cmp(&(&b.event_id, b.kind)));
    (findings, timeline.windows())
}

fn verdict(findings: &[Finding], event_id: &str) -> (Exposure, Vec<String>) {
    let f = findings
        .iter()
        .find(|f| f.event_id == event_id)
        .unwrap_or_else(|| panic!("no finding {event_id}: {findings:#?}"));
    (f.exposure, f.unknown_facts.clone())
}

/// Windows as (bucket, level, opened by, closed by).
fn spans(windows: &[Window]) -> Vec<(String, Level, Option<String>, Option<String>)> {
    windows
        .iter()
        .map(|w| {
            (
                w.key.as_ref().map_or_else(
                    || w.bucket.clone().unwrap_or_default(),
                    |k| format!("{}/{k}", w.bucket.clone().unwrap_or_default()),
                ),
                w.exposure,
                w.opened_by.as_ref().map(|b| b.event_id.clone()),
                w.closed_by.as_ref().map(|b| b.event_id.clone()),
            )
        })
        .collect()
}

fn s(id: &str) -> Option<String> {
    Some(id.to_owned())
}

/// The console's "turn off Block Public Access, then add a public policy",
/// with the account's own BPA deleted earlier: every deciding fact is known.
#[test]
fn console_bpa_off_then_public_policy_is_effective() {
    let (findings, windows) = archive(&[
        vec![
            record(1, "DeleteAccountPublicAccessBlock", json!({})),
            record(2, "CreateBucket", json!({"bucketName": "web"})),
        ],
        vec![
            record(
                3,
                "DeleteBucketPublicAccessBlock",
                json!({"bucketName": "web"}),
            ),
            record(4, "PutBucketPolicy", public_policy("web")),
        ],
    ]);
    // Deleting the bucket's BPA left nothing public yet.
    assert_eq!(verdict(&findings, "e0003").0, Exposure::Weakened);
    assert_eq!(verdict(&findings, "e0004"), (Exposure::Effective, vec![]));
    assert_eq!(
        spans(&windows),
        [("web".into(), Level::Effective, s("e0004"), None)]
    );
    assert_eq!(
        windows[0].via.iter().copied().collect::<Vec<_>>(),
        [Via::BucketPolicy]
    );
    assert_eq!(
        windows[0].opened_at.as_deref(),
        Some("2024-05-01T10:00:04Z")
    );
}

/// Without the account's BPA in the archive, the same policy is only
/// possible, and the verdict names what it rests on.
#[test]
fn an_unseen_account_setting_makes_it_possible_and_says_which() {
    let (findings, _) = archive(&[vec![
        record(1, "CreateBucket", json!({"bucketName": "web"})),
        record(
            2,
            "DeleteBucketPublicAccessBlock",
            json!({"bucketName": "web"}),
        ),
        record(3, "PutBucketPolicy", public_policy("web")),
    ]]);
    assert_eq!(
        verdict(&findings, "e0003"),
        (
            Exposure::Possible,
            vec![format!("account {ACCOUNT} RestrictPublicBuckets")]
        )
    );
}

/// A public ACL under IgnorePublicAcls is latent; deleting the bucket's BPA
/// brings it back to life, and the finding names the grant it revived.
#[test]
fn latent_acl_then_bpa_deleted_is_a_reactivation() {
    let (findings, windows) = archive(&[vec![
        at(
            record(1, "CreateBucket", json!({"bucketName": "old"})),
            "2020-01-01T00:00:00Z",
        ),
        record(2, "DeleteAccountPublicAccessBlock", json!({})),
        record(
            3,
            "PutBucketPublicAccessBlock",
            bpa(Some("old"), [false, true, false, false]),
        ),
        record(4, "PutBucketAcl", acl("old", "public-read")),
        record(
            5,
            "DeleteBucketPublicAccessBlock",
            json!({"bucketName": "old"}),
        ),
    ]]);
    assert_eq!(verdict(&findings, "e0004").0, Exposure::Latent);
    let revival = findings.iter().find(|f| f.event_id == "e0005").unwrap();
    assert_eq!(revival.exposure, Exposure::Effective);
    assert!(
        revival
            .reason
            .contains("brings back to life the bucket-acl-public set at 2024-05-01T10:00:04Z"),
        "{}",
        revival.reason
    );
    assert_eq!(
        spans(&windows),
        [
            ("old".into(), Level::Latent, s("e0004"), s("e0005")),
            ("old".into(), Level::Effective, s("e0005"), None),
        ]
    );
}

/// ACLs disabled (BucketOwnerEnforced) neutralise an old public object ACL;
/// re-enabling them restores it.
#[test]
fn acls_disabled_then_re_enabled_restores_an_old_public_object_acl() {
    let object_acl = json!({"bucketName": "files", "key": "a.txt", "x-amz-acl": "public-read"});
    let records = vec![
        at(
            record(1, "CreateBucket", json!({"bucketName": "files"})),
            "2019-06-01T00:00:00Z",
        ),
        record(2, "DeleteAccountPublicAccessBlock", json!({})),
        record(3, "PutObjectAcl", object_acl),
        record(
            4,
            "PutBucketOwnershipControls",
            json!({"bucketName": "files", "OwnershipControls": {"Rule": {"ObjectOwnership": "BucketOwnerEnforced"}}}),
        ),
        record(
            5,
            "PutBucketOwnershipControls",
            json!({"bucketName": "files", "OwnershipControls": {"Rule": {"ObjectOwnership": "ObjectWriter"}}}),
        ),
    ];
    let (_, windows) = archive(std::slice::from_ref(&records));
    assert_eq!(
        spans(&windows),
        [
            (
                "files/a.txt".into(),
                Level::Effective,
                s("e0003"),
                s("e0004")
            ),
            ("files/a.txt".into(), Level::Latent, s("e0004"), s("e0005")),
            ("files/a.txt".into(), Level::Effective, s("e0005"), None),
        ]
    );
    assert_eq!(windows[0].resource_type, "object");
    // Re-enabling ACLs is a finding of its own that names what it revived;
    // disabling them is none.
    let (findings, _) = archive(&[records]);
    let enabled: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.kind == Kind::BucketAclsEnabled)
        .collect();
    assert_eq!(enabled.len(), 1, "{findings:#?}");
    assert_eq!(enabled[0].event_id, "e0005");
    assert_eq!(enabled[0].exposure, Exposure::Effective);
    assert!(
        enabled[0].reason.contains("object-acl-public set at")
            && enabled[0].reason.contains("(event e0003)"),
        "{}",
        enabled[0].reason
    );
}

/// The account setting is global: set in one Region, it neutralises a
/// bucket in another.
#[test]
fn account_bpa_in_one_region_applies_to_a_bucket_in_another() {
    let mut account_on = record(2, "PutAccountPublicAccessBlock", bpa(None, [true; 4]));
    account_on["awsRegion"] = "us-east-1".into();
    let (findings, _) = archive(&[
        vec![account_on],
        vec![
            at(
                record(1, "CreateBucket", json!({"bucketName": "b"})),
                "2020-01-01T00:00:00Z",
            ),
            // Refused by the account setting: blocked, and it changes nothing.
            failed(
                record(3, "PutBucketPolicy", public_policy("b")),
                "AccessDenied",
            ),
        ],
    ]);
    assert_eq!(verdict(&findings, "e0003").0, Exposure::Blocked);
}

/// A public policy replaced by a private one: the window closes at the
/// replacement; deleting and re-creating the bucket starts a new life.
#[test]
fn windows_close_on_private_policy_and_on_delete_bucket() {
    let (findings, windows) = archive(&[vec![
        record(1, "DeleteAccountPublicAccessBlock", json!({})),
        at(
            record(2, "CreateBucket", json!({"bucketName": "b"})),
            "2020-01-01T00:00:00Z",
        ),
        record(3, "PutBucketPolicy", public_policy("b")),
        record(4, "PutBucketPolicy", private_policy("b")),
        record(5, "PutBucketAcl", acl("b", "public-read-write")),
        record(6, "DeleteBucket", json!({"bucketName": "b"})),
        // A new bucket of the same name after April 2023: all four BPA
        // flags on and ACLs off by default.
        record(7, "CreateBucket", json!({"bucketName": "b"})),
        record(8, "PutBucketAcl", acl("b", "public-read")),
    ]]);
    assert_eq!(
        spans(&windows),
        [
            ("b".into(), Level::Effective, s("e0003"), s("e0004")),
            ("b".into(), Level::Effective, s("e0005"), s("e0006")),
            ("b".into(), Level::Latent, s("e0008"), None),
        ]
    );
    assert_eq!(verdict(&findings, "e0008").0, Exposure::Latent);
}

/// April 2023: before 2023-04-01 a new bucket has no BPA and ACLs on; from
/// 2023-04-28 all on and ACLs off; in between, unknown.
#[test]
fn april_2023_defaults_on_both_sides_of_the_date() {
    let create = |n, bucket: &str, time: &str| {
        at(
            record(n, "CreateBucket", json!({"bucketName": bucket})),
            time,
        )
    };
    let (findings, _) = archive(&[vec![
        record(1, "DeleteAccountPublicAccessBlock", json!({})),
        create(2, "before", "2023-03-31T23:59:59Z"),
        create(3, "between", "2023-04-15T00:00:00Z"),
        create(4, "after", "2023-04-28T00:00:00Z"),
        record(5, "PutBucketAcl", acl("before", "public-read")),
        record(6, "PutBucketAcl", acl("between", "public-read")),
        record(7, "PutBucketAcl", acl("after", "public-read")),
    ]]);
    assert_eq!(verdict(&findings, "e0005"), (Exposure::Effective, vec![]));
    assert_eq!(
        verdict(&findings, "e0006"),
        (
            Exposure::Possible,
            vec!["bucket between IgnorePublicAcls".to_owned()]
        )
    );
    assert_eq!(verdict(&findings, "e0007").0, Exposure::Latent);
}

/// A record without a usable eventTime is ordered last, never dropped.
#[test]
fn a_record_without_a_time_is_ordered_last() {
    let mut timeless = record(1, "PutBucketPolicy", private_policy("b"));
    timeless["eventTime"] = "yesterday".into();
    let (_, windows) = archive(&[vec![
        timeless,
        record(2, "DeleteAccountPublicAccessBlock", json!({})),
        at(
            record(3, "CreateBucket", json!({"bucketName": "b"})),
            "2020-01-01T00:00:00Z",
        ),
        record(4, "PutBucketPolicy", public_policy("b")),
    ]]);
    assert_eq!(
        spans(&windows),
        [("b".into(), Level::Effective, s("e0004"), s("e0001"))]
    );
}

/// A window without its times: key, level, opened by, closed by, via.
type WindowKey = (
    Option<String>,
    Level,
    Option<String>,
    Option<String>,
    Vec<Via>,
);

fn scenario() -> Vec<Value> {
    let object = |n, key: &str, canned: &str| {
        record(
            n,
            "PutObjectAcl",
            json!({"bucketName": "b", "key": key, "x-amz-acl": canned}),
        )
    };
    vec![
        at(
            record(1, "CreateBucket", json!({"bucketName": "b"})),
            "2021-01-01T00:00:00Z",
        ),
        record(2, "PutBucketPolicy", public_policy("b")),
        object(3, "k1", "public-read"),
        record(
            4,
            "PutAccountPublicAccessBlock",
            bpa(None, [false, true, false, false]),
        ),
        object(5, "k2", "authenticated-read"),
        record(6, "PutBucketAcl", acl("b", "public-read")),
        // Same second: ordered by event ID.
        at(
            record(7, "DeleteAccountPublicAccessBlock", json!({})),
            "2024-05-01T10:00:09Z",
        ),
        at(
            record(8, "PutBucketPolicy", private_policy("b")),
            "2024-05-01T10:00:09Z",
        ),
        object(9, "k1", "private"),
        record(10, "DeleteBucketPolicy", json!({"bucketName": "b"})),
        failed(
            record(11, "PutBucketAcl", acl("b", "public-read-write")),
            "AccessDenied",
        ),
    ]
}

proptest! {
    /// However the records are spread over files and ordered in them, the
    /// verdicts and windows are the same.
    #[test]
    fn order_of_files_and_records_changes_nothing(
        seed in any::<u64>(),
        files in 1usize..5,
    ) {
        let (want_findings, want_windows) = archive(&[scenario()]);
        let mut records = scenario();
        // A deterministic shuffle from the seed.
        let mut state = seed | 1;
        for i in (1..records.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            records.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let mut split: Vec<Vec<Value>> = vec![Vec::new(); files];
        for (i, r) in records.into_iter().enumerate() {
            split[(i * 7 + seed as usize) % files].push(r);
        }
        let (findings, windows) = archive(&split);
        let strip = |f: &[Finding]| -> Vec<(String, String, Exposure, Vec<String>, String)> {
            f.iter().map(|f| (f.event_id.clone(), f.kind.to_string(), f.exposure, f.unknown_facts.clone(), f.reason.clone())).collect()
        };
        prop_assert_eq!(strip(&findings), strip(&want_findings));
        let strip_w = |w: &[Window]| -> Vec<WindowKey> {
            let mut all: Vec<_> = w.iter().map(|w| (w.key.clone(), w.exposure, w.opened_by.as_ref().map(|b| b.event_id.clone()), w.closed_by.as_ref().map(|b| b.event_id.clone()), w.via.iter().copied().collect())).collect();
            all.sort();
            all
        };
        prop_assert_eq!(strip_w(&windows), strip_w(&want_windows));
    }
}

/// Event IDs repeated across files (copies, test data) do not mix the
/// verdicts: a refused call stays blocked beside an accepted one of the same ID.
#[test]
fn repeated_event_ids_keep_their_own_verdicts() {
    let accepted = record(2, "PutBucketPolicy", public_policy("b"));
    let refused = failed(
        record(2, "PutBucketPolicy", public_policy("b")),
        "AccessDenied",
    );
    let (findings, _) = archive(&[vec![refused], vec![accepted]]);
    let mut verdicts: Vec<(String, Exposure)> = findings
        .iter()
        .map(|f| (f.log_file.clone(), f.exposure))
        .collect();
    verdicts.sort();
    assert_eq!(
        verdicts,
        [
            ("file-0".to_owned(), Exposure::Blocked),
            ("file-1".to_owned(), Exposure::Possible)
        ]
    );
}

fn access_point_policy(name: &str) -> Value {
    json!({"name": name, "PutAccessPointPolicyRequest": {"Policy": json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Public", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
         "Resource": format!("arn:aws:s3:eu-west-1:{ACCOUNT}:accesspoint/{name}/object/*")}]}).to_string()}})
}

fn create_access_point(name: &str, bucket: &str, flags: Option<[bool; 4]>) -> Value {
    let mut body = json!({"Bucket": bucket});
    if let Some(flags) = flags {
        body["PublicAccessBlockConfiguration"] =
            bpa(None, flags)["PublicAccessBlockConfiguration"].clone();
    }
    json!({"name": name, "CreateAccessPointRequest": body})
}

/// A point's window: type, name, level, opened by, closed by.
type PointSpan = (&'static str, String, Level, Option<String>, Option<String>);

/// Windows of access points and Multi-Region Access Points.
fn point_spans(windows: &[Window]) -> Vec<PointSpan> {
    windows
        .iter()
        .filter(|w| w.access_point.is_some())
        .map(|w| {
            (
                w.resource_type,
                w.access_point.clone().unwrap_or_default(),
                w.exposure,
                w.opened_by.as_ref().map(|b| b.event_id.clone()),
                w.closed_by.as_ref().map(|b| b.event_id.clone()),
            )
        })
        .collect()
}

/// An access point's own Block Public Access, read at its creation, decides
/// its policy's level with the account's and its bucket's; deleting it ends
/// its window; one created before the archive stays at best possible.
#[test]
fn access_point_lifetimes_and_their_own_block_public_access() {
    let off = [false; 4];
    let (findings, windows) = archive(&[vec![
        record(1, "DeleteAccountPublicAccessBlock", json!({})),
        record(2, "CreateBucket", json!({"bucketName": "data"})),
        at(
            record(3, "PutBucketPublicAccessBlock", bpa(Some("data"), off)),
            "2024-05-01T10:00:03Z",
        ),
        record(
            4,
            "CreateAccessPoint",
            create_access_point("open-ap", "data", Some(off)),
        ),
        record(5, "PutAccessPointPolicy", access_point_policy("open-ap")),
        record(6, "DeleteAccessPoint", json!({"name": "open-ap"})),
        // Created with no configuration: all on, its public policy latent.
        record(
            7,
            "CreateAccessPoint",
            create_access_point("safe-ap", "data", None),
        ),
        record(8, "PutAccessPointPolicy", access_point_policy("safe-ap")),
        // Never seen created: its own setting is unknown.
        record(9, "PutAccessPointPolicy", access_point_policy("old-ap")),
        // Deleting the policy closes its window too.
        record(10, "DeleteAccessPointPolicy", json!({"name": "old-ap"})),
    ]]);
    assert_eq!(verdict(&findings, "e0004").0, Exposure::Weakened);
    // The organization level is proven off by the account BPA deletion.
    assert_eq!(verdict(&findings, "e0005"), (Exposure::Effective, vec![]));
    assert_eq!(verdict(&findings, "e0008").0, Exposure::Latent);
    let (exposure, unknown) = verdict(&findings, "e0009");
    assert_eq!(exposure, Exposure::Possible);
    assert_eq!(
        unknown,
        vec!["access point old-ap Block Public Access".to_owned()]
    );
    let mut spans = point_spans(&windows);
    spans.sort();
    assert_eq!(
        spans,
        vec![
            (
                "access-point",
                "old-ap".into(),
                Level::Possible,
                s("e0009"),
                s("e0010")
            ),
            (
                "access-point",
                "open-ap".into(),
                Level::Effective,
                s("e0005"),
                s("e0006")
            ),
            (
                "access-point",
                "safe-ap".into(),
                Level::Latent,
                s("e0008"),
                None
            ),
        ]
    );
}

/// A Multi-Region Access Point created with its protections off, given a
/// public policy (accepted), then deleted.
#[test]
fn mrap_lifetime() {
    let details = |extra: Value| {
        let mut d = json!({"Name": "global"});
        d.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        json!({"CreateMultiRegionAccessPointRequest": {"Details": d}})
    };
    let policy = json!({"PutMultiRegionAccessPointPolicyRequest": {"Details": {"Name": "global", "Policy":
        {"Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}}}}});
    let (findings, windows) = archive(&[vec![
        record(1, "DeleteAccountPublicAccessBlock", json!({})),
        record(
            2,
            "CreateMultiRegionAccessPoint",
            details(
                json!({"PublicAccessBlock": bpa(None, [false; 4])["PublicAccessBlockConfiguration"]}),
            ),
        ),
        record(3, "PutMultiRegionAccessPointPolicy", policy),
        record(
            4,
            "DeleteMultiRegionAccessPoint",
            json!({"DeleteMultiRegionAccessPointRequest": {"Details": {"Name": "global"}}}),
        ),
    ]]);
    assert_eq!(verdict(&findings, "e0002").0, Exposure::Weakened);
    assert_eq!(verdict(&findings, "e0003").0, Exposure::Effective);
    assert_eq!(
        point_spans(&windows),
        vec![(
            "multi-region-access-point",
            "global".into(),
            Level::Effective,
            s("e0003"),
            s("e0004")
        )]
    );
}

/// An anonymous S3 data event as CloudTrail logs it: the identity of the
/// anonymous principal and the bucket owner as recipient (the shape of the
/// real `PreflightRequest` quoted from TryHackMe's Advent of Cyber 2024
/// day 7 log, `fixtures/logs/exposure/README.md`), here a `GetObject`.
fn anonymous(n: u32, name: &str, bucket: &str, key: &str, ip: &str) -> Value {
    let mut r = record(n, name, json!({"bucketName": bucket, "key": key}));
    r["userIdentity"] = json!({"type": "AWSAccount", "principalId": "", "accountId": "anonymous"});
    r["sourceIPAddress"] = ip.into();
    r["eventCategory"] = "Data".into();
    r
}

/// A presigned-URL request: signed by a user, authenticated by query string.
fn presigned(n: u32, bucket: &str, key: &str) -> Value {
    let mut r = record(n, "GetObject", json!({"bucketName": bucket, "key": key}));
    r["additionalEventData"] =
        json!({"SignatureVersion": "SigV4", "AuthenticationMethod": "QueryString"});
    r["sourceIPAddress"] = "203.0.113.9".into();
    r
}

/// Anonymous reads inside a window are counted in it (with their sources,
/// first and last); preflights, refused reads and signed reads are not;
/// presigned reads are counted apart; anonymous reads before any known
/// grant make a window of their own, opened at an unknown time, split where
/// the known window opens; and reads after the window closed are again
/// unexplained.
#[test]
fn anonymous_reads_inside_and_outside_windows() {
    let mut refused = anonymous(12, "GetObject", "web", "a.html", "198.51.100.1");
    refused["errorCode"] = "AccessDenied".into();
    let (_, windows) = archive(&[
        vec![
            anonymous(1, "GetObject", "web", "old.html", "198.51.100.50"),
            record(2, "DeleteAccountPublicAccessBlock", json!({})),
            record(
                3,
                "DeleteBucketPublicAccessBlock",
                json!({"bucketName": "web"}),
            ),
            anonymous(4, "PreflightRequest", "web", "a.html", "198.51.100.1"),
        ],
        vec![
            record(5, "PutBucketPolicy", public_policy("web")),
            anonymous(6, "GetObject", "web", "a.html", "198.51.100.1"),
            anonymous(7, "GetObject", "web", "b.html", "198.51.100.1"),
            anonymous(8, "ListObjects", "web", "", "198.51.100.2"),
            presigned(9, "web", "a.html"),
            record(
                10,
                "GetObject",
                json!({"bucketName": "web", "key": "a.html"}),
            ),
        ],
        vec![
            record(11, "PutBucketPolicy", private_policy("web")),
            refused,
            anonymous(13, "GetObject", "web", "a.html", "198.51.100.3"),
        ],
    ]);
    let known: Vec<&Window> = windows.iter().filter(|w| w.opened_by.is_some()).collect();
    assert_eq!(known.len(), 1, "{windows:#?}");
    let open = known[0];
    assert_eq!(open.exposure, Level::Effective);
    assert_eq!(
        open.closed_by.as_ref().map(|b| b.event_id.as_str()),
        Some("e0011")
    );
    assert_eq!((open.anonymous_requests, open.presigned_requests), (3, 1));
    assert_eq!(
        open.first_request_at.as_deref(),
        Some("2024-05-01T10:00:06Z")
    );
    assert_eq!(
        open.last_request_at.as_deref(),
        Some("2024-05-01T10:00:09Z")
    );
    let sources: Vec<(&str, u64)> = open
        .top_sources
        .iter()
        .map(|s| (s.source.as_str(), s.requests))
        .collect();
    assert_eq!(
        sources,
        [("198.51.100.1", 2), ("198.51.100.2", 1), ("203.0.113.9", 1)]
    );
    // Before the policy and after it was replaced, anonymous reads were
    // served by something the archive does not show: two windows of their
    // own, split by the known one.
    let unexplained: Vec<(Option<&str>, u64)> = windows
        .iter()
        .filter(|w| w.opened_by.is_none())
        .map(|w| (w.first_request_at.as_deref(), w.anonymous_requests))
        .collect();
    assert_eq!(
        unexplained,
        [
            (Some("2024-05-01T10:00:01Z"), 1),
            (Some("2024-05-01T10:00:13Z"), 1)
        ]
    );
    for w in windows.iter().filter(|w| w.opened_by.is_none()) {
        assert_eq!(w.exposure, Level::Effective);
        assert!(w.opened_at.is_none() && w.via.is_empty());
        assert!(w
            .unknown_facts
            .iter()
            .any(|f| f.contains("served anonymous requests")));
    }
}

const MANAGEMENT: &str = "999900001111";

/// One Organizations record of the management account, in the shape of the
/// CloudTrail samples cited in fixtures/README.md ("SCP policy changes").
fn org_record(n: u32, name: &str, params: Value, response: Value) -> Value {
    json!({
        "eventVersion": "1.08",
        "userIdentity": {"type": "Root", "arn": format!("arn:aws:iam::{MANAGEMENT}:root"), "accountId": MANAGEMENT},
        "eventTime": format!("2024-05-01T10:{:02}:{:02}Z", n / 60, n % 60),
        "eventSource": "organizations.amazonaws.com",
        "eventName": name,
        "awsRegion": "us-east-1",
        "requestParameters": params,
        "responseElements": response,
        "eventID": format!("e{n:04}"),
        "recipientAccountId": MANAGEMENT,
    })
}

/// The response of CreatePolicy and UpdatePolicy: the policy's summary and content.
fn policy_response(id: &str, policy_type: &str, content: &str) -> Value {
    json!({"policy": {"policySummary": {"id": id, "type": policy_type, "awsManaged": false,
        "arn": format!("arn:aws:organizations::{MANAGEMENT}:policy/o-exampleorg1/{}/{id}", policy_type.to_lowercase()),
        "name": id}, "content": content}})
}

fn s3_policy(assign: &str) -> String {
    json!({"s3_attributes": {"public_access_block_configuration": {"@@assign": assign}}})
        .to_string()
}

fn attach(n: u32, name: &str, policy: &str, target: &str) -> Value {
    org_record(
        n,
        name,
        json!({"policyId": policy, "targetId": target}),
        Value::Null,
    )
}

/// An organization S3 policy attached to the account neutralises a public
/// policy; detaching it revives the grant (the organization level is then
/// unknown: a policy on an OU or the root may still apply), and the
/// DetachPolicy is an `org-bpa-disabled` finding because the archive shows
/// the policy's type. A DetachPolicy of a policy the archive does not show
/// is no finding, but leaves the organization fact unknown.
#[test]
fn org_s3_policy_attach_and_detach() {
    let management = vec![
        org_record(
            2,
            "CreatePolicy",
            json!({"name": "s3-bpa", "type": "S3_POLICY", "content": s3_policy("all")}),
            policy_response("p-s3all", "S3_POLICY", &s3_policy("all")),
        ),
        attach(3, "AttachPolicy", "p-s3all", ACCOUNT),
        attach(5, "DetachPolicy", "p-s3all", ACCOUNT),
        attach(7, "DetachPolicy", "p-unshown", ACCOUNT),
    ];
    let member = vec![
        record(1, "PutBucketPolicy", public_policy("site")),
        record(
            4,
            "DeleteBucketPublicAccessBlock",
            json!({"bucketName": "site"}),
        ),
        record(6, "PutAccountPublicAccessBlock", bpa(None, [false; 4])),
    ];
    let (findings, windows) = archive(&[management.clone(), member.clone()]);
    let org: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.kind == Kind::OrgBpaDisabled)
        .collect();
    assert_eq!(org.len(), 1, "{findings:#?}");
    assert_eq!(org[0].event_id, "e0005");
    // About the account the policy was detached from, not the one that logged it.
    assert_eq!(org[0].account, ACCOUNT);
    assert_eq!(org[0].exposure, Exposure::Possible);
    assert!(
        org[0].reason.contains("bucket-policy-public set at")
            && org[0].reason.contains("(event e0001)"),
        "{}",
        org[0].reason
    );
    assert!(org[0]
        .unknown_facts
        .contains(&format!("organization S3 policy for account {ACCOUNT}")));
    // The bucket's BPA deleted under the organization's policy: still latent.
    assert_eq!(verdict(&findings, "e0004").0, Exposure::Latent);
    assert_eq!(
        spans(&windows),
        [
            ("site".into(), Level::Possible, s("e0001"), s("e0003")),
            ("site".into(), Level::Latent, s("e0003"), s("e0005")),
            ("site".into(), Level::Possible, s("e0005"), s("e0006")),
            ("site".into(), Level::Effective, s("e0006"), s("e0007")),
            ("site".into(), Level::Possible, s("e0007"), None),
        ]
    );
    // Without the CreatePolicy the archive does not show the type: the
    // detachment is no finding.
    let (findings, _) = archive(&[management[1..].to_vec(), member]);
    assert!(
        findings.iter().all(|f| f.kind != Kind::OrgBpaDisabled),
        "{findings:#?}"
    );
}

/// UpdatePolicy of an S3 policy to `none` proves itself and revives what
/// the policy neutralised; DisablePolicyType of S3_POLICY turns the
/// organization level off wherever the archive showed one of its S3 policies
/// attached; an SCP update is neither.
#[test]
fn org_s3_policy_updated_to_none_and_type_disabled() {
    let update = |n: u32, id: &str, policy_type: &str, content: &str| {
        org_record(
            n,
            "UpdatePolicy",
            json!({"policyId": id, "content": content}),
            policy_response(id, policy_type, content),
        )
    };
    let files = [
        vec![
            org_record(
                1,
                "CreatePolicy",
                json!({"name": "s3-bpa", "type": "S3_POLICY", "content": s3_policy("all")}),
                policy_response("p-s3all", "S3_POLICY", &s3_policy("all")),
            ),
            attach(5, "AttachPolicy", "p-s3all", ACCOUNT),
            update(6, "p-s3all", "S3_POLICY", &s3_policy("none")),
            update(7, "p-scp", "SERVICE_CONTROL_POLICY", "{}"),
            update(8, "p-s3all", "S3_POLICY", &s3_policy("all")),
            org_record(
                9,
                "DisablePolicyType",
                json!({"rootId": "r-exam", "policyType": "S3_POLICY"}),
                json!({"root": {"id": "r-exam", "name": "Root", "policyTypes": []}}),
            ),
        ],
        vec![
            record(
                2,
                "DeleteBucketPublicAccessBlock",
                json!({"bucketName": "media"}),
            ),
            record(3, "PutAccountPublicAccessBlock", bpa(None, [false; 4])),
            record(4, "PutBucketPolicy", public_policy("media")),
        ],
    ];
    let (findings, windows) = archive(&files);
    let org: Vec<(&str, Exposure)> = findings
        .iter()
        .filter(|f| f.kind == Kind::OrgBpaDisabled)
        .map(|f| (f.event_id.as_str(), f.exposure))
        .collect();
    assert_eq!(
        org,
        [
            ("e0006", Exposure::Effective),
            ("e0009", Exposure::Effective)
        ]
    );
    assert!(findings
        .iter()
        .filter(|f| f.kind == Kind::OrgBpaDisabled)
        .all(|f| f.reason.contains("(event e0004)")));
    assert_eq!(
        spans(&windows),
        [
            ("media".into(), Level::Effective, s("e0004"), s("e0005")),
            ("media".into(), Level::Latent, s("e0005"), s("e0006")),
            ("media".into(), Level::Effective, s("e0006"), s("e0008")),
            ("media".into(), Level::Latent, s("e0008"), s("e0009")),
            ("media".into(), Level::Effective, s("e0009"), None),
        ]
    );
}
