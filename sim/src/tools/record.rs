//! Recording a live session into a replayable scenario (`sim record`).
//!
//! [`record`] is a TCP proxy on real sockets: the node dials it, it dials the real peer, and it
//! forwards every byte unchanged in both directions while it cuts each direction into frames and
//! notes when each one was complete. [`Recording::to_scenario`] turns that into a scenario whose
//! single fake peer replays the real peer's side ([`crate::peers::replay`]) and whose expectations
//! are the live outcome: the node's commands in order and, when the node's data folder is given,
//! its tip.
//!
//! Real time is read here (this runs outside the simulator, like `sim serve`).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use bitcoin::hex::DisplayHex;
use node::wire::{self, Magic};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::scenario::Behaviour;
use crate::scenario::{Expect, NetworkName, NodeSpec, PeerExpect, PeerSpec, ProfileName, Scenario};
use crate::scenario::{ReplayClose, ReplayMessage, ReplayScript, Trigger};

/// One complete frame seen by the proxy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedFrame {
    /// Milliseconds since the node's connection was accepted.
    pub at_ms: u64,
    /// True for node -> peer, false for peer -> node.
    pub from_node: bool,
    /// Wire command (the header's command bytes without their NUL padding).
    pub command: String,
    /// The whole frame as received: the 24-byte header, then the payload.
    pub bytes: Vec<u8>,
}

/// A captured session.
#[derive(Debug, Clone, Default)]
pub struct Recording {
    /// When the node's connection was accepted, milliseconds since the Unix epoch.
    pub started_unix_ms: u64,
    /// How long the session was recorded, milliseconds.
    pub length_ms: u64,
    /// The real peer's address.
    pub upstream: String,
    /// Every frame in the order the proxy completed them.
    pub frames: Vec<RecordedFrame>,
    /// When the peer closed its side (milliseconds), and how many frames had been completed
    /// by then; `None` if it did not close during the recording.
    pub peer_closed: Option<(u64, usize)>,
    /// Anything unusual: bytes that are not frames of this network (a wrong magic, command or
    /// length; recording of that direction stops, forwarding goes on), frames with a bad
    /// checksum (recorded as they are).
    pub notes: Vec<String>,
    /// How the session ended.
    pub ended_by: String,
}

/// Cuts one direction of the stream into frames.
struct Splitter {
    magic: Magic,
    from_node: bool,
    buffer: Vec<u8>,
    broken: bool,
}

impl Splitter {
    fn side(&self) -> &'static str {
        if self.from_node {
            "node -> peer"
        } else {
            "peer -> node"
        }
    }

    fn push(
        &mut self,
        bytes: &[u8],
        at_ms: u64,
        out: &mut Vec<RecordedFrame>,
        notes: &mut Vec<String>,
    ) {
        if self.broken {
            return;
        }
        self.buffer.extend_from_slice(bytes);
        while let Some(header_bytes) = self.buffer.first_chunk::<{ wire::HEADER_SIZE_BYTES }>() {
            let header = match wire::parse_header(self.magic, header_bytes) {
                Ok(header) => header,
                Err(error) => {
                    notes.push(format!(
                        "{}: bytes at {at_ms} ms are not a frame ({error}); not recorded further",
                        self.side()
                    ));
                    self.broken = true;
                    return;
                }
            };
            let total = wire::HEADER_SIZE_BYTES + header.payload_len;
            if self.buffer.len() < total {
                return;
            }
            let bytes: Vec<u8> = self.buffer.drain(..total).collect();
            let checksum_ok = header.checksum_matches(&bytes[wire::HEADER_SIZE_BYTES..]);
            let command = header.command;
            if !checksum_ok {
                notes.push(format!(
                    "{}: `{command}` at {at_ms} ms has a bad checksum (recorded as sent)",
                    self.side()
                ));
            }
            out.push(RecordedFrame {
                at_ms,
                from_node: self.from_node,
                command,
                bytes,
            });
        }
    }
}

/// Shared state of the two relay directions (one task, so a `RefCell` suffices; no borrow
/// is held across an `.await`).
struct Capture {
    started: Instant,
    frames: Vec<RecordedFrame>,
    notes: Vec<String>,
    peer_closed: Option<(u64, usize)>,
}

