//! One run of `replay` or `scan`: wiring the replay engine to the allowlist,
//! the printer, the progress bar, SNS alerts, the resume state and Ctrl-C,
//! and turning the outcome into an exit status.

use std::collections::BTreeMap;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use trailwatch_core::access::RequestLog;
use trailwatch_core::exposure;
use trailwatch_core::text::printable;
use trailwatch_core::{Allowlist, Exposure, Finding, Limits};

use crate::discover::Filter;
use crate::output::{self, Format, Printer};
use crate::replay;
use crate::resume::{Done, ResumeState};
use crate::s3source::S3Access;
use crate::verify::{KeyArgs, TimelineEvidence};
use crate::CommonArgs;

/// Something was found and `--fail-on-findings` was given.
pub const EXIT_FINDINGS: u8 = 1;
/// A file could not be read, or the run could not start.
pub const EXIT_ERRORS: u8 = 2;
/// Interrupted by Ctrl-C (128 + SIGINT).
pub const EXIT_INTERRUPTED: u8 = 130;

/// What a replay needs beyond reading local files.
#[derive(Default)]
pub struct Remote {
    /// Objects fetched from S3 at once.
    pub s3_concurrency: usize,
    /// Topic to publish findings to.
    pub alert_sns: Option<String>,
    /// `--resume` state file.
    pub resume: Option<PathBuf>,
    /// `--security-hub`: import findings into Security Hub.
    pub security_hub: bool,
    /// `--event-bus` (or `TRAILWATCH_EVENT_BUS`): put findings on this bus.
    pub event_bus: Option<String>,
    /// `--confirm`: ask S3 whether each finding's bucket is public now.
    pub confirm: bool,
    /// `timeline --changes`: changes objects to fold with what is read
    /// (directories, files or `s3://bucket/prefix/`).
    pub changes: Vec<String>,
}

/// The AWS side of a replay, built only when an input or option needs it.
struct Aws {
    runtime: tokio::runtime::Runtime,
    s3: Option<S3Access>,
    sinks: Option<trailwatch_aws::Sinks>,
    confirmer: Option<trailwatch_confirm::Confirmer>,
}

impl Aws {
    fn connect(inputs: &[String], remote: &Remote, allowlist: &Allowlist) -> Result<Option<Aws>> {
        let wants_s3 = inputs
            .iter()
            .chain(&remote.changes)
            .any(|i| i.starts_with("s3://"));
        if !wants_s3 && !crate::sinks::wanted(remote) && !remote.confirm {
            return Ok(None);
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .context("starting the async runtime")?;
        let config = runtime.block_on(trailwatch_aws::load_sdk_config());
        let s3 = wants_s3.then(|| S3Access {
            runtime: runtime.handle().clone(),
            client: trailwatch_aws::s3_client(&config),
        });
        let sinks = crate::sinks::wanted(remote)
            .then(|| crate::sinks::build(&runtime, &config, remote, allowlist))
            .transpose()?;
        let confirmer = remote.confirm.then(|| {
            let var = |name| std::env::var(name).ok().filter(|v| !v.is_empty());
            let settings = trailwatch_confirm::ConfirmSettings {
                role_template: var("TRAILWATCH_CONFIRM_ROLE"),
                external_id: var("TRAILWATCH_CONFIRM_EXTERNAL_ID"),
                // A replay is not in a hurry: each file's findings get a minute.
                budget: std::time::Duration::from_secs(60),
                ..Default::default()
            };
            trailwatch_confirm::Confirmer::new(&config, settings)
        });
        Ok(Some(Aws {
            runtime,
            s3,
            sinks,
            confirmer,
        }))
    }
}

/// Stops the replay on the first Ctrl-C (files in flight finish, the partial
/// summary is printed); a second Ctrl-C exits at once.
fn interrupt_flag() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let handler_flag = flag.clone();
    let installed = ctrlc::set_handler(move || {
        if handler_flag.swap(true, Ordering::SeqCst) {
            std::process::exit(EXIT_INTERRUPTED as i32);
        }
    });
    if let Err(e) = installed {
        tracing::warn!("cannot handle Ctrl-C: {e}");
    }
    flag
}

/// What a run prints: the findings (`replay`, `scan`) or the windows
/// (`timeline`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewKind {
    /// One line per finding.
    Findings,
    /// One line per exposure window.
    Timeline,
}

