//! trailwatch-confirm asks S3 whether a finding's bucket is public *now*:
//! bucket policy, ACL, bucket and account Block Public Access, ownership
//! controls and `GetBucketPolicyStatus`, judged by the same core rules as
//! the records (EXPOSURE.md, "Confirming against the live bucket").
//!
//! Read-only: no object data is read and nothing is written. The check
//! never loses an alert: whatever fails (access denied, throttling past the
//! time budget, no role for another account) leaves the finding with the
//! record's verdict and `live_check.status = "unverifiable"` and the reason.

mod facts;
mod read;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::{Mutex, OnceCell, Semaphore};
use trailwatch_core::{Exposure, Finding, Kind, LiveCheck, LiveStatus};

use crate::facts::combine;
pub use crate::read::s3control_client;
use crate::read::{read_bucket, Clients};

/// How the live check runs.
#[derive(Debug, Clone)]
pub struct ConfirmSettings {
    /// `TRAILWATCH_CONFIRM_ROLE`: an ARN template with `{account}`, assumed
    /// for buckets in other accounts than the function's.
    pub role_template: Option<String>,
    /// `TRAILWATCH_CONFIRM_EXTERNAL_ID`: the external ID the role requires.
    pub external_id: Option<String>,
    /// The whole check of one log file's findings must finish within this;
    /// what has not is `unverifiable`.
    pub budget: Duration,
    /// Account-level changes: at most this many buckets are checked.
    pub max_buckets: usize,
    /// Account-level changes: this many buckets are checked at once.
    pub concurrency: usize,
}

impl Default for ConfirmSettings {
    fn default() -> Self {
        ConfirmSettings {
            role_template: None,
            external_id: None,
            budget: Duration::from_secs(20),
            max_buckets: 200,
            concurrency: 8,
        }
    }
}

/// The live checker: clients built once, assumed-role credentials cached
/// per account until they expire.
#[derive(Clone)]
pub struct Confirmer {
    inner: Arc<Inner>,
}

struct Inner {
    sdk: aws_config::SdkConfig,
    home: Clients,
    home_account: OnceCell<Result<String, String>>,
    settings: ConfirmSettings,
    assumed: Mutex<HashMap<String, (Clients, SystemTime)>>,
}

/// The kinds whose finding names a bucket the check can read.
fn bucket_kind(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::BucketAclPublic
            | Kind::ObjectAclPublic
            | Kind::BucketPolicyPublic
            | Kind::BucketBpaDisabled
            | Kind::BucketAclsEnabled
    )
}

/// Whether a finding is an account-level change whose account's buckets
/// the check lists: the account's own Block Public Access, or an
/// organization S3 policy detached from that account (the finding's
/// `account` is then the account it was detached from).
fn account_change(f: &Finding) -> bool {
    f.kind == Kind::AccountBpaDisabled
        || (f.kind == Kind::OrgBpaDisabled && f.event_name == "DetachPolicy")
}

/// What the check says of an organization-wide change: which accounts an
/// updated policy or a disabled policy type reaches is not in the logs,
/// and the check does not list an organization's accounts.
fn organization_wide(f: &Finding) -> LiveCheck {
    LiveCheck {
        status: LiveStatus::Unverifiable,
        checked_at: now_text(),
        checked: Vec::new(),
        detail: format!(
            "{} applies to every account under the policy's targets (or the whole organization): the logs do not say which accounts those are and the live check does not list them; the record's verdict stands (each member account's buckets are checked when their own findings fire, or with `trailwatch replay --confirm` over that account's logs)",
            f.event_name
        ),
    }
}

/// Account, bucket, region, and whether an object's ACL is in question.
type BucketKey = (String, String, String, bool);

fn bucket_key(f: &Finding, bucket: &str) -> BucketKey {
    (
        f.account.clone(),
        bucket.to_owned(),
        f.region.clone(),
        f.kind == Kind::ObjectAclPublic,
    )
}

fn now_text() -> String {
    aws_smithy_types::DateTime::from(SystemTime::now())
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
}

/// A bounded copy of text that comes from S3 answers or finding fields.
fn bounded(text: String, max: usize) -> String {
    if text.chars().count() <= max {
        text
    } else {
        let mut cut: String = text.chars().take(max - 3).collect();
        cut.push_str("...");
        cut
    }
}

