#!/usr/bin/env bash
# Installs Chromium from Debian's package archive (package `chromium`, at /usr/bin/chromium),
# the headless browser `tests/html_report.rs` renders `sim run --html` pages with.
#
# Idempotent: when /usr/bin/chromium exists it only prints its version. Installing runs
# `apt-get install -y chromium` (through sudo when not root); when that fails, it refreshes
# the package lists with `apt-get update` and tries once more.
#
# Headless use on a machine without outside network access needs the flags the test passes:
#   chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
#            --disable-background-networking --disable-component-update --disable-sync \
#            --user-data-dir=<fresh temp dir> --dump-dom file:///path/report.html
set -euo pipefail

chromium=/usr/bin/chromium

check() {
    local out
    out="$("$chromium" --version 2>/dev/null | head -1)" || return 1
    echo "chromium ready: $out ($chromium)"
}

if [ -x "$chromium" ]; then
    check && exit 0
    echo "error: $chromium exists but \`$chromium --version\` fails" >&2
    exit 1
fi

command -v apt-get >/dev/null || { echo "error: apt-get is needed to install chromium (a Debian package)" >&2; exit 1; }
if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null; then
    as_root=(sudo)
else
    echo "error: installing chromium needs root and sudo is missing: as root, run apt-get install -y chromium" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "installing chromium from Debian's archive"
if ! "${as_root[@]}" apt-get install -y -qq chromium; then
    echo "apt-get install failed; refreshing the package lists and trying again"
    "${as_root[@]}" apt-get update -qq
    "${as_root[@]}" apt-get install -y -qq chromium
fi
[ -x "$chromium" ] || { echo "error: the chromium package did not install $chromium" >&2; exit 1; }
check
