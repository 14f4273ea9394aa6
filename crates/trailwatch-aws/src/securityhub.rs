//! Findings as AWS Security Hub findings (ASFF), imported with
//! `BatchImportFindings`: at most 100 per call and 240 KB per finding,
//! failed entries retried, and those still refused reported (with their
//! Ids), never dropped.
//!
//! AWS requires the default product of the *calling* account:
//! `ProductArn = arn:aws:securityhub:<region>:<caller>:product/<caller>/default`
//! and `AwsAccountId = <caller>`. The bucket's own account (where the
//! exposure is) goes in `Resources[].Details` and `ProductFields`.
//!
//! The finding `Id` is stable (event ID and kind), so a replay or a retry
//! updates the same finding; [`SecurityHub::archive`] re-imports the same
//! Ids with `RecordState: ARCHIVED` once the exposure is closed. Workflow
//! is never sent: it belongs to the customer, and BatchImportFindings
//! ignores it on an existing finding anyway.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use aws_sdk_securityhub::error::DisplayErrorContext;
use aws_sdk_securityhub::types as sh;
use serde::Serialize;
use thiserror::Error;
use trailwatch_core::ending::{Ending, Scope};
use trailwatch_core::exposure::{Level, Window};
use trailwatch_core::text::truncate_chars;
use trailwatch_core::{partition, Finding, Kind, ResourceType, Severity};

/// Security Hub takes at most 100 findings per call...
const MAX_BATCH: usize = 100;
/// ...each at most 240 KB.
pub const MAX_FINDING_BYTES: usize = 240 * 1024;
/// At most this many earlier findings are read for one ending change
/// (ten pages); past it, the rest stay active and a warning says so.
pub const MAX_ENDED_PER_CHANGE: usize = 1000;
/// ASFF's own field limits, in characters.
const MAX_ID: usize = 512;
const MAX_TITLE: usize = 256;
const MAX_DESCRIPTION: usize = 1024;
const MAX_RECOMMENDATION: usize = 512;
const MAX_PRODUCT_FIELD: usize = 2048;
const MAX_DETAIL: usize = 1024;

/// Why findings could not all be imported.
#[derive(Debug, Error)]
pub enum SecurityHubError {
    /// The BatchImportFindings call itself failed (after the SDK's retries).
    #[error("importing findings into Security Hub ({product}) failed: {message}")]
    Call {
        /// The product ARN.
        product: String,
        /// The SDK's error, with its context.
        message: String,
    },
    /// Looking up earlier findings to archive (GetFindings) failed.
    #[error("looking up earlier findings in Security Hub ({product}) failed: {message}")]
    Lookup {
        /// The product ARN.
        product: String,
        /// The SDK's error, with its context.
        message: String,
    },
    /// Some findings were still refused after retrying.
    #[error(
        "Security Hub refused {count} findings after {attempts} attempts (Ids {ids}): {first}"
    )]
    Refused {
        /// How many.
        count: usize,
        /// Attempts made.
        attempts: u32,
        /// The refused Ids (the first ten).
        ids: String,
        /// The first refusal's code and message.
        first: String,
    },
}

/// Whether a finding is imported as open or closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RecordState {
    /// Open.
    Active,
    /// Closed: the exposure ended.
    Archived,
}

/// Imports findings into Security Hub as the calling account's default product.
#[derive(Debug, Clone)]
pub struct SecurityHub {
    client: aws_sdk_securityhub::Client,
    target: Target,
    aliases: BTreeMap<String, String>,
    max_attempts: u32,
    first_backoff: Duration,
}

/// Where findings are imported: the calling account and region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The account making the calls (from STS GetCallerIdentity).
    pub account: String,
    /// The region of the Security Hub the findings go to.
    pub region: String,
}

impl Target {
    /// `arn:<partition>:securityhub:<region>:<account>:product/<account>/default`.
    pub fn product_arn(&self) -> String {
        format!(
            "arn:{}:securityhub:{}:{}:product/{}/default",
            partition(&self.region),
            self.region,
            self.account,
            self.account
        )
    }
}

impl SecurityHub {
    /// An importer for `target` (the calling account and region).
    pub fn new(client: aws_sdk_securityhub::Client, target: Target) -> Self {
        SecurityHub {
            client,
            target,
            aliases: BTreeMap::new(),
            max_attempts: 5,
            first_backoff: Duration::from_millis(100),
        }
    }

