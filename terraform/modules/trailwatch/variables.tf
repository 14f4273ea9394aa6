################################################################################
# General
################################################################################

variable "create" {
  description = "Create the module's resources. false creates nothing (terraform-aws-modules convention: turn a deployment off without removing the module block). In create mode the archive unit (trail bucket, its settings and the trail key) has prevent_destroy: see README, \"Teardown\"."
  type        = bool
  default     = true
}

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
  description = "Tags added to every taggable resource (the per-resource *_tags variables add to these)."
  type        = map(string)
  default     = {}
}

variable "mode" {
  description = "\"create\": create a multi-region trail and its private bucket, then watch it. \"attach\": watch an existing trail bucket (trail_bucket_name, trail_s3_key_prefix); the bucket and the trail are not modified unless manage_bucket_notification or enable_bucket_eventbridge is set to true."
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

variable "trail_bucket_account_id" {
  description = "attach mode: the account that owns the trail bucket (null: the account the module is applied in). S3 notifications are conditioned on it (aws:SourceAccount). When it is another account, the bucket owner must add the trail_bucket_policy_statements output to the bucket policy (and the trail_kms_key_policy_statements output to the key policy), and event_source \"eventbridge\" is not available (EventBridge delivers S3 events to the bucket owner's bus only)."
  type        = string
  default     = null

  validation {
    condition     = var.trail_bucket_account_id == null || can(regex("^[0-9]{12}$", var.trail_bucket_account_id))
    error_message = "trail_bucket_account_id must be null or a 12-digit AWS account ID."
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
  description = "ARN of the KMS key the trail's log files are encrypted with. create mode: use this key instead of creating one (then set create_trail_kms_key = false). attach mode: the existing trail's key, so the function may decrypt (null when the trail uses SSE-S3). A key in the same account as the function needs nothing more if its policy has the default statement delegating to IAM; a key in another account must also name the function's role in its key policy (trail_kms_key_policy_statements output)."
  type        = string
  default     = null

  validation {
    condition     = var.trail_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.trail_kms_key_arn))
    error_message = "trail_kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), not an alias."
  }
}

variable "trail_kms_key_arns" {
  description = "Further KMS key ARNs older log files are encrypted with (a trail whose key was replaced keeps its earlier files under the earlier key; replays read them). The function may decrypt with each."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for k in var.trail_kms_key_arns : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", k))])
    error_message = "trail_kms_key_arns must hold KMS key ARNs (arn:aws:kms:<region>:<account>:key/<id>), not aliases."
  }
}

variable "manage_bucket_notification" {
  description = "Let the module own the trail bucket's notification configuration (aws_s3_bucket_notification). A bucket has exactly ONE notification configuration and this resource REPLACES ALL OF IT: any queue, topic or function already notified (a SIEM, Security Lake...) stops receiving events, the plan shows only a \"create\", and terraform destroy leaves the bucket with NO notifications. null (default): true in create mode (the module's own new bucket), false in attach mode. Set true in attach mode only for a bucket nothing else is notified from; otherwise use event_source \"eventbridge\", \"sns\" or \"cloudtrail_sns\", which never touch the bucket."
  type        = bool
  default     = null
}

variable "enable_bucket_eventbridge" {
  description = "Turn on Amazon EventBridge notifications for the trail bucket (needed by event_source \"eventbridge\" unless they are already on). This is a bucket setting stored in the same notification configuration, so it needs manage_bucket_notification = true, with everything that implies. In create mode it is on automatically with event_source \"eventbridge\". To turn it on for an existing bucket without replacing its configuration, see the README (get, add EventBridgeConfiguration, put)."
  type        = bool
  default     = false
}

variable "verify_trail_bucket_region" {
  description = "attach mode: read the trail bucket at plan time and refuse to plan unless it is in the region the module is applied in (S3 notifies only queues and functions in its own region). Needs s3:ListBucket (HeadBucket) on the bucket for the Terraform caller; turn off for a bucket owned by another account that does not grant it."
  type        = bool
  default     = true
}

################################################################################
# Delivery
################################################################################

