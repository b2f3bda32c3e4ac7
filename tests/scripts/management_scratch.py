"""Builds an API from nothing with boto3, call by call, as the AWS console
and Terraform do: resources, methods, method responses, integrations,
integration responses, a model, a request validator, an authorizer, a
gateway response; deploys it to two stages, tunes and exports it, and
cleans up deployments, stages and resources. Prints one JSON object with
what it saw; the Rust test asserts on it.

    management_scratch.py ADMIN_URL DATA_URL ACCESS_KEY SECRET_KEY
"""

import json
import sys
import urllib.error
import urllib.request

import boto3
import botocore.exceptions

admin, data, key, secret = sys.argv[1:5]
client = boto3.client("apigateway", endpoint_url=admin, region_name="us-east-1",
                      aws_access_key_id=key, aws_secret_access_key=secret)


def invoke(api_id, stage, path):
    request = urllib.request.Request(f"{data}/restapis/{api_id}/{stage}/_user_request_{path}")
    try:
        with urllib.request.urlopen(request) as r:
            return {"status": r.status, "body": json.loads(r.read())}
    except urllib.error.HTTPError as e:
        return {"status": e.code, "body": json.loads(e.read() or b"{}")}


def error_of(call, **kwargs):
    try:
        call(**kwargs)
        return None
    except botocore.exceptions.ClientError as e:
        return [e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]]


seen = {}
api_id = client.create_rest_api(name="scratch", description="built call by call")["id"]
root = client.get_resources(restApiId=api_id)["items"][0]
seen["root"] = root["path"]
pets = client.create_resource(restApiId=api_id, parentId=root["id"], pathPart="pets")
pet = client.create_resource(restApiId=api_id, parentId=pets["id"], pathPart="{petId}")
seen["pet_path"] = [pet["path"], pet["parentId"] == pets["id"], pet["pathPart"]]
seen["duplicate_resource"] = error_of(client.create_resource, restApiId=api_id, parentId=root["id"],
                                      pathPart="pets")

client.create_model(restApiId=api_id, name="Pet", contentType="application/json",
                    schema=json.dumps({"type": "object", "required": ["name"],
                                       "properties": {"name": {"type": "string"}}}))
validator = client.create_request_validator(restApiId=api_id, name="params",
                                            validateRequestParameters=True)
authorizer = client.create_authorizer(
    restApiId=api_id, name="tokens", type="TOKEN",
    authorizerUri="arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
                  "arn:aws:lambda:us-east-1:000000000000:function:auth/invocations",
    identitySource="method.request.header.Authorization", authorizerResultTtlInSeconds=60)
seen["authorizers"] = [a["name"] for a in client.get_authorizers(restApiId=api_id)["items"]]
seen["authorizer_type"] = client.get_authorizer(restApiId=api_id, authorizerId=authorizer["id"])["type"]

# GET /pets?kind=...: the kind is required, checked by the validator.
client.put_method(restApiId=api_id, resourceId=pets["id"], httpMethod="GET", authorizationType="NONE",
                  requestParameters={"method.request.querystring.kind": True},
                  requestValidatorId=validator["id"])
client.put_method_response(restApiId=api_id, resourceId=pets["id"], httpMethod="GET", statusCode="200")
client.put_integration(restApiId=api_id, resourceId=pets["id"], httpMethod="GET", type="MOCK",
                       requestTemplates={"application/json": '{"statusCode": 200}'})
client.put_integration_response(
    restApiId=api_id, resourceId=pets["id"], httpMethod="GET", statusCode="200",
    responseTemplates={"application/json":
                       '{"kind": "$input.params(\'kind\')", "stage": "$context.stage", "v": "$stageVariables.v"}'})
# GET /pets/{petId}
client.put_method(restApiId=api_id, resourceId=pet["id"], httpMethod="GET", authorizationType="NONE",
                  requestParameters={"method.request.path.petId": True})
client.put_method_response(restApiId=api_id, resourceId=pet["id"], httpMethod="GET", statusCode="200")
client.put_integration(restApiId=api_id, resourceId=pet["id"], httpMethod="GET", type="MOCK",
                       requestTemplates={"application/json": '{"statusCode": 200}'})
client.put_integration_response(
    restApiId=api_id, resourceId=pet["id"], httpMethod="GET", statusCode="200",
    responseTemplates={"application/json": '{"id": "$input.params(\'petId\')"}'})
seen["bad_integration"] = error_of(client.put_integration, restApiId=api_id, resourceId=pet["id"],
                                   httpMethod="GET", type="HTTP", integrationHttpMethod="GET")
