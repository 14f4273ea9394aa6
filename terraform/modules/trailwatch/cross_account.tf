################################################################################
# A trail bucket or trail key owned by another account (Control Tower: the
# Log Archive bucket, an organization key in the management account).
#
# An IAM policy alone never reads across accounts: the owner's resource
# policy must grant the function's role too. The module cannot change a
# bucket or key it does not own (and Control Tower forbids changing the Log
# Archive bucket policy), so it outputs ready-to-paste statements instead:
#   trail_bucket_policy_statements   -> the trail bucket's policy
#   trail_kms_key_policy_statements  -> the trail key's policy
# Both are JSON policy documents; paste their "Statement" entries into the
# existing policy. When bucket and key are in this account they are not
# needed (the role's IAM policy is enough with the default key policy).
################################################################################

data "aws_iam_policy_document" "function_trail_bucket_grant" {
  count = local.enabled ? 1 : 0

  statement {
    sid       = "TrailwatchReadLogFiles"
    actions   = ["s3:GetObject"]
    resources = [local.log_files_arn]

    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.function[0].arn]
    }
  }

  statement {
    sid       = "TrailwatchListBucket"
    actions   = ["s3:ListBucket"]
    resources = [local.trail_bucket_arn]

    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.function[0].arn]
    }
  }
}

# A key policy: "Resource": "*" means the key itself (the only value AWS
# accepts there). Decrypt only through S3 in this region, i.e. only to read
# objects the role may already GetObject.
data "aws_iam_policy_document" "function_trail_key_policy" {
  count = local.enabled ? 1 : 0

  #checkov:skip=CKV_AWS_109:Key policy statement to paste into a key owned elsewhere: "Resource": "*" means that key; it grants only kms:Decrypt, to one role, only via S3.
  #checkov:skip=CKV_AWS_111:Key policy statement to paste into a key owned elsewhere: "Resource": "*" means that key; it grants only kms:Decrypt, to one role, only via S3.
  #checkov:skip=CKV_AWS_356:Key policy statement to paste into a key owned elsewhere: "Resource": "*" is the only resource a key policy accepts and means that key.
  statement {
    sid       = "TrailwatchDecryptLogFiles"
    actions   = ["kms:Decrypt"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.function[0].arn]
    }

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.region}.amazonaws.com"]
    }
  }
}
