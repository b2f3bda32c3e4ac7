"""test_apigateway_ssm: API Gateway AWS-service integrations with SSM.

Not applicable yet: apigw has no SSM stand-in (AWS service integrations
other than Lambda are not served), and the tests also need SSM's own API
and IAM roles to set up and check what the integration did."""

NOT_APPLICABLE_REASON = "needs an AWS service stand-in: SSM integrations (and SSM's API) are not in apigw yet"
