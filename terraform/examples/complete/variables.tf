variable "region" {
  description = "Region to deploy in. The trail is multi-region; the bucket, function and alerts live here."
  type        = string
  default     = "eu-west-1"
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

variable "alert_emails" {
  description = "Addresses that receive the alerts; each must confirm the subscription email from AWS."
  type        = list(string)
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

variable "trail_bucket_force_destroy" {
  description = "Let terraform destroy delete the trail bucket and its logs (test accounts only)."
  type        = bool
  default     = false
}
