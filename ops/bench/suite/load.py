"""The load generators and what they report, checked strictly: a run with
any non-2xx response or socket error raises `Failed` with the counts.

- `wrk`: closed loop, HTTP/1.1 keep-alive; statuses tallied by tally.lua.
- `h2c`: h2load, HTTP/2 cleartext with prior knowledge, `-m` streams per
  connection; statuses from its summary.
- `fixed_rate`: h2load --h1 at a fixed request rate; latency percentiles
  from its per-request log. Latency is timed from when a request was sent,
  not from when it was due, so a stall is under-sampled (no correction for
  coordinated omission, as wrk2 would do; wrk2 is not in Debian)."""

import json
import os
import re
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


class Failed(Exception):
    """A run that got something else than 2xx answers."""


def _run(argv, cores, seconds):
    r = subprocess.run(["taskset", "-c", cores, *argv], capture_output=True, text=True,
                       timeout=seconds + 60)
    if r.returncode != 0:
        raise Failed(f"{argv[0]} exited {r.returncode}: {r.stderr.strip()[-400:]}")
    return r.stdout


def wrk(url, seconds, connections, threads, cores, headers=()):
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
            "-s", os.path.join(HERE, "tally.lua")]
    for h in headers:
        argv += ["-H", h]
    out = _run(argv + [url], cores, seconds)
    line = next((l for l in out.splitlines() if l.startswith("SUITE ")), None)
    if line is None:
        raise Failed(f"wrk printed no tally:\n{out[-800:]}")
    t = json.loads(line[len("SUITE "):])
    socket_errors = t["connect"] + t["read"] + t["write"] + t["timeout"]
    if t["non2xx"] or socket_errors or t["ok"] == 0:
        raise Failed(
            f"{t['ok']} 2xx, {t['non2xx']} non-2xx (status:count {t['codes'] or '-'}), "
            f"socket errors: connect {t['connect']}, read {t['read']}, "
            f"write {t['write']}, timeout {t['timeout']}")
    secs = t["duration_us"] / 1e6
    return {"requests": t["ok"], "seconds": secs, "rps": t["ok"] / secs,
            "p50_ms": t["p50_us"] / 1000, "p99_ms": t["p99_us"] / 1000,
            "p999_ms": t["p999_us"] / 1000, "max_ms": t["max_us"] / 1000}


_H2_REQUESTS = re.compile(
    r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, "
    r"(\d+) errored, (\d+) timeout")
_H2_STATUS = re.compile(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx")
_H2_FINISHED = re.compile(r"finished in ([\d.]+)(m?s), ([\d.]+) req/s")
_H2_MEAN = re.compile(r"time for request:\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)")


def _h2load_counts(out):
    req, status, fin = (_H2_REQUESTS.search(out), _H2_STATUS.search(out),
                        _H2_FINISHED.search(out))
    if not (req and status and fin):
        raise Failed(f"h2load output not understood:\n{out[-800:]}")
    _total, _started, done, _ok, failed, errored, timeout = map(int, req.groups())
    s2, s3, s4, s5 = map(int, status.groups())
    if s3 or s4 or s5 or failed or errored or timeout or s2 == 0:
        raise Failed(f"{s2} 2xx, {s3} 3xx, {s4} 4xx, {s5} 5xx; {done} done, {failed} failed, "
                     f"{errored} errored, {timeout} timed out")
    secs = float(fin.group(1)) / (1000 if fin.group(2) == "ms" else 1)
    return s2, secs


def _ms(value, unit):
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def h2c(url, seconds, connections, streams, threads, cores):
    out = _run(["h2load", f"-c{connections}", f"-m{streams}", f"-t{threads}",
                "-D", str(seconds), url], cores, seconds)
    ok, secs = _h2load_counts(out)
    mean = _H2_MEAN.search(out)
    return {"requests": ok, "seconds": secs, "rps": ok / secs,
            "mean_ms": _ms(*mean.groups()) if mean else None}


def _percentile(ordered, p):
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


def fixed_rate(url, seconds, rate, clients, cores):
    with tempfile.NamedTemporaryFile("r", suffix=".tsv", dir="/tmp") as log:
        out = _run(["h2load", "--h1", f"-c{clients}", "-t1", f"--rps={rate / clients:g}",
                    "-D", str(seconds), f"--log-file={log.name}", url], cores, seconds)
        ok, secs = _h2load_counts(out)
        samples = []
        for line in log:
            fields = line.split("\t")
            if len(fields) >= 3:
                if not fields[1].startswith("2"):
                    raise Failed(f"status {fields[1]} in the per-request log")
                samples.append(int(fields[2]) / 1000)
    if not samples:
        raise Failed("no request logged")
    samples.sort()
    return {"requests": ok, "seconds": secs, "rps": ok / secs,
            "p50_ms": _percentile(samples, 50), "p99_ms": _percentile(samples, 99),
            "p999_ms": _percentile(samples, 99.9), "max_ms": samples[-1]}