seen["method_again"] = error_of(client.put_method, restApiId=api_id, resourceId=pets["id"],
                                httpMethod="GET", authorizationType="NONE")
client.put_gateway_response(restApiId=api_id, responseType="BAD_REQUEST_PARAMETERS", statusCode="422",
                            responseTemplates={"application/json": '{"problem": $context.error.messageString}'})

method = client.get_method(restApiId=api_id, resourceId=pets["id"], httpMethod="GET")
seen["method"] = [method["requestValidatorId"] == validator["id"],
                  method["methodIntegration"]["type"],
                  sorted(method["methodIntegration"]["integrationResponses"])]
seen["before_deploy"] = invoke(api_id, "prod", "/pets?kind=cat")["status"]

first = client.create_deployment(restApiId=api_id, stageName="prod", variables={"v": "p"})
seen["cat"] = invoke(api_id, "prod", "/pets?kind=cat")
seen["no_kind"] = invoke(api_id, "prod", "/pets")
seen["pet"] = invoke(api_id, "prod", "/pets/42")

# A second stage on the same deployment, with settings.
client.create_stage(restApiId=api_id, stageName="dev", deploymentId=first["id"], variables={"v": "d"})
seen["dev"] = invoke(api_id, "dev", "/pets?kind=dog")
seen["stage_again"] = error_of(client.create_stage, restApiId=api_id, stageName="dev",
                               deploymentId=first["id"])
client.update_stage(restApiId=api_id, stageName="dev", patchOperations=[
    {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "100"},
    {"op": "replace", "path": "/~1pets/GET/caching/ttlInSeconds", "value": "30"}])
settings = client.get_stage(restApiId=api_id, stageName="dev")["methodSettings"]
seen["settings"] = [settings["*/*"]["throttlingRateLimit"], settings["/pets/GET"]["cacheTtlInSeconds"]]

# Patch the method and the integration; export the stage.
client.update_integration(restApiId=api_id, resourceId=pets["id"], httpMethod="GET",
                          patchOperations=[{"op": "replace", "path": "/timeoutInMillis", "value": "5000"}])
seen["timeout"] = client.get_integration(restApiId=api_id, resourceId=pets["id"],
                                         httpMethod="GET")["timeoutInMillis"]
exported = json.loads(client.get_export(restApiId=api_id, stageName="prod", exportType="oas30",
                                        parameters={"extensions": "apigateway"})["body"].read())
seen["export"] = [exported["openapi"], sorted(exported["paths"]),
                  "x-amazon-apigateway-integration" in exported["paths"]["/pets"]["get"]]
as_yaml = client.get_export(restApiId=api_id, stageName="prod", exportType="oas30", accepts="application/yaml")
seen["export_yaml"] = as_yaml["body"].read().decode().startswith("openapi: 3.0.1")
plain = json.loads(client.get_export(restApiId=api_id, stageName="prod", exportType="swagger")["body"].read())
seen["export_plain"] = [plain["swagger"], "x-amazon-apigateway-integration" in plain["paths"]["/pets"]["get"]]

# Deployments in use cannot go; moved stages free them.
seen["delete_in_use"] = error_of(client.delete_deployment, restApiId=api_id, deploymentId=first["id"])
client.delete_method(restApiId=api_id, resourceId=pet["id"], httpMethod="GET")
client.delete_resource(restApiId=api_id, resourceId=pet["id"])
client.update_rest_api(restApiId=api_id, patchOperations=[{"op": "replace", "path": "/name", "value": "renamed"}])
second = client.create_deployment(restApiId=api_id, stageName="prod")
client.update_stage(restApiId=api_id, stageName="dev",
                    patchOperations=[{"op": "replace", "path": "/deploymentId", "value": second["id"]}])
client.delete_deployment(restApiId=api_id, deploymentId=first["id"])
seen["deployments_left"] = [d["id"] for d in client.get_deployments(restApiId=api_id)["items"]] == [second["id"]]
seen["pet_after"] = invoke(api_id, "prod", "/pets/42")["status"]
client.delete_stage(restApiId=api_id, stageName="dev")
seen["dev_after"] = invoke(api_id, "dev", "/pets?kind=dog")["status"]
seen["stages_left"] = [s["stageName"] for s in client.get_stages(restApiId=api_id)["item"]]
seen["name"] = client.get_rest_api(restApiId=api_id)["name"]
seen["resources"] = sorted(r["path"] for r in client.get_resources(restApiId=api_id)["items"])

