"""The handler the function benchmark measures: a small JSON answer, the
shape of a typical AWS_PROXY endpoint."""

import json


def handle(event, context):
    name = (event.get("queryStringParameters") or {}).get("name", "bench")
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({"hello": name, "items": list(range(8))}),
    }
