//! `trailwatch verify PATH...`: proves a copy of a CloudTrail archive
//! complete and untampered from its digest files (trailwatch-evidence),
//! offline for local trees, and with the newest digests' metadata
//! signatures when reading from `s3://`.

use std::collections::{BTreeSet, HashSet};
use std::io::{self, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use serde::Serialize;
use trailwatch_core::exposure::Window;
use trailwatch_evidence::layout::{archive_key, digest_name, log_delivery, place, Kind};
use trailwatch_evidence::time::{iso, parse_iso};
use trailwatch_evidence::{
    ArchiveFile, Content, Evidence, Fetched, Options, Problem, ProblemKind, PublicKey, PublicKeys,
    Report, DELIVERY_LAG_SECONDS,
};

use crate::discover::{Day, Filter};
use crate::s3source::{parse_uri, S3Access};

/// Exit status when a problem (other than the informational ones) was found.
const EXIT_PROBLEMS: u8 = 1;
/// Exit status on read errors.
const EXIT_ERRORS: u8 = 2;
/// Largest log file fetched from S3.
const MAX_S3_OBJECT: u64 = 1 << 30;

/// How problems are printed on standard output.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum VerifyFormat {
    /// One tab-separated line per problem: problem, path, detail.
    Text,
    /// One JSON object per problem.
    Jsonl,
}

#[derive(Args)]
#[command(
    after_help = "Exit status: 0 when everything verified, or the only problems are \
                        unverifiable-newest-digest and not-yet-digested; 1 when any other \
                        problem was found; 2 on a usage or read error."
)]
pub struct VerifyArgs {
    /// Directories of the AWSLogs/ layout (log files and CloudTrail-Digest/), files, or s3://bucket/prefix.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<String>,
    #[command(flatten)]
    keys: KeyArgs,
    /// Only problems from this date (YYYY-MM-DD, inclusive); files a day around it are read.
    #[arg(long, value_name = "DATE")]
    since: Option<Day>,
    /// Only problems up to this date (YYYY-MM-DD, inclusive).
    #[arg(long, value_name = "DATE")]
    until: Option<Day>,
    /// Only this account (repeatable), judged from the key layout.
    #[arg(long = "account", value_name = "ID")]
    accounts: Vec<String>,
    /// Only this region (repeatable), judged from the key layout.
    #[arg(long = "region", value_name = "REGION")]
    regions: Vec<String>,
    /// Worker threads [default: all cores].
    #[arg(short = 'j', long = "jobs", value_name = "N")]
    jobs: Option<usize>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: VerifyFormat,
    /// No summary on stderr (read errors are still printed).
    #[arg(short, long)]
    quiet: bool,
}

/// Where the digests' public keys come from (`verify`, `timeline --verify`).
#[derive(Args, Clone, Debug, Default)]
pub struct KeyArgs {
    /// `aws cloudtrail list-public-keys` output (repeatable: one per Region, CLI v1 or v2, or merged).
    #[arg(long = "public-keys", value_name = "FILE")]
    pub public_keys: Vec<PathBuf>,
    /// Also ask the CloudTrail API (ListPublicKeys) for the keys of every
    /// Region the digests come from; if AWS cannot be reached, say so and go on.
    #[arg(long)]
    pub fetch_public_keys: bool,
}

impl KeyArgs {
    /// True when a key source was given.
    pub fn any(&self) -> bool {
        !self.public_keys.is_empty() || self.fetch_public_keys
    }
}

fn day_start(day: Day) -> i64 {
    parse_iso(&format!("{day}T00:00:00Z")).expect("a Day is a date")
}

fn shifted(day: Day, days: i64) -> Day {
    iso(day_start(day) + days * 86_400)[..10]
        .parse()
        .expect("a date")
}

/// A file worth reading for verification: log files (also gunzipped ones)
/// and digests, not Insights files.
fn is_candidate(name: &str) -> bool {
    let log_json = name.ends_with(".json") && name.contains("_CloudTrail_");
    (name.ends_with(".json.gz") || log_json) && !name.contains("_CloudTrail-Insight_")
}

