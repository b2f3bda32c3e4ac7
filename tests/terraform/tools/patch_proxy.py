"""A recording (and optionally patching) HTTP proxy between Terraform and
apigw's management API, for finding what the provider trips over.

It forwards every request unchanged (the Host header too, so SigV4
signatures stay valid), writes each exchange to a JSON-lines file, and can
work around what apigw gets wrong with named patches (PATCHES below), to get
past one failure and find the next. Each patch names a finding of
../FINDINGS.md. A patch only adds or fixes what is missing or wrong, so it
becomes a no-op once apigw answers right; a patch that changes a request
signs it again (SigV4, with the admin credentials).

    patch_proxy.py UPSTREAM_URL [--port N] [--record FILE] [--patch a,b|all]
                   [--credentials KEY:SECRET:REGION]

run.py starts it in-process with `--record` / `--patch`.
"""

import argparse
import datetime
import http.client
import http.server
import json
import re
import sys
import threading
import urllib.parse

EPOCH = 1767225600  # 2026-01-01T00:00:00Z, a fixed date for filled-in fields


class Exchange:
    """One request and its answer, as patches see and change them.

    `path` is the decoded path without the query; `target` the raw request
    target (path and query) as sent upstream; `request` / `response` the
    parsed JSON bodies (None if empty or not JSON); `memory` a dict shared by
    all exchanges of one proxy, for patches that must remember a request."""

    def __init__(self, method, target, body, memory):
        self.method = method
        self.target = target
        self.path = urllib.parse.unquote(urllib.parse.urlsplit(target).path)
        self.request = _json(body)
        self.status = None
        self.response = None
        self.memory = memory

    def matches(self, method, pattern):
        """`method` (or "*") and `pattern` (a regex on the decoded path): the match."""
        if method != "*" and self.method != method:
            return None
        return re.match(pattern, self.path)


def _json(body):
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


def _text(body):
    if not body:
        return None
    value = _json(body)
    return value if value is not None else body.decode("utf-8", "replace")[:4000]


def _objects(body):
    """The objects of an answer: a list's `item`, or the answer itself."""
    if not isinstance(body, dict):
        return []
    if isinstance(body.get("item"), list):
        return [i for i in body["item"] if isinstance(i, dict)]
    return [body]


def _fill(obj, key, value):
    if obj.get(key) is None and value is not None:
        obj[key] = value
        return True
    return False


# Response patches: fn(exchange) -> True if they changed exchange.response.

def created_date(ex):
    """F1: RestApi, ApiKey answers carry createdDate (and ApiKey
    lastUpdatedDate), a JSON number of epoch seconds; the provider formats
    it without a nil check (rest_api.go `api.CreatedDate.Format`)."""
    kinds = [
        (r"^/restapis(/[^/]+)?$", ["createdDate"]),
        (r"^/apikeys(/[^/]+)?$", ["createdDate", "lastUpdatedDate"]),
        (r"^/restapis/[^/]+/deployments(/[^/]+)?$", ["createdDate"]),
        (r"^/restapis/[^/]+/stages(/[^/]+)?$", ["createdDate", "lastUpdatedDate"]),
    ]
    if ex.method == "DELETE":
        return False
    changed = False
    for pattern, keys in kinds:
        if re.match(pattern, ex.path):
            for item in _objects(ex.response):
                if "id" in item or "stageName" in item:
                    for key in keys:
                        changed |= _fill(item, key, EPOCH)
    return changed


