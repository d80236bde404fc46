//! The seeded generator of almost-right frames: [`generate`]`(seed, index)` gives one
//! [`WireCase`], the same on every run and platform.
//!
//! Every case is bytes sent after a completed handshake on a fresh connection. The frames are
//! built from rust-bitcoin's encodings (messages, compact sizes, headers, the SHA256d checksum)
//! and then bent: a command field with a NUL inside or a byte outside printable ASCII, another
//! network's magic, a wrong checksum, a declared length above or below the payload, a payload
//! cut at a field boundary or inside a field, bytes after a valid payload, `headers` entries
//! with transaction counts, counts that disagree with the entries, vectors above a limit, a
//! handshake message again, a real command the node does not implement.

use std::fmt;

use bitcoin::block::{Header, Version};
use bitcoin::consensus::encode::{serialize, VarInt};
use bitcoin::hashes::{sha256d, Hash};
use bitcoin::p2p::message_network::VersionMessage;
use bitcoin::p2p::{Address, ServiceFlags};
use bitcoin::{BlockHash, CompactTarget, Network, TxMerkleNode};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::tools::draw::Draw;

/// Size of a frame header: magic, command, length, checksum (Bitcoin Core `CMessageHeader`).
const FRAME_HEADER_BYTES: usize = 24;

/// Regtest's proof-of-work limit in compact form (Bitcoin Core `chainparams.cpp`, regtest
/// `powLimit`): about one hash in two meets it.
const REGTEST_BITS: u32 = 0x207f_ffff;

/// Most `headers` entries per message: Bitcoin Core `MAX_HEADERS_RESULTS`, btcd
/// `MaxBlockHeadersPerMsg`.
const HEADERS_MAX: u64 = 2000;

/// Most locator hashes Bitcoin Core accepts: `MAX_LOCATOR_SZ` (`net_processing.cpp`).
const LOCATOR_CORE_MAX: u64 = 101;

/// Most inventory entries per message: Bitcoin Core `MAX_INV_SZ`, btcd `MaxInvPerMsg`.
const INV_MAX: u64 = 50_000;

/// Most addresses per `addr`: Bitcoin Core `MAX_ADDR_TO_SEND`, btcd `MaxAddrPerMsg`.
const ADDR_MAX: u64 = 1000;

/// Bitcoin Core's largest accepted payload (`MAX_PROTOCOL_MESSAGE_LENGTH`, `net.h`).
const CORE_PAYLOAD_MAX: u32 = 4_000_000;

/// What kind of almost-right a case is; the report counts cases per class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CaseClass {
    /// The 12 command bytes: NUL inside, non-printable, non-UTF-8, unknown, empty, upper case.
    CommandBytes,
    /// Another network's magic, or random bytes where the magic goes.
    WrongMagic,
    /// A checksum that does not match the payload, on a known or unknown command.
    BadChecksum,
    /// A declared length above, below or far above the payload actually sent.
    DeclaredLength,
    /// A known message's payload cut at a field boundary or inside a field.
    Truncated,
    /// Bytes after a complete, valid payload.
    TrailingBytes,
    /// `headers` entries with a non-zero transaction count.
    HeadersTxCount,
    /// `headers` whose count disagrees with its entries, or is encoded non-canonically.
    HeadersCount,
    /// `version`, `verack`, `ping`, `pong` with empty, short or long payloads.
    HandshakePayload,
    /// Vectors at and above their limit: headers, locators, inventory, addresses.
    OversizedVector,
    /// A handshake message again after the handshake: `version`, `verack`, `wtxidrelay`,
    /// `sendaddrv2`, `sendheaders`.
    DuplicateHandshake,
    /// A real command the node does not implement (bloom filters, compact filters, blocks,
    /// transactions, ...), with an empty, random or plausible payload.
    UnsupportedCommand,
    /// Valid `headers` extending genesis (a control: both must accept), or with a header that
    /// misses the proof of work, or does not connect, or breaks the sequence.
    Headers,
}

