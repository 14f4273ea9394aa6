################################################################################
# trailwatch-confirm-role: the role the trailwatch function assumes in a
# member account to read, read-only, whether that account's buckets are
# public now (the live check). Deploy it in every member account, per
# account or with a CloudFormation StackSet / Terraform per-account stack.
#
# trust:   the function's role only, with the external ID
# read:    bucket policy, ACL, Block Public Access, ownership controls,
#          policy status, the account's Block Public Access and bucket list
# never:   object data (s3:GetObject*), and no write of any kind
################################################################################

data "aws_partition" "current" {}

data "aws_iam_policy_document" "trust" {
  statement {
    sid     = "TrailwatchFunctionOnly"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "AWS"
      identifiers = [var.trusted_role_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "sts:ExternalId"
      values   = [var.external_id]
    }
  }
}

resource "aws_iam_role" "this" {
  name                 = var.role_name
  path                 = var.role_path
  permissions_boundary = var.permissions_boundary
  description          = "trailwatch live check: reads whether this account's buckets are public (no object data)"
  assume_role_policy   = data.aws_iam_policy_document.trust.json
  max_session_duration = 3600
  tags                 = merge({ "trailwatch:module" = "trailwatch-confirm-role" }, var.tags)
}

data "aws_iam_policy_document" "read" {
  statement {
    sid = "ReadBucketExposure"
    actions = [
      "s3:GetBucketPolicy",
      "s3:GetBucketAcl",
      "s3:GetBucketPublicAccessBlock",
      "s3:GetBucketOwnershipControls",
      "s3:GetBucketPolicyStatus",
    ]
    resources = ["arn:${data.aws_partition.current.partition}:s3:::*"]
  }

  # Account-level actions without resource-level permissions: AWS requires "*".
  statement {
    sid       = "AccountNoResourceLevelPermissions"
    actions   = ["s3:GetAccountPublicAccessBlock", "s3:ListAllMyBuckets"]
    resources = ["*"]
  }

  # Belt and braces: even a boundary or later policy granting more leaves
  # object data out of this role's reach.
  statement {
    sid       = "NeverObjectData"
    effect    = "Deny"
    actions   = ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectAcl", "s3:GetObjectVersionAcl"]
    resources = ["arn:${data.aws_partition.current.partition}:s3:::*/*"]
  }
}

resource "aws_iam_role_policy" "read" {
  name   = "${var.role_name}-read"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.read.json
}
