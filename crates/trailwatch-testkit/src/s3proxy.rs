//! A fault-injecting HTTP proxy in front of moto_server for S3 faults moto
//! cannot produce by itself: throttling answers (503 SlowDown), an endpoint
//! that goes away and comes back, and an object deleted between the listing
//! and the read (done for real: the proxy deletes it in moto just before
//! forwarding the first read, so moto itself answers 404).

use std::io::{BufReader, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};

use crate::http::{read_message, respond, Message, Server};

#[derive(Default)]
struct Faults {
    throttle_reads: usize,
    reads_before_outage: Option<usize>,
    down: bool,
    delete_on_read: Vec<String>,
    reads_seen: usize,
    refused: usize,
}

/// Forwards S3 requests to moto, injecting the faults asked for.
pub struct S3FaultProxy {
    server: Server,
    faults: Arc<Mutex<Faults>>,
}

impl S3FaultProxy {
    /// Starts a proxy on a free loopback port in front of `upstream` (`http://127.0.0.1:PORT`).
    pub fn start(upstream: &str) -> S3FaultProxy {
        let upstream = upstream
            .strip_prefix("http://")
            .expect("an http:// upstream")
            .trim_end_matches('/')
            .to_owned();
        let faults = Arc::new(Mutex::new(Faults::default()));
        let shared = faults.clone();
        let server = Server::start(move |stream| {
            let _ = serve(stream, &upstream, &shared);
        });
        S3FaultProxy { server, faults }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.server.port())
    }

    /// Answers the next `n` object reads with `503 SlowDown`.
    pub fn throttle_reads(&self, n: usize) {
        self.faults.lock().unwrap().throttle_reads = n;
    }

    /// After `n` more object reads, the endpoint goes down: every connection
    /// is closed unanswered until `restore`.
    pub fn outage_after_reads(&self, n: usize) {
        let mut faults = self.faults.lock().unwrap();
        faults.reads_before_outage = Some(faults.reads_seen + n);
    }

    /// Brings the endpoint back.
    pub fn restore(&self) {
        let mut faults = self.faults.lock().unwrap();
        faults.down = false;
        faults.reads_before_outage = None;
    }

    /// Deletes `bucket/key` (as it appears, URL-encoded, in the request
    /// path) from moto just before the first read of it is forwarded.
    pub fn delete_before_read(&self, encoded_path: &str) {
        self.faults
            .lock()
            .unwrap()
            .delete_on_read
            .push(encoded_path.to_owned());
    }

    /// Object reads seen so far (answered or not).
    pub fn reads_seen(&self) -> usize {
        self.faults.lock().unwrap().reads_seen
    }

    /// Connections closed unanswered while down.
    pub fn refused(&self) -> usize {
        self.faults.lock().unwrap().refused
    }
}

enum Action {
    Forward,
    Throttle,
    Drop,
    DeleteThenForward(String),
}

fn serve(mut client: TcpStream, upstream: &str, faults: &Mutex<Faults>) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let Some(mut request) = read_message(&mut reader, false)? else {
        return Ok(());
    };
    let path = request.path().to_owned();
    let is_read = request.method() == "GET" && path.contains("x-id=GetObject");
    let action = {
        let mut f = faults.lock().unwrap();
        if is_read {
            f.reads_seen += 1;
            if f.reads_before_outage.is_some_and(|n| f.reads_seen > n) {
                f.down = true;
            }
        }
        let object_path = path
            .split('?')
            .next()
            .unwrap_or("")
            .trim_start_matches('/')
            .to_owned();
        if f.down {
            f.refused += 1;
            Action::Drop
        } else if is_read && f.throttle_reads > 0 {
            f.throttle_reads -= 1;
            Action::Throttle
        } else if let Some(at) = f
            .delete_on_read
            .iter()
            .position(|p| is_read && *p == object_path)
        {
            Action::DeleteThenForward(f.delete_on_read.remove(at))
        } else {
            Action::Forward
        }
    };
    match action {
        Action::Drop => Ok(()), // closed without a byte, like a stopped endpoint
        Action::Throttle => respond(
            &mut client,
            "503 Slow Down",
            "application/xml",
            b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code>\
              <Message>Please reduce your request rate.</Message><RequestId>test-proxy</RequestId></Error>",
        ),
        Action::DeleteThenForward(object_path) => {
            let delete = Message {
                start: format!("DELETE /{object_path} HTTP/1.1"),
                headers: vec![
                    ("Host".into(), upstream.into()),
                    ("Content-Length".into(), "0".into()),
                    // moto wants to know the account; it checks no signature.
                    (
                        "Authorization".into(),
                        "AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/s3/aws4_request, \
                         SignedHeaders=host, Signature=0"
                            .into(),
                    ),
                ],
                body: Vec::new(),
            };
            let deleted = exchange(upstream, delete)?;
            assert!(
                deleted.start.contains(" 204") || deleted.start.contains(" 200"),
                "deleting {object_path} in moto: {}",
                deleted.start
            );
            forward(&mut client, upstream, &mut request)
        }
        Action::Forward => forward(&mut client, upstream, &mut request),
    }
}

fn exchange(upstream: &str, mut request: Message) -> std::io::Result<Message> {
    request.set_header("Connection", "close");
    let head = request.method() == "HEAD";
    let mut server = TcpStream::connect(upstream)?;
    server.write_all(&request.to_bytes())?;
    server.flush()?;
    read_message(&mut BufReader::new(server), !head)?
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "upstream closed"))
}

fn forward(client: &mut TcpStream, upstream: &str, request: &mut Message) -> std::io::Result<()> {
    let head = request.method() == "HEAD";
    let mut response = exchange(upstream, std::mem::take(request))?;
    if !head {
        response.set_header("Content-Length", &response.body.len().to_string());
    }
    response.set_header("Connection", "close");
    client.write_all(&response.to_bytes())?;
    client.flush()
}
