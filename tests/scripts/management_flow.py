"""Drives apigw's management API with boto3, as a user of AWS API Gateway
would: import, deploy, invoke, change a stage variable, redeploy, roll back.
Prints one JSON object with what it saw; the Rust test asserts on it.

    management_flow.py ADMIN_URL DATA_URL ACCESS_KEY SECRET_KEY
"""

import json
import sys
import urllib.error
import urllib.request

import boto3
import botocore.exceptions

admin, data, key, secret = sys.argv[1:5]
client = boto3.client(
    "apigateway",
    endpoint_url=admin,
    region_name="us-east-1",
    aws_access_key_id=key,
    aws_secret_access_key=secret,
)


def definition(word):
    mock = {
        "type": "mock",
        "requestTemplates": {"application/json": '{"statusCode": 200}'},
        "responses": {"default": {"statusCode": "200", "responseTemplates": {
            "application/json": '{"color": "$stageVariables.color", "word": "%s"}' % word}}},
    }
    return json.dumps({
        "openapi": "3.0.1",
        "info": {"title": "managed", "version": "1"},
        "components": {"securitySchemes": {"api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"}}},
        "paths": {
            "/color": {"get": {"x-amazon-apigateway-integration": mock}},
            "/secret": {"get": {"security": [{"api_key": []}], "x-amazon-apigateway-integration": mock}},
        },
    }).encode()


def invoke(api_id, path="/color", key=None):
    request = urllib.request.Request(f"{data}/restapis/{api_id}/prod/_user_request_{path}")
    if key:
        request.add_header("x-api-key", key)
    try:
        with urllib.request.urlopen(request) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as e:
        return {"status": e.code, "body": json.loads(e.read() or b"{}")}


seen = {}
api = client.import_rest_api(body=definition("first"))
api_id = api["id"]
seen["imported_name"] = api["name"]
first = client.create_deployment(restApiId=api_id, stageName="prod", variables={"color": "blue"})
seen["after_deploy"] = invoke(api_id)

client.update_stage(restApiId=api_id, stageName="prod",
                    patchOperations=[{"op": "replace", "path": "/variables/color", "value": "red"}])
seen["after_variable"] = invoke(api_id)

client.put_rest_api(restApiId=api_id, mode="overwrite", body=definition("second"))
seen["before_redeploy"] = invoke(api_id)
second = client.create_deployment(restApiId=api_id, stageName="prod")
seen["after_redeploy"] = invoke(api_id)

client.update_stage(restApiId=api_id, stageName="prod",
                    patchOperations=[{"op": "replace", "path": "/deploymentId", "value": first["id"]}])
seen["after_rollback"] = invoke(api_id)
seen["stage_deployment_is_first"] = client.get_stage(restApiId=api_id, stageName="prod")["deploymentId"] == first["id"]
seen["deployments"] = len(client.get_deployments(restApiId=api_id)["items"])
seen["listed"] = [a["id"] for a in client.get_rest_apis()["items"]] == [api_id]
seen["resources"] = sorted(r["path"] for r in client.get_resources(restApiId=api_id)["items"])

# API keys and a usage plan with a quota of 2 a day.
ci_key = client.create_api_key(name="ci", enabled=True, value="ci-key-0123456789abcdefgh")
seen["without_key"] = invoke(api_id, "/secret")["status"]
seen["key_not_in_plan"] = invoke(api_id, "/secret", ci_key["value"])["status"]
plan = client.create_usage_plan(name="small", apiStages=[{"apiId": api_id, "stage": "prod"}],
                                quota={"limit": 2, "period": "DAY"})
client.create_usage_plan_key(usagePlanId=plan["id"], keyId=ci_key["id"], keyType="API_KEY")
seen["keyed"] = [invoke(api_id, "/secret", ci_key["value"]).get("status", 200) for _ in range(3)]
seen["plan_keys"] = [k["name"] for k in client.get_usage_plan_keys(usagePlanId=plan["id"])["items"]]
seen["keys_listed"] = [k["name"] for k in client.get_api_keys()["items"]]

try:
    client.get_rest_api(restApiId="nope123456")
except botocore.exceptions.ClientError as e:
    seen["missing"] = [e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]]

wrong = boto3.client("apigateway", endpoint_url=admin, region_name="us-east-1",
                     aws_access_key_id=key, aws_secret_access_key="not-the-secret")
try:
    wrong.get_rest_apis()
except botocore.exceptions.ClientError as e:
    seen["forged"] = e.response["ResponseMetadata"]["HTTPStatusCode"]

# failOnWarnings refuses a document with something it would ignore.
warned = json.dumps({"openapi": "3.0.1", "info": {"title": "w"}, "paths": {"/x": {"get": {
    "x-amazon-apigateway-integration": {"type": "mock", "bogus": 1}}}}}).encode()
try:
    client.import_rest_api(body=warned, failOnWarnings=True)
except botocore.exceptions.ClientError as e:
    seen["fail_on_warnings"] = [e.response["Error"]["Code"], "bogus" in e.response["Error"]["Message"]]
lenient = client.import_rest_api(body=warned)
seen["warnings"] = len(lenient.get("warnings", []))
client.delete_rest_api(restApiId=lenient["id"])

client.delete_rest_api(restApiId=api_id)
seen["after_delete"] = invoke(api_id)
print(json.dumps(seen))
