"""A WebSocket API made through one cluster node is served by the other:
boto3's apigatewayv2 client builds it on node 1's admin listener (the
writes go through Raft), then `websockets` talks to node 2's data plane
(retried, bounded, until node 2 has applied the deployment), and boto3's
apigatewaymanagementapi client calls @connections for that connection on
node 1, which sends the calls to node 2. Prints what it saw as JSON;
tests/tests/websocket.rs asserts.

usage: websocket_cluster.py ADMIN1_URL KEY SECRET REGION DATA2_ADDR DATA1_ADDR IAM_KEY IAM_SECRET
       websocket_cluster.py gone REGION DATA1_ADDR API_ID CONNECTION_ID IAM_KEY IAM_SECRET
"""

import asyncio
import json
import sys
import time

import boto3
import websockets
from websockets.asyncio.client import connect

import botocore


def management(region, data, api_id, key, secret):
    return boto3.client("apigatewaymanagementapi", region_name=region,
                        endpoint_url="http://%s/restapis/%s/prod/_user_request_" % (data, api_id),
                        aws_access_key_id=key, aws_secret_access_key=secret,
                        config=botocore.config.Config(retries={"max_attempts": 1}))


def post_code(client, conn_id, data):
    try:
        client.post_to_connection(ConnectionId=conn_id, Data=data)
        return "ok"
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"]


if sys.argv[1] == "gone":
    region, data1, api_id, conn_id, iam_key, iam_secret = sys.argv[2:8]
    started = time.monotonic()
    code = post_code(management(region, data1, api_id, iam_key, iam_secret), conn_id, b"x")
    print(json.dumps({"code": code, "seconds": time.monotonic() - started}))
    sys.exit(0)

admin, key, secret, region, data, data1, iam_key, iam_secret = sys.argv[1:9]
v2 = boto3.client("apigatewayv2", endpoint_url=admin, region_name=region,
                  aws_access_key_id=key, aws_secret_access_key=secret)
api_id = v2.create_api(Name="replicated", ProtocolType="WEBSOCKET",
                       RouteSelectionExpression="$request.body.action")["ApiId"]
mock = v2.create_integration(ApiId=api_id, IntegrationType="MOCK",
                             RequestTemplates={"$default": '{"statusCode": 200}'})
v2.create_integration_response(ApiId=api_id, IntegrationId=mock["IntegrationId"],
                               IntegrationResponseKey="$default",
                               ResponseTemplates={"$default": '{"echo": $input.body, "id": "$context.connectionId"}'})
route = v2.create_route(ApiId=api_id, RouteKey="$default", Target="integrations/" + mock["IntegrationId"])
v2.create_route_response(ApiId=api_id, RouteId=route["RouteId"], RouteResponseKey="$default")
v2.create_stage(ApiId=api_id, StageName="prod", AutoDeploy=True)
url = "ws://%s/restapis/%s/prod/_user_request_/" % (data, api_id)


async def main():
    deadline = time.monotonic() + 20
    attempts = 0
    while True:
        attempts += 1
        try:
            async with connect(url) as ws:
                await ws.send('{"n": 1}')
                answer = json.loads(await asyncio.wait_for(ws.recv(), 5))
                conn_id = answer.pop("id")
                via_one = management(region, data1, api_id, iam_key, iam_secret)
                pushed = post_code(via_one, conn_id, b'{"from": "node 1"}')
                got = json.loads(await asyncio.wait_for(ws.recv(), 5))
                identity = via_one.get_connection(ConnectionId=conn_id)["Identity"]
                seen = {"answer": answer, "attempts": attempts, "pushed": pushed, "got": got,
                        "identity": identity, "connection_id": conn_id, "api_id": api_id}
            seen["after_close"] = post_code(via_one, conn_id, b"late")
            return seen
        except websockets.exceptions.InvalidStatus as e:
            if time.monotonic() > deadline:
                return {"answer": None, "status": e.response.status_code, "attempts": attempts}
            await asyncio.sleep(0.1)


print(json.dumps(asyncio.run(main())))
