#!/usr/bin/env bash
# Installs valgrind from Debian's package archive (package `valgrind`), whose callgrind tool
# counts the instructions a run executes: `sim/tests/cost_gate.rs` holds the node's cost of a
# large sync to a budget with it (a deterministic count, the same on every run of the same
# binary, whatever else the machine is doing).
#
# Idempotent: when `valgrind` is on the PATH it only prints its version. Installing runs
# `apt-get install -y valgrind` (through sudo when not root); when that fails, it refreshes
# the package lists with `apt-get update` and tries once more.
set -euo pipefail

if command -v valgrind >/dev/null; then
    echo "valgrind ready: $(valgrind --version) ($(command -v valgrind))"
    exit 0
fi

command -v apt-get >/dev/null || { echo "error: apt-get is needed to install valgrind (a Debian package)" >&2; exit 1; }
if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null; then
    as_root=(sudo)
else
    echo "error: installing valgrind needs root and sudo is missing: as root, run apt-get install -y valgrind" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "installing valgrind from Debian's archive"
if ! "${as_root[@]}" apt-get install -y -qq valgrind; then
    echo "apt-get install failed; refreshing the package lists and trying again"
    "${as_root[@]}" apt-get update -qq
    "${as_root[@]}" apt-get install -y -qq valgrind
fi
command -v valgrind >/dev/null || { echo "error: the valgrind package did not put valgrind on the PATH" >&2; exit 1; }
echo "valgrind ready: $(valgrind --version) ($(command -v valgrind))"