    /// Account aliases (`[accounts]`) to show in the findings.
    pub fn with_aliases(mut self, aliases: BTreeMap<String, String>) -> Self {
        self.aliases = aliases;
        self
    }

    /// The product ARN findings are imported under.
    pub fn product_arn(&self) -> String {
        self.target.product_arn()
    }

    /// Imports findings as open (`RecordState: ACTIVE`); returns how many.
    pub async fn import(&self, findings: &[Finding]) -> Result<usize, SecurityHubError> {
        self.send(findings, RecordState::Active).await
    }

    /// Re-imports findings under the same Ids with `RecordState: ARCHIVED`:
    /// the exposure they reported is closed.
    pub async fn archive(&self, findings: &[Finding]) -> Result<usize, SecurityHubError> {
        self.send(findings, RecordState::Archived).await
    }

    async fn send(
        &self,
        findings: &[Finding],
        state: RecordState,
    ) -> Result<usize, SecurityHubError> {
        let now = aws_smithy_types::DateTime::from(std::time::SystemTime::now())
            .fmt(aws_smithy_types::date_time::Format::DateTime)
            .unwrap_or_default();
        let asff: Vec<Asff> = findings
            .iter()
            .map(|f| {
                let alias = self.aliases.get(&f.account).map(String::as_str);
                Asff::new(f, &self.target, alias, state, &now)
            })
            .collect();
        let mut imported = 0;
        for batch in asff.chunks(MAX_BATCH) {
            imported += self
                .send_batch(batch.iter().map(Asff::to_sdk).collect())
                .await?;
        }
        Ok(imported)
    }

    /// Archives the findings imported from files read before whose exposure
    /// a change of this file ended ([`Ending`]: the removing call alone, no
    /// state). Each ending asks `GetFindings` for this product's active
    /// trailwatch findings of its kinds and account (at most
    /// [`MAX_ENDED_PER_CHANGE`]), checks each one itself against the ending
    /// (kind, account, bucket, key, an earlier event), and re-imports those
    /// it ends unchanged but for `RecordState: ARCHIVED` and `UpdatedAt`.
    /// Findings of the events in `skip_events` (this file's own, judged
    /// with its windows) are left alone. Returns how many were archived.
    pub async fn archive_ended(
        &self,
        endings: &[Ending],
        skip_events: &HashSet<&str>,
    ) -> Result<usize, SecurityHubError> {
        let now = aws_smithy_types::DateTime::from(std::time::SystemTime::now())
            .fmt(aws_smithy_types::date_time::Format::DateTime)
            .unwrap_or_default();
        let mut archived = 0;
        let mut done: HashSet<String> = HashSet::new();
        for ending in endings {
            let mut ended = Vec::new();
            for found in self.active_candidates(ending).await? {
                let id = found.id.clone().unwrap_or_default();
                let event = product_field(&found, "EventId").unwrap_or("");
                if skip_events.contains(event)
                    || done.contains(&id)
                    || !self.is_ended(&found, ending)
                {
                    continue;
                }
                done.insert(id);
                ended.push(archived_copy(found, &now));
            }
            tracing::info!(
                event_id = %ending.event_id,
                event_name = %ending.event_name,
                archived = ended.len(),
                "earlier Security Hub findings ended by this change"
            );
            for batch in ended.chunks(MAX_BATCH) {
                archived += self.send_batch(batch.to_vec()).await?;
            }
        }
        Ok(archived)
    }

