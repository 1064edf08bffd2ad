#!/usr/bin/env bash
# The moto-server emulator of AWS Organizations, IAM and STS, which anyone can run offline.
#   localstack/moto.sh install       install the pinned moto[server] into .venv (idempotent)
#   localstack/moto.sh start [PORT]  serve on 127.0.0.1:PORT (default 4566, like LocalStack)
#   localstack/moto.sh path          print the moto_server path (installing first if needed)
#   localstack/moto.sh cfn-lint      print the pinned cfn-lint path (installed with moto)
#   localstack/moto.sh python        print the venv's python (with the pinned duckdb, for the Athena parity test)
# Then: export AWS_ENDPOINT_URL=http://localhost:4566 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=${SCPCTL_VENV:-$(dirname "$here")/.venv}
pinned=$(grep -Eo '^moto\[server\]==[0-9.]+' "$here/requirements.txt" | cut -d= -f3)
pinned_lint=$(grep -Eo '^cfn-lint==[0-9.]+' "$here/requirements.txt" | cut -d= -f3)
pinned_duckdb=$(grep -Eo '^duckdb==[0-9.]+' "$here/requirements.txt" | cut -d= -f3)

installed() {
  [ -x "$venv/bin/moto_server" ] &&
    [ "$("$venv/bin/python" -c 'import moto; print(moto.__version__)' 2>/dev/null)" = "$pinned" ] &&
    [ -x "$venv/bin/cfn-lint" ] &&
    [ "$("$venv/bin/cfn-lint" --version 2>/dev/null | grep -Eo '[0-9]+\.[0-9]+\.[0-9]+')" = "$pinned_lint" ] &&
    [ "$("$venv/bin/python" -c 'import duckdb, duckdb_extension_inet; print(duckdb.__version__)' 2>/dev/null)" = "$pinned_duckdb" ]
}

install() {
  if installed; then return 0; fi
  echo "installing moto[server]==$pinned and cfn-lint==$pinned_lint into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt" >&2
  installed || { echo "moto $pinned did not install into $venv" >&2; exit 1; }
}

case "${1:-start}" in
  install) install ;;
  path) install; echo "$venv/bin/moto_server" ;;
  cfn-lint) install; echo "$venv/bin/cfn-lint" ;;
  python) install; echo "$venv/bin/python" ;;
  start) install; exec "$venv/bin/moto_server" -H 127.0.0.1 -p "${2:-4566}" ;;
  *) echo "usage: $0 install | path | cfn-lint | python | start [PORT]" >&2; exit 2 ;;
esac
