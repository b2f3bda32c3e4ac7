"""The same handler behind a minimal keep-alive HTTP server: what "calling the
handler directly over HTTP" costs, without a gateway or the Runtime API."""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from handler import handle


class Direct(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # One write per response, sent at once (else Nagle and delayed ACKs
    # add ~40 ms to every keep-alive request).
    wbufsize = 65536
    disable_nagle_algorithm = True

    def do_GET(self):
        query = {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query).items()}
        result = handle({"queryStringParameters": query or None}, None)
        body = result["body"].encode()
        self.send_response(result["statusCode"])
        for k, v in result["headers"].items():
            self.send_header(k, v)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Direct).serve_forever()
