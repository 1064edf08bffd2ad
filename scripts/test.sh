#!/usr/bin/env bash
# The whole test suite, from a fresh clone: nothing to install by hand beyond Rust.
# (Emulator tests, when they land, set up their own moto server from here.)
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --workspace --locked "$@" 2>&1 | tee "$log"
# One closing line over every test binary.
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
