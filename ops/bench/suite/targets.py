"""Starting what a scenario measures: the shared backend, apigw, nginx,
haproxy and the direct function server, each pinned by its layout, each
checked to answer 2xx before it is measured.

A `Layout` says where things run: on this 2-core machine the 1-core layout
puts the proxy under test alone on core 1 and the load generator with the
backend on core 0; the 2-core layout gives the proxy two workers on both
cores, shared with the load generator and the backend."""

import os
import sys
import time
from dataclasses import dataclass, field

import configs
import procs

ADMIN_KEY = "AKIABENCHSUITE000001"
ADMIN_SECRET = "bench-suite-admin-secret-not-for-production"
FUNCTIONS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "functions")


@dataclass
class Layout:
    name: str
    proxy_cores: str
    load_cores: str
    workers: int
    load_threads: int

    def describe(self):
        if self.name == "1c":
            return ("proxy on core 1 alone, one worker; load generator and backend share core 0")
        return ("proxy with 2 workers on cores 0-1, SHARED with the load generator and the "
                "backend (this machine has 2 cores)")


LAYOUTS = {"1c": Layout("1c", "1", "0", 1, 1), "2c": Layout("2c", "0,1", "0,1", 2, 2)}


@dataclass
class Target:
    """One thing a scenario measures: `url` answered by `proc`."""
    name: str
    url: str
    proc: procs.Proc
    headers: list = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    def cpu(self):
        """CPU seconds used so far by the proxy (nginx: master and workers;
        apigw: its threads, not its functions' processes)."""
        if self.extra.get("exclude_children"):
            return procs.cpu_seconds([self.proc.pid])
        return procs.cpu_seconds(procs.descendants(self.proc.pid))


class Env:
    """What the targets of one suite run share: a scratch folder, the apigw
    binary, the backend, every process started (stopped at the end)."""

    def __init__(self, work, apigw):
        self.work = work
        self.apigw = apigw
        self.procs = []
        self.backend = None
        self.backend_port = None
        self.backend_layout = None
        os.makedirs(f"{work}/logs", exist_ok=True)

    def spawn(self, name, argv, cores, **kw):
        proc = procs.Proc(name, argv, cores, f"{self.work}/logs/{name}.log", **kw)
        self.procs.append(proc)
        return proc

    def stop(self, proc):
        proc.stop()
        if proc in self.procs:
            self.procs.remove(proc)

    def stop_all(self):
        for proc in reversed(self.procs):
            proc.stop()
        self.procs.clear()
        self.backend = None

    def dir(self, name):
        path = f"{self.work}/{name}"
        os.makedirs(path, exist_ok=True)
        return path


def _write(path, text):
    with open(path, "w") as f:
        f.write(text)


def _wait_2xx(what, proc, port, path, headers=None):
    def ok():
        status = procs.http_status("127.0.0.1", port, path, headers=headers)
        return status is not None and 200 <= status < 300
    procs.wait_for(what, ok, proc)


def _wait_port(what, proc, port):
    def ok():
        import socket
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            return False
    procs.wait_for(what, ok, proc)


def backend(env, layout):
    """The shared nginx backend for `layout` (restarted when it changes)."""
    if env.backend and env.backend_layout == layout.name:
        return env.backend_port
    if env.backend:
        env.stop(env.backend)
    port = procs.free_port()
    os.makedirs(f"{env.dir('backend')}/logs", exist_ok=True)
    conf = f"{env.dir('backend')}/nginx.conf"
    _write(conf, configs.backend_nginx(env.dir("backend"), port, layout.workers))
    env.backend = env.spawn("backend", ["nginx", "-p", env.dir("backend"), "-c", conf],
                            layout.load_cores)
    _wait_2xx("backend", env.backend, port, "/pets")
    env.backend_port, env.backend_layout = port, layout.name
    return port


def apigw(env, layout, label, api_text, check_path, headers=(), more_apis=(), **config):
    """apigw serving `api_text` as API `bench`, stage `b`; `more_apis`:
    (id, text) of further APIs."""
    work = env.dir(label)
    _write(f"{work}/api.yaml", api_text)
    for api_id, text in more_apis:
        _write(f"{work}/{api_id}.yaml", text)
    config["more_apis"] = [api_id for api_id, _ in more_apis]
    _write(f"{work}/config.yaml", configs.apigw_config("api.yaml", layout.workers, **config))
    port, admin = procs.free_port(), procs.free_port()
    run_env = dict(os.environ, APIGW_ADMIN_ACCESS_KEY_ID=ADMIN_KEY,
                   APIGW_ADMIN_SECRET_ACCESS_KEY=ADMIN_SECRET)
    proc = env.spawn(label, [env.apigw, "serve", "--config", f"{work}/config.yaml",
                             "--data-dir", f"{work}/data", "--listen", f"127.0.0.1:{port}",
                             "--admin-listen", f"127.0.0.1:{admin}"],
                     layout.proxy_cores, cwd=work, env=run_env)
    procs.wait_for(label, lambda: procs.http_status("127.0.0.1", admin, "/ready") == 200,
                   proc, timeout=120)
    ready_s = time.monotonic() - proc.started
    url = f"http://127.0.0.1:{port}{configs.PREFIX}{check_path}"
    _wait_2xx(label, proc, port, f"{configs.PREFIX}{check_path}", _headers(headers))
    return Target("apigw", url, proc, list(headers),
                  {"admin": admin, "ready_s": ready_s, "exclude_children": True})


