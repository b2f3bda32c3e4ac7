"""Lambda handlers the function tests run with the official Python runtime
interface client (`python3 -m awslambdaric app.<handler>`), unmodified."""

import json
import os
import time


def echo(event, context):
    """AWS_PROXY: answers with the event it was given."""
    print(f"echo handling {event.get('path')}")
    return {
        "statusCode": 200,
        "headers": {"x-function": context.function_name, "x-count": 1},
        "multiValueHeaders": {"x-multi": ["a", "b"]},
        "body": json.dumps(
            {
                "event": event,
                "requestId": context.aws_request_id,
                "pid": os.getpid(),
                "remainingMs": context.get_remaining_time_in_millis(),
                "env": {k: os.environ.get(k) for k in ("AWS_REGION", "AWS_LAMBDA_FUNCTION_NAME", "GREETING")},
                "traceId": os.environ.get("_X_AMZN_TRACE_ID"),
            }
        ),
    }


def plain(event, context):
    """AWS (non-proxy): wraps what it received."""
    return {"got": event, "pid": os.getpid()}


class NotFound(Exception):
    pass


def fail(event, context):
    """AWS (non-proxy): fails with a message the integration responses select on."""
    if isinstance(event, dict) and event.get("kind") == "missing":
        raise NotFound(f"not found: item {event.get('id')}")
    raise ValueError("something else broke")


def slow(event, context):
    """Sleeps for the seconds in the body, then answers."""
    seconds = float(event.get("body") or "0")
    time.sleep(seconds)
    return {"statusCode": 200, "body": json.dumps({"slept": seconds, "pid": os.getpid()})}


def crashy(event, context):
    """Kills its own process when asked to."""
    if event.get("body") == "die":
        print("about to exit")
        os._exit(3)
    return {"statusCode": 200, "body": json.dumps({"pid": os.getpid()})}


def malformed(event, context):
    """Returns a proxy response with a key AWS refuses."""
    return {"statusCode": 200, "wrongValue": "value"}


def _policy(principal, effect, resource, context=None):
    answer = {
        "principalId": principal,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
        },
    }
    if context is not None:
        answer["context"] = context
    return answer


def token_authorizer(event, context):
    """TOKEN authorizer: the token says what to answer."""
    token = event["authorizationToken"]
    print(f"token authorizer saw {token} for {event['methodArn']}")
    if token == "deny":
        return _policy("denied-user", "Deny", event["methodArn"])
    if token == "unauthorized":
        raise Exception("Unauthorized")
    if token == "broken":
        raise ValueError("the authorizer crashed")
    # Allow GET on every path of every stage; other verbs are not allowed.
    answer = _policy("user-" + token, "Allow", "arn:aws:execute-api:*:*:*/*/GET/*", {"user": token, "n": 3, "admin": False})
    if token.startswith("key-"):
        # For APIs whose API key source is AUTHORIZER.
        answer["usageIdentifierKey"] = token[len("key-"):] + "-0123456789abcdefghij"
    return answer


def request_authorizer(event, context):
    """REQUEST authorizer: allows a user for a tenant."""
    user = event["headers"]["X-User"]
    tenant = event["queryStringParameters"]["tenant"]
    arn = event["methodArn"]
    if tenant != "acme":
        return _policy(user, "Deny", arn)
    return _policy(user, "Allow", arn, {"tenant": tenant, "type": event["type"]})
