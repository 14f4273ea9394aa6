################################################################################
# create mode: the trail and its private bucket
#
# The archive unit: the bucket, every setting that keeps it private and
# intact (ownership controls, Block Public Access, versioning, encryption,
# lifecycle, policy) and the trail key are one unit with prevent_destroy.
# Without it, terraform destroy removed the bucket's Block Public Access,
# ownership controls, TLS-only policy and versioning first (they depend on
# the bucket, so they go before it), then failed on BucketNotEmpty, leaving
# the kept audit record stripped; and it scheduled the trail key for deletion,
# which would make every kept log file unreadable. The bucket depends on the
# key explicitly, so no destroy order can remove the key first. Teardown that
# keeps the archive: README, "Teardown".
################################################################################

resource "aws_s3_bucket" "trail" {
  #checkov:skip=CKV_AWS_18:Server access logging of the log bucket would need a further bucket (and that one its own); reads and writes of the trail bucket are already recorded by the trail itself (management events) and, with enable_s3_data_events, as data events.
  #checkov:skip=CKV_AWS_144:Cross-region replication of the audit archive is an account-level disaster-recovery decision (destination bucket, key and role in another region) left to the platform team; the bucket is versioned so replication can be added without changes here.
  count = local.create ? 1 : 0

  bucket        = local.trail_bucket_name
  force_destroy = var.trail_bucket_force_destroy
  tags          = merge(local.tags, var.trail_tags)

  depends_on = [aws_kms_key.trail]

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_s3_bucket_ownership_controls" "trail" {
  count = local.create ? 1 : 0

  bucket = aws_s3_bucket.trail[0].id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_s3_bucket_public_access_block" "trail" {
  count = local.create ? 1 : 0

  bucket                  = aws_s3_bucket.trail[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_s3_bucket_versioning" "trail" {
  count = local.create ? 1 : 0

  bucket = aws_s3_bucket.trail[0].id

  versioning_configuration {
    status = "Enabled"
  }

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "trail" {
  count = local.create ? 1 : 0

  bucket = aws_s3_bucket.trail[0].id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = local.trail_encrypted ? "aws:kms" : "AES256"
      kms_master_key_id = local.trail_kms_key_arn
    }
    bucket_key_enabled = local.trail_encrypted
  }

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "trail" {
  count = local.create ? 1 : 0

  bucket = aws_s3_bucket.trail[0].id

  rule {
    id     = "log-files"
    status = "Enabled"

    filter {
      prefix = local.logs_key_prefix
    }

    transition {
      days          = var.trail_log_transition_ia_days
      storage_class = "STANDARD_IA"
    }

    # Instant retrieval: a replay (trailwatch replay, S3 Batch Operations)
    # still reads the files directly, no restore step.
    transition {
      days          = var.trail_log_transition_glacier_ir_days
      storage_class = "GLACIER_IR"
    }

    dynamic "expiration" {
      for_each = var.trail_log_expiration_days == null ? [] : [var.trail_log_expiration_days]

      content {
        days = expiration.value
      }
    }

    noncurrent_version_expiration {
      noncurrent_days = var.trail_noncurrent_version_expiration_days
    }
  }

  # Weekly inventories (enable_inventory) are only needed until a replay has
  # run; Batch Operations reports likewise.
  dynamic "rule" {
    for_each = var.enable_inventory && var.batch_operations_bucket_name == null ? toset([var.batch_operations_manifest_prefix, var.batch_operations_report_prefix]) : toset([])

    content {
      id     = "expire-${trimsuffix(rule.value, "/")}"
      status = "Enabled"

      filter {
        prefix = rule.value
      }

      expiration {
        days = 90
      }

      noncurrent_version_expiration {
        noncurrent_days = 7
      }
    }
  }

  rule {
    id     = "housekeeping"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }

    expiration {
      expired_object_delete_marker = true
    }
  }

  depends_on = [aws_s3_bucket_versioning.trail]

  # The transition and expiration days are checked in checks.tf.
  lifecycle {
    prevent_destroy = true
  }
}

