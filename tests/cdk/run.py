#!/usr/bin/env python3
"""Replays, with boto3, the API Gateway calls `cdk deploy` makes through
CloudFormation for two CDK stacks, against a fresh apigw node; then calls
the deployed APIs on the data plane, updates and destroys the stacks.
Prints one line per call (ok / FAILED with the error) and a summary.

    run.py [--apigw BIN] [--json FILE]

The stacks (what `cdk synth` gives for them, aws-cdk-lib v2):

lambda   `new LambdaRestApi(this, 'LambdaRestApi', { handler })`: RestApi,
         Resource `{proxy+}`, Method ANY on `/` and on `{proxy+}` (AWS_PROXY,
         POST, the function's invocation URI), four Lambda::Permission (the
         Lambda API: apigw does not serve it, they are listed as skipped),
         Deployment ("Automatically created by the RestApi construct"),
         Stage `prod`. The function is a local one (functions/handler.py,
         run with awslambdaric), named in the URI as CDK would.
cors     `new RestApi(this, 'CorsApi', { defaultCorsPreflightOptions: {
         allowOrigins: [app, admin], statusCode: 200 } })` with
         `root.addResource('items').addMethod('GET', new MockIntegration(...))`:
         an OPTIONS method on every resource (MOCK, request template
         `{ statusCode: 200 }` exactly as CDK writes it, the CORS headers as
         integration response parameters, and CDK's VTL template that echoes
         a second allowed origin), then an update that adds `orders` (new
         Deployment, the Stage moved to it, the old Deployment deleted).

The calls and their order follow the AWS::ApiGateway::* CloudFormation
handlers: each resource is created in dependency order and read back after
creation (RestApi: GetRestApi + GetResources for RootResourceId; Method:
PutMethod, PutIntegration, PutMethodResponse per response,
PutIntegrationResponse per response, GetMethod; Deployment: CreateDeployment,
GetDeployment; Stage: CreateStage, GetStage; a changed DeploymentId on a
Stage is an UpdateStage `replace /deploymentId`, and the replaced
Deployment is deleted in the cleanup phase); deletion runs in reverse
dependency order. See README.md for the sources.
"""

import argparse
import http.client
import json
import sys
import urllib.parse
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "scripts"))

from apigw_node import ApigwNode, default_binary  # noqa: E402

REGION = "us-east-1"
ACCOUNT = "000000000000"
FUNCTION = "CdkStack-Handler886CB40B-1A2B3C4D5E6F"  # CDK's generated function name
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{FUNCTION}"
INVOKE_URI = f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{FUNCTION_ARN}/invocations"

APP = "https://app.example.com"
ADMIN = "https://admin.example.com"
# Cors.DEFAULT_HEADERS and Cors.ALL_METHODS of aws-cdk-lib.
CORS_HEADERS = "Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token,X-Amz-User-Agent"
CORS_METHODS = "OPTIONS,GET,PUT,POST,DELETE,PATCH,HEAD"
# CDK's response template when allowOrigins has more than one origin.
CORS_TEMPLATE = "\n".join([
    '#set($origin = $input.params().header.get("Origin"))',
    '#if($origin == "")',
    '  #set($origin = $input.params().header.get("origin"))',
    '#end',
    f'#if($origin == "{ADMIN}")',
    '  #set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)',
    '#end',
])


