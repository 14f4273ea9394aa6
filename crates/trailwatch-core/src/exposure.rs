//! Where "effective" is decided.
//!
//! `rules.rs` decides whether one call *grants* public access; this file
//! decides whether the resource *is* public afterwards, from when to when,
//! and how sure that is (`../shared/EXPOSURE.md`). Permission changes from
//! every file are folded in `eventTime` order (then `eventID`) into
//! three-valued facts per account and bucket: Block Public Access flags at
//! the organization, account and bucket level, whether ACLs take effect, and
//! the grants (bucket ACL, bucket policy, object ACLs, access point
//! policies). A grant is
//! - `latent` when a known setting neutralises it (IgnorePublicAcls or ACLs
//!   disabled for ACLs, RestrictPublicBuckets for policies, at any level);
//! - `effective` when every such setting is known to be off;
//! - `possible` otherwise, naming the facts never seen (`unknown_facts`).
//!
//! The organization level comes from Organizations' S3 policy calls
//! (`rules/organizations.rs` reads them, [`Timeline`] keeps each policy's
//! type, assignment and attachments; see `set_org`).
//!
//! Nothing is assumed about the time before the archive; what a successful
//! call proves is used (a public policy that succeeded proves
//! BlockPublicPolicy off at every level, and the organization level not
//! enforcing for that account, since that level is all or nothing). Memory
//! holds only permission state: object state is capped, with a count of
//! what the cap left out.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::access::{RequestLog, Requests};
use crate::change::{Change, Grant, What};
use crate::finding::{Exposure, Finding};
use crate::rules::organizations::is_account_id;

/// Objects whose ACL state is kept; past this, object ACL changes are
/// counted in [`Timeline::objects_over_cap`] and judged without state.
pub const MAX_TRACKED_OBJECTS: usize = 100_000;

/// A three-valued fact: a protection on, off, or never seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Fact {
    #[default]
    Unknown,
    On,
    Off,
}

impl Fact {
    fn of(on: bool) -> Fact {
        if on {
            Fact::On
        } else {
            Fact::Off
        }
    }
}

const BLOCK_PUBLIC_ACLS: usize = 0;
const IGNORE_PUBLIC_ACLS: usize = 1;
const BLOCK_PUBLIC_POLICY: usize = 2;
const RESTRICT_PUBLIC_BUCKETS: usize = 3;
const FLAG_NAMES: [&str; 4] = crate::rules::BPA_FLAGS;

/// The April 2023 change of defaults for new buckets.
const OLD_DEFAULTS_BEFORE: &str = "2023-04-01T00:00:00Z";
const NEW_DEFAULTS_FROM: &str = "2023-04-28T00:00:00Z";

/// A grant in force, with the event that set it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetBy {
    /// `eventID`.
    pub event_id: String,
    /// `eventName`.
    pub event_name: String,
    /// Who made the call.
    pub actor_arn: String,
    /// The log file it came from.
    pub log_file: String,
    /// When.
    #[serde(skip)]
    pub event_time: String,
}

impl SetBy {
    fn of(change: &Change) -> SetBy {
        SetBy {
            event_id: change.event_id.clone(),
            event_name: change.event_name.clone(),
            actor_arn: change.actor_arn.clone(),
            log_file: change.log_file.clone(),
            event_time: change.event_time.clone(),
        }
    }
}

/// What one grant slot (a bucket's ACL, its policy, an object's ACL) holds.
#[derive(Debug, Clone, Default)]
enum Slot {
    /// Never set in the archive.
    #[default]
    Unseen,
    /// Set to something not public.
    Private,
    /// Set to a public grant.
    Public(Grant, SetBy),
}

/// How a grant reaches the public: the `via` of a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Via {
    /// The bucket's ACL.
    BucketAcl,
    /// The bucket's policy.
    BucketPolicy,
    /// The object's ACL.
    ObjectAcl,
    /// The access point's policy.
    AccessPointPolicy,
    /// The Multi-Region Access Point's policy.
    MrapPolicy,
}

#[derive(Debug, Default)]
struct AccountState {
    bpa: [Fact; 4],
    /// Whether an organization S3 policy enforces Block Public Access.
    org: Fact,
}

/// An Organizations policy as the archive shows it.
#[derive(Debug, Default)]
struct OrgPolicyState {
    /// Whether it is an S3 policy (`None`: never shown).
    s3: Option<bool>,
    /// An S3 policy's assignment: on for `all`, off for `none`.
    enforces: Fact,
    /// Created in the archive, so every attachment since is in it too.
    complete: bool,
    /// The management account that manages it.
    management: String,
    /// Where the archive shows it attached (roots, OUs, accounts).
    targets: BTreeSet<String>,
}

#[derive(Debug, Default)]
struct BucketState {
    bpa: [Fact; 4],
    acls_enabled: Fact,
    acl: Slot,
    policy: Slot,
    objects: BTreeMap<String, Slot>,
}

