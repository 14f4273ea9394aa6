################################################################################
# The function: crates/trailwatch-lambda, a `bootstrap` binary on
# provided.al2023, zipped by the operator (README: "Build the zip"), from a
# local path (lambda_zip_path) or from S3 (s3_existing_package).
################################################################################

resource "aws_cloudwatch_log_group" "function" {
  count = local.enabled ? 1 : 0

  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = local.kms_key_arn
  tags              = merge(local.tags, var.cloudwatch_log_group_tags)

  # The key policy must admit the log group's encryption context first.
  depends_on = [aws_kms_key.alerts]
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_117:The function only calls public AWS APIs (S3, SNS, SQS, KMS); placing it in a VPC would add NAT gateways or four interface endpoints and no isolation, since its role already limits what it can reach.
  #checkov:skip=CKV_AWS_272:The zip is built from this repository by the operator (cargo lambda build) and its hash pinned by source_code_hash; an AWS Signer profile is an organisation-wide choice that can be added with code_signing_config_arn outside this module.
  #checkov:skip=CKV_AWS_50:X-Ray is optional (enable_xray, off by default): each invocation is one S3 read and one SNS publish, already visible in the function's logs, metrics and the module's alarms.
  #checkov:skip=CKV_AWS_115:Reserved concurrency is optional (reserved_concurrent_executions); with SQS delivery the event source mapping's maximum_concurrency bounds concurrency without carving capacity out of the account pool.
  count = local.enabled ? 1 : 0

  function_name = local.function_name
  description   = "trailwatch: alerts when an S3 bucket or object is made public (trail bucket ${local.trail_bucket_name})"
  role          = aws_iam_role.function[0].arn

  # Only the selected branch of a conditional is evaluated: with
  # s3_existing_package, no local file is read at plan time.
  filename          = var.lambda_zip_path
  s3_bucket         = var.s3_existing_package == null ? null : var.s3_existing_package.bucket
  s3_key            = var.s3_existing_package == null ? null : var.s3_existing_package.key
  s3_object_version = var.s3_existing_package == null ? null : var.s3_existing_package.version_id
  source_code_hash  = var.lambda_zip_path != null ? filebase64sha256(var.lambda_zip_path) : try(var.s3_existing_package.source_code_hash, null)
  handler           = "bootstrap"
  runtime           = "provided.al2023"
  architectures     = [var.architecture]
  memory_size       = var.memory_size
  timeout           = var.timeout

  reserved_concurrent_executions = var.reserved_concurrent_executions

  kms_key_arn = local.kms_key_arn

  environment {
    variables = local.function_environment
  }

  tracing_config {
    mode = var.enable_xray ? "Active" : "PassThrough"
  }

  # Asynchronous invocations (delivery = "lambda") that still fail after
  # Lambda's retries land here (and through the on-failure destination,
  # delivery.tf); with SQS delivery the queue's redrive policy moves failed
  # messages to the same queue.
  dead_letter_config {
    target_arn = aws_sqs_queue.dlq[0].arn
  }

  tags = merge(local.tags, var.function_tags)

  depends_on = [
    aws_cloudwatch_log_group.function,
    aws_iam_role_policy.function,
    terraform_data.checks,
  ]
}