class Driver:
    """Makes calls, records each outcome."""

    def __init__(self, client, data_url):
        self.client = client
        self.data_url = data_url
        self.results = []
        self.stack = None

    def record(self, what, status, detail=""):
        self.results.append({"stack": self.stack, "call": what, "status": status, "detail": detail})
        print(f"  {status:<8} {what}{'  ' + detail if detail else ''}", flush=True)

    def call(self, resource, op, **params):
        """`op` on the management API for CloudFormation resource `resource`."""
        what = f"{resource}: {op}"
        try:
            out = getattr(self.client, op)(**params)
        except self.client.exceptions.ClientError as e:
            err = e.response.get("Error", {})
            status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            self.record(what, "FAILED", f"{status} {err.get('Code')}: {err.get('Message')}")
            return None
        except Exception as e:  # noqa: BLE001 - a driver reports, it does not stop
            self.record(what, "FAILED", f"{type(e).__name__}: {e}")
            return None
        out.pop("ResponseMetadata", None)
        self.record(what, "ok")
        return out

    def skip(self, resource, op, why):
        self.record(f"{resource}: {op}", "skipped", why)

    def gone(self, resource, op, **params):
        """After a delete: `op` must answer 404 NotFoundException."""
        what = f"{resource}: {op} after delete"
        try:
            getattr(self.client, op)(**params)
        except self.client.exceptions.NotFoundException:
            self.record(what, "ok", "NotFoundException")
            return
        except Exception as e:  # noqa: BLE001
            self.record(what, "FAILED", f"expected NotFoundException, got {e}")
            return
        self.record(what, "FAILED", "still there")

    def invoke(self, what, api_id, method, path, headers=None, expect_status=200, expect_headers=None,
               expect_json=None):
        """A data-plane request to stage `prod`; checks status, headers, body."""
        url = urllib.parse.urlsplit(self.data_url)
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        target = f"/restapis/{api_id}/prod/_user_request_{path}"
        try:
            conn.request(method, target, headers=headers or {})
            r = conn.getresponse()
            body = r.read()
            got = {k.lower(): v for k, v in r.getheaders()}
        except OSError as e:
            self.record(f"data plane: {what}", "FAILED", str(e))
            return
        finally:
            conn.close()
        problems = []
        if r.status != expect_status:
            problems.append(f"status {r.status}, want {expect_status}")
        for k, v in (expect_headers or {}).items():
            if got.get(k.lower()) != v:
                problems.append(f"{k}: {got.get(k.lower())!r}, want {v!r}")
        if expect_json is not None:
            try:
                value = json.loads(body)
            except ValueError:
                value = None
            for k, v in expect_json.items():
                if not isinstance(value, dict) or value.get(k) != v:
                    problems.append(f"body[{k}]: {value.get(k) if isinstance(value, dict) else None!r}, want {v!r}")
        detail = "; ".join(problems)
        if problems:
            detail += f" (body {body[:200]!r})"
        self.record(f"data plane: {what}", "FAILED" if problems else "ok", detail)


# --- the CloudFormation handlers, one function per resource type ---------

def rest_api(d, logical, **props):
    """AWS::ApiGateway::RestApi: create, then read (the root resource id)."""
    out = d.call(f"{logical} (RestApi)", "create_rest_api", **props)
    if not out:
        return None, None
    api_id = out["id"]
    d.call(f"{logical} (RestApi)", "get_rest_api", restApiId=api_id)
    res = d.call(f"{logical} (RestApi)", "get_resources", restApiId=api_id, limit=500)
    root = next((r["id"] for r in (res or {}).get("items", []) if r.get("path") == "/"), None)
    return api_id, root


def resource(d, logical, api_id, parent_id, path_part):
    """AWS::ApiGateway::Resource."""
    out = d.call(f"{logical} (Resource)", "create_resource", restApiId=api_id, parentId=parent_id,
                 pathPart=path_part)
    if not out:
        return None
    d.call(f"{logical} (Resource)", "get_resource", restApiId=api_id, resourceId=out["id"])
    return out["id"]


def method(d, logical, api_id, resource_id, http_method, integration, method_responses=(),
           **method_props):
    """AWS::ApiGateway::Method: the method, its integration, the method
    responses, the integration responses, then a read."""
    name = f"{logical} (Method)"
    common = {"restApiId": api_id, "resourceId": resource_id, "httpMethod": http_method}
    if not d.call(name, "put_method", **common, **method_props):
        return False
    integration = dict(integration)
    integration_responses = integration.pop("integrationResponses", [])
    d.call(name, "put_integration", **common, **integration)
    for mr in method_responses:
        d.call(name, "put_method_response", **common, **mr)
    for ir in integration_responses:
        d.call(name, "put_integration_response", **common, **ir)
    d.call(name, "get_method", **common)
    return True


def deployment(d, logical, api_id, description):
    """AWS::ApiGateway::Deployment (CDK's: no StageName of its own)."""
    out = d.call(f"{logical} (Deployment)", "create_deployment", restApiId=api_id, description=description)
    if not out:
        return None
    d.call(f"{logical} (Deployment)", "get_deployment", restApiId=api_id, deploymentId=out["id"])
    return out["id"]


def stage(d, logical, api_id, deployment_id, name):
    """AWS::ApiGateway::Stage."""
    if d.call(f"{logical} (Stage)", "create_stage", restApiId=api_id, stageName=name,
              deploymentId=deployment_id):
        d.call(f"{logical} (Stage)", "get_stage", restApiId=api_id, stageName=name)


