#!/usr/bin/env bash
# Builds Bitcoin Core's own `bitcoind` (not a fork) from source into a private folder: the judge
# of the node's `core` profile (`sim conform`, `sim wire-fuzz`, see docs/conformance.md).
#
# Where the source comes from: crates.io's `libbitcoinkernel-sys` package (the version pinned in
# Cargo.lock for the kernel oracle) ships Bitcoin Core's whole source tree in its `bitcoin/`
# folder; `cargo fetch` brings it into Cargo's registry cache. Its CMake build makes `bitcoind`
# as well as the kernel library. Build dependencies come from Debian's archive: cmake, g++,
# libboost-dev (scripts/install-kernel-deps.sh) and libevent-dev (bitcoind's RPC server).
#
# The build takes about 15 minutes on two cores and is done once: PREFIX keeps the binary and a
# stamp naming the source it was built from; a second run with a matching stamp only prints
# `bitcoind -version`.
#
# Usage: scripts/install-bitcoin-core.sh [PREFIX]   (default: .tools/bitcoin-core in the repo)
# Afterwards: PREFIX/bin/bitcoind (Bitcoin Core, wallet, GUI, ZMQ and IPC left out).
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
prefix="${1:-${HEADERSIM_CORE_PREFIX:-$repo/.tools/bitcoin-core}}"
mkdir -p "$prefix"
prefix="$(cd "$prefix" && pwd)"

crate=libbitcoinkernel-sys
version="$(awk -v name="$crate" '
    $0 == "name = \"" name "\"" { found = 1; next }
    found && /^version = / { gsub(/"/, "", $3); print $3; exit }
' "$repo/Cargo.lock")"
[ -n "$version" ] || { echo "error: $crate is not in Cargo.lock (the kernel oracle pins it)" >&2; exit 1; }
stamp="$crate $version"

check() {
    local out
    out="$("$prefix/bin/bitcoind" -version 2>&1 | head -1)" || return 1
    case "$out" in
        "Bitcoin Core daemon version v"*) echo "Bitcoin Core ready: $out, from $stamp ($prefix/bin/bitcoind)"; return 0 ;;
        *) echo "bitcoind -version printed: $out" >&2; return 1 ;;
    esac
}

if [ -x "$prefix/bin/bitcoind" ] && [ "$(cat "$prefix/stamp" 2>/dev/null)" = "$stamp" ] && check; then
    exit 0
fi

"$repo/scripts/install-kernel-deps.sh"
status="$(dpkg-query -W -f='${Status}' libevent-dev 2>/dev/null || true)"
if [ "$status" != "install ok installed" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "error: bitcoind's build needs Debian's libevent-dev: sudo apt-get install -y libevent-dev" >&2
        exit 1
    fi
    echo "installing libevent-dev (Debian)"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q libevent-dev >/dev/null
fi

echo "fetching $stamp (Bitcoin Core's source) through cargo"
(cd "$repo" && cargo fetch --locked >/dev/null)
cargo_home="${CARGO_HOME:-$HOME/.cargo}"
source_dir=""
for dir in "$cargo_home"/registry/src/*/"$crate-$version"/bitcoin; do
    [ -f "$dir/CMakeLists.txt" ] && source_dir="$dir"
done
[ -n "$source_dir" ] || { echo "error: no $crate-$version/bitcoin/CMakeLists.txt under $cargo_home/registry/src" >&2; exit 1; }

build="$prefix/build"
echo "building bitcoind from $source_dir in $build (about 15 minutes on two cores; log: $prefix/build.log)"
rm -rf "$build" "$prefix/bin" "$prefix/stamp"
if ! {
    cmake -S "$source_dir" -B "$build" -DCMAKE_BUILD_TYPE=Release \
        -DBUILD_DAEMON=ON -DBUILD_CLI=ON -DENABLE_WALLET=OFF -DENABLE_IPC=OFF -DBUILD_GUI=OFF \
        -DWITH_ZMQ=OFF -DBUILD_TESTS=OFF -DBUILD_BENCH=OFF -DBUILD_FUZZ_BINARY=OFF \
        -DBUILD_TX=OFF -DBUILD_UTIL=OFF -DBUILD_WALLET_TOOL=OFF -DBUILD_KERNEL_LIB=OFF \
        -DWITH_EMBEDDED_ASMAP=OFF &&
        cmake --build "$build" --target bitcoind bitcoin-cli -j "$(nproc)"
} >"$prefix/build.log" 2>&1; then
    tail -40 "$prefix/build.log" >&2
    echo "error: building bitcoind failed (whole log: $prefix/build.log)" >&2
    exit 1
fi
mkdir -p "$prefix/bin"
cp "$build/bin/bitcoind" "$build/bin/bitcoin-cli" "$prefix/bin/"
echo "$stamp" >"$prefix/stamp"
rm -rf "$build"
check
