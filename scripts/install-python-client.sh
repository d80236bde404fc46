#!/usr/bin/env bash
# Installs the independent P2P client the tests drive the node with: Bitcoin Core's functional
# test framework as published on PyPI (`verystable`, pure Python), in a private virtual
# environment.
#
# Usage: scripts/install-python-client.sh [VENV]    (default: .tools/venv in the repo)
# Idempotent: a second run only re-checks that `verystable.core.p2p` imports.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
venv="${1:-${HEADERSIM_VENV:-$repo/.tools/venv}}"
version="28.1.0.dev0"

check() {
    "$venv/bin/python" - <<PY
import importlib.metadata, verystable.core.p2p, verystable.core.messages
print("verystable", importlib.metadata.version("verystable"), "ready in $venv")
PY
}

if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('verystable') != '$version')" 2>/dev/null; then
    check
    exit 0
fi

command -v python3 >/dev/null || { echo "error: python3 is needed (3.8 or newer)" >&2; exit 1; }
python3 -m venv "$venv" || { echo "error: python3 -m venv failed (on Debian/Ubuntu: install python3-venv)" >&2; exit 1; }
"$venv/bin/python" -m pip install --quiet --no-cache-dir --disable-pip-version-check "verystable==$version"
check
