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
# Headless Chromium for the HTML reports' browser tests (tests/html_report.rs, html_denials.rs),
# from Debian's packages when missing (the scripts run as root). A failed install fails the run
# and says why: the browser tests never skip.
chromium_missing() {
    echo "scripts/test.sh: headless Chromium is needed by tests/html_report.rs and tests/html_denials.rs: $1" >&2
    echo "  install it with \`apt-get install -y --no-install-recommends chromium\` (as root)," >&2
    echo "  or point SCPCTL_CHROMIUM at a Chromium binary" >&2
    exit 1
}
if [ -n "${SCPCTL_CHROMIUM:-}" ]; then
    [ -x "$SCPCTL_CHROMIUM" ] || chromium_missing "SCPCTL_CHROMIUM=$SCPCTL_CHROMIUM is not an executable file"
else
    if ! command -v chromium >/dev/null 2>&1; then
        command -v apt-get >/dev/null 2>&1 || chromium_missing "chromium is not on PATH and there is no apt-get to install it"
        [ "$(id -u)" = 0 ] || chromium_missing "chromium is not on PATH and installing it needs root (running as $(id -un))"
        DEBIAN_FRONTEND=noninteractive apt-get update >&2 || chromium_missing "apt-get update failed (exit $?; its output is above)"
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >&2 \
            || chromium_missing "apt-get install chromium failed (exit $?; its output is above)"
    fi
    SCPCTL_CHROMIUM=$(command -v chromium) || chromium_missing "apt-get installed chromium, but it is not on PATH ($PATH)"
fi
"$SCPCTL_CHROMIUM" --version >&2 || chromium_missing "$SCPCTL_CHROMIUM --version failed (exit $?; its output is above)"
export SCPCTL_CHROMIUM
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --workspace --locked "$@" 2>&1 | tee "$log"
# One closing line over every test binary.
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
