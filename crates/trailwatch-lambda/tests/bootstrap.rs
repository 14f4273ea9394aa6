//! The compiled `bootstrap` binary, run as Lambda runs it: against a Lambda
//! Runtime API endpoint served here on loopback, with its configuration in
//! the environment and AWS at a moto_server.

mod common;
mod live;

use std::io::{BufReader, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::*;
use serde_json::{json, Value};
use trailwatch_testkit::http::{read_message, respond};

const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:trailwatch";

/// A minimal Lambda Runtime API (2018-06-01): hands out the queued
/// invocations on `GET .../invocation/next` (holding the request when there
/// are none, as Lambda does), and reports every POST.
struct RuntimeApi {
    port: u16,
    invocations: Sender<(String, Value)>,
    posts: Receiver<(String, Value)>,
}

impl RuntimeApi {
    fn start() -> RuntimeApi {
        let listener =
            TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("binding a loopback port");
        let port = listener.local_addr().expect("an address").port();
        let (invocations, queued) = channel::<(String, Value)>();
        let queued = Arc::new(Mutex::new(queued));
        let (posted, posts) = channel();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (queued, posted) = (queued.clone(), posted.clone());
                std::thread::spawn(move || serve(stream, &queued, &posted));
            }
        });
        RuntimeApi {
            port,
            invocations,
            posts,
        }
    }

    fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn invoke(&self, request_id: &str, event: Value) {
        self.invocations
            .send((request_id.to_owned(), event))
            .expect("the API is running");
    }

    fn next_post(&self, timeout: Duration) -> (String, Value) {
        self.posts
            .recv_timeout(timeout)
            .unwrap_or_else(|_| panic!("the function posted nothing within {timeout:?}"))
    }
}

fn serve(
    mut stream: TcpStream,
    queued: &Mutex<Receiver<(String, Value)>>,
    posted: &Sender<(String, Value)>,
) {
    let mut reader = BufReader::new(stream.try_clone().expect("cloning a socket"));
    // One request per connection: every answer says `Connection: close`.
    let Ok(Some(request)) = read_message(&mut reader, false) else {
        return;
    };
    let path = request.path().to_owned();
    match (request.method(), path.as_str()) {
        ("GET", "/2018-06-01/runtime/invocation/next") => {
            // Blocks until the test queues an invocation (or ends).
            let Ok((id, event)) = queued.lock().expect("queue lock").recv() else {
                return;
            };
            let deadline = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .expect("time")
                .as_millis()
                + 60_000;
            let body = event.to_string();
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: {id}\r\n\
                 Lambda-Runtime-Deadline-Ms: {deadline}\r\nLambda-Runtime-Invoked-Function-Arn: {FUNCTION_ARN}\r\n\
                 Lambda-Runtime-Trace-Id: Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(body.as_bytes());
            let _ = stream.flush();
        }
        ("POST", _) if path.starts_with("/2018-06-01/runtime/") => {
            let body = serde_json::from_slice(&request.body)
                .unwrap_or_else(|_| Value::String(request.text()));
            let _ = respond(
                &mut stream,
                "202 Accepted",
                "application/json",
                br#"{"status":"OK"}"#,
            );
            let _ = posted.send((path, body));
        }
        _ => {
            let _ = respond(&mut stream, "404 Not Found", "application/json", b"{}");
        }
    }
}

/// The `bootstrap` process with its output collected, killed on drop.
struct Function {
    child: Child,
    output: Vec<JoinHandle<String>>,
}

