"""Drives a WebSocket API end to end against a real apigw node, as AWS users
do: boto3's apigatewayv2 client builds it (CreateApi .. CreateStage), the
`websockets` client connects and talks, boto3's apigatewaymanagementapi
client calls @connections, and a raw socket sends what `websockets` will
not (invalid UTF-8). Prints what it saw as one JSON object; the Rust test
(tests/tests/websocket.rs) makes the assertions.

RECORD_FILE names the handlers' events file.

usage: websocket.py ADMIN_URL KEY SECRET REGION DATA_ADDR IAM_KEY IAM_SECRET BACKEND_URL
"""

import asyncio
import base64
import json
import os
import socket
import struct
import sys
import urllib.error
import urllib.request

import boto3
import botocore
import websockets
from websockets.asyncio.client import connect

admin, key, secret, region, data, iam_key, iam_secret, backend = sys.argv[1:9]
seen = {}


def lambda_uri(name):
    return ("arn:aws:apigateway:%s:lambda:path/2015-03-31/functions/"
            "arn:aws:lambda:%s:123456789012:function:%s/invocations" % (region, region, name))


def error_of(call):
    try:
        call()
    except botocore.exceptions.ClientError as e:
        return {"code": e.response["Error"]["Code"], "message": e.response["Error"].get("Message"),
                "status": e.response["ResponseMetadata"]["HTTPStatusCode"]}
    return None


v2 = boto3.client("apigatewayv2", endpoint_url=admin, region_name=region,
                  aws_access_key_id=key, aws_secret_access_key=secret)

# --- management -----------------------------------------------------------
api = v2.create_api(Name="chat", ProtocolType="WEBSOCKET",
                    RouteSelectionExpression="$request.body.action", Tags={"team": "blue"})
api_id = api["ApiId"]
seen["create_api"] = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in api.items()
                      if k != "ResponseMetadata"}
seen["http_api"] = error_of(lambda: v2.create_api(Name="h", ProtocolType="HTTP"))
seen["missing_api"] = error_of(lambda: v2.get_api(ApiId="nosuchapi1"))

mock = v2.create_integration(ApiId=api_id, IntegrationType="MOCK",
                             RequestTemplates={"$default": '{"statusCode": 200}'})
v2.create_integration_response(
    ApiId=api_id, IntegrationId=mock["IntegrationId"], IntegrationResponseKey="$default",
    ResponseTemplates={"$default": '{"echo": $input.json(\'$.data\'), "route": "$context.routeKey", '
                                   '"connectionId": "$context.connectionId", "eventType": "$context.eventType"}'})
default_mock = v2.create_integration(ApiId=api_id, IntegrationType="MOCK",
                                     RequestTemplates={"$default": '{"statusCode": 200}'})
v2.create_integration_response(ApiId=api_id, IntegrationId=default_mock["IntegrationId"],
                               IntegrationResponseKey="$default",
                               ResponseTemplates={"$default": '{"default": true, "route": "$context.routeKey"}'})
proxy = lambda name: v2.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY",
                                           IntegrationUri=lambda_uri(name))["IntegrationId"]
on_connect, on_message, on_disconnect = proxy("ws-connect"), proxy("ws-message"), proxy("ws-disconnect")
seen["bad_integration"] = error_of(lambda: v2.create_integration(ApiId=api_id, IntegrationType="VPC"))
auth = v2.create_authorizer(ApiId=api_id, AuthorizerType="REQUEST", Name="token",
                            IdentitySource=["route.request.querystring.token"],
                            AuthorizerUri=lambda_uri("ws-auth"))
seen["jwt_authorizer"] = error_of(lambda: v2.create_authorizer(
    ApiId=api_id, AuthorizerType="JWT", Name="j", IdentitySource=["$request.header.Authorization"]))

v2.create_route(ApiId=api_id, RouteKey="$connect", Target="integrations/" + on_connect,
                AuthorizationType="CUSTOM", AuthorizerId=auth["AuthorizerId"])
v2.create_route(ApiId=api_id, RouteKey="$disconnect", Target="integrations/" + on_disconnect)
echo = v2.create_route(ApiId=api_id, RouteKey="echo", Target="integrations/" + mock["IntegrationId"])
v2.create_route_response(ApiId=api_id, RouteId=echo["RouteId"], RouteResponseKey="$default")
talk = v2.create_route(ApiId=api_id, RouteKey="talk", Target="integrations/" + on_message)
v2.create_route_response(ApiId=api_id, RouteId=talk["RouteId"], RouteResponseKey="$default")
v2.create_route(ApiId=api_id, RouteKey="quiet", Target="integrations/" + on_message)
fallback = v2.create_route(ApiId=api_id, RouteKey="$default",
                           Target="integrations/" + default_mock["IntegrationId"])
v2.create_route_response(ApiId=api_id, RouteId=fallback["RouteId"], RouteResponseKey="$default")
relay = v2.create_integration(ApiId=api_id, IntegrationType="HTTP_PROXY", IntegrationMethod="POST",
                              IntegrationUri=backend + "/relay")
