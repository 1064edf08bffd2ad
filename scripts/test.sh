#!/usr/bin/env bash
# The whole test suite, from a fresh clone: nothing to install by hand beyond Rust.
# (Emulator tests, when they land, set up their own moto server from here.)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --locked "$@"
