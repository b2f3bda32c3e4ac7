"""test_apigateway_api: the management API's CRUD calls and their errors
(REST APIs, resources, methods, models, validators, documentation parts,
gateway responses, integrations and their responses, method responses,
stages, VPC links, TestInvokeMethod)."""

import json
from functools import partial
from operator import itemgetter

from harness.case import ACCOUNT, REGION, case, not_applicable

MODULE = "test_apigateway_api"
port = partial(case, MODULE)

AUTHORIZER_URI = (
    "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
    "arn:aws:lambda:us-east-1:123456789012:function:myApiAuthorizer/invocations"
)


def patch(op, path, value=None):
    o = {"op": op, "path": path}
    if value is not None:
        o["value"] = value
    return o


# --- REST APIs ----------------------------------------------------------------


@port("TestApiGatewayApiRestApi::test_list_and_delete_apis")
def list_and_delete_apis(t):
    first = t.call("create-rest-api-1", "create_rest_api",
                   name=f"test-list-and-delete-apis-{t.uid()}", description="this is my api")
    t.call("create-rest-api-2", "create_rest_api",
           name=f"test-list-and-delete-apis-{t.uid()}", description="this is my api2")
    listed = t.raw("get_rest_apis")
    listed.get("items", []).sort(key=lambda i: str(i.get("createdDate")))
    t.match("get-rest-api-before-delete", listed)
    t.call("delete-rest-api", "delete_rest_api", restApiId=first["id"])
    t.call("get-rest-api-after-delete", "get_rest_apis")


@port("TestApiGatewayApiRestApi::test_get_api_case_insensitive")
def get_api_case_insensitive(t):
    api = t.call("create-rest-api", "create_rest_api",
                 name=f"test-case-sensitive-apis-{t.uid()}", description="lower case api")
    t.call("get-api-upper-case", "get_rest_api", restApiId=api["id"].upper())


@port("TestApiGatewayApiRestApi::test_create_rest_api_with_optional_params")
def create_rest_api_with_optional_params(t):
    t.call("create-only-name", "create_rest_api", name=f"test-api-{t.uid()}")
    t.call("create-empty-desc", "create_rest_api", name=f"test-api-{t.uid()}", description="")
    t.call("create-with-version", "create_rest_api", name=f"test-api-{t.uid()}", version="v1")
    t.call("create-with-empty-binary-media", "create_rest_api", name=f"test-api-{t.uid()}",
           binaryMediaTypes=[])
    t.call("string-compression-size", "create_rest_api", name=f"test-api-{t.uid()}",
           minimumCompressionSize=-1)


@port("TestApiGatewayApiRestApi::test_create_rest_api_with_binary_media_types")
def create_rest_api_with_binary_media_types(t):
    t.call("create-with-binary-media", "create_rest_api", name=f"test-api-{t.uid()}",
           binaryMediaTypes=["image/png"])


@port("TestApiGatewayApiRestApi::test_create_rest_api_with_tags")
def create_rest_api_with_tags(t):
    api = t.call("create-rest-api-w-tags", "create_rest_api", name=f"test-api-{t.uid()}",
                 description="this is my api", tags={"MY_TAG1": "MY_VALUE1"})
    t.call("get-rest-api-w-tags", "get_rest_api", restApiId=api["id"])
    t.call("get-rest-apis-w-tags", "get_rest_apis")


@port("TestApiGatewayApiRestApi::test_update_rest_api_operation_add_remove")
def update_rest_api_operation_add_remove(t):
    api = t.api(description="this is my api")["id"]
    steps = [
        ("update-rest-api-add", [patch("add", "/binaryMediaTypes/image~1png"),
                                 patch("add", "/binaryMediaTypes/image~1jpeg")]),
        ("update-rest-api-replace", [patch("replace", "/binaryMediaTypes/image~1png", "image/gif")]),
        ("update-rest-api-remove", [patch("remove", "/binaryMediaTypes/image~1gif"),
                                    patch("remove", "/description")]),
    ]
    for name, ops in steps:
        t.call(name, "update_rest_api", restApiId=api, patchOperations=ops)


@port("TestApiGatewayApiRestApi::test_update_rest_api_compression")
def update_rest_api_compression(t):
    api = t.api(description="this is my api")["id"]
    for name, op, value in [
        ("enable-compression", "replace", "10"),
        ("disable-compression", "replace", ""),
        ("set-compression-zero", "replace", "0"),
        ("set-negative-compression", "replace", "-1"),
        ("set-string-compression", "replace", "test"),
        ("unsupported-operation", "add", "10"),
    ]:
        t.call(name, "update_rest_api", restApiId=api,
               patchOperations=[{"op": op, "path": "/minimumCompressionSize", "value": value}])


@port("TestApiGatewayApiRestApi::test_update_rest_api_behaviour")
def update_rest_api_behaviour(t):
    api = t.api(description="this is my api")["id"]
    for name, ops in [
        ("update-rest-api-array", [patch("add", "/binaryMediaTypes/-", "image/png")]),
        ("update-rest-api-add-base-path", [patch("add", "/binaryMediaTypes", "image/gif")]),
        ("update-rest-api-replace-base-path", [patch("replace", "/binaryMediaTypes", "image/gif")]),
        ("update-rest-api-remove-base-path", [patch("remove", "/binaryMediaTypes")]),
    ]:
        t.call(name, "update_rest_api", restApiId=api, patchOperations=ops)


@port("TestApiGatewayApiRestApi::test_update_rest_api_invalid_api_id")
def update_rest_api_invalid_api_id(t):
    t.call("not-found-update-rest-api", "update_rest_api", restApiId="api_id",
           patchOperations=[patch("replace", "/apiKeySource", "AUTHORIZER")])


@port("TestApiGatewayApiRestApi::test_update_rest_api_concatenation_of_errors")
def update_rest_api_concatenation_of_errors(t):
    api = t.api()["id"]
    ip = {"op": "wrong", "path": "/endpointConfiguration/ipAddressType", "value": "dualstack"}
    ty = {"op": "wrong", "path": "/endpointConfiguration/types/0", "value": "EDGE"}
    media = {"op": "wrong", "path": "/binaryMediaTypes", "value": "image/gif"}
    for name, ops in [
        ("update-rest-api-wrong-operations-on-ipAddressType", [ip, ip]),
        ("update-rest-api-wrong-operations-on-type", [ty, ty]),
        ("update-rest-api-wrong-operations-on-type-and-on-ip-address-type", [ip, ty, media]),
    ]:
        t.call(name, "update_rest_api", restApiId=api, patchOperations=ops)


@port("TestApiGatewayApiRestApi::test_update_rest_api_ip_address_type")
def update_rest_api_ip_address_type(t):
    api = t.api()["id"]
    types0 = "/endpointConfiguration/types/0"
    ipt = "/endpointConfiguration/ipAddressType"
    for name, ops in [
        ("update-rest-api-replace-type", [patch("replace", types0, "EDGE"),
                                          patch("replace", types0, "REGIONAL"),
                                          patch("replace", types0, "PRIVATE")]),
        ("update-rest-api-replace-to-ipv4-within-private-type", [patch("replace", ipt, "ipv4")]),
        ("update-rest-api-wrong-ipAddressType", [patch("replace", ipt, "wrong")]),
        ("update-rest-api-wrong-type", [patch("replace", types0, "wrong")]),
        ("update-rest-api-invalid-operation-on-ipAddressType", [patch("remove", ipt, "dualstack")]),
        ("update-rest-api-invalid-operation-on-type", [patch("remove", types0, "EDGE")]),
        ("update-rest-api-replace-ip-address-type", [patch("replace", ipt, "dualstack")]),
    ]:
        t.call(name, "update_rest_api", restApiId=api, patchOperations=ops)


@port("TestApiGatewayApiRestApi::test_create_rest_api_with_endpoint_configuration")
def create_rest_api_with_endpoint_configuration(t):
    for name, extra in [
        ("create-with-empty-types", {"endpointConfiguration": {"types": []}}),
        ("create-with-invalid-ip-address-type",
         {"endpointConfiguration": {"ipAddressType": "wrong", "types": ["EDGE"]}}),
        ("create-with-invalid-types",
         {"endpointConfiguration": {"ipAddressType": "ipv4", "types": ["wrong"]}}),
        ("create-with-invalid-ip-address-type-and-types",
         {"endpointConfiguration": {"ipAddressType": "wrong", "types": ["wrong"]}}),
        ("create-with-invalid-types-and-ip-address-type",
         {"endpointConfiguration": {"types": ["wrong"], "ipAddressType": "wrong"}}),
        ("create-with-multiple-errors-1",
         {"description": "", "minimumCompressionSize": -1,
          "endpointConfiguration": {"ipAddressType": "wrong", "types": ["wrong"]}}),
        ("create-with-multiple-errors-2",
         {"description": "", "minimumCompressionSize": -1,
          "endpointConfiguration": {"ipAddressType": "ipv4", "types": ["EDGE"]}}),
        ("create-with-two-types", {"endpointConfiguration": {"types": ["EDGE", "REGIONAL"]}}),
        ("create-with-endpoint-config-dualstack",
         {"endpointConfiguration": {"ipAddressType": "dualstack", "types": ["EDGE"]}}),
        ("create-with-endpoint-config-regional",
         {"endpointConfiguration": {"ipAddressType": "ipv4", "types": ["REGIONAL"]}}),
    ]:
        t.call(name, "create_rest_api", name=f"test-api-{t.uid()}", **extra)


