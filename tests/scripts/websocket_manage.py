"""The apigatewayv2 calls websocket.py does not make, through boto3: gets,
updates and deletes of every part, the refusals AWS gives, ImportApi, tags
removed, an API deleted. Prints what it saw as JSON; tests/tests/websocket.rs
asserts.

usage: websocket_manage.py ADMIN_URL KEY SECRET REGION
"""

import json
import sys

import boto3
import botocore

admin, key, secret, region = sys.argv[1:5]
v2 = boto3.client("apigatewayv2", endpoint_url=admin, region_name=region,
                  aws_access_key_id=key, aws_secret_access_key=secret)
seen = {}


def code(call):
    try:
        call()
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"]
    return "ok"


api = v2.create_api(Name="parts", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.op")
a = api["ApiId"]
seen["missing_selection"] = code(lambda: v2.create_api(Name="x", ProtocolType="WEBSOCKET"))
seen["bad_selection"] = code(lambda: v2.create_api(Name="x", ProtocolType="WEBSOCKET",
                                                   RouteSelectionExpression="$request.header.x"))
seen["import"] = code(lambda: v2.import_api(Body="{}"))
i = v2.create_integration(ApiId=a, IntegrationType="MOCK")["IntegrationId"]
seen["integration_defaults"] = {k: v for k, v in v2.get_integration(ApiId=a, IntegrationId=i).items()
                                if k in ("ConnectionType", "TimeoutInMillis", "PassthroughBehavior")}
seen["short_timeout"] = code(lambda: v2.update_integration(ApiId=a, IntegrationId=i, TimeoutInMillis=29500))
seen["no_uri"] = code(lambda: v2.create_integration(ApiId=a, IntegrationType="HTTP_PROXY"))
seen["updated_integration"] = v2.update_integration(ApiId=a, IntegrationId=i, Description="d")["Description"]
ir = v2.create_integration_response(ApiId=a, IntegrationId=i, IntegrationResponseKey="/2\\d\\d/")
seen["integration_responses"] = [r["IntegrationResponseKey"] for r in
                                 v2.get_integration_responses(ApiId=a, IntegrationId=i)["Items"]]
seen["bad_response_key"] = code(lambda: v2.create_integration_response(
    ApiId=a, IntegrationId=i, IntegrationResponseKey="/[/"))
v2.delete_integration_response(ApiId=a, IntegrationId=i, IntegrationResponseId=ir["IntegrationResponseId"])
seen["response_deleted"] = code(lambda: v2.get_integration_response(
    ApiId=a, IntegrationId=i, IntegrationResponseId=ir["IntegrationResponseId"]))

r1 = v2.create_route(ApiId=a, RouteKey="one", Target="integrations/" + i)
r2 = v2.create_route(ApiId=a, RouteKey="two")
seen["route_defaults"] = {k: r1[k] for k in ("ApiKeyRequired", "AuthorizationType")}
seen["rename_taken"] = code(lambda: v2.update_route(ApiId=a, RouteId=r2["RouteId"], RouteKey="one"))
seen["renamed"] = v2.update_route(ApiId=a, RouteId=r2["RouteId"], RouteKey="three")["RouteKey"]
seen["bad_target"] = code(lambda: v2.update_route(ApiId=a, RouteId=r2["RouteId"], Target="integrations/nope"))
rr = v2.create_route_response(ApiId=a, RouteId=r1["RouteId"], RouteResponseKey="$default")
seen["bad_route_response"] = code(lambda: v2.create_route_response(
    ApiId=a, RouteId=r1["RouteId"], RouteResponseKey="200"))
seen["route_responses"] = len(v2.get_route_responses(ApiId=a, RouteId=r1["RouteId"])["Items"])
seen["route_response"] = v2.get_route_response(ApiId=a, RouteId=r1["RouteId"],
                                               RouteResponseId=rr["RouteResponseId"])["RouteResponseKey"]
v2.delete_route(ApiId=a, RouteId=r2["RouteId"])
seen["route_deleted"] = code(lambda: v2.get_route(ApiId=a, RouteId=r2["RouteId"]))
seen["route_of_other"] = code(lambda: v2.get_route_responses(ApiId=a, RouteId="nosuch1"))

auth = v2.create_authorizer(ApiId=a, AuthorizerType="REQUEST", Name="h",
                            IdentitySource=["route.request.header.Auth"],
                            AuthorizerUri="arn:aws:lambda:us-east-1:123456789012:function:f")
seen["bad_source"] = code(lambda: v2.create_authorizer(
    ApiId=a, AuthorizerType="REQUEST", Name="h", IdentitySource=["route.request.body.x"],
    AuthorizerUri="arn:aws:lambda:us-east-1:123456789012:function:f"))
seen["authorizer_name"] = v2.update_authorizer(ApiId=a, AuthorizerId=auth["AuthorizerId"], Name="h2")["Name"]
seen["authorizers"] = len(v2.get_authorizers(ApiId=a)["Items"])
v2.delete_authorizer(ApiId=a, AuthorizerId=auth["AuthorizerId"])
seen["authorizer_deleted"] = code(lambda: v2.get_authorizer(ApiId=a, AuthorizerId=auth["AuthorizerId"]))

d = v2.create_deployment(ApiId=a)["DeploymentId"]
v2.create_stage(ApiId=a, StageName="dev", DeploymentId=d, StageVariables={"v": "1"})
seen["stage_taken"] = code(lambda: v2.create_stage(ApiId=a, StageName="dev"))
seen["bad_stage_name"] = code(lambda: v2.create_stage(ApiId=a, StageName="a/b"))
seen["missing_deployment"] = code(lambda: v2.create_stage(ApiId=a, StageName="x", DeploymentId="nosuch1"))
seen["stage_variables"] = v2.update_stage(ApiId=a, StageName="dev",
                                          StageVariables={"v": "2"})["StageVariables"]
seen["deployment_in_use"] = code(lambda: v2.delete_deployment(ApiId=a, DeploymentId=d))
seen["deployment_description"] = v2.update_deployment(ApiId=a, DeploymentId=d,
                                                      Description="first")["Description"]
d2 = v2.create_deployment(ApiId=a, StageName="dev")["DeploymentId"]
seen["stage_moved"] = v2.get_stage(ApiId=a, StageName="dev")["DeploymentId"] == d2
v2.delete_deployment(ApiId=a, DeploymentId=d)
seen["deployments_left"] = [x["DeploymentId"] for x in v2.get_deployments(ApiId=a)["Items"]] == [d2]
arn = "arn:aws:apigateway:%s::/apis/%s/stages/dev" % (region, a)
v2.tag_resource(ResourceArn=arn, Tags={"a": "1", "b": "2"})
v2.untag_resource(ResourceArn=arn, TagKeys=["a"])
seen["stage_tags"] = v2.get_stage(ApiId=a, StageName="dev")["Tags"]
v2.delete_stage(ApiId=a, StageName="dev")
seen["stages_left"] = len(v2.get_stages(ApiId=a)["Items"])
seen["empty_deploy"] = code(lambda: v2.create_deployment(ApiId=v2.create_api(
    Name="empty", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.a")["ApiId"]))
v2.delete_api(ApiId=a)
seen["api_deleted"] = code(lambda: v2.get_api(ApiId=a))
seen["bad_id"] = code(lambda: v2.get_api(ApiId="a.b"))
print(json.dumps(seen))
