"""What a node serves, seen through boto3 and the data plane, for the store
backup and restore tests: `setup` builds a few things, `change` changes
each kind of them, `state` prints everything the management API shows
plus what the data plane answers, as one JSON object.

    store_roundtrip.py ADMIN_URL DATA_URL ACCESS_KEY SECRET_KEY setup|change|state
"""

import json
import sys
import urllib.error
import urllib.request

import boto3

admin, data, key, secret, mode = sys.argv[1:6]
client = boto3.client("apigateway", endpoint_url=admin, region_name="us-east-1",
                      aws_access_key_id=key, aws_secret_access_key=secret)

DOCUMENT = """
openapi: "3.0.1"
info: {title: %s, version: "1"}
paths:
  /color:
    get:
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses:
          default:
            statusCode: "200"
            responseTemplates:
              application/json: '{"color": "$stageVariables.color", "api": "%s"}'
"""


def invoke(api_id, stage, path):
    url = f"{data}/restapis/{api_id}/{stage}/_user_request_{path}"
    try:
        with urllib.request.urlopen(url) as r:
            return {"status": r.status, "body": json.loads(r.read())}
    except urllib.error.HTTPError as e:
        return {"status": e.code, "body": json.loads(e.read() or b"{}")}


def api_named(name):
    return next(a for a in client.get_rest_apis()["items"] if a["name"] == name)


def setup():
    api = client.import_rest_api(body=(DOCUMENT % ("shop", "shop")).encode())
    client.create_deployment(restApiId=api["id"], stageName="prod", variables={"color": "red"})
    client.tag_resource(resourceArn=f"arn:aws:apigateway:us-east-1::/restapis/{api['id']}",
                        tags={"team": "shop"})
    k = client.create_api_key(name="alice", value="alice-key-0123456789abcdef", enabled=True)
    plan = client.create_usage_plan(name="basic", apiStages=[{"apiId": api["id"], "stage": "prod"}],
                                    throttle={"rateLimit": 100, "burstLimit": 200})
    client.create_usage_plan_key(usagePlanId=plan["id"], keyId=k["id"], keyType="API_KEY")


def change():
    shop = api_named("shop")
    client.update_stage(restApiId=shop["id"], stageName="prod", patchOperations=[
        {"op": "replace", "path": "/variables/color", "value": "blue"}])
    client.create_deployment(restApiId=shop["id"], stageName="prod")
    client.untag_resource(resourceArn=f"arn:aws:apigateway:us-east-1::/restapis/{shop['id']}",
                          tagKeys=["team"])
    other = client.import_rest_api(body=(DOCUMENT % ("extra", "extra")).encode())
    client.create_deployment(restApiId=other["id"], stageName="dev", variables={"color": "green"})
    for plan in client.get_usage_plans()["items"]:
        client.delete_usage_plan(usagePlanId=plan["id"])
    for k in client.get_api_keys()["items"]:
        client.delete_api_key(apiKey=k["id"])


def state():
    seen = {"apis": {}, "keys": [], "plans": []}
    for api in sorted(client.get_rest_apis()["items"], key=lambda a: a["name"]):
        stages = client.get_stages(restApiId=api["id"])["item"]
        deployments = client.get_deployments(restApiId=api["id"])["items"]
        tags = client.get_tags(resourceArn=f"arn:aws:apigateway:us-east-1::/restapis/{api['id']}")
        seen["apis"][api["name"]] = {
            "id": api["id"],
            "deployments": sorted(d["id"] for d in deployments),
            "stages": {s["stageName"]: {"deploymentId": s["deploymentId"],
                                        "variables": s.get("variables", {}),
                                        "served": invoke(api["id"], s["stageName"], "/color")}
                       for s in stages},
            "tags": tags.get("tags", {}),
        }
    for k in client.get_api_keys(includeValues=True)["items"]:
        seen["keys"].append([k["id"], k["name"], k["value"], k["enabled"]])
    for p in client.get_usage_plans()["items"]:
        keys = client.get_usage_plan_keys(usagePlanId=p["id"])["items"]
        seen["plans"].append([p["id"], p["name"], p.get("throttle"), p.get("apiStages"),
                              sorted(k["id"] for k in keys)])
    print(json.dumps(seen, sort_keys=True))


{"setup": setup, "change": change, "state": state}[mode]()