@port("TestApiGatewayApiRestApi::test_create_rest_api_private_type")
def create_rest_api_private_type(t):
    for name, extra in [
        ("create-with-private-type-and-ipv4-ip-address-type",
         {"endpointConfiguration": {"ipAddressType": "ipv4", "types": ["PRIVATE"]}}),
        ("create-with-private-type-and-wrong-ip-address-type",
         {"endpointConfiguration": {"ipAddressType": "wrong", "types": ["PRIVATE"]}}),
        ("create-with-private-type-and-ipv4-ip-address-type-and-empty-description",
         {"description": "", "endpointConfiguration": {"ipAddressType": "ipv4", "types": ["PRIVATE"]}}),
    ]:
        t.call(name, "create_rest_api", name=f"test-api-{t.uid()}", **extra)


@port("TestApiGatewayApiRestApi::test_create_rest_api_verify_defaults")
def create_rest_api_verify_defaults(t):
    for name, extra in [
        ("create-with-edge-default", {"endpointConfiguration": {"types": ["EDGE"]}}),
        ("create-with-regional-default", {"endpointConfiguration": {"types": ["REGIONAL"]}}),
        ("create-with-private-default", {"endpointConfiguration": {"types": ["PRIVATE"]}}),
        ("create-with-empty-default", {}),
        ("create-with-empty-ip-address-type-and-wrong-type",
         {"description": "", "endpointConfiguration": {"types": ["wrong"]}}),
    ]:
        t.call(name, "create_rest_api", name=f"test-api-{t.uid()}", **extra)


# --- resources ----------------------------------------------------------------


def by_path(t):
    t.snap.sort("items", lambda x: x.get("path", ""))


@port("TestApiGatewayApiResource::test_resource_lifecycle")
def resource_lifecycle(t):
    by_path(t)
    api = t.api(description="testing resource lifecycle")["id"]
    root = t.call("rest-api-root-resource", "get_resources", restApiId=api)["items"][0]["id"]
    pets = t.call("create-resource", "create_resource", restApiId=api, parentId=root, pathPart="pets")["id"]
    t.call("rest-api-resources-after-create", "get_resources", restApiId=api)
    t.call("create-subresource", "create_resource", restApiId=api, parentId=pets, pathPart="subpets")
    t.call("rest-api-resources-after-create-sub", "get_resources", restApiId=api)
    t.call("update-path-part", "update_resource", restApiId=api, resourceId=pets,
           patchOperations=[patch("replace", "/pathPart", "dogs")])
    t.call("get-resp-after-update-path-part", "get_resource", restApiId=api, resourceId=pets)
    t.call("del-resource", "delete_resource", restApiId=api, resourceId=pets)
    t.call("rest-api-resources-after-delete", "get_resources", restApiId=api)


@port("TestApiGatewayApiResource::test_update_resource_behaviour")
def update_resource_behaviour(t):
    by_path(t)
    api = t.api(description="testing resource behaviour")["id"]
    root = t.root_id(api)
    pets = t.resource(api, root, "pets")

    def update(name, resource, ops):
        return t.call(name, "update_resource", restApiId=api, resourceId=resource, patchOperations=ops)

    update("nonexistent-resource", "fake-resource", [patch("replace", "/pathPart", "dogs")])
    update("invalid-path-part", pets, [patch("replace", "/invalid", "dogs")])
    update("invalid-parent-id", pets, [patch("replace", "/parentId", "fake-parent-id")])
    sub = t.call("create-subresource", "create_resource", restApiId=api, parentId=pets,
                 pathPart="subpets")["id"]
    child = t.call("create-subresource-child", "create_resource", restApiId=api, parentId=sub,
                   pathPart="pets")["id"]
    update("existing-future-sibling-path", child, [patch("replace", "/parentId", root)])
    t.raw("delete_resource", restApiId=api, resourceId=child)
    update("update-parent-id-to-subresource-id", pets, [patch("replace", "/parentId", sub)])
    update("update-parent-id-to-root-id", sub, [patch("replace", "/parentId", root)])
    update("update-path-already-exists", sub, [patch("replace", "/pathPart", "pets")])
    t.raw("delete_resource", restApiId=api, resourceId=pets)
    t.call("resources-after-deletion", "get_resources", restApiId=api)
    update("remove-unsupported", sub, [patch("remove", "/pathPart")])
    update("add-unsupported", sub, [patch("add", "/pathPart", "added-pets")])


@port("TestApiGatewayApiResource::test_update_resource_on_root")
def update_resource_on_root(t):
    by_path(t)
    api = t.api(description="testing resource behaviour")
    for name, ops in [("update-root-path-part", [patch("replace", "/pathPart", "dogs")]),
                      ("update-root-parent", [patch("replace", "/parentId", api["rootResourceId"])])]:
        t.call(name, "update_resource", restApiId=api["id"], resourceId=api["rootResourceId"],
               patchOperations=ops)


@port("TestApiGatewayApiResource::test_delete_resource")
def delete_resource(t):
    api = t.api(description="testing resource behaviour")["id"]
    root = t.root_id(api)
    pets = t.resource(api, root, "pets")
    sub = t.resource(api, pets, "subpets")
    t.call("delete-resource", "delete_resource", restApiId=api, resourceId=pets)
    t.call("get-resources", "get_resources", restApiId=api)
    t.call("delete-subresource", "delete_resource", restApiId=api, resourceId=sub)


@port("TestApiGatewayApiResource::test_create_resource_parent_invalid")
def create_resource_parent_invalid(t):
    api = t.api(description="testing resource parent")["id"]
    t.call("wrong-resource-parent-id", "create_resource", restApiId=api,
           parentId="fake-resource-id", pathPart="subpets")


@port("TestApiGatewayApiResource::test_create_proxy_resource")
def create_proxy_resource(t):
    by_path(t)
    api = t.api(description="testing resource proxy")["id"]
    root = t.root_id(api)

    def create(name, parent, part):
        return t.call(name, "create_resource", restApiId=api, parentId=parent, pathPart=part)

    create("create-base-proxy-resource", root, "{proxy+}")
    parent = t.do("create_resource", restApiId=api, parentId=root, pathPart="parent")["id"]
    t.match("create-proxy-sibling-resource", parent)
    proxy_child = create("create-proxy-sibling-proxy-child-resource", parent, "{proxy+}")["id"]
    child = create("create-proxy-sibling-static-child-resource", parent, "child")["id"]
    create("create-static-child-proxy-resource", child, "{proxy+}")
    t.call("all-resources", "get_resources", restApiId=api)
    t.raw("delete_resource", restApiId=api, resourceId=proxy_child)
    dynamic = create("create-proxy-sibling-dynamic-child-resource", parent, "{child}")["id"]
    create("create-dynamic-child-proxy-resource", dynamic, "{proxy+}")
    t.call("all-resources-2", "get_resources", restApiId=api)


@port("TestApiGatewayApiResource::test_create_proxy_resource_validation")
def create_proxy_resource_validation(t):
    by_path(t)
    api = t.api(description="testing resource proxy")["id"]
    root = t.root_id(api)
    proxy = t.call("create-base-proxy-resource", "create_resource", restApiId=api, parentId=root,
                   pathPart="{proxy+}")["id"]
    for name, parent, part in [("create-proxy-dynamic-sibling-resource", root, "{dynamic}"),
                               ("create-proxy-static-child-resource", proxy, "child"),
                               ("create-proxy-dynamic-child-resource", proxy, "{child}")]:
        t.call(name, "create_resource", restApiId=api, parentId=parent, pathPart=part)
    parent = t.resource(api, root, "parent")
    t.call("create-greedy-child-resource", "create_resource", restApiId=api, parentId=parent,
           pathPart="{child+}")


# --- authorizers, methods -----------------------------------------------------


@port("TestApiGatewayApiAuthorizer::test_authorizer_crud_no_api")
def authorizer_crud_no_api(t):
    t.call("wrong-rest-api-id-create-authorizer", "create_authorizer", restApiId="test-fake-rest-id",
           name="fake-auth-name", type="TOKEN", authorizerUri=AUTHORIZER_URI,
           identitySource="method.request.header.Authorization")
    t.call("wrong-rest-api-id-get-authorizers", "get_authorizers", restApiId="test-fake-rest-id")


@port("TestApiGatewayApiMethod::test_method_lifecycle")
def method_lifecycle(t):
    api = t.api(description="testing resource method lifecycle")
    ids = {"restApiId": api["id"], "resourceId": api["rootResourceId"], "httpMethod": "ANY"}
    t.call("put-base-method-response", "put_method", authorizationType="NONE", **ids)
    t.call("get-base-method-response", "get_method", **ids)
    t.call("del-base-method-response", "delete_method", **ids)
    t.call("get-deleted-method-response", "get_method", **ids)
    t.call("delete-deleted-method-response", "delete_method", **ids)


