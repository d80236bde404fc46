#!/usr/bin/env python3
"""An independent client drives the `node` binary: Bitcoin Core's own functional-test P2P
code (`verystable`, the PyPI packaging of Core's `test_framework`), not our Rust `bitcoin`
crate, speaks to the node over real TCP. Its framing, message encoding, hashing and
locator construction were written by other people, so a shared misunderstanding between our
node and our Rust test helpers cannot hide here.

Run by `tests/python_client.rs` against a node that has synced a regtest chain of at least
4,001 headers and listens on `--port`. It checks, failing with an AssertionError message and
exit status 1 on the first mismatch:

  a. the node's `version`: nVersion 70016, strSubVer "/headersim-node:0.1.0/", nServices equal
     to `--services`, nStartingHeight equal to `--start-height`, relay false (the node sends
     relay=0: it wants no transactions), a non-zero nonce, and nTime within 5 minutes of now;
  b. a `ping` with a random nonce is answered by exactly one `pong` carrying that nonce;
  c. `getheaders` with a genesis-only locator and a zero hash_stop returns exactly 2,000
     headers, the first building on genesis and each on the one before, each meeting its own
     nBits target;
  d. a second `getheaders` with a Core-style locator built from the first reply (last hash,
     then steps back that double after ten entries, ending at genesis) returns 2,000 more that
     continue the chain from the first reply's last header;
  e. a `ping` frame whose 4 checksum bytes are flipped, written raw to the socket, makes the
     node (btcd profile) send a BIP61 `reject` ("malformed", code 0x01, naming the bad
     checksum) and close the connection within 10 s; the close must come from the node (end
     of stream or reset), not from this client.

The output file (JSON) holds the 4,000 header hashes from c and d in order (hex, display
order), the version fields seen, both checksums of the corrupted frame, the reject, and how
the connection ended, so that the Rust side can compare them with the node's store and trace.
"""

import argparse
import json
import logging
import secrets
import sys
import time

from verystable.core import p2p
from verystable.core.messages import (
    CBlockLocator,
    deser_string,
    msg_getheaders,
    msg_ping,
)
from verystable.core.p2p import NetworkThread, P2PInterface, p2p_lock

GENESIS = {
    "regtest": "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206",
}
EXPECTED_PROTOCOL_VERSION = 70016
EXPECTED_USER_AGENT = "/headersim-node:0.1.0/"
HEADERS_PER_MESSAGE = 2000
CLOCK_SKEW_MAX_S = 300
DISCONNECT_WITHIN_S = 10
WAIT_S = 60


class msg_reject:
    """BIP61 `reject`, dropped from Core (and so from verystable) but still sent by btcd-style
    peers such as this node. Without it verystable fails on an unknown command and closes the
    connection itself, which would hide who closed it."""

    __slots__ = ("message", "code", "reason", "data")
    msgtype = b"reject"

    def __init__(self):
        self.message = b""
        self.code = 0
        self.reason = b""
        self.data = b""

    def deserialize(self, f):
        self.message = deser_string(f)
        self.code = int.from_bytes(f.read(1), "little")
        self.reason = deser_string(f)
        self.data = f.read()

    def serialize(self):
        raise NotImplementedError("this client never sends reject")

    def __repr__(self):
        return "msg_reject(message=%r code=%#04x reason=%r)" % (self.message, self.code, self.reason)


p2p.MESSAGEMAP[b"reject"] = msg_reject


class Client(P2PInterface):
    """A P2PInterface that keeps every `headers`, `pong` and `reject` in arrival order and
    records how the connection ended."""

    def __init__(self):
        super().__init__()
        self.headers_messages = []
        self.pongs = []
        self.rejects = []
        self.eof_from_node = False
        self.lost_with = None
        self.lost_at = None

    def on_headers(self, message):
        self.headers_messages.append(message)

    def on_pong(self, message):
        self.pongs.append(message.nonce)

    def on_reject(self, message):
        self.rejects.append(message)

    def eof_received(self):
        # The node shut down its side (FIN). Returning None lets asyncio close ours.
        self.eof_from_node = True
        return None

    def connection_lost(self, exc):
        with p2p_lock:
            self.lost_with = exc
            self.lost_at = time.monotonic()
        super().connection_lost(exc)


def wait(client, what, predicate, timeout=WAIT_S, allow_disconnect=False):
    """Polls `predicate` under the P2P lock until it holds; fails with `what` on timeout or,
    unless `allow_disconnect`, as soon as the connection is gone."""
    deadline = time.monotonic() + timeout
    while True:
        with p2p_lock:
            if predicate():
                return
            if not allow_disconnect and not client.is_connected and client.lost_at is not None:
                raise AssertionError(
                    "the connection closed (%r) while waiting for %s" % (client.lost_with, what)
                )
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %ss waiting for %s" % (timeout, what))
        time.sleep(0.02)