impl Confirmer {
    /// Builds the function's own clients from `sdk` (once, at start).
    pub fn new(sdk: &aws_config::SdkConfig, settings: ConfirmSettings) -> Confirmer {
        let sdk = read::with_retries(sdk);
        Confirmer {
            inner: Arc::new(Inner {
                home: Clients::new(&sdk),
                sdk,
                home_account: OnceCell::new(),
                settings,
                assumed: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Checks every finding that names a bucket (each bucket once) or an
    /// account-level Block Public Access change, within the time budget,
    /// and sets `exposure` and `live_check` on them. Findings of other
    /// kinds, and refused attempts (`blocked`), are left as they are.
    pub async fn confirm_all(&self, findings: &mut [Finding]) {
        let budget = self.inner.settings.budget;
        let mut buckets: BTreeMap<BucketKey, Option<LiveCheck>> = BTreeMap::new();
        let mut accounts: BTreeMap<String, Option<LiveCheck>> = BTreeMap::new();
        for f in findings.iter().filter(|f| f.exposure != Exposure::Blocked) {
            match (f.kind, &f.bucket) {
                (k, Some(b)) if bucket_kind(k) => {
                    buckets.insert(bucket_key(f, b), None);
                }
                _ if account_change(f) => {
                    accounts.insert(f.account.clone(), None);
                }
                _ => {}
            }
        }
        for f in findings.iter_mut().filter(|f| {
            f.exposure != Exposure::Blocked && f.kind == Kind::OrgBpaDisabled && !account_change(f)
        }) {
            let check = organization_wide(f);
            apply(f, check);
        }
        if buckets.is_empty() && accounts.is_empty() {
            return;
        }
        let mut tasks = tokio::task::JoinSet::new();
        for key in buckets.keys().cloned() {
            let me = self.clone();
            tasks.spawn(async move {
                let (account, bucket, region, object) = &key;
                let check = me
                    .check_bucket(account, bucket, region, *object, false)
                    .await;
                (Some(key), None, check)
            });
        }
        for account in accounts.keys().cloned() {
            let me = self.clone();
            tasks.spawn(async move {
                let check = me.check_account(&account).await;
                (None, Some(account), check)
            });
        }
        let deadline = tokio::time::Instant::now() + budget;
        loop {
            match tokio::time::timeout_at(deadline, tasks.join_next()).await {
                Ok(Some(Ok((bucket, account, check)))) => {
                    if let Some(key) = bucket {
                        buckets.insert(key, Some(check));
                    } else if let Some(account) = account {
                        accounts.insert(account, Some(check));
                    }
                }
                Ok(Some(Err(e))) => tracing::error!(error = %e, "a live check failed to run"),
                Ok(None) => break,
                Err(_) => {
                    tasks.abort_all();
                    break;
                }
            }
        }
        let late = || {
            LiveCheck {
            status: LiveStatus::Unverifiable,
            checked_at: now_text(),
            checked: Vec::new(),
            detail: format!(
                "the live check did not finish within {}s (throttled or slow); the record's verdict stands",
                budget.as_secs()
            ),
        }
        };
        for f in findings
            .iter_mut()
            .filter(|f| f.exposure != Exposure::Blocked)
        {
            let check = match (f.kind, &f.bucket) {
                (k, Some(b)) if bucket_kind(k) => buckets.get(&bucket_key(f, b)).cloned().flatten(),
                _ if account_change(f) => accounts.get(&f.account).cloned().flatten(),
                _ => continue,
            };
            apply(f, check.unwrap_or_else(late));
        }
    }

    /// The clients for `account`: the function's own, or an assumed role's.
    async fn clients(&self, account: &str) -> Result<Clients, String> {
        let home = self
            .inner
            .home_account
            .get_or_init(|| async { read::caller_account(&self.inner.sdk).await })
            .await;
        match home {
            Ok(home) if home == account => return Ok(self.inner.home.clone()),
            Err(why) if self.inner.settings.role_template.is_none() => {
                return Err(format!("the function's own account is unknown ({why})"))
            }
            _ => {}
        }
        let Some(template) = &self.inner.settings.role_template else {
            return Err(format!(
                "the bucket is in account {account}, not the function's; set TRAILWATCH_CONFIRM_ROLE \
                 (e.g. arn:aws:iam::{{account}}:role/trailwatch-confirm) and deploy \
                 terraform/modules/trailwatch-confirm-role in that account to check it"
            ));
        };
        let mut cache = self.inner.assumed.lock().await;
        if let Some((clients, expires)) = cache.get(account) {
            if *expires > SystemTime::now() + Duration::from_secs(60) {
                return Ok(clients.clone());
            }
        }
        let role = template.replace("{account}", account);
        let (clients, expires) = read::assume(
            &self.inner.sdk,
            &role,
            self.inner.settings.external_id.as_deref(),
        )
        .await?;
        cache.insert(account.to_owned(), (clients.clone(), expires));
        Ok(clients)
    }

    /// The live check of one bucket.
    async fn check_bucket(
        &self,
        account: &str,
        bucket: &str,
        region: &str,
        object: bool,
        quiet: bool,
    ) -> LiveCheck {
        let checked_at = now_text();
        let clients = match self.clients(account).await {
            Ok(c) => c,
            Err(why) => {
                return LiveCheck {
                    status: LiveStatus::Unverifiable,
                    checked_at,
                    checked: Vec::new(),
                    detail: bounded(why, 1024),
                }
            }
        };
        let (mut facts, checked) = read_bucket(&clients, account, bucket, region).await;
        facts.object_acl = object;
        let (status, detail) = combine(&facts);
        if !quiet {
            tracing::info!(%account, %bucket, status = status.as_str(), %detail, "live check");
        }
        LiveCheck {
            status,
            checked_at,
            checked: checked.into_iter().map(|c| bounded(c, 512)).collect(),
            detail: bounded(detail, 2048),
        }
    }

    /// An account-level change: lists the account's buckets and checks
    /// each (bounded in number, concurrency and time), naming the ones left
    /// effectively public.
    async fn check_account(&self, account: &str) -> LiveCheck {
        let checked_at = now_text();
        let unverifiable = |detail: String| LiveCheck {
            status: LiveStatus::Unverifiable,
            checked_at: checked_at.clone(),
            checked: Vec::new(),
            detail: bounded(detail, 2048),
        };
        let clients = match self.clients(account).await {
            Ok(c) => c,
            Err(why) => return unverifiable(why),
        };
        let settings = &self.inner.settings;
        let (listed, total) = match read::list_buckets(&clients, settings.max_buckets).await {
            Ok(l) => l,
            Err(why) => return unverifiable(format!("ListBuckets: {why}")),
        };
        let limit = Arc::new(Semaphore::new(settings.concurrency.max(1)));
        let mut tasks = tokio::task::JoinSet::new();
        for (bucket, region) in listed.iter().cloned() {
            let me = self.clone();
            let limit = limit.clone();
            let account = account.to_owned();
            tasks.spawn(async move {
                let _permit = limit.acquire_owned().await;
                let check = me
                    .check_bucket(&account, &bucket, &region, false, true)
                    .await;
                (bucket, check.status)
            });
        }
        let mut by_status: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
        // Leave the file's budget some room for the bucket-scoped checks.
        let deadline = tokio::time::Instant::now() + settings.budget.mul_f32(0.9);
        let mut done = 0usize;
        loop {
            match tokio::time::timeout_at(deadline, tasks.join_next()).await {
                Ok(Some(Ok((bucket, status)))) => {
                    done += 1;
                    by_status.entry(status.as_str()).or_default().push(bucket);
                }
                Ok(Some(Err(_))) => {}
                Ok(None) => break,
                Err(_) => {
                    tasks.abort_all();
                    break;
                }
            }
        }
        let cut = total - done;
        let mut checked = vec![format!(
            "ListBuckets: {total} buckets, {done} checked{}",
            if cut > 0 {
                format!(", {cut} not checked (over the limit or the time budget)")
            } else {
                String::new()
            }
        )];
        for (status, names) in &mut by_status {
            names.sort();
            checked.push(bounded(format!("{status}: {}", names.join(", ")), 1024));
        }
        let public = by_status.get("effective").cloned().unwrap_or_default();
        let status = if !public.is_empty() {
            LiveStatus::Effective
        } else if by_status.contains_key("latent") {
            LiveStatus::Latent
        } else if cut == 0 && !by_status.contains_key("unverifiable") {
            LiveStatus::Closed
        } else {
            LiveStatus::Unverifiable
        };
        let detail = match status {
            LiveStatus::Effective => format!(
                "{} bucket(s) of account {account} are public now: {}",
                public.len(),
                public.join(", ")
            ),
            LiveStatus::Latent => format!(
                "no bucket of account {account} is public now; {} hold a neutralised public grant",
                by_status["latent"].join(", ")
            ),
            LiveStatus::Closed => format!("no bucket of account {account} is public now"),
            LiveStatus::Unverifiable => format!(
                "no bucket checked is public now, but {} could not be checked",
                cut + by_status.get("unverifiable").map_or(0, Vec::len)
            ),
        };
        LiveCheck {
            status,
            checked_at,
            checked,
            detail: bounded(detail, 2048),
        }
    }
}

/// Puts the live result on the finding: the verdict becomes the live one,
/// unless the check could not be made.
fn apply(f: &mut Finding, check: LiveCheck) {
    match check.status {
        LiveStatus::Effective => f.exposure = Exposure::Effective,
        LiveStatus::Latent => f.exposure = Exposure::Latent,
        LiveStatus::Closed => f.exposure = Exposure::Closed,
        LiveStatus::Unverifiable => {}
    }
    f.live_check = Some(check);
}
