//! Unit tests of the rules, one DESIGN clause at a time. Every positive case
//! has a negative twin that differs from it as little as possible.

use serde_json::{json, Value};

use super::*;
use crate::trust::Trust;

// ---------------------------------------------------------------------------
// Record builders.

const ACCOUNT: &str = "111122223333";
const BUCKET: &str = "example-bucket";
const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
const AUTH_USERS: &str = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
const LOG_DELIVERY: &str = "http://acs.amazonaws.com/groups/s3/LogDelivery";
const OWNER_ID: &str = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be";
const LIMITS: RuleLimits = RuleLimits {
    max_policy_bytes: 256 << 10,
};

fn iam_user() -> Value {
    json!({
        "type": "IAMUser",
        "principalId": "AIDAJ45Q7YFFAREXAMPLE",
        "arn": "arn:aws:iam::111122223333:user/alice",
        "accountId": ACCOUNT,
        "accessKeyId": "AKIAIOSFODNN7EXAMPLE",
        "userName": "alice"
    })
}

/// A successful S3 management event as CloudTrail logs it in 2024.
fn s3_event(event_name: &str, params: Value) -> Value {
    json!({
        "eventVersion": "1.09",
        "userIdentity": iam_user(),
        "eventTime": "2024-05-01T12:34:56Z",
        "eventSource": "s3.amazonaws.com",
        "eventName": event_name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.23",
        "userAgent": "[aws-cli/2.15.0 Python/3.11.6 Linux/6.1.0 exe/x86_64.amzn.2 command/s3api]",
        "requestParameters": params,
        "responseElements": null,
        "additionalEventData": {
            "SignatureVersion": "SigV4",
            "CipherSuite": "TLS_AES_128_GCM_SHA256",
            "bytesTransferredIn": 0,
            "AuthenticationMethod": "AuthHeader",
            "x-amz-id-2": "EXAMPLEid2",
            "bytesTransferredOut": 0
        },
        "requestID": "8E2ZKMFQ0EXAMPLE",
        "eventID": "3e5c2a87-7f35-4c5c-9d2f-0b5b5a8f1e11",
        "readOnly": false,
        "resources": [
            {"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": format!("arn:aws:s3:::{BUCKET}")}
        ],
        "eventType": "AwsApiCall",
        "managementEvent": true,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Management",
        "tlsDetails": {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": format!("{BUCKET}.s3.us-east-1.amazonaws.com")
        }
    })
}

/// An S3 data event on `key` (PutObject, PutObjectAcl, CopyObject).
fn object_event(event_name: &str, key: &str, extra: Value) -> Value {
    let mut params = bucket_params(extra);
    params["key"] = json!(key);
    let mut v = s3_event(event_name, params);
    v["managementEvent"] = json!(false);
    v["eventCategory"] = json!("Data");
    v["resources"] = json!([
        {"type": "AWS::S3::Object", "ARN": format!("arn:aws:s3:::{BUCKET}/{key}")},
        {"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": format!("arn:aws:s3:::{BUCKET}")}
    ]);
    v
}

/// `bucketName` and `Host` of a bucket-level call, plus `extra`.
fn bucket_params(extra: Value) -> Value {
    merge(
        json!({"bucketName": BUCKET, "Host": format!("{BUCKET}.s3.us-east-1.amazonaws.com")}),
        extra,
    )
}

fn merge(mut base: Value, extra: Value) -> Value {
    if let (Some(base), Value::Object(extra)) = (base.as_object_mut(), extra) {
        base.extend(extra);
    }
    base
}

fn bucket_acl(extra: Value) -> Value {
    s3_event("PutBucketAcl", bucket_params(extra))
}

fn acp(grants: Value) -> Value {
    json!({
        "AccessControlPolicy": {
            "AccessControlList": {"Grant": grants},
            "xmlns": "http://s3.amazonaws.com/doc/2006-03-01/",
            "Owner": {"ID": OWNER_ID}
        },
        "acl": ""
    })
}

fn group_grant(uri: &str, permission: &str) -> Value {
    json!({
        "Grantee": {"xsi:type": "Group", "xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance", "URI": uri},
        "Permission": permission
    })
}

fn owner_grant(permission: &str) -> Value {
    json!({
        "Grantee": {"xsi:type": "CanonicalUser", "xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance", "ID": OWNER_ID},
        "Permission": permission
    })
}

