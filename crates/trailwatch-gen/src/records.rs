//! CloudTrail record templates, ported from `fixtures/make_fixtures.py`:
//! the same services, identities, user agents and era-dependent shapes,
//! written straight to compact JSON in CloudTrail's field order.

use crate::json::{arr, arr_s, q, spaced, Obj};
use crate::rng::{stable_hash, Rng};
use crate::time::{iso, java_date, stamp, ts};

/// The trail bucket the logs are delivered to.
pub const TRAIL_BUCKET: &str = "trail-bucket-example";
/// The trail's name.
pub const TRAIL_NAME: &str = "management-events";
/// The organization of the org-trail account.
pub const ORG_ID: &str = "o-abc123def4";

const ALLUSERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
const AUTHUSERS: &str = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
const LOGDELIVERY: &str = "http://acs.amazonaws.com/groups/s3/LogDelivery";
const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
const S3NS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";
const S3CTLNS: &str = "http://awss3control.amazonaws.com/doc/2018-08-20/";
const SSO_ROLE: &str = "AWSReservedSSO_AdministratorAccess_5a1b2c3d4e5f6a7b";
const SSO_RO_ROLE: &str = "AWSReservedSSO_ReadOnlyAccess_0f9e8d7c6b5a4f3e";
const DENIED: (&str, &str) = ("AccessDenied", "Access Denied");

/// Record shapes change over the years.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Era {
    /// Before 2020: header values as one-element arrays, lowercase `host`.
    Old,
    /// 2020 to August 2021: scalars, `Host`, `managementEvent`.
    Mid,
    /// From September 2021: plus `eventCategory` and `tlsDetails`.
    New,
}

/// The era of an event time.
pub fn era_of(t: i64) -> Era {
    if t < ts(2020, 1, 1, 0, 0) {
        Era::Old
    } else if t < ts(2021, 9, 1, 0, 0) {
        Era::Mid
    } else {
        Era::New
    }
}

fn ev_version(t: i64) -> &'static str {
    if t < ts(2020, 1, 1, 0, 0) {
        "1.05"
    } else if t < ts(2021, 1, 1, 0, 0) {
        "1.07"
    } else if t < ts(2023, 1, 1, 0, 0) {
        "1.08"
    } else if t < ts(2024, 7, 1, 0, 0) {
        "1.09"
    } else if t < ts(2025, 1, 1, 0, 0) {
        "1.10"
    } else {
        "1.11"
    }
}

/// What a record is, known from how it was built (never from parsing it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Class {
    /// Ordinary activity of every other kind.
    Noise,
    /// Another service's record that mentions S3 permission event names,
    /// `"Principal":"*"`, ACL headers and the like (IAM, EventBridge, Logs,
    /// Lightsail, S3 on Outposts, SNS, KMS, CloudTrail LookupEvents).
    Decoy,
    /// A successful S3 permission change that makes something public.
    Exposing,
    /// A successful S3 permission change that does not.
    Harmless,
    /// An S3 permission change that failed (`errorCode`).
    Failed,
}

/// One generated record's identity and ground truth.
#[derive(Debug, Clone)]
pub struct RecordInfo {
    /// `eventID`.
    pub event_id: String,
    /// `eventName`.
    pub event_name: &'static str,
    /// `eventSource`.
    pub event_source: &'static str,
    /// Event time (Unix seconds).
    pub time: i64,
    /// What it is.
    pub class: Class,
    /// The finding kind it must produce (exposing records only).
    pub kind: Option<&'static str>,
    /// Whether the natural filter (S3 source, permission-change name or an
    /// upload with an ACL header, no `errorCode`) selects it.
    pub candidate: bool,
}

/// Where and when records are being written.
pub struct Ctx<'r> {
    /// The random stream.
    pub rng: &'r mut Rng,
    /// Account ID.
    pub acct: &'static str,
    /// Region.
    pub region: &'static str,
    /// Delivery time of the file (Unix seconds).
    pub deliver: i64,
    /// Era of the file.
    pub era: Era,
}

impl Ctx<'_> {
    /// An event time 1 to 14 minutes before delivery.
    fn t(&mut self) -> i64 {
        self.deliver - self.rng.range(60, 840)
    }
    fn old(&self) -> bool {
        self.era == Era::Old
    }
}

// ---------------------------------------------------------------------------
// identifiers

fn stable_chars(prefix: &str, key: &str, n: usize, upper_digits: bool) -> String {
    let mut r = Rng::new(stable_hash(key));
    let body = if upper_digits {
        r.upper_digits(n)
    } else {
        r.hex(n)
    };
    format!("{prefix}{body}")
}

fn unique_id(prefix: &str, key: &str) -> String {
    stable_chars(prefix, key, 17, true)
}

fn canon(acct: &str) -> String {
    stable_chars("", &format!("canon/{acct}"), 64, false)
}

fn key_id(r: &mut Rng, prefix: &str) -> String {
    format!("{prefix}{}", r.b32(16))
}

fn pub_ip(r: &mut Rng) -> String {
    const FIRST: [u8; 24] = [
        3, 13, 18, 34, 35, 44, 52, 54, 81, 82, 86, 91, 92, 94, 100, 104, 136, 145, 176, 185, 194,
        203, 212, 213,
    ];
    format!(
        "{}.{}.{}.{}",
        r.pick(&FIRST),
        r.range(0, 255),
        r.range(0, 255),
        r.range(1, 254)
    )
}

// ---------------------------------------------------------------------------
// identities

fn role_path(role: &str) -> &'static str {
    if role.starts_with("AWSReservedSSO_") {
        "/aws-reserved/sso.amazonaws.com/"
    } else if role.ends_with("-exec") {
        "/service-role/"
    } else {
        "/"
    }
}

#[derive(Default, Clone, Copy)]
struct RoleOpts {
    mfa: bool,
    ec2: bool,
    web: bool,
}

fn ident_role(c: &mut Ctx, role: &str, session: &str, when: i64, o: RoleOpts) -> String {
    let acct = c.acct;
    let rid = unique_id("AROA", &format!("{acct}/role/{role}"));
    let issuer = Obj::new()
        .s("type", "Role")
        .s("principalId", &rid)
        .s(
            "arn",
            &format!("arn:aws:iam::{acct}:role{}{role}", role_path(role)),
        )
        .s("accountId", acct)
        .s("userName", role)
        .end();
    let created = iso(when - c.rng.range(120, 3300));
    let mfa = if o.mfa { "true" } else { "false" };
    let sc = if c.old() {
        Obj::new()
            .raw(
                "attributes",
                &Obj::new()
                    .s("mfaAuthenticated", mfa)
                    .s("creationDate", &created)
                    .end(),
            )
            .raw("sessionIssuer", &issuer)
            .end()
    } else {
        let web = if o.web {
            Obj::new()
                .s(
                    "federatedProvider",
                    &format!(
                        "arn:aws:iam::{acct}:oidc-provider/token.actions.githubusercontent.com"
                    ),
                )
                .raw("attributes", "{}")
                .end()
        } else {
            "{}".to_owned()
        };
        let mut o2 = Obj::new()
            .raw("sessionIssuer", &issuer)
            .raw("webIdFederationData", &web)
            .raw(
                "attributes",
                &Obj::new()
                    .s("creationDate", &created)
                    .s("mfaAuthenticated", mfa)
                    .end(),
            );
        if o.ec2 {
            o2 = o2.s("ec2RoleDelivery", "2.0");
        }
        o2.end()
    };
    let akid = key_id(c.rng, "ASIA");
    Obj::new()
        .s("type", "AssumedRole")
        .s("principalId", &format!("{rid}:{session}"))
        .s(
            "arn",
            &format!("arn:aws:sts::{acct}:assumed-role/{role}/{session}"),
        )
        .s("accountId", acct)
        .s("accessKeyId", &akid)
        .raw("sessionContext", &sc)
        .end()
}

fn session_ctx(c: &mut Ctx, when: i64, mfa: bool, issuer: Option<&str>) -> String {
    let created = iso(when - c.rng.range(60, 12000));
    let mfa = if mfa { "true" } else { "false" };
    if c.old() {
        let o = Obj::new().raw(
            "attributes",
            &Obj::new()
                .s("mfaAuthenticated", mfa)
                .s("creationDate", &created)
                .end(),
        );
        o.opt_raw("sessionIssuer", issuer).end()
    } else {
        Obj::new()
            .raw("sessionIssuer", issuer.unwrap_or("{}"))
            .raw("webIdFederationData", "{}")
            .raw(
                "attributes",
                &Obj::new()
                    .s("creationDate", &created)
                    .s("mfaAuthenticated", mfa)
                    .end(),
            )
            .end()
    }
}

fn ident_user(c: &mut Ctx, name: &str, when: i64, console: bool) -> String {
    let acct = c.acct;
    let pid = unique_id("AIDA", &format!("{acct}/user/{name}"));
    let o = Obj::new()
        .s("type", "IAMUser")
        .s("principalId", &pid)
        .s("arn", &format!("arn:aws:iam::{acct}:user/{name}"))
        .s("accountId", acct);
    if console {
        let akid = key_id(c.rng, "ASIA");
        let sc = session_ctx(c, when, true, None);
        o.s("accessKeyId", &akid)
            .s("userName", name)
            .raw("sessionContext", &sc)
            .end()
    } else {
        let akid = stable_chars("AKIA", &format!("{acct}/akid/{name}"), 16, true);
        o.s("accessKeyId", &akid).s("userName", name).end()
    }
}

fn ident_root(c: &mut Ctx, when: i64) -> String {
    let acct = c.acct;
    let akid = key_id(c.rng, "ASIA");
    let sc = session_ctx(c, when, true, None);
    Obj::new()
        .s("type", "Root")
        .s("principalId", acct)
        .s("arn", &format!("arn:aws:iam::{acct}:root"))
        .s("accountId", acct)
        .s("accessKeyId", &akid)
        .raw("sessionContext", &sc)
        .end()
}

fn ident_service(svc: &str) -> String {
    Obj::new().s("type", "AWSService").s("invokedBy", svc).end()
}

// ---------------------------------------------------------------------------
// user agents

fn year_of(t: i64) -> i64 {
    crate::time::parts(t).0
}

fn ua_cli(c: &mut Ctx, when: i64, command: &str) -> String {
    let r = &mut *c.rng;
    if when < ts(2020, 3, 1, 0, 0) {
        let minor = match year_of(when) {
            ..=2017 => 11,
            2018 => 14,
            _ => 16,
        };
        return format!(
            "aws-cli/1.{minor}.{} Python/2.7.{} Linux/4.{}.0-{}-generic botocore/1.{}.{}",
            r.range(1, 96),
            r.range(12, 15),
            r.range(4, 15),
            r.range(100, 146),
            minor - 4,
            r.range(1, 90)
        );
    }
    format!(
        "aws-cli/2.{}.{} Python/3.11.{} Linux/6.5.0-1016-aws exe/x86_64.ubuntu.22 prompt/off command/{command}",
        r.range(9, 17),
        r.range(0, 40),
        r.range(4, 8)
    )
}

fn ua_terraform(c: &mut Ctx, when: i64, api: &str) -> String {
    let r = &mut *c.rng;
    if when < ts(2021, 1, 1, 0, 0) {
        let (sdk, go, tf) = match year_of(when) {
            ..=2018 => (14, 10, 11),
            2019 => (25, 12, 12),
            _ => (33, 14, 13),
        };
        return format!(
            "aws-sdk-go/1.{}.{} (go1.{go}; linux; amd64) APN/1.0 HashiCorp/1.0 Terraform/0.{tf}.{} (+https://www.terraform.io)",
            sdk + r.range(0, 3),
            r.range(1, 40),
            r.range(1, 14)
        );
    }
    format!(
        "APN/1.0 HashiCorp/1.0 Terraform/1.{}.{} (+https://www.terraform.io) terraform-provider-aws/5.{}.0 \
         (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.{}.{} os/linux lang/go#1.21.{} \
         md/GOOS#linux md/GOARCH#amd64 api/{api}",
        r.range(3, 9),
        r.range(0, 6),
        r.range(20, 80),
        r.range(20, 36),
        r.range(0, 9),
        r.range(1, 9)
    )
}

fn ua_boto(c: &mut Ctx, when: i64, env: &str) -> String {
    let r = &mut *c.rng;
    let v = r.range(20, 35);
    if when < ts(2021, 1, 1, 0, 0) {
        let py = if year_of(when) < 2019 { "3.6" } else { "3.7" };
        return format!(
            "Boto3/1.{}.{} Python/{py}.{} Linux/4.14.{}-{}.ec2.x86_64 exec-env/AWS_Lambda_python{py} Botocore/1.{}.{}",
            if year_of(when) < 2020 { 9 } else { 14 },
            r.range(1, 60),
            r.range(3, 9),
            r.range(100, 200),
            r.range(80, 150),
            if year_of(when) < 2020 { 12 } else { 17 },
            r.range(1, 60)
        );
    }
    format!(
        "Boto3/1.{v}.{} md/Botocore#1.{v}.{} ua/2.0 os/linux#5.10.210-201.852.amzn2.x86_64 md/arch#x86_64 \
         lang/python#3.12.2 md/pyimpl#CPython exec-env/{env} cfg/retry-mode#legacy Botocore/1.{v}.{}",
        r.range(0, 90),
        r.range(0, 90),
        r.range(0, 90)
    )
}

fn ua_s3console(c: &mut Ctx, when: i64) -> String {
    let r = &mut *c.rng;
    format!(
        "[S3Console/0.4, aws-internal/3 aws-sdk-java/1.{}.{} Linux/5.10.{}-{}.amzn2int.x86_64 \
         OpenJDK_64-Bit_Server_VM/25.{}-b08 java/1.8.0_{} vendor/Oracle_Corporation cfg/retry-mode/standard]",
        if when < ts(2021, 1, 1, 0, 0) { 11 } else { 12 },
        r.range(100, 700),
        r.range(100, 240),
        r.range(100, 900),
        r.range(200, 400),
        r.range(200, 400)
    )
}

const UA_JAVA: &str = "aws-sdk-java/2.20.162 Linux/5.10.209-198.812.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.8+7-LTS \
Java/17.0.8 vendor/Amazon.com_Inc. md/internal exec-env/AWS_ECS_FARGATE io/sync http/Apache cfg/retry-mode/standard";
const UA_JS: &str =
    "aws-sdk-js/3.540.0 ua/2.0 os/linux#5.10 lang/js md/nodejs#20.11.1 api/s3#3.540.0";
const UA_SSM: &str = "aws-sdk-go/1.44.260 (go1.20.8; linux; amd64) amazon-ssm-agent/";
const UA_BROWSER: &str =
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) \
Chrome/122.0.0.0 Safari/537.36";

fn s3ua(ua: String) -> String {
    if ua.starts_with('[') || !ua.contains(' ') || ua.starts_with("AWS Internal") {
        ua
    } else {
        format!("[{ua}]")
    }
}

// ---------------------------------------------------------------------------
// the generic record

struct Base {
    when: i64,
    ident: Option<String>,
    source: &'static str,
    name: &'static str,
    ip: String,
    ua: String,
    req: Option<String>,
    resp: Option<String>,
    add: Option<String>,
    read_only: Option<bool>,
    resources: Option<String>,
    etype: &'static str,
    mgmt: bool,
    error: Option<(&'static str, &'static str)>,
    request_id: Option<String>,
    tls_host: Option<String>,
    shared: bool,
    vpce: Option<String>,
    console: bool,
    service_details: Option<String>,
}

