################################################################################
# Alerts: one KMS-encrypted topic for findings (and, unless alarm_topic_arn
# is set, for the module's alarms), or your own (create_sns_topic = false).
################################################################################

resource "aws_sns_topic" "alerts" {
  count = local.create_sns_topic ? 1 : 0

  name              = "${var.name}-alerts"
  display_name      = "trailwatch"
  kms_master_key_id = local.kms_key_arn
  tags              = merge(local.tags, var.sns_topic_tags)
}

data "aws_iam_policy_document" "alerts_topic" {
  count = local.create_sns_topic ? 1 : 0

  statement {
    sid = "AccountOwnerManagesTopic"
    actions = [
      "sns:GetTopicAttributes",
      "sns:SetTopicAttributes",
      "sns:AddPermission",
      "sns:RemovePermission",
      "sns:DeleteTopic",
      "sns:Subscribe",
      "sns:ListSubscriptionsByTopic",
      "sns:Publish",
    ]
    resources = [aws_sns_topic.alerts[0].arn]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  # Alarms are the module's own, in this account and region.
  statement {
    sid       = "ModuleAlarmsPublish"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alerts[0].arn]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${var.name}-*"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }

  # Another account (a Control Tower Security/Audit account) subscribes its
  # own endpoints; the endpoint's owner still confirms each subscription.
  dynamic "statement" {
    for_each = length(var.alert_topic_subscriber_account_ids) > 0 ? [1] : []

    content {
      sid       = "SubscriberAccountsSubscribe"
      actions   = ["sns:Subscribe", "sns:GetTopicAttributes"]
      resources = [aws_sns_topic.alerts[0].arn]

      principals {
        type        = "AWS"
        identifiers = [for a in var.alert_topic_subscriber_account_ids : "arn:${local.partition}:iam::${a}:root"]
      }

      condition {
        test     = "StringEquals"
        variable = "sns:Protocol"
        values   = ["sqs", "lambda", "https", "email", "email-json"]
      }
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alerts[0].arn]

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

resource "aws_sns_topic_policy" "alerts" {
  count = local.create_sns_topic ? 1 : 0

  arn    = aws_sns_topic.alerts[0].arn
  policy = data.aws_iam_policy_document.alerts_topic[0].json
}

# Each address receives "AWS Notification - Subscription Confirmation" and must
# follow its link; until then the subscription is "pending confirmation".
resource "aws_sns_topic_subscription" "email" {
  for_each = local.enabled ? toset(var.alert_emails) : toset([])

  topic_arn = local.alert_topic_arn
  protocol  = "email"
  endpoint  = each.value
}

resource "aws_sns_topic_subscription" "extra" {
  # Keyed by position: endpoints may be ARNs not known until apply.
  for_each = { for i, s in var.extra_subscriptions : tostring(i) => s if local.enabled }

  topic_arn            = local.alert_topic_arn
  protocol             = each.value.protocol
  endpoint             = each.value.endpoint
  raw_message_delivery = each.value.protocol == "lambda" ? false : each.value.raw_message_delivery
  filter_policy        = each.value.filter_policy
}