fn walk(
    dir: &Path,
    filter: &Filter,
    visited: &mut HashSet<(u64, u64)>,
    out: &mut Vec<ArchiveFile>,
) -> io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context_io(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<io::Result<_>>()
        .with_context_io(dir)?;
    entries.sort();
    for path in entries {
        let meta = std::fs::metadata(&path).with_context_io(&path)?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if meta.is_dir() {
            if name == "CloudTrail-Insight" || !filter.may_contain(&path) {
                continue;
            }
            if visited.insert((meta.dev(), meta.ino())) {
                walk(&path, filter, visited, out)?;
            }
        } else if is_candidate(&name) && filter.may_contain(&path) {
            out.push(ArchiveFile::local(path));
        }
    }
    Ok(())
}

trait WithPath<T> {
    fn with_context_io(self, path: &Path) -> io::Result<T>;
}

impl<T> WithPath<T> for io::Result<T> {
    fn with_context_io(self, path: &Path) -> io::Result<T> {
        self.map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))
    }
}

fn discover_s3(
    access: &S3Access,
    uri: &str,
    filter: &Filter,
    out: &mut Vec<ArchiveFile>,
) -> Result<()> {
    let Some((bucket, prefix)) = parse_uri(uri) else {
        bail!("{uri}: not of the form s3://bucket/prefix");
    };
    let mut keys = Vec::new();
    access
        .runtime
        .block_on(list_pruned(
            access,
            bucket,
            prefix.to_owned(),
            filter,
            &mut keys,
        ))
        .with_context(|| format!("listing {uri}"))?;
    for key in keys {
        let (access, bucket_owned, key_owned) = (access.clone(), bucket.to_owned(), key.clone());
        let fetch = move || -> io::Result<Fetched> {
            let object = access
                .runtime
                .block_on(trailwatch_aws::fetch_object(
                    &access.client,
                    &bucket_owned,
                    &key_owned,
                    MAX_S3_OBJECT,
                ))
                .map_err(io::Error::other)?;
            let mut metadata = object.metadata;
            Ok(Fetched {
                bytes: object.bytes,
                signature: metadata.remove("signature"),
            })
        };
        out.push(ArchiveFile {
            path: format!("s3://{bucket}/{key}"),
            content: Content::Fetch(Box::new(fetch)),
            signature: None,
        });
    }
    Ok(())
}

/// Lists the log files and digests under `prefix`, one key level at a time
/// down to each `CloudTrail[-Digest]/<region>/` (pruning accounts, regions
/// and Insights by the layout), then in one ordered listing per region from
/// `--since` to `--until`, as `replay` lists S3.
async fn list_pruned(
    access: &S3Access,
    bucket: &str,
    prefix: String,
    filter: &Filter,
    keys: &mut Vec<String>,
) -> Result<(), trailwatch_aws::FetchError> {
    let mut wanted = |key: &str| {
        let name = key.rsplit('/').next().unwrap_or_default();
        if is_candidate(name) && filter.may_contain(Path::new(key)) {
            keys.push(key.to_owned());
        }
    };
    let parts: Vec<&str> = prefix.trim_end_matches('/').split('/').collect();
    let region_level = parts.len() >= 2
        && matches!(parts[parts.len() - 2], "CloudTrail" | "CloudTrail-Digest")
        && prefix.ends_with('/');
    if region_level {
        let day = |d: Day| d.to_string().replace('-', "/");
        let start_after = filter.since.map(|d| format!("{prefix}{}/", day(d)));
        let until = filter
            .until
            .map(|d| format!("{prefix}{}/\u{10FFFF}", day(d)));
        return trailwatch_aws::list_objects_from(
            &access.client,
            bucket,
            &prefix,
            start_after.as_deref(),
            |key, _| {
                if until.as_deref().is_some_and(|u| key > u) {
                    return false;
                }
                wanted(key);
                true
            },
        )
        .await;
    }
    let level = trailwatch_aws::list_level(&access.client, bucket, &prefix).await?;
    for (key, _) in &level.objects {
        wanted(key);
    }
    for sub in level.prefixes {
        let last = sub
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or_default();
        if last == "CloudTrail-Insight" || !filter.may_contain(Path::new(&sub)) {
            continue;
        }
        Box::pin(list_pruned(access, bucket, sub, filter, keys)).await?;
    }
    Ok(())
}

