//! Finding the log files to read under the given paths, and pruning whole
//! directories by the CloudTrail key layout
//! `AWSLogs/[o-xxx/]<account>/CloudTrail/<region>/YYYY/MM/DD/<file>.json.gz`.

use std::collections::HashSet;
use std::fmt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};

use crossbeam_channel::Sender;

/// A calendar day, as in the `YYYY/MM/DD` levels of the layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Day {
    year: u16,
    month: u8,
    day: u8,
}

impl FromStr for Day {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("`{s}` is not a date of the form YYYY-MM-DD");
        let mut parts = s.trim().splitn(3, '-');
        let mut next = || {
            parts
                .next()
                .ok_or_else(bad)?
                .parse::<u16>()
                .map_err(|_| bad())
        };
        let (year, month, day) = (next()?, next()?, next()?);
        if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
            return Err(bad());
        }
        Ok(Day {
            year,
            month: month as u8,
            day: day as u8,
        })
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Which files to read, judged from their paths before any byte is read.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    /// First day to read (inclusive).
    pub since: Option<Day>,
    /// Last day to read (inclusive).
    pub until: Option<Day>,
    /// Accounts to read; empty means all.
    pub accounts: Vec<String>,
    /// Regions to read; empty means all.
    pub regions: Vec<String>,
}

/// What the layout says about a path (or a directory on the way to one).
#[derive(Debug, Default, PartialEq, Eq)]
struct Layout<'a> {
    account: Option<&'a str>,
    region: Option<&'a str>,
    year: Option<u16>,
    month: Option<u8>,
    day: Option<u8>,
}

fn is_account_id(part: &str) -> bool {
    part.len() == 12 && part.bytes().all(|b| b.is_ascii_digit())
}

/// A non-log CloudTrail file kind that is never scanned: a file under
/// `<account>/CloudTrail-Digest/` or `<account>/CloudTrail-Insight/`, or
/// named like one. Directories the user named otherwise are never taken for it.
pub fn side_file_kind(path: &Path) -> Option<&'static str> {
    let parts: Vec<&str> = path.iter().filter_map(|c| c.to_str()).collect();
    let kind = |part: &str| match part {
        "CloudTrail-Digest" => Some("digest"),
        "CloudTrail-Insight" => Some("insight"),
        _ => None,
    };
    let by_layout = parts.windows(2).find_map(|w| {
        if is_account_id(w[0]) {
            kind(w[1])
        } else {
            None
        }
    });
    let name = parts.last().copied().unwrap_or_default();
    let by_name = if name.contains("_CloudTrail-Digest_") {
        Some("digest")
    } else if name.contains("_CloudTrail-Insight_") {
        Some("insight")
    } else {
        None
    };
    by_layout.or(by_name)
}

/// Reads `<account>/CloudTrail/<region>/YYYY/MM/DD` (or `CloudTrail-Digest`)
/// from a path; such a component counts only right after a 12-digit account id.
fn layout(path: &Path) -> Layout<'_> {
    let parts: Vec<&str> = path.iter().filter_map(|c| c.to_str()).collect();
    let Some(at) = (1..parts.len()).rev().find(|&i| {
        matches!(parts[i], "CloudTrail" | "CloudTrail-Digest") && is_account_id(parts[i - 1])
    }) else {
        return Layout::default();
    };
    let number = |i: usize, digits: usize| {
        parts
            .get(i)
            .filter(|p| p.len() == digits && p.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|p| p.parse::<u16>().ok())
    };
    Layout {
        account: Some(parts[at - 1]),
        region: parts.get(at + 1).copied(),
        year: number(at + 2, 4),
        month: number(at + 3, 2).map(|m| m as u8),
        day: number(at + 4, 2).map(|d| d as u8),
    }
}

