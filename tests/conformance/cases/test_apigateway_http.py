"""test_apigateway_http: HTTP and HTTP_PROXY integrations with a Lambda
function URL as the backend (what reaches it, what comes back, status codes
passed through or not, request parameter mappings).

The function URLs are local echo servers answering in the same shape
(harness/echo.py: `lambda-url`, and `status` for the status-code echo)."""

import json
from functools import partial

from harness.case import case

MODULE = "test_apigateway_http"
port = partial(case, MODULE)
ECHO_NOTE = "the Lambda function URL is a local echo server answering in its shape"


def lower_headers(r) -> dict:
    return {k.lower(): v for k, v in dict(r.headers).items()}


def api_with_integration(t, uri: str, kind: str, stage: str = "dev", part: str = "test",
                         mapping: dict | None = None, method: str = "POST",
                         integration_method: str = "POST") -> str:
    """The tests' `create_rest_api_with_integration`: a REGIONAL API, one
    resource, its method integrated with `uri`, a 200 method and
    integration response (`$input.json('$')`), a deployment and a stage."""
    mapping = mapping or {}
    a = t.api(name=f"test-apigw-{t.uid()}", endpointConfiguration={"types": ["REGIONAL"]})
    api = a["id"]
    resource = t.resource(api, a["rootResourceId"], part)
    ids = {"restApiId": api, "resourceId": resource, "httpMethod": method}
    t.do("put_method", authorizationType="NONE", apiKeyRequired=False,
         requestParameters=dict.fromkeys(mapping.values(), True), **ids)
    # HTTP integrations need no role: the tests passed an empty one.
    t.do("put_integration", integrationHttpMethod=integration_method, type=kind, credentials="", uri=uri,
         requestTemplates={}, requestParameters=mapping, **ids)
    t.do("put_method_response", statusCode="200", **ids)
    t.do("put_integration_response", statusCode="200",
         responseTemplates={"application/json": "$input.json('$')"}, **ids)
    dep = t.do("create_deployment", restApiId=api)["id"]
    t.do("create_stage", restApiId=api, stageName=stage, deploymentId=dep)
    return api


def remapped_date(t):
    """The tests' `x-amzn-remapped-date` transformer (no reference)."""
    t.snap.replace_values({"x-amzn-remapped-date": "<date>"})


def with_lambda(kind):
    def run(t):
        remapped_date(t)
        echo = t.echo(trim_x_headers=False)
        api = api_with_integration(t, f"{echo.url}/", kind, stage="test")
        t.match("api_id", {"rest_api_id": api})
        r = t.invoke("POST", api, "test", "/test", data=json.dumps({"message": "hello world"}),
                     headers={"Content-Type": "application/json", "accept": "application/xml",
                              "user-Agent": "test/integration"})
        t.match("http-invocation-lambda-url",
                {"content": r.json() if r.ok else r.text, "headers": lower_headers(r),
                 "status_code": r.status_code})
    return run


def status_code_passthrough(kind):
    def run(t):
        echo = t.echo(style="status")
        api = api_with_integration(t, f"{echo.url}/{{map}}", kind, stage="test", part="{map+}",
                                   mapping={"integration.request.path.map": "method.request.path.map"})
        for name, code in [("matching-response", 200), ("non-matching-response", 400)]:
            r = t.invoke("POST", api, "test", f"/status/{code}")
            try:
                content = r.json()
            except ValueError:
                content = r.text
            t.match(name, {"body": content, "status_code": r.status_code})
    return run


def integration_method(kind):
    def run(t):
        # AWS answers from a pool of addresses, so each call showed another
        # `origin`; every call comes from 127.0.0.1 here.
        t.snap.skip_value("AWS's egress address differs per request; loopback has one", "*.origin")
        echo = t.echo(trim_x_headers=True)
        api = api_with_integration(t, f"{echo.url}/", kind, stage="test", method="ANY",
                                   integration_method="POST")
        t.match("api_id", {"rest_api_id": api})
        # The test meant POST, PUT and GET but sent POST each time.
        for method in ("post", "put", "get"):
            r = t.invoke("POST", api, "test", "/test", data=json.dumps({"message": "hello world"}),
                         headers={"Content-Type": "application/json", "Accept": "application/json",
                                  "user-Agent": "test/integration"})
            try:
                content = r.json()
            except ValueError:
                content = {"status": r.status_code, "text": r.text}
            t.match(f"http-invocation-lambda-url-{method}", content)
    return run


for _kind in ("HTTP", "HTTP_PROXY"):
    port(f"test_http_integration_with_lambda[{_kind}]", note=ECHO_NOTE)(with_lambda(_kind))
    port(f"test_http_integration_invoke_status_code_passthrough[{_kind}]", note=ECHO_NOTE)(
        status_code_passthrough(_kind))
    port(f"test_http_integration_method[{_kind}]", note=ECHO_NOTE)(integration_method(_kind))


@port("test_http_proxy_integration_request_data_mappings", note=ECHO_NOTE)
def http_proxy_integration_request_data_mappings(t):
    remapped_date(t)
    echo = t.echo(trim_x_headers=True)
    mapping = {
        "integration.request.header.headerVar": "method.request.header.foobar",
        "integration.request.path.qsVar": "method.request.querystring.testVar",
        "integration.request.path.pathVar": "method.request.path.pathVariable",
        "integration.request.querystring.queryString": "method.request.querystring.testQueryString",
        "integration.request.querystring.testQs": "method.request.querystring.testQueryString",
        "integration.request.querystring.testEmptyQs": "method.request.header.emptyheader",
    }
    # A path parameter cannot be used in the query directly (`testValue={pathVariable}`).
    uri = f"{echo.url}/?testVar={{pathVar}}&testQs={{qsVar}}"
    api = api_with_integration(t, uri, "HTTP_PROXY", stage="test", part="{pathVariable}", mapping=mapping)
    t.match("api_id", {"rest_api_id": api})
    r = t.invoke("POST", api, "test", "/foobar", data=json.dumps({"message": "hello world"}),
                 headers={"Content-Type": "application/json", "Accept": "application/json",
                          "foobar": "mapped-value", "user-Agent": "test/integration",
                          "headerVar": "request-value"},
                 params={"testQueryString": "foo", "testVar": "bar"})
    t.match("http-proxy-invocation", {"content": r.json() if r.ok else r.text,
                                      "headers": lower_headers(r), "status_code": r.status_code})