    /// This product's active trailwatch findings that `ending` may end:
    /// filtered by Security Hub on product, state, generator (kind) and the
    /// resource's account, paged, bounded.
    async fn active_candidates(
        &self,
        ending: &Ending,
    ) -> Result<Vec<sh::AwsSecurityFinding>, SecurityHubError> {
        let equals = |value: &str| {
            sh::StringFilter::builder()
                .value(value)
                .comparison(sh::StringFilterComparison::Equals)
                .build()
        };
        let field_equals = |key: &str, value: &str| {
            sh::MapFilter::builder()
                .key(key)
                .value(value)
                .comparison(sh::MapFilterComparison::Equals)
                .build()
        };
        let mut filters = sh::AwsSecurityFindingFilters::builder()
            .product_arn(equals(&self.product_arn()))
            .record_state(equals("ACTIVE"))
            .product_fields(field_equals("trailwatch/ResourceAccount", &ending.account));
        for kind in &ending.kinds {
            filters = filters.generator_id(equals(&format!("trailwatch/{kind}")));
        }
        if let Scope::Exact { bucket, .. } | Scope::Bucket(bucket) = &ending.scope {
            filters = filters.product_fields(field_equals("trailwatch/Bucket", bucket));
        }
        let filters = filters.build();
        let mut found = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let page = self
                .client
                .get_findings()
                .filters(filters.clone())
                .max_results(100)
                .set_next_token(next.take())
                .send()
                .await
                .map_err(|e| SecurityHubError::Lookup {
                    product: self.product_arn(),
                    message: DisplayErrorContext(&e).to_string(),
                })?;
            found.extend(page.findings().iter().cloned());
            next = page
                .next_token()
                .filter(|t| !t.is_empty())
                .map(str::to_owned);
            if next.is_none() {
                break;
            }
            if found.len() >= MAX_ENDED_PER_CHANGE {
                tracing::warn!(
                    event_id = %ending.event_id,
                    read = found.len(),
                    "more active findings than one change may archive; the rest stay ACTIVE"
                );
                break;
            }
        }
        Ok(found)
    }

    /// Whether a finding Security Hub returned is one of ours that `ending`
    /// ends. Security Hub filtered already; this does not rely on it.
    fn is_ended(&self, found: &sh::AwsSecurityFinding, ending: &Ending) -> bool {
        let field = |name: &str| product_field(found, name);
        let non_empty = |name: &str| field(name).filter(|v| !v.is_empty());
        let kind = found
            .generator_id
            .as_deref()
            .and_then(|g| g.strip_prefix("trailwatch/"))
            .and_then(|k| k.parse::<Kind>().ok());
        let (Some(kind), Some(account), Some(time)) =
            (kind, field("ResourceAccount"), field("EventTime"))
        else {
            return false;
        };
        found.product_arn.as_deref() == Some(self.product_arn().as_str())
            && found.record_state != Some(sh::RecordState::Archived)
            && ending.ends(
                kind,
                account,
                non_empty("Bucket"),
                non_empty("Key"),
                (time, field("EventId").unwrap_or("")),
            )
    }

    async fn send_batch(
        &self,
        batch: Vec<sh::AwsSecurityFinding>,
    ) -> Result<usize, SecurityHubError> {
        let total = batch.len();
        let mut pending = batch;
        let mut backoff = self.first_backoff;
        let mut first = String::new();
        for attempt in 1..=self.max_attempts {
            let output = self
                .client
                .batch_import_findings()
                .set_findings(Some(pending.clone()))
                .send()
                .await
                .map_err(|e| SecurityHubError::Call {
                    product: self.product_arn(),
                    message: DisplayErrorContext(&e).to_string(),
                })?;
            let failed = output.failed_findings();
            if failed.is_empty() && output.failed_count().unwrap_or(0) == 0 {
                return Ok(total);
            }
            let refused = &failed[0];
            first = format!(
                "{}: {}",
                refused.error_code().unwrap_or("?"),
                refused.error_message().unwrap_or("")
            );
            tracing::warn!(attempt, failed = failed.len(), first = %first, "Security Hub refused some findings");
            let ids: Vec<&str> = failed.iter().filter_map(|f| f.id()).collect();
            pending.retain(|a| a.id.as_deref().is_some_and(|id| ids.contains(&id)));
            if pending.is_empty() {
                // Refused, but under Ids we did not send: report, never assume.
                return Err(SecurityHubError::Refused {
                    count: failed.len(),
                    attempts: attempt,
                    ids: ids.join(", "),
                    first,
                });
            }
            if attempt < self.max_attempts {
                tokio::time::sleep(backoff).await;
                backoff *= 2;
            }
        }
        Err(SecurityHubError::Refused {
            count: pending.len(),
            attempts: self.max_attempts,
            ids: pending
                .iter()
                .take(10)
                .map(|a| a.id.as_deref().unwrap_or(""))
                .collect::<Vec<_>>()
                .join(", "),
            first,
        })
    }
}