variable "event_source" {
  description = "How new log files are announced to the delivery queue. \"s3\": the bucket's own notification (needs manage_bucket_notification, or your own entry in its configuration). \"eventbridge\": an EventBridge rule on aws.s3 \"Object Created\" for the bucket and the log prefix (EventBridge notifications must be on for the bucket). \"sns\": subscribe the queue (raw delivery) to an existing S3 -> SNS fan-out topic (s3_event_topic_arn). \"cloudtrail_sns\": subscribe to the trail's own log-delivery topic (attach: trail_sns_topic_arn; create: the module creates the topic and sets it on the trail). Only \"s3\" may change the bucket; all but \"s3\" need delivery = \"sqs\"."
  type        = string
  default     = "s3"

  validation {
    condition     = contains(["s3", "eventbridge", "sns", "cloudtrail_sns"], var.event_source)
    error_message = "event_source must be \"s3\", \"eventbridge\", \"sns\" or \"cloudtrail_sns\"."
  }
}

variable "s3_event_topic_arn" {
  description = "event_source \"sns\": ARN of the existing SNS topic the trail bucket's notification configuration already publishes ObjectCreated events to. The topic's policy must let this account subscribe (sns:Subscribe) when it is owned by another account; it must be in the module's region."
  type        = string
  default     = null

  validation {
    condition     = var.s3_event_topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", var.s3_event_topic_arn))
    error_message = "s3_event_topic_arn must be an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)."
  }
}

variable "trail_sns_topic_arn" {
  description = "event_source \"cloudtrail_sns\" in attach mode: ARN of the SNS topic the existing trail announces delivered log files on (its SnsTopicARN). CloudTrail announces only log files, never digest files. If the topic also carries other messages (Control Tower's AllConfigNotifications carries AWS Config notifications too), the subscription's body filter keeps only this bucket's log deliveries. Cross-account topics must let this account subscribe."
  type        = string
  default     = null

  validation {
    condition     = var.trail_sns_topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", var.trail_sns_topic_arn))
    error_message = "trail_sns_topic_arn must be an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)."
  }
}

variable "delivery" {
  description = "How announcements reach the function: \"sqs\" (into the delivery queue, then an event source mapping; a dead-letter queue and redrive; recommended, and required by every event_source but \"s3\") or \"lambda\" (event_source \"s3\" only: S3 invokes the function directly and asynchronously; events that still fail after Lambda's retries go to the dead-letter queue as the on-failure destination)."
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
  description = "Maximum concurrent invocations from the SQS event source mapping (null: no limit beyond the account's). With reserved_concurrent_executions also set, keep this at or below it."
  type        = number
  default     = null

  validation {
    condition     = var.sqs_maximum_concurrency == null || try(var.sqs_maximum_concurrency >= 2 && var.sqs_maximum_concurrency <= 1000, false)
    error_message = "sqs_maximum_concurrency must be null or between 2 and 1000."
  }
}

variable "message_retention_seconds" {
  description = "Retention of the delivery queue (the dead-letter queue keeps messages for the maximum, 14 days, regardless)."
  type        = number
  default     = 345600

  validation {
    condition     = var.message_retention_seconds >= 60 && var.message_retention_seconds <= 1209600
    error_message = "message_retention_seconds must be between 60 and 1209600 (14 days)."
  }
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
  description = "create mode: create a customer managed KMS key (rotation on) for the trail's log files. Set false to pass your own in trail_kms_key_arn, or to leave the log files under SSE-S3. A plain boolean, so that the plan never depends on whether an ARN is known yet."
  type        = bool
  default     = true
}