def cache_cluster_status(ex):
    """F4: a Stage answer says cacheClusterSize and cacheClusterStatus; the
    provider waits for status AVAILABLE after enabling a cache."""
    m = re.match(r"^/restapis/([^/]+)/stages(/([^/]+))?$", ex.path)
    if not m or ex.method == "DELETE":
        return False
    sizes = ex.memory.setdefault("cache_sizes", {})
    if isinstance(ex.request, dict):
        name = ex.request.get("stageName") or m.group(3)
        if ex.request.get("cacheClusterSize"):
            sizes[(m.group(1), name)] = ex.request["cacheClusterSize"]
        for op in ex.request.get("patchOperations") or []:
            if op.get("path") == "/cacheClusterSize":
                sizes[(m.group(1), name)] = op.get("value")
    changed = False
    for stage in _objects(ex.response):
        if "stageName" not in stage:
            continue
        on = stage.get("cacheClusterEnabled") is True
        changed |= _fill(stage, "cacheClusterStatus", "AVAILABLE" if on else "NOT_AVAILABLE")
        if on:
            changed |= _fill(stage, "cacheClusterSize", sizes.get((m.group(1), stage["stageName"]), "0.5"))
    return changed


def model_description(ex):
    """F7: a Model answer carries the description it was made with."""
    m = re.match(r"^/restapis/([^/]+)/models(/([^/]+))?$", ex.path)
    if not m or ex.method == "DELETE":
        return False
    known = ex.memory.setdefault("model_descriptions", {})
    if isinstance(ex.request, dict):
        if ex.method == "POST" and "description" in ex.request:
            known[(m.group(1), ex.request.get("name"))] = ex.request["description"]
        for op in ex.request.get("patchOperations") or []:
            if op.get("path") == "/description":
                known[(m.group(1), m.group(3))] = op.get("value")
    changed = False
    for model in _objects(ex.response):
        changed |= _fill(model, "description", known.get((m.group(1), model.get("name"))))
    return changed


def stage_tags(ex):
    """F8: a Stage answer carries its tags (CreateStage's `tags`)."""
    m = re.match(r"^/restapis/([^/]+)/stages(/([^/]+))?$", ex.path)
    if not m or ex.method == "DELETE":
        return False
    known = ex.memory.setdefault("stage_tags", {})
    if ex.method == "POST" and isinstance(ex.request, dict) and ex.request.get("tags"):
        known[(m.group(1), ex.request.get("stageName"))] = dict(ex.request["tags"])
    changed = False
    for stage in _objects(ex.response):
        changed |= _fill(stage, "tags", known.get((m.group(1), stage.get("stageName"))))
    return changed


def described(kind, pattern):
    """A response patch: answers of `kind` (ApiKey, UsagePlan) carry the
    description they were created or updated with."""

    def patch(ex):
        m = re.match(pattern, ex.path)
        if not m or ex.method == "DELETE":
            return False
        known = ex.memory.setdefault(f"{kind}_descriptions", {})
        if isinstance(ex.request, dict):
            if ex.method == "POST" and "description" in ex.request:
                known[ex.request.get("name")] = ex.request["description"]
            for op in ex.request.get("patchOperations") or []:
                if op.get("path") == "/description" and m.group(1):
                    known[("id", m.group(1).strip("/"))] = op.get("value")
        changed = False
        for item in _objects(ex.response):
            value = known.get(("id", item.get("id")), known.get(item.get("name")))
            changed |= _fill(item, "description", value)
        return changed

    patch.__doc__ = f"F7: a {kind} answer carries its description."
    return patch


def method_settings_defaults(ex):
    """F9: a Stage answer's methodSettings say -1 for a throttling value
    that was never set (AWS keeps the -1 the provider sent)."""
    if not re.match(r"^/restapis/[^/]+/stages(/[^/]+)?$", ex.path) or ex.method == "DELETE":
        return False
    changed = False
    for stage in _objects(ex.response):
        for setting in (stage.get("methodSettings") or {}).values():
            changed |= _fill(setting, "throttlingBurstLimit", -1)
            changed |= _fill(setting, "throttlingRateLimit", -1.0)
    return changed


# Request patches: fn(exchange) -> True if they changed exchange.request or
# exchange.target; the proxy then signs the request again.

def empty_stage_name(ex):
    """F2: CreateDeployment with `stageName: ""` (what the provider sends
    for a deployment without a stage) means "no stage" on AWS."""
    if ex.matches("POST", r"^/restapis/[^/]+/deployments$") and ex.request.get("stageName") == "":
        del ex.request["stageName"]
        ex.request.pop("stageDescription", None)
        return True
    return False


