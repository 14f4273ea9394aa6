//! The Lambda handler's memory on a large log file, measured on the core
//! scanner exactly as the handler drives it for objects over 4 MiB: one
//! `Scanner` with the default limits, fed by a streaming `Read` (the S3 body
//! bridge), never the whole object in memory.
//!
//! ```text
//! lambda-rss make DIR JSON_BYTES [SEED]   # one big gzip log file + truth, streamed to disk
//! lambda-rss scan FILE                    # scan it; print peak RSS (VmHWM) as JSON
//! ```
//!
//! `make` and `scan` run in separate processes so that generating the file
//! does not count towards the scan's peak.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use trailwatch_benches::peak_rss_bytes;
use trailwatch_core::{Limits, Scanner};

/// Hands out at most 64 KiB per read, like an HTTP body stream.
struct Chunked<R>(R);

impl<R: Read> Read for Chunked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(64 << 10);
        self.0.read(&mut buf[..n])
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("make") if args.len() >= 4 => {
            let bytes: u64 = args[3].parse().expect("JSON_BYTES is a number");
            let seed: u64 = args
                .get(4)
                .map_or(50, |s| s.parse().expect("SEED is a number"));
            let (path, summary) = trailwatch_gen::generate_single(Path::new(&args[2]), bytes, seed)
                .expect("writing the file");
            println!("{}", path.display());
            eprint!("{}", summary.to_text());
            ExitCode::SUCCESS
        }
        Some("scan") if args.len() >= 3 => {
            let before = peak_rss_bytes().unwrap_or(0);
            let file = File::open(&args[2]).expect("opening the file");
            let started = Instant::now();
            let mut scanner = Scanner::new(Limits::default());
            let scan = scanner.scan_reader(&args[2], Chunked(file));
            let seconds = started.elapsed().as_secs_f64();
            let peak = peak_rss_bytes().unwrap_or(0);
            println!(
                "{}",
                serde_json::json!({
                    "file": args[2],
                    "stored_bytes": scan.stats.stored_bytes,
                    "json_bytes": scan.stats.json_bytes,
                    "records": scan.stats.records,
                    "candidates": scan.stats.candidates,
                    "findings": scan.findings.len(),
                    "error": scan.error.as_ref().map(|e| e.to_string()),
                    "seconds": seconds,
                    "rss_before_scan_bytes": before,
                    "peak_rss_bytes": peak,
                })
            );
            if scan.error.is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            }
        }
        _ => {
            eprintln!("usage: lambda-rss make DIR JSON_BYTES [SEED] | lambda-rss scan FILE");
            ExitCode::from(2)
        }
    }
}
