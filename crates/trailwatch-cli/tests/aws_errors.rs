//! AWS failures end as one sentence with the cause and the fix, never the
//! SDK's debug structure: no region, no credentials, access denied, no such
//! bucket, an expired token, an endpoint that cannot be reached. Each runs
//! the real binary and the real SDK against moto_server, or (where moto
//! cannot answer as S3 does) against a loopback stub that answers with S3's
//! own error XML.

use std::io::BufReader;
use std::net::TcpListener;
use std::process::{Command, Output};
use std::thread;

use trailwatch_testkit::http::{read_message, respond};
use trailwatch_testkit::{workspace_root, MotoServer};

/// Runs `trailwatch replay URI` with only the AWS settings given in `env`
/// (no config files, no instance metadata).
fn replay(uri: &str, env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_trailwatch"));
    command
        .args(["replay", uri, "--format", "jsonl"])
        .current_dir(workspace_root())
        .env("AWS_CONFIG_FILE", "/nonexistent/trailwatch-test-config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/trailwatch-test-credentials",
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_MAX_ATTEMPTS", "1");
    for var in [
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_S3",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "RUST_LOG",
    ] {
        command.env_remove(var);
    }
    command.envs(env.iter().copied());
    command.output().unwrap()
}

const KEYS: [(&str, &str); 2] = [
    ("AWS_ACCESS_KEY_ID", "testing"),
    ("AWS_SECRET_ACCESS_KEY", "testing"),
];

/// The one error line for `uri`, after checking the run failed cleanly: exit
/// 2, the summary, and none of the SDK's debug structure.
fn error_line(out: &Output, uri: &str) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    for debug in [
        "DispatchFailure",
        "ConnectorError",
        "ServiceError {",
        "Response {",
    ] {
        assert!(
            !stderr.contains(debug),
            "SDK debug output `{debug}`:\n{stderr}"
        );
    }
    let prefix = format!("trailwatch: error: {uri}: cannot read: ");
    let lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with(&prefix)).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    lines[0][prefix.len()..].to_owned()
}

/// The error line of a replay of `uri` against `endpoint`, with a region,
/// dummy keys and `extra` settings.
fn error_at(endpoint: &str, uri: &str, extra: &[(&str, &str)]) -> String {
    let mut env = vec![("AWS_ENDPOINT_URL", endpoint), ("AWS_REGION", "us-east-1")];
    env.extend(KEYS);
    env.extend(extra.iter().copied());
    error_line(&replay(uri, &env), uri)
}

/// A loopback endpoint that answers every request with `status` and the
/// XML `body`, as S3 does for an error.
fn s3_error_stub(status: &'static str, body: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    thread::spawn(move || {
        for stream in listener.incoming().take(16) {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            if let Ok(Some(_request)) = read_message(&mut reader, false) {
                let _ = respond(&mut stream, status, "application/xml", body.as_bytes());
            }
        }
    });
    format!("http://{address}")
}

#[test]
fn no_region_says_how_to_set_one() {
    let moto = MotoServer::start();
    let endpoint = moto.endpoint();
    let mut env = vec![("AWS_ENDPOINT_URL", endpoint.as_str())];
    env.extend(KEYS);
    let line = error_line(&replay("s3://trail/", &env), "s3://trail/");
    assert!(
        line.starts_with("no AWS region is configured: set AWS_REGION"),
        "{line}"
    );
}

#[test]
fn missing_credentials_say_what_was_tried_and_how_to_fix_it() {
    let moto = MotoServer::start();
    let endpoint = moto.endpoint();
    let env = [
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("AWS_REGION", "us-east-1"),
    ];
    let line = error_line(&replay("s3://trail/", &env), "s3://trail/");
    assert!(line.starts_with("no AWS credentials were found"), "{line}");
    assert!(line.contains("aws sso login"), "{line}");
}

#[test]
fn a_missing_bucket_is_named() {
    let moto = MotoServer::start();
    let endpoint = moto.endpoint();
    let line = error_at(&endpoint, "s3://no-such-trail/AWSLogs/", &[]);
    assert!(
        line.starts_with("no such bucket: s3://no-such-trail/AWSLogs/ does not exist"),
        "{line}"
    );
}

