//! Message framing for the Bitcoin P2P v1 transport (sans-IO).
//!
//! A frame is a 24-byte header followed by a payload:
//!
//! ```text
//! magic (4 bytes, as on the wire) | command (12 bytes, ASCII, NUL-padded)
//! | payload length (u32 little-endian) | checksum (first 4 bytes of SHA256d(payload))
//! ```
//!
//! [`FrameDecoder`] parses the header by hand so that a frame from another network, with a
//! malformed command or with an oversized length is refused before its payload is decoded. The
//! payload itself is decoded by rust-bitcoin, or read field by field as the imitated
//! implementation reads it.
//!
//! Three dialects ([`Dialect`]) read the same bytes, differently where btcd and Bitcoin Core
//! do:
//! - [`Dialect::Plain`], for tools that read any node's output: every header field checked
//!   before the payload, the payload decoded whole by rust-bitcoin (bytes left over refuse it),
//!   unknown commands returned as [`NetworkMessage::Unknown`];
//! - [`Dialect::Btcd`]: btcd v0.26's order of checks and its decoding of each payload at the
//!   connection's protocol version ([`btcd_read`], [`btcd_payload`]);
//! - [`Dialect::Core`]: only the magic and the length checked before the payload, a frame with
//!   invalid command bytes skipped once complete, payloads read as Core's handlers read them
//!   ([`core_read`]).
//!
//! This is the only module of the node that imports `bitcoin::p2p` (the module moves to a
//! separate crate in bitcoin 0.33); everything else uses the re-exports below.

pub mod btcd_payload;
pub mod btcd_read;
pub mod core_read;

use bitcoin::consensus::encode;
use bitcoin::hashes::{sha256d, Hash};
use bitcoin::hex::DisplayHex;

pub use bitcoin::p2p::address::{AddrV2, AddrV2Message, Address};
pub use bitcoin::p2p::message::{CommandString, NetworkMessage, RawNetworkMessage};
pub use bitcoin::p2p::message_blockdata::{GetHeadersMessage, Inventory};
pub use bitcoin::p2p::message_compact_blocks::SendCmpct;
pub use bitcoin::p2p::message_network::{Reject, RejectReason, VersionMessage};
pub use bitcoin::p2p::{Magic, ServiceFlags};

/// Longest user agent accepted in a peer's `version`, in bytes: btcd `MaxUserAgentLen`
/// (`wire/msgversion.go`), Bitcoin Core `MAX_SUBVERSION_LENGTH` (`src/net.h`).
pub const USER_AGENT_BYTES_MAX: usize = 256;

/// Size of a message header in bytes: magic (4) + command (12) + length (4) + checksum (4).
///
/// btcd `wire/message.go` `MessageHeaderSize`; Bitcoin Core `src/protocol.h`
/// `CMessageHeader::HEADER_SIZE`.
pub const HEADER_SIZE_BYTES: usize = 24;

/// Size of the command field of a message header in bytes.
///
/// btcd `wire/message.go` `CommandSize`; Bitcoin Core `src/protocol.h`
/// `CMessageHeader::MESSAGE_TYPE_SIZE`.
pub const COMMAND_SIZE_BYTES: usize = 12;

/// Largest payload length accepted in a message header, in bytes; a header announcing more is
/// rejected before the payload is read.
///
/// Bitcoin Core `src/net.h` `MAX_PROTOCOL_MESSAGE_LENGTH` (4 * 1000 * 1000); btcd v0.26
/// `wire/message.go` `MaxProtocolMessageLength`.
pub const PAYLOAD_SIZE_BYTES_MAX: usize = 4_000_000;

/// Most headers a `headers` message may carry; a full message means "ask for more".
///
/// The btcd and Core dialects refuse a message announcing more from its count; the plain one
/// leaves it to the protocol layer. Bitcoin Core `src/net_processing.cpp`
/// `MAX_HEADERS_RESULTS`; btcd `wire/msgheaders.go` `MaxBlockHeadersPerMsg`.
pub const HEADERS_PER_MESSAGE_MAX: usize = 2000;

/// Most block locator hashes a `getheaders` message may carry.
///
/// The btcd dialect refuses a message announcing more from its count; otherwise the protocol
/// layer enforces it. btcd `wire/msggetblocks.go` `MaxBlockLocatorsPerMsg` (Bitcoin Core's
/// `MAX_LOCATOR_SZ` in `src/net_processing.cpp`, [`crate::config::CORE_LOCATOR_HASHES_MAX`],
/// is 101).
pub const LOCATOR_HASHES_MAX: usize = 500;

// The header layout below relies on these sizes adding up.
const _: () = assert!(4 + COMMAND_SIZE_BYTES + 4 + 4 == HEADER_SIZE_BYTES);
// A maximal frame must fit the u32 length field.
const _: () = assert!(PAYLOAD_SIZE_BYTES_MAX <= u32::MAX as usize);

/// Byte offsets of the header fields.
const COMMAND_OFFSET: usize = 4;
const LENGTH_OFFSET: usize = COMMAND_OFFSET + COMMAND_SIZE_BYTES;
const CHECKSUM_OFFSET: usize = LENGTH_OFFSET + 4;

/// The network magic of `network` (the 4 bytes that start every frame).
///
/// Values as in Bitcoin Core `src/kernel/chainparams.cpp` `pchMessageStart` and btcd
/// `wire/protocol.go` (e.g. regtest `fa bf b5 da` on the wire).
pub fn magic_for(network: bitcoin::Network) -> Magic {
    Magic::from(network)
}

