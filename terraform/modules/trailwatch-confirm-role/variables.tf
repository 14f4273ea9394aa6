variable "trusted_role_arn" {
  description = "ARN of the trailwatch function's role (the trailwatch module's `function_role_arn` output), the only principal allowed to assume this role."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$", var.trusted_role_arn))
    error_message = "trusted_role_arn must be an IAM role ARN (arn:aws:iam::<12 digits>:role/<name>)."
  }
}

variable "external_id" {
  description = "External ID the function must present (TRAILWATCH_CONFIRM_EXTERNAL_ID, the trailwatch module's confirm.external_id): guards against the confused deputy."
  type        = string
  nullable    = false
  sensitive   = true

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@:/-]{2,1224}$", var.external_id))
    error_message = "external_id must be 2-1224 of A-Z a-z 0-9 + = , . @ : / - (the STS external ID alphabet)."
  }
}

variable "role_name" {
  description = "Name of the role; the same in every member account, since the function builds its ARN from the bucket's account (TRAILWATCH_CONFIRM_ROLE = arn:aws:iam::{account}:role/<role_name>)."
  type        = string
  default     = "trailwatch-confirm"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.role_name))
    error_message = "role_name must be 1-64 of A-Z a-z 0-9 + = , . @ _ -."
  }
}

variable "role_path" {
  description = "IAM path of the role. The function's TRAILWATCH_CONFIRM_ROLE template names the role without a path, so keep `/` unless the template says otherwise."
  type        = string
  default     = "/"
  nullable    = false

  validation {
    condition     = can(regex("^/([A-Za-z0-9+=,.@_-]+/)*$", var.role_path))
    error_message = "role_path must start and end with / (e.g. / or /security/)."
  }
}

variable "permissions_boundary" {
  description = "ARN of a permissions boundary for the role, when the account requires one; null: none."
  type        = string
  default     = null

  validation {
    condition     = var.permissions_boundary == null || can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/.+$", var.permissions_boundary))
    error_message = "permissions_boundary must be an IAM policy ARN."
  }
}

variable "tags" {
  description = "Tags for the role."
  type        = map(string)
  default     = {}
  nullable    = false
}
