//! Writing findings to stdout as a table, JSON lines or one JSON array, and
//! the summary to stderr. Log text is untrusted: the table escapes control
//! characters and bounds long fields; JSON escapes by construction.

use std::collections::BTreeMap;
use std::io::{self, Write};

use clap::ValueEnum;
use serde::Serialize;
use trailwatch_core::exposure::Window;
use trailwatch_core::text::{printable, truncate_chars};
use trailwatch_core::Finding;

use crate::replay::Totals;
use crate::verify::WindowEvidence;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns with the reason under each finding, for people.
    Table,
    /// One JSON object per finding per line, for machines and `jq`.
    Jsonl,
    /// One JSON array of every finding, printed at the end.
    Json,
    /// JSON lines for Timesketch: `message`, `datetime` and
    /// `timestamp_desc` beside the fields of each finding or window.
    Timesketch,
    /// OCSF Detection Finding (class 2004, schema 1.5.0) JSON lines, for
    /// security lakes and SIEMs (findings only: not for `timeline`).
    Ocsf,
}

/// A Timesketch event: its three required fields beside the object's own.
#[derive(Serialize)]
struct Sketch<'a, T: Serialize> {
    message: String,
    datetime: &'a str,
    timestamp_desc: &'static str,
    #[serde(flatten)]
    fields: T,
}

#[derive(Serialize)]
struct Line<'a> {
    #[serde(flatten)]
    finding: &'a Finding,
    /// The allowlist reason, on suppressed findings shown with --show-suppressed.
    #[serde(skip_serializing_if = "Option::is_none")]
    suppressed: Option<&'a str>,
    /// The account's alias (`[accounts]` in the config), when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    account_alias: Option<&'a str>,
}

/// Account aliases (`[accounts]` in the config): account ID to name.
type Aliases = BTreeMap<String, String>;

fn line<'a>(aliases: &'a Aliases, finding: &'a Finding, suppressed: Option<&'a str>) -> Line<'a> {
    Line {
        finding,
        suppressed,
        account_alias: aliases.get(&finding.account).map(String::as_str),
    }
}

/// One window as printed: its fields, the account's alias, and with
/// `--verify` its evidence.
#[derive(Serialize)]
struct WindowLine<'a> {
    #[serde(flatten)]
    window: &'a Window,
    #[serde(skip_serializing_if = "Option::is_none")]
    account_alias: Option<&'a str>,
    #[serde(flatten)]
    evidence: Option<&'a WindowEvidence>,
}

/// `id`, or `alias (id)` when the account has an alias.
fn account_label(alias: Option<&str>, account: &str) -> String {
    match alias {
        Some(alias) => format!("{alias} ({account})"),
        None => account.to_owned(),
    }
}

/// Receives findings as they come and writes them in the chosen format.
pub struct Printer<W: Write> {
    format: Format,
    out: W,
    held: Vec<(Finding, Option<String>)>,
    layout: TableLayout,
    aliases: Aliases,
}

impl<W: Write> Printer<W> {
    /// A printer writing to `out`; `layout` shapes the table format.
    pub fn new(format: Format, out: W, layout: TableLayout) -> Self {
        Printer {
            format,
            out,
            held: Vec::new(),
            layout,
            aliases: Default::default(),
        }
    }

    /// Account aliases (`[accounts]` in the config), shown beside account
    /// IDs in every format.
    pub fn with_aliases(mut self, aliases: Aliases) -> Self {
        self.aliases = aliases;
        self
    }

    /// One finding; `suppressed` carries the allowlist reason when it was accepted.
    pub fn finding(&mut self, finding: Finding, suppressed: Option<String>) -> io::Result<()> {
        match self.format {
            Format::Jsonl => {
                let line = line(&self.aliases, &finding, suppressed.as_deref());
                serde_json::to_writer(&mut self.out, &line)?;
                self.out.write_all(b"\n")
            }
            Format::Timesketch => {
                let line = Sketch {
                    message: format!(
                        "{} ({}) {}: {}",
                        finding.kind,
                        finding.exposure,
                        finding.resource(),
                        finding.reason
                    ),
                    datetime: &finding.event_time,
                    timestamp_desc: "Event Recorded",
                    fields: line(&self.aliases, &finding, suppressed.as_deref()),
                };
                serde_json::to_writer(&mut self.out, &line)?;
                self.out.write_all(b"\n")
            }
            Format::Ocsf => {
                let alias = self.aliases.get(&finding.account).map(String::as_str);
                let line = trailwatch_ocsf::to_line(&finding, alias, suppressed.as_deref());
                writeln!(self.out, "{line}")
            }
            Format::Json | Format::Table => {
                self.held.push((finding, suppressed));
                Ok(())
            }
        }
    }

