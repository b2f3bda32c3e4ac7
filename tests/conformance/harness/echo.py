"""An HTTP echo backend on 127.0.0.1 (port 0), standing in for the echo
servers the recorded tests used. Styles: `lambda-url` (the Lambda function
URL echo: JSON {args, data, domain, headers, method, origin, path}),
`httpbin` (httpbin's /post: JSON {args, data, headers, json, method,
origin, url}) and `body` (the request body, `{}` when empty, as the
recorded function URL answered)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit


class _Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    trim = False
    style = "lambda-url"

    def _answer(self):
        length = int(self.headers.get("content-length") or 0)
        data = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        url = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        if self.trim:
            headers = {k: v for k, v in headers.items()
                       if not (k.startswith("x-amzn") or k.startswith("x-forwarded-"))}
        args = dict(parse_qsl(url.query, keep_blank_values=True))
        kind = "application/json"
        if self.style == "body":
            # The recorded function URL answered "{}" where its handler
            # returned an empty body (every empty case in the recordings).
            body, kind = (data or "{}").encode(), self.headers.get("content-type") or "text/plain"
        elif self.style == "httpbin":
            try:
                parsed = json.loads(data) if data else None
            except ValueError:
                parsed = None
            body = json.dumps({"args": args, "data": data, "headers": headers, "json": parsed,
                               "method": self.command, "origin": self.client_address[0],
                               "url": f"http://{self.headers.get('host')}{self.path}"}).encode()
        else:
            body = json.dumps({
                "args": args,
                "data": data,
                "domain": (self.headers.get("host") or "").split(":")[0],
                "headers": headers,
                "method": self.command,
                "origin": self.client_address[0],
                "path": url.path,
            }).encode()
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _answer

    def do_HEAD(self):
        self.send_response(200)
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
