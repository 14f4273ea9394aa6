################################################################################
# Delivery: announcement of a new log file -> (SQS ->) function
#
# event_source (how a new log file is announced; only "s3" may touch the
# trail bucket, and only with manage_bucket_notification):
#   "s3"             the bucket's notification configuration -> queue (or
#                    the function, delivery = "lambda")
#   "eventbridge"    EventBridge rule on aws.s3 "Object Created" for the
#                    bucket and the log prefix -> queue
#   "sns"            an existing S3 -> SNS fan-out topic -> queue (raw)
#   "cloudtrail_sns" the trail's log-delivery topic -> queue (raw), bodies
#                    filtered to this bucket's deliveries
# delivery = "sqs" (default): queue -> event source mapping with
#   ReportBatchItemFailures; a message that fails sqs_max_receive_count times
#   moves to the dead-letter queue.
# delivery = "lambda": S3 invokes the function asynchronously; an event that
#   still fails after Lambda's retries goes to the same dead-letter queue.
#
# Both queues use SSE-SQS: S3 event notifications cannot be delivered to a
# queue encrypted with the AWS managed SQS key, and SSE-SQS needs no key
# policy for the S3, SNS or EventBridge services.
################################################################################

resource "aws_sqs_queue" "dlq" {
  count = local.enabled ? 1 : 0

  name                      = "${var.name}-dlq"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
  tags                      = merge(local.tags, var.sqs_queue_tags)
}

data "aws_iam_policy_document" "dlq" {
  count = local.enabled ? 1 : 0

  # EventBridge sends events it could not deliver to the queue here.
  dynamic "statement" {
    for_each = var.event_source == "eventbridge" ? [1] : []

    content {
      sid       = "AllowEventBridgeDeadLetters"
      actions   = ["sqs:SendMessage"]
      resources = [aws_sqs_queue.dlq[0].arn]

      principals {
        type        = "Service"
        identifiers = ["events.amazonaws.com"]
      }

      condition {
        test     = "ArnEquals"
        variable = "aws:SourceArn"
        values   = [aws_cloudwatch_event_rule.log_files[0].arn]
      }
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [aws_sqs_queue.dlq[0].arn]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sqs_queue_policy" "dlq" {
  count = local.enabled ? 1 : 0

  queue_url = aws_sqs_queue.dlq[0].id
  policy    = data.aws_iam_policy_document.dlq[0].json
}

resource "aws_sqs_queue" "events" {
  count = local.enabled && local.use_sqs ? 1 : 0

  name                      = "${var.name}-events"
  message_retention_seconds = var.message_retention_seconds
  # AWS guidance for Lambda event sources: at least six times the function
  # timeout, plus the batching window.
  visibility_timeout_seconds = 6 * var.timeout + var.sqs_maximum_batching_window_seconds
  sqs_managed_sse_enabled    = true

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq[0].arn
    maxReceiveCount     = var.sqs_max_receive_count
  })

  tags = merge(local.tags, var.sqs_queue_tags)
}

resource "aws_sqs_queue_redrive_allow_policy" "dlq" {
  count = local.enabled && local.use_sqs ? 1 : 0

  queue_url = aws_sqs_queue.dlq[0].id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.events[0].arn]
  })
}

