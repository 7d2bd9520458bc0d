#!/usr/bin/env bash
# Shared set-up of the network-namespace tests (sourced by partition.sh and compose.sh):
# checks (root, iproute2, curl, jq; "skipped: ..." without them unless
# BYTOM2_REQUIRE_NETNS=1), a work directory written by `bytom2 devnet --init-only`
# (5 nodes: 4 validators, 1 full node), a "hub" namespace with a bridge and one namespace
# per node wired to it by a veth (the host's own networking is never touched), cleanup of
# every process and namespace on exit, and RPC helpers reached from inside each node's
# namespace.
#
# The sourcing script sets before sourcing:
#   NETNS_TEST   its name, for log lines and the work directory;
#   NETNS_TAG    a short prefix for namespace names (namespaces are global);
#   INIT_ARGS    the `bytom2 devnet --init-only` arguments besides --dir (an array).
# and then starts the nodes itself, adding each pid to PIDS.
# Arrays by node index: NAMES, NSES (namespace), IPS, RPCPORTS; IP_OF_P2P_PORT maps a
# p2p port of nodes.json to its node's address.

BIN=${BYTOM2_BIN:-$PWD/target/debug/bytom2}

skip() {
  if [ "${BYTOM2_REQUIRE_NETNS:-0}" = 1 ]; then
    echo "$NETNS_TEST.sh: cannot run: $*" >&2
    exit 1
  fi
  echo "skipped: $*"
  exit 0
}
log() { echo "[$NETNS_TEST $(date +%T)] $*"; }
die() {
  echo "[$NETNS_TEST $(date +%T)] FAIL: $*" >&2
  exit 1
}

[ "$(id -u)" = 0 ] || skip "network namespaces need root"
for tool in ip curl jq; do
  command -v "$tool" >/dev/null 2>&1 || skip "$tool is missing (apt-get install iproute2 curl jq)"
done
[ -x "$BIN" ] || die "no bytom2 binary at $BIN (cargo build -p bytom2-node --bin bytom2, or set BYTOM2_BIN)"

# Unique per run: namespaces are global names.
TAG="$NETNS_TAG$$"
HUB="$TAG-hub"
SUBNET="10.77.$(($$ % 256))"
probe="$TAG-probe"
if ! ip netns add "$probe" 2>/dev/null; then
  skip "cannot create network namespaces here (ip netns add failed: no CAP_SYS_ADMIN?)"
fi
ip netns del "$probe"


WORK=$(mktemp -d "${TMPDIR:-/tmp}/bytom2-$NETNS_TEST.XXXXXX")
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
      echo "[$NETNS_TEST] pid $pid did not stop in 5 s: SIGKILL" >&2
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
  for ns in "${NAMESPACES[@]}"; do
    ip netns del "$ns" 2>/dev/null
    rm -rf "/etc/netns/$ns" # hosts files of compose.sh
  done
  if [ "${BYTOM2_NETNS_KEEP:-0}" = 1 ]; then
    echo "[$NETNS_TEST] kept $WORK (BYTOM2_NETNS_KEEP=1)"
  else
    rm -rf "$WORK"
  fi
  if [ "$rc" = 0 ]; then log "PASS"; else echo "[$NETNS_TEST] FAILED (exit $rc)" >&2; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- the network files -------------------------------------------------------------
"$BIN" devnet --dir "$WORK" "${INIT_ARGS[@]}" --init-only >/dev/null
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
log "namespaces ready ($HUB + ${#NSES[@]} nodes on $SUBNET.0/24), work dir $WORK"

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
all_min() {
  local i m=""
  for i in "${!H[@]}"; do
    if [ -z "$m" ] || [ "${H[$i]}" -lt "$m" ]; then m=${H[$i]}; fi
  done
  echo "$m"
}


compare_hashes() { # height: every node returns the same block hash at every height 0..height
  local common=$1 h i batch=""
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
}

wait_all_min() { # height timeout-s what: every node alive and at >= height
  local t0=$SECONDS
  while :; do
    alive_check
    heights
    [ "$(all_min)" -ge "$1" ] && break
    [ $((SECONDS - t0)) -lt "$2" ] || die "not every node reached height $1 in ${2}s ($3): $LINE"
    sleep 1
  done
}
