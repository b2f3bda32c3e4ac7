"""The hello-world function of a `sam init` Python app: an API Gateway
proxy handler (run locally by apigw through the official runtime interface
client, `python3 -m awslambdaric app.lambda_handler`)."""

import json
import os


def lambda_handler(event, context):
    """Answers GET /hello with a greeting and a little of what it was told.

    event: the API Gateway proxy event (REST API, payload 1.0).
    context: the Lambda context object (function name, request id...).
    """
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({
            "message": os.environ.get("GREETING", "hello world"),
            "stage": os.environ.get("STAGE"),
            "log_level": os.environ.get("LOG_LEVEL"),
            "region_and_stack": os.environ.get("REGION_AND_STACK"),
            "path": event.get("path"),
            "api_stage": (event.get("requestContext") or {}).get("stage"),
            "function": context.function_name,
        }),
    }