data "aws_iam_policy_document" "events_queue" {
  count = local.enabled && local.use_sqs ? 1 : 0

  # S3 notifications: only from the trail bucket, only from its owner.
  dynamic "statement" {
    for_each = var.event_source == "s3" ? [1] : []

    content {
      sid       = "AllowTrailBucketNotifications"
      actions   = ["sqs:SendMessage"]
      resources = [aws_sqs_queue.events[0].arn]

      principals {
        type        = "Service"
        identifiers = ["s3.amazonaws.com"]
      }

      condition {
        test     = "ArnEquals"
        variable = "aws:SourceArn"
        values   = [local.trail_bucket_arn]
      }

      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [local.trail_bucket_account_id]
      }
    }
  }

  dynamic "statement" {
    for_each = var.event_source == "eventbridge" ? [1] : []

    content {
      sid       = "AllowEventBridgeRule"
      actions   = ["sqs:SendMessage"]
      resources = [aws_sqs_queue.events[0].arn]

      principals {
        type        = "Service"
        identifiers = ["events.amazonaws.com"]
      }

      condition {
        test     = "ArnEquals"
        variable = "aws:SourceArn"
        values   = [aws_cloudwatch_event_rule.log_files[0].arn]
      }
    }
  }

  dynamic "statement" {
    for_each = local.subscribes_to_topic ? [1] : []

    content {
      sid       = "AllowSourceTopic"
      actions   = ["sqs:SendMessage"]
      resources = [aws_sqs_queue.events[0].arn]

      principals {
        type        = "Service"
        identifiers = ["sns.amazonaws.com"]
      }

      condition {
        test     = "ArnEquals"
        variable = "aws:SourceArn"
        values   = [local.source_topic_arn]
      }
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [aws_sqs_queue.events[0].arn]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sqs_queue_policy" "events" {
  count = local.enabled && local.use_sqs ? 1 : 0

  queue_url = aws_sqs_queue.events[0].id
  policy    = data.aws_iam_policy_document.events_queue[0].json
}

resource "aws_lambda_event_source_mapping" "events" {
  count = local.enabled && local.use_sqs ? 1 : 0

  event_source_arn                   = aws_sqs_queue.events[0].arn
  function_name                      = aws_lambda_function.this[0].arn
  batch_size                         = var.sqs_batch_size
  maximum_batching_window_in_seconds = var.sqs_maximum_batching_window_seconds
  # The function returns batchItemFailures: only the failed log files are
  # retried, the rest of the batch is deleted.
  function_response_types = ["ReportBatchItemFailures"]

  dynamic "scaling_config" {
    for_each = var.sqs_maximum_concurrency == null ? [] : [var.sqs_maximum_concurrency]

    content {
      maximum_concurrency = scaling_config.value
    }
  }

  tags = merge(local.tags, var.event_source_mapping_tags)

  depends_on = [aws_iam_role_policy.function]

  lifecycle {
    precondition {
      condition     = var.sqs_batch_size <= 10 || var.sqs_maximum_batching_window_seconds > 0
      error_message = "sqs_batch_size above 10 needs sqs_maximum_batching_window_seconds > 0."
    }
  }
}

################################################################################
# event_source = "eventbridge"
################################################################################

resource "aws_cloudwatch_event_rule" "log_files" {
  count = local.enabled && var.event_source == "eventbridge" ? 1 : 0

  name        = "${var.name}-log-files"
  description = "trailwatch ${var.name}: new objects under s3://${local.trail_bucket_name}/${local.logs_key_prefix}"
  event_pattern = jsonencode({
    source        = ["aws.s3"]
    "detail-type" = ["Object Created"]
    detail = {
      bucket = { name = [local.trail_bucket_name] }
      object = { key = [{ prefix = local.logs_key_prefix }] }
    }
  })
  tags = merge(local.tags, var.alarm_tags)
}

resource "aws_cloudwatch_event_target" "log_files" {
  count = local.enabled && var.event_source == "eventbridge" ? 1 : 0

  rule      = aws_cloudwatch_event_rule.log_files[0].name
  target_id = "trailwatch-delivery-queue"
  arn       = aws_sqs_queue.events[0].arn

  retry_policy {
    maximum_event_age_in_seconds = 86400
    maximum_retry_attempts       = 185
  }

  dead_letter_config {
    arn = aws_sqs_queue.dlq[0].arn
  }

  depends_on = [aws_sqs_queue_policy.events, aws_sqs_queue_policy.dlq]
}

################################################################################
# event_source = "sns" or "cloudtrail_sns": the queue subscribes, raw, so the
# message body is the S3 event or CloudTrail's {"s3Bucket","s3ObjectKey"}.
################################################################################

resource "aws_sns_topic_subscription" "log_deliveries" {
  count = local.subscribes_to_topic ? 1 : 0

  topic_arn            = local.source_topic_arn
  protocol             = "sqs"
  endpoint             = aws_sqs_queue.events[0].arn
  raw_message_delivery = true

  # A trail topic may carry other messages (Control Tower's
  # AllConfigNotifications carries AWS Config notifications): keep only this
  # bucket's log deliveries, by their JSON body.
  filter_policy_scope = var.event_source == "cloudtrail_sns" ? "MessageBody" : null
  filter_policy       = var.event_source == "cloudtrail_sns" ? jsonencode({ s3Bucket = [local.trail_bucket_name] }) : null

  depends_on = [aws_sqs_queue_policy.events]
}

################################################################################
# delivery = "lambda" (event_source = "s3" only)
################################################################################

resource "aws_lambda_permission" "s3" {
  count = local.enabled && !local.use_sqs ? 1 : 0

  statement_id   = "AllowTrailBucketNotifications"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.this[0].function_name
  principal      = "s3.amazonaws.com"
  source_arn     = local.trail_bucket_arn
  source_account = local.trail_bucket_account_id
}

# Events still failing after two retries, or older than six hours, go to the
# dead-letter queue (on-failure destination, with the error and the request);
# events Lambda drops otherwise are counted in AsyncEventsDropped (alarmed).
resource "aws_lambda_function_event_invoke_config" "this" {
  count = local.enabled && !local.use_sqs ? 1 : 0

  function_name                = aws_lambda_function.this[0].function_name
  maximum_retry_attempts       = 2
  maximum_event_age_in_seconds = 21600

  destination_config {
    on_failure {
      destination = aws_sqs_queue.dlq[0].arn
    }
  }
}

################################################################################
# The bucket's notification configuration: only with manage_bucket_notification
# (default: create mode only). It is the bucket's WHOLE configuration:
# creating it replaces whatever the bucket had, destroying it leaves none.
################################################################################

resource "aws_s3_bucket_notification" "trail" {
  count = local.manage_bucket_notification ? 1 : 0

  bucket      = local.create ? aws_s3_bucket.trail[0].id : var.trail_bucket_name
  eventbridge = local.bucket_eventbridge

  dynamic "queue" {
    for_each = var.event_source == "s3" && local.use_sqs ? [1] : []

    content {
      id            = "trailwatch-log-files"
      queue_arn     = aws_sqs_queue.events[0].arn
      events        = ["s3:ObjectCreated:*"]
      filter_prefix = local.logs_key_prefix
      filter_suffix = ".json.gz"
    }
  }

  dynamic "lambda_function" {
    for_each = var.event_source == "s3" && !local.use_sqs ? [1] : []

    content {
      id                  = "trailwatch-log-files"
      lambda_function_arn = aws_lambda_function.this[0].arn
      events              = ["s3:ObjectCreated:*"]
      filter_prefix       = local.logs_key_prefix
      filter_suffix       = ".json.gz"
    }
  }

  depends_on = [
    aws_sqs_queue_policy.events,
    aws_lambda_permission.s3,
  ]
}