/// Why a byte stream could not be decoded into messages.
///
/// Every variant is caused by the peer; what the node does with it is its profile's choice
/// (`Node::handle_frame_error`). Byte arrays are shown in hex in the order they appear on the
/// wire.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// The frame starts with another network's magic (or is not a frame at all).
    #[error("wrong magic {} (expected {})", .got.to_lower_hex_string(), .expected.to_lower_hex_string())]
    WrongMagic {
        /// The 4 magic bytes received.
        got: [u8; 4],
        /// Our network's magic bytes.
        expected: [u8; 4],
    },
    /// The header announces a payload longer than [`PAYLOAD_SIZE_BYTES_MAX`].
    #[error(
        "payload length {length_bytes} bytes for `{command}` exceeds the \
         {PAYLOAD_SIZE_BYTES_MAX}-byte maximum"
    )]
    PayloadTooLarge {
        /// The command of the frame.
        command: String,
        /// The payload length announced in the header, in bytes.
        length_bytes: u64,
    },
    /// The command field is not printable ASCII (0x20..=0x7e) followed only by NUL padding
    /// (Bitcoin Core `src/protocol.cpp` `CMessageHeader::IsMessageTypeValid`).
    #[error(
        "invalid command bytes {}: not printable ASCII followed only by NUL padding",
        .raw.to_lower_hex_string()
    )]
    InvalidCommand {
        /// The 12 command bytes received.
        raw: [u8; 12],
        /// Whether the frame's payload was read and skipped, so that the stream goes on (the
        /// [`Dialect::Core`] decoder, as Core's `V1Transport` does); otherwise the stream
        /// stops here ([`Dialect::Plain`]).
        payload_skipped: bool,
    },
    /// btcd: the command field, its trailing NULs trimmed, is not valid UTF-8
    /// (`readMessageWithEncodingNInternal`). The frame was read and skipped.
    #[error("invalid command bytes {}: not valid UTF-8", .raw.to_lower_hex_string())]
    CommandNotUtf8 {
        /// The 12 command bytes received.
        raw: [u8; 12],
    },
    /// btcd: the header announces more than the command's `MaxPayloadLength` at the
    /// connection's protocol version ([`btcd_payload::payload_length_max`]). The frame was read
    /// and skipped.
    #[error(
        "payload length {length_bytes} bytes for `{command}` exceeds its \
         {length_bytes_max}-byte maximum"
    )]
    CommandPayloadTooLarge {
        /// The command of the frame.
        command: String,
        /// The payload length announced in the header, in bytes.
        length_bytes: u64,
        /// The command's maximum, in bytes.
        length_bytes_max: u64,
    },
    /// A `headers` message announcing more than [`HEADERS_PER_MESSAGE_MAX`] entries, refused
    /// from its count before any entry is read ([`Dialect::Core`]: Core's `ProcessMessage`
    /// treats it as misbehaviour, "headers message size"). The frame was consumed.
    #[error("headers message with {count} headers (max {HEADERS_PER_MESSAGE_MAX})")]
    TooManyHeaders {
        /// The count the message announced.
        count: u64,
    },
    /// The checksum in the header does not match the payload.
    #[error(
        "bad checksum for `{command}`: header says {}, payload hashes to {}",
        .got.to_lower_hex_string(),
        .expected.to_lower_hex_string()
    )]
    BadChecksum {
        /// The command of the frame.
        command: String,
        /// The checksum computed from the payload (first 4 bytes of its SHA256d).
        expected: [u8; 4],
        /// The checksum carried in the header.
        got: [u8; 4],
    },
    /// The payload of a known command failed `bitcoin::consensus` decoding: truncated, extra
    /// bytes after the message, a `headers` entry with a non-zero transaction count, a
    /// non-minimal compact size, and so on.
    #[error("undecodable `{command}` payload: {reason}")]
    Undecodable {
        /// The command of the frame.
        command: String,
        /// rust-bitcoin's description of the failure.
        reason: String,
    },
    /// btcd: the payload of a known command failed btcd's decoding, or left bytes unread
    /// ([`btcd_payload::read`]); the error says how, as btcd's `inHandler` tells them apart.
    #[error("undecodable `{command}` payload: {error}")]
    BtcdPayload {
        /// The command of the frame.
        command: String,
        /// btcd's error.
        error: btcd_payload::BtcdReadError,
    },
}

/// The checked fields of a 24-byte frame header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameHeader {
    /// The command, without its NUL padding.
    pub command: String,
    /// The announced payload length in bytes (at most [`PAYLOAD_SIZE_BYTES_MAX`]).
    pub payload_len: usize,
    /// The announced checksum: the first 4 bytes of the payload's double SHA-256.
    pub checksum: [u8; 4],
}

impl FrameHeader {
    /// Whether `payload` hashes to the announced checksum.
    pub fn checksum_matches(&self, payload: &[u8]) -> bool {
        checksum_of(payload) == self.checksum
    }
}

/// Parses and checks a 24-byte frame header as [`Dialect::Plain`] does: magic first, then the
/// command bytes, then the announced length.
///
/// # Errors
/// [`DecodeError::WrongMagic`], [`DecodeError::InvalidCommand`] or
/// [`DecodeError::PayloadTooLarge`], as [`FrameDecoder`] reports them.
pub fn parse_header(
    magic: Magic,
    header: &[u8; HEADER_SIZE_BYTES],
) -> Result<FrameHeader, DecodeError> {
    let mut got_magic = [0u8; 4];
    got_magic.copy_from_slice(&header[..COMMAND_OFFSET]);
    if got_magic != magic.to_bytes() {
        return Err(DecodeError::WrongMagic {
            got: got_magic,
            expected: magic.to_bytes(),
        });
    }

    let mut raw_command = [0u8; COMMAND_SIZE_BYTES];
    raw_command.copy_from_slice(&header[COMMAND_OFFSET..LENGTH_OFFSET]);
    let command = command_from_bytes(&raw_command).ok_or(DecodeError::InvalidCommand {
        raw: raw_command,
        payload_skipped: false,
    })?;

    let mut length_bytes = [0u8; 4];
    length_bytes.copy_from_slice(&header[LENGTH_OFFSET..CHECKSUM_OFFSET]);
    let length = u32::from_le_bytes(length_bytes);
    // Lossless: usize is at least 32 bits on every target rust-bitcoin supports.
    let payload_len = length as usize;
    if payload_len > PAYLOAD_SIZE_BYTES_MAX {
        return Err(DecodeError::PayloadTooLarge {
            command,
            length_bytes: u64::from(length),
        });
    }

    let mut checksum = [0u8; 4];
    checksum.copy_from_slice(&header[CHECKSUM_OFFSET..]);
    Ok(FrameHeader {
        command,
        payload_len,
        checksum,
    })
}

