output "function_arn" {
  description = "ARN of the trailwatch function."
  value       = module.trailwatch.function_arn
}

output "sns_topic_arn" {
  description = "ARN of the alert topic."
  value       = module.trailwatch.sns_topic_arn
}

output "trail_arn" {
  description = "ARN of the organization trail (management account's ID)."
  value       = module.trailwatch.trail_arn
}

output "trail_account_id" {
  description = "Account that owns the trail: the management account."
  value       = module.trailwatch.trail_account_id
}

output "trail_bucket_name" {
  description = "Name of the trail bucket."
  value       = module.trailwatch.trail_bucket_name
}

output "trail_sns_topic_arn" {
  description = "The trail's log-delivery topic."
  value       = module.trailwatch.trail_sns_topic_arn
}

output "dead_letter_queue_url" {
  description = "URL of the dead-letter queue (redrive)."
  value       = module.trailwatch.dead_letter_queue_url
}
