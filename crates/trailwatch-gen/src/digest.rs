//! Signed digest files for generated archives, as CloudTrail writes them
//! (user guide, "CloudTrail digest file structure": key layout, field
//! names and order follow its sample digest and its empty-digest sample),
//! and the matching `aws cloudtrail list-public-keys` output.
//!
//! - One chain per account, Region and trail: hourly windows of delivery
//!   time, each starting where the previous ended, off the clock hour
//!   (minutes and seconds as at the chain's start); a digest for every
//!   window, empty ones included (`logFiles: []`, event times null).
//! - A digest is filed under the date of its window's *end*, so a window
//!   crossing midnight or a month end lands in the next day's directory.
//! - The first digest of a chain (logging started) has the five
//!   `previousDigest*` fields null; each later one names the previous
//!   digest, its SHA-256 and its signature.
//! - Each digest is signed (RSASSA-PKCS1-v1_5, SHA-256) over the guide's
//!   data-signing string with the oldest key still valid at its end, so
//!   that key rotation with overlapping validity uses both keys.
//!
//! Keys are generated fresh (aws-lc-rs) for each archive: log files are the
//! same bytes for the same seed, digests and keys are not.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{KeyPair, RsaKeyPair, RSA_PKCS1_SHA256};
use base64::Engine;
use md5::{Digest as _, Md5};
use sha2::Sha256;

use crate::json::{self, Obj};
use crate::rng::Rng;
use crate::time::{iso, parts, ts};
use crate::{hex, write_file, DigestEntry, ORG_ID, TRAIL_BUCKET, TRAIL_NAME};

/// One signing key of the generated "CloudTrail", with its validity.
pub struct Signer {
    pair: RsaKeyPair,
    /// Hex MD5 of the DER public key, as CloudTrail fingerprints keys.
    pub fingerprint: String,
    /// PKCS#1 `RSAPublicKey` DER, as `list-public-keys` returns it (base64).
    pub public_der: Vec<u8>,
    /// Start of validity (Unix seconds).
    pub valid_from: i64,
    /// End of validity (Unix seconds).
    pub valid_to: i64,
}

impl Signer {
    /// A fresh 2048-bit RSA key valid from `valid_from` to `valid_to`.
    pub fn generate(valid_from: i64, valid_to: i64) -> Signer {
        let pair = RsaKeyPair::generate(KeySize::Rsa2048).expect("RSA key generation");
        let public_der = pair.public_key().as_ref().to_vec();
        Signer {
            fingerprint: hex(&Md5::digest(&public_der)),
            public_der,
            pair,
            valid_from,
            valid_to,
        }
    }

    /// Hex RSASSA-PKCS1-v1_5 SHA-256 signature of `message`.
    pub fn sign(&self, message: &[u8]) -> String {
        let mut sig = vec![0; self.pair.public_modulus_len()];
        self.pair
            .sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), message, &mut sig)
            .expect("RSA signing");
        hex(&sig)
    }

    /// This key as one `PublicKeyList` entry: AWS CLI v2 prints times as
    /// ISO 8601 (`2015-07-08T01:04:01+00:00`), v1 as epoch numbers.
    pub fn list_entry(&self, cli_v1: bool) -> String {
        let value = base64::engine::general_purpose::STANDARD.encode(&self.public_der);
        let time = |t: i64| {
            if cli_v1 {
                format!("{t}.0")
            } else {
                json::q(&iso(t).replace('Z', "+00:00"))
            }
        };
        Obj::new()
            .raw("ValidityStartTime", &time(self.valid_from))
            .raw("ValidityEndTime", &time(self.valid_to))
            .s("Value", &value)
            .s("Fingerprint", &self.fingerprint)
            .end()
    }
}

