//! `trailwatch verify` end to end: a `trailwatch gen` archive verifies and
//! tampering on disk fails it; the fixtures, given a freshly signed chain,
//! verify clean; exit codes, `--format jsonl` and the filters; and an
//! archive in S3 (a real moto_server on loopback, read through aws-sdk-s3)
//! whose newest digests are checked from their `x-amz-meta-signature`.

use std::collections::BTreeMap;
use std::io::{BufReader, Write};
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use serde_json::Value;
use trailwatch_evidence::layout::{log_delivery, place};
use trailwatch_testkit::http::{read_message, respond};
use trailwatch_testkit::{files_under, workspace_root, MotoServer};

mod common;
use common::BUCKET;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn trailwatch(args: &[&str], moto: Option<&MotoServer>) -> Run {
    let endpoint = moto.map(MotoServer::endpoint);
    trailwatch_at(args, endpoint.as_deref(), &[])
}

/// Runs the binary with AWS pointed at `endpoint` (dummy credentials).
fn trailwatch_at(args: &[&str], endpoint: Option<&str>, env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trailwatch"));
    cmd.args(args)
        .current_dir(workspace_root())
        .env_remove("AWS_PROFILE");
    if let Some(endpoint) = endpoint {
        cmd.env("AWS_ENDPOINT_URL", endpoint)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1");
    }
    cmd.envs(env.iter().copied());
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn problems(run: &Run) -> Vec<Value> {
    run.stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn kind(p: &Value) -> &str {
    p["problem"].as_str().unwrap()
}

/// Problems other than the informational ones.
fn serious(run: &Run) -> Vec<Value> {
    problems(run)
        .into_iter()
        .filter(|p| !matches!(kind(p), "unverifiable-newest-digest" | "not-yet-digested"))
        .collect()
}

/// A small generated archive with signed digests and its keys file.
fn corpus() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("c");
    let run = trailwatch(
        &[
            "gen",
            "--out",
            out.to_str().unwrap(),
            "--size",
            "4MB",
            "--seed",
            "3",
            "-j",
            "2",
        ],
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    dir
}

fn verify_dir(dir: &Path, extra: &[&str]) -> Run {
    let root = dir.join("c");
    let keys = root.join("public-keys.json");
    let mut args = vec![
        "verify",
        "--format",
        "jsonl",
        "--public-keys",
        keys.to_str().unwrap(),
    ];
    let logs = root.join("AWSLogs");
    args.push(logs.to_str().unwrap());
    args.extend_from_slice(extra);
    trailwatch(&args, None)
}

fn log_files(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("c/files.txt"))
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_generated_archive_verifies_offline() {
    let dir = corpus();
    let run = verify_dir(dir.path(), &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let all = problems(&run);
    assert!(
        !all.is_empty(),
        "each chain segment's newest digest is unverifiable offline"
    );
    assert!(
        all.iter().all(|p| kind(p) == "unverifiable-newest-digest"),
        "{}",
        run.stdout
    );
    let n = log_files(dir.path()).len();
    assert!(
        run.stderr
            .contains(&format!("verified {n} of {n} log files")),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("no problems found"), "{}", run.stderr);

    // Without the keys, no signature can be checked: that is a failure.
    let logs = dir.path().join("c/AWSLogs");
    let run = trailwatch(
        &["verify", "--format", "jsonl", logs.to_str().unwrap()],
        None,
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(serious(&run)
        .iter()
        .all(|p| kind(p) == "unknown-public-key"));
    assert!(
        run.stderr.contains("no --public-keys given"),
        "{}",
        run.stderr
    );
}

#[test]
fn tampering_on_disk_fails_with_one_problem_each() {
    let dir = corpus();
    let files = log_files(dir.path());
    let root = dir.path().join("c");
    std::fs::remove_file(root.join(&files[0])).unwrap();
    let run = verify_dir(dir.path(), &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let bad = serious(&run);
    assert_eq!(bad.len(), 1, "{}", run.stdout);
    let p = &bad[0];
    assert_eq!(kind(p), "missing-log-file");
    assert_eq!(p["path"], format!("s3://trail-bucket-example/{}", files[0]));
    assert!(p["digest"].as_str().unwrap().contains("CloudTrail-Digest"));
    let place = place(&files[0]).unwrap();
    assert_eq!(p["account"], place.account);
    assert_eq!(p["region"], place.region);
    for field in ["start", "end", "detail"] {
        assert!(p[field].is_string(), "{field}: {p}");
    }
    assert!(
        run.stderr.contains("PROBLEMS: missing-log-file 1"),
        "{}",
        run.stderr
    );

    // A gzip member appended to another log file.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(root.join(&files[1]))
        .unwrap();
    f.write_all(&trailwatch_gen::gzip(b"{\"Records\":[]}"))
        .unwrap();
    drop(f);
    let run = verify_dir(dir.path(), &[]);
    let kinds: Vec<String> = serious(&run).iter().map(|p| kind(p).to_owned()).collect();
    assert_eq!(kinds.len(), 2, "{}", run.stdout);
    assert!(kinds.contains(&"modified-log-file".to_owned()));

    // Filters: another account sees nothing wrong; so does a date range
    // that leaves both files out.
    let run = verify_dir(dir.path(), &["--account", "999999999999"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{}", run.stderr);
    let day = |f: &str| {
        let t = log_delivery(f.rsplit('/').next().unwrap()).unwrap();
        trailwatch_evidence::time::iso(t)[..10].to_owned()
    };
    let later: Vec<&String> = files
        .iter()
        .filter(|f| day(f) > day(&files[0]).max(day(&files[1])))
        .collect();
    if let Some(f) = later.first() {
        let d = day(f);
        let run = verify_dir(dir.path(), &["--since", &d, "--until", &d]);
        assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    }
    let d = day(&files[0]);
    let run = verify_dir(dir.path(), &["--since", &d, "--until", &d]);
    assert_eq!(run.code, 1, "{}", run.stderr);
}

#[test]
fn usage_and_read_errors_exit_2() {
    let run = trailwatch(&["verify", "no/such/dir"], None);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("no/such/dir"), "{}", run.stderr);
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys.json");
    std::fs::write(
        &keys,
        "{\"PublicKeyList\": [{\"Value\": \"AAAA\", \"Fingerprint\": \"00\"}]}",
    )
    .unwrap();
    let run = trailwatch(
        &[
            "verify",
            "--public-keys",
            keys.to_str().unwrap(),
            "fixtures/logs",
        ],
        None,
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("not the MD5"), "{}", run.stderr);
    let run = trailwatch(
        &[
            "verify",
            "--since",
            "2024-02-02",
            "--until",
            "2024-02-01",
            "fixtures/logs",
        ],
        None,
    );
    assert_eq!(run.code, 2);
}

/// The fixtures' own digests are unsigned stand-ins: their hashes are right
/// (no log file is missing, modified or unlisted) but nothing is signed.
#[test]
fn the_shipped_fixture_digests_list_true_hashes_but_are_unsigned() {
    let run = trailwatch(&["verify", "--format", "jsonl", "fixtures/logs"], None);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let bad = serious(&run);
    assert!(bad.iter().any(|p| kind(p) == "unknown-public-key"));
    for p in &bad {
        assert!(
            !matches!(
                kind(p),
                "missing-log-file" | "modified-log-file" | "unlisted-log-file"
            ),
            "{p}"
        );
    }
}

/// Copies the fixtures' log files (not their stand-in digests) and signs a
/// digest chain for them, one segment per account, region and day.
fn signed_fixtures(out: &Path) -> PathBuf {
    common::copy_fixture_logs(out);
    let keys = out.join("keys.json");
    common::sign_chains(out, &keys);
    keys
}

#[test]
fn the_fixtures_with_a_generated_signed_chain_verify_clean() {
    let dir = tempfile::tempdir().unwrap();
    let keys = signed_fixtures(dir.path());
    let run = trailwatch(
        &[
            "verify",
            "--format",
            "jsonl",
            "--public-keys",
            keys.to_str().unwrap(),
            dir.path().to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        problems(&run)
            .iter()
            .all(|p| kind(p) == "unverifiable-newest-digest"),
        "{}",
        run.stdout
    );
    assert!(run.stderr.contains("no problems found"), "{}", run.stderr);
}

async fn upload(s3: &aws_sdk_s3::Client, root: &Path) -> Vec<String> {
    s3.create_bucket().bucket(BUCKET).send().await.unwrap();
    let signatures: BTreeMap<String, String> =
        std::fs::read_to_string(root.join("digest-signatures.jsonl"))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .map(|v| {
                (
                    v["key"].as_str().unwrap().to_owned(),
                    v["signature"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
    let mut digests = Vec::new();
    for file in files_under(&root.join("AWSLogs")) {
        let key = file
            .strip_prefix(root)
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        let mut put = s3.put_object().bucket(BUCKET).key(&key).body(
            aws_sdk_s3::primitives::ByteStream::from(std::fs::read(&file).unwrap()),
        );
        if let Some(sig) = signatures.get(&key) {
            put = put
                .metadata("signature", sig)
                .metadata("signature-algorithm", "SHA256withRSA");
            digests.push(key);
        }
        put.send().await.unwrap();
    }
    assert_eq!(digests.len(), signatures.len());
    digests
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_s3_archive_verifies_its_newest_digests_from_metadata() {
    let dir = corpus();
    let root = dir.path().join("c");
    let moto = MotoServer::start();
    let config = moto.sdk_config().await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    let digests = upload(&s3, &root).await;
    let keys = root.join("public-keys.json");
    let uri = format!("s3://{BUCKET}/AWSLogs/");
    let args = [
        "verify",
        "--format",
        "jsonl",
        "--public-keys",
        keys.to_str().unwrap(),
        uri.as_str(),
    ];
    let run = tokio::task::block_in_place(|| trailwatch(&args, Some(&moto)));
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{}", run.stderr);
    let summary = format!(
        "against {n} digests, {n} signatures valid",
        n = digests.len()
    );
    assert!(run.stderr.contains(&summary), "{}", run.stderr);

    // Delete a digest that has a successor: one gap, nothing else.
    let mut by_chain: BTreeMap<String, Vec<&String>> = BTreeMap::new();
    for d in &digests {
        let day = d.rsplit('/').nth(1).unwrap();
        let chain = d
            .split("/CloudTrail-Digest/")
            .nth(1)
            .unwrap()
            .split('/')
            .next()
            .unwrap();
        by_chain
            .entry(format!(
                "{}{chain}{day}",
                d.split("/CloudTrail-Digest/").next().unwrap()
            ))
            .or_default()
            .push(d);
    }
    let long = by_chain
        .values()
        .find(|v| v.len() >= 3)
        .expect("a day with three digests");
    let mut sorted = long.clone();
    sorted.sort();
    let victim = sorted[1].clone();
    s3.delete_object()
        .bucket(BUCKET)
        .key(&victim)
        .send()
        .await
        .unwrap();
    let run = tokio::task::block_in_place(|| trailwatch(&args, Some(&moto)));
    assert_eq!(run.code, 1, "{}", run.stderr);
    let all = problems(&run);
    assert_eq!(all.len(), 1, "{}", run.stdout);
    assert_eq!(kind(&all[0]), "digest-gap");
    assert_eq!(
        all[0]["path"],
        format!("s3://trail-bucket-example/{victim}")
    );
    assert_eq!(all[0]["digest"], format!("s3://{BUCKET}/{}", sorted[2]));

    // Filters prune the listing; the gap is seen in its region and days only.
    let region = place(&victim).unwrap().region.to_owned();
    let other = if region == "us-east-1" {
        "eu-west-1"
    } else {
        "us-east-1"
    };
    let day: Vec<&str> = victim.split('/').collect();
    let at = day.iter().position(|p| *p == region).unwrap();
    let date = format!("{}-{}-{}", day[at + 1], day[at + 2], day[at + 3]);
    let base = [
        "verify",
        "--format",
        "jsonl",
        "--public-keys",
        keys.to_str().unwrap(),
        uri.as_str(),
    ];
    for (extra, code) in [
        (vec!["--region", other], 0),
        (
            vec![
                "--region",
                region.as_str(),
                "--since",
                date.as_str(),
                "--until",
                date.as_str(),
            ],
            1,
        ),
        (vec!["--since", "2019-01-01", "--until", "2019-01-02"], 0),
    ] {
        let args: Vec<&str> = base.iter().copied().chain(extra.iter().copied()).collect();
        let run = tokio::task::block_in_place(|| trailwatch(&args, Some(&moto)));
        assert_eq!(run.code, code, "{extra:?}: {}\n{}", run.stdout, run.stderr);
        if code == 0 {
            assert!(serious(&run).is_empty(), "{extra:?}: {}", run.stdout);
        }
    }
}

/// A stand-in for the CloudTrail API on loopback: answers each
/// ListPublicKeys with `body` (at most 50 requests, then it stops) and
/// counts them.
fn cloudtrail_stub(body: String) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(50) {
            let Ok(mut stream) = stream else { break };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let Ok(Some(request)) = read_message(&mut reader, false) else {
                continue;
            };
            let target = request
                .header("x-amz-target")
                .unwrap_or_default()
                .to_owned();
            if target.ends_with("CloudTrail_20131101.ListPublicKeys") {
                counted.fetch_add(1, Ordering::SeqCst);
                let _ = respond(
                    &mut stream,
                    "200 OK",
                    "application/x-amz-json-1.1",
                    body.as_bytes(),
                );
            } else {
                let error = format!(
                    "{{\"__type\":\"UnknownOperationException\",\"message\":\"{target}\"}}"
                );
                let _ = respond(
                    &mut stream,
                    "400 Bad Request",
                    "application/x-amz-json-1.1",
                    error.as_bytes(),
                );
            }
        }
    });
    (url, calls)
}

#[test]
fn public_keys_come_from_the_cloudtrail_api_when_asked() {
    let dir = corpus();
    let root = dir.path().join("c");
    // The API's wire form: the key blob in base64, times as epoch seconds.
    let saved: Value =
        serde_json::from_slice(&std::fs::read(root.join("public-keys.json")).unwrap()).unwrap();
    let epoch = |v: &Value| trailwatch_evidence::time::parse_iso(v.as_str().unwrap()).unwrap();
    let list: Vec<Value> = saved["PublicKeyList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            serde_json::json!({
                "Value": k["Value"],
                "ValidityStartTime": epoch(&k["ValidityStartTime"]),
                "ValidityEndTime": epoch(&k["ValidityEndTime"]),
                "Fingerprint": k["Fingerprint"],
            })
        })
        .collect();
    let (url, calls) = cloudtrail_stub(serde_json::json!({ "PublicKeyList": list }).to_string());
    let logs = root.join("AWSLogs");
    let args = [
        "verify",
        "--format",
        "jsonl",
        "--fetch-public-keys",
        logs.to_str().unwrap(),
    ];
    let run = trailwatch_at(&args, Some(&url), &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        problems(&run)
            .iter()
            .all(|p| kind(p) == "unverifiable-newest-digest"),
        "{}",
        run.stdout
    );
    assert!(calls.load(Ordering::SeqCst) >= 1);

    // Unreachable: a warning, and the signatures stay unchecked.
    let run = trailwatch_at(
        &args,
        Some("http://127.0.0.1:1"),
        &[("AWS_MAX_ATTEMPTS", "1")],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("warning: CloudTrail ListPublicKeys in"),
        "{}",
        run.stderr
    );
    assert!(serious(&run)
        .iter()
        .all(|p| kind(p) == "unknown-public-key"));
}
