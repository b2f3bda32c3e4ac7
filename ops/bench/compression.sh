#!/usr/bin/env bash
# Response compression, apigw beside nginx (issue 23): JSON bodies of 1 KiB,
# 16 KiB and 128 KiB from one nginx backend that answers them uncompressed,
# through
#   apigw  HTTP_PROXY /{proxy+}, API `gz` with minimumCompressionSize 0
#          (x-amazon-apigateway-minimum-compression-size), API `plain`
#          without it (the baseline); flate2 level = zlib's default, 6;
#   nginx  proxy_pass, location /gz/ with gzip on, gzip_comp_level 6,
#          gzip_min_length 0, gzip_proxied any, gzip_types application/json;
#          location /plain/ with gzip off (the baseline).
# Every client asks `Accept-Encoding: gzip`. Load: wrk -t1 -c64 --latency,
# ROUNDS x SECONDS per target (3 x 8 by default), order rotating, medians.
#
#   ops/bench/compression.sh [ROUNDS] [SECONDS]    (about 6 minutes at 3 x 8)
#
# Fails (exit 1, no table) on any non-2xx answer or socket error, on a gzip
# target answering anything not gzip-coded (or a baseline answering coded),
# and when an answer is not valid gzip (gzip -t) or does not decode to the
# backend's bytes. Pinned as the suite is: each proxy alone on core 1 with
# one worker; wrk and the backend on core 0. Account throttle raised far
# above the load (the 429 trap: ops/bench/README.md). Uses $APIGW_BIN, else
# target/release/apigw (built only when missing).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ROUNDS=${1:-3}
SECONDS_PER=${2:-8}
CONNECTIONS=64
PROXY_CORE=1
LOAD_CORE=0
LEVEL=6   # flate2::Compression::default() in node/src/dataplane/compression.rs

missing=()
for tool in nginx:nginx-light wrk:wrk curl:curl gzip:gzip taskset:util-linux cmp:diffutils; do
  command -v "${tool%%:*}" >/dev/null || missing+=("${tool#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]} with apt..." >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

BIN=${APIGW_BIN:-$ROOT/target/release/apigw}
if [ ! -x "$BIN" ]; then
  echo "building $BIN (release)..." >&2
  (cd "$ROOT" && cargo build --release -p apigw)
fi

WORK=$(mktemp -d /tmp/apigw-compression.XXXXXX)
chmod 755 "$WORK"   # nginx's workers (user nobody) read the bodies from it
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  if [ -n "${KEEP:-}" ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
helper() { PYTHONDONTWRITEBYTECODE=1 python3 "$ROOT/ops/bench/compression.py" "$@"; }
wait_200() {  # what pid url
  local i
  for i in $(seq 1 600); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$3" || true)" = 200 ] && return 0
    kill -0 "$2" 2>/dev/null || { echo "FAIL $1 exited; its log:" >&2; tail -20 "$WORK/logs/$1.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "FAIL $1: $3 not 200 after 60 s" >&2; tail -5 "$WORK"/logs/*error.log >&2; exit 1
}

echo "== apigw compression vs nginx gzip ($(date -u '+%Y-%m-%d %H:%M UTC'))"
echo "binary: $BIN"
echo "  version: $("$BIN" --version)"
echo "  mtime:   $(date -u -r "$BIN" '+%Y-%m-%d %H:%M:%S UTC'), sha256 $(sha256sum "$BIN" | cut -c1-16)"
echo "checkout: $(git -C "$ROOT" log -1 --format='%h %cd' --date=format:'%Y-%m-%d %H:%M' 2>/dev/null || echo '?') (the binary may be older)"
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), kernel $(uname -r)," \
  "nginx $(nginx -v 2>&1 | sed 's|.*/||'), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2), $(curl --version | head -1 | cut -d' ' -f1-2)"
echo "layout: each proxy alone on core $PROXY_CORE, one worker; wrk and the backend on core $LOAD_CORE"
echo "compression level: apigw flate2 Compression::default() = $LEVEL; nginx gzip_comp_level $LEVEL"

mkdir -p "$WORK/logs" "$WORK/backend" "$WORK/nginx" "$WORK/apigw"
helper gen "$WORK/www"
BACKEND=$(free_port); NGINX=$(free_port); APIGW=$(free_port); ADMIN=$(free_port)

# The backend: the files as they are (no gzip module use, Content-Length).
cat >"$WORK/backend/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 1;
pid $WORK/backend/nginx.pid;
error_log $WORK/logs/backend-error.log warn;
worker_rlimit_nofile 16384;
events { worker_connections 10000; }
http {
  access_log off;
  keepalive_requests 10000000;
  types { application/json json; }
  default_type application/json;
  gzip off;
  etag off;
  server {
    listen 127.0.0.1:$BACKEND backlog=4096;
    root $WORK/www;
  }
}
EOF

