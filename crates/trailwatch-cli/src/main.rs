//! `trailwatch`: find every S3 public exposure in CloudTrail log files.
//!
//! A thin binary over `trailwatch-core`: argument parsing, file discovery,
//! the worker pool, progress, output and exit status.

mod discover;
mod output;
mod replay;
mod s3source;

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use trailwatch_core::text::printable;
use trailwatch_core::{Allowlist, Limits};

use crate::discover::{Day, Filter};
use crate::output::{Format, Printer};

const EXIT_FINDINGS: u8 = 1;
const EXIT_ERRORS: u8 = 2;

#[derive(Parser)]
#[command(
    name = "trailwatch",
    version,
    about = "Find every S3 bucket or object made public in AWS CloudTrail logs",
    after_help = "Exit status: 0 when every file was read; 1 with --fail-on-findings when \
                  anything was found; 2 when any file could not be read (each is reported \
                  on stderr, and the rest are still processed) or on a usage error."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scan CloudTrail archives: files, directories (walked recursively) or `-` for stdin.
    Replay(ReplayArgs),
    /// Scan one log file.
    Scan(ScanArgs),
    /// Print the rules: what makes a bucket, object or policy public.
    Explain,
}

#[derive(Args)]
struct ReplayArgs {
    /// Log files, directories of the AWSLogs/ layout, s3://bucket/prefix, or `-` for standard input.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<String>,
    /// Only days from this date (YYYY-MM-DD, inclusive), judged from the key layout.
    #[arg(long, value_name = "DATE")]
    since: Option<Day>,
    /// Only days up to this date (YYYY-MM-DD, inclusive), judged from the key layout.
    #[arg(long, value_name = "DATE")]
    until: Option<Day>,
    /// Only this account (repeatable), judged from the key layout.
    #[arg(long = "account", value_name = "ID")]
    accounts: Vec<String>,
    /// Only this region (repeatable), judged from the key layout.
    #[arg(long = "region", value_name = "REGION")]
    regions: Vec<String>,
    /// Worker threads [default: all cores]; 1 is single-threaded.
    #[arg(short = 'j', long = "jobs", value_name = "N")]
    jobs: Option<usize>,
    /// Objects fetched from S3 at once, for s3:// inputs.
    #[arg(long, value_name = "N", default_value_t = 8)]
    s3_concurrency: usize,
    /// Also publish every finding (not allowlisted) as an alert to this SNS topic.
    #[arg(long, value_name = "TOPIC_ARN")]
    alert_sns: Option<String>,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Args)]
struct ScanArgs {
    /// The log file (`.json.gz` or `.json`), or `-` for standard input.
    file: String,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Args)]
struct CommonArgs {
    /// Output format [default: table on a terminal, jsonl otherwise].
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Allowlist of accepted exposures (TOML; see the README).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Also print allowlisted findings, marked with the allowlist reason.
    #[arg(long)]
    show_suppressed: bool,
    /// Exit with status 1 when anything (not allowlisted) was found.
    #[arg(long)]
    fail_on_findings: bool,
    /// Largest decompressed size of one file (e.g. 512MiB, 2GiB).
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "1GiB")]
    max_decompressed: u64,
    /// Largest single record (e.g. 1MiB).
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "1MiB")]
    max_record: u64,
    /// No progress bar.
    #[arg(long)]
    no_progress: bool,
    /// No summary on stderr (errors are still printed).
    #[arg(short, long)]
    quiet: bool,
}

fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("`{text}` is not a size like 500MiB or 2GiB"))?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "kib" => 1 << 10,
        "m" | "mb" => 1_000_000,
        "mib" => 1 << 20,
        "g" | "gb" => 1_000_000_000,
        "gib" => 1 << 30,
        _ => {
            return Err(format!(
                "`{text}`: unknown unit `{unit}` (use KiB, MiB or GiB)"
            ))
        }
    };
    n.checked_mul(factor)
        .ok_or_else(|| format!("`{text}` is too large"))
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Replay(args) => {
            let jobs = args
                .jobs
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
            let filter = Filter {
                since: args.since,
                until: args.until,
                accounts: args.accounts,
                regions: args.regions,
            };
            let remote = Remote {
                s3_concurrency: args.s3_concurrency,
                alert_sns: args.alert_sns,
            };
            run_replay(args.paths, filter, jobs, remote, &args.common)
        }
        Command::Scan(args) => run_replay(
            vec![args.file],
            Filter::default(),
            1,
            Remote::default(),
            &args.common,
        ),
        Command::Explain => {
            print!("{}", trailwatch_core::rules_explained());
            Ok(ExitCode::SUCCESS)
        }
    };
    result.unwrap_or_else(|e| {
        eprintln!("trailwatch: error: {e:#}");
        ExitCode::from(EXIT_ERRORS)
    })
}

/// What a replay needs beyond local files: S3 reads and SNS alerts.
#[derive(Default)]
struct Remote {
    s3_concurrency: usize,
    alert_sns: Option<String>,
}

/// The AWS side of a replay, built only when an input or option needs it.
struct Aws {
    runtime: tokio::runtime::Runtime,
    s3: Option<s3source::S3Access>,
    alerter: Option<trailwatch_aws::SnsAlerter>,
}