/// The command as a string if `raw` is printable ASCII followed only by NUL padding, as
/// Bitcoin Core's `CMessageHeader::IsMessageTypeValid` requires (an all-NUL field is valid
/// there too and yields the empty command).
fn command_from_bytes(raw: &[u8; COMMAND_SIZE_BYTES]) -> Option<String> {
    let text_len = raw
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(COMMAND_SIZE_BYTES);
    let (text, padding) = raw.split_at(text_len);
    let printable = text.iter().all(|&b| (0x20..=0x7e).contains(&b));
    let padded = padding.iter().all(|&b| b == 0);
    if !(printable && padded) {
        return None;
    }
    // Printable ASCII is valid UTF-8, so this never fails; no panic on peer data regardless.
    std::str::from_utf8(text).ok().map(str::to_owned)
}

/// First 4 bytes of SHA256d of `payload`, the frame checksum.
fn checksum_of(payload: &[u8]) -> [u8; 4] {
    let hash = sha256d::Hash::hash(payload).to_byte_array();
    [hash[0], hash[1], hash[2], hash[3]]
}

/// `payload` of `command` as rust-bitcoin decodes it (its own checksum computed, so only the
/// payload is judged); an unknown command comes back as [`NetworkMessage::Unknown`].
///
/// # Errors
/// rust-bitcoin's error chain ([`error_chain`]).
fn decode_with_rust_bitcoin(
    command: &CommandString,
    payload: &[u8],
) -> Result<NetworkMessage, String> {
    // rust-bitcoin writes an unknown message's payload verbatim, whatever its command; the
    // magic is irrelevant here.
    let frame = encode(
        Magic::REGTEST,
        NetworkMessage::Unknown {
            command: command.clone(),
            payload: payload.to_vec(),
        },
    );
    encode::deserialize::<RawNetworkMessage>(&frame)
        .map(RawNetworkMessage::into_payload)
        .map_err(|error| error_chain(&error))
}

/// `error` and its sources joined by ": " (rust-bitcoin's I/O error says only "IO error"; the
/// detail, e.g. "I/O Error: UnexpectedEof" for a truncated payload, is in its source).
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// An incremental frame decoder for one connection, fed with byte chunks of any size.
///
/// Call [`FrameDecoder::extend`] with each chunk read from the socket, then
/// [`FrameDecoder::decode_next`] until it returns `Ok(None)`. Only the bytes of the frame being
/// assembled stay buffered (plus whatever the caller extends beyond it), so a peer can make us
/// hold at most one header plus [`PAYLOAD_SIZE_BYTES_MAX`] bytes plus one read chunk.
///
/// After an error the decoder either goes on with the next frame (the bad one skipped) or is
/// poisoned: every later `decode_next` returns the same error and `extend` discards its input,
/// since the stream has lost its frame boundaries ([`FrameDecoder::is_poisoned`]). The caller
/// decides whether to drop the peer.
#[derive(Debug)]
pub struct FrameDecoder {
    magic: Magic,
    dialect: Dialect,
    /// Received bytes; those before `read_offset` belong to frames already returned.
    buffer: Vec<u8>,
    /// Start of the first byte not yet consumed by a decoded frame.
    read_offset: usize,
    /// The error that poisoned the decoder, if any.
    poisoned: Option<DecodeError>,
    /// What a btcd connection reads with ([`Dialect::Btcd`] only).
    btcd: btcd_read::ReadState,
}

/// Whose reading of the bytes a [`FrameDecoder`] follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    /// rust-bitcoin's reading, for tools that read any node's output: magic, command bytes
    /// (printable ASCII, then NUL padding) and length are checked from the 24 header bytes, and
    /// a failure ends the stream; a payload is decoded whole and bytes left over refuse it;
    /// unknown commands come back as [`NetworkMessage::Unknown`].
    #[default]
    Plain,
    /// btcd v0.26 (`wire/message.go` `readMessageWithEncodingNInternal`): its order of checks,
    /// its skipping of unknown commands, its per-command limits and decoding at the
    /// connection's protocol version ([`btcd_read`]).
    Btcd,
    /// Bitcoin Core (`src/net.cpp` `V1Transport`): magic and length are checked from the
    /// header; a frame with invalid command bytes or a bad checksum is read to its end and
    /// skipped; a payload is read as Core's handlers read it ([`core_read`]).
    Core,
}

impl FrameDecoder {
    /// A decoder that accepts frames carrying `magic` only and reads them as rust-bitcoin does
    /// ([`Dialect::Plain`]).
    pub fn new(magic: Magic) -> Self {
        FrameDecoder::with_dialect(magic, Dialect::Plain)
    }

    /// A decoder that accepts frames carrying `magic` only and reads them in `dialect`.
    pub fn with_dialect(magic: Magic, dialect: Dialect) -> Self {
        FrameDecoder {
            magic,
            dialect,
            buffer: Vec::new(),
            read_offset: 0,
            poisoned: None,
            btcd: btcd_read::ReadState::default(),
        }
    }

