"""The configurations each scenario gives apigw, nginx and haproxy, written
to be equivalent: the same path in, the same backend, the same work where
the peer can do it (a key check, a rate limit far above the load, a JSON
access log; a fixed body answered by the proxy itself).

Every proxy is given one worker (two in the 2-core layout) and limits far
above the load, so what is measured is the work per request, not a cap."""

import json

PREFIX = "/restapis/bench/b/_user_request_"
# The backend's answer and the fixed body of the MOCK scenario: 64 bytes.
BODY = '{"pets":[{"id":1,"type":"dog"},{"id":2,"type":"cat"}],"n":12345}'
MOCK_TEMPLATE = '{"pets":[{"id":1,"type":"dog"},{"id":2,"type":"cat"}],"st":"$context.stage"}'
MOCK_BODY = MOCK_TEMPLATE.replace("$context.stage", "b")
API_KEY = "bench-key-0123456789abcdef"
# Far above any load this machine can make: admission is evaluated on every
# request, never refuses one. The burst is huge on purpose: apigw's GCRA
# refuses when burst/rate seconds separate a worker's clock reading from the
# bucket's state, and a worker descheduled that long on a busy machine
# (10M/s with a 1M burst: 0.1 s) got a 429 in a 2-worker run.
HIGH_RATE = 1_000_000
HIGH_BURST = 1_000_000_000


def backend_nginx(work, port, workers):
    return f"""
daemon off;
master_process on;
worker_processes {workers};
pid {work}/backend.pid;
error_log {work}/logs/backend-error.log warn;
worker_rlimit_nofile 16384;
events {{ worker_connections 10000; }}
http {{
  access_log off;
  keepalive_requests 10000000;
  server {{
    listen 127.0.0.1:{port} backlog=4096;
    location / {{ default_type application/json; return 200 '{BODY}'; }}
  }}
}}
"""


# --- apigw -----------------------------------------------------------------

def _yaml(value):
    """YAML for the config: JSON is YAML."""
    return json.dumps(value, indent=1)


def apigw_config(api_file, workers, access_log=False, keys=False, functions=(), more_apis=()):
    """`more_apis`: ids of further APIs, each in `{id}.yaml`, on stage b."""
    config = {
        "node": {"workers": workers},
        "log": {"format": "json", "level": "info" if access_log else "warn"},
        "limits": {
            # The default account throttle (10,000 req/s, as AWS's) would
            # answer most of the load 429: raised far above it here.
            "account_rate_limit": HIGH_RATE,
            "account_burst_limit": HIGH_BURST,
            "max_connections_per_ip": 0,
        },
        "apis": [{"id": "bench", "openapi": api_file, "stages": [{"name": "b"}]}]
        + [{"id": i, "openapi": f"{i}.yaml", "stages": [{"name": "b"}]} for i in more_apis],
        "functions": list(functions),
    }
    if keys:
        config["api_keys"] = [{"name": "bench", "value": API_KEY}]
        config["usage_plans"] = [{
            "name": "bench", "throttle": {"rate": HIGH_RATE, "burst": HIGH_BURST},
            "stages": [{"api": "bench", "stage": "b"}], "keys": ["bench"]}]
    return _yaml(config)


def _doc(paths, extra=None):
    doc = {"openapi": "3.0.1", "info": {"title": "bench", "version": "1"}, "paths": paths}
    doc.update(extra or {})
    return _yaml(doc)


def _proxy_integration(backend):
    return {"type": "http_proxy", "httpMethod": "ANY",
            "uri": f"http://127.0.0.1:{backend}/{{proxy}}",
            "requestParameters": {"integration.request.path.proxy": "method.request.path.proxy"}}


def api_http_proxy(backend, keys=False):
    method = {"parameters": [{"name": "proxy", "in": "path", "required": True}],
              "x-amazon-apigateway-integration": _proxy_integration(backend)}
    extra = None
    if keys:
        method["security"] = [{"api_key": []}]
        extra = {"components": {"securitySchemes": {
            "api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"}}}}
    return _doc({"/{proxy+}": {"x-amazon-apigateway-any-method": method}}, extra)


def api_mock():
    return _doc({"/pets": {"get": {"x-amazon-apigateway-integration": {
        "type": "mock",
        "requestTemplates": {"application/json": '{"statusCode": 200}'},
        "responses": {"default": {"statusCode": "200", "responseTemplates": {
            "application/json": MOCK_TEMPLATE}}}}}}})


# The VTL scenario: an HTTP (non-proxy) integration whose request template
# builds the backend's JSON body from the path, query and context, and whose
# response template reshapes the backend's answer.
VTL_REQUEST = """#set($id = $input.params('id'))
{"petId": "$id", "q": "$util.escapeJavaScript($input.params('q'))", "stage": "$context.stage", "requestId": "$context.requestId", "agent": "$util.escapeJavaScript($input.params('User-Agent'))"}"""
VTL_RESPONSE = """#set($b = $input.path('$'))
{"count": $b.pets.size(), "first": "$b.pets[0].type", "n": $b.n, "ids": [#foreach($p in $b.pets)$p.id#if($foreach.hasNext),#end#end]}"""
VTL_PATH = "/vtl/pets/7?q=small"