/// Copies one direction until it ends, recording its frames; on end of stream it passes the
/// FIN on (half-close) and returns how it ended.
async fn relay(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut splitter: Splitter,
    capture: &RefCell<Capture>,
) -> String {
    let who = if splitter.from_node {
        "the node"
    } else {
        "the peer"
    };
    let mut buf = vec![0u8; 64 * 1024];
    let end = loop {
        match from.read(&mut buf).await {
            Ok(0) => break format!("{who} closed its side"),
            Err(error) => break format!("{who}'s side failed: {error}"),
            Ok(n) => {
                {
                    let capture = &mut *capture.borrow_mut();
                    let at_ms = capture.started.elapsed().as_millis() as u64;
                    splitter.push(&buf[..n], at_ms, &mut capture.frames, &mut capture.notes);
                }
                if let Err(error) = to.write_all(&buf[..n]).await {
                    break format!("forwarding from {who} failed: {error}");
                }
            }
        }
    };
    if !splitter.from_node {
        let capture = &mut *capture.borrow_mut();
        let at_ms = capture.started.elapsed().as_millis() as u64;
        capture.peer_closed = Some((at_ms, capture.frames.len()));
    }
    let _ = to.shutdown().await;
    end
}

/// Accepts one connection (the node) on `listener`, dials `upstream`, and relays both ways,
/// each direction on its own, until both have ended or `stop` completes.
///
/// # Errors
/// The accept or the dial failing; errors after that end the session instead.
pub async fn record(
    listener: TcpListener,
    upstream: &str,
    magic: Magic,
    stop: impl std::future::Future<Output = String>,
) -> io::Result<Recording> {
    let (node, _) = listener.accept().await?;
    let started = Instant::now();
    let started_unix_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let peer = TcpStream::connect(upstream).await?;
    let _ = node.set_nodelay(true);
    let _ = peer.set_nodelay(true);
    let (node_read, node_write) = node.into_split();
    let (peer_read, peer_write) = peer.into_split();
    let capture = RefCell::new(Capture {
        started,
        frames: Vec::new(),
        notes: Vec::new(),
        peer_closed: None,
    });
    let up = relay(
        node_read,
        peer_write,
        Splitter {
            magic,
            from_node: true,
            buffer: Vec::new(),
            broken: false,
        },
        &capture,
    );
    let down = relay(
        peer_read,
        node_write,
        Splitter {
            magic,
            from_node: false,
            buffer: Vec::new(),
            broken: false,
        },
        &capture,
    );
    let ended_by = tokio::select! {
        (up, down) = async { tokio::join!(up, down) } => format!("{up}; {down}"),
        why = stop => why,
    };
    let capture = capture.into_inner();
    Ok(Recording {
        started_unix_ms,
        length_ms: started.elapsed().as_millis() as u64,
        upstream: upstream.to_string(),
        frames: capture.frames,
        peer_closed: capture.peer_closed,
        notes: capture.notes,
        ended_by,
    })
}

/// The peer's close, keyed to the node's message completed last before it.
fn close_after(last: Option<&(Trigger, u64)>, closed_ms: u64) -> ReplayClose {
    match last {
        Some((trigger, at_ms)) => ReplayClose {
            after: Some(trigger.clone()),
            delay_ms: closed_ms.saturating_sub(*at_ms),
        },
        None => ReplayClose {
            after: None,
            delay_ms: closed_ms,
        },
    }
}

/// What a replayed message that answers no request of the node is keyed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keying {
    /// The node's message completed last before it, and the stream keeps its recorded order:
    /// the replayed node is the one recorded (`sim record`, `sim import-capture --replay
    /// bitcoind`).
    Latest,
    /// The node's latest `version` or `verack` before it, and each message goes out on its
    /// own trigger ([`ReplayScript::unordered`]): the replayed node stands where another
    /// implementation stood (`sim import-capture --replay peer`), so only the handshake and
    /// the requests both ask are shared.
    Handshake,
}

/// The live node's tip, read from its store after the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveTip {
    /// Height of the stored tip.
    pub height: u32,
    /// Its hash.
    pub hash: String,
}

impl Recording {
    /// The commands the node sent, in order.
    pub fn node_commands(&self) -> Vec<String> {
        self.frames
            .iter()
            .filter(|f| f.from_node)
            .map(|f| f.command.clone())
            .collect()
    }

    /// The peer's side as a replay script, in recorded order ([`Keying::Latest`]).
    pub fn replay_script(&self) -> ReplayScript {
        self.replay_script_keyed(Keying::Latest)
    }