/// An access point or Multi-Region Access Point: its policy, and the Block
/// Public Access and bucket fixed at its creation (unknown when the archive
/// does not show the creation).
#[derive(Debug, Default)]
struct PointState {
    policy: Slot,
    bpa: [Fact; 4],
    bucket: Option<String>,
}

/// A resource a window is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Resource {
    Bucket(String, String),
    Object(String, String, String),
    AccessPoint(String, String),
    Mrap(String, String),
}

/// The level of exposure of one resource at one time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Neutralised by a known setting.
    Latent,
    /// Public unless a setting never seen blocks it.
    Possible,
    /// Public, every deciding fact known.
    Effective,
}

impl Level {
    /// The lowercase name used in output.
    pub fn as_str(self) -> &'static str {
        self.exposure().as_str()
    }

    fn exposure(self) -> Exposure {
        match self {
            Level::Latent => Exposure::Latent,
            Level::Possible => Exposure::Possible,
            Level::Effective => Exposure::Effective,
        }
    }
}

/// An interval during which a resource was exposed at one level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Window {
    /// `bucket`, `object`, `access-point` or `multi-region-access-point`.
    pub resource_type: &'static str,
    /// The account the resource lives in.
    pub account: String,
    /// The bucket (the access point's name for an access point).
    pub bucket: Option<String>,
    /// The key, for an object.
    pub key: Option<String>,
    /// The access point, for an access point.
    pub access_point: Option<String>,
    /// The level.
    pub exposure: Level,
    /// The grants that exposed it at this level during the window.
    pub via: BTreeSet<Via>,
    /// The facts never seen that the level rests on.
    pub unknown_facts: BTreeSet<String>,
    /// When it opened (`None`: before the archive shows how).
    pub opened_at: Option<String>,
    /// The event that opened it.
    pub opened_by: Option<SetBy>,
    /// When it closed (`None`: still exposed at the end of the archive).
    pub closed_at: Option<String>,
    /// The event that closed it.
    pub closed_by: Option<SetBy>,
    /// Successful anonymous requests while it was open (`access.rs`).
    pub anonymous_requests: u64,
    /// Successful presigned-URL requests while it was open.
    pub presigned_requests: u64,
    /// The first of those requests.
    pub first_request_at: Option<String>,
    /// The last of those requests.
    pub last_request_at: Option<String>,
    /// Where they came from, most requests first (at most
    /// [`crate::access::MAX_TOP_SOURCES`]).
    pub top_sources: Vec<SourceCount>,
}

/// Requests from one source address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceCount {
    /// `sourceIPAddress` (or `other`, for sources past a cap).
    pub source: String,
    /// How many requests.
    pub requests: u64,
}

/// The fold: state, open windows, and the windows closed so far.
#[derive(Debug, Default)]
pub struct Timeline {
    accounts: BTreeMap<String, AccountState>,
    buckets: BTreeMap<(String, String), BucketState>,
    access_points: BTreeMap<(String, String), PointState>,
    mraps: BTreeMap<(String, String), PointState>,
    org_policies: BTreeMap<String, OrgPolicyState>,
    open: BTreeMap<(Resource, Level), Window>,
    closed: Vec<Window>,
    tracked_objects: usize,
    /// Object ACL changes not tracked because of [`MAX_TRACKED_OBJECTS`].
    pub objects_over_cap: u64,
    requests: RequestLog,
}

/// What the fold decided for one change: the exposure of the resource left
/// after it, the unknown facts, and the latent grants it brought back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The exposure.
    pub exposure: Exposure,
    /// Facts never seen that it rests on.
    pub unknown_facts: Vec<String>,
    /// Grants that were latent before the change and live after it.
    pub revived: Vec<(Grant, SetBy)>,
    /// False when the finding of this change rests on a fact the archive
    /// does not show (a DetachPolicy of a policy not shown to be an S3
    /// policy): it is then no finding.
    pub stands: bool,
}

impl Timeline {
    /// An empty archive.
    pub fn new() -> Self {
        Timeline::default()
    }

    /// Folds `changes` (in any order: they are sorted here) and returns the
    /// verdict for each change, by log file and event ID (event IDs are
    /// unique in CloudTrail, but copies and test data repeat them).
    pub fn fold(&mut self, mut changes: Vec<Change>) -> BTreeMap<(String, String), Verdict> {
        changes.sort_by(|a, b| (a.order_key(), &a.log_file).cmp(&(b.order_key(), &b.log_file)));
        let mut verdicts = BTreeMap::new();
        for change in &changes {
            let verdict = self.apply(change);
            verdicts
                .entry((change.log_file.clone(), change.event_id.clone()))
                .or_insert(verdict);
        }
        verdicts
    }

    /// Adds anonymous and presigned requests (from any files, in any order)
    /// to be counted into the windows they fall in.
    pub fn add_requests(&mut self, requests: impl IntoIterator<Item = Requests>) {
        requests.into_iter().for_each(|r| self.requests.add(r));
    }

