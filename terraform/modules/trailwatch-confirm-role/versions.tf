# Terraform >= 1.5 and AWS provider >= 5.100, no upper bound: the same
# floor as modules/trailwatch; the root configuration pins the newest.
terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100"
    }
  }
}