def display_hex(value):
    """A uint256 as verystable keeps it (an int) in display (big-endian) hex."""
    return "%064x" % value


def target_from_bits(bits):
    exponent = bits >> 24
    mantissa = bits & 0x007FFFFF
    return mantissa << (8 * (exponent - 3)) if exponent > 3 else mantissa >> (8 * (3 - exponent))


def check_linked(headers, prev, what):
    """Asserts `headers` build on `prev` (an int hash) one after the other, each meeting its
    nBits target; returns their hashes as ints."""
    hashes = []
    for index, header in enumerate(headers):
        header.rehash()
        assert header.hashPrevBlock == prev, (
            "%s: header %d has prev %s, expected %s"
            % (what, index, display_hex(header.hashPrevBlock), display_hex(prev))
        )
        target = target_from_bits(header.nBits)
        assert header.sha256 <= target, (
            "%s: header %d (%s) does not meet its target %064x" % (what, index, header.hash, target)
        )
        hashes.append(header.sha256)
        prev = header.sha256
    return hashes


def core_locator(chain):
    """Bitcoin Core's `LocatorEntries`: the tip, then one step back at a time for ten entries,
    then doubling steps, always ending at genesis. `chain[h]` is the hash at height h."""
    locator = []
    height = len(chain) - 1
    step = 1
    while True:
        locator.append(chain[height])
        if height == 0:
            break
        height = max(height - step, 0)
        if len(locator) > 10:
            step *= 2
    return locator


def get_headers(client, locator, what):
    before = len(client.headers_messages)
    request = msg_getheaders()
    request.locator = CBlockLocator()
    request.locator.vHave = list(locator)
    request.hashstop = 0
    client.send_message(request)
    wait(client, "the `headers` reply to %s" % what, lambda: len(client.headers_messages) > before)
    with p2p_lock:
        return client.headers_messages[before].headers


