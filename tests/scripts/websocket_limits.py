"""The life of WebSocket connections against a node configured with short
time limits: a silent client is closed at the idle timeout, a chatty one at
the maximum duration, both with 1001; an open connection follows a
redeployment of its stage and is closed (1001) when the stage is deleted.
Prints the close codes and when they came (seconds after the connect) as
JSON; tests/tests/websocket.rs asserts.

usage: websocket_limits.py ADMIN_URL KEY SECRET REGION DATA_ADDR
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
api_id = v2.create_api(Name="limits", ProtocolType="WEBSOCKET",
                       RouteSelectionExpression="${request.body.action}")["ApiId"]
mock = v2.create_integration(ApiId=api_id, IntegrationType="MOCK",
                             RequestTemplates={"$default": '{"statusCode": 200}'})
v2.create_route(ApiId=api_id, RouteKey="$default", Target="integrations/" + mock["IntegrationId"])
live = v2.create_integration(ApiId=api_id, IntegrationType="MOCK",
                             RequestTemplates={"$default": '{"statusCode": 200}'})
live_response = v2.create_integration_response(ApiId=api_id, IntegrationId=live["IntegrationId"],
                                               IntegrationResponseKey="$default",
                                               ResponseTemplates={"$default": "v1"})
live_route = v2.create_route(ApiId=api_id, RouteKey="live", Target="integrations/" + live["IntegrationId"])
v2.create_route_response(ApiId=api_id, RouteId=live_route["RouteId"], RouteResponseKey="$default")
v2.create_stage(ApiId=api_id, StageName="prod", AutoDeploy=True)
url = "ws://%s/restapis/%s/prod/_user_request_/" % (data, api_id)


async def silent():
    started = time.monotonic()
    async with connect(url, ping_interval=None) as ws:
        try:
            await asyncio.wait_for(ws.recv(), 10)
        except websockets.exceptions.ConnectionClosed as e:
            return {"code": e.rcvd.code if e.rcvd else None, "after": time.monotonic() - started}
    return {"code": None, "after": time.monotonic() - started}


async def chatty():
    started = time.monotonic()
    async with connect(url, ping_interval=None) as ws:
        try:
            while time.monotonic() - started < 10:
                await ws.send("still here")
                await asyncio.sleep(0.2)
        except websockets.exceptions.ConnectionClosed as e:
            return {"code": e.rcvd.code if e.rcvd else None, "after": time.monotonic() - started}
    return {"code": None, "after": time.monotonic() - started}


async def redeployed():
    async with connect(url, ping_interval=None) as ws:
        await ws.send('{"action": "live"}')
        first = await asyncio.wait_for(ws.recv(), 5)
        v2.update_integration_response(ApiId=api_id, IntegrationId=live["IntegrationId"],
                                       IntegrationResponseId=live_response["IntegrationResponseId"],
                                       ResponseTemplates={"$default": "v2"})
        await ws.send('{"action": "live"}')
        second = await asyncio.wait_for(ws.recv(), 5)
        v2.delete_stage(ApiId=api_id, StageName="prod")
        try:
            await ws.send('{"action": "live"}')
            await asyncio.wait_for(ws.recv(), 5)
            code = None
        except websockets.exceptions.ConnectionClosed as e:
            code = e.rcvd.code if e.rcvd else None
    return {"first": first, "second": second, "after_delete": code}


async def main():
    return {"silent": await silent(), "chatty": await chatty(), "redeployed": await redeployed()}


print(json.dumps(asyncio.run(main())))
