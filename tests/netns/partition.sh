#!/usr/bin/env bash
# Network partition test of a real bytom2 network: 4 validators and 1 full node, each
# `bytom2` process in its own network namespace, all wired to a bridge in a "hub"
# namespace (the host's own networking is never touched).
#
#  1. every node finalizes height >= 5;
#  2. validator-3's cable is pulled (its veth end on the bridge goes down): the other
#     three validators (a 2f+1 quorum of 4) and the full node keep finalizing (>= 10 more
#     blocks) while validator-3's head stays put;
#  3. the cable is plugged back: validator-3 catches up to the others' head within 60 s,
#     a block it proposes is finalized again, and all five nodes hold the same block hash
#     at every height from 0 to a common one.
#
# Needs root and iproute2 (`ip netns`, veth, bridge), curl and jq. Without them it prints
# "skipped: ..." and exits 0, unless BYTOM2_REQUIRE_NETNS=1 (then it fails).
# BYTOM2_NETNS_LOG_LEVEL=FILTER sets the nodes' --log-level (default: devnet's "info").
# BYTOM2_NETNS_KEEP=1 keeps the work directory (nodes.json, logs, data) after the run.
# Binary: $BYTOM2_BIN, default target/debug/bytom2 (`cargo build -p bytom2-node --bin bytom2`).
# START_TIMEOUT, PARTITION_BLOCKS, PARTITION_TIMEOUT, CATCHUP_TIMEOUT, CATCHUP_LAG: see below.
# Takes about a minute.
#
#   sudo bash tests/netns/partition.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

BIN=${BYTOM2_BIN:-$PWD/target/debug/bytom2}
# Bounds (the environment may override them):
START_TIMEOUT=${START_TIMEOUT:-90}           # s until every node finalizes height 5
PARTITION_BLOCKS=${PARTITION_BLOCKS:-10}     # blocks the majority finalizes while cut off
PARTITION_TIMEOUT=${PARTITION_TIMEOUT:-60}   # s allowed for them
CATCHUP_TIMEOUT=${CATCHUP_TIMEOUT:-60}       # s for validator-3 to catch up after healing
CATCHUP_LAG=${CATCHUP_LAG:-2}                # blocks behind the others that count as caught up

skip() {
  if [ "${BYTOM2_REQUIRE_NETNS:-0}" = 1 ]; then
    echo "partition.sh: cannot run: $*" >&2
    exit 1
  fi
  echo "skipped: $*"
  exit 0
}
log() { echo "[partition $(date +%T)] $*"; }
die() {
  echo "[partition $(date +%T)] FAIL: $*" >&2
  exit 1
}

[ "$(id -u)" = 0 ] || skip "network namespaces need root"
for tool in ip curl jq; do
  command -v "$tool" >/dev/null 2>&1 || skip "$tool is missing (apt-get install iproute2 curl jq)"
done
[ -x "$BIN" ] || die "no bytom2 binary at $BIN (cargo build -p bytom2-node --bin bytom2, or set BYTOM2_BIN)"

# Unique per run: namespaces are global names.
TAG="b2p$$"
HUB="$TAG-hub"
SUBNET="10.77.$(($$ % 256))"
probe="$TAG-probe"
if ! ip netns add "$probe" 2>/dev/null; then
  skip "cannot create network namespaces here (ip netns add failed: no CAP_SYS_ADMIN?)"
fi
ip netns del "$probe"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/bytom2-partition.XXXXXX")
NAMESPACES=()
PIDS=()
NAMES=()
NSES=()
IPS=()
RPCPORTS=()

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  local pid i
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for i in $(seq 50); do
    local alive=0
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  for pid in "${PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      echo "[partition] pid $pid did not stop in 5 s: SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null
    fi
  done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  if [ "$rc" != 0 ]; then
    for i in "${!NAMES[@]}"; do
      echo "----- ${NAMES[$i]} (${IPS[$i]}): last 40 lines of node.log -----" >&2
      tail -n 40 "$WORK/${NAMES[$i]}/node.log" >&2 2>/dev/null
    done
  fi
  for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null; done
  if [ "${BYTOM2_NETNS_KEEP:-0}" = 1 ]; then
    echo "[partition] kept $WORK (BYTOM2_NETNS_KEEP=1)"
  else
    rm -rf "$WORK"
  fi
  if [ "$rc" = 0 ]; then log "PASS"; else echo "[partition] FAILED (exit $rc)" >&2; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- the network files -------------------------------------------------------------
