//! Every tampering of a signed archive is reported exactly once, with the
//! right problem, and nothing else is; a clean archive verifies.

mod common;

use common::{build, public_keys, Archive, Tamper, ROOT};
use trailwatch_evidence::{verify, Evidence, Options, Problem, ProblemKind, Report};
use trailwatch_gen::time::ts;

fn run(archive: &Archive, metadata: bool) -> Report {
    let options = Options {
        jobs: 2,
        scope: None,
    };
    verify(archive.inputs(metadata), &public_keys(), &options)
}

fn show(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("{} {} ({})", p.kind, p.path, p.detail))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Verifies as from S3 (every digest with its metadata signature), so that a
/// clean archive has no problem at all, and returns the single problem.
fn only_problem(tamper: Tamper) -> Problem {
    let archive = build(tamper);
    let report = run(&archive, true);
    assert!(report.read_errors.is_empty(), "{:?}", report.read_errors);
    assert_eq!(
        report.problems.len(),
        1,
        "{tamper:?}:\n{}",
        show(&report.problems)
    );
    report.problems[0].clone()
}

#[test]
fn a_clean_archive_verifies() {
    let archive = build(Tamper::None);
    let report = run(&archive, true);
    assert!(report.problems.is_empty(), "{}", show(&report.problems));
    assert_eq!(report.stats.log_files, 9);
    assert_eq!(report.stats.logs_verified, 9);
    assert_eq!(report.stats.digests, 8);
    assert_eq!(report.stats.digests_signed, 8);
    assert_eq!(report.stats.chain_starts, 2);
    assert!(report.stats.log_bytes_uncompressed > report.stats.log_bytes / 2);
    // Windows off the clock hour, two of them empty, one across midnight
    // and the month end, filed under the day it ends.
    assert!(
        archive.digests[3].contains("/2024/02/01/")
            && archive.digests[3].ends_with("_20240201T004713Z.json.gz")
    );
    assert!(!report.has_problems());
    // Empty windows are digests too, and the key rotation uses both keys,
    // the old one inside the overlap of their validity.
    let json = |i: usize| {
        let gz = &archive
            .files
            .iter()
            .find(|f| f.0 == archive.digests[i])
            .unwrap()
            .1;
        trailwatch_evidence::digest::parse(gz).unwrap()
    };
    assert!(json(2).logs.is_empty() && json(4).logs.is_empty() && json(2).newest.is_none());
    let keys = common::keys();
    assert!(json(2).end > keys.k2.valid_from && json(2).fingerprint == keys.k1.fingerprint);
    assert_eq!(json(3).fingerprint, keys.k2.fingerprint);
    assert_ne!(json(0).start % 3600, 0, "off the clock hour");
}

#[test]
fn offline_the_newest_digest_of_each_segment_is_unverifiable() {
    let archive = build(Tamper::None);
    let report = run(&archive, false);
    let kinds: Vec<_> = report
        .problems
        .iter()
        .map(|p| (p.kind, p.path.as_str()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (
                ProblemKind::UnverifiableNewestDigest,
                archive.digests[5].as_str()
            ),
            (
                ProblemKind::UnverifiableNewestDigest,
                archive.digests[7].as_str()
            ),
        ],
        "{}",
        show(&report.problems)
    );
    assert_eq!(report.stats.digests_signed, 6);
    assert!(!report.has_problems(), "informational only");
}

#[test]
fn a_deleted_log_file_is_missing() {
    let p = only_problem(Tamper::DeleteLog(4));
    let archive = build(Tamper::None);
    assert_eq!(p.kind, ProblemKind::MissingLogFile);
    assert_eq!(
        p.path,
        format!(
            "s3://trail-bucket/{}",
            archive.logs[4].strip_prefix(ROOT).unwrap()
        )
    );
    assert_eq!(p.digest.as_deref(), Some(archive.digests[3].as_str()));
    assert_eq!(
        (p.account.as_deref(), p.region.as_deref()),
        (Some("111122223333"), Some("us-east-2"))
    );
    assert_eq!(p.start, Some(ts(2024, 2, 1, 0, 0)));
}

#[test]
fn a_changed_byte_is_a_modified_log_file() {
    let archive = build(Tamper::None);
    for tamper in [
        Tamper::EditLog(2),
        Tamper::FlipGzipByte(2),
        Tamper::AppendMember(2),
    ] {
        let p = only_problem(tamper);
        assert_eq!(p.kind, ProblemKind::ModifiedLogFile, "{tamper:?}");
        assert_eq!(p.path, archive.logs[2], "{tamper:?}");
        assert_eq!(p.digest.as_deref(), Some(archive.digests[1].as_str()));
    }
    assert!(only_problem(Tamper::AppendMember(0))
        .detail
        .contains("after the end of the gzip stream"));
}

#[test]
fn an_added_file_is_unlisted() {
    let p = only_problem(Tamper::AddLog);
    let archive = build(Tamper::None);
    assert_eq!(p.kind, ProblemKind::UnlistedLogFile);
    assert!(p.path.contains("20240131T2220Z"), "{}", p.path);
    assert_eq!(p.digest.as_deref(), Some(archive.digests[1].as_str()));
}

