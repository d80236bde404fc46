//! How btcd v0.26 reads a frame, for the `btcd` dialect of [`super::FrameDecoder`]: `wire/v2`
//! v2.0.0 `message.go` `readMessageWithEncodingNInternal`, at the protocol version and with
//! the transaction encoding `peer/peer.go` reads with.
//!
//! The order of the checks, and what each does with the frame's payload:
//!
//! 1. the announced length above [`PAYLOAD_SIZE_BYTES_MAX`]: a `MessageError` from the 24
//!    header bytes alone; the payload is **not** skipped, so btcd's next read would start
//!    inside it. The stream is out of step and btcd closes the connection, so the decoder
//!    stops there;
//! 2. another network's magic: the announced payload is read and skipped, `MessageError`;
//! 3. the command, after its **trailing** NULs only are trimmed, is not valid UTF-8: skipped,
//!    `MessageError` (`pi\0ng`, `\x01ping` and the empty command are valid, and unknown);
//! 4. a command btcd does not know: skipped, the message ignored (`ErrUnknownMessage`), with
//!    neither the checksum nor any per-command limit looked at;
//! 5. the announced length above the command's `MaxPayloadLength(pver)`: skipped,
//!    `MessageError`;
//! 6. the checksum: `MessageError`;
//! 7. the payload, as [`btcd_payload::read`] decodes it;
//! 8. bytes left after the decoding (v0.26, not v0.24/v0.25): `MessageError`.
//!
//! btcd reads at its own protocol version (70016) until the peer's `version` has been read,
//! then at `min(70016, theirs)`; transactions in the witness encoding unless the peer's
//! `version` lacks `NODE_WITNESS` ([`ReadState`]).
//!
//! A skipped frame is returned only once all of its announced bytes arrived (btcd's
//! `discardInput` reads them before the error is returned); the decoder then goes on with the
//! next frame. An unknown command is returned as a message (rust-bitcoin's decoding of it where
//! there is one, else [`NetworkMessage::Unknown`]) for the node to ignore
//! ([`btcd_payload::knows_command`]); every error closes the connection.

use super::btcd_payload::{self, BtcdReadError};
use super::{
    checksum_of, decode_with_rust_bitcoin, CommandString, DecodeError, Magic, NetworkMessage,
    ServiceFlags, CHECKSUM_OFFSET, COMMAND_OFFSET, COMMAND_SIZE_BYTES, HEADER_SIZE_BYTES,
    LENGTH_OFFSET, PAYLOAD_SIZE_BYTES_MAX,
};

/// btcd `peer.MaxProtocolVersion` (`wire.AddrV2Version`): the version a btcd connection reads
/// with until the peer's `version` is known.
pub const BTCD_PROTOCOL_VERSION: u32 = 70_016;

/// What one btcd connection reads with: `Peer.ProtocolVersion()` and `Peer.wireEncoding`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadState {
    /// The protocol version payloads are read at.
    pver: u32,
    /// Whether transactions are read in the witness encoding.
    witness: bool,
    /// Whether the peer's `version` was read (only the first one counts).
    version_read: bool,
}

impl Default for ReadState {
    fn default() -> Self {
        ReadState {
            pver: BTCD_PROTOCOL_VERSION,
            // The handshake reads with `wire.LatestEncoding`.
            witness: true,
            version_read: false,
        }
    }
}

/// The outcome of reading one frame: how many buffered bytes it used, and what it was.
#[derive(Debug)]
pub(super) struct Step {
    /// Bytes consumed from the front of the buffer.
    pub(super) consumed: usize,
    /// The message, or why btcd would not read it.
    pub(super) result: Result<NetworkMessage, DecodeError>,
}

impl ReadState {
    /// The protocol version payloads are read at now (the unit tests' view of the state; the
    /// reader itself uses the field).
    #[cfg(test)]
    pub(crate) fn protocol_version(&self) -> u32 {
        self.pver
    }

