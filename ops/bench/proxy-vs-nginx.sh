#!/usr/bin/env bash
# HTTP_PROXY throughput and tail latency: apigw beside nginx, in front of the
# same local backend, measured by wrk in alternating runs.
#
#   ops/bench/proxy-vs-nginx.sh [RUNS] [SECONDS] [CONNECTIONS]
#
# Prints each run, then the median requests/s and p99 of each and their ratio.
# Installs nginx and wrk with apt if they are missing. Everything runs on
# loopback on this machine, so the load generator, the backend and the proxy
# share its cores: read the ratio, not the absolute numbers.
set -euo pipefail

RUNS=${1:-5}
SECONDS_PER_RUN=${2:-10}
CONNECTIONS=${3:-64}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d /tmp/apigw-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; nginx -p "$WORK" -c nginx.conf -s stop 2>/dev/null; rm -rf "$WORK"' EXIT

need() { command -v "$1" >/dev/null || { apt-get update -qq && apt-get install -y -qq "$2" >/dev/null; }; }
need nginx nginx-light
need wrk wrk

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
BACKEND=$(free_port); NGINX=$(free_port); APIGW=$(free_port); ADMIN=$(free_port)
PATH_PREFIX=/restapis/bench/b/_user_request_

# The backend (nginx answering a fixed 64-byte JSON body) and nginx the proxy.
mkdir -p "$WORK/logs"
cat > "$WORK/nginx.conf" <<CONF
worker_processes auto;
pid $WORK/nginx.pid;
error_log $WORK/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  upstream backend { server 127.0.0.1:$BACKEND; keepalive 128; }
  server {
    listen 127.0.0.1:$BACKEND;
    location / { default_type application/json; return 200 '{"pets":[{"id":1,"type":"dog"},{"id":2,"type":"cat"}],"n":12345}'; }
  }
  server {
    listen 127.0.0.1:$NGINX;
    access_log $WORK/logs/proxy-access.log;
    location $PATH_PREFIX/ {
      proxy_pass http://backend/;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For \$remote_addr;
    }
  }
}
CONF
nginx -p "$WORK" -c nginx.conf

# apigw, with an HTTP_PROXY API to the same backend.
cargo build --release -q -p apigw --bin apigw --manifest-path "$ROOT/Cargo.toml"
cat > "$WORK/api.yaml" <<API
openapi: 3.0.1
info: {title: bench}
paths:
  /{proxy+}:
    x-amazon-apigateway-any-method:
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: ANY
        uri: http://127.0.0.1:$BACKEND/{proxy}
API
printf 'apis:\n  - id: bench\n    openapi: api.yaml\n    stages: [{name: b}]\n' > "$WORK/config.yaml"
"$ROOT/target/release/apigw" serve --config "$WORK/config.yaml" --data-dir "$WORK/data" \
  --listen 127.0.0.1:$APIGW --admin-listen 127.0.0.1:$ADMIN > "$WORK/logs/apigw.log" 2>&1 &
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$ADMIN/health" >/dev/null && break; sleep 0.1; done

URL_NGINX="http://127.0.0.1:$NGINX$PATH_PREFIX/pets"
URL_APIGW="http://127.0.0.1:$APIGW$PATH_PREFIX/pets"
curl -fs "$URL_NGINX" >/dev/null && curl -fs "$URL_APIGW" >/dev/null || { echo "a proxy does not answer"; exit 1; }

# One wrk run -> "requests_per_second p99_ms"
measure() {
  wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency "$1" | awk '
    /Requests\/sec/ { rps = $2 }
    /^ +99%/ { v = $2; if (v ~ /us$/) { sub(/us/, "", v); v = v / 1000 } else if (v ~ /ms$/) { sub(/ms/, "", v) } else if (v ~ /s$/) { sub(/s/, "", v); v = v * 1000 }; p99 = v }
    /Non-2xx/ { bad = $4 }
    END { printf "%s %s %s\n", rps, p99, (bad == "" ? 0 : bad) }'
}

echo "warm-up..."; measure "$URL_NGINX" >/dev/null; measure "$URL_APIGW" >/dev/null
printf '%-4s %-6s %14s %10s %8s\n' run proxy 'requests/s' 'p99 ms' non-2xx
: > "$WORK/nginx.txt"; : > "$WORK/apigw.txt"
for run in $(seq "$RUNS"); do
  for who in nginx apigw; do
    url=$URL_NGINX; [ "$who" = apigw ] && url=$URL_APIGW
    read -r rps p99 bad < <(measure "$url")
    echo "$rps $p99" >> "$WORK/$who.txt"
    printf '%-4s %-6s %14s %10s %8s\n' "$run" "$who" "$rps" "$p99" "$bad"
  done
done

median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
n_rps=$(cut -d' ' -f1 "$WORK/nginx.txt" | median); a_rps=$(cut -d' ' -f1 "$WORK/apigw.txt" | median)
n_p99=$(cut -d' ' -f2 "$WORK/nginx.txt" | median); a_p99=$(cut -d' ' -f2 "$WORK/apigw.txt" | median)
echo
echo "median over $RUNS runs of ${SECONDS_PER_RUN}s, $CONNECTIONS connections, $(nproc) cores shared by wrk, backend and proxy:"
printf '  nginx %s: %10.0f req/s   p99 %6.2f ms\n' "$(nginx -v 2>&1 | sed 's/.*\///')" "$n_rps" "$n_p99"
printf '  apigw        : %10.0f req/s   p99 %6.2f ms\n' "$a_rps" "$a_p99"
awk -v a="$a_rps" -v n="$n_rps" -v ap="$a_p99" -v np="$n_p99" 'BEGIN {
  printf "  throughput ratio apigw/nginx: %.2fx (goal >= 1.00x)\n", a / n
  printf "  p99 difference apigw-nginx:  %+.2f ms (goal <= +1 ms)\n", ap - np }'