@port("TestApiGatewayApiMethod::test_method_request_parameters")
def method_request_parameters(t):
    api = t.api(description="testing resource method request params")
    ids = {"restApiId": api["id"], "resourceId": api["rootResourceId"]}
    t.call("put-method-request-params-response", "put_method", httpMethod="ANY",
           authorizationType="NONE", requestParameters={
               "method.request.querystring.q_optional": False,
               "method.request.querystring.q_required": True,
               "method.request.header.h_optional": False,
               "method.request.header.h_required": True,
           }, **ids)
    t.call("get-method-request-params-response", "get_method", httpMethod="ANY", **ids)
    t.call("req-params-same-name", "put_method", httpMethod="GET", authorizationType="NONE",
           requestParameters={"method.request.querystring.optional": False,
                              "method.request.header.optional": False}, **ids)


@port("TestApiGatewayApiMethod::test_put_method_model")
def put_method_model(t):
    api = t.api(description="testing resource method model")
    a, root = api["id"], api["rootResourceId"]
    for name, model in [("create-model", "MySchema"), ("create-model-2", "MySchemaTwo")]:
        t.call(name, "create_model", name=model, restApiId=a, contentType="application/json",
               description="", schema=json.dumps({"title": model, "type": "object"}))
    t.call("put-method-request-models", "put_method", restApiId=a, resourceId=root, httpMethod="ANY",
           authorizationType="NONE", requestModels={"application/json": "MySchema"})
    t.call("delete-model-used", "delete_model", restApiId=a, modelName="MySchema")
    t.call("update-method-model", "update_method", restApiId=a, resourceId=root, httpMethod="ANY",
           patchOperations=[patch("replace", "/requestModels/application~1json", "MySchemaTwo")])
    t.call("delete-model-unused", "delete_model", restApiId=a, modelName="MySchema")
    t.call("delete-model-used-2", "delete_model", restApiId=a, modelName="MySchemaTwo")
    sub = t.resource(a, root, "test")
    t.call("put-method-2-request-models", "put_method", restApiId=a, resourceId=sub,
           httpMethod="ANY", authorizationType="NONE",
           requestModels={"application/json": "MySchemaTwo"})
    t.call("delete-model-used-by-2-method", "delete_model", restApiId=a, modelName="MySchemaTwo")
    t.call("update-method-model-2", "update_method", restApiId=a, resourceId=sub, httpMethod="ANY",
           patchOperations=[patch("remove", "/requestModels/application~1json", "MySchemaTwo")])
    t.call("delete-model-used-by-method-1", "delete_model", restApiId=a, modelName="MySchemaTwo")
    t.call("delete-method-using-model-2", "delete_method", restApiId=a, resourceId=root,
           httpMethod="ANY")
    t.call("delete-model-unused-2", "delete_model", restApiId=a, modelName="MySchemaTwo")


@port("TestApiGatewayApiMethod::test_put_method_validation")
def put_method_validation(t):
    api = t.api(description="testing resource method request params")
    a, root = api["id"], api["rootResourceId"]
    for name, kwargs in [
        ("wrong-api", {"restApiId": "fake-api", "resourceId": root, "httpMethod": "WRONG"}),
        ("wrong-resource", {"restApiId": a, "resourceId": "fake-resource-id", "httpMethod": "WRONG"}),
        ("wrong-method", {"restApiId": a, "resourceId": root, "httpMethod": "WRONG"}),
        ("missing-authorizer-id", {"restApiId": a, "resourceId": root, "httpMethod": "ANY",
                                   "authorizationType": "CUSTOM"}),
        ("invalid-request-validator", {"restApiId": a, "resourceId": root, "httpMethod": "ANY",
                                       "requestValidatorId": "fake-validator"}),
        ("invalid-model-name", {"restApiId": a, "resourceId": root, "httpMethod": "ANY",
                                "requestModels": {"application/json": "petModel"}}),
    ]:
        kwargs.setdefault("authorizationType", "NONE")
        t.call(name, "put_method", **kwargs)


@port("TestApiGatewayApiMethod::test_update_method")
def update_method(t):
    api = t.api(description="testing update method")
    ids = {"restApiId": api["id"], "resourceId": api["rootResourceId"], "httpMethod": "ANY"}
    t.call("put-method-response", "put_method", authorizationType="NONE", **ids)
    t.call("update-method-add", "update_method", patchOperations=[
        patch("add", "/requestParameters/method.request.querystring.optional", "true"),
        patch("add", "/requestModels/application~1json", "Empty")], **ids)
    t.call("update-method-replace", "update_method", patchOperations=[
        patch("replace", "/operationName", "ReplacedOperationName"),
        patch("replace", "/apiKeyRequired", "true"),
        patch("replace", "/authorizationType", "AWS_IAM"),
        patch("replace", "/requestParameters/method.request.querystring.optional", "false")], **ids)
    auth = t.do("create_authorizer", restApiId=api["id"], name="authorizer-test", type="TOKEN",
                authorizerUri=AUTHORIZER_URI, identitySource="method.request.header.Authorization")
    t.call("update-method-replace-authorizer", "update_method", patchOperations=[
        patch("replace", "/authorizerId", auth["id"]),
        patch("replace", "/authorizationType", "CUSTOM")], **ids)
    t.call("update-method-remove", "update_method", patchOperations=[
        patch("remove", "/requestParameters/method.request.querystring.optional", "true"),
        patch("remove", "/requestModels/application~1json", "Empty")], **ids)


@port("TestApiGatewayApiMethod::test_update_method_validation")
def update_method_validation(t):
    api = t.api(description="testing resource method request params")
    a, root = api["id"], api["rootResourceId"]
    t.call("wrong-rest-api", "update_method", restApiId="fake-api", resourceId=root,
           httpMethod="ANY", patchOperations=[])
    t.call("wrong-resource-id", "update_method", restApiId=a, resourceId="fake-resource-id",
           httpMethod="ANY", patchOperations=[])
    t.call("method-does-not-exist", "update_method", restApiId=a, resourceId=root, httpMethod="GET",
           patchOperations=[patch("replace", "/operationName", "methodDoesNotExist")])
    t.call("put-method-response", "put_method", restApiId=a, resourceId=root, httpMethod="ANY",
           authorizationType="NONE", apiKeyRequired=True)
    for name, ops in [
        ("unsupported-operation", [patch("add", "/operationName", "operationName")]),
        ("unsupported-operation-2", [patch("add", "/requestValidatorId", "wrong-id")]),
        ("unsupported-path", [patch("add", "/httpMethod", "PUT")]),
        ("wrong-path-request-parameters",
         [patch("replace", "/requestParameters", "method.request.querystring.optional=false")]),
        ("wrong-path-request-models", [patch("add", "/requestModels/application/json", "Empty")]),
        ("wrong-value-type", [patch("replace", "/apiKeyRequired", "whatever")]),
        ("wrong-auth-type", [patch("replace", "/authorizationType", "CUSTOM")]),
        ("skip-auth-id-with-wrong-type", [patch("replace", "/authorizerId", "abc123")]),
        ("wrong-auth-id", [patch("replace", "/authorizationType", "CUSTOM"),
                           patch("replace", "/authorizerId", "abc123")]),
        ("wrong-req-validator-id", [patch("replace", "/requestValidatorId", "fake-id")]),
    ]:
        t.call(name, "update_method", restApiId=a, resourceId=root, httpMethod="ANY",
               patchOperations=ops)


# --- models -------------------------------------------------------------------

CALC_SCHEMA = (
    '{\n\t"title": "Calc output",\n\t"type": "object",\n\t"properties": {\n\t\t"a": {\n\t\t\t"type": '
    '"number"\n\t\t},\n\t\t"b": {\n\t\t\t"type": "number"\n\t\t},\n\t\t"op": {\n\t\t\t"description": '
    '"operation of +, -, * or /",\n\t\t\t"type": "string"\n\t\t},\n\t\t"c": {\n\t\t    "type": '
    '"number"\n\t\t}\n\t},\n\t"required": ["a", "b", "op"]\n}\n'
)


@port("TestApiGatewayApiModels::test_model_lifecycle")
def model_lifecycle(t):
    a = t.api(description="testing resource model lifecycle")["id"]
    t.call("create-model", "create_model", name="CalcOutput", restApiId=a,
           contentType="application/json", description="Calc output model", schema=CALC_SCHEMA)
    models = t.raw("get_models", restApiId=a)
    models.get("items", []).sort(key=lambda x: x.get("name", ""))
    t.match("get-models", models)
    t.call("get-model", "get_model", restApiId=a, modelName="CalcOutput")
    t.call("del-model", "delete_model", restApiId=a, modelName="CalcOutput")


