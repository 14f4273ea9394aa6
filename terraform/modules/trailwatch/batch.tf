################################################################################
# Optional: a role for S3 Batch Operations to replay historic log files
# through the deployed function, from an S3 Inventory manifest (README:
# "Replay a historic archive"). The function reads each object with its own
# role, so the archive must be under the trail bucket's log prefix.
################################################################################

data "aws_iam_policy_document" "batch_assume_role" {
  count = local.enabled && var.create_batch_operations_role ? 1 : 0

  statement {
    sid     = "S3BatchOperationsAssumeRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["batchoperations.s3.amazonaws.com"]
    }

    # Only Batch Operations jobs of this account (confused deputy).
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "batch_operations" {
  count = local.enabled && var.create_batch_operations_role ? 1 : 0

  name                 = local.batch_role_name
  path                 = var.role_path
  permissions_boundary = var.role_permissions_boundary
  description          = "trailwatch ${var.name}: S3 Batch Operations replay of CloudTrail log files through the function"
  assume_role_policy   = data.aws_iam_policy_document.batch_assume_role[0].json
  max_session_duration = 3600
  tags                 = merge(local.tags, var.role_tags)
}

data "aws_iam_policy_document" "batch_operations" {
  count = local.enabled && var.create_batch_operations_role ? 1 : 0

  statement {
    sid     = "InvokeTrailwatchFunction"
    actions = ["lambda:InvokeFunction"]
    resources = [
      aws_lambda_function.this[0].arn,
      "${aws_lambda_function.this[0].arn}:*",
    ]
  }

  statement {
    sid       = "ReadInventoryManifests"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["${local.batch_bucket_arn}/${var.batch_operations_manifest_prefix}*"]
  }

  statement {
    sid       = "WriteCompletionReports"
    actions   = ["s3:PutObject"]
    resources = ["${local.batch_bucket_arn}/${var.batch_operations_report_prefix}*"]
  }

  statement {
    sid       = "LocateReportBucket"
    actions   = ["s3:GetBucketLocation"]
    resources = [local.batch_bucket_arn]
  }

  # Manifests and reports in the trail bucket are under its KMS key.
  dynamic "statement" {
    for_each = length(local.trail_kms_key_arns) > 0 && var.batch_operations_bucket_name == null ? [local.trail_kms_key_arns] : []

    content {
      sid       = "UseTrailKeyForManifestsAndReports"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = statement.value
    }
  }
}

resource "aws_iam_role_policy" "batch_operations" {
  count = local.enabled && var.create_batch_operations_role ? 1 : 0

  name   = "${var.name}-batch-operations"
  role   = aws_iam_role.batch_operations[0].id
  policy = data.aws_iam_policy_document.batch_operations[0].json
}
