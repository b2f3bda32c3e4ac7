"""Drives the management API with boto3 as two admins: the node's own pair
(full access) and a read-only admin user whose policy allows only
apigateway:GET. Prints one JSON object with what each call gave; the Rust
test asserts on it.

    admin_scoped.py ADMIN_URL ADMIN_KEY ADMIN_SECRET READER_KEY READER_SECRET
"""

import json
import sys

import boto3
import botocore.exceptions

admin_url, admin_key, admin_secret, reader_key, reader_secret = sys.argv[1:6]


def client(key, secret):
    return boto3.client("apigateway", endpoint_url=admin_url, region_name="us-east-1",
                        aws_access_key_id=key, aws_secret_access_key=secret)


def attempt(call):
    try:
        answer = call()
        return {"ok": True, "status": answer["ResponseMetadata"]["HTTPStatusCode"]}
    except botocore.exceptions.ClientError as e:
        return {"ok": False, "code": e.response["Error"]["Code"],
                "message": e.response["Error"].get("Message"),
                "status": e.response["ResponseMetadata"]["HTTPStatusCode"]}


admin = client(admin_key, admin_secret)
reader = client(reader_key, reader_secret)
created = admin.create_rest_api(name="scoped")
api_id = created["id"]
seen = {
    "api_id": api_id,
    "reader_lists": attempt(lambda: reader.get_rest_apis()),
    "reader_names": [a["name"] for a in reader.get_rest_apis()["items"]],
    "reader_gets": attempt(lambda: reader.get_rest_api(restApiId=api_id)),
    "reader_resources": attempt(lambda: reader.get_resources(restApiId=api_id)),
    "reader_creates": attempt(lambda: reader.create_rest_api(name="nope")),
    "reader_deletes": attempt(lambda: reader.delete_rest_api(restApiId=api_id)),
    "reader_patches": attempt(lambda: reader.update_rest_api(
        restApiId=api_id, patchOperations=[{"op": "replace", "path": "/description", "value": "x"}])),
    "reader_creates_key": attempt(lambda: reader.create_api_key(name="k")),
}
seen["still_there"] = [a["name"] for a in admin.get_rest_apis()["items"]]
seen["admin_deletes"] = attempt(lambda: admin.delete_rest_api(restApiId=api_id))
print(json.dumps(seen))
