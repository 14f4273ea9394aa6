################################################################################
# Upgrading from the module without `create`: these resources gained a count,
# so their addresses moved to [0]. Without these blocks Terraform would plan
# to destroy and recreate them: a new alert topic (every email subscription
# confirmed again), a new dead-letter queue (the log files waiting in it
# lost), a new key.
#
# The function's role keeps its address but its default name changed (it now
# carries the region, so that two regional deployments do not collide): set
# role_name = "<name>-function" to keep the existing role instead of
# replacing it (harmless either way: the function is updated to the new role).
################################################################################

moved {
  from = aws_kms_key.alerts
  to   = aws_kms_key.alerts[0]
}

moved {
  from = aws_kms_alias.alerts
  to   = aws_kms_alias.alerts[0]
}

moved {
  from = aws_sns_topic.alerts
  to   = aws_sns_topic.alerts[0]
}

moved {
  from = aws_sns_topic_policy.alerts
  to   = aws_sns_topic_policy.alerts[0]
}

moved {
  from = aws_cloudwatch_log_group.function
  to   = aws_cloudwatch_log_group.function[0]
}

moved {
  from = aws_lambda_function.this
  to   = aws_lambda_function.this[0]
}

moved {
  from = aws_iam_role.function
  to   = aws_iam_role.function[0]
}

moved {
  from = aws_iam_role_policy.function
  to   = aws_iam_role_policy.function[0]
}

moved {
  from = aws_sqs_queue.dlq
  to   = aws_sqs_queue.dlq[0]
}

moved {
  from = aws_sqs_queue_policy.dlq
  to   = aws_sqs_queue_policy.dlq[0]
}
