"""WebSocket figures of a running node: resident memory per idle
connection, and messages per second through a MOCK echo route.

Creates an API (MOCK `$default` route that answers the message back),
opens N idle connections and reads the node's VmRSS before and after; then
C clients each send and await one message at a time for S seconds. The
client is Python (`websockets`), so the message rate is a floor set by the
client as much as by the node; run it beside a plain echo server for a ratio.

usage: websocket.py ADMIN_URL DATA_DIR DATA_ADDR NODE_PID [N=2000] [C=8] [S=5]
"""

import asyncio
import json
import sys
import time

import boto3
from websockets.asyncio.client import connect

admin, data_dir, data, pid = sys.argv[1:5]
n = int(sys.argv[5]) if len(sys.argv) > 5 else 2000
c = int(sys.argv[6]) if len(sys.argv) > 6 else 8
seconds = float(sys.argv[7]) if len(sys.argv) > 7 else 5
keys = json.load(open(data_dir + "/admin-credentials.json"))
v2 = boto3.client("apigatewayv2", endpoint_url=admin, region_name="us-east-1",
                  aws_access_key_id=keys["access_key_id"], aws_secret_access_key=keys["secret_access_key"])
api_id = v2.create_api(Name="bench", ProtocolType="WEBSOCKET",
                       RouteSelectionExpression="$request.body.action")["ApiId"]
mock = v2.create_integration(ApiId=api_id, IntegrationType="MOCK",
                             RequestTemplates={"$default": '{"statusCode": 200}'})
v2.create_integration_response(ApiId=api_id, IntegrationId=mock["IntegrationId"],
                               IntegrationResponseKey="$default",
                               ResponseTemplates={"$default": "$input.body"})
route = v2.create_route(ApiId=api_id, RouteKey="$default", Target="integrations/" + mock["IntegrationId"])
v2.create_route_response(ApiId=api_id, RouteId=route["RouteId"], RouteResponseKey="$default")
v2.create_stage(ApiId=api_id, StageName="bench", AutoDeploy=True)
url = "ws://%s/restapis/%s/bench/_user_request_/" % (data, api_id)


def rss_kb():
    for line in open("/proc/%s/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def echo_loop(until):
    count = 0
    async with connect(url) as ws:
        while time.monotonic() < until:
            await ws.send('{"n": 1}')
            await ws.recv()
            count += 1
    return count


async def main():
    before = rss_kb()
    idle = []
    for _ in range(n):
        idle.append(await connect(url, ping_interval=None))
    await asyncio.sleep(1)
    after = rss_kb()
    for ws in idle:
        await ws.close()
    until = time.monotonic() + seconds
    counts = await asyncio.gather(*[echo_loop(until) for _ in range(c)])
    return {"idle_connections": n, "rss_before_kb": before, "rss_after_kb": after,
            "kb_per_connection": round((after - before) / n, 1),
            "echo_clients": c, "echo_messages_per_second": round(sum(counts) / seconds)}


print(json.dumps(asyncio.run(main())))
