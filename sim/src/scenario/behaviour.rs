//! How a fake peer behaves, as a scenario gives it (`peers[].behaviour`): honest, one of the
//! preset misbehaviours, a step-by-step script, or the replay of a recorded real peer. The
//! fake peer ([`crate::peers::fake_peer`]) acts them out.

use serde::{Deserialize, Serialize};

use super::frame::RawFrame;
use super::replay::ReplayScript;
use super::version::{PongNonce, VersionFields};

/// How a fake peer (mis)behaves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Behaviour {
    /// Serves its chain correctly.
    #[default]
    Honest,
    /// Accepts the connection and never sends anything.
    NeverSendsVersion,
    /// Sends `ping(1)` before any `version`, then stays silent.
    PingFirst,
    /// Completes the handshake, then sends a second `version`.
    DuplicateVersion,
    /// Completes the handshake and answers pings, but never answers `getheaders`.
    AnswersPingsOnly,
    /// Completes the handshake, then sends nothing at all (no pongs).
    SilentAfterHandshake,
    /// Answers the first `getheaders`, then sends nothing at all (no pongs).
    SilentAfterFirstHeaders,
    /// Serves its chain, but answers every `ping` with a `pong` whose nonce is one more than
    /// the ping's (BIP 31 says it must echo the nonce).
    WrongPongNonce,
    /// Answers every `getheaders` with an empty `headers` (and pongs every ping), whatever it
    /// advertised.
    EmptyHeaders,
    /// In reply number `batch` (1-based), header `index` has a nonce that misses its target.
    BadPow {
        /// Which reply.
        batch: u32,
        /// Which header of it (0-based).
        index: usize,
    },
    /// Answers the first `getheaders` with 2001 headers.
    TooManyHeaders,
    /// In reply number `batch`, header `index` is left out, so the batch has a gap.
    NonContinuous {
        /// Which reply.
        batch: u32,
        /// Which header is dropped (0-based, at least 1).
        index: usize,
    },
    /// After the handshake, sends a frame with magic `ffffffff`.
    WrongMagic,
    /// After the handshake, sends a `ping` whose checksum is `ffffffff`.
    BadChecksum,
    /// After the handshake, sends a frame header announcing a 4,000,001-byte payload (one
    /// byte over Core's `MAX_PROTOCOL_MESSAGE_LENGTH`) and the first bytes of it.
    OversizedFrame,
    /// Writes the first half of reply number `batch`, then closes the connection.
    CloseMidBatch {
        /// Which reply.
        batch: u32,
    },
    /// Follows the steps in order; after the last one it keeps reading and stays silent.
    Script(Vec<Step>),
    /// Replays a recorded real peer (`sim record`): each recorded message is sent when the
    /// node's message it answered arrives, after the recorded delay.
    Replay(ReplayScript),
}

/// One step of a scripted peer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    /// Reads messages until one with this command arrives (others are dropped).
    WaitFor(String),
    /// Sends a message.
    Send(SendSpec),
    /// Waits this many milliseconds.
    DelayMs(u64),
    /// Sends a message in pieces, `delay_ms` apart: its first `first_bytes` bytes, then the
    /// rest (catalog W09a; `first_bytes: 12` cuts inside the 24-byte frame header); or cut at
    /// each offset of `split_at` (increasing, from the start of the frame; an offset past its
    /// end cuts at the end). Exactly one of the two. Message faults do not apply.
    SendSplit {
        /// The message.
        send: SendSpec,
        /// Bytes in the first write.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        first_bytes: Option<u32>,
        /// Where to cut, in bytes from the start of the frame.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        split_at: Vec<u32>,
        /// Pause between the writes.
        delay_ms: u64,
    },
    /// Closes the connection (FIN).
    Close,
    /// Behaves honestly from here on (answers pings and `getheaders`).
    Honest,
    /// From here on pings on its profile's cadence and answers pings, but never `getheaders`
    /// (as the `answers_pings_only` behaviour does after its handshake).
    AnswersPingsOnly,
    /// Runs `steps` `times` times. Round `k` (0 first) adds `k * shift` to every height
    /// (`from_height`, `locator_heights`, `inv_block`'s `height`) and to every `ping` and `pong`
    /// nonce in its steps (not to `pong_echo`'s, which answer the node), so one round can announce the next header each time or ping with a
    /// fresh nonce. A `close` or `honest` inside ends the whole script as it does outside.
    Repeat {
        /// How many rounds.
        times: u32,
        /// Added per round to heights and nonces (0: every round sends the same).
        #[serde(default)]
        shift: u32,
        /// The steps of one round.
        steps: Vec<Step>,
    },
}