# Tags on the API and its stage.
arn = f"arn:aws:apigateway:us-east-1::/restapis/{api_id}"
client.tag_resource(resourceArn=arn, tags={"team": "pets", "env": "test"})
client.untag_resource(resourceArn=arn, tagKeys=["env"])
client.tag_resource(resourceArn=arn + "/stages/prod", tags={"tier": "gold"})
seen["tags"] = [client.get_tags(resourceArn=arn)["tags"],
                client.get_tags(resourceArn=arn + "/stages/prod")["tags"]]

# A custom domain with two base paths.
client.create_domain_name(domainName="api.example.com", regionalCertificateArn="arn:aws:acm:local:cert/1",
                          endpointConfiguration={"types": ["REGIONAL"]}, securityPolicy="TLS_1_2",
                          tags={"owner": "ops"})
client.create_base_path_mapping(domainName="api.example.com", basePath="v1", restApiId=api_id, stage="prod")
client.create_base_path_mapping(domainName="api.example.com", restApiId=api_id)
seen["mapping_again"] = error_of(client.create_base_path_mapping, domainName="api.example.com",
                                 basePath="v1", restApiId=api_id)
seen["mapping_bad_stage"] = error_of(client.create_base_path_mapping, domainName="api.example.com",
                                     basePath="v2", restApiId=api_id, stage="nope")
seen["mappings"] = sorted((m["basePath"], m.get("stage")) for m in
                          client.get_base_path_mappings(domainName="api.example.com")["items"])
domain = client.get_domain_name(domainName="api.example.com")
seen["domain"] = [domain["endpointConfiguration"]["types"], domain["securityPolicy"], domain["tags"],
                  client.get_tags(resourceArn="arn:aws:apigateway:us-east-1::/domainnames/api.example.com")["tags"]]
client.delete_base_path_mapping(domainName="api.example.com", basePath="v1")
client.delete_domain_name(domainName="api.example.com")
seen["domains_left"] = client.get_domain_names()["items"]

# Keys and plans change in place; usage reads the quota counters.
key = client.create_api_key(name="k1", enabled=True, value="scratch-key-0123456789abc")
plan = client.create_usage_plan(name="p", apiStages=[{"apiId": api_id, "stage": "prod"}],
                                quota={"limit": 5, "period": "DAY"})
client.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
client.update_api_key(apiKey=key["id"], patchOperations=[{"op": "replace", "path": "/name", "value": "k2"}])
client.update_usage_plan(usagePlanId=plan["id"], patchOperations=[
    {"op": "replace", "path": "/quota/limit", "value": "7"},
    {"op": "replace", "path": "/throttle/rateLimit", "value": "50"},
    {"op": "replace", "path": "/throttle/burstLimit", "value": "10"}])
updated = client.get_usage_plan(usagePlanId=plan["id"])
seen["plan"] = [updated["quota"]["limit"], updated["throttle"]["rateLimit"], updated["throttle"]["burstLimit"]]
seen["key_name"] = client.get_api_key(apiKey=key["id"])["name"]
client.update_method(restApiId=api_id, resourceId=pets["id"], httpMethod="GET",
                     patchOperations=[{"op": "replace", "path": "/apiKeyRequired", "value": "true"}])
client.create_deployment(restApiId=api_id, stageName="prod")
for _ in range(2):
    request = urllib.request.Request(f"{data}/restapis/{api_id}/prod/_user_request_/pets?kind=x",
                                     headers={"x-api-key": "scratch-key-0123456789abc"})
    urllib.request.urlopen(request).read()
usage = client.get_usage(usagePlanId=plan["id"], startDate="2026-01-01", endDate="2026-12-31")
seen["usage"] = usage["items"][key["id"]]
seen["plan_key"] = client.get_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"])["name"]
client.delete_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"])
seen["plan_keys_left"] = client.get_usage_plan_keys(usagePlanId=plan["id"])["items"]

# Terraform-like parallel calls on one API: none may be lost.
from concurrent.futures import ThreadPoolExecutor


def build(i):
    r = client.create_resource(restApiId=api_id, parentId=root["id"], pathPart=f"item{i}")
    client.put_method(restApiId=api_id, resourceId=r["id"], httpMethod="GET", authorizationType="NONE")
    client.put_integration(restApiId=api_id, resourceId=r["id"], httpMethod="GET", type="MOCK")


with ThreadPoolExecutor(max_workers=8) as pool:
    list(pool.map(build, range(12)))
items = client.get_resources(restApiId=api_id, embed=["methods"], limit=500)["items"]
seen["parallel"] = sorted(r["path"] for r in items
                          if r["path"].startswith("/item")
                          and r.get("resourceMethods", {}).get("GET", {}).get("methodIntegration"))
print(json.dumps(seen))
