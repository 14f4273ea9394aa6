output "function_arn" {
  description = "ARN of the trailwatch function (FunctionArn for a Batch Operations replay job)."
  value       = module.trailwatch.function_arn
}

output "sns_topic_arn" {
  description = "ARN of the alert topic."
  value       = module.trailwatch.sns_topic_arn
}

output "trail_arn" {
  description = "ARN of the trail created."
  value       = module.trailwatch.trail_arn
}

output "trail_bucket_name" {
  description = "Name of the trail bucket."
  value       = module.trailwatch.trail_bucket_name
}

output "dead_letter_queue_url" {
  description = "URL of the dead-letter queue."
  value       = module.trailwatch.dead_letter_queue_url
}

output "batch_operations_role_arn" {
  description = "Role for S3 Batch Operations replay jobs."
  value       = module.trailwatch.batch_operations_role_arn
}
