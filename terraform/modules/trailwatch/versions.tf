# Terraform >= 1.5: the module needs optional() object attributes with
# defaults (1.3) and lifecycle preconditions (1.2); 1.5 is the oldest release
# line still in common use and the floor it was written against.
#
# AWS provider >= 5.40, < 7.0: the module uses only the split S3 bucket
# resources (aws_s3_bucket_* configuration resources, no deprecated inline
# bucket arguments), aws_cloudtrail advanced_event_selector, and
# aws_lambda_event_source_mapping scaling_config; all are stable across the 5.x
# line from 5.40 and unchanged in 6.x. The upper bound stops a future major
# release from changing resource schemas under a platform team unannounced.
terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.40, < 7.0"
    }
  }
}
