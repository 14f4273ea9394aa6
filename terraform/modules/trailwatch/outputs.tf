output "function_name" {
  description = "Name of the trailwatch Lambda function."
  value       = try(aws_lambda_function.this[0].function_name, null)
}

output "function_arn" {
  description = "ARN of the trailwatch Lambda function (the FunctionArn of an S3 Batch Operations LambdaInvoke job)."
  value       = try(aws_lambda_function.this[0].arn, null)
}

output "function_role_arn" {
  description = "ARN of the function's execution role."
  value       = try(aws_iam_role.function[0].arn, null)
}

output "function_role_name" {
  description = "Name of the function's execution role."
  value       = try(aws_iam_role.function[0].name, null)
}

output "log_group_name" {
  description = "CloudWatch log group of the function (its log lines, and the EMF metrics lines)."
  value       = try(aws_cloudwatch_log_group.function[0].name, null)
}

output "log_group_arn" {
  description = "ARN of the function's log group."
  value       = try(aws_cloudwatch_log_group.function[0].arn, null)
}

output "metrics_namespace" {
  description = "CloudWatch namespace of the function's metrics (LogFilesScanned, LogFilesFailed, Findings, DecompressedCapHits; dimension FunctionName)."
  value       = var.metrics_namespace
}

output "sns_topic_arn" {
  description = "ARN of the alert topic (created, or alert_topic_arn). Subscribe further endpoints here."
  value       = local.enabled ? local.alert_topic_arn : null
}

output "sns_topic_name" {
  description = "Name of the alert topic the module created (null with create_sns_topic = false)."
  value       = try(aws_sns_topic.alerts[0].name, null)
}

output "alarm_topic_arn" {
  description = "ARN of the topic the alarms notify (alarm_topic_arn, or the alert topic)."
  value       = local.enabled ? local.alarm_actions[0] : null
}

output "alerts_kms_key_arn" {
  description = "ARN of the KMS key of the alert topic, the function environment and its logs (created, or kms_key_arn). Subscribers such as encrypted SQS queues need their own key to admit sns.amazonaws.com."
  value       = local.enabled ? local.kms_key_arn : null
}

output "delivery_queue_arn" {
  description = "ARN of the delivery queue (null with delivery = \"lambda\"). With event_source = \"s3\" and manage_bucket_notification = false, add it to the bucket's notification configuration yourself, with notification_filter."
  value       = try(aws_sqs_queue.events[0].arn, null)
}

output "delivery_queue_url" {
  description = "URL of the delivery queue (null with delivery = \"lambda\")."
  value       = try(aws_sqs_queue.events[0].url, null)
}

output "delivery_queue_name" {
  description = "Name of the delivery queue (null with delivery = \"lambda\")."
  value       = try(aws_sqs_queue.events[0].name, null)
}

output "dead_letter_queue_arn" {
  description = "ARN of the dead-letter queue holding log files that could not be processed."
  value       = try(aws_sqs_queue.dlq[0].arn, null)
}

output "dead_letter_queue_url" {
  description = "URL of the dead-letter queue (for `aws sqs start-message-move-task` redrive)."
  value       = try(aws_sqs_queue.dlq[0].url, null)
}

output "dead_letter_queue_name" {
  description = "Name of the dead-letter queue."
  value       = try(aws_sqs_queue.dlq[0].name, null)
}

output "event_source_mapping_uuid" {
  description = "UUID of the SQS event source mapping (null with delivery = \"lambda\"): `aws lambda update-event-source-mapping --uuid ... --no-enabled` pauses delivery."
  value       = try(aws_lambda_event_source_mapping.events[0].uuid, null)
}

output "eventbridge_rule_arn" {
  description = "ARN of the EventBridge rule (event_source = \"eventbridge\"; null otherwise)."
  value       = try(aws_cloudwatch_event_rule.log_files[0].arn, null)
}

output "log_delivery_subscription_arn" {
  description = "ARN of the queue's subscription to the S3 fan-out topic or the trail's log-delivery topic (event_source \"sns\" or \"cloudtrail_sns\"; null otherwise)."
  value       = try(aws_sns_topic_subscription.log_deliveries[0].arn, null)
}

