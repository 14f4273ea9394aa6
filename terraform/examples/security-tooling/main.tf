# Findings where security teams already work: the existing-trail-sns layout
# (attach mode, the bucket's S3 -> SNS fan-out) with every sink on.
#
# - Security Hub: each finding imported as this account's default product.
# - EventBridge: each finding put on the `findings` bus; a rule routes the
#   critical ones to a second SNS topic, `critical`.
# - Slack: the `critical` topic is subscribed by an Amazon Q Developer in chat
#   applications (formerly AWS Chatbot) Slack channel; the alerts are
#   rendered as chat cards (sns_format = "chat").

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

  enable_security_hub = true
  event_bus           = aws_cloudwatch_event_bus.findings.name
  sns_format          = "chat"
  min_severity = {
    security_hub = "medium"
    event_bus    = "high"
  }

  tags = {
    Project = "trailwatch"
  }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

resource "aws_cloudwatch_event_bus" "findings" {
  name = "${var.name}-findings"
}

# Critical findings only, by the finding's own severity in `detail`.
resource "aws_cloudwatch_event_rule" "critical" {
  name           = "${var.name}-critical-findings"
  description    = "trailwatch critical S3 exposure findings to the critical topic"
  event_bus_name = aws_cloudwatch_event_bus.findings.name
  event_pattern = jsonencode({
    source        = ["trailwatch"]
    "detail-type" = ["S3 Exposure Finding"]
    detail        = { severity = ["critical"] }
  })
}

resource "aws_cloudwatch_event_target" "critical_topic" {
  rule           = aws_cloudwatch_event_rule.critical.name
  event_bus_name = aws_cloudwatch_event_bus.findings.name
  arn            = aws_sns_topic.critical.arn
}

# The critical topic's key: EventBridge cannot publish with the AWS-managed
# SNS key, so the topic gets one that admits events.amazonaws.com.
data "aws_iam_policy_document" "critical_key" {
  #checkov:skip=CKV_AWS_109:Key policy: "Resource": "*" means this key and is the only value AWS accepts; kms:* is the AWS default statement delegating to IAM in this account.
  #checkov:skip=CKV_AWS_111:Key policy: "Resource": "*" means this key; only this account and EventBridge (data keys to publish) are granted.
  #checkov:skip=CKV_AWS_356:Key policy: "Resource": "*" is the only resource a key policy accepts and means this key.
  statement {
    sid       = "AccountAdministersKey"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  statement {
    sid       = "EventBridgePublishes"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
  }
}

resource "aws_kms_key" "critical" {
  description         = "${var.name}: critical findings topic"
  enable_key_rotation = true
  policy              = data.aws_iam_policy_document.critical_key.json
}

resource "aws_sns_topic" "critical" {
  name              = "${var.name}-critical"
  kms_master_key_id = aws_kms_key.critical.arn
}

data "aws_iam_policy_document" "critical_topic" {
  statement {
    sid       = "CriticalRulePublishes"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.critical.arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.critical.arn]
    }
  }
}

resource "aws_sns_topic_policy" "critical" {
  arn    = aws_sns_topic.critical.arn
  policy = data.aws_iam_policy_document.critical_topic.json
}

# Amazon Q Developer in chat applications: the channel's role needs no
# permission to show notifications; the guardrail caps what anyone in the
# channel could ever do through it at read-only.
data "aws_iam_policy_document" "chatbot_assume_role" {
  statement {
    sid     = "ChatbotAssumesRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["chatbot.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "chatbot" {
  name               = "${var.name}-chatbot"
  assume_role_policy = data.aws_iam_policy_document.chatbot_assume_role.json
}

resource "aws_chatbot_slack_channel_configuration" "critical" {
  configuration_name    = "${var.name}-critical"
  iam_role_arn          = aws_iam_role.chatbot.arn
  slack_team_id         = var.slack_team_id
  slack_channel_id      = var.slack_channel_id
  sns_topic_arns        = [aws_sns_topic.critical.arn, module.trailwatch.sns_topic_arn]
  guardrail_policy_arns = ["arn:${data.aws_partition.current.partition}:iam::aws:policy/ReadOnlyAccess"]
  logging_level         = "ERROR"
}