relay_route = v2.create_route(ApiId=api_id, RouteKey="relay", Target="integrations/" + relay["IntegrationId"])
v2.create_route_response(ApiId=api_id, RouteId=relay_route["RouteId"], RouteResponseKey="$default")
templated = v2.create_integration(
    ApiId=api_id, IntegrationType="HTTP", IntegrationMethod="POST", IntegrationUri=backend + "/templated",
    RequestTemplates={"$default": '{"wrapped": $input.json(\'$.data\'), "route": "$context.routeKey"}'})
templated_route = v2.create_route(ApiId=api_id, RouteKey="templated",
                                  Target="integrations/" + templated["IntegrationId"])
v2.create_route_response(ApiId=api_id, RouteId=templated_route["RouteId"], RouteResponseKey="$default")
limited = v2.create_route(ApiId=api_id, RouteKey="limited", Target="integrations/" + mock["IntegrationId"])
v2.create_route_response(ApiId=api_id, RouteId=limited["RouteId"], RouteResponseKey="$default")
seen["duplicate_route"] = error_of(lambda: v2.create_route(ApiId=api_id, RouteKey="echo"))
seen["auth_off_connect"] = error_of(lambda: v2.create_route(
    ApiId=api_id, RouteKey="other", AuthorizationType="CUSTOM", AuthorizerId=auth["AuthorizerId"]))

stage = v2.create_stage(ApiId=api_id, StageName="prod", AutoDeploy=True)
seen["stage"] = {"auto": stage.get("AutoDeploy"), "deployment": stage.get("DeploymentId")}
manual = v2.create_deployment(ApiId=api_id, Description="by hand")
seen["deployments"] = len(v2.get_deployments(ApiId=api_id)["Items"])
seen["manual_deployment"] = {"status": manual["DeploymentStatus"], "auto": manual["AutoDeployed"]}
v2.update_stage(ApiId=api_id, StageName="prod",
                RouteSettings={"limited": {"ThrottlingBurstLimit": 1, "ThrottlingRateLimit": 0.01}})
seen["routes"] = sorted(r["RouteKey"] for r in v2.get_routes(ApiId=api_id)["Items"])
seen["apis"] = [a["ApiId"] for a in v2.get_apis()["Items"]]
arn = "arn:aws:apigateway:%s::/apis/%s" % (region, api_id)
v2.tag_resource(ResourceArn=arn, Tags={"env": "test"})
seen["tags"] = v2.get_tags(ResourceArn=arn)["Tags"]
seen["updated_name"] = v2.update_api(ApiId=api_id, Name="chat2")["Name"]
seen["stage_after_update"] = v2.get_stage(ApiId=api_id, StageName="prod")["DeploymentId"]

# --- data plane -----------------------------------------------------------
base = "ws://%s/restapis/%s/prod/_user_request_/" % (data, api_id)
mgmt = boto3.client("apigatewaymanagementapi", region_name=region,
                    endpoint_url="http://%s/restapis/%s/prod/_user_request_" % (data, api_id),
                    aws_access_key_id=iam_key, aws_secret_access_key=iam_secret)


async def refused(url, **kw):
    try:
        async with connect(url, **kw):
            return None
    except websockets.exceptions.InvalidStatus as e:
        return e.response.status_code


async def closed_with(ws):
    try:
        while True:
            await asyncio.wait_for(ws.recv(), 5)
    except websockets.exceptions.ConnectionClosed as e:
        return e.rcvd.code if e.rcvd else None


def raw_handshake():
    """A connected socket past its 101 (a client that will read nothing)."""
    host, port = data.rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=5)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET /restapis/%s/prod/_user_request_/?token=allow HTTP/1.1\r\nHost: %s\r\n"
               "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n" % (api_id, data, key)).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(1)
    return s, head


def slow_client():
    """Posts 128 KB frames to a client that reads nothing: the node must
    refuse (429) once its bounded queue is full, not buffer without end."""
    s, _ = raw_handshake()
    # The newest CONNECT event names the connection.
    events = [json.loads(l) for l in open(os.environ["RECORD_FILE"])]
    conn_id = [e for e in events if e["handler"] == "connect"][-1]["event"]["requestContext"]["connectionId"]
    chunk = b"z" * (128 * 1024 - 1)
    for n in range(1, 3000):
        try:
            mgmt.post_to_connection(ConnectionId=conn_id, Data=chunk)
        except botocore.exceptions.ClientError as e:
            s.close()
            return {"posts": n, "code": e.response["Error"]["Code"]}
    s.close()
    return {"posts": None, "code": None}