@port("TestApiGatewayApiModels::test_model_validation")
def model_validation(t):
    a = t.api(description="testing resource model lifecycle")["id"]
    fake = "abcde0"
    schema = json.dumps({"title": "MySchema", "type": "object"})
    t.call("create-model-wrong-id", "create_model", name="MySchema", restApiId=fake,
           contentType="application/json", description="Test model", schema=schema)
    t.call("get-models-wrong-id", "get_models", restApiId=fake)
    t.call("get-model-wrong-id", "get_model", restApiId=fake, modelName="MySchema")
    t.call("del-model-wrong-id", "delete_model", restApiId=fake, modelName="MySchema")
    t.do("create_model", name="MySchema", restApiId=a, contentType="application/json",
         description="", schema=schema)
    t.call("create-model-already-exists", "create_model", name="MySchema", restApiId=a,
           contentType="application/json", description="", schema=schema)
    t.call("create-model-empty-name", "create_model", name="", restApiId=a,
           contentType="application/json", description="", schema=schema)
    t.call("create-model-empty-schema", "create_model", name="MyEmptySchema", restApiId=a,
           contentType="application/json", description="", schema="")
    t.call("create-model-no-schema-json", "create_model", name="MyEmptySchema", restApiId=a,
           contentType="application/json", description="")
    t.call("create-model-no-schema-xml", "create_model", name="MyEmptySchemaXml", restApiId=a,
           contentType="application/xml", description="")


@port("TestApiGatewayApiModels::test_update_model")
def update_model(t):
    a = t.api(description="testing update resource model")["id"]
    ops = [patch("replace", "/schema", json.dumps({"title": "Updated schema", "type": "object"})),
           patch("replace", "/description", "")]
    t.call("update-model-wrong-id", "update_model", restApiId="abcde0", modelName="mySchema",
           patchOperations=ops)
    t.call("create-model", "create_model", name="MySchema", restApiId=a,
           contentType="application/json", description="",
           schema=json.dumps({"title": "MySchema", "type": "object"}))
    t.call("update-model", "update_model", restApiId=a, modelName="MySchema", patchOperations=ops)
    for name, o in [("update-model-invalid-op", patch("add", "/wrong-path", "not supported op")),
                    ("update-model-invalid-path", patch("replace", "/name", "invalid")),
                    ("update-model-empty-schema", patch("replace", "/schema", ""))]:
        t.call(name, "update_model", restApiId=a, modelName="MySchema", patchOperations=[o])


# --- request validators -------------------------------------------------------


@port("TestApiGatewayApiRequestValidator::test_validators_crud_no_api")
def validators_crud_no_api(t):
    t.call("wrong-rest-api-id-create-validator", "create_request_validator",
           restApiId="test-fake-rest-id", name="test-validator", validateRequestBody=True,
           validateRequestParameters=False)
    t.call("wrong-rest-api-id-get-validators", "get_request_validators", restApiId="test-fake-rest-id")


@port("TestApiGatewayApiRequestValidator::test_request_validator_lifecycle")
def request_validator_lifecycle(t):
    a = t.call("create-rest-api", "create_rest_api", name=f"test-api-{t.uid()}",
               description="my api")["id"]
    v = t.call("create-request-validator", "create_request_validator", restApiId=a,
               name=f"test-validator-{t.uid()}")["id"]
    ids = {"restApiId": a, "requestValidatorId": v}
    t.call("get-request-validator", "get_request_validator", **ids)
    t.call("get-request-validators", "get_request_validators", restApiId=a)
    t.call("update-request-validator-with-value", "update_request_validator",
           patchOperations=[patch("replace", "/validateRequestBody", "true")], **ids)
    t.call("update-request-validator-without-value", "update_request_validator",
           patchOperations=[patch("replace", "/validateRequestBody")], **ids)
    t.call("get-request-validators-after-update-operation", "get_request_validator", **ids)
    t.call("delete-request-validator", "delete_request_validator", **ids)
    t.call("get-deleted-request-validator", "get_request_validator", **ids)
    t.call("get-request-validators-after-delete", "get_request_validators", restApiId=a)


@port("TestApiGatewayApiRequestValidator::test_invalid_get_request_validator")
def invalid_get_request_validator(t):
    a = t.api(description="my api")["id"]
    v = t.do("create_request_validator", restApiId=a, name=f"test-validator-{t.uid()}")["id"]
    t.call("get-request-validators-invalid-api-id", "get_request_validator", restApiId="api_id",
           requestValidatorId=v)
    t.call("get-request-validators-invalid-validator-id", "get_request_validator", restApiId=a,
           requestValidatorId="validator_id")


@port("TestApiGatewayApiRequestValidator::test_invalid_get_request_validators")
def invalid_get_request_validators(t):
    t.call("get-invalid-request-validators", "get_request_validators", restApiId="api_id")


@port("TestApiGatewayApiRequestValidator::test_invalid_delete_request_validator")
def invalid_delete_request_validator(t):
    a = t.api(description="my api")["id"]
    v = t.do("create_request_validator", restApiId=a, name=f"test-validator-{t.uid()}")["id"]
    t.call("delete-request-validator-invalid-api-id", "delete_request_validator",
           restApiId="api_id", requestValidatorId=v)
    t.call("delete-request-validator-invalid-validator-id", "delete_request_validator",
           restApiId=a, requestValidatorId="validator_id")


@port("TestApiGatewayApiRequestValidator::test_create_request_validator_invalid_api_id")
def create_request_validator_invalid_api_id(t):
    t.call("invalid-create-request-validator", "create_request_validator", restApiId="api_id",
           name=f"test-validator-{t.uid()}")


@port("TestApiGatewayApiRequestValidator::test_invalid_update_request_validator_operations")
def invalid_update_request_validator_operations(t):
    a = t.call("create-rest-api", "create_rest_api", name=f"test-api-{t.uid()}",
               description="my api")["id"]
    v = t.call("create-request-validator", "create_request_validator", restApiId=a,
               name=f"test-validator-{t.uid()}")["id"]
    for name, o in [
        ("update-request-validator-invalid-add-operation", patch("add", "/validateRequestBody", "true")),
        ("update-request-validator-invalid-remove-operation",
         patch("remove", "/validateRequestBody", "true")),
        ("update-request-validator-invalid-path", patch("replace", "/invalidPath", "true")),
        ("update-request-validator-empty-name-value", patch("replace", "/name")),
    ]:
        t.call(name, "update_request_validator", restApiId=a, requestValidatorId=v,
               patchOperations=[o])


# --- documentation parts ------------------------------------------------------

DOC_PROPS = '{ "description": "Sample API description" }'
DOC_PROPS_UPDATED = '{ "description": "Updated Sample API description" }'


@port("TestApiGatewayApiDocumentationPart::test_doc_parts_crud_no_api")
def doc_parts_crud_no_api(t):
    t.call("wrong-rest-api-id-create-doc-part", "create_documentation_part",
           restApiId="test-fake-rest-id", location={"type": "API"},
           properties='{\n\t"info": {\n\t\t"description" : "Your first API with Amazon API Gateway."\n\t}\n}')
    t.call("wrong-rest-api-id-get-doc-parts", "get_documentation_parts", restApiId="test-fake-rest-id")


def api_with_doc_part(t):
    a = t.api(description="this is my api")["id"]
    part = t.raw("create_documentation_part", restApiId=a, location={"type": "API"},
                 properties=DOC_PROPS)
    return a, part


@port("TestApiGatewayApiDocumentationPart::test_documentation_part_lifecycle")
def documentation_part_lifecycle(t):
    a = t.api(description="this is my api")["id"]
    d = t.call("create-documentation-part", "create_documentation_part", restApiId=a,
               location={"type": "API"}, properties=DOC_PROPS)["id"]
    ids = {"restApiId": a, "documentationPartId": d}
    t.call("get-documentation-part", "get_documentation_part", **ids)
    t.call("get-documentation-parts", "get_documentation_parts", restApiId=a)
    t.call("update-documentation-part", "update_documentation_part",
           patchOperations=[patch("replace", "/properties", DOC_PROPS_UPDATED)], **ids)
    t.call("get-documentation-part-after-update", "get_documentation_part", **ids)
    t.call("delete_documentation_part", "delete_documentation_part", **ids)


@port("TestApiGatewayApiDocumentationPart::test_invalid_get_documentation_part")
def invalid_get_documentation_part(t):
    a, part = api_with_doc_part(t)
    t.call("get-documentation-part-invalid-api-id", "get_documentation_part", restApiId="api_id",
           documentationPartId=part.get("id", "missing"))
    t.call("get-documentation-part-invalid-doc-id", "get_documentation_part", restApiId=a,
           documentationPartId="documentation_part_id")


@port("TestApiGatewayApiDocumentationPart::test_invalid_get_documentation_parts")
def invalid_get_documentation_parts(t):
    t.call("get-inavlid-documentation-parts", "get_documentation_parts", restApiId="api_id")


@port("TestApiGatewayApiDocumentationPart::test_invalid_update_documentation_part")
def invalid_update_documentation_part(t):
    a, part = api_with_doc_part(t)
    d = part.get("id", "missing")
    t.call("update-documentation-part-invalid-api-id", "update_documentation_part",
           restApiId="api_id", documentationPartId=d,
           patchOperations=[patch("replace", "/properties", DOC_PROPS_UPDATED)])
    t.call("update-documentation-part-invalid-add-operation", "update_documentation_part",
           restApiId=a, documentationPartId=d,
           patchOperations=[patch("add", "/properties", DOC_PROPS_UPDATED)])
    t.call("update-documentation-part-invalid-path", "update_documentation_part",
           restApiId=a, documentationPartId=d,
           patchOperations=[patch("replace", "/invalidPath", DOC_PROPS_UPDATED)])


