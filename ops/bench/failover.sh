#!/usr/bin/env bash
# Region failover, measured on real processes: the three-region cluster of
# ops/cluster/three-regions.sh (release build, loopback). A client in Paris
# calls the edge RPS times a second; after 5 s its region (eu-central-1,
# node 1) is killed with SIGKILL, after 15 s restarted; the run ends at 25 s.
# Prints, per gossip interval: detection time, failed requests, latency
# before / while detecting / on the fallback region / after, and how long
# traffic took to move back. The reference is the same client's latency
# before the kill.
#
#   ops/bench/failover.sh [RPS] [GOSSIP_MS...]     (defaults: 50, 100 500)
#
# APIGW=path/to/apigw uses that binary (a debug build, say) instead of
# building the release one.
set -euo pipefail

RPS=${1:-50}
shift || true
INTERVALS=("${@:-100}")
[ $# -eq 0 ] && INTERVALS=(100 500)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/ops/cluster/regions-lib.sh"
WORK=$(mktemp -d /tmp/apigw-failover.XXXXXX)
trap 'for i in 1 2 3 4; do lab_kill "$WORK" $i TERM; done; wait; [ -n "${LAB_KEEP:-}" ] || rm -rf "$WORK"' EXIT INT TERM
now() { date +%s.%N; }

if [ -n "${APIGW:-}" ]; then APIGW=$(cd "$(dirname "$APIGW")" && pwd)/$(basename "$APIGW"); else lab_build "$ROOT"; fi
lab_files "$ROOT" "$WORK"
for i in 1 2 3 4; do
  LAB_DATA[$i]=127.0.0.1:818$i LAB_ADMIN[$i]=127.0.0.1:919$i LAB_QUIC[$i]=127.0.0.1:720$i
done
url=http://127.0.0.1:8184/restapis/hello/prod/_user_request_/pets
echo "failover of eu-central-1 under a Paris client at $RPS req/s (loopback, $(nproc) cores)"
for gossip in "${INTERVALS[@]}"; do
  rm -rf "$WORK"/data-* "$WORK"/*.log
  export LAB_GOSSIP_MS=$gossip
  lab_configure "$WORK" 127.0.0.1
  for i in 1 2 3 4; do lab_start "$WORK" "$i"; done
  lab_wait_roles
  until curl -fs -o /dev/null -H "X-Forwarded-For: $LAB_PARIS" "$url"; do sleep 0.1; done

  python3 "$ROOT/ops/bench/failover_client.py" run "$url" "$LAB_PARIS" "$RPS" 25 "$WORK/calls.csv" &
  client=$!
  sleep 5
  echo "killed $(now)" > "$WORK/events"
  lab_kill "$WORK" 1
  sleep 10
  echo "restarted $(now)" >> "$WORK/events"
  lab_start "$WORK" 1
  until (exec 3<>/dev/tcp/127.0.0.1/8181) 2>/dev/null; do sleep 0.005; done
  echo "listening $(now)" >> "$WORK/events"
  wait "$client"
  echo "gossip every $gossip ms (a region is down after 3 silent intervals, 1 s at least; edges hedge and retry sooner):"
  python3 "$ROOT/ops/bench/failover_client.py" report "$WORK/calls.csv" "$WORK/events" eu-central-1 us-east-1
  for i in 1 2 3 4; do lab_kill "$WORK" $i TERM; done
  wait 2>/dev/null || true
done
