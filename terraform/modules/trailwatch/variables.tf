################################################################################
# General
################################################################################

variable "name" {
  description = "Name prefix for every resource the module creates (function, role, topic, queues, alarms, trail, bucket). Lower-case letters, digits and hyphens."
  type        = string
  default     = "trailwatch"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,38}[a-z0-9]$", var.name))
    error_message = "name must be 3-40 characters of lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "tags" {
  description = "Tags added to every taggable resource."
  type        = map(string)
  default     = {}
}

variable "mode" {
  description = "\"create\": create a multi-region trail and its private bucket, then watch it. \"attach\": watch an existing trail bucket (trail_bucket_name, trail_s3_key_prefix), adding only the notification, the delivery queue and the function."
  type        = string
  default     = "create"

  validation {
    condition     = contains(["create", "attach"], var.mode)
    error_message = "mode must be \"create\" or \"attach\"."
  }
}

################################################################################
# Trail bucket (both modes)
################################################################################

variable "trail_bucket_name" {
  description = "Trail bucket name. attach mode: the existing bucket CloudTrail writes to (required; must be in the region the module is applied in). create mode: name of the bucket to create (null: \"<name>-trail-<account>-<region>\")."
  type        = string
  default     = null

  validation {
    condition     = var.trail_bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.trail_bucket_name))
    error_message = "trail_bucket_name must be a valid S3 bucket name (3-63 characters: lower-case letters, digits, dots, hyphens)."
  }
}

variable "trail_s3_key_prefix" {
  description = "Key prefix CloudTrail writes under, without leading or trailing slash (\"\" for none). Log files are then under \"<prefix>/AWSLogs/\"; the notification filter and the function's read permission are scoped to that path."
  type        = string
  default     = ""

  validation {
    condition     = var.trail_s3_key_prefix == "" || can(regex("^[^/].{0,198}[^/]$|^[^/]$", var.trail_s3_key_prefix))
    error_message = "trail_s3_key_prefix must not start or end with \"/\" and must be at most 200 characters."
  }
}

variable "trail_kms_key_arn" {
  description = "ARN of the KMS key the trail's log files are encrypted with. create mode: use this key instead of creating one. attach mode: the existing trail's key, so the function may decrypt (null when the trail uses SSE-S3)."
  type        = string
  default     = null

  validation {
    condition     = var.trail_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.trail_kms_key_arn))
    error_message = "trail_kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), not an alias."
  }
}

variable "manage_bucket_notification" {
  description = "Create the aws_s3_bucket_notification on the trail bucket. A bucket has exactly one notification configuration and Terraform's resource owns all of it: in attach mode, set false if the bucket already has notifications, and add the queue (or function) from the outputs to that configuration yourself."
  type        = bool
  default     = true
}

################################################################################
# Trail (create mode)
################################################################################

variable "trail_name" {
  description = "create mode: name of the trail (null: \"<name>\")."
  type        = string
  default     = null

  validation {
    condition     = var.trail_name == null || can(regex("^[A-Za-z0-9][A-Za-z0-9._-]{2,127}$", var.trail_name))
    error_message = "trail_name must be 3-128 characters of letters, digits, periods, underscores and hyphens, starting with a letter or digit."
  }
}

variable "create_trail_kms_key" {
  description = "create mode: create a customer managed KMS key (rotation on) for the trail's log files when trail_kms_key_arn is null. false leaves the log files under the bucket's default encryption."
  type        = bool
  default     = true
}

variable "is_organization_trail" {
  description = "create mode: make the trail an organization trail (apply from the management account or a delegated administrator). The bucket policy then also admits writes under AWSLogs/<org-id>/."
  type        = bool
  default     = false
}

variable "enable_s3_data_events" {
  description = "create mode: log S3 object-level data events, limited by an advanced event selector to the write calls in s3_data_event_names, so object ACL changes are seen. Data events are billed per event."
  type        = bool
  default     = false
}

