#!/usr/bin/env bash
# Starts a three-region cluster with an edge on loopback: node 1
# eu-central-1, node 2 us-east-1, node 3 ap-southeast-1 (regional) and node 4
# an edge in eu-west-1 with a small geo database placing Paris, New York and
# Singapore. Real processes, real QUIC between them. Ctrl-C stops them all.
#
#   ops/cluster/three-regions.sh          # runs until Ctrl-C
#   ops/cluster/three-regions.sh --check  # starts, checks each client lands
#                                         # in its region, stops
#
# Node i listens on 127.0.0.1:818i (data), 919i (admin), 720i (QUIC).
set -euo pipefail

CHECK=0
[ "${1:-}" = --check ] && CHECK=1
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/ops/cluster/regions-lib.sh"
WORK=$(mktemp -d /tmp/apigw-regions.XXXXXX)
trap 'for i in 1 2 3 4; do lab_kill "$WORK" $i TERM; done; wait; [ -n "${LAB_KEEP:-}" ] || rm -rf "$WORK"' EXIT INT TERM

lab_build "$ROOT"
lab_files "$ROOT" "$WORK"
for i in 1 2 3 4; do
  LAB_DATA[$i]=127.0.0.1:818$i LAB_ADMIN[$i]=127.0.0.1:919$i LAB_QUIC[$i]=127.0.0.1:720$i
done
lab_configure "$WORK" 127.0.0.1
for i in 1 2 3 4; do lab_start "$WORK" "$i"; done
lab_wait_roles

url=http://127.0.0.1:8184/restapis/hello/prod/_user_request_/
lab_check || FAILED=1
[ "$CHECK" = 1 ] && exit "${FAILED:-0}"
for i in 1 2 3 4; do
  echo "node $i (${LAB_REGIONS[$((i - 1))]}): data http://127.0.0.1:818$i  admin http://127.0.0.1:919$i/cluster (signed: APIGW_REGION=${LAB_REGIONS[$((i - 1))]} ops/admin-curl.sh)  quic 127.0.0.1:720$i"
done
echo "try: curl -i -H 'X-Forwarded-For: $LAB_SINGAPORE' $url"
echo "     kill -9 \$(cat $WORK/node-1.pid)   # then call from Paris again"
wait