/// Which findings report an exposure that a later event in the same
/// archive closed, so that Security Hub should hold them `ARCHIVED`
/// (parallel to `findings`).
///
/// A resource's effective and possible windows (latent ones are not public)
/// that touch or overlap form one exposure; it is closed when its last
/// window has `closed_by`. A finding belongs to it when its event opened
/// one of those windows, or when it concerns the same bucket or object and
/// its event falls inside the exposure (a second public grant while already
/// public). A resource exposed again later is a new exposure, with its own
/// findings. An event that opened windows of several resources (an account
/// setting that revived grants) is closed only once all of them are.
pub fn closed_later(findings: &[Finding], windows: &[Window]) -> Vec<bool> {
    type Resource<'a> = (&'a str, Option<&'a str>, Option<&'a str>, Option<&'a str>);
    let mut by_resource: BTreeMap<Resource<'_>, Vec<&Window>> = BTreeMap::new();
    for w in windows.iter().filter(|w| w.exposure != Level::Latent) {
        let resource = (
            w.account.as_str(),
            w.bucket.as_deref(),
            w.key.as_deref(),
            w.access_point.as_deref(),
        );
        by_resource.entry(resource).or_default().push(w);
    }
    // Closed exposures: the events that opened them, and their span (the
    // opening `None` when it began before the archive).
    let mut openers: HashSet<&str> = HashSet::new();
    let mut still_open: HashSet<&str> = HashSet::new();
    // Account, bucket, key: the spans of the closed exposures.
    type Spans<'a> = Vec<(Option<&'a str>, &'a str)>;
    let mut spans: BTreeMap<(&str, Option<&str>, Option<&str>), Spans<'_>> = BTreeMap::new();
    for ((account, bucket, key, access_point), mut list) in by_resource {
        list.sort_by(|a, b| a.opened_at.cmp(&b.opened_at));
        let mut i = 0;
        while i < list.len() {
            let start = list[i].opened_at.as_deref();
            let mut end = list[i].closed_at.as_deref();
            let mut members = vec![list[i]];
            i += 1;
            // `None` sorts first, so a later window always has an opening.
            while i < list.len() && end.is_none_or(|e| list[i].opened_at.as_deref() <= Some(e)) {
                end = match (end, list[i].closed_at.as_deref()) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    _ => None,
                };
                members.push(list[i]);
                i += 1;
            }
            let opened_by = members
                .iter()
                .filter_map(|w| w.opened_by.as_ref().map(|by| by.event_id.as_str()));
            let Some(end) = end else {
                still_open.extend(opened_by);
                continue;
            };
            openers.extend(opened_by);
            if access_point.is_none() {
                spans
                    .entry((account, bucket, key))
                    .or_default()
                    .push((start, end));
            }
        }
    }
    findings
        .iter()
        .map(|f| {
            let id = f.event_id.as_str();
            if still_open.contains(id) {
                return false;
            }
            if openers.contains(id) {
                return true;
            }
            let resource = (f.account.as_str(), f.bucket.as_deref(), f.key.as_deref());
            let t = f.event_time.as_str();
            spans.get(&resource).is_some_and(|list| {
                list.iter()
                    .any(|&(start, end)| start.is_none_or(|s| s <= t) && t < end)
            })
        })
        .collect()
}

/// One finding in the AWS Security Finding Format: the fields trailwatch
/// sets, serialisable so that its size can be checked.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Asff {
    schema_version: &'static str,
    id: String,
    product_arn: String,
    generator_id: String,
    aws_account_id: String,
    types: Vec<String>,
    created_at: String,
    first_observed_at: String,
    updated_at: String,
    severity: AsffSeverity,
    title: String,
    description: String,
    remediation_text: String,
    product_fields: BTreeMap<String, String>,
    resource: AsffResource,
    record_state: RecordState,
    remote_ipv4: Option<String>,
    api: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
struct AsffSeverity {
    label: &'static str,
    original: &'static str,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
struct AsffResource {
    r#type: &'static str,
    id: String,
    partition: &'static str,
    region: String,
    owner_account_id: Option<String>,
    other: BTreeMap<String, String>,
}

impl Asff {
    /// Maps one finding; `now` (ISO 8601) is `UpdatedAt`.
    pub fn new(
        f: &Finding,
        target: &Target,
        account_alias: Option<&str>,
        record_state: RecordState,
        now: &str,
    ) -> Asff {
        let mut asff = Asff::capped(f, target, account_alias, record_state, now, MAX_DETAIL);
        // Bounded by construction far below the limit; cut harder if not.
        for cap in [256, 64] {
            if asff.json_len() <= MAX_FINDING_BYTES {
                break;
            }
            asff = Asff::capped(f, target, account_alias, record_state, now, cap);
        }
        asff
    }