variable "s3_data_event_names" {
  description = "create mode, with enable_s3_data_events: the S3 data event names to log. PutObjectAcl alone is cheap; PutObject and CopyObject (public canned ACLs at upload) are logged for every upload and can cost much more."
  type        = list(string)
  default     = ["PutObjectAcl"]

  validation {
    condition     = length(var.s3_data_event_names) > 0 && alltrue([for e in var.s3_data_event_names : contains(["PutObjectAcl", "PutObject", "CopyObject"], e)])
    error_message = "s3_data_event_names must be a non-empty subset of PutObjectAcl, PutObject, CopyObject."
  }
}

variable "s3_data_event_bucket_arns" {
  description = "create mode, with enable_s3_data_events: log data events only for these bucket ARNs (arn:aws:s3:::bucket). Empty: every bucket in the account (organization) except the trail bucket."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.s3_data_event_bucket_arns : can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", a))])
    error_message = "s3_data_event_bucket_arns must hold bucket ARNs of the form arn:aws:s3:::bucket-name."
  }
}

variable "trail_bucket_force_destroy" {
  description = "create mode: allow terraform destroy to delete the trail bucket with its log files. Keep false outside test accounts."
  type        = bool
  default     = false
}

variable "trail_log_transition_ia_days" {
  description = "create mode: days after which log files move to STANDARD_IA (>= 30). Replay still reads them directly."
  type        = number
  default     = 30

  validation {
    condition     = var.trail_log_transition_ia_days >= 30 && floor(var.trail_log_transition_ia_days) == var.trail_log_transition_ia_days
    error_message = "trail_log_transition_ia_days must be a whole number of at least 30 (S3 minimum for STANDARD_IA)."
  }
}

variable "trail_log_transition_glacier_ir_days" {
  description = "create mode: days after which log files move to GLACIER_IR (instant retrieval, so replay still works). Must exceed trail_log_transition_ia_days by at least 30."
  type        = number
  default     = 90

  validation {
    condition     = var.trail_log_transition_glacier_ir_days >= 60 && floor(var.trail_log_transition_glacier_ir_days) == var.trail_log_transition_glacier_ir_days
    error_message = "trail_log_transition_glacier_ir_days must be a whole number of at least 60."
  }
}

variable "trail_log_expiration_days" {
  description = "create mode: days after which log files are deleted (null: kept forever). Set it to your audit retention requirement."
  type        = number
  default     = null

  validation {
    condition     = var.trail_log_expiration_days == null || try(var.trail_log_expiration_days >= 1, false)
    error_message = "trail_log_expiration_days must be null or at least 1."
  }
}

variable "trail_noncurrent_version_expiration_days" {
  description = "create mode: days after which non-current (overwritten or deleted) object versions in the versioned trail bucket are removed."
  type        = number
  default     = 90

  validation {
    condition     = var.trail_noncurrent_version_expiration_days >= 1
    error_message = "trail_noncurrent_version_expiration_days must be at least 1."
  }
}

variable "enable_inventory" {
  description = "create mode: configure a weekly S3 Inventory of the trail's log files, delivered into the trail bucket under batch_operations_manifest_prefix, to drive an S3 Batch Operations replay (see README)."
  type        = bool
  default     = false
}

################################################################################
# Function
################################################################################

variable "lambda_zip_path" {
  description = "Path to the zip holding the `bootstrap` binary built from crates/trailwatch-lambda (see README: cargo lambda build --release --arm64 --output-format zip). Its architecture must match var.architecture."
  type        = string

  validation {
    condition     = can(regex("\\.zip$", var.lambda_zip_path))
    error_message = "lambda_zip_path must point to a .zip file."
  }
}

variable "architecture" {
  description = "Instruction set of the function and of the zip: \"arm64\" (Graviton, cheaper per GB-second) or \"x86_64\"."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be \"arm64\" or \"x86_64\"."
  }
}

variable "memory_size" {
  description = "Function memory in MB. Whole-buffer decompression needs room for the largest log file (up to max_decompressed_bytes) plus the runtime; CPU scales with memory."
  type        = number
  default     = 1024

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240
    error_message = "memory_size must be between 128 and 10240 MB."
  }
}

variable "timeout" {
  description = "Function timeout in seconds. The SQS visibility timeout is derived from it (6x, the AWS recommendation)."
  type        = number
  default     = 120

  validation {
    condition     = var.timeout >= 10 && var.timeout <= 900
    error_message = "timeout must be between 10 and 900 seconds."
  }
}