/// `aws cloudtrail list-public-keys` output listing `signers`.
pub fn public_keys_json(signers: &[&Signer], cli_v1: bool) -> String {
    let list = json::arr(signers.iter().map(|s| s.list_entry(cli_v1)));
    json::spaced(&Obj::new().raw("PublicKeyList", &list).end())
}

/// The oldest key still valid at `t` (the newest one if none is).
pub fn signer_at<'a>(signers: &[&'a Signer], t: i64) -> &'a Signer {
    signers
        .iter()
        .copied()
        .filter(|s| s.valid_from <= t && t <= s.valid_to)
        .min_by_key(|s| s.valid_to)
        .or_else(|| signers.iter().copied().max_by_key(|s| s.valid_to))
        .expect("at least one signer")
}

/// Where one trail delivers an account's digests for one Region.
#[derive(Debug, Clone)]
pub struct Trail {
    /// The trail bucket.
    pub bucket: String,
    /// `AWSLogs/<account>` or `AWSLogs/<o-id>/<account>`.
    pub root: String,
    /// The account.
    pub account: String,
    /// The Region delivered from.
    pub region: String,
    /// The trail's name.
    pub name: String,
    /// The trail's home Region.
    pub home_region: String,
}

impl Trail {
    /// The key of the digest whose window ends at `end`.
    pub fn digest_key(&self, end: i64) -> String {
        let (y, mo, d, h, mi, s) = parts(end);
        format!(
            "{root}/CloudTrail-Digest/{region}/{y:04}/{mo:02}/{d:02}/{acct}_CloudTrail-Digest_{region}_{name}_{home}_{y:04}{mo:02}{d:02}T{h:02}{mi:02}{s:02}Z.json.gz",
            root = self.root,
            region = self.region,
            acct = self.account,
            name = self.name,
            home = self.home_region,
        )
    }
}

/// The previous digest, as the next one names it.
#[derive(Debug, Clone)]
pub struct Link {
    /// Its key.
    pub key: String,
    /// Hex SHA-256 of its JSON.
    pub sha256: String,
    /// Its signature (hex).
    pub signature: String,
}

/// One digest written.
#[derive(Debug, Clone)]
pub struct Written {
    /// Its key.
    pub key: String,
    /// Its JSON (uncompressed).
    pub json: Vec<u8>,
    /// Its signature (hex): the next digest's `previousDigestSignature`,
    /// and its own `x-amz-meta-signature`.
    pub signature: String,
    /// Window start.
    pub start: i64,
    /// Window end.
    pub end: i64,
}

impl Written {
    /// How the next digest names this one.
    pub fn link(&self) -> Link {
        Link {
            key: self.key.clone(),
            sha256: hex(&Sha256::digest(&self.json)),
            signature: self.signature.clone(),
        }
    }
}

/// The JSON of one digest (field order of the guide's sample).
pub fn digest_json(
    trail: &Trail,
    window: (i64, i64),
    fingerprint: &str,
    previous: Option<&Link>,
    logs: &[&DigestEntry],
) -> String {
    let (start, end) = window;
    let files = json::arr(logs.iter().map(|e| {
        Obj::new()
            .s("s3Bucket", &trail.bucket)
            .s("s3Object", &e.key)
            .s("hashValue", &e.sha256)
            .s("hashAlgorithm", "SHA-256")
            .s("newestEventTime", &iso(e.newest))
            .s("oldestEventTime", &iso(e.oldest))
            .end()
    }));
    let mut o = Obj::new()
        .s("awsAccountId", &trail.account)
        .s("digestStartTime", &iso(start))
        .s("digestEndTime", &iso(end))
        .s("digestS3Bucket", &trail.bucket)
        .s("digestS3Object", &trail.digest_key(end))
        .s("digestPublicKeyFingerprint", fingerprint)
        .s("digestSignatureAlgorithm", "SHA256withRSA");
    o = match (
        logs.iter().map(|e| e.newest).max(),
        logs.iter().map(|e| e.oldest).min(),
    ) {
        (Some(n), Some(old)) => o
            .s("newestEventTime", &iso(n))
            .s("oldestEventTime", &iso(old)),
        _ => o.null("newestEventTime").null("oldestEventTime"),
    };
    o = match previous {
        Some(p) => o
            .s("previousDigestS3Bucket", &trail.bucket)
            .s("previousDigestS3Object", &p.key)
            .s("previousDigestHashValue", &p.sha256)
            .s("previousDigestHashAlgorithm", "SHA-256")
            .s("previousDigestSignature", &p.signature),
        None => o
            .null("previousDigestS3Bucket")
            .null("previousDigestS3Object")
            .null("previousDigestHashValue")
            .null("previousDigestHashAlgorithm")
            .null("previousDigestSignature"),
    };
    o.raw("logFiles", &files).end()
}

