//! Verifying an archive: every file is read once (in parallel: log files
//! hashed, digests parsed), then the chains, gaps, signatures and listings
//! are judged together.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io;
use std::path::PathBuf;
use std::sync::Mutex;

use crate::digest::{self, Digest, DigestError};
use crate::keys::PublicKeys;
use crate::layout::{archive_key, digest_name, log_delivery, place};
use crate::logfile::{hex, unhex, Hasher, LogError, LogHash};
use crate::problem::{Problem, ProblemKind};
use crate::time::iso;

/// Log files larger than this on disk are streamed instead of read whole.
const READ_WHOLE_MAX: u64 = 256 << 20;
/// Digest files larger than this as stored are refused unread.
const DIGEST_FILE_MAX: u64 = 64 << 20;
/// A log file's name gives the minute it was written; it is delivered (and
/// listed by the digest whose window holds that time) up to minutes later:
/// a real digest lists a file named 18:35 in a window opening at 18:36:49.
/// A log file no digest lists is judged over its minute plus this lag.
pub const DELIVERY_LAG_SECONDS: i64 = 15 * 60;

/// The bytes of one fetched object, and its `x-amz-meta-signature`.
#[derive(Debug, Default)]
pub struct Fetched {
    /// The object as stored.
    pub bytes: Vec<u8>,
    /// `x-amz-meta-signature` (hex), when the object has it.
    pub signature: Option<String>,
}

/// Deferred fetch of an object (run on a worker thread).
pub type Fetch = Box<dyn FnOnce() -> io::Result<Fetched> + Send>;

/// Where a file's bytes come from.
pub enum Content {
    /// Already in memory.
    Bytes(Vec<u8>),
    /// A local file.
    File(PathBuf),
    /// Fetched when its turn comes (S3 objects), with their metadata.
    Fetch(Fetch),
}

/// One file of the archive: a log file or a digest, told apart by name
/// (digests are named `..._CloudTrail-Digest_...json.gz`; a log file may
/// also be a gunzipped `..._CloudTrail_....json`); other files are ignored.
pub struct ArchiveFile {
    /// The path or `s3://` URI, as reported.
    pub path: String,
    /// Its bytes.
    pub content: Content,
    /// `x-amz-meta-signature` of a digest, when known (S3).
    pub signature: Option<String>,
}

impl ArchiveFile {
    /// A local file.
    pub fn local(path: PathBuf) -> ArchiveFile {
        ArchiveFile {
            path: path.display().to_string(),
            content: Content::File(path),
            signature: None,
        }
    }

    /// A file held in memory.
    pub fn in_memory(path: impl Into<String>, bytes: Vec<u8>, signature: Option<String>) -> Self {
        ArchiveFile {
            path: path.into(),
            content: Content::Bytes(bytes),
            signature,
        }
    }
}

/// How to verify.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Threads reading files (at least one).
    pub jobs: usize,
    /// Only problems whose span overlaps `[start, end]` (Unix seconds) are
    /// reported; files around it should still be supplied (a digest lists
    /// log files delivered up to an hour before its name's date).
    pub scope: Option<(i64, i64)>,
}

/// Totals for the summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Log files read.
    pub log_files: u64,
    /// Their bytes as stored.
    pub log_bytes: u64,
    /// Their bytes uncompressed (hashed).
    pub log_bytes_uncompressed: u64,
    /// Log files listed by a digest whose hash matched.
    pub logs_verified: u64,
    /// Log files outside every digest window: nothing proves or disproves them.
    pub logs_uncovered: u64,
    /// Log files inside the span of a missing or unreadable digest.
    pub logs_in_gaps: u64,
    /// Digest files read.
    pub digests: u64,
    /// Digests whose signature verified.
    pub digests_signed: u64,
    /// Starting digests (the five `previousDigest*` fields null: validation
    /// or logging started or restarted). Between a chain segment's newest
    /// digest and the next start nothing is covered, and a deleted final
    /// digest of a segment cannot be told from logging having stopped.
    pub chain_starts: u64,
    /// Files that are neither log files nor digests.
    pub ignored: u64,
}

