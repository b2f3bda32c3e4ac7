"""Creates the chat API on a running node, as the sample's template does:
routes $connect, $disconnect and sendmessage (route selection
$request.body.action) to the three functions, stage Prod. Prints the URL.

usage: setup.py [ADMIN_URL] [DATA_DIR]   (defaults: http://127.0.0.1:9090, /tmp/chat-data)
"""

import json
import sys

import boto3

admin = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:9090"
data_dir = sys.argv[2] if len(sys.argv) > 2 else "/tmp/chat-data"
keys = json.load(open(data_dir + "/admin-credentials.json"))
v2 = boto3.client("apigatewayv2", endpoint_url=admin, region_name="us-east-1",
                  aws_access_key_id=keys["access_key_id"],
                  aws_secret_access_key=keys["secret_access_key"])


def function(name):
    return ("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
            "arn:aws:lambda:us-east-1:123456789012:function:%s/invocations" % name)


api = v2.create_api(Name="SimpleChatWebSocket", ProtocolType="WEBSOCKET",
                    RouteSelectionExpression="$request.body.action")
api_id = api["ApiId"]
for key, name in [("$connect", "onconnect"), ("$disconnect", "ondisconnect"),
                  ("sendmessage", "sendmessage")]:
    integration = v2.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY",
                                        IntegrationUri=function(name))
    v2.create_route(ApiId=api_id, RouteKey=key, Target="integrations/" + integration["IntegrationId"])
v2.create_stage(ApiId=api_id, StageName="Prod", AutoDeploy=True)
print("ws://127.0.0.1:8080/restapis/%s/Prod/_user_request_/" % api_id)
