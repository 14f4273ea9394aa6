# Terraform >= 1.5: optional() object attributes with defaults (1.3),
# lifecycle preconditions (1.2), terraform_data (1.4), strcontains (1.5).
#
# AWS provider >= 5.100, and no upper bound: a reusable module states the
# oldest provider it works with and lets the root configuration pin the
# newest (terraform-aws-modules practice; an upper bound here would block
# every caller from upgrading). 5.100 is past the 5.86.x lifecycle-
# configuration regression, and has every argument used here (split
# aws_s3_bucket_* resources, advanced_event_selector, event source mapping
# tags and scaling_config, filter_policy_scope, event target
# dead_letter_config and retry_policy). The examples pin "< 7.0".
terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100"
    }
  }
}