data "aws_iam_policy_document" "trail_bucket" {
  count = local.create ? 1 : 0

  statement {
    sid       = "AWSCloudTrailAclCheck"
    actions   = ["s3:GetBucketAcl"]
    resources = [aws_s3_bucket.trail[0].arn]

    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = [local.trail_arn]
    }
  }

  statement {
    sid       = "AWSCloudTrailWrite"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.trail[0].arn}/${local.logs_key_prefix}${local.trail_account_id}/*"]

    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "s3:x-amz-acl"
      values   = ["bucket-owner-full-control"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = [local.trail_arn]
    }
  }

  # Organization trail: member accounts' log files under AWSLogs/<org-id>/.
  dynamic "statement" {
    for_each = data.aws_organizations_organization.current

    content {
      sid       = "AWSCloudTrailOrganizationWrite"
      actions   = ["s3:PutObject"]
      resources = ["${aws_s3_bucket.trail[0].arn}/${local.logs_key_prefix}${statement.value.id}/*"]

      principals {
        type        = "Service"
        identifiers = ["cloudtrail.amazonaws.com"]
      }

      condition {
        test     = "StringEquals"
        variable = "s3:x-amz-acl"
        values   = ["bucket-owner-full-control"]
      }

      condition {
        test     = "StringEquals"
        variable = "aws:SourceArn"
        values   = [local.trail_arn]
      }
    }
  }

  dynamic "statement" {
    for_each = var.enable_inventory && var.batch_operations_bucket_name == null ? [1] : []

    content {
      sid       = "AllowS3InventoryDelivery"
      actions   = ["s3:PutObject"]
      resources = ["${aws_s3_bucket.trail[0].arn}/${var.batch_operations_manifest_prefix}*"]

      principals {
        type        = "Service"
        identifiers = ["s3.amazonaws.com"]
      }

      condition {
        test     = "ArnLike"
        variable = "aws:SourceArn"
        values   = [local.trail_bucket_arn]
      }

      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [local.trail_bucket_account_id]
      }
    }
  }

  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.trail[0].arn,
      "${aws_s3_bucket.trail[0].arn}/*",
    ]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "trail" {
  count = local.create ? 1 : 0

  bucket = aws_s3_bucket.trail[0].id
  policy = data.aws_iam_policy_document.trail_bucket[0].json

  # The policy must not be applied while Block Public Access is being set up.
  depends_on = [aws_s3_bucket_public_access_block.trail]

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_s3_bucket_inventory" "trail" {
  count = local.create && var.enable_inventory ? 1 : 0

  bucket                   = aws_s3_bucket.trail[0].id
  name                     = "${var.name}-replay"
  included_object_versions = "Current"
  optional_fields          = ["Size", "LastModifiedDate", "ETag"]

  schedule {
    frequency = "Weekly"
  }

  filter {
    prefix = local.logs_key_prefix
  }

  destination {
    bucket {
      format     = "CSV"
      bucket_arn = local.batch_bucket_arn
      account_id = local.trail_bucket_account_id
      prefix     = trimsuffix(var.batch_operations_manifest_prefix, "/")

      # The module's trail key admits S3 Inventory (kms.tf); a key passed in
      # trail_kms_key_arn may not, so inventories then use SSE-S3.
      encryption {
        dynamic "sse_kms" {
          for_each = local.create_trail_key ? [aws_kms_key.trail[0].arn] : []

          content {
            key_id = sse_kms.value
          }
        }

        dynamic "sse_s3" {
          for_each = local.create_trail_key ? [] : [1]

          content {}
        }
      }
    }
  }

  depends_on = [aws_s3_bucket_policy.trail]
}

resource "aws_cloudtrail" "this" {
  #checkov:skip=CKV_AWS_252:The trail's per-file SNS notification is set when event_source is cloudtrail_sns; with the other event sources it would duplicate the notification that already drives trailwatch.
  #checkov:skip=CKV2_AWS_10:Sending the trail to CloudWatch Logs doubles ingestion cost for every management event; trailwatch reads the log files from S3 within minutes of delivery, which is what this module is for.
  count = local.create ? 1 : 0

  name                          = local.trail_name
  s3_bucket_name                = aws_s3_bucket.trail[0].id
  s3_key_prefix                 = var.trail_s3_key_prefix == "" ? null : var.trail_s3_key_prefix
  include_global_service_events = true
  is_multi_region_trail         = true
  is_organization_trail         = var.is_organization_trail
  enable_log_file_validation    = true
  enable_logging                = true
  kms_key_id                    = local.trail_kms_key_arn
  sns_topic_name                = local.create_log_delivery_topic ? aws_sns_topic.log_deliveries[0].name : null

  # Advanced selectors replace basic ones entirely, so management events
  # (PutBucketAcl, PutBucketPolicy, ...: what trailwatch reads) are selected
  # explicitly.
  advanced_event_selector {
    name = "Management events"

    field_selector {
      field  = "eventCategory"
      equals = ["Management"]
    }
  }

  # Object-level ACL changes are data events. Only the write calls that can
  # make an object public are selected, so the cost stays low; the trail
  # bucket itself is excluded (its own deliveries would otherwise be logged).
  dynamic "advanced_event_selector" {
    for_each = var.enable_s3_data_events ? [1] : []

    content {
      name = "S3 object writes that can make an object public"

      field_selector {
        field  = "eventCategory"
        equals = ["Data"]
      }

      field_selector {
        field  = "resources.type"
        equals = ["AWS::S3::Object"]
      }

      field_selector {
        field  = "eventName"
        equals = var.s3_data_event_names
      }

      field_selector {
        field           = "resources.ARN"
        starts_with     = length(var.s3_data_event_bucket_arns) > 0 ? [for arn in var.s3_data_event_bucket_arns : "${arn}/"] : null
        not_starts_with = length(var.s3_data_event_bucket_arns) > 0 ? null : ["${aws_s3_bucket.trail[0].arn}/"]
      }
    }
  }

  tags = merge(local.tags, var.trail_tags)

  depends_on = [
    aws_s3_bucket_policy.trail,
    aws_sns_topic_policy.log_deliveries,
  ]
}

################################################################################
# create mode, event_source = "cloudtrail_sns": the trail's log-delivery topic.
# CloudTrail publishes one message per delivered log file (never for digest
# files); the delivery queue subscribes to it (delivery.tf).
################################################################################

resource "aws_sns_topic" "log_deliveries" {
  count = local.create_log_delivery_topic ? 1 : 0

  name              = "${var.name}-log-deliveries"
  display_name      = "trailwatch log deliveries"
  kms_master_key_id = local.kms_key_arn
  tags              = merge(local.tags, var.sns_topic_tags)
}

data "aws_iam_policy_document" "log_deliveries_topic" {
  count = local.create_log_delivery_topic ? 1 : 0

  statement {
    sid       = "AccountOwnerManagesTopic"
    actions   = ["sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:Subscribe", "sns:ListSubscriptionsByTopic", "sns:DeleteTopic"]
    resources = [aws_sns_topic.log_deliveries[0].arn]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid       = "AWSCloudTrailSNSPolicy"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.log_deliveries[0].arn]

    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = [local.trail_arn]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.log_deliveries[0].arn]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sns_topic_policy" "log_deliveries" {
  count = local.create_log_delivery_topic ? 1 : 0

  arn    = aws_sns_topic.log_deliveries[0].arn
  policy = data.aws_iam_policy_document.log_deliveries_topic[0].json
}