variable "reserved_concurrent_executions" {
  description = "Reserved concurrency for the function (null: unreserved). With SQS delivery, sqs_maximum_concurrency bounds concurrency without taking from the account pool."
  type        = number
  default     = null

  validation {
    condition     = var.reserved_concurrent_executions == null || try(var.reserved_concurrent_executions >= 1, false)
    error_message = "reserved_concurrent_executions must be null or at least 1 (0 would stop the function)."
  }
}

variable "trailwatch_config" {
  description = "TRAILWATCH_CONFIG for the function: the allowlist as inline TOML, or an s3://bucket/key URI of a TOML object (the role then gets s3:GetObject on exactly that object). null: no allowlist."
  type        = string
  default     = null

  validation {
    condition     = var.trailwatch_config == null || try(length(var.trailwatch_config) <= 3072, false)
    error_message = "trailwatch_config inline TOML must be at most 3072 characters (Lambda caps all environment variables at 4 KB together); store a larger allowlist in S3 and pass its s3:// URI."
  }
}

variable "max_decompressed_bytes" {
  description = "TRAILWATCH_MAX_DECOMPRESSED_BYTES: the decompressed-size cap per log file. A file over it is reported as an error, never skipped quietly."
  type        = number
  default     = 268435456

  validation {
    condition     = var.max_decompressed_bytes >= 1048576 && floor(var.max_decompressed_bytes) == var.max_decompressed_bytes
    error_message = "max_decompressed_bytes must be a whole number of at least 1 MiB (1048576)."
  }
}

variable "log_level" {
  description = "RUST_LOG for the function (a level such as info, or a tracing filter such as \"info,trailwatch_core=debug\")."
  type        = string
  default     = "info"

  validation {
    condition     = can(regex("^[A-Za-z0-9_=,:.-]+$", var.log_level))
    error_message = "log_level must be a RUST_LOG filter made of letters, digits and _=,:.- characters."
  }
}

variable "log_retention_days" {
  description = "Retention of the function's CloudWatch log group, in days."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)."
  }
}

variable "enable_xray" {
  description = "Active X-Ray tracing for the function (adds xray:PutTraceSegments and xray:PutTelemetryRecords to its role)."
  type        = bool
  default     = false
}

################################################################################
# Delivery
################################################################################

variable "delivery" {
  description = "How new log files reach the function: \"sqs\" (S3 -> SQS -> Lambda, with a dead-letter queue and redrive; recommended) or \"lambda\" (S3 invokes the function directly and asynchronously; failures after Lambda's retries go to the dead-letter queue)."
  type        = string
  default     = "sqs"

  validation {
    condition     = contains(["sqs", "lambda"], var.delivery)
    error_message = "delivery must be \"sqs\" or \"lambda\"."
  }
}

variable "sqs_batch_size" {
  description = "Messages (log files) per function invocation with SQS delivery."
  type        = number
  default     = 10

  validation {
    condition     = var.sqs_batch_size >= 1 && var.sqs_batch_size <= 100
    error_message = "sqs_batch_size must be between 1 and 100 (above 10 also set sqs_maximum_batching_window_seconds)."
  }
}

variable "sqs_maximum_batching_window_seconds" {
  description = "Seconds the event source mapping may wait to fill a batch (0: invoke as soon as messages arrive; required > 0 when sqs_batch_size > 10)."
  type        = number
  default     = 0

  validation {
    condition     = var.sqs_maximum_batching_window_seconds >= 0 && var.sqs_maximum_batching_window_seconds <= 300
    error_message = "sqs_maximum_batching_window_seconds must be between 0 and 300."
  }
}

variable "sqs_max_receive_count" {
  description = "Receives before a message (log file) moves to the dead-letter queue."
  type        = number
  default     = 5

  validation {
    condition     = var.sqs_max_receive_count >= 1 && var.sqs_max_receive_count <= 1000
    error_message = "sqs_max_receive_count must be between 1 and 1000."
  }
}

variable "sqs_maximum_concurrency" {
  description = "Maximum concurrent invocations from the SQS event source mapping (null: no limit beyond the account's)."
  type        = number
  default     = null

  validation {
    condition     = var.sqs_maximum_concurrency == null || try(var.sqs_maximum_concurrency >= 2 && var.sqs_maximum_concurrency <= 1000, false)
    error_message = "sqs_maximum_concurrency must be null or between 2 and 1000."
  }
}

