################################################################################
# Alarms: to alarm_topic_arn (an operations topic) when set, else to the alert
# topic. Names start with "<name>-", which the alert topic's policy requires
# of alarms that publish. CloudWatch attaches no message attributes to alarm
# notifications: a subscription with a filter policy on kind or severity
# never receives them, which is what alarm_topic_arn is for.
#
# What each failure looks like:
#   a log file cannot be read (kms:Decrypt lost, corrupt file, cap hit)
#       -> LogFilesFailed > 0 within 5 minutes (the function's own metric:
#          with SQS delivery a per-file failure is reported in
#          batchItemFailures and the invocation counts as a success, so
#          AWS/Lambda Errors stays at 0)
#   files waiting (function failing, throttled, stopped)
#       -> delivery queue ApproximateAgeOfOldestMessage > queue_age_alarm_seconds
#   files given up on
#       -> dead-letter queue not empty
#   nothing arriving (trail stopped, notification or subscription removed)
#       -> LogFilesScanned < 1 for silence_alarm_hours (digest and Config
#          objects do not count: they are not scanned)
#   direct delivery: events dropped -> AsyncEventsDropped > 0
################################################################################

locals {
  create_alarms = local.enabled && var.enable_alarms
  alarm_tags    = merge(local.tags, var.alarm_tags)
  # The function's EMF metrics (crates/trailwatch-lambda/src/metrics.rs).
  function_metric_dimensions = { FunctionName = local.function_name }
}

resource "aws_cloudwatch_metric_alarm" "function_errors" {
  count = local.create_alarms ? 1 : 0

  alarm_name          = "${var.name}-function-errors"
  alarm_description   = "trailwatch function ${local.function_name} failed an invocation (direct or Batch Operations invocations, an event it could not understand, a start-up failure). Per-file failures in SQS batches are in the ${var.name}-log-files-failed alarm. Check its log group ${local.log_group_name}."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = aws_lambda_function.this[0].function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = local.alarm_tags
}

resource "aws_cloudwatch_metric_alarm" "function_throttles" {
  count = local.create_alarms ? 1 : 0

  alarm_name          = "${var.name}-function-throttles"
  alarm_description   = "trailwatch function ${local.function_name} was throttled: log files are waiting (SQS) or being retried (direct). Raise reserved_concurrent_executions or the account's concurrency."
  namespace           = "AWS/Lambda"
  metric_name         = "Throttles"
  dimensions          = { FunctionName = aws_lambda_function.this[0].function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = local.alarm_tags
}

resource "aws_cloudwatch_metric_alarm" "dlq_not_empty" {
  count = local.create_alarms ? 1 : 0

  alarm_name          = "${var.name}-dlq-not-empty"
  alarm_description   = "trailwatch dead-letter queue ${aws_sqs_queue.dlq[0].name} holds log files the function could not process: they were NOT checked. Fix the cause, then redrive them (README)."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.dlq[0].name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = local.alarm_tags
}

resource "aws_cloudwatch_metric_alarm" "log_files_failed" {
  count = local.create_alarms ? 1 : 0

  alarm_name          = "${var.name}-log-files-failed"
  alarm_description   = "trailwatch could not scan a CloudTrail log file in the last 5 minutes (LogFilesFailed): unreadable or corrupt (alerted as unreadable-log-file), over the decompressed-size cap (DecompressedCapHits), or not fetchable (access or key denied: it will be retried, then dead-lettered). Check the log group ${local.log_group_name}."
  namespace           = var.metrics_namespace
  metric_name         = "LogFilesFailed"
  dimensions          = local.function_metric_dimensions
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = local.alarm_tags
}

resource "aws_cloudwatch_metric_alarm" "queue_message_age" {
  count = local.create_alarms && local.use_sqs ? 1 : 0

  alarm_name          = "${var.name}-delivery-queue-age"
  alarm_description   = "The oldest message in trailwatch's delivery queue ${aws_sqs_queue.events[0].name} is older than ${var.queue_age_alarm_seconds} seconds: log files are waiting and being retried (function failing, throttled or disabled)."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateAgeOfOldestMessage"
  dimensions          = { QueueName = aws_sqs_queue.events[0].name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = var.queue_age_alarm_seconds
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = local.alarm_tags
}

resource "aws_cloudwatch_metric_alarm" "async_events_dropped" {
  count = local.create_alarms && !local.use_sqs ? 1 : 0

  alarm_name          = "${var.name}-async-events-dropped"
  alarm_description   = "Lambda dropped asynchronous events for trailwatch function ${local.function_name} (AsyncEventsDropped): those log files were not checked. Failed events also go to the dead-letter queue (on-failure destination)."
  namespace           = "AWS/Lambda"
  metric_name         = "AsyncEventsDropped"
  dimensions          = { FunctionName = aws_lambda_function.this[0].function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = local.alarm_tags
}

# "No log file scanned for N hours": a silent pipeline is a broken pipeline.
# LogFilesScanned counts CloudTrail log files read to their end, whatever the
# event source; digest files, Insights files and AWS Config objects, which go
# on arriving after log files stop, are skipped and not counted. Every
# invocation writes the metric (0 included); missing data is breaching,
# since an idle function writes none.
resource "aws_cloudwatch_metric_alarm" "no_log_files" {
  count = local.create_alarms ? 1 : 0

  alarm_name          = "${var.name}-no-log-files-processed"
  alarm_description   = "trailwatch scanned no CloudTrail log file from ${local.trail_bucket_name}/${local.logs_key_prefix} for ${var.silence_alarm_hours} hour(s). Check the trail is logging, the notification (or rule, or subscription), the queue and the function."
  namespace           = var.metrics_namespace
  metric_name         = "LogFilesScanned"
  dimensions          = local.function_metric_dimensions
  statistic           = "Sum"
  period              = 3600
  evaluation_periods  = var.silence_alarm_hours
  datapoints_to_alarm = var.silence_alarm_hours
  threshold           = 1
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "breaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = local.alarm_tags
}