def api_vtl(backend):
    return _doc({"/vtl/pets/{id}": {"get": {
        "parameters": [{"name": "id", "in": "path", "required": True},
                       {"name": "q", "in": "query"}],
        "x-amazon-apigateway-integration": {
            "type": "http", "httpMethod": "POST",
            "uri": f"http://127.0.0.1:{backend}/pets/{{id}}",
            "requestParameters": {"integration.request.path.id": "method.request.path.id"},
            "passthroughBehavior": "when_no_templates",
            "requestTemplates": {"application/json": VTL_REQUEST},
            "responses": {"default": {"statusCode": "200", "responseTemplates": {
                "application/json": VTL_RESPONSE}}}}}}})


def lambda_uri(name):
    return ("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
            f"arn:aws:lambda:us-east-1:123456789012:function:{name}/invocations")


def api_lambda():
    return _doc({"/fn": {"get": {"x-amazon-apigateway-integration": {
        "type": "aws_proxy", "httpMethod": "POST", "uri": lambda_uri("fn")}}}})


# What one imported document may declare (node/src/import/limits.rs).
MAX_PATHS_PER_API = 1000


def api_sized(backend, paths):
    """`paths` paths of three resources each (/rN, /rN/items, /rN/items/{id});
    at most MAX_PATHS_PER_API (the node's import limit)."""
    integration = {"type": "http_proxy", "httpMethod": "GET",
                   "uri": f"http://127.0.0.1:{backend}/pets"}
    return _doc({f"/r{i}/items/{{id}}": {"get": {
        "parameters": [{"name": "id", "in": "path", "required": True}],
        "x-amazon-apigateway-integration": integration}} for i in range(paths)})


# --- nginx -----------------------------------------------------------------

NGINX_JSON_LOG = (
    "log_format json escape=json '{\"requestId\":\"$request_id\",\"ip\":\"$remote_addr\","
    "\"method\":\"$request_method\",\"path\":\"$request_uri\",\"status\":$status,"
    "\"latency_ms\":$request_time,\"protocol\":\"$server_protocol\","
    "\"integrationStatus\":\"$upstream_status\","
    "\"integrationLatency\":\"$upstream_response_time\"}';")


def nginx_proxy(work, port, backend, workers, kind):
    """kind: proxy, keyed (key map + limit_req + JSON log), fixed (return
    200 with the MOCK body), h2c (proxy on an h2c-only listener)."""
    listen = f"127.0.0.1:{port} backlog=4096" + (" http2" if kind == "h2c" else "")
    http_extra, location = "", ""
    if kind == "keyed":
        http_extra = f"""
  map $http_x_api_key $api_key_ok {{ "{API_KEY}" 1; default 0; }}
  limit_req_zone $http_x_api_key zone=plan:1m rate={HIGH_RATE}r/s;
  {NGINX_JSON_LOG}"""
        location = f"""
      if ($api_key_ok = 0) {{ return 403 '{{"message":"Forbidden"}}'; }}
      limit_req zone=plan burst={HIGH_BURST} nodelay;
      access_log {work}/logs/nginx-access.log json buffer=64k flush=100ms;"""
    if kind == "fixed":
        body = f"default_type application/json; return 200 '{MOCK_BODY}';"
    else:
        body = f"""{location}
      proxy_pass http://backend/;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $remote_addr;"""
    return f"""
daemon off;
master_process on;
worker_processes {workers};
pid {work}/nginx-{kind}.pid;
error_log {work}/logs/nginx-error.log warn;
worker_rlimit_nofile 16384;
events {{ worker_connections 10000; }}
http {{
  access_log off;
  keepalive_requests 10000000;
  http2_max_concurrent_streams 128;
  upstream backend {{ server 127.0.0.1:{backend}; keepalive 128; keepalive_requests 10000000; }}
  {http_extra}
  server {{
    listen {listen};
    location {PREFIX}/ {{ {body}
    }}
  }}
}}
"""


# --- haproxy ---------------------------------------------------------------

HAPROXY_JSON_LOG = (
    "log-format '{\"requestId\":\"%ID\",\"ip\":\"%ci\",\"method\":\"%HM\",\"path\":\"%HU\","
    "\"status\":%ST,\"latency_ms\":%Ta,\"protocol\":\"%HV\",\"integrationLatency\":%Tr}'")


def haproxy(port, backend, threads, kind):
    """kind as for nginx_proxy. The keyed variant logs to stdout (one write
    per line: haproxy has no buffered file log)."""
    front = []
    glob = ""
    if kind == "keyed":
        glob = "  log stdout format raw local0\n"
        front = [
            "  log global",
            "  unique-id-format %{+X}o%ci%cp%fp%Ts%rt%pid",
            f"  {HAPROXY_JSON_LOG}",
            "  stick-table type string len 64 size 1k expire 10s store http_req_rate(1s)",
            f"  http-request deny deny_status 403 unless {{ req.hdr(x-api-key) -m str {API_KEY} }}",
            "  http-request track-sc0 req.hdr(x-api-key)",
            f"  http-request deny deny_status 429 if {{ sc_http_req_rate(0) gt {HIGH_RATE} }}",
        ]
    if kind == "fixed":
        front.append(
            f"  http-request return status 200 content-type application/json string '{MOCK_BODY}'")
    bind = f"127.0.0.1:{port}" + (" proto h2" if kind == "h2c" else "")
    front_text = "\n".join(front)
    return f"""
global
  nbthread {threads}
  maxconn 5000
{glob}
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  option http-keep-alive
  http-reuse always

frontend fe
  bind {bind}
{front_text}
  default_backend be

backend be
  http-request replace-path ^{PREFIX}(.*) \\1
  http-request set-header X-Forwarded-For %[src]
  server s1 127.0.0.1:{backend} maxconn 1000
"""
