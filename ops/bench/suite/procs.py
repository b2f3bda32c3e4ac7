"""Processes the suite starts: pinned to cores, waited for by condition,
stopped by their own id; and what the machine and a process tree cost.

Everything listens on 127.0.0.1 on ports the kernel picked (port 0)."""

import http.client
import os
import signal
import socket
import subprocess
import time

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proc:
    """A child process pinned to `cores` (a taskset list such as "1" or
    "0,1"), its output in `log`."""

    def __init__(self, name, argv, cores, log, cwd=None, env=None):
        self.name = name
        self.log = open(log, "wb")
        self.popen = subprocess.Popen(
            ["taskset", "-c", cores, *argv], stdout=self.log, stderr=subprocess.STDOUT,
            cwd=cwd, env=env, start_new_session=True)
        self.started = time.monotonic()

    @property
    def pid(self):
        return self.popen.pid

    def alive(self):
        return self.popen.poll() is None

    def stop(self):
        if self.alive():
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()
        self.log.close()


def http_status(host, port, path, timeout=1.0, headers=None):
    """The status of one GET, or None when nothing answers."""
    try:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
        conn.request("GET", path, headers=headers or {})
        status = conn.getresponse().status
        conn.close()
        return status
    except OSError:
        return None


def wait_for(what, ready, proc=None, timeout=60.0):
    """Polls `ready()` until it is true; fails with `what` when `proc` died
    or `timeout` passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        if proc is not None and not proc.alive():
            raise SystemExit(f"{what}: {proc.name} exited (see {proc.log.name})")
        time.sleep(0.02)
    raise SystemExit(f"{what}: not ready after {timeout:.0f} s")


def _children():
    """ppid -> [pid] for every process."""
    tree = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                tree.setdefault(ppid, []).append(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    return tree


def descendants(pid):
    tree, out, todo = _children(), [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(tree.get(p, []))
    return out


def cpu_seconds(pids):
    """User + system CPU time of these processes (all their threads)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, ValueError, IndexError):
            pass
    return total / CLOCK_TICKS


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def pin(pid, cores):
    """Moves every thread of `pid` to `cores`."""
    subprocess.run(["taskset", "-a", "-p", "-c", cores, str(pid)],
                   stdout=subprocess.DEVNULL, check=False)


def loadavg():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def machine():
    def out(argv):
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=10)
            return (r.stdout + r.stderr).strip()
        except OSError:
            return "?"
    model = next((l.split(":", 1)[1].strip() for l in out(["lscpu"]).splitlines()
                  if l.startswith("Model name")), "?")
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "kernel": os.uname().release,
        "nginx": out(["nginx", "-v"]).split("/")[-1],
        "haproxy": out(["haproxy", "-v"]).splitlines()[0].split()[2],
        "wrk": out(["wrk", "-v"]).split()[1] if out(["wrk", "-v"]) else "?",
        "h2load": out(["h2load", "--version"]).split()[-1],
    }