/// The guide's data-signing string: `digestEndTime`, `bucket/key`, hex
/// SHA-256 of the uncompressed digest, previous signature or `null`.
pub fn signing_string(
    trail: &Trail,
    end: i64,
    json: &[u8],
    previous_signature: Option<&str>,
) -> String {
    format!(
        "{}\n{}/{}\n{}\n{}",
        iso(end),
        trail.bucket,
        trail.digest_key(end),
        hex(&Sha256::digest(json)),
        previous_signature.unwrap_or("null")
    )
}

/// Hourly windows from `start` until one holds the whole minute of
/// `last_delivery` (log names have minute resolution).
pub fn windows(start: i64, last_delivery: i64) -> Vec<(i64, i64)> {
    let mut out = vec![(start, start + 3600)];
    while out.last().expect("one").1 <= last_delivery + 59 {
        let s = out.last().expect("one").1;
        out.push((s, s + 3600));
    }
    out
}

/// The digests of one chain segment starting at `start` (logging started
/// then, or continuing from `previous`), listing each entry in the window
/// that holds its delivery time, until the last entry's window.
pub fn chain(
    trail: &Trail,
    start: i64,
    entries: &[DigestEntry],
    signers: &[&Signer],
    previous: Option<Link>,
) -> Vec<Written> {
    let last = entries.iter().map(|e| e.deliver).max().unwrap_or(start);
    signed(trail, windows(start, last), entries, signers, previous)
}

/// A starting segment that runs on, empty windows included, until the
/// window holding `until`.
fn chain_until(
    trail: &Trail,
    start: i64,
    until: i64,
    entries: &[DigestEntry],
    signers: &[&Signer],
) -> Vec<Written> {
    signed(trail, windows(start, until), entries, signers, None)
}

fn signed(
    trail: &Trail,
    windows: Vec<(i64, i64)>,
    entries: &[DigestEntry],
    signers: &[&Signer],
    mut previous: Option<Link>,
) -> Vec<Written> {
    let mut out = Vec::new();
    for (s, e) in windows {
        let logs: Vec<&DigestEntry> = entries
            .iter()
            .filter(|x| s <= x.deliver && x.deliver < e)
            .collect();
        let signer = signer_at(signers, e);
        let text = digest_json(trail, (s, e), &signer.fingerprint, previous.as_ref(), &logs);
        let prev_sig = previous.as_ref().map(|p| p.signature.as_str());
        let signature = signer.sign(signing_string(trail, e, text.as_bytes(), prev_sig).as_bytes());
        let written = Written {
            key: trail.digest_key(e),
            json: text.into_bytes(),
            signature,
            start: s,
            end: e,
        };
        previous = Some(written.link());
        out.push(written);
    }
    out
}

/// Keys of a generated corpus: four, about two years each, each valid a
/// month into the next one's validity.
fn corpus_signers() -> Vec<Signer> {
    let first = ts(2019, 1, 1, 0, 0);
    let span = 730 * 86_400;
    (0..4)
        .map(|i| Signer::generate(first + i * span, first + (i + 1) * span + 30 * 86_400))
        .collect()
}