    fn capped(
        f: &Finding,
        target: &Target,
        account_alias: Option<&str>,
        record_state: RecordState,
        now: &str,
        cap: usize,
    ) -> Asff {
        let cut = |s: &str, max: usize| truncate_chars(s, max.min(cap * 2)).into_owned();
        let field = |s: &str| cut(s, cap);
        let region = field(&f.region);
        let part = partition(&f.region);
        let (kind, id) = resource_arn(f, &field);
        let mut product_fields = BTreeMap::new();
        let mut add = |k: &str, v: &str| {
            if !v.is_empty() {
                product_fields.insert(format!("trailwatch/{k}"), cut(v, MAX_PRODUCT_FIELD));
            }
        };
        add("Kind", f.kind.as_str());
        add("Exposure", f.exposure.as_str());
        add("UnknownFacts", &f.unknown_facts.join("; "));
        add("EventId", &f.event_id);
        add("EventName", &f.event_name);
        add("EventTime", &f.event_time);
        add("LogFile", &f.log_file);
        add("Actor", &f.actor_arn);
        add("ActorType", &f.actor_type);
        add("SourceIp", &f.source_ip);
        add("UserAgent", &f.user_agent);
        add("ResourceAccount", &f.account);
        add("Bucket", f.bucket.as_deref().unwrap_or(""));
        add("Key", f.key.as_deref().unwrap_or(""));
        add("AccountAlias", account_alias.unwrap_or(""));
        let mut other = BTreeMap::new();
        other.insert("Account".to_owned(), field(&f.account));
        if let Some(alias) = account_alias {
            other.insert("AccountAlias".to_owned(), field(alias));
        }
        other.insert("Exposure".to_owned(), f.exposure.as_str().to_owned());
        let event_time = if looks_like_time(&f.event_time) {
            f.event_time.clone()
        } else {
            now.to_owned()
        };
        let account_label = match account_alias {
            Some(alias) => format!("{} {alias}", f.account),
            None => f.account.clone(),
        };
        Asff {
            schema_version: "2018-10-08",
            id: cut(&trailwatch_ocsf::finding_uid(f), MAX_ID),
            product_arn: target.product_arn(),
            generator_id: format!("trailwatch/{}", f.kind),
            aws_account_id: target.account.clone(),
            types: vec!["Effects/Data Exposure".to_owned()],
            created_at: event_time.clone(),
            first_observed_at: event_time,
            updated_at: now.to_owned(),
            severity: AsffSeverity {
                label: match f.severity {
                    Severity::Critical => "CRITICAL",
                    Severity::High => "HIGH",
                    Severity::Medium => "MEDIUM",
                },
                original: f.severity.as_str(),
            },
            title: cut(
                &format!("{} {} ({account_label})", f.kind, f.resource()),
                MAX_TITLE,
            ),
            description: cut(&f.reason, MAX_DESCRIPTION),
            remediation_text: cut(
                "Check whether this exposure is intended. If not, revert it (restore Block \
                 Public Access, the previous ACL or policy) and review what the actor did \
                 around that time; accepted exposures can be allowlisted with a reason.",
                MAX_RECOMMENDATION,
            ),
            product_fields,
            resource: AsffResource {
                r#type: kind,
                id,
                partition: part,
                region,
                owner_account_id: matches!(
                    f.aws_resource().resource_type,
                    ResourceType::Bucket | ResourceType::Object
                )
                .then(|| field(&f.account)),
                other,
            },
            record_state,
            remote_ipv4: f
                .source_ip
                .parse::<std::net::Ipv4Addr>()
                .ok()
                .map(|ip| ip.to_string()),
            api: field(&f.event_name),
        }
    }

    /// The finding's size as JSON, as Security Hub counts it.
    pub fn json_len(&self) -> usize {
        serde_json::to_vec(self)
            .map(|v| v.len())
            .unwrap_or(usize::MAX)
    }

