//! `s3://bucket/prefix` inputs: the archive is listed one key level at a
//! time down to each region, pruning accounts and regions by the layout;
//! inside a region, a single ordered listing starts at `--since` and stops
//! after `--until`, so a date range costs only the listing of that range.

use std::path::Path;
use std::sync::atomic::Ordering;

use crossbeam_channel::Sender;
use tokio::runtime::Handle;
use trailwatch_aws::{list_level, list_objects_from, FetchError, S3Client};

use crate::discover::{side_file_kind, wanted, Filter, Item, Skipped};

/// The S3 client and the runtime it runs on.
#[derive(Clone, Debug)]
pub struct S3Access {
    /// Runtime for the SDK's async calls, driven from worker threads.
    pub runtime: Handle,
    /// The client, built once.
    pub client: S3Client,
}

/// Splits `s3://bucket/prefix` into bucket and prefix.
pub fn parse_uri(uri: &str) -> Option<(&str, &str)> {
    let rest = uri.strip_prefix("s3://")?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    (!bucket.is_empty()).then_some((bucket, prefix))
}

/// Sends every log object under `uri` to `out`. Returns false when the
/// receiver is gone.
pub fn discover_s3(
    access: &S3Access,
    uri: &str,
    filter: &Filter,
    skipped: &Skipped,
    out: &Sender<Item>,
) -> bool {
    let Some((bucket, prefix)) = parse_uri(uri) else {
        let error = std::io::Error::other("not of the form s3://bucket/prefix");
        return out.send(Item::Unreadable(uri.to_owned(), error)).is_ok();
    };
    let walker = Walker {
        access,
        bucket,
        filter,
        skipped,
        out,
    };
    access.runtime.block_on(walker.walk(prefix.to_owned()))
}

struct Walker<'a> {
    access: &'a S3Access,
    bucket: &'a str,
    filter: &'a Filter,
    skipped: &'a Skipped,
    out: &'a Sender<Item>,
}

impl Walker<'_> {
    fn send(&self, item: Item) -> bool {
        self.out.send(item).is_ok()
    }

    fn offer(&self, key: &str) -> bool {
        !wanted(Path::new(key), self.filter, self.skipped, false)
            || self.send(Item::S3 {
                bucket: self.bucket.to_owned(),
                key: key.to_owned(),
            })
    }

    fn unreadable(&self, prefix: &str, error: FetchError) -> bool {
        let uri = format!("s3://{}/{prefix}", self.bucket);
        self.send(Item::Unreadable(uri, std::io::Error::other(error.reason())))
    }

    async fn walk(&self, prefix: String) -> bool {
        let level = match list_level(&self.access.client, self.bucket, &prefix).await {
            Ok(level) => level,
            Err(e) => return self.unreadable(&prefix, e),
        };
        for (key, _) in &level.objects {
            if !self.offer(key) {
                return false;
            }
        }
        for sub in level.prefixes {
            let path = Path::new(&sub);
            if side_file_kind(path).is_some() {
                self.skipped.side_prefixes.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            if !self.filter.may_contain(path) {
                self.skipped.pruned.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            let alive = if is_region_level(&sub) {
                self.list_region(&sub).await
            } else {
                Box::pin(self.walk(sub)).await
            };
            if !alive {
                return false;
            }
        }
        true
    }

    /// Lists `.../CloudTrail/<region>/` in key order from `--since` to `--until`.
    async fn list_region(&self, prefix: &str) -> bool {
        let start_after = self
            .filter
            .since
            .map(|d| format!("{prefix}{}/", d.to_string().replace('-', "/")));
        let until = self
            .filter
            .until
            .map(|d| format!("{prefix}{}/\u{10FFFF}", d.to_string().replace('-', "/")));
        let mut alive = true;
        let listed = list_objects_from(
            &self.access.client,
            self.bucket,
            prefix,
            start_after.as_deref(),
            |key, _| {
                if until.as_deref().is_some_and(|u| key > u) {
                    return false;
                }
                alive = self.offer(key);
                alive
            },
        )
        .await;
        match listed {
            Ok(()) => alive,
            Err(e) => self.unreadable(prefix, e),
        }
    }
}

/// True for a prefix ending `CloudTrail/<region>/`.
fn is_region_level(prefix: &str) -> bool {
    let parts: Vec<&str> = prefix.trim_end_matches('/').split('/').collect();
    parts.len() >= 2 && parts[parts.len() - 2] == "CloudTrail"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_uris_and_levels() {
        assert_eq!(
            parse_uri("s3://trail/AWSLogs/"),
            Some(("trail", "AWSLogs/"))
        );
        assert_eq!(parse_uri("s3://trail"), Some(("trail", "")));
        assert_eq!(parse_uri("s3:///x"), None);
        assert!(is_region_level(
            "p/AWSLogs/111122223333/CloudTrail/us-east-1/"
        ));
        assert!(!is_region_level("p/AWSLogs/111122223333/CloudTrail/"));
        assert!(!is_region_level(
            "p/AWSLogs/111122223333/CloudTrail/us-east-1/2024/"
        ));
    }
}
