variable "region" {
  description = "Region of the existing trail bucket: S3 notifications reach only queues and functions in the bucket's region."
  type        = string
}

variable "name" {
  description = "Name prefix for the example's resources."
  type        = string
  default     = "trailwatch"
}

variable "lambda_zip_path" {
  description = "Path to the function zip built from crates/trailwatch-lambda (see ../../README.md, \"Build the zip\"); an arm64 build."
  type        = string
}

variable "trail_bucket_name" {
  description = "Name of the existing bucket your trail writes to."
  type        = string
}

variable "trail_s3_key_prefix" {
  description = "The trail's S3 key prefix, without slashes (\"\" when log files start at AWSLogs/)."
  type        = string
  default     = ""
}

variable "trail_kms_key_arn" {
  description = "ARN of the KMS key the trail encrypts log files with (null for SSE-S3). Its key policy must let this account's IAM policies grant kms:Decrypt."
  type        = string
  default     = null
}

variable "manage_bucket_notification" {
  description = "Let the module own the bucket's notification configuration. Set false when the bucket already has notifications; add the delivery queue to them yourself."
  type        = bool
  default     = true
}

variable "alert_emails" {
  description = "Addresses that receive the alerts; each must confirm the subscription email from AWS."
  type        = list(string)
}

variable "alert_https_endpoint" {
  description = "Optional HTTPS endpoint (e.g. a chat webhook relay) subscribed to the alerts, receiving only critical and high findings."
  type        = string
  default     = null
}
