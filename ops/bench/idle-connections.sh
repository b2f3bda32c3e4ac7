#!/usr/bin/env bash
# What idle client connections cost a node, and whether it still answers
# while it holds them.
#
#   ops/bench/idle-connections.sh [CONNECTIONS]     (default 10000)
#
# Starts one apigw node (target/release/apigw if built, else target/debug,
# built if missing) with a MOCK API, caps raised above CONNECTIONS and
# timeouts long enough to hold them, then holds CONNECTIONS connections of
# two kinds in turn: bare connects that send nothing, and HTTP/1.1
# keep-alive connections that made one request and went idle. For each it
# prints the node's RSS and open file descriptors beside the idle baseline,
# and how long GET /health (admin listener) and a data-plane request take
# while they are held. A figure, not a pass/fail test. Everything runs on
# loopback; the client opens the connections from 127.0.0.1 and 127.0.0.2.
set -euo pipefail

CONNECTIONS=${1:-10000}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d /tmp/apigw-idle.XXXXXX)
NODE_PID=
trap '[ -n "$NODE_PID" ] && kill "$NODE_PID" 2>/dev/null; rm -rf "$WORK"' EXIT

BIN=$ROOT/target/release/apigw
[ -x "$BIN" ] || BIN=$ROOT/target/debug/apigw
[ -x "$BIN" ] || (cd "$ROOT" && cargo build -p apigw)
echo "binary: $BIN"
ulimit -n "$(ulimit -Hn)"

cat > "$WORK/api.yaml" <<'API'
openapi: 3.0.1
info: {title: idle}
paths:
  /ping:
    get:
      responses: {'200': {description: ok}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses: {default: {statusCode: '200', responseTemplates: {application/json: '{"pong":true}'}}}
API
cat > "$WORK/config.yaml" <<CONF
limits:
  max_connections: $((CONNECTIONS + 1000))
  max_connections_per_ip: 0
  header_timeout_ms: 600000
  idle_timeout_ms: 600000
log: {level: warn}
apis:
  - {id: idle, openapi: api.yaml, stages: [{name: b}]}
CONF

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
DATA=$(free_port); ADMIN=$(free_port)
"$BIN" serve --config "$WORK/config.yaml" --data-dir "$WORK/data" \
  --listen "127.0.0.1:$DATA" --admin-listen "127.0.0.1:$ADMIN" > "$WORK/node.log" 2>&1 &
NODE_PID=$!
for _ in $(seq 1 200); do
  curl -fs "http://127.0.0.1:$ADMIN/health" >/dev/null 2>&1 && break
  sleep 0.1
done
echo "node pid $NODE_PID, soft fd limit $(awk '/Max open files/ {print $4}' /proc/$NODE_PID/limits)"

python3 - "$CONNECTIONS" "$DATA" "$ADMIN" "$NODE_PID" "$ROOT/ops/admin-curl.sh" "$WORK/data" <<'PY'
import os, resource, socket, subprocess, sys, time

n, data, admin, pid = (int(a) for a in sys.argv[1:5])
admin_curl, os.environ["APIGW_DATA_DIR"] = sys.argv[5], sys.argv[6]
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

def rss_mib():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
def fds():
    return len(subprocess.run(["ls", f"/proc/{pid}/fd"], capture_output=True, text=True).stdout.split())
def timed(url):
    out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-m", "30", "-w", "%{http_code} %{time_total}", url],
                         capture_output=True, text=True).stdout.split()
    return f"{out[0]} in {float(out[1]) * 1000:.1f} ms" if len(out) == 2 else "no answer"
def wait_open(want):
    for _ in range(600):
        text = subprocess.run([admin_curl, "-s", f"http://127.0.0.1:{admin}/metrics"], capture_output=True, text=True).stdout
        for line in text.splitlines():
            if line.startswith('apigw_connections_open{listener="dataplane"}') and int(line.split()[-1]) >= want:
                return
        time.sleep(0.1)
def report(label, base_rss, base_fds):
    rss, fd = rss_mib(), fds()
    print(f"{label}: RSS {rss:.1f} MiB (+{rss - base_rss:.1f}, {(rss - base_rss) * 1024 / n:.1f} KiB per connection), "
          f"fds {fd} (+{fd - base_fds})")
    print(f"  GET /health (admin): {timed(f'http://127.0.0.1:{admin}/health')}")
    print(f"  GET data plane:      {timed(f'http://127.0.0.1:{data}/restapis/idle/b/_user_request_/ping')}")

def connect(i):
    s = socket.socket()
    s.bind((f"127.0.0.{1 + i % 2}", 0))
    s.connect(("127.0.0.1", data))
    return s

base_rss, base_fds = rss_mib(), fds()
print(f"idle node: RSS {base_rss:.1f} MiB, fds {base_fds}")
t = time.time()
held = [connect(i) for i in range(n)]
wait_open(n)
print(f"{n} bare connects opened and admitted in {time.time() - t:.1f} s")
report(f"{n} bare connects", base_rss, base_fds)
for s in held:
    s.close()
wait_open(0)

request = f"GET /restapis/idle/b/_user_request_/ping HTTP/1.1\r\nhost: x\r\n\r\n".encode()
t = time.time()
held = []
for i in range(n):
    s = connect(i)
    s.sendall(request)
    got = b""
    while b'{"pong":true}' not in got:
        chunk = s.recv(4096)
        if not chunk:
            break
        got += chunk
    held.append(s)
print(f"{n} keep-alive connections served once each in {time.time() - t:.1f} s")
report(f"{n} idle keep-alive", base_rss, base_fds)
for s in held:
    s.close()
PY
