//! The published shapes in fixtures/digests/ parse (see its README for the
//! sources); the key fixtures also verify a signature made with OpenSSL.

use std::path::PathBuf;

use base64::Engine;
use trailwatch_evidence::digest::parse_json;
use trailwatch_evidence::keys::fingerprint;
use trailwatch_evidence::layout::{archive_key, digest_name, log_delivery, place};
use trailwatch_evidence::logfile::unhex;
use trailwatch_evidence::time::parse_iso;
use trailwatch_evidence::{PublicKey, PublicKeys};

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/digests")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn published_digest_shapes_parse() {
    for name in [
        "guide-sample.json",
        "guide-empty.json",
        "delivered-compact.json",
        "starting-org-trail.json",
    ] {
        let d = parse_json(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let key = archive_key(&d.object).unwrap();
        let p = place(key).unwrap_or_else(|| panic!("{name}: {key}"));
        assert_eq!(p.account, d.account, "{name}");
        let n = digest_name(p.name).unwrap_or_else(|| panic!("{name}: {}", p.name));
        assert_eq!(n.end, d.end, "{name}: the name carries the window's end");
        assert_eq!(d.end - d.start, 3600, "{name}");
        assert_eq!(d.algorithm, "SHA256withRSA");
        for l in &d.logs {
            assert!(
                log_delivery(l.object.rsplit('/').next().unwrap()).is_some(),
                "{}",
                l.object
            );
        }
        match name {
            "guide-empty.json" => {
                assert!(d.logs.is_empty() && d.newest.is_none() && d.previous.is_some())
            }
            "starting-org-trail.json" => {
                assert!(d.previous.is_none() && d.previous_signature.is_none());
                assert_eq!(p.org, Some("o-exampleorgid"));
                assert_eq!(n.trail_home, "org_trail_us-east-1");
                assert!(d.signing_string().ends_with("\nnull"));
            }
            "delivered-compact.json" => {
                assert_eq!(d.logs.len(), 5);
                // Named before the window opens, listed in it all the same.
                let early = d
                    .logs
                    .iter()
                    .map(|l| log_delivery(l.object.rsplit('/').next().unwrap()).unwrap())
                    .min()
                    .unwrap();
                assert!(
                    early < d.start && d.start - early < trailwatch_evidence::DELIVERY_LAG_SECONDS
                );
                assert_eq!(d.previous_signature.as_ref().unwrap().len(), 512);
            }
            _ => assert_eq!(d.logs.len(), 1),
        }
    }
}

#[test]
fn the_signing_string_is_the_guides() {
    let d = parse_json(&fixture("guide-sample.json")).unwrap();
    let s = d.signing_string();
    let lines: Vec<&str> = s.split('\n').collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0], "2015-08-17T15:01:31Z");
    assert_eq!(lines[1], format!("amzn-s3-demo-bucket/{}", d.object));
    assert_eq!(lines[2].len(), 64);
    assert_eq!(Some(lines[3]), d.previous_signature.as_deref());
}

#[test]
fn every_published_key_file_form_parses_and_fingerprints_are_md5_of_the_value() {
    let mut all = PublicKeys::new();
    let counts: Vec<usize> = [
        "list-public-keys-guide-shape.json",
        "list-public-keys-cli-v1.json",
        "list-public-keys-cli-v2.json",
    ]
    .iter()
    .map(|n| {
        all.add_file(&fixture(n))
            .unwrap_or_else(|e| panic!("{n}: {e}"))
    })
    .collect();
    assert_eq!(counts, vec![3, 1, 1]);
    assert_eq!(
        all.len(),
        3,
        "the CLI files repeat two keys of the guide-shaped file"
    );
    let v2: serde_json::Value =
        serde_json::from_slice(&fixture("list-public-keys-cli-v2.json")).unwrap();
    let entry = &v2["PublicKeyList"][0];
    let key = all.get(entry["Fingerprint"].as_str().unwrap()).unwrap();
    assert_eq!(key.valid_from, parse_iso("2024-06-01T11:05:09Z"));
    let der = base64::engine::general_purpose::STANDARD
        .decode(entry["Value"].as_str().unwrap())
        .unwrap();
    assert_eq!(fingerprint(&der), key.fingerprint);
    let v1: serde_json::Value =
        serde_json::from_slice(&fixture("list-public-keys-cli-v1.json")).unwrap();
    let key = all
        .get(v1["PublicKeyList"][0]["Fingerprint"].as_str().unwrap())
        .unwrap();
    assert_eq!(key.valid_from, Some(1_453_076_702));
}

#[test]
fn an_openssl_signature_verifies_with_both_key_forms() {
    let sig: serde_json::Value =
        serde_json::from_slice(&fixture("openssl-signature.json")).unwrap();
    let guide: serde_json::Value =
        serde_json::from_slice(&fixture("list-public-keys-guide-shape.json")).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD;
    let spki = b64
        .decode(guide["publicKeyList"][2]["Value"].as_str().unwrap())
        .unwrap();
    let pkcs1 = b64.decode(sig["pkcs1"].as_str().unwrap()).unwrap();
    assert_eq!(
        &spki[..4],
        &[0x30, 0x82, 0x01, 0x22],
        "X.509 SubjectPublicKeyInfo"
    );
    let message = sig["message"].as_str().unwrap().as_bytes();
    let signature = unhex(sig["signature"].as_str().unwrap()).unwrap();
    for der in [spki, pkcs1] {
        let key = PublicKey::from_der(der, None, None);
        assert!(key.verifies(message, &signature));
        assert!(!key.verifies(b"another message", &signature));
    }
}
