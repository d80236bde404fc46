//! What a fake peer wrote on each connection, read back by rust-bitcoin's own decoder: the
//! independent account of the byte stream the node read, which the `node_reads_what_was_written`
//! invariant compares with what the node says it received.

use std::collections::BTreeMap;

use bitcoin::consensus::Decodable;
use bitcoin::p2p::message::{NetworkMessage, RawNetworkMessage};
use bitcoin::BlockHash;

/// Bytes of a frame header: magic, command, length, checksum.
const FRAME_HEADER_BYTES: usize = 24;
/// Largest payload read back: rust-bitcoin's limit (`MAX_MSG_SIZE`, 5,000,000 bytes) and above
/// both profiles' (Core 4,000,000; btcd 32 MiB only for unknown messages, which it reads and
/// drops). A larger declared length ends the account.
const PAYLOAD_BYTES_MAX: usize = 5_000_000;

/// The key fields of one message, the same as the node's trace shows them
/// (`node::protocol::MessageSummary` carries these and more).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WireFact {
    /// `version`.
    Version {
        /// Protocol version.
        version: u32,
        /// Service bits.
        services: u64,
        /// Advertised best height.
        start_height: i32,
        /// Connection nonce.
        nonce: u64,
        /// User agent.
        user_agent: String,
    },
    /// `getheaders`: its first locator hash and its stop hash.
    GetHeaders {
        /// The first locator hash, if any.
        first_locator: Option<BlockHash>,
        /// The stop hash.
        stop_hash: BlockHash,
    },
    /// `headers`: how many, and the hashes of the first and last.
    Headers {
        /// Headers in the message.
        count: usize,
        /// Hashes of the first and last header.
        ends: Option<(BlockHash, BlockHash)>,
    },
    /// `ping` with its nonce.
    Ping(u64),
    /// `pong` with its nonce.
    Pong(u64),
    /// A message whose payload is not compared: an unknown command (rust-bitcoin keeps its
    /// bytes), a `reject`, or, on the node's side, a message its dialect kept undecoded.
    Command(String),
    /// Any other message rust-bitcoin decodes, as the fake peer wrote it.
    Payload(PayloadFact),
    /// Any other message, as the node's trace reports it: its command and the digest of what
    /// the node decoded (`node::protocol::events::payload_digest`).
    Decoded {
        /// The command.
        command: String,
        /// The digest of the decoded payload.
        digest: u64,
    },
}

/// What rust-bitcoin read from one frame of a command without key fields: enough to compare
/// the node's reading of it and to judge whether btcd reads it (`invariants/wire.rs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadFact {
    /// The command.
    pub command: String,
    /// The digest of the payload as rust-bitcoin encodes the decoded message (the same
    /// function as the node's, `node::protocol::events::payload_digest`, over the other
    /// decoder's result).
    pub digest: u64,
    /// The digest of the message as btcd keeps it: an `addrv2` without the entries btcd reads
    /// and skips (I2P, CJDNS and networks it does not know, `readNetAddressV2`); `digest`
    /// for every other message.
    pub btcd_digest: u64,
    /// Whether the decoding read the payload to its last byte (the message encodes back to as
    /// many bytes as the frame declared): btcd refuses bytes left over.
    pub whole: bool,
    /// The length of the message's list (addresses, inventory items, locator hashes) or of
    /// its data (`filteradd`'s bytes, `filterload`'s filter); 0 for a message with neither.
    pub entries: u64,
    /// `filterload`'s number of hash functions; 0 for any other message.
    pub hash_funcs: u32,
    /// For a `reject`, the command it rejects (btcd reads a hash after the reason only for
    /// `block` and `tx`); `None` for any other message.
    pub reject_of: Option<String>,
}

