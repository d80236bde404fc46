//! Step programs of messages a header-only node does not serve and of broken frames: in some
//! seeds an honest peer the node dials (not the first) is given a script that finishes the
//! handshake, then sends one to three of them (with delays) before serving honestly or
//! closing: Core's unserved requests (BIP 37 bloom filters, BIP 35 `mempool`, BIP 157 filter
//! requests), list messages at and just over their limits (`inv`, `getdata`, `notfound` at
//! 50,000; `addr`, `addrv2` at 1,000), `getblocks`, `getaddr`, a second `version` or `verack`, frames with
//! a wrong checksum, magic or declared length, an unknown command, and raw garbage. Some
//! scripts answer the node's `version` with its own nonce (a self-connection), some send a
//! burst of hundreds of pings, some a frame of zeros at a profile's size limit or one byte past
//! it. Drawn at the very end, some of these scripts also send a message before their
//! `version` or between it and their `verack`, and some announce a block of their chain with
//! an `inv`. Last, some peers are remade as older ones, at or just below one of btcd's version
//! gates, sending the message the gate is for (or, at 70016, a block of a few transactions).

use super::Draw;
use crate::harness::invariants::{
    btcd_payload_bytes_max, btcd_payload_limits, CORE_PAYLOAD_BYTES_MAX,
};
use crate::scenario::{
    Behaviour, RawFrame, Scenario, SendSpec, Step, UnservedMessage, VersionFields, VersionNonce,
};

/// Core's and btcd's largest `inv`, `getdata` and `notfound` (`MAX_INV_SZ`, `MaxInvPerMsg`).
const INV_ENTRIES_MAX: u32 = 50_000;
/// Core's and btcd's largest `addr` (`MAX_ADDR_TO_SEND`, `MaxAddrPerMsg`).
const ADDR_ENTRIES_MAX: u32 = 1_000;

/// The peers a script may be given: honest ones with a chain that the node dials, other than
/// the first (which stays plain), by index.
fn dialled_honest_peers(scenario: &Scenario) -> Vec<usize> {
    (1..scenario.peers.len())
        .filter(|&i| {
            let p = &scenario.peers[i];
            p.behaviour == Behaviour::Honest && !p.dials_node && p.chain.is_some()
        })
        .collect()
}

/// The opening every generated script shares: wait for the node's `version`, answer with the
/// peer's own, announce `wtxidrelay` and `sendaddrv2` as Core does, `verack`, wait for the
/// node's `verack`.
pub(super) fn handshake() -> Vec<Step> {
    vec![
        Step::WaitFor("version".into()),
        Step::Send(SendSpec::Version),
        Step::Send(SendSpec::Wtxidrelay),
        Step::Send(SendSpec::Sendaddrv2),
        Step::Send(SendSpec::Verack),
        Step::WaitFor("verack".into()),
    ]
}

/// In about one seed in five, a script of unserved requests and broken frames on an honest
/// peer the node dials (other than the first), half the time made an automatic connection.
/// Drawn after everything else.
pub(super) fn unserved_requests(draw: &mut Draw, scenario: &mut Scenario) {
    if !draw.chance(20) {
        return;
    }
    let candidates = dialled_honest_peers(scenario);
    if candidates.is_empty() {
        return;
    }
    let index = candidates[draw.below(candidates.len() as u64) as usize];
    let mut steps = handshake();
    // One script in eight answers with the node's own nonce: the node sees itself.
    if draw.chance(12) {
        let name = scenario.peers[index].name.clone();
        steps[1] = Step::Send(SendSpec::VersionWith(VersionFields {
            nonce: Some(VersionNonce::NodeVersionOf(name)),
            ..VersionFields::default()
        }));
    }
    for _ in 0..draw.range(1, 3) {
        if draw.chance(40) {
            steps.push(Step::DelayMs(draw.range(10, 5000)));
        }
        if draw.chance(10) {
            steps.push(Step::Send(frame_at_a_limit(draw)));
        } else if draw.chance(8) {
            // A burst of pings read in one go: a pong each, faster than they drain, up to
            // the outbound queue's bound (256 messages, `Config::outbound_queue_messages_max`).
            steps.push(Step::Repeat {
                times: draw.range(200, 600) as u32,
                shift: 1,
                steps: vec![Step::Send(SendSpec::Ping(1))],
            });
        } else {
            steps.push(Step::Send(request(draw)));
        }
    }
    steps.push(if draw.chance(70) {
        Step::Honest
    } else {
        Step::Close
    });
    let name = scenario.peers[index].name.clone();
    scenario.peers[index].behaviour = Behaviour::Script(steps);
    // Half the time an automatic connection, which Core punishes for misbehaviour (a manual
    // one it does not).
    if draw.chance(50) && !scenario.node.automatic.contains(&name) {
        scenario.node.connect.retain(|n| *n != name);
        scenario.node.automatic.push(name);
    }
}

