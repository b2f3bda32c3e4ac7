"""test_apigateway_stepfunctions: API Gateway AWS-service integrations with Step Functions.

Not applicable yet: apigw has no Step Functions stand-in (AWS service integrations
other than Lambda are not served), and the tests also need Step Functions's own API
and IAM roles to set up and check what the integration did."""

NOT_APPLICABLE_REASON = "needs an AWS service stand-in: Step Functions integrations (and Step Functions's API) are not in apigw yet"