    /// Writes the exposure windows (`timeline`) in the chosen format, and
    /// flushes; `evidence` (`--verify`) holds one entry per window.
    pub fn windows(
        mut self,
        windows: &[Window],
        evidence: Option<&[WindowEvidence]>,
    ) -> io::Result<()> {
        let lines: Vec<WindowLine> = windows
            .iter()
            .enumerate()
            .map(|(i, window)| WindowLine {
                window,
                account_alias: self.aliases.get(&window.account).map(String::as_str),
                evidence: evidence.and_then(|e| e.get(i)),
            })
            .collect();
        match self.format {
            Format::Jsonl | Format::Ocsf => {
                for line in &lines {
                    serde_json::to_writer(&mut self.out, line)?;
                    self.out.write_all(b"\n")?;
                }
            }
            Format::Timesketch => {
                for line in &lines {
                    let window = line.window;
                    let (datetime, timestamp_desc) = match (&window.opened_at, &window.closed_at) {
                        (Some(opened), _) => (opened.as_str(), "Exposure Opened"),
                        // Seen only through the requests it served.
                        (None, _) if window.first_request_at.is_some() => (
                            window.first_request_at.as_deref().unwrap_or_default(),
                            "First Anonymous Request",
                        ),
                        (None, Some(closed)) => (closed.as_str(), "Exposure Closed"),
                        (None, None) => ("", "Exposure"),
                    };
                    let evidence = line
                        .evidence
                        .map(|e| format!(" [evidence: {}]", e.evidence.as_str()))
                        .unwrap_or_default();
                    let sketch = Sketch {
                        message: format!(
                            "{} {} exposed ({}) via {} from {} to {}{evidence}",
                            window.resource_type,
                            window_resource(window),
                            window.exposure.as_str(),
                            vias(window),
                            window.opened_at.as_deref().unwrap_or("before the archive"),
                            window
                                .closed_at
                                .as_deref()
                                .unwrap_or("the end of the archive"),
                        ),
                        datetime,
                        timestamp_desc,
                        fields: line,
                    };
                    serde_json::to_writer(&mut self.out, &sketch)?;
                    self.out.write_all(b"\n")?;
                }
            }
            Format::Json => {
                serde_json::to_writer_pretty(&mut self.out, &lines)?;
                self.out.write_all(b"\n")?;
            }
            Format::Table => write_window_table(&mut self.out, &lines, &self.layout)?,
        }
        self.out.flush()
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
            Format::Jsonl | Format::Timesketch | Format::Ocsf => {}
            Format::Json => {
                let lines: Vec<Line> = self
                    .held
                    .iter()
                    .map(|(finding, suppressed)| {
                        line(&self.aliases, finding, suppressed.as_deref())
                    })
                    .collect();
                serde_json::to_writer_pretty(&mut self.out, &lines)?;
                self.out.write_all(b"\n")?;
            }
            Format::Table => write_table(&mut self.out, &self.held, &self.layout, &self.aliases)?,
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
    aliases: &Aliases,
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
                match &f.live_check {
                    // --confirm: the state now, as S3 said.
                    Some(_) => format!("{} (now {})", f.kind, f.exposure),
                    None => format!("{} ({})", f.kind, f.exposure),
                },
            ]
            .map(|c| safe(&c))
        })
        .collect();
    let headers = ["TIME", "SEVERITY", "KIND (EXPOSURE)", "RESOURCE"];
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
        if !finding.unknown_facts.is_empty() {
            reason.push_str(&format!(" (unknown: {})", finding.unknown_facts.join(", ")));
        }
        if let Some(live) = &finding.live_check {
            reason.push_str(&format!(
                " [now, S3 checked at {}: {} ({})]",
                live.checked_at,
                live.status.as_str(),
                live.detail
            ));
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
                finding.source_ip,
                account_label(
                    aliases.get(&finding.account).map(String::as_str),
                    &finding.account
                ),
                finding.region
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

fn window_resource(w: &Window) -> String {
    match (&w.bucket, &w.key, &w.access_point) {
        (Some(b), Some(k), _) => format!("s3://{b}/{k}"),
        (Some(b), None, _) => format!("s3://{b}"),
        (None, _, Some(p)) => format!("access point {p}"),
        (None, _, None) => String::new(),
    }
}

/// The `via` names, as JSON spells them (`bucket-acl`, ...).
fn vias(w: &Window) -> String {
    w.via
        .iter()
        .map(|v| match serde_json::to_value(v) {
            Ok(serde_json::Value::String(name)) => name,
            _ => format!("{v:?}"),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Problems named under a window in the table; the rest are counted.
const TABLE_PROBLEMS: usize = 3;

/// One line per window: account (`alias (id)` when it has one), exposure,
/// opened, closed, via, with `--verify` the evidence, then the resource
/// (shortened in the middle to fit); under it, indented, the unknown facts
/// and the problems of its evidence.
/// The requests counted in a window, for the table: `3 anon, 1 presigned`.
fn requests_cell(window: &Window) -> String {
    let mut parts = Vec::new();
    if window.anonymous_requests > 0 {
        parts.push(format!("{} anon", window.anonymous_requests));
    }
    if window.presigned_requests > 0 {
        parts.push(format!("{} presigned", window.presigned_requests));
    }
    parts.join(", ")
}

fn write_window_table(
    out: &mut impl Write,
    windows: &[WindowLine],
    layout: &TableLayout,
) -> io::Result<()> {
    if windows.is_empty() {
        return Ok(());
    }
    let safe = |text: &str| printable(text).into_owned();
    let with_evidence = windows.iter().any(|w| w.evidence.is_some());
    let with_requests = windows
        .iter()
        .any(|w| w.window.anonymous_requests + w.window.presigned_requests > 0);
    let rows: Vec<Vec<String>> = windows
        .iter()
        .map(|line| {
            let w = line.window;
            let mut row = vec![
                account_label(line.account_alias, &w.account),
                w.exposure.as_str().to_owned(),
                w.opened_at.clone().unwrap_or_else(|| "(before)".to_owned()),
                w.closed_at
                    .clone()
                    .unwrap_or_else(|| "(still open)".to_owned()),
                vias(w),
            ];
            if with_requests {
                row.push(requests_cell(w));
            }
            if with_evidence {
                row.push(line.evidence.map_or("", |e| e.evidence.as_str()).to_owned());
            }
            row.into_iter().map(|c| safe(&c)).collect()
        })
        .collect();
    let mut headers = vec!["ACCOUNT", "EXPOSURE", "OPENED", "CLOSED", "VIA"];
    if with_requests {
        headers.push("REQUESTS");
    }
    if with_evidence {
        headers.push("EVIDENCE");
    }
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let fixed: usize = widths.iter().map(|w| w + 2).sum();
    let resource_width = layout.width.map(|w| w.saturating_sub(fixed).max(12));
    let detail_width = layout.width.map(|w| w.saturating_sub(INDENT.len()));
    let line = |cells: &[&str], resource: &str| {
        let mut text = String::new();
        for (cell, width) in cells.iter().zip(&widths) {
            text.push_str(&format!("{cell:<width$}  "));
        }
        match resource_width {
            Some(width) => text.push_str(&shorten_middle(resource, width)),
            None => text.push_str(resource),
        }
        text.trim_end().to_owned()
    };
    writeln!(out, "{}", line(&headers, "RESOURCE"))?;
    for (window, row) in windows.iter().zip(&rows) {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        writeln!(
            out,
            "{}",
            line(&cells, &safe(&window_resource(window.window)))
        )?;
        if !window.window.unknown_facts.is_empty() {
            let facts: Vec<&str> = window
                .window
                .unknown_facts
                .iter()
                .map(String::as_str)
                .collect();
            let text = safe(&format!("unknown: {}", facts.join(", ")));
            for part in detail_width.map_or_else(|| vec![text.clone()], |w| wrap(&text, w)) {
                writeln!(out, "{INDENT}{part}")?;
            }
        }
        // One line per problem (the first few), its path relative to the input.
        if let Some(e) = window.evidence {
            for p in e.evidence_problems.iter().take(TABLE_PROBLEMS) {
                let text = safe(&format!(
                    "evidence: {} {}",
                    p.kind,
                    layout.relative(&p.path)
                ));
                let text = detail_width.map_or(text.clone(), |w| shorten_middle(&text, w));
                writeln!(out, "{INDENT}{text}")?;
            }
            let more = e.evidence_problems_total.saturating_sub(TABLE_PROBLEMS);
            if more > 0 {
                writeln!(
                    out,
                    "{INDENT}evidence: {more} more problems (--format jsonl or trailwatch verify lists them)"
                )?;
            }
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
        "findings: {found}{}{}; suppressed by allowlist: {}; refused attempts not shown (--include-blocked): {}\n",
        if by_kind.is_empty() { "" } else { " (" },
        if by_kind.is_empty() {
            String::new()
        } else {
            by_kind.join(", ") + ")"
        },
        totals.suppressed,
        totals.blocked
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