/// One unserved request or broken frame.
fn request(draw: &mut Draw) -> SendSpec {
    // Over the limit half the time: Core punishes that (`Misbehaving`), btcd's decoder refuses it.
    let list =
        |draw: &mut Draw, limit: u32| [1, limit, limit + 1, limit + 1][draw.below(4) as usize];
    let unserved = |message, count| SendSpec::Unserved { message, count };
    // List messages weigh double: each is a limit on both profiles.
    match draw.below(25) {
        20..=24 => {
            let message = [
                UnservedMessage::Getdata,
                UnservedMessage::Inv,
                UnservedMessage::Notfound,
                UnservedMessage::Addr,
                UnservedMessage::Addrv2,
            ][draw.below(5) as usize];
            let limit = match message {
                UnservedMessage::Addr | UnservedMessage::Addrv2 => ADDR_ENTRIES_MAX,
                _ => INV_ENTRIES_MAX,
            };
            unserved(message, list(draw, limit))
        }
        0 => unserved(UnservedMessage::Getdata, list(draw, INV_ENTRIES_MAX)),
        1 => unserved(UnservedMessage::Inv, list(draw, INV_ENTRIES_MAX)),
        2 => unserved(UnservedMessage::Notfound, list(draw, INV_ENTRIES_MAX)),
        3 => unserved(UnservedMessage::Addr, list(draw, ADDR_ENTRIES_MAX)),
        4 => unserved(UnservedMessage::Addrv2, list(draw, ADDR_ENTRIES_MAX)),
        5 => unserved(UnservedMessage::Getcfilters, 0),
        6 => unserved(UnservedMessage::Getcfheaders, 0),
        7 => unserved(UnservedMessage::Getcfcheckpt, 0),
        8 => unserved(UnservedMessage::Filterload, 0),
        9 => unserved(UnservedMessage::Filteradd, 0),
        10 => unserved(UnservedMessage::Filterclear, 0),
        11 => unserved(UnservedMessage::Mempool, 0),
        12 => unserved(UnservedMessage::Getblocks, 0),
        13 => SendSpec::Getaddr,
        // A second version or verack: btcd rejects and closes, Core sets it aside.
        14 => {
            if draw.chance(50) {
                SendSpec::Version
            } else {
                SendSpec::Verack
            }
        }
        // A ping whose frame lies: a wrong checksum, another network's magic, or a declared
        // length shorter than its payload.
        15 => {
            let mut frame = RawFrame::new("ping", "0102030405060708");
            match draw.below(3) {
                0 => frame.checksum_hex = Some("00000000".into()),
                1 => frame.magic_hex = Some("0b110907".into()),
                _ => frame.length_bytes = Some(draw.below(8) as u32),
            }
            SendSpec::Raw(frame)
        }
        16 => SendSpec::Raw(RawFrame::new(
            ["notacommand", "sendtxrcncl", "getcfheader2"][draw.below(3) as usize],
            "00",
        )),
        // Bytes that are no frame at all.
        _ => {
            let length = draw.range(1, 64) as usize;
            let bytes: Vec<u8> = (0..length).map(|_| draw.below(256) as u8).collect();
            SendSpec::BytesHex(bytes.iter().map(|b| format!("{b:02x}")).collect())
        }
    }
}