@port("TestApiGatewayApiDocumentationPart::test_invalid_create_documentation_part_operations")
def invalid_create_documentation_part_operations(t):
    a = t.api(description="this is my api")["id"]
    t.call("create_documentation_part_invalid_api_id", "create_documentation_part",
           restApiId="api_id", location={"type": "API"}, properties=DOC_PROPS)
    t.call("create_documentation_part_invalid_location_type", "create_documentation_part",
           restApiId=a, location={"type": "INVALID"}, properties=DOC_PROPS)


@port("TestApiGatewayApiDocumentationPart::test_invalid_delete_documentation_part")
def invalid_delete_documentation_part(t):
    a, part = api_with_doc_part(t)
    d = part.get("id", "missing")
    t.call("delete_documentation_part_wrong_api_id", "delete_documentation_part",
           restApiId="api_id", documentationPartId=d)
    t.call("delete_documentation_part", "delete_documentation_part", restApiId=a,
           documentationPartId=d)
    t.call("delete_already_deleted_documentation_part", "delete_documentation_part",
           restApiId=a, documentationPartId=d)


@port("TestApiGatewayApiDocumentationPart::test_import_documentation_parts")
def import_documentation_parts(t):
    from harness.inputs import read
    spec = read("oas30_documentation_parts.json")
    a = t.do("import_rest_api", body=spec, failOnWarnings=True)["id"]
    parts = t.call("get-documentations-parts-after-api-imports", "get_documentation_parts",
                   restApiId=a)
    for item in parts.get("items", []):
        t.raw("delete_documentation_part", restApiId=a, documentationPartId=item["id"])
    t.call("import-documentation-parts", "import_documentation_parts", restApiId=a,
           mode="overwrite", body=spec)
    t.call("get-documentations-parts-after-import", "get_documentation_parts", restApiId=a)


BAD_YAML = """test:
    value:
        - "value ... \"escaped\": $var, \"dt\": $(var +"%a")}\"
        """
BAD_JSON = "{'key:value}"


@port("TestApiGatewayApiDocumentationPart::test_import_documentation_parts_bad_file")
def import_documentation_parts_bad_file(t):
    a = t.api(description="APIGW test import documentation")["id"]
    for name, body in [("import-documentation-parts-bad-yaml-file", BAD_YAML),
                       ("import-documentation-parts-bad-json-file", BAD_JSON)]:
        t.call(name, "import_documentation_parts", restApiId=a, mode="overwrite", body=body)


# --- gateway responses --------------------------------------------------------

GR_PARAMS = {
    "gatewayresponse.header.x-request-path": "method.request.path.petId",
    "gatewayresponse.header.Access-Control-Allow-Origin": "'a.b.c'",
    "gatewayresponse.header.x-request-query": "method.request.querystring.q",
    "gatewayresponse.header.x-request-header": "method.request.header.Accept",
}
GR_TEMPLATE = (
    '{\n     "message": $context.error.messageString,\n     "type":  "$context.error.responseType",\n'
    '     "stage":  "$context.stage",\n     "resourcePath":  "$context.resourcePath",\n'
    '     "stageVariables.a":  "$stageVariables.a",\n     "statusCode": "\'404\'"\n}'
)


def by_response_type(t):
    t.snap.sort("items", lambda x: x.get("responseType", ""))


@port("TestApiGatewayGatewayResponse::test_gateway_response_crud")
def gateway_response_crud(t):
    by_response_type(t)
    a = t.api(description="APIGW test GatewayResponse")["id"]
    ids = {"restApiId": a, "responseType": "MISSING_AUTHENTICATION_TOKEN"}
    t.call("get-gateway-response-default", "get_gateway_response", **ids)
    t.call("put-gateway-response", "put_gateway_response", statusCode="404",
           responseParameters=GR_PARAMS, responseTemplates={"application/json": GR_TEMPLATE}, **ids)
    t.call("get-gateway-responses", "get_gateway_responses", restApiId=a)
    t.call("get-gateway-response", "get_gateway_response", **ids)
    t.call("delete-gateway-response", "delete_gateway_response", **ids)
    t.call("get-deleted-gw-response", "get_gateway_response", **ids)


@port("TestApiGatewayGatewayResponse::test_gateway_response_put")
def gateway_response_put(t):
    by_response_type(t)
    a = t.api(description="APIGW test GatewayResponse")["id"]
    mat = {"restApiId": a, "responseType": "MISSING_AUTHENTICATION_TOKEN"}
    accept = {"gatewayresponse.header.x-request-header": "method.request.header.Accept"}
    t.call("put-gateway-response-all-value", "put_gateway_response", statusCode="404",
           responseParameters=GR_PARAMS, responseTemplates={"application/json": GR_TEMPLATE}, **mat)
    t.call("put-gateway-response-status-only", "put_gateway_response", statusCode="404", **mat)
    t.call("put-gateway-response-response-parameters-only", "put_gateway_response",
           responseParameters=accept, **mat)
    t.call("put-gateway-response-response-templates-only", "put_gateway_response",
           responseTemplates={"application/json": GR_TEMPLATE}, **mat)
    t.call("put-gateway-response-default-5xx", "put_gateway_response", restApiId=a,
           responseType="DEFAULT_5XX", statusCode="599", responseParameters=accept,
           responseTemplates={"application/json": GR_TEMPLATE})
    t.call("put-gateway-response-default-ignored", "put_gateway_response", restApiId=a,
           responseType="AUTHORIZER_FAILURE", responseParameters={"gatewayresponse.header.foo": "'bar'"})
    t.call("get-gateway-responses", "get_gateway_responses", restApiId=a)


@port("TestApiGatewayGatewayResponse::test_gateway_response_validation")
def gateway_response_validation(t):
    a = t.api(description="APIGW test GatewayResponse")["id"]
    fake = f"apiid123{t.uid()}"
    t.snap.replace_text(fake, "fake-api-id")  # as the recorded test did
    u = {"unchecked": True}
    t.call("get-gateway-responses-no-api", "get_gateway_responses", restApiId=fake, **u)
    t.call("get-gateway-response-no-api", "get_gateway_response", restApiId=fake,
           responseType="DEFAULT_4XX", **u)
    t.call("delete-gateway-response-no-api", "delete_gateway_response", restApiId=fake,
           responseType="DEFAULT_4XX", **u)
    t.call("update-gateway-response-no-api", "update_gateway_response", restApiId=fake,
           responseType="DEFAULT_4XX", patchOperations=[], **u)
    t.call("delete-gateway-response-not-set", "delete_gateway_response", restApiId=a,
           responseType="DEFAULT_4XX", **u)
    t.call("get-gateway-response-wrong-response-type", "get_gateway_response", restApiId=a,
           responseType="FAKE_RESPONSE_TYPE", **u)
    t.call("delete-gateway-response-wrong-response-type", "delete_gateway_response", restApiId=a,
           responseType="FAKE_RESPONSE_TYPE", **u)
    t.call("update-gateway-response-wrong-response-type", "update_gateway_response", restApiId=a,
           responseType="FAKE_RESPONSE_TYPE", patchOperations=[], **u)
    t.call("put-gateway-response-wrong-response-type", "put_gateway_response", restApiId=a,
           responseType="FAKE_RESPONSE_TYPE", statusCode="404", responseParameters={},
           responseTemplates={}, **u)


@port("TestApiGatewayGatewayResponse::test_update_gateway_response")
def update_gateway_response(t):
    a = t.api(description="APIGW test GatewayResponse")["id"]
    d4 = {"restApiId": a, "responseType": "DEFAULT_4XX", "unchecked": True}
    allow_origin = "/responseParameters/gatewayresponse.header.Access-Control-Allow-Origin"
    t.call("update-gateway-response-not-set", "update_gateway_response",
           patchOperations=[patch("replace", "/statusCode", "444")], **d4)
    t.call("default-get-gateway-response", "get_gateway_response", **d4)
    t.call("put-gateway-response", "put_gateway_response", statusCode="404",
           responseParameters=GR_PARAMS,
           responseTemplates={"application/json": json.dumps(
               {"application/json": '{"message":$context.error.messageString}'})}, **d4)
    t.call("update-gateway-response", "update_gateway_response", patchOperations=[
        patch("replace", "/statusCode", "444"),
        patch("replace", allow_origin, "'example.com'"),
        patch("add", "/responseTemplates/application~1xml",
              "<gatewayResponse><message>$context.error.messageString</message><type>"
              "$context.error.responseType</type></gatewayResponse>"),
    ], **d4)
    t.call("get-gateway-response", "get_gateway_response", **d4)
    t.call("update-gateway-add-status-code", "update_gateway_response",
           patchOperations=[patch("add", "/statusCode", "444")], **d4)
    t.call("update-gateway-remove-status-code", "update_gateway_response",
           patchOperations=[patch("remove", "/statusCode")], **d4)
    t.call("update-gateway-replace-invalid-parameter", "update_gateway_response", restApiId=a,
           responseType="DEFAULT_5XX", unchecked=True,
           patchOperations=[patch("replace", allow_origin, "'example.com'")])
    t.call("update-gateway-no-path", "update_gateway_response",
           patchOperations=[{"op": "add", "value": "'example.com'"}], **d4)
    t.call("update-gateway-wrong-op", "update_gateway_response",
           patchOperations=[patch("wrong-op", "/statusCode", "'example.com'")], **d4)
    t.call("update-gateway-wrong-path", "update_gateway_response",
           patchOperations=[patch("add", "/wrongPath", "'example.com'")], **d4)
    for index, path in enumerate(("/responseTemplates/application~1xml", allow_origin)):
        t.call(f"update-gateway-replace-invalid-parameter-{index}-none", "update_gateway_response",
               patchOperations=[{"op": "replace", "path": path, "value": None}], **d4)


