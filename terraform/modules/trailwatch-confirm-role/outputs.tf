output "role_arn" {
  description = "ARN of the confirm role in this account."
  value       = aws_iam_role.this.arn
}

output "role_name" {
  description = "Name of the role: the trailwatch module's confirm.role_name."
  value       = aws_iam_role.this.name
}
