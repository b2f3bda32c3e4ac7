"""test_apigateway_sqs: API Gateway AWS-service integrations with SQS.

Not applicable yet: apigw has no SQS stand-in (AWS service integrations
other than Lambda are not served), and the tests also need SQS's own API
and IAM roles to set up and check what the integration did."""

NOT_APPLICABLE_REASON = "needs an AWS service stand-in: SQS integrations (and SQS's API) are not in apigw yet"
