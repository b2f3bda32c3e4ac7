"""A WebSocket API made through one cluster node is served by the other:
boto3's apigatewayv2 client builds it on node 1's admin listener (the
writes go through Raft), then `websockets` talks to node 2's data plane
(retried, bounded, until node 2 has applied the deployment). Prints what it
saw as JSON; tests/tests/websocket.rs asserts.

usage: websocket_cluster.py ADMIN1_URL KEY SECRET REGION DATA2_ADDR
"""

import asyncio
import json
import sys
import time

import boto3
import websockets
from websockets.asyncio.client import connect

admin, key, secret, region, data = sys.argv[1:6]
v2 = boto3.client("apigatewayv2", endpoint_url=admin, region_name=region,
                  aws_access_key_id=key, aws_secret_access_key=secret)
api_id = v2.create_api(Name="replicated", ProtocolType="WEBSOCKET",
                       RouteSelectionExpression="$request.body.action")["ApiId"]
mock = v2.create_integration(ApiId=api_id, IntegrationType="MOCK",
                             RequestTemplates={"$default": '{"statusCode": 200}'})
v2.create_integration_response(ApiId=api_id, IntegrationId=mock["IntegrationId"],
                               IntegrationResponseKey="$default",
                               ResponseTemplates={"$default": '{"echo": $input.body}'})
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
                return {"answer": json.loads(await asyncio.wait_for(ws.recv(), 5)), "attempts": attempts}
        except websockets.exceptions.InvalidStatus as e:
            if time.monotonic() > deadline:
                return {"answer": None, "status": e.response.status_code, "attempts": attempts}
            await asyncio.sleep(0.1)


print(json.dumps(asyncio.run(main())))