#[test]
fn a_dropped_digest_is_one_gap() {
    let archive = build(Tamper::None);
    for i in [2, 3] {
        let p = only_problem(Tamper::DropDigest(i));
        assert_eq!(p.kind, ProblemKind::DigestGap);
        assert_eq!(
            p.path,
            format!(
                "s3://trail-bucket/{}",
                archive.digests[i].strip_prefix(ROOT).unwrap()
            )
        );
        assert_eq!(p.digest.as_deref(), Some(archive.digests[i + 1].as_str()));
    }
    // The oldest digest naming a predecessor outside the copy is no problem,
    // and neither is the first digest after a restart.
    let report = run(&build(Tamper::DropDigest(0)), true);
    assert!(report.problems.is_empty(), "{}", show(&report.problems));
}

#[test]
fn a_changed_digest_has_a_bad_signature() {
    let archive = build(Tamper::None);
    let p = only_problem(Tamper::ChangeDigest(3));
    assert_eq!(p.kind, ProblemKind::BadSignature);
    assert_eq!(p.path, archive.digests[3]);
    assert_eq!(p.digest.as_deref(), Some(archive.digests[4].as_str()));
}

#[test]
fn signatures_must_match_the_named_key_within_its_validity() {
    let archive = build(Tamper::None);
    for tamper in [Tamper::WrongSignature(1), Tamper::ExpiredKey(5)] {
        let p = only_problem(tamper);
        assert_eq!(p.kind, ProblemKind::BadSignature, "{tamper:?}");
    }
    let p = only_problem(Tamper::ExpiredKey(5));
    assert_eq!(p.path, archive.digests[5]);
    assert!(p.detail.contains("valid from"), "{}", p.detail);
    let p = only_problem(Tamper::UnlistedKey(1));
    assert_eq!(p.kind, ProblemKind::UnknownPublicKey);
    assert_eq!(p.path, archive.digests[1]);
}

#[test]
fn a_wrong_previous_hash_breaks_the_chain_once() {
    let archive = build(Tamper::None);
    let p = only_problem(Tamper::BreakPreviousHash(4));
    assert_eq!(p.kind, ProblemKind::BrokenChain);
    assert_eq!(p.path, archive.digests[4]);
}

#[test]
fn late_and_uncovered_log_files() {
    let mut archive = build(Tamper::None);
    for (t, i) in [(ts(2024, 2, 1, 7, 30), 50), (ts(2024, 2, 1, 3, 30), 51)] {
        let key = common::log_key(t, i);
        archive.files.push((
            format!("{ROOT}{key}"),
            common::gzip(common::log_json(t, i).as_bytes()),
            None,
        ));
    }
    let report = run(&archive, true);
    assert_eq!(report.problems.len(), 1, "{}", show(&report.problems));
    assert_eq!(report.problems[0].kind, ProblemKind::NotYetDigested);
    assert!(report.problems[0].path.contains("20240201T0730Z"));
    assert!(!report.has_problems());
    assert_eq!(report.stats.logs_uncovered, 1);
}

#[test]
fn windows_can_be_judged_by_their_evidence() {
    let clean = run(&build(Tamper::None), true);
    let (a, r) = ("111122223333", Some("us-east-2"));
    assert_eq!(
        clean.evidence(a, r, ts(2024, 1, 31, 21, 0), ts(2024, 2, 1, 2, 0)),
        Evidence::Verified
    );
    assert_eq!(
        clean.evidence(a, None, ts(2024, 2, 1, 3, 0), ts(2024, 2, 1, 4, 0)),
        Evidence::NoDigests
    );
    assert_eq!(
        clean.evidence(
            "999999999999",
            r,
            ts(2024, 2, 1, 0, 0),
            ts(2024, 2, 1, 1, 0)
        ),
        Evidence::NoDigests
    );
    let broken = run(&build(Tamper::DeleteLog(4)), true);
    match broken.evidence(a, r, ts(2024, 1, 31, 23, 0), ts(2024, 2, 1, 1, 0)) {
        Evidence::Problems(p) => assert_eq!(p[0].kind, ProblemKind::MissingLogFile),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        broken.evidence(a, r, ts(2024, 2, 1, 5, 10), ts(2024, 2, 1, 6, 0)),
        Evidence::Verified
    );
    // A scope keeps only the problems that overlap it.
    let options = Options {
        jobs: 1,
        scope: Some((ts(2024, 2, 1, 5, 0), ts(2024, 2, 1, 8, 0))),
    };
    let scoped = verify(
        build(Tamper::DeleteLog(4)).inputs(true),
        &public_keys(),
        &options,
    );
    assert!(scoped.problems.is_empty(), "{}", show(&scoped.problems));
}

#[test]
fn a_gunzipped_copy_of_a_log_file_still_verifies() {
    let mut archive = build(Tamper::None);
    let path = archive.logs[3].clone();
    let json = common::log_json(common::deliveries()[3], 3);
    archive.files.retain(|f| f.0 != path);
    let plain = path.strip_suffix(".gz").unwrap().to_owned();
    archive
        .files
        .push((plain.clone(), json.clone().into_bytes(), None));
    let report = run(&archive, true);
    assert!(report.problems.is_empty(), "{}", show(&report.problems));
    assert_eq!(report.stats.logs_verified, 9);
    archive.replace(&plain, json.replace("GetObject", "GetObjecT").into_bytes());
    let report = run(&archive, true);
    assert_eq!(report.problems.len(), 1, "{}", show(&report.problems));
    assert_eq!(report.problems[0].kind, ProblemKind::ModifiedLogFile);
    assert_eq!(report.problems[0].path, plain);
}
