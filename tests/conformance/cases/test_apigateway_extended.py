"""test_apigateway_extended: GetExport (swagger, oas30, with and without the
apigateway extensions) and API key / usage plan key CRUD with name queries
and paging."""

from functools import partial

from harness.case import REGION, case
from harness.inputs import read

MODULE = "test_apigateway_extended"
port = partial(case, MODULE)

DOCS = {"TEST_IMPORT_PETSTORE_SWAGGER": "petstore-swagger.json", "TEST_IMPORT_PETS": "pets.json"}


def export(kind, document):
    def run(t):
        spec = read(document).replace(
            "${uri}", f"http://petstore.execute-api.{REGION}.amazonaws.com/petstore/pets")
        api = t.call("import-api", "import_rest_api", body=spec, failOnWarnings=True).get("id", "missing")
        t.raw("create_deployment", restApiId=api, stageName="local")
        t.call("get-export", "get_export", restApiId=api, stageName="local", exportType=kind)
        t.call("get-export-with-extensions", "get_export", restApiId=api, stageName="local",
               exportType=kind, parameters={"extensions": "apigateway"})
    return run


for _id, _doc in DOCS.items():
    port(f"test_export_swagger_openapi[{_id}]")(export("swagger", _doc))
    port(f"test_export_oas30_openapi[{_id}]")(export("oas30", _doc))


@port("TestApigatewayApiKeysCrud::test_get_api_keys")
def get_api_keys(t):
    name, name2 = f"test-key-{t.uid()}", f"test-key-{t.uid()}"
    t.call("get-api-keys", "get_api_keys")
    t.call("create-api-key", "create_api_key", name=name)
    t.call("get-api-keys-after-create-1", "get_api_keys")
    for entry, query in [("get-api-keys-wrong-name-query", name2),
                         ("get-api-keys-prefix-name-query", name[:8]),
                         ("get-api-keys-prefix-name-query-cased", name[:8].upper()),
                         ("get-api-keys-postfix-name-query", name[2:]),
                         ("get-api-keys-infix-name-query", name[2:8])]:
        t.call(entry, "get_api_keys", nameQuery=query)
    t.call("create-api-key-2", "create_api_key", name=name2)
    t.call("get-api-keys-after-create-2", "get_api_keys")
    t.call("get-api-keys-name-query", "get_api_keys", nameQuery=name2)
    t.call("get-api-keys-prefix-name-query-2", "get_api_keys", nameQuery=name[:8])
    page = t.call("get-apis-keys-pagination", "get_api_keys", limit=1)
    t.call("get-apis-keys-pagination-2", "get_api_keys", limit=1, position=page.get("position", ""))


@port("TestApigatewayApiKeysCrud::test_get_usage_plan_api_keys")
def get_usage_plan_api_keys(t):
    name, name2 = f"test-key-{t.uid()}", f"test-key-{t.uid()}"
    t.call("get-api-keys", "get_api_keys")
    k1 = t.call("create-api-key", "create_api_key", name=name).get("id", "missing")
    k2 = t.call("create-api-key-2", "create_api_key", name=name2).get("id", "missing")
    t.call("get-api-keys-after-create-1", "get_api_keys")
    plan = t.call("create-usage-plan", "create_usage_plan", name=f"usage-plan-{t.uid()}").get("id", "missing")
    t.call("get-up-keys-before-create", "get_usage_plan_keys", usagePlanId=plan)
    t.call("create-up-key", "create_usage_plan_key", usagePlanId=plan, keyId=k1, keyType="API_KEY")
    t.call("create-up-key-2", "create_usage_plan_key", usagePlanId=plan, keyId=k2, keyType="API_KEY")
    t.call("get-up-keys", "get_usage_plan_keys", usagePlanId=plan)
    for entry, query in [("get-up-keys-name-query", "test-key"), ("get-up-keys-name-query-cased", "TEST-key"),
                         ("get-up-keys-name-query-key-name", name), ("get-up-keys-bad-query", "nothing")]:
        t.call(entry, "get_usage_plan_keys", usagePlanId=plan, nameQuery=query)
    t.raw("delete_api_key", apiKey=k1)
    t.raw("delete_api_key", apiKey=k2)
    t.call("get-up-keys-after-delete", "get_usage_plan_keys", usagePlanId=plan)
    t.call("get-up-keys-bad-usage-plan", "get_usage_plan_keys", usagePlanId="bad-id")


@port("TestApigatewayApiKeysCrud::test_negative_get_usage_plan_api_keys")
def negative_get_usage_plan_api_keys(t):
    t.call("get-api-keys-invalid-limit", "get_api_keys", limit=-1)
    key = t.call("create-api-key", "create_api_key", name="key-enabled-false", enabled=False)
    t.call("update-api-key-name", "update_api_key", apiKey=key.get("id", "missing"),
           patchOperations=[{"op": "replace", "path": "/name", "value": "new-name"}])


@port("TestApigatewayApiKeysCrud::test_create_api_key_with_invalid_name")
def create_api_key_with_invalid_name(t):
    t.call("create-api-key-name-too-long", "create_api_key", name="a" * 1025)
    t.call("create-api-key-empty-name", "create_api_key", name="")
    t.call("create-api-key-no-name", "create_api_key")


@port("TestApigatewayApiKeysCrud::test_create_api_key_with_invalid_value")
def create_api_key_with_invalid_value(t):
    t.call("create-api-key-short-value", "create_api_key", value="short")
    t.call("create-api-key-invalid-value-too-long", "create_api_key", value="a" * 129)
    t.call("create-api-key-empty-value", "create_api_key", value="")


@port("TestApigatewayApiKeysCrud::test_update_api_key_invalid_description_length")
def update_api_key_invalid_description_length(t):
    t.call("create-api-key-description-too-long", "create_api_key", description="a" * 125001)
    key = t.do("create_api_key")["id"]
    t.call("update-api-key-description-too-long", "update_api_key", apiKey=key,
           patchOperations=[{"op": "replace", "path": "/description", "value": "a" * 125001}])


@port("TestApigatewayApiKeysCrud::test_update_api_key_invalid_enabled_type")
def update_api_key_invalid_enabled_type(t):
    key = t.do("create_api_key")["id"]
    t.call("update-api-key-invalid-enabled-type", "update_api_key", apiKey=key,
           patchOperations=[{"op": "replace", "path": "/enabled", "value": "not-a-boolean"}])


@port("TestApigatewayApiKeysCrud::test_update_api_key_immutable_field")
def update_api_key_immutable_field(t):
    key = t.do("create_api_key")["id"]
    t.call("update-api-key-immutable-field", "update_api_key", apiKey=key,
           patchOperations=[{"op": "replace", "path": "/id", "value": "new-id"}])


@port("TestApigatewayApiKeysCrud::test_create_usage_plan_with_throttle")
def create_usage_plan_with_throttle(t):
    t.call("create-usage-plan-burst-gt-rate", "create_usage_plan",
           name=f"invalid-throttle-burst-gt-rate-{t.uid()}", throttle={"rateLimit": 10, "burstLimit": 20})
