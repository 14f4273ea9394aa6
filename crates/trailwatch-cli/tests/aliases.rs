//! Account aliases (`[accounts]` in the config) beside account IDs in every
//! CLI format: `account_alias` in JSON lines, JSON and Timesketch (findings
//! and windows), `alias (id)` in the tables; absent for accounts without one.

use std::process::Command;

use serde_json::Value;
use trailwatch_testkit::workspace_root;

const ALIASED: &str = "111122223333";

fn run(args: &[&str], config: &std::path::Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_trailwatch"))
        .args(args)
        .arg("--config")
        .arg(config)
        .args(["-q", "fixtures/logs"])
        .current_dir(workspace_root())
        .env("COLUMNS", "200")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{args:?}: {stderr}");
    String::from_utf8(out.stdout).unwrap()
}

fn lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// Every object names its account's alias exactly when it has one.
fn check(objects: &[Value]) {
    let mut seen = (0, 0);
    for o in objects {
        if o["account"] == ALIASED {
            assert_eq!(o["account_alias"], "payments-prod", "{o}");
            seen.0 += 1;
        } else {
            assert!(o.get("account_alias").is_none(), "{o}");
            seen.1 += 1;
        }
    }
    assert!(seen.0 > 0 && seen.1 > 0, "both kinds of account: {seen:?}");
}

#[test]
fn aliases_appear_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("trailwatch.toml");
    std::fs::write(
        &config,
        format!("[accounts]\n\"{ALIASED}\" = \"payments-prod\"\n"),
    )
    .unwrap();
    for command in ["replay", "timeline"] {
        check(&lines(&run(&[command, "--format", "jsonl"], &config)));
        check(&lines(&run(&[command, "--format", "timesketch"], &config)));
        let json: Value =
            serde_json::from_str(&run(&[command, "--format", "json"], &config)).unwrap();
        check(json.as_array().unwrap());
    }
    let labelled = format!("payments-prod ({ALIASED})");
    let findings = run(&["replay", "--format", "table"], &config);
    assert!(findings.contains(&format!(" in {labelled} ")), "{findings}");
    let windows = run(&["timeline", "--format", "table"], &config);
    let rows: Vec<&str> = windows
        .lines()
        .skip(1)
        .filter(|l| !l.starts_with(' '))
        .collect();
    assert!(rows.iter().any(|r| r.starts_with(&labelled)), "{windows}");
    assert!(!rows.iter().any(|r| r.starts_with(ALIASED)), "{windows}");
}
