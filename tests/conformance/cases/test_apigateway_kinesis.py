"""test_apigateway_kinesis: API Gateway AWS-service integrations with Kinesis.

Not applicable yet: apigw has no Kinesis stand-in (AWS service integrations
other than Lambda are not served), and the tests also need Kinesis's own API
and IAM roles to set up and check what the integration did."""

NOT_APPLICABLE_REASON = "needs an AWS service stand-in: Kinesis integrations (and Kinesis's API) are not in apigw yet"
