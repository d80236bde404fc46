#!/usr/bin/env python3
"""Writes fuzz seeds from the real header sets in the shared data folder (which stays there: these
seeds are written at run time, never checked in), one folder per target under OUT:

- frame_decoding: a `headers` frame of 2,000 real headers from each of mainnet (heights 1 and
  822,529 on), signet and testnet3, in each of the three dialects (input format:
  fuzz/src/frames.rs, raw mode);
- headers_presync: mainnet's first 4,000 headers presynced against a requirement of 3,000
  headers' work and then redownloaded (input format: fuzz/src/presync.rs).

Each file is checked against SHA256SUMS first. A missing file is an error under CI=true and a
notice otherwise (the seed is left out).

Usage: scripts/fuzz-seeds.py SHARED_DATA_DIR OUT_DIR
"""

import hashlib
import os
import struct
import sys

REGTEST_MAGIC = bytes.fromhex("fabfb5da")  # node::wire::magic_for(Regtest), as on the wire
HEADER_BYTES = 80


def read_checked(data_dir, relative):
    path = os.path.join(data_dir, relative)
    sums_path = os.path.join(data_dir, "SHA256SUMS")
    if not (os.path.exists(path) and os.path.exists(sums_path)):
        if os.environ.get("CI") == "true":
            sys.exit(f"error: shared data {path} is missing (required under CI=true)")
        print(f"notice: shared data {path} not found; its seeds are left out", file=sys.stderr)
        return None
    with open(path, "rb") as f:
        data = f.read()
    expected = None
    with open(sums_path) as f:
        for line in f:
            digest, _, listed = line.rstrip("\n").partition("  ")
            if listed == "./" + relative:
                expected = digest
    if expected is None:
        sys.exit(f"error: ./{relative} is not listed in {sums_path}")
    got = hashlib.sha256(data).hexdigest()
    if got != expected:
        sys.exit(f"error: SHA-256 of {path} is {got}, SHA256SUMS says {expected}")
    return data


def compact_size(n):
    if n < 0xFD:
        return bytes([n])
    if n <= 0xFFFF:
        return b"\xfd" + struct.pack("<H", n)
    return b"\xfe" + struct.pack("<I", n)


def headers_frame(headers):
    payload = compact_size(len(headers)) + b"".join(h + b"\x00" for h in headers)
    checksum = hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    command = b"headers".ljust(12, b"\x00")
    return REGTEST_MAGIC + command + struct.pack("<I", len(payload)) + checksum + payload


def split(data):
    return [data[i:i + HEADER_BYTES] for i in range(0, len(data), HEADER_BYTES)]


def write(out_dir, target, name, data):
    folder = os.path.join(out_dir, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    data_dir, out_dir = sys.argv[1], sys.argv[2]
    sets = [
        ("mainnet-1", "headers/mainnet_0-10236.bin", 1),
        ("mainnet-822529", "headers/mainnet_822528-830592.bin", 1),
        ("signet-1", "headers/signet_0-2015.bin", 1),
        ("testnet3-1", "headers/testnet3_0-9999.bin", 1),
    ]
    written = 0
    mainnet = None
    for name, relative, skip in sets:
        data = read_checked(data_dir, relative)
        if data is None:
            continue
        headers = split(data)
        if relative.endswith("mainnet_0-10236.bin"):
            mainnet = headers
        frame = headers_frame(headers[skip:skip + 2000])
        for dialect in range(3):
            write(out_dir, "frame_decoding", f"{name}-{dialect}", bytes([dialect, 12, 0]) + frame)
            written += 1
    if mainnet is not None:
        # presync.rs: mainnet, required work of 3,000 headers, the clock at about 2026, rng 7;
        # two raw batches (op 3) of 2,000 (the second not full), then the same redownloaded
        # (op 0, unchanged).
        seed = bytes([1]) + struct.pack("<H", 3000) + struct.pack("<I", 560_000_000) + bytes([7])
        batches = [mainnet[1:2001], mainnet[2001:4001]]
        for i, batch in enumerate(batches):
            seed += bytes([3]) + struct.pack("<H", len(batch) - 1) + b"".join(batch)
            seed += bytes([1 if i == 0 else 0])
        for i, batch in enumerate(batches):
            seed += bytes([0]) + struct.pack("<H", len(batch) - 1) + bytes([0])
            seed += bytes([1 if i == 0 else 0])
        write(out_dir, "headers_presync", "mainnet-4000-real", seed)
        written += 1
    print(f"fuzz seeds from shared data: {written} written to {out_dir}")


if __name__ == "__main__":
    main()
