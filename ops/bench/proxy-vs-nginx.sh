#!/usr/bin/env bash
# HTTP_PROXY throughput and latency, apigw beside nginx and haproxy: the
# benchmark suite's http_proxy scenario (ops/bench/README.md says how to
# read it).
#
#   ops/bench/proxy-vs-nginx.sh [ROUNDS] [SECONDS]
#
# This script used to count every answer as throughput, most of them 429s
# from the default account throttle, with nothing pinned and one nginx as
# both backend and proxy; the suite fixes all three.
set -euo pipefail
exec "$(dirname "$0")/suite.sh" --scenario http_proxy --rounds "${1:-5}" --seconds "${2:-10}"
