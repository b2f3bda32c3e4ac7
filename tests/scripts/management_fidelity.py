"""Drives the management calls whose answers follow AWS's recorded ones
(issue 17) with boto3: RestApi create checks and endpoint patches,
UpdateMethod, UpdateGatewayResponse, UpdateIntegrationResponse,
UpdateResource (rename and move, then a deployment served at the new
path), default models, validators, API keys, documentation parts and
versions, VPC links. Prints one JSON object with what it saw; the Rust
test asserts on it.

    management_fidelity.py ADMIN_URL DATA_URL ACCESS_KEY SECRET_KEY
"""

import json
import sys
import urllib.error
import urllib.request

import boto3
import botocore.exceptions

admin, data, key, secret = sys.argv[1:5]
client = boto3.client("apigateway", endpoint_url=admin, region_name="us-east-1",
                      aws_access_key_id=key, aws_secret_access_key=secret)
seen = {}


def error_of(call, **kwargs):
    """[code, status, message] of a refused call (None if it succeeded)."""
    try:
        call(**kwargs)
        return None
    except botocore.exceptions.ClientError as e:
        err = e.response["Error"]
        return [err["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"], err["Message"]]


def patch(op, path, value=None):
    o = {"op": op, "path": path}
    if value is not None:
        o["value"] = value
    return o


def status_of(api_id, stage, path):
    url = f"{data}/restapis/{api_id}/{stage}/_user_request_{path}"
    try:
        with urllib.request.urlopen(urllib.request.Request(url)) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def rest_apis():
    seen["create_enum_errors"] = error_of(
        client.create_rest_api, name="x", description="",
        endpointConfiguration={"types": ["wrong"], "ipAddressType": "wrong"})
    seen["create_empty_description"] = error_of(client.create_rest_api, name="x", description="")
    seen["create_private_ipv4"] = error_of(
        client.create_rest_api, name="x",
        endpointConfiguration={"types": ["PRIVATE"], "ipAddressType": "ipv4"})
    dual = client.create_rest_api(name="dual", version="v1", endpointConfiguration={
        "types": ["EDGE"], "ipAddressType": "dualstack"})
    seen["dualstack"] = [dual["endpointConfiguration"]["ipAddressType"], dual.get("version")]
    api = client.create_rest_api(name="patched", binaryMediaTypes=["image/png", "image/jpeg"])
    a = api["id"]
    out = client.update_rest_api(restApiId=a, patchOperations=[
        patch("replace", "/binaryMediaTypes/image~1png", "image/gif"),
        patch("replace", "/endpointConfiguration/types/0", "PRIVATE")])
    seen["patched"] = [out["binaryMediaTypes"], out["endpointConfiguration"]]
    seen["private_to_ipv4"] = error_of(client.update_rest_api, restApiId=a, patchOperations=[
        patch("replace", "/endpointConfiguration/ipAddressType", "ipv4")])
    seen["compression_add"] = error_of(client.update_rest_api, restApiId=a, patchOperations=[
        patch("add", "/minimumCompressionSize", "10")])
    seen["whole_media_list"] = error_of(client.update_rest_api, restApiId=a, patchOperations=[
        patch("add", "/binaryMediaTypes", "image/gif")])
    models = client.get_models(restApiId=a)["items"]
    seen["default_models"] = sorted(m["name"] for m in models)
    seen["model_without_schema"] = error_of(
        client.create_model, restApiId=a, name="NoSchema", contentType="application/json")
    return api


