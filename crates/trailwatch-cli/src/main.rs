//! `trailwatch`: find every S3 public exposure in CloudTrail log files.
//!
//! A thin binary over `trailwatch-core`: argument parsing, file discovery,
//! the worker pool, progress, output and exit status.

mod changes;
mod discover;
mod gen;
mod output;
mod replay;
mod resume;
mod s3source;
mod session;
mod sinks;
mod verify;

use std::io;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::discover::{Day, Filter};
use crate::output::Format;
use crate::session::{run_replay, Remote, View, ViewKind, EXIT_ERRORS};

#[derive(Parser)]
#[command(
    name = "trailwatch",
    version,
    about = "Find every S3 bucket or object made public in AWS CloudTrail logs",
    after_help = "Exit status: 0 when every file was read; 1 with --fail-on-findings when \
                  anything was found; 2 when any file could not be read or any record was \
                  skipped (each is reported on stderr, and the rest are still processed) \
                  or on a usage error."
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
    /// Exposure windows: when each bucket, object or access point was
    /// exposed, at which level, opened and closed by whom (same inputs and
    /// options as replay).
    Timeline(TimelineArgs),
    /// Print the rules: what makes a bucket, object or policy public.
    Explain,
    /// Generate a realistic CloudTrail archive with its ground truth (for benchmarks).
    Gen(gen::GenArgs),
    /// Prove an archive complete and untampered from its CloudTrail digest files.
    Verify(verify::VerifyArgs),
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
    /// Also import every finding (not allowlisted) into Security Hub, as the
    /// calling account's default product in the configured region.
    #[arg(long)]
    security_hub: bool,
    /// Also put every finding (not allowlisted) on this EventBridge bus
    /// [env: TRAILWATCH_EVENT_BUS].
    #[arg(long, value_name = "NAME|ARN")]
    event_bus: Option<String>,
    /// Record finished files in STATE and skip those already recorded there, so
    /// that an interrupted replay can be run again to finish the rest.
    #[arg(long, value_name = "STATE")]
    resume: Option<PathBuf>,
    /// Ask S3 whether each finding's bucket is public now, as the Lambda
    /// does: `exposure` and `live_check` then describe the state now, not
    /// at the event [env: TRAILWATCH_CONFIRM_ROLE, TRAILWATCH_CONFIRM_EXTERNAL_ID
    /// for buckets in other accounts].
    #[arg(long)]
    confirm: bool,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Args)]
struct TimelineArgs {
    #[command(flatten)]
    replay: ReplayArgs,
    /// Also verify the inputs' digest files (as `trailwatch verify` does)
    /// and mark each window `evidence: verified | problems | no-digests`,
    /// listing the problems that overlap it.
    #[arg(long)]
    verify: bool,
    #[command(flatten)]
    keys: verify::KeyArgs,
    /// Also fold the changes objects under DIR (walked recursively, its
    /// .jsonl files) or s3://bucket/prefix/, or in FILE (one object, or a
    /// --resume state) (repeatable): what the Lambda wrote, with
    /// TRAILWATCH_CHANGES_PREFIX, for each log file an S3 Batch Operations
    /// job read. The windows and verdicts are those a run over those log
    /// files gives. PATHs are then optional; log files the changes hold
    /// are not read again.
    #[arg(
        long = "changes",
        value_name = "DIR|FILE|s3://BUCKET/PREFIX/",
        conflicts_with = "verify"
    )]
    changes: Vec<String>,
}

#[derive(Args)]
struct ScanArgs {
    /// The log file (`.json.gz` or `.json`), or `-` for standard input.
    file: String,
    #[command(flatten)]
    common: CommonArgs,
}

