################################################################################
# The function's role: least privilege
#
# read:    the trail's log files only (<bucket>/<prefix>AWSLogs/*), the trail
#          key (decrypt), the allowlist object when TRAILWATCH_CONFIG is s3://
# publish: its own topic (PublishBatch is authorized by sns:Publish), with the
#          topic's key
# consume: its own queue; send: its own dead-letter queue
# logs:    its own log group
# X-Ray:   only with enable_xray; PutTraceSegments/PutTelemetryRecords have no
#          resource-level permissions, so AWS requires Resource "*"
################################################################################

data "aws_iam_policy_document" "function_assume_role" {
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
  name                 = "${var.name}-function"
  description          = "trailwatch ${var.name}: reads CloudTrail log files, publishes findings"
  assume_role_policy   = data.aws_iam_policy_document.function_assume_role.json
  max_session_duration = 3600
  tags                 = local.tags
}

data "aws_iam_policy_document" "function" {
  statement {
    sid       = "ReadTrailLogFiles"
    actions   = ["s3:GetObject"]
    resources = ["${local.trail_bucket_arn}/${local.logs_key_prefix}*"]
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

  dynamic "statement" {
    for_each = local.trail_kms_key_arn == null ? [] : [local.trail_kms_key_arn]

    content {
      sid       = "DecryptTrailLogFiles"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]
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

  statement {
    sid       = "PublishFindings"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alerts.arn]
  }

  # Publishing to a KMS-encrypted topic needs the publisher to generate a data
  # key; kms:Decrypt also covers the environment encrypted with this key.
  statement {
    sid       = "UseAlertsKey"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [aws_kms_key.alerts.arn]
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
    resources = [aws_sqs_queue.dlq.arn]
  }

  statement {
    sid       = "WriteOwnLogGroup"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.function.arn}:*"]
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
  name   = "${var.name}-function"
  role   = aws_iam_role.function.id
  policy = data.aws_iam_policy_document.function.json
}
