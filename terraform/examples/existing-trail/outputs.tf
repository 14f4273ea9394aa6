output "function_arn" {
  description = "ARN of the trailwatch function."
  value       = module.trailwatch.function_arn
}

output "sns_topic_arn" {
  description = "ARN of the alert topic."
  value       = module.trailwatch.sns_topic_arn
}

output "delivery_queue_arn" {
  description = "ARN of the delivery queue."
  value       = module.trailwatch.delivery_queue_arn
}

output "dead_letter_queue_url" {
  description = "URL of the dead-letter queue (redrive)."
  value       = module.trailwatch.dead_letter_queue_url
}

output "bucket_notification_managed" {
  description = "Whether the module owns the bucket's notification configuration (false here: the bucket is not touched)."
  value       = module.trailwatch.bucket_notification_managed
}

output "eventbridge_rule_arn" {
  description = "ARN of the EventBridge rule."
  value       = module.trailwatch.eventbridge_rule_arn
}

output "batch_operations_role_arn" {
  description = "Role for S3 Batch Operations replay jobs."
  value       = module.trailwatch.batch_operations_role_arn
}