    /// Appends `bytes` (a chunk of the stream, of any length) to the internal buffer.
    ///
    /// Consumed bytes are dropped from the front of the buffer once they are at least as many
    /// as the unconsumed ones, so feeding a large frame one byte at a time costs amortised
    /// linear time.
    pub fn extend(&mut self, bytes: &[u8]) {
        if self.poisoned.is_some() {
            return;
        }
        if self.read_offset == self.buffer.len() {
            self.buffer.clear();
            self.read_offset = 0;
        } else if self.read_offset >= self.buffer.len() - self.read_offset {
            self.buffer.drain(..self.read_offset);
            self.read_offset = 0;
        }
        self.buffer.extend_from_slice(bytes);
    }

    /// Decodes the next complete frame, if one is buffered.
    ///
    /// Returns `Ok(None)` while the frame is incomplete. Which header fields are checked before
    /// the payload is complete, and how the payload is read, is the [`Dialect`]'s.
    ///
    /// # Errors
    ///
    /// Any [`DecodeError`]. Afterwards decoding can go on unless the decoder is
    /// [poisoned](FrameDecoder::is_poisoned); a poisoned decoder returns the same error forever.
    pub fn decode_next(&mut self) -> Result<Option<NetworkMessage>, DecodeError> {
        if let Some(error) = &self.poisoned {
            return Err(error.clone());
        }
        match self.try_decode() {
            Ok(message) => Ok(message),
            Err(error) if !self.stream_is_lost(&error) => Err(error),
            Err(error) => {
                self.poisoned = Some(error.clone());
                self.buffer = Vec::new();
                self.read_offset = 0;
                Err(error)
            }
        }
    }

    /// Whether an error left the stream without a frame boundary to go on from, so that the
    /// decoder returns it forever: a wrong magic or an oversized length (except in
    /// [`Dialect::Btcd`], which skips another network's frame), and in [`Dialect::Plain`]
    /// invalid command bytes.
    pub fn is_poisoned(&self) -> bool {
        self.poisoned.is_some()
    }

    /// Number of bytes received but not yet consumed by a decoded frame.
    pub fn buffered_len(&self) -> usize {
        self.buffer.len() - self.read_offset
    }

    /// Whether `error`, just returned, leaves no frame boundary in this dialect.
    fn stream_is_lost(&self, error: &DecodeError) -> bool {
        match self.dialect {
            Dialect::Btcd => matches!(error, DecodeError::PayloadTooLarge { .. }),
            Dialect::Core => matches!(
                error,
                DecodeError::WrongMagic { .. } | DecodeError::PayloadTooLarge { .. }
            ),
            Dialect::Plain => matches!(
                error,
                DecodeError::WrongMagic { .. }
                    | DecodeError::PayloadTooLarge { .. }
                    | DecodeError::InvalidCommand {
                        payload_skipped: false,
                        ..
                    }
            ),
        }
    }

    fn try_decode(&mut self) -> Result<Option<NetworkMessage>, DecodeError> {
        match self.dialect {
            Dialect::Plain => self.try_decode_plain(),
            Dialect::Core => self.try_decode_core(),
            Dialect::Btcd => {
                let available = &self.buffer[self.read_offset..];
                let Some(step) = self.btcd.read_frame(self.magic, available) else {
                    return Ok(None);
                };
                self.read_offset += step.consumed;
                step.result.map(Some)
            }
        }
    }

    /// rust-bitcoin's reading ([`Dialect::Plain`]).
    fn try_decode_plain(&mut self) -> Result<Option<NetworkMessage>, DecodeError> {
        let available = &self.buffer[self.read_offset..];
        let Some(header_bytes) = available.first_chunk::<HEADER_SIZE_BYTES>() else {
            return Ok(None);
        };
        let header = parse_header(self.magic, header_bytes)?;
        let frame_len = HEADER_SIZE_BYTES + header.payload_len;
        let Some(frame) = available.get(..frame_len) else {
            return Ok(None);
        };

        if !header.checksum_matches(&frame[HEADER_SIZE_BYTES..]) {
            let expected = checksum_of(&frame[HEADER_SIZE_BYTES..]);
            self.read_offset += frame_len;
            return Err(DecodeError::BadChecksum {
                expected,
                command: header.command,
                got: header.checksum,
            });
        }

        // `deserialize` decodes exactly this one frame and fails on leftover bytes; for known
        // commands rust-bitcoin 0.32 also rejects bytes left inside the payload.
        let decoded: Result<RawNetworkMessage, _> = encode::deserialize(frame);
        self.read_offset += frame_len;
        let raw = decoded.map_err(|error| DecodeError::Undecodable {
            command: header.command,
            reason: error_chain(&error),
        })?;
        Ok(Some(raw.into_payload()))
    }

