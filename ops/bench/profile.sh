#!/usr/bin/env bash
# Where apigw's time goes under the http_proxy scenario, beside nginx:
#
#   ops/bench/profile.sh [perf] [syscalls] [allocs] [instructions] [--seconds S] [--requests N]
#                        [--scenario NAME]...
#
# perf:     perf record (cpu-clock, DWARF call graphs) of apigw under wrk -c64;
#           top entries by self and by children time.
# syscalls: strace -c -f on apigw, nginx's worker and haproxy while each
#           serves N requests (default 50,000); calls per request.
# allocs:   heap allocation calls and bytes per request of the release
#           binary, per scenario, counted by heaptrack (two runs of different
#           lengths, the difference divided by the difference).
# instructions: instructions per request counted by valgrind's callgrind
#           (500 and 2,500 requests, the difference divided by 2,000); the
#           machine's load changes seconds, not these, so two builds compare
#           on a busy machine: APIGW_BIN=old ...; APIGW_BIN=new ...
#           CALLGRIND_KEEP=DIR keeps each run's callgrind output there
#           (callgrind_annotate --inclusive=yes FILE shows where they go).
#
# Same layout as suite.sh (apigw on core 1, load and backend on core 0).
# Writes small text summaries to ops/bench/profiles/. Installs linux-perf,
# strace and heaptrack (and the suite's tools) with apt when missing.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
missing=()
for tool in nginx:nginx-light haproxy:haproxy wrk:wrk h2load:nghttp2-client perf:linux-perf \
  strace:strace heaptrack:heaptrack valgrind:valgrind; do
  command -v "${tool%%:*}" >/dev/null || missing+=("${tool#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
python3 -c 'import awslambdaric' 2>/dev/null || python3 -m pip install --quiet awslambdaric

BIN=${APIGW_BIN:-$ROOT/target/release/apigw}
[ -x "$BIN" ] || cargo build --release -q -p apigw --bin apigw --manifest-path "$ROOT/Cargo.toml"
PYTHONDONTWRITEBYTECODE=1 exec python3 "$ROOT/ops/bench/suite/profile.py" --apigw "$BIN" "$@"
