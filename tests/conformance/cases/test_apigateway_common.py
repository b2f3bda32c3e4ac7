"""test_apigateway_common: how management calls change what the data plane
does (validators with models, usage plans and keys, stages, deployments,
documentation versions, routing)."""

import json
from functools import partial

from harness import functions as fn
from harness.case import case, lambda_arn, lambda_uri, role_arn

MODULE = "test_apigateway_common"
port = partial(case, MODULE)
FUNCTIONS = [fn.PROXY_ECHO]
LOCAL = ("the function is a local function of the node (no Lambda API: its GetFunction and "
         "AddPermission calls are left out), its role a made-up ARN")


def patch(op, path, value=None):
    o = {"op": op, "path": path}
    if value is not None:
        o["value"] = value
    return o


def mock_with_200_template(t, api, resource, method, template: dict):
    """A MOCK method answering 200 with `template` as its JSON body."""
    ids = {"restApiId": api, "resourceId": resource, "httpMethod": method}
    t.do("put_method", authorizationType="NONE", **ids)
    t.do("put_method_response", statusCode="200", **ids)
    t.do("put_integration", type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'},
         **ids)
    t.do("put_integration_response", statusCode="200", selectionPattern="",
         responseTemplates={"application/json": json.dumps(template)}, **ids)


def body(r):
    try:
        return r.json()
    except ValueError:
        return r.text


def models_sorted(t, name, api):
    r = t.raw("get_models", restApiId=api)
    if "items" in r:
        r["items"] = sorted(r["items"], key=lambda i: i.get("name", ""))
    t.match(name, r)


def validated_mock_post(t, api, resource, validator, model):
    ids = {"restApiId": api, "resourceId": resource, "httpMethod": "POST"}
    t.do("put_method", authorizationType="NONE", requestValidatorId=validator,
         requestModels={"application/json": model}, **ids)
    t.do("put_method_response", statusCode="200", **ids)
    t.do("put_integration", type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'},
         **ids)
    t.do("put_integration_response", statusCode="200", selectionPattern="",
         responseTemplates={"application/json": json.dumps({"data": "ok"})}, **ids)


@port("TestApiGatewayCommon::test_api_gateway_request_validator_with_ref_models")
def request_validator_with_ref_models(t):
    a = t.with_root(t.do("create_rest_api", name="test ref models"))
    api = a["id"]
    resource = t.resource(api, a["rootResourceId"], "path")
    validator = t.do("create_request_validator", restApiId=api, name="test-validator",
                     validateRequestParameters=True, validateRequestBody=True)["id"]
    t.do("create_model", restApiId=api, name="testSchema", contentType="application/json",
         schema=json.dumps({"$schema": "http://json-schema.org/draft-04/schema#", "title": "testSchema",
                            "type": "object",
                            "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
                            "required": ["a", "b"]}))
    t.do("create_model", restApiId=api, name="testSchemaList", contentType="application/json",
         schema=json.dumps({"type": "array", "items": {
             "$ref": f"https://apigateway.amazonaws.com/restapis/{api}/models/testSchema"}}))
    models_sorted(t, "get-models-with-ref", api)
    validated_mock_post(t, api, resource, validator, "testSchemaList")
    t.do("create_deployment", restApiId=api, stageName="local")
    t.match("successful", body(t.invoke("POST", api, "local", "/path", json=[{"a": 1, "b": 2}])))
    t.match("failed-validation", body(t.invoke("POST", api, "local", "/path")))


@port("TestApiGatewayCommon::test_api_gateway_request_validator_with_ref_one_ofmodels")
def request_validator_with_ref_one_of_models(t):
    a = t.with_root(t.do("create_rest_api", name="test oneOf ref models"))
    api = a["id"]
    resource = t.resource(api, a["rootResourceId"], "path")
    validator = t.do("create_request_validator", restApiId=api, name="test-validator",
                     validateRequestParameters=True, validateRequestBody=True)["id"]
    t.do("create_model", restApiId=api, name="StatusModel", contentType="application/json",
         schema=json.dumps({"type": "object",
                            "properties": {"Status": {"type": "string"}, "Order": {"type": "integer"}},
                            "required": ["Status", "Order"]}))
    t.do("create_model", restApiId=api, name="TestModel", contentType="application/json",
         schema=json.dumps({"type": "object", "properties": {"status": {"oneOf": [
             {"type": "null"},
             {"$ref": f"https://apigateway.amazonaws.com/restapis/{api}/models/StatusModel"}]}},
             "required": ["status"]}))
    models_sorted(t, "get-models-with-ref", api)
    validated_mock_post(t, api, resource, validator, "TestModel")
    t.do("create_deployment", restApiId=api, stageName="local")
    t.match("successful", body(t.invoke("POST", api, "local", "/path", json={"status": None})))
    t.match("successful-with-data", body(t.invoke("POST", api, "local", "/path",
                                                  json={"status": {"Status": "works", "Order": 1}})))
    t.match("failed-validation-no-data", body(t.invoke("POST", api, "local", "/path")))
    t.match("failed-validation-bad-data", body(t.invoke("POST", api, "local", "/path",
                                                        json={"badFormat": "bla"})))


