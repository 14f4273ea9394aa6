//! The live check (issue 13) end to end against moto_server: buckets are
//! set up in each live state, a log file names each, the function runs on
//! it, and the `exposure` of every SNS message received through the SQS
//! subscription is the one S3 gives now. Every scenario runs twice: through
//! the handler in process, and through the compiled `bootstrap` binary as
//! Lambda runs it, with the same variables in its environment.
//!
//! Where moto answers differently from S3:
//! - its `GetBucketPolicyStatus` calls any statement with a condition not
//!   public (S3 weighs the condition), so a `*` policy conditioned only on
//!   `aws:SecureTransport` is public to trailwatch's rules and not to moto:
//!   the disagreement path, exercised here for real;
//! - S3 Control `GetPublicAccessBlock` answers for the caller's own account
//!   only, which is how the function asks (its own credentials, or the
//!   assumed role's in the bucket's account), so moto suffices;
//! - the opposite disagreement (AWS says public where the rules say not)
//!   and access denied are covered in crates/trailwatch-confirm/tests/stub.rs
//!   with a loopback stub that speaks S3's XML.

mod common;
mod live;

use aws_sdk_s3::types::{BucketCannedAcl, PublicAccessBlockConfiguration};
use common::*;
use live::*;
use serde_json::{json, Value};
use trailwatch_core::LiveStatus;

/// Another account of the "organization", reached through STS AssumeRole.
const MEMBER: &str = "222233334444";

/// `*` with only `aws:SecureTransport`: public to S3 and to the rules.
fn tls_only_policy(bucket: &str) -> Value {
    let mut policy = public_policy(bucket);
    policy["Statement"][0]["Condition"] = json!({"Bool": {"aws:SecureTransport": "true"}});
    policy
}

fn acl_record(id: &str, account: &str, bucket: &str) -> Value {
    record(
        id,
        "PutBucketAcl",
        account,
        json!({"bucketName": bucket, "x-amz-acl": ["public-read"], "acl": [""]}),
    )
}

/// How the function is run on a scenario's log file.
#[derive(Debug, Clone, Copy)]
enum Via {
    /// The handler called in process, on the state `bootstrap` builds.
    Handler,
    /// The compiled `bootstrap` binary, through a loopback Runtime API, with
    /// the same variables in its environment.
    Bootstrap,
}

/// Each scenario as two tests, `<scenario>::handler` and
/// `<scenario>::bootstrap`, each on its own moto_server.
macro_rules! through_both {
    ($($scenario:ident),+ $(,)?) => {$(
        mod $scenario {
            #[tokio::test]
            async fn handler() {
                super::$scenario(super::Via::Handler).await;
            }

            #[tokio::test]
            async fn bootstrap() {
                super::$scenario(super::Via::Bootstrap).await;
            }
        }
    )+};
}

through_both!(
    each_live_state_gives_its_exposure,
    the_account_bpa_read_through_s3_control_neutralises,
    an_account_bpa_deletion_names_the_buckets_it_leaves_public,
    an_org_s3_policy_detached_names_the_buckets_it_leaves_public,
    another_accounts_bucket_needs_the_confirm_role,
);

/// Stores `records` as a log file of the trail bucket and runs the function
/// (with `vars`, `via` the handler or the binary) on its notification;
/// returns the alerts by event ID.
async fn run(stack: &Stack, records: &[Value], vars: &[(&str, &str)], via: Via) -> Vec<Delivered> {
    store_log(stack, records).await;
    let (_, notifications) = stack.s3_notifications().await;
    let mut all = vec![("TRAILWATCH_CONFIRM", "on")];
    all.extend_from_slice(vars);
    let event = sqs_event(&stack.notifications, &[&notifications[0]]);
    let response = match via {
        Via::Handler => invoke(&stack.app(&all).await, event)
            .await
            .expect("an SQS batch response"),
        Via::Bootstrap => stack.invoke_bootstrap(&all, event).await.response(),
    };
    assert_eq!(batch_item_failures(&response), Vec::<String>::new());
    let alerts = stack.alerts().await;
    alerts.iter().for_each(assert_well_formed);
    alerts
}

fn by_id<'a>(alerts: &'a [Delivered], id: &str) -> &'a Delivered {
    alerts
        .iter()
        .find(|a| a.finding.event_id == id)
        .unwrap_or_else(|| panic!("no alert for {id}: {alerts:#?}"))
}

/// The alert's `exposure` attribute, checked against its finding and live check.
fn exposure(alert: &Delivered) -> &str {
    let attribute = alert
        .attributes
        .get("exposure")
        .expect("an exposure attribute");
    assert_eq!(attribute, alert.finding.exposure.as_str());
    attribute
}

