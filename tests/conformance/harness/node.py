"""A real `apigw serve` process for the conformance suite: a fresh temporary
data directory, ports chosen by the kernel (port 0, read back from the
node's `listening` log lines), admin credentials given through the
environment, and the suite's Lambda handlers declared as local functions."""

import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from . import aws

# The admin key pair the runner gives every node it starts.
ADMIN_KEY = "AKIACONFORMANCE00001"
ADMIN_SECRET = "conformance-secret-0123456789abcdefghijk"
REGION = "us-east-1"
# The account the runner gives the node (`--account-id`), for the ARNs it
# makes. Not apigw's default 000000000000: the recorded import documents name
# that account in their Lambda URIs and AWS's answers keep it, while the
# normaliser turns the node's own account into 111111111111 as LocalStack's
# library did AWS's. Any 12 digits that occur in no recorded document do.
ACCOUNT = "720317415926"

HERE = Path(__file__).resolve().parent.parent


class NodeError(Exception):
    """The node did not start or died."""


class Node:
    """One running node; `stop()` ends it and removes its directory."""

    def __init__(self, binary: str, functions: list[dict], python: str):
        self.dir = Path(tempfile.mkdtemp(prefix="apigw-conformance-"))
        self.lines: list[str] = []
        config = self._config(functions, python)
        (self.dir / "config.yaml").write_text(config)
        env = dict(os.environ)
        env.pop("APIGW_CONFIG", None)
        env["APIGW_ADMIN_ACCESS_KEY_ID"] = ADMIN_KEY
        env["APIGW_ADMIN_SECRET_ACCESS_KEY"] = ADMIN_SECRET
        env.setdefault("APIGW_LOG", "warn,apigw=info")
        env.update(aws.node_env())
        self.proc = subprocess.Popen(
            [binary, "serve", "--config", str(self.dir / "config.yaml"),
             "--data-dir", str(self.dir / "data"),
             "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
             "--account-id", ACCOUNT],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True,
        )
        self._addresses: "queue.Queue[tuple[str, str]]" = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.data, self.admin = self._wait_listening(30.0)

    def _config(self, functions: list[dict], python: str) -> str:
        lines = [f"node: {{region: {REGION}}}", "functions:"]
        if not functions:
            lines[-1] = "functions: []"
        for f in functions:
            command = [python, "-m", "awslambdaric", f["handler"]]
            entry = {"name": f["name"], "command": command,
                     "cwd": str(HERE / "functions"),
                     "timeout_ms": f.get("timeout_ms", 6000)}
            lines.append("  - " + json.dumps(entry))
        return "\n".join(lines) + "\n"

    def _read(self):
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            line = line.rstrip("\n")
            if len(self.lines) < 20000:
                self.lines.append(line)
            if '"listening"' in line:
                try:
                    v = json.loads(line)
                except ValueError:
                    continue
                role = v.get("role") or v.get("fields", {}).get("role")
                addr = v.get("addr") or v.get("fields", {}).get("addr")
                if role in ("dataplane", "admin") and addr:
                    self._addresses.put((role, addr))
        self._addresses.put(("closed", ""))

    def _wait_listening(self, limit: float) -> tuple[str, str]:
        found: dict[str, str] = {}
        deadline = time.monotonic() + limit
        while "dataplane" not in found or "admin" not in found:
            left = deadline - time.monotonic()
            try:
                role, addr = self._addresses.get(timeout=max(left, 0.01))
            except queue.Empty:
                role = "timeout"
            if role in ("closed", "timeout"):
                self.stop()
                raise NodeError("apigw did not start:\n" + "\n".join(self.lines[-40:]))
            found[role] = addr
        return found["dataplane"], found["admin"]

    @property
    def admin_url(self) -> str:
        return f"http://{self.admin}"

    @property
    def data_url(self) -> str:
        return f"http://{self.data}"

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        shutil.rmtree(self.dir, ignore_errors=True)
