################################################################################
# KMS keys
#
# alerts: the SNS topic, the function's environment and its log group, and
#         the trail's log-delivery topic when the module creates it
#         (create_kms_key; or your own key in kms_key_arn).
# trail:  create mode only, the trail's log files (create_trail_kms_key).
#         Part of the archive unit (trail.tf): prevent_destroy.
#
# In a key policy, "Resource": "*" means "this key" and is the only value AWS
# accepts; terraform_checks.py allows `*` there and nowhere else but the
# actions AWS documents as having no resource-level permissions.
################################################################################

data "aws_iam_policy_document" "alerts_key" {
  count = local.create_kms_key ? 1 : 0

  #checkov:skip=CKV_AWS_109:Key policy: "Resource": "*" means this key and is the only value AWS accepts; the kms:* statement is the AWS default that delegates to IAM policies in this account only.
  #checkov:skip=CKV_AWS_111:Key policy: "Resource": "*" means this key; statements grant only this account (the AWS default statement delegating to IAM) and the AWS services the module needs, scoped by source or encryption-context conditions wherever the service supplies them.
  #checkov:skip=CKV_AWS_356:Key policy: "Resource": "*" is the only resource a key policy accepts and means this key, not all resources.
  # The AWS default key policy statement: lets IAM policies in this account
  # (and so the function role's kms:GenerateDataKey/kms:Decrypt) use the key.
  # Without it the key becomes unmanageable.
  statement {
    sid       = "EnableIamPolicies"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  # CloudWatch alarms publish to the encrypted alert topic as the CloudWatch
  # service: only this module's alarms (<name>-*) in this account.
  statement {
    sid       = "AllowCloudWatchAlarmsToPublish"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${var.name}-*"]
    }
  }

  statement {
    sid = "AllowFunctionLogGroup"
    actions = [
      "kms:Encrypt*",
      "kms:Decrypt*",
      "kms:ReEncrypt*",
      "kms:GenerateDataKey*",
      "kms:Describe*",
    ]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.log_group_name}"]
    }
  }

  # create mode, event_source = "cloudtrail_sns": CloudTrail publishes to the
  # encrypted log-delivery topic; only this trail.
  dynamic "statement" {
    for_each = local.create_log_delivery_topic ? [1] : []

    content {
      sid       = "AllowCloudTrailToPublishLogDeliveries"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
      resources = ["*"]

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
  }
}

resource "aws_kms_key" "alerts" {
  count = local.create_kms_key ? 1 : 0

  description             = "trailwatch ${var.name}: alert topic, function environment and logs"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_key_deletion_window_days
  policy                  = data.aws_iam_policy_document.alerts_key[0].json
  tags                    = merge(local.tags, var.kms_key_tags)
}

resource "aws_kms_alias" "alerts" {
  count = local.create_kms_key ? 1 : 0

  name          = "alias/${var.name}-alerts"
  target_key_id = aws_kms_key.alerts[0].key_id
}

data "aws_iam_policy_document" "trail_key" {
  #checkov:skip=CKV_AWS_109:Key policy: "Resource": "*" means this key and is the only value AWS accepts; the kms:* statement is the AWS default that delegates to IAM policies in this account only.
  #checkov:skip=CKV_AWS_111:Key policy: "Resource": "*" means this key; statements grant only this account (the AWS default statement delegating to IAM) and the AWS services the module needs, scoped by source or encryption-context conditions wherever the service supplies them.
  #checkov:skip=CKV_AWS_356:Key policy: "Resource": "*" is the only resource a key policy accepts and means this key, not all resources.
  count = local.create_trail_key ? 1 : 0

  # AWS default key policy statement (see alerts_key). Readers of the log
  # files (the function role, incident responders) get kms:Decrypt through
  # IAM policies.
  statement {
    sid       = "EnableIamPolicies"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid       = "AllowCloudTrailToEncryptLogs"
    actions   = ["kms:GenerateDataKey*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = [local.trail_arn]
    }

    condition {
      test     = "StringLike"
      variable = "kms:EncryptionContext:aws:cloudtrail:arn"
      values   = ["arn:${local.partition}:cloudtrail:*:${local.trail_account_id}:trail/*"]
    }
  }

  statement {
    sid       = "AllowCloudTrailToDescribeKey"
    actions   = ["kms:DescribeKey"]
    resources = ["*"]

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

  # S3 Inventory reports of the trail bucket are written with this key.
  dynamic "statement" {
    for_each = var.enable_inventory ? [1] : []

    content {
      sid       = "AllowS3InventoryDelivery"
      actions   = ["kms:GenerateDataKey"]
      resources = ["*"]

      principals {
        type        = "Service"
        identifiers = ["s3.amazonaws.com"]
      }

      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [local.trail_bucket_account_id]
      }

      condition {
        test     = "ArnLike"
        variable = "aws:SourceArn"
        values   = [local.trail_bucket_arn]
      }
    }
  }
}

resource "aws_kms_key" "trail" {
  count = local.create_trail_key ? 1 : 0

  description             = "trailwatch ${var.name}: CloudTrail log files of trail ${local.trail_name}"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_key_deletion_window_days
  policy                  = data.aws_iam_policy_document.trail_key[0].json
  tags                    = merge(local.tags, var.kms_key_tags)

  # Part of the archive unit (trail.tf): the kept log files are encrypted
  # with it; scheduling it for deletion would make them unreadable.
  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_kms_alias" "trail" {
  count = local.create_trail_key ? 1 : 0

  name          = "alias/${var.name}-trail"
  target_key_id = aws_kms_key.trail[0].key_id
}