variable "is_organization_trail" {
  description = "create mode: make the trail an organization trail. Apply from the management account, or from a delegated administrator for CloudTrail (trusted access for CloudTrail must be enabled in AWS Organizations first: README). Organization trails belong to the management account, so the trail ARN in the bucket and key policies is built with the management account's ID. The bucket policy also admits writes under AWSLogs/<org-id>/."
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
  description = "create mode: force_destroy on the trail bucket. The archive unit (bucket, its settings, the trail key) has prevent_destroy, so terraform destroy stops before deleting anything whatever this says; this only lets a bucket removed from state and re-imported in a test account be deleted with its objects. Keep false."
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
  description = "create mode: days after which log files are deleted (null: kept forever). Set it to your audit retention requirement; it must be later than trail_log_transition_glacier_ir_days (S3 refuses an expiration at or before a transition)."
  type        = number
  default     = null

  validation {
    condition     = var.trail_log_expiration_days == null || try(var.trail_log_expiration_days >= 1 && floor(var.trail_log_expiration_days) == var.trail_log_expiration_days, false)
    error_message = "trail_log_expiration_days must be null or a whole number of at least 1."
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
  description = "Local path of the zip holding the `bootstrap` binary built from crates/trailwatch-lambda (README: \"Build the zip\"; conventionally dist/trailwatch-lambda-arm64.zip). Its architecture must match var.architecture. Exactly one of lambda_zip_path and s3_existing_package."
  type        = string
  default     = null

  validation {
    condition     = var.lambda_zip_path == null || can(regex("\\.zip$", var.lambda_zip_path))
    error_message = "lambda_zip_path must point to a .zip file."
  }
}

variable "s3_existing_package" {
  description = "The function zip already uploaded to S3, so that plan needs no local file: bucket, key, optional version_id, and optional source_code_hash (base64 SHA-256 of the zip, e.g. from `openssl dgst -sha256 -binary dist/trailwatch-lambda-arm64.zip | base64`) so that a new upload under the same key updates the function. The bucket must be in the module's region. Exactly one of lambda_zip_path and s3_existing_package."
  type = object({
    bucket           = string
    key              = string
    version_id       = optional(string)
    source_code_hash = optional(string)
  })
  default = null

  validation {
    condition     = var.s3_existing_package == null || try(can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.s3_existing_package.bucket)) && can(regex("\\.zip$", var.s3_existing_package.key)), false)
    error_message = "s3_existing_package needs a valid bucket name and a key ending in .zip."
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
  description = "Function memory in MB. Memory buys CPU share (Lambda gives one full vCPU at 1769 MB, proportionally less below), and decompression is CPU-bound; memory use itself stays flat, since files over 32 MiB decompressed are streamed whatever max_decompressed_bytes is."
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
  description = "Reserved concurrency for the function (null: unreserved). With SQS delivery it must be at least 5: the event source mapping polls with at least five concurrent receivers, and receives throttled by a lower reservation count towards sqs_max_receive_count, sending unprocessed log files to the dead-letter queue. Prefer sqs_maximum_concurrency to bound SQS concurrency."
  type        = number
  default     = null

  validation {
    condition     = var.reserved_concurrent_executions == null || try(var.reserved_concurrent_executions >= 1 && floor(var.reserved_concurrent_executions) == var.reserved_concurrent_executions, false)
    error_message = "reserved_concurrent_executions must be null or a whole number of at least 1 (0 would stop the function)."
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
  description = "TRAILWATCH_MAX_DECOMPRESSED_BYTES: the decompressed-size cap per log file, by default the binary's own (1 GiB). A file over it is reported as unreadable (alerted, and counted in the DecompressedCapHits metric), never skipped quietly. Real CloudTrail JSON often compresses 10:1 or better, so a busy account's 50 MB log file can exceed 256 MiB. Memory does not grow with it: large files are streamed."
  type        = number
  default     = 1073741824

  validation {
    condition     = var.max_decompressed_bytes >= 1048576 && floor(var.max_decompressed_bytes) == var.max_decompressed_bytes
    error_message = "max_decompressed_bytes must be a whole number of at least 1 MiB (1048576)."
  }
}

variable "metrics_namespace" {
  description = "TRAILWATCH_METRICS_NAMESPACE: CloudWatch namespace of the metrics the function writes in Embedded Metric Format (LogFilesScanned, LogFilesFailed, Findings, DecompressedCapHits, dimension FunctionName). The alarms read them from here."
  type        = string
  default     = "trailwatch"

  validation {
    condition     = can(regex("^[A-Za-z0-9._/#:-]{1,255}$", var.metrics_namespace)) && !startswith(var.metrics_namespace, "AWS/")
    error_message = "metrics_namespace must be 1-255 characters of letters, digits and . _ / # : - and must not start with \"AWS/\"."
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
# IAM
################################################################################

variable "role_name" {
  description = "Name of the function's IAM role (null: \"<name>-<region>\"). IAM names are global to the account, so the default carries the region: two regional deployments of the same name do not collide."
  type        = string
  default     = null

  validation {
    condition     = var.role_name == null || can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.role_name))
    error_message = "role_name must be 1-64 characters of letters, digits and +=,.@_- (IAM role name rules)."
  }
}

variable "batch_operations_role_name" {
  description = "Name of the S3 Batch Operations role, with create_batch_operations_role (null: \"<name>-batch-<region>\")."
  type        = string
  default     = null

  validation {
    condition     = var.batch_operations_role_name == null || can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.batch_operations_role_name))
    error_message = "batch_operations_role_name must be 1-64 characters of letters, digits and +=,.@_- (IAM role name rules)."
  }
}

