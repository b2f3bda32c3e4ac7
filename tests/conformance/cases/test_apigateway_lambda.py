"""test_apigateway_lambda: Lambda integrations (AWS_PROXY events and answer
formats, AWS with request and response templates, selection patterns on
function errors, integration URI validation).

The functions the tests created are local functions of the node (see
harness/functions.py); their invocation roles are made-up ARNs (apigw has
no IAM and needs none)."""

import json
from functools import partial

from harness import functions as fn
from harness.case import body_of, case, lambda_arn, lambda_uri, role_arn
from harness.inputs import read

MODULE = "test_apigateway_lambda"
port = partial(case, MODULE)
FUNCTIONS = [fn.PROXY_ECHO, fn.ECHO, fn.STATUS_FROM_BODY, fn.RESPONSE_FROM_BODY, fn.SELECT_PATTERN]
LOCAL = "the function is a local function of the node, its role a made-up ARN"
# The tests' key_value transformers without reference replacement.
FORWARDED = {h: f"<{h}>" for h in ("X-Forwarded-For", "X-Forwarded-Port", "X-Forwarded-Proto")}


@port("test_lambda_aws_proxy_integration", note=LOCAL)
def aws_proxy_integration(t):
    t.without_cloudfront()
    t.snap.replace_values(FORWARDED)
    a = t.api(name=f"test-api-{t.uid()}", description="Integration test API")
    api, root = a["id"], a["rootResourceId"]
    role = role_arn(f"apigw-invoke-{t.uid()}")
    for part in ("{proxy+}", "hardcoded"):
        resource = t.resource(api, root, part)
        ids = {"restApiId": api, "resourceId": resource, "httpMethod": "ANY"}
        t.do("put_method", authorizationType="NONE", **ids)
        t.do("put_integration", type="AWS_PROXY", integrationHttpMethod="POST",
             uri=lambda_uri(fn.PROXY_ECHO["name"]), credentials=role, **ids)
    t.deploy(api, "stage")
    headers = {"User-Agent": "python-requests/testing", "tEsT-HEADeR": "aValUE",
               "authorization": "random-value"}

    def get(name, stage, path):
        t.match(name, body_of(t.invoke("GET", api, stage, path, headers=headers)))

    get("invocation-payload-without-trailing-slash", "stage", "/proxy-value")
    get("invocation-payload-with-trailing-slash", "stage", "/proxy-value/")
    get("invocation-payload-with-double-slash", "stage", "/proxy-value//double-slash")
    get("invocation-payload-with-prepended-slash-to-stage", "", "//stage/proxy-value")
    get("invocation-payload-with-prepended-slash", "stage", "//proxy-value")
    get("invocation-payload-without-trailing-slash-and-query-params", "stage", "/proxy-value?urlparam=test")
    get("invocation-payload-with-trailing-slash-and-query-params", "stage", "/proxy-value/?urlparam=test")
    get("invocation-payload-with-path-encoded-email", "stage",
        "/proxy-value/api/user/test%2Balias@gmail.com/plus/test+alias@gmail.com")
    params = "&".join(["dateTimeOffset=2023-06-12T18:05:10.123456+00:00", "email=test%2Balias@gmail.com",
                       "plus=test+alias@gmail.com", "url=https://www.google.com/", "whitespace=foo bar",
                       "zhash=abort/#", "ignored=this-does-not-appear-after-the-hash"])
    get("invocation-payload-with-params-encoding", "stage", f"/proxy-value/api?{params}")
    r = t.invoke("POST", api, "stage", "/proxy-value", data=json.dumps({"message": "hello world"}),
                 headers={"Content-Type": "application/json;charset=utf-8",
                          "aUThorization": "Bearer token123;API key456",
                          "User-Agent": "python-requests/testing"},
                 params={"category": ["electronics", "books"], "price": ["10", "20", "30"]})
    t.match("invocation-payload-with-params-encoding-multi", body_of(r))
    get("invocation-hardcoded", "stage", "//hardcoded")


