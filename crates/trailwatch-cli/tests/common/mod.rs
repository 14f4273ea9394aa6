//! A signed digest chain over a copy of the fixtures' log files, for the
//! tests of `trailwatch verify` and `trailwatch timeline --verify`.

use std::collections::BTreeMap;
use std::path::Path;

use trailwatch_evidence::layout::{archive_key, log_delivery, place, Kind};
use trailwatch_gen::digest::{chain, public_keys_json, Signer, Trail};
use trailwatch_gen::time::ts;
use trailwatch_gen::DigestEntry;
use trailwatch_testkit::{files_under, workspace_root};

/// The bucket the copies' digests say they were delivered to.
pub const BUCKET: &str = "trail-copy";

/// Copies the fixtures' gzipped log files (not their stand-in digests, nor
/// the gunzipped one) under `out`, keeping their paths.
pub fn copy_fixture_logs(out: &Path) {
    let src = workspace_root().join("fixtures/logs");
    for file in files_under(&src) {
        let rel = file.strip_prefix(&src).unwrap().to_str().unwrap();
        let is_log = archive_key(rel)
            .and_then(place)
            .is_some_and(|p| p.kind == Kind::Log && rel.ends_with(".json.gz"));
        if is_log {
            let target = out.join(rel);
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::copy(&file, &target).unwrap();
        }
    }
}

/// Signs a digest chain for the gzipped log files under `out`: one segment
/// per account, region and delivery day, starting 1,337 s before the day's
/// first delivery, and one empty window after the last, so that every
/// window listing a file is vouched for by its successor (only that empty
/// newest digest is unverifiable offline), and writes the public key to
/// `keys` as `aws cloudtrail list-public-keys` prints it.
pub fn sign_chains(out: &Path, keys: &Path) {
    let signer = Signer::generate(ts(2015, 1, 1, 0, 0), ts(2030, 1, 1, 0, 0));
    let mut groups: BTreeMap<(String, i64), (Trail, Vec<DigestEntry>)> = BTreeMap::new();
    let mut hasher = trailwatch_evidence::Hasher::new();
    for file in files_under(out) {
        let rel = file.strip_prefix(out).unwrap().to_str().unwrap().to_owned();
        let Some(key) = archive_key(&rel) else {
            continue;
        };
        let Some(p) = place(key) else { continue };
        if p.kind != Kind::Log || !key.ends_with(".json.gz") {
            continue;
        }
        let Ok(hash) = hasher.hash_bytes(&std::fs::read(&file).unwrap()) else {
            continue;
        };
        let deliver = log_delivery(p.name).unwrap();
        let sha256: String = hash.sha256.iter().map(|b| format!("{b:02x}")).collect();
        let root_end = rel.len() - key.len();
        let root = format!(
            "{}{}",
            &rel[..root_end],
            key.split("/CloudTrail/").next().unwrap()
        );
        let trail = Trail {
            bucket: BUCKET.into(),
            root: root.trim_start_matches('/').to_owned(),
            account: p.account.into(),
            region: p.region.into(),
            name: "management-events".into(),
            home_region: "us-east-1".into(),
        };
        let group = groups
            .entry((p.location(), deliver.div_euclid(86_400)))
            .or_insert((trail, Vec::new()));
        group.1.push(DigestEntry {
            key: key.to_owned(),
            sha256,
            oldest: deliver - 600,
            newest: deliver - 60,
            deliver,
        });
    }
    assert!(groups.len() > 10);
    for (trail, entries) in groups.values() {
        let first = entries.iter().map(|e| e.deliver).min().unwrap();
        let mut digests = chain(trail, first - 1_337, entries, &[&signer], None);
        let last = digests.last().unwrap();
        let after = chain(trail, last.end, &[], &[&signer], Some(last.link()));
        digests.extend(after);
        for d in digests {
            let target = out.join(&d.key);
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::write(&target, trailwatch_gen::gzip(&d.json)).unwrap();
        }
    }
    std::fs::write(keys, public_keys_json(&[&signer], true)).unwrap();
}
