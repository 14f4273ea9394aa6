//! Just enough HTTP/1.1 for test doubles that sit on loopback: reading one
//! request or response with a `Content-Length` (or chunked) body, and an
//! HTTP endpoint that records what is posted to it (an SNS `http`
//! subscriber).

use std::io::{self, BufRead, BufReader, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// One HTTP message: a request (`start` is `METHOD PATH VERSION`) or a
/// response (`start` is `VERSION STATUS REASON`).
#[derive(Debug, Clone, Default)]
pub struct Message {
    /// The first line, without its CRLF.
    pub start: String,
    /// Header names and values, in order, as sent.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked if it was chunked.
    pub body: Vec<u8>,
}

impl Message {
    /// The first value of a header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// A request's method.
    pub fn method(&self) -> &str {
        self.start.split(' ').next().unwrap_or("")
    }

    /// A request's path (with query).
    pub fn path(&self) -> &str {
        self.start.split(' ').nth(1).unwrap_or("")
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Replaces a header's value (or adds it), dropping duplicates.
    pub fn set_header(&mut self, name: &str, value: &str) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value.to_owned()));
    }

    /// Removes a header.
    pub fn remove_header(&mut self, name: &str) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    }

    /// Serialises the message.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.body.len() + 512);
        out.extend_from_slice(self.start.as_bytes());
        out.extend_from_slice(b"\r\n");
        for (name, value) in &self.headers {
            out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
        out
    }
}

/// Reads one message. `Ok(None)` when the peer closed before sending any
/// byte. With `body_until_eof` (a response to a `Connection: close`
/// request that has neither length nor chunking), reads the body to EOF.
pub fn read_message(
    reader: &mut impl BufRead,
    body_until_eof: bool,
) -> io::Result<Option<Message>> {
    let mut start = String::new();
    if reader.read_line(&mut start)? == 0 {
        return Ok(None);
    }
    let mut message = Message {
        start: start.trim_end().to_owned(),
        ..Message::default()
    };
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "headers cut short",
            ));
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("bad header line {line:?}"),
            )
        })?;
        message
            .headers
            .push((name.trim().to_owned(), value.trim().to_owned()));
    }
    let chunked = message
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    if chunked {
        loop {
            let mut size_line = String::new();
            reader.read_line(&mut size_line)?;
            let size = usize::from_str_radix(size_line.trim().split(';').next().unwrap_or("0"), 16)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            if size == 0 {
                // Trailers, up to the empty line.
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line)? == 0 || line.trim_end().is_empty() {
                        break;
                    }
                }
                break;
            }
            let mut chunk = vec![0; size];
            reader.read_exact(&mut chunk)?;
            message.body.extend_from_slice(&chunk);
            let mut crlf = [0; 2];
            reader.read_exact(&mut crlf)?;
        }
        message.remove_header("transfer-encoding");
        message.set_header("Content-Length", &message.body.len().to_string());
    } else if let Some(length) = message.header("content-length") {
        let length: usize = length
            .parse()
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad Content-Length"))?;
        message.body = vec![0; length];
        reader.read_exact(&mut message.body)?;
    } else if body_until_eof {
        reader.read_to_end(&mut message.body)?;
    }
    Ok(Some(message))
}

/// Writes a small response and flushes.
pub fn respond(
    stream: &mut TcpStream,
    status: &str,
    content_type: &str,
    body: &[u8],
) -> io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()
}

/// A loopback listener whose accept loop runs on a thread, one thread per
/// connection, until dropped.
pub(crate) struct Server {
    port: u16,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl Server {
    pub(crate) fn start(handler: impl Fn(TcpStream) + Send + Sync + 'static) -> Server {
        let listener =
            TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("binding a loopback port");
        let port = listener.local_addr().expect("local address").port();
        let stop = Arc::new(AtomicBool::new(false));
        let handler = Arc::new(handler);
        let accept = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(60)));
                    let handler = handler.clone();
                    std::thread::spawn(move || handler(stream));
                }
            })
        };
        Server {
            port,
            stop,
            accept: Some(accept),
        }
    }

    pub(crate) fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port));
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

/// An HTTP endpoint on loopback that answers 200 to every request and keeps
/// the requests, e.g. as an SNS `http` subscription endpoint.
pub struct HttpCollector {
    server: Server,
    received: Arc<Mutex<Vec<Message>>>,
}

impl HttpCollector {
    /// Starts listening on a free loopback port.
    pub fn start() -> HttpCollector {
        let received = Arc::new(Mutex::new(Vec::new()));
        let sink = received.clone();
        let server = Server::start(move |mut stream| {
            let mut reader = BufReader::new(stream.try_clone().expect("cloning a socket"));
            if let Ok(Some(request)) = read_message(&mut reader, false) {
                sink.lock().expect("collector lock").push(request);
                let _ = respond(&mut stream, "200 OK", "text/plain", b"");
            }
        });
        HttpCollector { server, received }
    }

    /// `http://127.0.0.1:PORT/path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.server.port())
    }

    /// Takes the requests received so far.
    pub fn take(&self) -> Vec<Message> {
        std::mem::take(&mut *self.received.lock().expect("collector lock"))
    }
}
