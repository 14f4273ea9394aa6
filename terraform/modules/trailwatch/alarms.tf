################################################################################
# Alarms, all to the alert topic. Names start with "<name>-", which the topic
# policy requires of alarms that publish.
################################################################################

locals {
  alarm_actions = [aws_sns_topic.alerts.arn]
}

resource "aws_cloudwatch_metric_alarm" "function_errors" {
  count = var.enable_alarms ? 1 : 0

  alarm_name          = "${var.name}-function-errors"
  alarm_description   = "trailwatch function ${local.function_name} failed: a log file could not be read or alerts could not be published. Check its log group ${local.log_group_name}. A corrupt file in a trail bucket is itself suspicious."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = aws_lambda_function.this.function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = local.tags
}

resource "aws_cloudwatch_metric_alarm" "function_throttles" {
  count = var.enable_alarms ? 1 : 0

  alarm_name          = "${var.name}-function-throttles"
  alarm_description   = "trailwatch function ${local.function_name} was throttled: log files are waiting (SQS) or being retried (direct). Raise reserved_concurrent_executions or the account's concurrency."
  namespace           = "AWS/Lambda"
  metric_name         = "Throttles"
  dimensions          = { FunctionName = aws_lambda_function.this.function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = local.tags
}

resource "aws_cloudwatch_metric_alarm" "dlq_not_empty" {
  count = var.enable_alarms ? 1 : 0

  alarm_name          = "${var.name}-dlq-not-empty"
  alarm_description   = "trailwatch dead-letter queue ${aws_sqs_queue.dlq.name} holds log files the function could not process: they were NOT checked. Fix the cause, then redrive them (README)."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.dlq.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = local.tags
}

# "No log file processed for N hours": a silent pipeline is a broken pipeline
# (trail stopped, notification removed, permissions changed, queue stuck).
#   delivery = "sqs":    NumberOfMessagesDeleted on the delivery queue. The
#                        event source mapping deletes a message only when the
#                        function processed that log file successfully (failed
#                        items are reported in batchItemFailures and stay), so
#                        this counts processed log files, not attempts.
#   delivery = "lambda": Invocations of the function (one per log file; the
#                        errors alarm covers invocations that failed).
# Missing data is breaching: an idle queue or function publishes no data.
resource "aws_cloudwatch_metric_alarm" "no_log_files" {
  count = var.enable_alarms ? 1 : 0

  alarm_name          = "${var.name}-no-log-files-processed"
  alarm_description   = "trailwatch processed no CloudTrail log file from ${local.trail_bucket_name}/${local.logs_key_prefix} for ${var.silence_alarm_hours} hour(s). Check the trail is logging, the bucket notification, the queue and the function."
  namespace           = local.use_sqs ? "AWS/SQS" : "AWS/Lambda"
  metric_name         = local.use_sqs ? "NumberOfMessagesDeleted" : "Invocations"
  dimensions          = local.use_sqs ? tomap({ QueueName = aws_sqs_queue.events[0].name }) : tomap({ FunctionName = aws_lambda_function.this.function_name })
  statistic           = "Sum"
  period              = 3600
  evaluation_periods  = var.silence_alarm_hours
  datapoints_to_alarm = var.silence_alarm_hours
  threshold           = 1
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "breaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = local.tags
}
