"""test_apigateway_import: ImportRestApi / PutRestApi of OpenAPI and Swagger
documents, then what GetResources, GetMethod, GetIntegration... say about
the imported API; base paths; stage variables in an imported integration."""

from functools import partial

from harness.case import ACCOUNT, REGION, case
from harness.inputs import read

MODULE = "test_apigateway_import"
port = partial(case, MODULE)

# The tests' stand-ins for a real function and role (AWS needed real ones to
# import; the recorded answers hide them behind placeholders).
AUTHORIZER_INVOCATION = (
    f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/"
    f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:test-authorizer-import/invocations"
)
ROLE = f"arn:aws:iam::{ACCOUNT}:role/lambda-su-role"


def by_key(items, key):
    return sorted(items, key=lambda i: str(i.get(key, "")))


def get_sorted(t, name, op, key, **kwargs):
    r = t.raw(op, **kwargs)
    if "items" in r:
        r["items"] = by_key(r["items"], key)
    t.match(name, r)
    return r


def snapshot_resources(t, api_id, resources, prefix="", last=True):
    """For each method of each resource: GetMethod, GetMethodResponse 200,
    GetIntegration, GetIntegrationResponse 200, matched as the tests name them.
    `last=False` where a later listing of the same test still follows (its
    entries are not missing yet)."""
    for resource in resources.get("items", []):
        for method in resource.get("resourceMethods", {}) or {}:
            path = resource["path"]
            key = f"{path[1:] if path != '/' else 'root'}-{method.lower()}"
            ids = {"restApiId": api_id, "resourceId": resource["id"], "httpMethod": method}
            for label, op, extra in [("method", "get_method", {}),
                                     ("method-response", "get_method_response", {"statusCode": "200"}),
                                     ("integration", "get_integration", {}),
                                     ("integration-response", "get_integration_response",
                                      {"statusCode": "200"})]:
                name = f"{prefix}{label}-{key}"
                if name in t.snap.recorded and name not in t.snap.outcomes:
                    t.call(name, op, **ids, **extra)
    if last:
        missing_from_listing(t, prefix)


def missing_from_listing(t, prefix):
    """Entries for methods AWS's GetResources listed and ours did not."""
    from harness.snapshot import Diff, Outcome
    labels = ("method-", "method-response-", "integration-", "integration-response-")
    for name in t.snap.recorded:
        rest = name[len(prefix):] if name.startswith(prefix) else None
        if rest is None or name in t.snap.outcomes or not rest.startswith(labels):
            continue
        if prefix == "" and name.startswith(("srv-var-", "srv-url-")):
            continue
        why = "the method is not in apigw's GetResources answer"
        t.snap.outcomes[name] = Outcome(name, "fail", [Diff("", "not_reached", why, None)], "get_resources")


def imported(t, name, body, **kwargs):
    r = t.call(name, "import_rest_api", body=body, **kwargs)
    if "id" not in r:
        from harness.case import Aborted
        raise Aborted(f"import failed: {r.get('Error')}")
    return r["id"]


@port("TestApiGatewayImportRestApi::test_import_rest_api")
def import_rest_api(t):
    t.call("import_rest_api", "import_rest_api", body=read("openapi.spec.pulumi.json"),
           failOnWarnings=True)


@port("TestApiGatewayImportRestApi::test_import_swagger_api",
      note="the authorizer function and role are placeholders (no Lambda or IAM API)")
def import_swagger_api(t):
    spec = (read("petstore-authorizer.swagger.json")
            .replace("${uri}", f"http://petstore.execute-api.{REGION}.amazonaws.com/petstore/pets")
            .replace("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:"
                     "us-east-1:account-id:function:function-name/invocations", AUTHORIZER_INVOCATION)
            .replace("arn:aws:iam::account-id:role", ROLE))
    api = imported(t, "import-swagger", spec, failOnWarnings=True)
    get_sorted(t, "get-authorizers", "get_authorizers", "name", restApiId=api)
    get_sorted(t, "get-models", "get_models", "name", restApiId=api)
    resources = get_sorted(t, "resources", "get_resources", "path", restApiId=api)
    snapshot_resources(t, api, resources)


