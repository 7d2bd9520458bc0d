#!/usr/bin/env bash
# The benchmark harness: builds bytom2 and the harness in release, makes sure the pinned
# anvil (npm @foundry-rs/anvil-linux-amd64, tests/package.json) is installed, runs both
# nodes side by side and writes bench/RESULTS.md. Extra arguments go to bytom2-bench
# (`--txs`, `--senders`, `--concurrency`, `--gas-limit`, `--read-seconds`).
# Run from anywhere: ./bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x tests/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil ]; then
  (cd tests && npm install --no-save --no-audit --no-fund)
fi
cargo build --release --locked -p bytom2-node -p bytom2-bench --bins
exec target/release/bytom2-bench "$@"