"$BIN" devnet --dir "$WORK" --rpc-port 0 --p2p-port 0 --init-only >/dev/null
NODES="$WORK/nodes.json"
count=$(jq length "$NODES")
[ "$count" = 5 ] || die "nodes.json lists $count nodes, expected 5"

# --- namespaces: a hub with a bridge, one namespace per node ------------------------
ip netns add "$HUB"
NAMESPACES+=("$HUB")
ip -n "$HUB" link set lo up
ip -n "$HUB" link add name br0 type bridge
ip -n "$HUB" link set br0 up
declare -A IP_OF_P2P_PORT=()
for i in $(seq 0 $((count - 1))); do
  name=$(jq -r ".[$i].name" "$NODES")
  ns="$TAG-n$i"
  addr="$SUBNET.$((10 + i))"
  ip netns add "$ns"
  NAMESPACES+=("$ns")
  # One veth per node: "p<i>" on the bridge in the hub, "eth0" inside the node's namespace.
  ip -n "$HUB" link add name "p$i" type veth peer name eth0 netns "$ns"
  ip -n "$HUB" link set "p$i" master br0
  ip -n "$HUB" link set "p$i" up
  ip -n "$ns" link set lo up
  ip -n "$ns" addr add "$addr/24" dev eth0
  ip -n "$ns" link set eth0 up
  NAMES+=("$name")
  NSES+=("$ns")
  IPS+=("$addr")
  RPCPORTS+=("$(jq -r ".[$i].rpcPort" "$NODES")")
  IP_OF_P2P_PORT[$(jq -r ".[$i].p2pPort" "$NODES")]=$addr
done
index_of() {
  local i
  for i in "${!NAMES[@]}"; do [ "${NAMES[$i]}" = "$1" ] && { echo "$i"; return; }; done
  die "no node $1 in nodes.json"
}
V3=$(index_of validator-3)
log "namespaces ready ($HUB + ${#NSES[@]} nodes on $SUBNET.0/24), work dir $WORK"