/// Commands drawn for a frame at btcd's payload limit for them (the limits are the
/// `frame_limits_kept` rule's table, [`btcd_payload_bytes_max`]).
const BTCD_LIMIT_COMMANDS: [&str; 8] = [
    "version",
    "getheaders",
    "headers",
    "inv",
    "addr",
    "filterload",
    "feefilter",
    "getcfilters",
];

/// A frame of zero bytes whose length sits at a limit or one past it: a command at btcd's
/// limit for it, or an unknown command at Core's 4,000,000 bytes. At the limit a profile
/// reads the frame (and may find the zeros undecodable); past it, it refuses it as too large.
fn frame_at_a_limit(draw: &mut Draw) -> SendSpec {
    let past = u32::from(draw.chance(50));
    if draw.chance(50) {
        let command = BTCD_LIMIT_COMMANDS[draw.below(BTCD_LIMIT_COMMANDS.len() as u64) as usize];
        let limit =
            btcd_payload_bytes_max(command).expect("the rule's table holds every drawn command");
        SendSpec::Junk {
            command: command.into(),
            payload_bytes: u32::try_from(limit).expect("btcd's limits fit in u32") + past,
        }
    } else {
        SendSpec::Junk {
            command: "junk".into(),
            payload_bytes: u32::try_from(CORE_PAYLOAD_BYTES_MAX).expect("fits in u32") + past,
        }
    }
}

/// Messages drawn to arrive early, before the peer's `version` or between it and its `verack`:
/// commands btcd v0.24 knows (a reject and the close before the `version`, the close after
/// it), commands it does not know (`wtxidrelay`, `sendcmpct`: the close before, skipped
/// after) and the feature message it honours (`sendaddrv2`). Core sets all of them aside.
fn early_message(draw: &mut Draw) -> SendSpec {
    match draw.below(8) {
        0 => SendSpec::Verack,
        1 => SendSpec::Ping(draw.below(1 << 32)),
        2 => SendSpec::Getaddr,
        3 => SendSpec::Sendaddrv2,
        4 => SendSpec::Wtxidrelay,
        5 => SendSpec::Sendcmpct,
        6 => SendSpec::Sendheaders,
        _ => SendSpec::Unserved {
            message: UnservedMessage::Mempool,
            count: 0,
        },
    }
}

/// The largest btcd limit [`early_messages_and_announcements`] probes, in bytes: a script
/// peer sends its frame on every connection the node makes to it again (btcd asks for a new
/// automatic connection at once after a disconnect: hundreds in a run), and the
/// megabyte limits (`block`, `tx`, `merkleblock` at 4,000,000; `inv`, `getdata`, `notfound`
/// at 1,800,009) would make those seeds ten times slower than the rest (of them
/// [`frame_at_a_limit`] draws `inv`'s, and Core's 4,000,000 with an unknown command).
const PROBE_FRAME_BYTES_MAX: u64 = 300_000;

