"""test_apigateway_dynamodb: API Gateway AWS-service integrations with DynamoDB.

Not applicable yet: apigw has no DynamoDB stand-in (AWS service integrations
other than Lambda are not served), and the tests also need DynamoDB's own API
and IAM roles to set up and check what the integration did."""

NOT_APPLICABLE_REASON = "needs an AWS service stand-in: DynamoDB integrations (and DynamoDB's API) are not in apigw yet"