impl Base {
    fn new(when: i64, source: &'static str, name: &'static str) -> Base {
        Base {
            when,
            ident: None,
            source,
            name,
            ip: String::new(),
            ua: String::new(),
            req: None,
            resp: None,
            add: None,
            read_only: None,
            resources: None,
            etype: "AwsApiCall",
            mgmt: true,
            error: None,
            request_id: None,
            tls_host: None,
            shared: false,
            vpce: None,
            console: false,
            service_details: None,
        }
    }
}

fn tls(c: &mut Ctx, host: &str, when: i64) -> String {
    let (v, suite) = if when >= ts(2023, 1, 1, 0, 0) && c.rng.chance(0.7) {
        ("TLSv1.3", "TLS_AES_128_GCM_SHA256")
    } else {
        ("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256")
    };
    Obj::new()
        .s("tlsVersion", v)
        .s("cipherSuite", suite)
        .s("clientProvidedHostHeader", host)
        .end()
}

/// Writes the record and says what it is.
fn emit(
    c: &mut Ctx,
    b: Base,
    out: &mut String,
    class: Class,
    kind: Option<&'static str>,
) -> RecordInfo {
    let era = c.era;
    let s3_mgmt_old = era == Era::Old && b.source == "s3.amazonaws.com" && b.mgmt;
    let mut o = Obj::new().s("eventVersion", ev_version(b.when));
    if let Some(ident) = &b.ident {
        o = o.raw("userIdentity", ident);
    }
    o = o
        .s("eventTime", &iso(b.when))
        .s("eventSource", b.source)
        .s("eventName", b.name)
        .s("awsRegion", c.region)
        .s("sourceIPAddress", &b.ip)
        .s("userAgent", &b.ua);
    if let Some((code, message)) = b.error {
        o = o.s("errorCode", code).s("errorMessage", message);
    }
    o = o
        .raw("requestParameters", b.req.as_deref().unwrap_or("null"))
        .raw("responseElements", b.resp.as_deref().unwrap_or("null"))
        .opt_raw("additionalEventData", b.add.as_deref());
    let request_id = b.request_id.clone().unwrap_or_else(|| c.rng.uuid());
    let event_id = c.rng.uuid();
    o = o.s("requestID", &request_id).s("eventID", &event_id);
    if let Some(ro) = b.read_only {
        if !s3_mgmt_old {
            o = o.b("readOnly", ro);
        }
    }
    if let Some(res) = &b.resources {
        if era != Era::Old || (!s3_mgmt_old && b.source == "s3.amazonaws.com") {
            o = o.raw("resources", res);
        }
    }
    o = o.s("eventType", b.etype);
    if era != Era::Old {
        o = o.b("managementEvent", b.mgmt);
    }
    o = o.s("recipientAccountId", c.acct);
    if let Some(sd) = &b.service_details {
        o = o.raw("serviceEventDetails", sd);
    }
    if b.shared {
        let shared = c.rng.uuid();
        o = o.s("sharedEventID", &shared);
    }
    if let Some(vpce) = &b.vpce {
        o = o.s("vpcEndpointId", vpce);
        if era == Era::New {
            o = o.s("vpcEndpointAccountId", c.acct);
        }
    }
    if era == Era::New {
        o = o.s("eventCategory", if b.mgmt { "Management" } else { "Data" });
        if let Some(host) = &b.tls_host {
            let t = tls(c, host, b.when);
            o = o.raw("tlsDetails", &t);
        }
        if b.console {
            o = o.s("sessionCredentialFromConsole", "true");
        }
    }
    out.push_str(&o.end());
    RecordInfo {
        event_id,
        event_name: b.name,
        event_source: b.source,
        time: b.when,
        class,
        kind,
        candidate: matches!(class, Class::Exposing | Class::Harmless),
    }
}

// ---------------------------------------------------------------------------
// S3 records

fn s3_host(c: &Ctx, bucket: Option<&str>, path_style: bool) -> String {
    let region = c.region;
    if c.old() {
        return match (bucket, path_style) {
            (Some(b), false) if region == "us-east-1" => format!("{b}.s3.amazonaws.com"),
            (Some(b), false) => format!("{b}.s3-{region}.amazonaws.com"),
            _ if region == "us-east-1" => "s3.amazonaws.com".to_owned(),
            _ => format!("s3-{region}.amazonaws.com"),
        };
    }
    match (bucket, path_style) {
        (Some(b), false) => format!("{b}.s3.{region}.amazonaws.com"),
        _ => format!("s3.{region}.amazonaws.com"),
    }
}

fn s3control_host(c: &Ctx) -> String {
    format!("{}.s3-control.{}.amazonaws.com", c.acct, c.region)
}

