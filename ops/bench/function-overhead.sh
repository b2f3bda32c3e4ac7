#!/usr/bin/env bash
# Local function overhead: the same Python handler called in process, behind
# a minimal HTTP server, and through apigw (AWS_PROXY to a local function run
# by the official awslambdaric client); a lambda_runtime Rust handler through
# apigw; and cold starts (first request to a function with no instance).
#
#   ops/bench/function-overhead.sh [REQUESTS] [COLD_FUNCTIONS]
#
# Installs awslambdaric with pip if it is missing. Everything runs on loopback
# and shares this machine's cores with the client.
set -euo pipefail

REQUESTS=${1:-5000}
COLD=${2:-10}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE="$ROOT/ops/bench/functions"
WORK=$(mktemp -d /tmp/apigw-fn-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$WORK"' EXIT

python3 -c 'import awslambdaric' 2>/dev/null || python3 -m pip install --quiet awslambdaric
cargo build --release -q -p apigw --bin apigw --manifest-path "$ROOT/Cargo.toml"
cargo build --release -q -p apigw-test-function --manifest-path "$ROOT/Cargo.toml"
TARGET=$(cargo metadata --format-version 1 --no-deps --manifest-path "$ROOT/Cargo.toml" | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release

# The admin credentials the node checks and measure.py signs /functions with.
export APIGW_ADMIN_ACCESS_KEY_ID=${APIGW_ADMIN_ACCESS_KEY_ID:-AKIABENCHADMIN000001}
export APIGW_ADMIN_SECRET_ACCESS_KEY=${APIGW_ADMIN_SECRET_ACCESS_KEY:-bench-admin-secret-not-for-production}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
DATA=$(free_port); ADMIN=$(free_port); DIRECT=$(free_port)

cp "$HERE/handler.py" "$WORK/"
uri() { echo "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:$1/invocations"; }
{
  echo "openapi: 3.0.1"
  echo "info: {title: bench}"
  echo "paths:"
  for fn in py rs $(for i in $(seq 0 $((COLD - 1))); do echo "cold-py-$i cold-rs-$i"; done); do
    echo "  /$fn:"
    echo "    get:"
    echo "      x-amazon-apigateway-integration: {type: aws_proxy, httpMethod: POST, uri: '$(uri "$fn")'}"
  done
} > "$WORK/api.yaml"
{
  echo "log: {level: warn}"
  echo "functions:"
  echo "  - {name: py, command: [python3, -m, awslambdaric, handler.handle], cwd: ., min_warm: 1}"
  echo "  - {name: rs, command: ['$TARGET/apigw-test-function'], min_warm: 1}"
  for i in $(seq 0 $((COLD - 1))); do
    echo "  - {name: cold-py-$i, command: [python3, -m, awslambdaric, handler.handle], cwd: .}"
    echo "  - {name: cold-rs-$i, command: ['$TARGET/apigw-test-function']}"
  done
  echo "apis:"
  echo "  - {id: bench, openapi: api.yaml, stages: [{name: b}]}"
} > "$WORK/config.yaml"

(cd "$WORK" && exec "$TARGET/apigw" serve --config config.yaml --data-dir data --listen "127.0.0.1:$DATA" --admin-listen "127.0.0.1:$ADMIN" >"$WORK/apigw.log" 2>&1) &
(cd "$HERE" && exec python3 direct_server.py "$DIRECT") &
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$ADMIN/ready" >/dev/null && curl -s "http://127.0.0.1:$DIRECT/" >/dev/null && break
  sleep 0.1
done

cd "$HERE" && python3 measure.py "127.0.0.1:$DATA" "127.0.0.1:$ADMIN" "127.0.0.1:$DIRECT" "$REQUESTS" "$COLD"