impl CaseClass {
    /// Every class, in report order.
    pub const ALL: [CaseClass; 13] = [
        CaseClass::CommandBytes,
        CaseClass::WrongMagic,
        CaseClass::BadChecksum,
        CaseClass::DeclaredLength,
        CaseClass::Truncated,
        CaseClass::TrailingBytes,
        CaseClass::HeadersTxCount,
        CaseClass::HeadersCount,
        CaseClass::HandshakePayload,
        CaseClass::OversizedVector,
        CaseClass::DuplicateHandshake,
        CaseClass::UnsupportedCommand,
        CaseClass::Headers,
    ];

    /// The class's name in reports, e.g. `command-bytes`.
    pub fn name(self) -> &'static str {
        match self {
            CaseClass::CommandBytes => "command-bytes",
            CaseClass::WrongMagic => "wrong-magic",
            CaseClass::BadChecksum => "bad-checksum",
            CaseClass::DeclaredLength => "declared-length",
            CaseClass::Truncated => "truncated",
            CaseClass::TrailingBytes => "trailing-bytes",
            CaseClass::HeadersTxCount => "headers-tx-count",
            CaseClass::HeadersCount => "headers-count",
            CaseClass::HandshakePayload => "handshake-payload",
            CaseClass::OversizedVector => "oversized-vector",
            CaseClass::DuplicateHandshake => "duplicate-handshake",
            CaseClass::UnsupportedCommand => "unsupported-command",
            CaseClass::Headers => "headers",
        }
    }
}

impl fmt::Display for CaseClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One generated case: the bytes to send after the handshake, in pieces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireCase {
    /// The run's seed.
    pub seed: u64,
    /// The case's index within the run (its rng stream).
    pub index: u64,
    /// Its class.
    pub class: CaseClass,
    /// What it is, for people: e.g. ``ping payload cut to 3 of 8 bytes``.
    pub what: String,
    /// The bytes, split where the case splits them; each piece is written (and flushed) on
    /// its own, a few milliseconds after the previous one.
    pub pieces: Vec<Vec<u8>>,
    /// When the case carries headers: the one whose presence in the peer's block index tells
    /// whether the message was accepted (the last of the message).
    pub probe_header: Option<BlockHash>,
}

impl WireCase {
    /// All the bytes in one piece.
    pub fn bytes(&self) -> Vec<u8> {
        self.pieces.concat()
    }

    /// The bytes in lower-case hex (long cases are cut after 512 bytes, with the total).
    pub fn hex(&self) -> String {
        const SHOWN_BYTES_MAX: usize = 512;
        let bytes = self.bytes();
        let shown: String = bytes
            .iter()
            .take(SHOWN_BYTES_MAX)
            .map(|b| format!("{b:02x}"))
            .collect();
        if bytes.len() > SHOWN_BYTES_MAX {
            format!("{shown}... ({} bytes in all)", bytes.len())
        } else {
            shown
        }
    }
}

/// The case of `(seed, index)`: a fresh [`ChaCha8Rng`] seeded with `seed` on stream `index`,
/// so any one case can be regenerated alone.
pub fn generate(seed: u64, index: u64) -> WireCase {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(index);
    let mut draw = Draw(rng);
    let class = CaseClass::ALL[draw.index(CaseClass::ALL.len())];
    let mut builder = Builder {
        draw: &mut draw,
        magic: bitcoin::p2p::Magic::REGTEST.to_bytes(),
        index,
    };
    let (what, frame, probe_header) = builder.build(class);
    let pieces = split(&mut draw, frame);
    WireCase {
        seed,
        index,
        class,
        what,
        pieces,
        probe_header,
    }
}

/// Cuts `bytes` into one to three pieces at random offsets (one piece in half the cases).
fn split(draw: &mut Draw, bytes: Vec<u8>) -> Vec<Vec<u8>> {
    if bytes.len() < 2 || draw.chance(50) {
        return vec![bytes];
    }
    let cuts = draw.range(1, 2) as usize;
    let mut offsets: Vec<usize> = (0..cuts).map(|_| 1 + draw.index(bytes.len() - 1)).collect();
    offsets.sort_unstable();
    offsets.dedup();
    let mut pieces = Vec::new();
    let mut start = 0;
    for offset in offsets {
        pieces.push(bytes[start..offset].to_vec());
        start = offset;
    }
    pieces.push(bytes[start..].to_vec());
    pieces
}