# --- VPC links ----------------------------------------------------------------


@port("TestApiGatewayVpcLink::test_vpc_link_lifecycle",
      note="the NLB is a made-up ARN (no ELBv2 here), as LocalStack does")
def vpc_link_lifecycle(t):
    nlb = (f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/net/"
           f"my-load-balancer/50dc6c495c0c9188")
    t.match("nlb-arn", nlb)
    name = f"test-vpc-link-{t.uid()}"
    link = t.call("create_vpc_link", "create_vpc_link", name=name, targetArns=[nlb])
    lid = link.get("id", "missing")
    got = t.raw("get_vpc_link", vpcLinkId=lid)
    for _ in range(20):
        if got.get("status") != "PENDING":
            break
        got = t.raw("get_vpc_link", vpcLinkId=lid)
    t.match("get_vpc_link", got)
    links = t.raw("get_vpc_links")
    if "items" in links:
        links["items"] = [i for i in links["items"] if i.get("id") == lid]
    t.match("get_vpc_links", links)
    t.call("update_vpc_link", "update_vpc_link", vpcLinkId=lid,
           patchOperations=[patch("replace", "/name", f"{name}-updated")])
    t.call("delete_vpc_link", "delete_vpc_link", vpcLinkId=lid)


@port("TestApiGatewayVpcLink::test_create_vpc_link_invalid_parameters")
def create_vpc_link_invalid_parameters(t):
    t.call("create_vpc_link_invalid_target_arn", "create_vpc_link", name=f"test-vpc-link-{t.uid()}",
           targetArns=["invalid-arn"])
    t.call("create_vpc_link_empty_name", "create_vpc_link", name="", targetArns=[])


@port("TestApiGatewayVpcLink::test_get_vpc_link_invalid_id")
def get_vpc_link_invalid_id(t):
    t.call("get_vpc_link_invalid_id", "get_vpc_link", vpcLinkId="invalid-id")


@port("TestApiGatewayVpcLink::test_delete_vpc_link_invalid_id")
def delete_vpc_link_invalid_id(t):
    t.call("delete_vpc_link_invalid_id", "delete_vpc_link", vpcLinkId="invalid-id")


@port("TestApiGatewayVpcLink::test_update_vpc_link_invalid_id")
def update_vpc_link_invalid_id(t):
    t.call("update_vpc_link_invalid_id", "update_vpc_link", vpcLinkId="invalid-id",
           patchOperations=[patch("replace", "/name", "new-name")])


# --- TestInvokeMethod ---------------------------------------------------------

TEST_INVOKE_LOG = [
    (r"URI: https:\/\/.*?\/2015-03-31", "URI: https://<endpoint_url>/2015-03-31"),
    (r"Integration latency: \d*? ms", "Integration latency: <latency> ms"),
    (r"Date=[a-zA-Z]{3},\s\d{2}\s[a-zA-Z]{3}\s\d{4}\s\d{2}:\d{2}:\d{2}\sGMT",
     "Date=Day, dd MMM yyyy hh:mm:ss GMT"),
    (r"x-amzn-RequestId=[a-f0-9-]{36}", "x-amzn-RequestId=<request-id-lambda>"),
    (r"[a-zA-Z]{3}\s[a-zA-Z]{3}\s\d{2}\s\d{2}:\d{2}:\d{2}\sUTC\s\d{4} :", "DDD MMM dd hh:mm:ss UTC yyyy :"),
    (r"Authorization=.*?,", "Authorization=<authorization-header>,"),
    (r"X-Amz-Security-Token=.*?\s\[", "X-Amz-Security-Token=<token> ["),
    (r"\d{8}T\d{6}Z", "<date>"),
]


def test_invoke_shape(response: dict) -> dict:
    """The tests' formatter: the log as numbered lines, with the volatile parts
    replaced as their regex transformers replace them."""
    import re
    if "log" not in response:
        return response
    text = response["log"]
    first = text.split("\n")[0].split(" ")[-1]
    if first:
        text = text.replace(first, "<request-id>")
    for pattern, repl in TEST_INVOKE_LOG:
        text = re.sub(pattern, repl, text)
    out = dict(response)
    out["log"] = {f"line{i:02d}": line for i, line in enumerate(text.split("\n"))}
    return out


@port("TestApigatewayTestInvoke::test_invoke_test_method")
def invoke_test_method(t):
    a = t.do("create_rest_api", name="aws lambda api")
    a = t.with_root(a)
    api, root = a["id"], a["rootResourceId"]
    pets = t.resource(api, root, "pets")
    pet = t.resource(api, pets, "{petId}")
    path_param = {"method.request.path.petId": True}
    t.do("put_method", restApiId=api, resourceId=pets, httpMethod="GET", authorizationType="NONE")
    for m in ("GET", "POST"):
        t.do("put_method", restApiId=api, resourceId=pet, httpMethod=m, authorizationType="NONE",
             requestParameters=path_param)
    for r, m in ((pets, "GET"), (pet, "GET"), (pet, "POST")):
        t.do("put_method_response", restApiId=api, resourceId=r, httpMethod=m, statusCode="200")
    status = {"application/json": json.dumps({"statusCode": 200})}
    t.do("put_integration", restApiId=api, resourceId=pets, httpMethod="GET", type="MOCK",
         integrationHttpMethod="GET", requestTemplates=status)
    for m in ("GET", "POST"):
        t.do("put_integration", restApiId=api, resourceId=pet, httpMethod=m, type="MOCK",
             integrationHttpMethod=m,
             requestParameters={"integration.request.path.id": "method.request.path.petId"},
             requestTemplates=status)
    t.do("put_integration_response", restApiId=api, resourceId=pets, httpMethod="GET",
         statusCode="200", responseTemplates={"application/json": json.dumps({"pets": "all the pets"})})
    for m in ("GET", "POST"):
        t.do("put_integration_response", restApiId=api, resourceId=pet, httpMethod=m,
             statusCode="200",
             responseTemplates={"application/json": json.dumps({"petId": "$input.params('petId')"})})

    def invoke(name, resource, method, path=None, body=""):
        kwargs = {"pathWithQueryString": path} if path is not None else {}
        r = t.raw("test_invoke_method", restApiId=api, resourceId=resource, httpMethod=method,
                  body=body, **kwargs)
        t.match(name, test_invoke_shape(r))

    invoke("test-invoke-method-get-pets", pets, "GET")
    invoke("test-invoke-method-get-pets-bad-path", pets, "GET", "/random/test")
    invoke("test-invoke-method-get-pets-id", pet, "GET", "/pets/123")
    invoke("test-invoke-method-get-pets-id-no-path", pet, "GET")
    invoke("test-invoke-method-get-pets-id-bad-path", pet, "GET", "/random/test")
    invoke("test-invoke-method-get-with-qs", pet, "GET", "/pets/123?foo=bar")
    invoke("test-invoke-method-post-with-body", pet, "POST", "/pets/123", json.dumps({"foo": "bar"}))
    body = json.dumps({"foo": "bar"})
    t.call("resource-method-not-found", "test_invoke_method", restApiId=api, resourceId=pet,
           httpMethod="HEAD", pathWithQueryString="/pets/123", body=body)
    t.call("resource-id-not-found", "test_invoke_method", restApiId=api, resourceId="invalid_res",
           httpMethod="POST", pathWithQueryString="/pets/123", body=body)
    t.call("rest-api-not-found", "test_invoke_method", restApiId=api, resourceId="invalid_res",
           httpMethod="POST", pathWithQueryString="/pets/123", body=body)


@port("TestApigatewayTestInvoke::test_failed_invoke_test_method")
def failed_invoke_test_method(t):
    a = t.with_root(t.do("create_rest_api", name="test failed invoke"))
    ids = {"restApiId": a["id"], "resourceId": a["rootResourceId"], "httpMethod": "ANY"}
    t.do("put_method", authorizationType="NONE", **ids)
    t.do("put_integration", type="HTTP_PROXY", uri="https://${stageVariables.testHost}",
         integrationHttpMethod="ANY", **ids)
    r = t.raw("test_invoke_method", restApiId=a["id"], resourceId=a["rootResourceId"],
              httpMethod="GET", body="")
    t.match("test-invoke-failure", test_invoke_shape(r))


# --- integrations -------------------------------------------------------------

MOCK_200 = {"application/json": '{"statusCode": 200}'}