fn bpa(ignore_acls: bool, restrict: bool) -> PublicAccessBlockConfiguration {
    PublicAccessBlockConfiguration::builder()
        .block_public_acls(false)
        .block_public_policy(false)
        .ignore_public_acls(ignore_acls)
        .restrict_public_buckets(restrict)
        .build()
}

async fn put_bucket_bpa(s3: &aws_sdk_s3::Client, bucket: &str, ignore_acls: bool, restrict: bool) {
    s3.put_public_access_block()
        .bucket(bucket)
        .public_access_block_configuration(bpa(ignore_acls, restrict))
        .send()
        .await
        .expect("PutPublicAccessBlock");
}

async fn each_live_state_gives_its_exposure(via: Via) {
    let moto = MotoServer::start();
    let stack = Stack::new(&moto, "confirm").await;
    let s3 = &stack.s3;

    // Public policy, no BPA anywhere.
    create(s3, "live-open").await;
    put_policy(s3, "live-open", &public_policy("live-open")).await;
    // Public policy under the bucket's RestrictPublicBuckets.
    create(s3, "live-restricted").await;
    put_policy(s3, "live-restricted", &public_policy("live-restricted")).await;
    put_bucket_bpa(s3, "live-restricted", false, true).await;
    // The policy was deleted since.
    create(s3, "live-unpoliced").await;
    put_policy(s3, "live-unpoliced", &public_policy("live-unpoliced")).await;
    s3.delete_bucket_policy()
        .bucket("live-unpoliced")
        .send()
        .await
        .expect("DeleteBucketPolicy");
    // The bucket was deleted since.
    create(s3, "live-gone").await;
    s3.delete_bucket()
        .bucket("live-gone")
        .send()
        .await
        .expect("DeleteBucket");
    // A public ACL under the bucket's IgnorePublicAcls.
    create(s3, "live-acl").await;
    s3.put_bucket_acl()
        .bucket("live-acl")
        .acl(BucketCannedAcl::PublicRead)
        .send()
        .await
        .expect("PutBucketAcl");
    put_bucket_bpa(s3, "live-acl", true, false).await;
    // `*` with only SecureTransport: moto's GetBucketPolicyStatus says not public.
    create(s3, "live-tls").await;
    put_policy(s3, "live-tls", &tls_only_policy("live-tls")).await;

    let records = [
        policy_record("e-open", HOME, "live-open", &public_policy("live-open")),
        policy_record(
            "e-restricted",
            HOME,
            "live-restricted",
            &public_policy("live-restricted"),
        ),
        policy_record(
            "e-unpoliced",
            HOME,
            "live-unpoliced",
            &public_policy("live-unpoliced"),
        ),
        policy_record("e-gone", HOME, "live-gone", &public_policy("live-gone")),
        acl_record("e-acl", HOME, "live-acl"),
        policy_record("e-tls", HOME, "live-tls", &tls_only_policy("live-tls")),
    ];
    let alerts = run(&stack, &records, &[], via).await;
    assert_eq!(alerts.len(), records.len(), "{alerts:#?}");
    for (id, want) in [
        ("e-open", "effective"),
        ("e-restricted", "latent"),
        ("e-unpoliced", "closed"),
        ("e-gone", "closed"),
        ("e-acl", "latent"),
        ("e-tls", "effective"),
    ] {
        let alert = by_id(&alerts, id);
        assert_eq!(
            exposure(alert),
            want,
            "{id}: {:#?}",
            alert.finding.live_check
        );
        let live = alert.finding.live_check.as_ref().expect("a live check");
        assert_eq!(live.status.as_str(), want, "{id}");
        assert!(!live.checked_at.is_empty());
    }
    let restricted = by_id(&alerts, "e-restricted")
        .finding
        .live_check
        .clone()
        .unwrap();
    assert!(
        restricted.detail.contains("bucket RestrictPublicBuckets"),
        "{}",
        restricted.detail
    );
    assert_eq!(restricted.checked.len(), 6, "{:?}", restricted.checked);
    let acl = by_id(&alerts, "e-acl").finding.live_check.clone().unwrap();
    assert!(
        acl.detail.contains("bucket IgnorePublicAcls"),
        "{}",
        acl.detail
    );
    let gone = by_id(&alerts, "e-gone").finding.live_check.clone().unwrap();
    assert_eq!(gone.detail, "the bucket no longer exists");
    let tls = by_id(&alerts, "e-tls").finding.live_check.clone().unwrap();
    assert!(
        tls.detail
            .contains("GetBucketPolicyStatus says not public where trailwatch's rules say public"),
        "{}",
        tls.detail
    );

    // TRAILWATCH_ALERT_LATENT=false: the two latent ones are not sent.
    let alerts = run(
        &stack,
        &records,
        &[("TRAILWATCH_ALERT_LATENT", "false")],
        via,
    )
    .await;
    let mut ids: Vec<&str> = alerts.iter().map(|a| a.finding.event_id.as_str()).collect();
    ids.sort();
    assert_eq!(ids, ["e-gone", "e-open", "e-tls", "e-unpoliced"]);

    // TRAILWATCH_CONFIRM=off: the records' verdicts, no live check.
    let alerts = run(&stack, &records, &[("TRAILWATCH_CONFIRM", "off")], via).await;
    assert_eq!(alerts.len(), records.len());
    assert!(alerts.iter().all(|a| a.finding.live_check.is_none()));
    assert_eq!(exposure(by_id(&alerts, "e-gone")), "possible");
}