/// A frame: `magic`, the 12 `command` bytes, `declared` length, `checksum`, `payload`.
fn frame(
    magic: [u8; 4],
    command: [u8; 12],
    declared: u32,
    checksum: [u8; 4],
    payload: &[u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(FRAME_HEADER_BYTES + payload.len());
    out.extend_from_slice(&magic);
    out.extend_from_slice(&command);
    out.extend_from_slice(&declared.to_le_bytes());
    out.extend_from_slice(&checksum);
    out.extend_from_slice(payload);
    out
}

/// The first 4 bytes of the payload's SHA256d, the frame checksum.
fn checksum(payload: &[u8]) -> [u8; 4] {
    let hash = sha256d::Hash::hash(payload).to_byte_array();
    [hash[0], hash[1], hash[2], hash[3]]
}

/// `name` NUL-padded to 12 bytes.
///
/// # Panics
/// If `name` is longer than 12 bytes (a bug in this file's tables).
fn command(name: &[u8]) -> [u8; 12] {
    assert!(name.len() <= 12, "command {name:?} longer than 12 bytes");
    let mut out = [0u8; 12];
    out[..name.len()].copy_from_slice(name);
    out
}

/// A payload length as the 4-byte header field.
fn len32(payload: &[u8]) -> u32 {
    u32::try_from(payload.len()).expect("generated payloads are far below 4 GiB")
}

struct Builder<'a> {
    draw: &'a mut Draw,
    magic: [u8; 4],
    index: u64,
}

/// A case before splitting: its description, its bytes, the header to look for.
type Built = (String, Vec<u8>, Option<BlockHash>);