impl Filter {
    /// False when the path (file or directory) lies wholly outside the
    /// filter. Paths outside the layout are kept: nothing is dropped on a guess.
    pub fn may_contain(&self, path: &Path) -> bool {
        let l = layout(path);
        if let Some(account) = l.account {
            if !self.accounts.is_empty() && !self.accounts.iter().any(|a| a == account) {
                return false;
            }
        }
        if let Some(region) = l.region {
            if !self.regions.is_empty() && !self.regions.iter().any(|r| r == region) {
                return false;
            }
        }
        let Some(year) = l.year else { return true };
        // Compare the known prefix of the date against the range's prefixes.
        let prefix = |d: Day| match (l.month, l.day) {
            (None, _) => (d.year, 0, 0),
            (Some(_), None) => (d.year, d.month, 0),
            (Some(_), Some(_)) => (d.year, d.month, d.day),
        };
        let here = match (l.month, l.day) {
            (None, _) => (year, 0, 0),
            (Some(m), None) => (year, m, 0),
            (Some(m), Some(d)) => (year, m, d),
        };
        self.since.is_none_or(|s| here >= prefix(s)) && self.until.is_none_or(|u| here <= prefix(u))
    }
}

/// One unit of work for the readers.
#[derive(Debug)]
pub enum Item {
    /// A file to scan.
    File(PathBuf),
    /// Standard input.
    Stdin,
    /// An object in S3.
    S3 {
        /// The bucket.
        bucket: String,
        /// The key.
        key: String,
    },
    /// A path or S3 prefix that could not be listed or opened, and why.
    Unreadable(String, std::io::Error),
}

/// Counters of what was passed over, for the summary.
#[derive(Debug, Default)]
pub struct Skipped {
    /// Digest and Insight files.
    pub side_files: AtomicU64,
    /// Files and directories outside --since/--until/--account/--region.
    pub pruned: AtomicU64,
    /// Files in walked directories that are not `.json` or `.json.gz`.
    pub other_files: AtomicU64,
    /// S3 prefixes of digest or insight files, skipped without listing.
    pub side_prefixes: AtomicU64,
    /// Files found to read, so far.
    pub found: AtomicU64,
}

/// Sends every file to read under one local input (`-` for stdin, a file or
/// a directory) to `out`, in path order. Returns false when the receiver is gone.
pub fn discover_local(input: &str, filter: &Filter, skipped: &Skipped, out: &Sender<Item>) -> bool {
    if input == "-" {
        skipped.found.fetch_add(1, Ordering::Relaxed);
        return out.send(Item::Stdin).is_ok();
    }
    let path = PathBuf::from(input);
    match std::fs::metadata(&path) {
        Ok(meta) if meta.is_dir() => walk(&path, &meta, filter, skipped, out),
        // A file named explicitly is read, unless it is a digest or insight file.
        Ok(_) => offer(path, filter, skipped, out, true),
        Err(e) => out.send(Item::Unreadable(input.to_owned(), e)).is_ok(),
    }
}

/// Whether a local file or S3 key should be read, counting what is not.
pub fn wanted(path: &Path, filter: &Filter, skipped: &Skipped, explicit: bool) -> bool {
    if side_file_kind(path).is_some() {
        skipped.side_files.fetch_add(1, Ordering::Relaxed);
        return false;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let is_log_name = name.ends_with(".json.gz") || name.ends_with(".json");
    if !explicit && !is_log_name {
        skipped.other_files.fetch_add(1, Ordering::Relaxed);
        return false;
    }
    if !filter.may_contain(path) {
        skipped.pruned.fetch_add(1, Ordering::Relaxed);
        return false;
    }
    skipped.found.fetch_add(1, Ordering::Relaxed);
    true
}

/// Returns false when the receiver is gone.
fn offer(
    path: PathBuf,
    filter: &Filter,
    skipped: &Skipped,
    out: &Sender<Item>,
    explicit: bool,
) -> bool {
    !wanted(&path, filter, skipped, explicit) || out.send(Item::File(path)).is_ok()
}

fn walk(
    dir: &Path,
    meta: &std::fs::Metadata,
    filter: &Filter,
    skipped: &Skipped,
    out: &Sender<Item>,
) -> bool {
    let mut visited = HashSet::from([(meta.dev(), meta.ino())]);
    walk_once(dir, filter, skipped, out, &mut visited)
}

/// Walks `dir` (already marked visited), following directory symlinks but
/// entering each directory (by device and inode) at most once, so a link
/// cycle cannot repeat files.
fn walk_once(
    dir: &Path,
    filter: &Filter,
    skipped: &Skipped,
    out: &Sender<Item>,
    visited: &mut HashSet<(u64, u64)>,
) -> bool {
    let entries = match std::fs::read_dir(dir).and_then(|rd| rd.collect::<Result<Vec<_>, _>>()) {
        Ok(entries) => entries,
        Err(e) => {
            return out
                .send(Item::Unreadable(dir.display().to_string(), e))
                .is_ok()
        }
    };
    let mut entries: Vec<_> = entries.into_iter().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        let meta = match std::fs::metadata(&path) {
            Ok(meta) => meta,
            Err(e) => {
                if out
                    .send(Item::Unreadable(path.display().to_string(), e))
                    .is_err()
                {
                    return false;
                }
                continue;
            }
        };
        let keep_going = if meta.is_dir() {
            if side_file_kind(&path.join("x")).is_some() {
                skipped
                    .side_files
                    .fetch_add(count_files(&path), Ordering::Relaxed);
                true
            } else if !filter.may_contain(&path) {
                skipped.pruned.fetch_add(1, Ordering::Relaxed);
                true
            } else {
                !visited.insert((meta.dev(), meta.ino()))
                    || walk_once(&path, filter, skipped, out, visited)
            }
        } else {
            offer(path, filter, skipped, out, false)
        };
        if !keep_going {
            return false;
        }
    }
    true
}