    fn to_sdk(&self) -> sh::AwsSecurityFinding {
        let r = &self.resource;
        let mut details = sh::ResourceDetails::builder().set_other(Some(
            r.other
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ));
        if let Some(owner) = &r.owner_account_id {
            details = details.aws_s3_bucket(
                sh::AwsS3BucketDetails::builder()
                    .owner_account_id(owner)
                    .build(),
            );
        }
        let resource = sh::Resource::builder()
            .r#type(r.r#type)
            .id(&r.id)
            .partition(sh::Partition::from(r.partition))
            .region(&r.region)
            .details(details.build())
            .build();
        let mut call = sh::AwsApiCallAction::builder()
            .api(&self.api)
            .service_name("s3.amazonaws.com");
        if let Some(ip) = &self.remote_ipv4 {
            call = call.caller_type("remoteip").remote_ip_details(
                sh::ActionRemoteIpDetails::builder()
                    .ip_address_v4(ip)
                    .build(),
            );
        }
        sh::AwsSecurityFinding::builder()
            .schema_version(self.schema_version)
            .id(&self.id)
            .product_arn(&self.product_arn)
            .generator_id(&self.generator_id)
            .aws_account_id(&self.aws_account_id)
            .set_types(Some(self.types.clone()))
            .created_at(&self.created_at)
            .first_observed_at(&self.first_observed_at)
            .updated_at(&self.updated_at)
            .severity(
                sh::Severity::builder()
                    .label(sh::SeverityLabel::from(self.severity.label))
                    .original(self.severity.original)
                    .build(),
            )
            .title(&self.title)
            .description(&self.description)
            .remediation(
                sh::Remediation::builder()
                    .recommendation(
                        sh::Recommendation::builder()
                            .text(&self.remediation_text)
                            .build(),
                    )
                    .build(),
            )
            .set_product_fields(Some(
                self.product_fields
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ))
            .resources(resource)
            .action(
                sh::Action::builder()
                    .action_type("AWS_API_CALL")
                    .aws_api_call_action(call.build())
                    .build(),
            )
            .record_state(match self.record_state {
                RecordState::Active => sh::RecordState::Active,
                RecordState::Archived => sh::RecordState::Archived,
            })
            .build()
    }
}

/// The ASFF resource type and identifier of what was exposed, typed as
/// `trailwatch_core::AwsResource` says: its ARN where the archive shows
/// one; the account as ASFF names accounts; a Multi-Region Access Point,
/// whose ARN holds an alias the archive does not show, by account and name.
fn resource_arn(f: &Finding, field: &dyn Fn(&str) -> String) -> (&'static str, String) {
    let named = f.aws_resource();
    let asff_type = match named.resource_type {
        ResourceType::Bucket => "AwsS3Bucket",
        ResourceType::Object => "AwsS3Object",
        ResourceType::AccessPoint => "AwsS3AccessPoint",
        ResourceType::Account => "AwsAccount",
        _ => "Other",
    };
    let id = named
        .arn(field)
        .unwrap_or_else(|| match named.resource_type {
            ResourceType::Account => format!("AWS::::Account:{}", field(named.account)),
            other => format!(
                "{}:{}/{}",
                other.aws_type_name(),
                field(named.account),
                field(named.name)
            ),
        });
    (asff_type, id)
}

/// The `trailwatch/<name>` product field of a finding Security Hub returned.
fn product_field<'a>(found: &'a sh::AwsSecurityFinding, name: &str) -> Option<&'a str> {
    found
        .product_fields
        .as_ref()
        .and_then(|fields| fields.get(&format!("trailwatch/{name}")))
        .map(String::as_str)
}

/// A finding as Security Hub returned it, to be re-imported archived: the
/// same fields, a new `UpdatedAt`, and none of the fields that belong to the
/// customer (workflow, note, user-defined fields, verification), which
/// BatchImportFindings would ignore anyway.
fn archived_copy(mut found: sh::AwsSecurityFinding, now: &str) -> sh::AwsSecurityFinding {
    found.record_state = Some(sh::RecordState::Archived);
    found.updated_at = Some(now.to_owned());
    found.workflow = None;
    found.workflow_state = None;
    found.note = None;
    found.user_defined_fields = None;
    found.verification_state = None;
    found
}

/// `2024-01-01T00:00:00Z`-like, as ASFF timestamps must be.
fn looks_like_time(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() >= 20 && b.len() <= 40 && b[4] == b'-' && b[10] == b'T' && text.ends_with('Z')
}

#[cfg(test)]
mod tests {
    use super::*;
    use trailwatch_core::Exposure;

