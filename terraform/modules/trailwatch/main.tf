################################################################################
# trailwatch: alerts (SNS) when an S3 bucket or object is made public, read
# from CloudTrail log files as they land in the trail bucket.
#
#   create mode: trail.tf (trail, bucket, keys) + everything below
#   attach mode: an existing trail bucket; by default the bucket and the trail
#                are not modified at all (see manage_bucket_notification)
#
# Files: trail.tf, function.tf, delivery.tf, alerts.tf, alarms.tf, iam.tf,
#        kms.tf, batch.tf, cross_account.tf, checks.tf.
#
# Every count and for_each below is driven by booleans and literal strings
# (create, mode, event_source, delivery, create_*), never by whether an ARN
# is null: an ARN from another resource may be unknown at plan time.
################################################################################

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

# Organization trails belong to the management account, also when a delegated
# administrator creates them: the trail ARN (and so every aws:SourceArn on it)
# carries the management account's ID.
data "aws_organizations_organization" "current" {
  count = local.create && var.is_organization_trail ? 1 : 0
}

locals {
  enabled = var.create
  create  = var.create && var.mode == "create"
  attach  = var.create && var.mode == "attach"

  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  # `region` exists only from provider 6.0 and `name` is deprecated there;
  # `id` holds the region name across the whole supported range (later 6.x
  # releases may print a deprecation warning for it: not an error).
  region = data.aws_region.current.id

  # The owner of the trail bucket: the source account of its S3 notifications.
  trail_bucket_account_id = local.create || var.trail_bucket_account_id == null ? local.account_id : var.trail_bucket_account_id
  bucket_is_local         = local.trail_bucket_account_id == local.account_id

  # The owner of the trail (create mode): the management account for an
  # organization trail, whoever applies the module.
  trail_account_id = local.create && var.is_organization_trail ? data.aws_organizations_organization.current[0].master_account_id : local.account_id

  trail_name = coalesce(var.trail_name, var.name)
  # Built rather than read from aws_cloudtrail.this: the bucket policy needs it
  # (aws:SourceArn) before the trail can be created.
  trail_arn = "arn:${local.partition}:cloudtrail:${local.region}:${local.trail_account_id}:trail/${local.trail_name}"

  # Computed from variables only (not read back from aws_s3_bucket.trail), so
  # that the trail key's policy can name the bucket while the bucket depends
  # on the key (destroy order: the key is never removed before the bucket).
  # attach mode without trail_bucket_name is refused by a precondition
  # (checks.tf); "" keeps the string templates below evaluable until then.
  trail_bucket_name = (
    local.create ? coalesce(var.trail_bucket_name, "${substr(var.name, 0, 24)}-trail-${local.account_id}-${local.region}") :
    var.trail_bucket_name == null ? "" : var.trail_bucket_name
  )
  trail_bucket_arn = "arn:${local.partition}:s3:::${local.trail_bucket_name}"

  # "<prefix>/AWSLogs/" or "AWSLogs/": the notification filter prefix; the
  # function reads "<prefix>/AWSLogs/*/CloudTrail/*" only.
  key_prefix      = var.trail_s3_key_prefix == "" ? "" : "${var.trail_s3_key_prefix}/"
  logs_key_prefix = "${local.key_prefix}AWSLogs/"
  log_files_arn   = "${local.trail_bucket_arn}/${local.logs_key_prefix}*/CloudTrail/*"

  # create mode: the module creates the trail's key unless told not to.
  create_trail_key = local.create && var.create_trail_kms_key
  trail_kms_key_arn = (
    local.create_trail_key ? aws_kms_key.trail[0].arn : var.trail_kms_key_arn
  )
  # Known at plan time (a created key's ARN is not): drives for_each below.
  trail_encrypted    = local.create_trail_key || var.trail_kms_key_arn != null
  trail_kms_key_arns = concat(local.trail_encrypted ? [local.trail_kms_key_arn] : [], var.trail_kms_key_arns)

  # The key of the alert topic, the environment and the log group.
  create_kms_key = local.enabled && var.create_kms_key
  kms_key_arn    = local.create_kms_key ? aws_kms_key.alerts[0].arn : var.kms_key_arn

  # The alert topic, created or brought.
  create_sns_topic        = local.enabled && var.create_sns_topic
  alert_topic_arn         = local.create_sns_topic ? aws_sns_topic.alerts[0].arn : var.alert_topic_arn
  alert_topic_kms_key_arn = local.create_sns_topic ? local.kms_key_arn : var.alert_topic_kms_key_arn

  use_sqs = var.delivery == "sqs"

  # The bucket's notification configuration is touched only when asked:
  # by default in create mode (the module's own new bucket), never by
  # default in attach mode (issue 16: it replaces the whole configuration).
  manage_bucket_notification = local.enabled && (
    var.manage_bucket_notification == null ? local.create && contains(["s3", "eventbridge"], var.event_source) : var.manage_bucket_notification
  )
  bucket_eventbridge = var.enable_bucket_eventbridge || (local.create && var.event_source == "eventbridge")

  # event_source "sns" / "cloudtrail_sns": the topic the queue subscribes to.
  subscribes_to_topic        = local.enabled && contains(["sns", "cloudtrail_sns"], var.event_source)
  create_log_delivery_topic  = local.create && var.event_source == "cloudtrail_sns"
  source_topic_arn = (
    var.event_source == "sns" ? var.s3_event_topic_arn :
    local.create_log_delivery_topic ? aws_sns_topic.log_deliveries[0].arn :
    var.trail_sns_topic_arn
  )

  # TRAILWATCH_CONFIG given as s3://bucket/key: the role may read exactly that
  # object.
  config_s3_match      = var.trailwatch_config == null ? [] : regexall("^s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(.+)$", var.trailwatch_config)
  config_s3_object_arn = length(local.config_s3_match) == 1 ? "arn:${local.partition}:s3:::${local.config_s3_match[0][0]}/${local.config_s3_match[0][1]}" : null

  # changes_prefix s3://bucket/prefix/: the role may write objects under
  # exactly that prefix (the map step's changes objects), nothing else.
  changes_match       = var.changes_prefix == "" ? [] : regexall("^s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(.*)$", var.changes_prefix)
  changes_objects_arn = length(local.changes_match) == 1 ? "arn:${local.partition}:s3:::${local.changes_match[0][0]}/${local.changes_match[0][1]}*" : null

  function_name  = var.name
  log_group_name = "/aws/lambda/${var.name}"

  role_name       = coalesce(var.role_name, "${var.name}-${local.region}")
  batch_role_name = coalesce(var.batch_operations_role_name, "${var.name}-batch-${local.region}")

  function_environment = merge(
    {
      SNS_TOPIC_ARN                     = local.alert_topic_arn
      TRAILWATCH_ALLOWED_BUCKETS        = local.trail_bucket_name
      TRAILWATCH_MAX_DECOMPRESSED_BYTES = format("%d", var.max_decompressed_bytes)
      TRAILWATCH_METRICS_NAMESPACE      = var.metrics_namespace
      RUST_LOG                          = var.log_level
    },
    var.trailwatch_config == null ? {} : { TRAILWATCH_CONFIG = var.trailwatch_config },
    var.sns_format == "standard" ? {} : { TRAILWATCH_SNS_FORMAT = var.sns_format },
    var.enable_security_hub ? { TRAILWATCH_SECURITY_HUB = "true" } : {},
    var.event_bus == null ? {} : { TRAILWATCH_EVENT_BUS = var.event_bus },
    var.min_severity.sns == null ? {} : { TRAILWATCH_SNS_MIN_SEVERITY = var.min_severity.sns },
    var.min_severity.security_hub == null ? {} : { TRAILWATCH_SECURITY_HUB_MIN_SEVERITY = var.min_severity.security_hub },
    var.min_severity.event_bus == null ? {} : { TRAILWATCH_EVENT_BUS_MIN_SEVERITY = var.min_severity.event_bus },
    var.confirm.enabled ? {} : { TRAILWATCH_CONFIRM = "off" },
    var.confirm.enabled && var.confirm.role_name != null ? { TRAILWATCH_CONFIRM_ROLE = "arn:${local.partition}:iam::{account}:role/${var.confirm.role_name}" } : {},
    var.confirm.enabled && var.confirm.external_id != null ? { TRAILWATCH_CONFIRM_EXTERNAL_ID = var.confirm.external_id } : {},
    var.confirm.alert_latent ? {} : { TRAILWATCH_ALERT_LATENT = "false" },
    var.changes_prefix == "" ? {} : { TRAILWATCH_CHANGES_PREFIX = var.changes_prefix },
  )

  # Security Hub takes findings from the caller's own default product only.
  security_hub_product_arn = "arn:${local.partition}:securityhub:${local.region}:${local.account_id}:product/${local.account_id}/default"
  # GetFindings is authorised on the hub: the function looks up its own
  # earlier findings there to archive those a later log file's removal ended.
  security_hub_hub_arn = "arn:${local.partition}:securityhub:${local.region}:${local.account_id}:hub/default"
  event_bus_arn = var.event_bus == null ? null : (
    startswith(var.event_bus, "arn:") ? var.event_bus : "arn:${local.partition}:events:${local.region}:${local.account_id}:event-bus/${var.event_bus}"
  )

  # Not coalesce(): with an empty trail_bucket_name (attach mode, not given)
  # coalesce() fails with its own error before the friendly precondition.
  batch_bucket_name = var.batch_operations_bucket_name != null ? var.batch_operations_bucket_name : local.trail_bucket_name
  batch_bucket_arn  = "arn:${local.partition}:s3:::${local.batch_bucket_name}"

  alarm_actions = [var.alarm_topic_arn != null ? var.alarm_topic_arn : local.alert_topic_arn]

  tags = merge({ "trailwatch:module" = "trailwatch" }, var.tags)
}
