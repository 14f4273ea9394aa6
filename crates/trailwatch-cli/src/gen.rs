//! `trailwatch gen`: writes a deterministic, realistic CloudTrail archive
//! and the ground truth of what must be found in it (trailwatch-gen).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;

#[derive(Args)]
pub struct GenArgs {
    /// Output directory (created if needed): AWSLogs/... (log files and
    /// signed digests), truth.jsonl, candidates.jsonl, files.txt,
    /// summary.json, public-keys.json (for `trailwatch verify --public-keys`),
    /// digest-signatures.jsonl (each digest's S3 x-amz-meta-signature).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Uncompressed JSON to generate (e.g. 1GiB, 200MB).
    #[arg(long, value_name = "SIZE", value_parser = crate::parse_size, default_value = "1GiB")]
    size: u64,
    /// Seed: the same seed gives the same bytes.
    #[arg(long, value_name = "N", default_value_t = 1)]
    seed: u64,
    /// Threads [default: all cores] (the output does not depend on it).
    #[arg(short = 'j', long = "jobs", value_name = "N")]
    jobs: Option<usize>,
    /// Write one log file of SIZE instead of an archive, streamed to disk.
    #[arg(long)]
    single_file: bool,
}

pub fn run(args: GenArgs) -> Result<ExitCode> {
    let started = Instant::now();
    let summary = if args.single_file {
        let (path, summary) = trailwatch_gen::generate_single(&args.out, args.size, args.seed)
            .with_context(|| format!("writing under {}", args.out.display()))?;
        println!("{}", path.display());
        summary
    } else {
        let jobs = args
            .jobs
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        let options = trailwatch_gen::Options {
            target_json_bytes: args.size,
            seed: args.seed,
            jobs,
        };
        trailwatch_gen::generate(&args.out, &options)
            .with_context(|| format!("writing under {}", args.out.display()))?
    };
    eprint!("{}", summary.to_text());
    eprintln!(
        "written to {} in {:.1} s (seed {})",
        args.out.display(),
        started.elapsed().as_secs_f64(),
        args.seed
    );
    Ok(ExitCode::SUCCESS)
}
