"""Tries stage names AWS refuses through boto3 (CreateDeployment and
CreateStage) and prints, per name, the error code, status and message.

    bad_names.py ADMIN_URL ACCESS_KEY SECRET_KEY API_ID NAMES_JSON
"""

import json
import sys

import boto3
import botocore.exceptions

admin, key, secret, api_id, names = sys.argv[1:6]
client = boto3.client("apigateway", endpoint_url=admin, region_name="us-east-1",
                      aws_access_key_id=key, aws_secret_access_key=secret)
deployment = client.get_deployments(restApiId=api_id)["items"][0]["id"]


def outcome(call):
    try:
        call()
        return ["accepted"]
    except botocore.exceptions.ClientError as e:
        return [e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"],
                e.response["Error"]["Message"]]


seen = {}
for name in json.loads(names):
    seen[name] = {
        "create_deployment": outcome(lambda: client.create_deployment(restApiId=api_id, stageName=name)),
        "create_stage": outcome(lambda: client.create_stage(restApiId=api_id, stageName=name,
                                                            deploymentId=deployment)),
    }
print(json.dumps(seen))