fn policy_doc(statements: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

fn put_policy(document: Value) -> Value {
    s3_event(
        "PutBucketPolicy",
        bucket_params(json!({"bucketPolicy": document, "policy": ""})),
    )
}

/// The canonical public statement: anyone may read objects.
fn public_read() -> Value {
    json!({
        "Sid": "PublicRead",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": format!("arn:aws:s3:::{BUCKET}/*")
    })
}

fn public_read_with(condition: Value) -> Value {
    let mut s = public_read();
    s["Condition"] = condition;
    s
}

fn policy_with(statement: Value) -> Value {
    put_policy(policy_doc(json!([statement])))
}

fn eval_with(v: Value, limits: RuleLimits) -> Vec<Hit> {
    let record: Record = serde_json::from_value(v).expect("record parses");
    evaluate(&record, limits)
}

fn eval(v: Value) -> Vec<Hit> {
    eval_with(v, LIMITS)
}

#[track_caller]
fn one(v: Value) -> Hit {
    let mut found = eval(v);
    assert_eq!(
        found.len(),
        1,
        "expected exactly one exposure, got {found:?}"
    );
    found.pop().unwrap()
}

#[track_caller]
fn none(v: Value) {
    let found = eval(v);
    assert!(found.is_empty(), "expected no exposure, got {found:?}");
}

#[track_caller]
fn assert_mentions(e: &Hit, parts: &[&str]) {
    for part in parts {
        assert!(
            e.reason.contains(part),
            "reason {:?} should mention {part:?}",
            e.reason
        );
    }
}

#[track_caller]
fn assert_exposure(
    e: &Hit,
    kind: Kind,
    severity: Severity,
    bucket: Option<&str>,
    key: Option<&str>,
) {
    assert_eq!(e.kind, kind, "{e:?}");
    assert_eq!(e.severity, severity, "{e:?}");
    assert_eq!(e.bucket.as_deref(), bucket, "{e:?}");
    assert_eq!(e.key.as_deref(), key, "{e:?}");
}

// ---------------------------------------------------------------------------
// Preconditions.

#[test]
fn public_acl_from_s3_fires_but_not_from_lightsail() {
    let params = bucket_params(json!({"x-amz-acl": "public-read"}));
    let e = one(s3_event("CreateBucket", params.clone()));
    assert_exposure(
        &e,
        Kind::BucketAclPublic,
        Severity::High,
        Some(BUCKET),
        None,
    );

    let mut lightsail = s3_event("CreateBucket", params);
    lightsail["eventSource"] = json!("lightsail.amazonaws.com");
    none(lightsail);

    // Lightsail's own shape for a public bucket.
    let mut lightsail = s3_event(
        "CreateBucket",
        json!({"bucketName": BUCKET, "bundleId": "small_1_0", "accessRules": {"getObject": "public"}}),
    );
    lightsail["eventSource"] = json!("lightsail.amazonaws.com");
    none(lightsail);
}

#[test]
fn public_policy_from_s3_fires_but_not_from_outposts() {
    let v =
        put_policy(json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*"}]}));
    let e = one(v.clone());
    assert_exposure(
        &e,
        Kind::BucketPolicyPublic,
        Severity::Critical,
        Some(BUCKET),
        None,
    );

    let mut outposts = v;
    outposts["eventSource"] = json!("s3-outposts.amazonaws.com");
    none(outposts);
}

#[test]
fn failed_calls_change_nothing() {
    let v = bucket_acl(json!({"x-amz-acl": "public-read"}));
    one(v.clone());

    let mut denied = v.clone();
    denied["errorCode"] = json!("AccessDenied");
    denied["errorMessage"] = json!("Access Denied");
    none(denied);

    let mut code_only = v.clone();
    code_only["errorCode"] = json!("AccessDenied");
    none(code_only);

    let mut message_only = v.clone();
    message_only["errorMessage"] = json!("Access Denied");
    none(message_only);

    // Logged as an empty field or null, it is not an error.
    let mut empty = v.clone();
    empty["errorCode"] = json!("");
    empty["errorMessage"] = Value::Null;
    one(empty);
}

#[test]
fn read_only_calls_never_alert() {
    // The response shows a public ACL, but reading it changes nothing.
    let mut get_acl = s3_event("GetBucketAcl", bucket_params(json!({"acl": ""})));
    get_acl["readOnly"] = json!(true);
    get_acl["responseElements"] = acp(json!([group_grant(ALL_USERS, "READ")]));
    none(get_acl);
    // The same grant, written, alerts.
    one(bucket_acl(acp(json!([group_grant(ALL_USERS, "READ")]))));

    let mut get_policy = s3_event("GetBucketPolicy", bucket_params(json!({"policy": ""})));
    get_policy["readOnly"] = json!(true);
    get_policy["responseElements"] = policy_doc(json!([public_read()]));
    none(get_policy);

    // Even with the public policy in its parameters, a read does not alert.
    let mut odd = put_policy(policy_doc(json!([public_read()])));
    odd["eventName"] = json!("GetBucketPolicy");
    none(odd);
}

#[test]
fn delete_bucket_policy_never_alerts() {
    none(s3_event(
        "DeleteBucketPolicy",
        bucket_params(json!({"policy": ""})),
    ));
    let mut v = put_policy(policy_doc(json!([public_read()])));
    v["eventName"] = json!("DeleteBucketPolicy");
    none(v);
}

#[test]
fn unknown_events_never_alert() {
    let params = bucket_params(json!({"x-amz-acl": "public-read"}));
    for name in [
        "PutBucketWebsite",
        "PutBucketAclX",
        "putbucketacl",
        "ListBuckets",
        "",
    ] {
        let found = eval(s3_event(name, params.clone()));
        assert!(found.is_empty(), "{name}: {found:?}");
    }
    one(s3_event("PutBucketAcl", params));

    let mut no_name = bucket_acl(json!({"x-amz-acl": "public-read"}));
    no_name.as_object_mut().unwrap().remove("eventName");
    none(no_name);
}

#[test]
fn missing_event_source_is_not_s3() {
    let mut v = bucket_acl(json!({"x-amz-acl": "public-read"}));
    v.as_object_mut().unwrap().remove("eventSource");
    none(v);
}

// ---------------------------------------------------------------------------
// ACLs.

#[test]
fn canned_acls() {
    let cases = [
        (
            "public-read",
            Some(Severity::High),
            "anyone on the internet",
        ),
        (
            "public-read-write",
            Some(Severity::Critical),
            "anyone on the internet",
        ),
        (
            "authenticated-read",
            Some(Severity::High),
            "any AWS account",
        ),
        ("private", None, ""),
        ("bucket-owner-full-control", None, ""),
        ("bucket-owner-read", None, ""),
        ("log-delivery-write", None, ""),
        ("aws-exec-read", None, ""),
    ];
    for (canned, severity, who) in cases {
        for value in [json!(canned), json!([canned])] {
            let found = eval(bucket_acl(json!({"x-amz-acl": value.clone()})));
            match severity {
                None => assert!(found.is_empty(), "{value}: {found:?}"),
                Some(severity) => {
                    assert_eq!(found.len(), 1, "{value}: {found:?}");
                    let e = &found[0];
                    assert_exposure(e, Kind::BucketAclPublic, severity, Some(BUCKET), None);
                    assert_mentions(e, &[canned, who, "bucket"]);
                }
            }
        }
    }
}

#[test]
fn canned_acl_header_name_and_value_are_case_insensitive() {
    let e = one(bucket_acl(json!({"X-Amz-Acl": "Public-Read"})));
    assert_eq!(e.severity, Severity::High);
    none(bucket_acl(json!({"X-Amz-Acl": "Private"})));
}

#[test]
fn grant_headers_naming_public_groups() {
    let headers = [
        ("x-amz-grant-read", "READ", Severity::High),
        ("x-amz-grant-write", "WRITE", Severity::Critical),
        ("x-amz-grant-read-acp", "READ_ACP", Severity::Medium),
        ("x-amz-grant-write-acp", "WRITE_ACP", Severity::Critical),
        (
            "x-amz-grant-full-control",
            "FULL_CONTROL",
            Severity::Critical,
        ),
    ];
    for (header, permission, severity) in headers {
        for (uri, group) in [(ALL_USERS, "AllUsers"), (AUTH_USERS, "AuthenticatedUsers")] {
            for value in [
                json!(format!("uri={uri}")),
                json!([format!("uri=\"{uri}\"")]),
            ] {
                let found = eval(bucket_acl(json!({ header: value.clone() })));
                assert_eq!(found.len(), 1, "{header}={value}: {found:?}");
                let e = &found[0];
                assert_exposure(e, Kind::BucketAclPublic, severity, Some(BUCKET), None);
                assert_mentions(e, &[header, permission, group]);
            }
        }
        // A canonical user, an account e-mail or the LogDelivery group: not public.
        for value in [
            format!("id={OWNER_ID}"),
            "emailAddress=\"alice@example.com\"".to_owned(),
            format!("uri={LOG_DELIVERY}"),
        ] {
            let found = eval(bucket_acl(json!({ header: value.clone() })));
            assert!(found.is_empty(), "{header}={value}: {found:?}");
        }
    }
}

#[test]
fn grant_header_with_several_grantees() {
    let value = format!("id={OWNER_ID}, uri={ALL_USERS}");
    let e = one(bucket_acl(json!({"x-amz-grant-read": value})));
    assert_eq!(e.severity, Severity::High);
    let value = format!("id={OWNER_ID}, uri={LOG_DELIVERY}");
    none(bucket_acl(json!({"x-amz-grant-read": value})));
}

#[test]
fn acp_grant_permissions_and_severity() {
    let cases = [
        ("FULL_CONTROL", Severity::Critical),
        ("WRITE", Severity::Critical),
        ("WRITE_ACP", Severity::Critical),
        ("READ", Severity::High),
        ("READ_ACP", Severity::Medium),
    ];
    for (permission, severity) in cases {
        for (uri, group) in [(ALL_USERS, "AllUsers"), (AUTH_USERS, "AuthenticatedUsers")] {
            let grants = json!([owner_grant("FULL_CONTROL"), group_grant(uri, permission)]);
            let e = one(bucket_acl(acp(grants)));
            assert_exposure(&e, Kind::BucketAclPublic, severity, Some(BUCKET), None);
            assert_mentions(&e, &[permission, group, "bucket"]);
        }
        // The same permission to the LogDelivery group, or to a canonical user: private.
        none(bucket_acl(acp(json!([
            owner_grant("FULL_CONTROL"),
            group_grant(LOG_DELIVERY, permission)
        ]))));
        none(bucket_acl(acp(json!([
            owner_grant("FULL_CONTROL"),
            owner_grant(permission)
        ]))));
    }
}

#[test]
fn acp_grant_as_object_or_array() {
    let e = one(bucket_acl(acp(group_grant(ALL_USERS, "READ"))));
    assert_exposure(
        &e,
        Kind::BucketAclPublic,
        Severity::High,
        Some(BUCKET),
        None,
    );
    none(bucket_acl(acp(owner_grant("FULL_CONTROL"))));

    let e = one(bucket_acl(acp(json!([group_grant(ALL_USERS, "READ")]))));
    assert_eq!(e.severity, Severity::High);
    none(bucket_acl(acp(json!([owner_grant("FULL_CONTROL")]))));
}

#[test]
fn acp_grantee_shapes() {
    // Grantee as a one-element array, keys in other cases.
    let grant =
        json!({"Grantee": [{"xsi:type": "Group", "uri": ALL_USERS}], "Permission": ["WRITE"]});
    let e = one(bucket_acl(acp(json!([grant]))));
    assert_eq!(e.severity, Severity::Critical);
    let grant =
        json!({"Grantee": [{"xsi:type": "Group", "uri": LOG_DELIVERY}], "Permission": ["WRITE"]});
    none(bucket_acl(acp(json!([grant]))));
}

#[test]
fn worst_severity_wins() {
    let grants = json!([
        group_grant(ALL_USERS, "READ_ACP"),
        group_grant(AUTH_USERS, "READ"),
        group_grant(ALL_USERS, "WRITE"),
        group_grant(ALL_USERS, "READ"),
    ]);
    let e = one(bucket_acl(acp(grants)));
    assert_eq!(e.severity, Severity::Critical);
    assert_mentions(&e, &["WRITE", "AllUsers"]);

    // Across canned ACL, headers and grants.
    let mut params = acp(json!([group_grant(ALL_USERS, "READ_ACP")]));
    params["x-amz-acl"] = json!("public-read");
    params["x-amz-grant-full-control"] = json!(format!("uri={AUTH_USERS}"));
    let e = one(bucket_acl(params));
    assert_eq!(e.severity, Severity::Critical);
    assert_mentions(&e, &["x-amz-grant-full-control", "AuthenticatedUsers"]);

    // Only READ_ACP left: medium.
    let e = one(bucket_acl(acp(json!([group_grant(ALL_USERS, "READ_ACP")]))));
    assert_eq!(e.severity, Severity::Medium);
}

#[test]
fn create_bucket_with_public_canned_acl() {
    let params = |acl: &str| {
        bucket_params(json!({
            "CreateBucketConfiguration": {"LocationConstraint": "eu-west-1", "xmlns": "http://s3.amazonaws.com/doc/2006-03-01/"},
            "x-amz-acl": acl
        }))
    };
    let e = one(s3_event("CreateBucket", params("public-read-write")));
    assert_exposure(
        &e,
        Kind::BucketAclPublic,
        Severity::Critical,
        Some(BUCKET),
        None,
    );
    assert_mentions(&e, &["public-read-write"]);
    none(s3_event("CreateBucket", params("private")));
    none(s3_event("CreateBucket", bucket_params(json!({}))));
}

#[test]
fn object_acl_findings_carry_the_key() {
    let key = "reports/2024/q1.pdf";
    for name in [
        "PutObjectAcl",
        "PutObject",
        "CopyObject",
        "CreateMultipartUpload",
    ] {
        let e = one(object_event(name, key, json!({"x-amz-acl": "public-read"})));
        assert_exposure(
            &e,
            Kind::ObjectAclPublic,
            Severity::High,
            Some(BUCKET),
            Some(key),
        );
        assert_mentions(&e, &["object", "public-read"]);

        none(object_event(
            name,
            key,
            json!({"x-amz-acl": "bucket-owner-full-control"}),
        ));
        none(object_event(name, key, json!({})));
    }

    let e = one(object_event(
        "PutObjectAcl",
        key,
        acp(json!([
            owner_grant("FULL_CONTROL"),
            group_grant(ALL_USERS, "READ")
        ])),
    ));
    assert_exposure(
        &e,
        Kind::ObjectAclPublic,
        Severity::High,
        Some(BUCKET),
        Some(key),
    );
    none(object_event(
        "PutObjectAcl",
        key,
        acp(json!([owner_grant("FULL_CONTROL")])),
    ));

    let mut copy = json!({"x-amz-copy-source": "src-bucket/a.txt", "x-amz-grant-full-control": format!("uri={ALL_USERS}")});
    let e = one(object_event("CopyObject", key, copy.clone()));
    assert_exposure(
        &e,
        Kind::ObjectAclPublic,
        Severity::Critical,
        Some(BUCKET),
        Some(key),
    );
    copy["x-amz-grant-full-control"] = json!(format!("id={OWNER_ID}"));
    none(object_event("CopyObject", key, copy));
}

#[test]
fn bucket_name_from_host_header_either_case() {
    for host_key in ["Host", "host"] {
        let mut v = s3_event(
            "PutBucketAcl",
            json!({ host_key: "photos-archive.s3.eu-west-1.amazonaws.com", "x-amz-acl": "public-read" }),
        );
        v.as_object_mut().unwrap().remove("resources");
        let e = one(v);
        assert_eq!(e.bucket.as_deref(), Some("photos-archive"), "{host_key}");
    }
    // Legacy regional and global endpoints.
    for host in [
        "photos-archive.s3-eu-west-1.amazonaws.com",
        "photos-archive.s3.amazonaws.com",
        "photos-archive.s3.dualstack.eu-west-1.amazonaws.com",
    ] {
        let mut v = s3_event(
            "PutBucketAcl",
            json!({"Host": host, "x-amz-acl": "public-read"}),
        );
        v.as_object_mut().unwrap().remove("resources");
        assert_eq!(one(v).bucket.as_deref(), Some("photos-archive"), "{host}");
    }
    // Path-style: the host names no bucket.
    let mut v = s3_event(
        "PutBucketAcl",
        json!({"Host": "s3.eu-west-1.amazonaws.com", "x-amz-acl": "public-read"}),
    );
    v.as_object_mut().unwrap().remove("resources");
    assert_eq!(one(v).bucket, None);
}

#[test]
fn bucket_name_with_s3_in_it_from_host() {
    let mut v = s3_event(
        "PutBucketAcl",
        json!({"Host": "logs.s3-archive.s3.us-east-1.amazonaws.com", "x-amz-acl": "public-read"}),
    );
    v.as_object_mut().unwrap().remove("resources");
    assert_eq!(one(v).bucket.as_deref(), Some("logs.s3-archive"));

    let mut v = s3_event(
        "PutBucketAcl",
        json!({"Host": "media.s3cache.s3.amazonaws.com", "x-amz-acl": "public-read"}),
    );
    v.as_object_mut().unwrap().remove("resources");
    assert_eq!(one(v).bucket.as_deref(), Some("media.s3cache"));
}

#[test]
fn bucket_name_sources_in_order() {
    // bucketName wins over resources and Host.
    let mut v = s3_event(
        "PutBucketAcl",
        json!({"bucketName": "from-params", "Host": "from-host.s3.amazonaws.com", "x-amz-acl": "public-read"}),
    );
    v["resources"] = json!([{"type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::from-resources"}]);
    assert_eq!(one(v.clone()).bucket.as_deref(), Some("from-params"));

    // Without bucketName: the bucket ARN in resources.
    v["requestParameters"]
        .as_object_mut()
        .unwrap()
        .remove("bucketName");
    assert_eq!(one(v.clone()).bucket.as_deref(), Some("from-resources"));

    // An object ARN is not a bucket ARN: fall back to Host.
    v["resources"] = json!([{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::from-resources/k"}]);
    assert_eq!(one(v.clone()).bucket.as_deref(), Some("from-host"));

    // An empty bucketName is no name.
    v["requestParameters"]["bucketName"] = json!("");
    assert_eq!(one(v).bucket.as_deref(), Some("from-host"));
}

// ---------------------------------------------------------------------------
// Bucket policies: principals.

#[test]
fn principal_star_variants_are_public() {
    let principals = [
        (json!("*"), "Principal `*`"),
        (json!(["*"]), "Principal `*`"),
        (json!({"AWS": "*"}), "AWS"),
        (json!({"AWS": ["*"]}), "AWS"),
        (
            json!({"AWS": ["arn:aws:iam::111122223333:root", "*"]}),
            "AWS",
        ),
        (
            json!({"Federated": "cognito-identity.amazonaws.com"}),
            "cognito-identity.amazonaws.com",
        ),
        (json!({"Federated": "accounts.google.com"}), "Federated"),
    ];
    for (principal, mention) in principals {
        let mut s = public_read();
        s["Principal"] = principal.clone();
        let e = one(policy_with(s));
        assert_exposure(
            &e,
            Kind::BucketPolicyPublic,
            Severity::High,
            Some(BUCKET),
            None,
        );
        assert_mentions(
            &e,
            &[
                "`PublicRead`",
                "s3:GetObject",
                mention,
                "no restricting condition",
            ],
        );
    }
}

#[test]
fn specific_and_service_principals_are_private() {
    let principals = [
        json!({"AWS": "arn:aws:iam::111122223333:root"}),
        json!({"AWS": ["arn:aws:iam::111122223333:root", "arn:aws:iam::444455556666:role/reader"]}),
        json!({"AWS": "444455556666"}),
        json!({"Service": "cloudtrail.amazonaws.com"}),
        json!({"Service": ["logging.s3.amazonaws.com", "delivery.logs.amazonaws.com"]}),
        json!({"CanonicalUser": OWNER_ID}),
        json!("arn:aws:iam::111122223333:root"),
    ];
    for principal in principals {
        let mut s = public_read();
        s["Principal"] = principal.clone();
        let found = eval(policy_with(s));
        assert!(found.is_empty(), "{principal}: {found:?}");
    }
}

#[test]
fn service_principal_statement_next_to_a_public_one() {
    let cloudtrail = json!({
        "Sid": "AWSCloudTrailWrite",
        "Effect": "Allow",
        "Principal": {"Service": "cloudtrail.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": format!("arn:aws:s3:::{BUCKET}/AWSLogs/{ACCOUNT}/*"),
        "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}
    });
    none(put_policy(policy_doc(json!([cloudtrail.clone()]))));
    let e = one(put_policy(policy_doc(json!([cloudtrail, public_read()]))));
    assert_mentions(&e, &["`PublicRead`"]);
    assert_eq!(e.severity, Severity::High);
}

#[test]
fn not_principal_in_allow_is_public_but_not_in_deny() {
    let mut s = public_read();
    s.as_object_mut().unwrap().remove("Principal");
    s["NotPrincipal"] = json!({"AWS": "arn:aws:iam::444455556666:user/bob"});
    s["Sid"] = json!("AllButBob");
    let e = one(policy_with(s.clone()));
    assert_exposure(
        &e,
        Kind::BucketPolicyPublic,
        Severity::High,
        Some(BUCKET),
        None,
    );
    assert_mentions(&e, &["`AllButBob`", "NotPrincipal", "444455556666"]);

    s["Effect"] = json!("Deny");
    none(policy_with(s));
}

#[test]
fn deny_with_star_is_not_public() {
    let mut s = public_read();
    s["Effect"] = json!("Deny");
    s["Action"] = json!("s3:*");
    none(policy_with(s.clone()));
    s["Effect"] = json!("Allow");
    assert_eq!(one(policy_with(s)).severity, Severity::Critical);
}

#[test]
fn statement_without_effect_allows_nothing() {
    let mut s = public_read();
    s.as_object_mut().unwrap().remove("Effect");
    none(policy_with(s));
}

#[test]
fn statement_as_object_or_array() {
    let e = one(put_policy(policy_doc(public_read())));
    assert_mentions(&e, &["`PublicRead`"]);
    let mut private = public_read();
    private["Principal"] = json!({"AWS": "arn:aws:iam::111122223333:root"});
    none(put_policy(policy_doc(private.clone())));

    let e = one(put_policy(policy_doc(json!([public_read()]))));
    assert_mentions(&e, &["`PublicRead`"]);
    none(put_policy(policy_doc(json!([private]))));
}

#[test]
fn bucket_policy_as_object_or_json_string() {
    let public = policy_doc(json!([public_read()]));
    let mut private_statement = public_read();
    private_statement["Principal"] = json!({"AWS": "arn:aws:iam::111122223333:root"});
    let private = policy_doc(json!([private_statement]));

    let e = one(put_policy(public.clone()));
    assert_exposure(
        &e,
        Kind::BucketPolicyPublic,
        Severity::High,
        Some(BUCKET),
        None,
    );
    none(put_policy(private.clone()));

    let e = one(put_policy(json!(public.to_string())));
    assert_exposure(
        &e,
        Kind::BucketPolicyPublic,
        Severity::High,
        Some(BUCKET),
        None,
    );
    assert_mentions(&e, &["`PublicRead`"]);
    none(put_policy(json!(private.to_string())));

    // Pretty-printed, as a console paste would be.
    let pretty = serde_json::to_string_pretty(&public).unwrap();
    one(put_policy(json!(pretty)));
}

#[test]
fn statement_without_sid_is_named_by_position() {
    let mut s = public_read();
    s.as_object_mut().unwrap().remove("Sid");
    let mut private = public_read();
    private["Effect"] = json!("Deny");
    let e = one(put_policy(policy_doc(json!([private, s]))));
    assert_mentions(&e, &["statement #2"]);
}

#[test]
fn action_severity() {
    let cases = [
        (json!("s3:GetObject"), Severity::High),
        (json!(["s3:GetObject", "s3:ListBucket"]), Severity::High),
        (json!(["s3:GetObject*", "s3:List*"]), Severity::High),
        (json!("s3:PutObject"), Severity::Critical),
        (json!(["s3:GetObject", "s3:PutObject"]), Severity::Critical),
        (json!("s3:DeleteObject"), Severity::Critical),
        (json!("s3:PutBucketPolicy"), Severity::Critical),
        (json!("s3:*"), Severity::Critical),
        (json!("*"), Severity::Critical),
    ];
    for (action, severity) in cases {
        let mut s = public_read();
        s["Action"] = action.clone();
        let e = one(policy_with(s));
        assert_eq!(e.severity, severity, "{action}: {e:?}");
        if let Some(a) = action.as_str() {
            assert_mentions(&e, &[a]);
        }
    }
}

#[test]
fn not_action_is_critical() {
    let mut s = public_read();
    s.as_object_mut().unwrap().remove("Action");
    s["NotAction"] = json!("s3:DeleteBucket");
    let e = one(policy_with(s.clone()));
    assert_eq!(e.severity, Severity::Critical);
    assert_mentions(&e, &["every action except", "s3:DeleteBucket"]);
    s["Principal"] = json!({"AWS": "arn:aws:iam::111122223333:root"});
    none(policy_with(s));
}

#[test]
fn long_action_lists_are_summarised() {
    let mut s = public_read();
    s["Action"] = json!([
        "s3:GetObject",
        "s3:GetObjectVersion",
        "s3:ListBucket",
        "s3:GetBucketLocation",
        "s3:GetObjectTagging"
    ]);
    let e = one(policy_with(s));
    assert_eq!(e.severity, Severity::High);
    assert_mentions(
        &e,
        &["s3:GetObject, s3:GetObjectVersion, s3:ListBucket and 2 more"],
    );
}

#[test]
fn worst_statement_wins() {
    let mut write = public_read();
    write["Sid"] = json!("PublicUpload");
    write["Action"] = json!("s3:PutObject");
    let e = one(put_policy(policy_doc(json!([
        public_read(),
        write.clone()
    ]))));
    assert_eq!(e.severity, Severity::Critical);
    assert_mentions(&e, &["`PublicUpload`", "s3:PutObject"]);

    // Restrict the write statement: the read one is what is left.
    write["Condition"] = json!({"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}});
    let e = one(put_policy(policy_doc(json!([public_read(), write]))));
    assert_eq!(e.severity, Severity::High);
    assert_mentions(&e, &["`PublicRead`"]);
}

// ---------------------------------------------------------------------------
// Conditions.

/// The 13 restricting keys, each with a fitting positive operator, a fixed
/// value, and the negated operator.
fn restricting_cases() -> Vec<(&'static str, &'static str, &'static str, Value)> {
    vec![
        (
            "aws:SourceArn",
            "ArnEquals",
            "ArnNotEquals",
            json!("arn:aws:cloudfront::111122223333:distribution/EDFDVBD6EXAMPLE"),
        ),
        (
            "aws:SourceVpc",
            "StringEquals",
            "StringNotEquals",
            json!("vpc-1a2b3c4d"),
        ),
        (
            "aws:SourceVpce",
            "StringEquals",
            "StringNotEquals",
            json!("vpce-1a2b3c4d"),
        ),
        (
            "aws:SourceAccount",
            "StringEquals",
            "StringNotEquals",
            json!("111122223333"),
        ),
        (
            "aws:SourceOwner",
            "StringEquals",
            "StringNotEquals",
            json!("111122223333"),
        ),
        (
            "aws:PrincipalOrgID",
            "StringEquals",
            "StringNotEquals",
            json!("o-a1b2c3d4e5"),
        ),
        (
            "aws:PrincipalAccount",
            "StringEquals",
            "StringNotEquals",
            json!("111122223333"),
        ),
        (
            "aws:PrincipalArn",
            "ArnEquals",
            "ArnNotEquals",
            json!("arn:aws:iam::111122223333:role/reader"),
        ),
        (
            "aws:userid",
            "StringEquals",
            "StringNotEquals",
            json!("AROAEXAMPLEID:alice"),
        ),
        (
            "aws:SourceIp",
            "IpAddress",
            "NotIpAddress",
            json!("203.0.113.0/24"),
        ),
        (
            "s3:DataAccessPointArn",
            "StringEquals",
            "StringNotEquals",
            json!("arn:aws:s3:us-east-1:111122223333:accesspoint/internal"),
        ),
        (
            "s3:DataAccessPointAccount",
            "StringEquals",
            "StringNotEquals",
            json!("111122223333"),
        ),
        (
            "s3:x-amz-server-side-encryption-aws-kms-key-id",
            "StringEquals",
            "StringNotEquals",
            json!("arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
        ),
    ]
}

#[test]
fn each_restricting_key_restricts_with_a_positive_operator() {
    let cases = restricting_cases();
    assert_eq!(cases.len(), RESTRICTING_KEYS.len());
    for (key, positive, negative, value) in cases {
        let condition = json!({ positive: { key: value.clone() } });
        let why = restricting_condition(&condition);
        assert!(
            why.as_deref()
                .is_some_and(|w| w.contains(key) && w.contains(positive)),
            "{condition}: {why:?}"
        );
        none(policy_with(public_read_with(condition)));

        // Also as a one-element list of values.
        let condition = json!({ positive: { key: [value.clone()] } });
        none(policy_with(public_read_with(condition)));

        // Negated: public.
        let condition = json!({ negative: { key: value.clone() } });
        assert_eq!(restricting_condition(&condition), None, "{condition}");
        let e = one(policy_with(public_read_with(condition)));
        assert_eq!(e.severity, Severity::High);

        // ...IfExists: public (true when the key is absent).
        let if_exists = format!("{positive}IfExists");
        let condition = json!({ if_exists: { key: value.clone() } });
        assert_eq!(restricting_condition(&condition), None, "{condition}");
        one(policy_with(public_read_with(condition)));

        // ForAllValues: public (true when the key is absent).
        let for_all = format!("ForAllValues:{positive}");
        let condition = json!({ for_all: { key: value.clone() } });
        assert_eq!(restricting_condition(&condition), None, "{condition}");
        one(policy_with(public_read_with(condition)));

        // ForAnyValue: restricts.
        let for_any = format!("ForAnyValue:{positive}");
        let condition = json!({ for_any: { key: value } });
        assert!(restricting_condition(&condition).is_some(), "{condition}");
        none(policy_with(public_read_with(condition)));
    }
}

#[test]
fn other_positive_operators_restrict() {
    for (operator, key, value) in [
        ("StringEqualsIgnoreCase", "aws:SourceVpce", "VPCE-1A2B3C4D"),
        ("StringLike", "aws:SourceVpce", "vpce-1a2b3c4d"),
        (
            "ArnLike",
            "aws:SourceArn",
            "arn:aws:cloudfront::111122223333:distribution/EDFDVBD6EXAMPLE",
        ),
        (
            "ArnEquals",
            "aws:PrincipalArn",
            "arn:aws:iam::111122223333:role/reader",
        ),
    ] {
        let condition = json!({ operator: { key: value } });
        assert!(restricting_condition(&condition).is_some(), "{condition}");
        none(policy_with(public_read_with(condition)));
        let negated = operator
            .replacen("Equals", "NotEquals", 1)
            .replacen("Like", "NotLike", 1);
        let condition = json!({ negated: { key: value } });
        assert_eq!(restricting_condition(&condition), None, "{condition}");
        one(policy_with(public_read_with(condition)));
    }
}

#[test]
fn keys_and_operators_are_case_insensitive() {
    for condition in [
        json!({"StringEquals": {"AWS:SourceVpce": "vpce-1a2b3c4d"}}),
        json!({"stringequals": {"aws:sourcevpce": "vpce-1a2b3c4d"}}),
        json!({"StringEquals": {"S3:DATAACCESSPOINTACCOUNT": "111122223333"}}),
        json!({"forAnyValue:StringEquals": {"aws:PrincipalOrgId": "o-a1b2c3d4e5"}}),
        json!({"IPADDRESS": {"AWS:SOURCEIP": "203.0.113.7"}}),
    ] {
        assert!(restricting_condition(&condition).is_some(), "{condition}");
        none(policy_with(public_read_with(condition)));
    }
    for condition in [
        json!({"STRINGNOTEQUALS": {"AWS:SourceVpce": "vpce-1a2b3c4d"}}),
        json!({"forallvalues:stringequals": {"aws:sourcevpce": "vpce-1a2b3c4d"}}),
        json!({"stringequalsifexists": {"aws:sourcevpce": "vpce-1a2b3c4d"}}),
    ] {
        assert_eq!(restricting_condition(&condition), None, "{condition}");
        one(policy_with(public_read_with(condition)));
    }
}

#[test]
fn non_restricting_conditions_leave_the_statement_public() {
    let conditions = [
        json!({"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}),
        json!({"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1a2b3c4d"}}),
        json!({"ArnLikeIfExists": {"aws:SourceArn": "arn:aws:cloudfront::111122223333:distribution/EDFDVBD6EXAMPLE"}}),
        json!({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}),
        json!({"ForAllValues:StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}),
        json!({"Null": {"aws:SourceVpce": "false"}}),
        json!({"Bool": {"aws:SecureTransport": "true"}}),
        json!({"Bool": {"aws:SecureTransport": true}}),
        json!({"StringEquals": {"aws:UserAgent": "internal-tool/1.0"}}),
        json!({"StringLike": {"s3:prefix": "public/"}}),
        json!({"StringLike": {"aws:Referer": ["https://www.example.com/*"]}}),
        json!({"StringEquals": {"aws:Referer": "https://www.example.com/"}}),
        json!({"StringEquals": {"aws:SourceVpce": "*"}}),
        json!({"StringLike": {"aws:SourceVpce": "vpce-*"}}),
        json!({"StringLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/read?r"}}),
        json!({"StringLike": {"aws:PrincipalOrgID": "o-*"}}),
        json!({"ArnLike": {"aws:SourceArn": "arn:aws:cloudtrail:*:111122223333:trail/*"}}),
        json!({"StringEquals": {"aws:userid": "${aws:userid}"}}),
        json!({"StringEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:user/${aws:username}"}}),
        json!({"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}),
        json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/7"}}),
        json!({"IpAddress": {"aws:SourceIp": "::/0"}}),
        json!({"IpAddress": {"aws:SourceIp": "2001:db8::/31"}}),
        json!({"IpAddress": {"aws:SourceIp": "not-an-address"}}),
        json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/abc"}}),
        json!({"StringEquals": {"aws:SourceVpce": ["vpce-1a2b3c4d", "*"]}}),
        json!({"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "0.0.0.0/0"]}}),
        json!({"StringEquals": {"aws:SourceVpce": []}}),
        json!({"StringEquals": {"aws:SourceVpce": ""}}),
        json!({"StringEquals": {"aws:SourceVpce": {"nested": "vpce-1a2b3c4d"}}}),
        json!({"StringEquals": {}}),
        json!({}),
    ];
    for condition in conditions {
        assert_eq!(restricting_condition(&condition), None, "{condition}");
        let found = eval(policy_with(public_read_with(condition.clone())));
        assert_eq!(found.len(), 1, "{condition}: {found:?}");
        assert_eq!(found[0].severity, Severity::High, "{condition}");
        assert_mentions(&found[0], &["`PublicRead`", "Principal `*`"]);
    }
}

#[test]
fn fixed_values_restrict_their_wildcard_twins_do_not() {
    let pairs = [
        (
            json!({"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}),
            json!({"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4*"}}),
        ),
        (
            json!({"StringLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/reader"}}),
            json!({"StringLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/reade?"}}),
        ),
        (
            json!({"StringEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:user/alice"}}),
            json!({"StringEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:user/${aws:username}"}}),
        ),
        (
            json!({"StringEquals": {"aws:SourceVpce": ["vpce-1a2b3c4d", "vpce-5e6f7a8b"]}}),
            json!({"StringEquals": {"aws:SourceVpce": ["vpce-1a2b3c4d", "*"]}}),
        ),
        (
            json!({"StringEquals": {"aws:SourceAccount": 111122223333_u64}}),
            json!({"StringEquals": {"aws:SourceAccount": []}}),
        ),
    ];
    for (fixed, wild) in pairs {
        assert!(restricting_condition(&fixed).is_some(), "{fixed}");
        none(policy_with(public_read_with(fixed)));
        assert_eq!(restricting_condition(&wild), None, "{wild}");
        one(policy_with(public_read_with(wild)));
    }
}

#[test]
fn source_ip_ranges() {
    let cases = [
        ("203.0.113.7", true),
        ("203.0.113.7/32", true),
        ("203.0.113.0/24", true),
        ("10.0.0.0/8", true),
        ("10.0.0.0/7", false),
        ("0.0.0.0/0", false),
        ("0.0.0.0/1", false),
        ("10.0.0.0/33", false),
        ("2001:db8::1", true),
        ("2001:db8::/32", true),
        ("2001:db8::/64", true),
        ("2001:db8::/31", false),
        ("::/0", false),
        ("2001:db8::/129", false),
        // IPv4-mapped IPv6 ranges are judged as the IPv4 range they map.
        ("::ffff:0:0/96", false),
        ("::ffff:10.0.0.0/103", false),
        ("::ffff:10.0.0.0/104", true),
        ("::ffff:203.0.113.7", true),
        ("*", false),
        ("", false),
        ("10.0.0.0/", false),
        ("example.com", false),
    ];
    for (value, narrow) in cases {
        assert_eq!(narrow_ip_range(value), narrow, "{value}");
        let condition = json!({"IpAddress": {"aws:SourceIp": value}});
        assert_eq!(
            restricting_condition(&condition).is_some(),
            narrow,
            "{condition}"
        );
        let found = eval(policy_with(public_read_with(condition)));
        assert_eq!(found.is_empty(), narrow, "{value}: {found:?}");
    }
    // Several narrow ranges: restricts; one too wide among them: does not.
    let narrow =
        json!({"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:db8::/32", "10.0.0.0/8"]}});
    none(policy_with(public_read_with(narrow)));
    let wide =
        json!({"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:db8::/32", "10.0.0.0/7"]}});
    one(policy_with(public_read_with(wide)));
}

#[test]
fn several_keys_are_anded_so_one_restricting_key_is_enough() {
    let condition = json!({
        "Bool": {"aws:SecureTransport": "true"},
        "StringLike": {"aws:Referer": "https://www.example.com/*", "aws:SourceVpce": "vpce-1a2b3c4d"},
        "IpAddress": {"aws:SourceIp": "0.0.0.0/0"}
    });
    let why = restricting_condition(&condition);
    assert!(
        why.as_deref().is_some_and(|w| w.contains("aws:SourceVpce")),
        "{why:?}"
    );
    none(policy_with(public_read_with(condition)));

    // The same statement with the restricting key's value made a wildcard.
    let condition = json!({
        "Bool": {"aws:SecureTransport": "true"},
        "StringLike": {"aws:Referer": "https://www.example.com/*", "aws:SourceVpce": "vpce-*"},
        "IpAddress": {"aws:SourceIp": "0.0.0.0/0"}
    });
    assert_eq!(restricting_condition(&condition), None);
    one(policy_with(public_read_with(condition)));

    // Two operators, only the second restricts.
    let condition = json!({
        "StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"},
        "IpAddress": {"aws:SourceIp": "192.0.2.0/24"}
    });
    none(policy_with(public_read_with(condition)));
}

#[test]
fn condition_restricts_not_principal_and_federated_too() {
    let vpce = json!({"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}});
    let mut s = public_read();
    s.as_object_mut().unwrap().remove("Principal");
    s["NotPrincipal"] = json!({"AWS": "arn:aws:iam::444455556666:user/bob"});
    one(policy_with(s.clone()));
    s["Condition"] = vpce.clone();
    none(policy_with(s));

    let mut s = public_read();
    s["Principal"] = json!({"Federated": "cognito-identity.amazonaws.com"});
    one(policy_with(s.clone()));
    s["Condition"] = vpce;
    none(policy_with(s));
}

// ---------------------------------------------------------------------------
// Policies that cannot be evaluated.

#[test]
fn unlogged_policy_is_unverifiable() {
    let check = |e: &Hit| {
        assert_exposure(
            e,
            Kind::BucketPolicyPublic,
            Severity::Medium,
            Some(BUCKET),
            None,
        );
        assert_mentions(e, &["not logged", "cannot be shown to be private"]);
    };
    check(&one(s3_event(
        "PutBucketPolicy",
        bucket_params(json!({"policy": ""})),
    )));
    check(&one(put_policy(json!(""))));
    check(&one(put_policy(Value::Null)));
    // No parameters at all: the bucket comes from resources.
    check(&one(s3_event("PutBucketPolicy", Value::Null)));
    // Logged and private: nothing.
    none(put_policy(policy_doc(json!([]))));
}

#[test]
fn invalid_policy_json_is_unverifiable() {
    let e = one(put_policy(json!(
        "{\"Version\":\"2012-10-17\",\"Statement\":["
    )));
    assert_exposure(
        &e,
        Kind::BucketPolicyPublic,
        Severity::Medium,
        Some(BUCKET),
        None,
    );
    assert_mentions(&e, &["not valid JSON", "cannot be shown to be private"]);

    let mut private = public_read();
    private["Effect"] = json!("Deny");
    none(put_policy(json!(policy_doc(json!([private])).to_string())));
}

#[test]
fn oversized_policy_is_unverifiable_as_object_or_string() {
    let document = policy_doc(json!([{
        "Sid": "OwnerOnly",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
        "Action": "s3:*",
        "Resource": format!("arn:aws:s3:::{BUCKET}/*")
    }]));
    let size = document.to_string().len();
    for form in [document.clone(), json!(document.to_string())] {
        let at_limit = RuleLimits {
            max_policy_bytes: size,
        };
        let found = eval_with(put_policy(form.clone()), at_limit);
        assert!(found.is_empty(), "{found:?}");

        let under = RuleLimits {
            max_policy_bytes: size - 1,
        };
        let found = eval_with(put_policy(form), under);
        assert_eq!(found.len(), 1, "{found:?}");
        let e = &found[0];
        assert_exposure(
            e,
            Kind::BucketPolicyPublic,
            Severity::Medium,
            Some(BUCKET),
            None,
        );
        assert_mentions(
            e,
            &[
                &format!("{size} bytes"),
                &format!("{}-byte limit", size - 1),
                "cannot be shown",
            ],
        );
    }
}

#[test]
fn huge_public_policy_is_still_reported() {
    let mut statements: Vec<Value> = (0..4000)
        .map(|i| {
            json!({"Sid": format!("Owner{i}"), "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{BUCKET}/p{i}/*")})
        })
        .collect();
    statements.push(public_read());
    let document = policy_doc(json!(statements));
    assert!(document.to_string().len() > 256 << 10);
    let e = one(put_policy(document));
    assert_eq!(e.severity, Severity::Medium);
}

// ---------------------------------------------------------------------------
// Block Public Access.

fn bpa_config(flags: &[(&str, Value)]) -> Value {
    let mut config = json!({"xmlns": "http://s3.amazonaws.com/doc/2006-03-01/"});
    for (flag, value) in flags {
        config[*flag] = value.clone();
    }
    config
}

fn all_flags(value: Value) -> Vec<(&'static str, Value)> {
    BPA_FLAGS.iter().map(|f| (*f, value.clone())).collect()
}

fn put_bucket_bpa(flags: &[(&str, Value)]) -> Value {
    s3_event(
        "PutBucketPublicAccessBlock",
        bucket_params(
            json!({"PublicAccessBlockConfiguration": bpa_config(flags), "publicAccessBlock": ""}),
        ),
    )
}

fn put_account_bpa(flags: &[(&str, Value)]) -> Value {
    let mut v = s3_event(
        "PutAccountPublicAccessBlock",
        json!({
            "PublicAccessBlockConfiguration": bpa_config(flags),
            "x-amz-account-id": ACCOUNT,
            "Host": format!("{ACCOUNT}.s3-control.us-east-1.amazonaws.com")
        }),
    );
    v.as_object_mut().unwrap().remove("resources");
    v
}

#[test]
fn bucket_bpa_all_true_is_fine() {
    none(put_bucket_bpa(&all_flags(json!(true))));
    none(put_bucket_bpa(&all_flags(json!("true"))));
    none(put_bucket_bpa(&all_flags(json!(["true"]))));
    none(put_bucket_bpa(&all_flags(json!("TRUE"))));
}

#[test]
fn bucket_bpa_one_flag_off() {
    for flag in BPA_FLAGS {
        for off in [json!(false), json!("false"), json!([false])] {
            let mut flags = all_flags(json!(true));
            flags.iter_mut().find(|(f, _)| *f == flag).unwrap().1 = off.clone();
            let e = one(put_bucket_bpa(&flags));
            assert_exposure(
                &e,
                Kind::BucketBpaDisabled,
                Severity::Medium,
                Some(BUCKET),
                None,
            );
            assert_mentions(&e, &[flag, BUCKET]);
            for other in BPA_FLAGS.iter().filter(|f| **f != flag) {
                assert!(!e.reason.contains(other), "{other} is on: {}", e.reason);
            }
        }
        // Omitted: off.
        let flags: Vec<_> = all_flags(json!(true))
            .into_iter()
            .filter(|(f, _)| *f != flag)
            .collect();
        let e = one(put_bucket_bpa(&flags));
        assert_exposure(
            &e,
            Kind::BucketBpaDisabled,
            Severity::Medium,
            Some(BUCKET),
            None,
        );
        assert_mentions(&e, &[flag, "omitted"]);
    }
}

#[test]
fn bucket_bpa_without_configuration_is_all_off() {
    let e = one(s3_event(
        "PutBucketPublicAccessBlock",
        bucket_params(json!({"publicAccessBlock": ""})),
    ));
    assert_mentions(&e, &BPA_FLAGS);
    none(put_bucket_bpa(&all_flags(json!(true))));
}

#[test]
fn bucket_bpa_deleted() {
    let e = one(s3_event(
        "DeleteBucketPublicAccessBlock",
        bucket_params(json!({"publicAccessBlock": ""})),
    ));
    assert_exposure(
        &e,
        Kind::BucketBpaDisabled,
        Severity::Medium,
        Some(BUCKET),
        None,
    );
    assert_mentions(&e, &["deleted", BUCKET]);

    let mut failed = s3_event(
        "DeleteBucketPublicAccessBlock",
        bucket_params(json!({"publicAccessBlock": ""})),
    );
    failed["errorCode"] = json!("NoSuchPublicAccessBlockConfiguration");
    none(failed);
}

#[test]
fn account_bpa_flag_off_is_critical() {
    none(put_account_bpa(&all_flags(json!(true))));
    let mut flags = all_flags(json!(true));
    flags[2].1 = json!(false);
    let e = one(put_account_bpa(&flags));
    assert_exposure(&e, Kind::AccountBpaDisabled, Severity::Critical, None, None);
    assert_mentions(&e, &["BlockPublicPolicy", &format!("account {ACCOUNT}")]);
}

#[test]
fn account_bpa_account_from_header_else_recipient() {
    let mut flags = all_flags(json!(true));
    flags[0].1 = json!("false");
    let mut v = put_account_bpa(&flags);
    v["requestParameters"]["x-amz-account-id"] = json!("444455556666");
    assert_mentions(&one(v.clone()), &["account 444455556666"]);

    v["requestParameters"]
        .as_object_mut()
        .unwrap()
        .remove("x-amz-account-id");
    assert_mentions(&one(v.clone()), &[&format!("account {ACCOUNT}")]);

    v.as_object_mut().unwrap().remove("recipientAccountId");
    v["userIdentity"]["accountId"] = json!("777788889999");
    assert_mentions(&one(v), &["account 777788889999"]);
}

#[test]
fn account_bpa_deleted_is_critical() {
    let mut v = s3_event(
        "DeleteAccountPublicAccessBlock",
        json!({"x-amz-account-id": ACCOUNT, "Host": format!("{ACCOUNT}.s3-control.us-east-1.amazonaws.com")}),
    );
    v.as_object_mut().unwrap().remove("resources");
    let e = one(v.clone());
    assert_exposure(&e, Kind::AccountBpaDisabled, Severity::Critical, None, None);
    assert_mentions(&e, &["deleted", &format!("account {ACCOUNT}")]);

    v["errorCode"] = json!("AccessDenied");
    none(v);
}

// ---------------------------------------------------------------------------
// Access point policies.

fn put_access_point_policy(name: &str, document: &Value) -> Value {
    let mut v = s3_event(
        "PutAccessPointPolicy",
        json!({
            "PutAccessPointPolicyRequest": {
                "xmlns": "http://awss3control.amazonaws.com/doc/2018-08-20/",
                "Policy": document.to_string()
            },
            "name": name,
            "Host": format!("{ACCOUNT}.s3-control.us-east-1.amazonaws.com"),
            "x-amz-account-id": ACCOUNT
        }),
    );
    v["resources"] = json!([{
        "accountId": ACCOUNT,
        "type": "AWS::S3::AccessPoint",
        "ARN": format!("arn:aws:s3:us-east-1:{ACCOUNT}:accesspoint/{name}")
    }]);
    v
}

fn access_point_statement() -> Value {
    json!({
        "Sid": "AnyoneReads",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": format!("arn:aws:s3:us-east-1:{ACCOUNT}:accesspoint/public-ap/object/*")
    })
}

#[test]
fn access_point_policy_public() {
    let document = policy_doc(json!([access_point_statement()]));
    let e = one(put_access_point_policy("public-ap", &document));
    assert_exposure(
        &e,
        Kind::AccessPointPolicyPublic,
        Severity::High,
        Some("public-ap"),
        None,
    );
    assert_mentions(&e, &["`AnyoneReads`", "Principal `*`", "s3:GetObject"]);

    let mut restricted = access_point_statement();
    restricted["Condition"] = json!({"StringEquals": {"aws:PrincipalAccount": ACCOUNT}});
    none(put_access_point_policy(
        "public-ap",
        &policy_doc(json!([restricted])),
    ));
}

#[test]
fn access_point_name_from_arn_when_name_missing() {
    let mut v =
        put_access_point_policy("public-ap", &policy_doc(json!([access_point_statement()])));
    v["requestParameters"]
        .as_object_mut()
        .unwrap()
        .remove("name");
    assert_eq!(one(v.clone()).bucket.as_deref(), Some("public-ap"));

    // Without name or ARN, the s3-control host names an account, not a bucket.
    v.as_object_mut().unwrap().remove("resources");
    assert_eq!(one(v).bucket, None);
}

#[test]
fn access_point_policy_as_object_or_unlogged() {
    let mut v =
        put_access_point_policy("public-ap", &policy_doc(json!([access_point_statement()])));
    v["requestParameters"]["PutAccessPointPolicyRequest"]["Policy"] =
        policy_doc(json!([access_point_statement()]));
    assert_eq!(one(v.clone()).kind, Kind::AccessPointPolicyPublic);

    v["requestParameters"]["PutAccessPointPolicyRequest"]
        .as_object_mut()
        .unwrap()
        .remove("Policy");
    let e = one(v);
    assert_exposure(
        &e,
        Kind::AccessPointPolicyPublic,
        Severity::Medium,
        Some("public-ap"),
        None,
    );
    assert_mentions(&e, &["cannot be shown to be private"]);
}

// ---------------------------------------------------------------------------
// Findings, through the public entry point.

fn detect(v: &Value) -> Vec<crate::Finding> {
    let bytes = serde_json::to_vec(v).unwrap();
    crate::detect_record(&bytes, LOG_FILE, &crate::Limits::default()).expect("record parses")
}

const LOG_FILE: &str =
    "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/111122223333_CloudTrail_us-east-1_20240501T1235Z_abcdEFGH1234ijkl.json.gz";

#[test]
fn finding_carries_the_record_context() {
    let found = detect(&bucket_acl(json!({"x-amz-acl": "public-read"})));
    assert_eq!(found.len(), 1);
    let f = &found[0];
    assert_eq!(f.event_id, "3e5c2a87-7f35-4c5c-9d2f-0b5b5a8f1e11");
    assert_eq!(f.event_time, "2024-05-01T12:34:56Z");
    assert_eq!(f.event_name, "PutBucketAcl");
    assert_eq!(f.kind, Kind::BucketAclPublic);
    assert_eq!(f.severity, Severity::High);
    assert_eq!(f.account, ACCOUNT);
    assert_eq!(f.region, "us-east-1");
    assert_eq!(f.bucket.as_deref(), Some(BUCKET));
    assert_eq!(f.key, None);
    assert_eq!(f.actor_arn, "arn:aws:iam::111122223333:user/alice");
    assert_eq!(f.actor_type, "IAMUser");
    assert_eq!(f.source_ip, "198.51.100.23");
    assert!(
        f.user_agent.starts_with("[aws-cli/2.15.0"),
        "{}",
        f.user_agent
    );
    assert_eq!(f.log_file, LOG_FILE);
    assert!(f.reason.contains("public-read"), "{}", f.reason);

    assert!(detect(&bucket_acl(json!({"x-amz-acl": "private"}))).is_empty());
}

#[test]
fn finding_object_key_and_scalar_or_array_envelope() {
    let mut v = object_event(
        "PutObject",
        "a/b.txt",
        json!({"x-amz-acl": ["public-read-write"]}),
    );
    // Older records wrap values in one-element arrays.
    v["eventSource"] = json!(["s3.amazonaws.com"]);
    v["awsRegion"] = json!(["eu-central-1"]);
    let found = detect(&v);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].kind, Kind::ObjectAclPublic);
    assert_eq!(found[0].severity, Severity::Critical);
    assert_eq!(found[0].key.as_deref(), Some("a/b.txt"));
    assert_eq!(found[0].region, "eu-central-1");
}

#[test]
fn finding_account_falls_back_to_user_identity() {
    let mut v = bucket_acl(json!({"x-amz-acl": "public-read"}));
    v.as_object_mut().unwrap().remove("recipientAccountId");
    v["userIdentity"]["accountId"] = json!("444455556666");
    assert_eq!(detect(&v)[0].account, "444455556666");
    v["recipientAccountId"] = json!(ACCOUNT);
    assert_eq!(detect(&v)[0].account, ACCOUNT);
}

#[test]
fn finding_actor_for_each_identity_type() {
    let identities = [
        (
            json!({
                "type": "AssumedRole",
                "principalId": "AROAEXAMPLEID:alice-session",
                "arn": "arn:aws:sts::111122223333:assumed-role/Admin/alice-session",
                "accountId": ACCOUNT,
                "accessKeyId": "ASIAEXAMPLE",
                "sessionContext": {
                    "sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLEID", "arn": "arn:aws:iam::111122223333:role/Admin", "accountId": ACCOUNT, "userName": "Admin"},
                    "attributes": {"creationDate": "2024-05-01T12:00:00Z", "mfaAuthenticated": "false"}
                }
            }),
            "arn:aws:sts::111122223333:assumed-role/Admin/alice-session",
            "AssumedRole",
        ),
        (
            json!({"type": "Root", "principalId": ACCOUNT, "arn": "arn:aws:iam::111122223333:root", "accountId": ACCOUNT, "accessKeyId": "ASIAEXAMPLE"}),
            "arn:aws:iam::111122223333:root",
            "Root",
        ),
        (
            json!({"type": "AWSService", "invokedBy": "cloudformation.amazonaws.com"}),
            "cloudformation.amazonaws.com",
            "AWSService",
        ),
        (
            iam_user(),
            "arn:aws:iam::111122223333:user/alice",
            "IAMUser",
        ),
    ];
    for (identity, arn, kind) in identities {
        let mut v = put_policy(policy_doc(json!([public_read()])));
        v["userIdentity"] = identity;
        let found = detect(&v);
        assert_eq!(found.len(), 1, "{kind}");
        assert_eq!(found[0].actor_arn, arn);
        assert_eq!(found[0].actor_type, kind);
        assert_eq!(found[0].kind, Kind::BucketPolicyPublic);
    }

    let mut v = put_policy(policy_doc(json!([public_read()])));
    v.as_object_mut().unwrap().remove("userIdentity");
    let found = detect(&v);
    assert_eq!(
        (found[0].actor_arn.as_str(), found[0].actor_type.as_str()),
        ("", "")
    );
}

#[test]
fn detect_record_rejects_non_json_and_marks_failures_blocked() {
    let limits = crate::Limits::default();
    assert!(crate::detect_record(b"{\"eventName\":", LOG_FILE, &limits).is_err());
    let mut v = bucket_acl(json!({"x-amz-acl": "public-read"}));
    assert_eq!(detect(&v)[0].exposure, crate::Exposure::Possible);
    v["errorCode"] = json!("AccessDenied");
    let refused = detect(&v);
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].exposure, crate::Exposure::Blocked);
    assert!(
        refused[0].reason.starts_with("refused (AccessDenied): "),
        "{}",
        refused[0].reason
    );
}

// ---------------------------------------------------------------------------
// Access points and Multi-Region Access Points (issue 12). Shapes: the S3
// Control API reference request syntax (`<Operation>Request` body, `name`
// from the URI, `x-amz-account-id` header); the bare shape is accepted too.

const S3CONTROL_NS: &str = "http://awss3control.amazonaws.com/doc/2018-08-20/";

fn control_event(event_name: &str, params: Value) -> Value {
    let mut v = s3_event(event_name, params);
    v["requestParameters"]["Host"] = json!(format!("{ACCOUNT}.s3-control.us-east-1.amazonaws.com"));
    v["requestParameters"]["x-amz-account-id"] = json!(ACCOUNT);
    v.as_object_mut().unwrap().remove("resources");
    v
}

fn create_access_point(body: Value, wrapped: bool) -> Value {
    let mut body = merge(json!({"xmlns": S3CONTROL_NS, "Bucket": BUCKET}), body);
    let params = if wrapped {
        json!({"name": "shared-ap", "CreateAccessPointRequest": body})
    } else {
        body["name"] = json!("shared-ap");
        body
    };
    control_event("CreateAccessPoint", params)
}

#[test]
fn access_point_created_with_a_flag_off() {
    for wrapped in [true, false] {
        for value in [json!(false), json!("false"), json!([false])] {
            let config = json!({"PublicAccessBlockConfiguration": {
                "BlockPublicAcls": true, "IgnorePublicAcls": true,
                "BlockPublicPolicy": value, "RestrictPublicBuckets": true}});
            let e = one(create_access_point(config, wrapped));
            assert_exposure(
                &e,
                Kind::AccessPointBpaDisabled,
                Severity::Medium,
                Some("shared-ap"),
                None,
            );
            assert_mentions(
                &e,
                &[
                    "access point shared-ap on bucket example-bucket",
                    "BlockPublicPolicy off",
                    "fixed for its life",
                ],
            );
            assert!(!e.reason.contains("RestrictPublicBuckets"), "{}", e.reason);
        }
    }
}

#[test]
fn access_point_bpa_omitted_is_on_partial_is_off() {
    // No configuration at all: the four protections are on.
    none(create_access_point(json!({}), true));
    none(create_access_point(json!({}), false));
    let all_on = json!({"PublicAccessBlockConfiguration": bpa_config(&all_flags(json!(true)))});
    none(create_access_point(all_on.clone(), true));
    // A configuration that leaves a flag out: that flag is off.
    let partial = json!({"PublicAccessBlockConfiguration": {"BlockPublicAcls": true, "IgnorePublicAcls": true, "BlockPublicPolicy": true}});
    let e = one(create_access_point(partial, true));
    assert_mentions(&e, &["RestrictPublicBuckets off"]);
    // A refused creation changed nothing.
    let mut refused = create_access_point(json!({"PublicAccessBlockConfiguration": {}}), true);
    refused["errorCode"] = json!("AccessDenied");
    none(refused);
    // Another service's CreateAccessPoint (S3 on Outposts) is not ours.
    let mut outposts = create_access_point(json!({"PublicAccessBlockConfiguration": {}}), true);
    outposts["eventSource"] = json!("s3-outposts.amazonaws.com");
    none(outposts);
}

fn create_mrap(block: Option<Value>, wrapped: bool) -> Value {
    let mut details = json!({"Name": "global-data", "Regions": {"Region": [{"Bucket": BUCKET}, {"Bucket": "replica-bucket"}]}});
    if let Some(block) = block {
        details["PublicAccessBlock"] = block;
    }
    let body = json!({"xmlns": S3CONTROL_NS, "ClientToken": "a1b2c3", "Details": details});
    let params = if wrapped {
        json!({"CreateMultiRegionAccessPointRequest": body})
    } else {
        body
    };
    let mut v = control_event("CreateMultiRegionAccessPoint", params);
    v["awsRegion"] = json!("us-west-2");
    v
}

#[test]
fn mrap_created_with_a_flag_off() {
    for wrapped in [true, false] {
        let e = one(create_mrap(
            Some(
                json!({"BlockPublicAcls": true, "IgnorePublicAcls": true, "BlockPublicPolicy": false, "RestrictPublicBuckets": false}),
            ),
            wrapped,
        ));
        assert_exposure(
            &e,
            Kind::MrapBpaDisabled,
            Severity::Medium,
            Some("global-data"),
            None,
        );
        assert_mentions(
            &e,
            &[
                "Multi-Region Access Point global-data",
                "BlockPublicPolicy, RestrictPublicBuckets off",
            ],
        );
        none(create_mrap(None, wrapped));
        none(create_mrap(
            Some(bpa_config(&all_flags(json!(true)))),
            wrapped,
        ));
    }
}

fn put_mrap_policy(policy: Value, wrapped: bool) -> Value {
    let body = json!({"xmlns": S3CONTROL_NS, "ClientToken": "d4e5f6", "Details": {"Name": "global-data", "Policy": policy}});
    let params = if wrapped {
        json!({"PutMultiRegionAccessPointPolicyRequest": body})
    } else {
        body
    };
    let mut v = control_event("PutMultiRegionAccessPointPolicy", params);
    v["awsRegion"] = json!("us-west-2");
    v
}

#[test]
fn mrap_policy_public_as_string_or_object() {
    let doc = policy_doc(json!([public_read()]));
    for wrapped in [true, false] {
        for policy in [doc.clone(), json!(doc.to_string())] {
            let e = one(put_mrap_policy(policy, wrapped));
            assert_exposure(
                &e,
                Kind::MrapPolicyPublic,
                Severity::High,
                Some("global-data"),
                None,
            );
            assert_mentions(
                &e,
                &["`PublicRead`", "Principal `*`", "asynchronous", "accepted"],
            );
        }
    }
    let restricted = public_read_with(json!({"StringEquals": {"aws:PrincipalAccount": ACCOUNT}}));
    none(put_mrap_policy(policy_doc(json!([restricted])), true));
}

#[test]
fn object_lambda_and_directory_bucket_access_point_policies() {
    let document = policy_doc(json!([access_point_statement()]));
    let mut lambda = put_access_point_policy("olap", &document);
    lambda["eventName"] = json!("PutAccessPointPolicyForObjectLambda");
    let params = lambda["requestParameters"].as_object_mut().unwrap();
    let body = params.remove("PutAccessPointPolicyRequest").unwrap();
    params.insert("PutAccessPointPolicyForObjectLambdaRequest".into(), body);
    assert_eq!(one(lambda).kind, Kind::AccessPointPolicyPublic);

    let mut express = put_access_point_policy("data--use1-az4--xa-s3", &document);
    express["eventSource"] = json!("s3express.amazonaws.com");
    assert_eq!(one(express.clone()).kind, Kind::AccessPointPolicyPublic);
    // Directory buckets have no ACLs to make public: only their policies count.
    let mut acl = bucket_acl(json!({"x-amz-acl": "public-read"}));
    acl["eventSource"] = json!("s3express.amazonaws.com");
    none(acl);
}

// ---------------------------------------------------------------------------
// Foreign accounts (opt-in, with a trusted set).

const TRUSTED: &str = "444455556666";
const FOREIGN: &str = "999988887777";
const TRUSTED_ORG: &str = "o-a1b2c3d4e5";

fn trust() -> Trust {
    Trust::new([TRUSTED.to_owned()], [TRUSTED_ORG.to_owned()])
}

fn foreign_eval(v: Value, trust: &Trust) -> Vec<Hit> {
    let record: Record = serde_json::from_value(v).expect("record parses");
    foreign_hits(&record, trust, LIMITS)
}

#[track_caller]
fn foreign_one(v: Value) -> Hit {
    let mut found = foreign_eval(v.clone(), &trust());
    assert_eq!(found.len(), 1, "expected one foreign grant, got {found:?}");
    // Without a trusted set nothing fires.
    assert!(foreign_eval(v, &Trust::default()).is_empty());
    found.pop().unwrap()
}

#[track_caller]
fn foreign_none(v: Value) {
    let found = foreign_eval(v, &trust());
    assert!(found.is_empty(), "expected no foreign grant, got {found:?}");
}

fn account_statement(principal: Value, condition: Option<Value>) -> Value {
    let mut s = json!({"Sid": "Partner", "Effect": "Allow", "Principal": principal,
        "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": format!("arn:aws:s3:::{BUCKET}/*")});
    if let Some(c) = condition {
        s["Condition"] = c;
    }
    s
}

#[test]
fn policy_grant_to_a_foreign_account() {
    for principal in [
        json!({"AWS": FOREIGN}),
        json!({"AWS": format!("arn:aws:iam::{FOREIGN}:root")}),
        json!({"AWS": [format!("arn:aws:iam::{TRUSTED}:role/reader"), format!("arn:aws:iam::{FOREIGN}:role/x")]}),
    ] {
        let doc = policy_doc(json!([account_statement(principal, None)]));
        for v in [put_policy(doc.clone()), put_policy(json!(doc.to_string()))] {
            let e = foreign_one(v.clone());
            assert_exposure(
                &e,
                Kind::CrossAccountAccess,
                Severity::Medium,
                Some(BUCKET),
                None,
            );
            assert_mentions(
                &e,
                &[
                    "bucket policy statement `Partner`",
                    FOREIGN,
                    "outside the trusted set",
                ],
            );
            assert!(!e.reason.contains(TRUSTED), "{}", e.reason);
            // Not public: the public rule stays silent.
            none(v);
        }
    }
    // A single statement object, write access: high.
    let mut write = account_statement(json!({"AWS": FOREIGN}), None);
    write["Action"] = json!("s3:PutObject");
    assert_eq!(
        foreign_one(put_policy(policy_doc(write))).severity,
        Severity::High
    );
}

#[test]
fn trusted_own_and_org_confined_principals_are_not_foreign() {
    for principal in [
        json!({"AWS": TRUSTED}),
        json!({"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}),
        json!({"Service": "logging.s3.amazonaws.com"}),
    ] {
        foreign_none(put_policy(policy_doc(json!([account_statement(
            principal, None
        )]))));
    }
    let in_org = json!({"StringEquals": {"aws:PrincipalOrgID": TRUSTED_ORG}});
    foreign_none(put_policy(policy_doc(json!([
        account_statement(json!({"AWS": FOREIGN}), Some(in_org.clone())),
        account_statement(json!("*"), Some(in_org))
    ]))));
    // A negated condition confines nothing.
    let not_org = json!({"StringNotEquals": {"aws:PrincipalOrgID": TRUSTED_ORG}});
    foreign_one(put_policy(policy_doc(json!([account_statement(
        json!({"AWS": FOREIGN}),
        Some(not_org)
    )]))));
    // Deny statements grant nothing.
    let mut deny = account_statement(json!({"AWS": FOREIGN}), None);
    deny["Effect"] = json!("Deny");
    foreign_none(put_policy(policy_doc(json!([deny]))));
}

#[test]
fn star_confined_to_a_foreign_organization_or_account() {
    let other_org = json!({"StringEquals": {"aws:PrincipalOrgID": "o-zzzzzzzzzz"}});
    let e = foreign_one(put_policy(policy_doc(json!([account_statement(
        json!("*"),
        Some(other_org)
    )]))));
    assert_mentions(&e, &["organization o-zzzzzzzzzz"]);
    let other_account = json!({"StringEquals": {"aws:PrincipalAccount": [FOREIGN]}});
    let e = foreign_one(put_policy(policy_doc(json!([account_statement(
        json!({"AWS": "*"}),
        Some(other_account)
    )]))));
    assert_mentions(&e, &[&format!("account {FOREIGN}")]);
}

#[test]
fn access_point_mrap_directory_and_table_policies() {
    let doc = policy_doc(json!([account_statement(json!({"AWS": FOREIGN}), None)]));
    let e = foreign_one(put_access_point_policy("shared-ap", &doc));
    assert_eq!(e.bucket.as_deref(), Some("shared-ap"));
    assert_mentions(&e, &["access point policy"]);
    let e = foreign_one(put_mrap_policy(json!(doc.to_string()), true));
    assert_mentions(&e, &["Multi-Region Access Point policy"]);
    let mut express = put_policy(doc.clone());
    express["eventSource"] = json!("s3express.amazonaws.com");
    assert_mentions(&foreign_one(express), &["directory bucket policy"]);
    let table = json!({
        "eventSource": "s3tables.amazonaws.com", "eventName": "PutTableBucketPolicy", "eventID": "t-1",
        "recipientAccountId": ACCOUNT, "awsRegion": "us-east-1",
        "requestParameters": {"tableBucketARN": format!("arn:aws:s3tables:us-east-1:{ACCOUNT}:bucket/analytics"), "resourcePolicy": doc.to_string()}
    });
    let e = foreign_one(table.clone());
    assert_eq!(e.bucket.as_deref(), Some("analytics"));
    assert_mentions(&e, &["table bucket policy"]);
    // The same policy from another service is not ours.
    let mut elsewhere = table;
    elsewhere["eventSource"] = json!("glue.amazonaws.com");
    foreign_none(elsewhere);
}

fn user_grant(id: &str, permission: &str) -> Value {
    json!({"Grantee": {"xsi:type": "CanonicalUser", "ID": id}, "Permission": permission})
}

#[test]
fn acl_grants_to_foreign_canonical_ids_and_emails() {
    const OTHER_ID: &str = "be3f27c8a6b3e1d9ef4b8f3d62d7a1f2c4c1a6e0f8b2d3c4e5f60718293a4b5c";
    // As an array of grants or one grant object.
    for grants in [
        json!([owner_grant("FULL_CONTROL"), user_grant(OTHER_ID, "READ")]),
        user_grant(OTHER_ID, "READ"),
    ] {
        let e = foreign_one(bucket_acl(acp(grants)));
        assert_exposure(
            &e,
            Kind::CrossAccountAccess,
            Severity::Medium,
            Some(BUCKET),
            None,
        );
        assert_mentions(&e, &["grants READ to canonical user be3f27c8a6b3e1d9"]);
    }
    // The record's own canonical ID (the ACL's owner) is not foreign.
    foreign_none(bucket_acl(acp(json!([owner_grant("FULL_CONTROL")]))));
    let email = json!({"Grantee": {"xsi:type": "AmazonCustomerByEmail", "EmailAddress": "partner@example.com"}, "Permission": "WRITE"});
    let e = foreign_one(bucket_acl(acp(json!([owner_grant("FULL_CONTROL"), email]))));
    assert_eq!(e.severity, Severity::High);
    assert_mentions(&e, &["e-mail address partner@example.com"]);
    // Grant headers, on an object upload: an e-mail address is foreign; an
    // ID cannot be told from the owner's own when no owner is logged.
    let e = foreign_one(object_event(
        "PutObject",
        "shared/report.csv",
        json!({"x-amz-grant-read": format!("emailAddress=\"partner@example.com\", id=\"{OTHER_ID}\"")}),
    ));
    assert_eq!(e.key.as_deref(), Some("shared/report.csv"));
    foreign_none(object_event(
        "PutObject",
        "shared/report.csv",
        json!({"x-amz-grant-full-control": format!("id=\"{OWNER_ID}\"")}),
    ));
    // Public groups are the public rule's business.
    foreign_none(bucket_acl(acp(json!([group_grant(ALL_USERS, "READ")]))));
}

fn bucket_config(event_name: &str, config: Value) -> Value {
    s3_event(event_name, bucket_params(config))
}

#[test]
fn deliveries_to_foreign_accounts() {
    let replication = |account: &str| {
        bucket_config(
            "PutBucketReplication",
            json!({"ReplicationConfiguration": {
            "Role": format!("arn:aws:iam::{FOREIGN}:role/replication"),
            "Rule": [{"ID": "all", "Status": "Enabled", "Destination": {"Bucket": "arn:aws:s3:::dr-bucket", "Account": account}}]}}),
        )
    };
    let e = foreign_one(replication(FOREIGN));
    assert_exposure(
        &e,
        Kind::CrossAccountDelivery,
        Severity::High,
        Some(BUCKET),
        None,
    );
    assert_mentions(
        &e,
        &["replication delivers to account 999988887777 (`Account`)"],
    );
    // The role is the source's; the destination's own account or a trusted one is fine.
    foreign_none(replication(ACCOUNT));
    foreign_none(replication(TRUSTED));

    let inventory = bucket_config(
        "PutBucketInventoryConfiguration",
        json!({"InventoryConfiguration": {
        "Destination": {"S3BucketDestination": {"AccountId": [FOREIGN], "Bucket": "arn:aws:s3:::inv", "Format": "CSV"}}}}),
    );
    assert_mentions(&foreign_one(inventory), &["inventory"]);

    let notify = |topic: String| {
        bucket_config(
            "PutBucketNotification",
            json!({"NotificationConfiguration": {
            "TopicConfiguration": {"Topic": topic, "Event": "s3:ObjectCreated:*"}}}),
        )
    };
    let e = foreign_one(notify(format!("arn:aws:sns:us-east-1:{FOREIGN}:ingest")));
    assert_eq!(e.severity, Severity::Medium);
    foreign_none(notify(format!("arn:aws:sns:us-east-1:{ACCOUNT}:ingest")));
    // Logging names its target bucket only: no account to judge.
    foreign_none(bucket_config(
        "PutBucketLogging",
        json!({"BucketLoggingStatus": {"LoggingEnabled": {"TargetBucket": "logs", "TargetPrefix": "x/"}}}),
    ));
}

// ---------------------------------------------------------------------------
// ACLs re-enabled (ownership controls) and the organization level.

fn ownership(object_ownership: Value) -> Value {
    s3_event(
        "PutBucketOwnershipControls",
        bucket_params(json!({"ownershipControls": "",
            "OwnershipControls": {"xmlns": "http://s3.amazonaws.com/doc/2006-03-01/",
                "Rule": {"ObjectOwnership": object_ownership}}})),
    )
}

#[test]
fn ownership_controls_that_enable_acls() {
    let fires = |record: Value, how: &str| {
        let e = one(record);
        assert_exposure(
            &e,
            Kind::BucketAclsEnabled,
            Severity::Medium,
            Some(BUCKET),
            None,
        );
        assert_mentions(&e, &["ACLs take effect again", how]);
    };
    for value in [
        json!("ObjectWriter"),
        json!("BucketOwnerPreferred"),
        json!(["ObjectWriter"]),
    ] {
        fires(ownership(value), "ownership controls were set to");
    }
    none(ownership(json!("BucketOwnerEnforced")));
    none(ownership(json!("bucketownerenforced")));
    let deleted = s3_event(
        "DeleteBucketOwnershipControls",
        bucket_params(json!({"ownershipControls": ""})),
    );
    fires(deleted, "ownership controls were deleted");
}

/// An Organizations record of a management account, shaped like the
/// CloudTrail samples cited in fixtures/README.md ("SCP policy changes").
fn org_event(event_name: &str, params: Value, response: Value) -> Value {
    let mut v = s3_event(event_name, params);
    v["eventSource"] = json!("organizations.amazonaws.com");
    v["responseElements"] = response;
    v["resources"] = Value::Null;
    v
}

fn s3_policy_content(assign: &str) -> String {
    json!({"s3_attributes": {"public_access_block_configuration": {"@@assign": assign}}})
        .to_string()
}

fn updated(policy_type: &str, content: Value) -> Value {
    org_event(
        "UpdatePolicy",
        json!({"policyId": "p-examp1e", "content": content}),
        json!({"policy": {"policySummary": {"id": "p-examp1e", "type": policy_type}, "content": content}}),
    )
}

#[test]
fn org_s3_policy_updated_to_none() {
    let e = one(updated("S3_POLICY", json!(s3_policy_content("none"))));
    assert_exposure(&e, Kind::OrgBpaDisabled, Severity::Critical, None, None);
    assert_mentions(&e, &["p-examp1e", "`none`"]);
    // The content as an object, too.
    let object: Value = serde_json::from_str(&s3_policy_content("none")).unwrap();
    one(updated("S3_POLICY", object));
    none(updated("S3_POLICY", json!(s3_policy_content("all"))));
    // Another policy type with the same content, and an S3 policy whose
    // content is not logged, prove nothing.
    none(updated(
        "SERVICE_CONTROL_POLICY",
        json!(s3_policy_content("none")),
    ));
    none(updated("S3_POLICY", json!("not json")));
    // The same call from another service.
    let mut iot = updated("S3_POLICY", json!(s3_policy_content("none")));
    iot["eventSource"] = json!("iot.amazonaws.com");
    none(iot);
}

#[test]
fn org_s3_policy_type_disabled() {
    let disabled = |policy_type: &str| {
        org_event(
            "DisablePolicyType",
            json!({"rootId": "r-bmrv", "policyType": policy_type}),
            json!({"root": {"id": "r-bmrv", "policyTypes": [{"status": "ENABLED", "type": policy_type}]}}),
        )
    };
    let e = one(disabled("S3_POLICY"));
    assert_exposure(&e, Kind::OrgBpaDisabled, Severity::Critical, None, None);
    assert_mentions(&e, &["r-bmrv"]);
    none(disabled("SERVICE_CONTROL_POLICY"));
}

/// A DetachPolicy names only IDs: judged alone it is no finding (the
/// exposure state decides, tests/exposure.rs), whatever the target.
#[test]
fn org_detach_policy_alone_is_no_finding() {
    for target in ["123456789012", "ou-ab12-cdef3456", "r-bmrv"] {
        let v = org_event(
            "DetachPolicy",
            json!({"policyId": "p-examp1e", "targetId": target}),
            Value::Null,
        );
        let bytes = serde_json::to_vec(&v).unwrap();
        let found = crate::detect_record(&bytes, "f", &crate::Limits::default()).unwrap();
        assert!(found.is_empty(), "{found:?}");
        assert!(rests_on_archive("DetachPolicy"));
    }
}
