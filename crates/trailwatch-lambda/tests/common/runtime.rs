//! The compiled `bootstrap` binary, run as Lambda runs it: a Lambda Runtime
//! API (2018-06-01) served here on loopback, the process started with
//! Lambda's environment, its configuration, and AWS at a moto_server.

use std::collections::BTreeMap;
use std::io::{BufReader, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_s3::config::ProvideCredentials;
use serde_json::Value;
use trailwatch_testkit::http::{read_message, respond};

use super::{function_vars, Stack};

pub const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:trailwatch";

/// A minimal Lambda Runtime API (2018-06-01): hands out the queued
/// invocations on `GET .../invocation/next` (holding the request when there
/// are none, as Lambda does), and reports every POST.
pub struct RuntimeApi {
    port: u16,
    invocations: Sender<(String, Value)>,
    /// Every POST the function made: its path and JSON body.
    pub posts: Receiver<(String, Value)>,
}

impl RuntimeApi {
    pub fn start() -> RuntimeApi {
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

    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn invoke(&self, request_id: &str, event: Value) {
        self.invocations
            .send((request_id.to_owned(), event))
            .expect("the API is running");
    }

    pub fn next_post(&self, timeout: Duration) -> (String, Value) {
        self.posts
            .recv_timeout(timeout)
            .unwrap_or_else(|_| panic!("the function posted nothing within {timeout:?}"))
    }
}

pub fn serve(
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
pub struct Function {
    pub child: Child,
    output: Vec<JoinHandle<String>>,
}

impl Function {
    pub fn start(vars: &[(&str, &str)]) -> Function {
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
    pub fn stop(mut self) -> String {
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

/// The variables Lambda sets for a `provided.al2023` function, the Runtime
/// API at `api`, dummy credentials, and every AWS service at `endpoint`.
pub fn lambda_environment<'a>(api: &'a str, endpoint: &'a str) -> Vec<(&'a str, &'a str)> {
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

/// What one invocation of the `bootstrap` process gave back.
#[derive(Debug)]
pub struct Invocation {
    /// The Runtime API path it posted to (`.../response` or `.../error`).
    pub path: String,
    /// What it posted there.
    pub body: Value,
    /// Its stdout and stderr.
    pub output: String,
}

impl Invocation {
    /// The function's response; panics (with the process output) on an
    /// error or init error.
    pub fn response(self) -> Value {
        assert!(
            self.path.ends_with("/response"),
            "{}: {}\n{}",
            self.path,
            self.body,
            self.output
        );
        self.body
    }
}

impl Stack {
    /// Runs the `bootstrap` binary for one invocation of `event`, configured
    /// as [`Stack::app`] configures the function in process: the same
    /// variables ([`function_vars`] with `extra`), and the stack's region,
    /// credentials and endpoint, here through the environment.
    pub async fn invoke_bootstrap(&self, extra: &[(&str, &str)], event: Value) -> Invocation {
        let endpoint = self
            .sdk
            .endpoint_url()
            .expect("the stack's configuration has an endpoint");
        let region = self.sdk.region().expect("a region").to_string();
        let credentials = self
            .sdk
            .credentials_provider()
            .expect("a credentials provider")
            .provide_credentials()
            .await
            .expect("the stack's credentials");
        let settings = function_vars(&self.topic_arn, extra);
        let api = RuntimeApi::start();
        let address = api.address();
        let mut vars: BTreeMap<&str, &str> =
            lambda_environment(&address, endpoint).into_iter().collect();
        vars.insert("AWS_REGION", &region);
        vars.insert("AWS_ACCESS_KEY_ID", credentials.access_key_id());
        vars.insert("AWS_SECRET_ACCESS_KEY", credentials.secret_access_key());
        if let Some(token) = credentials.session_token() {
            vars.insert("AWS_SESSION_TOKEN", token);
        }
        vars.extend(settings.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let vars: Vec<(&str, &str)> = vars.into_iter().collect();
        let function = Function::start(&vars);
        api.invoke("c0ffee00-0000-4000-8000-0000000b0075", event);
        let (path, body) = api.next_post(Duration::from_secs(60));
        Invocation {
            path,
            body,
            output: function.stop(),
        }
    }
}
