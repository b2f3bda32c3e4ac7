"""A fresh `apigw serve` for the Python drivers (tests/terraform/run.py,
tests/cdk/run.py): a temporary data directory, ports chosen by the kernel
(127.0.0.1:0), admin credentials given through the environment. The node's
announced addresses are read from its JSON log lines.

    with ApigwNode(binary) as node:
        node.admin_url, node.data_url, node.access_key, node.secret_key
"""

import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

ACCESS_KEY = "AKIADRIVERS000000001"
SECRET_KEY = "drivers-secret-0123456789abcdefghijklmn"
START_TIMEOUT = 60


def default_binary():
    """APIGW_BIN, else target/debug/apigw of this workspace."""
    if os.environ.get("APIGW_BIN"):
        return os.environ["APIGW_BIN"]
    return str(Path(__file__).resolve().parents[2] / "target" / "debug" / "apigw")


class ApigwNode:
    """A running node; stopped (and its directory removed) on exit."""

    def __init__(self, binary, region="us-east-1", keep_dir=False, config=""):
        """`config`: more of the node's YAML config (e.g. a `functions:` list)."""
        self.binary = binary
        self.region = region
        self.extra_config = config
        self.keep_dir = keep_dir
        self.access_key = ACCESS_KEY
        self.secret_key = SECRET_KEY
        self.dir = None
        self.proc = None
        self.admin_url = None
        self.data_url = None
        self.log_path = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        self.dir = Path(tempfile.mkdtemp(prefix="apigw-driver-"))
        self.log_path = self.dir / "node.log"
        env = dict(os.environ)
        env.pop("APIGW_CONFIG", None)
        env.update({
            "APIGW_ADMIN_ACCESS_KEY_ID": self.access_key,
            "APIGW_ADMIN_SECRET_ACCESS_KEY": self.secret_key,
        })
        config = self.dir / "config.yaml"
        config.write_text(f"node:\n  region: {self.region}\n{self.extra_config}")
        self.proc = subprocess.Popen(
            [self.binary, "serve", "--config", str(config),
             "--data-dir", str(self.dir / "data"),
             "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        lines = queue.Queue()
        threading.Thread(target=self._pump, args=(lines,), daemon=True).start()
        while self.admin_url is None or self.data_url is None:
            try:
                line = lines.get(timeout=START_TIMEOUT)
            except queue.Empty:
                self.stop()
                raise RuntimeError("apigw did not announce its listeners")
            if line is None:
                raise RuntimeError(f"apigw exited: see {self.log_path}")
            self._note_listener(line)

    def _pump(self, lines):
        with open(self.log_path, "a") as log:
            for line in self.proc.stdout:
                log.write(line)
                log.flush()
                lines.put(line)
        lines.put(None)

    def _note_listener(self, line):
        try:
            v = json.loads(line)
        except ValueError:
            return
        if v.get("message") != "listening":
            return
        if v.get("role") == "admin":
            self.admin_url = f"http://{v['addr']}"
        elif v.get("role") == "dataplane":
            self.data_url = f"http://{v['addr']}"

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.dir and not self.keep_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def client(self, service="apigateway"):
        """A boto3 client of the node's management API."""
        import boto3
        return boto3.client(
            service, endpoint_url=self.admin_url, region_name=self.region,
            aws_access_key_id=self.access_key, aws_secret_access_key=self.secret_key,
        )
