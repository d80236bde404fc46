//! The recorded side of a real peer, as a scenario holds it (`behaviour: {"replay": ...}`): a
//! [`ReplayScript`] is the real peer's side of a session captured by `sim record` (see
//! [`crate::tools::record`]): every frame the peer sent, byte for byte (magic, command, length,
//! checksum and payload as received, bad checksums included), keyed to the node's message it
//! followed (its command and ordinal on the connection) and the delay after it, and whether
//! and when the peer closed the connection. [`crate::peers::replay`] replays it.

use bitcoin::hex::FromHex;
use node::wire::{self, CommandString};
use serde::{Deserialize, Serialize};

/// The recorded side of a real peer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplayScript {
    /// Where and when it was recorded (free text).
    pub source: String,
    /// The peer's frames in the order it sent them.
    pub messages: Vec<ReplayMessage>,
    /// When the peer closed the connection, if it did during the recording; replayed after
    /// every message (the writer is shut down).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close: Option<ReplayClose>,
    /// Each frame goes out once its own trigger has arrived and its delay has passed, whatever
    /// the frames recorded before it still wait for. For a capture replayed against a node
    /// that stands where another implementation stood (`sim import-capture --replay peer`):
    /// the captured peer's answers to requests this node never makes (a header-only node sends
    /// no `getdata`) must not hold back the rest. Off by default: a recorded stream keeps its
    /// order, as TCP does.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unordered: bool,
}

/// One recorded frame of the peer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplayMessage {
    /// The node's message it followed; absent when the peer sent it before the node sent
    /// anything (the delay then counts from the connection).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Trigger>,
    /// Milliseconds between the trigger's arrival and this frame, as recorded.
    pub delay_ms: u64,
    /// Its wire command (for reading the file, and to recognise a `pong` to rebuild).
    pub command: String,
    /// The whole frame as received (24-byte header, then the payload), lowercase hex.
    pub frame_hex: String,
}

/// The peer closing the connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplayClose {
    /// The node's message it followed (absent: counted from the connection).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Trigger>,
    /// Milliseconds after the trigger.
    pub delay_ms: u64,
}

/// The node's `nth` message (1-based) with `command` on the connection.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    /// The node's command.
    pub command: String,
    /// Its ordinal among the node's messages with that command, from 1.
    pub nth: u32,
}

impl ReplayScript {
    /// Checks every frame's hex and header length, every command, and every ordinal.
    ///
    /// # Errors
    /// A message naming the first bad entry (`messages[3].frame_hex: ...`).
    pub fn validate(&self) -> Result<(), String> {
        for (i, message) in self.messages.iter().enumerate() {
            let frame = Vec::<u8>::from_hex(&message.frame_hex)
                .map_err(|e| format!("messages[{i}].frame_hex: not hex ({e})"))?;
            if frame.len() < wire::HEADER_SIZE_BYTES {
                return Err(format!(
                    "messages[{i}].frame_hex: {} bytes, shorter than a {}-byte message header",
                    frame.len(),
                    wire::HEADER_SIZE_BYTES
                ));
            }
            let command =
                CommandString::try_from(message.command.as_str()).map_err(|e| e.to_string());
            if let Some(error) = command
                .err()
                .or_else(|| (!message.command.is_ascii()).then(|| "not ASCII".to_string()))
            {
                return Err(format!(
                    "messages[{i}].command: `{}` is not a wire command ({error})",
                    message.command
                ));
            }
            check_trigger(message.after.as_ref())
                .map_err(|e| format!("messages[{i}].after.nth: {e}"))?;
        }
        if let Some(close) = &self.close {
            check_trigger(close.after.as_ref()).map_err(|e| format!("close.after.nth: {e}"))?;
        }
        Ok(())
    }
}

fn check_trigger(trigger: Option<&Trigger>) -> Result<(), String> {
    match trigger {
        Some(t) if t.nth == 0 => Err("ordinals start at 1".to_string()),
        _ => Ok(()),
    }
}

/// A replay message for tests: sent `delay_ms` after the `nth` `command` from the node (or at
/// once), with `frame` as its bytes.
#[cfg(test)]
pub(crate) fn test_message(
    after: Option<(&str, u32)>,
    delay_ms: u64,
    command: &str,
    frame: Vec<u8>,
) -> ReplayMessage {
    use bitcoin::hex::DisplayHex;
    ReplayMessage {
        after: after.map(|(command, nth)| Trigger {
            command: command.into(),
            nth,
        }),
        delay_ms,
        command: command.into(),
        frame_hex: frame.to_lower_hex_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use node::wire::NetworkMessage;

    use super::test_message as message;

    #[test]
    fn commands_and_ordinals_are_checked() {
        let magic = wire::magic_for(bitcoin::Network::Regtest);
        let verack = wire::encode(magic, NetworkMessage::Verack);
        let mut script = ReplayScript {
            source: String::new(),
            messages: vec![message(Some(("ping", 0)), 0, "pong", verack.clone())],
            close: None,
            unordered: false,
        };
        assert_eq!(
            script.validate(),
            Err("messages[0].after.nth: ordinals start at 1".to_string())
        );
        script.messages = vec![message(None, 0, "vérack", verack)];
        assert!(script
            .validate()
            .is_err_and(|e| e.starts_with("messages[0].command: `vérack`")));
        script.messages = vec![message(None, 0, "verack", vec![0; 10])];
        assert!(script
            .validate()
            .is_err_and(|e| e.contains("shorter than a 24-byte message header")));
    }
}