def redeploy(t, api: str, stage: str):
    """The tests' `apigw_redeploy_api`: a new deployment put on the stage."""
    dep = t.do("create_deployment", restApiId=api)["id"]
    t.do("update_stage", restApiId=api, stageName=stage,
         patchOperations=[patch("replace", "/deploymentId", dep)])


@port("TestApiGatewayCommon::test_api_gateway_request_validator", note=LOCAL)
def api_gateway_request_validator(t):
    name = fn.PROXY_ECHO["name"]
    t.match("register-lambda", {"fn_name": name, "fn_arn": lambda_arn(name)})
    a = t.with_root(t.do("create_rest_api", name="aws lambda api"))
    api = a["id"]
    nested = t.resource(api, a["rootResourceId"], "nested")
    resource = t.resource(api, nested, "{test}")
    validator = t.do("create_request_validator", restApiId=api, name="test-validator",
                     validateRequestParameters=True, validateRequestBody=True)["id"]
    t.do("create_model", restApiId=api, name="testSchema", contentType="application/json",
         schema=json.dumps({"$schema": "http://json-schema.org/draft-04/schema#", "title": "testSchema",
                            "type": "object",
                            "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
                            "required": ["a", "b"]}))
    for method in ("GET", "POST"):
        ids = {"restApiId": api, "resourceId": resource, "httpMethod": method}
        # The path parameter is there for SDK generation.
        t.do("put_method", authorizationType="NONE", requestValidatorId=validator,
             requestParameters={"method.request.path.test": True, "method.request.querystring.qs1": True,
                                "method.request.header.x-header-param": True},
             requestModels={"application/json": "testSchema"}, **ids)
        t.do("put_integration", integrationHttpMethod="POST", type="AWS_PROXY", uri=lambda_uri(name), **ids)
        t.do("put_method_response", statusCode="200", **ids)
        t.do("put_integration_response", statusCode="200", **ids)
    t.call("deploy-1", "create_deployment", restApiId=api, stageName="local")
    post = {"restApiId": api, "resourceId": resource, "httpMethod": "POST"}

    def invoke(method, **kwargs):
        return body(t.invoke(method, api, "local", "/nested/value", **kwargs))

    # Require a path part ({issuer}) the resource does not have.
    t.call("change-request-path-names", "update_method", patchOperations=[
        patch("add", "/requestParameters/method.request.path.issuer", "true"),
        patch("remove", "/requestParameters/method.request.path.test", "true")], **post)
    redeploy(t, api, "local")
    t.match("missing-all-required-request-params-post", invoke("POST", json={"test": "test"}))
    t.match("missing-required-headers-request-params-get", invoke("GET", params={"qs1": "test"}))
    t.match("missing-required-qs-request-params-get", invoke("GET", headers={"x-header-param": "test"}))
    t.call("revert-request-path-names", "update_method", patchOperations=[
        patch("add", "/requestParameters/method.request.path.test", "true"),
        patch("remove", "/requestParameters/method.request.path.issuer", "true")], **post)
    redeploy(t, api, "local")
    t.match("invalid-request-body", invoke("POST", json={"test": "test"}, headers={"x-header-param": "test"},
                                           params={"qs1": "test"}))
    t.call("disable-request-validator", "update_request_validator", restApiId=api,
           requestValidatorId=validator, patchOperations=[
               patch("replace", "/validateRequestBody", "false"),
               patch("replace", "/validateRequestParameters", "false")])


def headers_as_recorded(value):
    """The test's `date` and `content-length` transformers (no reference):
    the value becomes the key's name."""
    if isinstance(value, dict):
        return {k: (k if k in ("date", "content-length") else v) for k, v in value.items()}
    return value


