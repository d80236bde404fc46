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
    /// Any other message: its command only.
    Command(String),
}

impl WireFact {
    /// The key fields of `message`, as rust-bitcoin decoded it.
    pub fn of(message: &NetworkMessage) -> WireFact {
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
            other => WireFact::Command(other.command().to_string()),
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
                Ok(raw) => self.messages.push(WireFact::of(raw.payload())),
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
                WireFact::Command("verack".into()),
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
}