/// Real S3 names the principal in an AccessDenied message (moto says only
/// "Access Denied", so this one is a stub with S3's wording); the sentence
/// says who may not do what on which resource, and how to allow it.
#[test]
fn access_denied_names_the_principal_the_action_and_the_resource() {
    let endpoint = s3_error_stub(
        "403 Forbidden",
        r#"<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>User: arn:aws:iam::111122223333:user/analyst is not authorized to perform: s3:ListBucket on resource: "arn:aws:s3:::trail" because no identity-based policy allows the s3:ListBucket action</Message><RequestId>CM0R497NB0WAQ977</RequestId><HostId>w1TqUKGaIuNAIgzqm</HostId></Error>"#,
    );
    let line = error_at(&endpoint, "s3://trail/AWSLogs/", &[]);
    assert!(
        line.starts_with(
            "access denied: arn:aws:iam::111122223333:user/analyst may not s3:ListBucket on s3://trail/AWSLogs/"
        ),
        "{line}"
    );
    assert!(line.contains("bucket policy"), "{line}");
}

/// S3's plain "Access Denied" (the body AWS's mountpoint-s3 tests captured)
/// still names the action and resource, and how to find the principal.
#[test]
fn a_bare_access_denied_still_names_action_and_resource() {
    let endpoint = s3_error_stub(
        "403 Forbidden",
        r#"<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>CM0R497NB0WAQ977</RequestId><HostId>w1TqUKGaIuNAIgzqm/L2azuzgEBINxTngWPbV1iH2IvpLsVCCTKHJTh4HsGp4JnggHqVkA+KN1MGqHDw1+WEuA==</HostId></Error>"#,
    );
    let line = error_at(&endpoint, "s3://trail/", &[]);
    assert!(
        line.starts_with(
            "access denied: the credentials in use may not s3:ListBucket on s3://trail/"
        ),
        "{line}"
    );
    assert!(line.contains("aws sts get-caller-identity"), "{line}");
}

/// An expired session token (HTTP 400 and S3's ExpiredToken body, as AWS's
/// mountpoint-s3 tests captured it; moto never expires tokens).
#[test]
fn an_expired_token_says_to_refresh_the_credentials() {
    let endpoint = s3_error_stub(
        "400 Bad Request",
        r#"<?xml version="1.0" encoding="UTF-8"?><Error><Code>ExpiredToken</Code><Message>The provided token has expired.</Message><Token-0>THEREALTOKENGOESHERE</Token-0><RequestId>RFXW0E15XSRPJYSW</RequestId><HostId>djitP7S+g43JSzR4pMOJpOO3RYpQUOUsmD4AqhRe3v24+JB/c+vwOEZgI8A35KDUe1cqQ5yKHwg=</HostId></Error>"#,
    );
    let line = error_at(
        &endpoint,
        "s3://trail/",
        &[("AWS_SESSION_TOKEN", "expired")],
    );
    assert!(
        line.starts_with("the AWS credentials have expired (ExpiredToken): refresh them"),
        "{line}"
    );
}

#[test]
fn an_unreachable_endpoint_says_so_with_the_os_reason() {
    // A port nothing listens on: bound, then closed.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let line = error_at(&endpoint, "s3://trail/", &[]);
    assert!(
        line.starts_with("cannot reach the AWS endpoint ("),
        "{line}"
    );
    assert!(line.contains("Connection refused"), "{line}");
}

/// The full SDK error is still there for whoever asks for it.
#[test]
fn rust_log_debug_shows_the_sdk_error_in_full() {
    let moto = MotoServer::start();
    let endpoint = moto.endpoint();
    let mut env = vec![
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("RUST_LOG", "trailwatch_aws=debug"),
    ];
    env.extend(KEYS);
    let out = replay("s3://trail/", &env);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("AWS SDK error"), "{stderr}");
    assert!(stderr.contains("A region must be set"), "{stderr}");
}
