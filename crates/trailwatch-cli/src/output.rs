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
    layout: TableLayout,
}

impl<W: Write> Printer<W> {
    /// A printer writing to `out`; `layout` shapes the table format.
    pub fn new(format: Format, out: W, layout: TableLayout) -> Self {
        Printer {
            format,
            out,
            held: Vec::new(),
            layout,
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
            Format::Table => write_table(&mut self.out, &self.held, &self.layout)?,
        }
        self.out.flush()
    }
}

/// How the table is laid out: the width to fit (none: values in full, as on a
/// pipe without `COLUMNS`), and the input paths that log file names are
/// shown relative to.
#[derive(Debug, Clone, Default)]
pub struct TableLayout {
    /// Columns available; `None` prints values in full.
    pub width: Option<usize>,
    /// The inputs given on the command line.
    pub inputs: Vec<String>,
}

impl TableLayout {
    /// The width of the terminal on stdout, else `COLUMNS`, else none.
    pub fn detect(inputs: &[String]) -> Self {
        let from_env = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse().ok());
        let terminal = console::Term::stdout()
            .size_checked()
            .map(|(_, columns)| usize::from(columns));
        TableLayout {
            width: from_env.or(terminal).map(|w: usize| w.max(MIN_WIDTH)),
            inputs: inputs.to_vec(),
        }
    }

    /// `log_file` relative to the input it was found under.
    fn relative<'a>(&self, log_file: &'a str) -> &'a str {
        self.inputs
            .iter()
            .filter(|input| input.as_str() != "-")
            .filter_map(|input| {
                let rest = log_file.strip_prefix(input.trim_end_matches('/'))?;
                rest.strip_prefix('/').filter(|r| !r.is_empty())
            })
            .min_by_key(|r| r.len())
            .unwrap_or(log_file)
    }
}

/// Narrowest layout: below this, lines are cut rather than wrapped.
const MIN_WIDTH: usize = 60;
/// Indent of the lines under each finding.
const INDENT: &str = "    ";

/// `text` in at most `max` characters, shortened in the middle (`…`), so
/// both ends of an ARN, key or path stay visible.
fn shorten_middle(text: &str, max: usize) -> String {
    let count = text.chars().count();
    if count <= max || max == 0 {
        return text.to_owned();
    }
    let keep = max - 1;
    let head = keep.div_ceil(2);
    let tail = keep - head;
    let mut out: String = text.chars().take(head).collect();
    out.push('…');
    out.extend(text.chars().skip(count - tail));
    out
}

/// `text` wrapped at spaces into lines of at most `width` characters; a
/// word longer than a line is shortened in the middle.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let word = shorten_middle(word, width);
        let needed = line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
        if !line.is_empty() && needed > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

fn write_table(
    out: &mut impl Write,
    rows: &[(Finding, Option<String>)],
    layout: &TableLayout,
) -> io::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let safe = |text: &str| printable(text).into_owned();
    // One line per finding: time, severity, kind, resource; the resource
    // takes what the others leave, shortened in the middle.
    let heads: Vec<[String; 3]> = rows
        .iter()
        .map(|(f, _)| {
            [
                f.event_time.clone(),
                f.severity.to_string(),
                f.kind.to_string(),
            ]
            .map(|c| safe(&c))
        })
        .collect();
    let headers = ["TIME", "SEVERITY", "KIND", "RESOURCE"];
    let mut widths = [0usize; 3];
    for row in heads
        .iter()
        .map(|r| r.each_ref().map(String::as_str))
        .chain([[headers[0], headers[1], headers[2]]])
    {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let fixed: usize = widths.iter().map(|w| w + 2).sum();
    let resource_width = layout.width.map(|w| w.saturating_sub(fixed).max(12));
    let detail_width = layout.width.map(|w| w.saturating_sub(INDENT.len()));
    let fit = |text: &str, width: Option<usize>| match width {
        Some(width) => shorten_middle(text, width),
        None => text.to_owned(),
    };
    let head_line = |cells: [&str; 3], resource: &str| {
        let mut line = String::new();
        for (cell, width) in cells.iter().zip(widths) {
            line.push_str(&format!("{cell:<width$}  "));
        }
        line.push_str(&fit(resource, resource_width));
        line.trim_end().to_owned()
    };
    writeln!(
        out,
        "{}",
        head_line([headers[0], headers[1], headers[2]], headers[3])
    )?;
    for ((finding, suppressed), head) in rows.iter().zip(&heads) {
        // A resource too long for its column gets a line of its own.
        let resource = safe(&finding.resource());
        let own_line = resource_width.is_some_and(|w| resource.chars().count() > w);
        let cells = head.each_ref().map(String::as_str);
        writeln!(
            out,
            "{}",
            head_line(cells, if own_line { "" } else { &resource })
        )?;
        let mut details = Vec::new();
        if own_line {
            details.push(fit(&resource, detail_width));
        }
        let mut reason = finding.reason.clone();
        if let Some(why) = suppressed {
            reason.push_str(&format!(" [suppressed: {why}]"));
        }
        match detail_width {
            Some(width) => details.extend(wrap(&safe(&reason), width)),
            None => details.push(safe(&reason)),
        }
        let actor = if finding.actor_type.is_empty() {
            finding.actor_arn.clone()
        } else {
            format!("{} ({})", finding.actor_arn, finding.actor_type)
        };
        details.push(fit(&safe(&format!("by {actor}")), detail_width));
        details.push(fit(
            &safe(&format!(
                "from {} in {} {}",
                finding.source_ip, finding.account, finding.region
            )),
            detail_width,
        ));
        details.push(fit(
            &safe(&format!("event {}", finding.event_id)),
            detail_width,
        ));
        details.push(fit(
            &safe(&format!(
                "user agent {}",
                truncate_chars(&finding.user_agent, 200)
            )),
            detail_width,
        ));
        details.push(fit(&safe(layout.relative(&finding.log_file)), detail_width));
        for line in details {
            writeln!(out, "{INDENT}{line}")?;
        }
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
