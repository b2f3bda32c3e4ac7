"""An HTTP echo backend on 127.0.0.1 (port 0), standing in for the echo
servers the recorded tests used. Styles:

- `lambda-url`: the Lambda function URL echo the tests deploy (JSON {args,
  data, domain, headers, method, origin, path}; header names lower-cased,
  repeated query values joined by commas, as a function URL's event has
  them). Unless `trim_x_headers`, the headers also carry what the function
  URL's front end adds before the function sees them: `x-amzn-tls-*`,
  `x-forwarded-for` (the peer appended), `x-forwarded-port`/`-proto`, and
  `x-amzn-trace-id` (a new `Root=` when none came, else `Self=...;` put in
  front of the one that came). It answers with the headers a function URL
  answers with (`Connection: keep-alive`, `x-amzn-RequestId`, the trace
  header it was called with, no `Server`).
- `httpbin`: httpbin.org's /post (JSON {args, data, files, form, headers,
  json, origin, url}; header names Title-Cased; the `Connection` and
  `X-Forwarded-*` headers its front end consumes left out, `origin` taken
  from them; `X-Amzn-Trace-Id` as its load balancer sets it), answering with
  httpbin's response headers (CORS, `Server: gunicorn/19.9.0`).
- `body`: the request body, `{}` when empty (as the recorded function URL
  answered).
- `status`: the status-code echo function URL: answers with the status the
  last path segment names, body {"status_code": N, "message": ""}."""

import json
import secrets
import threading
import time
import uuid
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

HTTPBIN_SERVER = "gunicorn/19.9.0"


def _trace_root() -> str:
    return f"1-{int(time.time()):08x}-{secrets.token_hex(12)}"


def _front_trace(incoming: str | None) -> str:
    """X-Amzn-Trace-Id as an AWS load balancer front passes it on."""
    if not incoming:
        return f"Root={_trace_root()}"
    return f"Self={_trace_root()};{incoming}"


def _title(name: str) -> str:
    return "-".join(part[:1].upper() + part[1:].lower() for part in name.split("-"))


class _Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    trim = False
    style = "lambda-url"

    def _read_body(self) -> str:
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length).decode("utf-8", "replace") if length else ""

    def _args(self, query: str, joined: bool) -> dict:
        args: dict[str, str] = {}
        for k, v in parse_qsl(query, keep_blank_values=True):
            args[k] = f"{args[k]},{v}" if joined and k in args else v
        return args

    def _lambda_url(self, data: str, url) -> tuple[int, bytes, dict]:
        headers = {k.lower(): v for k, v in self.headers.items()}
        if not self.trim:
            peer = self.client_address[0]
            forwarded = headers.get("x-forwarded-for")
            headers["x-forwarded-for"] = f"{forwarded}, {peer}" if forwarded else peer
            headers["x-forwarded-port"] = str(self.server.server_address[1])
            headers["x-forwarded-proto"] = "http"
            headers["x-amzn-tls-cipher-suite"] = "stand-in-cipher (plain HTTP)"
            headers["x-amzn-tls-version"] = "stand-in-version (plain HTTP)"
            headers["x-amzn-trace-id"] = _front_trace(headers.get("x-amzn-trace-id"))
        else:
            headers = {k: v for k, v in headers.items()
                       if not (k.startswith("x-amzn") or k.startswith("x-forwarded-"))}
        body = json.dumps({
            "args": self._args(url.query, joined=True),
            "data": data,
            "domain": self.headers.get("host") or "",
            "headers": headers,
            "method": self.command,
            "origin": self.client_address[0],
            "path": url.path,
        }).encode()
        # A function URL answers with the trace header it was called with.
        answer = {"Content-Type": "application/json", "Connection": "keep-alive",
                  "x-amzn-RequestId": str(uuid.uuid4())}
        if self.headers.get("x-amzn-trace-id"):
            answer["X-Amzn-Trace-Id"] = self.headers["x-amzn-trace-id"]
        return 200, body, answer

    def _httpbin(self, data: str, url) -> tuple[int, bytes, dict]:
        hidden = {"connection", "x-forwarded-for", "x-forwarded-port", "x-forwarded-proto"}
        headers = {_title(k): v for k, v in self.headers.items() if k.lower() not in hidden}
        headers["X-Amzn-Trace-Id"] = _front_trace(self.headers.get("x-amzn-trace-id"))
        forwarded = self.headers.get("x-forwarded-for")
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = None
        body = json.dumps({"args": self._args(url.query, joined=False), "data": data, "files": {},
                           "form": {}, "headers": headers, "json": parsed,
                           "origin": f"{forwarded}, {self.client_address[0]}" if forwarded
                           else self.client_address[0],
                           "url": f"http://{self.headers.get('host')}{self.path}"}).encode()
        return 200, body, {"Content-Type": "application/json", "Connection": "keep-alive",
                           "Server": HTTPBIN_SERVER, "Access-Control-Allow-Origin": "*",
                           "Access-Control-Allow-Credentials": "true"}

    def _status(self, url) -> tuple[int, bytes, dict]:
        last = url.path.rstrip("/").rsplit("/", 1)[-1]
        valid = last.isdigit() and int(last) in {s.value for s in HTTPStatus}
        status = int(last) if valid else 400
        message = "" if valid else f"No valid status found at end of path {url.path}"
        body = json.dumps({"status_code": status, "message": message}).encode()
        return status, body, {"Content-Type": "application/json", "Connection": "keep-alive",
                              "x-amzn-RequestId": str(uuid.uuid4())}

    def _answer(self):
        data = self._read_body()
        url = urlsplit(self.path)
        if self.style == "body":
            # The recorded function URL answered "{}" where its handler
            # returned an empty body (every empty case in the recordings).
            status, body = 200, (data or "{}").encode()
            headers = {"Content-Type": self.headers.get("content-type") or "text/plain"}
        elif self.style == "httpbin":
            status, body, headers = self._httpbin(data, url)
        elif self.style == "status":
            status, body, headers = self._status(url)
        else:
            status, body, headers = self._lambda_url(data, url)
        self.send_response_only(status)
        self.send_header("Date", formatdate(usegmt=True))
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _answer

    def do_HEAD(self):
        self.send_response_only(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class EchoServer:
    """Started on construction; `url` is http://127.0.0.1:PORT."""

    def __init__(self, trim_x_headers: bool = False, style: str = "lambda-url"):
        handler = type("Echo", (_Echo,), {"trim": trim_x_headers, "style": style})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.timeout = 10
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        self.url = f"http://{self.host}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