    fn finding() -> Finding {
        Finding {
            event_id: "3d4f5a6b-0000-1111-2222-333344445555".into(),
            event_time: "2024-02-08T11:58:28Z".into(),
            event_name: "PutBucketPolicy".into(),
            kind: Kind::BucketPolicyPublic,
            severity: Severity::Critical,
            reason: "statement `Open` allows s3:* to Principal `*`".into(),
            account: "111122223333".into(),
            region: "eu-west-1".into(),
            bucket: Some("reports".into()),
            key: None,
            actor_arn: "arn:aws:iam::111122223333:user/alice".into(),
            actor_type: "IAMUser".into(),
            source_ip: "198.51.100.7".into(),
            user_agent: "aws-cli/2".into(),
            log_file: "s3://trail/x.json.gz".into(),
            exposure: Exposure::Possible,
            unknown_facts: vec!["account 111122223333 RestrictPublicBuckets".into()],
            live_check: None,
        }
    }

    fn by(event_id: &str, at: &str) -> trailwatch_core::exposure::SetBy {
        trailwatch_core::exposure::SetBy {
            event_id: event_id.into(),
            event_name: "PutBucketPolicy".into(),
            actor_arn: String::new(),
            log_file: String::new(),
            event_time: at.into(),
        }
    }

    /// A bucket window opened by `opener` at `from`, closed at `to` (if any).
    fn window(bucket: &str, level: Level, opener: &str, from: &str, to: Option<&str>) -> Window {
        Window {
            resource_type: "bucket",
            account: "111122223333".into(),
            bucket: Some(bucket.into()),
            key: None,
            access_point: None,
            exposure: level,
            via: Default::default(),
            unknown_facts: Default::default(),
            opened_at: Some(from.into()),
            opened_by: Some(by(opener, from)),
            closed_at: to.map(str::to_owned),
            closed_by: to.map(|t| by("closer", t)),
            anonymous_requests: 0,
            presigned_requests: 0,
            first_request_at: None,
            last_request_at: None,
            top_sources: Vec::new(),
        }
    }

    fn at(event_id: &str, time: &str, bucket: Option<&str>) -> Finding {
        Finding {
            event_id: event_id.into(),
            event_time: time.into(),
            bucket: bucket.map(str::to_owned),
            ..finding()
        }
    }

    #[test]
    fn findings_of_closed_exposures_are_the_ones_archived() {
        let t = |h: u32| format!("2024-02-08T{h:02}:00:00Z");
        let windows = vec![
            // reports: public 10-11 (then exposed anew from 12, still open).
            window("reports", Level::Possible, "e1", &t(10), Some(&t(11))),
            window("reports", Level::Effective, "e3", &t(12), None),
            // logs: possible then effective, touching, closed at 14.
            window("logs", Level::Possible, "e7", &t(10), Some(&t(12))),
            window("logs", Level::Effective, "e8", &t(12), Some(&t(14))),
            // assets: latent only (not public): nothing to close.
            window("assets", Level::Latent, "e5", &t(10), Some(&t(11))),
            // One event opened a closed window and one still open.
            window("a", Level::Effective, "e6", &t(10), Some(&t(11))),
            window("b", Level::Effective, "e6", &t(10), None),
        ];
        let findings = [
            at("e1", &t(10), Some("reports")),
            at("e2", "2024-02-08T10:30:00Z", Some("reports")),
            at("e3", &t(12), Some("reports")),
            at("e4", "2024-02-08T10:30:00Z", Some("other")),
            at("e9", "2024-02-08T10:30:00Z", None),
            at("e5", &t(10), Some("assets")),
            at("e6", &t(10), Some("a")),
            at("e7", &t(10), Some("logs")),
            at("e8", &t(12), Some("logs")),
            at("e10", "2024-02-08T13:00:00Z", Some("logs")),
            at("e11", &t(14), Some("logs")),
        ];
        let closed = closed_later(&findings, &windows);
        let archived: Vec<&str> = findings
            .iter()
            .zip(&closed)
            .filter(|(_, &c)| c)
            .map(|(f, _)| f.event_id.as_str())
            .collect();
        assert_eq!(archived, ["e1", "e2", "e7", "e8", "e10"]);
    }

    fn target() -> Target {
        Target {
            account: "444455556666".into(),
            region: "eu-west-1".into(),
        }
    }

