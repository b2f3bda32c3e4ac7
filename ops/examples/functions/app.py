"""Example Lambda handlers, run locally by apigw with the official Python
runtime interface client: `pip install awslambdaric`."""

import json


def hello(event, context):
    """AWS_PROXY: greets whoever is named in ?name=."""
    name = (event.get("queryStringParameters") or {}).get("name", "world")
    print(f"greeting {name}")
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({"message": f"hello, {name}", "requestId": context.aws_request_id}),
    }


def add(event, context):
    """AWS (non-proxy): adds the numbers it is given, or fails."""
    numbers = event.get("numbers") if isinstance(event, dict) else None
    if not isinstance(numbers, list):
        raise ValueError("invalid input: give {\"numbers\": [...]}")
    return {"sum": sum(numbers)}