def empty_api_key_value(ex):
    """F5: CreateApiKey with `value: ""` (what the provider sends when the
    configuration sets no value) means "generate one" on AWS."""
    if ex.matches("POST", r"^/apikeys$") and ex.request.get("value") == "":
        del ex.request["value"]
        return True
    return False


def none_base_path(ex):
    """F6: the empty base path is `(none)`, which the SDK sends
    percent-encoded (`%28none%29`); apigw does not decode it."""
    if "%28none%29" in ex.target:
        ex.target = ex.target.replace("%28none%29", "(none)")
        return True
    return False


def method_settings_inherit(ex):
    """F9: UpdateStage `replace /{path}/throttling/burstLimit` (or
    rateLimit) with -1 means "not set, inherit" on AWS; the provider sends
    -1 for every throttling value a method settings block leaves out."""
    if not ex.matches("PATCH", r"^/restapis/[^/]+/stages/[^/]+$"):
        return False
    ops = ex.request.get("patchOperations") or []
    kept = [op for op in ops if not (re.search(r"/throttling/(burstLimit|rateLimit)$", op.get("path", ""))
                                    and str(op.get("value", "")).startswith("-1"))]
    if len(kept) == len(ops):
        return False
    ex.request["patchOperations"] = kept
    return True


def method_settings_remove(ex):
    """F10: UpdateStage `remove /{resource path}/{method}` (e.g. `/*/*`)
    drops that method setting on AWS; the provider sends it when a method
    settings resource is destroyed. apigw has no way to do it, so this patch
    only lets the destroy go on: it turns a PATCH made only of such
    removals into a GetStage."""
    if not ex.matches("PATCH", r"^/restapis/[^/]+/stages/[^/]+$"):
        return False
    ops = ex.request.get("patchOperations") or []
    removals = [op for op in ops if op.get("op") == "remove" and re.match(r"^/[^/]+/[^/]+$", op.get("path", ""))]
    if not ops or len(removals) != len(ops):
        return False
    ex.method, ex.request = "GET", None
    return True


RESPONSE_PATCHES = {
    "created_date": created_date,
    "cache_cluster_status": cache_cluster_status,
    "model_description": model_description,
    "stage_tags": stage_tags,
    "method_settings_defaults": method_settings_defaults,
    "api_key_description": described("ApiKey", r"^/apikeys(/[^/]+)?$"),
    "usage_plan_description": described("UsagePlan", r"^/usageplans(/[^/]+)?$"),
}
REQUEST_PATCHES = {
    "empty_stage_name": empty_stage_name,
    "empty_api_key_value": empty_api_key_value,
    "none_base_path": none_base_path,
    "method_settings_inherit": method_settings_inherit,
    "method_settings_remove": method_settings_remove,
}
# Not a change to a message: the proxy sends one write (anything but GET)
# at a time, which hides apigw's lost updates under concurrent writes (F3).
SERIALIZE = "serialize_writes"
PATCHES = {**RESPONSE_PATCHES, **REQUEST_PATCHES, SERIALIZE: None}


