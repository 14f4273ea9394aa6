variable "region" {
  description = "Region of the existing trail bucket, its fan-out topic, Security Hub and the event bus."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-west-1."
  }
}

variable "name" {
  description = "Name prefix for the example's resources."
  type        = string
  default     = "trailwatch"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,38}[a-z0-9]$", var.name))
    error_message = "name must be 3-40 characters of lower-case letters, digits and hyphens."
  }
}

variable "lambda_zip_path" {
  description = "Path to the function zip built from crates/trailwatch-lambda (see ../../README.md, \"Build the zip\"); an arm64 build."
  type        = string
  default     = "../../../dist/trailwatch-lambda-arm64.zip"

  validation {
    condition     = can(regex("\\.zip$", var.lambda_zip_path))
    error_message = "lambda_zip_path must point to a .zip file."
  }
}

variable "alert_emails" {
  description = "Addresses that receive the alerts; each must confirm the subscription email from AWS."
  type        = list(string)

  validation {
    condition     = length(var.alert_emails) > 0
    error_message = "alert_emails needs at least one address."
  }
}

variable "trail_bucket_name" {
  description = "Name of the existing bucket the trail writes to."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.trail_bucket_name))
    error_message = "trail_bucket_name must be a valid S3 bucket name."
  }
}

variable "trail_s3_key_prefix" {
  description = "The trail's S3 key prefix, without slashes (\"\" when log files start at AWSLogs/; an organization trail's prefix is often the organization ID)."
  type        = string
  default     = ""

  validation {
    condition     = !startswith(var.trail_s3_key_prefix, "/") && !endswith(var.trail_s3_key_prefix, "/")
    error_message = "trail_s3_key_prefix must not start or end with \"/\"."
  }
}

variable "trail_kms_key_arn" {
  description = "ARN of the KMS key the trail encrypts log files with (null for SSE-S3). A key in this account needs only its default key policy; a key in another account must also get the trail_kms_key_policy_statements output in its key policy."
  type        = string
  default     = null

  validation {
    condition     = var.trail_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.trail_kms_key_arn))
    error_message = "trail_kms_key_arn must be a KMS key ARN, not an alias."
  }
}

variable "s3_event_topic_arn" {
  description = "ARN of the SNS topic the bucket's notification configuration publishes ObjectCreated events to."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", var.s3_event_topic_arn))
    error_message = "s3_event_topic_arn must be an SNS topic ARN."
  }
}

variable "slack_team_id" {
  description = "Slack workspace (team) ID, authorised once in the Amazon Q Developer in chat applications console (formerly AWS Chatbot)."
  type        = string

  validation {
    condition     = can(regex("^[0-9A-Z]{1,255}$", var.slack_team_id))
    error_message = "slack_team_id must be a Slack team ID such as T0123456789."
  }
}

variable "slack_channel_id" {
  description = "Slack channel ID that receives the critical findings as cards."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9]{1,255}$", var.slack_channel_id))
    error_message = "slack_channel_id must be a Slack channel ID such as C0123456789."
  }
}