def run(args):
    genesis = int(GENESIS[args.network], 16)
    result = {"network": args.network}

    client = Client()
    # verystable sends its version on connect only when it thinks it dialled a node.
    client.p2p_connected_to_node = True
    client.peer_connect(
        dstaddr=args.host,
        dstport=args.port,
        net=args.network,
        timeout_factor=1,
        supports_v2_p2p=False,
        send_version=True,
    )()
    wait(client, "the TCP connection to %s:%d" % (args.host, args.port), lambda: client.is_connected)
    wait(client, "the node's version and verack", lambda: "version" in client.last_message and "verack" in client.last_message)

    # a. The node's version message.
    with p2p_lock:
        version = client.last_message["version"]
        version_count = client.message_count["version"]
    now = time.time()
    result["version"] = {
        "nVersion": version.nVersion,
        "nServices": version.nServices,
        "nTime": version.nTime,
        "nNonce": version.nNonce,
        "strSubVer": version.strSubVer,
        "nStartingHeight": version.nStartingHeight,
        "relay": version.relay,
        "addrTo": {"ip": version.addrTo.ip, "port": version.addrTo.port, "nServices": version.addrTo.nServices},
        "addrFrom": {"ip": version.addrFrom.ip, "port": version.addrFrom.port, "nServices": version.addrFrom.nServices},
        "received_at": int(now),
    }
    assert version_count == 1, "the node sent %d version messages" % version_count
    assert version.nVersion == EXPECTED_PROTOCOL_VERSION, "version.nVersion is %d, expected %d" % (version.nVersion, EXPECTED_PROTOCOL_VERSION)
    assert version.strSubVer == EXPECTED_USER_AGENT, "version.strSubVer is %r, expected %r" % (version.strSubVer, EXPECTED_USER_AGENT)
    assert version.nServices == args.services, "version.nServices is %#x, expected %#x" % (version.nServices, args.services)
    assert version.nStartingHeight == args.start_height, "version.nStartingHeight is %d, expected %d" % (version.nStartingHeight, args.start_height)
    assert version.relay == 0, "version.relay is %d, expected 0 (the node wants no transactions)" % version.relay
    assert version.nNonce != 0, "version.nNonce is zero"
    assert abs(version.nTime - now) <= CLOCK_SKEW_MAX_S, "version.nTime %d is %ds from now (%d)" % (version.nTime, version.nTime - now, now)

    # b. ping / pong.
    nonce = secrets.randbits(64) | 1
    result["ping_nonce"] = nonce
    client.send_message(msg_ping(nonce))
    wait(client, "a pong to our ping", lambda: len(client.pongs) >= 1)
    with p2p_lock:
        pongs = list(client.pongs)
    result["pong_nonces"] = pongs
    assert pongs == [nonce], "pong nonces %s, expected exactly [%d]" % (pongs, nonce)

    # c. First batch from a genesis-only locator.
    first = get_headers(client, [genesis], "a genesis-only locator")
    assert len(first) == HEADERS_PER_MESSAGE, "first headers reply has %d headers, expected %d" % (len(first), HEADERS_PER_MESSAGE)
    first_hashes = check_linked(first, genesis, "first headers reply")

    # d. Second batch from a Core-style locator over genesis + the first batch.
    chain = [genesis] + first_hashes
    locator = core_locator(chain)
    assert locator[0] == first_hashes[-1] and locator[-1] == genesis, "locator must run from the last header to genesis"
    result["second_locator"] = [display_hex(h) for h in locator]
    second = get_headers(client, locator, "a locator built from the first reply")
    assert len(second) == HEADERS_PER_MESSAGE, "second headers reply has %d headers, expected %d" % (len(second), HEADERS_PER_MESSAGE)
    assert second[0].hashPrevBlock == first_hashes[-1], (
        "second reply's first header has prev %s, expected the first reply's last header %s"
        % (display_hex(second[0].hashPrevBlock), display_hex(first_hashes[-1]))
    )
    second_hashes = check_linked(second, first_hashes[-1], "second headers reply")
    all_hashes = first_hashes + second_hashes
    assert len(set(all_hashes)) == len(all_hashes), "the two replies repeat a header"
    result["headers"] = [display_hex(h) for h in all_hashes]
    with p2p_lock:
        assert len(client.headers_messages) == 2, "the node sent %d headers messages, expected 2" % len(client.headers_messages)
        assert not client.rejects, "the node sent reject before the bad frame: %r" % client.rejects
        # Checked again now that two round trips have passed: a late duplicate pong shows here.
        assert client.pongs == [nonce], "pong nonces %s by now, expected exactly [%d]" % (client.pongs, nonce)

    # e. A valid ping frame with its checksum flipped, written raw.
    frame = bytearray(client.build_message(msg_ping(secrets.randbits(64) | 1)))
    correct = bytes(frame[20:24])
    frame[20:24] = bytes(b ^ 0xFF for b in correct)
    result["corrupt_frame"] = {"checksum_sent": bytes(frame[20:24]).hex(), "checksum_correct": correct.hex()}
    sent_at = time.monotonic()
    client.send_raw_message(bytes(frame))
    wait(
        client,
        "the node to close the connection after a frame with a bad checksum",
        lambda: not client.is_connected,
        timeout=DISCONNECT_WITHIN_S,
        allow_disconnect=True,
    )
    with p2p_lock:
        lost_with = client.lost_with
        eof = client.eof_from_node
        closed_after = client.lost_at - sent_at
        rejects = list(client.rejects)
    result["disconnect"] = {"eof_from_node": eof, "error": repr(lost_with) if lost_with else None, "after_s": round(closed_after, 3)}
    assert lost_with is None or isinstance(lost_with, ConnectionError), (
        "the client closed the connection itself (%r), not the node" % lost_with
    )
    assert eof or isinstance(lost_with, ConnectionError), "the connection ended without an end of stream or reset from the node"
    result["rejects"] = [
        {"message": r.message.decode("ascii", "replace"), "code": r.code, "reason": r.reason.decode("utf-8", "replace")}
        for r in rejects
    ]
    assert len(rejects) == 1, "expected one reject before the close, got %r" % rejects
    reject = rejects[0]
    assert reject.message == b"malformed" and reject.code == 0x01, "reject is %r, expected `malformed` with code 0x01" % reject
    assert b"bad checksum" in reject.reason, "reject reason %r does not name the bad checksum" % reject.reason
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True, help="the node's --listen port")
    parser.add_argument("--network", choices=sorted(GENESIS), required=True)
    parser.add_argument("--services", type=lambda s: int(s, 0), required=True, help="the nServices the node must advertise")
    parser.add_argument("--start-height", type=int, required=True, help="the nStartingHeight the node must advertise")
    parser.add_argument("output", help="where to write the JSON result")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(asctime)s %(name)s %(levelname)s %(message)s")

    network_thread = NetworkThread()
    network_thread.daemon = True
    network_thread.start()
    try:
        result = run(args)
    except AssertionError as error:
        print("client_check FAILED: %s" % error, file=sys.stderr)
        return 1
    with open(args.output, "w", encoding="utf-8") as out:
        json.dump(result, out, indent=1)
    print(
        "client_check passed: version %d %s services=%#x start_height=%d relay=%d; %d headers; node closed after %.3fs"
        % (
            result["version"]["nVersion"],
            result["version"]["strSubVer"],
            result["version"]["nServices"],
            result["version"]["nStartingHeight"],
            result["version"]["relay"],
            len(result["headers"]),
            result["disconnect"]["after_s"],
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
