//! The frames of each [`CaseClass`]: rust-bitcoin's encodings of the messages (headers,
//! compact sizes, the SHA256d checksum), then bent as the class says.

use bitcoin::block::{Header, Version};
use bitcoin::consensus::encode::{serialize, VarInt};
use bitcoin::hashes::{sha256d, Hash};
use bitcoin::p2p::message_network::VersionMessage;
use bitcoin::p2p::{Address, ServiceFlags};
use bitcoin::{BlockHash, CompactTarget, Network, TxMerkleNode};

use super::cases::{CaseClass, FRAME_HEADER_BYTES};
use crate::tools::draw::Draw;

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

pub(super) struct Builder<'a> {
    draw: &'a mut Draw,
    magic: [u8; 4],
    index: u64,
}

/// A case before splitting: its description, its bytes, the header to look for.
type Built = (String, Vec<u8>, Option<BlockHash>);

impl<'a> Builder<'a> {
    /// A builder drawing from `draw`, writing frames with `magic`, for case `index`.
    pub(super) fn new(draw: &'a mut Draw, magic: [u8; 4], index: u64) -> Builder<'a> {
        Builder { draw, magic, index }
    }

    /// The case of `class`: its description, its bytes, and the header to look for.
    pub(super) fn build(&mut self, class: CaseClass) -> Built {
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
