#!/usr/bin/env bash
# Fails when `cargo test --workspace` would build a crate with other features than `cargo run`:
# Cargo then builds that crate again, and everything above it (often the whole AWS SDK), so the
# README's test command would no longer reuse the main job's build. Fix by turning the listed
# features on for the binary too (see the comment in Cargo.toml).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(mktemp); all=$(mktemp)
trap 'rm -f "$bin" "$all"' EXIT
cargo tree -e no-dev -f '{p} {f}' --prefix none --locked | sort -u >"$bin"
cargo tree --workspace -f '{p} {f}' --prefix none --locked | sort -u >"$all"
python3 - "$bin" "$all" <<'PY'
import re, sys
def load(path):
    crates = {}
    for line in open(path):
        m = re.match(r"(\S+) (v\S+)(?: \([^)]*\))?\s*(.*)$", line.replace("(*)", "").strip())
        if m:
            crates.setdefault((m[1], m[2]), set()).update(f for f in m[3].strip().split(",") if f)
    return crates
binary, workspace = load(sys.argv[1]), load(sys.argv[2])
bad = [(k, sorted(workspace[k] - binary[k])) for k in binary if k in workspace and binary[k] != workspace[k]]
for (name, version), extra in bad:
    print(f"{name} {version}: the tests add features {', '.join(extra) or '(none: the binary has more)'}", file=sys.stderr)
if bad:
    sys.exit(1)
print(f"features aligned: {len(binary)} crates of the binary build identically for the tests")
PY