async fn the_account_bpa_read_through_s3_control_neutralises(via: Via) {
    let moto = MotoServer::start();
    let stack = Stack::new(&moto, "confirm-account").await;
    create(&stack.s3, "acct-open").await;
    put_policy(&stack.s3, "acct-open", &public_policy("acct-open")).await;
    // Through the product's own S3 Control client: with the endpoint
    // override the SDK would send this to `123456789012.127.0.0.1`.
    trailwatch_confirm::s3control_client(&stack.sdk)
        .put_public_access_block()
        .account_id(HOME)
        .public_access_block_configuration(
            aws_sdk_s3control::types::PublicAccessBlockConfiguration::builder()
                .restrict_public_buckets(true)
                .ignore_public_acls(true)
                .build(),
        )
        .send()
        .await
        .expect("S3 Control PutPublicAccessBlock");
    let alerts = run(
        &stack,
        &[policy_record(
            "e-acct",
            HOME,
            "acct-open",
            &public_policy("acct-open"),
        )],
        &[],
        via,
    )
    .await;
    let alert = by_id(&alerts, "e-acct");
    assert_eq!(exposure(alert), "latent");
    let live = alert.finding.live_check.as_ref().unwrap();
    assert!(
        live.detail.contains("account RestrictPublicBuckets"),
        "{}",
        live.detail
    );
    assert!(
        live.checked.iter().any(|c| c
            == "S3 Control GetPublicAccessBlock: IgnorePublicAcls=true RestrictPublicBuckets=true"),
        "{:?}",
        live.checked
    );
}

async fn an_account_bpa_deletion_names_the_buckets_it_leaves_public(via: Via) {
    let moto = MotoServer::start();
    let stack = Stack::new(&moto, "confirm-list").await;
    for bucket in ["list-public", "list-private-a", "list-private-b"] {
        create(&stack.s3, bucket).await;
    }
    put_policy(&stack.s3, "list-public", &public_policy("list-public")).await;
    let alerts = run(
        &stack,
        &[record(
            "e-del",
            "DeleteAccountPublicAccessBlock",
            HOME,
            json!({"accountId": HOME}),
        )],
        &[],
        via,
    )
    .await;
    assert_eq!(alerts.len(), 1, "one alert for the account: {alerts:#?}");
    let alert = &alerts[0];
    assert_eq!(alert.finding.kind.as_str(), "account-bpa-disabled");
    assert_eq!(exposure(alert), "effective");
    let live = alert.finding.live_check.as_ref().unwrap();
    assert!(
        live.detail.ends_with("are public now: list-public"),
        "{}",
        live.detail
    );
    // The three buckets and the trail bucket itself.
    assert_eq!(
        live.checked[0], "ListBuckets: 4 buckets, 4 checked",
        "{:?}",
        live.checked
    );
    assert!(
        live.checked.contains(&"effective: list-public".to_owned()),
        "{:?}",
        live.checked
    );
}

/// An Organizations record of the management account `MANAGEMENT`, in the
/// shape of the CloudTrail samples cited in fixtures/README.md.
fn org_record(id: &str, name: &str, params: Value, response: Value) -> Value {
    let mut r = record(id, name, MANAGEMENT, params);
    r["eventSource"] = json!("organizations.amazonaws.com");
    r["responseElements"] = response;
    r
}

/// The organization's management account (not the function's).
const MANAGEMENT: &str = "999900001111";

