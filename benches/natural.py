#!/usr/bin/env python3
"""The natural way to find S3 permission changes in CloudTrail logs with
Python: gzip + json.load + a filter on eventSource, eventName and errorCode
(uploads count when they carry an ACL header). Prints one eventID per line.

usage: natural.py FILE... | natural.py @LIST (a file naming one log per line)
"""
import gzip
import json
import sys

PERMISSION_EVENTS = {
    "PutBucketAcl", "PutObjectAcl", "CreateBucket", "PutBucketPolicy",
    "PutBucketPublicAccessBlock", "DeleteBucketPublicAccessBlock",
    "PutAccountPublicAccessBlock", "DeleteAccountPublicAccessBlock",
    "PutAccessPointPolicy",
}
UPLOAD_EVENTS = {"PutObject", "CopyObject"}


def has_acl_header(params):
    return any(k == "x-amz-acl" or k.startswith("x-amz-grant-") for k in (params or {}))


def files(args):
    for a in args:
        if a.startswith("@"):
            with open(a[1:]) as f:
                yield from (line.strip() for line in f if line.strip())
        else:
            yield a


def main():
    out = []
    for path in files(sys.argv[1:]):
        with gzip.open(path, "rb") as f:
            doc = json.load(f)
        for r in doc["Records"]:
            if r.get("eventSource") != "s3.amazonaws.com" or r.get("errorCode"):
                continue
            name = r.get("eventName")
            if name in PERMISSION_EVENTS or (name in UPLOAD_EVENTS and has_acl_header(r.get("requestParameters"))):
                out.append(r["eventID"])
    sys.stdout.write("".join(i + "\n" for i in out))


if __name__ == "__main__":
    main()
