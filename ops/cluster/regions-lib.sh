# Shared by ops/cluster/three-regions.sh, ops/lab/netns-lab.sh and
# ops/bench/failover.sh: builds apigw, writes the certificates, a small geo
# database and one config per node of a three-region cluster with an edge,
# and starts/stops nodes. Source it; it defines functions only.
#
# The topology: node 1 eu-central-1 (Frankfurt), node 2 us-east-1
# (Virginia), node 3 ap-southeast-1 (Singapore), all regional; node 4 an
# edge in eu-west-1 (Dublin) with the geo database. Node 1 declares the
# example API; Raft carries it to the others.

# Client addresses the lab's geo database places (documentation ranges of
# real networks are not needed: these are only keys in our own database).
LAB_PARIS=81.2.69.10
LAB_NEW_YORK=216.160.83.10
LAB_SINGAPORE=175.16.199.10
LAB_REGIONS=(eu-central-1 us-east-1 ap-southeast-1 eu-west-1)
# Where each node listens (indexed by node id; the scripts set them) and
# how to run curl so that it reaches them.
LAB_DATA=() LAB_ADMIN=() LAB_QUIC=()
LAB_CURL=(curl)
# The admin credentials every node of the lab checks signatures against
# (the admin listener needs them for everything but /health and /ready).
export APIGW_ADMIN_ACCESS_KEY_ID=${APIGW_ADMIN_ACCESS_KEY_ID:-AKIALABADMIN00000001}
export APIGW_ADMIN_SECRET_ACCESS_KEY=${APIGW_ADMIN_SECRET_ACCESS_KEY:-lab-admin-secret-not-for-production}

# lab_admin_curl ID CURL-ARGS...: a signed call to node ID's admin listener
# (SigV4 for the node's region), run as LAB_CURL says.
lab_admin_curl() {
  local id=$1
  shift
  "${LAB_CURL[@]}" --aws-sigv4 "aws:amz:${LAB_REGIONS[$((id - 1))]}:apigateway" \
    --user "$APIGW_ADMIN_ACCESS_KEY_ID:$APIGW_ADMIN_SECRET_ACCESS_KEY" "$@"
}

