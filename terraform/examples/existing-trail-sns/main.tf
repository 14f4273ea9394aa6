# Attach mode, event_source = "sns": the trail bucket already notifies an SNS
# topic of new objects (an S3 -> SNS fan-out, the usual way to share one
# bucket's events between a SIEM, Security Lake and others). The delivery
# queue subscribes to that topic with raw message delivery, so each message
# is the S3 event itself. The bucket is not touched.

module "trailwatch" {
  source = "../../modules/trailwatch"

  name            = var.name
  mode            = "attach"
  lambda_zip_path = var.lambda_zip_path

  trail_bucket_name   = var.trail_bucket_name
  trail_s3_key_prefix = var.trail_s3_key_prefix
  trail_kms_key_arn   = var.trail_kms_key_arn

  event_source       = "sns"
  s3_event_topic_arn = var.s3_event_topic_arn
  delivery           = "sqs"

  alert_emails = var.alert_emails

  tags = {
    Project = "trailwatch"
  }
}
