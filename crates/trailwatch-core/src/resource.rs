//! What a finding names, as AWS names it: the resource's type and ARN.
//!
//! A finding carries a bucket name (which may be an access point's, a
//! Multi-Region Access Point's or a table bucket's) and a key; which of
//! those it is follows from the call that was logged, not from the kind
//! alone (`cross-account-access` is raised on buckets, access points and
//! table buckets alike). Every sink that names resources by ARN (OCSF,
//! Security Hub) asks here, so they agree.

use crate::finding::Finding;

/// The kind of AWS resource a finding concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceType {
    /// A general purpose bucket.
    Bucket,
    /// A directory bucket (S3 Express One Zone, `name--zone--x-s3`).
    DirectoryBucket,
    /// A table bucket (S3 Tables), for its own or one of its tables' policy.
    TableBucket,
    /// An object in a general purpose bucket.
    Object,
    /// An access point of a general purpose bucket.
    AccessPoint,
    /// An access point of a directory bucket (`name--zone--xa-s3`).
    DirectoryAccessPoint,
    /// An Object Lambda access point.
    ObjectLambdaAccessPoint,
    /// A Multi-Region Access Point. Its ARN holds its alias, which S3
    /// generates asynchronously and CloudTrail's request records do not
    /// carry, so trailwatch knows only its name.
    MultiRegionAccessPoint,
    /// The account (account-level Block Public Access).
    Account,
}

impl ResourceType {
    /// The CloudFormation-style type name (`AWS::S3::Bucket`), which OCSF
    /// producers on AWS use for `resources[].type`.
    pub fn aws_type_name(self) -> &'static str {
        match self {
            ResourceType::Bucket => "AWS::S3::Bucket",
            ResourceType::DirectoryBucket => "AWS::S3Express::DirectoryBucket",
            ResourceType::TableBucket => "AWS::S3Tables::TableBucket",
            ResourceType::Object => "AWS::S3::Object",
            ResourceType::AccessPoint => "AWS::S3::AccessPoint",
            ResourceType::DirectoryAccessPoint => "AWS::S3Express::AccessPoint",
            ResourceType::ObjectLambdaAccessPoint => "AWS::S3ObjectLambda::AccessPoint",
            ResourceType::MultiRegionAccessPoint => "AWS::S3::MultiRegionAccessPoint",
            ResourceType::Account => "AWS::::Account",
        }
    }

    /// Whether the resource is an access point of any flavour (its own
    /// Block Public Access and policy; the bucket's owner may differ).
    pub fn is_access_point(self) -> bool {
        matches!(
            self,
            ResourceType::AccessPoint
                | ResourceType::DirectoryAccessPoint
                | ResourceType::ObjectLambdaAccessPoint
                | ResourceType::MultiRegionAccessPoint
        )
    }
}

/// The resource a finding names: its type, name and where it lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsResource<'a> {
    /// What it is.
    pub resource_type: ResourceType,
    /// The bucket or access point name; for an object, its key; for the
    /// account, the account ID.
    pub name: &'a str,
    /// The bucket, for an object.
    pub bucket: Option<&'a str>,
    /// The account it lives in.
    pub account: &'a str,
    /// The Region of the call.
    pub region: &'a str,
}