/// A message a script can send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum SendSpec {
    /// The peer's configured `version`.
    Version,
    /// `verack`.
    Verack,
    /// `sendheaders`.
    Sendheaders,
    /// `sendaddrv2`.
    Sendaddrv2,
    /// `wtxidrelay`.
    Wtxidrelay,
    /// `sendcmpct(false, 2)` (BIP 152, as Bitcoin Core sends after `verack`).
    Sendcmpct,
    /// `feefilter` with this rate in sat/kvB.
    Feefilter(i64),
    /// `ping` with this nonce.
    Ping(u64),
    /// `pong` with this nonce.
    Pong(u64),
    /// `pong` answering the node's latest `ping` on this connection that no `pong_echo` has
    /// answered yet, its nonce the ping's as transformed (`same`, `plus_one`, `minus_one`,
    /// `zero`). With no such ping read yet, the step first reads until one arrives (dropping
    /// other messages, as `wait_for` does).
    PongEcho(PongNonce),
    /// The peer's `version` with these fields replaced (on top of the peer's own
    /// `version_fields`); a `nonce` of `{"node_version_of": PEER}` waits until that peer has
    /// read the node's `version` and reuses its nonce.
    VersionWith(VersionFields),
    /// `getheaders` whose locator holds the peer's own headers at these heights (hash_stop 0).
    Getheaders {
        /// Heights of the locator entries, in order.
        locator_heights: Vec<u32>,
    },
    /// `headers` with `count` headers of the peer's chain from `from_height`.
    Headers {
        /// First height sent.
        from_height: u32,
        /// How many.
        count: u32,
    },
    /// `headers` with `count` headers of the peer's chain from `from_height`, header `index`
    /// (0-based in the message) altered as given and ground again to meet the target of its
    /// own `bits`; the headers after it are re-linked and ground again too, so the message
    /// stays continuous with valid proof of work and only the altered field is wrong. Only
    /// cheap proof of work (regtest) can be ground; the scenario loader enforces that.
    Crafted {
        /// First height sent.
        from_height: u32,
        /// How many.
        count: u32,
        /// Which header of the message to alter (0-based).
        index: u32,
        /// Replacement `version`.
        #[serde(default)]
        version: Option<i32>,
        /// Replacement `bits` (consensus encoding).
        #[serde(default)]
        bits: Option<u32>,
        /// Seconds added to its `time` (may be negative).
        #[serde(default)]
        time_offset_s: Option<i64>,
        /// After grinding, spoil the altered header's proof of work (its hash then misses the
        /// target of its bits).
        #[serde(default)]
        pow_invalid: bool,
    },
    /// `inv` announcing the block at this height of the peer's chain.
    InvBlock {
        /// Height of the announced block.
        height: u32,
    },
    /// `getaddr`.
    Getaddr,
    /// A frame built as given: a command (text or any 12 bytes as hex) and payload (hex), the
    /// declared length, checksum and magic correct unless given ([`RawFrame`]): an unknown
    /// command, a known one whose payload does not decode, invalid command bytes, a lying
    /// header.
    Raw(RawFrame),
    /// These bytes (hex), written as they are, whatever they hold (no framing; message faults
    /// do not apply).
    BytesHex(String),
    /// A frame with this command and `payload_bytes` zero bytes, checksum correct (catalog W04:
    /// large unknown messages without hex in the scenario file). Built once per script and
    /// reused.
    Junk {
        /// The command (at most 12 ASCII characters).
        command: String,
        /// Payload length; at most [`JUNK_PAYLOAD_BYTES_MAX`].
        payload_bytes: u32,
    },
    /// A well-formed message a header-only node does not serve, built by rust-bitcoin:
    /// `{"unserved": {"message": "getdata", "count": 50001}}`. `count` is the number of
    /// entries of a list message (`getdata`, `inv`, `notfound`, `addr`, `addrv2`: distinct
    /// dummy entries; at most [`UNSERVED_COUNT_MAX`]), the inputs of a `tx` or the transactions
    /// of a `block`, and is ignored by the others.
    Unserved {
        /// Which message.
        message: UnservedMessage,
        /// Entries in a list message.
        #[serde(default)]
        count: u32,
    },
}

/// Largest entry count of an [`SendSpec::Unserved`] list: above Core's and btcd's 50,000 (inv,
/// getdata, notfound) and 1,000 (addr) limits, below the 4,000,000-byte message limit.
pub const UNSERVED_COUNT_MAX: u32 = 60_000;

/// The messages of [`SendSpec::Unserved`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnservedMessage {
    /// `getdata` for `count` blocks.
    Getdata,
    /// `inv` of `count` transactions.
    Inv,
    /// `notfound` of `count` transactions.
    Notfound,
    /// `addr` with `count` addresses.
    Addr,
    /// `addrv2` with `count` addresses.
    Addrv2,
    /// `getcfilters` (BIP 157) from genesis.
    Getcfilters,
    /// `getcfheaders` (BIP 157) from genesis.
    Getcfheaders,
    /// `getcfcheckpt` (BIP 157).
    Getcfcheckpt,
    /// `filterload` (BIP 37), an empty filter.
    Filterload,
    /// `filteradd` (BIP 37), 32 bytes.
    Filteradd,
    /// `filterclear` (BIP 37).
    Filterclear,
    /// `mempool` (BIP 35).
    Mempool,
    /// `getblocks` from genesis.
    Getblocks,
    /// `tx`: a segregated-witness transaction (BIP 144 encoding) with `count` inputs (at least
    /// one), each with a one-item witness, and one output.
    Tx,
    /// `block`: a block on the network's genesis with `count` transactions (at least one),
    /// each a one-input segregated-witness transaction spending a different output; nothing
    /// in it is valid or checked (a header-only node reads the message and sets it aside).
    Block,
}

/// Largest `junk` payload a script may send: btcd's `wire.MaxMessagePayload` (32 MiB), above
/// Core's 4,000,000-byte `MAX_PROTOCOL_MESSAGE_LENGTH`, so both limits can be crossed.
pub const JUNK_PAYLOAD_BYTES_MAX: u32 = 32 * 1024 * 1024;

/// Decodes a hex string (either case, even length) with rust-bitcoin's hex crate; `None` if it
/// is not hex.
pub fn hex_bytes(hex: &str) -> Option<Vec<u8>> {
    use bitcoin::hex::FromHex;
    Vec::<u8>::from_hex(hex).ok()
}
