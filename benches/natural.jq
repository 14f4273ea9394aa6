# The natural jq filter: S3 permission changes that succeeded (uploads count
# when they carry an ACL header). Use: zcat FILES | jq -r -f natural.jq
.Records[]
| select(.eventSource == "s3.amazonaws.com" and .errorCode == null)
| select(
    (.eventName | IN("PutBucketAcl", "PutObjectAcl", "CreateBucket", "PutBucketPolicy",
                     "PutBucketPublicAccessBlock", "DeleteBucketPublicAccessBlock",
                     "PutAccountPublicAccessBlock", "DeleteAccountPublicAccessBlock",
                     "PutAccessPointPolicy"))
    or ((.eventName | IN("PutObject", "CopyObject"))
        and ((.requestParameters // {}) | keys | any(. == "x-amz-acl" or startswith("x-amz-grant-")))))
| .eventID