impl AwsResource<'_> {
    /// The resource's ARN, each log-derived part passed through `part`
    /// (which sinks use to bound its length). `None` for an account (sinks
    /// name it their own way) and for a Multi-Region Access Point (its ARN
    /// holds an alias the archive does not show).
    pub fn arn(&self, part: &dyn Fn(&str) -> String) -> Option<String> {
        let p = partition(self.region);
        let (region, account, name) = (part(self.region), part(self.account), part(self.name));
        Some(match self.resource_type {
            ResourceType::Bucket => format!("arn:{p}:s3:::{name}"),
            ResourceType::Object => {
                format!("arn:{p}:s3:::{}/{name}", part(self.bucket.unwrap_or("")))
            }
            ResourceType::DirectoryBucket => {
                format!("arn:{p}:s3express:{region}:{account}:bucket/{name}")
            }
            ResourceType::TableBucket => {
                format!("arn:{p}:s3tables:{region}:{account}:bucket/{name}")
            }
            ResourceType::AccessPoint => {
                format!("arn:{p}:s3:{region}:{account}:accesspoint/{name}")
            }
            ResourceType::DirectoryAccessPoint => {
                format!("arn:{p}:s3express:{region}:{account}:accesspoint/{name}")
            }
            ResourceType::ObjectLambdaAccessPoint => {
                format!("arn:{p}:s3-object-lambda:{region}:{account}:accesspoint/{name}")
            }
            ResourceType::MultiRegionAccessPoint | ResourceType::Account => return None,
        })
    }

    /// The AWS partition of the resource's Region.
    pub fn partition(&self) -> &'static str {
        partition(self.region)
    }
}

impl Finding {
    /// The resource this finding names, typed from the logged call.
    pub fn aws_resource(&self) -> AwsResource<'_> {
        let (account, region) = (self.account.as_str(), self.region.as_str());
        let Some(name) = self.bucket.as_deref() else {
            return AwsResource {
                resource_type: ResourceType::Account,
                name: account,
                bucket: None,
                account,
                region,
            };
        };
        if let Some(key) = self.key.as_deref() {
            return AwsResource {
                resource_type: ResourceType::Object,
                name: key,
                bucket: Some(name),
                account,
                region,
            };
        }
        let call = self.event_name.as_str();
        let resource_type = if call.contains("MultiRegionAccessPoint") {
            ResourceType::MultiRegionAccessPoint
        } else if call.ends_with("ForObjectLambda") {
            ResourceType::ObjectLambdaAccessPoint
        } else if call.contains("AccessPoint") || self.kind.names_access_point() {
            if name.ends_with("--xa-s3") {
                ResourceType::DirectoryAccessPoint
            } else {
                ResourceType::AccessPoint
            }
        } else if matches!(call, "PutTableBucketPolicy" | "PutTablePolicy") {
            ResourceType::TableBucket
        } else if name.ends_with("--x-s3") {
            ResourceType::DirectoryBucket
        } else {
            ResourceType::Bucket
        };
        AwsResource {
            resource_type,
            name,
            bucket: None,
            account,
            region,
        }
    }
}