@port("test_put_integration_aws_proxy_uri", note=LOCAL)
def put_integration_aws_proxy_uri(t):
    a = t.api(name=f"test-api-{t.uid()}", description="APIGW test PutIntegration AWS_PROXY URI")
    arn = lambda_arn(fn.PROXY_ECHO["name"])
    ids = {"restApiId": a["id"], "resourceId": a["rootResourceId"], "httpMethod": "ANY"}
    t.do("put_method", authorizationType="NONE", **ids)
    base = dict(ids, type="AWS_PROXY", integrationHttpMethod="POST",
                credentials=role_arn(f"apigw-invoke-{t.uid()}"))
    region = t.client.meta.region_name
    for name, uri in [
        ("put-integration-lambda-uri", arn),
        ("put-integration-wrong-arn", f"bad-arn:lambda:path/2015-03-31/functions/{arn}/invocations"),
        ("put-integration-wrong-type",
         f"arn:aws:apigateway:{region}:lambda:test/2015-03-31/functions/{arn}/invocations"),
        ("put-integration-wrong-firehose",
         f"arn:aws:apigateway:{region}:firehose:path/2015-03-31/functions/{arn}/invocations"),
        ("put-integration-bad-lambda-arn",
         f"arn:aws:apigateway:{region}:lambda:path/random/value/{arn}/invocations"),
    ]:
        t.call(name, "put_integration", uri=uri, **base)


@port("test_lambda_aws_proxy_integration_non_post_method", note=LOCAL)
def aws_proxy_integration_non_post_method(t):
    a = t.api(name=f"test-api-{t.uid()}", description="Integration test API")
    api = a["id"]
    resource = t.resource(api, a["rootResourceId"], "{proxy+}")
    ids = {"restApiId": api, "resourceId": resource, "httpMethod": "ANY"}
    t.do("put_method", authorizationType="NONE", **ids)
    # GET is not a method Lambda is invoked with: AWS fails the integration.
    t.do("put_integration", type="AWS_PROXY", integrationHttpMethod="GET",
         uri=lambda_uri(fn.PROXY_ECHO["name"]), credentials=role_arn(f"apigw-invoke-{t.uid()}"), **ids)
    t.do("put_gateway_response", restApiId=api, responseType="INTEGRATION_FAILURE", responseParameters={})
    t.deploy(api, "test")
    r = t.invoke("GET", api, "test", "/test-path", headers={"User-Agent": "python-requests/testing"})
    t.match("invocation-payload-with-get-proxy-method", body_of(r))


def aws_integration_api(t, part: str = "test"):
    a = t.api(name=f"test-api-{t.uid()}")
    return a["id"], t.resource(a["id"], a["rootResourceId"], part)


@port("test_lambda_aws_integration", note=LOCAL)
def aws_integration(t):
    api, resource = aws_integration_api(t)
    ids = {"restApiId": api, "resourceId": resource, "httpMethod": "POST"}
    t.call("put-method", "put_method", authorizationType="NONE", **ids)
    t.call("put-integration", "put_integration", type="AWS", integrationHttpMethod="POST",
           uri=lambda_uri(fn.ECHO["name"]), credentials=role_arn(f"apigw-invoke-{t.uid()}"), **ids)
    t.call("put-integration-response", "put_integration_response", statusCode="200", **ids)
    t.call("put-method-response", "put_method_response", statusCode="200", **ids)
    t.deploy(api, "api")
    r = t.invoke("POST", api, "api", "/test", data=json.dumps({"message": "hello world"}))
    t.match("lambda-aws-integration", body_of(r))


@port("test_lambda_aws_integration_with_request_template", note=LOCAL)
def aws_integration_with_request_template(t):
    api, resource = aws_integration_api(t)
    ids = {"restApiId": api, "resourceId": resource, "httpMethod": "GET"}
    t.call("put-method", "put_method", authorizationType="NONE",
           requestParameters={"method.request.querystring.param1": False}, **ids)
    t.call("put-method-response", "put_method_response", statusCode="200", **ids)
    t.call("put-integration", "put_integration", integrationHttpMethod="POST", type="AWS",
           uri=lambda_uri(fn.ECHO["name"]), credentials=role_arn(f"apigw-invoke-{t.uid()}"),
           requestTemplates={"application/json": '{"param1": "$input.params(\'param1\')"}'}, **ids)
    t.call("put-integration-response", "put_integration_response", statusCode="200",
           selectionPattern="", **ids)
    t.deploy(api, "api")
    t.match("lambda-aws-integration-1", body_of(t.invoke("GET", api, "api", "/test?param1=foobar")))
    # A `Signature` query parameter (LocalStack issue 5041) changes nothing.
    t.match("lambda-aws-integration-2",
            body_of(t.invoke("GET", api, "api", "/test?param1=foobar&Signature=1")))
    t.call("delete-integration", "delete_integration", **ids)
    t.call("get-integration-after-delete", "get_integration", **ids)