@port("TestApiGatewayCommon::test_invocation_trace_id", note=LOCAL)
def invocation_trace_id(t):
    t.without_cloudfront()
    t.snap.transform(headers_as_recorded)
    a = t.with_root(t.do("create_rest_api", name="test trace id"))
    api = a["id"]
    path = t.resource(api, a["rootResourceId"], "path")
    mock_with_200_template(t, api, path, "GET", {"statusCode": 200})
    name = fn.PROXY_ECHO["name"]
    t.match("register-lambda", {"FunctionName": name, "FunctionArn": lambda_arn(name)})
    proxy = t.resource(api, a["rootResourceId"], "{proxy+}")
    ids = {"restApiId": api, "resourceId": proxy, "httpMethod": "ANY"}
    t.do("put_method", authorizationType="NONE", **ids)
    t.do("put_integration", type="AWS_PROXY", integrationHttpMethod="POST", uri=lambda_uri(name),
         credentials=role_arn(f"apigw-invoke-{t.uid()}"), **ids)
    t.do("create_deployment", restApiId=api, stageName="dev")
    full = "Root=1-3152b799-8954dae64eda91bc9a23a7e8;Parent=7fa8c0f79203be72;Sampled=1"
    root_only = "Root=1-3152b799-8954dae64eda91bc9a23a7e8"

    def headers(route, trace=None):
        r = t.invoke("GET", api, "dev", route, headers={"x-amzn-trace-id": trace} if trace else {})
        return {k.lower(): v for k, v in r.headers.items()}

    t.match("normal-req-headers-MOCK", headers("/path"))
    t.match("trace-id-req-headers-MOCK", headers("/path", full))
    t.match("normal-req-headers-AWS_PROXY", headers("/proxy-value"))
    t.match("trace-id-req-headers-AWS_PROXY", headers("/proxy-value", full))
    t.match("trace-id-small-req-headers-AWS_PROXY", headers("/proxy-value", root_only))


@port("TestApiGatewayCommon::test_input_path_template_formatting",
      note="the echo backend is a local HTTP server answering like httpbin's /post")
def input_path_template_formatting(t):
    a = t.api(name=f"api-{t.uid()}")
    api, root = a["id"], a["rootResourceId"]
    echo = t.echo(style="httpbin")
    invalid_tail = ('{"body": $result, "nested": $result.nested, "isNull": #if( $result == $null )"true"'
                    '#else"false"#end, "isEmptyString": #if( $result == "" )"true"#else"false"#end}')
    routes = {
        "path": '#set($result = $input.path("$.json"))$result',
        "nested": '#set($result = $input.path("$.json"))$result.nested',
        "list": '#set($result = $input.path("$.json"))$result[0]',
        "to-string": '#set($result = $input.path("$.json"))$result.toString()',
        "invalid-path": '#set($result = $input.path("$.nonExisting"))' + invalid_tail,
        "nested-list": '#set($result = $input.path("$.json.listValue"))' + invalid_tail,
    }
    for path, template in routes.items():
        resource = t.resource(api, root, path)
        ids = {"restApiId": api, "resourceId": resource, "httpMethod": "POST"}
        t.do("put_method", authorizationType="NONE", apiKeyRequired=False, **ids)
        t.do("put_method_response", statusCode="200", **ids)
        t.do("put_integration", integrationHttpMethod="POST", type="HTTP", uri=f"{echo.url}/post", **ids)
        t.do("put_integration_response", statusCode="200", selectionPattern="",
             responseTemplates={"application/json": template}, **ids)
    t.do("create_deployment", restApiId=api, stageName="dev")
    for name, path, payload in [
        ("dict-response", "/path", {"foo": "bar"}),
        ("json-list", "/path", [{"foo": "bar"}]),
        ("nested-dict", "/nested", {"nested": {"foo": "bar"}}),
        ("nested-list", "/nested", {"nested": [{"foo": "bar"}]}),
        ("dict-in-list", "/list", [{"foo": "bar"}]),
        ("list-with-nested-list", "/list", [[{"foo": "bar"}]]),
        ("dict-with-nested-list", "/path", {"foo": [{"nested": "bar"}]}),
        ("bigger-dict", "/path", {"bigger": "dict", "to": "test", "with": "separators"}),
        ("to-string", "/to-string", {"foo": "bar"}),
        ("list-to-string", "/to-string", {"list": [{"foo": "bar"}]}),
        ("empty-body", "/invalid-path", None),
        ("nested-empty-list", "/nested-list", {"listValue": []}),
        ("nested-null-list", "/nested-list", {"listValue": None}),
    ]:
        kwargs = {} if payload is None and name == "empty-body" else {"json": payload}
        t.match(name, t.invoke("POST", api, "dev", path, **kwargs).text)