/// For the scripts [`unserved_requests`] wrote, drawn after everything else (so every earlier
/// draw keeps its value): half the time an early message before the script's `version` or
/// between it and its `verack` ([`early_message`]), a third of the time an `inv` of a
/// block of the peer's chain right after the handshake, which the node may answer with a
/// `getheaders` (Core's inv-triggered request; btcd's when its best header is recent), and
/// under btcd, last before the script closes, turns honest or ends, a frame at or one byte
/// past the limit of a command of btcd's table (those up to [`PROBE_FRAME_BYTES_MAX`]).
pub(super) fn early_messages_and_announcements(draw: &mut Draw, scenario: &mut Scenario) {
    // Seeds with btcd checkpoints keep their scripts as they were: among them is the one seed
    // in a thousand (of 730..740) whose scripted peer's fork, served once the node is past the
    // checkpoint, is refused as `fork-too-old`; an early message would end that peer's part.
    if !scenario.node.checkpoints.is_empty() {
        return;
    }
    let btcd = scenario.node.profile == crate::scenario::ProfileName::Btcd;
    for peer in &mut scenario.peers {
        // Chains are built (and cached) when generated; a chain that does not build is
        // announced at height 0.
        let tip_height = peer.chain.as_ref().map_or(0, |c| {
            let length = c.build().map_or(1, |headers| headers.len().max(1));
            c.first_height() + u32::try_from(length - 1).unwrap_or(0)
        });
        let Behaviour::Script(steps) = &mut peer.behaviour else {
            continue;
        };
        // Only scripts that open with [`handshake`].
        if steps.len() < 6 || steps[..1] != handshake()[..1] || steps[2..6] != handshake()[2..6] {
            continue;
        }
        if draw.chance(33) {
            let first = peer.chain.as_ref().map_or(0, |c| c.first_height());
            let height = draw.range(u64::from(first), u64::from(tip_height));
            let height = u32::try_from(height).expect("drawn within the chain's heights");
            steps.insert(6, Step::Send(SendSpec::InvBlock { height }));
        }
        // Under btcd, a frame of zeros at or one byte past the limit of a command btcd
        // bounds (the `frame_limits_kept` rule's table, up to the cap), as the script's last message
        // before it closes, turns honest or ends, so that what it sends before still runs
        // (either frame ends the connection).
        let at = steps
            .iter()
            .position(|step| matches!(step, Step::Close | Step::Honest | Step::AnswersPingsOnly))
            .unwrap_or(steps.len());
        if btcd {
            let limits: Vec<(&str, u64)> = btcd_payload_limits()
                .filter(|&(_, limit)| limit <= PROBE_FRAME_BYTES_MAX)
                .collect();
            let (command, limit) = limits[draw.index(limits.len())];
            let past = u32::from(draw.chance(50));
            steps.insert(
                at,
                Step::Send(SendSpec::Junk {
                    command: command.into(),
                    payload_bytes: u32::try_from(limit).expect("btcd's limits fit in u32") + past,
                }),
            );
        }
        if draw.chance(50) {
            // Index 1 is before the peer's version, index 2 right after it.
            let at = 1 + draw.below(2) as usize;
            steps.insert(at, Step::Send(early_message(draw)));
        }
    }
}

/// A `reject` (BIP 61) as rust-bitcoin writes it, always with a hash: of a `block` or `tx`,
/// which btcd reads whole (its hash is read for those two only, `MsgReject.BtcDecode`), or of
/// another command, whose hash btcd leaves over and refuses. Core no longer reads rejects.
fn reject(draw: &mut Draw) -> SendSpec {
    use bitcoin::hashes::Hash as _;
    use bitcoin::p2p::message::NetworkMessage;
    use bitcoin::p2p::message_network::{Reject, RejectReason};
    let message = ["block", "tx", "block", "tx", "headers", "version"][draw.index(6)];
    let ccode = [
        RejectReason::Malformed,
        RejectReason::Invalid,
        RejectReason::Obsolete,
        RejectReason::Duplicate,
        RejectReason::NonStandard,
        RejectReason::Dust,
        RejectReason::Fee,
        RejectReason::Checkpoint,
    ][draw.index(8)];
    let reason = ["bad-txns-inputs-missingorspent", "high-hash", "dust", ""][draw.index(4)];
    let hash = bitcoin::hashes::sha256d::Hash::from_byte_array(
        draw.bytes(32).try_into().expect("32 bytes"),
    );
    let payload = bitcoin::consensus::serialize(&NetworkMessage::Reject(Reject {
        message: message.into(),
        ccode,
        reason: reason.into(),
        hash,
    }));
    let hex: String = payload.iter().map(|b| format!("{b:02x}")).collect();
    SendSpec::Raw(RawFrame::new("reject", hex))
}