/// An S3 policy detached from the function's account is checked like an
/// account BPA deletion: the account's buckets are listed and the public
/// ones named. An S3 policy updated to `none` reaches accounts the logs do
/// not name: unverifiable, saying why.
async fn an_org_s3_policy_detached_names_the_buckets_it_leaves_public(via: Via) {
    let moto = MotoServer::start();
    let stack = Stack::new(&moto, "confirm-org").await;
    for bucket in ["org-public", "org-private"] {
        create(&stack.s3, bucket).await;
    }
    put_policy(&stack.s3, "org-public", &public_policy("org-public")).await;
    let content = |assign: &str| {
        json!({"s3_attributes": {"public_access_block_configuration": {"@@assign": assign}}})
            .to_string()
    };
    let policy = |assign: &str| {
        json!({"policy": {"policySummary": {"id": "p-s3bpa0001", "type": "S3_POLICY"},
            "content": content(assign)}})
    };
    let alerts = run(
        &stack,
        &[
            org_record(
                "e-create",
                "CreatePolicy",
                json!({"name": "bpa", "type": "S3_POLICY", "content": content("all")}),
                policy("all"),
            ),
            org_record(
                "e-detach",
                "DetachPolicy",
                json!({"policyId": "p-s3bpa0001", "targetId": HOME}),
                Value::Null,
            ),
            org_record(
                "e-none",
                "UpdatePolicy",
                json!({"policyId": "p-s3bpa0001", "content": content("none")}),
                policy("none"),
            ),
        ],
        &[],
        via,
    )
    .await;
    assert_eq!(alerts.len(), 2, "{alerts:#?}");
    let detached = alerts
        .iter()
        .find(|a| a.finding.event_id == "e-detach")
        .unwrap();
    assert_eq!(detached.finding.kind.as_str(), "org-bpa-disabled");
    assert_eq!(detached.finding.account, HOME);
    assert_eq!(exposure(detached), "effective");
    let live = detached.finding.live_check.as_ref().unwrap();
    assert!(
        live.detail.ends_with("are public now: org-public"),
        "{}",
        live.detail
    );
    let updated = alerts
        .iter()
        .find(|a| a.finding.event_id == "e-none")
        .unwrap();
    assert_eq!(updated.finding.account, MANAGEMENT);
    let live = updated.finding.live_check.as_ref().unwrap();
    assert_eq!(live.status, LiveStatus::Unverifiable);
    assert!(
        live.detail.contains("does not list them"),
        "{}",
        live.detail
    );
}

/// Credentials for `account` from moto's STS (moto keeps accounts apart by
/// access key; an assumed role's keys belong to the role's account).
async fn member_s3(stack: &Stack) -> aws_sdk_s3::Client {
    let creds = aws_sdk_sts::Client::new(&stack.sdk)
        .assume_role()
        .role_arn(format!("arn:aws:iam::{MEMBER}:role/setup"))
        .role_session_name("setup")
        .send()
        .await
        .expect("AssumeRole")
        .credentials
        .expect("credentials");
    let sdk = stack
        .sdk
        .to_builder()
        .credentials_provider(aws_sdk_s3::config::SharedCredentialsProvider::new(
            aws_sdk_s3::config::Credentials::new(
                creds.access_key_id(),
                creds.secret_access_key(),
                Some(creds.session_token().to_owned()),
                None,
                "test",
            ),
        ))
        .build();
    trailwatch_aws::s3_client(&sdk)
}

async fn another_accounts_bucket_needs_the_confirm_role(via: Via) {
    let moto = MotoServer::start();
    let stack = Stack::new(&moto, "confirm-org").await;
    let member = member_s3(&stack).await;
    create(&member, "member-open").await;
    put_policy(&member, "member-open", &public_policy("member-open")).await;
    let records = [policy_record(
        "e-member",
        MEMBER,
        "member-open",
        &public_policy("member-open"),
    )];

    // Without TRAILWATCH_CONFIRM_ROLE: the record's verdict, and how to enable it.
    let alerts = run(&stack, &records, &[], via).await;
    let alert = by_id(&alerts, "e-member");
    assert_eq!(exposure(alert), "possible");
    let live = alert.finding.live_check.as_ref().unwrap();
    assert_eq!(live.status, LiveStatus::Unverifiable);
    assert!(
        live.detail.contains("set TRAILWATCH_CONFIRM_ROLE"),
        "{}",
        live.detail
    );
    assert!(live.detail.contains(MEMBER), "{}", live.detail);

    // With it: the role in the member account is assumed, and S3 answers there.
    let alerts = run(
        &stack,
        &records,
        &[
            (
                "TRAILWATCH_CONFIRM_ROLE",
                "arn:aws:iam::{account}:role/trailwatch-confirm",
            ),
            ("TRAILWATCH_CONFIRM_EXTERNAL_ID", "trailwatch-test"),
        ],
        via,
    )
    .await;
    let alert = by_id(&alerts, "e-member");
    assert_eq!(
        exposure(alert),
        "effective",
        "{:#?}",
        alert.finding.live_check
    );
}