    /// The peer's side as a replay script. A reply is keyed to the node's latest request it
    /// answers (`headers` to `getheaders`, `pong` to `ping`, `addr`/`addrv2` to `getaddr`,
    /// `block`/`tx`/`notfound` to `getdata`); any other message as `keying` says. The delay
    /// counts from that message.
    pub fn replay_script_keyed(&self, keying: Keying) -> ReplayScript {
        let mut counts: BTreeMap<String, u32> = BTreeMap::new();
        // Per node command, its latest ordinal and time; and the latest node message overall.
        let mut latest: BTreeMap<String, (Trigger, u64)> = BTreeMap::new();
        let mut last: Option<(Trigger, u64)> = None;
        let mut messages = Vec::new();
        let mut close = None;
        for (index, frame) in self.frames.iter().enumerate() {
            if let Some((closed_ms, before)) = self.peer_closed {
                if before == index && close.is_none() {
                    close = Some(close_after(last.as_ref(), closed_ms));
                }
            }
            if frame.from_node {
                let nth = counts.entry(frame.command.clone()).or_insert(0);
                *nth += 1;
                let trigger = (
                    Trigger {
                        command: frame.command.clone(),
                        nth: *nth,
                    },
                    frame.at_ms,
                );
                latest.insert(frame.command.clone(), trigger.clone());
                if keying == Keying::Latest
                    || matches!(frame.command.as_str(), "version" | "verack")
                {
                    last = Some(trigger);
                }
                continue;
            }
            let request = match frame.command.as_str() {
                "headers" => Some("getheaders"),
                "pong" => Some("ping"),
                "addr" | "addrv2" => Some("getaddr"),
                "block" | "tx" | "notfound" => Some("getdata"),
                _ => None,
            };
            let key = request.and_then(|r| latest.get(r)).or(last.as_ref());
            let (after, delay_ms) = match key {
                Some((trigger, at_ms)) => {
                    (Some(trigger.clone()), frame.at_ms.saturating_sub(*at_ms))
                }
                None => (None, frame.at_ms),
            };
            messages.push(ReplayMessage {
                after,
                delay_ms,
                command: frame.command.clone(),
                frame_hex: frame.bytes.to_lower_hex_string(),
            });
        }
        if let Some((closed_ms, _)) = self.peer_closed {
            close.get_or_insert_with(|| close_after(last.as_ref(), closed_ms));
        }
        let when = self.started_unix_ms / 1000;
        ReplayScript {
            source: format!(
                "recorded from {} at unix time {when} s for {} ms",
                self.upstream, self.length_ms
            ),
            messages,
            close,
            unordered: keying == Keying::Handshake,
        }
    }