/// Log files of one account, Region and delivery day.
pub(crate) type DigestGroups = BTreeMap<(bool, &'static str, &'static str, i64), Vec<DigestEntry>>;

/// Writes the digests of a corpus: each group (account, Region, day) is one
/// chain segment, as when logging runs for a day (25 hourly windows, from
/// the evening before to past midnight). Also writes
/// `public-keys.json` (AWS CLI v2 form) and `digest-signatures.jsonl`
/// (`key`, `signature`: what S3 would hold as each digest's
/// `x-amz-meta-signature`, for uploading the corpus). Returns how many digests.
pub(crate) fn write_corpus(
    out: &Path,
    seed: u64,
    groups: DigestGroups,
    jobs: usize,
) -> io::Result<u64> {
    let owned = corpus_signers();
    let signers: Vec<&Signer> = owned.iter().collect();
    let groups: Vec<_> = groups.into_iter().enumerate().collect();
    let per = groups.len().div_ceil(jobs.max(1)).max(1);
    let written: Vec<Vec<Written>> = std::thread::scope(|scope| {
        let handles: Vec<_> = groups
            .chunks(per)
            .map(|chunk| {
                let signers = signers.as_slice();
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|(i, ((org, acct, region, _), entries))| {
                            // Logging runs the whole day: from the evening
                            // before (off the clock hour) past midnight.
                            let mut r = Rng::derive(seed, u64::MAX - *i as u64);
                            let day = entries
                                .iter()
                                .map(|e| e.deliver)
                                .min()
                                .unwrap_or(0)
                                .div_euclid(86_400)
                                * 86_400;
                            let start = day - r.range(2, 50) * 60 - r.range(1, 59);
                            let last = entries
                                .iter()
                                .map(|e| e.deliver)
                                .max()
                                .unwrap_or(day)
                                .max(day + 86_400 - 60);
                            let (root, name) = if *org {
                                (format!("AWSLogs/{ORG_ID}/{acct}"), "org-trail")
                            } else {
                                (format!("AWSLogs/{acct}"), TRAIL_NAME)
                            };
                            let trail = Trail {
                                bucket: TRAIL_BUCKET.into(),
                                root,
                                account: acct.to_string(),
                                region: region.to_string(),
                                name: name.into(),
                                home_region: "us-east-1".into(),
                            };
                            chain_until(&trail, start, last, entries, signers)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("digest thread"))
            .collect()
    });
    let mut count = 0;
    let mut signatures = String::new();
    for d in written.iter().flatten() {
        write_file(&out.join(&d.key), &crate::gzip(&d.json))?;
        let line = Obj::new()
            .s("key", &d.key)
            .s("signature", &d.signature)
            .end();
        signatures.push_str(&line);
        signatures.push('\n');
        count += 1;
    }
    std::fs::write(out.join("digest-signatures.jsonl"), signatures)?;
    std::fs::write(
        out.join("public-keys.json"),
        public_keys_json(&signers, false) + "\n",
    )?;
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_run_off_the_hour_and_cover_the_last_minute() {
        let start = ts(2024, 1, 31, 22, 17) + 41;
        let w = windows(start, ts(2024, 2, 1, 0, 17));
        assert_eq!(w.len(), 3);
        assert!(w.windows(2).all(|p| p[0].1 == p[1].0));
        assert!(w[2].1 > ts(2024, 2, 1, 0, 17) + 59);
        let t = Trail {
            bucket: "b".into(),
            root: "AWSLogs/111122223333".into(),
            account: "111122223333".into(),
            region: "us-east-2".into(),
            name: "t".into(),
            home_region: "us-east-1".into(),
        };
        assert_eq!(
            t.digest_key(w[2].1),
            "AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2024/02/01/111122223333_CloudTrail-Digest_us-east-2_t_us-east-1_20240201T011741Z.json.gz"
        );
    }
}
