//! trailwatch-aws is trailwatch's edge to AWS, shared by the Lambda and the
//! command line: reading log files from S3 (streamed into
//! `trailwatch-core`), listing archives, and publishing findings as SNS
//! alerts. Everything between those edges stays in the core, which knows
//! nothing of AWS or async.

mod alert;
mod clients;
mod cloudtrail;
mod s3;
mod sdk_error;
mod sns;

pub use alert::{render, unreadable_log_finding, Alert, MAX_SUBJECT_CHARS};
pub use clients::{load_sdk_config, s3_client, sns_client};
pub use cloudtrail::{list_public_keys, KeysError, ListedKey};
pub use s3::{
    fetch_object, list_level, list_objects_from, scan_object, FetchError, FetchedObject, Level,
};
pub use sns::{AlertError, SnsAlerter};

pub use aws_config::SdkConfig;
/// The S3 client type the functions here take.
pub use aws_sdk_s3::Client as S3Client;
