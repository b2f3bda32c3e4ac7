#!/usr/bin/env bash
# Starts a cluster of N apigw nodes on loopback (default 3), each with its own
# data plane, admin and QUIC ports, sharing admission counters and the stage
# cache over gossip; prints where each listens. Ctrl-C stops them all.
#
#   ops/cluster/local-cluster.sh [NODES] [CONFIG_APIS_YAML]
#
# Node i listens on 127.0.0.1:808i (data), 909i (admin) and 710i (QUIC).
# Its region is "lab". The example API (ops/examples/hello.yaml's) is served
# by every node unless another apis file is given. Every node checks admin
# signatures against APIGW_ADMIN_ACCESS_KEY_ID / APIGW_ADMIN_SECRET_ACCESS_KEY
# (set here when unset); call the admin listeners with ops/admin-curl.sh
# (APIGW_REGION=lab).
set -euo pipefail
export APIGW_ADMIN_ACCESS_KEY_ID=${APIGW_ADMIN_ACCESS_KEY_ID:-AKIALABADMIN00000001}
export APIGW_ADMIN_SECRET_ACCESS_KEY=${APIGW_ADMIN_SECRET_ACCESS_KEY:-lab-admin-secret-not-for-production}

NODES=${1:-3}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d /tmp/apigw-cluster.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT INT TERM

cargo build --release -q -p apigw --bin apigw --manifest-path "$ROOT/Cargo.toml"
APIGW=$(cargo metadata --format-version 1 --no-deps --manifest-path "$ROOT/Cargo.toml" | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/apigw

ids=$(seq -s, 1 "$NODES")
"$APIGW" cluster init --dir "$WORK/certs" --name lab --nodes "$ids" >/dev/null
cp "$ROOT/ops/examples/hello-api.yaml" "$WORK/"

for i in $(seq 1 "$NODES"); do
  {
    echo "node: {region: lab, data_dir: $WORK/data-$i, listen: '127.0.0.1:808$i', admin_listen: '127.0.0.1:909$i'}"
    echo "cluster:"
    echo "  name: lab"
    echo "  node_id: $i"
    echo "  listen: '127.0.0.1:710$i'"
    echo "  certs: $WORK/certs"
    echo "  peers:"
    for j in $(seq 1 "$NODES"); do
      [ "$j" = "$i" ] || echo "    - {id: $j, addr: '127.0.0.1:710$j'}"
    done
    if [ -n "${2:-}" ]; then cat "$2"; else
      echo "apis:"
      echo "  - {id: hello, openapi: $WORK/hello-api.yaml, stages: [{name: prod, throttle: {rate: 100, burst: 50}}]}"
    fi
  } > "$WORK/node-$i.yaml"
  "$APIGW" serve --config "$WORK/node-$i.yaml" --log-format text --log warn &
done

sleep 1
for i in $(seq 1 "$NODES"); do
  echo "node $i: data http://127.0.0.1:808$i  admin http://127.0.0.1:909$i/cluster  quic 127.0.0.1:710$i"
done
echo "try: curl http://127.0.0.1:8081/restapis/hello/prod/_user_request_/pets ; APIGW_REGION=lab $ROOT/ops/admin-curl.sh http://127.0.0.1:9091/cluster"
wait
