#!/usr/bin/env bash
# Installs `cargo insta`, the review tool for the insta snapshots in snapshots/ (`cargo insta
# review` accepts or rejects the `.snap.new` files a changed outcome leaves), from crates.io:
# `cargo install --locked cargo-insta` at the version of the insta crate in Cargo.lock.
#
# Usage: scripts/install-cargo-insta.sh
# Idempotent: when `cargo insta --version` works it only prints that version.
set -euo pipefail
cd "$(dirname "$0")/.."

version="$(awk '$0 == "name = \"insta\"" { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)"
[ -n "$version" ] || { echo "error: no insta crate in Cargo.lock" >&2; exit 1; }

if out="$(cargo insta --version 2>/dev/null)"; then
    echo "cargo-insta ready: $out"
    exit 0
fi

command -v cargo >/dev/null || { echo "error: cargo is needed to install cargo-insta" >&2; exit 1; }
echo "installing cargo-insta $version from crates.io (cargo install --locked)"
cargo install --locked --quiet cargo-insta --version "$version"
out="$(cargo insta --version)" || { echo "error: cargo-insta installed but \`cargo insta --version\` fails" >&2; exit 1; }
echo "cargo-insta ready: $out"
