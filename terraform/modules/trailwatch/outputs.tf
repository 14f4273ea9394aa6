output "function_name" {
  description = "Name of the trailwatch Lambda function."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "ARN of the trailwatch Lambda function (the FunctionArn of an S3 Batch Operations LambdaInvoke job)."
  value       = aws_lambda_function.this.arn
}

output "function_role_arn" {
  description = "ARN of the function's execution role."
  value       = aws_iam_role.function.arn
}

output "log_group_name" {
  description = "CloudWatch log group of the function."
  value       = aws_cloudwatch_log_group.function.name
}

output "sns_topic_arn" {
  description = "ARN of the KMS-encrypted alert topic (findings and alarms). Subscribe further endpoints here."
  value       = aws_sns_topic.alerts.arn
}

output "alerts_kms_key_arn" {
  description = "ARN of the KMS key of the alert topic, the function environment and its logs. Subscribers such as encrypted SQS queues need their own key to admit sns.amazonaws.com."
  value       = aws_kms_key.alerts.arn
}

output "delivery_queue_arn" {
  description = "ARN of the S3 -> Lambda delivery queue (null with delivery = \"lambda\"). Add it to an existing notification configuration when manage_bucket_notification is false."
  value       = local.use_sqs ? aws_sqs_queue.events[0].arn : null
}

output "delivery_queue_url" {
  description = "URL of the delivery queue (null with delivery = \"lambda\")."
  value       = local.use_sqs ? aws_sqs_queue.events[0].url : null
}

output "dead_letter_queue_arn" {
  description = "ARN of the dead-letter queue holding log files that could not be processed."
  value       = aws_sqs_queue.dlq.arn
}

output "dead_letter_queue_url" {
  description = "URL of the dead-letter queue (for `aws sqs start-message-move-task` redrive)."
  value       = aws_sqs_queue.dlq.url
}

output "notification_filter" {
  description = "The S3 notification filter the module uses (events, prefix, suffix): reproduce it when you manage the bucket's notification configuration yourself."
  value = {
    events        = ["s3:ObjectCreated:*"]
    filter_prefix = local.logs_key_prefix
    filter_suffix = ".json.gz"
  }
}

output "trail_arn" {
  description = "ARN of the trail the module created (null in attach mode)."
  value       = local.create ? aws_cloudtrail.this[0].arn : null
}

output "trail_bucket_name" {
  description = "Name of the trail bucket watched (created or attached)."
  value       = local.trail_bucket_name
}

output "trail_bucket_arn" {
  description = "ARN of the trail bucket watched."
  value       = local.trail_bucket_arn
}

output "trail_kms_key_arn" {
  description = "ARN of the KMS key of the trail's log files (null when none)."
  value       = local.trail_kms_key_arn
}

output "alarm_arns" {
  description = "ARNs of the CloudWatch alarms, by purpose (empty when enable_alarms is false)."
  value = var.enable_alarms ? tomap({
    function_errors    = aws_cloudwatch_metric_alarm.function_errors[0].arn
    function_throttles = aws_cloudwatch_metric_alarm.function_throttles[0].arn
    dlq_not_empty      = aws_cloudwatch_metric_alarm.dlq_not_empty[0].arn
    no_log_files       = aws_cloudwatch_metric_alarm.no_log_files[0].arn
  }) : tomap({})
}

output "batch_operations_role_arn" {
  description = "ARN of the S3 Batch Operations role for replays (null unless create_batch_operations_role)."
  value       = var.create_batch_operations_role ? aws_iam_role.batch_operations[0].arn : null
}

output "batch_operations_bucket_name" {
  description = "Bucket of the inventory manifests and Batch Operations completion reports."
  value       = local.batch_bucket_name
}
