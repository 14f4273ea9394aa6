# Attach mode, event_source = "eventbridge": the trail and its bucket
# already exist. The module adds an EventBridge rule (aws.s3 "Object Created"
# for the bucket and the log prefix) -> the delivery queue -> the function,
# and the alerting. It never writes the bucket's notification configuration:
# manage_bucket_notification stays false (its attach-mode default).
#
# EventBridge notifications must be on for the bucket (a bucket setting):
# check with `aws s3api get-bucket-notification-configuration`, and turn it
# on without replacing the configuration as ../../README.md shows.

module "trailwatch" {
  source = "../../modules/trailwatch"

  name            = var.name
  mode            = "attach"
  lambda_zip_path = var.lambda_zip_path

  trail_bucket_name   = var.trail_bucket_name
  trail_s3_key_prefix = var.trail_s3_key_prefix
  trail_kms_key_arn   = var.trail_kms_key_arn

  event_source               = "eventbridge"
  manage_bucket_notification = false
  delivery                   = "sqs"

  alert_emails = var.alert_emails

  extra_subscriptions = var.alert_https_endpoint == null ? [] : [
    {
      protocol      = "https"
      endpoint      = var.alert_https_endpoint
      filter_policy = jsonencode({ severity = ["critical", "high"] })
    },
  ]
  # The HTTPS subscription filters on severity, so CloudWatch alarm
  # notifications (which carry no message attributes) would never reach it:
  # alarms go to their own topic when one is given.
  alarm_topic_arn = var.alarm_topic_arn

  create_batch_operations_role = true

  tags = {
    Project = "trailwatch"
  }
}