@port("test_lambda_aws_integration_response_with_mapping_templates", note=LOCAL)
def aws_integration_response_with_mapping_templates(t):
    api, resource = aws_integration_api(t)
    ids = {"restApiId": api, "resourceId": resource, "httpMethod": "POST"}
    t.do("put_method", authorizationType="NONE", **ids)
    for status in ("200", "400"):
        t.do("put_method_response", statusCode=status, **ids)
    t.do("put_integration", integrationHttpMethod="POST", type="AWS",
         uri=lambda_uri(fn.STATUS_FROM_BODY["name"]), credentials=role_arn(f"apigw-invoke-{t.uid()}"),
         requestTemplates={"application/json": read("request-template.vm")}, **ids)
    t.do("put_integration_response", statusCode="200", selectionPattern="",
         responseTemplates={"application/json": read("response-template.vm")}, **ids)
    t.deploy(api, "api")
    for name, payload in [("response-template-202", {"httpStatus": "200"}),
                          ("response-template-400",
                           {"httpStatus": "400", "errorMessage": "Test Bad request"})]:
        r = t.invoke("POST", api, "api", "/test", data=json.dumps(payload),
                     headers={"Content-Type": "application/json"})
        t.match(name, {"statusCode": r.status_code, "body": body_of(r)})


@port("test_lambda_selection_patterns",
      note=LOCAL + "; the handler file's folder is written as Lambda's /var/task in stack traces")
def selection_patterns(t):
    t.snap.transform(fn.as_task_root)
    api, resource = aws_integration_api(t, "{statusCode}")
    ids = {"restApiId": api, "resourceId": resource, "httpMethod": "GET"}
    t.do("put_method", authorizationType="NONE", **ids)
    t.do("put_integration", integrationHttpMethod="POST", type="AWS",
         uri=lambda_uri(fn.SELECT_PATTERN["name"]), credentials=role_arn(f"apigw-invoke-{t.uid()}"),
         requestTemplates={"application/json": '{"statusCode": "$input.params(\'statusCode\')"}'}, **ids)
    for status in ("200", "405", "502"):
        t.do("put_method_response", statusCode=status, **ids)
    # 504 selects on "200": the Lambda's own status is not what AWS matches.
    for status, pattern in [("200", ""), ("405", ".*four hundred.*"), ("502", ".+"), ("504", "200")]:
        t.do("put_integration_response", statusCode=status, selectionPattern=pattern, **ids)
    t.deploy(api, "dev")
    for code in (200, 400, 500):
        t.match(f"lambda-selection-pattern-{code}", body_of(t.invoke("GET", api, "dev", f"/{code}")))