/// Options shared by `replay` and `scan`.
#[derive(Args)]
pub struct CommonArgs {
    /// Output format [default: table on a terminal, jsonl otherwise].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Allowlist of accepted exposures (TOML; see the README).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Also print allowlisted findings, marked with the allowlist reason.
    #[arg(long)]
    pub show_suppressed: bool,
    /// Exit with status 1 when anything (not allowlisted) was found.
    #[arg(long)]
    pub fail_on_findings: bool,
    /// Also print (and alert) refused attempts: findings whose call failed
    /// (`exposure: blocked`).
    #[arg(long)]
    pub include_blocked: bool,
    /// Largest decompressed size of one file (e.g. 512MiB, 2GiB).
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "1GiB")]
    pub max_decompressed: u64,
    /// Largest single record (e.g. 1MiB); a larger one is skipped and reported.
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "1MiB")]
    pub max_record: u64,
    /// Deepest JSON nesting inside a record (at most 128); a deeper one is skipped and reported.
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=128))]
    pub max_depth: u32,
    /// Largest bucket or access point policy evaluated; larger ones are reported as unverifiable.
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "256KiB")]
    pub max_policy: u64,
    /// Most findings reported for one file; past it the file is an error.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub max_findings: usize,
    /// No progress bar.
    #[arg(long)]
    pub no_progress: bool,
    /// No summary on stderr (errors are still printed).
    #[arg(short, long)]
    pub quiet: bool,
}

/// Parses `500MiB`, `2GiB`, `1000`, `10k`.
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

/// The default log filter: trailwatch's warnings, the AWS SDK's errors only.
const QUIET_SDK_LOGS: &str =
    "warn,aws_config=error,aws_runtime=error,aws_smithy_runtime=error,aws_smithy_http_client=error";

/// `replay` and `timeline`: the same inputs, pruning, workers and remote
/// options; they differ in what they print.
fn replay_command(
    args: ReplayArgs,
    kind: ViewKind,
    verify: Option<verify::KeyArgs>,
    changes: Vec<String>,
) -> anyhow::Result<ExitCode> {
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
        resume: args.resume,
        security_hub: args.security_hub,
        event_bus: sinks::event_bus(args.event_bus),
        confirm: args.confirm,
        changes,
    };
    let view = View {
        kind,
        include_blocked: args.common.include_blocked,
        verify,
    };
    run_replay(args.paths, filter, jobs, remote, &args.common, view)
}

fn timeline_command(args: TimelineArgs) -> anyhow::Result<ExitCode> {
    if !args.verify && args.keys.any() {
        anyhow::bail!("--public-keys and --fetch-public-keys go with --verify");
    }
    let verify = args.verify.then_some(args.keys);
    replay_command(args.replay, ViewKind::Timeline, verify, args.changes)
}

/// Parses the arguments. `timeline` shares replay's arguments, but its
/// PATHs may be left out when `--changes` gives what to fold.
fn parse_cli() -> Cli {
    let command = Cli::command().mut_subcommand("timeline", |timeline| {
        timeline.mut_arg("paths", |paths| {
            paths.required(false).required_unless_present("changes")
        })
    });
    Cli::from_arg_matches(&command.get_matches()).unwrap_or_else(|e| e.exit())
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                // The SDK's own warnings (IMDS probes, missing config files)
                // are noise next to the one-sentence errors; RUST_LOG=debug
                // shows them and every SDK error in full.
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(QUIET_SDK_LOGS)),
        )
        .init();
    let cli = parse_cli();
    let result = match cli.command {
        Command::Replay(args) => replay_command(args, ViewKind::Findings, None, Vec::new()),
        Command::Timeline(args) => timeline_command(args),
        Command::Scan(args) => {
            let view = View {
                kind: ViewKind::Findings,
                include_blocked: args.common.include_blocked,
                verify: None,
            };
            run_replay(
                vec![args.file],
                Filter::default(),
                1,
                Remote::default(),
                &args.common,
                view,
            )
        }
        Command::Explain => {
            print!("{}", trailwatch_core::rules_explained());
            Ok(ExitCode::SUCCESS)
        }
        Command::Gen(args) => gen::run(args),
        Command::Verify(args) => verify::run(args),
    };
    result.unwrap_or_else(|e| {
        eprintln!("trailwatch: error: {e:#}");
        ExitCode::from(EXIT_ERRORS)
    })
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
