# Single account, create mode: a new multi-region trail, its private bucket
# and key, and trailwatch behind it, with S3 -> SQS -> Lambda delivery
# (event_source = "s3": the module owns the notification configuration of
# the bucket it creates), object ACL data events, and what a replay needs
# (inventory + S3 Batch Operations role).

module "trailwatch" {
  source = "../../modules/trailwatch"

  name            = var.name
  mode            = "create"
  lambda_zip_path = var.lambda_zip_path
  architecture    = "arm64"

  trail_s3_key_prefix       = "cloudtrail"
  trail_log_expiration_days = 2557

  enable_s3_data_events = var.enable_s3_data_events
  s3_data_event_names   = ["PutObjectAcl"]

  event_source   = "s3"
  delivery       = "sqs"
  sqs_batch_size = 10

  alert_emails      = var.alert_emails
  trailwatch_config = var.trailwatch_config
  log_level         = "info"

  silence_alarm_hours = 6

  enable_inventory             = true
  create_batch_operations_role = true

  tags = {
    Project = "trailwatch"
  }
}