def import_and_validate(document):
    def run(t):
        api = imported(t, "import_tf_rest_api", read(document), failOnWarnings=True)
        get_sorted(t, "get-models", "get_models", "name", restApiId=api)
        resources = get_sorted(t, "resources", "get_resources", "path", restApiId=api)
        snapshot_resources(t, api, resources)
    return run


for _doc in ("openapi.spec.tf.json", "swagger-mock-cors.json"):
    port(f"TestApiGatewayImportRestApi::test_import_and_validate_rest_api[{_doc}]")(
        import_and_validate(_doc))


def base_path_swagger(mode):
    def run(t):
        api = t.api(name=f"restapi-{t.uid()}")["id"]
        spec = (read("swagger.json")
                .replace("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:"
                         "us-east-1:000000000000:function:myapi-authorizer-0-22ad13b/invocations",
                         AUTHORIZER_INVOCATION)
                .replace("arn:aws:iam::000000000000:role/myapi-authorizer-0-authorizer-role-3bd761a",
                         ROLE))
        params = {"basepath": mode}
        t.call("put-rest-api-swagger-json", "put_rest_api", restApiId=api, body=spec,
               mode="overwrite", parameters=params)
        resources = get_sorted(t, "get-resources-swagger-json", "get_resources", "path", restApiId=api)
        snapshot_resources(t, api, resources, last=False)
        second = t.do("import_rest_api", body=read("pets.json"), parameters=params)["id"]
        resources = get_sorted(t, "get-resources-no-base-path-swagger", "get_resources", "path",
                               restApiId=second)
        snapshot_resources(t, second, resources)
    return run


def base_path_oas30(mode):
    def run(t):
        api = t.api(name=f"restapi-{t.uid()}")["id"]
        params = {"basepath": mode}
        t.call("put-rest-api-oas30-srv-var", "put_rest_api", restApiId=api,
               body=read("openapi-basepath-server-variable.yaml"), mode="overwrite", parameters=params)
        resources = get_sorted(t, "get-resources-oas30-srv-var", "get_resources", "path", restApiId=api)
        snapshot_resources(t, api, resources, prefix="srv-var-")
        t.raw("create_deployment", restApiId=api, stageName="dev")
        t.call("put-rest-api-oas30-srv-url", "put_rest_api", restApiId=api,
               body=read("openapi-basepath-url.yaml"), mode="overwrite", parameters=params)
        resources = get_sorted(t, "get-resources-oas30-srv-url", "get_resources", "path", restApiId=api)
        snapshot_resources(t, api, resources, prefix="srv-url-")
    return run


for _mode in ("ignore", "prepend", "split"):
    port(f"TestApiGatewayImportRestApi::test_import_rest_apis_with_base_path_swagger[{_mode}]",
         note="the authorizer function and role are placeholders")(base_path_swagger(_mode))
    port(f"TestApiGatewayImportRestApi::test_import_rest_api_with_base_path_oas30[{_mode}]")(
        base_path_oas30(_mode))


@port("TestApiGatewayImportRestApi::test_import_with_global_api_key_authorizer")
def import_with_global_api_key_authorizer(t):
    spec = read("openapi.spec.global-auth.json").replace(
        "${authorizer_lambda_invocation_arn}", AUTHORIZER_INVOCATION)
    api = imported(t, "import-swagger", spec, failOnWarnings=True)
    t.call("get-authorizers", "get_authorizers", restApiId=api)
    resources = get_sorted(t, "resources", "get_resources", "path", restApiId=api)
    snapshot_resources(t, api, resources)


def circular(document, validators):
    def run(t):
        t.snap.sort("required")
        api = imported(t, "import-api", read(document), failOnWarnings=True)
        get_sorted(t, "get-models", "get_models", "name", restApiId=api)
        if validators:
            t.call("request-validators", "get_request_validators", restApiId=api)
        resources = get_sorted(t, "resources", "get_resources", "path", restApiId=api)
        snapshot_resources(t, api, resources)
    return run


port("TestApiGatewayImportRestApi::test_import_with_circular_models")(
    circular("openapi.spec.circular-ref.json", False))
