# Organization trail, create mode, applied in the management account (or in
# a delegated administrator account for CloudTrail: the trail then still
# belongs to the management account, and the module builds its ARN with the
# management account's ID for every aws:SourceArn condition).
#
# Prerequisite (once, from the management account):
#   aws organizations enable-aws-service-access --service-principal cloudtrail.amazonaws.com
# and, for a delegated administrator:
#   aws cloudtrail register-organization-delegated-admin --member-account-id <id>
#
# event_source = "cloudtrail_sns": the module creates the trail's
# log-delivery topic, sets it on the trail, and subscribes the delivery queue
# (CloudTrail announces log files only, never digest files).

module "trailwatch" {
  source = "../../modules/trailwatch"

  name            = var.name
  mode            = "create"
  lambda_zip_path = var.lambda_zip_path

  is_organization_trail = true
  trail_s3_key_prefix   = "cloudtrail"

  event_source = "cloudtrail_sns"
  delivery     = "sqs"

  alert_emails = var.alert_emails

  # A busy organization delivers many files per minute.
  sqs_maximum_concurrency = 20

  tags = {
    Project = "trailwatch"
  }
}