/// A `getdata`, `inv` or `notfound` of one block entry followed by one to three bytes its
/// fields do not hold: Core reads the fields and ignores the rest (`CDataStream`), btcd v0.26
/// refuses bytes left over.
fn list_with_bytes_left(draw: &mut Draw) -> SendSpec {
    let command = ["getdata", "inv", "notfound"][draw.index(3)];
    let left = "ff".repeat(draw.range(1, 3) as usize);
    // One entry: count 1, type 2 (MSG_BLOCK), a hash of 0x07 bytes.
    let payload = format!("0102000000{}{left}", "07".repeat(32));
    SendSpec::Raw(RawFrame::new(command, payload))
}

/// For every script that opens with [`handshake`], and for one honest peer in five the node
/// dials (other than the first), drawn after everything else (so every earlier draw keeps its
/// value): two times in five for a script, always for an honest peer (which becomes a script
/// that serves honestly after it), right after the handshake, a
/// well-formed message a header-only node reads and sets aside (Core disconnects for the
/// bloom filter ones): a segwit `tx`, a short `addrv2` or `addr`, a `filteradd` or a
/// `filterload`, a one-entry `getdata`, `inv` or `notfound` with bytes left over, a `reject`. What the node's wire dialect makes of them is judged by
/// `node_reads_what_was_written`, which compares the decoding with rust-bitcoin's.
pub(super) fn messages_set_aside(draw: &mut Draw, scenario: &mut Scenario) {
    // As in [`early_messages_and_announcements`]: seeds with btcd checkpoints keep their
    // scripts as they were.
    if !scenario.node.checkpoints.is_empty() {
        return;
    }
    for (i, peer) in scenario.peers.iter_mut().enumerate() {
        // A peer of an older protocol version than `sendaddrv2`'s (70016) ends its handshake
        // under btcd with that message: nothing after it would be read.
        if peer.version < 70_016 {
            continue;
        }
        // An honest peer the node dials (not the first, which stays plain) becomes, one time
        // in five, a script that shakes hands, sends the message, then serves honestly.
        if i > 0 && peer.behaviour == Behaviour::Honest && !peer.dials_node && draw.chance(20) {
            let mut steps = handshake();
            steps.push(Step::Honest);
            peer.behaviour = Behaviour::Script(steps);
        } else if !draw.chance(40) {
            continue;
        }
        let Behaviour::Script(steps) = &mut peer.behaviour else {
            continue;
        };
        if steps.len() < 6 || steps[..1] != handshake()[..1] || steps[2..6] != handshake()[2..6] {
            continue;
        }
        let (message, count) = match draw.below(13) {
            0..=3 => (UnservedMessage::Tx, draw.range(1, 3) as u32),
            4..=6 => (UnservedMessage::Addrv2, draw.range(1, 5) as u32),
            7 => (UnservedMessage::Addr, draw.range(1, 5) as u32),
            8 => (UnservedMessage::Filteradd, 0),
            9 => (UnservedMessage::Filterload, 0),
            10 | 11 => {
                steps.insert(6, Step::Send(list_with_bytes_left(draw)));
                continue;
            }
            _ => {
                steps.insert(6, Step::Send(reject(draw)));
                continue;
            }
        };
        steps.insert(6, Step::Send(SendSpec::Unserved { message, count }));
    }
}