impl PayloadFact {
    /// The fact of `message`, decoded from a payload of `payload_bytes`.
    pub fn of(message: &NetworkMessage, payload_bytes: usize) -> PayloadFact {
        let encoded = bitcoin::consensus::serialize(message);
        let digest = digest_of(&encoded);
        let btcd_digest = match message {
            NetworkMessage::AddrV2(entries) => {
                use bitcoin::p2p::address::AddrV2;
                let kept: Vec<_> = entries
                    .iter()
                    .filter(|e| {
                        !matches!(
                            e.addr,
                            AddrV2::I2p(_) | AddrV2::Cjdns(_) | AddrV2::Unknown(..)
                        )
                    })
                    .cloned()
                    .collect();
                digest_of(&bitcoin::consensus::serialize(&NetworkMessage::AddrV2(
                    kept,
                )))
            }
            // btcd reads the hash of a reject of a block or tx only; any other keeps zeros.
            NetworkMessage::Reject(r) if !matches!(r.message.as_ref(), "block" | "tx") => {
                let mut kept = r.clone();
                kept.hash = <bitcoin::hashes::sha256d::Hash as bitcoin::hashes::Hash>::all_zeros();
                digest_of(&bitcoin::consensus::serialize(&NetworkMessage::Reject(
                    kept,
                )))
            }
            _ => digest,
        };
        let (entries, hash_funcs) = match message {
            NetworkMessage::Addr(list) => (list.len(), 0),
            NetworkMessage::AddrV2(list) => (list.len(), 0),
            NetworkMessage::Inv(list)
            | NetworkMessage::GetData(list)
            | NetworkMessage::NotFound(list) => (list.len(), 0),
            NetworkMessage::GetBlocks(g) => (g.locator_hashes.len(), 0),
            NetworkMessage::FilterAdd(f) => (f.data.len(), 0),
            NetworkMessage::FilterLoad(f) => (f.filter.len(), f.hash_funcs),
            _ => (0, 0),
        };
        PayloadFact {
            command: message.command().to_string(),
            digest,
            btcd_digest,
            whole: encoded.len() == payload_bytes,
            entries: entries as u64,
            hash_funcs,
            reject_of: match message {
                NetworkMessage::Reject(r) => Some(r.message.to_string()),
                _ => None,
            },
        }
    }
}

/// The first eight bytes (little-endian) of the SHA-256 of `payload`.
fn digest_of(payload: &[u8]) -> u64 {
    use bitcoin::hashes::{sha256, Hash};
    let digest = sha256::Hash::hash(payload).to_byte_array();
    u64::from_le_bytes(digest[..8].try_into().expect("a digest has 32 bytes"))
}

impl WireFact {
    /// The key fields of `message`, as rust-bitcoin decoded it from a payload of
    /// `payload_bytes`.
    pub fn of(message: &NetworkMessage, payload_bytes: usize) -> WireFact {
        match message {
            NetworkMessage::Version(v) => WireFact::Version {
                version: v.version,
                services: v.services.to_u64(),
                start_height: v.start_height,
                nonce: v.nonce,
                user_agent: v.user_agent.clone(),
            },
            NetworkMessage::GetHeaders(g) => WireFact::GetHeaders {
                first_locator: g.locator_hashes.first().copied(),
                stop_hash: g.stop_hash,
            },
            NetworkMessage::Headers(headers) => WireFact::Headers {
                count: headers.len(),
                ends: headers
                    .first()
                    .zip(headers.last())
                    .map(|(a, b)| (a.block_hash(), b.block_hash())),
            },
            NetworkMessage::Ping(nonce) => WireFact::Ping(*nonce),
            NetworkMessage::Pong(nonce) => WireFact::Pong(*nonce),
            NetworkMessage::Unknown { .. } => WireFact::Command(message.command().to_string()),
            other => WireFact::Payload(PayloadFact::of(other, payload_bytes)),
        }
    }
}

/// One connection's written bytes, read back frame by frame.
#[derive(Debug, Clone, Default)]
pub struct WrittenStream {
    /// Bytes written but not yet a whole frame.
    pending: Vec<u8>,
    /// The messages read back, in order.
    pub messages: Vec<WireFact>,
    /// Set at the first bytes rust-bitcoin does not read as a frame (a broken frame, garbage, a
    /// message it cannot decode): nothing after them is accounted for.
    pub broken: bool,
    /// When (simulated ms since the start) the peer closed the connection by a script's
    /// `close` step, if it did.
    pub closed_at_ms: Option<u64>,
}