@port("TestApiGatewayCommon::test_input_body_formatting",
      note="the echo backend is a local HTTP server answering with the body it got, "
           "as the recorded Lambda function URL did")
def input_body_formatting(t):
    a = t.api(name=f"api-{t.uid()}")
    api, root = a["id"], a["rootResourceId"]
    echo = t.echo(style="body")
    raw_body = "#set($result = $input.body)$result"
    body_in_str = "Action=SendMessage&MessageBody=$input.body"
    attr = "#set($result = $input.body.testAccess)$result"
    url_encode = ("EncodedBody=$util.urlEncode($input.body)&EncodedBodyAccess="
                  "$util.urlEncode($input.body.testAccess)")
    routes = {"raw-body": (raw_body, raw_body), "str-body-input": (body_in_str, raw_body),
              "str-body-output": (raw_body, body_in_str), "str-body-all": (body_in_str, body_in_str),
              "body-attr-access": (attr, raw_body), "url-encode": (url_encode, raw_body)}
    for path, (request_t, response_t) in routes.items():
        resource = t.resource(api, root, path)
        ids = {"restApiId": api, "resourceId": resource, "httpMethod": "POST"}
        t.do("put_method", authorizationType="NONE", apiKeyRequired=False, **ids)
        t.do("put_method_response", statusCode="200", **ids)
        t.do("put_integration", integrationHttpMethod="POST", type="HTTP", uri=f"{echo.url}/",
             requestTemplates={"application/json": request_t}, **ids)
        t.do("put_integration_response", statusCode="200", selectionPattern="",
             responseTemplates={"application/json": response_t}, **ids)
    t.do("create_deployment", restApiId=api, stageName="dev")
    for path in routes:
        json_ct = {"Content-Type": "application/json"}
        empty = t.invoke("POST", api, "dev", f"/{path}", headers=json_ct)
        as_json = t.invoke("POST", api, "dev", f"/{path}", json={"some": "value"})
        raw = t.invoke("POST", api, "dev", f"/{path}", data=b"some raw data", headers=json_ct)
        # The test recorded `response.content`: bytes, written as their repr.
        t.match(f"response-{path}", {"empty-body": str(empty.content), "json-body": str(as_json.content),
                                     "str-body": str(raw.content)})


@port("TestUsagePlans::test_api_key_required_for_methods")
def api_key_required_for_methods(t):
    a = t.with_root(t.do("create_rest_api", name="test API key", apiKeySource="HEADER"))
    api = a["id"]
    resource = t.resource(api, a["rootResourceId"], "test")
    ids = {"restApiId": api, "resourceId": resource, "httpMethod": "GET"}
    t.do("put_method", authorizationType="NONE", apiKeyRequired=True, **ids)
    t.do("put_method_response", statusCode="200", **ids)
    t.do("put_integration", integrationHttpMethod="GET", type="MOCK",
         requestTemplates={"application/json": '{"statusCode": 200}'}, **ids)
    t.do("put_integration_response", statusCode="200", selectionPattern="", **ids)
    t.do("create_deployment", restApiId=api, stageName="dev")
    plan = t.call("create-usage-plan", "create_usage_plan", name=f"test-plan-{t.uid()}",
                  description="Test Usage Plan for API key",
                  quota={"limit": 10, "period": "DAY", "offset": 0},
                  throttle={"rateLimit": 2, "burstLimit": 1},
                  apiStages=[{"apiId": api, "stage": "dev"}], tags={"tag_key": "tag_value"})
    key = t.call("create-api-key", "create_api_key", name=f"testApiKey-{t.uid()}", enabled=True)
    t.call("create-usage-plan-key", "create_usage_plan_key", usagePlanId=plan.get("id", "missing"),
           keyId=key.get("id", "missing"), keyType="API_KEY")
    t.call("update-api-key-disabled", "update_api_key", apiKey=key.get("id", "missing"),
           patchOperations=[patch("replace", "/enabled", "false")])


