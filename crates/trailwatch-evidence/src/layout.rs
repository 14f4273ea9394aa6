//! Where a file sits in CloudTrail's key layout, read from its path or key:
//! `[prefix/]AWSLogs/[o-xxx/]<account>/CloudTrail[-Digest]/<region>/YYYY/MM/DD/<name>`.
//!
//! Digests name S3 keys; a local copy holds the same keys under some root.
//! Files are matched on the key from its `AWSLogs/` component on, so a copy
//! made with `aws s3 sync s3://bucket/prefix/ dir/` matches whatever `dir` is.

use crate::time::parse_stamp;

/// The part of a path or key from its first `AWSLogs/` component on.
pub fn archive_key(path: &str) -> Option<&str> {
    let mut at = 0;
    while let Some(i) = path[at..].find("AWSLogs/") {
        let i = at + i;
        if i == 0 || path.as_bytes()[i - 1] == b'/' {
            return Some(&path[i..]);
        }
        at = i + 1;
    }
    None
}

/// What kind of CloudTrail file a key is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A log file under `CloudTrail/`.
    Log,
    /// A digest file under `CloudTrail-Digest/`.
    Digest,
}

/// What the layout says about one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place<'a> {
    /// `o-xxx` for an organization trail.
    pub org: Option<&'a str>,
    /// The 12-digit account.
    pub account: &'a str,
    /// Log or digest.
    pub kind: Kind,
    /// The region directory.
    pub region: &'a str,
    /// The file name.
    pub name: &'a str,
}

impl Place<'_> {
    /// Log files and digests of one account and region of one trail
    /// location share this string.
    pub fn location(&self) -> String {
        format!(
            "{}{}/{}",
            self.org.map(|o| format!("{o}/")).unwrap_or_default(),
            self.account,
            self.region
        )
    }
}

fn is_account(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Reads the layout of an archive key (see [`archive_key`]).
pub fn place(key: &str) -> Option<Place<'_>> {
    let mut parts = key.split('/');
    if parts.next()? != "AWSLogs" {
        return None;
    }
    let mut first = parts.next()?;
    let org = if first.starts_with("o-") {
        let o = first;
        first = parts.next()?;
        Some(o)
    } else {
        None
    };
    if !is_account(first) {
        return None;
    }
    let kind = match parts.next()? {
        "CloudTrail" => Kind::Log,
        "CloudTrail-Digest" => Kind::Digest,
        _ => return None,
    };
    let region = parts.next()?;
    let name = key.rsplit('/').next()?;
    Some(Place {
        org,
        account: first,
        kind,
        region,
        name,
    })
}

/// The delivery minute of a log file name,
/// `<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<unique>.json.gz`.
pub fn log_delivery(name: &str) -> Option<i64> {
    let mut fields = name.split('_');
    let (_, kind, _, stamp) = (
        fields.next()?,
        fields.next()?,
        fields.next()?,
        fields.next()?,
    );
    (kind == "CloudTrail").then(|| parse_stamp(stamp))?
}

/// What a digest file name says:
/// `<account>_CloudTrail-Digest_<region>_<trail>_<home region>_<YYYYMMDDTHHmmssZ>[_backfill].json.gz`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestName<'a> {
    /// `<trail>_<home region>`: with the location, identifies one chain.
    pub trail_home: &'a str,
    /// The end of the digest's window.
    pub end: i64,
    /// A backfill digest (late log files), outside the hourly chain.
    pub backfill: bool,
}

/// Parses a digest file name.
pub fn digest_name(name: &str) -> Option<DigestName<'_>> {
    let stem = name.strip_suffix(".json.gz")?;
    let (stem, backfill) = match stem.strip_suffix("_backfill") {
        Some(s) => (s, true),
        None => (stem, false),
    };
    let (account, rest) = stem.split_once('_')?;
    let rest = rest.strip_prefix("CloudTrail-Digest_")?;
    let (_region, rest) = rest.split_once('_')?;
    let (trail_home, stamp) = rest.rsplit_once('_')?;
    if !is_account(account) || trail_home.is_empty() {
        return None;
    }
    Some(DigestName {
        trail_home,
        end: parse_stamp(stamp)?,
        backfill,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_keys() {
        let k = "copy/prefix/AWSLogs/o-abc123/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/111122223333_CloudTrail-Digest_us-east-2_my_trail_us-east-1_20150817T150131Z.json.gz";
        let key = archive_key(k).unwrap();
        assert!(key.starts_with("AWSLogs/o-abc123/"));
        let p = place(key).unwrap();
        assert_eq!(
            (p.org, p.account, p.kind, p.region),
            (Some("o-abc123"), "111122223333", Kind::Digest, "us-east-2")
        );
        assert_eq!(p.location(), "o-abc123/111122223333/us-east-2");
        let d = digest_name(p.name).unwrap();
        assert_eq!(d.trail_home, "my_trail_us-east-1");
        assert!(!d.backfill);
        assert_eq!(archive_key("x/NotAWSLogs/1"), None);
        assert_eq!(
            log_delivery(
                "111122223333_CloudTrail_us-east-2_20150817T1445Z_9nYN7gp2eWAJHIfT.json.gz"
            ),
            crate::time::parse_iso("2015-08-17T14:45:00Z")
        );
        assert!(digest_name("111122223333_CloudTrail-Digest_us-east-2_t_us-east-2_20150817T150131Z_backfill.json.gz").unwrap().backfill);
    }
}