/// Drawn after [`messages_set_aside`], last of all: in one seed in five, one honest peer the
/// node dials (not the first) is remade as a script that meets one of btcd's version gates
/// (`wire/msg*.go`, each message's `BtcDecode`). It announces the gate's protocol version or
/// the one just below, shakes hands as a peer of that version does (no `wtxidrelay` or
/// `sendaddrv2` below 70016, BIP 339 and BIP 155), sends the message the gate is for, then
/// serves honestly. One time in four it stays at 70016 and sends a block of two or three
/// transactions instead (btcd bounds a block's transactions by `maxTxPerBlock`).
pub(super) fn messages_at_version_gates(draw: &mut Draw, scenario: &mut Scenario) {
    if !scenario.node.checkpoints.is_empty() || !draw.chance(20) {
        return;
    }
    let candidates = dialled_honest_peers(scenario);
    if candidates.is_empty() {
        return;
    }
    let peer = &mut scenario.peers[candidates[draw.below(candidates.len() as u64) as usize]];
    let unserved = |message| SendSpec::Unserved { message, count: 0 };
    let (version, message) = if draw.chance(25) {
        let count = draw.range(2, 3) as u32;
        let block = SendSpec::Unserved {
            message: UnservedMessage::Block,
            count,
        };
        (70_016, block)
    } else {
        // Each gate: the first protocol version btcd reads the message at.
        let (gate, message) = match draw.below(8) {
            // A ping's nonce is read above BIP0031Version (60000) only.
            0 => (60_001, SendSpec::Ping(draw.range(1, u64::from(u32::MAX)))),
            1 => (60_002, unserved(UnservedMessage::Mempool)),
            2 => (70_001, unserved(UnservedMessage::Filteradd)),
            3 => (70_001, unserved(UnservedMessage::Filterload)),
            4 => (70_001, unserved(UnservedMessage::Filterclear)),
            5 => (70_012, SendSpec::Sendheaders),
            6 => (70_013, SendSpec::Feefilter(1_000)),
            _ => (70_016, SendSpec::Sendaddrv2),
        };
        (gate - u32::from(draw.chance(50)), message)
    };
    peer.version = version;
    let mut steps = handshake();
    if version < 70_016 {
        steps.retain(|step| {
            !matches!(
                step,
                Step::Send(SendSpec::Wtxidrelay) | Step::Send(SendSpec::Sendaddrv2)
            )
        });
    }
    steps.push(Step::Send(message));
    steps.push(Step::Honest);
    peer.behaviour = Behaviour::Script(steps);
}

#[cfg(test)]
mod tests {
    use super::super::generate;
    use super::*;

    /// Whether `peer`'s script sends `wanted`.
    fn sends(peer: &crate::scenario::PeerSpec, wanted: &dyn Fn(&SendSpec) -> bool) -> bool {
        matches!(&peer.behaviour, Behaviour::Script(steps)
            if steps.iter().any(|s| matches!(s, Step::Send(send) if wanted(send))))
    }

    #[test]
    fn seeds_meet_btcd_version_gates_at_and_below_them_and_send_blocks() {
        // Lazily: each search stops at its first hit.
        let peers = || (0..2_000).map(generate).flat_map(|s| s.peers.into_iter());
        // A ping at protocol 60000 (nonce not read) and at 60001 (read).
        for version in [60_000, 60_001] {
            assert!(
                peers().any(|p| p.version == version && sends(&p, &|s| matches!(s, SendSpec::Ping(_)))),
                "ping at {version}"
            );
        }
        // A BIP 37 message at 70000 (refused) and 70001 (read).
        let bip37 = |s: &SendSpec| {
            matches!(s, SendSpec::Unserved { message, .. }
                if matches!(message, UnservedMessage::Filteradd | UnservedMessage::Filterload | UnservedMessage::Filterclear))
        };
        for version in [70_000, 70_001] {
            assert!(
                peers().any(|p| p.version == version && sends(&p, &bip37)),
                "BIP 37 at {version}"
            );
        }
        // Below 70016 a gate script shakes hands without wtxidrelay and sendaddrv2; at 70015
        // it sends sendaddrv2 only after the node's verack, as the gated message.
        let old = peers()
            .find(|p| p.version == 70_015 && sends(p, &|s| matches!(s, SendSpec::Sendaddrv2)))
            .expect("a gate script at 70015");
        let Behaviour::Script(steps) = &old.behaviour else {
            panic!("a script");
        };
        assert!(!steps.contains(&Step::Send(SendSpec::Wtxidrelay)));
        let verack = steps
            .iter()
            .position(|s| *s == Step::WaitFor("verack".into()));
        let sendaddrv2 = steps
            .iter()
            .position(|s| *s == Step::Send(SendSpec::Sendaddrv2));
        assert!(verack < sendaddrv2, "{steps:?}");
        // A block of two or more transactions.
        assert!(peers().any(|p| sends(&p, &|s| matches!(
            s,
            SendSpec::Unserved { message: UnservedMessage::Block, count } if *count >= 2
        ))));
    }
}
