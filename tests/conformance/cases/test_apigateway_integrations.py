"""test_apigateway_integrations: PutIntegration / PutIntegrationResponse
shapes and validation, which request and response headers API Gateway
passes, maps, remaps or refuses (HTTP, HTTP_PROXY, AWS, AWS_PROXY), and MOCK
integrations driven by request/response overrides in templates.

HTTP backends are local echo servers (httpbin's /post shape, or the Lambda
function URL echo); Lambda backends are local functions of the node."""

import base64
import json
import textwrap
from functools import partial

import requests

from harness import functions as fn
from harness.case import ACCOUNT, REGION, body_of, case, lambda_uri, not_applicable, role_arn

MODULE = "test_apigateway_integrations"
port = partial(case, MODULE)
FUNCTIONS = [fn.PROXY_ECHO]

not_applicable(MODULE, "test_create_execute_api_vpc_endpoint",
               "needs EC2 (a VPC endpoint for execute-api, reached from a Lambda in the VPC) and a "
               "DynamoDB table behind the API; apigw has neither")


@port("test_put_integration_responses", note="the httpbin backend is a local echo server")
def put_integration_responses(t):
    echo = t.echo(style="httpbin")
    a = t.api(name="my_api", description="this is my api")
    api = a["id"]
    get = {"restApiId": api, "resourceId": a["rootResourceId"], "httpMethod": "GET"}
    t.call("put-method-get", "put_method", authorizationType="NONE", **get)
    t.call("put-method-response-get", "put_method_response", statusCode="200", **get)
    t.call("put-integration-get", "put_integration", type="HTTP", uri=f"{echo.url}/post",
           integrationHttpMethod="POST", **get)
    t.call("put-integration-response-get", "put_integration_response", statusCode="200",
           selectionPattern="2\\d{2}", responseTemplates={}, **get)
    t.call("get-integration-response-get", "get_integration_response", statusCode="200", **get)
    t.call("get-method-get", "get_method", **get)
    t.call("deploy", "create_deployment", restApiId=api, stageName="local")
    t.invoke("GET", api, "local", "/")
    t.call("delete-integration-response-get", "delete_integration_response", statusCode="200", **get)
    t.call("get-method-get-after-int-resp-delete", "get_method", **get)
    put = dict(get, httpMethod="PUT")
    t.call("put-method-put", "put_method", authorizationType="none", **put)
    t.call("put-method-response-put", "put_method_response", statusCode="200", **put)
    t.call("put-integration-put", "put_integration", type="HTTP", uri=f"{echo.url}/post",
           integrationHttpMethod="POST", **put)
    t.call("put-integration-response-put", "put_integration_response", statusCode="200",
           selectionPattern="2\\d{2}", contentHandling="CONVERT_TO_BINARY", **put)
    t.call("get-integration-response-put", "get_integration_response", statusCode="200", **put)


@port("test_put_integration_response_with_response_template",
      note="the Lambda function URL echo is a local echo server")
def put_integration_response_with_response_template(t):
    echo = t.echo(trim_x_headers=True)
    a = t.api(name="test-apigw")
    ids = {"restApiId": a["id"], "resourceId": a["rootResourceId"], "httpMethod": "GET"}
    t.do("put_method", authorizationType="NONE", **ids)
    t.do("put_method_response", statusCode="200", **ids)
    t.do("put_integration", type="HTTP", uri=f"{echo.url}/", integrationHttpMethod="POST", **ids)
    t.do("put_integration_response", statusCode="200", selectionPattern="foobar",
         responseTemplates={"application/json": json.dumps({"data": "test"})}, **ids)
    t.call("get-integration-response", "get_integration_response", statusCode="200", **ids)


