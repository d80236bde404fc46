//! A frame a script writes byte for byte (`send.raw`): any 12 command bytes, any declared
//! length and checksum and any magic, each the correct one unless given; and how a script cuts
//! what it writes into pieces (`send_split.split_at`).
//!
//! ```json
//! {"send": {"raw": {"command": "ping", "payload_hex": "0100000000000000"}}}
//! {"send": {"raw": {"command_hex": "76657200ff", "payload_hex": "", "checksum_hex": "00000000"}}}
//! {"send": {"raw": {"command": "headers", "payload_hex": "00", "length_bytes": 81}}}
//! {"send": {"bytes_hex": "fabfb5da"}}
//! ```

use bitcoin::hashes::{sha256d, Hash};
use serde::{Deserialize, Serialize};

use super::behaviour::hex_bytes;

/// Bytes in a frame's command field.
pub const COMMAND_BYTES: usize = 12;

/// A frame written as given: magic, 12 command bytes, declared payload length, checksum,
/// payload. Every part not given is the correct one: the network's magic, the payload's own
/// length, and the first four bytes of the payload's double SHA-256 (rust-bitcoin's
/// `sha256d`). The command is `command` (text) or `command_hex` (bytes), exactly one of them,
/// NUL-padded to 12 bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFrame {
    /// The command as text: its UTF-8 bytes (at most 12; a `\u0000` inside is a NUL byte).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// The command as hex: at most 12 bytes, any values (NULs inside, non-ASCII).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_hex: Option<String>,
    /// The payload, hex-encoded (empty when absent).
    #[serde(default)]
    pub payload_hex: String,
    /// The payload length the frame header declares (default: the payload's). More than the
    /// payload makes the node read the following bytes as the rest of it; fewer leaves the
    /// payload's tail to be read as the next frame.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length_bytes: Option<u32>,
    /// The checksum the frame header declares, 4 bytes as hex (default: the payload's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum_hex: Option<String>,
    /// The network magic, 4 bytes as hex (default: the scenario's network's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub magic_hex: Option<String>,
}

impl RawFrame {
    /// A frame with `command` (text) and `payload_hex`, every other part correct.
    pub fn new(command: impl Into<String>, payload_hex: impl Into<String>) -> RawFrame {
        RawFrame {
            command: Some(command.into()),
            payload_hex: payload_hex.into(),
            ..RawFrame::default()
        }
    }

    /// A frame whose command bytes are `command_hex`, with `payload_hex`.
    pub fn with_command_hex(
        command_hex: impl Into<String>,
        payload_hex: impl Into<String>,
    ) -> RawFrame {
        RawFrame {
            command_hex: Some(command_hex.into()),
            payload_hex: payload_hex.into(),
            ..RawFrame::default()
        }
    }

    /// The same frame declaring `length_bytes` as its payload length.
    pub fn length_bytes(mut self, length_bytes: u32) -> RawFrame {
        self.length_bytes = Some(length_bytes);
        self
    }

    /// The same frame declaring the checksum `checksum_hex` (4 bytes).
    pub fn checksum_hex(mut self, checksum_hex: impl Into<String>) -> RawFrame {
        self.checksum_hex = Some(checksum_hex.into());
        self
    }

    /// The same frame with the magic `magic_hex` (4 bytes).
    pub fn magic_hex(mut self, magic_hex: impl Into<String>) -> RawFrame {
        self.magic_hex = Some(magic_hex.into());
        self
    }

    /// The 12 command bytes.
    ///
    /// # Errors
    /// (field, problem): neither or both of `command` and `command_hex`, more than 12 bytes,
    /// hex that is not hex.
    pub fn command_bytes(&self) -> Result<[u8; COMMAND_BYTES], (&'static str, String)> {
        let bytes = match (&self.command, &self.command_hex) {
            (Some(text), None) => text.as_bytes().to_vec(),
            (None, Some(hex)) => {
                hex_bytes(hex).ok_or_else(|| ("command_hex", format!("`{hex}` is not hex")))?
            }
            _ => {
                return Err((
                    "command",
                    "give exactly one of `command` (text) and `command_hex` (bytes)".into(),
                ))
            }
        };
        let field = if self.command.is_some() {
            "command"
        } else {
            "command_hex"
        };
        if bytes.len() > COMMAND_BYTES {
            return Err((
                field,
                format!("{} bytes, at most {COMMAND_BYTES}", bytes.len()),
            ));
        }
        let mut command = [0u8; COMMAND_BYTES];
        command[..bytes.len()].copy_from_slice(&bytes);
        Ok(command)
    }

