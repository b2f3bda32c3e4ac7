"""WebSocket handlers for tests/tests/websocket.rs, run unmodified by the
official runtime interface client (awslambdaric). Each appends the event it
was given to the JSON-lines file named by $RECORD, so the test can compare
them field by field with what AWS sends."""

import json
import os


def record(kind, event):
    with open(os.environ["RECORD"], "a", encoding="utf-8") as out:
        out.write(json.dumps({"handler": kind, "event": event}) + "\n")


def connect(event, context):
    record("connect", event)
    query = event.get("queryStringParameters") or {}
    if query.get("refuse") == "1":
        return {"statusCode": 403, "body": "go away"}
    answer = {"statusCode": 200}
    asked = (event.get("headers") or {}).get("Sec-WebSocket-Protocol")
    if asked:
        answer["headers"] = {"Sec-WebSocket-Protocol": asked.split(",")[0].strip()}
    return answer


def message(event, context):
    record("message", event)
    ctx = event["requestContext"]
    return {
        "statusCode": 200,
        "body": json.dumps({"got": event.get("body"), "routeKey": ctx["routeKey"],
                            "connectionId": ctx["connectionId"]}),
    }


def disconnect(event, context):
    record("disconnect", event)
    return {"statusCode": 200}


def authorize(event, context):
    record("authorize", event)
    token = (event.get("queryStringParameters") or {}).get("token")
    effect = "Allow" if token == "allow" else "Deny"
    return {
        "principalId": "ada",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect,
                           "Resource": event["methodArn"]}],
        },
        "context": {"team": "blue"},
    }
