"""The Lambda function behind the LambdaRestApi stack (run by apigw with the
official runtime interface client: `python3 -m awslambdaric handler.main`).
An AWS_PROXY handler as a CDK user writes one: it answers with what API
Gateway told it about the request."""

import json


def main(event, context):
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({
            "resource": event.get("resource"),
            "path": event.get("path"),
            "httpMethod": event.get("httpMethod"),
            "pathParameters": event.get("pathParameters"),
            "queryStringParameters": event.get("queryStringParameters"),
            "stage": (event.get("requestContext") or {}).get("stage"),
            "function": context.function_name,
        }),
    }
