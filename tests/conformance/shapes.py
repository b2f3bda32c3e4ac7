#!/usr/bin/env python3
"""Output-shape coverage (issue 17): for every v1 operation apigw serves (the
rows of node/src/management/operations.rs, minus /v2/ and apigw's own
*Definition operations), which members of botocore's output shape apigw's
answers carry. Starts a node with harness/node.py, drives a representative
sequence with boto3, records the members botocore parsed from each successful
answer (an `after-call` event hook), and writes SHAPES.md.

    python3 tests/conformance/shapes.py [--binary PATH] [--out PATH]
"""

import argparse
import json
import os
import re
import sys
from pathlib import Path

import boto3
import botocore
from botocore.config import Config

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from harness.node import ADMIN_KEY, ADMIN_SECRET, REGION, Node  # noqa: E402

ROOT = HERE.parent.parent
ROW = re.compile(r'^\s+([A-Z][A-Za-z0-9]+) = [A-Z]+ "([^"]+)";', re.M)

# Why a member may be absent; "produced when" reasons mean the sequence did
# not reach that state, the rest are not applicable to apigw.
REASONS = {
    "*.position": "produced when another page follows (the sequence lists short pages)",
    "*.warnings": "not applicable: only on imports that produced warnings",
    "*.tags": "produced when the caller set tags",
    "*.description": "produced when the caller set it",
    "*.version": "produced when the caller set it",
    "*.policy": "produced when the caller set it",
    "*.binaryMediaTypes": "produced when the caller set it",
    "*.minimumCompressionSize": "produced when the caller set it",
    "*.rootResourceId": "",
    "*.requestParameters": "produced when the caller set it",
    "*.requestModels": "produced when the caller set it",
    "*.responseParameters": "produced when the caller set it",
    "*.responseModels": "produced when the caller set it",
    "*.responseTemplates": "produced when the caller set it",
    "*.requestTemplates": "produced when the caller set it",
    "*.authorizationScopes": "produced when the caller set it",
    "*.operationName": "produced when the caller set it",
    "*.requestValidatorId": "produced when the caller set it",
    "*.authorizerId": "produced when the caller set it",
    "*.contentHandling": "produced when the caller set it",
    "*.selectionPattern": "produced when the caller set it",
    "*.connectionId": "produced when connectionType is VPC_LINK",
    "*.credentials": "produced when the caller set it",
    "*.tlsConfig": "produced when the caller set it",
    "*.integrationResponses": "produced when the integration has responses",
    "*.methodResponses": "produced when the method has responses",
    "*.methodIntegration": "produced when the method has an integration",
    "*.resourceMethods": "produced when the resource has methods",
    "*.parentId": "not applicable on the root resource (others carry it)",
    "*.pathPart": "not applicable on the root resource (others carry it)",
    "*.identityValidationExpression": "produced when the caller set it",
    "*.authorizerCredentials": "produced when the caller set it",
    "*.authorizerResultTtlInSeconds": "produced when the caller set it",
    "*.providerARNs": "produced for COGNITO_USER_POOLS authorizers",
    "*.authType": "produced when the caller set it",
    "*.statusCode": "produced when the gateway response has a status code set",
    "*.canarySettings": "canary-only: produced when a canary is set",
    "*.clientCertificateId": "produced when the caller set it",
    "*.documentationVersion": "produced when the caller set it",
    "*.accessLogSettings": "produced when access logging is configured",
    "*.variables": "produced when the caller set stage variables",
    "*.webAclArn": "not applicable: AWS WAF association (AWS-only)",
    "*.cacheClusterSize": "produced when a cache cluster is enabled",
    "*.cacheClusterStatus": "produced when a cache cluster is enabled (AWS-only values)",
    "*.apiSummary": "produced when deployed methods exist",
    "*.customerId": "produced when the caller set it",
    "*.stageKeys": "produced when the caller set it",
    "*.throttle": "produced when the caller set it",
    "*.quota": "produced when the caller set it",
    "*.productCode": "not applicable: AWS Marketplace (AWS-only)",
    "*.apiStages": "produced when the plan has stages",
    "*.certificateName": "produced when the caller set it",
    "*.certificateArn": "produced when the caller set it (edge endpoints)",
    "*.certificateUploadDate": "not applicable: only for imported certificate bodies (AWS-only)",
    "*.regionalCertificateName": "produced when the caller set it",
    "*.regionalCertificateArn": "produced when the caller set it (regional endpoints)",
    "*.distributionDomainName": "not applicable: CloudFront distribution (edge, AWS-only)",
    "*.distributionHostedZoneId": "not applicable: CloudFront distribution (edge, AWS-only)",
    "*.regionalDomainName": "produced for REGIONAL endpoints",
    "*.domainNameStatusMessage": "produced when the status has a message",
    "*.mutualTlsAuthentication": "produced when the caller set it",
    "*.ownershipVerificationCertificateArn": "produced when the caller set it",
    "*.domainNameId": "not applicable: private custom domain names (AWS-only)",
    "*.domainNameArn": "not applicable: private custom domain names (AWS-only)",
    "*.managementPolicy": "not applicable: private custom domain names (AWS-only)",
    "*.routingMode": "not applicable: routing rules (AWS-only)",
    "*.statusMessage": "produced when the status has a message",
    "*.cloudwatchRoleArn": "produced when the caller set it",
    "*.features": "produced when the account has features",
    "*.apiKeySource": "",
    "*.disableExecuteApiEndpoint": "",
    "*.securityPolicy": "produced when the caller set it",
    "*.endpointAccessMode": "not applicable: endpoint access mode (AWS-only)",
    "*.apiStatus": "not applicable: API status transitions (AWS-only)",
    "*.apiStatusMessage": "not applicable: API status transitions (AWS-only)",
    "*.ipAddressType": "",
    "*.endpointConfiguration": "",
    "*.responseTransferMode": "produced when the caller set it",
    "*.integrationTarget": "not applicable: ALB integration targets (AWS-only)",
    "*.rootResourceArn": "",
    "*.value": "produced on create and with includeValue/includeValues",
    "*.timeoutInMillis": "",
    "*.contentType": "",
    "*.contentDisposition": "",
    "*.body": "",
    "*.items": "produced when the list is not empty",
    "*.schema": "produced when the caller set it",
    "*.log": "",
    "*.latency": "",
    "*.headers": "",
    "*.multiValueHeaders": "",
    "TestInvokeMethod.*": "",
    "*.regionalHostedZoneId": "not applicable: Route 53 hosted zone (AWS-only)",
    # Set elsewhere in the sequence, not on the thing this operation answers with:
    "ImportRestApi.description": "produced when the imported document sets it",
    "ImportRestApi.binaryMediaTypes": "produced when the imported document sets it",
    "ImportRestApi.minimumCompressionSize": "produced when the imported document sets it",
    "ImportRestApi.policy": "produced when the imported document sets it",
    "ImportRestApi.tags": "produced when the caller set tags (the import set none)",
    "GetMethod.authorizationScopes": "produced when set (the sequence set it on POST, reads GET)",
    "UpdateMethod.authorizationScopes": "produced when set (set on POST, the update is on GET)",
    "GetIntegration.credentials": "produced when set (the sequence set it on POST, reads GET)",
    "UpdateIntegration.credentials": "produced when set (set on POST, the update is on GET)",
}


