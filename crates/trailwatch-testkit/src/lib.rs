//! Test support shared by trailwatch's crates: a real `moto_server` (S3,
//! SNS, SQS) started on a free loopback port and stopped when dropped, an
//! AWS configuration with dummy credentials pointing at it, and the paths of
//! the shipped fixtures; and small loopback HTTP doubles for what moto
//! cannot do itself ([`http::HttpCollector`], an SNS `http` subscriber;
//! [`proxy::SnsFaultProxy`], a service-side failure of one SNS batch entry;
//! [`jsonfault::BatchFaultProxy`], the same for Security Hub and EventBridge).

pub mod http;
pub mod jsonfault;
pub mod proxy;
pub mod s3proxy;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;

/// The workspace root (where `fixtures/` lives).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/<name> sits two levels below the workspace root")
        .to_path_buf()
}

/// A path under `fixtures/`.
pub fn fixture(relative: &str) -> PathBuf {
    workspace_root().join("fixtures").join(relative)
}

/// The fields of a finding that the fixture oracles (`fixtures/*-expected.jsonl`)
/// pin down; `reason` and the actor fields are the implementation's to word.
pub const ORACLE_FIELDS: [&str; 10] = [
    "log_file",
    "event_id",
    "kind",
    "severity",
    "bucket",
    "key",
    "account",
    "region",
    "event_name",
    "event_time",
];

/// The lines of a fixture oracle (`fixtures/<name>`, one JSON object per
/// line), which must not be empty.
pub fn oracle(name: &str) -> Vec<serde_json::Value> {
    let path = fixture(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let lines: Vec<serde_json::Value> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{name}: {e} in {l}")))
        .collect();
    assert!(!lines.is_empty(), "{name} is empty");
    lines
}

/// What identifies a finding across runs: `(log_file, event_id, kind)`.
pub type FindingKey = (String, String, String);

/// The keys of the findings in `jsonl` (trailwatch's `--format jsonl` output).
pub fn finding_keys(jsonl: &str) -> impl Iterator<Item = FindingKey> + '_ {
    jsonl.lines().map(|line| {
        let finding: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a finding ({e}): {line}"));
        let text = |field: &str| finding[field].as_str().unwrap().to_owned();
        (text("log_file"), text("event_id"), text("kind"))
    })
}

/// A CloudTrail `PutBucketAcl` record by an IAM user setting the canned
/// `acl` on `bucket` (exposing for `public-read` and the like).
pub fn put_bucket_acl_record(event_id: &str, bucket: &str, acl: &str) -> serde_json::Value {
    serde_json::json!({
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": "AIDAE5RWOYZYE5GUXP8EC",
            "arn": "arn:aws:iam::111122223333:user/alice.nguyen",
            "accountId": "111122223333",
            "accessKeyId": "AKIAMFIAS7X6OH2RT7WB",
            "userName": "alice.nguyen"
        },
        "eventTime": "2024-02-08T11:58:28Z",
        "eventSource": "s3.amazonaws.com",
        "eventName": "PutBucketAcl",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "212.146.10.222",
        "userAgent": "[aws-cli/2.12.15 Python/3.11.8 Linux/6.5.0-1016-aws command/s3api.put-bucket-acl]",
        "requestParameters": {
            "bucketName": bucket,
            "Host": format!("{bucket}.s3.us-east-1.amazonaws.com"),
            "acl": "",
            "x-amz-acl": acl
        },
        "responseElements": null,
        "requestID": "0B5DA2168CFCF55C",
        "eventID": event_id,
        "readOnly": false,
        "resources": [{"accountId": "111122223333", "type": "AWS::S3::Bucket", "ARN": format!("arn:aws:s3:::{bucket}")}],
        "eventType": "AwsApiCall",
        "managementEvent": true,
        "recipientAccountId": "111122223333",
        "eventCategory": "Management"
    })
}