    /// Reads the frame at the start of `available`, or `None` while btcd would still be
    /// waiting for bytes of it.
    pub(super) fn read_frame(&mut self, magic: Magic, available: &[u8]) -> Option<Step> {
        let header = available.first_chunk::<HEADER_SIZE_BYTES>()?;
        let mut raw_command = [0u8; COMMAND_SIZE_BYTES];
        raw_command.copy_from_slice(&header[COMMAND_OFFSET..LENGTH_OFFSET]);
        let text_len = raw_command
            .iter()
            .rposition(|&b| b != 0)
            .map_or(0, |last| last + 1);
        let command_bytes = &raw_command[..text_len];
        let mut length_bytes = [0u8; 4];
        length_bytes.copy_from_slice(&header[LENGTH_OFFSET..CHECKSUM_OFFSET]);
        let length = u32::from_le_bytes(length_bytes);
        // Lossless: usize is at least 32 bits on every target rust-bitcoin supports.
        let payload_len = length as usize;

        if payload_len > PAYLOAD_SIZE_BYTES_MAX {
            // Only the header was read; the decoder stops (`FrameDecoder::decode_next`).
            return Some(Step {
                consumed: HEADER_SIZE_BYTES,
                result: Err(DecodeError::PayloadTooLarge {
                    command: String::from_utf8_lossy(command_bytes).into_owned(),
                    length_bytes: u64::from(length),
                }),
            });
        }
        let frame = available.get(..HEADER_SIZE_BYTES + payload_len)?;
        let payload = &frame[HEADER_SIZE_BYTES..];
        let step = |result| {
            Some(Step {
                consumed: frame.len(),
                result,
            })
        };

        let mut got_magic = [0u8; 4];
        got_magic.copy_from_slice(&header[..COMMAND_OFFSET]);
        if got_magic != magic.to_bytes() {
            return step(Err(DecodeError::WrongMagic {
                got: got_magic,
                expected: magic.to_bytes(),
            }));
        }
        let Ok(command) = std::str::from_utf8(command_bytes) else {
            return step(Err(DecodeError::CommandNotUtf8 { raw: raw_command }));
        };
        // At most 12 bytes, so always a valid command string.
        let Ok(command) = CommandString::try_from(command) else {
            return step(Err(DecodeError::CommandNotUtf8 { raw: raw_command }));
        };
        let Some(length_max) = btcd_payload::payload_length_max(command.as_ref(), self.pver) else {
            let message = decode_with_rust_bitcoin(&command, payload).unwrap_or_else(|_| {
                NetworkMessage::Unknown {
                    command: command.clone(),
                    payload: payload.to_vec(),
                }
            });
            return step(Ok(message));
        };
        if length > length_max {
            return step(Err(DecodeError::CommandPayloadTooLarge {
                command: command.to_string(),
                length_bytes: u64::from(length),
                length_bytes_max: u64::from(length_max),
            }));
        }
        let mut announced = [0u8; 4];
        announced.copy_from_slice(&header[CHECKSUM_OFFSET..]);
        let expected = checksum_of(payload);
        if expected != announced {
            return step(Err(DecodeError::BadChecksum {
                command: command.to_string(),
                expected,
                got: announced,
            }));
        }
        let error = |error| DecodeError::BtcdPayload {
            command: command.to_string(),
            error,
        };
        match btcd_payload::read(&command, payload, self.pver, self.witness) {
            Err(e) => step(Err(error(e))),
            Ok((_, left)) if left > 0 => step(Err(error(BtcdReadError::BytesLeft {
                payload_bytes: payload.len() as u64,
                left_bytes: left as u64,
            }))),
            Ok((message, _)) => {
                if let NetworkMessage::Version(version) = &message {
                    if !self.version_read {
                        // `readRemoteVersionMsg`: min(ours, theirs); `wireEncoding`.
                        self.version_read = true;
                        self.pver = self.pver.min(version.version);
                        self.witness = version.services.has(ServiceFlags::WITNESS);
                    }
                }
                step(Ok(message))
            }
        }
    }
}

