"""The AWS stand-in for the AWS service integration cases: one moto server
(`moto_server`, PyPI `moto[server]`) for the whole run, on a port chosen
when this module is imported so that every node is started with
`AWS_ENDPOINT_URL` naming it; the server itself starts when a case first
asks for a client, and stops when the runner exits. Without moto the
cases that need it count as not applicable, saying so."""

import atexit
import importlib.util
import shutil
import socket
import subprocess
import sys
import time

import boto3

REGION = "us-east-1"
KEY, SECRET = "conformance-aws", "conformance-aws-secret"


# The account moto gives keys it did not issue (and so the resources made here).
ACCOUNT = "123456789012"


def role_arn(name: str) -> str:
    """A role in moto's account (its STS assumes any)."""
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


PORT = _free_port()
ENDPOINT = f"http://127.0.0.1:{PORT}"
_proc = None


def available() -> bool:
    return shutil.which("moto_server") is not None or importlib.util.find_spec("moto") is not None


UNAVAILABLE = "needs moto's server as the AWS stand-in (pip install 'moto[server]'), not installed here"


def node_env() -> dict:
    """What a node needs to reach the stand-in."""
    if not available():
        return {}
    return {"AWS_ENDPOINT_URL": ENDPOINT, "AWS_ACCESS_KEY_ID": KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"}


def _ensure_running():
    global _proc
    if _proc is not None and _proc.poll() is None:
        return
    args = ["-H", "127.0.0.1", "-p", str(PORT)]
    command = ["moto_server", *args] if shutil.which("moto_server") else [sys.executable, "-m", "moto.server", *args]
    _proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    atexit.register(_proc.kill)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", PORT), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"moto_server did not listen on {ENDPOINT}")


def client(service: str):
    """A boto3 client of the stand-in (starting it on first use)."""
    _ensure_running()
    return boto3.client(service, endpoint_url=ENDPOINT, region_name=REGION,
                        aws_access_key_id=KEY, aws_secret_access_key=SECRET)