variable "message_retention_seconds" {
  description = "Retention of the delivery queue and of the dead-letter queue (the DLQ keeps messages for the maximum, 14 days, regardless)."
  type        = number
  default     = 345600

  validation {
    condition     = var.message_retention_seconds >= 60 && var.message_retention_seconds <= 1209600
    error_message = "message_retention_seconds must be between 60 and 1209600 (14 days)."
  }
}

################################################################################
# Alerts
################################################################################

variable "alert_emails" {
  description = "Email addresses subscribed to the alert topic. Each receives a confirmation email from AWS and must click its link before alerts arrive; no CLI step is needed."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.alert_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "alert_emails must hold email addresses."
  }
}

variable "extra_subscriptions" {
  description = "Further subscriptions to the alert topic. protocol: sqs (endpoint: queue ARN; the queue's policy must allow this topic to send), https (endpoint: URL; it must confirm the subscription) or lambda (endpoint: function ARN). filter_policy: optional JSON on the message attributes kind, severity, account, bucket."
  type = list(object({
    protocol             = string
    endpoint             = string
    raw_message_delivery = optional(bool, false)
    filter_policy        = optional(string)
  }))
  default = []

  validation {
    condition     = alltrue([for s in var.extra_subscriptions : contains(["sqs", "https", "lambda"], s.protocol)])
    error_message = "extra_subscriptions protocol must be sqs, https or lambda (email addresses go in alert_emails; plain http is refused)."
  }
}

variable "kms_key_deletion_window_days" {
  description = "Waiting period before a KMS key the module created is deleted after destroy."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_key_deletion_window_days >= 7 && var.kms_key_deletion_window_days <= 30
    error_message = "kms_key_deletion_window_days must be between 7 and 30."
  }
}

################################################################################
# Alarms
################################################################################

variable "enable_alarms" {
  description = "Create the CloudWatch alarms (function errors, throttles, dead-letter queue not empty, no log file processed for silence_alarm_hours), all notifying the alert topic."
  type        = bool
  default     = true
}

variable "silence_alarm_hours" {
  description = "Alarm when the function has not been invoked (no log file processed) for this many consecutive hours. CloudTrail delivers a file every few minutes in any active account, so silence means a broken pipeline."
  type        = number
  default     = 6

  validation {
    condition     = var.silence_alarm_hours >= 1 && var.silence_alarm_hours <= 24 && floor(var.silence_alarm_hours) == var.silence_alarm_hours
    error_message = "silence_alarm_hours must be a whole number between 1 and 24 (CloudWatch evaluates at most one day of hourly periods)."
  }
}

################################################################################
# Replay with S3 Batch Operations
################################################################################

variable "create_batch_operations_role" {
  description = "Create an IAM role S3 Batch Operations can assume to invoke the function over an S3 Inventory manifest of historic log files (see README: replay procedure)."
  type        = bool
  default     = false
}

variable "batch_operations_bucket_name" {
  description = "Bucket holding the inventory manifests and receiving the Batch Operations completion reports (null: the trail bucket)."
  type        = string
  default     = null

  validation {
    condition     = var.batch_operations_bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.batch_operations_bucket_name))
    error_message = "batch_operations_bucket_name must be a valid S3 bucket name."
  }
}

variable "batch_operations_manifest_prefix" {
  description = "Key prefix of the inventory manifests in batch_operations_bucket_name (the Batch Operations role may read only under it)."
  type        = string
  default     = "trailwatch-inventory/"

  validation {
    condition     = can(regex("^[^/].*/$", var.batch_operations_manifest_prefix))
    error_message = "batch_operations_manifest_prefix must not start with \"/\" and must end with \"/\"."
  }
}

variable "batch_operations_report_prefix" {
  description = "Key prefix for Batch Operations completion reports in batch_operations_bucket_name (the role may write only under it)."
  type        = string
  default     = "trailwatch-batch-reports/"

  validation {
    condition     = can(regex("^[^/].*/$", var.batch_operations_report_prefix))
    error_message = "batch_operations_report_prefix must not start with \"/\" and must end with \"/\"."
  }
}
