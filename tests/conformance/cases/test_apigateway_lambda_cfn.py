"""test_apigateway_lambda_cfn: an API deployed through a CloudFormation stack.

Not applicable: it needs CloudFormation (and Lambda's control-plane API)."""

NOT_APPLICABLE_REASON = "needs CloudFormation and Lambda's control-plane API, which apigw does not serve"