# lab_build ROOT: builds the release binary; sets APIGW.
lab_build() {
  local root=$1
  cargo build --release -q -p apigw --bin apigw --manifest-path "$root/Cargo.toml"
  APIGW=$(cargo metadata --format-version 1 --no-deps --manifest-path "$root/Cargo.toml" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/apigw
}

# lab_python ROOT: a Python that imports mmdb_writer (the tests' virtualenv,
# the system's, or one made under ~/.cache); sets LAB_PYTHON.
lab_python() {
  local root=$1 target
  target=$(dirname "$(dirname "$APIGW")")
  for candidate in "$target/test-python/bin/python" python3 "$HOME/.cache/apigw-lab-python/bin/python"; do
    if "$candidate" -c 'import mmdb_writer' 2>/dev/null; then LAB_PYTHON=$candidate; return; fi
  done
  python3 -m venv "$HOME/.cache/apigw-lab-python"
  "$HOME/.cache/apigw-lab-python/bin/pip" install -q mmdb-writer
  LAB_PYTHON=$HOME/.cache/apigw-lab-python/bin/python
}

# lab_files ROOT WORK: certificates for nodes 1-4, the geo database and the
# example API under WORK.
lab_files() {
  local root=$1 work=$2
  "$APIGW" cluster init --dir "$work/certs" --name lab --nodes 1,2,3,4 >/dev/null
  cp "$root/ops/examples/hello-api.yaml" "$work/"
  lab_python "$root"
  cat > "$work/geo.json" <<JSON
{"layout": "flat", "networks": [
  {"cidr": "81.2.69.0/24", "lat": 48.8566, "lon": 2.3522, "country": "FR", "city": "Paris"},
  {"cidr": "216.160.83.0/24", "lat": 40.7128, "lon": -74.006, "country": "US", "city": "New York"},
  {"cidr": "175.16.199.0/24", "lat": 1.3521, "lon": 103.8198, "country": "SG", "city": "Singapore"}]}
JSON
  "$LAB_PYTHON" "$root/tests/scripts/make_geo_db.py" "$work/geo.json" "$work/geo.mmdb"
}

# lab_config WORK ID DATA ADMIN QUIC TRUSTED PEER...: writes WORK/node-ID.yaml.
# DATA, ADMIN and QUIC are this node's listen addresses; TRUSTED the
# proxy allowed to set X-Forwarded-For; each PEER is "id@host:port".
lab_config() {
  local work=$1 id=$2 data=$3 admin=$4 quic=$5 trusted=$6
  shift 6
  local region=${LAB_REGIONS[$((id - 1))]} role=regional peer
  [ "$id" = 4 ] && role=edge
  {
    echo "node:"
    echo "  region: $region"
    echo "  data_dir: $work/data-$id"
    echo "  listen: '$data'"
    echo "  admin_listen: '$admin'"
    echo "  trusted_proxies: ['$trusted']"
    echo "cluster:"
    echo "  name: lab"
    echo "  node_id: $id"
    echo "  role: $role"
    echo "  listen: '$quic'"
    echo "  certs: $work/certs"
    echo "  gossip_interval_ms: ${LAB_GOSSIP_MS:-100}"
    echo "  peers:"
    for peer in "$@"; do echo "    - {id: ${peer%%@*}, addr: '${peer#*@}'}"; done
    if [ "$role" = edge ]; then
      echo "geo:"
      echo "  database: $work/geo.mmdb"
      echo "  regions:"
      echo "    - {name: eu-central-1, lat: 50.11, lon: 8.68}"
      echo "    - {name: us-east-1, lat: 38.9, lon: -77.04}"
      echo "    - {name: ap-southeast-1, lat: 1.29, lon: 103.85}"
      echo "    - {name: eu-west-1, lat: 53.35, lon: -6.26}"
    fi
    if [ "$id" = 1 ]; then
      echo "apis:"
      echo "  - {id: hello, openapi: $work/hello-api.yaml, stages: [{name: prod, variables: {greeting: hello}}]}"
    fi
  } > "$work/node-$id.yaml"
}

# lab_configure WORK TRUSTED: writes the four nodes' configs from the
# arrays LAB_DATA, LAB_ADMIN and LAB_QUIC (indexed by node id).
lab_configure() {
  local work=$1 trusted=$2 i j peers
  for i in 1 2 3 4; do
    peers=()
    for j in 1 2 3 4; do [ "$j" = "$i" ] || peers+=("$j@${LAB_QUIC[$j]}"); done
    lab_config "$work" "$i" "${LAB_DATA[$i]}" "${LAB_ADMIN[$i]}" "${LAB_QUIC[$i]}" "$trusted" "${peers[@]}"
  done
}

# lab_start WORK ID [PREFIX...]: starts node ID (PREFIX runs it, e.g.
# "ip netns exec NS"); its pid goes to WORK/node-ID.pid, its log to
# WORK/node-ID.log.
lab_start() {
  local work=$1 id=$2
  shift 2
  "$@" "$APIGW" serve --config "$work/node-$id.yaml" --log-format text --log "${LAB_LOG:-warn}" \
    >>"$work/node-$id.log" 2>&1 &
  echo $! > "$work/node-$id.pid"
}

# lab_kill WORK ID [SIGNAL]: stops node ID (SIGKILL by default).
lab_kill() {
  local work=$1 id=$2 signal=${3:-KILL}
  [ -f "$work/node-$id.pid" ] && kill "-$signal" "$(cat "$work/node-$id.pid")" 2>/dev/null
  rm -f "$work/node-$id.pid"
}

# lab_wait_roles: waits (30 s at most) until the edge (node 4) sees its
# three regional peers up.
lab_wait_roles() {
  local i
  for i in $(seq 300); do
    if lab_admin_curl 4 -fsS "http://${LAB_ADMIN[4]}/cluster" 2>/dev/null | python3 -c '
import json, sys
peers = json.load(sys.stdin)["peers"]
up = [p for p in peers if p.get("up") and p.get("role") == "regional"]
sys.exit(0 if len(up) >= 3 else 1)' 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "the edge did not see three regional peers up; see the node logs" >&2
  return 1
}

# lab_check CURL...: calls the example API through the edge (node 4) as a
# client in Paris, New York and Singapore and checks each is answered by its
# nearest region; CURL is how to run curl (e.g. "ip netns exec NS curl").
# Prints what it saw and the edge's counters; fails if a client was
# answered by another region after 5 s.
lab_check() {
  local url="http://${LAB_DATA[4]}/restapis/hello/prod/_user_request_/" failed=0 who answer seen attempt
  for who in "Paris $LAB_PARIS eu-central-1" "New-York $LAB_NEW_YORK us-east-1" \
    "Singapore $LAB_SINGAPORE ap-southeast-1"; do
    set -- $who # name, address, expected region
    seen=()
    for attempt in $(seq 50); do
      # "STATUS REGION" of the answer; before Raft brings the API, the edge
      # itself answers 403 (no such stage yet).
      answer=$("${LAB_CURL[@]}" -s -o /dev/null -D - -H "X-Forwarded-For: $2" "$url" | tr -d '\r' |
        awk -F': ' 'NR == 1 {split($0, s, " "); status = s[2]} tolower($1) == "x-apigw-region" {region = $2}
          END {print status, region}')
      seen+=("${answer/ /@}")
      [ "$answer" = "200 $3" ] && break
      sleep 0.1
    done
    echo "client in $1 ($2) -> ${answer#* } (answers seen: ${seen[*]})"
    [ "$answer" = "200 $3" ] || { echo "expected $3" >&2; failed=1; }
  done
  lab_admin_curl 4 -s "http://${LAB_ADMIN[4]}/metrics" | grep '^apigw_edge' || true
  return $failed
}
