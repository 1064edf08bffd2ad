#!/usr/bin/env bash
# The benchmarks, each beside its baseline, in one run: writes docs/benchmarks.md.
#   scripts/bench.sh            full run (about 25 minutes after the release build: the sequential
#                               baseline alone reads 10,000 users one call at a time)
#   scripts/bench.sh --only exceptions --out FILE   the exception benches alone, into FILE
#   scripts/bench.sh --quick    small sizes, one repetition: checks that the script works
set -euo pipefail
cd "$(dirname "$0")/.."
moto=$(localstack/moto.sh path)
cargo build --release --locked -p scpctl -p faultproxy
capacity=$(mktemp)
memory=$(mktemp)
trap 'rm -f "$capacity" "$memory"' EXIT
cargo bench --locked -p scpctl-core --bench capacity > "$capacity"
cargo bench --locked -p scpctl-core --bench memory > "$memory"
.venv/bin/python bench/run.py --scpctl target/release/scpctl --proxy target/release/faultproxy \
  --moto "$moto" --capacity "$capacity" --memory "$memory" "$@"
# impact over synthetic CloudTrail files (IMPACT_GB uncompressed, default 2), beside zcat and
# plain Python: its own section of docs/benchmarks.md.
.venv/bin/python bench/impact.py --scpctl target/release/scpctl --gb "${IMPACT_GB:-2}" --write-doc
