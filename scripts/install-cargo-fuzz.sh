#!/usr/bin/env bash
# Installs `cargo fuzz` (libFuzzer through the `libfuzzer-sys` crate, https://rust-fuzz.github.io),
# which runs the coverage-guided fuzz targets in fuzz/ (docs/fuzzing.md), from crates.io:
# `cargo install --locked cargo-fuzz` at the pinned version below, into .tools/cargo-fuzz (kept
# between runs). The targets themselves build on the nightly toolchain (AddressSanitizer needs
# `-Zsanitizer`); scripts/fuzz picks it.
#
# Usage: scripts/install-cargo-fuzz.sh    (prints the path of the cargo-fuzz binary last)
# Idempotent: when the pinned version is already there it only prints its path.
set -euo pipefail
cd "$(dirname "$0")/.."

version="0.13.2"
root="$PWD/.tools/cargo-fuzz"
bin="$root/bin/cargo-fuzz"

if [ -x "$bin" ] && "$bin" --version 2>/dev/null | grep -q "$version"; then
    echo "$bin"
    exit 0
fi

command -v cargo >/dev/null || { echo "error: cargo is needed to install cargo-fuzz" >&2; exit 1; }
echo "installing cargo-fuzz $version from crates.io (cargo install --locked)" >&2
cargo install --locked --quiet cargo-fuzz --version "$version" --root "$root" >&2
"$bin" --version >&2 || { echo "error: cargo-fuzz installed but does not run" >&2; exit 1; }
echo "$bin"
