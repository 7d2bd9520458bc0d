#!/usr/bin/env bash
# The whole test suite: formatting, lints, every Rust test (unit, integration,
# property, crash), doctests. Run from the repository root: ./scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --check"
cargo fmt --all --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== cargo nextest (unit, integration, property and crash tests)"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --no-fail-fast
else
  cargo test --workspace --locked --no-fail-fast --lib --bins --tests
fi

echo "== doctests"
cargo test --workspace --locked --doc
