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

output "trail_kms_key_policy_statements" {
  description = "Statement to paste into the trail key's policy when the key is in another account."
  value       = module.trailwatch.trail_kms_key_policy_statements
}

output "log_delivery_subscription_arn" {
  description = "ARN of the queue's subscription to the trail's topic."
  value       = module.trailwatch.log_delivery_subscription_arn
}