variable "role_path" {
  description = "IAM path of the roles the module creates."
  type        = string
  default     = "/"

  validation {
    condition     = can(regex("^/([\\x21-\\x7E]{0,510}/)?$", var.role_path))
    error_message = "role_path must start and end with \"/\" (e.g. \"/\" or \"/security/\")."
  }
}

variable "role_permissions_boundary" {
  description = "ARN of the IAM policy set as permissions boundary on the roles the module creates (null: none). Many organizations require one for every role."
  type        = string
  default     = null

  validation {
    condition     = var.role_permissions_boundary == null || can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/.+$", var.role_permissions_boundary))
    error_message = "role_permissions_boundary must be an IAM policy ARN (arn:aws:iam::<account>:policy/<name>)."
  }
}

################################################################################
# Alerts
################################################################################

variable "create_sns_topic" {
  description = "Create the KMS-encrypted alert topic. false: publish to your own topic (alert_topic_arn); its policy must let the function's role publish, and, for alarms to reach it, cloudwatch.amazonaws.com."
  type        = bool
  default     = true
}

variable "alert_topic_arn" {
  description = "With create_sns_topic = false: ARN of the existing topic findings are published to (same region)."
  type        = string
  default     = null

  validation {
    condition     = var.alert_topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", var.alert_topic_arn))
    error_message = "alert_topic_arn must be an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)."
  }
}

variable "alert_topic_kms_key_arn" {
  description = "With create_sns_topic = false: the KMS key your topic is encrypted with (null: unencrypted or AWS managed), so the function's role may use it to publish."
  type        = string
  default     = null

  validation {
    condition     = var.alert_topic_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.alert_topic_kms_key_arn))
    error_message = "alert_topic_kms_key_arn must be a KMS key ARN, not an alias."
  }
}

variable "create_kms_key" {
  description = "Create the module's KMS key (rotation on) for the alert topic, the function's environment, its log group and, in create mode with event_source \"cloudtrail_sns\", the log-delivery topic. false: use kms_key_arn, whose key policy must admit logs.<region>.amazonaws.com for the log group, cloudwatch.amazonaws.com for the alarms and, for the log-delivery topic, cloudtrail.amazonaws.com (the statements of kms.tf are the model)."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "With create_kms_key = false: the KMS key to use instead of the module's."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN, not an alias."
  }
}

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
  description = "Further subscriptions to the alert topic. protocol: sqs (endpoint: queue ARN; the queue's policy must allow this topic to send), https (endpoint: URL; it must confirm the subscription) or lambda (endpoint: function ARN). filter_policy: optional JSON on the message attributes kind, severity, account, bucket. CloudWatch alarm notifications carry no message attributes, so a filtered subscription never receives them: send alarms to their own topic (alarm_topic_arn)."
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

variable "alert_topic_subscriber_account_ids" {
  description = "Other accounts allowed to subscribe to the alert topic (e.g. the Security/Audit account of a Control Tower landing zone subscribing its own queue or function). Only over sqs, lambda, https, email and email-json; subscriptions still need confirmation by the endpoint's owner."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.alert_topic_subscriber_account_ids : can(regex("^[0-9]{12}$", a))])
    error_message = "alert_topic_subscriber_account_ids must hold 12-digit AWS account IDs."
  }
}

