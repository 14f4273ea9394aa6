//! The generator's ground truth and the core agree: every exposing scenario
//! yields exactly its finding kind, nothing else yields any exposure (a
//! failed scenario only `blocked` findings), and whole generated files give
//! exactly the truth.

use std::collections::BTreeSet;

use trailwatch_core::{detect_record, Exposure, Limits, Scanner};
use trailwatch_gen::{log_file, sample_records, Class};

#[test]
fn every_scenario_matches_its_truth() {
    let limits = Limits::default();
    for class in [
        Class::Exposing,
        Class::Harmless,
        Class::Failed,
        Class::Decoy,
        Class::Noise,
    ] {
        for (info, record) in sample_records(5, 300, class) {
            let all = detect_record(&record, "f", &limits).expect("valid JSON");
            // A refused call is a `blocked` finding, never an exposure.
            let (refused, found): (Vec<_>, Vec<_>) = all
                .into_iter()
                .partition(|f| f.exposure == Exposure::Blocked);
            assert!(refused.is_empty() || class == Class::Failed, "{class:?}");
            let kinds: Vec<&str> = found.iter().map(|f| f.kind.as_str()).collect();
            let want: Vec<&str> = info.kind.into_iter().collect();
            assert_eq!(kinds, want, "{}", String::from_utf8_lossy(&record));
            for f in &found {
                assert_eq!(f.event_id, info.event_id);
            }
        }
    }
}

#[test]
fn whole_files_match_their_truth() {
    let mut scanner = Scanner::new(Limits::default());
    let mut streaming = Scanner::new(Limits {
        whole_file_bytes: 0,
        ..Limits::default()
    });
    for index in 0..12 {
        let file = log_file(77, index);
        let gz = file.gzip();
        let truth: BTreeSet<(String, &str)> = file
            .records
            .iter()
            .filter_map(|r| r.kind.map(|k| (r.event_id.clone(), k)))
            .collect();
        for s in [&mut scanner, &mut streaming] {
            let scan = s.scan_bytes(&file.key, &gz);
            assert!(scan.error.is_none(), "{:?}", scan.error);
            assert_eq!(scan.stats.records, file.records.len() as u64);
            assert_eq!(scan.stats.json_bytes, file.json.len() as u64);
            let got: BTreeSet<(String, &str)> = scan
                .findings
                .iter()
                .filter(|f| f.exposure != Exposure::Blocked)
                .map(|f| (f.event_id.clone(), f.kind.as_str()))
                .collect();
            assert_eq!(got, truth, "{}", file.key);
        }
    }
}
