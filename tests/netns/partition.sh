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
# Set-up shared with compose.sh: tests/netns/lib.sh. Needs root and iproute2 (`ip netns`,
# veth, bridge), curl and jq. Without them it prints
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

# Bounds (the environment may override them):
START_TIMEOUT=${START_TIMEOUT:-90}           # s until every node finalizes height 5
PARTITION_BLOCKS=${PARTITION_BLOCKS:-10}     # blocks the majority finalizes while cut off
PARTITION_TIMEOUT=${PARTITION_TIMEOUT:-60}   # s allowed for them
CATCHUP_TIMEOUT=${CATCHUP_TIMEOUT:-60}       # s for validator-3 to catch up after healing
CATCHUP_LAG=${CATCHUP_LAG:-2}                # blocks behind the others that count as caught up

NETNS_TEST=partition
NETNS_TAG=b2p
INIT_ARGS=(--rpc-port 0 --p2p-port 0)
# shellcheck source=tests/netns/lib.sh
source tests/netns/lib.sh
V3=$(index_of validator-3)

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
compare_hashes "$common"
log "step 3: the same $((common + 1)) block hashes (0..$common) on every node"
alive_check
log "total $((SECONDS - t0))s after start-up"