/// The async runtime and AWS configuration, made once when first needed.
struct Aws {
    runtime: tokio::runtime::Runtime,
    config: trailwatch_aws::SdkConfig,
}

impl Aws {
    fn connect() -> Result<Aws> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .context("starting the async runtime")?;
        let config = runtime.block_on(trailwatch_aws::load_sdk_config());
        Ok(Aws { runtime, config })
    }

    fn s3(&self) -> S3Access {
        S3Access {
            runtime: self.runtime.handle().clone(),
            client: trailwatch_aws::s3_client(&self.config),
        }
    }
}

/// Adds the keys ListPublicKeys gives for each Region of the digests found,
/// over the span of their windows. A Region that cannot be asked is a
/// warning: its signatures then rest on `--public-keys`.
fn fetch_keys(aws: &Aws, files: &[ArchiveFile], keys: &mut PublicKeys) {
    let mut regions: std::collections::BTreeMap<String, (i64, i64)> = Default::default();
    for f in files {
        let Some(p) = archive_key(&f.path).and_then(place) else {
            continue;
        };
        let Some(name) = (p.kind == Kind::Digest)
            .then(|| digest_name(p.name))
            .flatten()
        else {
            continue;
        };
        let span = regions
            .entry(p.region.to_owned())
            .or_insert((name.end, name.end));
        *span = (span.0.min(name.end), span.1.max(name.end));
    }
    for (region, (first, last)) in regions {
        let listed = aws.runtime.block_on(trailwatch_aws::list_public_keys(
            &aws.config,
            &region,
            first - 2 * 3600,
            last,
        ));
        match listed {
            Ok(found) => {
                tracing::debug!(region, keys = found.len(), "fetched public keys");
                for k in found {
                    let key = PublicKey::from_der(k.der, k.valid_from, k.valid_to);
                    if key.fingerprint.eq_ignore_ascii_case(&k.fingerprint) {
                        keys.add(key);
                    } else {
                        eprintln!(
                            "trailwatch: warning: {region}: key {} from ListPublicKeys is not the MD5 of its value; not used",
                            k.fingerprint
                        );
                    }
                }
            }
            Err(e) => eprintln!("trailwatch: warning: {e}; its digests need --public-keys"),
        }
    }
}

/// Reads `--public-keys` files.
fn load_keys(args: &KeyArgs) -> Result<PublicKeys> {
    let mut keys = PublicKeys::new();
    for file in &args.public_keys {
        let text = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        let n = keys.add_file(&text).with_context(|| {
            format!(
                "{}: not `aws cloudtrail list-public-keys` output",
                file.display()
            )
        })?;
        tracing::debug!(file = %file.display(), keys = n, "public keys");
    }
    Ok(keys)
}

/// `filter` a day wider on each side: a digest lists files delivered up to
/// an hour before the date in its key, and a day's last files are listed by
/// the next day's first digest.
fn widened(filter: &Filter) -> Filter {
    Filter {
        since: filter.since.map(|d| shifted(d, -1)),
        until: filter.until.map(|d| shifted(d, 1)),
        accounts: filter.accounts.clone(),
        regions: filter.regions.clone(),
    }
}

/// The log files and digests under `paths` (local trees and `s3://`), with
/// the inputs that could not be listed.
struct Collected {
    files: Vec<ArchiveFile>,
    read_errors: Vec<(String, String)>,
    aws: Option<Aws>,
    s3: Option<S3Access>,
}