@port("TestUsagePlans::test_usage_plan_crud",
      note="the HTTP backend is a local echo server")
def usage_plan_crud(t):
    a = t.api(description="this is my api")
    api = a["id"]
    echo = t.echo(style="httpbin")
    ids = {"restApiId": api, "resourceId": a["rootResourceId"], "httpMethod": "GET"}
    t.do("put_method", authorizationType="none", **ids)
    t.do("put_integration", integrationHttpMethod="POST", type="HTTP", uri=f"{echo.url}/post", **ids)
    dep = t.do("create_deployment", restApiId=api)["id"]
    t.do("create_stage", restApiId=api, stageName="dev", deploymentId=dep)
    plan = t.call("create-usage-plan", "create_usage_plan", name=f"test-usage-plan-{t.uid()}",
                  description="this is my usage plan", apiStages=[{"apiId": api, "stage": "dev"}])
    pid = plan.get("id", "missing")
    t.call("get-usage-plan", "get_usage_plan", usagePlanId=pid)
    t.call("get-usage-plans", "get_usage_plans")
    t.call("update-usage-plan", "update_usage_plan", usagePlanId=pid, patchOperations=[
        patch("replace", "/throttle/burstLimit", "100"), patch("replace", "/throttle/rateLimit", "200"),
        patch("replace", "/quota/period", "MONTH"), patch("replace", "/quota/limit", "5000")])
    t.call("update-wrong-id", "update_usage_plan", usagePlanId=pid + "1", patchOperations=[
        patch("replace", "/throttle/burstLimit", "100"), patch("replace", "/throttle/rateLimit", "200")])
    for name, value in [("update-wrong-api-stages-no-value", None),
                        ("update-wrong-api-stages-wrong-api", f"{api}b:dev"),
                        ("update-wrong-api-stages-wrong-stage", f"{api}:fakestagename"),
                        ("update-wrong-api-stages-wrong-value", "fakevalue")]:
        t.call(name, "update_usage_plan", usagePlanId=pid,
               patchOperations=[patch("remove", "/apiStages", value)])
    t.call("get-usage-plan-after-update", "get_usage_plan", usagePlanId=pid)
    t.call("get-usage-plans-after-update", "get_usage_plans")


@port("TestDocumentations::test_documentation_parts_and_versions")
def documentation_parts_and_versions(t):
    api = t.api(name=f"api-{t.uid()}")["id"]
    t.call("create-part-response", "create_documentation_part", restApiId=api,
           location={"type": "API"}, properties=json.dumps({"foo": "bar"}))
    t.call("get-parts-response", "get_documentation_parts", restApiId=api)
    t.call("create-version-response", "create_documentation_version", restApiId=api,
           documentationVersion="v123")
    t.call("update-version-response", "update_documentation_version", restApiId=api,
           documentationVersion="v123",
           patchOperations=[patch("replace", "/description", "doc version new")])
    t.call("get-version-response", "get_documentation_version", restApiId=api,
           documentationVersion="v123")


def api_with_stage(t) -> str:
    a = t.api(name=f"api-{t.uid()}")
    api = a["id"]
    ids = {"restApiId": api, "resourceId": a["rootResourceId"], "httpMethod": "GET"}
    t.do("put_method", authorizationType="NONE", **ids)
    t.do("put_integration", type="MOCK", **ids)
    dep = t.do("create_deployment", restApiId=api)["id"]
    t.raw("create_documentation_part", restApiId=api, location={"type": "API"},
          properties=json.dumps({"foo": "bar"}))
    t.raw("create_documentation_version", restApiId=api, documentationVersion="v123")
    t.call("create-stage", "create_stage", restApiId=api, stageName="s1", deploymentId=dep,
           description="my stage", documentationVersion="v123")
    return api


@port("TestStages::test_create_update_stages")
def create_update_stages(t):
    api = api_with_stage(t)
    s1 = {"restApiId": api, "stageName": "s1"}
    t.call("error-update-doc-version", "update_stage",
           patchOperations=[patch("replace", "/documentation_version", "123")], **s1)
    t.call("error-update-tags", "update_stage",
           patchOperations=[patch("replace", "/tags/tag1", "value1")], **s1)
    t.call("update-stage", "update_stage", patchOperations=[
        patch("replace", "/description", "stage new"),
        patch("replace", "/variables/var1", "test"),
        patch("replace", "/variables/var2", "test2"),
        patch("replace", "/*/*/throttling/burstLimit", "123"),
        patch("replace", "/*/*/caching/enabled", "true"),
        patch("replace", "/tracingEnabled", "true"),
        patch("replace", "/test/GET/throttling/burstLimit", "124"),
    ], **s1)
    t.call("get-stage", "get_stage", **s1)
    t.call("update-stage-override", "update_stage",
           patchOperations=[patch("replace", "/*/*/throttling/burstLimit", "100")], **s1)