port("TestApiGatewayImportRestApi::test_import_with_circular_models_and_request_validation")(
    circular("openapi.spec.circular-ref-with-request-body.json", True))


@port("TestApiGatewayImportRestApi::test_import_with_stage_variables",
      note="the echo backend is a local HTTP server, not a Lambda function URL")
def import_with_stage_variables(t):
    spec = read("openapi.spec.stage-variables.json").replace("https://", "http://")
    api = t.do("import_rest_api", body=spec, failOnWarnings=True)["id"]
    echo = t.echo(trim_x_headers=True)
    dep = t.do("create_deployment", restApiId=api)["id"]
    t.do("create_stage", restApiId=api, stageName="v1", deploymentId=dep,
         variables={"TestHost": echo.host, "testPath": "test-path", "querystring": "qs_key=qs_value"})
    r = t.invoke("GET", api, "v1", "/path1")
    try:
        body = r.json()
    except ValueError:
        body = {"status": r.status_code, "text": r.text}
    if isinstance(body, dict):
        body.pop("headers", None)
    t.match("get-resp-from-http", body)
    t.do("create_stage", restApiId=api, stageName="v2", deploymentId=dep)
    r = t.invoke("GET", api, "v2", "/path1")
    try:
        body = r.json()
    except ValueError:
        body = r.text
    t.match("get-error-resp-from-http", {"body": body, "errorType": r.headers.get("x-amzn-ErrorType")})


@port("TestApiGatewayImportRestApi::test_import_with_http_method_integration")
def import_with_http_method_integration(t):
    spec = read("openapi-http-method-integration.json").replace(
        "${lambda_invocation_arn}", AUTHORIZER_INVOCATION)
    api = t.do("import_rest_api", body=spec, failOnWarnings=True)["id"]
    resources = get_sorted(t, "resources", "get_resources", "path", restApiId=api)
    snapshot_resources(t, api, resources)


@port("TestApiGatewayImportRestApi::test_import_with_cognito_auth_identity_source")
def import_with_cognito_auth_identity_source(t):
    spec = read("openapi.cognito-auth.json").replace(
        "${cognito_pool_arn}", f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{REGION}_ABC123")
    api = imported(t, "import-swagger", spec, failOnWarnings=True)
    auth = t.raw("get_authorizers", restApiId=api)
    t.match("get-authorizers", by_key(auth["items"], "name") if "items" in auth else auth)
    resources = get_sorted(t, "resources", "get_resources", "path", restApiId=api)
    snapshot_resources(t, api, resources)


@port("TestApiGatewayImportRestApi::test_import_with_integer_http_status_code")
def import_with_integer_http_status_code(t):
    api = t.do("import_rest_api", body=read("openapi-method-int.spec.yaml"), failOnWarnings=True)["id"]
    resources = get_sorted(t, "resources", "get_resources", "path", restApiId=api)
    snapshot_resources(t, api, resources)


def put_mode_binary(mode):
    def run(t):
        base = t.call("create-rest-api", "create_rest_api", name=f"test-api-{t.uid()}",
                      binaryMediaTypes=["image/heif"])
        t.call("get-rest-api", "get_rest_api", restApiId=base["id"])
        t.call("put-api", "put_rest_api", restApiId=base["id"], body=read("pets.json"), mode=mode)
    return run


for _mode in ("merge", "overwrite"):
    port(f"TestApiGatewayImportRestApi::test_put_rest_api_mode_binary_media_types[{_mode}]")(
        put_mode_binary(_mode))

BAD_YAML = """test:
    value:
        - "value ... \"escaped\": $var, \"dt\": $(var +"%a")}\"
        """
BAD_JSON = "{'key:value}"


@port("TestApiGatewayImportRestApi::test_import_api_bad_file")
def import_api_bad_file(t):
    t.call("import-api-bad-yaml-file", "import_rest_api", body=BAD_YAML)
    t.call("import-api-bad-json-file", "import_rest_api", body=BAD_JSON)
    t.call("put-rest-api-bad-yaml-file", "put_rest_api", restApiId=t.uid(), body=BAD_YAML)
    t.call("put-rest-api-bad-json-file", "put_rest_api", restApiId=t.uid(), body=BAD_JSON)
