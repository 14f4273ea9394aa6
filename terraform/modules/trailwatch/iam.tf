################################################################################
# The function's role: least privilege
#
# read:    the trail's log files only (<bucket>/<prefix>AWSLogs/*/CloudTrail/*),
#          the trail keys (decrypt), the allowlist object when
#          TRAILWATCH_CONFIG is s3://
# publish: the alert topic (PublishBatch is authorized by sns:Publish), with
#          the topic's key; with enable_security_hub, BatchImportFindings on
#          the account's default product; with event_bus, PutEvents on it
# write:   with changes_prefix, PutObject under that prefix only (the changes
#          objects of S3 Batch Operations tasks)
# consume: its own queue; send: its own dead-letter queue
# logs:    its own log group
# X-Ray:   only with enable_xray; PutTraceSegments/PutTelemetryRecords have no
#          resource-level permissions, so AWS requires Resource "*"
#
# This policy is enough when the trail bucket and its key are in this
# account. A bucket or key owned by another account must also grant the role
# in its resource policy: the trail_bucket_policy_statements and
# trail_kms_key_policy_statements outputs (cross_account.tf).
################################################################################

data "aws_iam_policy_document" "function_assume_role" {
  count = local.enabled ? 1 : 0

  statement {
    sid     = "LambdaAssumeRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "function" {
  count = local.enabled ? 1 : 0

  name                 = local.role_name
  path                 = var.role_path
  permissions_boundary = var.role_permissions_boundary
  description          = "trailwatch ${var.name}: reads CloudTrail log files, publishes findings"
  assume_role_policy   = data.aws_iam_policy_document.function_assume_role[0].json
  max_session_duration = 3600
  tags                 = merge(local.tags, var.role_tags)
}

data "aws_iam_policy_document" "function" {
  count = local.enabled ? 1 : 0

  statement {
    sid       = "ReadTrailLogFiles"
    actions   = ["s3:GetObject"]
    resources = [local.log_files_arn]
  }

  # Without ListBucket, S3 answers 403 instead of 404 for a missing object, and
  # the function would retry a deleted log file into the dead-letter queue
  # instead of alerting it as unreadable. It cannot be narrowed with an
  # s3:prefix condition: a GetObject request carries no s3:prefix, so the
  # condition would never match. Listing reveals key names only.
  statement {
    sid       = "ListTrailBucket"
    actions   = ["s3:ListBucket"]
    resources = [local.trail_bucket_arn]
  }

  # The trail's key, and earlier keys of older log files (trail_kms_key_arns).
  dynamic "statement" {
    for_each = length(local.trail_kms_key_arns) > 0 ? [local.trail_kms_key_arns] : []

    content {
      sid       = "DecryptTrailLogFiles"
      actions   = ["kms:Decrypt"]
      resources = statement.value
    }
  }

  dynamic "statement" {
    for_each = local.config_s3_object_arn == null ? [] : [local.config_s3_object_arn]

    content {
      sid       = "ReadAllowlistObject"
      actions   = ["s3:GetObject"]
      resources = [statement.value]
    }
  }

  # changes_prefix: the map step writes one changes object per log file a
  # Batch Operations task reads, under that prefix only.
  dynamic "statement" {
    for_each = local.changes_objects_arn == null ? [] : [local.changes_objects_arn]

    content {
      sid       = "WriteChangesObjects"
      actions   = ["s3:PutObject"]
      resources = [statement.value]
    }
  }

  statement {
    sid       = "PublishFindings"
    actions   = ["sns:Publish"]
    resources = [local.alert_topic_arn]
  }

  # enable_security_hub: import into this account's default product only.
  dynamic "statement" {
    for_each = var.enable_security_hub ? [local.security_hub_product_arn] : []

    content {
      sid       = "ImportSecurityHubFindings"
      actions   = ["securityhub:BatchImportFindings"]
      resources = [statement.value]
    }
  }

  # enable_security_hub: read back the earlier findings a removal ends
  # (GetFindings filtered to this product), to re-import them ARCHIVED.
  dynamic "statement" {
    for_each = var.enable_security_hub ? [local.security_hub_hub_arn] : []

    content {
      sid       = "ReadOwnSecurityHubFindings"
      actions   = ["securityhub:GetFindings"]
      resources = [statement.value]
    }
  }

  # event_bus: put events on that bus only.
  dynamic "statement" {
    for_each = local.event_bus_arn == null ? [] : [local.event_bus_arn]

    content {
      sid       = "PutFindingEvents"
      actions   = ["events:PutEvents"]
      resources = [statement.value]
    }
  }

  # The module's key (or kms_key_arn): the environment is encrypted with it,
  # and so is the alert topic the module creates (publishing to a
  # KMS-encrypted topic needs the publisher to generate a data key).
  statement {
    sid       = "UseModuleKey"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [local.kms_key_arn]
  }

  dynamic "statement" {
    for_each = !var.create_sns_topic && var.alert_topic_kms_key_arn != null ? [var.alert_topic_kms_key_arn] : []

    content {
      sid       = "UseAlertTopicKey"
      actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
      resources = [statement.value]
    }
  }

  dynamic "statement" {
    for_each = local.use_sqs ? [1] : []

    content {
      sid = "ConsumeDeliveryQueue"
      actions = [
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:ChangeMessageVisibility",
      ]
      resources = [aws_sqs_queue.events[0].arn]
    }
  }

  statement {
    sid       = "SendToDeadLetterQueue"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dlq[0].arn]
  }

  statement {
    sid       = "WriteOwnLogGroup"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.function[0].arn}:*"]
  }

  # The live check (TRAILWATCH_CONFIRM): the exposure settings of any
  # bucket of this account, read-only; no object data (no s3:GetObject).
  dynamic "statement" {
    for_each = var.confirm.enabled ? [1] : []

    content {
      sid = "LiveCheckReadBucketExposure"
      actions = [
        "s3:GetBucketPolicy",
        "s3:GetBucketAcl",
        "s3:GetBucketPublicAccessBlock",
        "s3:GetBucketOwnershipControls",
        "s3:GetBucketPolicyStatus",
      ]
      resources = ["arn:${local.partition}:s3:::*"]
    }
  }

  # The account's Block Public Access and its bucket list: account-level
  # actions without resource-level permissions, so AWS requires "*".
  dynamic "statement" {
    for_each = var.confirm.enabled ? [1] : []

    content {
      sid       = "LiveCheckAccountNoResourceLevelPermissions"
      actions   = ["s3:GetAccountPublicAccessBlock", "s3:ListAllMyBuckets"]
      resources = ["*"]
    }
  }

  # Other accounts: only the confirm role of the name given, in any account
  # (terraform/modules/trailwatch-confirm-role trusts this role alone).
  dynamic "statement" {
    for_each = var.confirm.enabled && var.confirm.role_name != null ? [var.confirm.role_name] : []

    content {
      sid       = "LiveCheckAssumeConfirmRole"
      actions   = ["sts:AssumeRole"]
      resources = ["arn:${local.partition}:iam::*:role/${statement.value}"]
    }
  }

  dynamic "statement" {
    for_each = var.enable_xray ? [1] : []

    content {
      sid       = "XRayWriteNoResourceLevelPermissions"
      actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
      resources = ["*"]
    }
  }
}

resource "aws_iam_role_policy" "function" {
  count = local.enabled ? 1 : 0

  name   = "${var.name}-function"
  role   = aws_iam_role.function[0].id
  policy = data.aws_iam_policy_document.function[0].json
}
