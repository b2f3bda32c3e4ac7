"""The function behind the CDK LambdaRestApi example: an AWS_PROXY handler
answering with what API Gateway told it about the request (run locally by
apigw: `python3 -m awslambdaric index.handler` in the asset folder)."""

import json


def handler(event, context):
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
            "table": __import__("os").environ.get("TABLE_NAME"),
            "function": context.function_name,
        }),
    }
