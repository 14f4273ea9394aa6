################################################################################
# Plan-time checks: each refuses the plan with a sentence saying what to
# change, before anything is created.
################################################################################

resource "terraform_data" "checks" {
  count = local.enabled ? 1 : 0

  input = {
    mode         = var.mode
    event_source = var.event_source
    delivery     = var.delivery
  }

  lifecycle {
    precondition {
      condition     = local.create || var.trail_bucket_name != null
      error_message = "mode = \"attach\" needs trail_bucket_name: the existing bucket CloudTrail writes to."
    }

    precondition {
      condition     = (var.lambda_zip_path == null) != (var.s3_existing_package == null)
      error_message = "Give exactly one of lambda_zip_path (a local zip) and s3_existing_package (a zip already in S3)."
    }

    precondition {
      condition     = local.use_sqs || var.event_source == "s3"
      error_message = "event_source \"eventbridge\", \"sns\" and \"cloudtrail_sns\" deliver into the SQS queue: set delivery = \"sqs\"."
    }

    precondition {
      condition     = var.event_source != "sns" || var.s3_event_topic_arn != null
      error_message = "event_source = \"sns\" needs s3_event_topic_arn: the topic the bucket's notification configuration already publishes to."
    }

    precondition {
      condition     = var.event_source != "cloudtrail_sns" || (local.create ? var.trail_sns_topic_arn == null : var.trail_sns_topic_arn != null)
      error_message = "event_source = \"cloudtrail_sns\": in attach mode give trail_sns_topic_arn (the existing trail's SNS topic); in create mode leave it null (the module creates the topic and sets it on the trail)."
    }

    precondition {
      condition     = var.event_source != "eventbridge" || local.bucket_is_local
      error_message = "event_source = \"eventbridge\" needs the trail bucket in this account: S3 sends EventBridge events only to the bucket owner's default bus. Deploy in the bucket's account, or use \"sns\" / \"cloudtrail_sns\"."
    }

    precondition {
      condition     = !var.enable_bucket_eventbridge || local.manage_bucket_notification
      error_message = "enable_bucket_eventbridge is stored in the bucket's notification configuration: it needs manage_bucket_notification = true, which REPLACES that whole configuration. For a bucket that already has notifications, turn EventBridge on by hand instead (README: get, add EventBridgeConfiguration, put)."
    }

    precondition {
      condition     = !local.create || var.trail_bucket_account_id == null || var.trail_bucket_account_id == local.account_id
      error_message = "create mode creates the trail bucket in this account: leave trail_bucket_account_id null."
    }

    precondition {
      condition     = !(local.create && var.create_trail_kms_key && var.trail_kms_key_arn != null)
      error_message = "create mode: trail_kms_key_arn is given, so set create_trail_kms_key = false (the module would otherwise create a second key)."
    }

    precondition {
      condition     = var.create_sns_topic ? var.alert_topic_arn == null : var.alert_topic_arn != null
      error_message = "create_sns_topic = false needs alert_topic_arn (and alert_topic_kms_key_arn when it is encrypted); with create_sns_topic = true leave alert_topic_arn null."
    }

    precondition {
      condition     = var.create_kms_key ? var.kms_key_arn == null : var.kms_key_arn != null
      error_message = "create_kms_key = false needs kms_key_arn; with create_kms_key = true leave kms_key_arn null."
    }

    precondition {
      condition     = !local.use_sqs || var.reserved_concurrent_executions == null || try(var.reserved_concurrent_executions >= 5, false)
      error_message = "With SQS delivery, reserved_concurrent_executions must be null or at least 5: below that, throttled receives count towards sqs_max_receive_count and send unprocessed log files to the dead-letter queue. Use sqs_maximum_concurrency to bound concurrency."
    }

    precondition {
      condition     = var.reserved_concurrent_executions == null || var.sqs_maximum_concurrency == null || try(var.sqs_maximum_concurrency <= var.reserved_concurrent_executions, false)
      error_message = "sqs_maximum_concurrency must not exceed reserved_concurrent_executions: the mapping would be throttled by the reservation."
    }

    precondition {
      condition     = var.trail_log_transition_glacier_ir_days >= var.trail_log_transition_ia_days + 30
      error_message = "trail_log_transition_glacier_ir_days must be at least 30 days after trail_log_transition_ia_days (S3 minimum storage duration of STANDARD_IA)."
    }

    precondition {
      condition     = var.trail_log_expiration_days == null || try(var.trail_log_expiration_days > var.trail_log_transition_glacier_ir_days, false)
      error_message = "trail_log_expiration_days must be later than trail_log_transition_glacier_ir_days (S3 refuses a lifecycle rule whose expiration is not after its transitions)."
    }
  }
}

# attach mode: the bucket must be in the module's region (S3 notifies only
# queues and functions in its own region; EventBridge events arrive on the
# bus of the bucket's region). bucket_regional_domain_name carries the region
# under every supported provider version ("region" became the request-region
# argument in 6.0); a us-east-1 bucket may be named without it.
data "aws_s3_bucket" "attached" {
  count = local.attach && var.verify_trail_bucket_region && var.trail_bucket_name != null ? 1 : 0

  bucket = var.trail_bucket_name

  lifecycle {
    postcondition {
      condition = (
        strcontains(self.bucket_regional_domain_name, ".s3.${local.region}.") ||
        strcontains(self.bucket_regional_domain_name, ".s3-${local.region}.") ||
        (local.region == "us-east-1" && endswith(self.bucket_regional_domain_name, ".s3.amazonaws.com"))
      )
      error_message = "The trail bucket ${var.trail_bucket_name} is not in ${local.region} (its regional name is ${self.bucket_regional_domain_name}). Apply the module with a provider for the bucket's region."
    }
  }
}