/// Files under a directory that is skipped whole (for the summary's count).
fn count_files(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| match e.file_type() {
                    Ok(t) if t.is_dir() => count_files(&e.path()),
                    _ => 1,
                })
                .sum()
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(since: &str, until: &str, accounts: &[&str], regions: &[&str]) -> Filter {
        Filter {
            since: (!since.is_empty()).then(|| since.parse().unwrap()),
            until: (!until.is_empty()).then(|| until.parse().unwrap()),
            accounts: accounts.iter().map(|s| s.to_string()).collect(),
            regions: regions.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn reads_the_layout_with_and_without_organization() {
        let p =
            Path::new("x/AWSLogs/o-abc123/111122223333/CloudTrail/eu-west-1/2024/03/07/f.json.gz");
        let l = layout(p);
        assert_eq!(
            l,
            Layout {
                account: Some("111122223333"),
                region: Some("eu-west-1"),
                year: Some(2024),
                month: Some(3),
                day: Some(7)
            }
        );
        assert_eq!(layout(Path::new("logs/a.json.gz")), Layout::default());
    }

    #[test]
    fn prunes_directories_by_date_prefix_account_and_region() {
        let base = "AWSLogs/111122223333/CloudTrail/us-east-1";
        let f = filter("2024-02-15", "2024-03-01", &[], &[]);
        assert!(f.may_contain(Path::new(&format!("{base}/2024"))));
        assert!(!f.may_contain(Path::new(&format!("{base}/2023"))));
        assert!(f.may_contain(Path::new(&format!("{base}/2024/02"))));
        assert!(!f.may_contain(Path::new(&format!("{base}/2024/01"))));
        assert!(!f.may_contain(Path::new(&format!("{base}/2024/02/14"))));
        assert!(f.may_contain(Path::new(&format!("{base}/2024/02/15"))));
        assert!(f.may_contain(Path::new(&format!("{base}/2024/03/01/x.json.gz"))));
        assert!(!f.may_contain(Path::new(&format!("{base}/2024/03/02/x.json.gz"))));
        let f = filter("", "", &["999999999999"], &["eu-west-1"]);
        assert!(!f.may_contain(Path::new(base)));
        assert!(f.may_contain(Path::new("AWSLogs/999999999999/CloudTrail/eu-west-1/2020")));
        assert!(!f.may_contain(Path::new("AWSLogs/999999999999/CloudTrail/us-east-1")));
        // Outside the layout nothing is known, so nothing is pruned.
        assert!(f.may_contain(Path::new("elsewhere/file.json.gz")));
    }

    #[test]
    fn parses_days() {
        assert!("2024-13-01".parse::<Day>().is_err());
        assert!("yesterday".parse::<Day>().is_err());
        assert_eq!(
            "2024-02-03".parse::<Day>().unwrap().to_string(),
            "2024-02-03"
        );
    }
}
