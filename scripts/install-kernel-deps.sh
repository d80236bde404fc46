#!/usr/bin/env bash
# Installs what the `bitcoinkernel` crate (Bitcoin Core's libbitcoinkernel, built from source
# by its build script) needs to build, from Debian's package archive: `cmake`, Boost's headers
# (`libboost-dev`) and a C++ compiler (`g++`, usually already there for Rust's C builds).
#
# Only `scripts/test-kernel` (the `kernel-oracle` crate with `--features kernel`) needs these;
# the rest of the workspace builds without them.
#
# Idempotent: when every package is installed it only says so. Installing needs root (it runs
# `apt-get install`); as another user with something missing it fails and names the command.
set -euo pipefail

packages=(cmake libboost-dev g++)
missing=()
for package in "${packages[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)"
    if [ "$status" != "install ok installed" ]; then
        missing+=("$package")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    echo "kernel build dependencies ready: ${packages[*]} ($(cmake --version | head -1))"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "error: the bitcoinkernel build needs ${missing[*]} (Debian packages), which are not installed," >&2
    echo "       and installing them needs root: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi
command -v apt-get >/dev/null || { echo "error: apt-get is needed to install ${missing[*]}" >&2; exit 1; }

echo "installing ${missing[*]} from Debian's archive"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "kernel build dependencies ready: ${packages[*]} ($(cmake --version | head -1))"
