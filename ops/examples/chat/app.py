"""The three handlers of aws-samples/simple-websockets-chat-app, in Python.

The table of connection ids is a JSON file (TABLE) instead of DynamoDB;
sendmessage reaches @connections at APIGW_DATA_URL (the sample derives the
endpoint from domainName and stage, which on apigw's path form is
{APIGW_DATA_URL}/restapis/{apiId}/{stage}/_user_request_).
"""

import fcntl
import json
import os

import boto3
import botocore


def _table(change):
    """Runs change(ids) on the stored set of connection ids, under a lock."""
    with open(os.environ["TABLE"], "a+", encoding="utf-8") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.seek(0)
        text = f.read()
        ids = set(json.loads(text)) if text.strip() else set()
        out = change(ids)
        f.seek(0)
        f.truncate()
        f.write(json.dumps(sorted(ids)))
        return out


def on_connect(event, context):
    conn = event["requestContext"]["connectionId"]
    _table(lambda ids: ids.add(conn))
    return {"statusCode": 200, "body": "Connected."}


def on_disconnect(event, context):
    conn = event["requestContext"]["connectionId"]
    _table(lambda ids: ids.discard(conn))
    return {"statusCode": 200, "body": "Disconnected."}


def send_message(event, context):
    ctx = event["requestContext"]
    endpoint = "%s/restapis/%s/%s/_user_request_" % (
        os.environ["APIGW_DATA_URL"], ctx["apiId"], ctx["stage"])
    api = boto3.client("apigatewaymanagementapi", endpoint_url=endpoint)
    data = json.loads(event["body"])["data"]
    ids = _table(lambda ids: set(ids))
    for conn in ids:
        try:
            api.post_to_connection(ConnectionId=conn, Data=data.encode())
        except botocore.exceptions.ClientError as e:
            if e.response["Error"]["Code"] == "GoneException":
                _table(lambda ids: ids.discard(conn))
            else:
                raise
    return {"statusCode": 200, "body": "Data sent."}
