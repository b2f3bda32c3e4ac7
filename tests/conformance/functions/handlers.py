"""Lambda handlers standing in for the functions the recorded tests deployed
(each named after what it does, with the LocalStack handler it replaces).
They run under the official runtime interface client as local functions of
the node (`python3 -m awslambdaric handlers.<name>`); see README
"Substitutions" for what running them here instead of in Lambda changes."""

import base64
import json


def proxy_echo(event, context):
    """AWS_PROXY: answers 200 with the event as the JSON body
    (tests' `lambda_aws_proxy.handler`)."""
    print(json.dumps(event))
    return {"statusCode": 200, "body": json.dumps(event), "isBase64Encoded": False}


def echo(event, context):
    """AWS: answers with the event it was given (tests' `lambda_echo.handler`)."""
    print(json.dumps(event))
    return event


def status_from_body(event, context):
    """AWS with a request template putting the request body under `body`:
    an `httpStatus` of 400 or more answers "customerror", else "noerror"
    (tests' `lambda_mapping_responses.handler`)."""
    requested = int(event.get("body", {}).get("httpStatus"))
    verdict = "customerror" if requested >= 400 else "noerror"
    return {"statusCode": 200, "body": verdict}


def response_from_body(event, context):
    """AWS_PROXY: the request body (base64-decoded when the event says so),
    parsed as JSON, is the answer (the tests' inline `LAMBDA_RESPONSE_FROM_BODY`)."""
    raw = event["body"]
    if event.get("isBase64Encoded"):
        raw = base64.b64decode(raw)
    return json.loads(raw)


def node_style_greeting(event, context):
    """AWS: the answer the tests' Node.js `lambda_handler.handler` gives:
    a proxy-shaped object whose body is a JSON string quoting the event.
    Node serialises without spaces, so the answer is returned as those
    bytes (the runtime client passes bytes through unchanged)."""
    compact = json.dumps(event, separators=(",", ":"))
    answer = {"statusCode": 200,
              "body": json.dumps(f"response from localstack lambda: {compact}", separators=(",", ":")),
              "isBase64Encoded": False, "headers": {}}
    return json.dumps(answer, separators=(",", ":")).encode()
