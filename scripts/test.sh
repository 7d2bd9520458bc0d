#!/usr/bin/env bash
# The whole test suite, set-up included (idempotent): formatting, lints, every Rust test
# (unit, integration, property, crash), doctests, then real Ethereum clients against a
# real node (ethers, viem, MetaMask's call sequence, Foundry's cast and forge, a browser
# page in headless Chromium, web3.py), a devnet of real processes, and network-namespace
# tests (a partition; the compose devnet's layout).
# Run from anywhere: ./scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== set-up: npm packages (tests/package-lock.json)"
# `npm install --no-save` installs exactly the locked versions. (`npm ci` refuses this
# lock file: Hardhat's EDR lists optional binaries for other platforms that the registry
# here does not serve, so the lock cannot record them.)
if [ ! -d tests/node_modules ] || [ tests/package-lock.json -nt tests/node_modules/.package-lock.json ]; then
  (cd tests && npm install --no-save --no-audit --no-fund)
fi
echo "== set-up: Python packages (tests/py/requirements.txt)"
if ! python3 -c "import web3, pytest" >/dev/null 2>&1; then
  python3 -m pip install -q -r tests/py/requirements.txt
fi
echo "== set-up: Chromium for the browser check"
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
fi
export BYTOM2_REQUIRE_BROWSER=1

echo "== cargo fmt --check"
cargo fmt --all --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== cargo nextest (unit, integration, property and crash tests)"
cargo nextest run --workspace --locked --no-fail-fast

echo "== doctests"
cargo test --workspace --locked --doc

echo "== client tests against the bytom2 binary"
# The client tests run the test-only `--equivocate` flag (cargo feature `equivocate`;
# release builds leave it out).
cargo build --locked -p bytom2-node --bin bytom2 --features equivocate
export BYTOM2_BIN="$PWD/target/debug/bytom2"
(cd tests && npm test)
python3 -m pytest -q tests/py

echo "== network partition test (network namespaces: tests/netns/partition.sh)"
netns_packages=()
command -v ip >/dev/null 2>&1 || netns_packages+=(iproute2)
command -v jq >/dev/null 2>&1 || netns_packages+=(jq)
command -v curl >/dev/null 2>&1 || netns_packages+=(curl)
if [ ${#netns_packages[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${netns_packages[@]}" >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${netns_packages[@]}" >/dev/null
  fi
fi
# Root in CI must run them; elsewhere they say "skipped: ..." when they cannot.
if [ "$(id -u)" = 0 ] && [ "${CI:-}" = true ]; then
  export BYTOM2_REQUIRE_NETNS=1
fi
bash tests/netns/partition.sh
echo "== the compose devnet's layout as processes (tests/netns/compose.sh)"
bash tests/netns/compose.sh