# --- start every node in its namespace ----------------------------------------------
for i in "${!NAMES[@]}"; do
  args=()
  while IFS= read -r -d '' a; do args+=("$a"); done < <(jq -j ".[$i].args[] | (., \"\u0000\")" "$NODES")
  for j in "${!args[@]}"; do
    if [ "${args[$j]}" = --log-level ] && [ -n "${BYTOM2_NETNS_LOG_LEVEL:-}" ]; then
      args[$((j + 1))]=$BYTOM2_NETNS_LOG_LEVEL
    fi
    if [ "${args[$j]}" = --bootstrap ]; then
      b=${args[$((j + 1))]}
      port=${b##*:}
      peer_ip=${IP_OF_P2P_PORT[$port]:-}
      [ -n "$peer_ip" ] || die "bootstrap $b: no node has p2p port $port"
      args[$((j + 1))]="${b%@*}@$peer_ip:$port"
    fi
  done
  args+=(--host "${IPS[$i]}" --p2p-host "${IPS[$i]}")
  mkdir -p "$WORK/${NAMES[$i]}"
  # `ip netns exec` execs the command: $! is the node's pid.
  ip netns exec "${NSES[$i]}" "$BIN" "${args[@]}" >"$WORK/${NAMES[$i]}/node.log" 2>&1 &
  PIDS+=("$!")
  log "started ${NAMES[$i]} (pid $!) in ${NSES[$i]} at ${IPS[$i]}: RPC :${RPCPORTS[$i]}"
done

# --- RPC helpers (reached from inside each node's namespace) ------------------------
rpc() { # index method params-json
  ip netns exec "${NSES[$1]}" curl -sf -m 3 -H 'content-type: application/json' \
    -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$2\",\"params\":$3}" \
    "http://${IPS[$1]}:${RPCPORTS[$1]}"
}
height() { # index -> newest finalized height, or -1 if the node does not answer
  local r
  if r=$(rpc "$1" eth_blockNumber '[]' 2>/dev/null) && r=$(jq -er .result <<<"$r" 2>/dev/null); then
    echo $((r))
  else
    echo -1
  fi
}
block_hash() { # index height
  rpc "$1" eth_getBlockByNumber "[\"$(printf '0x%x' "$2")\", false]" | jq -r '.result.hash // "null"'
}
status() { # index -> a one-line summary of dpos_status (informational)
  local r view fin npeers ph p heights=""
  if r=$(rpc "$1" dpos_status '[]' 2>/dev/null) &&
    read -r view fin npeers ph < <(jq -r '.result | [.view, .finalizedHeight, (.peers | length), (.peers | map(.finalizedHeight) | join(",") | if . == "" then "-" else . end)] | @tsv' <<<"$r"); then
    for p in ${ph//,/ }; do [ "$p" = - ] || heights+="$((p)),"; done
    echo "view=$((view)) finalized=$((fin)) peers=$npeers (their finalized heights: ${heights%,})"
  else
    echo "dpos_status unavailable"
  fi
}
alive_check() {
  local i
  for i in "${!PIDS[@]}"; do
    kill -0 "${PIDS[$i]}" 2>/dev/null || die "${NAMES[$i]} (pid ${PIDS[$i]}) exited"
  done
}
heights() { # sets H[i] to every node's height and LINE to "name=height ..."
  local i
  H=()
  LINE=""
  for i in "${!NAMES[@]}"; do
    H[$i]=$(height "$i")
    LINE+="${NAMES[$i]}=${H[$i]} "
  done
}
others_min() { # min height over every node but validator-3
  local i m=""
  for i in "${!H[@]}"; do
    [ "$i" = "$V3" ] && continue
    if [ -z "$m" ] || [ "${H[$i]}" -lt "$m" ]; then m=${H[$i]}; fi
  done
  echo "$m"
}
others_max() {
  local i m=-1
  for i in "${!H[@]}"; do
    [ "$i" = "$V3" ] && continue
    [ "${H[$i]}" -gt "$m" ] && m=${H[$i]}
  done
  echo "$m"
}
all_min() {
  local i m=""
  for i in "${!H[@]}"; do
    if [ -z "$m" ] || [ "${H[$i]}" -lt "$m" ]; then m=${H[$i]}; fi
  done
  echo "$m"
}

# --- 1. every node finalizes height 5 -----------------------------------------------
t0=$SECONDS
while :; do
  alive_check
  heights; line=$LINE
  [ "$(all_min)" -ge 5 ] && break
  [ $((SECONDS - t0)) -lt "$START_TIMEOUT" ] || die "not every node reached height 5 in ${START_TIMEOUT}s: $line"
  sleep 1
done
log "step 1: every node finalized height >= 5 after $((SECONDS - t0))s: $line"

# --- 2. partition validator-3 -------------------------------------------------------
ip -n "$HUB" link set "p$V3" down
t_cut=$SECONDS
heights
cut_v3=${H[$V3]}
# Messages validator-3 had already received may still finalize a block there: let them
# settle, then its head must not move for the rest of the partition.
sleep 2
heights; line=$LINE
v3_head=${H[$V3]}
[ "$v3_head" -ge 0 ] || die "validator-3's RPC stopped answering during the partition"
base=$(others_min)
log "step 2: validator-3 cut off (p$V3 down in $HUB) at its height $cut_v3, settled at $v3_head; others from $base: $line"
while :; do
  alive_check
  heights; line=$LINE
  [ "${H[$V3]}" = "$v3_head" ] || die "validator-3's head moved from $v3_head to ${H[$V3]} while partitioned: $line"
  [ "$(others_min)" -ge $((base + PARTITION_BLOCKS)) ] && break
  [ $((SECONDS - t_cut)) -lt "$PARTITION_TIMEOUT" ] ||
    die "the other nodes did not finalize $PARTITION_BLOCKS blocks in ${PARTITION_TIMEOUT}s without validator-3: $line"
  sleep 1
done
log "step 2: others finalized >= $PARTITION_BLOCKS blocks without validator-3 in $((SECONDS - t_cut))s; validator-3 stayed at $v3_head: $line"
log "step 2: validator-3's dpos_status: $(status "$V3"); validator-0's: $(status "$(index_of validator-0)")"

# --- 3. heal ------------------------------------------------------------------------
ip -n "$HUB" link set "p$V3" up
t_heal=$SECONDS
heights
target=$(others_max)
log "step 3: link restored; validator-3 at ${H[$V3]} must reach the others' head at the heal ($target), then their moving head (within $CATCHUP_LAG blocks), within ${CATCHUP_TIMEOUT}s"
reached=""
while :; do
  alive_check
  heights; line=$LINE
  if [ -z "$reached" ] && [ "${H[$V3]}" -ge "$target" ]; then
    reached=$((SECONDS - t_heal))
    log "step 3: validator-3 reached $target after ${reached}s: $line"
  fi
  # Heights are read one node after the other: allow a little skew.
  [ -n "$reached" ] && [ "${H[$V3]}" -ge $(($(others_min) - CATCHUP_LAG)) ] && break
  [ $((SECONDS - t_heal)) -lt "$CATCHUP_TIMEOUT" ] ||
    die "validator-3 did not catch up with the others within ${CATCHUP_TIMEOUT}s (reached the heal-time head $target: ${reached:-no}): $line"
  sleep 1
done
log "step 3: validator-3 caught up with the others' head in $((SECONDS - t_heal))s: $line"
log "step 3: validator-3's dpos_status: $(status "$V3")"

# Back in consensus, not only following: a block it proposed (its fee recipient in the
# chain spec is the block's miner) is finalized. Leaders rotate, so one comes in seconds.
v3_key=$(jq -r --arg n validator-3 '.[] | select(.name == $n) | .publicKey | ascii_downcase' "$NODES")
v3_fee=$(jq -r --arg k "$v3_key" '[.. | objects | select(has("validators")) | .validators[] |
  select(.publicKey | ascii_downcase == $k) | .feeRecipient | ascii_downcase] | first // empty' "$WORK/spec.json")
[ -n "$v3_fee" ] || die "validator-3's fee recipient is not in spec.json"
miners() { # index from to -> "height miner" lines
  local h batch=""
  for h in $(seq "$2" "$3"); do
    batch+=$(printf '{"jsonrpc":"2.0","id":%d,"method":"eth_getBlockByNumber","params":["0x%x",false]},' "$h" "$h")
  done
  ip netns exec "${NSES[$1]}" curl -sf -m 10 -H 'content-type: application/json' -d "[${batch%,}]" \
    "http://${IPS[$1]}:${RPCPORTS[$1]}" |
    jq -r 'sort_by(.id) | .[] | select(.result != null) | "\(.id) \(.result.miner | ascii_downcase)"'
}
t_prop=$SECONDS
while :; do
  alive_check
  heights; line=$LINE
  proposed=$(miners 0 $((v3_head + 1)) "${H[0]}" | awk -v f="$v3_fee" '$2 == f { print $1; exit }')
  [ -n "$proposed" ] && break
  [ $((SECONDS - t_prop)) -lt 30 ] ||
    die "no block proposed by validator-3 (miner $v3_fee) finalized above $v3_head within 30 s of catching up: $line"
  sleep 1
done
log "step 3: validator-3 proposes again: block $proposed (miner $v3_fee, validator-3's fee recipient) is final on ${NAMES[0]}"

common=$(all_min)
log "step 3: comparing block hashes at every height 0..$common on all ${#NAMES[@]} nodes"
# One JSON-RPC batch per node: the hashes of heights 0..common, in order.
batch=""
for h in $(seq 0 "$common"); do
  batch+=$(printf '{"jsonrpc":"2.0","id":%d,"method":"eth_getBlockByNumber","params":["0x%x",false]},' "$h" "$h")
done
batch="[${batch%,}]"
hashes() { # index -> one hash per line, heights 0..common
  ip netns exec "${NSES[$1]}" curl -sf -m 10 -H 'content-type: application/json' -d "$batch" \
    "http://${IPS[$1]}:${RPCPORTS[$1]}" | jq -r 'sort_by(.id) | .[] | .result.hash // "null"'
}
hashes 0 >"$WORK/hashes-0"
[ "$(grep -c '^0x' "$WORK/hashes-0")" = $((common + 1)) ] || die "${NAMES[0]} does not return every block 0..$common"
for i in $(seq 1 $((${#NAMES[@]} - 1))); do
  hashes "$i" >"$WORK/hashes-$i"
  if ! cmp -s "$WORK/hashes-0" "$WORK/hashes-$i"; then
    paste -d' ' <(seq 0 "$common") "$WORK/hashes-0" "$WORK/hashes-$i" | awk '$2 != $3' | head -5 >&2
    die "${NAMES[$i]}'s block hashes differ from ${NAMES[0]}'s (height, ${NAMES[0]}, ${NAMES[$i]} above)"
  fi
done
log "step 3: the same $((common + 1)) block hashes (0..$common) on every node"
alive_check
log "total $((SECONDS - t0))s after start-up"