def methods_and_responses(api):
    a, root = api["id"], api["rootResourceId"]
    ids = {"restApiId": a, "resourceId": root, "httpMethod": "GET"}
    client.put_method(authorizationType="NONE", **ids)
    seen["method_add_scalar"] = error_of(client.update_method, patchOperations=[
        patch("add", "/operationName", "op")], **ids)
    seen["method_custom_without_authorizer"] = error_of(client.update_method, patchOperations=[
        patch("replace", "/authorizationType", "CUSTOM")], **ids)
    out = client.update_method(patchOperations=[
        patch("replace", "/apiKeyRequired", "whatever"),
        patch("replace", "/authorizerId", "abc123")], **ids)
    seen["method_lenient"] = [out["apiKeyRequired"], out["authorizationType"], "authorizerId" in out]
    seen["duplicate_parameter_names"] = error_of(
        client.put_method, restApiId=a, resourceId=root, httpMethod="POST",
        authorizationType="NONE", requestParameters={
            "method.request.querystring.x": False, "method.request.header.x": False})
    client.put_integration(type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'},
                           **ids)
    client.put_method_response(statusCode="200", **ids)
    put = client.put_integration_response(statusCode="200", selectionPattern="",
                                          responseTemplates={"application/json": ""}, **ids)
    seen["integration_response_put"] = [put.get("selectionPattern"), put.get("responseTemplates")]
    upd = client.update_integration_response(statusCode="200", patchOperations=[
        patch("replace", "/selectionPattern", "2\\d{2}")], **ids)
    seen["integration_response_patch"] = upd.get("selectionPattern")
    gr = client.update_gateway_response(restApiId=a, responseType="DEFAULT_4XX", patchOperations=[
        patch("replace", "/statusCode", "444")])
    seen["gateway_response_patch"] = [gr["statusCode"], gr["defaultResponse"],
                                      sorted(gr["responseTemplates"])]
    seen["gateway_response_replace_missing"] = error_of(
        client.update_gateway_response, restApiId=a, responseType="DEFAULT_5XX",
        patchOperations=[patch("replace", "/responseParameters/gatewayresponse.header.x", "'y'")])
    seen["gateway_response_delete_unset"] = error_of(
        client.delete_gateway_response, restApiId=a, responseType="DEFAULT_5XX")
    seen["gateway_response_bad_type"] = error_of(
        client.get_gateway_response, restApiId=a, responseType="NOT_A_TYPE")
    v = client.create_request_validator(restApiId=a, name="v", validateRequestBody=True)
    out = client.update_request_validator(restApiId=a, requestValidatorId=v["id"],
                                          patchOperations=[patch("replace", "/validateRequestBody")])
    seen["validator_without_value"] = out["validateRequestBody"]
    seen["validator_blank_name"] = error_of(
        client.update_request_validator, restApiId=a, requestValidatorId=v["id"],
        patchOperations=[patch("replace", "/name", "")])


def resources():
    api = client.create_rest_api(name="moves")
    a, root = api["id"], api["rootResourceId"]
    pets = client.create_resource(restApiId=a, parentId=root, pathPart="pets")["id"]
    sub = client.create_resource(restApiId=a, parentId=pets, pathPart="sub")["id"]
    ids = {"restApiId": a, "resourceId": sub, "httpMethod": "GET"}
    client.put_method(authorizationType="NONE", **ids)
    client.put_integration(type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'},
                           **ids)
    client.put_method_response(statusCode="200", **ids)
    client.put_integration_response(statusCode="200", **ids)
    seen["cyclical"] = error_of(client.update_resource, restApiId=a, resourceId=pets,
                                patchOperations=[patch("replace", "/parentId", sub)])
    seen["root_rename"] = error_of(client.update_resource, restApiId=a, resourceId=root,
                                   patchOperations=[patch("replace", "/pathPart", "x")])
    renamed = client.update_resource(restApiId=a, resourceId=pets,
                                     patchOperations=[patch("replace", "/pathPart", "dogs")])
    moved = client.get_resource(restApiId=a, resourceId=sub)
    seen["renamed"] = [renamed["id"] == pets, renamed["path"], moved["path"]]
    again = client.create_resource(restApiId=a, parentId=root, pathPart="pets")["id"]
    seen["old_path_new_id"] = again not in (pets, sub)
    client.create_deployment(restApiId=a, stageName="prod")
    seen["served_after_move"] = [status_of(a, "prod", "/dogs/sub"),
                                 status_of(a, "prod", "/pets/sub")]