/// How btcd's `inHandler` tells a read error apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BtcdErrorClass {
    /// A `*wire.MessageError`: `reject(malformed)` and close (btcd ignores it on regtest from
    /// a loopback host, `isAllowedReadError`, which the node does not model).
    MessageError,
    /// `io.EOF`: close without a reject.
    Eof,
    /// `io.ErrUnexpectedEOF` or another error: `reject(malformed)` and close, on every
    /// network.
    Other,
}

/// The class of `error` as btcd's `inHandler` sees it. Every frame-level refusal is a
/// `MessageError`; a payload's is what its decoding returned.
pub fn class_of(error: &DecodeError) -> BtcdErrorClass {
    match error {
        DecodeError::BtcdPayload {
            error: BtcdReadError::Eof,
            ..
        } => BtcdErrorClass::Eof,
        DecodeError::BtcdPayload {
            error:
                BtcdReadError::UnexpectedEof
                | BtcdReadError::Other(_)
                | BtcdReadError::UnknownCommand { .. },
            ..
        } => BtcdErrorClass::Other,
        DecodeError::BtcdPayload {
            error:
                BtcdReadError::MessageError(_)
                | BtcdReadError::TooOld { .. }
                | BtcdReadError::BytesLeft { .. },
            ..
        }
        | DecodeError::WrongMagic { .. }
        | DecodeError::PayloadTooLarge { .. }
        | DecodeError::InvalidCommand { .. }
        | DecodeError::CommandNotUtf8 { .. }
        | DecodeError::CommandPayloadTooLarge { .. }
        | DecodeError::TooManyHeaders { .. }
        | DecodeError::BadChecksum { .. }
        | DecodeError::Undecodable { .. } => BtcdErrorClass::MessageError,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{encode, encode_raw, Dialect, FrameDecoder, VersionMessage};

    const MAGIC: Magic = Magic::REGTEST;

    fn btcd() -> FrameDecoder {
        FrameDecoder::with_dialect(MAGIC, Dialect::Btcd)
    }

    fn decode_one(bytes: &[u8]) -> Result<Option<NetworkMessage>, DecodeError> {
        let mut decoder = btcd();
        decoder.extend(bytes);
        decoder.decode_next()
    }

    /// A frame with raw header fields and `payload`.
    fn frame(
        magic: [u8; 4],
        command: &[u8],
        length: u32,
        checksum: [u8; 4],
        payload: &[u8],
    ) -> Vec<u8> {
        let mut raw = [0u8; 12];
        raw[..command.len()].copy_from_slice(command);
        let mut bytes = magic.to_vec();
        bytes.extend_from_slice(&raw);
        bytes.extend_from_slice(&length.to_le_bytes());
        bytes.extend_from_slice(&checksum);
        bytes.extend_from_slice(payload);
        bytes
    }

    fn version(pver: u32) -> VersionMessage {
        let socket = std::net::SocketAddr::from(([10, 0, 0, 1], 18444));
        let address = crate::wire::Address::new(&socket, crate::wire::ServiceFlags::NETWORK);
        let mut version = VersionMessage::new(
            crate::wire::ServiceFlags::NETWORK,
            1_700_000_000,
            address.clone(),
            address,
            7,
            "/test/".to_owned(),
            0,
        );
        version.version = pver;
        version
    }

    fn ping_after(decoder: &mut FrameDecoder, nonce: u64) {
        decoder.extend(&encode(MAGIC, NetworkMessage::Ping(nonce)));
        assert_eq!(decoder.decode_next(), Ok(Some(NetworkMessage::Ping(nonce))));
    }

    fn class(result: Result<Option<NetworkMessage>, DecodeError>) -> BtcdErrorClass {
        class_of(&result.expect_err("an error"))
    }

    #[test]
    fn the_overall_length_is_checked_first_and_ends_the_stream() {
        // Foreign magic and a non-UTF-8 command too: the length is what btcd reports.
        let bad = frame([0; 4], b"\xff", 4_000_001, [0; 4], &[]);
        let mut decoder = btcd();
        decoder.extend(&bad);
        decoder.extend(&encode(MAGIC, NetworkMessage::Ping(5)));
        let error = decoder.decode_next().expect_err("too long");
        assert!(matches!(
            error,
            DecodeError::PayloadTooLarge {
                length_bytes: 4_000_001,
                ..
            }
        ));
        assert_eq!(class_of(&error), BtcdErrorClass::MessageError);
        // The payload is not skipped, so no frame boundary is left.
        assert!(decoder.is_poisoned());
    }

    #[test]
    fn a_foreign_magic_is_reported_once_its_payload_arrived_and_the_stream_goes_on() {
        let foreign = encode(Magic::BITCOIN, NetworkMessage::Ping(1));
        let mut decoder = btcd();
        decoder.extend(&foreign[..30]);
        assert_eq!(decoder.decode_next(), Ok(None), "btcd is still discarding");
        decoder.extend(&foreign[30..]);
        let error = decoder.decode_next().expect_err("wrong magic");
        assert!(matches!(error, DecodeError::WrongMagic { .. }));
        assert_eq!(class_of(&error), BtcdErrorClass::MessageError);
        ping_after(&mut decoder, 2);
    }

    #[test]
    fn only_trailing_nuls_are_trimmed_so_inner_nul_control_and_empty_commands_are_unknown() {
        for command in [&b"pi\0ng"[..], b"\x01ping", b"", b"ping\0\0x"] {
            let bytes = frame(MAGIC.to_bytes(), command, 3, [0xee; 4], &[1, 2, 3]);
            let mut decoder = btcd();
            decoder.extend(&bytes);
            let message = decoder.decode_next().expect("unknown, not an error");
            let Some(NetworkMessage::Unknown {
                command: got,
                payload,
            }) = message
            else {
                panic!("{command:?}: {message:?}");
            };
            let trimmed = std::str::from_utf8(command)
                .expect("utf8")
                .trim_end_matches('\0');
            assert_eq!(
                (got.as_ref(), payload.as_slice()),
                (trimmed, &[1u8, 2, 3][..])
            );
            ping_after(&mut decoder, 3);
        }
    }

    #[test]
    fn a_command_that_is_not_utf8_is_a_message_error_after_its_payload() {
        let bytes = frame(MAGIC.to_bytes(), b"\xffping", 2, [0; 4], &[0, 0]);
        let mut decoder = btcd();
        decoder.extend(&bytes);
        let error = decoder.decode_next().expect_err("not UTF-8");
        assert!(matches!(error, DecodeError::CommandNotUtf8 { .. }));
        assert_eq!(class_of(&error), BtcdErrorClass::MessageError);
        ping_after(&mut decoder, 4);
    }

    #[test]
    fn an_unknown_command_skips_the_checksum_and_any_size_limit() {
        // wtxidrelay is unknown to btcd: a payload and a wrong checksum do not matter.
        let bytes = frame(MAGIC.to_bytes(), b"wtxidrelay", 5, [0; 4], &[9; 5]);
        let message = decode_one(&bytes).expect("ignored").expect("complete");
        assert_eq!(message.command().as_ref(), "wtxidrelay");
        // A well-formed one keeps rust-bitcoin's reading.
        assert_eq!(
            decode_one(&encode(MAGIC, NetworkMessage::WtxidRelay)),
            Ok(Some(NetworkMessage::WtxidRelay))
        );
    }

    #[test]
    fn a_payload_above_the_command_maximum_is_skipped_as_a_message_error() {
        for (command, length) in [
            ("ping", 9u32),
            ("verack", 1),
            ("version", 359),
            ("headers", 162_010),
        ] {
            let payload = vec![0u8; length as usize];
            let bytes = frame(
                MAGIC.to_bytes(),
                command.as_bytes(),
                length,
                [0; 4],
                &payload,
            );
            let mut decoder = btcd();
            decoder.extend(&bytes);
            let error = decoder.decode_next().expect_err(command);
            let DecodeError::CommandPayloadTooLarge { length_bytes, .. } = error else {
                panic!("{command}: {error:?}");
            };
            assert_eq!(length_bytes, u64::from(length));
            ping_after(&mut decoder, 5);
        }
    }

    #[test]
    fn the_command_maximum_is_checked_before_the_checksum() {
        let bytes = frame(MAGIC.to_bytes(), b"ping", 9, [0; 4], &[0; 9]);
        assert!(matches!(
            decode_one(&bytes),
            Err(DecodeError::CommandPayloadTooLarge { .. })
        ));
        let bytes = frame(MAGIC.to_bytes(), b"ping", 8, [0; 4], &[0; 8]);
        assert!(matches!(
            decode_one(&bytes),
            Err(DecodeError::BadChecksum { .. })
        ));
    }

    #[test]
    fn payload_errors_keep_btcds_classes() {
        assert_eq!(
            class(decode_one(&encode_raw(MAGIC, "ping", &[]))),
            BtcdErrorClass::Eof
        );
        assert_eq!(
            class(decode_one(&encode_raw(MAGIC, "ping", &[1, 2, 3]))),
            BtcdErrorClass::Other
        );
        // headers with a transaction count.
        let mut payload = vec![1u8];
        payload.extend_from_slice(&[0u8; 80]);
        payload.push(1);
        assert_eq!(
            class(decode_one(&encode_raw(MAGIC, "headers", &payload))),
            BtcdErrorClass::MessageError
        );
    }

    #[test]
    fn bytes_left_after_a_valid_payload_are_a_message_error_in_v0_26() {
        let mut payload = vec![1u8];
        payload.extend_from_slice(&[0u8; 81]);
        payload.push(0);
        let error = decode_one(&encode_raw(MAGIC, "headers", &payload)).expect_err("extra");
        assert_eq!(
            error.to_string(),
            "undecodable `headers` payload: message payload has 1 extra bytes after decode"
        );
        assert_eq!(class_of(&error), BtcdErrorClass::MessageError);
        // A version with a byte after its relay flag.
        let v = version(70_016);
        let mut bytes = bitcoin::consensus::encode::serialize(&v);
        bytes.push(0);
        assert!(matches!(
            decode_one(&encode_raw(MAGIC, "version", &bytes)),
            Err(DecodeError::BtcdPayload {
                error: BtcdReadError::BytesLeft { left_bytes: 1, .. },
                ..
            })
        ));
    }

    #[test]
    fn the_peers_version_sets_the_protocol_version_read_at() {
        let mut decoder = btcd();
        let mut v = version(60_000);
        decoder.extend(&encode(MAGIC, NetworkMessage::Version(v.clone())));
        assert!(matches!(
            decoder.decode_next(),
            Ok(Some(NetworkMessage::Version(_)))
        ));
        assert_eq!(decoder.btcd.protocol_version(), 60_000);
        // At 60000 a ping has no nonce: 8 bytes exceed its maximum of 0.
        decoder.extend(&encode(MAGIC, NetworkMessage::Ping(1)));
        assert!(matches!(
            decoder.decode_next(),
            Err(DecodeError::CommandPayloadTooLarge {
                length_bytes: 8,
                ..
            })
        ));
        // A second version changes nothing.
        v.version = 70_016;
        decoder.extend(&encode(MAGIC, NetworkMessage::Version(v)));
        assert!(matches!(
            decoder.decode_next(),
            Ok(Some(NetworkMessage::Version(_)))
        ));
        assert_eq!(decoder.btcd.protocol_version(), 60_000);
    }
}