    /// Adds what a [`RequestLog`] gathered, its overflow count included.
    pub fn add_request_log(&mut self, log: RequestLog) {
        let over_cap = log.over_cap;
        self.add_requests(log.into_vec());
        self.requests.over_cap += over_cap;
    }

    /// Requests left out of the windows because of
    /// [`crate::access::MAX_REQUEST_SLOTS`].
    pub fn requests_over_cap(&self) -> u64 {
        self.requests.over_cap
    }

    /// Every window, closed and still open, with the requests that fell in
    /// it, ordered by account, bucket, opening time. Anonymous requests that
    /// no window explains make windows of their own (`access.rs`).
    pub fn windows(&self) -> Vec<Window> {
        let mut all: Vec<Window> = self
            .closed
            .iter()
            .chain(self.open.values())
            .cloned()
            .collect();
        crate::access::overlay(&mut all, &self.requests);
        all.sort_by(|a, b| {
            (&a.account, &a.bucket, &a.opened_at, &a.key, a.exposure).cmp(&(
                &b.account,
                &b.bucket,
                &b.opened_at,
                &b.key,
                b.exposure,
            ))
        });
        all
    }

    /// Applies one change: updates the facts, then the windows of every
    /// resource it can affect; returns the verdict on it.
    fn apply(&mut self, change: &Change) -> Verdict {
        let stands = match &change.what {
            What::OrgAttachment {
                policy_id,
                attached: false,
                ..
            } => self
                .org_policies
                .get(policy_id)
                .is_some_and(|p| p.s3 == Some(true)),
            _ => true,
        };
        let affected = self.affected(change);
        let before: Vec<(Resource, Vec<(Level, Via)>)> = affected
            .iter()
            .map(|r| {
                (
                    r.clone(),
                    self.grant_levels(r)
                        .into_iter()
                        .map(|(l, v, _)| (l, v))
                        .collect(),
                )
            })
            .collect();
        if change.failed() {
            self.learn_from_failure(change);
        } else {
            self.set(change);
        }
        let mut revived = Vec::new();
        let mut best: Option<(Level, Vec<String>)> = None;
        for (resource, was) in &before {
            let now = self.grant_levels(resource);
            for (level, via, unknown) in &now {
                let was_latent = was.iter().any(|(l, v)| v == via && *l == Level::Latent);
                if was_latent && *level > Level::Latent {
                    if let Some(grant) = self.grant_of(resource, *via) {
                        revived.push(grant);
                    }
                }
                match &mut best {
                    Some((l, facts)) if l == level => facts.extend(unknown.iter().cloned()),
                    Some((l, _)) if *l > *level => {}
                    _ => best = Some((*level, unknown.clone())),
                }
            }
            self.update_windows(resource, &now, change);
        }
        let mut verdict = match (change.failed(), best) {
            (true, _) => Verdict {
                exposure: Exposure::Blocked,
                unknown_facts: Vec::new(),
                revived: Vec::new(),
                stands,
            },
            (false, Some((level, facts))) => Verdict {
                exposure: level.exposure(),
                unknown_facts: facts,
                revived,
                stands,
            },
            (false, None) => Verdict {
                exposure: Exposure::Weakened,
                unknown_facts: Vec::new(),
                revived: Vec::new(),
                stands,
            },
        };
        if let What::BucketPolicy {
            unevaluable: true, ..
        }
        | What::AccessPointPolicy {
            unevaluable: true, ..
        }
        | What::MrapPolicy {
            unevaluable: true, ..
        } = change.what
        {
            verdict.exposure = Exposure::Unknown;
        }
        verdict.unknown_facts.sort();
        verdict.unknown_facts.dedup();
        verdict
    }

    /// The resources whose exposure a change can alter.
    fn affected(&self, change: &Change) -> Vec<Resource> {
        let account = &change.account;
        match &change.what {
            What::ObjectAcl { bucket, key, .. } => vec![Resource::Object(
                account.clone(),
                bucket.clone(),
                key.clone(),
            )],
            What::AccessPointPolicy { access_point, .. }
            | What::CreateAccessPoint { access_point, .. }
            | What::DeleteAccessPoint { access_point } => {
                vec![Resource::AccessPoint(account.clone(), access_point.clone())]
            }
            What::CreateMrap { name, .. }
            | What::DeleteMrap { name }
            | What::MrapPolicy { name, .. } => {
                vec![Resource::Mrap(account.clone(), name.clone())]
            }
            What::BucketBpa { bucket, .. } => {
                // Requests through an access point also pass its bucket's
                // Block Public Access.
                let mut all = self.bucket_and_objects(account, bucket);
                all.extend(
                    self.access_points
                        .iter()
                        .filter(|((a, _), p)| a == account && p.bucket.as_ref() == Some(bucket))
                        .map(|((a, p), _)| Resource::AccessPoint(a.clone(), p.clone())),
                );
                all
            }
            What::AccountBpa { .. } => self.account_resources(account),
            What::OrgPolicy { .. }
            | What::OrgAttachment { .. }
            | What::OrgS3PoliciesDisabled { .. } => self
                .org_touched(change)
                .iter()
                .flat_map(|a| self.account_resources(a))
                .collect(),
            What::OrgPolicyDeleted { .. } => Vec::new(),
            What::BucketAcl { bucket, .. }
            | What::CreateBucket { bucket, .. }
            | What::BucketPolicy { bucket, .. }
            | What::BucketPolicyDeleted { bucket }
            | What::Ownership { bucket, .. }
            | What::DeleteBucket { bucket } => self.bucket_and_objects(account, bucket),
        }
    }