def keys_and_docs():
    name = "fidelity-key-one"
    k = client.create_api_key(name=name)
    client.create_api_key(name="other-key")
    unnamed = client.create_api_key()
    seen["key_unnamed_has_no_name"] = "name" not in unnamed
    listed = client.get_api_keys(nameQuery="fidelity-")["items"]
    seen["key_name_query"] = [i["id"] == k["id"] for i in listed]
    seen["key_name_query_cased"] = len(client.get_api_keys(nameQuery="FIDELITY")["items"])
    seen["key_value_too_long"] = error_of(client.create_api_key, value="a" * 129)
    seen["up_keys_missing_plan"] = client.get_usage_plan_keys(usagePlanId="nope")["items"]
    api = client.create_rest_api(name="docs")["id"]
    part = client.create_documentation_part(restApiId=api, location={"type": "API"},
                                            properties=json.dumps({"description": "d"}))
    client.update_documentation_part(restApiId=api, documentationPartId=part["id"],
                                     patchOperations=[patch("replace", "/properties",
                                                            json.dumps({"description": "e"}))])
    got = client.get_documentation_part(restApiId=api, documentationPartId=part["id"])
    seen["doc_part"] = [got["location"], json.loads(got["properties"])]
    seen["doc_part_bad_type"] = error_of(client.create_documentation_part, restApiId=api,
                                         location={"type": "NOPE"}, properties="{}")
    client.create_documentation_version(restApiId=api, documentationVersion="v1")
    ver = client.update_documentation_version(restApiId=api, documentationVersion="v1",
                                              patchOperations=[patch("replace", "/description", "x")])
    seen["doc_version"] = [ver["version"], ver.get("description")]
    doc = {"openapi": "3.0.1", "info": {"title": "t", "version": "1"}, "paths": {},
           "x-amazon-apigateway-documentation": {"version": "1", "documentationParts": [
               {"location": {"type": "API"}, "properties": {"description": "imported"}}]}}
    imported = client.import_documentation_parts(restApiId=api, mode="overwrite",
                                                 body=json.dumps(doc))
    parts = client.get_documentation_parts(restApiId=api)["items"]
    seen["doc_import"] = [len(imported["ids"]), [json.loads(p["properties"]) for p in parts]]
    seen["doc_import_bad"] = error_of(client.import_documentation_parts, restApiId=api,
                                      body="{'key:value}")
    client.delete_documentation_part(restApiId=api, documentationPartId=imported["ids"][0])
    seen["doc_deleted_again"] = error_of(client.delete_documentation_part, restApiId=api,
                                         documentationPartId=imported["ids"][0])


def vpc_links():
    nlb = "arn:aws:elasticloadbalancing:us-east-1:111111111111:loadbalancer/net/lb/50dc6c495c0c9188"
    link = client.create_vpc_link(name="link", targetArns=[nlb])
    got = client.get_vpc_link(vpcLinkId=link["id"])
    upd = client.update_vpc_link(vpcLinkId=link["id"],
                                 patchOperations=[patch("replace", "/name", "link-2")])
    listed = [i["id"] for i in client.get_vpc_links()["items"]]
    client.delete_vpc_link(vpcLinkId=link["id"])
    seen["vpc_link"] = [link["status"], got["status"], upd["name"], listed == [link["id"]]]
    seen["vpc_link_gone"] = error_of(client.get_vpc_link, vpcLinkId=link["id"])
    seen["vpc_link_bad_arn"] = error_of(client.create_vpc_link, name="l", targetArns=["bad"])


methods_and_responses(rest_apis())
resources()
keys_and_docs()
vpc_links()
print(json.dumps(seen))