def served_operations() -> list[str]:
    text = (ROOT / "node/src/management/operations.rs").read_text()
    ops = []
    for name, path in ROW.findall(text):
        if path.startswith("/v2/") or name.endswith("Definition") or name in ops:
            continue
        ops.append(name)
    return ops


def output_members(model, op: str) -> dict[str, list[str]]:
    """Top-level members, plus `items[].m` for list answers of structures."""
    shape = model.operation_model(op).output_shape
    if shape is None:
        return {}
    members = {}
    for name, m in shape.members.items():
        members[name] = []
        if m.type_name == "list" and m.member.type_name == "structure":
            members[name] = list(m.member.members)
    return members


class Recorder:
    """An after-call hook: per operation, the members botocore parsed."""

    def __init__(self):
        self.seen: dict[str, set[str]] = {}
        self.calls: dict[str, int] = {}
        self.failed: dict[str, str] = {}
        self.sent: dict[str, set[str]] = {}

    def params(self, params, model, **_):
        """provide-client-params: the input members the sequence set, per family."""
        self.sent.setdefault(family(model.name), set()).update(params)

    def __call__(self, http_response, parsed, model, **_):
        op = model.name
        if http_response.status_code >= 300:
            self.failed[op] = f"{http_response.status_code} {parsed.get('Error', {})}"
            return
        self.calls[op] = self.calls.get(op, 0) + 1
        got = self.seen.setdefault(op, set())
        for key, value in parsed.items():
            if key == "ResponseMetadata":
                continue
            got.add(key)
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, dict):
                        got.update(f"{key}[].{k}" for k in item)


