#!/usr/bin/env bash
# A multi-region lab on one machine: each node of the three-region cluster
# (ops/cluster/regions-lib.sh: eu-central-1, us-east-1, ap-southeast-1 and an
# edge in eu-west-1) runs in its own network namespace, all joined by a
# bridge, with netem delaying each packet by the one-way latency between
# the two regions. Real processes, real QUIC, real delays. Needs root,
# iproute2 and a kernel with sch_netem.
#
#   sudo ops/lab/netns-lab.sh            # start; Ctrl-C stops and cleans up
#   sudo ops/lab/netns-lab.sh --check    # start, measure, check routing, stop
#   sudo ops/lab/netns-lab.sh down       # remove what a killed run left
#
# LAB_NO_DELAY=1 runs the namespaces without netem (for kernels without it:
# the routing is real, the distances are not).
#
# Node i is 10.77.0.1i in namespace apigw-lab-i (data :8080, admin :9090,
# QUIC :7100); this shell is 10.77.0.1 on bridge apigw-lab and is the
# clients' trusted proxy, so X-Forwarded-For says where a client is.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/ops/cluster/regions-lib.sh"
BRIDGE=apigw-lab
# One-way delay in ms between nodes i and j (round trips are twice this):
# Frankfurt, Virginia, Singapore, Dublin.
declare -A ONE_WAY=(
  [1,2]=45 [1,3]=80 [1,4]=12
  [2,3]=110 [2,4]=38
  [3,4]=90
)
one_way() { local a=$1 b=$2; [ "$a" -gt "$b" ] && { local t=$a; a=$b; b=$t; }; echo "${ONE_WAY[$a,$b]}"; }

down() {
  for i in 1 2 3 4; do
    [ -n "${WORK:-}" ] && lab_kill "$WORK" "$i" TERM
    ip netns del "apigw-lab-$i" 2>/dev/null || true
  done
  ip link del "$BRIDGE" 2>/dev/null || true
}

netem_available() {
  ip netns add apigw-lab-probe
  local ok=0
  ip netns exec apigw-lab-probe tc qdisc add dev lo root netem delay 1ms 2>/dev/null || ok=1
  ip netns del apigw-lab-probe
  return $ok
}

# Namespace per node, a veth into the bridge, and on each namespace's side
# an htb tree sending traffic for node j through a netem of one_way(i, j).
up() {
  ip link add "$BRIDGE" type bridge
  ip addr add 10.77.0.1/24 dev "$BRIDGE"
  ip link set "$BRIDGE" up
  for i in 1 2 3 4; do
    local ns=apigw-lab-$i
    ip netns add "$ns"
    ip link add "lab$i-host" type veth peer name "lab$i-ns"
    ip link set "lab$i-host" master "$BRIDGE" up
    ip link set "lab$i-ns" netns "$ns"
    ip -n "$ns" link set lo up
    ip -n "$ns" addr add "10.77.0.1$i/24" dev "lab$i-ns"
    ip -n "$ns" link set "lab$i-ns" up
    [ "${LAB_NO_DELAY:-}" = 1 ] && continue
    ip netns exec "$ns" tc qdisc add dev "lab$i-ns" root handle 1: htb default 99
    ip netns exec "$ns" tc class add dev "lab$i-ns" parent 1: classid 1:99 htb rate 10gbit quantum 60000
    for j in 1 2 3 4; do
      [ "$j" = "$i" ] && continue
      ip netns exec "$ns" tc class add dev "lab$i-ns" parent 1: classid "1:$j" htb rate 10gbit quantum 60000
      ip netns exec "$ns" tc qdisc add dev "lab$i-ns" parent "1:$j" netem delay "$(one_way "$i" "$j")ms" limit 100000
      ip netns exec "$ns" tc filter add dev "lab$i-ns" parent 1: protocol ip u32 \
        match ip dst "10.77.0.1$j/32" flowid "1:$j"
    done
  done
}

# Round trips as the nodes see them: TCP connect time from each namespace
# to every other node's data port (one round trip).
measure() {
  echo "round trips measured (ms; configured = 2 x one-way):"
  for i in 1 2 3 4; do
    local line="  ${LAB_REGIONS[$((i - 1))]}:"
    for j in 1 2 3 4; do
      [ "$j" = "$i" ] && continue
      local rtt
      rtt=$(ip netns exec "apigw-lab-$i" curl -s -o /dev/null -w '%{time_connect}' "http://${LAB_DATA[$j]}/" |
        awk '{printf "%.1f", $1 * 1000}')
      local want=0
      [ "${LAB_NO_DELAY:-}" = 1 ] || want=$((2 * $(one_way "$i" "$j")))
      line+=" ${LAB_REGIONS[$((j - 1))]} $rtt (configured $want)"
    done
    echo "$line"
  done
}

if [ "${1:-}" = down ]; then down; exit 0; fi
[ "$(id -u)" = 0 ] || { echo "run as root (namespaces and qdiscs)" >&2; exit 1; }
if [ "${LAB_NO_DELAY:-}" != 1 ] && ! netem_available; then
  echo "this kernel has no sch_netem qdisc (tc says: unknown qdisc kind);" >&2
  echo "load it (modprobe sch_netem) or run with LAB_NO_DELAY=1 for the lab without delays" >&2
  exit 1
fi

WORK=$(mktemp -d /tmp/apigw-lab.XXXXXX)
trap 'down; wait; [ -n "${LAB_KEEP:-}" ] || rm -rf "$WORK"' EXIT INT TERM
down # what an earlier run may have left
lab_build "$ROOT"
lab_files "$ROOT" "$WORK"
up
for i in 1 2 3 4; do
  LAB_DATA[$i]=10.77.0.1$i:8080 LAB_ADMIN[$i]=10.77.0.1$i:9090 LAB_QUIC[$i]=10.77.0.1$i:7100
done
# Gossip every 250 ms: a region is declared down after 1 s of silence,
# well above the lab's longest round trip (220 ms).
LAB_GOSSIP_MS=${LAB_GOSSIP_MS:-250}
lab_configure "$WORK" 10.77.0.1
for i in 1 2 3 4; do lab_start "$WORK" "$i" ip netns exec "apigw-lab-$i"; done
lab_wait_roles
measure
FAILED=0
lab_check || FAILED=1
if [ "${1:-}" = --check ]; then exit "$FAILED"; fi
for i in 1 2 3 4; do
  echo "node $i (${LAB_REGIONS[$((i - 1))]}) in namespace apigw-lab-$i: data http://${LAB_DATA[$i]}  admin http://${LAB_ADMIN[$i]}/cluster (signed: lab_admin_curl $i, or ops/admin-curl.sh with APIGW_REGION=${LAB_REGIONS[$((i - 1))]})"
done
echo "try: curl -i -H 'X-Forwarded-For: $LAB_SINGAPORE' http://${LAB_DATA[4]}/restapis/hello/prod/_user_request_/"
echo "     ip netns exec apigw-lab-1 ip link set lab1-ns down   # cut eu-central-1 off"
wait
