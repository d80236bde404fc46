//! Replaying a recorded real peer.
//!
//! A [`ReplayScript`] is the real peer's side of a session captured by `sim record` (see
//! [`crate::record`]): every message the peer sent, keyed to the node's message it followed
//! (its command and ordinal on the connection) and the delay after it. Replaying sends each
//! recorded message when the node's matching message arrives, after the recorded delay, as
//! the recorded bytes. A recorded `pong` answers with the nonce of the `ping` that triggered
//! it, since a replayed node picks its own nonces.

use std::collections::BTreeMap;
use std::io;

use bitcoin::hex::FromHex;
use node::wire::{self, FrameDecoder, Magic, NetworkMessage};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::{Duration, Instant};

/// The recorded side of a real peer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplayScript {
    /// Where and when it was recorded (free text).
    pub source: String,
    /// The peer's messages in the order it sent them.
    pub messages: Vec<ReplayMessage>,
}

/// One recorded message of the peer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplayMessage {
    /// The node's message it followed; absent when the peer sent it before the node sent
    /// anything (the delay then counts from the connection).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Trigger>,
    /// Milliseconds between the trigger's arrival and this message, as recorded.
    pub delay_ms: u64,
    /// Its wire command.
    pub command: String,
    /// Its payload bytes, lowercase hex.
    pub payload_hex: String,
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
    /// Checks every payload's hex and every command's length.
    ///
    /// # Errors
    /// A message naming the first bad entry (`messages[3].payload_hex: ...`).
    pub fn validate(&self) -> Result<(), String> {
        for (i, message) in self.messages.iter().enumerate() {
            Vec::<u8>::from_hex(&message.payload_hex)
                .map_err(|e| format!("messages[{i}].payload_hex: not hex ({e})"))?;
            if message.command.is_empty() || message.command.len() > wire::COMMAND_SIZE_BYTES {
                return Err(format!("messages[{i}].command: `{}` is not a wire command", message.command));
            }
            if message.after.as_ref().is_some_and(|t| t.nth == 0) {
                return Err(format!("messages[{i}].after.nth: ordinals start at 1"));
            }
        }
        Ok(())
    }
}

/// Serves one connection by replaying `script` until the node closes it.
///
/// # Errors
/// I/O errors, an undecodable frame from the node, or a payload that is not hex.
pub async fn replay<R, W>(mut reader: R, mut writer: W, magic: Magic, script: &ReplayScript) -> io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let invalid = |e: String| io::Error::new(io::ErrorKind::InvalidData, e);
    script.validate().map_err(invalid)?;
    let mut by_trigger: BTreeMap<Trigger, Vec<&ReplayMessage>> = BTreeMap::new();
    // Due time and sequence number -> frame (or a pong to fill in).
    let mut pending: BTreeMap<(Instant, u64), Vec<u8>> = BTreeMap::new();
    let mut sequence = 0u64;
    let connected = Instant::now();
    let frame_of = |message: &ReplayMessage| -> Vec<u8> {
        let payload = Vec::<u8>::from_hex(&message.payload_hex).unwrap_or_default();
        wire::encode_raw(magic, &message.command, &payload)
    };
    for message in &script.messages {
        match &message.after {
            Some(trigger) => by_trigger.entry(trigger.clone()).or_default().push(message),
            None => {
                sequence += 1;
                pending.insert((connected + Duration::from_millis(message.delay_ms), sequence), frame_of(message));
            }
        }
    }
    let mut counts: BTreeMap<String, u32> = BTreeMap::new();
    let mut decoder = FrameDecoder::new(magic);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let next_due = pending.first_key_value().map(|((due, _), _)| *due);
        tokio::select! {
            read = reader.read(&mut buf) => {
                let n = read?;
                if n == 0 {
                    return Ok(());
                }
                decoder.extend(&buf[..n]);
                let now = Instant::now();
                while let Some(message) = decoder.decode_next().map_err(|e| invalid(e.to_string()))? {
                    let command = wire::command_name(&message);
                    let nth = counts.entry(command.clone()).or_insert(0);
                    *nth += 1;
                    let trigger = Trigger { command, nth: *nth };
                    for recorded in by_trigger.get(&trigger).into_iter().flatten() {
                        let frame = match (&message, recorded.command.as_str()) {
                            (NetworkMessage::Ping(nonce), "pong") => wire::encode(magic, NetworkMessage::Pong(*nonce)),
                            _ => frame_of(recorded),
                        };
                        sequence += 1;
                        pending.insert((now + Duration::from_millis(recorded.delay_ms), sequence), frame);
                    }
                }
            }
            () = tokio::time::sleep_until(next_due.unwrap_or(connected)), if next_due.is_some() => {
                if let Some((_, frame)) = pending.pop_first() {
                    writer.write_all(&frame).await?;
                    writer.flush().await?;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replay_peer_with_a_bad_payload_is_rejected_with_its_field_path() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("bad.json");
        let scenario = r#"{"description": "bad replay", "seed": 1, "duration_s": 1,
            "node": {"network": "regtest", "connect": ["r"]},
            "peers": [{"name": "r", "behaviour": {"replay": {"source": "test", "messages": [
                {"delay_ms": 0, "command": "verack", "payload_hex": ""},
                {"after": {"command": "getheaders", "nth": 1}, "delay_ms": 5, "command": "headers", "payload_hex": "0g"}
            ]}}}],
            "expect": {}}"#;
        std::fs::write(&path, scenario).expect("write");
        let error = crate::Scenario::load(&path).expect_err("a bad payload").to_string();
        assert!(error.contains("peers[0].behaviour.replay.messages[1].payload_hex"), "{error}");
        assert!(error.contains("not hex"), "{error}");
    }

    #[test]
    fn ordinals_start_at_one() {
        let script = ReplayScript {
            source: String::new(),
            messages: vec![ReplayMessage {
                after: Some(Trigger { command: "ping".into(), nth: 0 }),
                delay_ms: 0,
                command: "pong".into(),
                payload_hex: String::new(),
            }],
        };
        assert_eq!(script.validate(), Err("messages[0].after.nth: ordinals start at 1".to_string()));
    }
}
