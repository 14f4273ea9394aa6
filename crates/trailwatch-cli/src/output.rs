//! Writing findings to stdout as a table, JSON lines or one JSON array, and
//! the summary to stderr. Log text is untrusted: the table escapes control
//! characters and bounds long fields; JSON escapes by construction.

use std::io::{self, Write};

use clap::ValueEnum;
use serde::Serialize;
use trailwatch_core::text::{printable, truncate_chars};
use trailwatch_core::Finding;

use crate::replay::Totals;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns with the reason under each finding, for people.
    Table,
    /// One JSON object per finding per line, for machines and `jq`.
    Jsonl,
    /// One JSON array of every finding, printed at the end.
    Json,
}

#[derive(Serialize)]
struct Line<'a> {
    #[serde(flatten)]
    finding: &'a Finding,
    /// The allowlist reason, on suppressed findings shown with --show-suppressed.
    #[serde(skip_serializing_if = "Option::is_none")]
    suppressed: Option<&'a str>,
}

/// Receives findings as they come and writes them in the chosen format.
pub struct Printer<W: Write> {
    format: Format,
    out: W,
    held: Vec<(Finding, Option<String>)>,
}

impl<W: Write> Printer<W> {
    /// A printer writing to `out`.
    pub fn new(format: Format, out: W) -> Self {
        Printer {
            format,
            out,
            held: Vec::new(),
        }
    }

    /// One finding; `suppressed` carries the allowlist reason when it was accepted.
    pub fn finding(&mut self, finding: Finding, suppressed: Option<String>) -> io::Result<()> {
        match self.format {
            Format::Jsonl => {
                let line = Line {
                    finding: &finding,
                    suppressed: suppressed.as_deref(),
                };
                serde_json::to_writer(&mut self.out, &line)?;
                self.out.write_all(b"\n")
            }
            Format::Json | Format::Table => {
                self.held.push((finding, suppressed));
                Ok(())
            }
        }
    }

    /// Pushes streamed findings out (JSON lines); held formats print at the end.
    pub fn flush(&mut self) -> io::Result<()> {
        match self.format {
            Format::Jsonl => self.out.flush(),
            Format::Json | Format::Table => Ok(()),
        }
    }

    /// Writes what was held (sorted by time) and flushes.
    pub fn finish(mut self) -> io::Result<()> {
        self.held.sort_by(|a, b| {
            (&a.0.event_time, &a.0.event_id, a.0.kind).cmp(&(
                &b.0.event_time,
                &b.0.event_id,
                b.0.kind,
            ))
        });
        match self.format {
            Format::Jsonl => {}
            Format::Json => {
                let lines: Vec<Line> = self
                    .held
                    .iter()
                    .map(|(finding, suppressed)| Line {
                        finding,
                        suppressed: suppressed.as_deref(),
                    })
                    .collect();
                serde_json::to_writer_pretty(&mut self.out, &lines)?;
                self.out.write_all(b"\n")?;
            }
            Format::Table => write_table(&mut self.out, &self.held)?,
        }
        self.out.flush()
    }
}

fn write_table(out: &mut impl Write, rows: &[(Finding, Option<String>)]) -> io::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let cells: Vec<[String; 6]> = rows
        .iter()
        .map(|(f, _)| {
            let resource = match (&f.bucket, &f.key) {
                (Some(b), Some(k)) => format!("s3://{b}/{}", truncate_chars(k, 60)),
                (Some(b), None) => format!("s3://{b}"),
                (None, _) => format!("account {}", f.account),
            };
            [
                f.event_time.clone(),
                f.severity.to_string(),
                f.kind.to_string(),
                format!("{} {}", f.account, f.region),
                resource,
                truncate_chars(&f.actor_arn, 80).into_owned(),
            ]
            .map(|c| printable(&c).into_owned())
        })
        .collect();
    let headers = [
        "TIME",
        "SEVERITY",
        "KIND",
        "ACCOUNT REGION",
        "RESOURCE",
        "ACTOR",
    ];
    let mut widths = headers.map(|h| h.chars().count());
    for row in &cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let write_row = |out: &mut dyn Write, row: &[&str]| -> io::Result<()> {
        let mut line = String::new();
        for (i, (cell, width)) in row.iter().zip(widths).enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<width$}  "));
            }
        }
        writeln!(out, "{}", line.trim_end())
    };
    write_row(out, &headers)?;
    for ((finding, suppressed), row) in rows.iter().zip(&cells) {
        write_row(out, &row.each_ref().map(String::as_str))?;
        let mut detail = format!(
            "    {} (event {}, from {}, user agent {})",
            finding.reason,
            finding.event_id,
            finding.source_ip,
            truncate_chars(&finding.user_agent, 80)
        );
        if let Some(reason) = suppressed {
            detail.push_str(&format!(" [suppressed: {reason}]"));
        }
        writeln!(out, "{}", printable(&detail))?;
        writeln!(out, "    {}", printable(&finding.log_file))?;
    }
    Ok(())
}

/// The end-of-run summary, for stderr: `failed` lists the files that could
/// not be read, `skipped` the records skipped in files that were.
pub fn summary(totals: &Totals, failed: &[String], skipped: &[String]) -> String {
    let secs = totals.elapsed.as_secs_f64().max(1e-9);
    let mb = totals.json_bytes as f64 / 1e6;
    let found: u64 = totals.findings.values().sum();
    let mut s = format!(
        "{} files read, {} failed; {} records ({} parsed), {:.1} MB stored, {:.1} MB JSON in {:.2}s ({:.0} MB/s)\n",
        totals.files_ok,
        totals.files_failed,
        totals.records,
        totals.candidates,
        totals.stored_bytes as f64 / 1e6,
        mb,
        secs,
        mb / secs
    );
    let prefixes = if totals.side_prefixes > 0 {
        format!(
            " (and {} digest/insight prefixes in S3)",
            totals.side_prefixes
        )
    } else {
        String::new()
    };
    s.push_str(&format!(
        "skipped: {} digest/insight files{prefixes}, {} pruned by --since/--until/--account/--region, {} not .json/.json.gz\n",
        totals.side_files, totals.pruned, totals.other_files
    ));
    let by_kind: Vec<String> = totals
        .findings
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    s.push_str(&format!(
        "findings: {found}{}{}; suppressed by allowlist: {}\n",
        if by_kind.is_empty() { "" } else { " (" },
        if by_kind.is_empty() {
            String::new()
        } else {
            by_kind.join(", ") + ")"
        },
        totals.suppressed
    ));
    if totals.skipped_records > 0 {
        s.push_str(&format!(
            "errors: {} records skipped in {} files that were otherwise read (watched events among them are findings that cannot be shown private):\n",
            totals.skipped_records, totals.files_with_skipped
        ));
        for record in skipped {
            s.push_str(&format!("  {}\n", printable(record)));
        }
    }
    if !failed.is_empty() {
        s.push_str(&format!(
            "errors: {} files could not be read:\n",
            failed.len()
        ));
        for f in failed {
            s.push_str(&format!("  {}\n", printable(f)));
        }
    }
    s
}
