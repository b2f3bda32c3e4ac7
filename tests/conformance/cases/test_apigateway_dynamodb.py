"""test_apigateway_dynamodb: AWS integrations with DynamoDB's PutItem,
Query and Scan actions (request templates reading the query string), the
table set up and read back through DynamoDB's own API.

DynamoDB is moto's (harness/aws.py), reached by the node through
AWS_ENDPOINT_URL; the integration's role is a made-up ARN in moto's
account, assumed through moto's STS (moto keeps resources per account and
gives the assumed keys the role's account). Without moto the cases are not applicable."""

import json
from functools import partial

from harness import aws
from harness.case import case

MODULE = "test_apigateway_dynamodb"
port = partial(case, MODULE)
NOTE = "DynamoDB (and STS for the integration's role) is a local moto server"

if not aws.available():
    NOT_APPLICABLE_REASON = aws.UNAVAILABLE

NO_REFERENCE = {"date": "date", "content-length": "content-length",
                "x-amz-apigw-id": "x-amz-apigw-id"}


def api_with_aws_integration(t, uri: str, templates: dict | None = None) -> str:
    """The tests' `create_rest_api_with_integration` for an AWS
    integration: resource `test`, POST, the integration with the tests'
    role, a 200 method and integration response, deployed to `test`."""
    a = t.api(name=f"test-apigw-{t.uid()}", endpointConfiguration={"types": ["REGIONAL"]})
    api = a["id"]
    resource = t.resource(api, a["rootResourceId"], "test")
    ids = {"restApiId": api, "resourceId": resource, "httpMethod": "POST"}
    t.do("put_method", authorizationType="NONE", **ids)
    t.do("put_integration", integrationHttpMethod="POST", type="AWS", uri=uri,
         credentials=aws.role_arn(f"apigw-ddb-{t.uid()}"), requestTemplates=templates or {}, **ids)
    t.do("put_method_response", statusCode="200", **ids)
    t.do("put_integration_response", statusCode="200", **ids)
    dep = t.do("create_deployment", restApiId=api)["id"]
    t.do("create_stage", restApiId=api, stageName="test", deploymentId=dep)
    return api


def table(t) -> str:
    name = f"table-{t.uid()}"
    ddb = aws.client("dynamodb")
    ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")
    for item_id in ("test", "test2", "test 3"):
        ddb.put_item(TableName=name, Item={"id": {"S": item_id}})
    return name


def invoke(t, api: str, id_param=None) -> dict:
    r = t.invoke("POST", api, "test", f"/test?id={id_param}")
    try:
        content = r.json()
    except ValueError:
        content = r.text
    return {"status_code": r.status_code, "content": content,
            "headers": {k.lower(): v for k, v in dict(r.headers).items()}}


def by_id(items):
    return sorted(items, key=lambda x: x["id"]["S"])


def ddb_action(action: str):
    def run(t):
        t.snap.replace_values(NO_REFERENCE)
        name = table(t)
        templates = {
            "PutItem": {"TableName": name, "Item": {"id": {"S": "$input.params('id')"}}},
            "Query": {"TableName": name, "KeyConditionExpression": "id = :id",
                      "ExpressionAttributeValues": {":id": {"S": "$input.params('id')"}}},
            "Scan": {"TableName": name},
        }
        api = api_with_aws_integration(t, f"arn:aws:apigateway:{aws.REGION}:dynamodb:action/{action}",
                                       {"application/json": json.dumps(templates[action])})
        if action == "PutItem":
            t.match("result-put-item", invoke(t, api, "test-new"))
            result = aws.client("dynamodb").scan(TableName=name)
            result["Items"] = by_id(result["Items"])
            t.match("result-scan", result)
        elif action == "Query":
            for item_id in ("test", "test2", "test 3"):
                t.match(f"result-{item_id}", invoke(t, api, item_id))
            t.match("result-invalid", invoke(t, api, "test-invalid"))
        else:
            result = invoke(t, api)
            if isinstance(result["content"], dict):
                result["content"]["Items"] = by_id(result["content"].get("Items", []))
            t.match("result-scan", result)
    return run


for _action in ("PutItem", "Query", "Scan"):
    port(f"test_rest_api_to_dynamodb_integration[{_action}]", note=NOTE)(ddb_action(_action))


@port("test_error_aws_proxy_not_supported", note=NOTE)
def error_aws_proxy_not_supported(t):
    uri = f"arn:aws:apigateway:{aws.REGION}:dynamodb:action/Query"
    api = api_with_aws_integration(t, uri)
    resource = [r for r in t.do("get_resources", restApiId=api)["items"] if r.get("parentId")][0]
    t.call("create-integration-error", "put_integration", restApiId=api, resourceId=resource["id"],
           httpMethod="POST", integrationHttpMethod="POST", type="AWS_PROXY", uri=uri)
