"""Drives TestInvokeMethod with boto3 against a real node: a MOCK method
(path parameters read against the resource's path, query string, body),
an HTTP method calling a real backend on 127.0.0.1 (this script's own
server, which echoes what it got), an HTTP_PROXY method whose URI names
an unset stage variable (AWS's 500) and the same with `stageVariables`
given, a MOCK method rendering the given stage variables, and the NotFound refusals. Prints
one JSON object with what it saw; the Rust test asserts on it.

    test_invoke.py ADMIN_URL ACCESS_KEY SECRET_KEY
"""

import http.server
import json
import sys
import threading

import boto3
import botocore.exceptions

admin, key, secret = sys.argv[1:4]
client = boto3.client("apigateway", endpoint_url=admin, region_name="us-east-1",
                      aws_access_key_id=key, aws_secret_access_key=secret)
seen = {}


class Echo(http.server.BaseHTTPRequestHandler):
    """Answers every GET with the path and a header it was sent."""

    def do_GET(self):
        body = json.dumps({"path": self.path, "probe": self.headers.get("x-probe")}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def error_of(call, **kwargs):
    try:
        call(**kwargs)
        return None
    except botocore.exceptions.ClientError as e:
        err = e.response["Error"]
        return [err["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"], err["Message"]]


def shape(r):
    return {k: r[k] for k in ("status", "body", "headers", "multiValueHeaders", "log", "latency")}


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]

    api = client.create_rest_api(name="test-invoke")["id"]
    root = client.get_resources(restApiId=api)["items"][0]["id"]
    items = client.create_resource(restApiId=api, parentId=root, pathPart="items")["id"]
    item = client.create_resource(restApiId=api, parentId=items, pathPart="{id}")["id"]
    ids = {"restApiId": api, "resourceId": item, "httpMethod": "POST"}
    client.put_method(authorizationType="NONE", **ids)
    client.put_method_response(statusCode="200", **ids)
    client.put_integration(type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'}, **ids)
    template = '{"id": "$input.params(\'id\')", "q": "$input.params(\'q\')"}'
    client.put_integration_response(statusCode="200", responseTemplates={"application/json": template}, **ids)
    seen["mock"] = shape(client.test_invoke_method(
        pathWithQueryString="/items/42?q=yes", body='{"n": 1}', **ids))

    http_ids = {"restApiId": api, "resourceId": items, "httpMethod": "GET"}
    client.put_method(authorizationType="NONE", **http_ids)
    client.put_integration(type="HTTP_PROXY", integrationHttpMethod="GET",
                           uri=f"http://127.0.0.1:{port}/backend", **http_ids)
    seen["http"] = shape(client.test_invoke_method(
        pathWithQueryString="/items", headers={"x-probe": "hello"}, **http_ids))

    client.put_method(authorizationType="NONE", restApiId=api, resourceId=root, httpMethod="ANY")
    client.put_integration(type="HTTP_PROXY", integrationHttpMethod="ANY", uri="https://${stageVariables.host}",
                           restApiId=api, resourceId=root, httpMethod="ANY")
    seen["unset_variable"] = shape(client.test_invoke_method(
        restApiId=api, resourceId=root, httpMethod="GET"))

    hosted = client.create_resource(restApiId=api, parentId=root, pathPart="hosted")["id"]
    client.put_method(authorizationType="NONE", restApiId=api, resourceId=hosted, httpMethod="GET")
    client.put_integration(type="HTTP_PROXY", integrationHttpMethod="GET",
                           uri="http://${stageVariables.host}", restApiId=api, resourceId=hosted,
                           httpMethod="GET")
    seen["with_variable"] = shape(client.test_invoke_method(
        restApiId=api, resourceId=hosted, httpMethod="GET",
        stageVariables={"host": f"127.0.0.1:{port}/from-variable"}))
    vars_ids = {"restApiId": api, "resourceId": items, "httpMethod": "PUT"}
    client.put_method(authorizationType="NONE", **vars_ids)
    client.put_method_response(statusCode="200", **vars_ids)
    client.put_integration(type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'},
                           **vars_ids)
    client.put_integration_response(statusCode="200", responseTemplates={
        "application/json": '{"color": "$stageVariables.color", "stage": "$context.stage"}'}, **vars_ids)
    seen["mock_variables"] = shape(client.test_invoke_method(stageVariables={"color": "teal"}, **vars_ids))

    seen["no_method"] = error_of(client.test_invoke_method, restApiId=api, resourceId=item, httpMethod="HEAD")
    seen["no_resource"] = error_of(client.test_invoke_method, restApiId=api, resourceId="nope00", httpMethod="GET")
    seen["no_api"] = error_of(client.test_invoke_method, restApiId="nope000000", resourceId=item, httpMethod="GET")
    print(json.dumps(seen))
    server.shutdown()


main()
