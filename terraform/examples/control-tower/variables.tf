variable "region" {
  description = "Control Tower home region (the Log Archive bucket's region)."
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
  description = "The Log Archive bucket: aws-controltower-logs-<log-archive-account>-<home-region>."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.trail_bucket_name))
    error_message = "trail_bucket_name must be a valid S3 bucket name."
  }
}

variable "organization_id" {
  description = "The organization ID (o-...): Control Tower's trail writes under <org-id>/AWSLogs/<org-id>/<account>/CloudTrail/."
  type        = string

  validation {
    condition     = can(regex("^o-[a-z0-9]{10,32}$", var.organization_id))
    error_message = "organization_id must look like o-abc123def4."
  }
}

variable "trail_sns_topic_arn" {
  description = "The Control Tower trail's SNS topic: arn:aws:sns:<home-region>:<audit-account>:aws-controltower-AllConfigNotifications."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", var.trail_sns_topic_arn))
    error_message = "trail_sns_topic_arn must be an SNS topic ARN."
  }
}

variable "trail_kms_key_arn" {
  description = "Control Tower's KMS key for CloudTrail, if one was configured (null: SSE-S3)."
  type        = string
  default     = null

  validation {
    condition     = var.trail_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.trail_kms_key_arn))
    error_message = "trail_kms_key_arn must be a KMS key ARN, not an alias."
  }
}

variable "security_account_id" {
  description = "The Security (Audit) account, allowed to subscribe its own endpoints to the alert topic."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.security_account_id))
    error_message = "security_account_id must be a 12-digit account ID."
  }
}