def raw_invalid_utf8():
    """A masked text frame of b'\\xff\\xfe' by hand; the close code."""
    s, head = raw_handshake()
    payload, mask = b"\xff\xfe", os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    s.sendall(bytes([0x81, 0x80 | len(payload)]) + mask + masked)
    frame = s.recv(2)
    body = s.recv(frame[1] & 0x7F)
    s.close()
    return {"status_line": head.split(b"\r\n")[0].decode(), "opcode": frame[0] & 0x0F,
            "code": struct.unpack("!H", body[:2])[0] if len(body) >= 2 else None}


async def main():
    seen["no_token"] = await refused(base)
    seen["denied"] = await refused(base + "?token=deny")
    seen["connect_refused"] = await refused(base + "?token=allow&refuse=1")
    async with connect(base + "?token=allow&x=1", subprotocols=["chat", "other"],
                       user_agent_header="ws-test") as ws:
        seen["subprotocol"] = ws.subprotocol
        await ws.send(json.dumps({"action": "echo", "data": {"x": 1}}))
        seen["echo"] = json.loads(await asyncio.wait_for(ws.recv(), 5))
        await ws.send(json.dumps({"action": "talk", "data": "hi"}))
        seen["talk"] = json.loads(await asyncio.wait_for(ws.recv(), 10))
        await ws.send("not json at all")
        seen["not_json"] = json.loads(await asyncio.wait_for(ws.recv(), 5))
        await ws.send(json.dumps({"action": "nobody"}))
        seen["no_route"] = json.loads(await asyncio.wait_for(ws.recv(), 5))
        await ws.send(json.dumps({"action": "relay", "data": 5}))
        seen["relay"] = json.loads(await asyncio.wait_for(ws.recv(), 5))
        await ws.send(json.dumps({"action": "templated", "data": [1, 2]}))
        seen["templated"] = json.loads(await asyncio.wait_for(ws.recv(), 5))
        await ws.send(json.dumps({"action": "limited", "data": 1}))
        seen["limited_first"] = json.loads(await asyncio.wait_for(ws.recv(), 5))
        await ws.send(json.dumps({"action": "limited", "data": 2}))
        seen["limited_second"] = json.loads(await asyncio.wait_for(ws.recv(), 5))
        await ws.send(json.dumps({"action": "quiet"}))
        pong = await ws.ping(b"are you there")
        seen["pong"] = (await asyncio.wait_for(pong, 5)) is not None
        conn_id = seen["talk"]["connectionId"]
        seen["get_connection"] = {k: (v.isoformat() if hasattr(v, "isoformat") else v)
                                  for k, v in mgmt.get_connection(ConnectionId=conn_id).items()
                                  if k != "ResponseMetadata"}
        mgmt.post_to_connection(ConnectionId=conn_id, Data=b'{"pushed": true}')
        seen["pushed"] = json.loads(await asyncio.wait_for(ws.recv(), 5))
        invoker = boto3.client("apigatewaymanagementapi", region_name=region,
                               endpoint_url="http://%s/restapis/%s/prod/_user_request_" % (data, api_id),
                               aws_access_key_id="AKIDWSINVOKER001", aws_secret_access_key="invsecret")
        seen["invoker_post"] = error_of(lambda: invoker.post_to_connection(ConnectionId=conn_id, Data=b"x"))
        req = urllib.request.Request("http://%s/restapis/%s/prod/_user_request_/@connections/%s"
                                     % (data, api_id, conn_id), data=b"x", method="POST")
        try:
            seen["unsigned_post"] = urllib.request.urlopen(req, timeout=5).status
        except urllib.error.HTTPError as e:
            seen["unsigned_post"] = e.code
        plain = urllib.request.Request(base.replace("ws://", "http://"))
        try:
            seen["plain_get"] = urllib.request.urlopen(plain, timeout=5).status
        except urllib.error.HTTPError as e:
            seen["plain_get"] = e.code
        mgmt.delete_connection(ConnectionId=conn_id)
        seen["deleted_close"] = await closed_with(ws)
    seen["gone"] = error_of(lambda: mgmt.post_to_connection(ConnectionId=conn_id, Data=b"x"))
    seen["gone_get"] = error_of(lambda: mgmt.get_connection(ConnectionId=conn_id))

    async with connect(base + "?token=allow", max_size=None) as ws:
        big = "x" * (16 * 1024)
        await ws.send([big] * 4)  # 64 KB in four frames: within the limits
        seen["fragmented_ok"] = json.loads(await asyncio.wait_for(ws.recv(), 5)).get("default")
        await ws.send([big] * 9)  # 144 KB: over the message limit
        seen["too_big_message"] = await closed_with(ws)
    async with connect(base + "?token=allow", max_size=None) as ws:
        await ws.send("y" * (33 * 1024))  # one frame over 32 KB
        seen["too_big_frame"] = await closed_with(ws)
    seen["invalid_utf8"] = raw_invalid_utf8()
    seen["slow_client"] = slow_client()
    async with connect(base + "?token=allow") as ws:
        await ws.close(code=4001, reason="done here")


asyncio.run(main())
seen["api_id"] = api_id
print(json.dumps(seen))