variable "kms_key_deletion_window_days" {
  description = "Waiting period before a KMS key the module created is deleted after destroy (the trail key is protected by prevent_destroy and is never scheduled by Terraform)."
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
  description = "Create the CloudWatch alarms: function errors, throttles, dead-letter queue not empty, log files failed (metric LogFilesFailed), no log file scanned for silence_alarm_hours (LogFilesScanned), and the delivery queue's oldest message (SQS) or dropped asynchronous events (direct delivery)."
  type        = bool
  default     = true
}

variable "alarm_topic_arn" {
  description = "SNS topic the alarms notify (an operations topic; null: the alert topic). CloudWatch cannot attach message attributes to alarm notifications, so alert subscriptions that filter on kind or severity never see them: set this when any subscription filters. The topic's policy (and key policy, when encrypted) must admit cloudwatch.amazonaws.com."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", var.alarm_topic_arn))
    error_message = "alarm_topic_arn must be an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)."
  }
}

variable "silence_alarm_hours" {
  description = "Alarm when no CloudTrail log file was scanned (metric LogFilesScanned; digest and other objects do not count) for this many consecutive hours. CloudTrail delivers a file every few minutes in any active account, so silence means a broken pipeline."
  type        = number
  default     = 6

  validation {
    condition     = var.silence_alarm_hours >= 1 && var.silence_alarm_hours <= 24 && floor(var.silence_alarm_hours) == var.silence_alarm_hours
    error_message = "silence_alarm_hours must be a whole number between 1 and 24 (CloudWatch evaluates at most one day of hourly periods)."
  }
}

variable "queue_age_alarm_seconds" {
  description = "SQS delivery: alarm when the delivery queue's oldest message is older than this many seconds (log files waiting: the function failing, throttled or stopped). Default 30 minutes: several retries of a failing file, well before it reaches the dead-letter queue."
  type        = number
  default     = 1800

  validation {
    condition     = var.queue_age_alarm_seconds >= 300 && var.queue_age_alarm_seconds <= 1209600 && floor(var.queue_age_alarm_seconds) == var.queue_age_alarm_seconds
    error_message = "queue_age_alarm_seconds must be a whole number between 300 and 1209600."
  }
}

################################################################################
# Per-resource tags (added to var.tags)
################################################################################

variable "function_tags" {
  description = "Extra tags of the Lambda function."
  type        = map(string)
  default     = {}
}

variable "role_tags" {
  description = "Extra tags of the IAM roles."
  type        = map(string)
  default     = {}
}

variable "cloudwatch_log_group_tags" {
  description = "Extra tags of the function's log group."
  type        = map(string)
  default     = {}
}

variable "sqs_queue_tags" {
  description = "Extra tags of the delivery and dead-letter queues."
  type        = map(string)
  default     = {}
}

variable "event_source_mapping_tags" {
  description = "Extra tags of the SQS event source mapping."
  type        = map(string)
  default     = {}
}

variable "sns_topic_tags" {
  description = "Extra tags of the SNS topics the module creates."
  type        = map(string)
  default     = {}
}

variable "kms_key_tags" {
  description = "Extra tags of the KMS keys the module creates."
  type        = map(string)
  default     = {}
}

variable "alarm_tags" {
  description = "Extra tags of the CloudWatch alarms and the EventBridge rule."
  type        = map(string)
  default     = {}
}