@port("TestStages::test_update_stage_remove_wildcard")
def update_stage_remove_wildcard(t):
    api = api_with_stage(t)
    s1 = {"restApiId": api, "stageName": "s1"}
    t.call("get-stage", "get_stage", **s1)
    t.call("delete-error", "update_stage", patchOperations=[patch("remove", "/*/*")], **s1)
    t.call("update-stage", "update_stage",
           patchOperations=[patch("replace", "/*/*/caching/enabled", "true")], **s1)
    t.call("update-stage-reset", "update_stage", patchOperations=[patch("remove", "/*/*")], **s1)
    t.call("get-stage-after-reset", "get_stage", **s1)


def mock_api(t):
    a = t.api(name=f"api-{t.uid()}")
    ids = {"restApiId": a["id"], "resourceId": a["rootResourceId"], "httpMethod": "GET"}
    t.do("put_method", authorizationType="NONE", **ids)
    t.do("put_integration", type="MOCK", **ids)
    return a["id"]


def create_delete_deployments(manual_stage):
    def run(t):
        api = mock_api(t)
        kwargs = {} if manual_stage else {"stageName": "s1"}

        def deploy():
            dep = t.do("create_deployment", restApiId=api, **kwargs)["id"]
            if manual_stage:
                t.do("create_stage", restApiId=api, stageName="s1", deploymentId=dep)
            return dep

        dep = deploy()
        t.call("get-deployment", "get_deployment", restApiId=api, deploymentId=dep)
        t.call("get-stages", "get_stages", restApiId=api)
        for i in range(3):
            t.call(f"delete-deployment-error-{i}", "delete_deployment", restApiId=api, deploymentId=dep)
            t.do("delete_stage", restApiId=api, stageName="s1")
            t.do("delete_deployment", restApiId=api, deploymentId=dep)
            dep = deploy()
            t.call(f"get-deployments-{i}", "get_deployments", restApiId=api)
            t.call(f"get-stages-{i}", "get_stages", restApiId=api)
    return run


for _manual in (True, False):
    port(f"TestDeployments::test_create_delete_deployments[{_manual}]")(create_delete_deployments(_manual))


@port("TestDeployments::test_create_update_deployments")
def create_update_deployments(t):
    api = mock_api(t)
    d1 = t.do("create_deployment", restApiId=api)["id"]
    t.do("create_stage", restApiId=api, stageName="s1", deploymentId=d1)
    t.call("get-deployment-1", "get_deployment", restApiId=api, deploymentId=d1)
    t.call("get-stages", "get_stages", restApiId=api)
    t.call("delete-deployment-error", "delete_deployment", restApiId=api, deploymentId=d1)
    d2 = t.do("create_deployment", restApiId=api, stageName="s1")["id"]
    t.call("get-deployment-1-after-update", "get_deployment", restApiId=api, deploymentId=d1)
    t.call("get-deployment-2", "get_deployment", restApiId=api, deploymentId=d2)
    t.call("get-stages-after-update", "get_stages", restApiId=api)
    t.call("delete-deployment-1", "delete_deployment", restApiId=api, deploymentId=d1)
    t.call("delete-deployment-2-error", "delete_deployment", restApiId=api, deploymentId=d2)


@port("TestApigatewayRouting::test_routing_not_found")
def routing_not_found(t):
    a = t.api(name=f"test-notfound-{t.uid()}")
    api = a["id"]
    resource = t.resource(api, a["rootResourceId"], "existing")
    mock_with_200_template(t, api, resource, "GET", {"statusCode": 200, "message": "exists"})
    t.do("create_deployment", restApiId=api, stageName="dev")
    t.match("working-route", body(t.invoke("GET", api, "dev", "/existing")))
    for name, method, path in [("not-found", "GET", "/random-non-existing"),
                               ("wrong-method", "POST", "/existing")]:
        r = t.invoke(method, api, "dev", path)
        t.match(name, {"content": body(r), "errorType": r.headers.get("x-amzn-ErrorType")})