def cors_preflight(d, logical, api_id, resource_id):
    """The OPTIONS method `addCorsPreflight` adds (allowOrigins [app, admin],
    statusCode 200)."""
    headers = {
        "Access-Control-Allow-Headers": f"'{CORS_HEADERS}'",
        "Access-Control-Allow-Origin": f"'{APP}'",
        "Vary": "'Origin'",
        "Access-Control-Allow-Methods": f"'{CORS_METHODS}'",
    }
    integration_params = {f"method.response.header.{k}": v for k, v in headers.items()}
    method_params = {f"method.response.header.{k}": True for k in headers}
    return method(
        d, logical, api_id, resource_id, "OPTIONS",
        integration={
            "type": "MOCK",
            "requestTemplates": {"application/json": "{ statusCode: 200 }"},
            "integrationResponses": [{
                "statusCode": "200",
                "responseParameters": integration_params,
                "responseTemplates": {"application/json": CORS_TEMPLATE},
            }],
        },
        method_responses=[{"statusCode": "200", "responseParameters": method_params}],
        authorizationType="NONE", apiKeyRequired=False,
    )


def lambda_integration():
    return {"type": "AWS_PROXY", "integrationHttpMethod": "POST", "uri": INVOKE_URI}


# --- the stacks ------------------------------------------------------------

def lambda_stack(d):
    d.stack = "lambda"
    print("== lambda: LambdaRestApi (deploy)", flush=True)
    api, root = rest_api(d, "LambdaRestApi", name="LambdaRestApi")
    if not api:
        return
    proxy = resource(d, "LambdaRestApiproxyC95856DD", api, root, "{proxy+}")
    method(d, "LambdaRestApiANYBA8F0E8B", api, root, "ANY", lambda_integration(), authorizationType="NONE")
    if proxy:
        method(d, "LambdaRestApiproxyANY1786B242", api, proxy, "ANY", lambda_integration(),
               authorizationType="NONE")
    for logical in ["ANYApiPermission", "ANYApiPermissionTest", "proxyANYApiPermission",
                    "proxyANYApiPermissionTest"]:
        d.skip(f"LambdaRestApi{logical} (Lambda::Permission)", "lambda:AddPermission",
               "the Lambda API; apigw calls local functions without permissions")
    dep = deployment(d, "LambdaRestApiDeployment", api, "Automatically created by the RestApi construct")
    if dep:
        stage(d, "LambdaRestApiDeploymentStageprod", api, dep, "prod")

    print("== lambda: calls", flush=True)
    d.invoke("GET / (root ANY)", api, "GET", "/", expect_json={"resource": "/", "path": "/", "httpMethod": "GET"})
    d.invoke("GET /pets/42?x=1 ({proxy+} ANY)", api, "GET", "/pets/42?x=1",
             expect_json={"resource": "/{proxy+}", "path": "/pets/42", "pathParameters": {"proxy": "pets/42"},
                          "queryStringParameters": {"x": "1"}, "stage": "prod"})
    d.invoke("POST /pets ({proxy+} ANY)", api, "POST", "/pets", headers={"content-type": "application/json"},
             expect_json={"httpMethod": "POST", "function": FUNCTION})

    print("== lambda: destroy", flush=True)
    d.call("LambdaRestApiDeploymentStageprod (Stage)", "delete_stage", restApiId=api, stageName="prod")
    if dep:
        d.call("LambdaRestApiDeployment (Deployment)", "delete_deployment", restApiId=api, deploymentId=dep)
    if proxy:
        d.call("LambdaRestApiproxyANY1786B242 (Method)", "delete_method", restApiId=api, resourceId=proxy,
               httpMethod="ANY")
    d.call("LambdaRestApiANYBA8F0E8B (Method)", "delete_method", restApiId=api, resourceId=root, httpMethod="ANY")
    if proxy:
        d.call("LambdaRestApiproxyC95856DD (Resource)", "delete_resource", restApiId=api, resourceId=proxy)
    d.call("LambdaRestApi (RestApi)", "delete_rest_api", restApiId=api)
    d.gone("LambdaRestApi (RestApi)", "get_rest_api", restApiId=api)


def items_get(d, api, items):
    return method(
        d, "CorsApiitemsGET", api, items, "GET",
        integration={
            "type": "MOCK",
            "requestTemplates": {"application/json": '{"statusCode": 200}'},
            "integrationResponses": [{
                "statusCode": "200",
                "responseTemplates": {"application/json": '{"items": []}'},
                "responseParameters": {"method.response.header.Access-Control-Allow-Origin": f"'{APP}'"},
            }],
        },
        method_responses=[{"statusCode": "200",
                           "responseParameters": {"method.response.header.Access-Control-Allow-Origin": True}}],
        authorizationType="NONE",
    )


def preflight_checks(d, api, path, label):
    base = {"Access-Control-Allow-Methods": CORS_METHODS, "Access-Control-Allow-Headers": CORS_HEADERS,
            "Vary": "Origin"}
    ask = {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "Content-Type"}
    d.invoke(f"OPTIONS {path} from {APP} ({label})", api, "OPTIONS", path, headers={"Origin": APP, **ask},
             expect_headers={**base, "Access-Control-Allow-Origin": APP})
    d.invoke(f"OPTIONS {path} from {ADMIN} (CDK's template echoes it)", api, "OPTIONS", path,
             headers={"Origin": ADMIN, **ask}, expect_headers={**base, "Access-Control-Allow-Origin": ADMIN})