class Proxy:
    """The proxy's settings and record file, shared by its handler threads.
    `credentials` (access key, secret key, region) are needed only to sign
    again a request that a request patch changed."""

    def __init__(self, upstream, record=None, patches=(), credentials=None):
        url = urllib.parse.urlsplit(upstream)
        self.host, self.port = url.hostname, url.port or 80
        unknown = set(patches) - set(PATCHES)
        if unknown:
            raise ValueError(f"unknown patches: {', '.join(sorted(unknown))}")
        self.response_patches = [(n, RESPONSE_PATCHES[n]) for n in patches if n in RESPONSE_PATCHES]
        self.request_patches = [(n, REQUEST_PATCHES[n]) for n in patches if n in REQUEST_PATCHES]
        self.serialize = SERIALIZE in patches
        self.write_lock = threading.Lock()
        self.credentials = credentials
        self.record = open(record, "a") if record else None
        self.step = None  # a label written with each exchange (run.py: the step)
        self.memory = {}
        self.lock = threading.Lock()

    def write(self, record):
        if self.record:
            with self.lock:
                self.record.write(json.dumps(record) + "\n")
                self.record.flush()

    def serve(self, port=0):
        """Starts serving on 127.0.0.1:`port` in a thread; the bound port."""
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _any(self):
                proxy.forward(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _any

        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.server = server
        return server.server_address[1]

    def forward(self, handler):
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        headers = {k: v for k, v in handler.headers.items()
                   if k.lower() not in ("connection", "keep-alive", "proxy-connection")}
        with self.lock:
            ex = Exchange(handler.command, handler.path, body, self.memory)
            record = {
                "time": datetime.datetime.now(datetime.timezone.utc).isoformat(),
                "step": self.step, "method": ex.method, "path": ex.target, "request": _text(body),
            }
            applied = [n for n, fn in self.request_patches if _safe(fn, ex)]
        if applied:
            body = json.dumps(ex.request).encode() if ex.request is not None else b""
            headers = self.sign(ex.method, ex.target, body, headers)
            record["sent"] = {"path": ex.target, "body": _text(body)}
        if self.serialize and ex.method != "GET":
            with self.write_lock:
                status, reason, answer_headers, data = self.send(ex.method, ex.target, body, headers)
        else:
            status, reason, answer_headers, data = self.send(ex.method, ex.target, body, headers)
        ex.status, ex.response = status, _json(data)
        if status < 300 and ex.response is not None:
            with self.lock:
                changed = [n for n, fn in self.response_patches if _safe(fn, ex)]
            if changed:
                data = json.dumps(ex.response).encode()
                applied += changed
        record.update({"status": status, "response": _text(data), "patched": applied})
        self.write(record)
        handler.send_response_only(status, reason)
        for k, v in answer_headers:
            if k.lower() not in ("content-length", "connection", "transfer-encoding", "keep-alive"):
                handler.send_header(k, v)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(data)

    def send(self, method, target, body, headers):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            conn.request(method, target, body=body, headers=headers)
            answer = conn.getresponse()
            return answer.status, answer.reason, answer.getheaders(), answer.read()
        except OSError as e:
            return 502, "Bad Gateway", [], json.dumps({"message": f"proxy: upstream failed: {e}"}).encode()
        finally:
            conn.close()

    def sign(self, method, target, body, headers):
        """`headers` with a new SigV4 signature over the changed request."""
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        if not self.credentials:
            raise RuntimeError("a request patch needs the admin credentials to sign again")
        key, secret, region = self.credentials
        drop = ("authorization", "x-amz-date", "x-amz-content-sha256", "content-length",
                "x-amz-security-token", "amz-sdk-invocation-id", "amz-sdk-request")
        kept = {k: v for k, v in headers.items() if k.lower() not in drop}
        host = next(v for k, v in headers.items() if k.lower() == "host")
        request = AWSRequest(method=method, url=f"http://{host}{target}", data=body, headers=kept)
        SigV4Auth(Credentials(key, secret), "apigateway", region).add_auth(request)
        out = dict(request.headers.items())
        out["Content-Length"] = str(len(body))
        return out


def _safe(fn, ex):
    """A patch's verdict; a patch that trips over an odd body changes nothing."""
    try:
        return bool(fn(ex))
    except (AttributeError, KeyError, TypeError):
        return False


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("upstream")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--record")
    p.add_argument("--patch", default="", help="comma-separated names, or 'all': " + ", ".join(PATCHES))
    p.add_argument("--credentials", help="ACCESS_KEY:SECRET_KEY:REGION, to sign patched requests again")
    a = p.parse_args()
    names = list(PATCHES) if a.patch == "all" else [n for n in a.patch.split(",") if n]
    credentials = tuple(a.credentials.split(":", 2)) if a.credentials else None
    proxy = Proxy(a.upstream, a.record, names, credentials)
    port = proxy.serve(a.port)
    print(f"http://127.0.0.1:{port}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
