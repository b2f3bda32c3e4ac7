"""test_apigateway_basic: TestInvokeMethod on a Lambda integration, deployment
updates, a custom (TOKEN) authorizer on a method, MOCK integrations (from an
imported OpenAPI document, and answering with a path parameter by path- and
host-style URLs)."""

import re
from functools import partial
from itertools import count

from harness import functions as fn
from harness.case import ACCOUNT, REGION, body_of, case, lambda_uri, role_arn
from harness.inputs import read

from cases.test_apigateway_api import TEST_INVOKE_LOG

MODULE = "test_apigateway_basic"
port = partial(case, MODULE)
FUNCTIONS = [fn.NODE_STYLE_GREETING]


def invoke_log_formatter(replacements: list[tuple[str, str]]):
    """The tests' TestInvokeMethod formatter: the log as numbered lines, each
    response's request id written `<request-id-N>` (N counting answers), the
    volatile parts replaced as their regex transformers replace them."""
    numbers = count(1)

    def shape(response: dict) -> dict:
        if "log" not in response:
            return response
        text = response["log"]
        request_id = text.split("\n")[0].split(" ")[-1]
        if request_id:
            text = text.replace(request_id, f"<request-id-{next(numbers)}>")
        for pattern, repl in TEST_INVOKE_LOG + replacements:
            text = re.sub(pattern, repl, text)
        return dict(response, log={f"line{i:02d}": line for i, line in enumerate(text.split("\n"))})
    return shape


@port("TestAPIGateway::test_apigw_test_invoke_method_api",
      note="the Node.js function is a local Python function answering the same bytes; its role a made-up ARN")
def apigw_test_invoke_method_api(t):
    function = fn.NODE_STYLE_GREETING["name"]
    a = t.api(name=f"test-{t.uid()}")
    api = a["id"]
    shape = invoke_log_formatter([(re.escape(function), "<function-name>"),
                                  (re.escape(api), "<rest-api-id>")])
    resource = t.resource(api, a["rootResourceId"], "foo")
    ids = {"restApiId": api, "resourceId": resource, "httpMethod": "GET"}
    t.do("put_method", authorizationType="NONE", **ids)
    t.do("put_integration", integrationHttpMethod="POST", type="AWS", uri=lambda_uri(function),
         credentials=role_arn(f"apigw-invoke-{t.uid()}"), **ids)
    t.do("put_method_response", statusCode="200", **ids)
    t.do("put_integration_response", statusCode="200", selectionPattern="", **ids)
    t.deploy(api, "local")
    r = t.raw("test_invoke_method", pathWithQueryString="/foo", **ids)
    t.match("test_invoke_method_response", shape(r))
    r = t.raw("test_invoke_method", pathWithQueryString="/foo?queryTest=value", body='{"test": "val123"}',
              headers={"content-type": "application/json"}, **ids)
    t.match("test_invoke_method_response_with_body", shape(r))


@port("TestAPIGateway::test_update_rest_api_deployment",
      note="the HTTP integration's URL (httpbin.org) is configured, never called")
def update_rest_api_deployment(t):
    a = t.api(name="test_gateway5")
    ids = {"restApiId": a["id"], "resourceId": a["rootResourceId"], "httpMethod": "GET"}
    t.do("put_method", authorizationType="none", **ids)
    t.do("put_integration", type="HTTP", uri="http://httpbin.org/robots.txt", integrationHttpMethod="POST",
         **ids)
    t.do("put_integration_response", statusCode="200", selectionPattern="foobar", responseTemplates={}, **ids)
    dep = t.do("create_deployment", restApiId=a["id"], description="my deployment")["id"]
    t.call("after-update", "update_deployment", restApiId=a["id"], deploymentId=dep,
           patchOperations=[{"op": "replace", "path": "/description", "value": "new-description"}])


@port("TestAPIGateway::test_apigateway_with_custom_authorization_method",
      note="the authorizer function is never invoked: its ARN names no declared function")
def apigateway_with_custom_authorization_method(t):
    function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:apigw-int-{t.uid()}"
    a = t.api(name="test-api")
    t.match("api-id", {"api_id": a["id"]})
    # The test's URI holds a line continuation inside the literal: the
    # spaces before `2015-03-31` are part of what AWS accepted.
    uri = (f"arn:aws:apigateway:us-east-1:lambda:path/ {' ' * 16}"
           f"2015-03-31/functions/{function_arn}/invocations")
    authorizer = t.call("authorizer", "create_authorizer", restApiId=a["id"], name="lambda_authorizer",
                        type="TOKEN", authorizerUri=uri, identitySource="method.request.header.Auth")
    t.call("put-method-response", "put_method", restApiId=a["id"], resourceId=a["rootResourceId"],
           httpMethod="GET", authorizationType="CUSTOM", authorizerId=authorizer.get("id", "missing"),
           apiKeyRequired=True)


@port("TestAPIGateway::test_api_gateway_mock_integration")
def api_gateway_mock_integration(t):
    api = t.api(name=f"apigw-{t.uid()}")["id"]
    t.do("put_rest_api", restApiId=api, body=read("openapi-mock.json"), mode="overwrite")
    t.deploy(api, "test")
    t.match("mocked-response", body_of(t.invoke("GET", api, "test", "/echo/foobar")))


def mock_integration_response(passthrough, url_type, method):
    def run(t):
        a = t.api(name="mock-api")
        api = a["id"]
        resource = t.resource(api, a["rootResourceId"], "{id}")
        ids = {"restApiId": api, "resourceId": resource, "httpMethod": method}
        t.do("put_method", authorizationType="NONE", **ids)
        t.do("put_integration", type="MOCK", integrationHttpMethod=method, passthroughBehavior=passthrough,
             requestTemplates={"application/json": '{"statusCode":200}'}, **ids)
        t.do("put_method_response", statusCode="200", responseModels={"application/json": "Empty"}, **ids)
        t.do("put_integration_response", statusCode="200",
             responseTemplates={"application/json": '{"statusCode": 200, "id": $input.params().path.id}'},
             **ids)
        t.deploy(api, "test")
        headers = {"Content-Type": "application/json"}
        if url_type == "PATH_BASED":
            t.snap.last_op = "invoke"
            r = t.http.request(method, t.url(api, "test", "/42"), headers=headers, timeout=35)
        else:
            r = t.invoke(method, api, "test", "/42", headers=headers)
        t.match("mock-response", body_of(r))
    return run


for _pass in ("WHEN_NO_MATCH", "NEVER", "WHEN_NO_TEMPLATES"):
    for _url in ("PATH_BASED", "HOST_BASED"):
        for _method in ("GET", "POST"):
            port(f"TestIntegrations::test_mock_integration_response[{_pass}-UrlType.{_url}-{_method}]",
                 note="against AWS every URL was host-based; PATH_BASED uses apigw's path-style URL")(
                mock_integration_response(_pass, _url, _method))