/// The delivery-time spans one chain's digests cover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    /// The account.
    pub account: String,
    /// The region the digests and logs are filed under.
    pub region: String,
    /// `<trail>_<home region>` from the digest names.
    pub trail: String,
    /// Merged `[start, end]` windows (Unix seconds) of its readable digests.
    pub spans: Vec<(i64, i64)>,
}

/// What an interval of time rests on (for exposure windows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Evidence<'a> {
    /// Wholly inside digest windows, and no problem overlaps it.
    Verified,
    /// These problems overlap it (informational ones included).
    Problems(Vec<&'a Problem>),
    /// Some of it lies outside every digest window.
    NoDigests,
}

/// The outcome of [`verify`].
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Problems, ordered by account, region, time and kind.
    pub problems: Vec<Problem>,
    /// Files that could not be read at all (I/O or fetch errors): `(path, why)`.
    pub read_errors: Vec<(String, String)>,
    /// What the digests cover, per chain.
    pub coverage: Vec<Coverage>,
    /// Totals.
    pub stats: Stats,
}

impl Report {
    /// True when a problem other than the informational ones was found.
    pub fn has_problems(&self) -> bool {
        self.problems.iter().any(|p| !p.kind.is_informational())
    }

    /// The evidence for `[start, end]` (Unix seconds) in `account` and, when
    /// given, `region` (a bucket's events can be logged in any region, so a
    /// caller may ask for all): problems overlapping it, else whether digest
    /// windows cover it whole. Digest windows are delivery time, which
    /// trails event time by up to about 15 minutes.
    pub fn evidence(
        &self,
        account: &str,
        region: Option<&str>,
        start: i64,
        end: i64,
    ) -> Evidence<'_> {
        let here = |a: &Option<String>, r: &Option<String>| {
            a.as_deref().is_none_or(|a| a == account)
                && (region.is_none() || r.is_none() || r.as_deref() == region)
        };
        let problems: Vec<&Problem> = self
            .problems
            .iter()
            .filter(|p| here(&p.account, &p.region) && p.overlaps(start, end))
            .collect();
        if !problems.is_empty() {
            return Evidence::Problems(problems);
        }
        let mut spans: Vec<(i64, i64)> = self
            .coverage
            .iter()
            .filter(|c| c.account == account && region.is_none_or(|r| r == c.region))
            .flat_map(|c| c.spans.iter().copied())
            .collect();
        spans.sort_unstable();
        let covered = merge(spans).iter().any(|&(s, e)| s <= start && e >= end);
        if covered {
            Evidence::Verified
        } else {
            Evidence::NoDigests
        }
    }
}