    #[test]
    fn calling_account_product_and_resource_account() {
        let a = Asff::new(
            &finding(),
            &target(),
            Some("payments-prod"),
            RecordState::Active,
            "2024-02-09T00:00:00Z",
        );
        let v = serde_json::to_value(&a).unwrap();
        assert_eq!(
            v["ProductArn"],
            "arn:aws:securityhub:eu-west-1:444455556666:product/444455556666/default"
        );
        assert_eq!(v["AwsAccountId"], "444455556666");
        assert_eq!(
            v["Id"],
            "3d4f5a6b-0000-1111-2222-333344445555:bucket-policy-public"
        );
        assert_eq!(v["Severity"]["Label"], "CRITICAL");
        assert_eq!(v["Resource"]["Type"], "AwsS3Bucket");
        assert_eq!(v["Resource"]["Id"], "arn:aws:s3:::reports");
        assert_eq!(v["Resource"]["OwnerAccountId"], "111122223333");
        assert_eq!(v["Resource"]["Other"]["AccountAlias"], "payments-prod");
        assert_eq!(v["ProductFields"]["trailwatch/Exposure"], "possible");
        assert_eq!(v["CreatedAt"], "2024-02-08T11:58:28Z");
        assert_eq!(v["RecordState"], "ACTIVE");
        assert!(v["Title"]
            .as_str()
            .unwrap()
            .ends_with("(111122223333 payments-prod)"));
    }

    #[test]
    fn oversized_log_text_is_bounded() {
        let mut f = finding();
        let evil = "\u{1}".repeat(500_000);
        for s in [
            &mut f.reason,
            &mut f.event_time,
            &mut f.user_agent,
            &mut f.actor_arn,
            &mut f.actor_type,
            &mut f.event_id,
            &mut f.event_name,
            &mut f.log_file,
            &mut f.source_ip,
            &mut f.region,
            &mut f.account,
        ] {
            *s = evil.clone();
        }
        f.bucket = Some(evil.clone());
        f.key = Some(evil.clone());
        f.unknown_facts = vec![evil.clone(); 100];
        let a = Asff::new(
            &f,
            &target(),
            Some("x"),
            RecordState::Archived,
            "2024-02-09T00:00:00Z",
        );
        assert!(a.json_len() <= MAX_FINDING_BYTES, "{}", a.json_len());
        assert!(a.id.chars().count() <= MAX_ID);
        assert!(a.title.chars().count() <= MAX_TITLE);
        assert!(a.description.chars().count() <= MAX_DESCRIPTION);
        assert!(a
            .product_fields
            .values()
            .all(|v| v.chars().count() <= MAX_PRODUCT_FIELD));
        // Not a timestamp: the import time stands in.
        assert_eq!(a.created_at, "2024-02-09T00:00:00Z");
    }

    #[test]
    fn account_and_access_point_resources() {
        let active = |f: &Finding| {
            Asff::new(
                f,
                &target(),
                None,
                RecordState::Active,
                "2024-02-09T00:00:00Z",
            )
        };
        let mut f = finding();
        f.kind = Kind::AccountBpaDisabled;
        f.bucket = None;
        let a = active(&f);
        assert_eq!(a.resource.r#type, "AwsAccount");
        assert_eq!(a.resource.owner_account_id, None);
        f.kind = Kind::AccessPointPolicyPublic;
        f.bucket = Some("ap".into());
        let a = active(&f);
        assert_eq!(
            a.resource.id,
            "arn:aws:s3:eu-west-1:111122223333:accesspoint/ap"
        );
        assert_eq!(a.resource.r#type, "AwsS3AccessPoint");
        assert_eq!(a.resource.owner_account_id, None);
        // Every access point kind is an access point, not a bucket.
        f.kind = Kind::AccessPointBpaDisabled;
        f.event_name = "CreateAccessPoint".into();
        let a = active(&f);
        assert_eq!(a.resource.r#type, "AwsS3AccessPoint");
        // A Multi-Region Access Point has no regional ARN: named by account.
        f.kind = Kind::MrapBpaDisabled;
        f.event_name = "CreateMultiRegionAccessPoint".into();
        f.bucket = Some("global".into());
        let a = active(&f);
        assert_eq!(a.resource.r#type, "Other");
        assert_eq!(
            a.resource.id,
            "AWS::S3::MultiRegionAccessPoint:111122223333/global"
        );
        // A directory bucket's policy names the directory bucket's ARN.
        f.kind = Kind::CrossAccountAccess;
        f.event_name = "PutBucketPolicy".into();
        f.bucket = Some("logs--euw1-az1--x-s3".into());
        let a = active(&f);
        assert_eq!(a.resource.r#type, "Other");
        assert_eq!(
            a.resource.id,
            "arn:aws:s3express:eu-west-1:111122223333:bucket/logs--euw1-az1--x-s3"
        );
    }
}
