variable "region" {
  description = "Region to deploy in. The trail is multi-region; the bucket, function and alerts live here."
  type        = string
  default     = "eu-west-1"

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

variable "trailwatch_config" {
  description = "Allowlist for the function: inline TOML or an s3://bucket/key URI (null: none)."
  type        = string
  default     = null
}

variable "enable_s3_data_events" {
  description = "Also log PutObjectAcl data events so object ACL changes are detected (billed per event)."
  type        = bool
  default     = true
}
