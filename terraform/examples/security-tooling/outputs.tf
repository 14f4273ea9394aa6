output "function_arn" {
  description = "ARN of the trailwatch function."
  value       = module.trailwatch.function_arn
}

output "sns_topic_arn" {
  description = "ARN of the alert topic (every finding, as chat cards and email)."
  value       = module.trailwatch.sns_topic_arn
}

output "event_bus_arn" {
  description = "ARN of the bus trailwatch puts its findings on."
  value       = aws_cloudwatch_event_bus.findings.arn
}

output "critical_topic_arn" {
  description = "ARN of the topic the critical-findings rule publishes to."
  value       = aws_sns_topic.critical.arn
}