impl WrittenStream {
    /// Takes `bytes` written next and reads back every frame they complete.
    pub fn extend(&mut self, bytes: &[u8]) {
        if self.broken {
            return;
        }
        self.pending.extend_from_slice(bytes);
        loop {
            if self.pending.len() < FRAME_HEADER_BYTES {
                return;
            }
            let declared = u32::from_le_bytes(
                self.pending[16..20]
                    .try_into()
                    .expect("a frame header holds its length at 16..20"),
            ) as usize;
            if declared > PAYLOAD_BYTES_MAX {
                self.broken = true;
                return;
            }
            let whole = FRAME_HEADER_BYTES + declared;
            if self.pending.len() < whole {
                return;
            }
            let frame: Vec<u8> = self.pending.drain(..whole).collect();
            match RawNetworkMessage::consensus_decode(&mut frame.as_slice()) {
                Ok(raw) => self.messages.push(WireFact::of(raw.payload(), declared)),
                Err(_) => {
                    self.broken = true;
                    self.pending.clear();
                    return;
                }
            }
        }
    }
}

/// Every connection's stream of one fake peer, by connection number.
pub type WrittenStreams = BTreeMap<u64, WrittenStream>;

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::p2p::Magic;

    fn frame(message: NetworkMessage) -> Vec<u8> {
        bitcoin::consensus::serialize(&RawNetworkMessage::new(Magic::REGTEST, message))
    }

    #[test]
    fn frames_are_read_back_whatever_the_writes_cut_them_into_and_garbage_ends_the_account() {
        let mut bytes = frame(NetworkMessage::Ping(7));
        bytes.extend(frame(NetworkMessage::Verack));
        bytes.extend(frame(NetworkMessage::Pong(9)));
        let mut stream = WrittenStream::default();
        for piece in bytes.chunks(5) {
            stream.extend(piece);
        }
        assert_eq!(
            stream.messages,
            vec![
                WireFact::Ping(7),
                WireFact::Payload(PayloadFact::of(&NetworkMessage::Verack, 0)),
                WireFact::Pong(9)
            ]
        );
        assert!(!stream.broken);
        // A corrupt checksum breaks the account; what follows is not read.
        let mut bad = frame(NetworkMessage::Ping(1));
        bad[20] ^= 0xff;
        stream.extend(&bad);
        stream.extend(&frame(NetworkMessage::Ping(2)));
        assert!(stream.broken);
        assert_eq!(stream.messages.len(), 3);
    }

    #[test]
    fn a_payload_fact_names_what_btcd_keeps_and_whether_the_payload_was_read_whole() {
        use bitcoin::p2p::address::{AddrV2, AddrV2Message};
        use bitcoin::p2p::ServiceFlags;
        let entry = |addr| AddrV2Message {
            time: 1,
            services: ServiceFlags::NETWORK,
            addr,
            port: 8333,
        };
        let ipv4 = entry(AddrV2::Ipv4(std::net::Ipv4Addr::new(10, 0, 0, 1)));
        let both = NetworkMessage::AddrV2(vec![
            ipv4.clone(),
            entry(AddrV2::Cjdns(std::net::Ipv6Addr::LOCALHOST)),
        ]);
        let length = bitcoin::consensus::serialize(&both).len();
        let fact = PayloadFact::of(&both, length);
        assert!(fact.whole);
        assert_eq!(fact.entries, 2);
        // btcd skips the CJDNS entry: its reading is the IPv4 entry alone.
        let alone = PayloadFact::of(&NetworkMessage::AddrV2(vec![ipv4]), 0);
        assert_eq!(fact.btcd_digest, alone.digest);
        assert_ne!(fact.digest, fact.btcd_digest);
        // A frame longer than the message: bytes were left over.
        assert!(!PayloadFact::of(&both, length + 1).whole);
    }
}