# nginx as the proxy under test; buffers hold a whole 128 KiB answer in
# memory (no temp files), as apigw streams it.
cat >"$WORK/nginx/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/logs/nginx-error.log warn;
worker_rlimit_nofile 16384;
events { worker_connections 10000; }
http {
  access_log off;
  keepalive_requests 10000000;
  upstream backend { server 127.0.0.1:$BACKEND; keepalive 128; keepalive_requests 10000000; }
  proxy_http_version 1.1;
  proxy_set_header Connection "";
  proxy_buffer_size 16k;
  proxy_buffers 16 16k;
  proxy_max_temp_file_size 0;
  server {
    listen 127.0.0.1:$NGINX backlog=4096;
    location /gz/ {
      proxy_pass http://backend/;
      gzip on;
      gzip_comp_level $LEVEL;
      gzip_min_length 0;
      gzip_proxied any;
      gzip_types application/json;
    }
    location /plain/ {
      proxy_pass http://backend/;
      gzip off;
    }
  }
}
EOF

# apigw: two APIs over the same backend, one compressing (minimum 0).
api_doc() {  # title [minimum]
  local ext=""
  [ -n "${2:-}" ] && ext="\"x-amazon-apigateway-minimum-compression-size\": $2,"
  cat <<EOF
{"openapi": "3.0.1", "info": {"title": "$1", "version": "1"}, $ext
 "paths": {"/{proxy+}": {"x-amazon-apigateway-any-method": {
   "parameters": [{"name": "proxy", "in": "path", "required": true}],
   "x-amazon-apigateway-integration": {"type": "http_proxy", "httpMethod": "ANY",
     "uri": "http://127.0.0.1:$BACKEND/{proxy}",
     "requestParameters": {"integration.request.path.proxy": "method.request.path.proxy"}}}}}}
EOF
}
api_doc gz 0 >"$WORK/apigw/gz.yaml"
api_doc plain >"$WORK/apigw/plain.yaml"
cat >"$WORK/apigw/config.yaml" <<EOF
node: {workers: 1}
log: {format: json, level: warn}
limits:
  # far above the load: the default (10,000 req/s) would answer most of it 429
  account_rate_limit: 1000000
  account_burst_limit: 1000000000
  max_connections_per_ip: 0
apis:
  - {id: gz, openapi: gz.yaml, stages: [{name: b}]}
  - {id: plain, openapi: plain.yaml, stages: [{name: b}]}
EOF
"$BIN" check "$WORK/apigw/config.yaml" >"$WORK/logs/apigw-check.log" 2>&1 \
  || { echo "FAIL apigw check:" >&2; cat "$WORK/logs/apigw-check.log" >&2; exit 1; }

taskset -c "$LOAD_CORE" nginx -p "$WORK/backend" -c "$WORK/backend/nginx.conf" >"$WORK/logs/backend.log" 2>&1 &
BACKEND_PID=$!; PIDS+=("$BACKEND_PID")
taskset -c "$PROXY_CORE" nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" >"$WORK/logs/nginx.log" 2>&1 &
NGINX_PID=$!; PIDS+=("$NGINX_PID")
(cd "$WORK/apigw" && APIGW_ADMIN_ACCESS_KEY_ID=AKIABENCHCOMPRESS001 \
  APIGW_ADMIN_SECRET_ACCESS_KEY=bench-compression-admin-secret-not-for-production \
  exec taskset -c "$PROXY_CORE" "$BIN" serve --config config.yaml --data-dir "$WORK/apigw/data" \
  --listen "127.0.0.1:$APIGW" --admin-listen "127.0.0.1:$ADMIN") >"$WORK/logs/apigw.log" 2>&1 &
APIGW_PID=$!; PIDS+=("$APIGW_PID")

wait_200 backend "$BACKEND_PID" "http://127.0.0.1:$BACKEND/1k.json"
wait_200 nginx "$NGINX_PID" "http://127.0.0.1:$NGINX/plain/1k.json"
wait_200 apigw "$APIGW_PID" "http://127.0.0.1:$ADMIN/ready"
wait_200 apigw "$APIGW_PID" "http://127.0.0.1:$APIGW/restapis/gz/b/_user_request_/1k.json"
echo "ports: backend $BACKEND, nginx $NGINX, apigw $APIGW (admin $ADMIN)"

helper run --apigw-url "http://127.0.0.1:$APIGW" --nginx-url "http://127.0.0.1:$NGINX" \
  --apigw-pid "$APIGW_PID" --nginx-pid "$NGINX_PID" --backend-pid "$BACKEND_PID" \
  --www "$WORK/www" --work "$WORK" --load-cores "$LOAD_CORE" --rounds "$ROUNDS" \
  --seconds "$SECONDS_PER" --connections "$CONNECTIONS" ${COMPRESSION_JSON:+--json "$COMPRESSION_JSON"}