    /// The recorded session as a scenario: the node, running `profile`, dials one peer,
    /// `peer_name`, that replays the real peer; simulated time starts at the recording's start
    /// and runs as long as it did; the expectations are, with `expect_sent`, the node's
    /// commands in order (when the recorded node side was this node, or one it should match
    /// message for message) and, with `live_tip`, its tip. The peer's messages are keyed as
    /// `keying` says.
    pub fn to_scenario(
        &self,
        network: NetworkName,
        profile: ProfileName,
        peer_name: &str,
        live_tip: Option<&LiveTip>,
        expect_sent: bool,
        keying: Keying,
    ) -> Scenario {
        let mut peers = BTreeMap::new();
        if expect_sent {
            peers.insert(
                peer_name.to_string(),
                PeerExpect {
                    sent_sequence: Some(self.node_commands()),
                    ..PeerExpect::default()
                },
            );
        }
        let mut description = format!(
            "A live session with {} replayed: the node's requests get the real peer's recorded answers after the recorded delays ({}).",
            self.upstream, self.ended_by
        );
        for note in &self.notes {
            description.push_str(&format!(" Note: {note}."));
        }
        Scenario {
            description,
            seed: 1,
            epoch_s: self.started_unix_ms / 1000,
            duration_s: self.length_ms.div_ceil(1000).max(1),
            tick_ms: 1,
            // The recorded delays already hold the real round trips; 1 ms per message models
            // the loopback hop between the node and the proxy.
            latency_ms_min: 1,
            latency_ms_max: 1,
            node: NodeSpec {
                network,
                profile,
                connect: vec![peer_name.to_string()],
                automatic: Vec::new(),
                addresses: Vec::new(),
                target_outbound: None,
                listen: false,
                timing: Default::default(),
                trusted_start: None,
                checkpoints: Vec::new(),
                noban: Vec::new(),
                minimum_chain_work: None,
                inbound_max: None,
            },
            peers: vec![PeerSpec {
                name: peer_name.to_string(),
                chain: None,
                behaviour: Behaviour::Replay(self.replay_script_keyed(keying)),
                // The recorded peer is replayed frame by frame; its profile is not used.
                profile: ProfileName::Core,
                version: 70016,
                services: 0,
                start_height: None,
                version_fields: Default::default(),
                dials_node: false,
                version_delay_ms: 0,
                headers_delay_ms: 0,
                block_interval_ms: None,
            }],
            faults: Vec::new(),
            expect: Expect {
                tip_height: live_tip.map(|t| t.height),
                tip_hash: live_tip.map(|t| t.hash.clone()),
                peers,
                ..Expect::default()
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(at_ms: u64, from_node: bool, command: &str, payload: &[u8]) -> RecordedFrame {
        let magic = wire::magic_for(bitcoin::Network::Regtest);
        RecordedFrame {
            at_ms,
            from_node,
            command: command.to_string(),
            bytes: wire::encode_raw(magic, command, payload),
        }
    }

    #[test]
    fn replies_are_keyed_to_the_request_they_answer_and_others_to_the_latest_node_message() {
        let recording = Recording {
            frames: vec![
                frame(0, true, "version", b"v"),
                frame(3, false, "version", b"V"),
                frame(5, true, "getheaders", b"g1"),
                frame(6, false, "ping", &[1; 8]),
                frame(7, true, "pong", &[1; 8]),
                frame(12, false, "headers", b"h1"),
                frame(13, false, "feefilter", b"f"),
                frame(20, true, "ping", &[2; 8]),
                frame(21, true, "getheaders", b"g2"),
                frame(25, false, "pong", &[2; 8]),
                frame(30, false, "headers", b"h2"),
            ],
            ..Recording::default()
        };
        // (command, the node's request it answers as (command, nth), delay in ms)
        type Key = (String, Option<(String, u32)>, u64);
        let keys: Vec<Key> = recording
            .replay_script()
            .messages
            .into_iter()
            .map(|m| (m.command, m.after.map(|t| (t.command, t.nth)), m.delay_ms))
            .collect();
        let key = |c: &str, n: u32| Some((c.to_string(), n));
        assert_eq!(
            keys,
            vec![
                ("version".into(), key("version", 1), 3),
                ("ping".into(), key("getheaders", 1), 1),
                ("headers".into(), key("getheaders", 1), 7),
                ("feefilter".into(), key("pong", 1), 6),
                ("pong".into(), key("ping", 1), 5),
                ("headers".into(), key("getheaders", 2), 9),
            ]
        );
        assert_eq!(
            recording.node_commands(),
            ["version", "getheaders", "pong", "ping", "getheaders"]
        );
        assert_eq!(recording.replay_script().close, None);

        // The peer closes after its last frame: keyed to the node's latest message.
        let closed = Recording {
            peer_closed: Some((40, recording.frames.len())),
            ..recording.clone()
        };
        let close = closed.replay_script().close.expect("a close");
        assert_eq!(
            (close.after.map(|t| (t.command, t.nth)), close.delay_ms),
            (key("getheaders", 2), 19)
        );
        // The recorded bytes are kept whole.
        assert_eq!(
            closed.replay_script().messages[0].frame_hex,
            recording.frames[1].bytes.to_lower_hex_string()
        );
    }

    #[test]
    fn a_frame_with_a_bad_checksum_is_recorded_as_sent_and_noted() {
        let magic = wire::magic_for(bitcoin::Network::Regtest);
        let bad = wire::encode_with_checksum(magic, node::wire::NetworkMessage::Ping(7), [0xff; 4]);
        let mut splitter = Splitter {
            magic,
            from_node: false,
            buffer: Vec::new(),
            broken: false,
        };
        let (mut frames, mut notes) = (Vec::new(), Vec::new());
        splitter.push(&bad, 12, &mut frames, &mut notes);
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0].bytes, bad);
        assert_eq!(
            notes,
            ["peer -> node: `ping` at 12 ms has a bad checksum (recorded as sent)"]
        );
    }

    #[test]
    fn the_splitter_cuts_frames_across_chunks_and_stops_at_foreign_bytes() {
        let magic = wire::magic_for(bitcoin::Network::Regtest);
        let mut bytes = wire::encode(magic, node::wire::NetworkMessage::Ping(9));
        bytes.extend(wire::encode(magic, node::wire::NetworkMessage::Verack));
        let mut splitter = Splitter {
            magic,
            from_node: true,
            buffer: Vec::new(),
            broken: false,
        };
        let (mut frames, mut notes) = (Vec::new(), Vec::new());
        for (i, chunk) in bytes.chunks(5).enumerate() {
            splitter.push(chunk, i as u64, &mut frames, &mut notes);
        }
        assert_eq!(frames.len(), 2);
        assert_eq!(frames[0].command, "ping");
        assert_eq!(
            frames[0].bytes,
            wire::encode(magic, node::wire::NetworkMessage::Ping(9))
        );
        assert_eq!(frames[1].command, "verack");
        assert!(notes.is_empty());
        splitter.push(
            &[
                0x16, 0x03, 0x01, 0x00, 0x2a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                0,
            ],
            99,
            &mut frames,
            &mut notes,
        );
        assert_eq!(frames.len(), 2);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].contains("99 ms"), "{notes:?}");
    }
}