@port("TestApigatewayIntegration::test_put_integration_wrong_type")
def put_integration_wrong_type(t):
    a = t.api(description="APIGW test PutIntegration Types")
    t.call("put-integration-wrong-type", "put_integration", unchecked=True, restApiId=a["id"],
           resourceId=a["rootResourceId"], httpMethod="GET", type="HTTPS_PROXY")


@port("TestApigatewayIntegration::test_put_integration_response_validation")
def put_integration_response_validation(t):
    a = t.api(description="testing PutIntegrationResponse method exc")
    api, root = a["id"], a["rootResourceId"]
    t.do("put_method", restApiId=api, resourceId=root, httpMethod="POST", authorizationType="NONE")
    for name, resource in [("put-integration-wrong-method", root),
                           ("put-integration-wrong-resource", "badresource")]:
        t.call(name, "put_integration", restApiId=api, resourceId=resource, httpMethod="GET",
               integrationHttpMethod="GET", type="MOCK", requestTemplates=MOCK_200)
    t.do("put_integration", restApiId=api, resourceId=root, httpMethod="POST",
         integrationHttpMethod="GET", type="MOCK", requestTemplates=MOCK_200)
    for name, resource in [("put-integration-response-wrong-method", root),
                           ("put-integration-response-wrong-resource", "badresource")]:
        t.call(name, "put_integration_response", restApiId=api, resourceId=resource,
               httpMethod="GET", statusCode="200", selectionPattern="",
               responseTemplates={"application/json": json.dumps({})})


@port("TestApigatewayIntegration::test_put_integration_response_templates")
def put_integration_response_templates(t):
    a = t.api(description="testing PutIntegrationResponse method exc")
    ids = {"restApiId": a["id"], "resourceId": a["rootResourceId"], "httpMethod": "POST"}
    t.do("put_method", authorizationType="NONE", **ids)
    t.do("put_integration", integrationHttpMethod="GET", type="MOCK", requestTemplates=MOCK_200, **ids)
    for name, extra in [("put-integration-response-template-none",
                         {"responseTemplates": {"application/json": None}}),
                        ("put-integration-response-template-empty",
                         {"responseTemplates": {"application/json": ""}}),
                        ("put-integration-no-response-template", {})]:
        t.call(name, "put_integration_response", unchecked=True, statusCode="200",
               selectionPattern="", **ids, **extra)


@port("TestApigatewayIntegration::test_put_integration_request_parameter_bool_type")
def put_integration_request_parameter_bool_type(t):
    a = t.api(description="APIGW test PutIntegration RequestParam")
    ids = {"restApiId": a["id"], "resourceId": a["rootResourceId"]}
    u = {"unchecked": True}
    t.call("bool-method", "put_method", httpMethod="GET", authorizationType="NONE",
           requestParameters={"method.request.path.testPath": True}, **ids, **u)
    t.call("put-method-request-param-wrong-type", "put_method", httpMethod="POST",
           authorizationType="NONE",
           requestParameters={"method.request.path.testPath": True, True: True}, **ids, **u)
    t.call("put-integration-request-param-wrong-type", "put_integration", httpMethod="GET",
           type="HTTP_PROXY", requestParameters={True: True}, **ids, **u)
    t.call("put-integration-request-param-bool-value", "put_integration", httpMethod="GET",
           type="HTTP_PROXY", requestParameters={"integration.request.path.testPath": True},
           **ids, **u)


@port("TestApigatewayIntegration::test_create_integration_with_vpc_link")
def create_integration_with_vpc_link(t):
    a = t.with_root(t.do("create_rest_api", name="test vpc link"))
    ids = {"restApiId": a["id"], "resourceId": a["rootResourceId"], "httpMethod": "GET"}
    t.do("put_method", authorizationType="NONE", **ids)
    t.call("put-integration-vpc-link", "put_integration", type="HTTP_PROXY",
           uri=f"http://my-vpclink-test-nlb-1234567890abcdef.{REGION}.amazonaws.com",
           integrationHttpMethod="GET", connectionType="VPC_LINK",
           connectionId="${stageVariables.vpcLinkId}", **ids)
    t.call("get-integration-vpc-link", "get_integration", **ids)
    t.call("update-integration-vpc-link", "update_integration", patchOperations=[
        patch("replace", "/connectionId", "${stageVariables.vpcLinkIdBeta}")], **ids)
    t.call("get-integration-update-vpc-link", "get_integration", **ids)