/// One `requestParameters` entry.
enum P {
    /// A raw JSON value.
    Raw(&'static str, String),
    /// A header-derived string: a one-element array in old records.
    H(&'static str, String),
    /// `host`/`Host`.
    Host,
}

fn params(c: &Ctx, items: &[P], host: &str) -> String {
    let mut o = Obj::new();
    for item in items {
        o = match item {
            P::Host if c.old() => o.raw("host", &arr_s(&[host])),
            P::Host => o.s("Host", host),
            P::H(k, v) if c.old() => o.raw(k, &arr_s(&[v])),
            P::H(k, v) => o.s(k, v),
            P::Raw(k, v) => o.raw(k, v),
        };
    }
    o.end()
}

fn s3_add(c: &mut Ctx, bytes_in: i64, bytes_out: i64, data: bool) -> String {
    let id2 = c.rng.b64(56);
    if c.old() {
        if data {
            return Obj::new()
                .s("CipherSuite", "ECDHE-RSA-AES128-GCM-SHA256")
                .n("bytesTransferredOut", bytes_out)
                .s("AuthenticationMethod", "AuthHeader")
                .s("x-amz-id-2", &id2)
                .n("bytesTransferredIn", bytes_in)
                .s("SignatureVersion", "SigV4")
                .end();
        }
        return Obj::new()
            .s("SignatureVersion", "SigV4")
            .s("CipherSuite", "ECDHE-RSA-AES128-GCM-SHA256")
            .s("AuthenticationMethod", "AuthHeader")
            .end();
    }
    Obj::new()
        .s("SignatureVersion", "SigV4")
        .s(
            "CipherSuite",
            if c.era == Era::New {
                "TLS_AES_128_GCM_SHA256"
            } else {
                "ECDHE-RSA-AES128-GCM-SHA256"
            },
        )
        .n("bytesTransferredIn", bytes_in)
        .s("AuthenticationMethod", "AuthHeader")
        .s("x-amz-id-2", &id2)
        .n("bytesTransferredOut", bytes_out)
        .end()
}

fn bucket_res(acct: &str, bucket: &str) -> String {
    arr([Obj::new()
        .s("accountId", acct)
        .s("type", "AWS::S3::Bucket")
        .s("ARN", &format!("arn:aws:s3:::{bucket}"))
        .end()])
}

fn object_res(acct: &str, bucket: &str, key: &str) -> Vec<String> {
    vec![
        Obj::new()
            .s("type", "AWS::S3::Object")
            .s("ARN", &format!("arn:aws:s3:::{bucket}/{key}"))
            .end(),
        Obj::new()
            .s("accountId", acct)
            .s("type", "AWS::S3::Bucket")
            .s("ARN", &format!("arn:aws:s3:::{bucket}"))
            .end(),
    ]
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Actor {
    Sso,
    Terraform,
    Cli,
    ConsoleUser,
    Github,
    Root,
}

/// An identity, source IP and (optional) user agent for a person or CI.
fn actor(c: &mut Ctx, when: i64, kind: Option<Actor>) -> (String, String, Option<String>) {
    let mut kind = kind.unwrap_or_else(|| {
        *c.rng.pick(&[
            Actor::Sso,
            Actor::Terraform,
            Actor::Cli,
            Actor::ConsoleUser,
            Actor::Github,
        ])
    });
    if kind == Actor::Github && when < ts(2021, 11, 1, 0, 0) {
        kind = Actor::Terraform;
    }
    let ip = pub_ip(c.rng);
    match kind {
        Actor::Sso => {
            let who = *c.rng.pick(&[
                "jane.doe@example.com",
                "raj.patel@example.com",
                "m.okafor@example.com",
            ]);
            (
                ident_role(c, SSO_ROLE, who, when, RoleOpts::default()),
                ip,
                None,
            )
        }
        Actor::Terraform => {
            let ua = ua_terraform(c, when, "s3#1.51.1");
            (ident_user(c, "ci-deployer", when, false), ip, Some(ua))
        }
        Actor::Cli => {
            let who = *c.rng.pick(&["alice.nguyen", "bob.schmidt"]);
            (ident_user(c, who, when, false), ip, None)
        }
        Actor::ConsoleUser => (ident_user(c, "alice.nguyen", when, true), ip, None),
        Actor::Github => {
            let ident = ident_role(
                c,
                "github-actions-deploy",
                "GitHubActions",
                when,
                RoleOpts {
                    web: true,
                    ..Default::default()
                },
            );
            let ua = ua_boto(c, when, "GitHubActions");
            (ident, ip, Some(ua))
        }
        Actor::Root => (ident_root(c, when), ip, None),
    }
}

enum Res {
    Bucket,
    Nothing,
    Custom(String),
}

struct S3M {
    kind: Option<Actor>,
    command: &'static str,
    read_only: bool,
    resp: Option<String>,
    bytes_in: i64,
    error: Option<(&'static str, &'static str)>,
    host: Option<String>,
    resources: Res,
    ident: Option<(String, String, String)>,
}

impl Default for S3M {
    fn default() -> Self {
        S3M {
            kind: None,
            command: "s3api",
            read_only: false,
            resp: None,
            bytes_in: 0,
            error: None,
            host: None,
            resources: Res::Bucket,
            ident: None,
        }
    }
}

/// An S3 management event.
#[allow(clippy::too_many_arguments)]
fn s3_mgmt(
    c: &mut Ctx,
    out: &mut String,
    name: &'static str,
    bucket: Option<&str>,
    items: &[P],
    m: S3M,
    class: Class,
    kind: Option<&'static str>,
) -> RecordInfo {
    let when = c.t();
    let (ident, ip, ua) = match m.ident {
        Some((i, ip, ua)) => (i, ip, ua),
        None => {
            let (ident, ip, ua) = actor(c, when, m.kind);
            let ua = match ua {
                Some(ua) => ua,
                None if ident.contains("AssumedRole") || ident.contains("sessionContext") => {
                    ua_s3console(c, when)
                }
                None => ua_cli(c, when, m.command),
            };
            (ident, ip, ua)
        }
    };
    let mut ua = s3ua(ua);
    if m.command.starts_with("s3control") {
        ua = ua.replace("api/s3#1.51.1", "api/s3control#1.46.0");
    }
    let host = m.host.unwrap_or_else(|| s3_host(c, bucket, false));
    let req = params(c, items, &host);
    let res = match (&m.resources, bucket) {
        (Res::Bucket, Some(b)) => Some(bucket_res(c.acct, b)),
        (Res::Custom(r), _) => Some(r.clone()),
        _ => None,
    };
    let add = s3_add(c, m.bytes_in, 0, false);
    let console = ua.contains("S3Console") && c.era == Era::New && c.rng.chance(0.5);
    let mut b = Base::new(when, "s3.amazonaws.com", name);
    b.ident = Some(ident);
    b.ip = ip;
    b.ua = ua;
    b.req = Some(req);
    b.resp = m.resp;
    b.add = Some(add);
    b.read_only = Some(m.read_only);
    b.resources = res;
    b.error = m.error;
    b.request_id = Some(c.rng.hex_upper(16));
    b.tls_host = Some(host);
    b.console = console;
    emit(c, b, out, class, kind)
}

/// An S3 data event.
#[allow(clippy::too_many_arguments)]
fn s3_data(
    c: &mut Ctx,
    out: &mut String,
    name: &'static str,
    bucket: &str,
    key: &str,
    items: &[P],
    who: Option<(String, String)>,
    read_only: bool,
    resp: Option<String>,
    bytes: (i64, i64),
    error: Option<(&'static str, &'static str)>,
    extra_res: Vec<String>,
    class: Class,
    kind: Option<&'static str>,
) -> RecordInfo {
    let when = c.t();
    let (ident, ua) = match who {
        Some(w) => w,
        None => {
            let i = ident_role(
                c,
                "lambda-ingest-exec",
                "ingest-handler",
                when,
                RoleOpts::default(),
            );
            let ua = ua_boto(c, when, "AWS_Lambda_python3.12");
            (i, ua)
        }
    };
    let ip = pub_ip(c.rng);
    let host = s3_host(c, Some(bucket), false);
    let req = params(c, items, &host);
    let mut res = object_res(c.acct, bucket, key);
    res.extend(extra_res);
    let add = s3_add(c, bytes.0, bytes.1, true);
    let mut b = Base::new(when, "s3.amazonaws.com", name);
    b.ident = Some(ident);
    b.ip = ip;
    b.ua = s3ua(ua);
    b.req = Some(req);
    b.resp = resp;
    b.add = Some(add);
    b.read_only = Some(read_only);
    b.resources = Some(arr(res));
    b.mgmt = false;
    b.error = error;
    b.request_id = Some(c.rng.hex_upper(16));
    b.tls_host = Some(host);
    emit(c, b, out, class, kind)
}

const NOISE_BUCKETS: [&str; 10] = [
    "acme-prod-static-assets",
    "acme-data-lake-raw",
    "acme-terraform-state",
    "acme-backups-%s",
    "ml-training-datasets",
    "customer-uploads-prod",
    "acme-athena-results",
    "acme-s3-access-logs",
    "cdn-origin-media",
    TRAIL_BUCKET,
];

fn nb(c: &mut Ctx) -> String {
    c.rng.pick(&NOISE_BUCKETS).replace("%s", c.region)
}

fn nk(c: &mut Ctx, when: i64) -> String {
    let day = &iso(when)[..10];
    let n = c.rng.range(0, 99_999);
    match c.rng.below(6) {
        0 => format!("raw/events/dt={day}/part-{n:05}.snappy.parquet"),
        1 => format!("uploads/{day}/{n:05}.jpg"),
        2 => format!("backups/postgres/{day}/base-{n:05}.tar.zst"),
        3 => format!("athena/{day}/{n:05}.csv"),
        4 => format!("models/v{day}/ckpt-{n:05}.pt"),
        _ => format!("static/js/main.{day}.{n:05}.js"),
    }
}

fn data_who(c: &mut Ctx, when: i64) -> (String, String) {
    let ident = match c.rng.below(3) {
        0 => ident_role(
            c,
            "lambda-ingest-exec",
            "ingest-handler",
            when,
            RoleOpts::default(),
        ),
        1 => {
            let s = format!("i-{}", c.rng.hex(17));
            ident_role(
                c,
                "ec2-app-role",
                &s,
                when,
                RoleOpts {
                    ec2: true,
                    ..Default::default()
                },
            )
        }
        _ => {
            let s = format!("etl-{}", c.rng.hex(8));
            ident_role(c, "DataEngineer", &s, when, RoleOpts::default())
        }
    };
    let ua = match c.rng.below(4) {
        0 => ua_boto(c, when, "AWS_Lambda_python3.12"),
        1 => UA_JAVA.to_owned(),
        2 => UA_JS.to_owned(),
        _ => ua_boto(c, when, "AWS_ECS_FARGATE"),
    };
    (ident, ua)
}

/// The identity CloudTrail gives an anonymous request (S3 user guide; the
/// real records in `fixtures/logs/exposure-overlay/`).
const ANONYMOUS: &str = r#"{"type":"AWSAccount","principalId":"","accountId":"anonymous"}"#;

const AUTH_HEADER: &str = r#""AuthenticationMethod":"AuthHeader""#;

/// Replaces the first `from` in `out[start..]` (the record just written).
fn replace_from(out: &mut String, start: usize, from: &str, to: &str) {
    if let Some(at) = out[start..].find(from) {
        out.replace_range(start + at..start + at + from.len(), to);
    }
}

/// An unsigned request carries no signature version nor authentication
/// method in `additionalEventData`.
fn unsigned(out: &mut String, start: usize) {
    for field in [AUTH_HEADER, r#""SignatureVersion":"SigV4""#] {
        replace_from(out, start, &format!("{field},"), "");
        replace_from(out, start, &format!(",{field}"), "");
    }
}

fn sse_resp(c: &Ctx) -> Option<String> {
    (c.deliver >= ts(2023, 1, 5, 0, 0))
        .then(|| Obj::new().s("x-amz-server-side-encryption", "AES256").end())
}

fn n_s3_data(c: &mut Ctx, out: &mut String) -> RecordInfo {
    let when = c.deliver;
    let b = nb(c);
    let k = nk(c, when);
    let who = Some(data_who(c, when));
    let basic = [P::Raw("bucketName", q(&b)), P::Host, P::Raw("key", q(&k))];
    let choice = c.rng.weighted(&[40.0, 20.0, 12.0, 5.0, 2.0, 1.5, 1.5]);
    match choice {
        // Requests without the owner's credentials, which the exploitation
        // overlay counts: anonymous reads of the public website buckets (or
        // refused, elsewhere), and presigned-URL reads.
        5 => {
            let public = matches!(b.as_str(), "acme-prod-static-assets" | "cdn-origin-media");
            let start = out.len();
            let out_bytes = if public { c.rng.range(100, 900_000) } else { 0 };
            let info = s3_data(
                c,
                out,
                "GetObject",
                &b,
                &k,
                &basic,
                Some((ANONYMOUS.to_owned(), UA_BROWSER.to_owned())),
                true,
                None,
                (0, out_bytes),
                (!public).then_some(("AccessDenied", "Access Denied")),
                vec![],
                Class::Noise,
                None,
            );
            unsigned(out, start);
            info
        }
        // A read, signed in the header or presigned (in the query string).
        0 | 6 => {
            let start = out.len();
            let out_bytes = c.rng.range(100, 9_000_000);
            let info = s3_data(
                c,
                out,
                "GetObject",
                &b,
                &k,
                &basic,
                who,
                true,
                None,
                (0, out_bytes),
                None,
                vec![],
                Class::Noise,
                None,
            );
            if choice == 6 {
                replace_from(
                    out,
                    start,
                    AUTH_HEADER,
                    r#""AuthenticationMethod":"QueryString""#,
                );
            }
            info
        }
        1 => {
            let mut items = vec![P::Raw("bucketName", q(&b)), P::Host];
            if c.rng.chance(0.3) {
                items.push(P::H("x-amz-server-side-encryption", "aws:kms".into()));
            }
            if c.rng.chance(0.2) {
                let class = *c
                    .rng
                    .pick(&["STANDARD_IA", "INTELLIGENT_TIERING", "GLACIER_IR"]);
                items.push(P::H("x-amz-storage-class", class.into()));
            }
            items.push(P::Raw("key", q(&k)));
            let size = c.rng.range(200, 4_000_000);
            let resp = sse_resp(c);
            s3_data(
                c,
                out,
                "PutObject",
                &b,
                &k,
                &items,
                who,
                false,
                resp,
                (size, 0),
                None,
                vec![],
                Class::Noise,
                None,
            )
        }
        2 => s3_data(
            c,
            out,
            "HeadObject",
            &b,
            &k,
            &basic,
            who,
            true,
            None,
            (0, 0),
            None,
            vec![],
            Class::Noise,
            None,
        ),
        3 => s3_data(
            c,
            out,
            "DeleteObject",
            &b,
            &k,
            &basic,
            who,
            false,
            None,
            (0, 0),
            None,
            vec![],
            Class::Noise,
            None,
        ),
        _ => {
            let items = [
                P::Raw("bucketName", q(&b)),
                P::Host,
                P::H("acl", String::new()),
                P::Raw("key", q(&k)),
            ];
            s3_data(
                c,
                out,
                "GetObjectAcl",
                &b,
                &k,
                &items,
                who,
                true,
                None,
                (0, 612),
                None,
                vec![],
                Class::Noise,
                None,
            )
        }
    }
}

fn n_s3_read_mgmt(c: &mut Ctx, out: &mut String) -> RecordInfo {
    let b = nb(c);
    let (name, sub) = *c.rng.pick(&[
        ("GetBucketAcl", "acl"),
        ("GetBucketPolicy", "policy"),
        ("GetBucketLocation", "location"),
        ("GetBucketVersioning", "versioning"),
        ("GetBucketEncryption", "encryption"),
        ("GetBucketPolicyStatus", "policyStatus"),
        ("GetBucketPublicAccessBlock", "publicAccessBlock"),
        ("GetBucketOwnershipControls", "ownershipControls"),
        ("GetBucketTagging", "tagging"),
        ("GetBucketLogging", "logging"),
    ]);
    let items = [
        P::Raw("bucketName", q(&b)),
        P::Host,
        P::H(sub, String::new()),
    ];
    let when = c.deliver;
    let m = if c.rng.chance(0.12) {
        let ident = ident_role(
            c,
            "AWSServiceRoleForConfig",
            "AWSConfig-Describe",
            when,
            RoleOpts::default(),
        );
        S3M {
            ident: Some((
                ident,
                "config.amazonaws.com".into(),
                "config.amazonaws.com".into(),
            )),
            read_only: true,
            ..Default::default()
        }
    } else if c.rng.chance(0.15) {
        let ident = ident_role(
            c,
            SSO_RO_ROLE,
            "auditor@example.com",
            when,
            RoleOpts::default(),
        );
        let ip = pub_ip(c.rng);
        let ua = ua_s3console(c, when);
        S3M {
            ident: Some((ident, ip, ua)),
            read_only: true,
            ..Default::default()
        }
    } else {
        let kind = *c.rng.pick(&[Actor::Terraform, Actor::Cli, Actor::Sso]);
        S3M {
            kind: Some(kind),
            read_only: true,
            ..Default::default()
        }
    };
    s3_mgmt(c, out, name, Some(&b), &items, m, Class::Noise, None)
}

fn n_s3_list_buckets(c: &mut Ctx, out: &mut String) -> RecordInfo {
    let kind = *c.rng.pick(&[Actor::Cli, Actor::Sso, Actor::Terraform]);
    let host = s3_host(c, None, false);
    let m = S3M {
        kind: Some(kind),
        read_only: true,
        host: Some(host),
        resources: Res::Nothing,
        command: "s3api.list-buckets",
        ..Default::default()
    };
    s3_mgmt(
        c,
        out,
        "ListBuckets",
        None,
        &[P::Host],
        m,
        Class::Noise,
        None,
    )
}

fn n_s3_write_mgmt(c: &mut Ctx, out: &mut String) -> RecordInfo {
    let b = nb(c);
    let (name, items) = match c.rng.below(3) {
        0 => {
            let cc = c.rng.range(1000, 9999);
            let tags = Obj::new()
                .s("xmlns", S3NS)
                .raw(
                    "TagSet",
                    &Obj::new()
                        .raw(
                            "Tag",
                            &arr([
                                Obj::new().s("Value", "prod").s("Key", "env").end(),
                                Obj::new().s("Value", "platform").s("Key", "team").end(),
                                Obj::new()
                                    .s("Value", &format!("CC-{cc}"))
                                    .s("Key", "cost-center")
                                    .end(),
                            ]),
                        )
                        .end(),
                )
                .end();
            (
                "PutBucketTagging",
                vec![P::H("tagging", String::new()), P::Raw("Tagging", tags)],
            )
        }
        1 => {
            let key = c.rng.uuid();
            let conf = Obj::new()
                .s("xmlns", S3NS)
                .raw(
                    "Rule",
                    &Obj::new()
                        .raw(
                            "ApplyServerSideEncryptionByDefault",
                            &Obj::new()
                                .s("SSEAlgorithm", "aws:kms")
                                .s(
                                    "KMSMasterKeyID",
                                    &format!("arn:aws:kms:{}:{}:key/{key}", c.region, c.acct),
                                )
                                .end(),
                        )
                        .b("BucketKeyEnabled", true)
                        .end(),
                )
                .end();
            (
                "PutBucketEncryption",
                vec![
                    P::H("encryption", String::new()),
                    P::Raw("ServerSideEncryptionConfiguration", conf),
                ],
            )
        }
        _ => (
            "PutBucketVersioning",
            vec![
                P::H("versioning", String::new()),
                P::Raw(
                    "VersioningConfiguration",
                    Obj::new().s("Status", "Enabled").s("xmlns", S3NS).end(),
                ),
            ],
        ),
    };
    let mut all = vec![P::Raw("bucketName", q(&b)), P::Host];
    all.extend(items);
    let bytes_in = c.rng.range(150, 600);
    let kind = *c.rng.pick(&[Actor::Terraform, Actor::Github]);
    let m = S3M {
        kind: Some(kind),
        bytes_in,
        ..Default::default()
    };
    s3_mgmt(c, out, name, Some(&b), &all, m, Class::Noise, None)
}

// ---------------------------------------------------------------------------
// other services

const SESSION_TOKEN_LEN: usize = 1100;

fn role_res(acct: &str, rarn: &str) -> String {
    arr([Obj::new()
        .s("accountId", acct)
        .s("type", "AWS::IAM::Role")
        .s("ARN", rarn)
        .end()])
}

fn n_assume_role(c: &mut Ctx, out: &mut String) -> RecordInfo {
    let when = c.t();
    let (role, session, svc) = match c.rng.below(4) {
        0 => (
            "lambda-ingest-exec",
            "ingest-handler".to_owned(),
            "lambda.amazonaws.com",
        ),
        1 => (
            "ec2-app-role",
            format!("i-{}", c.rng.hex(17)),
            "ec2.amazonaws.com",
        ),
        2 => (
            "AWSServiceRoleForConfig",
            "AWSConfig-Describe".to_owned(),
            "config.amazonaws.com",
        ),
        _ => ("ecs-task-exec", c.rng.hex(32), "ecs-tasks.amazonaws.com"),
    };
    let acct = c.acct;
    let rid = unique_id("AROA", &format!("{acct}/role/{role}"));
    let rarn = format!("arn:aws:iam::{acct}:role{}{role}", role_path(role));
    let akid = key_id(c.rng, "ASIA");
    let token = c.rng.b64(SESSION_TOKEN_LEN * 3 / 4);
    let resp = Obj::new()
        .raw(
            "credentials",
            &Obj::new()
                .s("accessKeyId", &akid)
                .s("sessionToken", &token)
                .s("expiration", &java_date(when + 3600))
                .end(),
        )
        .raw(
            "assumedRoleUser",
            &Obj::new()
                .s("assumedRoleId", &format!("{rid}:{session}"))
                .s(
                    "arn",
                    &format!("arn:aws:sts::{acct}:assumed-role/{role}/{session}"),
                )
                .end(),
        )
        .end();
    let mut req = Obj::new()
        .s("roleArn", &rarn)
        .s("roleSessionName", &session);
    if svc == "ec2.amazonaws.com" {
        req = req.n("durationSeconds", 21600);
    }
    let mut b = Base::new(when, "sts.amazonaws.com", "AssumeRole");
    b.ident = Some(ident_service(svc));
    b.ip = svc.into();
    b.ua = svc.into();
    b.req = Some(req.end());
    b.resp = Some(resp);
    b.read_only = Some(true);
    b.resources = Some(role_res(acct, &rarn));
    b.shared = true;
    emit(c, b, out, Class::Noise, None)
}

fn n_assume_role_web(c: &mut Ctx, out: &mut String) -> RecordInfo {
    let when = c.t();
    if when < ts(2021, 11, 1, 0, 0) {
        return n_assume_role(c, out);
    }
    let acct = c.acct;
    let role = "github-actions-deploy";
    let rid = unique_id("AROA", &format!("{acct}/role/{role}"));
    let sub = "repo:acme-corp/infrastructure:ref:refs/heads/main";
    let provider = format!("arn:aws:iam::{acct}:oidc-provider/token.actions.githubusercontent.com");
    let ident = Obj::new()
        .s("type", "WebIdentityUser")
        .s(
            "principalId",
            &format!("{provider}:sts.amazonaws.com:{sub}"),
        )
        .s("userName", sub)
        .s("identityProvider", &provider)
        .end();
    let rarn = format!("arn:aws:iam::{acct}:role/{role}");
    let akid = key_id(c.rng, "ASIA");
    let token = c.rng.b64(SESSION_TOKEN_LEN * 3 / 4);
    let resp = Obj::new()
        .raw(
            "credentials",
            &Obj::new()
                .s("accessKeyId", &akid)
                .s("sessionToken", &token)
                .s("expiration", &java_date(when + 3600))
                .end(),
        )
        .s("subjectFromWebIdentityToken", sub)
        .raw(
            "assumedRoleUser",
            &Obj::new()
                .s("assumedRoleId", &format!("{rid}:GitHubActions"))
                .s(
                    "arn",
                    &format!("arn:aws:sts::{acct}:assumed-role/{role}/GitHubActions"),
                )
                .end(),
        )
        .s("provider", &provider)
        .s("audience", "sts.amazonaws.com")
        .end();
    let mut b = Base::new(when, "sts.amazonaws.com", "AssumeRoleWithWebIdentity");
    b.ident = Some(ident);
    b.ip = pub_ip(c.rng);
    b.ua = "aws-sdk-js/2.1543.0 promise".into();
    b.req = Some(
        Obj::new()
            .s("roleArn", &rarn)
            .s("roleSessionName", "GitHubActions")
            .end(),
    );
    b.resp = Some(resp);
    b.read_only = Some(true);
    b.resources = Some(role_res(acct, &rarn));
    b.tls_host = Some(format!("sts.{}.amazonaws.com", c.region));
    emit(c, b, out, Class::Noise, None)
}

fn kms_key_arn(c: &mut Ctx) -> String {
    let n = c.rng.below(3);
    let id = {
        let mut r = Rng::new(stable_hash(&format!("{}/{}/kms/{n}", c.acct, c.region)));
        r.uuid()
    };
    format!("arn:aws:kms:{}:{}:key/{id}", c.region, c.acct)
}

fn n_kms(c: &mut Ctx, out: &mut String) -> RecordInfo {
    let when = c.t();
    let karn = kms_key_arn(c);
    let (acct, region) = (c.acct, c.region);
    let res = arr([Obj::new()
        .s("accountId", acct)
        .s("type", "AWS::KMS::Key")
        .s("ARN", &karn)
        .end()]);
    let choice = c.rng.f64();
    let mut b;
    if choice < 0.4 {
        let fnarn = format!("arn:aws:lambda:{region}:{acct}:function:ingest-handler");
        b = Base::new(when, "kms.amazonaws.com", "Decrypt");
        b.ident = Some(ident_role(
            c,
            "lambda-ingest-exec",
            "ingest-handler",
            when,
            RoleOpts::default(),
        ));
        b.ip = pub_ip(c.rng);
        b.ua = ua_boto(c, when, "AWS_Lambda_python3.12");
        b.req = Some(
            Obj::new()
                .raw(
                    "encryptionContext",
                    &Obj::new().s("aws:lambda:FunctionArn", &fnarn).end(),
                )
                .s("encryptionAlgorithm", "SYMMETRIC_DEFAULT")
                .end(),
        );
        b.tls_host = Some(format!("kms.{region}.amazonaws.com"));
    } else if choice < 0.7 {
        let day = iso(when);
        let obj = format!(
            "arn:aws:s3:::{TRAIL_BUCKET}/AWSLogs/{acct}/CloudTrail/{region}/{}/{}/{}/{acct}_CloudTrail_{region}_{}_{}.json.gz",
            &day[0..4],
            &day[5..7],
            &day[8..10],
            stamp(when),
            c.rng.alnum(16)
        );
        b = Base::new(when, "kms.amazonaws.com", "GenerateDataKey");
        b.ident = Some(ident_service("cloudtrail.amazonaws.com"));
        b.ip = "cloudtrail.amazonaws.com".into();
        b.ua = "cloudtrail.amazonaws.com".into();
        b.req = Some(
            Obj::new()
                .s("keySpec", "AES_256")
                .raw(
                    "encryptionContext",
                    &Obj::new()
                        .s(
                            "aws:cloudtrail:arn",
                            &format!("arn:aws:cloudtrail:us-east-1:{acct}:trail/{TRAIL_NAME}"),
                        )
                        .s("aws:s3:arn", &obj)
                        .end(),
                )
                .s("keyId", &karn)
                .end(),
        );
        b.shared = true;
    } else {
        let bucket = nb(c);
        b = Base::new(when, "kms.amazonaws.com", "Decrypt");
        b.ident = Some(ident_service("s3.amazonaws.com"));
        b.ip = "s3.amazonaws.com".into();
        b.ua = "s3.amazonaws.com".into();
        b.req = Some(
            Obj::new()
                .raw(
                    "encryptionContext",
                    &Obj::new()
                        .s("aws:s3:arn", &format!("arn:aws:s3:::{bucket}"))
                        .end(),
                )
                .s("encryptionAlgorithm", "SYMMETRIC_DEFAULT")
                .end(),
        );
        b.shared = true;
    }
    b.read_only = Some(true);
    b.resources = Some(res);
    emit(c, b, out, Class::Noise, None)
}

fn ec2_ident(c: &mut Ctx, when: i64) -> String {
    match c.rng.below(4) {
        0 => ident_role(
            c,
            "AWSServiceRoleForAutoScaling",
            "AutoScaling",
            when,
            RoleOpts::default(),
        ),
        1 => ident_role(
            c,
            SSO_ROLE,
            "jane.doe@example.com",
            when,
            RoleOpts::default(),
        ),
        2 => ident_user(c, "ci-deployer", when, false),
        _ => {
            let s = format!("i-{}", c.rng.hex(17));
            ident_role(
                c,
                "ec2-app-role",
                &s,
                when,
                RoleOpts {
                    ec2: true,
                    ..Default::default()
                },
            )
        }
    }
}

fn items_filter(name: &str, value: &str) -> String {
    Obj::new()
        .raw(
            "items",
            &arr([Obj::new()
                .s("name", name)
                .raw(
                    "valueSet",
                    &Obj::new()
                        .raw("items", &arr([Obj::new().s("value", value).end()]))
                        .end(),
                )
                .end()]),
        )
        .end()
}

fn n_ec2_describe(c: &mut Ctx, out: &mut String) -> RecordInfo {
    let when = c.t();
    let (name, req) = match c.rng.below(6) {
        0 => (
            "DescribeInstances",
            Obj::new()
                .raw("instancesSet", "{}")
                .raw(
                    "filterSet",
                    &items_filter("tag:aws:autoscaling:groupName", "web-asg"),
                )
                .end(),
        ),
        1 => {
            let sg = format!("sg-{}", c.rng.hex(17));
            (
                "DescribeSecurityGroups",
                Obj::new()
                    .raw("securityGroupSet", "{}")
                    .raw(
                        "securityGroupIdSet",
                        &Obj::new()
                            .raw("items", &arr([Obj::new().s("groupId", &sg).end()]))
                            .end(),
                    )
                    .raw("filterSet", "{}")
                    .end(),
            )
        }
        2 => (
            "DescribeVolumes",
            Obj::new()
                .raw("volumeSet", "{}")
                .raw("filterSet", "{}")
                .end(),
        ),
        3 => {
            let vpc = format!("vpc-{}", c.rng.hex(17));
            (
                "DescribeSubnets",
                Obj::new()
                    .raw("subnetSet", "{}")
                    .raw("filterSet", &items_filter("vpc-id", &vpc))
                    .end(),
            )
        }
        4 => (
            "DescribeInstanceStatus",
            Obj::new()
                .raw("instancesSet", "{}")
                .raw("filterSet", "{}")
                .b("includeAllInstances", false)
                .end(),
        ),
        _ => (
            "DescribeVpcs",
            Obj::new().raw("vpcSet", "{}").raw("filterSet", "{}").end(),
        ),
    };
    let mut b = Base::new(when, "ec2.amazonaws.com", name);
    b.ident = Some(ec2_ident(c, when));
    b.ip = pub_ip(c.rng);
    b.ua = match c.rng.below(3) {
        0 => ua_terraform(c, when, "ec2#1.150.0"),
        1 => UA_JAVA.into(),
        _ => ua_boto(c, when, "AWS_Lambda_python3.12"),
    };
    b.req = Some(req);
    b.read_only = Some(true);
    b.tls_host = Some(format!("ec2.{}.amazonaws.com", c.region));
    emit(c, b, out, Class::Noise, None)
}

fn n_ec2_tags(c: &mut Ctx, out: &mut String) -> RecordInfo {
    let when = c.t();
    let iid = format!("i-{}", c.rng.hex(17));
    let n = c.rng.range(1, 40);
    let req = Obj::new()
        .raw(
            "resourcesSet",
            &Obj::new()
                .raw("items", &arr([Obj::new().s("resourceId", &iid).end()]))
                .end(),
        )
        .raw(
            "tagSet",
            &Obj::new()
                .raw(
                    "items",
                    &arr([
                        Obj::new()
                            .s("key", "Name")
                            .s("value", &format!("web-{n}"))
                            .end(),
                        Obj::new().s("key", "env").s("value", "prod").end(),
                    ]),
                )
                .end(),
        )
        .end();
    let mut b = Base::new(when, "ec2.amazonaws.com", "CreateTags");
    b.ident = Some(ec2_ident(c, when));
    b.ip = pub_ip(c.rng);
    b.ua = ua_terraform(c, when, "ec2#1.150.0");
    b.req = Some(req);
    b.resp = Some(
        Obj::new()
            .s("requestId", &c.rng.uuid())
            .b("_return", true)
            .end(),
    );
    b.read_only = Some(false);
    b.tls_host = Some(format!("ec2.{}.amazonaws.com", c.region));
    emit(c, b, out, Class::Noise, None)
}

fn n_ec2_run(c: &mut Ctx, out: &mut String) -> RecordInfo {
    let when = c.t();
    let (acct, region) = (c.acct, c.region);
    let r = &mut *c.rng;
    let iid = format!("i-{}", r.hex(17));
    let subnet = format!("subnet-{}", r.hex(17));
    let vpc = format!("vpc-{}", r.hex(17));
    let sg = format!("sg-{}", r.hex(17));
    let priv_ip = format!(
        "10.{}.{}.{}",
        r.range(0, 255),
        r.range(0, 255),
        r.range(2, 250)
    );
    let dns = format!("ip-{}.{region}.compute.internal", priv_ip.replace('.', "-"));
    let eni = format!("eni-{}", r.hex(17));
    let ms = when * 1000;
    let groups = Obj::new()
        .raw(
            "items",
            &arr([Obj::new().s("groupId", &sg).s("groupName", "web-sg").end()]),
        )
        .end();
    let modern = when >= ts(2022, 6, 1, 0, 0);
    let mac: Vec<String> = (0..6).map(|_| r.hex(2)).collect();
    let mut item = Obj::new()
        .s("instanceId", &iid)
        .s("imageId", &format!("ami-{}", r.hex(17)));
    if modern {
        item = item.s("currentInstanceBootMode", "uefi");
    }
    item = item
        .raw(
            "instanceState",
            &Obj::new().n("code", 0).s("name", "pending").end(),
        )
        .s("privateDnsName", &dns)
        .s("keyName", "ops-2023")
        .n("amiLaunchIndex", 0)
        .raw("productCodes", "{}")
        .s(
            "instanceType",
            ["m6i.large", "c6g.xlarge", "t3.medium", "r6i.2xlarge"][r.below(4) as usize],
        )
        .n("launchTime", ms)
        .raw(
            "placement",
            &Obj::new()
                .s(
                    "availabilityZone",
                    &format!("{region}{}", *r.pick(&["a", "b", "c"][..])),
                )
                .s("tenancy", "default")
                .end(),
        )
        .raw("monitoring", &Obj::new().s("state", "disabled").end())
        .s("subnetId", &subnet)
        .s("vpcId", &vpc)
        .s("privateIpAddress", &priv_ip)
        .raw(
            "stateReason",
            &Obj::new()
                .s("code", "pending")
                .s("message", "pending")
                .end(),
        )
        .s("architecture", "x86_64")
        .s("rootDeviceType", "ebs")
        .s("rootDeviceName", "/dev/xvda")
        .raw("blockDeviceMapping", "{}")
        .s("virtualizationType", "hvm")
        .s("hypervisor", "xen")
        .raw(
            "tagSet",
            &Obj::new()
                .raw(
                    "items",
                    &arr([
                        Obj::new()
                            .s("key", "aws:autoscaling:groupName")
                            .s("value", "web-asg")
                            .end(),
                        Obj::new()
                            .s("key", "aws:ec2launchtemplate:id")
                            .s("value", &format!("lt-{}", r.hex(17)))
                            .end(),
                        Obj::new()
                            .s("key", "aws:ec2launchtemplate:version")
                            .s("value", &r.range(1, 40).to_string())
                            .end(),
                        Obj::new().s("key", "Name").s("value", "web").end(),
                    ]),
                )
                .end(),
        )
        .raw("groupSet", &groups)
        .b("sourceDestCheck", true)
        .raw(
            "networkInterfaceSet",
            &Obj::new()
                .raw(
                    "items",
                    &arr([Obj::new()
                        .s("networkInterfaceId", &eni)
                        .s("subnetId", &subnet)
                        .s("vpcId", &vpc)
                        .s("ownerId", acct)
                        .s("status", "in-use")
                        .s("macAddress", &mac.join(":"))
                        .s("privateIpAddress", &priv_ip)
                        .s("privateDnsName", &dns)
                        .b("sourceDestCheck", true)
                        .s("interfaceType", "interface")
                        .raw("groupSet", &groups)
                        .raw(
                            "attachment",
                            &Obj::new()
                                .s("attachmentId", &format!("eni-attach-{}", r.hex(17)))
                                .n("deviceIndex", 0)
                                .n("networkCardIndex", 0)
                                .s("status", "attaching")
                                .n("attachTime", ms)
                                .b("deleteOnTermination", true)
                                .end(),
                        )
                        .raw(
                            "privateIpAddressesSet",
                            &Obj::new()
                                .raw(
                                    "item",
                                    &arr([Obj::new()
                                        .s("privateIpAddress", &priv_ip)
                                        .s("privateDnsName", &dns)
                                        .b("primary", true)
                                        .end()]),
                                )
                                .end(),
                        )
                        .raw("ipv6AddressesSet", "{}")
                        .raw("tagSet", "{}")
                        .end()]),
                )
                .end(),
        )
        .b("ebsOptimized", true)
        .b("enaSupport", true)
        .raw(
            "cpuOptions",
            &Obj::new().n("coreCount", 1).n("threadsPerCore", 2).end(),
        )
        .raw(
            "capacityReservationSpecification",
            &Obj::new().s("capacityReservationPreference", "open").end(),
        )
        .raw("enclaveOptions", &Obj::new().b("enabled", false).end())
        .raw(
            "metadataOptions",
            &Obj::new()
                .s("state", "pending")
                .s("httpTokens", if modern { "required" } else { "optional" })
                .n("httpPutResponseHopLimit", 2)
                .s("httpEndpoint", "enabled")
                .s("httpProtocolIpv4", "enabled")
                .s("httpProtocolIpv6", "disabled")
                .s("instanceMetadataTags", "disabled")
                .end(),
        );
    if modern {
        item = item
            .raw(
                "maintenanceOptions",
                &Obj::new().s("autoRecovery", "default").end(),
            )
            .raw(
                "privateDnsNameOptions",
                &Obj::new()
                    .s("hostnameType", "ip-name")
                    .b("enableResourceNameDnsARecord", false)
                    .b("enableResourceNameDnsAAAARecord", false)
                    .end(),
            );
    }
    let req = Obj::new()
        .raw(
            "instancesSet",
            &Obj::new()
                .raw(
                    "items",
                    &arr([Obj::new().n("minCount", 1).n("maxCount", 1).end()]),
                )
                .end(),
        )
        .s("userData", "<sensitiveDataRemoved>")
        .raw("blockDeviceMapping", "{}")
        .raw("monitoring", &Obj::new().b("enabled", false).end())
        .b("disableApiTermination", false)
        .b("disableApiStop", false)
        .s("clientToken", &r.uuid())
        .raw(
            "launchTemplate",
            &Obj::new()
                .s("launchTemplateId", &format!("lt-{}", r.hex(17)))
                .s("version", "$Latest")
                .end(),
        )
        .raw(
            "tagSpecificationSet",
            &Obj::new()
                .raw(
                    "items",
                    &arr([Obj::new()
                        .s("resourceType", "instance")
                        .raw(
                            "tags",
                            &arr([Obj::new()
                                .s("key", "aws:autoscaling:groupName")
                                .s("value", "web-asg")
                                .end()]),
                        )
                        .end()]),
                )
                .end(),
        )
        .end();
    let resp = Obj::new()
        .s("requestId", &r.uuid())
        .s("reservationId", &format!("r-{}", r.hex(17)))
        .s("ownerId", acct)
        .s("requesterId", "940372691376")
        .raw("groupSet", "{}")
        .raw(
            "instancesSet",
            &Obj::new().raw("items", &arr([item.end()])).end(),
        )
        .end();
    let mut b = Base::new(when, "ec2.amazonaws.com", "RunInstances");
    b.ident = Some(ident_role(
        c,
        "AWSServiceRoleForAutoScaling",
        "AutoScaling",
        when,
        RoleOpts::default(),
    ));
    b.ip = "autoscaling.amazonaws.com".into();
    b.ua = "autoscaling.amazonaws.com".into();
    b.req = Some(req);
    b.resp = Some(resp);
    b.read_only = Some(false);
    emit(c, b, out, Class::Noise, None)
}

fn az_prefix(region: &str) -> &'static str {
    match region {
        "us-east-1" => "use1",
        "us-west-2" => "usw2",
        "eu-west-1" => "euw1",
        "eu-central-1" => "euc1",
        _ => "apse2",
    }
}

fn n_ssm(c: &mut Ctx, out: &mut String) -> RecordInfo {
    let when = c.t();
    let iid = format!("i-{}", c.rng.hex(17));
    let region = c.region;
    let agent = if when >= ts(2021, 1, 1, 0, 0) {
        format!("3.3.{}.0", c.rng.range(100, 1500))
    } else {
        format!("2.3.{}.0", c.rng.range(50, 1000))
    };
    let req = Obj::new()
        .s("instanceId", &iid)
        .s("agentVersion", &agent)
        .s("agentStatus", "Active")
        .s("platformType", "Linux")
        .s("platformName", "Amazon Linux")
        .s(
            "platformVersion",
            if when >= ts(2023, 6, 1, 0, 0) {
                "2023"
            } else {
                "2"
            },
        )
        .s("iPAddress", "HIDDEN_DUE_TO_SECURITY_REASONS")
        .s(
            "computerName",
            &format!(
                "ip-10-0-{}-{}.{region}.compute.internal",
                c.rng.range(0, 255),
                c.rng.range(2, 250)
            ),
        )
        .s("agentName", "amazon-ssm-agent")
        .s("availabilityZone", &format!("{region}a"))
        .s(
            "availabilityZoneId",
            &format!("{}-az{}", az_prefix(region), c.rng.range(1, 3)),
        )
        .s("sSMConnectionChannel", "ssmmessages")
        .end();
    let mut b = Base::new(when, "ssm.amazonaws.com", "UpdateInstanceInformation");
    b.ident = Some(ident_role(
        c,
        "ec2-app-role",
        &iid,
        when,
        RoleOpts {
            ec2: true,
            ..Default::default()
        },
    ));
    b.ip = pub_ip(c.rng);
    b.ua = UA_SSM.into();
    b.req = Some(req);
    b.read_only = Some(false);
    b.tls_host = Some(format!("ssm.{region}.amazonaws.com"));
    emit(c, b, out, Class::Noise, None)
}

fn n_logs(c: &mut Ctx, out: &mut String) -> RecordInfo {
    let when = c.t();
    let lg = *c.rng.pick(&[
        "/aws/lambda/ingest-handler",
        "/ecs/api",
        "/aws/eks/prod/cluster",
        "RDSOSMetrics",
    ]);
    let (name, req, ident, ua, ro) = match c.rng.below(3) {
        0 => {
            let day = &iso(when)[..10];
            let stream = format!("{}/[$LATEST]{}", day.replace('-', "/"), c.rng.hex(32));
            let ident = ident_role(
                c,
                "lambda-ingest-exec",
                "ingest-handler",
                when,
                RoleOpts::default(),
            );
            let ua = ua_boto(c, when, "AWS_Lambda_python3.12");
            (
                "CreateLogStream",
                Obj::new()
                    .s("logGroupName", lg)
                    .s("logStreamName", &stream)
                    .end(),
                ident,
                ua,
                false,
            )
        }
        1 => {
            let days = *c.rng.pick(&[30, 90, 365]);
            let ident = ident_user(c, "ci-deployer", when, false);
            let ua = ua_terraform(c, when, "cloudwatchlogs#1.33.0");
            (
                "PutRetentionPolicy",
                Obj::new()
                    .s("logGroupName", lg)
                    .n("retentionInDays", days)
                    .end(),
                ident,
                ua,
                false,
            )
        }
        _ => {
            let ident = ident_role(
                c,
                SSO_RO_ROLE,
                "auditor@example.com",
                when,
                RoleOpts::default(),
            );
            (
                "DescribeLogGroups",
                Obj::new()
                    .s("logGroupNamePrefix", "/aws/lambda/")
                    .n("limit", 50)
                    .end(),
                ident,
                "AWS Internal".to_owned(),
                true,
            )
        }
    };
    let mut b = Base::new(when, "logs.amazonaws.com", name);
    b.ident = Some(ident);
    b.ip = pub_ip(c.rng);
    b.ua = ua;
    b.req = Some(req);
    b.read_only = Some(ro);
    b.tls_host = Some(format!("logs.{}.amazonaws.com", c.region));
    emit(c, b, out, Class::Noise, None)
}

fn ci_ident(c: &mut Ctx, when: i64) -> (String, String) {
    if when >= ts(2021, 11, 1, 0, 0) {
        let i = ident_role(
            c,
            "github-actions-deploy",
            "GitHubActions",
            when,
            RoleOpts {
                web: true,
                ..Default::default()
            },
        );
        let ua = ua_boto(c, when, "GitHubActions");
        (i, ua)
    } else {
        let i = ident_user(c, "ci-deployer", when, false);
        let ua = ua_boto(c, when, "CodeBuild");
        (i, ua)
    }
}

fn n_lambda(c: &mut Ctx, out: &mut String) -> RecordInfo {
    let when = c.t();
    let (acct, region) = (c.acct, c.region);
    let func = *c.rng.pick(&[
        "ingest-handler",
        "thumbnailer",
        "slack-notifier",
        "trail-compactor",
    ]);
    let farn = format!("arn:aws:lambda:{region}:{acct}:function:{func}");
    let name = *c.rng.pick(&[
        "GetFunction20150331v2",
        "ListFunctions20150331",
        "GetFunctionConfiguration20150331v2",
        "UpdateFunctionConfiguration20150331v2",
    ]);
    let ro = !name.starts_with("Update");
    let (req, resp) = if ro {
        let req = if name.contains("List") {
            Obj::new().n("maxItems", 50).end()
        } else {
            Obj::new().s("functionName", func).end()
        };
        (req, None)
    } else {
        let tbl = c.rng.hex(6);
        let req = Obj::new()
            .s("functionName", func)
            .n("timeout", 60)
            .n("memorySize", 512)
            .raw(
                "environment",
                &Obj::new()
                    .raw(
                        "variables",
                        &Obj::new()
                            .s("LOG_LEVEL", "info")
                            .s("TABLE", &format!("events-{tbl}"))
                            .end(),
                    )
                    .end(),
            )
            .end();
        let recent = when >= ts(2024, 1, 1, 0, 0);
        let runtime = if recent {
            "python3.12"
        } else if when >= ts(2021, 8, 1, 0, 0) {
            "python3.9"
        } else {
            "python3.7"
        };
        let r = &mut *c.rng;
        let mut o = Obj::new()
            .s("functionName", func)
            .s("functionArn", &farn)
            .s("runtime", runtime)
            .s(
                "role",
                &format!("arn:aws:iam::{acct}:role/service-role/lambda-ingest-exec"),
            )
            .s("handler", "app.handler")
            .n("codeSize", r.range(1000, 90_000_000))
            .s("description", "")
            .n("timeout", 60)
            .n("memorySize", 512)
            .s("lastModified", &iso(when).replace('Z', ".000+0000"))
            .s("codeSha256", &r.b64(32))
            .s("version", "$LATEST")
            .raw(
                "environment",
                &Obj::new()
                    .raw(
                        "variables",
                        &Obj::new().s("LOG_LEVEL", "info").s("TABLE", "events").end(),
                    )
                    .end(),
            )
            .raw("tracingConfig", &Obj::new().s("mode", "PassThrough").end())
            .s("revisionId", &r.uuid())
            .s("state", "Active")
            .s("lastUpdateStatus", "InProgress")
            .s("lastUpdateStatusReason", "The function is being created.")
            .s("lastUpdateStatusReasonCode", "Creating")
            .s("packageType", "Zip");
        if when >= ts(2021, 10, 1, 0, 0) {
            o = o
                .raw("architectures", &arr_s(&["arm64"]))
                .raw("ephemeralStorage", &Obj::new().n("size", 512).end());
        }
        if recent {
            let h = r.hex(64);
            o = o
                .raw(
                    "snapStart",
                    &Obj::new()
                        .s("applyOn", "None")
                        .s("optimizationStatus", "Off")
                        .end(),
                )
                .raw(
                    "runtimeVersionConfig",
                    &Obj::new()
                        .s(
                            "runtimeVersionArn",
                            &format!("arn:aws:lambda:{region}::runtime:{h}"),
                        )
                        .end(),
                )
                .raw(
                    "loggingConfig",
                    &Obj::new()
                        .s("logFormat", "Text")
                        .s("logGroup", &format!("/aws/lambda/{func}"))
                        .end(),
                );
        }
        (req, Some(o.end()))
    };
    let (ident, ua) = ci_ident(c, when);
    let mut b = Base::new(when, "lambda.amazonaws.com", name);
    b.ident = Some(ident);
    b.ip = pub_ip(c.rng);
    b.ua = ua;
    b.req = Some(req);
    b.resp = resp;
    b.read_only = Some(ro);
    b.tls_host = Some(format!("lambda.{region}.amazonaws.com"));
    emit(c, b, out, Class::Noise, None)
}

#[allow(clippy::too_many_arguments)]
fn simple(
    c: &mut Ctx,
    out: &mut String,
    source: &'static str,
    name: &'static str,
    ident: String,
    ua: String,
    req: Option<String>,
    resources: Option<String>,
) -> RecordInfo {
    let when = c.t();
    let mut b = Base::new(when, source, name);
    b.ident = Some(ident);
    b.ip = pub_ip(c.rng);
    b.ua = ua;
    b.req = req;
    b.read_only = Some(true);
    b.resources = resources;
    let svc = source.trim_end_matches(".amazonaws.com");
    b.tls_host = Some(format!("{svc}.{}.amazonaws.com", c.region));
    emit(c, b, out, Class::Noise, None)
}

fn n_secrets(c: &mut Ctx, out: &mut String) -> RecordInfo {
    let when = c.deliver;
    let sec = format!(
        "arn:aws:secretsmanager:{}:{}:secret:prod/db/postgres-{}",
        c.region,
        c.acct,
        c.rng.alnum(6)
    );
    let session = c.rng.hex(32);
    let ident = ident_role(c, "ecs-task-exec", &session, when, RoleOpts::default());
    let res = arr([Obj::new()
        .s("accountId", c.acct)
        .s("type", "AWS::SecretsManager::Secret")
        .s("ARN", &sec)
        .end()]);
    let req = Obj::new().s("secretId", &sec).end();
    simple(
        c,
        out,
        "secretsmanager.amazonaws.com",
        "GetSecretValue",
        ident,
        UA_JAVA.into(),
        Some(req),
        Some(res),
    )
}

fn n_dynamo(c: &mut Ctx, out: &mut String) -> RecordInfo {
    let when = c.deliver;
    let t = *c.rng.pick(&["events", "sessions", "terraform-locks"]);
    let ident = ident_user(c, "ci-deployer", when, false);
    let ua = ua_terraform(c, when, "dynamodb#1.30.0");
    let tarn = format!("arn:aws:dynamodb:{}:{}:table/{t}", c.region, c.acct);
    let res = arr([Obj::new()
        .s("accountId", c.acct)
        .s("type", "AWS::DynamoDB::Table")
        .s("ARN", &tarn)
        .end()]);
    let name = *c.rng.pick(&[
        "DescribeTable",
        "DescribeTable",
        "DescribeContinuousBackups",
        "ListTagsOfResource",
    ]);
    let req = Obj::new().s("tableName", t).end();
    simple(
        c,
        out,
        "dynamodb.amazonaws.com",
        name,
        ident,
        ua,
        Some(req),
        Some(res),
    )
}

fn n_ecr(c: &mut Ctx, out: &mut String) -> RecordInfo {
    let when = c.deliver;
    let session = c.rng.hex(32);
    let ident = ident_role(c, "ecs-task-exec", &session, when, RoleOpts::default());
    simple(
        c,
        out,
        "ecr.amazonaws.com",
        "GetAuthorizationToken",
        ident,
        "ecs-tasks.amazonaws.com".into(),
        None,
        None,
    )
}

fn n_cfn(c: &mut Ctx, out: &mut String) -> RecordInfo {
    let when = c.deliver;
    let stack = *c
        .rng
        .pick(&["network-baseline", "app-prod", "observability"]);
    let ident = ident_role(
        c,
        SSO_RO_ROLE,
        "auditor@example.com",
        when,
        RoleOpts::default(),
    );
    let id = c.rng.uuid();
    let req = Obj::new()
        .s(
            "stackName",
            &format!(
                "arn:aws:cloudformation:{}:{}:stack/{stack}/{id}",
                c.region, c.acct
            ),
        )
        .end();
    simple(
        c,
        out,
        "cloudformation.amazonaws.com",
        "DescribeStacks",
        ident,
        "AWS Internal".into(),
        Some(req),
        None,
    )
}

fn n_caller_identity(c: &mut Ctx, out: &mut String) -> RecordInfo {
    let when = c.deliver;
    let kind = *c.rng.pick(&[Actor::Terraform, Actor::Cli, Actor::Github]);
    let (ident, _, ua) = actor(c, when, Some(kind));
    let ua = ua.unwrap_or_else(|| ua_cli(c, when, "sts.get-caller-identity"));
    simple(
        c,
        out,
        "sts.amazonaws.com",
        "GetCallerIdentity",
        ident,
        ua,
        None,
        None,
    )
}

fn n_monitoring(c: &mut Ctx, out: &mut String) -> RecordInfo {
    let when = c.deliver;
    let ident = ident_role(c, "grafana-readonly", "grafana", when, RoleOpts::default());
    let ua = format!(
        "aws-sdk-go/1.44.{} (go1.21.5; linux; amd64)",
        c.rng.range(100, 330)
    );
    let (name, req) = if c.rng.chance(0.5) {
        ("DescribeAlarms", Obj::new().n("maxRecords", 100).end())
    } else {
        (
            "GetMetricData",
            Obj::new()
                .s("startTime", &java_date(when - 3 * 3600))
                .s("endTime", &java_date(when))
                .n("maxDatapoints", 1000)
                .end(),
        )
    };
    simple(
        c,
        out,
        "monitoring.amazonaws.com",
        name,
        ident,
        ua,
        Some(req),
        None,
    )
}

fn n_elb(c: &mut Ctx, out: &mut String) -> RecordInfo {
    let when = c.t();
    let tg = format!(
        "arn:aws:elasticloadbalancing:{}:{}:targetgroup/web/{}",
        c.region,
        c.acct,
        c.rng.hex(16)
    );
    let mut b = Base::new(
        when,
        "elasticloadbalancing.amazonaws.com",
        "DescribeTargetHealth",
    );
    b.ident = Some(ident_role(
        c,
        "AWSServiceRoleForAutoScaling",
        "AutoScaling",
        when,
        RoleOpts::default(),
    ));
    b.ip = "autoscaling.amazonaws.com".into();
    b.ua = "autoscaling.amazonaws.com".into();
    b.req = Some(Obj::new().s("targetGroupArn", &tg).end());
    b.read_only = Some(true);
    emit(c, b, out, Class::Noise, None)
}

fn n_ecs_register(c: &mut Ctx, out: &mut String) -> RecordInfo {
    let when = c.t();
    let (acct, region) = (c.acct, c.region);
    let env: Vec<String> = (0..40)
        .map(|i| {
            let len = c.rng.range(8, 40) as usize;
            Obj::new()
                .s("name", &format!("VAR_{i:02}"))
                .s("value", &format!("value-{}", c.rng.alnum(len)))
                .end()
        })
        .collect();
    let env = arr(env);
    let image = format!(
        "{acct}.dkr.ecr.{region}.amazonaws.com/api:{}",
        c.rng.hex(40)
    );
    let secret = format!(
        "arn:aws:secretsmanager:{region}:{acct}:secret:prod/db-{}",
        c.rng.alnum(6)
    );
    let cdef = Obj::new()
        .s("name", "api")
        .s("image", &image)
        .n("cpu", 512)
        .n("memory", 1024)
        .raw(
            "portMappings",
            &arr([Obj::new()
                .n("containerPort", 8080)
                .n("hostPort", 8080)
                .s("protocol", "tcp")
                .end()]),
        )
        .b("essential", true)
        .raw("environment", &env)
        .raw(
            "secrets",
            &arr([Obj::new()
                .s("name", "DB_PASSWORD")
                .s("valueFrom", &secret)
                .end()]),
        )
        .raw(
            "logConfiguration",
            &Obj::new()
                .s("logDriver", "awslogs")
                .raw(
                    "options",
                    &Obj::new()
                        .s("awslogs-group", "/ecs/api")
                        .s("awslogs-region", region)
                        .s("awslogs-stream-prefix", "api")
                        .end(),
                )
                .end(),
        )
        .raw(
            "healthCheck",
            &Obj::new()
                .raw(
                    "command",
                    &arr_s(&[
                        "CMD-SHELL",
                        "curl -f http://localhost:8080/healthz || exit 1",
                    ]),
                )
                .n("interval", 30)
                .n("timeout", 5)
                .n("retries", 3)
                .end(),
        )
        .end();
    let body = |o: Obj| {
        o.s("family", "api")
            .s("taskRoleArn", &format!("arn:aws:iam::{acct}:role/api-task"))
            .s(
                "executionRoleArn",
                &format!("arn:aws:iam::{acct}:role/ecs-task-exec"),
            )
            .s("networkMode", "awsvpc")
            .raw("containerDefinitions", &arr([cdef.clone()]))
            .raw("requiresCompatibilities", &arr_s(&["FARGATE"]))
            .s("cpu", "512")
            .s("memory", "1024")
    };
    let req = body(Obj::new()).end();
    let rev = c.rng.range(10, 900);
    let td = body(Obj::new())
        .s(
            "taskDefinitionArn",
            &format!("arn:aws:ecs:{region}:{acct}:task-definition/api:{rev}"),
        )
        .n("revision", rev)
        .s("status", "ACTIVE")
        .s("registeredAt", &java_date(when))
        .s(
            "registeredBy",
            &format!("arn:aws:sts::{acct}:assumed-role/github-actions-deploy/GitHubActions"),
        )
        .end();
    let (ident, ua) = ci_ident(c, when);
    let mut b = Base::new(when, "ecs.amazonaws.com", "RegisterTaskDefinition");
    b.ident = Some(ident);
    b.ip = pub_ip(c.rng);
    b.ua = ua;
    b.req = Some(req);
    b.resp = Some(Obj::new().raw("taskDefinition", &td).end());
    b.read_only = Some(false);
    b.tls_host = Some(format!("ecs.{region}.amazonaws.com"));
    emit(c, b, out, Class::Noise, None)
}

fn n_iam_read(c: &mut Ctx, out: &mut String) -> RecordInfo {
    let when = c.t();
    let (name, req) = match c.rng.below(6) {
        0 => ("ListRoles", Some(Obj::new().n("maxItems", 1000).end())),
        1 => {
            let role = *c.rng.pick(&[
                "ec2-app-role",
                "lambda-ingest-exec",
                "github-actions-deploy",
            ]);
            ("GetRole", Some(Obj::new().s("roleName", role).end()))
        }
        2 => (
            "ListAttachedRolePolicies",
            Some(Obj::new().s("roleName", "ec2-app-role").end()),
        ),
        3 => {
            let v = c.rng.range(50, 120);
            (
                "GetPolicyVersion",
                Some(
                    Obj::new()
                        .s("policyArn", "arn:aws:iam::aws:policy/ReadOnlyAccess")
                        .s("versionId", &format!("v{v}"))
                        .end(),
                ),
            )
        }
        4 => ("GenerateCredentialReport", None),
        _ => ("ListUsers", Some(Obj::new().n("maxItems", 100).end())),
    };
    let kind = *c.rng.pick(&[Actor::Terraform, Actor::Sso, Actor::Cli]);
    let (ident, ip, ua) = actor(c, when, Some(kind));
    let mut b = Base::new(when, "iam.amazonaws.com", name);
    b.ident = Some(ident);
    b.ip = ip;
    b.ua = ua.unwrap_or_else(|| "AWS Internal".into());
    b.req = req;
    b.read_only = Some(true);
    b.tls_host = Some("iam.amazonaws.com".into());
    emit(c, b, out, Class::Noise, None)
}

fn n_signin(c: &mut Ctx, out: &mut String) -> RecordInfo {
    let when = c.t();
    let who = *c.rng.pick(&["alice.nguyen", "bob.schmidt"]);
    let acct = c.acct;
    let pid = unique_id("AIDA", &format!("{acct}/user/{who}"));
    let ident = Obj::new()
        .s("type", "IAMUser")
        .s("principalId", &pid)
        .s("arn", &format!("arn:aws:iam::{acct}:user/{who}"))
        .s("accountId", acct)
        .s("userName", who)
        .end();
    let add = Obj::new()
        .s(
            "LoginTo",
            &format!(
                "https://console.aws.amazon.com/console/home?hashArgs=%23&isauthcode=true&state=hashArgsFromTB_us-east-1_{}",
                c.rng.hex(16)
            ),
        )
        .s("MobileVersion", "No")
        .s("MFAIdentifier", &format!("arn:aws:iam::{acct}:mfa/{who}"))
        .s("MFAUsed", "Yes")
        .end();
    let mut b = Base::new(when, "signin.amazonaws.com", "ConsoleLogin");
    b.ident = Some(ident);
    b.ip = pub_ip(c.rng);
    b.ua = UA_BROWSER.into();
    b.resp = Some(Obj::new().s("ConsoleLogin", "Success").end());
    b.add = Some(add);
    b.read_only = Some(false);
    b.etype = "AwsConsoleSignIn";
    b.tls_host = Some("signin.aws.amazon.com".into());
    emit(c, b, out, Class::Noise, None)
}

type Gen = fn(&mut Ctx, &mut String) -> RecordInfo;

const NOISE: [(Gen, f64); 22] = [
    (n_s3_data, 24.0),
    (n_s3_read_mgmt, 10.0),
    (n_s3_list_buckets, 2.0),
    (n_s3_write_mgmt, 3.0),
    (n_assume_role, 11.0),
    (n_assume_role_web, 2.0),
    (n_kms, 12.0),
    (n_ec2_describe, 8.0),
    (n_ec2_tags, 2.0),
    (n_ec2_run, 1.2),
    (n_ssm, 6.0),
    (n_logs, 4.0),
    (n_lambda, 4.0),
    (n_secrets, 3.0),
    (n_dynamo, 2.0),
    (n_ecr, 2.0),
    (n_cfn, 2.0),
    (n_caller_identity, 3.0),
    (n_monitoring, 3.0),
    (n_elb, 2.0),
    (n_ecs_register, 0.6),
    (n_iam_read, 0.0), // global: weight set per region below
];

/// One ordinary record.
pub fn noise(c: &mut Ctx, out: &mut String) -> RecordInfo {
    let global = c.region == "us-east-1";
    let mut weights = [0.0; 23];
    for (i, (_, w)) in NOISE.iter().enumerate() {
        weights[i] = *w;
    }
    if global {
        weights[21] = 6.0;
        weights[22] = 1.0;
    }
    match c.rng.weighted(&weights) {
        22 => n_signin(c, out),
        i => (NOISE[i].0)(c, out),
    }
}

// ---------------------------------------------------------------------------
// decoys: never a finding, never a natural-filter match

fn d_iam_create_policy(c: &mut Ctx, out: &mut String) -> RecordInfo {
    let when = c.t();
    let doc = Obj::new()
        .s("Version", "2012-10-17")
        .raw(
            "Statement",
            &arr([
                Obj::new()
                    .s("Sid", "DenyPublicAcls")
                    .s("Effect", "Deny")
                    .raw(
                        "Action",
                        &arr_s(&[
                            "s3:PutBucketAcl",
                            "s3:PutObjectAcl",
                            "s3:PutBucketPolicy",
                            "s3:PutBucketPublicAccessBlock",
                            "s3:DeleteBucketPublicAccessBlock",
                            "s3:PutAccountPublicAccessBlock",
                        ]),
                    )
                    .s("Resource", "*")
                    .raw(
                        "Condition",
                        &Obj::new()
                            .raw(
                                "StringEquals",
                                &Obj::new()
                                    .raw(
                                        "s3:x-amz-acl",
                                        &arr_s(&[
                                            "public-read",
                                            "public-read-write",
                                            "authenticated-read",
                                        ]),
                                    )
                                    .end(),
                            )
                            .end(),
                    )
                    .end(),
                Obj::new()
                    .s("Sid", "NoteForAuditors")
                    .s("Effect", "Deny")
                    .s("Action", "s3:PutObject")
                    .s("Resource", "arn:aws:s3:::*/*")
                    .raw(
                        "Condition",
                        &Obj::new()
                            .raw(
                                "StringLike",
                                &Obj::new()
                                    .raw(
                                        "s3:x-amz-grant-read",
                                        &arr_s(&[
                                            "*http://acs.amazonaws.com/groups/global/AllUsers*",
                                        ]),
                                    )
                                    .end(),
                            )
                            .end(),
                    )
                    .end(),
            ]),
        )
        .end();
    let (ident, ip, ua) = actor(c, when, Some(Actor::Terraform));
    let acct = c.acct;
    let pid = c.rng.upper_digits(17);
    let mut b = Base::new(when, "iam.amazonaws.com", "CreatePolicy");
    b.ident = Some(ident);
    b.ip = ip;
    b.ua = ua.unwrap_or_default();
    b.req = Some(
        Obj::new()
            .s("policyName", "s3-public-guardrail")
            .s("policyDocument", &spaced(&doc))
            .s(
                "description",
                "Blocks PutBucketAcl/PutBucketPolicy that would make a bucket public (\"Principal\":\"*\")",
            )
            .end(),
    );
    b.resp = Some(
        Obj::new()
            .raw(
                "policy",
                &Obj::new()
                    .s("policyName", "s3-public-guardrail")
                    .s("policyId", &format!("ANPA{pid}"))
                    .s(
                        "arn",
                        &format!("arn:aws:iam::{acct}:policy/s3-public-guardrail"),
                    )
                    .s("path", "/")
                    .s("defaultVersionId", "v1")
                    .n("attachmentCount", 0)
                    .n("permissionsBoundaryUsageCount", 0)
                    .b("isAttachable", true)
                    .s("createDate", &java_date(when))
                    .s("updateDate", &java_date(when))
                    .end(),
            )
            .end(),
    );
    b.read_only = Some(false);
    b.tls_host = Some("iam.amazonaws.com".into());
    emit(c, b, out, Class::Decoy, None)
}

fn d_iam_role_policy(c: &mut Ctx, out: &mut String) -> RecordInfo {
    let when = c.t();
    let trust = c.rng.chance(0.5);
    let doc = if trust {
        let ext = c.rng.hex(12);
        Obj::new()
            .s("Version", "2012-10-17")
            .raw(
                "Statement",
                &arr([Obj::new()
                    .s("Effect", "Allow")
                    .raw("Principal", &Obj::new().s("AWS", "*").end())
                    .s("Action", "sts:AssumeRole")
                    .raw(
                        "Condition",
                        &Obj::new()
                            .raw(
                                "StringEquals",
                                &Obj::new().s("sts:ExternalId", &format!("acme-{ext}")).end(),
                            )
                            .end(),
                    )
                    .end()]),
            )
            .end()
    } else {
        Obj::new()
            .s("Version", "2012-10-17")
            .raw(
                "Statement",
                &arr([Obj::new()
                    .s("Effect", "Allow")
                    .raw(
                        "Action",
                        &arr_s(&[
                            "s3:PutBucketPolicy",
                            "s3:PutBucketAcl",
                            "s3:PutObjectAcl",
                            "s3:GetBucketPolicy",
                        ]),
                    )
                    .raw(
                        "Resource",
                        &arr_s(&[
                            "arn:aws:s3:::acme-prod-static-assets",
                            "arn:aws:s3:::acme-prod-static-assets/*",
                        ]),
                    )
                    .end()]),
            )
            .end()
    };
    let (ident, ip, ua) = actor(c, when, Some(Actor::Terraform));
    let (name, req) = if trust {
        (
            "UpdateAssumeRolePolicy",
            Obj::new()
                .s("roleName", "vendor-integration")
                .s("policyDocument", &doc)
                .end(),
        )
    } else {
        (
            "PutRolePolicy",
            Obj::new()
                .s("roleName", "site-publisher")
                .s("policyName", "s3-publish")
                .s("policyDocument", &doc)
                .end(),
        )
    };
    let mut b = Base::new(when, "iam.amazonaws.com", name);
    b.ident = Some(ident);
    b.ip = ip;
    b.ua = ua.unwrap_or_default();
    b.req = Some(req);
    b.read_only = Some(false);
    b.tls_host = Some("iam.amazonaws.com".into());
    emit(c, b, out, Class::Decoy, None)
}

fn d_events_put_rule(c: &mut Ctx, out: &mut String) -> RecordInfo {
    let when = c.t();
    let pattern = Obj::new()
        .raw("source", &arr_s(&["aws.s3"]))
        .raw("detail-type", &arr_s(&["AWS API Call via CloudTrail"]))
        .raw(
            "detail",
            &Obj::new()
                .raw("eventSource", &arr_s(&["s3.amazonaws.com"]))
                .raw(
                    "eventName",
                    &arr_s(&[
                        "PutBucketAcl",
                        "CreateBucket",
                        "PutBucketPolicy",
                        "PutBucketPublicAccessBlock",
                        "DeleteBucketPublicAccessBlock",
                    ]),
                )
                .end(),
        )
        .end();
    let (ident, ip, ua) = actor(c, when, Some(Actor::Terraform));
    let rn = "henry-s3-public-bucket";
    let mut b = Base::new(when, "events.amazonaws.com", "PutRule");
    b.ident = Some(ident);
    b.ip = ip;
    b.ua = ua.unwrap_or_default();
    b.req = Some(
        Obj::new()
            .s("name", rn)
            .s("eventPattern", &spaced(&pattern))
            .s("state", "ENABLED")
            .s(
                "description",
                "Henry: alert when PutBucketAcl or CreateBucket makes a bucket public",
            )
            .end(),
    );
    b.resp = Some(
        Obj::new()
            .s(
                "ruleArn",
                &format!("arn:aws:events:{}:{}:rule/{rn}", c.region, c.acct),
            )
            .end(),
    );
    b.read_only = Some(false);
    b.tls_host = Some(format!("events.{}.amazonaws.com", c.region));
    emit(c, b, out, Class::Decoy, None)
}

fn d_metric_filter(c: &mut Ctx, out: &mut String) -> RecordInfo {
    let when = c.t();
    let pattern = "{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || \
                   ($.eventName = PutBucketPolicy) || ($.eventName = PutBucketCors) || ($.eventName = PutBucketLifecycle) || \
                   ($.eventName = PutBucketReplication) || ($.eventName = DeleteBucketPolicy) || \
                   ($.eventName = DeleteBucketCors) || ($.eventName = DeleteBucketLifecycle) || \
                   ($.eventName = DeleteBucketReplication)) }";
    let (ident, ip, ua) = actor(c, when, Some(Actor::Terraform));
    let lg = format!("aws-cloudtrail-logs-{}-{}", c.acct, c.rng.hex(8));
    let mut b = Base::new(when, "logs.amazonaws.com", "PutMetricFilter");
    b.ident = Some(ident);
    b.ip = ip;
    b.ua = ua.unwrap_or_default();
    b.req = Some(
        Obj::new()
            .s("logGroupName", &lg)
            .s("filterName", "S3BucketPolicyChanges")
            .s("filterPattern", pattern)
            .raw(
                "metricTransformations",
                &arr([Obj::new()
                    .s("metricName", "S3BucketPolicyChanges")
                    .s("metricNamespace", "CISBenchmark")
                    .s("metricValue", "1")
                    .end()]),
            )
            .end(),
    );
    b.read_only = Some(false);
    b.tls_host = Some(format!("logs.{}.amazonaws.com", c.region));
    emit(c, b, out, Class::Decoy, None)
}

fn d_lookup_events(c: &mut Ctx, out: &mut String) -> RecordInfo {
    // Unusual field order: eventName first, eventSource last.
    let when = c.t();
    let (ident, ip, _) = actor(c, when, Some(Actor::Sso));
    let event_id = c.rng.uuid();
    let request_id = c.rng.uuid();
    let mut o = Obj::new()
        .s("eventName", "LookupEvents")
        .raw(
            "requestParameters",
            &Obj::new()
                .raw(
                    "lookupAttributes",
                    &arr([Obj::new()
                        .s("attributeKey", "EventName")
                        .s("attributeValue", "PutBucketAcl")
                        .end()]),
                )
                .s("startTime", &java_date(when - 7 * 86400))
                .s("endTime", &java_date(when))
                .n("maxResults", 50)
                .end(),
        )
        .s("eventTime", &iso(when))
        .raw("userIdentity", &ident)
        .s("awsRegion", c.region)
        .s("eventVersion", ev_version(when))
        .s("sourceIPAddress", &ip)
        .s("userAgent", "AWS Internal")
        .null("responseElements")
        .s("requestID", &request_id)
        .s("eventID", &event_id)
        .b("readOnly", true)
        .s("eventType", "AwsApiCall");
    if c.era != Era::Old {
        o = o.b("managementEvent", true);
    }
    o = o.s("recipientAccountId", c.acct);
    if c.era == Era::New {
        o = o.s("eventCategory", "Management");
    }
    out.push_str(&o.s("eventSource", "cloudtrail.amazonaws.com").end());
    RecordInfo {
        event_id,
        event_name: "LookupEvents",
        event_source: "cloudtrail.amazonaws.com",
        time: when,
        class: Class::Decoy,
        kind: None,
        candidate: false,
    }
}

fn d_lightsail(c: &mut Ctx, out: &mut String) -> RecordInfo {
    let when = c.t();
    let update = c.rng.chance(0.4);
    let bucket = format!("lightsail-site-{}", c.rng.alnum(6).to_ascii_lowercase());
    let (ident, ip, _) = actor(c, when, Some(Actor::ConsoleUser));
    let (acct, region) = (c.acct, c.region);
    let rules = Obj::new()
        .s("getObject", "public")
        .b("allowPublicOverrides", false)
        .end();
    let op = Obj::new()
        .s("id", &c.rng.uuid())
        .s("resourceName", &bucket)
        .s("resourceType", "Bucket")
        .s("createdAt", &java_date(when))
        .raw(
            "location",
            &Obj::new()
                .s("availabilityZone", "all")
                .s("regionName", region)
                .end(),
        )
        .b("isTerminal", true)
        .s(
            "operationType",
            if update {
                "UpdateBucket"
            } else {
                "CreateBucket"
            },
        )
        .s("status", "Succeeded")
        .s("statusChangedAt", &java_date(when))
        .end();
    let (name, req, resp) = if update {
        (
            "UpdateBucket",
            Obj::new()
                .s("bucketName", &bucket)
                .raw("accessRules", &rules)
                .end(),
            Obj::new()
                .raw(
                    "bucket",
                    &Obj::new()
                        .s("name", &bucket)
                        .raw("accessRules", &rules)
                        .end(),
                )
                .raw("operations", &arr([op]))
                .end(),
        )
    } else {
        let id = c.rng.uuid();
        let support = c.rng.hex(12);
        (
            "CreateBucket",
            Obj::new()
                .s("bucketName", &bucket)
                .s("bundleId", "small_1_0")
                .b("enableObjectVersioning", false)
                .end(),
            Obj::new()
                .raw(
                    "bucket",
                    &Obj::new()
                        .s("resourceType", "Bucket")
                        .raw("accessRules", &rules)
                        .s(
                            "arn",
                            &format!("arn:aws:lightsail:{region}:{acct}:Bucket/{id}"),
                        )
                        .s("bundleId", "small_1_0")
                        .s("createdAt", &java_date(when))
                        .s(
                            "url",
                            &format!("https://{bucket}.s3.{region}.amazonaws.com/"),
                        )
                        .raw(
                            "location",
                            &Obj::new()
                                .s("availabilityZone", "all")
                                .s("regionName", region)
                                .end(),
                        )
                        .s("name", &bucket)
                        .s("supportCode", &format!("{support}/{bucket}"))
                        .raw("tags", "[]")
                        .s("objectVersioning", "NeverEnabled")
                        .b("ableToUpdateBundle", true)
                        .raw("state", &Obj::new().s("code", "OK").end())
                        .end(),
                )
                .raw("operations", &arr([op]))
                .end(),
        )
    };
    let mut b = Base::new(when, "lightsail.amazonaws.com", name);
    b.ident = Some(ident);
    b.ip = ip;
    b.ua = "AWS Internal".into();
    b.req = Some(req);
    b.resp = Some(resp);
    b.read_only = Some(false);
    b.tls_host = Some(format!("lightsail.{region}.amazonaws.com"));
    emit(c, b, out, Class::Decoy, None)
}

fn d_outposts_policy(c: &mut Ctx, out: &mut String) -> RecordInfo {
    let when = c.t();
    let (acct, region) = (c.acct, c.region);
    let outpost = "op-01ac5d28a6a232904";
    let barn =
        format!("arn:aws:s3-outposts:{region}:{acct}:outpost/{outpost}/bucket/factory-telemetry");
    let policy = policy_doc(
        &[stmt(
            Some("PublicRead"),
            "Allow",
            &q("*"),
            &q("s3-outposts:GetObject"),
            &q(&format!("{barn}/object/*")),
            None,
        )],
        false,
    );
    let (ident, ip, _) = actor(c, when, Some(Actor::Cli));
    let ua = ua_cli(c, when, "s3control.put-bucket-policy");
    let id2 = c.rng.b64(56);
    let mut b = Base::new(when, "s3-outposts.amazonaws.com", "PutBucketPolicy");
    b.ident = Some(ident);
    b.ip = ip;
    b.ua = ua;
    b.req = Some(
        Obj::new()
            .raw("bucketPolicy", &policy)
            .s("bucketName", &barn)
            .s("Host", &format!("s3-outposts.{region}.amazonaws.com"))
            .s("policy", "")
            .end(),
    );
    b.add = Some(
        Obj::new()
            .s("SignatureVersion", "SigV4")
            .s("CipherSuite", "TLS_AES_128_GCM_SHA256")
            .n("bytesTransferredIn", 210)
            .s("AuthenticationMethod", "AuthHeader")
            .s("x-amz-id-2", &id2)
            .n("bytesTransferredOut", 0)
            .end(),
    );
    b.read_only = Some(false);
    b.resources = Some(arr([Obj::new()
        .s("accountId", acct)
        .s("type", "AWS::S3Outposts::Bucket")
        .s("ARN", &barn)
        .end()]));
    b.request_id = Some(c.rng.hex_upper(16));
    b.tls_host = Some(format!("s3-outposts.{region}.amazonaws.com"));
    emit(c, b, out, Class::Decoy, None)
}

fn d_sns_policy(c: &mut Ctx, out: &mut String) -> RecordInfo {
    let when = c.t();
    let topic = format!("arn:aws:sns:{}:{}:s3-events", c.region, c.acct);
    let p = policy_doc(
        &[
            stmt(
                Some("AllowS3"),
                "Allow",
                &Obj::new().s("Service", "s3.amazonaws.com").end(),
                &q("SNS:Publish"),
                &q(&topic),
                Some(
                    &Obj::new()
                        .raw(
                            "ArnLike",
                            &Obj::new().s("aws:SourceArn", "arn:aws:s3:*:*:*").end(),
                        )
                        .end(),
                ),
            ),
            stmt(
                Some("Public"),
                "Allow",
                &q("*"),
                &q("SNS:Subscribe"),
                &q(&topic),
                None,
            ),
        ],
        false,
    );
    let (ident, ip, ua) = actor(c, when, Some(Actor::Terraform));
    let mut b = Base::new(when, "sns.amazonaws.com", "SetTopicAttributes");
    b.ident = Some(ident);
    b.ip = ip;
    b.ua = ua.unwrap_or_default();
    b.req = Some(
        Obj::new()
            .s("topicArn", &topic)
            .s("attributeName", "Policy")
            .s("attributeValue", &spaced(&p))
            .end(),
    );
    b.read_only = Some(false);
    b.tls_host = Some(format!("sns.{}.amazonaws.com", c.region));
    emit(c, b, out, Class::Decoy, None)
}

fn d_kms_key_policy(c: &mut Ctx, out: &mut String) -> RecordInfo {
    // A large KMS key policy (10 to 30 KB) full of {"AWS":"*"} statements
    // confined by kms:ViaService: the tail of the record size distribution.
    let when = c.t();
    let (acct, region) = (c.acct, c.region);
    let size = c.rng.range(8_000, 30_000) as usize;
    let mut stmts = vec![stmt(
        Some("Enable IAM User Permissions"),
        "Allow",
        &Obj::new()
            .s("AWS", &format!("arn:aws:iam::{acct}:root"))
            .end(),
        &q("kms:*"),
        &q("*"),
        None,
    )];
    let mut total = stmts[0].len();
    let mut i = 0;
    while total < size {
        i += 1;
        let s = stmt(
            Some(&format!("AllowUseViaS3-{i:03}")),
            "Allow",
            &Obj::new().s("AWS", "*").end(),
            &arr_s(&[
                "kms:Encrypt",
                "kms:Decrypt",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:DescribeKey",
            ]),
            &q("*"),
            Some(
                &Obj::new()
                    .raw(
                        "StringEquals",
                        &Obj::new()
                            .s("kms:ViaService", &format!("s3.{region}.amazonaws.com"))
                            .s("kms:CallerAccount", acct)
                            .end(),
                    )
                    .raw(
                        "StringLike",
                        &Obj::new()
                            .s(
                                "kms:EncryptionContext:aws:s3:arn",
                                &format!("arn:aws:s3:::team-{i:03}-*"),
                            )
                            .end(),
                    )
                    .end(),
            ),
        );
        total += s.len();
        stmts.push(s);
    }
    let (ident, ip, ua) = actor(c, when, Some(Actor::Terraform));
    let karn = kms_key_arn(c);
    let mut b = Base::new(when, "kms.amazonaws.com", "PutKeyPolicy");
    b.ident = Some(ident);
    b.ip = ip;
    b.ua = ua.unwrap_or_default();
    b.req = Some(
        Obj::new()
            .s("keyId", &karn)
            .s("policyName", "default")
            .s("policy", &spaced(&policy_doc(&stmts, false)))
            .b("bypassPolicyLockoutSafetyCheck", false)
            .end(),
    );
    b.read_only = Some(false);
    b.resources = Some(arr([Obj::new()
        .s("accountId", acct)
        .s("type", "AWS::KMS::Key")
        .s("ARN", &karn)
        .end()]));
    b.tls_host = Some(format!("kms.{region}.amazonaws.com"));
    emit(c, b, out, Class::Decoy, None)
}

/// One decoy record.
pub fn decoy(c: &mut Ctx, out: &mut String) -> RecordInfo {
    let global = c.region == "us-east-1";
    let weights = [
        if global { 2.0 } else { 0.0 },
        if global { 3.0 } else { 0.0 },
        2.0,
        1.5,
        1.0,
        1.5,
        0.7,
        1.5,
        0.3,
    ];
    match c.rng.weighted(&weights) {
        0 => d_iam_create_policy(c, out),
        1 => d_iam_role_policy(c, out),
        2 => d_events_put_rule(c, out),
        3 => d_metric_filter(c, out),
        4 => d_lookup_events(c, out),
        5 => d_lightsail(c, out),
        6 => d_outposts_policy(c, out),
        7 => d_sns_policy(c, out),
        _ => d_kms_key_policy(c, out),
    }
}

// ---------------------------------------------------------------------------
// S3 permission changes: exposing, harmless and failed

fn stmt(
    sid: Option<&str>,
    effect: &str,
    principal: &str,
    action: &str,
    resource: &str,
    cond: Option<&str>,
) -> String {
    let mut o = Obj::new();
    if let Some(sid) = sid {
        o = o.s("Sid", sid);
    }
    o.s("Effect", effect)
        .raw("Principal", principal)
        .raw("Action", action)
        .raw("Resource", resource)
        .opt_raw("Condition", cond)
        .end()
}

fn policy_doc(stmts: &[String], single: bool) -> String {
    let st = if single && stmts.len() == 1 {
        stmts[0].clone()
    } else {
        arr(stmts.iter().cloned())
    };
    Obj::new()
        .s("Version", "2012-10-17")
        .raw("Statement", &st)
        .end()
}

fn grant_group(uri: &str, perm: &str) -> String {
    Obj::new()
        .raw(
            "Grantee",
            &Obj::new()
                .s("xsi:type", "Group")
                .s("xmlns:xsi", XSI)
                .s("URI", uri)
                .end(),
        )
        .s("Permission", perm)
        .end()
}

fn grant_user(canon: &str, perm: &str) -> String {
    Obj::new()
        .raw(
            "Grantee",
            &Obj::new()
                .s("xsi:type", "CanonicalUser")
                .s("xmlns:xsi", XSI)
                .s("ID", canon)
                .end(),
        )
        .s("Permission", perm)
        .end()
}

fn acp(owner: &str, grants: Vec<String>, as_object: bool) -> String {
    let g = if as_object && grants.len() == 1 {
        grants[0].clone()
    } else {
        arr(grants)
    };
    Obj::new()
        .raw("AccessControlList", &Obj::new().raw("Grant", &g).end())
        .s("xmlns", S3NS)
        .raw("Owner", &Obj::new().s("ID", owner).end())
        .end()
}

const CHANGE_BUCKETS: [&str; 8] = [
    "acme-public-downloads",
    "acme-marketing-site",
    "acme-partner-exchange",
    "acme-dev-share",
    "acme-data-exports",
    "acme-media-cdn",
    "acme-static-web",
    "acme-tmp-transfer",
];

/// Number of exposing scenarios (the first ones in `s3_change`).
pub const EXPOSING_SCENARIOS: u64 = 17;
/// Number of harmless scenarios (after the exposing ones).
pub const HARMLESS_SCENARIOS: u64 = 12;

const BA: &str = "bucket-acl-public";
const OA: &str = "object-acl-public";
const BP: &str = "bucket-policy-public";
const BB: &str = "bucket-bpa-disabled";
const AB: &str = "account-bpa-disabled";
const AP: &str = "access-point-policy-public";

fn bpa_conf(flags: [Option<bool>; 4], ns: &str) -> String {
    let names = [
        "RestrictPublicBuckets",
        "BlockPublicPolicy",
        "BlockPublicAcls",
        "IgnorePublicAcls",
    ];
    let mut o = Obj::new().s("xmlns", ns);
    for (name, flag) in names.iter().zip(flags) {
        if let Some(v) = flag {
            o = o.b(name, v);
        }
    }
    o.end()
}

/// An S3 permission change: scenario `0..EXPOSING_SCENARIOS` exposes,
/// the next `HARMLESS_SCENARIOS` do not; `failed` adds an error code.
pub fn s3_change(c: &mut Ctx, out: &mut String, scenario: u64, failed: bool) -> RecordInfo {
    let exposing = scenario < EXPOSING_SCENARIOS;
    let class = match (failed, exposing) {
        (true, _) => Class::Failed,
        (false, true) => Class::Exposing,
        (false, false) => Class::Harmless,
    };
    let error = failed.then_some(DENIED);
    let bucket = format!("{}-{}", c.rng.pick(&CHANGE_BUCKETS), c.rng.range(1, 40));
    let acct = c.acct;
    let owner = canon(acct);
    let key = format!(
        "share/{}/report-{:04}.pdf",
        &iso(c.deliver)[..10],
        c.rng.range(0, 9999)
    );
    let kind_if = |k: &'static str| (class == Class::Exposing).then_some(k);
    let bucket_acl = |c: &mut Ctx,
                      out: &mut String,
                      extra: Vec<P>,
                      body: Option<String>,
                      k: Option<&'static str>| {
        let mut items = vec![P::Raw("bucketName", q(&bucket))];
        let bytes_in = body.as_ref().map_or(0, |b| b.len() as i64);
        if let Some(body) = body {
            items.push(P::Raw("AccessControlPolicy", body));
        }
        items.push(P::Host);
        items.push(P::H("acl", String::new()));
        items.extend(extra);
        let m = S3M {
            command: "s3api.put-bucket-acl",
            bytes_in,
            error,
            ..Default::default()
        };
        s3_mgmt(c, out, "PutBucketAcl", Some(&bucket), &items, m, class, k)
    };
    let create_bucket = |c: &mut Ctx, out: &mut String, extra: Vec<P>, k: Option<&'static str>| {
        let mut items = vec![];
        if c.region != "us-east-1" {
            items.push(P::Raw(
                "CreateBucketConfiguration",
                Obj::new()
                    .s("LocationConstraint", c.region)
                    .s("xmlns", S3NS)
                    .end(),
            ));
        }
        items.push(P::Raw("bucketName", q(&bucket)));
        items.push(P::Host);
        items.extend(extra);
        let old = c.old();
        let host = s3_host(c, if old { None } else { Some(&bucket) }, old);
        let m = S3M {
            command: "s3api.create-bucket",
            host: Some(host),
            error,
            ..Default::default()
        };
        s3_mgmt(c, out, "CreateBucket", Some(&bucket), &items, m, class, k)
    };
    let object_call = |c: &mut Ctx,
                       out: &mut String,
                       name: &'static str,
                       extra: Vec<P>,
                       body: Option<String>,
                       k: Option<&'static str>| {
        let mut items = vec![P::Raw("bucketName", q(&bucket))];
        let bytes_in = body
            .as_ref()
            .map_or(c.rng.range(200, 4_000_000), |b| b.len() as i64);
        if let Some(body) = body {
            items.push(P::Raw("AccessControlPolicy", body));
        }
        items.push(P::Host);
        if name == "PutObjectAcl" {
            items.push(P::H("acl", String::new()));
        }
        items.extend(extra);
        let mut extra_res = vec![];
        if name == "CopyObject" {
            let src = format!("acme-data-lake-raw/exports/{}.csv", c.rng.hex(8));
            items.push(P::H("x-amz-copy-source", src.clone()));
            extra_res.extend(object_res(
                acct,
                "acme-data-lake-raw",
                &src["acme-data-lake-raw/".len()..],
            ));
        }
        items.push(P::Raw("key", q(&key)));
        let resp = if name == "PutObjectAcl" {
            None
        } else {
            sse_resp(c)
        };
        s3_data(
            c,
            out,
            name,
            &bucket,
            &key,
            &items,
            None,
            false,
            resp,
            (bytes_in, 0),
            error,
            extra_res,
            class,
            k,
        )
    };
    let bucket_policy = |c: &mut Ctx,
                         out: &mut String,
                         policy: String,
                         as_string: bool,
                         k: Option<&'static str>| {
        let bytes_in = policy.len() as i64;
        let pv = if as_string {
            q(&spaced(&policy))
        } else {
            policy
        };
        let items = if c.old() {
            vec![
                P::Raw("bucketName", q(&bucket)),
                P::Raw("bucketPolicy", pv),
                P::Host,
                P::H("policy", String::new()),
            ]
        } else {
            vec![
                P::Raw("bucketPolicy", pv),
                P::Raw("bucketName", q(&bucket)),
                P::Host,
                P::H("policy", String::new()),
            ]
        };
        let m = S3M {
            command: "s3api.put-bucket-policy",
            bytes_in,
            error,
            ..Default::default()
        };
        s3_mgmt(
            c,
            out,
            "PutBucketPolicy",
            Some(&bucket),
            &items,
            m,
            class,
            k,
        )
    };
    let bucket_bpa = |c: &mut Ctx,
                      out: &mut String,
                      flags: Option<[Option<bool>; 4]>,
                      k: Option<&'static str>| {
        let mut items = vec![
            P::H("publicAccessBlock", String::new()),
            P::Raw("bucketName", q(&bucket)),
        ];
        let name = match flags {
            Some(f) => {
                items.push(P::Raw("PublicAccessBlockConfiguration", bpa_conf(f, S3NS)));
                "PutBucketPublicAccessBlock"
            }
            None => "DeleteBucketPublicAccessBlock",
        };
        items.push(P::Host);
        let m = S3M {
            command: "s3api.put-public-access-block",
            bytes_in: 200,
            error,
            ..Default::default()
        };
        s3_mgmt(c, out, name, Some(&bucket), &items, m, class, k)
    };
    let account_bpa = |c: &mut Ctx,
                       out: &mut String,
                       flags: Option<[Option<bool>; 4]>,
                       k: Option<&'static str>| {
        let mut items = vec![];
        let name = match flags {
            Some(f) => {
                items.push(P::Raw(
                    "PublicAccessBlockConfiguration",
                    bpa_conf(f, S3CTLNS),
                ));
                "PutAccountPublicAccessBlock"
            }
            None => "DeleteAccountPublicAccessBlock",
        };
        items.push(P::Host);
        let host = s3control_host(c);
        let kind = Some(*c.rng.pick(&[Actor::Root, Actor::Sso, Actor::Terraform]));
        let m = S3M {
            command: "s3control.put-public-access-block",
            host: Some(host),
            resources: Res::Nothing,
            bytes_in: 230,
            kind,
            error,
            ..Default::default()
        };
        s3_mgmt(c, out, name, None, &items, m, class, k)
    };
    let ap_policy = |c: &mut Ctx, out: &mut String, policy: String, k: Option<&'static str>| {
        let ap = format!("{}-ap", bucket);
        let bytes_in = policy.len() as i64 + 120;
        let body = Obj::new()
            .s("xmlns", S3CTLNS)
            .s("Policy", &spaced(&policy))
            .end();
        let items = vec![
            P::Raw("PutAccessPointPolicyRequest", body),
            P::Raw("name", q(&ap)),
            P::Host,
        ];
        let res = arr([Obj::new()
            .s("accountId", c.acct)
            .s("type", "AWS::S3::AccessPoint")
            .s(
                "ARN",
                &format!("arn:aws:s3:{}:{}:accesspoint/{ap}", c.region, c.acct),
            )
            .end()]);
        let host = s3control_host(c);
        let m = S3M {
            command: "s3control.put-access-point-policy",
            host: Some(host),
            resources: Res::Custom(res),
            bytes_in,
            error,
            ..Default::default()
        };
        s3_mgmt(c, out, "PutAccessPointPolicy", None, &items, m, class, k)
    };
    let barn = format!("arn:aws:s3:::{bucket}");
    let objects = format!("arn:aws:s3:::{bucket}/*");
    let grant_hdr = |uri: &str| format!("uri=\"{uri}\"");
    match scenario {
        0 => bucket_acl(
            c,
            out,
            vec![P::H("x-amz-acl", "public-read".into())],
            None,
            kind_if(BA),
        ),
        1 => bucket_acl(
            c,
            out,
            vec![P::H("x-amz-acl", "public-read-write".into())],
            None,
            kind_if(BA),
        ),
        2 => {
            let as_object = c.rng.chance(0.3);
            let grants = if as_object {
                vec![grant_group(ALLUSERS, "READ")]
            } else {
                vec![
                    grant_user(&owner, "FULL_CONTROL"),
                    grant_group(ALLUSERS, "READ"),
                ]
            };
            bucket_acl(
                c,
                out,
                vec![],
                Some(acp(&owner, grants, as_object)),
                kind_if(BA),
            )
        }
        3 => bucket_acl(
            c,
            out,
            vec![P::H("x-amz-grant-read", grant_hdr(ALLUSERS))],
            None,
            kind_if(BA),
        ),
        4 => create_bucket(
            c,
            out,
            vec![P::H("x-amz-acl", "public-read".into())],
            kind_if(BA),
        ),
        5 => object_call(
            c,
            out,
            "PutObjectAcl",
            vec![P::H("x-amz-acl", "public-read".into())],
            None,
            kind_if(OA),
        ),
        6 => object_call(
            c,
            out,
            "PutObject",
            vec![P::H("x-amz-acl", "public-read".into())],
            None,
            kind_if(OA),
        ),
        7 => object_call(
            c,
            out,
            "CopyObject",
            vec![P::H("x-amz-acl", "public-read-write".into())],
            None,
            kind_if(OA),
        ),
        8 => {
            let body = acp(
                &owner,
                vec![
                    grant_user(&owner, "FULL_CONTROL"),
                    grant_group(AUTHUSERS, "READ"),
                ],
                false,
            );
            object_call(c, out, "PutObjectAcl", vec![], Some(body), kind_if(OA))
        }
        9 => {
            let p = policy_doc(
                &[stmt(
                    Some("PublicRead"),
                    "Allow",
                    &q("*"),
                    &q("s3:GetObject"),
                    &q(&objects),
                    None,
                )],
                c.rng.chance(0.3),
            );
            bucket_policy(c, out, p, false, kind_if(BP))
        }
        10 => {
            let p = policy_doc(
                &[stmt(
                    None,
                    "Allow",
                    &Obj::new().s("AWS", "*").end(),
                    &q("s3:*"),
                    &arr([q(&barn), q(&objects)]),
                    None,
                )],
                false,
            );
            let as_string = c.old();
            bucket_policy(c, out, p, as_string, kind_if(BP))
        }
        11 => {
            let cond = Obj::new()
                .raw(
                    "StringNotEquals",
                    &Obj::new()
                        .s("aws:SourceVpce", "vpce-0a1b2c3d4e5f60718")
                        .end(),
                )
                .end();
            let p = policy_doc(
                &[stmt(
                    Some("OutsideVpce"),
                    "Allow",
                    &q("*"),
                    &arr_s(&["s3:GetObject", "s3:ListBucket"]),
                    &arr([q(&barn), q(&objects)]),
                    Some(&cond),
                )],
                false,
            );
            bucket_policy(c, out, p, false, kind_if(BP))
        }
        12 => {
            let off = c.rng.below(4) as usize;
            let mut flags = [Some(true); 4];
            flags[off] = if c.rng.chance(0.5) { Some(false) } else { None };
            bucket_bpa(c, out, Some(flags), kind_if(BB))
        }
        13 => bucket_bpa(c, out, None, kind_if(BB)),
        14 => account_bpa(
            c,
            out,
            Some([Some(true), Some(false), Some(true), Some(true)]),
            kind_if(AB),
        ),
        15 => account_bpa(c, out, None, kind_if(AB)),
        16 => {
            let aparn = format!(
                "arn:aws:s3:{}:{}:accesspoint/{bucket}-ap/object/*",
                c.region, acct
            );
            let p = policy_doc(
                &[stmt(
                    None,
                    "Allow",
                    &q("*"),
                    &q("s3:GetObject"),
                    &q(&aparn),
                    None,
                )],
                false,
            );
            ap_policy(c, out, p, kind_if(AP))
        }
        // harmless
        17 => bucket_acl(
            c,
            out,
            vec![P::H("x-amz-acl", "private".into())],
            None,
            None,
        ),
        18 => {
            let body = acp(
                &owner,
                vec![
                    grant_user(&owner, "FULL_CONTROL"),
                    grant_group(LOGDELIVERY, "WRITE"),
                    grant_group(LOGDELIVERY, "READ_ACP"),
                ],
                false,
            );
            bucket_acl(c, out, vec![], Some(body), None)
        }
        19 => object_call(
            c,
            out,
            "PutObjectAcl",
            vec![P::H("x-amz-acl", "bucket-owner-full-control".into())],
            None,
            None,
        ),
        20 => object_call(
            c,
            out,
            "PutObject",
            vec![P::H("x-amz-acl", "bucket-owner-full-control".into())],
            None,
            None,
        ),
        21 => object_call(
            c,
            out,
            "PutObject",
            vec![P::H("x-amz-acl", "private".into())],
            None,
            None,
        ),
        22 => {
            let extra = if c.era == Era::New {
                vec![P::H("x-amz-object-ownership", "BucketOwnerEnforced".into())]
            } else {
                vec![]
            };
            create_bucket(c, out, extra, None)
        }
        23 => {
            let src = format!("arn:aws:cloudtrail:{}:{acct}:trail/{TRAIL_NAME}", c.region);
            let cond = |extra: bool| {
                let mut o = Obj::new();
                if extra {
                    o = o.s("s3:x-amz-acl", "bucket-owner-full-control");
                }
                Obj::new()
                    .raw("StringEquals", &o.s("aws:SourceArn", &src).end())
                    .end()
            };
            let svc = Obj::new().s("Service", "cloudtrail.amazonaws.com").end();
            let p = policy_doc(
                &[
                    stmt(
                        Some("AWSCloudTrailAclCheck20150319"),
                        "Allow",
                        &svc,
                        &q("s3:GetBucketAcl"),
                        &q(&barn),
                        Some(&cond(false)),
                    ),
                    stmt(
                        Some("AWSCloudTrailWrite20150319"),
                        "Allow",
                        &svc,
                        &q("s3:PutObject"),
                        &q(&format!("{barn}/AWSLogs/{acct}/*")),
                        Some(&cond(true)),
                    ),
                    stmt(
                        Some("DenyInsecureTransport"),
                        "Deny",
                        &q("*"),
                        &q("s3:*"),
                        &arr([q(&barn), q(&objects)]),
                        Some(
                            &Obj::new()
                                .raw("Bool", &Obj::new().s("aws:SecureTransport", "false").end())
                                .end(),
                        ),
                    ),
                ],
                false,
            );
            bucket_policy(c, out, p, false, None)
        }
        24 => {
            let vpce = format!("vpce-{}", c.rng.hex(17));
            let cond = Obj::new()
                .raw("StringEquals", &Obj::new().s("aws:SourceVpce", &vpce).end())
                .end();
            let p = policy_doc(
                &[stmt(
                    Some("VpceOnly"),
                    "Allow",
                    &q("*"),
                    &arr_s(&["s3:GetObject", "s3:PutObject"]),
                    &q(&objects),
                    Some(&cond),
                )],
                false,
            );
            bucket_policy(c, out, p, false, None)
        }
        25 => {
            let cond = Obj::new()
                .raw(
                    "StringEquals",
                    &Obj::new().s("aws:PrincipalOrgID", ORG_ID).end(),
                )
                .end();
            let p = policy_doc(
                &[stmt(
                    Some("OrgRead"),
                    "Allow",
                    &Obj::new().s("AWS", "*").end(),
                    &q("s3:GetObject"),
                    &q(&objects),
                    Some(&cond),
                )],
                false,
            );
            bucket_policy(c, out, p, false, None)
        }
        26 => bucket_bpa(c, out, Some([Some(true); 4]), None),
        27 => account_bpa(c, out, Some([Some(true); 4]), None),
        _ => {
            let aparn = format!(
                "arn:aws:s3:{}:{acct}:accesspoint/{bucket}-ap/object/*",
                c.region
            );
            let role = Obj::new()
                .s("AWS", &format!("arn:aws:iam::{acct}:role/analytics-reader"))
                .end();
            let p = policy_doc(
                &[stmt(
                    None,
                    "Allow",
                    &role,
                    &q("s3:GetObject"),
                    &q(&aparn),
                    None,
                )],
                false,
            );
            ap_policy(c, out, p, None)
        }
    }
}