def client(node):
    c = boto3.client(
        "apigateway", endpoint_url=node.admin_url, region_name=REGION,
        aws_access_key_id=ADMIN_KEY, aws_secret_access_key=ADMIN_SECRET,
        config=Config(connect_timeout=5, read_timeout=30,
                      retries={"max_attempts": 1, "mode": "standard"}),
    )
    return c


def step(errors: list, label: str, fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except Exception as e:  # noqa: BLE001 - recorded, the sequence goes on
        errors.append(f"{label}: {e}")
        return {}


def patch(path: str, value: str) -> list[dict]:
    return [{"op": "replace", "path": path, "value": value}]


def drive(c, errors: list):
    """The representative sequence; each call's failure is recorded."""
    s = lambda label, fn, **kw: step(errors, label, fn, **kw)  # noqa: E731
    api = s("api", c.create_rest_api, name="shapes", description="d", version="1",
            binaryMediaTypes=["image/png"], minimumCompressionSize=100,
            tags={"k": "v"}, policy='{"Version":"2012-10-17","Statement":[]}')
    a = api.get("id", "none")
    root = s("root", c.get_resources, restApiId=a).get("items", [{}])[0].get("id", "x")
    res = s("res", c.create_resource, restApiId=a, parentId=root, pathPart="pets")
    r = res.get("id", "x")
    model = s("model", c.create_model, restApiId=a, name="Pet", contentType="application/json",
              description="d", schema='{"type":"object"}')
    val = s("validator", c.create_request_validator, restApiId=a, name="v",
            validateRequestBody=True, validateRequestParameters=True)
    auth = s("authorizer", c.create_authorizer, restApiId=a, name="tok", type="TOKEN",
             identitySource="method.request.header.Authorization",
             authorizerUri="arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
                           "arn:aws:lambda:us-east-1:000000000000:function:f/invocations",
             authorizerResultTtlInSeconds=60, identityValidationExpression=".*",
             authorizerCredentials="arn:aws:iam::000000000000:role/r", authType="custom")
    cog = s("cognito", c.create_authorizer, restApiId=a, name="cog", type="COGNITO_USER_POOLS",
            identitySource="method.request.header.Authorization",
            providerARNs=["arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_x"])
    s("method", c.put_method, restApiId=a, resourceId=r, httpMethod="GET",
      authorizationType="CUSTOM", authorizerId=auth.get("id", "x"), apiKeyRequired=True,
      operationName="getPets", requestParameters={"method.request.querystring.q": False},
      requestModels={"application/json": "Pet"}, requestValidatorId=val.get("id", "x"))
    s("method2", c.put_method, restApiId=a, resourceId=r, httpMethod="POST",
      authorizationType="COGNITO_USER_POOLS", authorizerId=cog.get("id", "x"),
      authorizationScopes=["s"])
    s("mresp", c.put_method_response, restApiId=a, resourceId=r, httpMethod="GET",
      statusCode="200", responseParameters={"method.response.header.X": False},
      responseModels={"application/json": "Pet"})
    s("integ", c.put_integration, restApiId=a, resourceId=r, httpMethod="GET", type="HTTP",
      integrationHttpMethod="GET", uri="http://127.0.0.1:9/pets",
      requestParameters={"integration.request.querystring.q": "method.request.querystring.q"},
      requestTemplates={"application/json": "{}"}, passthroughBehavior="WHEN_NO_TEMPLATES",
      cacheNamespace="ns", cacheKeyParameters=["method.request.querystring.q"],
      contentHandling="CONVERT_TO_TEXT", timeoutInMillis=5000,
      tlsConfig={"insecureSkipVerification": True})
    s("integ2", c.put_integration, restApiId=a, resourceId=r, httpMethod="POST", type="AWS",
      integrationHttpMethod="POST", credentials="arn:aws:iam::000000000000:role/r",
      uri="arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
          "arn:aws:lambda:us-east-1:000000000000:function:f/invocations")
    s("iresp", c.put_integration_response, restApiId=a, resourceId=r, httpMethod="GET",
      statusCode="200", selectionPattern="", contentHandling="CONVERT_TO_TEXT",
      responseParameters={"method.response.header.X": "'x'"},
      responseTemplates={"application/json": "{}"})
    s("gresp", c.put_gateway_response, restApiId=a, responseType="DEFAULT_4XX",
      statusCode="400", responseParameters={"gatewayresponse.header.X": "'x'"},
      responseTemplates={"application/json": "{}"})
    s("docpart", c.create_documentation_part, restApiId=a,
      location={"type": "API"}, properties='{"description":"d"}')
    s("docparts", c.import_documentation_parts, restApiId=a, mode="merge",
      body=b'{"openapi":"3.0.1","info":{"title":"t","version":"1"},"paths":{}}')
    dep = s("deployment", c.create_deployment, restApiId=a, stageName="dev",
            description="d", variables={"v": "1"})
    d = dep.get("id", "x")
    s("docver", c.create_documentation_version, restApiId=a, documentationVersion="v1",
      stageName="dev", description="d")
    s("stage", c.create_stage, restApiId=a, stageName="prod", deploymentId=d,
      description="d", variables={"a": "b"}, tags={"k": "v"}, tracingEnabled=True,
      documentationVersion="v1", cacheClusterEnabled=True, cacheClusterSize="0.5",
      canarySettings={"percentTraffic": 10.0, "deploymentId": d})
    s("stage-log", c.update_stage, restApiId=a, stageName="prod", patchOperations=[
        {"op": "replace", "path": "/accessLogSettings/destinationArn",
         "value": "arn:aws:logs:us-east-1:000000000000:log-group:g"},
        {"op": "replace", "path": "/accessLogSettings/format", "value": "$context.requestId"},
        {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "10"}])
    key = s("key", c.create_api_key, name="k", description="d", enabled=True,
            value="shapeskey0123456789abcdef", customerId="c", tags={"k": "v"},
            stageKeys=[{"restApiId": a, "stageName": "prod"}])
    k = key.get("id", "x")
    plan = s("plan", c.create_usage_plan, name="p", description="d",
             apiStages=[{"apiId": a, "stage": "prod",
                         "throttle": {"/pets/GET": {"burstLimit": 1, "rateLimit": 1.0}}}],
             throttle={"burstLimit": 10, "rateLimit": 5.0},
             quota={"limit": 100, "offset": 0, "period": "DAY"}, tags={"k": "v"})
    p = plan.get("id", "x")
    s("plankey", c.create_usage_plan_key, usagePlanId=p, keyId=k, keyType="API_KEY")
    dom = s("domain", c.create_domain_name, domainName="api.shapes.example.com",
            regionalCertificateName="c",
            regionalCertificateArn="arn:aws:acm:us-east-1:000000000000:certificate/x",
            endpointConfiguration={"types": ["REGIONAL"]}, securityPolicy="TLS_1_2",
            tags={"k": "v"})
    dn = dom.get("domainName", "api.shapes.example.com")
    s("bpm", c.create_base_path_mapping, domainName=dn, basePath="v1", restApiId=a,
      stage="prod")
    vpc = s("vpclink", c.create_vpc_link, name="l", description="d", tags={"k": "v"},
            targetArns=["arn:aws:elasticloadbalancing:us-east-1:000000000000:"
                        "loadbalancer/net/n/1"])
    v = vpc.get("id", "x")
    cert = s("cert", c.generate_client_certificate, description="d", tags={"k": "v"})
    cc = cert.get("clientCertificateId", "x")
    arn = f"arn:aws:apigateway:{REGION}::/restapis/{a}/stages/prod"
    s("tag", c.tag_resource, resourceArn=arn, tags={"t": "1"})
    s("account", c.update_account, patchOperations=patch(
        "/cloudwatchRoleArn", "arn:aws:iam::000000000000:role/cw"))
    s("reimport", c.put_rest_api, restApiId=a, mode="merge",
      body=b'{"openapi":"3.0.1","info":{"title":"shapes","version":"1"},"paths":{}}')
    s("import", c.import_rest_api, body=b'{"openapi":"3.0.1","info":{"title":"imp",'
      b'"version":"1"},"paths":{"/x":{"get":{"x-amazon-apigateway-integration":'
      b'{"type":"mock"}}}}}')
    s("test-invoke", c.test_invoke_method, restApiId=a, resourceId=r, httpMethod="GET")

    # get / list / update each
    ids = dict(restApiId=a)
    g = lambda label, fn, **kw: s(label, fn, **{**ids, **kw})  # noqa: E731
    g("get api", c.get_rest_api)
    s("get apis", c.get_rest_apis, limit=1)
    g("get res", c.get_resource, resourceId=r, embed=["methods"])
    g("get ress", c.get_resources, embed=["methods"])
    g("get method", c.get_method, resourceId=r, httpMethod="GET")
    g("get mresp", c.get_method_response, resourceId=r, httpMethod="GET", statusCode="200")
    g("get integ", c.get_integration, resourceId=r, httpMethod="GET")
    g("get iresp", c.get_integration_response, resourceId=r, httpMethod="GET", statusCode="200")
    g("get model", c.get_model, modelName="Pet", flatten=True)
    g("get models", c.get_models)
    g("get val", c.get_request_validator, requestValidatorId=val.get("id", "x"))
    g("get vals", c.get_request_validators)
    g("get auth", c.get_authorizer, authorizerId=auth.get("id", "x"))
    g("get auths", c.get_authorizers)
    g("get gresp", c.get_gateway_response, responseType="DEFAULT_4XX")
    g("get gresps", c.get_gateway_responses)
    docs = g("get docparts", c.get_documentation_parts)
    part = (docs.get("items") or [{}])[0].get("id", "x")
    g("get docpart", c.get_documentation_part, documentationPartId=part)
    g("get docver", c.get_documentation_version, documentationVersion="v1")
    g("get docvers", c.get_documentation_versions)
    g("get dep", c.get_deployment, deploymentId=d, embed=["apisummary"])
    g("get deps", c.get_deployments)
    g("get stage", c.get_stage, stageName="prod")
    g("get stages", c.get_stages)
    g("export", c.get_export, stageName="prod", exportType="oas30",
      accepts="application/json")
    s("get key", c.get_api_key, apiKey=k, includeValue=True)
    s("get keys", c.get_api_keys, includeValues=True)
    s("get plan", c.get_usage_plan, usagePlanId=p)
    s("get plans", c.get_usage_plans)
    s("get plankey", c.get_usage_plan_key, usagePlanId=p, keyId=k)
    s("get plankeys", c.get_usage_plan_keys, usagePlanId=p)
    s("usage", c.get_usage, usagePlanId=p, startDate="2026-01-01", endDate="2026-01-02")
    s("get domain", c.get_domain_name, domainName=dn)
    s("get domains", c.get_domain_names)
    s("get bpm", c.get_base_path_mapping, domainName=dn, basePath="v1")
    s("get bpms", c.get_base_path_mappings, domainName=dn)
    s("get vpc", c.get_vpc_link, vpcLinkId=v)
    s("get vpcs", c.get_vpc_links)
    s("get cert", c.get_client_certificate, clientCertificateId=cc)
    s("get certs", c.get_client_certificates)
    s("get tags", c.get_tags, resourceArn=arn)
    s("get account", c.get_account)

    g("upd api", c.update_rest_api, patchOperations=patch("/description", "e"))
    g("upd res", c.update_resource, resourceId=r, patchOperations=patch("/pathPart", "pet"))
    g("upd method", c.update_method, resourceId=r, httpMethod="GET",
      patchOperations=patch("/operationName", "p"))
    g("upd mresp", c.update_method_response, resourceId=r, httpMethod="GET", statusCode="200",
      patchOperations=[{"op": "add", "path": "/responseParameters/method.response.header.Y",
                        "value": "false"}])
    g("upd integ", c.update_integration, resourceId=r, httpMethod="GET",
      patchOperations=patch("/timeoutInMillis", "6000"))
    g("upd iresp", c.update_integration_response, resourceId=r, httpMethod="GET",
      statusCode="200", patchOperations=patch("/selectionPattern", "2.."))
    g("upd model", c.update_model, modelName="Pet", patchOperations=patch("/description", "e"))
    g("upd val", c.update_request_validator, requestValidatorId=val.get("id", "x"),
      patchOperations=patch("/name", "w"))
    g("upd auth", c.update_authorizer, authorizerId=auth.get("id", "x"),
      patchOperations=patch("/authorizerResultTtlInSeconds", "120"))
    g("upd gresp", c.update_gateway_response, responseType="DEFAULT_4XX",
      patchOperations=patch("/statusCode", "401"))
    g("upd docpart", c.update_documentation_part, documentationPartId=part,
      patchOperations=patch("/properties", '{"description":"e"}'))
    g("upd docver", c.update_documentation_version, documentationVersion="v1",
      patchOperations=patch("/description", "e"))
    g("upd stage", c.update_stage, stageName="prod", patchOperations=patch("/description", "e"))
    s("upd cert", c.update_client_certificate, clientCertificateId=cc,
      patchOperations=patch("/description", "e"))
    g("upd dep", c.update_deployment, deploymentId=d, patchOperations=patch("/description", "e"))
    s("upd key", c.update_api_key, apiKey=k, patchOperations=patch("/description", "e"))
    s("upd plan", c.update_usage_plan, usagePlanId=p, patchOperations=patch("/description", "e"))
    s("upd domain", c.update_domain_name, domainName=dn,
      patchOperations=patch("/securityPolicy", "TLS_1_2"))
    s("upd bpm", c.update_base_path_mapping, domainName=dn, basePath="v1",
      patchOperations=patch("/stage", "prod"))
    s("upd vpc", c.update_vpc_link, vpcLinkId=v, patchOperations=patch("/description", "e"))

    # deletes, innermost first
    s("untag", c.untag_resource, resourceArn=arn, tagKeys=["t"])
    s("del bpm", c.delete_base_path_mapping, domainName=dn, basePath="v1")
    s("del domain", c.delete_domain_name, domainName=dn)
    s("del plankey", c.delete_usage_plan_key, usagePlanId=p, keyId=k)
    s("del plan", c.delete_usage_plan, usagePlanId=p)
    s("del key", c.delete_api_key, apiKey=k)
    s("del vpc", c.delete_vpc_link, vpcLinkId=v)
    s("del cert", c.delete_client_certificate, clientCertificateId=cc)
    g("del iresp", c.delete_integration_response, resourceId=r, httpMethod="GET",
      statusCode="200")
    g("del integ", c.delete_integration, resourceId=r, httpMethod="GET")
    g("del mresp", c.delete_method_response, resourceId=r, httpMethod="GET", statusCode="200")
    g("del method", c.delete_method, resourceId=r, httpMethod="GET")
    g("del gresp", c.delete_gateway_response, responseType="DEFAULT_4XX")
    g("del docpart", c.delete_documentation_part, documentationPartId=part)
    g("del stage", c.delete_stage, stageName="prod")
    g("del docver", c.delete_documentation_version, documentationVersion="v1")
    g("del stage dev", c.delete_stage, stageName="dev")
    g("del dep", c.delete_deployment, deploymentId=d)
    g("del val", c.delete_request_validator, requestValidatorId=val.get("id", "x"))
    g("del auth", c.delete_authorizer, authorizerId=auth.get("id", "x"))
    g("del model", c.delete_model, modelName="Pet")
    g("del res", c.delete_resource, resourceId=r)
    g("del api", c.delete_rest_api)


def family(op: str) -> str:
    """GetRestApis, CreateRestApi, ... -> RestApi."""
    name = re.sub(r"^(Create|Put|Get|Update|Import|Delete)", "", op)
    return name[:-1] if name.endswith("s") else name


SET_BUT_ABSENT = "not produced (unexplained): the sequence set it"


def reason(op: str, member: str, sent: set[str] = frozenset()) -> str:
    leaf = member.split(".")[-1]
    if f"{op}.{member}" not in REASONS and leaf in sent and \
            REASONS.get(f"*.{leaf}", "").startswith("produced when the caller set"):
        return SET_BUT_ABSENT
    for key in (f"{op}.{member}", f"{op}.*", f"*.{leaf}"):
        if REASONS.get(key):
            return REASONS[key]
    return "not produced (unexplained)"


def classify(op, members, seen, sent):
    """(produced, [(member, reason)]) for one operation."""
    produced, missing = [], []
    for name, subs in members.items():
        names = [name] + [f"{name}[].{m}" for m in subs]
        for n in names:
            (produced if n in seen else missing).append(n)
    return produced, [(n, reason(op, n, sent)) for n in missing if n.split("[]")[0] in seen
                      or "[]" not in n]


def write_report(out: Path, ops, model, rec, errors, unknown):
    lines = ["# Output shapes: what apigw produces (issue 17)", "",
             "Generated by `python3 tests/conformance/shapes.py`: botocore "
             f"{botocore.__version__}'s apigateway output shapes for every v1 operation in "
             "node/src/management/operations.rs (not /v2/, not *Definition), against the "
             "members botocore parsed from apigw's answers to a representative boto3 "
             "sequence. `items[].m` are members of list elements. Reasons marked "
             "\"produced when\" name a state the sequence did not reach; \"not applicable\" "
             "members belong to AWS-only features.", ""]
    totals = {"ops": 0, "members": 0, "produced": 0, "when": 0, "na": 0, "unexplained": 0}
    body = []
    for op in ops:
        if op in unknown:
            continue
        members = output_members(model, op)
        seen = rec.seen.get(op, set())
        totals["ops"] += 1
        produced, missing = classify(op, members, seen, rec.sent.get(family(op), set()))
        body.append(f"## {op}")
        if op not in rec.calls:
            why = rec.failed.get(op, "not called by the sequence")
            body.append(f"- not exercised ({why})")
        if not members:
            body.append("- no output members (empty answer)")
        totals["members"] += len(produced) + len(missing)
        totals["produced"] += len(produced)
        if produced:
            body.append("- produced: " + ", ".join(f"`{m}`" for m in produced))
        for m, why in missing:
            kind = ("unexplained" if "unexplained" in why else
                    "na" if why.startswith("not applicable") else "when")
            totals[kind] += 1
            body.append(f"- not produced: `{m}`: {why}")
        body.append("")
    lines += [f"- operations: {totals['ops']}", f"- output members: {totals['members']}",
              f"- produced: {totals['produced']}",
              f"- not produced, produced in another state: {totals['when']}",
              f"- not produced, not applicable: {totals['na']}",
              f"- not produced (unexplained): {totals['unexplained']}"]
    if unknown:
        lines.append("- served but not in botocore's model: " + ", ".join(unknown))
    if errors:
        lines += ["", "Calls of the sequence that failed:", ""]
        lines += [f"- {e[:300]}" for e in errors]
    out.write_text("\n".join(lines + [""] + body))
    return totals


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.environ.get(
        "APIGW_BIN", str(ROOT / "target/debug/apigw")))
    ap.add_argument("--out", default=str(HERE / "SHAPES.md"))
    args = ap.parse_args()
    model = botocore.session.get_session().get_service_model("apigateway")
    ops = served_operations()
    unknown = [o for o in ops if o not in model.operation_names]
    node = Node(args.binary, [], sys.executable)
    rec, errors = Recorder(), []
    try:
        c = client(node)
        c.meta.events.register("after-call.apigateway", rec)
        c.meta.events.register("provide-client-params.apigateway", rec.params)
        drive(c, errors)
    finally:
        node.stop()
    totals = write_report(Path(args.out), ops, model, rec, errors, unknown)
    print(json.dumps(totals), f"failed calls: {len(errors)}")


if __name__ == "__main__":
    main()
