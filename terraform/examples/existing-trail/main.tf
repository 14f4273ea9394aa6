# Attach mode: the trail and its bucket already exist (an organization trail in
# a log-archive account, a Control Tower trail...). The module adds only the
# bucket notification, the queues, the function and the alerting.

module "trailwatch" {
  source = "../../modules/trailwatch"

  name            = var.name
  mode            = "attach"
  lambda_zip_path = var.lambda_zip_path

  trail_bucket_name          = var.trail_bucket_name
  trail_s3_key_prefix        = var.trail_s3_key_prefix
  trail_kms_key_arn          = var.trail_kms_key_arn
  manage_bucket_notification = var.manage_bucket_notification

  delivery     = "sqs"
  alert_emails = var.alert_emails

  extra_subscriptions = var.alert_https_endpoint == null ? [] : [
    {
      protocol      = "https"
      endpoint      = var.alert_https_endpoint
      filter_policy = jsonencode({ severity = ["critical", "high"] })
    },
  ]

  create_batch_operations_role = true

  tags = {
    Project = "trailwatch"
  }
}
