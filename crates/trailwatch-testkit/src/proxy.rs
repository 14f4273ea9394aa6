//! A fault-injecting HTTP proxy in front of moto_server, for the one SNS
//! fault moto cannot produce by itself: an entry of a `PublishBatch` that
//! fails on the service's side (`SenderFault=false`), which the caller is
//! expected to retry. moto only ever fails entries for sender faults.
//!
//! The fault is made the way SNS would make it: the withheld entry is
//! removed from the request before it reaches moto (so it is really not
//! published), and the response moto sends for the others gets a `Failed`
//! member for it. Every other request is forwarded unchanged.

use std::io::{BufReader, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};

use crate::http::{read_message, respond, Message, Server};

/// One `PublishBatch` call seen by the proxy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishBatchCall {
    /// The entry ids the caller sent, in order.
    pub entry_ids: Vec<String>,
    /// The entry the proxy withheld and reported as failed, if any.
    pub failed: Option<String>,
}

#[derive(Default)]
struct State {
    faults_left: usize,
    calls: Vec<PublishBatchCall>,
}

/// Forwards to an upstream endpoint, failing the last entry of the first
/// `faulty_batches` `PublishBatch` calls.
pub struct SnsFaultProxy {
    server: Server,
    state: Arc<Mutex<State>>,
}

const ENTRY: &str = "PublishBatchRequestEntries.member.";

impl SnsFaultProxy {
    /// Starts a proxy on a free loopback port in front of `upstream`
    /// (`http://127.0.0.1:PORT`).
    pub fn start(upstream: &str, faulty_batches: usize) -> SnsFaultProxy {
        let upstream = upstream
            .strip_prefix("http://")
            .expect("an http:// upstream")
            .trim_end_matches('/')
            .to_owned();
        let state = Arc::new(Mutex::new(State {
            faults_left: faulty_batches,
            calls: Vec::new(),
        }));
        let shared = state.clone();
        let server = Server::start(move |stream| {
            if let Err(e) = serve(stream, &upstream, &shared) {
                eprintln!("SnsFaultProxy: {e}");
            }
        });
        SnsFaultProxy { server, state }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.server.port())
    }

    /// The `PublishBatch` calls seen so far.
    pub fn publish_batches(&self) -> Vec<PublishBatchCall> {
        self.state.lock().expect("proxy lock").calls.clone()
    }
}

fn serve(mut client: TcpStream, upstream: &str, state: &Mutex<State>) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let Some(mut request) = read_message(&mut reader, false)? else {
        return Ok(());
    };
    let mut withheld = None;
    let mut remaining = usize::MAX;
    let form = request.text();
    if form.split('&').any(|p| p == "Action=PublishBatch") {
        let mut pairs: Vec<(String, String)> = form
            .split('&')
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (k.to_owned(), v.to_owned())
            })
            .collect();
        let mut ids: Vec<(usize, String)> = pairs
            .iter()
            .filter_map(|(k, v)| {
                let n = k.strip_prefix(ENTRY)?.strip_suffix(".Id")?.parse().ok()?;
                Some((n, percent_decode(v)))
            })
            .collect();
        ids.sort();
        let mut guard = state.lock().expect("proxy lock");
        let mut call = PublishBatchCall {
            entry_ids: ids.iter().map(|(_, id)| id.clone()).collect(),
            failed: None,
        };
        if guard.faults_left > 0 {
            if let Some((last, id)) = ids.last() {
                guard.faults_left -= 1;
                let prefix = format!("{ENTRY}{last}.");
                pairs.retain(|(k, _)| !k.starts_with(&prefix));
                call.failed = Some(id.clone());
                withheld = Some(id.clone());
                remaining = ids.len() - 1;
            }
        }
        guard.calls.push(call);
        drop(guard);
        request.body = pairs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
            .into_bytes();
        request.set_header("Content-Length", &request.body.len().to_string());
    }
    let failed_member = withheld.as_ref().map(|id| {
        format!(
            "<member><Id>{id}</Id><Code>InternalError</Code><Message>injected by the test proxy: \
             SNS could not publish this entry</Message><SenderFault>false</SenderFault></member>"
        )
    });
    if remaining == 0 {
        // Nothing left to forward: answer as SNS would for a batch whose
        // only entry failed.
        let body = format!(
            "<PublishBatchResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><PublishBatchResult>\
             <Successful/><Failed>{}</Failed></PublishBatchResult><ResponseMetadata>\
             <RequestId>test-proxy</RequestId></ResponseMetadata></PublishBatchResponse>",
            failed_member.unwrap_or_default()
        );
        return respond(&mut client, "200 OK", "text/xml", body.as_bytes());
    }
    let head = request.method() == "HEAD";
    request.set_header("Connection", "close");
    let mut server = TcpStream::connect(upstream)?;
    server.write_all(&request.to_bytes())?;
    server.flush()?;
    let mut upstream_reader = BufReader::new(server);
    let mut response: Message = read_message(&mut upstream_reader, !head)?
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "upstream closed"))?;
    if let Some(member) = failed_member {
        let xml = response.text();
        let xml = if xml.contains("<Failed/>") {
            xml.replacen("<Failed/>", &format!("<Failed>{member}</Failed>"), 1)
        } else if xml.contains("</Failed>") {
            xml.replacen("</Failed>", &format!("{member}</Failed>"), 1)
        } else {
            xml.replacen(
                "</PublishBatchResult>",
                &format!("<Failed>{member}</Failed></PublishBatchResult>"),
                1,
            )
        };
        response.body = xml.into_bytes();
    }
    if !head {
        response.set_header("Content-Length", &response.body.len().to_string());
    }
    response.set_header("Connection", "close");
    client.write_all(&response.to_bytes())?;
    client.flush()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
