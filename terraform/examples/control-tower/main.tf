# AWS Control Tower: deploy in the Log Archive account, let the Security
# (Audit) account subscribe.
#
# Control Tower forbids changing the Log Archive bucket's policy (and
# detects drift on it), so trailwatch runs where the bucket is: its role reads
# the log files through IAM alone, with no bucket-policy change. Nothing on
# the bucket is modified: event_source = "cloudtrail_sns" subscribes the
# delivery queue to the trail's SNS topic (Control Tower's
# aws-controltower-AllConfigNotifications in the Audit account, which also
# carries AWS Config notifications: the subscription's body filter keeps only
# this bucket's log deliveries). The Security account's own queue, function
# or address subscribes to the alert topic (alert_topic_subscriber_account_ids).
#
# Check before applying (known limits, README "Topologies"): the trail
# topic's policy must let the Log Archive account subscribe; a KMS key for the
# logs (Control Tower's optional key, usually in the management account)
# must get the trail_kms_key_policy_statements output in its key policy.

module "trailwatch" {
  source = "../../modules/trailwatch"

  name            = var.name
  mode            = "attach"
  lambda_zip_path = var.lambda_zip_path

  trail_bucket_name   = var.trail_bucket_name
  trail_s3_key_prefix = var.organization_id
  trail_kms_key_arn   = var.trail_kms_key_arn

  event_source        = "cloudtrail_sns"
  trail_sns_topic_arn = var.trail_sns_topic_arn
  delivery            = "sqs"

  alert_emails                       = var.alert_emails
  alert_topic_subscriber_account_ids = [var.security_account_id]

  tags = {
    Project = "trailwatch"
  }
}