impl Aws {
    fn connect(inputs: &[String], remote: &Remote) -> Result<Option<Aws>> {
        let wants_s3 = inputs.iter().any(|i| i.starts_with("s3://"));
        if !wants_s3 && remote.alert_sns.is_none() {
            return Ok(None);
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .context("starting the async runtime")?;
        let config = runtime.block_on(trailwatch_aws::load_sdk_config());
        let s3 = wants_s3.then(|| s3source::S3Access {
            runtime: runtime.handle().clone(),
            client: trailwatch_aws::s3_client(&config),
        });
        let alerter = remote.alert_sns.as_ref().map(|topic| {
            trailwatch_aws::SnsAlerter::new(trailwatch_aws::sns_client(&config), topic)
        });
        Ok(Some(Aws {
            runtime,
            s3,
            alerter,
        }))
    }
}

fn run_replay(
    inputs: Vec<String>,
    filter: Filter,
    jobs: usize,
    remote: Remote,
    common: &CommonArgs,
) -> Result<ExitCode> {
    let allowlist = match &common.config {
        Some(path) => Allowlist::load(path).context("loading the allowlist")?,
        None => Allowlist::default(),
    };
    let limits = Limits {
        max_decompressed_bytes: common.max_decompressed,
        max_record_bytes: usize::try_from(common.max_record).context("--max-record")?,
        ..Limits::default()
    };
    let stdout = io::stdout();
    let format = common.format.unwrap_or(if stdout.is_terminal() {
        Format::Table
    } else {
        Format::Jsonl
    });
    let progress = progress_bar(common.no_progress || common.quiet);
    let mut printer = Printer::new(format, io::BufWriter::new(stdout.lock()));
    let aws = Aws::connect(&inputs, &remote)?;
    let s3 = aws.as_ref().and_then(|a| a.s3.clone());
    let jobs = if s3.is_some() {
        jobs.max(remote.s3_concurrency)
    } else {
        jobs
    };
    let plan = replay::Plan {
        inputs,
        filter,
        jobs,
        limits,
        s3,
    };
    let mut alert_error = None;
    let mut alerted = 0usize;
    let mut failed = Vec::new();
    let mut found: std::collections::BTreeMap<_, u64> = Default::default();
    let mut suppressed = 0u64;
    let found_so_far = std::cell::Cell::new(0u64);
    let mut write_error = None;
    let mut totals = replay::run(
        &plan,
        |scan| {
            if let Some(error) = &scan.error {
                let message = printable(&error.to_string()).into_owned();
                progress.suspend(|| eprintln!("trailwatch: error: {message}"));
                failed.push(message);
            }
            if let Some(aws) = &aws {
                if let Some(alerter) = &aws.alerter {
                    let to_alert: Vec<_> = scan
                        .findings
                        .iter()
                        .filter(|f| allowlist.suppression(f).is_none())
                        .cloned()
                        .collect();
                    match aws.runtime.block_on(alerter.publish(&to_alert)) {
                        Ok(n) => alerted += n,
                        Err(e) => {
                            let message = e.to_string();
                            progress.suspend(|| eprintln!("trailwatch: error: {message}"));
                            alert_error.get_or_insert(message);
                        }
                    }
                }
            }
            for finding in scan.findings {
                let accepted = allowlist.suppression(&finding).map(str::to_owned);
                if accepted.is_some() {
                    suppressed += 1;
                    if !common.show_suppressed {
                        continue;
                    }
                } else {
                    *found.entry(finding.kind).or_default() += 1;
                    found_so_far.set(found_so_far.get() + 1);
                }
                if let Err(e) = printer.finding(finding, accepted) {
                    write_error.get_or_insert(e);
                }
            }
        },
        |p| {
            progress.set_length(p.found);
            progress.set_position(p.done);
            let secs = progress.elapsed().as_secs_f64().max(1e-3);
            progress.set_message(format!(
                "{:.0} MB, {:.0} MB/s, {} findings",
                p.json_bytes as f64 / 1e6,
                p.json_bytes as f64 / 1e6 / secs,
                found_so_far.get()
            ));
        },
    );
    progress.finish_and_clear();
    printer.finish().context("writing findings")?;
    if let Some(e) = write_error {
        return Err(e).context("writing findings");
    }
    totals.findings = found;
    totals.suppressed = suppressed;
    if !common.quiet {
        let mut summary = output::summary(&totals, &failed);
        if let Some(topic) = &remote.alert_sns {
            summary.push_str(&format!("alerts published to {topic}: {alerted}\n"));
        }
        let _ = io::stderr().write_all(summary.as_bytes());
    }
    if let Some(message) = alert_error {
        anyhow::bail!("some alerts could not be published: {message}");
    }
    let any_found = totals.findings.values().sum::<u64>() > 0;
    Ok(if !failed.is_empty() {
        ExitCode::from(EXIT_ERRORS)
    } else if common.fail_on_findings && any_found {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::SUCCESS
    })
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

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("500 MiB"), Ok(500 << 20));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert!(parse_size("1TB").is_err());
        assert!(parse_size("lots").is_err());
    }
}