fn collect(paths: &[String], filter: &Filter) -> Result<Collected> {
    let mut c = Collected {
        files: Vec::new(),
        read_errors: Vec::new(),
        aws: None,
        s3: None,
    };
    for input in paths {
        if input == "-" {
            bail!("verify reads archives, not standard input");
        }
        if input.starts_with("s3://") {
            if c.aws.is_none() {
                c.aws = Some(Aws::connect()?);
            }
            let aws = c.aws.as_ref().expect("connected");
            let access = c.s3.get_or_insert_with(|| aws.s3());
            if let Err(e) = discover_s3(access, input, filter, &mut c.files) {
                c.read_errors.push((input.clone(), format!("{e:#}")));
            }
            continue;
        }
        let path = PathBuf::from(input);
        let found = std::fs::metadata(&path).and_then(|meta| {
            if meta.is_dir() {
                let mut visited = HashSet::from([(meta.dev(), meta.ino())]);
                walk(&path, filter, &mut visited, &mut c.files)
            } else {
                c.files.push(ArchiveFile::local(path.clone()));
                Ok(())
            }
        });
        if let Err(e) = found {
            c.read_errors.push((input.clone(), e.to_string()));
        }
    }
    Ok(c)
}

/// A verification: the report (read errors included), the keys used, and
/// the first and last delivery minute of the log files the unwidened
/// filter admits.
struct Verified {
    report: Report,
    keys: PublicKeys,
    deliveries: Option<(i64, i64)>,
}

/// Reads the keys, lists `paths` (`filter` widened by a day), fetches keys
/// when asked, and verifies.
fn verify_paths(
    paths: &[String],
    filter: &Filter,
    key_args: &KeyArgs,
    jobs: usize,
    scope: Option<(i64, i64)>,
) -> Result<Verified> {
    let mut keys = load_keys(key_args)?;
    let mut c = collect(paths, &widened(filter))?;
    if key_args.fetch_public_keys {
        if c.aws.is_none() {
            c.aws = Some(Aws::connect()?);
        }
        fetch_keys(c.aws.as_ref().expect("connected"), &c.files, &mut keys);
    }
    let deliveries = c
        .files
        .iter()
        .filter(|f| filter.may_contain(Path::new(&f.path)))
        .filter_map(|f| archive_key(&f.path).and_then(place))
        .filter(|p| p.kind == Kind::Log)
        .filter_map(|p| log_delivery(p.name))
        .fold(None, |span: Option<(i64, i64)>, t| {
            Some(span.map_or((t, t), |(a, b)| (a.min(t), b.max(t))))
        });
    tracing::debug!(files = c.files.len(), jobs, "verifying");
    let mut report = trailwatch_evidence::verify(c.files, &keys, &Options { jobs, scope });
    report.read_errors.extend(c.read_errors);
    report.read_errors.sort();
    drop(c.s3);
    drop(c.aws);
    Ok(Verified {
        report,
        keys,
        deliveries,
    })
}

/// Runs `trailwatch verify`.
pub fn run(args: VerifyArgs) -> Result<ExitCode> {
    let started = Instant::now();
    if let (Some(s), Some(u)) = (args.since, args.until) {
        if s > u {
            bail!("--since {s} is after --until {u}");
        }
    }
    let filter = Filter {
        since: args.since,
        until: args.until,
        accounts: args.accounts.clone(),
        regions: args.regions.clone(),
    };
    let scope = (args.since.is_some() || args.until.is_some()).then(|| {
        (
            args.since.map_or(i64::MIN, day_start),
            args.until.map_or(i64::MAX, |u| day_start(u) + 86_399),
        )
    });
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let Verified { report, keys, .. } =
        verify_paths(&args.paths, &filter, &args.keys, jobs, scope)?;
    print_problems(&report, args.format)?;
    for (path, why) in &report.read_errors {
        eprintln!("trailwatch: error: {path}: {why}");
    }
    if !args.quiet {
        eprint!(
            "{}",
            summary(&report, &keys, started.elapsed().as_secs_f64())
        );
    }
    Ok(if !report.read_errors.is_empty() {
        ExitCode::from(EXIT_ERRORS)
    } else if report.has_problems() {
        ExitCode::from(EXIT_PROBLEMS)
    } else {
        ExitCode::SUCCESS
    })
}

