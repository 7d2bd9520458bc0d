#!/usr/bin/env bash
# Starts one node of a devnet written by `bytom2 devnet --init-only` (docker/compose.devnet.yml):
#
#   node-entrypoint.sh NODE_NAME [EXTRA BYTOM2 ARGS...]
#
# It reads NODE_NAME's command line from $DEVNET_DIR/nodes.json (the exact arguments
# `bytom2 devnet` would start it with), rewrites what only holds on one machine, and execs
# bytom2 (so the node is PID 1 and gets the container's SIGTERM):
#   --bootstrap PUBKEY@127.0.0.1:PORT  ->  PUBKEY@<peer name>:PORT, the peer being the node
#       whose p2pPort is PORT; compose service names are node names (validator-0, ...).
#       PEER_HOST=HOST uses HOST for every peer instead (127.0.0.1 runs it outside Docker).
#   --host RPC_HOST (default 0.0.0.0: the published RPC port reaches it);
#   --p2p-host P2P_HOST (default: this container's own address; see below).
#
# The node advertises its p2p listen address to its peers as the address to dial it at
# (`dialable` = `--p2p-host`), so 0.0.0.0 would send peers that learned it by gossip to
# their own container after a reconnect. The container's address (its hostname's) is used
# instead; P2P_HOST=0.0.0.0 (or any address) overrides it.
#
# The node resolves --bootstrap host names once, at start-up, and fails on a name that
# does not resolve; compose's DNS knows a service only once its container runs. So this
# waits (up to BOOTSTRAP_WAIT seconds, default 60) until every peer's name resolves, then
# leaves out the ones that still do not (a stopped validator: the others gossip its address
# once it is back) rather than not starting.
#
# Environment: DEVNET_DIR (default /devnet), BYTOM2 (default bytom2), RPC_HOST, P2P_HOST,
# PEER_HOST, BOOTSTRAP_WAIT, NODES_WAIT (seconds to wait for nodes.json, default 120),
# LOG_LEVEL (replaces the --log-level of nodes.json, e.g. "info,commonware_p2p=debug").
set -euo pipefail

say() { echo "node-entrypoint: $*" >&2; }

[ $# -ge 1 ] || { say "usage: node-entrypoint.sh NODE_NAME [BYTOM2 ARGS...]"; exit 2; }
name=$1
shift
dir=${DEVNET_DIR:-/devnet}
nodes=$dir/nodes.json
bin=${BYTOM2:-bytom2}
rpc_host=${RPC_HOST:-0.0.0.0}
bootstrap_wait=${BOOTSTRAP_WAIT:-60}

# nodes.json is written last by `devnet --init-only`: once it parses, the spec and keys
# are there.
deadline=$((SECONDS + ${NODES_WAIT:-120}))
until [ -f "$nodes" ] && jq -e 'type == "array"' "$nodes" >/dev/null 2>&1; do
  [ "$SECONDS" -lt "$deadline" ] || { say "no $nodes (did the init service run?)"; exit 1; }
  sleep 1
done
if ! jq -e --arg n "$name" 'any(.[]; .name == $n)' "$nodes" >/dev/null; then
  say "no node named $name in $nodes; it has: $(jq -r 'map(.name) | join(", ")' "$nodes")"
  exit 1
fi

# p2p port -> node name, to turn 127.0.0.1:PORT into NAME:PORT.
declare -A name_of_port=()
while IFS=$'\t' read -r port peer; do
  name_of_port[$port]=$peer
done < <(jq -r '.[] | [.p2pPort, .name] | @tsv' "$nodes")

args=()
while IFS= read -r -d '' a; do
  args+=("$a")
done < <(jq -j --arg n "$name" '.[] | select(.name == $n) | .args[] | (., "\u0000")' "$nodes")

# Split out the bootstrap peers; keep every other argument as it is.
rest=()
peers=()
for ((i = 0; i < ${#args[@]}; i++)); do
  if [ "${args[$i]}" = --bootstrap ] && [ $((i + 1)) -lt ${#args[@]} ]; then
    b=${args[$((i + 1))]}
    key=${b%@*}
    port=${b##*:}
    if [ -n "${PEER_HOST:-}" ]; then
      host=$PEER_HOST
    elif [ -n "${name_of_port[$port]:-}" ]; then
      host=${name_of_port[$port]}
    else
      host=${b#*@}
      host=${host%:*}
    fi
    peers+=("$key@$host:$port")
    i=$((i + 1))
  elif [ "${args[$i]}" = --log-level ] && [ -n "${LOG_LEVEL:-}" ] && [ $((i + 1)) -lt ${#args[@]} ]; then
    rest+=(--log-level "$LOG_LEVEL")
    i=$((i + 1))
  elif [ "${args[$i]}" = --host ] || [ "${args[$i]}" = --p2p-host ]; then
    i=$((i + 1)) # replaced below
  else
    rest+=("${args[$i]}")
  fi
done

is_ip() { [[ $1 =~ ^[0-9.]+$ || $1 == *:* ]]; }
resolves() { is_ip "$1" || getent hosts "$1" >/dev/null 2>&1; }

# Wait for the peers' names, then keep those that resolve.
deadline=$((SECONDS + bootstrap_wait))
while :; do
  missing=()
  for p in "${peers[@]}"; do
    h=${p#*@}
    h=${h%:*}
    resolves "$h" || missing+=("$h")
  done
  [ ${#missing[@]} = 0 ] && break
  if [ "$SECONDS" -ge "$deadline" ]; then
    say "after ${bootstrap_wait}s these peers still do not resolve, starting without them: ${missing[*]}"
    break
  fi
  sleep 1
done
for p in "${peers[@]}"; do
  h=${p#*@}
  h=${h%:*}
  if resolves "$h"; then rest+=(--bootstrap "$p"); fi
done

p2p_host=${P2P_HOST:-}
if [ -z "$p2p_host" ]; then
  p2p_host=$(getent hosts "${HOSTNAME:-$(cat /etc/hostname 2>/dev/null)}" 2>/dev/null | awk '{ print $1; exit }' || true)
  if [ -z "$p2p_host" ] || [[ $p2p_host == 127.* ]]; then
    say "cannot tell this container's address; listening on 0.0.0.0 (peers may learn 0.0.0.0 as its address)"
    p2p_host=0.0.0.0
  fi
fi

cmd=("$bin" "${rest[@]}" --host "$rpc_host" --p2p-host "$p2p_host" "$@")
say "starting $name: ${cmd[*]}"
exec "${cmd[@]}"