@port("TestApigatewayIntegration::test_get_integration_non_existent")
def get_integration_non_existent(t):
    a = t.api(description="APIGW test PutIntegration Types")
    api, root = a["id"], a["rootResourceId"]
    u = {"unchecked": True, "httpMethod": "GET"}
    t.call("get-integration-no-api", "get_integration", restApiId=t.uid(), resourceId=root, **u)
    t.call("get-integration-no-resource", "get_integration", restApiId=api, resourceId=t.uid(), **u)
    t.call("get-integration-no-method", "get_integration", restApiId=api, resourceId=root, **u)
    t.do("put_method", restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
    t.call("get-integration-no-integration", "get_integration", restApiId=api, resourceId=root, **u)


# --- integration responses ----------------------------------------------------


def mock_get(t, with_integration=True):
    a = t.api()
    ids = {"restApiId": a["id"], "resourceId": a["rootResourceId"], "httpMethod": "GET"}
    t.do("put_method", authorizationType="NONE", **ids)
    if with_integration:
        t.do("put_integration", type="MOCK", requestTemplates=MOCK_200, **ids)
    return ids


@port("TestApigatewayIntegrationResponse::test_integration_response_wrong_api")
def integration_response_wrong_api(t):
    ids = {"restApiId": "wrong-api", "resourceId": "dummy-value", "httpMethod": "GET", "statusCode": "200"}
    t.call("put-integration-response-wrong-api", "put_integration_response", **ids)
    t.call("get-integration-response-wrong-api", "get_integration_response", **ids)


@port("TestApigatewayIntegrationResponse::test_integration_response_wrong_resource")
def integration_response_wrong_resource(t):
    a = t.api(description="APIGW test Integration Resource")
    ids = {"restApiId": a["id"], "resourceId": "wrong-resource", "httpMethod": "GET", "statusCode": "200"}
    t.call("put-integration-response-wrong-resource", "put_integration_response", **ids)
    t.call("get-integration-response-wrong-resource", "get_integration_response", **ids)


@port("TestApigatewayIntegrationResponse::test_integration_response_wrong_method")
def integration_response_wrong_method(t):
    a = t.api(description="APIGW test Integration Method")
    ids = {"restApiId": a["id"], "resourceId": a["rootResourceId"], "httpMethod": "wrong-method",
           "statusCode": "200"}
    t.call("put-integration-response-wrong-method", "put_integration_response", **ids)
    t.call("get-integration-response-wrong-method", "get_integration_response", **ids)


@port("TestApigatewayIntegrationResponse::test_integration_response_invalid_statuscode")
def integration_response_invalid_statuscode(t):
    a = t.api(description="APIGW test Integration Invalid StatusCode")
    ids = {"restApiId": a["id"], "resourceId": a["rootResourceId"], "httpMethod": "GET",
           "statusCode": "wrong"}
    t.call("put-integration-response-invalid-statusCode", "put_integration_response",
           responseTemplates={"application/json": '"created"'}, selectionPattern="", **ids)
    t.call("get-integration-response-invalid-statusCode", "get_integration_response", **ids)


@port("TestApigatewayIntegrationResponse::test_integration_response_invalid_responsetemplates")
def integration_response_invalid_responsetemplates(t):
    a = t.api(description="APIGW test wrong api")
    ids = {"restApiId": a["id"], "resourceId": a["rootResourceId"], "httpMethod": "GET"}
    t.do("put_method", authorizationType="NONE", **ids)
    t.do("put_integration", integrationHttpMethod="GET", type="MOCK", requestTemplates=MOCK_200, **ids)
    t.call("put-integration-response-invalid-responseTemplates-1", "put_integration_response",
           unchecked=True, statusCode="200", selectionPattern="",
           responseTemplates={"application/json": 123}, **ids)
    t.call("put-integration-response-invalid-responseTemplates-2", "put_integration_response",
           unchecked=True, statusCode="200", selectionPattern="",
           responseTemplates={123: '{"statusCode": 200}'}, **ids)


@port("TestApigatewayIntegrationResponse::test_integration_response_invalid_integration")
def integration_response_invalid_integration(t):
    ids = mock_get(t, with_integration=False)
    t.call("get-integration-response-without-integration", "get_integration_response",
           statusCode="200", **ids)


@port("TestApigatewayIntegrationResponse::test_integration_response_wrong_status_code")
def integration_response_wrong_status_code(t):
    ids = mock_get(t)
    t.call("get-integration-response-wrong-status-code", "get_integration_response",
           statusCode="201", **ids)


@port("TestApigatewayIntegrationResponse::test_lifecycle_integration_response")
def lifecycle_integration_response(t):
    ids = mock_get(t)
    t.call("put-integration-response", "put_integration_response", statusCode="200",
           responseTemplates={"application/json": '"created"'}, selectionPattern="", **ids)
    t.call("get-integration-response", "get_integration_response", statusCode="200", **ids)
    t.call("update-integration-response", "update_integration_response", statusCode="200",
           patchOperations=[patch("replace", "/selectionPattern", "updated-pattern")], **ids)
    t.call("overwrite-integration-response", "put_integration_response", statusCode="200",
           responseTemplates={"application/json": "overwrite"},
           selectionPattern="overwrite-pattern", **ids)
    t.call("get-method", "get_method", **ids)
    t.call("delete-integration-response", "delete_integration_response", statusCode="200", **ids)


@port("TestApigatewayIntegrationResponse::test_delete_integration_response_errors")
def delete_integration_response_errors(t):
    ids = mock_get(t)
    api, root = ids["restApiId"], ids["resourceId"]
    t.call("put-integration-response", "put_integration_response", statusCode="200",
           responseTemplates={"application/json": '"created"'}, selectionPattern="", **ids)
    for name, a, r, m, code in [("non-existent-resource", api, "bad-resource", "GET", "200"),
                                ("non-existent-api-id", "bad-api-id", root, "GET", "200"),
                                ("non-existent-method", api, root, "POST", "200"),
                                ("non-existent-status-code", api, root, "GET", "201"),
                                ("bad-method", api, root, "WRONG", "201")]:
        t.call(name, "delete_integration_response", unchecked=True, restApiId=a, resourceId=r,
               httpMethod=m, statusCode=code)


# --- method responses ---------------------------------------------------------

HEADER = "/responseParameters/method.response.header.my-header"
JSON_MODEL = "/responseModels/application~1json"


def with_method_response(t, params=True):
    ids = mock_get(t)
    extra = ({"responseParameters": {"method.response.header.my-header": False},
              "responseModels": {"application/json": "Empty"}} if params else {})
    t.do("put_method_response", statusCode="200", **ids, **extra)
    return ids


@port("TestApigatewayMethodResponse::test_update_method_wrong_param_names")
def update_method_wrong_param_names(t):
    ids = with_method_response(t)
    for i, o in enumerate([patch("replace", "/responseParameters/wrong", "true"),
                           patch("remove", "/responseParameters/wrong", "true"),
                           patch("replace", "/responseModels/wrong", "Empty"),
                           patch("remove", "/responseModels/wrong", "Empty")], start=1):
        t.call(f"update-method-response-operation-with-wrong-param-name-{i}",
               "update_method_response", statusCode="200", patchOperations=[o], **ids)


@port("TestApigatewayMethodResponse::test_update_method_lack_response_parameters_and_models")
def update_method_lack_response_parameters_and_models(t):
    ids = with_method_response(t, params=False)
    for name, o in [("update-method-response-operation-without-response-parameters",
                     patch("remove", HEADER, "true")),
                    ("update-method-response-operation-without-response-models",
                     patch("remove", JSON_MODEL, "Empty")),
                    ("update-method-response-operation-with-wrong-path",
                     patch("remove", "/wrong/method.response.header.my-header", "true"))]:
        t.call(name, "update_method_response", statusCode="200", patchOperations=[o], **ids)


@port("TestApigatewayMethodResponse::test_update_method_response_negative_tests")
def update_method_response_negative_tests(t):
    ids = with_method_response(t)
    api, root = ids["restApiId"], ids["resourceId"]
    for name, r, m, code, op in [
        ("update-method-response-wrong-statuscode", root, "GET", "201", "replace"),
        ("update-method-response-invalid-statuscode", root, "GET", "wrong", "replace"),
        ("update-method-response-invalid-statuscode-and-wrong-op", root, "GET", "wrong", "wrong_op"),
        ("update-method-response-wrong-resource", "wrong", "GET", "200", "replace"),
        ("update-method-response-wrong-method", root, "POST", "200", "replace"),
    ]:
        t.call(name, "update_method_response", restApiId=api, resourceId=r, httpMethod=m,
               statusCode=code, patchOperations=[patch(op, HEADER, "true")])


@port("TestApigatewayMethodResponse::test_update_method_response_wrong_operations")
def update_method_response_wrong_operations(t):
    ids = with_method_response(t)
    wh, wm = patch("wrong_op", HEADER, "true"), patch("wrong_op", JSON_MODEL, "Empty")
    for i, ops in enumerate([[wh], [wm], [wh, wm], [wh, wm, wh, wm],
                             [wh, patch("remove", JSON_MODEL, "Empty"), wm]], start=1):
        t.call(f"update-method-response-wrong-operation-{i}", "update_method_response",
               statusCode="200", patchOperations=ops, **ids)


@port("TestApigatewayMethodResponse::test_update_method_response")
def update_method_response(t):
    ids = with_method_response(t)
    t.call("remove-update-method-response", "update_method_response", statusCode="200",
           patchOperations=[patch("remove", HEADER, "true"), patch("remove", JSON_MODEL, "Empty")],
           **ids)
    t.call("add-update-method-response", "update_method_response", statusCode="200",
           patchOperations=[patch("add", HEADER, "true"), patch("add", JSON_MODEL, "Empty")], **ids)


@port("TestApigatewayMethodResponse::test_lifecycle_method_response")
def lifecycle_method_response(t):
    ids = mock_get(t)
    t.call("put-method-response", "put_method_response", statusCode="200", responseParameters={},
           responseModels={}, **ids)
    t.call("get-integration-response", "get_method_response", statusCode="200", **ids)
    t.call("add-method-responses", "update_method_response", statusCode="200",
           patchOperations=[patch("add", HEADER, "true"), patch("add", JSON_MODEL, "Empty")], **ids)
    t.call("update-method-responses", "update_method_response", statusCode="200",
           patchOperations=[patch("replace", HEADER, "true"), patch("replace", JSON_MODEL, "Empty")],
           **ids)
    t.call("get-method", "get_method", **ids)
    t.call("delete-method-response", "delete_method_response", statusCode="200", **ids)


# --- stages -------------------------------------------------------------------


def api_for_deployment(t) -> str:
    a = t.api(name=f"test-stages-{t.uid()}")
    t.mock_method(a["id"], a["rootResourceId"])
    return a["id"]


def log_group_arn(t) -> str:
    """apigw has no CloudWatch Logs API: a log group ARN of the shape AWS
    returns for one (without the trailing `:*`)."""
    return f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:test-log-group-{t.uid()}"


@port("TestApiGatewayStage::test_get_stages_filters_by_deployment_id")
def get_stages_filters_by_deployment_id(t):
    api = api_for_deployment(t)
    d1 = t.do("create_deployment", restApiId=api, stageName="stage1")
    d2 = t.do("create_deployment", restApiId=api, stageName="stage2")
    t.call("all-stages", "get_stages", restApiId=api)
    t.call("stages-deploy1", "get_stages", restApiId=api, deploymentId=d1["id"])
    t.call("stages-deploy2", "get_stages", restApiId=api, deploymentId=d2["id"])


@port("TestApiGatewayStage::test_stage_access_log_settings",
      note="the log group ARN is made up: apigw serves no CloudWatch Logs API")
def stage_access_log_settings(t):
    api = api_for_deployment(t)
    arn = log_group_arn(t)
    dep = t.call("create-deployment", "create_deployment", restApiId=api)
    ids = {"restApiId": api, "stageName": "dev"}
    t.call("create-stage", "create_stage", deploymentId=dep.get("id", "missing"),
           description="dev stage", **ids)
    for name, o in [
        ("update-stage-access-log-dest-add", patch("add", "/accessLogSettings/destinationArn", arn)),
        ("update-stage-access-log-dest-replace",
         patch("replace", "/accessLogSettings/destinationArn", arn + "a")),
        ("update-stage-access-log-format-add",
         patch("add", "/accessLogSettings/format", "$context.requestId $context.identity.sourceIp")),
        ("update-stage-access-log-remove-all", patch("remove", "/accessLogSettings")),
    ]:
        t.call(name, "update_stage", patchOperations=[o], **ids)


@port("TestApiGatewayStage::test_stage_access_log_settings_validation",
      note="the log group ARN is made up: apigw serves no CloudWatch Logs API")
def stage_access_log_settings_validation(t):
    api = api_for_deployment(t)
    arn = log_group_arn(t)
    dep = t.call("create-deployment", "create_deployment", restApiId=api)
    ids = {"restApiId": api, "stageName": "dev"}
    t.call("create-stage", "create_stage", deploymentId=dep.get("id", "missing"),
           description="dev stage", **ids)

    def update(name, o):
        t.call(name, "update_stage", patchOperations=[o], **ids)

    for op in ("add", "remove", "replace"):
        update(f"invalid-path-{op}", patch(op, "/accessLogSettings/randomValue", "updated"))
    for op in ("add", "remove", "replace"):
        update(f"star-and-{op}", patch(op, "/accessLogSettings/*", "updated"))
    for op in ("add", "replace"):
        update(f"root-and-{op}", patch(op, "/accessLogSettings", "test"))
    update("update-stage-access-log-dest-add", patch("add", "/accessLogSettings/destinationArn", arn))
    for path in ("destinationArn", "format"):
        update(f"update-stage-access-log-{path}-empty",
               {"op": "replace", "path": f"/accessLogSettings/{path}", "value": ""})
    update("update-stage-access-log-dest-remove", patch("remove", "/accessLogSettings/destinationArn"))