    /// A bucket and every object of it with a known ACL.
    fn bucket_and_objects(&self, account: &str, bucket: &str) -> Vec<Resource> {
        let mut all = vec![Resource::Bucket(account.to_owned(), bucket.to_owned())];
        if let Some(state) = self.buckets.get(&(account.to_owned(), bucket.to_owned())) {
            all.extend(
                state
                    .objects
                    .keys()
                    .map(|k| Resource::Object(account.to_owned(), bucket.to_owned(), k.clone())),
            );
        }
        all
    }

    /// Every resource of an account the state knows.
    fn account_resources(&self, account: &str) -> Vec<Resource> {
        let mut all: Vec<Resource> = self
            .buckets
            .keys()
            .filter(|(a, _)| a == account)
            .flat_map(|(_, b)| self.bucket_and_objects(account, b))
            .collect();
        all.extend(
            self.access_points
                .keys()
                .filter(|(a, _)| a == account)
                .map(|(a, p)| Resource::AccessPoint(a.clone(), p.clone())),
        );
        all.extend(
            self.mraps
                .keys()
                .filter(|(a, _)| a == account)
                .map(|(a, m)| Resource::Mrap(a.clone(), m.clone())),
        );
        all
    }

    /// Every account the state knows of.
    fn known_accounts(&self) -> BTreeSet<String> {
        let mut all: BTreeSet<String> = self.accounts.keys().cloned().collect();
        all.extend(self.buckets.keys().map(|(a, _)| a.clone()));
        all.extend(self.access_points.keys().map(|(a, _)| a.clone()));
        all.extend(self.mraps.keys().map(|(a, _)| a.clone()));
        all
    }

    /// The accounts whose organization fact an Organizations change can
    /// alter (EXPOSURE.md: aimed at an account, that account; at an OU or a
    /// root, every account, since the logs do not show membership). A
    /// policy shown not to be an S3 policy touches none; an updated policy
    /// touches where it is attached, every account unless the archive shows
    /// all its attachments and they are accounts.
    fn org_touched(&self, change: &Change) -> BTreeSet<String> {
        let policy = |id: &String| self.org_policies.get(id);
        match &change.what {
            What::OrgPolicy {
                policy_id,
                s3,
                created,
                ..
            } => {
                let shown_s3 = s3.or(policy(policy_id).and_then(|p| p.s3));
                if *created || shown_s3 == Some(false) {
                    return BTreeSet::new();
                }
                match policy(policy_id) {
                    Some(p) if p.complete && p.targets.iter().all(|t| is_account_id(t)) => {
                        p.targets.clone()
                    }
                    _ => self.known_accounts(),
                }
            }
            What::OrgAttachment {
                policy_id, target, ..
            } => {
                if policy(policy_id).is_some_and(|p| p.s3 == Some(false)) {
                    BTreeSet::new()
                } else if is_account_id(target) {
                    BTreeSet::from([target.clone()])
                } else {
                    self.known_accounts()
                }
            }
            What::OrgS3PoliciesDisabled { .. } => self
                .org_policies
                .values()
                .filter(|p| p.management == change.account && p.s3 == Some(true))
                .flat_map(|p| p.targets.iter().filter(|t| is_account_id(t)).cloned())
                .collect(),
            _ => BTreeSet::new(),
        }
    }

    /// The organization fact after an Organizations change, for each
    /// account it touches: a direct attachment of an S3 policy assigns its
    /// value; a detachment, or anything aimed above the account, leaves
    /// the organization level unknown (a policy on an OU or root the logs
    /// do not place may still apply); disabling S3 policies turns it off
    /// wherever the archive shows one of that organization's S3 policies
    /// attached. Then the policy's own record is updated.
    fn set_org(&mut self, change: &Change) {
        let touched = self.org_touched(change);
        let management = change.account.clone();
        match &change.what {
            What::OrgPolicy {
                policy_id,
                s3,
                enforces,
                created,
            } => {
                let policy = self.org_policies.entry(policy_id.clone()).or_default();
                if s3.is_some() {
                    policy.s3 = *s3;
                }
                policy.enforces = enforces.map_or(Fact::Unknown, Fact::of);
                policy.complete |= *created;
                policy.management = management;
                let (value, targets) = (policy.enforces, policy.targets.clone());
                for account in touched {
                    self.account_mut(&account).org = if targets.contains(&account) {
                        value
                    } else {
                        Fact::Unknown
                    };
                }
            }
            What::OrgAttachment {
                policy_id,
                target,
                attached,
            } => {
                let policy = self.org_policies.entry(policy_id.clone()).or_default();
                if *attached {
                    policy.targets.insert(target.clone());
                } else {
                    policy.targets.remove(target);
                }
                let direct = match policy.s3 {
                    Some(true) if *attached => policy.enforces,
                    _ => Fact::Unknown,
                };
                for account in touched {
                    self.account_mut(&account).org = if &account == target {
                        direct
                    } else {
                        Fact::Unknown
                    };
                }
            }
            What::OrgPolicyDeleted { policy_id } => {
                self.org_policies.remove(policy_id);
            }
            What::OrgS3PoliciesDisabled { .. } => {
                for account in touched {
                    self.account_mut(&account).org = Fact::Off;
                }
                self.org_policies
                    .values_mut()
                    .filter(|p| p.management == management && p.s3 == Some(true))
                    .for_each(|p| p.targets.clear());
            }
            _ => {}
        }
    }