/// Percent-encodes a key the way S3 Batch Operations hands it to Lambda
/// (every byte but unreserved characters and `/`).
pub fn batch_encode(key: &str) -> String {
    key.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Uploads every file under `fixtures/logs` (digests and Insights files
/// too, as the trail bucket holds them) to `bucket` under `prefix`, keeping
/// their paths; returns the keys.
pub async fn upload_fixture_logs(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
) -> Vec<String> {
    let root = workspace_root().join("fixtures/logs");
    let mut keys = Vec::new();
    for file in files_under(&root) {
        let key = format!(
            "{prefix}{}",
            file.strip_prefix(&root).unwrap().to_str().unwrap()
        );
        let body = aws_sdk_s3::primitives::ByteStream::from(std::fs::read(&file).unwrap());
        s3.put_object()
            .bucket(bucket)
            .key(&key)
            .body(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("uploading {key}: {e}"));
        keys.push(key);
    }
    keys
}

/// Every file below `dir`, recursively, in path order.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in
            std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("listing {}: {e}", dir.display()))
        {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// A running `moto_server`, killed on drop.
pub struct MotoServer {
    child: Child,
    port: u16,
}

const HOW_TO_GET_MOTO: &str = "moto_server (PyPI moto[server]) is needed by this test: run \
    scripts/test.sh, which installs it into .venv-moto, or set TRAILWATCH_MOTO_SERVER to a \
    moto_server executable";

fn moto_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("TRAILWATCH_MOTO_SERVER") {
        return PathBuf::from(path);
    }
    let venv = workspace_root().join(".venv-moto/bin/moto_server");
    if venv.exists() {
        return venv;
    }
    panic!("{HOW_TO_GET_MOTO}");
}

impl MotoServer {
    /// Starts moto_server on a free port of 127.0.0.1 and waits until it answers.
    pub fn start() -> MotoServer {
        let binary = moto_binary();
        let mut last_error = String::new();
        for _ in 0..5 {
            let port = free_port();
            let child = Command::new(&binary)
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                // moto delivers to SNS http subscribers on loopback itself.
                .env("NO_PROXY", "127.0.0.1,localhost")
                .env("no_proxy", "127.0.0.1,localhost")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| {
                    panic!("starting {}: {e}. {HOW_TO_GET_MOTO}", binary.display())
                });
            let mut server = MotoServer { child, port };
            match server.wait_ready(Duration::from_secs(30)) {
                Ok(()) => return server,
                Err(e) => last_error = e,
            }
        }
        panic!("moto_server did not start: {last_error}");
    }

    fn wait_ready(&mut self, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "moto_server exited with {status} (port {} taken?)",
                    self.port
                ));
            }
            if let Ok(mut stream) = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)) {
                let request = "GET /moto-api/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
                let mut reply = [0u8; 12];
                if stream.write_all(request.as_bytes()).is_ok()
                    && stream.read_exact(&mut reply).is_ok()
                    && reply.starts_with(b"HTTP/1.")
                {
                    return Ok(());
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err("no answer within the timeout".into())
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Points a child process's AWS SDK at this server (`AWS_ENDPOINT_URL`),
    /// with dummy credentials, region us-east-1 and no profile: how the
    /// tests run the `trailwatch` binary against moto.
    pub fn aws_env<'c>(&self, command: &'c mut Command) -> &'c mut Command {
        command
            .env("AWS_ENDPOINT_URL", self.endpoint())
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env_remove("AWS_PROFILE")
    }

    /// An AWS configuration with dummy credentials, region us-east-1, and
    /// every service's endpoint pointing at this server.
    pub async fn sdk_config(&self) -> SdkConfig {
        sdk_config_at(&self.endpoint(), "testing", "testing").await
    }

    /// From now on, moto authenticates and authorizes every request: only
    /// access keys of IAM users created in it are accepted, and their
    /// policies are enforced (moto's `/moto-api/reset-auth`, the runtime form
    /// of `INITIAL_NO_AUTH_ACTION_COUNT=0`).
    pub fn enforce_iam(&self) {
        let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port))
            .expect("connecting to moto_server");
        let request = "POST /moto-api/reset-auth HTTP/1.0\r\nHost: 127.0.0.1\r\n\
                       Content-Type: text/plain\r\nContent-Length: 1\r\n\r\n0";
        stream
            .write_all(request.as_bytes())
            .expect("asking moto to enforce IAM");
        let mut reply = String::new();
        stream.read_to_string(&mut reply).expect("moto's reply");
        assert!(
            reply.starts_with("HTTP/1.0 200") || reply.starts_with("HTTP/1.1 200"),
            "moto refused reset-auth: {reply}"
        );
    }
}

/// Like [`sdk_config_at`], but the services named in `routes` (SDK service
/// ids such as `"SNS"`) go to their own endpoints, the way
/// `AWS_ENDPOINT_URL_<SERVICE>` would route them, without touching the
/// process environment that parallel tests share.
pub async fn sdk_config_routed(
    endpoint: &str,
    routes: &[(&str, &str)],
    access_key: &str,
    secret_key: &str,
) -> SdkConfig {
    let base = sdk_config_at(endpoint, access_key, secret_key).await;
    let mut builder = base.to_builder();
    // A client-config endpoint would override every service's own; an
    // environment one yields to them, as with the real variables.
    builder.insert_origin(
        "endpoint_url",
        aws_types::origin::Origin::shared_environment_variable(),
    );
    builder
        .service_config(Routes(
            routes
                .iter()
                .map(|(s, e)| (s.to_ascii_uppercase(), e.to_string()))
                .collect(),
        ))
        .build()
}

#[derive(Debug)]
struct Routes(Vec<(String, String)>);

impl aws_types::service_config::LoadServiceConfig for Routes {
    fn load_config(&self, key: aws_types::service_config::ServiceConfigKey<'_>) -> Option<String> {
        if key.env() != "AWS_ENDPOINT_URL" {
            return None;
        }
        let service = key.service_id().to_ascii_uppercase();
        self.0
            .iter()
            .find(|(s, _)| *s == service)
            .map(|(_, e)| e.clone())
    }
}

/// An AWS configuration with the given static credentials, region
/// us-east-1, and every service's endpoint at `endpoint`.
pub async fn sdk_config_at(endpoint: &str, access_key: &str, secret_key: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::from_keys(access_key, secret_key, None))
        .endpoint_url(endpoint)
        .load()
        .await
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("binding a loopback port")
}
