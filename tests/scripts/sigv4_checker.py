"""An AWS endpoint stand-in that checks SigV4 signatures (moto does not).

Usage: sigv4_checker.py KEY_ID:SECRET [KEY_ID:SECRET ...]

Listens on 127.0.0.1 (a free port, printed as the first line of stdout),
and for every request recomputes the signature with botocore's own signer
from the secret of the access key the request names, over exactly the
headers its SignedHeaders list, at its X-Amz-Date. It answers:

- STS AssumeRole (a form body with Action=AssumeRole): temporary
  credentials ASIAASSUMEDROLE / assumed-secret / assumed-token (accepted
  from then on), or 403 if the signature is wrong;
- anything else: 200 and a JSON description of the request (method, path,
  query, headers, body, the access key, service and region of its
  credential scope, and whether the signature is valid).
"""

import json
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

SECRETS = {}
ASSUMED = ("ASIAASSUMEDROLE", "assumed-secret", "assumed-token")


def check(method, url, headers, body):
    """(valid, key, service, region) of the request's signature."""
    auth = headers.get("authorization", "")
    if not auth.startswith("AWS4-HMAC-SHA256 "):
        return False, None, None, None
    parts = dict(p.strip().split("=", 1) for p in auth[len("AWS4-HMAC-SHA256 "):].split(","))
    key, date, region, service, _ = parts["Credential"].split("/")
    signed = parts["SignedHeaders"].split(";")
    secret = SECRETS.get(key)
    if secret is None:
        return False, key, service, region
    token = headers.get("x-amz-security-token")
    creds = Credentials(key, secret, token)
    signer_class = S3SigV4Auth if service == "s3" else SigV4Auth
    signer = signer_class(creds, service, region)
    signer.headers_to_sign = lambda request: _only(request, signed)
    request = AWSRequest(method=method, url=url, headers=headers, data=body)
    request.context["timestamp"] = headers["x-amz-date"]
    if service == "s3":
        request.context["payload_signing_enabled"] = True
    canonical = signer.canonical_request(request)
    string_to_sign = signer.string_to_sign(request, canonical)
    expected = signer.signature(string_to_sign, request)
    return expected == parts["Signature"], key, service, region


def _only(request, names):
    from botocore.awsrequest import HTTPHeaders

    out = HTTPHeaders()
    for name in names:
        value = request.headers.get(name)
        if value is not None:
            out[name] = " ".join(str(value).split())
    return out


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def handle_any(self):
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        url = f"http://{headers.get('host')}{self.path}"
        valid, key, service, region = check(self.command, url, headers, body)
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        if service == "sts" and form.get("Action") == ["AssumeRole"]:
            return self.assume_role(valid, form)
        path, _, query = self.path.partition("?")
        self.answer(200, "application/json", json.dumps({
            "valid": valid, "key": key, "service": service, "region": region,
            "method": self.command, "path": path, "query": query,
            "headers": headers, "body": body.decode("utf-8", "replace"),
        }).encode())

    def assume_role(self, valid, form):
        if not valid:
            return self.answer(403, "text/xml", b"<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code></Error></ErrorResponse>")
        SECRETS[ASSUMED[0]] = ASSUMED[1]
        role = form.get("RoleArn", [""])[0]
        xml = (
            "<AssumeRoleResponse><AssumeRoleResult><Credentials>"
            f"<AccessKeyId>{ASSUMED[0]}</AccessKeyId><SecretAccessKey>{ASSUMED[1]}</SecretAccessKey>"
            f"<SessionToken>{ASSUMED[2]}</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration>"
            f"</Credentials><AssumedRoleUser><Arn>{role}/apigw</Arn></AssumedRoleUser>"
            "</AssumeRoleResult></AssumeRoleResponse>"
        )
        self.answer(200, "text/xml", xml.encode())

    def answer(self, status, content_type, data):
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = handle_any


def main():
    for pair in sys.argv[1:]:
        key, secret = pair.split(":", 1)
        SECRETS[key] = secret
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
