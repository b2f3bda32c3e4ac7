"""Edits one API through two nodes of a cluster at once, with boto3: 12
resources with methods, made from 8 threads alternating between the nodes'
admin listeners, retrying a concurrent modification as Terraform does. Prints the resource paths with a GET integration as each
node sees them, and what a deployment through node 2 answers on node 1.

    management_cluster.py ADMIN_1 ADMIN_2 DATA_1 ACCESS_KEY SECRET_KEY
"""

import json
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import boto3
import botocore.exceptions

admin1, admin2, data1, key, secret = sys.argv[1:6]
clients = [boto3.client("apigateway", endpoint_url=a, region_name="us-east-1",
                        aws_access_key_id=key, aws_secret_access_key=secret)
           for a in (admin1, admin2)]

api_id = clients[0].create_rest_api(name="shared")["id"]
root = clients[0].get_resources(restApiId=api_id)["items"][0]["id"]


conflicts = []


def retrying(call, **kwargs):
    """As Terraform's AWS provider does: retry a concurrent modification."""
    while True:
        try:
            return call(**kwargs)
        except botocore.exceptions.ClientError as e:
            if "concurrent modification" not in e.response["Error"]["Message"]:
                raise
            conflicts.append(1)
            time.sleep(0.05)


def build(i):
    c = clients[i % 2]
    r = retrying(c.create_resource, restApiId=api_id, parentId=root, pathPart=f"item{i}")
    retrying(c.put_method, restApiId=api_id, resourceId=r["id"], httpMethod="GET", authorizationType="NONE")
    retrying(c.put_integration, restApiId=api_id, resourceId=r["id"], httpMethod="GET", type="MOCK",
             requestTemplates={"application/json": '{"statusCode": 200}'})
    retrying(c.put_integration_response, restApiId=api_id, resourceId=r["id"], httpMethod="GET",
             statusCode="200", responseTemplates={"application/json": '{"item": %d}' % i})


with ThreadPoolExecutor(max_workers=8) as pool:
    list(pool.map(build, range(12)))


def complete(c):
    items = c.get_resources(restApiId=api_id, embed=["methods"], limit=500)["items"]
    return sorted(r["path"] for r in items
                  if r.get("resourceMethods", {}).get("GET", {}).get("methodIntegration"))


seen = {"node1": complete(clients[0]), "node2": complete(clients[1]), "conflicts": len(conflicts)}
clients[1].create_deployment(restApiId=api_id, stageName="prod")
deadline = time.time() + 10
while True:
    try:
        with urllib.request.urlopen(f"{data1}/restapis/{api_id}/prod/_user_request_/item7") as r:
            seen["served_on_node1"] = json.loads(r.read())
            break
    except Exception:
        if time.time() > deadline:
            raise
        time.sleep(0.1)
print(json.dumps(seen))