@port("test_put_integration_validation")
def put_integration_validation(t):
    a = t.api(name="test-apigw")
    ids = {"restApiId": a["id"], "resourceId": a["rootResourceId"], "httpMethod": "GET"}
    t.do("put_method", authorizationType="NONE", **ids)
    t.do("put_method_response", statusCode="200", **ids)
    role = f"arn:aws:iam::{ACCOUNT}:role/service-role/testfunction-role-oe783psq"
    s3 = f"arn:aws:apigateway:{REGION}:s3:path/b/k"
    function = (f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/"
                f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:MyLambda/invocations")
    for kind in ("HTTP", "HTTP_PROXY", "AWS"):
        t.call(f"required-integration-method-{kind}", "put_integration", type=kind,
               uri="http://example.com", **ids)
    t.call("not-required-integration-method-MOCK", "put_integration", type="MOCK",
           uri="http://example.com", **ids)
    for kind in ("HTTP", "HTTP_PROXY"):
        t.call(f"http-method-{kind}", "put_integration", type=kind, uri="http://example.com",
               integrationHttpMethod="POST", **ids)
    t.call("aws-integration-AWS", "put_integration", credentials=role, type="AWS", uri=s3,
           integrationHttpMethod="POST", **ids)
    for kind in ("AWS", "AWS_PROXY"):
        # No credentials needed to invoke a Lambda function.
        t.call(f"aws-integration-type-{kind}", "put_integration", type=kind, uri=function,
               integrationHttpMethod="POST", **ids)
    t.call("no-s3-support-AWS_PROXY", "put_integration", credentials=role, type="AWS_PROXY", uri=s3,
           integrationHttpMethod="POST", **ids)
    for kind in ("HTTP", "HTTP_PROXY"):
        t.call(f"invalid-uri-{kind}", "put_integration", type=kind, uri="non-valid-http",
               integrationHttpMethod="POST", **ids)
    t.call("invalid-uri-not-an-arn", "put_integration", type="AWS", uri="non-valid-arn",
           integrationHttpMethod="POST", **ids)
    t.call("invalid-uri-invalid-arn", "put_integration", type="AWS",
           uri="arn:aws:iam::0000000000:role/service-role/asdf", integrationHttpMethod="POST", **ids)


# --- header remapping ---------------------------------------------------------

# Mapped from constants into the integration request: passed on by AWS...
PASSED = {
    "Accept": "'text/html'", "Accept-Charset": "'UTF-16'", "Accept-Encoding": "'zstd'",
    "Age": "'request_params_age'", "Authorization": "'request_params_authorization'",
    "Content-Encoding": "'compress'", "Content-Length": "'0'", "Content-MD5": "'request_params_Content-MD5'",
    "Content-Type": "'application/json'", "Date": "'request_params_Date'", "Expect": "'200-ok'",
    "Host": "method.request.header.Host", "Max-Forwards": "'2'", "Pragma": "'no-cache'",
    "Range": "'bytes=0-499'", "Referer": "'https://example.com/page'", "Server": "'https://example.com/page'",
    "Trailer": "'user-agent'", "Transfer-Encoding": "'deflate'", "Upgrade": "'HTTP/2.0'",
    "User-Agent": "'Override-Agent'", "Warn": "'110 anderson/1.3.37 \"Response is stale\"'",
    "WWW-Authenticate": "'Basic YWxhZGRpbjpvcGVuc2VzYW1l'",
}
# ...and dropped on the way to the backend.
DROPPED = {
    "Connection": "'keep-alive'", "Proxy-Authenticate": "'Basic realm=\"Access to the internal site\"'",
    "TE": "'gzip'", "Via": "'othersite.net'",
}
HEADERS = ["Accept", "Accept-Charset", "Accept-Encoding", "Age", "Authorization", "Connection",
           "Content-Encoding", "Content-Length", "Content-MD5", "Content-Type", "Date", "Expect", "Host",
           "Max-Forwards", "Pragma", "Proxy-Authenticate", "Range", "Referer", "Server", "TE",
           "Transfer-Encoding", "Trailer", "Upgrade", "User-Agent", "Via", "Warn", "WWW-Authenticate"]
# What the client sends with every call.
CLIENT_HEADERS = {
    "Accept": "application/json", "Accept-Charset": "UTF-8", "Accept-Encoding": "br", "Age": "request_Age",
    "Authorization": "Unauthorized", "Connection": "close", "Content-Encoding": "deflate",
    "Content-MD5": "request_Content-MD5", "Content-Type": "application/json", "Date": "request_Date",
    "Expect": "100-continue", "Max-Forwards": "2", "Pragma": "cache", "Proxy-Authenticate": "Basic",
    "Range": "bytes=500-999", "Referer": "https://example.com/", "Server": "https://example.com/",
    "TE": "deflate", "Trailer": "Expires", "Transfer-Encoding": "chunked", "Upgrade": "HTTP/2.0",
    "User-Agent": "localStack/0.0", "Via": "p.example.net", "Warn": "299 localStack/0.0",
    "WWW-Authenticate": "Basic YWxhZGRpbjpvcGVuc2VzYW1l",
}
# The tests' apigateway_invocation_headers transformers without reference.
NO_REFERENCE = {"Date": "<Date>", "x-amz-apigw-id": "<x-amz-apigw-id>",
                "x-amzn-Remapped-Date": "<x-amzn-Remapped-Date>", "X-Amzn-Trace-Id": "<X-Amzn-Trace-Id>",
                "X-Forwarded-Port": "<X-Forwarded-Port>", "X-Forwarded-Proto": "<X-Forwarded-Proto>"}
LENGTH_REASON = "lengths that depend on the backend's body and host name are compared for presence only"


def header_remapping_api(t, kind: str, uri: str, role: str, special: list[tuple[str, str]]) -> str:
    """The tests' `create_apigateway_with_header_remapping`: a REGIONAL API
    (no CloudFront in front) with a `no-param` resource, a `full` one mapping
    every header, and one per special case mapping that header alone."""
    mapping = {f"integration.request.header.{h}": v for h, v in {**PASSED, **DROPPED}.items()}
    a = t.api(name=f"api-{t.uid()}", endpointConfiguration={"types": ["REGIONAL"]})
    api, root = a["id"], a["rootResourceId"]
    no_param = t.resource(api, root, "no-param")
    full = t.resource(api, root, "full")
    cases = []
    for path, header in special:
        parameter = f"integration.request.header.{header}"
        cases.append((t.resource(api, root, path), parameter, mapping.pop(parameter, "''")))
    for resource in [no_param, full] + [c[0] for c in cases]:
        ids = {"restApiId": api, "resourceId": resource, "httpMethod": "GET"}
        t.do("put_method", authorizationType="NONE",
             requestParameters={f"method.request.header.{h}": False for h in HEADERS}, **ids)
        t.do("put_method_response", statusCode="200",
             responseParameters={f"method.response.header.{h}": True for h in HEADERS}, **ids)
    integration = {"type": kind, "uri": uri, "integrationHttpMethod": "POST", "credentials": role}
    ids = {"restApiId": api, "httpMethod": "GET"}
    t.do("put_integration", resourceId=no_param, **integration, **ids)
    t.do("put_integration_response", resourceId=no_param, statusCode="200", **ids)
    template = "{" + ",".join(f'"{h}": "$input.params(\'{h}\')"' for h in HEADERS) + "}"
    t.do("put_integration", resourceId=full, requestParameters=mapping,
         requestTemplates={"application/json": template}, **integration, **ids)
    t.do("put_integration_response", resourceId=full, statusCode="200",
         responseParameters={f"method.response.header.{h}": f"'response_param_{h}'" for h in HEADERS}, **ids)
    for resource, parameter, value in cases:
        t.do("put_integration", resourceId=resource, requestParameters={parameter: value},
             **integration, **ids)
        t.do("put_integration_response", resourceId=resource, statusCode="200", **ids)
    t.deploy(api, "test")
    return api


class NoAnswer:
    """What a call the node closed without answering is matched as (so the
    later calls of the test are still made)."""
    status_code = None
    headers: dict = {}

    def __init__(self, error: Exception):
        self.text = f"the node closed the connection without a response ({type(error).__name__})"

    def json(self):
        raise ValueError(self.text)


def remapping_invoke(t, api: str, path: str):
    try:
        return t.invoke("GET", api, "test", f"/{path}", headers=CLIENT_HEADERS)
    except requests.ConnectionError as e:
        return NoAnswer(e)


def header_remapping_http(kind):
    def run(t):
        t.snap.replace_values(NO_REFERENCE)
        echo = t.echo(style="httpbin")
        api = header_remapping_api(t, kind, f"{echo.url}/post", "",
                                   [("content-length", "Content-Length"),
                                    ("transfer-encoding", "Transfer-Encoding")])
        t.match("apigw-id", api)
        lengths = ("*.response-headers.content-length", "*.response-headers.x-amzn-remapped-content-length",
                   ".headers.content-length")
        for name, path in [("no-param-integration", "no-param"), ("full-integration", "full")]:
            r = remapping_invoke(t, api, path)
            if isinstance(r, NoAnswer):
                t.match(name, {"no-response": r.text})
                continue
            got = body_of(r)
            got = got if isinstance(got, dict) else {}
            t.match(name, {"headers": got.get("headers"), "body": got.get("data"),
                           "response-headers": dict(r.headers)},
                    unchecked=lengths[:2] if name == "no-param-integration" else lengths,
                    reason=LENGTH_REASON)
        for path in ("content-length", "transfer-encoding"):
            r = remapping_invoke(t, api, path)
            t.match(path, {"response-headers": dict(r.headers), "body": r.text})
    return run


def header_remapping_aws(kind):
    def run(t):
        t.snap.replace_values(NO_REFERENCE)
        special = [("content-length", "Content-Length"), ("transfer-encoding", "Transfer-Encoding"),
                   ("authorization", "Authorization"), ("connection", "Connection"), ("expect", "Expect"),
                   ("proxy-authenticate", "Proxy-Authenticate"), ("te", "TE")]
        api = header_remapping_api(t, kind, lambda_uri(fn.PROXY_ECHO["name"]),
                                   role_arn(f"apigw-invoke-{t.uid()}"), special)
        t.match("apigw-id", api)
        for name, path in [("no-param-integration", "no-param"), ("full-integration", "full")]:
            r = remapping_invoke(t, api, path)
            if isinstance(r, NoAnswer):
                t.match(name, {"no-response": r.text})
                continue
            got = body_of(r)
            got = got if isinstance(got, dict) else {}
            depends = not (kind == "AWS" and name == "no-param-integration")
            t.match(name, {"headers": got.get("headers"), "body": got.get("body"),
                           "response-headers": dict(r.headers)},
                    unchecked=("*.response-headers.content-length",) if depends else (),
                    reason=LENGTH_REASON if depends else "")
        for path, _ in special:
            r = remapping_invoke(t, api, path)
            t.match(path, {"response-headers": dict(r.headers), "body": r.text})
    return run


for _kind in ("HTTP", "HTTP_PROXY"):
    port(f"TestApiGatewayHeaderRemapping::test_apigateway_header_remapping_http[{_kind}]",
         note="the httpbin backend is a local echo server in httpbin's shape")(header_remapping_http(_kind))
for _kind in ("AWS", "AWS_PROXY"):
    port(f"TestApiGatewayHeaderRemapping::test_apigateway_header_remapping_aws[{_kind}]",
         note="the function is a local function of the node, its role a made-up ARN")(
        header_remapping_aws(_kind))


# --- MOCK integrations with overrides -----------------------------------------


def mock_api(t, part: str | None = None):
    a = t.api(name=f"test-api-{t.uid()}", description="this is my api")
    resource = t.resource(a["id"], a["rootResourceId"], part) if part else a["rootResourceId"]
    return a["id"], resource


@port("test_integration_mock_with_path_param")
def integration_mock_with_path_param(t):
    api, resource = mock_api(t, "{testPath}")
    ids = {"restApiId": api, "resourceId": resource, "httpMethod": "GET"}
    t.do("put_method", authorizationType="none", requestParameters={"method.request.path.testPath": True},
         **ids)
    t.do("put_method_response", statusCode="200", **ids)
    # A MOCK needs no URI; AWS keeps integration path parameters anyway. The
    # template is not JSON (a CDK CORS construct writes it so) and AWS accepts it.
    t.call("integration", "put_integration", integrationHttpMethod="POST", type="MOCK",
           requestParameters={"integration.request.path.integrationPath": "method.request.path.testPath"},
           requestTemplates={"application/json": "{statusCode: 200}"}, **ids)
    t.do("put_integration_response", statusCode="200", selectionPattern="2\\d{2}", responseTemplates={},
         **ids)
    t.deploy(api, "dev")


@port("test_integration_mock_with_request_overrides_in_response_template")
def integration_mock_with_request_overrides_in_response_template(t):
    api, resource = mock_api(t, "{testPath}")
    ids = {"restApiId": api, "resourceId": resource, "httpMethod": "GET"}
    t.do("put_method", authorizationType="NONE", requestParameters={"method.request.path.testPath": True},
         **ids)
    t.do("put_method_response", statusCode="200", **ids)
    # The request override carries the decoded path from the request template
    # to the response template (MOCK integrations never use the path).
    # (The test's template keeps the indentation of all but its first line.)
    request_template = ("#set($body = $util.base64Decode($input.params('testPath')))\n"
                        "    #set($context.requestOverride.path.body = $body)\n"
                        "    {\n      \"statusCode\": 200\n    }\n")
    response_template = textwrap.dedent("""
        #set($body = $util.parseJson($context.requestOverride.path.body))
        #set($inputBody = $body.message)
        #if($inputBody == "path1")
        {
           "response": "path was path one"
        }
        #elseif($inputBody == "path2")
        {
           "response": "path was path two"
        }
        #else
        {
          "response": "this is the else clause"
        }
        #end
        """)
    t.do("put_integration", integrationHttpMethod="POST", type="MOCK", requestParameters={},
         requestTemplates={"application/json": request_template}, **ids)
    t.do("put_integration_response", statusCode="200", selectionPattern="2\\d{2}",
         responseTemplates={"application/json": response_template}, **ids)
    t.deploy(api, "dev")
    for name, message in [("invoke-path1", "path1"), ("invoke-path2", "path2"),
                          ("invoke-path-else", "whatever")]:
        encoded = base64.b64encode(json.dumps({"message": message}).encode()).decode()
        t.match(name, body_of(t.invoke("GET", api, "dev", f"/{encoded}")))


def integration_mock_with_response_override(with_template: bool):
    def run(t):
        api, root = mock_api(t)
        ids = {"restApiId": api, "resourceId": root, "httpMethod": "GET"}
        t.do("put_method", authorizationType="NONE", **ids)
        t.do("put_method_response", statusCode="200", **ids)
        request_template = textwrap.dedent("""
            #set($context.responseOverride.status = 444)
            #set($context.responseOverride.header.foo = "bar")
            #set($context.responseOverride.custom = "is also passed around")
            {
              "statusCode": 200
            }
            """)
        response_template = textwrap.dedent("""
            #set($statusOverride = $context.responseOverride.status)
            #set($fooHeader = $context.responseOverride.header.foo)
            #set($custom = $context.responseOverride.custom)
            {
                "statusOverride": "$statusOverride",
                "fooHeader": "$fooHeader",
                "custom": "$custom"
            }
            """)
        t.do("put_integration", integrationHttpMethod="POST", type="MOCK", requestParameters={},
             requestTemplates={"application/json": request_template}, **ids)
        t.do("put_integration_response", statusCode="200", selectionPattern="2\\d{2}",
             responseTemplates={"application/json": response_template} if with_template else {}, **ids)
        t.deploy(api, "dev")
        r = t.invoke("GET", api, "dev", "")
        # The test recorded `response.content` (bytes, as their repr) when
        # there was no response template.
        t.match("response", {"body": body_of(r) if with_template else str(r.content),
                             "status_code": r.status_code})
    return run


for _with in (True, False):
    port(f"test_integration_mock_with_response_override_in_request_template[{_with}]")(
        integration_mock_with_response_override(_with))


@port("test_integration_mock_with_vtl_map_assignation")
def integration_mock_with_vtl_map_assignation(t):
    api, root = mock_api(t)
    ids = {"restApiId": api, "resourceId": root, "httpMethod": "GET"}
    t.do("put_method", authorizationType="NONE", **ids)
    t.do("put_method_response", statusCode="200", **ids)
    request_template = textwrap.dedent("""
        #set($paramName = "foo")
        #set($context.requestOverride.querystring[$paramName] = "bar")
        #set($paramPutName = "putfoo")
        $context.requestOverride.querystring.put($paramPutName, "putBar")
        #set($context["requestOverride"].querystring["nestedfoo"] = "nestedFoo")
        {
          "statusCode": 200
        }
        """)
    response_template = textwrap.dedent("""
        #set($value = $context.requestOverride.querystring["foo"])
        #set($value2 = $context.requestOverride.querystring["putfoo"])
        #set($value3 = $context.requestOverride.querystring["nestedfoo"])
        {
            "value": "$value",
            "value2": "$value2",
            "value3": "$value3"
        }
        """)
    t.do("put_integration", integrationHttpMethod="POST", type="MOCK", requestParameters={},
         requestTemplates={"application/json": request_template}, **ids)
    t.do("put_integration_response", statusCode="200", selectionPattern="2\\d{2}",
         responseTemplates={"application/json": response_template}, **ids)
    t.deploy(api, "dev")
    r = t.invoke("GET", api, "dev", "")
    t.match("response", {"body": body_of(r), "status_code": r.status_code})
