output "function_arn" {
  description = "ARN of the trailwatch function."
  value       = module.trailwatch.function_arn
}

output "sns_topic_arn" {
  description = "ARN of the alert topic."
  value       = module.trailwatch.sns_topic_arn
}

output "delivery_queue_arn" {
  description = "Delivery queue: add it to the bucket's notification configuration if manage_bucket_notification is false."
  value       = module.trailwatch.delivery_queue_arn
}

output "notification_filter" {
  description = "Event types and key filter to use for that notification."
  value       = module.trailwatch.notification_filter
}

output "batch_operations_role_arn" {
  description = "Role for S3 Batch Operations replay jobs."
  value       = module.trailwatch.batch_operations_role_arn
}