    fn bucket_mut(&mut self, account: &str, bucket: &str) -> &mut BucketState {
        self.buckets
            .entry((account.to_owned(), bucket.to_owned()))
            .or_default()
    }

    /// Updates the facts for a call that succeeded, including what its
    /// success proves about the settings that would have refused it.
    fn set(&mut self, change: &Change) {
        let account = change.account.as_str();
        let by = SetBy::of(change);
        let public = |grant: &Option<Grant>| match grant {
            Some(g) => Slot::Public(g.clone(), by.clone()),
            None => Slot::Private,
        };
        match &change.what {
            What::BucketAcl { bucket, grant } => {
                if grant.is_some() {
                    self.proves_acls_allowed(account, bucket);
                }
                self.bucket_mut(account, bucket).acl = public(grant);
            }
            What::CreateBucket {
                bucket,
                grant,
                acls_enabled,
            } => {
                // A new life: nothing of an earlier bucket of that name remains.
                let mut state = BucketState {
                    acl: public(grant),
                    policy: Slot::Private,
                    ..BucketState::default()
                };
                let time = change.event_time.as_str();
                if time < OLD_DEFAULTS_BEFORE {
                    state.bpa = [Fact::Off; 4];
                    state.acls_enabled = Fact::On;
                } else if time >= NEW_DEFAULTS_FROM {
                    state.bpa = [Fact::On; 4];
                    state.acls_enabled = Fact::Off;
                }
                if let Some(enabled) = acls_enabled {
                    state.acls_enabled = Fact::of(*enabled);
                }
                let old_objects = self
                    .buckets
                    .get(&(account.to_owned(), bucket.clone()))
                    .map_or(0, |b| b.objects.len());
                self.tracked_objects = self.tracked_objects.saturating_sub(old_objects);
                self.buckets
                    .insert((account.to_owned(), bucket.clone()), state);
                if grant.is_some() {
                    self.proves_acls_allowed(account, bucket);
                }
            }
            What::ObjectAcl { bucket, key, grant } => {
                if grant.is_some() {
                    self.proves_acls_allowed(account, bucket);
                }
                let over_cap = self.tracked_objects >= MAX_TRACKED_OBJECTS;
                let state = self.bucket_mut(account, bucket);
                match (grant, state.objects.contains_key(key)) {
                    (None, true) => {
                        state.objects.remove(key);
                        self.tracked_objects -= 1;
                    }
                    (None, false) => {}
                    (Some(_), true) => {
                        state.objects.insert(key.clone(), public(grant));
                    }
                    (Some(_), false) if over_cap => self.objects_over_cap += 1,
                    (Some(_), false) => {
                        state.objects.insert(key.clone(), public(grant));
                        self.tracked_objects += 1;
                    }
                }
            }
            What::BucketPolicy {
                bucket,
                grant,
                unevaluable,
            } => {
                if grant.is_some() {
                    self.proves_policy_allowed(account, bucket);
                }
                // An unevaluable policy replaces what was there with
                // something unknown: neither public nor private is known.
                self.bucket_mut(account, bucket).policy = if *unevaluable {
                    Slot::Unseen
                } else {
                    public(grant)
                };
            }
            What::BucketPolicyDeleted { bucket } => {
                self.bucket_mut(account, bucket).policy = Slot::Private;
            }
            What::AccessPointPolicy {
                access_point,
                grant,
                unevaluable,
            } => {
                let point = self
                    .access_points
                    .entry((account.to_owned(), access_point.clone()))
                    .or_default();
                Self::set_point_policy(point, grant, *unevaluable, &by);
                if grant.is_some() {
                    self.account_mut(account).bpa[BLOCK_PUBLIC_POLICY] = Fact::Off;
                    self.account_mut(account).org = Fact::Off;
                }
            }
            What::MrapPolicy {
                name,
                grant,
                unevaluable,
            } => {
                let point = self
                    .mraps
                    .entry((account.to_owned(), name.clone()))
                    .or_default();
                Self::set_point_policy(point, grant, *unevaluable, &by);
                if grant.is_some() {
                    self.account_mut(account).bpa[BLOCK_PUBLIC_POLICY] = Fact::Off;
                    self.account_mut(account).org = Fact::Off;
                }
            }
            What::CreateAccessPoint {
                access_point,
                bucket,
                flags,
            } => {
                // A new life: no policy yet, its own protections fixed.
                self.access_points.insert(
                    (account.to_owned(), access_point.clone()),
                    PointState {
                        policy: Slot::Private,
                        bpa: flags.map(Fact::of),
                        bucket: bucket.clone(),
                    },
                );
            }
            What::DeleteAccessPoint { access_point } => {
                self.access_points
                    .remove(&(account.to_owned(), access_point.clone()));
            }
            What::CreateMrap { name, flags } => {
                self.mraps.insert(
                    (account.to_owned(), name.clone()),
                    PointState {
                        policy: Slot::Private,
                        bpa: flags.map(Fact::of),
                        bucket: None,
                    },
                );
            }
            What::DeleteMrap { name } => {
                self.mraps.remove(&(account.to_owned(), name.clone()));
            }
            What::BucketBpa { bucket, flags } => {
                self.bucket_mut(account, bucket).bpa = flags.map(Fact::of);
            }
            What::AccountBpa { flags } => {
                let state = self.account_mut(account);
                state.bpa = flags.map(Fact::of);
                // The organization level would have refused the call.
                state.org = Fact::Off;
            }
            What::Ownership {
                bucket,
                acls_enabled,
            } => {
                self.bucket_mut(account, bucket).acls_enabled = Fact::of(*acls_enabled);
            }
            What::DeleteBucket { bucket } => {
                if let Some(state) = self.buckets.remove(&(account.to_owned(), bucket.clone())) {
                    self.tracked_objects = self.tracked_objects.saturating_sub(state.objects.len());
                }
            }
            What::OrgPolicy { .. }
            | What::OrgAttachment { .. }
            | What::OrgPolicyDeleted { .. }
            | What::OrgS3PoliciesDisabled { .. } => self.set_org(change),
        }
    }

