"""test_apigateway_eventbridge: API Gateway AWS-service integrations with EventBridge.

Not applicable yet: apigw has no EventBridge stand-in (AWS service integrations
other than Lambda are not served), and the tests also need EventBridge's own API
and IAM roles to set up and check what the integration did."""

NOT_APPLICABLE_REASON = "needs an AWS service stand-in: EventBridge integrations (and EventBridge's API) are not in apigw yet"