fn print_problems(report: &Report, format: VerifyFormat) -> Result<()> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    for p in &report.problems {
        match format {
            VerifyFormat::Jsonl => writeln!(out, "{}", serde_json::to_string(p)?)?,
            VerifyFormat::Text => writeln!(out, "{}\t{}\t{}", p.kind, p.path, p.detail)?,
        }
    }
    out.flush()?;
    Ok(())
}

fn summary(report: &Report, keys: &PublicKeys, seconds: f64) -> String {
    let s = &report.stats;
    let mb = |b: u64| b as f64 / 1e6;
    let mut text = format!(
        "verified {} of {} log files ({:.1} MB, {:.1} MB uncompressed) against {} digests, {} signatures valid, in {seconds:.2} s\n",
        s.logs_verified,
        s.log_files,
        mb(s.log_bytes),
        mb(s.log_bytes_uncompressed),
        s.digests,
        s.digests_signed,
    );
    let count = |kind: ProblemKind| report.problems.iter().filter(|p| p.kind == kind).count();
    let listed = |informational: bool| {
        ProblemKind::ALL
            .iter()
            .filter(|k| k.is_informational() == informational)
            .filter(|&&k| count(k) > 0)
            .map(|&k| format!("{k} {}", count(k)))
            .collect::<Vec<_>>()
    };
    let problems = listed(false);
    if problems.is_empty() {
        text.push_str("no problems found\n");
    } else {
        text.push_str(&format!("PROBLEMS: {}\n", problems.join(", ")));
    }
    let notes = listed(true);
    if !notes.is_empty() {
        text.push_str(&format!("not yet provable: {}\n", notes.join(", ")));
    }
    if s.logs_uncovered > 0 {
        text.push_str(&format!(
            "{} log files lie outside every digest window (no digests: neither proven nor disproven)\n",
            s.logs_uncovered
        ));
    }
    if s.chain_starts > 1 {
        text.push_str(&format!(
            "{} starting digests: logging or validation (re)started; the hours between chain segments are not covered\n",
            s.chain_starts
        ));
    }
    if s.logs_in_gaps > 0 {
        text.push_str(&format!(
            "{} log files lie in the span of a missing or unreadable digest\n",
            s.logs_in_gaps
        ));
    }
    if keys.is_empty() && s.digests > 0 {
        text.push_str("no --public-keys given: no digest signature could be checked\n");
    }
    if !report.read_errors.is_empty() {
        text.push_str(&format!(
            "{} inputs could not be read\n",
            report.read_errors.len()
        ));
    }
    text
}

/// What `timeline --verify` says of a window's logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mark {
    /// Wholly inside digest windows, and no problem overlaps it.
    Verified,
    /// Problems overlap it (informational ones included).
    Problems,
    /// Some of it lies outside every digest window.
    NoDigests,
}

impl Mark {
    /// The name printed.
    pub fn as_str(self) -> &'static str {
        match self {
            Mark::Verified => "verified",
            Mark::Problems => "problems",
            Mark::NoDigests => "no-digests",
        }
    }
}

/// Problems listed on one window; the count says how many overlap it.
const MAX_LISTED: usize = 20;

/// The evidence of one window, printed beside its fields.
#[derive(Debug, Clone, Serialize)]
pub struct WindowEvidence {
    /// `verified`, `problems` or `no-digests`.
    pub evidence: Mark,
    /// The problems whose span overlaps the window (the first
    /// [`MAX_LISTED`], ordered as `trailwatch verify` prints them).
    pub evidence_problems: Vec<Problem>,
    /// How many overlap it in all.
    pub evidence_problems_total: usize,
}

/// `timeline --verify`: the verification of the same inputs, asked once per
/// window.
pub struct TimelineEvidence {
    report: Report,
    /// First and last delivery minute of the log files read.
    deliveries: Option<(i64, i64)>,
    /// No key was given: every signature is `unknown-public-key`.
    pub no_keys: bool,
}