    /// An access point or Multi-Region Access Point policy that took; a
    /// public one proves the point's own BlockPublicPolicy off.
    fn set_point_policy(
        point: &mut PointState,
        grant: &Option<Grant>,
        unevaluable: bool,
        by: &SetBy,
    ) {
        point.policy = match grant {
            _ if unevaluable => Slot::Unseen,
            Some(g) => {
                point.bpa[BLOCK_PUBLIC_POLICY] = Fact::Off;
                Slot::Public(g.clone(), by.clone())
            }
            None => Slot::Private,
        };
    }

    fn account_mut(&mut self, account: &str) -> &mut AccountState {
        self.accounts.entry(account.to_owned()).or_default()
    }

    /// A public ACL that took: BlockPublicAcls off at every level, the
    /// organization level not enforcing, and ACLs enabled on the bucket.
    fn proves_acls_allowed(&mut self, account: &str, bucket: &str) {
        let state = self.account_mut(account);
        state.bpa[BLOCK_PUBLIC_ACLS] = Fact::Off;
        state.org = Fact::Off;
        let bucket = self.bucket_mut(account, bucket);
        bucket.bpa[BLOCK_PUBLIC_ACLS] = Fact::Off;
        bucket.acls_enabled = Fact::On;
    }

    /// A public policy that took: BlockPublicPolicy off at every level and
    /// the organization level not enforcing.
    fn proves_policy_allowed(&mut self, account: &str, bucket: &str) {
        let state = self.account_mut(account);
        state.bpa[BLOCK_PUBLIC_POLICY] = Fact::Off;
        state.org = Fact::Off;
        self.bucket_mut(account, bucket).bpa[BLOCK_PUBLIC_POLICY] = Fact::Off;
    }

    /// A refused call changes nothing; an ACL refused because ACLs are
    /// disabled proves that.
    fn learn_from_failure(&mut self, change: &Change) {
        let acl_refused = change.error_code.as_deref() == Some("AccessControlListNotSupported");
        let bucket = match &change.what {
            What::BucketAcl { bucket, .. } | What::ObjectAcl { bucket, .. } => Some(bucket),
            _ => None,
        };
        if let (true, Some(bucket)) = (acl_refused, bucket) {
            let account = change.account.clone();
            self.bucket_mut(&account, bucket).acls_enabled = Fact::Off;
        }
    }

