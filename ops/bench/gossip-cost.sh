#!/usr/bin/env bash
# What gossip costs, and how well a cluster-wide throttle holds: three nodes
# on loopback (ops/cluster/local-cluster.sh), a stage throttled at 100 rps
# (burst 50) cluster-wide, idle for 5 s, then wrk on all three nodes at once
# for 10 s. Prints gossip bytes and messages per second per node, idle and
# loaded, and the admitted rate against the configured one.
#
#   ops/bench/gossip-cost.sh [SECONDS]
set -euo pipefail

SECONDS_LOADED=${1:-10}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
need() { command -v "$1" >/dev/null || { apt-get update -qq && apt-get install -y -qq "$2" >/dev/null; }; }
need wrk wrk

export APIGW_ADMIN_ACCESS_KEY_ID=${APIGW_ADMIN_ACCESS_KEY_ID:-AKIALABADMIN00000001}
export APIGW_ADMIN_SECRET_ACCESS_KEY=${APIGW_ADMIN_SECRET_ACCESS_KEY:-lab-admin-secret-not-for-production}
admin() { APIGW_REGION=lab "$ROOT/ops/admin-curl.sh" "$@"; }
"$ROOT/ops/cluster/local-cluster.sh" 3 > /tmp/apigw-gossip-cost.log 2>&1 &
CLUSTER=$!
trap 'kill $CLUSTER 2>/dev/null; wait 2>/dev/null' EXIT
for _ in $(seq 600); do
  admin -sf http://127.0.0.1:9093/cluster >/dev/null 2>&1 && break
  sleep 0.5
done
sleep 2

metric() { admin -s "http://127.0.0.1:909$1/metrics" | awk -v m="$2" '$1 == m {print $2}'; }
snapshot() { for i in 1 2 3; do echo "$(metric "$i" apigw_gossip_bytes_sent_total) $(metric "$i" apigw_gossip_messages_sent_total)"; done; }

before=$(snapshot); sleep 5; after=$(snapshot)
echo "idle (5 s), per node:"
paste <(echo "$before") <(echo "$after") | awk '{printf "  node %d: %.0f bytes/s, %.1f messages/s\n", NR, ($3-$1)/5, ($4-$2)/5}'

before=$(snapshot)
for i in 1 2 3; do
  wrk -t1 -c8 -d"${SECONDS_LOADED}s" "http://127.0.0.1:808$i/restapis/hello/prod/_user_request_/pets" > "/tmp/apigw-wrk-$i.txt" 2>&1 &
done
wait $(jobs -p | grep -v "^$CLUSTER$") 2>/dev/null || true
after=$(snapshot)
echo "loaded (${SECONDS_LOADED} s, wrk on every node), per node:"
paste <(echo "$before") <(echo "$after") | awk -v s="$SECONDS_LOADED" '{printf "  node %d: %.0f bytes/s, %.1f messages/s\n", NR, ($3-$1)/s, ($4-$2)/s}'

total=0; admitted=0
for i in 1 2 3; do
  n=$(awk '/requests in/ {print $1}' "/tmp/apigw-wrk-$i.txt")
  non2xx=$(awk '/Non-2xx/ {print $5}' "/tmp/apigw-wrk-$i.txt"); non2xx=${non2xx:-0}
  total=$((total + n)); admitted=$((admitted + n - non2xx))
done
echo "throttle 100 rps + burst 50, cluster-wide: admitted $admitted of $total in ${SECONDS_LOADED} s = $(python3 -c "print(round($admitted/$SECONDS_LOADED,1))") rps (ideal at most $(python3 -c "print(100 + 50/$SECONDS_LOADED)"))"