def cors_stack(d):
    d.stack = "cors"
    print("== cors: RestApi with defaultCorsPreflightOptions (deploy)", flush=True)
    api, root = rest_api(d, "CorsApi", name="CorsApi")
    if not api:
        return
    cors_preflight(d, "CorsApiOPTIONS", api, root)
    items = resource(d, "CorsApiitems", api, root, "items")
    if items:
        cors_preflight(d, "CorsApiitemsOPTIONS", api, items)
        items_get(d, api, items)
    first = deployment(d, "CorsApiDeployment", api, "Automatically created by the RestApi construct")
    if first:
        stage(d, "CorsApiDeploymentStageprod", api, first, "prod")

    print("== cors: calls", flush=True)
    preflight_checks(d, api, "/", "root")
    preflight_checks(d, api, "/items", "items")
    d.invoke("OPTIONS /items from an origin not allowed (the first origin stays)", api, "OPTIONS", "/items",
             headers={"Origin": "https://evil.example.com", "Access-Control-Request-Method": "GET"},
             expect_headers={"Access-Control-Allow-Origin": APP})
    d.invoke("GET /items", api, "GET", "/items", expect_headers={"Access-Control-Allow-Origin": APP},
             expect_json={"items": []})

    print("== cors: update (adds /orders: a new Deployment replaces the old one)", flush=True)
    orders = resource(d, "CorsApiorders", api, root, "orders")
    if orders:
        cors_preflight(d, "CorsApiordersOPTIONS", api, orders)
    second = deployment(d, "CorsApiDeployment2", api, "Automatically created by the RestApi construct")
    if second:
        d.call("CorsApiDeploymentStageprod (Stage)", "update_stage", restApiId=api, stageName="prod",
               patchOperations=[{"op": "replace", "path": "/deploymentId", "value": second}])
        d.call("CorsApiDeploymentStageprod (Stage)", "get_stage", restApiId=api, stageName="prod")
    if first:
        d.call("CorsApiDeployment (Deployment, cleanup)", "delete_deployment", restApiId=api, deploymentId=first)
    print("== cors: calls after the update", flush=True)
    preflight_checks(d, api, "/orders", "orders")

    print("== cors: destroy", flush=True)
    d.call("CorsApiDeploymentStageprod (Stage)", "delete_stage", restApiId=api, stageName="prod")
    if second:
        d.call("CorsApiDeployment2 (Deployment)", "delete_deployment", restApiId=api, deploymentId=second)
    for logical, rid, verb in [("CorsApiordersOPTIONS", orders, "OPTIONS"), ("CorsApiitemsGET", items, "GET"),
                               ("CorsApiitemsOPTIONS", items, "OPTIONS"), ("CorsApiOPTIONS", root, "OPTIONS")]:
        if rid:
            d.call(f"{logical} (Method)", "delete_method", restApiId=api, resourceId=rid, httpMethod=verb)
    for logical, rid in [("CorsApiorders", orders), ("CorsApiitems", items)]:
        if rid:
            d.call(f"{logical} (Resource)", "delete_resource", restApiId=api, resourceId=rid)
    d.call("CorsApi (RestApi)", "delete_rest_api", restApiId=api)
    d.gone("CorsApi (RestApi)", "get_rest_api", restApiId=api)


def function_config():
    return (
        "functions:\n"
        f"  - name: {FUNCTION}\n"
        "    command: [python3, -m, awslambdaric, handler.main]\n"
        f"    cwd: {HERE / 'functions'}\n"
        "    timeout_ms: 10000\n"
    )


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--apigw", default=default_binary())
    p.add_argument("--json", help="also write the results here as JSON")
    a = p.parse_args()
    with ApigwNode(a.apigw, config=function_config()) as node:
        d = Driver(node.client(), node.data_url)
        lambda_stack(d)
        cors_stack(d)
    failed = [r for r in d.results if r["status"] == "FAILED"]
    print()
    for stack in ("lambda", "cors"):
        rows = [r for r in d.results if r["stack"] == stack]
        print(f"{stack}: {sum(r['status'] == 'ok' for r in rows)} ok, "
              f"{sum(r['status'] == 'FAILED' for r in rows)} failed, "
              f"{sum(r['status'] == 'skipped' for r in rows)} skipped")
    for r in failed:
        print(f"FAILED {r['stack']} / {r['call']}: {r['detail']}")
    if a.json:
        Path(a.json).write_text(json.dumps(d.results, indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
