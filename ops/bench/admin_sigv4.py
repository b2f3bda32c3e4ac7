"""SigV4 signatures for calls to an apigw admin listener, from the standard
library alone (the benchmarks run where botocore may be missing).

    headers = admin_sigv4.sign("GET", "127.0.0.1:9090", "/functions")

Credentials come from APIGW_ADMIN_ACCESS_KEY_ID and
APIGW_ADMIN_SECRET_ACCESS_KEY, the region from APIGW_REGION (us-east-1).
Paths with a query string or characters that need escaping are not handled:
the benchmarks read /functions, /metrics and /cluster.
"""

import datetime
import hashlib
import hmac
import os


def _hmac(key, text):
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def sign(method, host, path, body=b"", service="apigateway"):
    key = os.environ["APIGW_ADMIN_ACCESS_KEY_ID"]
    secret = os.environ["APIGW_ADMIN_SECRET_ACCESS_KEY"]
    region = os.environ.get("APIGW_REGION", "us-east-1")
    now = datetime.datetime.now(datetime.timezone.utc)
    stamp, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    payload = hashlib.sha256(body).hexdigest()
    canonical = "\n".join([method, path, "", f"host:{host}", f"x-amz-date:{stamp}", "",
                           "host;x-amz-date", payload])
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", stamp, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    signing_key = _hmac(_hmac(_hmac(_hmac(f"AWS4{secret}".encode(), day), region), service),
                        "aws4_request")
    signature = hmac.new(signing_key, to_sign.encode(), hashlib.sha256).hexdigest()
    return {
        "host": host,
        "x-amz-date": stamp,
        "authorization": f"AWS4-HMAC-SHA256 Credential={key}/{scope}, "
                         f"SignedHeaders=host;x-amz-date, Signature={signature}",
    }