    /// Bitcoin Core's order (`V1Transport::readHeader`, `GetReceivedMessage`): magic and length
    /// from the header; once the frame is complete, the checksum, then the command bytes (a
    /// failure of either skips the frame); then the payload as Core's handler reads it.
    fn try_decode_core(&mut self) -> Result<Option<NetworkMessage>, DecodeError> {
        let available = &self.buffer[self.read_offset..];
        let Some(header_bytes) = available.first_chunk::<HEADER_SIZE_BYTES>() else {
            return Ok(None);
        };
        let mut got_magic = [0u8; 4];
        got_magic.copy_from_slice(&header_bytes[..COMMAND_OFFSET]);
        if got_magic != self.magic.to_bytes() {
            return Err(DecodeError::WrongMagic {
                got: got_magic,
                expected: self.magic.to_bytes(),
            });
        }
        let mut raw_command = [0u8; COMMAND_SIZE_BYTES];
        raw_command.copy_from_slice(&header_bytes[COMMAND_OFFSET..LENGTH_OFFSET]);
        let command_text = command_from_bytes(&raw_command);
        let mut length_bytes = [0u8; 4];
        length_bytes.copy_from_slice(&header_bytes[LENGTH_OFFSET..CHECKSUM_OFFSET]);
        let length = u32::from_le_bytes(length_bytes);
        // Lossless: usize is at least 32 bits on every target rust-bitcoin supports.
        let payload_len = length as usize;
        if payload_len > PAYLOAD_SIZE_BYTES_MAX {
            return Err(DecodeError::PayloadTooLarge {
                command: command_text
                    .unwrap_or_else(|| String::from_utf8_lossy(&raw_command).into_owned()),
                length_bytes: u64::from(length),
            });
        }
        let mut announced = [0u8; 4];
        announced.copy_from_slice(&header_bytes[CHECKSUM_OFFSET..]);
        let frame_len = HEADER_SIZE_BYTES + payload_len;
        let Some(frame) = available.get(..frame_len) else {
            return Ok(None);
        };
        let payload = &frame[HEADER_SIZE_BYTES..];
        let expected = checksum_of(payload);
        let message = if expected != announced {
            Err(DecodeError::BadChecksum {
                expected,
                command: command_text
                    .unwrap_or_else(|| String::from_utf8_lossy(&raw_command).into_owned()),
                got: announced,
            })
        } else {
            match command_text {
                None => Err(DecodeError::InvalidCommand {
                    raw: raw_command,
                    payload_skipped: true,
                }),
                Some(text) => {
                    // Printable ASCII of at most 12 bytes is always a valid command string.
                    match CommandString::try_from(text.clone()) {
                        Ok(command) => {
                            core_read::read(&command, payload).map_err(|error| match error {
                                core_read::CoreReadError::TooManyHeaders { count } => {
                                    DecodeError::TooManyHeaders { count }
                                }
                                core_read::CoreReadError::Unreadable(reason) => {
                                    DecodeError::Undecodable {
                                        command: text,
                                        reason,
                                    }
                                }
                            })
                        }
                        Err(error) => Err(DecodeError::Undecodable {
                            command: text,
                            reason: error.to_string(),
                        }),
                    }
                }
            }
        };
        self.read_offset += frame_len;
        message.map(Some)
    }
}

/// Serializes `message` as one complete frame for the network identified by `magic`.
pub fn encode(magic: Magic, message: NetworkMessage) -> Vec<u8> {
    encode::serialize(&RawNetworkMessage::new(magic, message))
}

/// Serializes `message` as one frame whose checksum field is replaced by `checksum`
/// (for fake peers that send corrupt frames).
pub fn encode_with_checksum(magic: Magic, message: NetworkMessage, checksum: [u8; 4]) -> Vec<u8> {
    let mut frame = encode(magic, message);
    frame[CHECKSUM_OFFSET..HEADER_SIZE_BYTES].copy_from_slice(&checksum);
    frame
}

/// A frame with an arbitrary `command` and `payload` and a correct length and checksum (for
/// fake peers: a known command with a malformed payload, an unknown command, a foreign
/// `magic`).
///
/// # Panics
///
/// If `command` is longer than 12 bytes or `payload` longer than `u32::MAX` bytes (a bug in
/// the caller, which is our own test code).
pub fn encode_raw(magic: Magic, command: &str, payload: &[u8]) -> Vec<u8> {
    let command = match CommandString::try_from(command) {
        Ok(command) => command,
        Err(error) => panic!("encode_raw: {error}"),
    };
    // rust-bitcoin writes an unknown message's payload verbatim, whatever its command.
    encode(
        magic,
        NetworkMessage::Unknown {
            command,
            payload: payload.to_vec(),
        },
    )
}

