//! A test generator of signed CloudTrail archives, in memory: two chain
//! segments of one trail (logging stopped and started again), windows off
//! the clock hour, empty windows, a window across midnight and a month end
//! (filed under the next day), and a key rotation whose validity windows
//! overlap. Each [`Tamper`] is applied while the chain is built and
//! everything downstream is re-hashed and re-signed, so that only the
//! tampering itself is wrong.

#![allow(dead_code)]

use std::io::Write;
use std::sync::OnceLock;

use trailwatch_evidence::{ArchiveFile, PublicKeys};
use trailwatch_gen::digest::{
    digest_json, public_keys_json, signer_at, signing_string, windows, Signer, Trail, Written,
};
use trailwatch_gen::time::{iso, ts};
use trailwatch_gen::DigestEntry;

pub const ACCOUNT: &str = "111122223333";
pub const REGION: &str = "us-east-2";
pub const BUCKET: &str = "trail-bucket";
/// Paths are under this root, as in a local copy.
pub const ROOT: &str = "copy/";

/// The test keys: made once per test binary (RSA generation is slow).
pub struct Keys {
    /// Valid 2024-01-20 to 2024-02-01 00:30.
    pub k1: Signer,
    /// Valid 2024-01-31 23:00 to 2024-03-01: overlaps k1 by 90 minutes.
    pub k2: Signer,
    /// Never listed.
    pub rogue: Signer,
}

pub fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| Keys {
        k1: Signer::generate(ts(2024, 1, 20, 0, 0), ts(2024, 2, 1, 0, 30)),
        k2: Signer::generate(ts(2024, 1, 31, 23, 0), ts(2024, 3, 1, 0, 0)),
        rogue: Signer::generate(ts(2024, 1, 1, 0, 0), ts(2025, 1, 1, 0, 0)),
    })
}

/// `list-public-keys` output: k1 as AWS CLI v1 prints it, k2 as v2 does,
/// concatenated (a merged file).
pub fn keys_file() -> String {
    let k = keys();
    public_keys_json(&[&k.k1], true) + "\n" + &public_keys_json(&[&k.k2], false)
}

pub fn public_keys() -> PublicKeys {
    let mut keys = PublicKeys::new();
    keys.add_file(keys_file().as_bytes()).unwrap();
    keys
}

/// One tampering (indexes: log files 0..9, digests 0..8 in time order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tamper {
    None,
    /// Delete log file i.
    DeleteLog(usize),
    /// Change one byte of log file i's JSON, compressed again cleanly.
    EditLog(usize),
    /// Flip one byte in the middle of log file i's gzip stream.
    FlipGzipByte(usize),
    /// Append a second gzip member to log file i.
    AppendMember(usize),
    /// Add a log file inside digest 1's window that no digest lists.
    AddLog,
    /// Drop digest i.
    DropDigest(usize),
    /// Change digest i after it was signed (the next digest names its new hash).
    ChangeDigest(usize),
    /// Sign digest i with an unlisted key but name the listed key's fingerprint.
    WrongSignature(usize),
    /// Sign digest i with an unlisted key and name it.
    UnlistedKey(usize),
    /// Sign digest i with k1 after k1's validity ended.
    ExpiredKey(usize),
    /// Write a wrong `previousDigestHashValue` into digest i (signed as is).
    BreakPreviousHash(usize),
}

/// A generated archive.
pub struct Archive {
    /// (path, bytes as stored, x-amz-meta-signature for digests).
    pub files: Vec<(String, Vec<u8>, Option<String>)>,
    /// Digest paths in time order (dropped ones included).
    pub digests: Vec<String>,
    /// Log file paths in delivery order.
    pub logs: Vec<String>,
}

impl Archive {
    /// The files as `verify` takes them; with S3 metadata signatures or not.
    pub fn inputs(&self, metadata: bool) -> Vec<ArchiveFile> {
        self.files
            .iter()
            .map(|(p, b, s)| {
                ArchiveFile::in_memory(
                    p.clone(),
                    b.clone(),
                    if metadata { s.clone() } else { None },
                )
            })
            .collect()
    }

