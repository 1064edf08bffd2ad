#!/usr/bin/env bash
# The whole test suite, from a fresh clone: nothing to install by hand beyond Rust.
# Emulator tests start their own moto server per test; the pinned moto[server] (and cfn-lint,
# which checks every generated CloudFormation template) is installed here into .venv if missing
# (PyPI). A failed install fails the run: emulator tests never skip. Headless Chromium likewise
# (Debian's `chromium`, for the HTML report's tests).
set -euo pipefail
cd "$(dirname "$0")/.."
SCPCTL_MOTO_SERVER=$(localstack/moto.sh path)
SCPCTL_CFN_LINT=$(localstack/moto.sh cfn-lint)
SCPCTL_PARITY_PYTHON=$(localstack/moto.sh python)
export SCPCTL_MOTO_SERVER SCPCTL_CFN_LINT SCPCTL_PARITY_PYTHON
# Headless Chromium for the HTML report's browser tests (tests/html_report.rs), from Debian's
# packages when missing (the scripts run as root). A failed install fails the run: the browser
# tests never skip.
if [ -z "${SCPCTL_CHROMIUM:-}" ]; then
    if ! command -v chromium >/dev/null 2>&1; then
        DEBIAN_FRONTEND=noninteractive apt-get update >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >&2
    fi
    SCPCTL_CHROMIUM=$(command -v chromium)
fi
export SCPCTL_CHROMIUM
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --workspace --locked "$@" 2>&1 | tee "$log"
# One closing line over every test binary.
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
