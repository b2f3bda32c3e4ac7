# The account-wide settings: the CloudWatch role API Gateway logs with
# (the role ARN is made up), read back with the account throttle.

resource "aws_api_gateway_account" "this" {
  cloudwatch_role_arn = "arn:aws:iam::000000000000:role/tf-apigw-cloudwatch-${var.revision}"
  reset_on_delete     = true
}

output "throttle" {
  value = aws_api_gateway_account.this.throttle_settings
}
