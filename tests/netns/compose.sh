#!/usr/bin/env bash
# The container layout of docker/compose.devnet.yml, run as processes (no Docker engine
# runs here): the init service's `bytom2 devnet --init-only` (4 validators, 1 full node,
# RPC ports from 8545, p2p ports from 30300), then every node started by
# docker/node-entrypoint.sh NAME, unchanged, in its own network namespace as in its own
# container: its hostname is its service name, and its namespace's /etc/hosts
# (/etc/netns/<ns>/hosts, which `ip netns exec` mounts over /etc/hosts) maps every
# service name to its address, as compose's DNS does. So the entrypoint's own logic is
# what is tested: bootstrap peers rewritten to service names and resolved, the p2p
# address taken from the hostname, RPC on 0.0.0.0, bytom2 exec'd as the process.
#
#  1. every node finalizes height >= 5 and all hold the same block hashes;
#  2. validator-2 gets SIGTERM (what `docker compose stop` sends) and exits 0; the others
#     finalize 5 blocks without it; started again through the entrypoint, it catches up
#     with their head, and all nodes still agree.
#
# Set-up shared with partition.sh: tests/netns/lib.sh (root, iproute2, curl, jq;
# "skipped: ..." without them unless BYTOM2_REQUIRE_NETNS=1). BYTOM2_NETNS_KEEP=1 keeps
# the work directory. Binary: $BYTOM2_BIN, default target/debug/bytom2. Takes about 30 s.
#
#   sudo bash tests/netns/compose.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

START_TIMEOUT=${START_TIMEOUT:-90}     # s until every node finalizes height 5
CATCHUP_TIMEOUT=${CATCHUP_TIMEOUT:-60} # s for the restarted validator to catch up

NETNS_TEST=compose
NETNS_TAG=b2c
# The init service's arguments in docker/compose.devnet.yml.
# (Each node has its own namespace, so the fixed ports are free whatever the host runs.)
INIT_ARGS=(--validators 4 --full-nodes 1 --rpc-port 8545 --p2p-port 30300)
# shellcheck source=tests/netns/lib.sh
source tests/netns/lib.sh

# --- the "DNS": each namespace's /etc/hosts names every service ---------------------
hosts="127.0.0.1 localhost"$'\n'
for i in "${!NAMES[@]}"; do hosts+="${IPS[$i]} ${NAMES[$i]}"$'\n'; done
for ns in "${NSES[@]}"; do
  mkdir -p "/etc/netns/$ns"
  printf '%s' "$hosts" >"/etc/netns/$ns/hosts"
done

start() { # index: the node's container command, `node-entrypoint.sh NAME`
  local i=$1
  mkdir -p "$WORK/${NAMES[$i]}"
  # `ip netns exec` and the entrypoint both exec: $! is the bytom2 process.
  ip netns exec "${NSES[$i]}" env HOSTNAME="${NAMES[$i]}" DEVNET_DIR="$WORK" BYTOM2="$BIN" \
    BOOTSTRAP_WAIT=5 bash docker/node-entrypoint.sh "${NAMES[$i]}" >>"$WORK/${NAMES[$i]}/node.log" 2>&1 &
  PIDS[$i]=$!
  log "started ${NAMES[$i]} (pid $!) in ${NSES[$i]} as host ${NAMES[$i]} (${IPS[$i]}): RPC :${RPCPORTS[$i]}"
}
for i in "${!NAMES[@]}"; do start "$i"; done

# --- 1. every node finalizes height 5; the same chain everywhere ---------------------
t0=$SECONDS
wait_all_min 5 "$START_TIMEOUT" "start-up"
log "step 1: every node finalized height >= 5 after $((SECONDS - t0))s: $LINE"
for i in "${!NAMES[@]}"; do
  grep -q -- "--bootstrap [^ ]*@validator-" "$WORK/${NAMES[$i]}/node.log" ||
    die "${NAMES[$i]} was not started with bootstrap peers named by service (see its node.log)"
  grep -qE -- "--p2p-host ${IPS[$i]}( |$)" "$WORK/${NAMES[$i]}/node.log" ||
    die "${NAMES[$i]} does not listen for p2p on its own address ${IPS[$i]}"
done
compare_hashes "$(all_min)"
log "step 1: the entrypoint named peers by service; the same block hashes on every node"

# --- 2. docker compose stop / start of one validator --------------------------------
v=$(index_of validator-2)
pid=${PIDS[$v]}
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
[ "$rc" = 0 ] || die "validator-2 exited with $rc after SIGTERM (expected 0)"
heights
stopped_at=${H[0]}
log "step 2: validator-2 stopped by SIGTERM (exit 0): $LINE"
# The other three (a quorum) go on without it for 5 blocks.
t_down=$SECONDS
until [ "$(height 0)" -ge $((stopped_at + 5)) ]; do
  [ $((SECONDS - t_down)) -lt 30 ] || die "no 5 blocks in 30 s without validator-2"
  sleep 0.5
done
start "$v"
t_up=$SECONDS
target=$(height 0)
wait_all_min "$target" "$CATCHUP_TIMEOUT" "validator-2 catching up after its restart"
log "step 2: validator-2 restarted through the entrypoint reached $target in $((SECONDS - t_up))s: $LINE"
compare_hashes "$(all_min)"
log "step 2: the same block hashes on every node"
alive_check
log "total $((SECONDS - t0))s after start-up"