def _headers(pairs):
    return dict(h.split(": ", 1) for h in pairs)


def nginx(env, layout, kind, check_path, headers=()):
    work = env.dir(f"nginx-{kind}")
    port = procs.free_port()
    conf = f"{work}/nginx.conf"
    os.makedirs(f"{work}/logs", exist_ok=True)
    _write(conf, configs.nginx_proxy(work, port, backend(env, layout), layout.workers, kind))
    proc = env.spawn(f"nginx-{kind}", ["nginx", "-p", work, "-c", conf], layout.proxy_cores)
    if kind == "h2c":
        _wait_port("nginx", proc, port)
    else:
        _wait_2xx("nginx", proc, port, f"{configs.PREFIX}{check_path}", _headers(headers))
    return Target("nginx", f"http://127.0.0.1:{port}{configs.PREFIX}{check_path}", proc,
                  list(headers))


def haproxy(env, layout, kind, check_path, headers=()):
    work = env.dir(f"haproxy-{kind}")
    port = procs.free_port()
    conf = f"{work}/haproxy.cfg"
    _write(conf, configs.haproxy(port, backend(env, layout), layout.workers, kind))
    proc = env.spawn(f"haproxy-{kind}", ["haproxy", "-db", "-f", conf], layout.proxy_cores)
    if kind == "h2c":
        _wait_port("haproxy", proc, port)
    else:
        _wait_2xx("haproxy", proc, port, f"{configs.PREFIX}{check_path}", _headers(headers))
    return Target("haproxy", f"http://127.0.0.1:{port}{configs.PREFIX}{check_path}", proc,
                  list(headers))


def lambda_apigw(env, layout, instances):
    """apigw with the Python handler as a local function run by awslambdaric;
    the function's processes are moved to the load generator's core."""
    fn = {"name": "fn", "command": [sys.executable, "-m", "awslambdaric", "handler.handle"],
          "cwd": os.path.abspath(FUNCTIONS_DIR), "min_warm": instances,
          "max_concurrency": instances, "timeout_ms": 10000}
    target = apigw(env, layout, "apigw-lambda", configs.api_lambda(), "/fn?name=bench",
                   functions=[fn])
    pin_functions(target, layout)
    return target


def pin_functions(target, layout):
    for pid in procs.descendants(target.proc.pid)[1:]:
        procs.pin(pid, layout.load_cores)


def direct_function(env, layout):
    """The same handler behind a minimal threaded HTTP server, on the load
    generator's core (where the function's processes run for apigw)."""
    port = procs.free_port()
    proc = env.spawn("direct-function", [sys.executable, "direct_server.py", str(port)],
                     layout.load_cores, cwd=os.path.abspath(FUNCTIONS_DIR))
    _wait_2xx("direct function server", proc, port, "/?name=bench")
    return Target("direct", f"http://127.0.0.1:{port}/?name=bench", proc)


def measure_size(target):
    """Idle RSS after the first start, and how long a redeploy of the
    stage takes through the management API (signed as the AWS CLI would)."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    import admin_sigv4
    import http.client
    import json
    time.sleep(1.0)  # idle: let start-up work and its buffers settle before RSS is read
    target.extra["idle_rss_mb"] = procs.rss_mb(target.proc.pid)
    host = f"127.0.0.1:{target.extra['admin']}"
    body = json.dumps({"stageName": "b"}).encode()
    os.environ.setdefault("APIGW_ADMIN_ACCESS_KEY_ID", ADMIN_KEY)
    os.environ.setdefault("APIGW_ADMIN_SECRET_ACCESS_KEY", ADMIN_SECRET)
    headers = admin_sigv4.sign("POST", host, "/restapis/bench/deployments", body)
    headers["content-type"] = "application/json"
    conn = http.client.HTTPConnection("127.0.0.1", target.extra["admin"], timeout=120)
    start = time.monotonic()
    conn.request("POST", "/restapis/bench/deployments", body=body, headers=headers)
    response = conn.getresponse()
    answer = response.read()
    target.extra["deploy_s"] = time.monotonic() - start
    conn.close()
    if response.status != 201:
        raise SystemExit(f"redeploy of {target.name}: {response.status} {answer[:300]!r}")
