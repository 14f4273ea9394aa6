//! trailwatch-aws is trailwatch's edge to AWS, shared by the Lambda and the
//! command line: reading log files from S3 (streamed into
//! `trailwatch-core`), listing archives, and sending findings to the sinks
//! security teams work in: SNS alerts (email, queues, Slack through Amazon Q
//! Developer), Security Hub (ASFF) and EventBridge, each routed by
//! severity. Everything between those edges stays in the core, which knows
//! nothing of AWS or async.

mod alert;
mod changes;
mod clients;
mod cloudtrail;
mod eventbridge;
mod route;
mod s3;
mod sdk_error;
mod securityhub;
mod sinks;
mod sns;

pub use alert::{render, render_with, unreadable_log_finding, Alert, SnsFormat, MAX_SUBJECT_CHARS};
pub use changes::{ChangesPrefix, FileRecord, LineError, PrefixError};
pub use clients::{
    caller_account, eventbridge_client, load_sdk_config, s3_client, securityhub_client, sns_client,
};
pub use cloudtrail::{list_public_keys, KeysError, ListedKey};
pub use eventbridge::{EventBridge, EventBridgeError, DETAIL_TYPE, SOURCE};
pub use route::{parse_severity, Route, RouteOverride, Sink};
pub use s3::{
    fetch_object, list_level, list_objects_from, scan_object, FetchError, FetchedObject, Level,
};
pub use securityhub::{closed_later, SecurityHub, SecurityHubError, Target};
pub use sinks::{Delivered, DeliveryError, Sinks};
pub use sns::{AlertError, SnsAlerter};

pub use aws_config::SdkConfig;
/// The S3 client type the functions here take.
pub use aws_sdk_s3::Client as S3Client;