impl Function {
    fn start(vars: &[(&str, &str)]) -> Function {
        let mut child = Command::new(env!("CARGO_BIN_EXE_bootstrap"))
            .env_clear()
            .envs(vars.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting bootstrap");
        let mut stdout = child.stdout.take().expect("stdout");
        let mut stderr = child.stderr.take().expect("stderr");
        let output = vec![
            std::thread::spawn(move || {
                let mut text = String::new();
                let _ = stdout.read_to_string(&mut text);
                text
            }),
            std::thread::spawn(move || {
                let mut text = String::new();
                let _ = stderr.read_to_string(&mut text);
                text
            }),
        ];
        Function { child, output }
    }

    /// Kills the process (if still running) and returns stdout + stderr.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.output
            .drain(..)
            .map(|h| h.join().unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn lambda_environment<'a>(api: &'a str, endpoint: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("AWS_LAMBDA_RUNTIME_API", api),
        ("AWS_LAMBDA_FUNCTION_NAME", "trailwatch"),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256"),
        ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/trailwatch"),
        (
            "AWS_LAMBDA_LOG_STREAM_NAME",
            "2026/01/01/[$LATEST]0123456789abcdef",
        ),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_ENDPOINT_URL", endpoint),
        ("RUST_LOG", "info"),
    ]
}

#[tokio::test]
async fn bootstrap_serves_invocations_from_the_runtime_api() {
    let moto = MotoServer::start();
    let stack = Stack::new(&moto, "bootstrap").await;
    stack.upload_log(PREFIXED).await;
    stack.upload_log(PROD_2024).await;
    let (test_events, notifications) = stack.s3_notifications().await;
    let batch: Vec<_> = test_events.iter().chain(&notifications).collect();

    let api = RuntimeApi::start();
    let (address, endpoint) = (api.address(), moto.endpoint());
    let mut vars = lambda_environment(&address, &endpoint);
    vars.push(("SNS_TOPIC_ARN", &stack.topic_arn));
    let function = Function::start(&vars);

    // An SQS batch of moto's notifications.
    api.invoke(
        "8476a536-e9f4-11e8-9739-2dfe598c3fcd",
        sqs_event(&stack.notifications, &batch),
    );
    let (path, body) = api.next_post(Duration::from_secs(30));
    assert_eq!(
        path,
        "/2018-06-01/runtime/invocation/8476a536-e9f4-11e8-9739-2dfe598c3fcd/response"
    );
    assert_eq!(body, json!({ "batchItemFailures": [] }));
    assert_findings(
        &stack.alerts().await,
        &stack.bucket,
        &[(PREFIXED, PREFIXED), (PROD_2024, PROD_2024)],
    );

    // An event of no known shape: an error response, and the same process
    // goes on serving.
    api.invoke(
        "c0ffee00-0000-4000-8000-000000000002",
        json!({ "hello": "world" }),
    );
    let (path, body) = api.next_post(Duration::from_secs(30));
    assert_eq!(
        path,
        "/2018-06-01/runtime/invocation/c0ffee00-0000-4000-8000-000000000002/error"
    );
    assert!(
        body["errorMessage"]
            .as_str()
            .unwrap_or("")
            .contains("unrecognised event shape"),
        "{body}"
    );

    // A direct S3 event: the container's clients are reused.
    api.invoke(
        "c0ffee00-0000-4000-8000-000000000003",
        body_json(notification_for(&notifications, PREFIXED)),
    );
    let (path, body) = api.next_post(Duration::from_secs(30));
    assert_eq!(
        path,
        "/2018-06-01/runtime/invocation/c0ffee00-0000-4000-8000-000000000003/response"
    );
    assert_eq!(body, json!({ "files": 1 }));
    assert_findings(
        &stack.alerts().await,
        &stack.bucket,
        &[(PREFIXED, PREFIXED)],
    );

    let output = function.stop();
    // Structured JSON logs, one line per scanned file with its numbers.
    let scanned: Vec<Value> = output
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| {
            l.pointer("/fields/message").and_then(Value::as_str) == Some("log file scanned")
        })
        .collect();
    assert_eq!(scanned.len(), 3, "{output}");
    for line in &scanned {
        let fields = &line["fields"];
        for name in [
            "bucket",
            "key",
            "bytes",
            "records",
            "findings",
            "duration_ms",
        ] {
            assert!(fields.get(name).is_some(), "no {name} in {line}");
        }
    }
}

/// The live check through the binary, with its default configuration (on):
/// a bucket public now is alerted `effective`, one whose policy is gone
/// `closed`, each with the live check in the message.
#[tokio::test]
async fn bootstrap_confirms_findings_against_the_live_bucket() {
    let moto = MotoServer::start();
    let stack = Stack::new(&moto, "bootstrap-confirm").await;
    live::create(&stack.s3, "boot-open").await;
    live::put_policy(&stack.s3, "boot-open", &live::public_policy("boot-open")).await;
    live::store_log(
        &stack,
        &[
            live::policy_record(
                "e-open",
                live::HOME,
                "boot-open",
                &live::public_policy("boot-open"),
            ),
            live::policy_record(
                "e-gone",
                live::HOME,
                "boot-gone",
                &live::public_policy("boot-gone"),
            ),
        ],
    )
    .await;
    let (_, notifications) = stack.s3_notifications().await;

    let api = RuntimeApi::start();
    let (address, endpoint) = (api.address(), moto.endpoint());
    let mut vars = lambda_environment(&address, &endpoint);
    vars.push(("SNS_TOPIC_ARN", &stack.topic_arn));
    let function = Function::start(&vars);
    api.invoke(
        "c0ffee00-0000-4000-8000-00000000c0f1",
        sqs_event(&stack.notifications, &[&notifications[0]]),
    );
    let (path, body) = api.next_post(Duration::from_secs(30));
    assert!(path.ends_with("/response"), "{path}: {body}");
    assert_eq!(body, json!({ "batchItemFailures": [] }));
    let alerts = stack.alerts().await;
    let output = function.stop();
    assert_eq!(alerts.len(), 2, "{output}");
    for (id, want) in [("e-open", "effective"), ("e-gone", "closed")] {
        let alert = alerts
            .iter()
            .find(|a| a.finding.event_id == id)
            .unwrap_or_else(|| panic!("no alert for {id}: {output}"));
        assert_well_formed(alert);
        assert_eq!(
            alert.attributes.get("exposure").map(String::as_str),
            Some(want)
        );
        let live = alert.finding.live_check.as_ref().expect("a live check");
        assert_eq!(live.status.as_str(), want);
    }
}

#[tokio::test]
async fn bootstrap_without_a_topic_fails_at_start_naming_the_variable() {
    let api = RuntimeApi::start();
    let address = api.address();
    // No AWS call is made before the check; the endpoint is never reached.
    let vars = lambda_environment(&address, "http://127.0.0.1:9");
    let mut function = Function::start(&vars);
    let started = Instant::now();
    let status = loop {
        if let Some(status) = function.child.try_wait().expect("waiting for bootstrap") {
            break Some(status);
        }
        if let Ok((path, body)) = api.posts.try_recv() {
            assert_eq!(path, "/2018-06-01/runtime/init/error");
            assert!(body.to_string().contains("SNS_TOPIC_ARN"), "{body}");
            break None;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "bootstrap neither failed nor reported"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let output = function.stop();
    if let Some(status) = status {
        assert!(
            !status.success(),
            "bootstrap exited successfully without SNS_TOPIC_ARN"
        );
    }
    assert!(
        output.contains("SNS_TOPIC_ARN is required but not set"),
        "{output}"
    );
}