@port("test_lambda_aws_proxy_integration_request_data_mapping", note=LOCAL)
def aws_proxy_integration_request_data_mapping(t):
    t.without_cloudfront()
    t.snap.replace_values(FORWARDED)
    a = t.api(name=f"test-api-{t.uid()}", description="Integration test API")
    api = a["id"]
    t.match("api_id", {"rest_api_id": api})
    resource = t.resource(api, a["rootResourceId"], "{pathVariable}")
    # AWS_PROXY ignores the integration's requestParameters.
    mapping = {
        "integration.request.header.headerVar": "method.request.header.foobar",
        "integration.request.path.qsVar": "method.request.querystring.testVar",
        "integration.request.path.pathVar": "method.request.path.pathVariable",
        "integration.request.querystring.queryString": "method.request.querystring.testQueryString",
        "integration.request.querystring.testQs": "method.request.querystring.testQueryString",
        "integration.request.querystring.testEmptyQs": "method.request.header.emptyheader",
    }
    ids = {"restApiId": api, "resourceId": resource, "httpMethod": "ANY"}
    t.do("put_method", authorizationType="NONE", requestParameters=dict.fromkeys(mapping.values(), True),
         **ids)
    t.do("put_integration", type="AWS_PROXY", integrationHttpMethod="POST",
         uri=lambda_uri(fn.PROXY_ECHO["name"]), credentials=role_arn(f"apigw-invoke-{t.uid()}"),
         requestParameters=mapping, **ids)
    t.deploy(api, "test")
    r = t.invoke("POST", api, "test", "/foobar", data=json.dumps({"message": "hello world"}),
                 headers={"Content-Type": "application/json", "Accept": "application/json",
                          "foobar": "mapped-value", "user-Agent": "test/integration",
                          "headerVar": "request-value"},
                 params={"testQueryString": "foo", "testVar": "bar"})
    t.match("http-proxy-invocation-data-mapping", {"content": body_of(r), "status_code": r.status_code})


@port("test_aws_proxy_response_payload_format_validation", note=LOCAL)
def aws_proxy_response_payload_format_validation(t):
    t.without_cloudfront()
    a = t.api(name=f"test-api-{t.uid()}", description="Integration test API")
    api = a["id"]
    resource = t.resource(api, a["rootResourceId"], "{proxy+}")
    ids = {"restApiId": api, "resourceId": resource, "httpMethod": "ANY"}
    t.do("put_method", authorizationType="NONE", **ids)
    t.do("put_integration", type="AWS_PROXY", integrationHttpMethod="POST",
         uri=lambda_uri(fn.RESPONSE_FROM_BODY["name"]), credentials=role_arn(f"apigw-invoke-{t.uid()}"),
         **ids)
    t.deploy(api, "test")

    def invoke(name, answer, with_headers=False):
        # The function answers with whatever JSON the request carries; an
        # empty (falsy) answer is sent as no body at all, as the test did.
        kwargs = {"json": answer} if answer else {}
        r = t.invoke("POST", api, "test", "/test", headers={"User-Agent": "python/test"}, **kwargs)
        try:
            content = r.json()
        except ValueError:
            content = r.content.decode()
        out = {"content": content}
        if with_headers:
            out["headers"] = dict(r.headers)
        t.match(name, out)

    b64 = "dGVzdC1kYXRh"  # base64 of "test-data"
    invoke("invoke-api-no-body", {"statusCode": 200})
    invoke("invoke-api-with-headers",
           {"statusCode": 200, "headers": {"test-header": "value", "header-bool": True}}, True)
    invoke("invoke-api-with-headers-null", {"statusCode": 200, "headers": None}, True)
    invoke("invoke-api-wrong-format", {"statusCode": 200, "wrongValue": "value"})
    invoke("invoke-api-empty-response", {})
    invoke("invoke-api-b64-encoded-true", {"statusCode": 200, "body": b64, "isBase64Encoded": True})
    invoke("invoke-api-b64-encoded-false", {"statusCode": 200, "body": b64})
    invoke("invoke-api-multi-headers-valid",
           {"statusCode": 200, "multiValueHeaders": {"test-multi": ["value1", "value2"]}}, True)
    invoke("invoke-api-multi-headers-overwrite",
           {"statusCode": 200, "multiValueHeaders": {"test-multi": ["value-multi"]},
            "headers": {"test-multi": "value-solo"}}, True)
    invoke("invoke-api-multi-headers-overwrite-casing",
           {"statusCode": 200, "multiValueHeaders": {"tesT-Multi": ["value-multi"]},
            "headers": {"test-multi": "value-solo"}}, True)
    invoke("invoke-api-multi-headers-invalid",
           {"statusCode": 200, "multiValueHeaders": {"test-multi-invalid": "value1"}})
    invoke("invoke-api-invalid-status-code", {"statusCode": "test"})
    invoke("invoke-api-status-code-str", {"statusCode": "201"})
    invoke("invoke-api-just-string", "justAString")
    invoke("invoke-api-only-headers", {"headers": {"test-header": "value"}})