impl TimelineEvidence {
    /// Verifies `paths` as `trailwatch verify` would (`filter` widened by a
    /// day on each side, every problem kept).
    pub fn gather(
        paths: &[String],
        filter: &Filter,
        keys: &KeyArgs,
        jobs: usize,
    ) -> Result<TimelineEvidence> {
        let v = verify_paths(paths, filter, keys, jobs.max(1), None)?;
        Ok(TimelineEvidence {
            no_keys: v.keys.is_empty(),
            report: v.report,
            deliveries: v.deliveries,
        })
    }

    /// Inputs or files that could not be read for verification.
    pub fn read_errors(&self) -> &[(String, String)] {
        &self.report.read_errors
    }

    /// The span a window's logs were delivered in: from its opening (the
    /// first delivery of the archive when it opened before it) to its
    /// closing plus [`DELIVERY_LAG_SECONDS`] (a log file is delivered up to
    /// about 15 minutes after its events, and digest windows are delivery
    /// time), but not past the archive's last delivery unless it closed
    /// later; a window still open runs to that last delivery.
    fn span(&self, w: &Window) -> (i64, i64) {
        let opened = w.opened_at.as_deref().and_then(parse_iso);
        let closed = w.closed_at.as_deref().and_then(parse_iso);
        let (first, last) = self.deliveries.unwrap_or_else(|| {
            let t = opened.or(closed).unwrap_or(0);
            (t, closed.unwrap_or(t))
        });
        let start = opened.unwrap_or(first);
        let end = match closed {
            Some(c) => (c + DELIVERY_LAG_SECONDS).min(last.max(c)),
            None => last,
        };
        (start, end.max(start))
    }

    /// The evidence for one window, judged in the regions of the log files
    /// of the events that opened and closed it (S3 logs a bucket's calls in
    /// the bucket's region), or in every region of its account when no
    /// event names one.
    pub fn window(&self, w: &Window) -> WindowEvidence {
        let (start, end) = self.span(w);
        let regions: BTreeSet<&str> = [&w.opened_by, &w.closed_by]
            .into_iter()
            .flatten()
            .filter_map(|by| archive_key(&by.log_file).and_then(place))
            .map(|p| p.region)
            .collect();
        let regions: Vec<Option<&str>> = if regions.is_empty() {
            vec![None]
        } else {
            regions.into_iter().map(Some).collect()
        };
        let mut problems: Vec<&Problem> = Vec::new();
        let mut uncovered = false;
        for region in regions {
            match self.report.evidence(&w.account, region, start, end) {
                Evidence::Verified => {}
                Evidence::NoDigests => uncovered = true,
                Evidence::Problems(found) => {
                    for p in found {
                        if !problems.iter().any(|q| std::ptr::eq(*q, p)) {
                            problems.push(p);
                        }
                    }
                }
            }
        }
        let evidence = if !problems.is_empty() {
            Mark::Problems
        } else if uncovered {
            Mark::NoDigests
        } else {
            Mark::Verified
        };
        WindowEvidence {
            evidence,
            evidence_problems_total: problems.len(),
            evidence_problems: problems.into_iter().take(MAX_LISTED).cloned().collect(),
        }
    }
}

/// The line the timeline summary adds: windows by evidence.
pub fn timeline_summary(marks: &[WindowEvidence], evidence: &TimelineEvidence) -> String {
    let count = |m: Mark| marks.iter().filter(|w| w.evidence == m).count();
    let s = &evidence.report.stats;
    let mut text = format!(
        "evidence: {} windows verified, {} with problems, {} without digests ({} digests, {} of {} log files verified)\n",
        count(Mark::Verified),
        count(Mark::Problems),
        count(Mark::NoDigests),
        s.digests,
        s.logs_verified,
        s.log_files,
    );
    if evidence.no_keys && s.digests > 0 {
        text.push_str("evidence: no --public-keys given: no digest signature could be checked\n");
    }
    text
}
