#!/usr/bin/env bash
# Control-plane propagation: how long a write takes from the leader's
# client_write until all three Raft members applied it (QUIC on loopback,
# log and state on disk). Prints p50/p99/max.
#
#   ops/bench/config-propagation.sh [WRITES]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cargo run --release -q -p apigw-cluster --example raft_propagation --manifest-path "$ROOT/Cargo.toml" -- "${1:-300}"