variable "trail_tags" {
  description = "create mode: extra tags of the trail and its bucket."
  type        = map(string)
  default     = {}
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

variable "enable_security_hub" {
  description = "Import findings into AWS Security Hub (ASFF, BatchImportFindings) as this account's default product in this region: sets TRAILWATCH_SECURITY_HUB=true and grants securityhub:BatchImportFindings on arn:<partition>:securityhub:<region>:<account>:product/<account>/default only, and securityhub:GetFindings on that region's hub/default (to archive earlier findings a later log file's removal ended). Security Hub must be enabled in this account and region."
  type        = bool
  default     = false
  nullable    = false

  validation {
    condition     = var.enable_security_hub == true || var.enable_security_hub == false
    error_message = "enable_security_hub must be true or false."
  }
}

variable "event_bus" {
  description = "EventBridge bus (a name in this account and region, or an ARN) to put one `S3 Exposure Finding` event per finding on (source `trailwatch`): sets TRAILWATCH_EVENT_BUS and grants events:PutEvents on that bus only. null: no events."
  type        = string
  default     = null

  validation {
    condition     = var.event_bus == null || can(regex("^([A-Za-z0-9._-]{1,256}|arn:aws[a-z-]*:events:[a-z0-9-]+:[0-9]{12}:event-bus/[A-Za-z0-9._/-]{1,256})$", var.event_bus))
    error_message = "event_bus must be an event bus name (letters, digits, . _ -) or an event bus ARN."
  }
}

variable "sns_format" {
  description = "What the `default` and `https` forms of each SNS alert hold: `standard` (the readable text and the finding JSON) or `chat` (an Amazon Q Developer in chat applications custom notification, for a Slack or Teams channel subscribed to the topic). Email and SQS subscribers get the same forms either way."
  type        = string
  default     = "standard"
  nullable    = false

  validation {
    condition     = contains(["standard", "chat"], var.sns_format)
    error_message = "sns_format must be standard or chat."
  }
}

variable "min_severity" {
  description = "Lowest severity each sink receives (critical, high or medium); a sink left out receives every severity. Findings of refused attempts (exposure `blocked`) go to no sink unless TRAILWATCH_ALERT_BLOCKED or the config's [sinks.<name>] include_blocked says so."
  type = object({
    sns          = optional(string)
    security_hub = optional(string)
    event_bus    = optional(string)
  })
  default  = {}
  nullable = false

  validation {
    condition = alltrue([
      for s in [var.min_severity.sns, var.min_severity.security_hub, var.min_severity.event_bus] :
      s == null || contains(["critical", "high", "medium"], coalesce(s, "medium"))
    ])
    error_message = "min_severity values must be critical, high or medium."
  }
}

variable "confirm" {
  description = "The live check: when a finding fires, the function asks S3 whether the bucket is public now (policy, ACL, bucket and account Block Public Access, ownership controls, GetBucketPolicyStatus) and alerts `effective`, `latent` or `closed`. enabled grants the read-only s3:GetBucket* and account reads (never s3:GetObject); role_name (e.g. `trailwatch-confirm`, deployed in member accounts with modules/trailwatch-confirm-role) lets the function assume that role in a bucket's account (sets TRAILWATCH_CONFIRM_ROLE); external_id is the external ID the role requires; alert_latent = false drops latent findings (TRAILWATCH_ALERT_LATENT)."
  type = object({
    enabled      = optional(bool, true)
    role_name    = optional(string)
    external_id  = optional(string)
    alert_latent = optional(bool, true)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.confirm.role_name == null || can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.confirm.role_name))
    error_message = "confirm.role_name must be an IAM role name (1-64 of A-Z a-z 0-9 + = , . @ _ -)."
  }

  validation {
    condition     = var.confirm.external_id == null || can(regex("^[A-Za-z0-9+=,.@:/-]{2,1224}$", var.confirm.external_id))
    error_message = "confirm.external_id must be 2-1224 of A-Z a-z 0-9 + = , . @ : / - (the STS external ID alphabet)."
  }
}

variable "changes_prefix" {
  description = "TRAILWATCH_CHANGES_PREFIX, the map step at organization scale: an s3://bucket/prefix/ URI (or s3://bucket/) under which each log file an S3 Batch Operations job replays through the function gets its changes object, `<prefix><trail bucket>/<log key>.jsonl` (the file's findings before verdicts, permission changes and anonymous and presigned request counts; a retried task overwrites it). `trailwatch timeline --changes s3://bucket/prefix/` folds them into the windows and verdicts one local run over those log files gives. Grants s3:PutObject under that prefix only; a bucket encrypted with a customer managed KMS key must also let the role use the key. Notifications write none. Keep it outside the trail's log prefix. Empty: off."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = var.changes_prefix == "" || can(regex("^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/([^/].*/)?$", var.changes_prefix))
    error_message = "changes_prefix must be empty, s3://bucket/ or s3://bucket/prefix/ (a bucket name, and a prefix ending in /)."
  }
}