/// The wire command of `message`, e.g. `"headers"`, or an unknown message's own command.
pub fn command_name(message: &NetworkMessage) -> String {
    message.command().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::block::{Header, Version};
    use bitcoin::{BlockHash, CompactTarget, TxMerkleNode};
    use rand_chacha::rand_core::{RngCore, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    use std::net::{Ipv4Addr, SocketAddr};

    const MAGIC: Magic = Magic::REGTEST;

    fn synthetic_header(n: u32) -> Header {
        let mut prev = [0u8; 32];
        prev[..4].copy_from_slice(&n.to_le_bytes());
        let mut merkle = [0xabu8; 32];
        merkle[28..].copy_from_slice(&n.to_be_bytes());
        Header {
            version: Version::from_consensus(0x2000_0000),
            prev_blockhash: BlockHash::from_byte_array(prev),
            merkle_root: TxMerkleNode::from_byte_array(merkle),
            time: 1_600_000_000 + n,
            bits: CompactTarget::from_consensus(0x207f_ffff),
            nonce: n.wrapping_mul(2_654_435_761),
        }
    }

    fn headers(count: u32) -> NetworkMessage {
        NetworkMessage::Headers((0..count).map(synthetic_header).collect())
    }

    fn version_message() -> NetworkMessage {
        let socket = SocketAddr::from((Ipv4Addr::new(10, 0, 0, 1), 18444));
        let address = Address::new(&socket, ServiceFlags::NETWORK);
        let mut version = VersionMessage::new(
            ServiceFlags::NETWORK | ServiceFlags::WITNESS,
            1_700_000_000,
            address.clone(),
            address,
            0x0123_4567_89ab_cdef,
            "/headersim:0.1.0/".to_owned(),
            42,
        );
        version.version = 70016;
        version.relay = true;
        NetworkMessage::Version(version)
    }

    fn getheaders_message() -> NetworkMessage {
        let locator = (0..12u8)
            .map(|i| BlockHash::from_byte_array([i; 32]))
            .collect();
        NetworkMessage::GetHeaders(GetHeadersMessage::new(locator, BlockHash::all_zeros()))
    }

    fn unknown_message() -> NetworkMessage {
        NetworkMessage::Unknown {
            command: CommandString::try_from_static("foo").expect("short command"),
            payload: vec![1, 2, 3, 4, 5],
        }
    }

    fn sample_messages() -> Vec<NetworkMessage> {
        vec![
            version_message(),
            NetworkMessage::Verack,
            NetworkMessage::SendAddrV2,
            NetworkMessage::Ping(7),
            NetworkMessage::Pong(7),
            getheaders_message(),
            headers(2000),
            unknown_message(),
            headers(0),
            NetworkMessage::Ping(u64::MAX),
        ]
    }

    /// Decodes everything buffered, failing the test on an error.
    fn drain(decoder: &mut FrameDecoder, out: &mut Vec<NetworkMessage>) {
        while let Some(message) = decoder.decode_next().expect("valid stream decodes") {
            out.push(message);
        }
    }

    fn decode_whole(bytes: &[u8]) -> Result<Vec<NetworkMessage>, DecodeError> {
        let mut decoder = FrameDecoder::new(MAGIC);
        decoder.extend(bytes);
        let mut out = Vec::new();
        while let Some(message) = decoder.decode_next()? {
            out.push(message);
        }
        Ok(out)
    }

    fn decode_single(bytes: &[u8]) -> Result<Option<NetworkMessage>, DecodeError> {
        let mut decoder = FrameDecoder::new(MAGIC);
        decoder.extend(bytes);
        decoder.decode_next()
    }

    /// A 24-byte header with the given raw fields.
    fn raw_header(magic: [u8; 4], command: [u8; 12], length: u32, checksum: [u8; 4]) -> Vec<u8> {
        let mut header = Vec::with_capacity(HEADER_SIZE_BYTES);
        header.extend_from_slice(&magic);
        header.extend_from_slice(&command);
        header.extend_from_slice(&length.to_le_bytes());
        header.extend_from_slice(&checksum);
        header
    }

    fn command_bytes(command: &str) -> [u8; 12] {
        let mut raw = [0u8; 12];
        raw[..command.len()].copy_from_slice(command.as_bytes());
        raw
    }

    #[test]
    fn each_message_kind_round_trips_through_encode_and_decode() {
        for message in sample_messages() {
            let bytes = encode(MAGIC, message.clone());
            let mut decoder = FrameDecoder::new(MAGIC);
            decoder.extend(&bytes);
            assert_eq!(
                decoder.decode_next(),
                Ok(Some(message.clone())),
                "{}",
                command_name(&message)
            );
            assert_eq!(decoder.decode_next(), Ok(None));
            assert_eq!(decoder.buffered_len(), 0);
        }
    }

    #[test]
    fn a_full_headers_frame_has_the_expected_size() {
        // varint(2000) = 3 bytes, then 81 bytes per header (80 + a zero tx count).
        let bytes = encode(MAGIC, headers(2000));
        assert_eq!(
            bytes.len(),
            HEADER_SIZE_BYTES + 3 + 81 * HEADERS_PER_MESSAGE_MAX
        );
    }

    #[test]
    fn command_name_is_the_wire_command_including_unknown_ones() {
        assert_eq!(command_name(&headers(1)), "headers");
        assert_eq!(command_name(&NetworkMessage::SendAddrV2), "sendaddrv2");
        assert_eq!(command_name(&unknown_message()), "foo");
    }

    #[test]
    fn magic_for_regtest_is_fabfb5da_on_the_wire() {
        assert_eq!(
            magic_for(bitcoin::Network::Regtest).to_bytes(),
            [0xfa, 0xbf, 0xb5, 0xda]
        );
        assert_eq!(
            magic_for(bitcoin::Network::Bitcoin).to_bytes(),
            [0xf9, 0xbe, 0xb4, 0xd9]
        );
    }

    #[test]
    fn any_chunking_of_a_valid_stream_decodes_to_the_same_messages() {
        let messages = sample_messages();
        let stream: Vec<u8> = messages
            .iter()
            .flat_map(|message| encode(MAGIC, message.clone()))
            .collect();
        let whole = decode_whole(&stream).expect("valid stream decodes");
        assert_eq!(whole, messages);

        for seed in 0..64u64 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            // Vary the typical chunk size per seed: tiny chunks, TCP-segment-like, large.
            let chunk_max = [1usize, 7, 100, 1500, 70_000][(seed % 5) as usize];
            let mut decoder = FrameDecoder::new(MAGIC);
            let mut decoded = Vec::new();
            let mut position = 0;
            while position < stream.len() {
                let size = 1 + (rng.next_u32() as usize) % chunk_max;
                let end = (position + size).min(stream.len());
                decoder.extend(&stream[position..end]);
                position = end;
                drain(&mut decoder, &mut decoded);
            }
            assert_eq!(decoded, whole, "seed {seed}");
            assert_eq!(decoder.buffered_len(), 0, "seed {seed}");
        }

        let mut decoder = FrameDecoder::new(MAGIC);
        let mut decoded = Vec::new();
        for byte in &stream {
            decoder.extend(std::slice::from_ref(byte));
            drain(&mut decoder, &mut decoded);
        }
        assert_eq!(decoded, whole, "1-byte chunks");
    }

    #[test]
    fn wrong_magic_is_reported_from_the_header_alone() {
        let frame = encode(Magic::BITCOIN, NetworkMessage::Ping(1));
        let mut decoder = FrameDecoder::new(MAGIC);
        decoder.extend(&frame[..HEADER_SIZE_BYTES - 1]);
        assert_eq!(decoder.decode_next(), Ok(None));
        decoder.extend(&frame[HEADER_SIZE_BYTES - 1..HEADER_SIZE_BYTES]);
        let error = decoder.decode_next().expect_err("foreign magic");
        assert_eq!(
            error,
            DecodeError::WrongMagic {
                got: [0xf9, 0xbe, 0xb4, 0xd9],
                expected: [0xfa, 0xbf, 0xb5, 0xda]
            }
        );
        assert_eq!(
            error.to_string(),
            "wrong magic f9beb4d9 (expected fabfb5da)"
        );
    }

    #[test]
    fn oversized_length_is_reported_from_the_header_alone() {
        let header = raw_header(MAGIC.to_bytes(), command_bytes("foo"), 4_000_001, [0; 4]);
        let error = decode_single(&header).expect_err("oversized");
        assert_eq!(
            error,
            DecodeError::PayloadTooLarge {
                command: "foo".to_owned(),
                length_bytes: 4_000_001
            }
        );
        assert_eq!(
            error.to_string(),
            "payload length 4000001 bytes for `foo` exceeds the 4000000-byte maximum"
        );
    }

    #[test]
    fn a_header_announcing_exactly_the_maximum_length_waits_for_its_payload() {
        let header = raw_header(MAGIC.to_bytes(), command_bytes("foo"), 4_000_000, [0; 4]);
        let mut decoder = FrameDecoder::new(MAGIC);
        decoder.extend(&header);
        decoder.extend(&[0u8; 1000]);
        assert_eq!(decoder.decode_next(), Ok(None));
        assert_eq!(decoder.buffered_len(), HEADER_SIZE_BYTES + 1000);
    }

    #[test]
    fn an_unknown_command_of_the_maximum_length_decodes() {
        let payload = vec![0x5a; PAYLOAD_SIZE_BYTES_MAX];
        let frame = encode_raw(MAGIC, "bigunknown", &payload);
        let decoded = decode_single(&frame).expect("decodes").expect("complete");
        assert_eq!(command_name(&decoded), "bigunknown");
        assert!(matches!(decoded, NetworkMessage::Unknown { payload: p, .. } if p == payload));
    }

    #[test]
    fn bad_checksum_is_reported_with_both_values() {
        let frame = encode_with_checksum(MAGIC, NetworkMessage::Ping(1), [0xff; 4]);
        let correct = checksum_of(&frame[HEADER_SIZE_BYTES..]);
        let error = decode_single(&frame).expect_err("bad checksum");
        assert_eq!(
            error,
            DecodeError::BadChecksum {
                command: "ping".to_owned(),
                expected: correct,
                got: [0xff; 4]
            }
        );
        assert_eq!(
            error.to_string(),
            format!(
                "bad checksum for `ping`: header says ffffffff, payload hashes to {}",
                correct.to_lower_hex_string()
            )
        );
    }

    #[test]
    fn invalid_command_bytes_are_reported() {
        let cases: [&[u8]; 4] = [
            b"pi\x00ng",    // text after the NUL padding
            b"ping\x01",    // control character in the padding position
            b"p\xc3\xa9ng", // non-ASCII (UTF-8 'é')
            b"\x7fping",    // DEL is not printable
        ];
        for case in cases {
            let mut command = [0u8; 12];
            command[..case.len()].copy_from_slice(case);
            let header = raw_header(MAGIC.to_bytes(), command, 0, checksum_of(&[]));
            assert_eq!(
                decode_single(&header),
                Err(DecodeError::InvalidCommand {
                    raw: command,
                    payload_skipped: false
                }),
                "{case:?}"
            );
        }
    }

    #[test]
    fn a_twelve_character_command_without_padding_is_valid() {
        let frame = encode_raw(MAGIC, "abcdefghijkl", &[]);
        let decoded = decode_single(&frame).expect("decodes").expect("complete");
        assert_eq!(command_name(&decoded), "abcdefghijkl");
    }

    #[test]
    fn an_all_nul_command_is_valid_as_in_bitcoin_core() {
        let frame = encode_raw(MAGIC, "", &[]);
        let decoded = decode_single(&frame).expect("decodes").expect("complete");
        assert_eq!(command_name(&decoded), "");
    }

    #[test]
    fn checks_run_in_order_magic_then_command_then_length() {
        let bad_command = [0xffu8; 12];
        let all_bad = raw_header([0; 4], bad_command, u32::MAX, [0; 4]);
        assert!(matches!(
            decode_single(&all_bad),
            Err(DecodeError::WrongMagic { .. })
        ));
        let command_and_length_bad = raw_header(MAGIC.to_bytes(), bad_command, u32::MAX, [0; 4]);
        assert!(matches!(
            decode_single(&command_and_length_bad),
            Err(DecodeError::InvalidCommand { .. })
        ));
    }

    #[test]
    fn undecodable_payloads_are_reported_with_their_command() {
        // ping carries a u64 nonce; 4 bytes are too few.
        let short_ping = encode_raw(MAGIC, "ping", &[1, 2, 3, 4]);
        assert!(matches!(
            decode_single(&short_ping),
            Err(DecodeError::Undecodable { command, .. }) if command == "ping"
        ));

        // headers announcing one header but carrying only 40 bytes.
        let mut payload = vec![1u8];
        payload.extend_from_slice(&[0u8; 40]);
        let truncated_headers = encode_raw(MAGIC, "headers", &payload);
        let error = decode_single(&truncated_headers).expect_err("truncated headers");
        assert!(matches!(&error, DecodeError::Undecodable { command, .. } if command == "headers"));
        assert!(
            error
                .to_string()
                .starts_with("undecodable `headers` payload: "),
            "{error}"
        );
    }

    #[test]
    fn trailing_bytes_inside_a_payload_are_rejected() {
        let mut long_ping = 7u64.to_le_bytes().to_vec();
        long_ping.push(0);
        assert!(matches!(
            decode_single(&encode_raw(MAGIC, "ping", &long_ping)),
            Err(DecodeError::Undecodable { command, .. }) if command == "ping"
        ));
        assert!(matches!(
            decode_single(&encode_raw(MAGIC, "verack", &[0])),
            Err(DecodeError::Undecodable { command, .. }) if command == "verack"
        ));

        let headers_frame = encode(MAGIC, headers(3));
        let mut payload = headers_frame[HEADER_SIZE_BYTES..].to_vec();
        payload.extend_from_slice(&[0u8; 81]);
        assert!(matches!(
            decode_single(&encode_raw(MAGIC, "headers", &payload)),
            Err(DecodeError::Undecodable { command, .. }) if command == "headers"
        ));
    }

    #[test]
    fn a_headers_entry_with_a_transaction_count_is_rejected() {
        let frame = encode(MAGIC, headers(2));
        let mut payload = frame[HEADER_SIZE_BYTES..].to_vec();
        // payload: varint(2) | header 80 | tx count | header 80 | tx count
        payload[1 + 80] = 1;
        assert!(matches!(
            decode_single(&encode_raw(MAGIC, "headers", &payload)),
            Err(DecodeError::Undecodable { command, .. }) if command == "headers"
        ));
    }

    #[test]
    fn a_headers_message_with_2001_headers_still_decodes() {
        // The 2000-header limit belongs to the protocol layer, not to the codec.
        let message = headers(HEADERS_PER_MESSAGE_MAX as u32 + 1);
        let decoded = decode_single(&encode(MAGIC, message.clone())).expect("decodes");
        assert_eq!(decoded, Some(message));
    }

    #[test]
    fn a_poisoned_decoder_repeats_its_error_and_ignores_further_input() {
        let mut stream = encode_raw(Magic::from_bytes([0xff; 4]), "verack", &[]);
        stream.extend(encode(MAGIC, NetworkMessage::Verack));
        let mut decoder = FrameDecoder::new(MAGIC);
        decoder.extend(&stream);
        let first = decoder.decode_next().expect_err("wrong magic");
        assert!(decoder.is_poisoned());
        decoder.extend(&encode(MAGIC, NetworkMessage::Verack));
        assert_eq!(decoder.decode_next(), Err(first));
        assert_eq!(decoder.buffered_len(), 0);
    }

    #[test]
    fn a_bad_checksum_or_undecodable_payload_skips_that_frame_only() {
        let mut stream = encode_with_checksum(MAGIC, NetworkMessage::Verack, [1, 2, 3, 4]);
        stream.extend(encode_raw(MAGIC, "ping", &[1, 2, 3, 4]));
        stream.extend(encode(MAGIC, NetworkMessage::Ping(9)));
        let mut decoder = FrameDecoder::new(MAGIC);
        decoder.extend(&stream);
        let checksum = decoder.decode_next().expect_err("bad checksum");
        assert!(
            matches!(checksum, DecodeError::BadChecksum { .. }) && !decoder.is_poisoned(),
            "{checksum:?}"
        );
        let short = decoder.decode_next().expect_err("a 4-byte ping");
        assert!(
            matches!(short, DecodeError::Undecodable { .. }) && !decoder.is_poisoned(),
            "{short:?}"
        );
        assert_eq!(decoder.decode_next(), Ok(Some(NetworkMessage::Ping(9))));
        assert_eq!(decoder.buffered_len(), 0);
    }

    #[test]
    fn consumed_bytes_do_not_accumulate_in_the_buffer() {
        let frame = encode(MAGIC, NetworkMessage::Ping(3));
        let mut decoder = FrameDecoder::new(MAGIC);
        for _ in 0..1000 {
            decoder.extend(&frame);
            decoder.extend(&frame[..5]);
            assert_eq!(decoder.decode_next(), Ok(Some(NetworkMessage::Ping(3))));
            assert_eq!(decoder.decode_next(), Ok(None));
            decoder.extend(&frame[5..]);
            assert_eq!(decoder.decode_next(), Ok(Some(NetworkMessage::Ping(3))));
        }
        assert!(
            decoder.buffer.len() <= 2 * frame.len(),
            "{}",
            decoder.buffer.len()
        );
    }

    #[test]
    fn the_core_dialect_skips_a_frame_with_invalid_command_bytes_and_the_plain_one_stops() {
        let payload = 9u64.to_le_bytes();
        let mut bad = raw_header(
            MAGIC.to_bytes(),
            *b"pi\0ng\0\0\0\0\0\0\0",
            8,
            checksum_of(&payload),
        );
        bad.extend_from_slice(&payload);
        let good = encode(MAGIC, NetworkMessage::Ping(10));
        for dialect in [Dialect::Plain, Dialect::Core] {
            let mut decoder = FrameDecoder::with_dialect(MAGIC, dialect);
            decoder.extend(&bad);
            decoder.extend(&good);
            let first = decoder.decode_next();
            let Err(DecodeError::InvalidCommand {
                payload_skipped, ..
            }) = first
            else {
                panic!("{dialect:?}: {first:?}");
            };
            assert_eq!(payload_skipped, dialect == Dialect::Core);
            let next = decoder.decode_next();
            match dialect {
                Dialect::Core => assert_eq!(next, Ok(Some(NetworkMessage::Ping(10)))),
                _ => assert!(next.is_err(), "the plain stream ends: {next:?}"),
            }
        }
    }

    #[test]
    fn the_core_dialect_reads_past_extra_bytes_and_refuses_a_headers_count_above_2000() {
        let mut decoder = FrameDecoder::with_dialect(MAGIC, Dialect::Core);
        let mut payload = 11u64.to_le_bytes().to_vec();
        payload.push(0);
        decoder.extend(&encode_raw(MAGIC, "ping", &payload));
        decoder.extend(&encode_raw(MAGIC, "headers", &[0xfd, 0xd1, 0x07]));
        assert_eq!(decoder.decode_next(), Ok(Some(NetworkMessage::Ping(11))));
        assert_eq!(
            decoder.decode_next(),
            Err(DecodeError::TooManyHeaders { count: 2001 })
        );
        assert_eq!(decoder.decode_next(), Ok(None));
        let mut plain = FrameDecoder::new(MAGIC);
        plain.extend(&encode_raw(MAGIC, "ping", &payload));
        assert!(matches!(
            plain.decode_next(),
            Err(DecodeError::Undecodable { .. })
        ));
    }
}