/// Merges sorted intervals that touch or overlap.
fn merge(spans: Vec<(i64, i64)>) -> Vec<(i64, i64)> {
    let mut out: Vec<(i64, i64)> = Vec::with_capacity(spans.len());
    for (s, e) in spans {
        match out.last_mut() {
            Some(last) if s <= last.1 + 1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

enum Fact {
    Log {
        path: String,
        key: String,
        result: Result<LogHash, LogError>,
    },
    Digest {
        path: String,
        key: String,
        result: Result<Box<Digest>, DigestError>,
        signature: Option<String>,
    },
    ReadError(String, String),
    Ignored,
}

fn is_digest_name(name: &str) -> bool {
    name.contains("_CloudTrail-Digest_") && name.ends_with(".json.gz")
}

fn read_one(file: ArchiveFile, hasher: &mut Hasher) -> Fact {
    let name = file.path.rsplit('/').next().unwrap_or_default().to_owned();
    let digest = is_digest_name(&name);
    // A log file gunzipped in the copy still proves what its digest lists.
    let plain = !digest && name.ends_with(".json") && name.contains("_CloudTrail_");
    if !digest && !plain && (!name.ends_with(".json.gz") || name.contains("_CloudTrail-Insight_")) {
        return Fact::Ignored;
    }
    let mut key = archive_key(&file.path).unwrap_or(&file.path).to_owned();
    if plain {
        key.push_str(".gz");
    }
    let path = file.path;
    let mut signature = file.signature;
    let bytes = match file.content {
        Content::Bytes(b) => b,
        Content::Fetch(fetch) => match fetch() {
            Ok(f) => {
                signature = f.signature.or(signature);
                f.bytes
            }
            Err(e) => return Fact::ReadError(path, e.to_string()),
        },
        Content::File(p) => {
            let size = match std::fs::metadata(&p) {
                Ok(m) => m.len(),
                Err(e) => return Fact::ReadError(path, e.to_string()),
            };
            if digest && size > DIGEST_FILE_MAX {
                let result: Result<Box<Digest>, _> = Err(DigestError::TooLarge);
                return Fact::Digest {
                    path,
                    key,
                    result,
                    signature,
                };
            }
            if !digest && size > READ_WHOLE_MAX {
                let result = File::open(&p).map_err(LogError::Io).and_then(|f| {
                    if plain {
                        hasher.hash_plain(f)
                    } else {
                        hasher.hash_reader(f)
                    }
                });
                return log_fact(path, key, result);
            }
            match std::fs::read(&p) {
                Ok(b) => b,
                Err(e) => return Fact::ReadError(path, e.to_string()),
            }
        }
    };
    if digest {
        let result = digest::parse(&bytes).map(Box::new);
        Fact::Digest {
            path,
            key,
            result,
            signature,
        }
    } else if plain {
        log_fact(path, key, hasher.hash_plain(&bytes[..]))
    } else {
        log_fact(path, key, hasher.hash_bytes(&bytes))
    }
}

fn log_fact(path: String, key: String, result: Result<LogHash, LogError>) -> Fact {
    match result {
        Err(LogError::Io(e)) => Fact::ReadError(path, e.to_string()),
        result => Fact::Log { path, key, result },
    }
}

fn gather(files: Vec<ArchiveFile>, jobs: usize) -> Vec<Fact> {
    let n = files.len();
    let queue = Mutex::new(files.into_iter().enumerate());
    let out = Mutex::new(Vec::with_capacity(n));
    std::thread::scope(|s| {
        for _ in 0..jobs.clamp(1, n.max(1)) {
            s.spawn(|| {
                let mut hasher = Hasher::new();
                let mut local = Vec::new();
                loop {
                    let next = queue.lock().expect("queue").next();
                    let Some((i, file)) = next else { break };
                    local.push((i, read_one(file, &mut hasher)));
                }
                out.lock().expect("results").extend(local);
            });
        }
    });
    let mut facts = out.into_inner().expect("results");
    facts.sort_by_key(|(i, _)| *i);
    facts.into_iter().map(|(_, f)| f).collect()
}

/// A readable digest and where it sits.
struct Node {
    path: String,
    key: String,
    account: Option<String>,
    region: Option<String>,
    location: String,
    chain: String,
    trail: String,
    backfill: bool,
    digest: Digest,
    metadata_signature: Option<String>,
}

struct Judge<'a> {
    keys: &'a PublicKeys,
    problems: Vec<Problem>,
    stats: Stats,
}

impl Judge<'_> {
    fn problem(&mut self, kind: ProblemKind, node: &Node, digest: Option<&str>, detail: String) {
        let (start, end) = node.digest.span();
        self.problems.push(Problem {
            kind,
            account: node.account.clone(),
            region: node.region.clone(),
            path: node.path.clone(),
            digest: digest.map(str::to_owned),
            start: Some(start),
            end: Some(end),
            detail,
        });
    }

    /// Checks `node`'s signature, carried by `carrier` (the next digest) or,
    /// when `carrier` is `None`, by the object's S3 metadata.
    fn signature(&mut self, node: &Node, signature: &str, carrier: Option<&str>) {
        let d = &node.digest;
        let source = carrier.map_or("its S3 metadata".to_owned(), |c| {
            format!("the next digest {c}")
        });
        if d.algorithm != "SHA256withRSA" {
            let detail = format!("signature algorithm `{}` is not SHA256withRSA", d.algorithm);
            return self.problem(ProblemKind::BadSignature, node, carrier, detail);
        }
        let Some(key) = self.keys.get(&d.fingerprint) else {
            let detail = format!(
                "signed with key {}, which no supplied public key has (pass `aws cloudtrail list-public-keys` output for region {} with --public-keys)",
                d.fingerprint,
                node.region.as_deref().unwrap_or("?")
            );
            return self.problem(ProblemKind::UnknownPublicKey, node, carrier, detail);
        };
        if !key.valid_at(d.end) {
            let detail = format!(
                "signed with key {} valid from {} to {}, but the digest ends at {}",
                d.fingerprint,
                key.valid_from.map_or("-".into(), iso),
                key.valid_to.map_or("-".into(), iso),
                iso(d.end)
            );
            return self.problem(ProblemKind::BadSignature, node, carrier, detail);
        }
        let Some(bytes) = unhex(signature) else {
            let detail = format!("the signature in {source} is not hex");
            return self.problem(ProblemKind::BadSignature, node, carrier, detail);
        };
        if key.verifies(d.signing_string().as_bytes(), &bytes) {
            self.stats.digests_signed += 1;
        } else {
            let detail = format!(
                "the signature in {source} does not verify with key {} over this digest",
                d.fingerprint
            );
            self.problem(ProblemKind::BadSignature, node, carrier, detail);
        }
    }
}

fn s3_name(bucket: &str, key: &str) -> String {
    format!("s3://{bucket}/{key}")
}

/// Verifies an archive: log files against the digests that list them,
/// digests against their chain and signatures. Every file is read once.
pub fn verify(files: Vec<ArchiveFile>, keys: &PublicKeys, options: &Options) -> Report {
    let mut report = Report::default();
    let mut judge = Judge {
        keys,
        problems: Vec::new(),
        stats: Stats::default(),
    };
    let mut logs: BTreeMap<String, (String, Result<LogHash, LogError>)> = BTreeMap::new();
    let mut nodes: Vec<Node> = Vec::new();
    // Unreadable digests by key: (path, end time from the name).
    let mut unreadable: HashMap<String, Option<i64>> = HashMap::new();
    let mut blind: HashMap<String, Vec<(i64, i64)>> = HashMap::new();
    let mut seen = HashSet::new();
    let facts = gather(files, options.jobs);
    tracing::debug!(files = facts.len(), "read every file");
    for fact in facts {
        match fact {
            Fact::Ignored => judge.stats.ignored += 1,
            Fact::ReadError(path, why) => report.read_errors.push((path, why)),
            Fact::Log { path, key, result } => {
                if !seen.insert(key.clone()) {
                    continue;
                }
                judge.stats.log_files += 1;
                if let Ok(h) = &result {
                    judge.stats.log_bytes += h.compressed;
                    judge.stats.log_bytes_uncompressed += h.uncompressed;
                }
                logs.insert(key, (path, result));
            }
            Fact::Digest {
                path,
                key,
                result,
                signature,
            } => {
                if !seen.insert(key.clone()) {
                    continue;
                }
                judge.stats.digests += 1;
                let p = place(&key);
                let name = p.as_ref().and_then(|p| digest_name(p.name));
                let moved = |d: &Digest| archive_key(&d.object).unwrap_or(&d.object) != key;
                let failure = match (&result, &p, &name) {
                    (Err(e), _, _) => Some(e.to_string()),
                    (_, None, _) | (_, _, None) => Some(
                        "not in CloudTrail's layout (AWSLogs/<account>/CloudTrail-Digest/<region>/...)".into(),
                    ),
                    (Ok(d), _, _) if moved(d) => Some(format!(
                        "moved: it says it was delivered to {}",
                        s3_name(&d.bucket, &d.object)
                    )),
                    _ => None,
                };
                let account = p.as_ref().map(|p| p.account.to_owned());
                let region = p.as_ref().map(|p| p.region.to_owned());
                if let Some(why) = failure {
                    let end = name.as_ref().map(|n| n.end);
                    if let (Some(p), Some(end)) = (&p, end) {
                        blind
                            .entry(p.location())
                            .or_default()
                            .push((end - 3600 - 60, end));
                    }
                    judge.problems.push(Problem {
                        kind: ProblemKind::UnreadableDigest,
                        account,
                        region,
                        path: path.clone(),
                        digest: None,
                        start: end.map(|e| e - 3600),
                        end,
                        detail: why,
                    });
                    unreadable.insert(key, end);
                    continue;
                }
                let (p, name) = (p.expect("checked"), name.expect("checked"));
                let location = p.location();
                nodes.push(Node {
                    chain: format!("{location}|{}", name.trail_home),
                    trail: name.trail_home.to_owned(),
                    location,
                    backfill: name.backfill,
                    path,
                    key,
                    account,
                    region,
                    digest: *result.expect("checked"),
                    metadata_signature: signature,
                });
            }
        }
    }

    // --- the chains ---------------------------------------------------------
    let by_key: HashMap<&str, usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.key.as_str(), i))
        .collect();
    let mut chains: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, n) in nodes.iter().enumerate() {
        if !n.backfill {
            chains.entry(n.chain.as_str()).or_default().push(i);
        }
    }
    for list in chains.values_mut() {
        list.sort_by(|&a, &b| {
            (nodes[a].digest.end, &nodes[a].key).cmp(&(nodes[b].digest.end, &nodes[b].key))
        });
    }
    let mut named = vec![false; nodes.len()];
    for list in chains.values() {
        for (pos, &i) in list.iter().enumerate() {
            let node = &nodes[i];
            let Some(prev) = &node.digest.previous else {
                judge.stats.chain_starts += 1;
                continue;
            };
            let pkey = archive_key(&prev.object).unwrap_or(&prev.object);
            if let Some(&p) = by_key.get(pkey) {
                named[p] = true;
                let want = hex(&nodes[p].digest.sha256);
                if prev.hash != want {
                    let detail = format!(
                        "previousDigestHashValue {} is not the SHA-256 of {} ({want})",
                        prev.hash, nodes[p].path
                    );
                    judge.problem(ProblemKind::BrokenChain, node, Some(&node.path), detail);
                }
                match &node.digest.previous_signature {
                    Some(sig) => judge.signature(&nodes[p], sig, Some(&node.path)),
                    None => {
                        let detail =
                            format!("the next digest {} carries no signature for it", node.path);
                        judge.problem(
                            ProblemKind::BadSignature,
                            &nodes[p],
                            Some(&node.path),
                            detail,
                        );
                    }
                }
            } else if unreadable.contains_key(pkey) {
                // Reported as unreadable; its span is blind.
            } else if pos > 0 {
                let before = &nodes[list[pos - 1]];
                let (start, end) = (before.digest.end, node.digest.start);
                blind
                    .entry(node.location.clone())
                    .or_default()
                    .push((start, end));
                judge.problems.push(Problem {
                    kind: ProblemKind::DigestGap,
                    account: node.account.clone(),
                    region: node.region.clone(),
                    path: s3_name(&prev.bucket, &prev.object),
                    digest: Some(node.path.clone()),
                    start: Some(start),
                    end: Some(end),
                    detail: format!(
                        "missing: {} names it as its predecessor; the chain has nothing between {} and {}",
                        node.path,
                        iso(start),
                        iso(end)
                    ),
                });
            }
        }
        // Digests no successor vouches for: the newest of each segment (its
        // signature is only in S3 metadata), or digests outside the chain.
        for (pos, &i) in list.iter().enumerate() {
            if named[i] {
                continue;
            }
            let segment_end = match list.get(pos + 1) {
                None => true,
                Some(&next) => match &nodes[next].digest.previous {
                    None => true,
                    Some(prev) => {
                        let pkey = archive_key(&prev.object).unwrap_or(&prev.object);
                        !by_key.contains_key(pkey)
                    }
                },
            };
            if segment_end {
                end_of_segment(&mut judge, &nodes[i]);
            } else {
                let next = &nodes[list[pos + 1]];
                let detail = format!(
                    "outside the chain: no digest names it as its predecessor ({} names {})",
                    next.path,
                    next.digest
                        .previous
                        .as_ref()
                        .map_or("", |p| p.object.as_str())
                );
                judge.problem(ProblemKind::BrokenChain, &nodes[i], None, detail);
            }
        }
    }
    for node in nodes.iter().filter(|n| n.backfill) {
        end_of_segment(&mut judge, node);
    }

    tracing::debug!(
        digests = nodes.len(),
        chains = chains.len(),
        "judged the chains"
    );
    // --- the log files ----------------------------------------------------------
    let mut listed: HashSet<&str> = HashSet::new();
    for node in &nodes {
        for l in &node.digest.logs {
            let lkey = archive_key(&l.object).unwrap_or(&l.object);
            if !listed.insert(lkey) {
                continue;
            }
            let span = (
                l.oldest.unwrap_or(node.digest.start),
                l.newest.unwrap_or(node.digest.end),
            );
            let lplace = place(lkey);
            let mut problem = |kind, path: String, detail| {
                judge.problems.push(Problem {
                    kind,
                    account: lplace
                        .as_ref()
                        .map(|p| p.account.to_owned())
                        .or(Some(node.digest.account.clone())),
                    region: lplace.as_ref().map(|p| p.region.to_owned()),
                    path,
                    digest: Some(node.path.clone()),
                    start: Some(span.0),
                    end: Some(span.1),
                    detail,
                })
            };
            match logs.get(lkey) {
                None => problem(
                    ProblemKind::MissingLogFile,
                    s3_name(&l.bucket, &l.object),
                    format!("listed by {} but not in the copy", node.path),
                ),
                Some((path, Ok(h))) if hex(&h.sha256) == l.hash => {
                    let _ = path;
                    judge.stats.logs_verified += 1;
                }
                Some((path, Ok(h))) => problem(
                    ProblemKind::ModifiedLogFile,
                    path.clone(),
                    format!(
                        "its uncompressed SHA-256 is {}, not the {} its digest lists",
                        hex(&h.sha256),
                        l.hash
                    ),
                ),
                Some((path, Err(e))) => {
                    problem(ProblemKind::ModifiedLogFile, path.clone(), e.to_string())
                }
            }
        }
    }
    // Windows per location, for the log files no digest lists.
    let mut windows: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, n) in nodes.iter().enumerate() {
        windows.entry(n.location.as_str()).or_default().push(i);
    }
    let mut covered: HashMap<&str, Vec<(i64, i64)>> = HashMap::new();
    for (loc, list) in &windows {
        let mut spans: Vec<(i64, i64)> = list
            .iter()
            .map(|&i| (nodes[i].digest.start, nodes[i].digest.end))
            .collect();
        spans.sort_unstable();
        covered.insert(loc, merge(spans));
    }
    for (key, (path, result)) in &logs {
        if listed.contains(key.as_str()) {
            continue;
        }
        let Some(p) = place(key) else {
            judge.stats.logs_uncovered += 1;
            continue;
        };
        let Some(t) = log_delivery(p.name) else {
            judge.stats.logs_uncovered += 1;
            continue;
        };
        let location = p.location();
        let (lo, hi) = (t, t + 59 + DELIVERY_LAG_SECONDS);
        let spans = covered
            .get(location.as_str())
            .map(Vec::as_slice)
            .unwrap_or_default();
        let inside = spans.iter().any(|&(s, e)| s <= lo && e >= hi);
        let in_blind = blind
            .get(&location)
            .is_some_and(|b| b.iter().any(|&(s, e)| s <= hi && e >= lo));
        let newest = spans.last().map(|s| s.1);
        let mut problem = |kind, digest: Option<&Node>, start, end, detail| {
            judge.problems.push(Problem {
                kind,
                account: Some(p.account.to_owned()),
                region: Some(p.region.to_owned()),
                path: path.clone(),
                digest: digest.map(|d| d.path.clone()),
                start: Some(start),
                end: Some(end),
                detail,
            })
        };
        if in_blind {
            judge.stats.logs_in_gaps += 1;
        } else if inside {
            let holder = windows[location.as_str()]
                .iter()
                .map(|&i| &nodes[i])
                .find(|n| n.digest.start <= t + 59 && n.digest.end >= t)
                .expect("a covered minute has a window");
            let broken = match result {
                Err(e) => format!(" (and it is damaged: {e})"),
                Ok(_) => String::new(),
            };
            let detail = format!(
                "delivered at {} inside the window of {} ({} to {}), which does not list it{broken}",
                &iso(t)[..16],
                holder.path,
                iso(holder.digest.start),
                iso(holder.digest.end)
            );
            problem(
                ProblemKind::UnlistedLogFile,
                Some(holder),
                holder.digest.start,
                holder.digest.end,
                detail,
            );
        } else if newest.is_some_and(|n| hi > n) {
            let detail = format!(
                "delivered at {} after the newest digest's window (ends {})",
                &iso(t)[..16],
                iso(newest.unwrap_or(t))
            );
            problem(ProblemKind::NotYetDigested, None, t, t + 60, detail);
        } else {
            judge.stats.logs_uncovered += 1;
        }
    }

    // --- coverage, scope, order ---------------------------------------------------
    let mut by_chain: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, n) in nodes.iter().enumerate() {
        by_chain.entry(n.chain.as_str()).or_default().push(i);
    }
    for list in by_chain.values() {
        let first = &nodes[list[0]];
        let mut spans: Vec<(i64, i64)> = list
            .iter()
            .map(|&i| (nodes[i].digest.start, nodes[i].digest.end))
            .collect();
        spans.sort_unstable();
        report.coverage.push(Coverage {
            account: first.account.clone().unwrap_or_default(),
            region: first.region.clone().unwrap_or_default(),
            trail: first.trail.clone(),
            spans: merge(spans),
        });
    }
    let mut problems = judge.problems;
    if let Some((s, e)) = options.scope {
        problems.retain(|p| p.overlaps(s, e));
    }
    problems.sort_by(|a, b| {
        (&a.account, &a.region, a.start, a.kind, &a.path)
            .cmp(&(&b.account, &b.region, b.start, b.kind, &b.path))
    });
    report.problems = problems;
    report.stats = judge.stats;
    report.read_errors.sort();
    report
}

/// The newest digest of a segment (or a backfill digest): its signature is
/// only in the object's S3 metadata.
fn end_of_segment(judge: &mut Judge<'_>, node: &Node) {
    match &node.metadata_signature {
        Some(sig) => judge.signature(node, sig, None),
        None => {
            let what = if node.backfill {
                "a backfill digest"
            } else {
                "the newest digest of its chain"
            };
            let detail = format!(
                "{what}: its signature is only in the S3 object's x-amz-meta-signature, which this copy lacks (verify from s3:// to check it)"
            );
            judge.problem(ProblemKind::UnverifiableNewestDigest, node, None, detail);
        }
    }
}