    /// The whole frame, with `magic` unless `magic_hex` replaces it.
    ///
    /// # Errors
    /// (field, problem) for the first part that is not valid: a command as
    /// [`RawFrame::command_bytes`] says, a payload, checksum or magic that is not hex, a
    /// checksum or magic that is not 4 bytes, a payload over `u32::MAX` bytes.
    pub fn frame(&self, magic: [u8; 4]) -> Result<Vec<u8>, (&'static str, String)> {
        let command = self.command_bytes()?;
        let payload = hex_bytes(&self.payload_hex).ok_or_else(|| {
            (
                "payload_hex",
                format!("`{}` is not hex", abbreviated(&self.payload_hex)),
            )
        })?;
        let four = |field: &'static str, hex: &Option<String>| -> Result<Option<[u8; 4]>, _> {
            let Some(hex) = hex else {
                return Ok(None);
            };
            let bytes = hex_bytes(hex).ok_or_else(|| (field, format!("`{hex}` is not hex")))?;
            <[u8; 4]>::try_from(bytes.as_slice())
                .map(Some)
                .map_err(|_| (field, format!("`{hex}` is {} bytes, not 4", bytes.len())))
        };
        let magic = four("magic_hex", &self.magic_hex)?.unwrap_or(magic);
        let checksum = match four("checksum_hex", &self.checksum_hex)? {
            Some(checksum) => checksum,
            None => checksum_of(&payload),
        };
        let length = match self.length_bytes {
            Some(length) => length,
            None => u32::try_from(payload.len()).map_err(|_| {
                (
                    "payload_hex",
                    format!("{} bytes, over u32::MAX", payload.len()),
                )
            })?,
        };
        let mut frame = Vec::with_capacity(24 + payload.len());
        frame.extend_from_slice(&magic);
        frame.extend_from_slice(&command);
        frame.extend_from_slice(&length.to_le_bytes());
        frame.extend_from_slice(&checksum);
        frame.extend_from_slice(&payload);
        Ok(frame)
    }
}

/// The frame checksum of `payload`: the first four bytes of its double SHA-256.
pub fn checksum_of(payload: &[u8]) -> [u8; 4] {
    let hash = sha256d::Hash::hash(payload).to_byte_array();
    [hash[0], hash[1], hash[2], hash[3]]
}

/// `bytes` cut at `offsets` (increasing; each clamped to the length): the pieces a
/// `send_split` writes one after the other.
pub fn pieces<'a>(bytes: &'a [u8], offsets: &[u32]) -> Vec<&'a [u8]> {
    let mut out = Vec::with_capacity(offsets.len() + 1);
    let mut start = 0;
    for &offset in offsets {
        let cut = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .clamp(start, bytes.len());
        out.push(&bytes[start..cut]);
        start = cut;
    }
    out.push(&bytes[start..]);
    out
}

/// The first 40 characters of a long hex string, for error messages.
fn abbreviated(hex: &str) -> String {
    match hex.char_indices().nth(40) {
        Some((at, _)) => format!("{}…", &hex[..at]),
        None => hex.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use node::wire::{self, Magic, NetworkMessage};

    const REGTEST: [u8; 4] = [0xfa, 0xbf, 0xb5, 0xda];

    #[test]
    fn a_raw_frame_with_defaults_is_the_frame_rust_bitcoin_encodes() {
        let magic = Magic::from_bytes(REGTEST);
        let frame = RawFrame::new("ping", "2a00000000000000")
            .frame(REGTEST)
            .unwrap();
        assert_eq!(frame, wire::encode(magic, NetworkMessage::Ping(42)));
        let unknown = RawFrame::new("junk", "0102").frame(REGTEST).unwrap();
        assert_eq!(unknown, wire::encode_raw(magic, "junk", &[1, 2]));
        let empty = RawFrame::new("verack", "").frame(REGTEST).unwrap();
        assert_eq!(empty, wire::encode(magic, NetworkMessage::Verack));
    }

    #[test]
    fn every_part_of_a_raw_frame_can_be_given() {
        let frame = RawFrame::with_command_hex("7665720073ff", "abcd")
            .length_bytes(300)
            .checksum_hex("01020304")
            .magic_hex("f9beb4d9")
            .frame(REGTEST)
            .unwrap();
        let mut expected = vec![0xf9, 0xbe, 0xb4, 0xd9];
        expected.extend_from_slice(&[b'v', b'e', b'r', 0, b's', 0xff, 0, 0, 0, 0, 0, 0]);
        expected.extend_from_slice(&300u32.to_le_bytes());
        expected.extend_from_slice(&[1, 2, 3, 4, 0xab, 0xcd]);
        assert_eq!(frame, expected);
        // A NUL inside a text command is a NUL byte.
        let text = RawFrame::new("ver\u{0}s", "").command_bytes().unwrap();
        assert_eq!(&text[..6], b"ver\0s\0");
    }

    #[test]
    fn a_bad_raw_frame_names_its_field() {
        let err = |frame: RawFrame| frame.frame(REGTEST).unwrap_err();
        assert_eq!(err(RawFrame::new("thirteen_char", "")).0, "command");
        assert_eq!(
            err(RawFrame::with_command_hex("00112233445566778899aabbcc", "")),
            ("command_hex", "13 bytes, at most 12".into())
        );
        assert_eq!(err(RawFrame::default()).0, "command");
        let both = RawFrame {
            command_hex: Some("00".into()),
            ..RawFrame::new("a", "")
        };
        assert!(err(both).1.contains("exactly one"));
        assert_eq!(err(RawFrame::new("a", "0")).0, "payload_hex");
        assert_eq!(
            err(RawFrame::new("a", "").checksum_hex("0102")),
            ("checksum_hex", "`0102` is 2 bytes, not 4".into())
        );
        assert_eq!(err(RawFrame::new("a", "").magic_hex("zz")).0, "magic_hex");
    }

    #[test]
    fn pieces_cut_at_the_offsets_and_clamp_past_the_end() {
        let bytes = [0u8, 1, 2, 3, 4, 5];
        assert_eq!(
            pieces(&bytes, &[1, 4]),
            vec![&bytes[..1], &bytes[1..4], &bytes[4..]]
        );
        assert_eq!(pieces(&bytes, &[9]), vec![&bytes[..], &bytes[6..]]);
        assert_eq!(pieces(&bytes, &[]), vec![&bytes[..]]);
    }
}