impl Builder<'_> {
    fn build(&mut self, class: CaseClass) -> Built {
        match class {
            CaseClass::CommandBytes => self.command_bytes(),
            CaseClass::WrongMagic => self.wrong_magic(),
            CaseClass::BadChecksum => self.bad_checksum(),
            CaseClass::DeclaredLength => self.declared_length(),
            CaseClass::Truncated => self.truncated(),
            CaseClass::TrailingBytes => self.trailing_bytes(),
            CaseClass::HeadersTxCount => self.headers_tx_count(),
            CaseClass::HeadersCount => self.headers_count(),
            CaseClass::HandshakePayload => self.handshake_payload(),
            CaseClass::OversizedVector => self.oversized_vector(),
            CaseClass::DuplicateHandshake => self.duplicate_handshake(),
            CaseClass::UnsupportedCommand => self.unsupported_command(),
            CaseClass::Headers => self.headers(),
        }
    }

    /// A well-formed frame of `name` with `payload`.
    fn good(&self, name: &[u8], payload: &[u8]) -> Vec<u8> {
        frame(
            self.magic,
            command(name),
            len32(payload),
            checksum(payload),
            payload,
        )
    }

    fn ping_payload(&mut self) -> Vec<u8> {
        self.draw.u64().to_le_bytes().to_vec()
    }

    /// 1 to `count_max` fresh regtest headers on genesis, each meeting (or, for `bad_pow`, the
    /// last missing) regtest's proof of work; times 10 minutes apart from genesis (2011).
    fn chain(&mut self, count_max: u64, bad_pow_last: bool) -> Vec<Header> {
        let count = self.draw.range(1, count_max);
        let genesis = bitcoin::blockdata::constants::genesis_block(Network::Regtest).header;
        let mut prev = genesis.block_hash();
        let mut time = genesis.time;
        let mut headers = Vec::new();
        for i in 0..count {
            time += 600;
            let mut merkle = [0u8; 32];
            merkle[..8].copy_from_slice(&self.index.to_le_bytes());
            merkle[8..].copy_from_slice(&self.draw.bytes(24));
            let mut header = Header {
                version: Version::from_consensus(0x2000_0000),
                prev_blockhash: prev,
                merkle_root: TxMerkleNode::from_byte_array(merkle),
                time,
                bits: CompactTarget::from_consensus(REGTEST_BITS),
                nonce: 0,
            };
            let want_valid = !(bad_pow_last && i + 1 == count);
            while header.validate_pow(header.target()).is_ok() != want_valid {
                header.nonce += 1;
            }
            prev = header.block_hash();
            headers.push(header);
        }
        headers
    }

    /// `headers` payload: count, then each header with a transaction count of `tx_count(i)`.
    fn headers_payload(headers: &[Header], count: u64, tx_count: impl Fn(usize) -> u64) -> Vec<u8> {
        let mut payload = serialize(&VarInt(count));
        for (i, header) in headers.iter().enumerate() {
            payload.extend(serialize(header));
            payload.extend(serialize(&VarInt(tx_count(i))));
        }
        payload
    }

    fn version_payload(&mut self) -> Vec<u8> {
        let loopback: std::net::SocketAddr = ([127, 0, 0, 1], 18444).into();
        let version = VersionMessage {
            version: node::config::PROTOCOL_VERSION,
            services: ServiceFlags::NONE,
            timestamp: 1_700_000_000,
            receiver: Address::new(&loopback, ServiceFlags::NONE),
            sender: Address::new(&loopback, ServiceFlags::NONE),
            nonce: self.draw.u64(),
            user_agent: "/wire-fuzz:0.1/".into(),
            start_height: 0,
            relay: false,
        };
        serialize(&version)
    }

    fn getheaders_payload(&mut self, locators: u64) -> Vec<u8> {
        let genesis = bitcoin::blockdata::constants::genesis_block(Network::Regtest).block_hash();
        let mut payload = node::config::PROTOCOL_VERSION.to_le_bytes().to_vec();
        payload.extend(serialize(&VarInt(locators)));
        for i in 0..locators {
            if i + 1 == locators {
                payload.extend_from_slice(genesis.as_byte_array());
            } else {
                payload.extend(self.draw.bytes(32));
            }
        }
        payload.extend_from_slice(&[0u8; 32]);
        payload
    }

    fn inv_payload(&mut self, count: u64) -> Vec<u8> {
        let mut payload = serialize(&VarInt(count));
        for _ in 0..count {
            payload.extend_from_slice(&2u32.to_le_bytes()); // MSG_BLOCK
            payload.extend(self.draw.bytes(32));
        }
        payload
    }

    fn addr_payload(&mut self, count: u64) -> Vec<u8> {
        let mut payload = serialize(&VarInt(count));
        for i in 0..count {
            payload.extend_from_slice(&1_700_000_000u32.to_le_bytes());
            payload.extend_from_slice(&1u64.to_le_bytes());
            let mut ip = [0u8; 16];
            ip[10] = 0xff;
            ip[11] = 0xff;
            ip[12..].copy_from_slice(&(0x0a00_0000u32 + i as u32).to_be_bytes());
            payload.extend_from_slice(&ip);
            payload.extend_from_slice(&8333u16.to_be_bytes());
        }
        payload
    }

    /// A known message the node reads (name and a valid payload), for the classes that bend
    /// a valid message. `headers` ones carry fresh headers; their last hash is returned.
    fn known_message(&mut self) -> (&'static [u8], Vec<u8>, Option<BlockHash>) {
        match self.draw.below(10) {
            0 | 1 => (b"ping", self.ping_payload(), None),
            2 => (b"pong", self.ping_payload(), None),
            3 | 4 => {
                let headers = self.chain(3, false);
                let last = headers.last().map(Header::block_hash);
                let n = headers.len() as u64;
                (b"headers", Self::headers_payload(&headers, n, |_| 0), last)
            }
            5 => {
                let n = self.draw.range(1, 5);
                (b"getheaders", self.getheaders_payload(n), None)
            }
            6 => (b"version", self.version_payload(), None),
            7 => (b"feefilter", 1000u64.to_le_bytes().to_vec(), None),
            8 => {
                let mut payload = vec![0u8];
                payload.extend_from_slice(&2u64.to_le_bytes());
                (b"sendcmpct", payload, None)
            }
            _ => {
                let n = self.draw.range(1, 3);
                (b"inv", self.inv_payload(n), None)
            }
        }
    }

    fn command_bytes(&mut self) -> Built {
        let (raw, label): ([u8; 12], String) = match self.draw.below(9) {
            0 => (command(b"pi\0ng"), "NUL inside `ping`".into()),
            1 => (
                command(b"ping\0\0\0\0\0\0\0x"),
                "`ping` with a byte after its NUL padding".into(),
            ),
            2 => (command(b"ping\x01"), "`ping` followed by 0x01".into()),
            3 => (command(b"\x7fping"), "DEL before `ping`".into()),
            4 => (
                command(b"ping\xff"),
                "`ping` followed by 0xff (not UTF-8)".into(),
            ),
            5 => (command(b"PING"), "upper-case `PING`".into()),
            6 => ([0u8; 12], "all-NUL (empty) command".into()),
            7 => {
                let len = self.draw.range(1, 12) as usize;
                let name: Vec<u8> = (0..len).map(|_| b'a' + self.draw.below(26) as u8).collect();
                let shown = String::from_utf8_lossy(&name).into_owned();
                (command(&name), format!("unknown command `{shown}`"))
            }
            _ => {
                let name: Vec<u8> = (0..12).map(|_| 0x20 + self.draw.below(95) as u8).collect();
                let shown = String::from_utf8_lossy(&name).into_owned();
                (
                    command(&name),
                    format!("12 printable bytes `{shown}` with no NUL"),
                )
            }
        };
        let payload = if self.draw.chance(50) {
            self.ping_payload()
        } else {
            let len = self.draw.below(40) as usize;
            self.draw.bytes(len)
        };
        let what = format!("{label}, {}-byte payload", payload.len());
        (
            what,
            frame(
                self.magic,
                raw,
                len32(&payload),
                checksum(&payload),
                &payload,
            ),
            None,
        )
    }

    fn wrong_magic(&mut self) -> Built {
        let (magic, label) = match self.draw.below(4) {
            0 => (
                bitcoin::p2p::Magic::BITCOIN.to_bytes(),
                "mainnet's magic".to_string(),
            ),
            1 => (
                bitcoin::p2p::Magic::TESTNET3.to_bytes(),
                "testnet3's magic".to_string(),
            ),
            2 => (
                bitcoin::p2p::Magic::SIGNET.to_bytes(),
                "signet's magic".to_string(),
            ),
            _ => {
                let bytes = self.draw.bytes(4);
                let magic = [bytes[0], bytes[1], bytes[2], bytes[3]];
                (magic, "random magic".to_string())
            }
        };
        let payload = self.ping_payload();
        let what = format!("`ping` with {label}");
        (
            what,
            frame(magic, command(b"ping"), 8, checksum(&payload), &payload),
            None,
        )
    }

    fn bad_checksum(&mut self) -> Built {
        let (name, payload, probe): (Vec<u8>, Vec<u8>, Option<BlockHash>) = if self.draw.chance(25)
        {
            let len = self.draw.below(20) as usize;
            (b"zzzz".to_vec(), self.draw.bytes(len), None)
        } else {
            let (name, payload, probe) = self.known_message();
            (name.to_vec(), payload, probe)
        };
        let right = checksum(&payload);
        let mut wrong = right;
        wrong[self.draw.index(4)] ^= 1 << self.draw.below(8);
        let what = format!(
            "`{}` ({} bytes) with a checksum one bit off",
            String::from_utf8_lossy(&name),
            payload.len()
        );
        let bytes = frame(self.magic, command(&name), len32(&payload), wrong, &payload);
        (what, bytes, probe)
    }

    fn declared_length(&mut self) -> Built {
        let payload = self.ping_payload();
        let (declared, label) = match self.draw.below(6) {
            0 => {
                let d = self.draw.below(8) as u32;
                (d, format!("declared {d} bytes, 8 sent"))
            }
            1 => {
                let d = 8 + self.draw.range(1, 40) as u32;
                (d, format!("declared {d} bytes, 8 sent"))
            }
            2 => (
                CORE_PAYLOAD_MAX,
                format!("declared {CORE_PAYLOAD_MAX} bytes (Core's maximum), 8 sent"),
            ),
            3 => (
                CORE_PAYLOAD_MAX + 1,
                format!(
                    "declared {} bytes (one over Core's maximum), 8 sent",
                    CORE_PAYLOAD_MAX + 1
                ),
            ),
            4 => (
                32 * 1024 * 1024 + 1,
                "declared 32 MiB + 1 (over btcd's maximum), 8 sent".to_string(),
            ),
            _ => (u32::MAX, "declared 4 GiB - 1, 8 sent".to_string()),
        };
        let sum_len = (declared as usize).min(payload.len());
        let what = format!("`ping` {label}");
        let bytes = frame(
            self.magic,
            command(b"ping"),
            declared,
            checksum(&payload[..sum_len]),
            &payload,
        );
        (what, bytes, None)
    }

    fn truncated(&mut self) -> Built {
        let (name, payload, probe) = self.known_message();
        let cut = self.draw.below(payload.len() as u64) as usize;
        let short = &payload[..cut];
        let what = format!(
            "`{}` payload cut to {cut} of {} bytes",
            String::from_utf8_lossy(name),
            payload.len()
        );
        (what, self.good(name, short), probe)
    }

    fn trailing_bytes(&mut self) -> Built {
        let (name, mut payload, probe): (&'static [u8], Vec<u8>, Option<BlockHash>) =
            match self.draw.below(4) {
                0 => (b"verack", Vec::new(), None),
                1 => (b"sendheaders", Vec::new(), None),
                _ => self.known_message(),
            };
        let extra = self.draw.range(1, 16) as usize;
        let before = payload.len();
        payload.extend(self.draw.bytes(extra));
        let what = format!(
            "`{}` with {extra} bytes after its {before}-byte payload",
            String::from_utf8_lossy(name)
        );
        (what, self.good(name, &payload), probe)
    }

    fn headers_tx_count(&mut self) -> Built {
        let headers = self.chain(3, false);
        let n = headers.len();
        let value = match self.draw.below(4) {
            0 | 1 => 1,
            2 => self.draw.range(2, 252),
            _ => self.draw.range(253, 0xffff),
        };
        let all = self.draw.chance(50);
        let which = self.draw.index(n);
        let payload = Self::headers_payload(&headers, n as u64, |i| {
            if all || i == which {
                value
            } else {
                0
            }
        });
        let whom = if all {
            "every entry".to_string()
        } else {
            format!("entry {which}")
        };
        let what = format!("`headers` with {n} entries, transaction count {value} on {whom}");
        (
            what,
            self.good(b"headers", &payload),
            headers.last().map(Header::block_hash),
        )
    }

    fn headers_count(&mut self) -> Built {
        let headers = self.chain(3, false);
        let n = headers.len() as u64;
        let last = headers.last().map(Header::block_hash);
        match self.draw.below(3) {
            0 => {
                let claimed = n + self.draw.range(1, 3);
                let payload = Self::headers_payload(&headers, claimed, |_| 0);
                (
                    format!("`headers` claiming {claimed} entries, {n} present"),
                    self.good(b"headers", &payload),
                    last,
                )
            }
            1 => {
                let claimed = n - 1;
                let payload = Self::headers_payload(&headers, claimed, |_| 0);
                (
                    format!("`headers` claiming {claimed} entries, {n} present"),
                    self.good(b"headers", &payload),
                    last,
                )
            }
            _ => {
                // The count as 0xfd and two bytes: a non-canonical compact size.
                let mut payload = vec![0xfd];
                payload.extend_from_slice(&(n as u16).to_le_bytes());
                payload.extend_from_slice(&Self::headers_payload(&headers, n, |_| 0)[1..]);
                (
                    format!("`headers` with its count {n} as a non-canonical 3-byte compact size"),
                    self.good(b"headers", &payload),
                    last,
                )
            }
        }
    }

    fn handshake_payload(&mut self) -> Built {
        let names: [&'static [u8]; 4] = [b"version", b"verack", b"ping", b"pong"];
        let name = names[self.draw.index(names.len())];
        let len = match self.draw.below(3) {
            0 => 0,
            1 => self.draw.range(1, 7) as usize,
            _ => self.draw.range(9, 120) as usize,
        };
        let payload = self.draw.bytes(len);
        let what = format!(
            "`{}` with a random {len}-byte payload",
            String::from_utf8_lossy(name)
        );
        (what, self.good(name, &payload), None)
    }

    fn oversized_vector(&mut self) -> Built {
        match self.draw.below(8) {
            0 | 1 => {
                let (count, present) = match self.draw.below(3) {
                    0 => (HEADERS_MAX + 1, HEADERS_MAX + 1),
                    1 => (HEADERS_MAX + 1, 1),
                    _ => (HEADERS_MAX + 1, 0),
                };
                // Filler entries: random 80-byte headers (they never get far enough to be
                // checked if the count is refused first).
                let mut payload = serialize(&VarInt(count));
                for _ in 0..present {
                    payload.extend(self.draw.bytes(80));
                    payload.push(0);
                }
                (
                    format!("`headers` claiming {count} entries, {present} present"),
                    self.good(b"headers", &payload),
                    None,
                )
            }
            2 | 3 => {
                let choices = [LOCATOR_CORE_MAX, LOCATOR_CORE_MAX + 1, 500, 501];
                let n = choices[self.draw.index(choices.len())];
                let payload = self.getheaders_payload(n);
                (
                    format!("`getheaders` with {n} locator hashes"),
                    self.good(b"getheaders", &payload),
                    None,
                )
            }
            4 | 5 => {
                let names: [&'static [u8]; 3] = [b"inv", b"getdata", b"notfound"];
                let name = names[self.draw.index(names.len())];
                let n = if self.draw.chance(50) {
                    INV_MAX
                } else {
                    INV_MAX + 1
                };
                let payload = self.inv_payload(n);
                (
                    format!("`{}` with {n} entries", String::from_utf8_lossy(name)),
                    self.good(name, &payload),
                    None,
                )
            }
            _ => {
                let n = if self.draw.chance(50) {
                    ADDR_MAX
                } else {
                    ADDR_MAX + 1
                };
                let payload = self.addr_payload(n);
                (
                    format!("`addr` with {n} entries"),
                    self.good(b"addr", &payload),
                    None,
                )
            }
        }
    }

    fn duplicate_handshake(&mut self) -> Built {
        match self.draw.below(6) {
            0 => {
                let payload = self.version_payload();
                (
                    "a second valid `version`".into(),
                    self.good(b"version", &payload),
                    None,
                )
            }
            1 => ("a second `verack`".into(), self.good(b"verack", &[]), None),
            2 => (
                "`wtxidrelay` after `verack`".into(),
                self.good(b"wtxidrelay", &[]),
                None,
            ),
            3 => (
                "`sendaddrv2` after `verack`".into(),
                self.good(b"sendaddrv2", &[]),
                None,
            ),
            4 => {
                let mut bytes = self.good(b"sendheaders", &[]);
                bytes.extend(self.good(b"sendheaders", &[]));
                ("`sendheaders` twice".into(), bytes, None)
            }
            _ => {
                let mut payload = vec![1u8];
                payload.extend_from_slice(&2u64.to_le_bytes());
                let mut bytes = self.good(b"sendcmpct", &payload);
                bytes.extend(self.good(b"sendcmpct", &payload));
                ("`sendcmpct` twice".into(), bytes, None)
            }
        }
    }

    fn unsupported_command(&mut self) -> Built {
        let names: [&'static [u8]; 19] = [
            b"filterload",
            b"filteradd",
            b"filterclear",
            b"mempool",
            b"getcfilters",
            b"getcfheaders",
            b"getcfcheckpt",
            b"getblocks",
            b"getdata",
            b"tx",
            b"block",
            b"cmpctblock",
            b"getblocktxn",
            b"blocktxn",
            b"notfound",
            b"addrv2",
            b"getaddr",
            b"reject",
            b"alert",
        ];
        let name = names[self.draw.index(names.len())];
        let payload = match self.draw.below(3) {
            0 => Vec::new(),
            1 => {
                let len = self.draw.range(1, 64) as usize;
                self.draw.bytes(len)
            }
            _ => match name {
                b"getdata" | b"notfound" => self.inv_payload(1),
                b"getblocks" => self.getheaders_payload(1),
                b"addrv2" => serialize(&VarInt(0)),
                b"filterload" => {
                    // An empty filter: 0 bytes of filter, 0 hash functions, tweak, flags.
                    let mut p = serialize(&VarInt(0));
                    p.extend_from_slice(&[0u8; 9]);
                    p
                }
                b"getcfilters" | b"getcfheaders" => {
                    let mut p = vec![0u8];
                    p.extend_from_slice(&0u32.to_le_bytes());
                    p.extend_from_slice(&[0u8; 32]);
                    p
                }
                b"getcfcheckpt" => {
                    let mut p = vec![0u8];
                    p.extend_from_slice(&[0u8; 32]);
                    p
                }
                _ => Vec::new(),
            },
        };
        let what = format!(
            "`{}` with a {}-byte payload",
            String::from_utf8_lossy(name),
            payload.len()
        );
        (what, self.good(name, &payload), None)
    }

    fn headers(&mut self) -> Built {
        match self.draw.below(4) {
            0 | 1 => {
                let headers = self.chain(3, false);
                let n = headers.len() as u64;
                let payload = Self::headers_payload(&headers, n, |_| 0);
                (
                    format!("valid `headers`: {n} on genesis"),
                    self.good(b"headers", &payload),
                    headers.last().map(Header::block_hash),
                )
            }
            2 => {
                let headers = self.chain(3, true);
                let n = headers.len() as u64;
                let payload = Self::headers_payload(&headers, n, |_| 0);
                (
                    format!("`headers`: {n} on genesis, the last missing regtest's proof of work"),
                    self.good(b"headers", &payload),
                    headers.last().map(Header::block_hash),
                )
            }
            _ => {
                let mut headers = self.chain(3, false);
                let last = headers.last().map(Header::block_hash);
                let label = if headers.len() > 1 && self.draw.chance(50) {
                    headers.swap(0, 1);
                    "out of order (entries 0 and 1 swapped)"
                } else {
                    headers.remove(0);
                    "not connecting (the first entry left out)"
                };
                let n = headers.len() as u64;
                let payload = Self::headers_payload(&headers, n, |_| 0);
                let probe = if n == 0 { None } else { last };
                (
                    format!("`headers` {label}, {n} entries"),
                    self.good(b"headers", &payload),
                    probe,
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_case_is_the_same_when_generated_again_and_alone() {
        let first: Vec<WireCase> = (0..200).map(|i| generate(7, i)).collect();
        let again: Vec<WireCase> = (0..200).rev().map(|i| generate(7, i)).collect();
        let again: Vec<WireCase> = again.into_iter().rev().collect();
        assert_eq!(first, again);
        assert_ne!(generate(7, 0), generate(8, 0));
    }

    #[test]
    fn every_class_is_drawn_in_a_few_hundred_cases() {
        let drawn: std::collections::BTreeSet<CaseClass> =
            (0..500).map(|i| generate(1, i).class).collect();
        assert_eq!(drawn.len(), CaseClass::ALL.len(), "drawn: {drawn:?}");
    }

    #[test]
    fn pieces_put_together_are_the_frame() {
        for i in 0..300 {
            let case = generate(3, i);
            assert!(!case.pieces.is_empty());
            assert!(
                case.pieces.iter().all(|p| !p.is_empty()),
                "case {i}: an empty piece"
            );
            assert!(
                case.bytes().len() >= FRAME_HEADER_BYTES,
                "case {i}: {}",
                case.what
            );
        }
    }

    #[test]
    fn valid_headers_cases_decode_with_rust_bitcoin_and_meet_the_proof_of_work() {
        let mut seen = 0;
        for i in 0..400 {
            let case = generate(5, i);
            if case.class != CaseClass::Headers || !case.what.starts_with("valid") {
                continue;
            }
            seen += 1;
            let mut decoder = node::wire::FrameDecoder::new(bitcoin::p2p::Magic::REGTEST);
            decoder.extend(&case.bytes());
            let Ok(Some(node::wire::NetworkMessage::Headers(headers))) = decoder.decode_next()
            else {
                panic!("case {i} does not decode: {}", case.what);
            };
            assert_eq!(headers.last().map(Header::block_hash), case.probe_header);
            for header in &headers {
                header
                    .validate_pow(header.target())
                    .expect("meets regtest's target");
            }
        }
        assert!(seen > 5, "only {seen} valid headers cases");
    }
}