    /// The grants of a resource with their level and unknown facts.
    fn grant_levels(&self, resource: &Resource) -> Vec<(Level, Via, Vec<String>)> {
        let mut out = Vec::new();
        match resource {
            Resource::Bucket(account, bucket) => {
                let Some(state) = self.buckets.get(&(account.clone(), bucket.clone())) else {
                    return out;
                };
                if let Slot::Public(..) = state.acl {
                    out.push(self.acl_level(account, bucket, state, Via::BucketAcl));
                }
                if let Slot::Public(..) = state.policy {
                    out.push(self.policy_level(account, Some((bucket, state)), Via::BucketPolicy));
                }
            }
            Resource::Object(account, bucket, key) => {
                let Some(state) = self.buckets.get(&(account.clone(), bucket.clone())) else {
                    return out;
                };
                if let Some(Slot::Public(..)) = state.objects.get(key) {
                    out.push(self.acl_level(account, bucket, state, Via::ObjectAcl));
                }
            }
            Resource::AccessPoint(account, name) => {
                if let Some(point) = self.access_points.get(&(account.clone(), name.clone())) {
                    if let Slot::Public(..) = point.policy {
                        out.push(self.point_level(account, name, point, Via::AccessPointPolicy));
                    }
                }
            }
            Resource::Mrap(account, name) => {
                if let Some(point) = self.mraps.get(&(account.clone(), name.clone())) {
                    if let Slot::Public(..) = point.policy {
                        out.push(self.point_level(account, name, point, Via::MrapPolicy));
                    }
                }
            }
        }
        out
    }

    fn grant_of(&self, resource: &Resource, via: Via) -> Option<(Grant, SetBy)> {
        let slot = match (resource, via) {
            (Resource::Bucket(a, b), Via::BucketAcl) => {
                &self.buckets.get(&(a.clone(), b.clone()))?.acl
            }
            (Resource::Bucket(a, b), Via::BucketPolicy) => {
                &self.buckets.get(&(a.clone(), b.clone()))?.policy
            }
            (Resource::Object(a, b, k), _) => {
                self.buckets.get(&(a.clone(), b.clone()))?.objects.get(k)?
            }
            (Resource::AccessPoint(a, p), _) => {
                &self.access_points.get(&(a.clone(), p.clone()))?.policy
            }
            (Resource::Mrap(a, m), _) => &self.mraps.get(&(a.clone(), m.clone()))?.policy,
            _ => return None,
        };
        match slot {
            Slot::Public(grant, by) => Some((grant.clone(), by.clone())),
            _ => None,
        }
    }

    /// An ACL grant: neutralised by ACLs disabled or IgnorePublicAcls at
    /// the organization, account or bucket level.
    fn acl_level(
        &self,
        account: &str,
        bucket: &str,
        state: &BucketState,
        via: Via,
    ) -> (Level, Via, Vec<String>) {
        let mut facts = self.flag_facts(account, Some((bucket, state)), IGNORE_PUBLIC_ACLS);
        let acls = match state.acls_enabled {
            Fact::On => Fact::Off,
            Fact::Off => Fact::On,
            Fact::Unknown => Fact::Unknown,
        };
        facts.push((
            acls,
            format!("bucket {bucket} ownership controls (ACLs enabled?)"),
        ));
        Self::judge(facts, via)
    }

    /// A policy grant: neutralised by RestrictPublicBuckets at the
    /// organization, account or (for a bucket policy) bucket level.
    fn policy_level(
        &self,
        account: &str,
        bucket: Option<(&str, &BucketState)>,
        via: Via,
    ) -> (Level, Via, Vec<String>) {
        Self::judge(
            self.flag_facts(account, bucket, RESTRICT_PUBLIC_BUCKETS),
            via,
        )
    }

    /// A point's policy grant: neutralised by RestrictPublicBuckets at the
    /// organization or account level, on the point itself (fixed at its
    /// creation: unknown when the archive does not show it), or on its
    /// bucket when known.
    fn point_level(
        &self,
        account: &str,
        name: &str,
        point: &PointState,
        via: Via,
    ) -> (Level, Via, Vec<String>) {
        let bucket = point
            .bucket
            .as_deref()
            .map(|b| (b, self.buckets.get(&(account.to_owned(), b.to_owned()))));
        let mut facts = self.flag_facts(account, None, RESTRICT_PUBLIC_BUCKETS);
        if let Some((bucket, state)) = bucket {
            facts.push((
                state.map_or(Fact::Unknown, |s| s.bpa[RESTRICT_PUBLIC_BUCKETS]),
                format!("bucket {bucket} RestrictPublicBuckets"),
            ));
        }
        let what = if via == Via::MrapPolicy {
            "Multi-Region Access Point"
        } else {
            "access point"
        };
        facts.push((
            point.bpa[RESTRICT_PUBLIC_BUCKETS],
            format!("{what} {name} Block Public Access"),
        ));
        Self::judge(facts, via)
    }

    /// The state of one Block Public Access flag at each level, named.
    fn flag_facts(
        &self,
        account: &str,
        bucket: Option<(&str, &BucketState)>,
        flag: usize,
    ) -> Vec<(Fact, String)> {
        let state = self.accounts.get(account);
        let name = FLAG_NAMES[flag];
        let mut facts = vec![
            (
                state.map_or(Fact::Unknown, |s| s.org),
                format!("organization S3 policy for account {account}"),
            ),
            (
                state.map_or(Fact::Unknown, |s| s.bpa[flag]),
                format!("account {account} {name}"),
            ),
        ];
        if let Some((bucket, state)) = bucket {
            facts.push((state.bpa[flag], format!("bucket {bucket} {name}")));
        }
        facts
    }

