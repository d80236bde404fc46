//! Replaying a recorded real peer.
//!
//! A [`ReplayScript`] is the real peer's side of a session captured by `sim record` (see
//! [`crate::tools::record`]): every frame the peer sent, byte for byte (magic, command, length,
//! checksum and payload as received, bad checksums included), keyed to the node's message it
//! followed (its command and ordinal on the connection) and the delay after it, and whether
//! and when the peer closed the connection.
//!
//! Replaying keeps the peer's stream in its recorded order, as TCP would: a frame is sent once
//! its trigger has arrived and its delay has passed, and never before the frame recorded ahead
//! of it. A recorded `pong` answering a `ping` is rebuilt with the nonce of the replayed
//! node's `ping`, since the replayed node picks its own nonces; every other frame is sent as
//! recorded.

use std::collections::BTreeMap;
use std::io;

use bitcoin::hex::FromHex;
use node::wire::{self, CommandString, FrameDecoder, Magic, NetworkMessage};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::{Duration, Instant};

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

/// What the replay does at one position of the recorded stream.
enum Action {
    Send(Vec<u8>),
    Close,
}

/// Serves one connection by replaying `script` until the node closes it (or, if the peer
/// closed it in the recording, until that close is replayed).
///
/// # Errors
/// I/O errors, an undecodable frame from the node, or an invalid script.
pub async fn replay<R, W>(
    mut reader: R,
    mut writer: W,
    magic: Magic,
    script: &ReplayScript,
) -> io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let invalid = |e: String| io::Error::new(io::ErrorKind::InvalidData, e);
    script.validate().map_err(invalid)?;
    // Position in the recorded stream -> (trigger, delay); the close, if any, comes last.
    let mut entries: Vec<(Option<&Trigger>, u64)> = script
        .messages
        .iter()
        .map(|m| (m.after.as_ref(), m.delay_ms))
        .collect();
    if let Some(close) = &script.close {
        entries.push((close.after.as_ref(), close.delay_ms));
    }
    let mut by_trigger: BTreeMap<&Trigger, Vec<usize>> = BTreeMap::new();
    // Position -> when it is due and what to do, once its trigger has arrived.
    let mut scheduled: BTreeMap<usize, (Instant, Action)> = BTreeMap::new();
    let connected = Instant::now();
    let action_of = |index: usize, ping_nonce: Option<u64>| -> Action {
        let Some(message) = script.messages.get(index) else {
            return Action::Close;
        };
        match (message.command.as_str(), ping_nonce) {
            ("pong", Some(nonce)) => Action::Send(wire::encode(magic, NetworkMessage::Pong(nonce))),
            _ => Action::Send(Vec::<u8>::from_hex(&message.frame_hex).unwrap_or_default()),
        }
    };
    for (index, (trigger, delay_ms)) in entries.iter().enumerate() {
        match trigger {
            Some(trigger) => by_trigger.entry(*trigger).or_default().push(index),
            None => {
                scheduled.insert(
                    index,
                    (
                        connected + Duration::from_millis(*delay_ms),
                        action_of(index, None),
                    ),
                );
            }
        }
    }
    // The recorded stream is sent in order: `next` is the first position not yet sent, and
    // nothing after it goes out before it.
    let mut next = 0usize;
    let mut counts: BTreeMap<String, u32> = BTreeMap::new();
    let mut decoder = FrameDecoder::new(magic);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let head_due = scheduled.get(&next).map(|(due, _)| *due);
        tokio::select! {
            // Fixed branch order, so the choice never depends on tokio's own randomness.
            biased;
            () = tokio::time::sleep_until(head_due.unwrap_or(connected)), if head_due.is_some() => {
                match scheduled.remove(&next) {
                    Some((_, Action::Send(frame))) => {
                        writer.write_all(&frame).await?;
                        writer.flush().await?;
                        next += 1;
                    }
                    Some((_, Action::Close)) => {
                        writer.shutdown().await?;
                        return Ok(());
                    }
                    None => {}
                }
            }
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
                    let ping_nonce = match message {
                        NetworkMessage::Ping(nonce) => Some(nonce),
                        _ => None,
                    };
                    for &index in by_trigger.get(&trigger).into_iter().flatten() {
                        let due = now + Duration::from_millis(entries[index].1);
                        scheduled.insert(index, (due, action_of(index, ping_nonce)));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::hashes::Hash;
    use bitcoin::hex::DisplayHex;

    fn message(
        after: Option<(&str, u32)>,
        delay_ms: u64,
        command: &str,
        frame: Vec<u8>,
    ) -> ReplayMessage {
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

    #[test]
    fn a_replay_peer_with_a_bad_frame_is_rejected_with_its_field_path() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("bad.json");
        let scenario = r#"{"description": "bad replay", "seed": 1, "duration_s": 1,
            "node": {"network": "regtest", "connect": ["r"]},
            "peers": [{"name": "r", "behaviour": {"replay": {"source": "test", "messages": [
                {"delay_ms": 0, "command": "verack", "frame_hex": "fabfb5da76657261636b000000000000000000005df6e0e2"},
                {"after": {"command": "getheaders", "nth": 1}, "delay_ms": 5, "command": "headers", "frame_hex": "0g"}
            ]}}}],
            "expect": {}}"#;
        std::fs::write(&path, scenario).expect("write");
        let error = crate::scenario::Scenario::load(&path)
            .expect_err("a bad frame")
            .to_string();
        assert!(
            error.contains("peers[0].behaviour.replay.messages[1].frame_hex"),
            "{error}"
        );
        assert!(error.contains("not hex"), "{error}");
    }

    #[test]
    fn commands_and_ordinals_are_checked() {
        let magic = wire::magic_for(bitcoin::Network::Regtest);
        let verack = wire::encode(magic, NetworkMessage::Verack);
        let mut script = ReplayScript {
            source: String::new(),
            messages: vec![message(Some(("ping", 0)), 0, "pong", verack.clone())],
            close: None,
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

    /// The peer's stream keeps its recorded order even when a later frame's trigger comes
    /// first; a recorded pong carries the replayed ping's nonce; a recorded close ends it.
    #[tokio::test]
    async fn frames_go_out_in_recorded_order_with_the_nodes_ping_nonce_then_the_close() {
        let magic = wire::magic_for(bitcoin::Network::Regtest);
        let headers =
            wire::encode_with_checksum(magic, NetworkMessage::Headers(vec![]), [1, 2, 3, 4]);
        let script = ReplayScript {
            source: "test".into(),
            messages: vec![
                message(
                    None,
                    0,
                    "verack",
                    wire::encode(magic, NetworkMessage::Verack),
                ),
                message(
                    Some(("ping", 1)),
                    2,
                    "pong",
                    wire::encode(magic, NetworkMessage::Pong(1111)),
                ),
                message(Some(("getheaders", 1)), 0, "headers", headers.clone()),
            ],
            close: Some(ReplayClose {
                after: Some(Trigger {
                    command: "getheaders".into(),
                    nth: 1,
                }),
                delay_ms: 1,
            }),
        };
        let (node_side, peer_side) = tokio::io::duplex(1 << 16);
        let (peer_read, peer_write) = tokio::io::split(peer_side);
        let replayer =
            tokio::spawn(async move { replay(peer_read, peer_write, magic, &script).await });
        let (mut node_read, mut node_write) = tokio::io::split(node_side);
        let getheaders = NetworkMessage::GetHeaders(wire::GetHeadersMessage::new(
            vec![],
            bitcoin::BlockHash::from_byte_array([0; 32]),
        ));
        node_write
            .write_all(&wire::encode(magic, getheaders))
            .await
            .expect("write");
        node_write
            .write_all(&wire::encode(magic, NetworkMessage::Ping(42)))
            .await
            .expect("write");
        let mut received = Vec::new();
        node_read
            .read_to_end(&mut received)
            .await
            .expect("read until the replayed close");
        let mut expected = wire::encode(magic, NetworkMessage::Verack);
        expected.extend(wire::encode(magic, NetworkMessage::Pong(42)));
        expected.extend(headers);
        assert_eq!(
            received.to_lower_hex_string(),
            expected.to_lower_hex_string()
        );
        replayer.await.expect("join").expect("replay ends cleanly");
    }
}
