//! The terminal table fits the terminal: at 80 and at 200 columns each
//! finding is one head line and indented lines under it, none wider than the
//! terminal, long ARNs, keys and user agents shortened in the middle, log
//! files relative to the input. Checked against snapshots (set
//! `TRAILWATCH_UPDATE_SNAPSHOTS=1` to rewrite them after a deliberate change,
//! then read the diff), and on a pipe without `COLUMNS` nothing is cut.

use std::process::Command;

use trailwatch_testkit::workspace_root;

/// A directory whose files hold access point, object and bucket findings
/// with long ARNs, keys and user agents.
const INPUT: &str = "fixtures/logs/AWSLogs/o-abc123def4/777788889999/CloudTrail";

fn table(columns: Option<usize>) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_trailwatch"));
    command
        .args(["replay", INPUT, "--format", "table", "-j", "1", "-q"])
        .current_dir(workspace_root())
        .env_remove("COLUMNS");
    if let Some(columns) = columns {
        command.env("COLUMNS", columns.to_string());
    }
    let out = command.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn check_against_snapshot(columns: usize) {
    let got = table(Some(columns));
    // Every line fits; findings start at column 0, their details indented.
    let lines: Vec<&str> = got.lines().collect();
    assert!(lines.len() > 10, "{got}");
    for line in &lines {
        assert!(
            line.chars().count() <= columns,
            "wider than {columns}: {line:?}"
        );
    }
    assert!(lines[0].starts_with("TIME "));
    let heads = lines[1..].iter().filter(|l| !l.starts_with(' ')).count();
    assert!(heads >= 5, "{got}");
    for head in lines[1..].iter().filter(|l| !l.starts_with(' ')) {
        assert!(
            head.starts_with("20") && head.as_bytes()[10] == b'T',
            "{head:?}"
        );
    }
    // Log files are shown relative to the input.
    assert!(!got.contains(INPUT), "{got}");
    let path = workspace_root().join(format!(
        "crates/trailwatch-cli/tests/snapshots/table-{columns}.txt"
    ));
    if std::env::var_os("TRAILWATCH_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &got).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        got,
        want,
        "table at {columns} columns differs from {}",
        path.display()
    );
}

#[test]
fn eighty_columns() {
    check_against_snapshot(80);
    // Narrow: something had to be shortened, in the middle.
    assert!(table(Some(80)).contains('…'));
}

#[test]
fn two_hundred_columns() {
    check_against_snapshot(200);
}

/// On a pipe without `COLUMNS`, the table keeps ARNs, resources and paths
/// whole (only a user agent stays bounded, at 200 characters).
#[test]
fn a_pipe_without_a_width_cuts_nothing() {
    let full = table(None);
    assert_eq!(
        full.lines().next().map(|l| l.starts_with("TIME ")),
        Some(true)
    );
    let whole: Vec<&str> = full
        .lines()
        .filter(|l| !l.starts_with("    user agent "))
        .collect();
    assert!(whole.len() > 10, "{full}");
    for line in whole {
        assert!(!line.contains('…'), "{line}");
    }
    assert!(full.contains("by arn:aws:sts::777788889999:assumed-role/AWSReservedSSO_AdministratorAccess_5a1b2c3d4e5f6a7b/jane.doe@example.com"), "{full}");
}
