#!/usr/bin/env bash
# The benchmark suite: apigw beside nginx and haproxy, scenario by scenario,
# in alternating rounds, each proxy pinned to the same core with one worker.
#
#   ops/bench/suite.sh [--quick] [--scenario NAME[,NAME...]] [--rounds N]
#                      [--seconds S] [--json OUT] [--list]
#
# --quick is the smoke version (one round of ~1 s per scenario, under a
# minute): it checks that every scenario runs and answers only 2xx, and
# prints figures that mean nothing. Any non-2xx response or socket error
# fails the run (exit 1) with the counts. How to read the figures:
# ops/bench/README.md.
#
# Installs what it needs with apt when missing (nginx-light, haproxy, wrk,
# nghttp2-client for h2load) and awslambdaric with pip (the lambda_proxy
# scenario). Uses the release binary at $APIGW_BIN, else
# target/release/apigw, building it when it is missing.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)

missing=()
for tool in nginx:nginx-light haproxy:haproxy wrk:wrk h2load:nghttp2-client taskset:util-linux; do
  command -v "${tool%%:*}" >/dev/null || missing+=("${tool#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]} with apt..." >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
python3 -c 'import awslambdaric' 2>/dev/null || python3 -m pip install --quiet awslambdaric

BIN=${APIGW_BIN:-$ROOT/target/release/apigw}
if [ ! -x "$BIN" ]; then
  echo "building $BIN (release)..." >&2
  cargo build --release -q -p apigw --bin apigw --manifest-path "$ROOT/Cargo.toml"
fi

PYTHONDONTWRITEBYTECODE=1 exec python3 "$ROOT/ops/bench/suite/run.py" --apigw "$BIN" "$@"
