################################################################################
# trailwatch: alerts (SNS) when an S3 bucket or object is made public, read
# from CloudTrail log files as they land in the trail bucket.
#
#   create mode: trail.tf (trail, bucket, keys) + everything below
#   attach mode: an existing trail bucket; only the notification, the queues,
#                the function and the alerting are added
#
# Files: trail.tf, function.tf, delivery.tf, alerts.tf, alarms.tf, iam.tf,
#        kms.tf, batch.tf.
################################################################################

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

data "aws_organizations_organization" "current" {
  count = local.create && var.is_organization_trail ? 1 : 0
}

locals {
  create = var.mode == "create"

  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  # `region` exists only from provider 6.0 and `name` is deprecated there;
  # `id` holds the region name across the whole supported range (later 6.x
  # releases may print a deprecation warning for it: not an error).
  region = data.aws_region.current.id

  trail_name = coalesce(var.trail_name, var.name)
  # Built rather than read from aws_cloudtrail.this: the bucket policy needs it
  # (aws:SourceArn) before the trail can be created.
  trail_arn = "arn:${local.partition}:cloudtrail:${local.region}:${local.account_id}:trail/${local.trail_name}"

  # attach mode without trail_bucket_name is refused by the precondition on
  # aws_lambda_function.this; "" keeps the string templates below evaluable
  # until then.
  trail_bucket_name = local.create ? aws_s3_bucket.trail[0].bucket : (var.trail_bucket_name == null ? "" : var.trail_bucket_name)
  trail_bucket_arn  = "arn:${local.partition}:s3:::${local.trail_bucket_name}"

  # "<prefix>/AWSLogs/" or "AWSLogs/": the only path the function reads and
  # the notification filter prefix.
  key_prefix      = var.trail_s3_key_prefix == "" ? "" : "${var.trail_s3_key_prefix}/"
  logs_key_prefix = "${local.key_prefix}AWSLogs/"

  # create mode: the module creates the trail's key unless one is given.
  create_trail_key = local.create && var.create_trail_kms_key && var.trail_kms_key_arn == null
  trail_kms_key_arn = (
    var.trail_kms_key_arn != null ? var.trail_kms_key_arn :
    local.create_trail_key ? aws_kms_key.trail[0].arn : null
  )

  use_sqs = var.delivery == "sqs"

  # TRAILWATCH_CONFIG given as s3://bucket/key: the role may read exactly that
  # object.
  config_s3_match      = var.trailwatch_config == null ? [] : regexall("^s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(.+)$", var.trailwatch_config)
  config_s3_object_arn = length(local.config_s3_match) == 1 ? "arn:${local.partition}:s3:::${local.config_s3_match[0][0]}/${local.config_s3_match[0][1]}" : null

  function_name  = var.name
  log_group_name = "/aws/lambda/${var.name}"

  function_environment = merge(
    {
      SNS_TOPIC_ARN                     = aws_sns_topic.alerts.arn
      TRAILWATCH_ALLOWED_BUCKETS        = local.trail_bucket_name
      TRAILWATCH_MAX_DECOMPRESSED_BYTES = format("%d", var.max_decompressed_bytes)
      RUST_LOG                          = var.log_level
    },
    var.trailwatch_config == null ? {} : { TRAILWATCH_CONFIG = var.trailwatch_config },
  )

  batch_bucket_name = coalesce(var.batch_operations_bucket_name, local.trail_bucket_name)
  batch_bucket_arn  = "arn:${local.partition}:s3:::${local.batch_bucket_name}"

  tags = merge({ "trailwatch:module" = "trailwatch" }, var.tags)
}