    /// Any neutraliser known on: latent; all known off: effective; else
    /// possible, naming the unknown ones.
    fn judge(facts: Vec<(Fact, String)>, via: Via) -> (Level, Via, Vec<String>) {
        if facts.iter().any(|(f, _)| *f == Fact::On) {
            return (Level::Latent, via, Vec::new());
        }
        let unknown: Vec<String> = facts
            .into_iter()
            .filter(|(f, _)| *f == Fact::Unknown)
            .map(|(_, name)| name)
            .collect();
        if unknown.is_empty() {
            (Level::Effective, via, unknown)
        } else {
            (Level::Possible, via, unknown)
        }
    }

    /// Opens, extends and closes the windows of one resource after a change.
    fn update_windows(
        &mut self,
        resource: &Resource,
        now: &[(Level, Via, Vec<String>)],
        change: &Change,
    ) {
        let by = SetBy::of(change);
        for level in [Level::Latent, Level::Possible, Level::Effective] {
            let here: Vec<&(Level, Via, Vec<String>)> =
                now.iter().filter(|(l, _, _)| *l == level).collect();
            let key = (resource.clone(), level);
            match (here.is_empty(), self.open.contains_key(&key)) {
                (true, true) => {
                    let mut window = self.open.remove(&key).expect("checked");
                    window.closed_at = Some(change.event_time.clone());
                    window.closed_by = Some(by.clone());
                    self.closed.push(window);
                }
                (false, true) => {
                    let window = self.open.get_mut(&key).expect("checked");
                    for (_, via, unknown) in here {
                        window.via.insert(*via);
                        window.unknown_facts.extend(unknown.iter().cloned());
                    }
                }
                (false, false) => {
                    let (resource_type, bucket, key_name, access_point) = match resource {
                        Resource::Bucket(_, b) => ("bucket", Some(b.clone()), None, None),
                        Resource::Object(_, b, k) => {
                            ("object", Some(b.clone()), Some(k.clone()), None)
                        }
                        Resource::AccessPoint(_, p) => {
                            ("access-point", None, None, Some(p.clone()))
                        }
                        Resource::Mrap(_, m) => {
                            ("multi-region-access-point", None, None, Some(m.clone()))
                        }
                    };
                    let account = match resource {
                        Resource::Bucket(a, _)
                        | Resource::Object(a, _, _)
                        | Resource::AccessPoint(a, _)
                        | Resource::Mrap(a, _) => a.clone(),
                    };
                    self.open.insert(
                        key,
                        Window {
                            resource_type,
                            account,
                            bucket,
                            key: key_name,
                            access_point,
                            exposure: level,
                            via: here.iter().map(|(_, v, _)| *v).collect(),
                            unknown_facts: here
                                .iter()
                                .flat_map(|(_, _, u)| u.iter().cloned())
                                .collect(),
                            opened_at: Some(change.event_time.clone()),
                            opened_by: Some(by.clone()),
                            closed_at: None,
                            closed_by: None,
                            anonymous_requests: 0,
                            presigned_requests: 0,
                            first_request_at: None,
                            last_request_at: None,
                            top_sources: Vec::new(),
                        },
                    );
                }
                (true, false) => {}
            }
        }
    }
}

/// Gives every finding its verdict from the fold of `changes` (all the
/// archive's permission changes, in any order), and returns the fold for
/// its windows. Findings of records that made no change (skipped records)
/// keep the verdict they have.
pub fn judge(findings: &mut Vec<Finding>, changes: Vec<Change>) -> Timeline {
    let mut timeline = Timeline::new();
    let verdicts = timeline.fold(changes);
    // A finding that rests on what the archive shows stands only if it
    // shows it (`rules::rests_on_archive`).
    findings.retain(|f| {
        !crate::rules::rests_on_archive(&f.event_name)
            || verdicts
                .get(&(f.log_file.clone(), f.event_id.clone()))
                .is_some_and(|v| v.stands)
    });
    for finding in findings.iter_mut() {
        // A refused call stays blocked, an unevaluable one unknown, whatever
        // else shares its event ID.
        if matches!(finding.exposure, Exposure::Unknown | Exposure::Blocked)
            || finding.kind.is_foreign()
        {
            continue;
        }
        let key = (finding.log_file.clone(), finding.event_id.clone());
        let Some(verdict) = verdicts.get(&key) else {
            continue;
        };
        finding.exposure = verdict.exposure;
        finding.unknown_facts = verdict.unknown_facts.clone();
        for (grant, by) in &verdict.revived {
            finding.reason.push_str(&format!(
                "; this brings back to life the {} set at {} by {} (event {})",
                grant.kind, by.event_time, by.actor_arn, by.event_id
            ));
        }
    }
    timeline
}
