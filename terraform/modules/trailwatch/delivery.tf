################################################################################
# Delivery: trail bucket -> (SQS ->) function
#
# delivery = "sqs" (default): S3 notification -> queue -> event source mapping
#   with ReportBatchItemFailures; a message that fails sqs_max_receive_count
#   times moves to the dead-letter queue.
# delivery = "lambda": S3 invokes the function asynchronously; an event that
#   still fails after Lambda's retries goes to the same dead-letter queue.
#
# Both queues use SSE-SQS: S3 event notifications cannot be delivered to a
# queue encrypted with the AWS managed SQS key, and SSE-SQS needs no key
# policy for the S3 service.
################################################################################

resource "aws_sqs_queue" "dlq" {
  name                      = "${var.name}-dlq"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
  tags                      = local.tags
}

data "aws_iam_policy_document" "dlq" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [aws_sqs_queue.dlq.arn]

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
  queue_url = aws_sqs_queue.dlq.id
  policy    = data.aws_iam_policy_document.dlq.json
}

resource "aws_sqs_queue" "events" {
  count = local.use_sqs ? 1 : 0

  name                      = "${var.name}-events"
  message_retention_seconds = var.message_retention_seconds
  # AWS guidance for Lambda event sources: at least six times the function
  # timeout, plus the batching window.
  visibility_timeout_seconds = 6 * var.timeout + var.sqs_maximum_batching_window_seconds
  sqs_managed_sse_enabled    = true

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq.arn
    maxReceiveCount     = var.sqs_max_receive_count
  })

  tags = local.tags
}

resource "aws_sqs_queue_redrive_allow_policy" "dlq" {
  count = local.use_sqs ? 1 : 0

  queue_url = aws_sqs_queue.dlq.id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.events[0].arn]
  })
}

data "aws_iam_policy_document" "events_queue" {
  count = local.use_sqs ? 1 : 0

  statement {
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
      values   = [local.account_id]
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
  count = local.use_sqs ? 1 : 0

  queue_url = aws_sqs_queue.events[0].id
  policy    = data.aws_iam_policy_document.events_queue[0].json
}

resource "aws_lambda_event_source_mapping" "events" {
  count = local.use_sqs ? 1 : 0

  event_source_arn                   = aws_sqs_queue.events[0].arn
  function_name                      = aws_lambda_function.this.arn
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

  depends_on = [aws_iam_role_policy.function]

  lifecycle {
    precondition {
      condition     = var.sqs_batch_size <= 10 || var.sqs_maximum_batching_window_seconds > 0
      error_message = "sqs_batch_size above 10 needs sqs_maximum_batching_window_seconds > 0."
    }
  }
}

resource "aws_lambda_permission" "s3" {
  count = local.use_sqs ? 0 : 1

  statement_id   = "AllowTrailBucketNotifications"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.this.function_name
  principal      = "s3.amazonaws.com"
  source_arn     = local.trail_bucket_arn
  source_account = local.account_id
}

resource "aws_lambda_function_event_invoke_config" "this" {
  count = local.use_sqs ? 0 : 1

  function_name                = aws_lambda_function.this.function_name
  maximum_retry_attempts       = 2
  maximum_event_age_in_seconds = 21600
}

# Owns the bucket's whole notification configuration (see
# manage_bucket_notification).
resource "aws_s3_bucket_notification" "trail" {
  count = var.manage_bucket_notification ? 1 : 0

  bucket = local.create ? aws_s3_bucket.trail[0].id : var.trail_bucket_name

  dynamic "queue" {
    for_each = local.use_sqs ? [aws_sqs_queue.events[0].arn] : []

    content {
      id            = "trailwatch-log-files"
      queue_arn     = queue.value
      events        = ["s3:ObjectCreated:*"]
      filter_prefix = local.logs_key_prefix
      filter_suffix = ".json.gz"
    }
  }

  dynamic "lambda_function" {
    for_each = local.use_sqs ? [] : [aws_lambda_function.this.arn]

    content {
      id                  = "trailwatch-log-files"
      lambda_function_arn = lambda_function.value
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
