//! Replaying a recorded real peer: the fake peer's side of a [`ReplayScript`] (a session
//! captured by `sim record`, see [`crate::tools::record`]).
//!
//! Replaying keeps the peer's stream in its recorded order, as TCP would: a frame is sent once
//! its trigger has arrived and its delay has passed, and never before the frame recorded ahead
//! of it. A recorded `pong` answering a `ping` is rebuilt with the nonce of the replayed
//! node's `ping`, since the replayed node picks its own nonces; every other frame is sent as
//! recorded.

use std::collections::BTreeMap;
use std::io;

use bitcoin::hex::FromHex;
use node::wire::{self, FrameDecoder, Magic, NetworkMessage};

use crate::scenario::{ReplayScript, Trigger};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::{Duration, Instant};

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
    // nothing after it goes out before it. An unordered script sends whichever scheduled
    // position is due first (the lower position on a tie).
    let mut next = 0usize;
    let mut counts: BTreeMap<String, u32> = BTreeMap::new();
    let mut decoder = FrameDecoder::new(magic);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let head = if script.unordered {
            scheduled
                .iter()
                .min_by_key(|(index, (due, _))| (*due, **index))
                .map(|(index, (due, _))| (*index, *due))
        } else {
            scheduled.get(&next).map(|(due, _)| (next, *due))
        };
        let head_due = head.map(|(_, due)| due);
        tokio::select! {
            // Fixed branch order, so the choice never depends on tokio's own randomness.
            biased;
            () = tokio::time::sleep_until(head_due.unwrap_or(connected)), if head_due.is_some() => {
                let position = head.map_or(next, |(index, _)| index);
                match scheduled.remove(&position) {
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
    use crate::scenario::ReplayClose;
    use bitcoin::hashes::Hash;
    use bitcoin::hex::DisplayHex;

    use crate::scenario::test_message as message;

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
            unordered: false,
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