output "trail_sns_topic_arn" {
  description = "ARN of the trail's log-delivery topic (event_source = \"cloudtrail_sns\": created in create mode, trail_sns_topic_arn in attach mode; null otherwise)."
  value       = local.enabled && var.event_source == "cloudtrail_sns" ? local.source_topic_arn : null
}

output "bucket_notification_managed" {
  description = "Whether the module owns the trail bucket's notification configuration (true replaces the bucket's whole configuration; destroy empties it)."
  value       = local.manage_bucket_notification
}

output "notification_filter" {
  description = "The S3 notification filter of event_source = \"s3\" (events, prefix, suffix): reproduce it when you manage the bucket's notification configuration yourself. S3 refuses a second rule whose prefix/suffix overlaps an existing one for the same event type: if the bucket already notifies on AWSLogs/, use event_source \"sns\" or \"eventbridge\" instead."
  value = {
    events        = ["s3:ObjectCreated:*"]
    filter_prefix = local.logs_key_prefix
    filter_suffix = ".json.gz"
  }
}

output "trail_arn" {
  description = "ARN of the trail the module created (null in attach mode). For an organization trail it carries the management account's ID."
  value       = try(aws_cloudtrail.this[0].arn, null)
}

output "trail_account_id" {
  description = "Account that owns the trail in create mode (the management account for an organization trail); the account of its aws:SourceArn conditions."
  value       = local.create ? local.trail_account_id : null
}

output "trail_bucket_name" {
  description = "Name of the trail bucket watched (created or attached)."
  value       = local.trail_bucket_name
}

output "trail_bucket_arn" {
  description = "ARN of the trail bucket watched."
  value       = local.trail_bucket_arn
}

output "trail_bucket_account_id" {
  description = "Account that owns the trail bucket (the aws:SourceAccount of its notifications)."
  value       = local.trail_bucket_account_id
}

output "trail_kms_key_arn" {
  description = "ARN of the KMS key of the trail's log files (null when none)."
  value       = local.trail_kms_key_arn
}

output "trail_bucket_policy_statements" {
  description = "JSON policy whose statements the trail bucket's owner pastes into the bucket policy when the bucket is in another account (trail_bucket_account_id): read of <prefix>/AWSLogs/*/CloudTrail/* and list, for the function's role only. Not needed for a bucket in this account."
  value       = try(data.aws_iam_policy_document.function_trail_bucket_grant[0].json, null)
}

output "trail_kms_key_policy_statements" {
  description = "JSON policy whose statement the trail key's owner pastes into the key policy when the key is in another account: kms:Decrypt for the function's role, only through S3 in this region. Not needed for a key in this account whose policy delegates to IAM (the AWS default)."
  value       = try(data.aws_iam_policy_document.function_trail_key_policy[0].json, null)
}

output "alarm_arns" {
  description = "ARNs of the CloudWatch alarms, by purpose (empty when enable_alarms is false)."
  value = local.create_alarms ? merge(
    tomap({
      function_errors    = aws_cloudwatch_metric_alarm.function_errors[0].arn
      function_throttles = aws_cloudwatch_metric_alarm.function_throttles[0].arn
      dlq_not_empty      = aws_cloudwatch_metric_alarm.dlq_not_empty[0].arn
      log_files_failed   = aws_cloudwatch_metric_alarm.log_files_failed[0].arn
      no_log_files       = aws_cloudwatch_metric_alarm.no_log_files[0].arn
    }),
    local.use_sqs ? tomap({ queue_message_age = aws_cloudwatch_metric_alarm.queue_message_age[0].arn }) : tomap({}),
    local.use_sqs ? tomap({}) : tomap({ async_events_dropped = aws_cloudwatch_metric_alarm.async_events_dropped[0].arn }),
  ) : tomap({})
}

output "batch_operations_role_arn" {
  description = "ARN of the S3 Batch Operations role for replays (null unless create_batch_operations_role)."
  value       = try(aws_iam_role.batch_operations[0].arn, null)
}

output "batch_operations_role_name" {
  description = "Name of the S3 Batch Operations role (null unless create_batch_operations_role)."
  value       = try(aws_iam_role.batch_operations[0].name, null)
}

output "batch_operations_bucket_name" {
  description = "Bucket of the inventory manifests and Batch Operations completion reports."
  value       = local.batch_bucket_name
}