/// What a run prints, and whether refused attempts are among it.
#[derive(Debug, Clone)]
pub struct View {
    /// Findings or windows.
    pub kind: ViewKind,
    /// Also print (and alert) `blocked` findings: failed attempts.
    pub include_blocked: bool,
    /// `timeline --verify`: verify the inputs' digests with these keys and
    /// mark each window with its evidence.
    pub verify: Option<KeyArgs>,
}

/// Runs a replay and reports it; returns the exit status.
pub fn run_replay(
    inputs: Vec<String>,
    filter: Filter,
    jobs: usize,
    remote: Remote,
    common: &CommonArgs,
    view: View,
) -> Result<ExitCode> {
    let allowlist = match &common.config {
        Some(path) => Allowlist::load(path).context("loading the allowlist")?,
        None => Allowlist::default(),
    };
    let limits = Limits {
        max_decompressed_bytes: common.max_decompressed,
        max_record_bytes: usize::try_from(common.max_record).context("--max-record")?,
        max_depth: common.max_depth,
        max_policy_bytes: usize::try_from(common.max_policy).context("--max-policy")?,
        max_findings_per_file: common.max_findings,
        ..Limits::default()
    };
    let (mut state, done) = match &remote.resume {
        Some(path) => {
            let (state, done) = ResumeState::open(path)?;
            (Some(state), done)
        }
        None => (None, Done::default()),
    };
    let Done {
        files: mut already_done,
        records: mut earlier,
        ignored_lines,
    } = done;
    if ignored_lines > 0 {
        tracing::warn!(
            ignored_lines,
            "lines of the resume state were not understood (an older format, or cut by a crash); their files are read again"
        );
    }
    let stdout = io::stdout();
    let format = common.format.unwrap_or(if stdout.is_terminal() {
        Format::Table
    } else {
        Format::Jsonl
    });
    if view.kind == ViewKind::Timeline && format == Format::Ocsf {
        anyhow::bail!(
            "timeline prints exposure windows, which OCSF has no class for; \
             `trailwatch replay --format ocsf` prints the same findings, with the same verdicts, as OCSF Detection Findings"
        );
    }
    if view.verify.is_some() && inputs.iter().any(|i| i == "-") {
        anyhow::bail!("--verify reads archives (their digest files), not standard input");
    }
    let evidence_inputs = view
        .verify
        .as_ref()
        .map(|keys| (inputs.clone(), filter.clone(), keys.clone()));
    let progress = progress_bar(common.no_progress || common.quiet);
    let aws = Aws::connect(&inputs, &remote, &allowlist)?;
    let s3 = aws.as_ref().and_then(|a| a.s3.clone());
    let jobs = if s3.is_some() {
        jobs.max(remote.s3_concurrency)
    } else {
        jobs
    };
    // Changes objects fold as the resume state's records do: their log
    // files are not read again.
    let mut failed = Vec::new();
    let gathered = (!remote.changes.is_empty()).then(|| {
        crate::changes::gather(
            &remote.changes,
            s3.as_ref(),
            remote.s3_concurrency,
            &filter,
            &already_done,
        )
    });
    if let Some(gathered) = &gathered {
        for error in &gathered.errors {
            report(&progress, &mut failed, &format!("--changes: {error}"));
        }
    }
    // The table names folded log files relative to their bucket, as a
    // replay of that bucket would.
    let mut layout_inputs = inputs.clone();
    let gathered = gathered.map(|mut g| {
        layout_inputs.extend(crate::changes::bucket_roots(&g.records));
        for record in std::mem::take(&mut g.records) {
            already_done.insert(record.log_file.clone());
            earlier.push(record);
        }
        g
    });
    let layout = output::TableLayout::detect(&layout_inputs);
    let mut printer = Printer::new(format, io::BufWriter::new(stdout.lock()), layout)
        .with_aliases(allowlist.account_aliases().clone());
    let interrupted = interrupt_flag();
    let plan = replay::Plan {
        inputs,
        filter,
        jobs,
        limits,
        trust: allowlist.trust().clone(),
        s3,
        already_done,
        stop: interrupted.clone(),
    };
    let mut skipped = Vec::new();
    let mut findings = Vec::new();
    let mut changes = Vec::new();
    let mut requests = RequestLog::new();
    for record in earlier {
        // A changes object of a file the Lambda could not read to its end:
        // reported as a replay reports it, what was read still folded.
        if let Some(error) = &record.error {
            report(&progress, &mut failed, error);
        }
        // Its skipped records, reported as when it was read.
        for message in &record.skipped {
            report(&progress, &mut skipped, message);
        }
        findings.extend(record.findings);
        changes.extend(record.changes);
        record.requests.into_iter().for_each(|r| requests.add(r));
    }
    let findings_so_far = std::cell::Cell::new(findings.len() as u64);
    let mut write_error: Option<anyhow::Error> = None;
    let mut totals = replay::run(
        &plan,
        |scan| {
            if let Some(error) = &scan.error {
                report(&progress, &mut failed, &error.to_string());
            }
            for message in scan.skipped_messages() {
                report(&progress, &mut skipped, &message);
            }
            // A file read to its end is recorded with what it held, so that
            // a resumed run folds it without reading it again.
            if let Some(state) = state.as_mut().filter(|_| scan.error.is_none()) {
                if let Err(e) = state.finished(&scan) {
                    write_error.get_or_insert(e);
                }
            }
            findings_so_far.set(findings_so_far.get() + scan.findings.len() as u64);
            findings.extend(scan.findings);
            changes.extend(scan.changes);
            scan.requests.into_iter().for_each(|r| requests.add(r));
        },
        |p| {
            progress.set_length(p.found);
            progress.set_position(p.done);
            let secs = progress.elapsed().as_secs_f64().max(1e-3);
            progress.set_message(format!(
                "{:.0} MB, {:.0} MB/s, {} findings",
                p.json_bytes as f64 / 1e6,
                p.json_bytes as f64 / 1e6 / secs,
                findings_so_far.get()
            ));
        },
    );
    progress.finish_and_clear();
    if let Some(e) = write_error {
        return Err(e.context("recording the resume state"));
    }
    // Verdicts need every change in time order: decided here, once, over
    // all that was read (and what earlier runs recorded), never per file.
    let mut timeline = exposure::judge(&mut findings, changes);
    timeline.add_request_log(requests);
    if timeline.requests_over_cap() > 0 {
        eprintln!(
            "trailwatch: warning: {} anonymous or presigned requests were not counted into windows (more than {} distinct bucket, key and second slots)",
            timeline.requests_over_cap(),
            trailwatch_core::access::MAX_REQUEST_SLOTS
        );
    }
    let windows = timeline.windows();
    // --confirm: the verdicts become the state now (after the windows,
    // which stay the archive's).
    if let Some((aws, confirmer)) = aws
        .as_ref()
        .and_then(|a| a.confirmer.as_ref().map(|c| (a, c)))
    {
        aws.runtime.block_on(confirmer.confirm_all(&mut findings));
    }
    findings.sort_by(|a, b| {
        (&a.event_time, &a.event_id, a.kind).cmp(&(&b.event_time, &b.event_id, b.kind))
    });
    let mut found: BTreeMap<_, u64> = Default::default();
    let mut suppressed = 0u64;
    let mut blocked = 0u64;
    let mut alerted = trailwatch_aws::Delivered::default();
    let mut alert_error = None;
    let mut evidence_summary: Option<String> = None;
    let shown: Vec<(Finding, Option<String>)> = findings
        .into_iter()
        .filter(|f| {
            let keep = view.include_blocked || f.exposure != Exposure::Blocked;
            blocked += u64::from(!keep);
            keep
        })
        .map(|f| {
            let accepted = allowlist.suppression(&f).map(str::to_owned);
            (f, accepted)
        })
        .collect();
    if let Some((aws, sinks)) = aws
        .as_ref()
        .and_then(|a| a.sinks.as_ref().map(|al| (a, al)))
    {
        let to_alert: Vec<Finding> = shown
            .iter()
            .filter(|(_, accepted)| accepted.is_none())
            .map(|(f, _)| f.clone())
            .collect();
        // Findings whose exposure a later event closed go to Security Hub
        // archived.
        let closed = trailwatch_aws::closed_later(&to_alert, &windows);
        match aws
            .runtime
            .block_on(sinks.deliver_judged(&to_alert, &closed))
        {
            Ok(n) => alerted = n,
            Err(e) => {
                alerted = e.delivered;
                let message = e.to_string();
                eprintln!("trailwatch: error: {message}");
                alert_error.get_or_insert(message);
            }
        }
    }
    match view.kind {
        ViewKind::Findings => {
            for (finding, accepted) in shown {
                if accepted.is_some() {
                    suppressed += 1;
                    if !common.show_suppressed {
                        continue;
                    }
                } else {
                    *found.entry(finding.kind).or_default() += 1;
                }
                printer
                    .finding(finding, accepted)
                    .context("writing findings")?;
            }
            printer.finish().context("writing findings")?;
        }
        ViewKind::Timeline => {
            for (finding, accepted) in &shown {
                if accepted.is_some() {
                    suppressed += 1;
                } else {
                    *found.entry(finding.kind).or_default() += 1;
                }
            }
            let marks = match &evidence_inputs {
                Some((inputs, filter, keys)) => {
                    let evidence =
                        TimelineEvidence::gather(inputs, filter, keys, jobs).context("--verify")?;
                    for (path, why) in evidence.read_errors() {
                        report(&progress, &mut failed, &format!("--verify: {path}: {why}"));
                    }
                    let marks: Vec<_> = windows.iter().map(|w| evidence.window(w)).collect();
                    evidence_summary = Some(crate::verify::timeline_summary(&marks, &evidence));
                    Some(marks)
                }
                None => None,
            };
            printer
                .windows(&windows, marks.as_deref())
                .context("writing windows")?;
        }
    }
    totals.findings = found;
    totals.suppressed = suppressed;
    totals.blocked = blocked;
    let was_interrupted = interrupted.load(Ordering::SeqCst);
    if !common.quiet {
        let mut summary = output::summary(&totals, &failed, &skipped);
        if let Some(text) = &evidence_summary {
            summary.push_str(text);
        }
        if let Some(topic) = &remote.alert_sns {
            summary.push_str(&format!("alerts published to {topic}: {}\n", alerted.sns));
        }
        if remote.security_hub {
            summary.push_str(&format!(
                "findings imported into Security Hub: {} ({} archived: a later event closed their exposure)\n",
                alerted.security_hub, alerted.security_hub_archived
            ));
        }
        if let Some(bus) = &remote.event_bus {
            summary.push_str(&format!("events put on {bus}: {}\n", alerted.event_bridge));
        }
        if let Some(g) = &gathered {
            summary.push_str(&format!(
                "folded from changes objects (--changes): {} objects, {} unreadable; \
                 {} repeated log files and {} pruned by --since/--until/--account/--region left out, \
                 {} objects not .jsonl\n",
                g.objects,
                g.errors.len(),
                g.repeated,
                g.pruned,
                g.ignored
            ));
        }
        if totals.resumed > 0 {
            let done = match &gathered {
                Some(_) => "already folded (--resume or --changes), not read again",
                None => "already done in an earlier run (--resume)",
            };
            summary.push_str(&format!("{done}: {} files\n", totals.resumed));
        }
        if was_interrupted {
            summary.push_str(&match &remote.resume {
                Some(path) => format!(
                    "interrupted: the summary above is partial; run again with --resume {} to read the rest\n",
                    path.display()
                ),
                None => "interrupted: the summary above is partial (use --resume STATE to be able to continue)\n".to_owned(),
            });
        }
        let _ = io::stderr().write_all(summary.as_bytes());
    }
    if let Some(message) = alert_error {
        anyhow::bail!("some alerts could not be published: {message}");
    }
    let any_found = totals.findings.values().sum::<u64>() > 0;
    Ok(if was_interrupted {
        ExitCode::from(EXIT_INTERRUPTED)
    } else if !failed.is_empty() || totals.skipped_records > 0 || !skipped.is_empty() {
        ExitCode::from(EXIT_ERRORS)
    } else if common.fail_on_findings && any_found {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::SUCCESS
    })
}

/// Prints one problem as `trailwatch: error: …` (escaped for the terminal,
/// above the progress bar) and keeps it for the summary and the exit status.
fn report(progress: &ProgressBar, into: &mut Vec<String>, text: &str) {
    let message = printable(text).into_owned();
    progress.suspend(|| eprintln!("trailwatch: error: {message}"));
    into.push(message);
}

fn progress_bar(hidden: bool) -> ProgressBar {
    if hidden || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} files, {msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar
}