    pub fn replace(&mut self, path: &str, bytes: Vec<u8>) {
        let f = self
            .files
            .iter_mut()
            .find(|f| f.0 == path)
            .expect("a file of the archive");
        f.1 = bytes;
    }
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// Delivery times of the log files: segment one (0..7), segment two (7..9).
pub fn deliveries() -> [i64; 9] {
    [
        ts(2024, 1, 31, 21, 5),
        ts(2024, 1, 31, 21, 40),
        ts(2024, 1, 31, 22, 10),
        ts(2024, 1, 31, 23, 50),
        ts(2024, 2, 1, 0, 5),
        ts(2024, 2, 1, 0, 40),
        ts(2024, 2, 1, 2, 10),
        ts(2024, 2, 1, 5, 20),
        ts(2024, 2, 1, 6, 30),
    ]
}

/// Segment starts: off the clock hour, with seconds.
pub fn segment_starts() -> [i64; 2] {
    [ts(2024, 1, 31, 20, 47) + 13, ts(2024, 2, 1, 5, 3) + 7]
}

pub fn log_key(deliver: i64, i: usize) -> String {
    let stamp = trailwatch_gen::time::stamp(deliver);
    let (y, mo, d, ..) = trailwatch_gen::time::parts(deliver);
    format!("AWSLogs/{ACCOUNT}/CloudTrail/{REGION}/{y:04}/{mo:02}/{d:02}/{ACCOUNT}_CloudTrail_{REGION}_{stamp}_tw{i:014}.json.gz")
}

pub fn log_json(deliver: i64, i: usize) -> String {
    format!(
        r#"{{"Records":[{{"eventVersion":"1.09","eventTime":"{}","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"{REGION}","eventID":"00000000-0000-4000-8000-{i:012}"}}]}}"#,
        iso(deliver - 300)
    )
}

pub fn trail() -> Trail {
    Trail {
        bucket: BUCKET.into(),
        root: format!("AWSLogs/{ACCOUNT}"),
        account: ACCOUNT.into(),
        region: REGION.into(),
        name: "main".into(),
        home_region: "us-east-1".into(),
    }
}

fn sha_hex(data: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Builds the archive with one tampering.
pub fn build(tamper: Tamper) -> Archive {
    let k = keys();
    let signers = [&k.k1, &k.k2];
    let trail = trail();
    let mut files = Vec::new();
    let mut logs = Vec::new();
    let mut entries = Vec::new();
    for (i, &t) in deliveries().iter().enumerate() {
        let key = log_key(t, i);
        let json = log_json(t, i);
        entries.push(DigestEntry {
            key: key.clone(),
            sha256: sha_hex(json.as_bytes()),
            oldest: t - 300,
            newest: t - 300,
            deliver: t,
        });
        let path = format!("{ROOT}{key}");
        logs.push(path.clone());
        let bytes = match tamper {
            Tamper::DeleteLog(j) if j == i => continue,
            Tamper::EditLog(j) if j == i => gzip(json.replace("GetObject", "GetObjecT").as_bytes()),
            Tamper::FlipGzipByte(j) if j == i => {
                let mut g = gzip(json.as_bytes());
                let mid = g.len() / 2;
                g[mid] ^= 0x5a;
                g
            }
            Tamper::AppendMember(j) if j == i => {
                let mut g = gzip(json.as_bytes());
                g.extend_from_slice(&gzip(br#"{"Records":[]}"#));
                g
            }
            _ => gzip(json.as_bytes()),
        };
        files.push((path, bytes, None));
    }
    if tamper == Tamper::AddLog {
        let t = ts(2024, 1, 31, 22, 20);
        let key = log_key(t, 99);
        files.push((
            format!("{ROOT}{key}"),
            gzip(log_json(t, 99).as_bytes()),
            None,
        ));
    }
    let mut digests = Vec::new();
    let mut index = 0;
    let segments = [
        (segment_starts()[0], &entries[..7]),
        (segment_starts()[1], &entries[7..]),
    ];
    for (start, seg) in segments {
        let mut previous: Option<trailwatch_gen::digest::Link> = None;
        let last = seg.iter().map(|e| e.deliver).max().unwrap();
        for (s, e) in windows(start, last) {
            let listed: Vec<&DigestEntry> = seg
                .iter()
                .filter(|x| s <= x.deliver && x.deliver < e)
                .collect();
            let honest = signer_at(&signers, e);
            let (fingerprint, signer) = match tamper {
                Tamper::WrongSignature(j) if j == index => (honest.fingerprint.as_str(), &k.rogue),
                Tamper::UnlistedKey(j) if j == index => (k.rogue.fingerprint.as_str(), &k.rogue),
                Tamper::ExpiredKey(j) if j == index => (k.k1.fingerprint.as_str(), &k.k1),
                _ => (honest.fingerprint.as_str(), honest),
            };
            let mut named = previous.clone();
            if let (Tamper::BreakPreviousHash(j), Some(n)) = (tamper, named.as_mut()) {
                if j == index {
                    n.sha256 = "0".repeat(64);
                }
            }
            let json = digest_json(&trail, (s, e), fingerprint, named.as_ref(), &listed);
            let prev_sig = previous.as_ref().map(|p| p.signature.as_str());
            let signature =
                signer.sign(signing_string(&trail, e, json.as_bytes(), prev_sig).as_bytes());
            let stored = match tamper {
                Tamper::ChangeDigest(j) if j == index => {
                    let from = format!("\"digestStartTime\":\"{}\"", iso(s));
                    let to = format!("\"digestStartTime\":\"{}\"", iso(s + 1));
                    assert!(json.contains(&from));
                    json.replacen(&from, &to, 1)
                }
                _ => json,
            };
            let written = Written {
                key: trail.digest_key(e),
                json: stored.into_bytes(),
                signature,
                start: s,
                end: e,
            };
            previous = Some(written.link());
            let path = format!("{ROOT}{}", written.key);
            digests.push(path.clone());
            if tamper != Tamper::DropDigest(index) {
                files.push((path, gzip(&written.json), Some(written.signature.clone())));
            }
            index += 1;
        }
    }
    Archive {
        files,
        digests,
        logs,
    }
}