/// The AWS partition of a Region name (`aws`, `aws-cn`, `aws-us-gov`).
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Exposure, Kind, Severity};

    fn finding(kind: Kind, event_name: &str, bucket: Option<&str>, key: Option<&str>) -> Finding {
        Finding {
            event_id: "e".into(),
            event_time: "2026-01-01T00:00:00Z".into(),
            event_name: event_name.into(),
            kind,
            severity: Severity::High,
            reason: String::new(),
            account: "111122223333".into(),
            region: "eu-west-1".into(),
            bucket: bucket.map(str::to_owned),
            key: key.map(str::to_owned),
            actor_arn: String::new(),
            actor_type: String::new(),
            source_ip: String::new(),
            user_agent: String::new(),
            log_file: String::new(),
            exposure: Exposure::Effective,
            unknown_facts: Vec::new(),
            live_check: None,
        }
    }

    fn typed(
        kind: Kind,
        call: &str,
        bucket: Option<&str>,
        key: Option<&str>,
    ) -> (ResourceType, Option<String>) {
        let f = finding(kind, call, bucket, key);
        let r = f.aws_resource();
        (r.resource_type, r.arn(&|s: &str| s.to_owned()))
    }

    #[test]
    fn each_call_names_its_resource_type_and_arn() {
        use ResourceType::*;
        // kind, call, bucket, key; the resource type and ARN expected.
        type Case<'a> = (
            Kind,
            &'a str,
            Option<&'a str>,
            Option<&'a str>,
            ResourceType,
            Option<&'a str>,
        );
        let cases: [Case<'_>; 10] = [
            (
                Kind::BucketPolicyPublic,
                "PutBucketPolicy",
                Some("b"),
                None,
                Bucket,
                Some("arn:aws:s3:::b"),
            ),
            (
                Kind::ObjectAclPublic,
                "PutObjectAcl",
                Some("b"),
                Some("k/1"),
                Object,
                Some("arn:aws:s3:::b/k/1"),
            ),
            (
                Kind::AccessPointPolicyPublic,
                "PutAccessPointPolicy",
                Some("ap"),
                None,
                AccessPoint,
                Some("arn:aws:s3:eu-west-1:111122223333:accesspoint/ap"),
            ),
            (
                Kind::AccessPointBpaDisabled,
                "CreateAccessPoint",
                Some("ap"),
                None,
                AccessPoint,
                Some("arn:aws:s3:eu-west-1:111122223333:accesspoint/ap"),
            ),
            (
                Kind::AccessPointPolicyPublic,
                "PutAccessPointPolicy",
                Some("ap--euw1-az1--xa-s3"),
                None,
                DirectoryAccessPoint,
                Some("arn:aws:s3express:eu-west-1:111122223333:accesspoint/ap--euw1-az1--xa-s3"),
            ),
            (
                Kind::AccessPointPolicyPublic,
                "PutAccessPointPolicyForObjectLambda",
                Some("ol"),
                None,
                ObjectLambdaAccessPoint,
                Some("arn:aws:s3-object-lambda:eu-west-1:111122223333:accesspoint/ol"),
            ),
            (
                Kind::MrapBpaDisabled,
                "CreateMultiRegionAccessPoint",
                Some("m"),
                None,
                MultiRegionAccessPoint,
                None,
            ),
            (
                Kind::CrossAccountAccess,
                "PutTableBucketPolicy",
                Some("t"),
                None,
                TableBucket,
                Some("arn:aws:s3tables:eu-west-1:111122223333:bucket/t"),
            ),
            (
                Kind::CrossAccountAccess,
                "PutBucketPolicy",
                Some("d--euw1-az1--x-s3"),
                None,
                DirectoryBucket,
                Some("arn:aws:s3express:eu-west-1:111122223333:bucket/d--euw1-az1--x-s3"),
            ),
            (
                Kind::AccountBpaDisabled,
                "PutAccountPublicAccessBlock",
                None,
                None,
                Account,
                None,
            ),
        ];
        for (kind, call, bucket, key, want_type, want_arn) in cases {
            let (got_type, got_arn) = typed(kind, call, bucket, key);
            assert_eq!(got_type, want_type, "{call} {bucket:?}");
            assert_eq!(got_arn.as_deref(), want_arn, "{call} {bucket:?}");
        }
        // A foreign grant in an access point policy is on the access point.
        assert_eq!(
            typed(
                Kind::CrossAccountAccess,
                "PutAccessPointPolicy",
                Some("ap"),
                None
            )
            .0,
            AccessPoint
        );
        assert_eq!(
            typed(
                Kind::CrossAccountAccess,
                "PutMultiRegionAccessPointPolicy",
                Some("m"),
                None
            )
            .0,
            MultiRegionAccessPoint
        );
    }

    #[test]
    fn partitions_follow_the_region_and_parts_are_bounded() {
        let mut f = finding(
            Kind::AccessPointPolicyPublic,
            "PutAccessPointPolicy",
            Some("ap"),
            None,
        );
        f.region = "cn-north-1".into();
        assert_eq!(
            f.aws_resource().arn(&|s: &str| s.to_owned()).unwrap(),
            "arn:aws-cn:s3:cn-north-1:111122223333:accesspoint/ap"
        );
        f.region = "us-gov-west-1".into();
        assert_eq!(f.aws_resource().partition(), "aws-us-gov");
        f.bucket = Some("x".repeat(100));
        let arn = f
            .aws_resource()
            .arn(&|s: &str| s.chars().take(5).collect())
            .unwrap();
        assert!(arn.ends_with(":accesspoint/xxxxx"), "{arn}");
    }
}
