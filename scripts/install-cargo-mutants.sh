#!/usr/bin/env bash
# Installs `cargo mutants` (mutation testing, https://mutants.rs), the measure of what the suite
# and `sim explore` catch (docs/mutation.md), from crates.io: `cargo install --locked
# cargo-mutants` at the pinned version below, into .tools/cargo-mutants (kept between runs).
#
# Usage: scripts/install-cargo-mutants.sh    (prints the path of the cargo-mutants binary last)
# Idempotent: when the pinned version is already there it only prints its path.
set -euo pipefail
cd "$(dirname "$0")/.."

version="27.1.0"
root="$PWD/.tools/cargo-mutants"
bin="$root/bin/cargo-mutants"

if [ -x "$bin" ] && "$bin" mutants --version 2>/dev/null | grep -q "$version"; then
    echo "$bin"
    exit 0
fi

command -v cargo >/dev/null || { echo "error: cargo is needed to install cargo-mutants" >&2; exit 1; }
echo "installing cargo-mutants $version from crates.io (cargo install --locked)" >&2
cargo install --locked --quiet cargo-mutants --version "$version" --root "$root" >&2
"$bin" mutants --version >&2 || { echo "error: cargo-mutants installed but does not run" >&2; exit 1; }
echo "$bin"
