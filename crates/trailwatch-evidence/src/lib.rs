//! trailwatch-evidence proves a copy of a CloudTrail archive complete and
//! untampered, offline: CloudTrail's log file integrity validation (user
//! guide: "CloudTrail digest file structure", "Custom implementations of
//! CloudTrail log file integrity validation"), done on files already
//! downloaded, which the AWS CLI's `validate-logs` cannot do.
//!
//! CloudTrail writes one digest per account, Region and trail for every
//! hour of delivery (a window starting where the previous one ended, not on
//! the clock hour), empty hours included. Each lists the log files delivered
//! in its window with the SHA-256 of their uncompressed content, and names
//! the previous digest with its hash and its RSA signature; the newest
//! digest's own signature lives only in its S3 object metadata
//! (`x-amz-meta-signature`).
//!
//! [`verify`] takes an abstract list of files ([`ArchiveFile`]: a path or
//! key, the bytes or how to fetch them, and for S3 the metadata signature),
//! the public keys ([`PublicKeys`], from `aws cloudtrail list-public-keys`
//! output), and returns a [`Report`]: one [`Problem`] per fault, each with
//! account, region, path, proving digest and the span of time it leaves
//! unproven, plus what the digests cover. [`Report::evidence`] answers, for
//! an interval, `verified`, the problems overlapping it, or `no-digests`:
//! what an exposure window needs to say how far its logs can be trusted.
//!
//! Nothing here knows about AWS clients or async: the command line feeds
//! local trees and S3 objects alike.

pub mod digest;
pub mod keys;
pub mod layout;
pub mod logfile;
mod problem;
pub mod time;
mod verify;

pub use digest::{Digest, DigestError};
pub use keys::{KeyFileError, PublicKey, PublicKeys};
pub use logfile::{Hasher, LogError, LogHash};
pub use problem::{Problem, ProblemKind};
pub use verify::{
    verify, ArchiveFile, Content, Coverage, Evidence, Fetch, Fetched, Options, Report, Stats,
    DELIVERY_LAG_SECONDS,
};
