//! A fault-injecting HTTP proxy in front of moto_server for the JSON
//! batch APIs whose service-side partial failures moto never produces:
//! Security Hub `BatchImportFindings` (moto fails a finding only when it
//! has no resources) and EventBridge `PutEvents` (moto accepts every
//! entry). The fault is made the way the service would make it: the last
//! item of the first `faulty_calls` calls is removed from the request
//! before it reaches moto (so it is really not stored), and moto's answer
//! gets a failure for it in the service's wire format. Every other request
//! is forwarded unchanged.

use std::io::{BufReader, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use crate::http::{read_message, respond, Message, Server};

/// Which API the proxy fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchApi {
    /// `POST /findings/import`: `{"Findings":[...]}` in, `FailedCount`,
    /// `SuccessCount`, `FailedFindings[{Id,ErrorCode,ErrorMessage}]` out.
    SecurityHubImport,
    /// `X-Amz-Target: AWSEvents.PutEvents`: `{"Entries":[...]}` in,
    /// `FailedEntryCount`, `Entries[]` (in request order) out.
    EventBridgePutEvents,
}

#[derive(Default)]
struct State {
    faults_left: usize,
    calls: Vec<usize>,
}

/// Forwards to moto, failing the last item of the first calls of one API.
pub struct BatchFaultProxy {
    server: Server,
    state: Arc<Mutex<State>>,
}

impl BatchFaultProxy {
    /// Starts a proxy on a free loopback port in front of `upstream`
    /// (`http://127.0.0.1:PORT`).
    pub fn start(upstream: &str, api: BatchApi, faulty_calls: usize) -> BatchFaultProxy {
        let upstream = upstream
            .strip_prefix("http://")
            .expect("an http:// upstream")
            .trim_end_matches('/')
            .to_owned();
        let state = Arc::new(Mutex::new(State {
            faults_left: faulty_calls,
            calls: Vec::new(),
        }));
        let shared = state.clone();
        let server = Server::start(move |stream| {
            if let Err(e) = serve(stream, &upstream, api, &shared) {
                eprintln!("BatchFaultProxy: {e}");
            }
        });
        BatchFaultProxy { server, state }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.server.port())
    }

    /// How many items each call of the API carried, in order.
    pub fn calls(&self) -> Vec<usize> {
        self.state.lock().expect("proxy lock").calls.clone()
    }
}

fn is_call(request: &Message, api: BatchApi) -> bool {
    match api {
        BatchApi::SecurityHubImport => {
            request.method() == "POST" && request.path().starts_with("/findings/import")
        }
        BatchApi::EventBridgePutEvents => {
            request.header("X-Amz-Target") == Some("AWSEvents.PutEvents")
        }
    }
}

fn serve(
    mut client: TcpStream,
    upstream: &str,
    api: BatchApi,
    state: &Mutex<State>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let Some(mut request) = read_message(&mut reader, false)? else {
        return Ok(());
    };
    let list = match api {
        BatchApi::SecurityHubImport => "Findings",
        BatchApi::EventBridgePutEvents => "Entries",
    };
    let mut withheld: Option<Value> = None;
    let mut remaining = usize::MAX;
    if is_call(&request, api) {
        let mut body: Value =
            serde_json::from_slice(&request.body).map_err(std::io::Error::other)?;
        let items = body[list].as_array_mut().expect("a batch list");
        let mut guard = state.lock().expect("proxy lock");
        guard.calls.push(items.len());
        if guard.faults_left > 0 && !items.is_empty() {
            guard.faults_left -= 1;
            withheld = items.pop();
            remaining = items.len();
        }
        drop(guard);
        request.body = serde_json::to_vec(&body).map_err(std::io::Error::other)?;
        request.set_header("Content-Length", &request.body.len().to_string());
    }
    let patch = |answer: &mut Value, item: &Value| match api {
        BatchApi::SecurityHubImport => {
            let failed = answer["FailedCount"].as_i64().unwrap_or(0);
            answer["FailedCount"] = json!(failed + 1);
            if answer.get("SuccessCount").is_none() {
                answer["SuccessCount"] = json!(0);
            }
            let failures = answer
                .as_object_mut()
                .expect("an object")
                .entry("FailedFindings")
                .or_insert_with(|| json!([]));
            failures.as_array_mut().expect("a list").push(json!({
                "Id": item["Id"],
                "ErrorCode": "InternalException",
                "ErrorMessage": "injected by the test proxy: Security Hub could not import this finding",
            }));
        }
        BatchApi::EventBridgePutEvents => {
            let failed = answer["FailedEntryCount"].as_i64().unwrap_or(0);
            answer["FailedEntryCount"] = json!(failed + 1);
            let entries = answer
                .as_object_mut()
                .expect("an object")
                .entry("Entries")
                .or_insert_with(|| json!([]));
            entries.as_array_mut().expect("a list").push(json!({
                "ErrorCode": "InternalFailure",
                "ErrorMessage": "injected by the test proxy: EventBridge could not put this entry",
            }));
        }
    };
    if remaining == 0 {
        // Nothing left to forward: answer as the service would for a call
        // whose only item failed.
        let mut answer = match api {
            BatchApi::SecurityHubImport => {
                json!({"FailedCount": 0, "SuccessCount": 0, "FailedFindings": []})
            }
            BatchApi::EventBridgePutEvents => json!({"FailedEntryCount": 0, "Entries": []}),
        };
        patch(&mut answer, withheld.as_ref().expect("withheld"));
        let body = serde_json::to_vec(&answer).map_err(std::io::Error::other)?;
        return respond(&mut client, "200 OK", "application/json", &body);
    }
    request.set_header("Connection", "close");
    let mut server = TcpStream::connect(upstream)?;
    server.write_all(&request.to_bytes())?;
    server.flush()?;
    let mut upstream_reader = BufReader::new(server);
    let mut response: Message = read_message(&mut upstream_reader, true)?
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "upstream closed"))?;
    if let Some(item) = &withheld {
        let mut answer: Value =
            serde_json::from_slice(&response.body).map_err(std::io::Error::other)?;
        patch(&mut answer, item);
        response.body = serde_json::to_vec(&answer).map_err(std::io::Error::other)?;
    }
    response.remove_header("Transfer-Encoding");
    response.set_header("Content-Length", &response.body.len().to_string());
    response.set_header("Connection", "close");
    client.write_all(&response.to_bytes())?;
    client.flush()
}
