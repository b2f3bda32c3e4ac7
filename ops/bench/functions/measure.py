"""Measures the function benchmark's latencies and prints them side by side.

    measure.py GATEWAY_ADDR ADMIN_ADDR DIRECT_ADDR REQUESTS COLD_FUNCTIONS
"""

import http.client
import json
import os
import statistics
import sys
import time

from handler import handle

gateway, admin, direct = sys.argv[1], sys.argv[2], sys.argv[3]
requests, cold_functions = int(sys.argv[4]), int(sys.argv[5])
PREFIX = "/restapis/bench/b/_user_request_"


def pct(samples, p):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def timed_gets(addr, path, n):
    host, port = addr.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port))
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        samples.append((time.perf_counter() - start) * 1e6)
        if response.status != 200:
            raise SystemExit(f"GET {addr}{path}: {response.status}")
    conn.close()
    return samples


def in_process(n):
    event = {"queryStringParameters": {"name": "x"}}
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        handle(event, None)
        samples.append((time.perf_counter() - start) * 1e6)
    return samples


def row(label, samples):
    print(f"{label:<44} {statistics.median(samples):>10.0f} {pct(samples, 0.99):>10.0f}")
    return statistics.median(samples), pct(samples, 0.99)


# Warm up every path (first calls start processes and connections).
timed_gets(gateway, f"{PREFIX}/py?name=x", 50)
timed_gets(gateway, f"{PREFIX}/rs?name=x", 50)
timed_gets(direct, "/?name=x", 50)

print(f"warm latency over {requests} sequential keep-alive requests (microseconds)")
print(f"{'path':<44} {'p50':>10} {'p99':>10}")
row("python handler, in process (no HTTP)", in_process(requests))
d50, d99 = row("python handler, direct HTTP server", timed_gets(direct, "/?name=x", requests))
g50, g99 = row("python handler, through apigw (awslambdaric)", timed_gets(gateway, f"{PREFIX}/py?name=x", requests))
r50, r99 = row("rust handler, through apigw (lambda_runtime)", timed_gets(gateway, f"{PREFIX}/rs?name=x", requests))
print(f"apigw overhead over direct HTTP (python): p50 {g50 - d50:+.0f} us, p99 {g99 - d99:+.0f} us")

print()
print(f"cold starts: first request to each of {cold_functions} fresh functions (milliseconds)")
for runtime in ("py", "rs"):
    firsts = []
    for i in range(cold_functions):
        firsts.extend(timed_gets(gateway, f"{PREFIX}/cold-{runtime}-{i}", 1))
    firsts = [us / 1000 for us in firsts]
    print(f"{runtime}: first request p50 {statistics.median(firsts):.1f} ms, max {max(firsts):.1f} ms")

host, port = admin.rsplit(":", 1)
conn = http.client.HTTPConnection(host, int(port))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import admin_sigv4  # noqa: E402  (the admin listener needs a signature)

conn.request("GET", "/functions", headers=admin_sigv4.sign("GET", admin, "/functions"))
functions = json.loads(conn.getresponse().read())["functions"]
for runtime in ("py", "rs"):
    colds = [f for name, f in functions.items() if name.startswith(f"cold-{runtime}-")]
    total_ms = sum(f["cold_start_ms_total"] for f in colds)
    count = sum(f["cold_starts"] for f in colds)
    print(f"{runtime}: process start to first /next, as apigw measures it: mean {total_ms / max(count, 1):.1f} ms over {count}")
