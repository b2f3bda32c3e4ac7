"""A backend process for the VPC link tests: answers every path with
`{"backend": NAME, "path": ...}` (HTTP/1.0, one request per connection),
`/health` included. Usage: named_backend.py NAME [PORT]; prints its port
once it listens. Killing the process is how a test takes a target down."""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        body = json.dumps({"backend": sys.argv[1], "path": self.path,
                           "host": self.headers.get("host")}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET


server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2]) if len(sys.argv) > 2 else 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
