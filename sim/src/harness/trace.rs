//! The trace recorder: every node event and harness note kept as a typed [`TraceEntry`] beside
//! its one rendering as a line of text (simulated milliseconds, peer as `host#id`, command and
//! key fields), the same as JSON, a SHA-256 digest of the text, and the per-connection
//! bookkeeping the outcome is built from. The harness reads the typed entries; the text is for
//! people, snapshots and the digest, and is never parsed back.

use std::collections::BTreeMap;

use bitcoin::hashes::{sha256, Hash};
use node::protocol::{ConnectionType, Direction, MessageSummary, TargetKind};
use node::{DisconnectReason, Event, PeerId};
use serde::{Serialize, Serializer};

/// What a trace line records, as a typed value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TraceEntry {
    /// An event of the node under test.
    Node(Event),
    /// Something the harness did or noticed.
    Harness(HarnessNote),
}

/// A harness line of the trace: what happened to a scripted fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HarnessNote {
    /// A timed fault's start came (`fault LABEL`).
    Fault {
        /// The fault's label.
        label: String,
    },
    /// A timed fault was undone (`fault end LABEL`).
    FaultEnd {
        /// The fault's label.
        label: String,
    },
    /// A fake peer's own fault fired (`fault fired LABEL`).
    FaultFired {
        /// The fault's label.
        label: String,
    },
    /// A crash fault named a host that was not running.
    CrashNotApplied {
        /// The host.
        host: String,
    },
    /// A ban fault came while the node was not running.
    BanNotDelivered,
    /// A refused-dials fault named a fake peer that does not listen (it dials the node).
    RefuseNotApplied {
        /// The host.
        host: String,
    },
}

impl std::fmt::Display for HarnessNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HarnessNote::Fault { label } => write!(f, "fault {label}"),
            HarnessNote::FaultEnd { label } => write!(f, "fault end {label}"),
            HarnessNote::FaultFired { label } => write!(f, "fault fired {label}"),
            HarnessNote::CrashNotApplied { host } => {
                write!(f, "fault crash {host} not applied: it is not running")
            }
            HarnessNote::BanNotDelivered => {
                f.write_str("fault ban not delivered: the node is not running")
            }
            HarnessNote::RefuseNotApplied { host } => {
                write!(
                    f,
                    "fault refuse_dials {host} not applied: it does not listen"
                )
            }
        }
    }
}

/// How a connection of the node ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeerEnd {
    /// The node closed it, for this reason.
    Disconnected(DisconnectReason),
    /// The peer closed it (or the transport failed, with its error).
    ClosedByPeer {
        /// The transport error, if any.
        error: Option<String>,
    },
}

impl std::fmt::Display for PeerEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PeerEnd::Disconnected(reason) => write!(f, "disconnected: {reason}"),
            PeerEnd::ClosedByPeer { error: Some(error) } => write!(f, "closed by peer: {error}"),
            PeerEnd::ClosedByPeer { error: None } => f.write_str("closed by peer"),
        }
    }
}

impl Serialize for PeerEnd {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// The height of the first locator entry of a `getheaders`, as the node knew it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocatorHeight {
    /// At this height in the node's index.
    Known(u32),
    /// Not in the node's index (serialized as `?`).
    Unknown,
}

impl From<Option<u32>> for LocatorHeight {
    fn from(height: Option<u32>) -> LocatorHeight {
        height.map_or(LocatorHeight::Unknown, LocatorHeight::Known)
    }
}

impl Serialize for LocatorHeight {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            LocatorHeight::Known(height) => serializer.collect_str(height),
            LocatorHeight::Unknown => serializer.serialize_str("?"),
        }
    }
}

/// Serializes a connection's direction as `"inbound"` or `"outbound"`.
fn serialize_direction<S: Serializer>(direction: &Direction, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(direction.as_str())
}

/// One trace line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TraceLine {
    /// Simulated milliseconds since the scenario's epoch.
    pub at_ms: u64,
    /// Which node incarnation (1 = first start; +1 per restart); 0 for harness lines.
    pub run: u32,
    /// The peer's host, if the line concerns a peer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// The rendered entry.
    pub text: String,
    /// The entry itself (not in the JSON lines: they carry `text`).
    #[serde(skip)]
    pub entry: TraceEntry,
}

/// Bookkeeping for one connection of the node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectionRecord {
    /// Remote host.
    pub host: String,
    /// Node incarnation.
    pub run: u32,
    /// The node's peer id.
    pub peer_id: u64,
    /// Inbound, or outbound (serialized as `"inbound"` or `"outbound"`).
    #[serde(serialize_with = "serialize_direction")]
    pub direction: Direction,
    /// What the connection is for: inbound, manual (`node.connect`) or outbound-full-relay
    /// (`node.automatic`, `node.addresses`). Kept out of snapshots, whose connections name
    /// the direction only.
    #[serde(skip)]
    pub connection_type: ConnectionType,
    /// When it was established.
    pub connected_at_ms: u64,
    /// When the handshake finished, if it did.
    pub handshake_at_ms: Option<u64>,
    /// Messages the node sent on it, by command.
    pub sent: BTreeMap<String, u64>,
    /// Messages the node received on it, by command.
    pub received: BTreeMap<String, u64>,
    /// Headers from it that the node added to its index.
    pub headers_accepted: u64,
    /// When the node last sent each command on it.
    #[serde(skip)]
    pub last_sent_ms: BTreeMap<String, u64>,
    /// Every command the node sent on it, in order (kept out of snapshots; checked by
    /// [`crate::scenario::PeerExpect::sent_sequence`]).
    #[serde(skip)]
    pub sent_sequence: Vec<String>,
    /// Every `pong` the node sent on it: nonce and when (kept out of snapshots; checked by
    /// [`crate::scenario::PeerExpect::pong_latency_ms_max`]).
    #[serde(skip)]
    pub pongs_sent: Vec<(u64, u64)>,
    /// When it ended, if it did.
    pub ended_at_ms: Option<u64>,
    /// How it ended (serialized as `disconnected: <reason>` or `closed by peer[: <error>]`).
    pub end: Option<PeerEnd>,
}

impl ConnectionRecord {
    /// True if the node (not the peer) closed it.
    pub fn closed_by_node(&self) -> bool {
        matches!(self.end, Some(PeerEnd::Disconnected(_)))
    }

    /// The node's reason for closing it, if the node did.
    pub fn disconnect_reason(&self) -> Option<&DisconnectReason> {
        match &self.end {
            Some(PeerEnd::Disconnected(reason)) => Some(reason),
            _ => None,
        }
    }
}

/// What one incarnation of the node started with and first asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunRecord {
    /// When it started.
    pub started_at_ms: u64,
    /// Best height loaded from the store.
    pub started_tip_height: u32,
    /// Best hash loaded from the store.
    pub started_tip_hash: String,
    /// `locator[0]` of its first `getheaders`, as the height the node knew it at.
    pub first_locator_height: Option<LocatorHeight>,
}

/// Everything recorded during one scenario run.
#[derive(Debug, Default)]
pub struct Recorder {
    epoch_ms: u64,
    run: u32,
    labels: BTreeMap<u64, String>,
    /// Trace lines in order.
    pub lines: Vec<TraceLine>,
    /// Connections in order of establishment.
    pub connections: Vec<ConnectionRecord>,
    index: BTreeMap<(u32, u64), usize>,
    /// Messages sent by the node, by command.
    pub sent: BTreeMap<String, u64>,
    /// Messages received by the node, by command.
    pub received: BTreeMap<String, u64>,
    /// Node incarnations.
    pub runs: Vec<RunRecord>,
    /// Per outbound host, the backoff of every scheduled redial, in order.
    pub reconnect_backoffs_ms: BTreeMap<String, Vec<u64>>,
    /// Times at which automatic outbound dials started, in order.
    pub automatic_dials_ms: Vec<u64>,
    /// Automatic outbound dial failures, in order: their time, the delay before the replacing
    /// request, and how many automatic dials had started before them.
    pub automatic_failures_ms: Vec<(u64, u64, usize)>,
    /// Best height, hash and chainwork (hex) last reported.
    pub tip: (u32, String, String),
}

impl Recorder {
    /// A recorder for a simulation whose epoch is `epoch_ms`.
    pub fn new(epoch_ms: u64) -> Recorder {
        Recorder {
            epoch_ms,
            ..Recorder::default()
        }
    }

    /// A new node incarnation starts.
    pub fn start_run(&mut self) {
        self.run += 1;
        self.labels.clear();
    }

    /// Adds a harness line (a fault, for instance).
    pub fn note(&mut self, at_ms: u64, note: HarnessNote) {
        self.lines.push(TraceLine {
            at_ms,
            run: 0,
            host: None,
            text: note.to_string(),
            entry: TraceEntry::Harness(note),
        });
    }

    fn connection(&mut self, peer: PeerId) -> Option<&mut ConnectionRecord> {
        let index = *self.index.get(&(self.run, peer.0))?;
        self.connections.get_mut(index)
    }

    /// Records one node event at the node clock's `now_ms`.
    pub fn record(&mut self, now_ms: u64, event: &Event) {
        let at_ms = now_ms.saturating_sub(self.epoch_ms);
        if let Event::Connected {
            peer,
            addr,
            direction,
            connection,
        } = event
        {
            let host = addr.split(':').next().unwrap_or(addr).to_string();
            self.labels.insert(peer.0, host.clone());
            self.index
                .insert((self.run, peer.0), self.connections.len());
            self.connections.push(ConnectionRecord {
                host,
                run: self.run,
                peer_id: peer.0,
                direction: *direction,
                connection_type: *connection,
                connected_at_ms: at_ms,
                handshake_at_ms: None,
                sent: BTreeMap::new(),
                received: BTreeMap::new(),
                headers_accepted: 0,
                last_sent_ms: BTreeMap::new(),
                sent_sequence: Vec::new(),
                pongs_sent: Vec::new(),
                ended_at_ms: None,
                end: None,
            });
        }
        let run = self.run;
        match event {
            Event::Started {
                tip_height,
                tip_hash,
                chainwork,
            } => {
                self.tip = (*tip_height, tip_hash.to_string(), format!("{chainwork:x}"));
                self.runs.push(RunRecord {
                    started_at_ms: at_ms,
                    started_tip_height: *tip_height,
                    started_tip_hash: tip_hash.to_string(),
                    first_locator_height: None,
                });
            }
            Event::Sent { peer, message } => {
                let command = message.command();
                count(&mut self.sent, command);
                if let Some(height) = message.first_locator_height() {
                    if let Some(current) = self.runs.last_mut() {
                        current.first_locator_height.get_or_insert(height.into());
                    }
                }
                if let Some(c) = self.connection(*peer) {
                    count(&mut c.sent, command);
                    c.last_sent_ms.insert(command.to_string(), at_ms);
                    c.sent_sequence.push(command.to_string());
                    if let MessageSummary::Pong { nonce } = message {
                        c.pongs_sent.push((*nonce, at_ms));
                    }
                }
            }
            Event::Received { peer, message } => {
                let command = message.command();
                count(&mut self.received, command);
                if let Some(c) = self.connection(*peer) {
                    count(&mut c.received, command);
                }
            }
            Event::HeadersImported { peer, accepted, .. } => {
                if let Some(c) = self.connection(*peer) {
                    c.headers_accepted += *accepted as u64;
                }
            }
            Event::Dialing {
                kind: TargetKind::Automatic,
                ..
            } => self.automatic_dials_ms.push(at_ms),
            Event::DialFailed {
                retry_in_ms: Some(retry_in_ms),
                failed_attempts: Some(_),
                ..
            } => {
                self.automatic_failures_ms.push((
                    at_ms,
                    *retry_in_ms,
                    self.automatic_dials_ms.len(),
                ));
            }
            Event::Reconnecting { addr, retry_in_ms }
            | Event::DialFailed {
                addr,
                retry_in_ms: Some(retry_in_ms),
                ..
            } => {
                let host = addr.split(':').next().unwrap_or(addr).to_string();
                self.reconnect_backoffs_ms
                    .entry(host)
                    .or_default()
                    .push(*retry_in_ms);
            }
            Event::HandshakeDone { peer, .. } => {
                if let Some(c) = self.connection(*peer) {
                    c.handshake_at_ms = Some(at_ms);
                }
            }
            Event::Disconnected { peer, reason } => {
                if let Some(c) = self.connection(*peer) {
                    c.ended_at_ms = Some(at_ms);
                    c.end = Some(PeerEnd::Disconnected(reason.clone()));
                }
            }
            Event::PeerClosed { peer, error } => {
                if let Some(c) = self.connection(*peer) {
                    c.ended_at_ms = Some(at_ms);
                    c.end = Some(PeerEnd::ClosedByPeer {
                        error: error.clone(),
                    });
                }
            }
            Event::TipChanged {
                height,
                hash,
                chainwork,
                ..
            } => {
                self.tip = (*height, hash.to_string(), format!("{chainwork:x}"));
            }
            _ => {}
        }
        let labels = &self.labels;
        let text = event.render(|peer| {
            format!(
                "{}#{}",
                labels.get(&peer.0).map_or("?", String::as_str),
                peer.0
            )
        });
        let host = event.peer().and_then(|p| labels.get(&p.0).cloned());
        self.lines.push(TraceLine {
            at_ms,
            run,
            host,
            text,
            entry: TraceEntry::Node(event.clone()),
        });
    }

    /// The trace as text, one line per event: `at_ms run text`.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for line in &self.lines {
            out.push_str(&format!("{:>9} r{} {}\n", line.at_ms, line.run, line.text));
        }
        out
    }

    /// The trace as JSON lines.
    pub fn json_lines(&self) -> String {
        let mut out = String::new();
        for line in &self.lines {
            out.push_str(&serde_json::to_string(line).unwrap_or_default());
            out.push('\n');
        }
        out
    }

    /// SHA-256 of [`Recorder::text`], hex.
    pub fn digest(&self) -> String {
        sha256::Hash::hash(self.text().as_bytes()).to_string()
    }
}

/// Adds one to `command`'s count (allocating its key only the first time).
fn count(counts: &mut BTreeMap<String, u64>, command: &str) {
    match counts.get_mut(command) {
        Some(n) => *n += 1,
        None => {
            counts.insert(command.to_string(), 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_ends_and_locator_heights_serialize_as_the_snapshots_write_them() {
        let stalled = PeerEnd::Disconnected(DisconnectReason::Stalled {
            command: "headers",
            waited_ms: 90_000,
        });
        assert_eq!(
            serde_json::to_string(&stalled).unwrap(),
            "\"disconnected: stalled: no `headers` 90000 ms after the request\""
        );
        let reset = PeerEnd::ClosedByPeer {
            error: Some("connection reset".into()),
        };
        assert_eq!(reset.to_string(), "closed by peer: connection reset");
        assert_eq!(
            PeerEnd::ClosedByPeer { error: None }.to_string(),
            "closed by peer"
        );
        let heights = [LocatorHeight::Known(2000), LocatorHeight::Unknown];
        assert_eq!(serde_json::to_string(&heights).unwrap(), "[\"2000\",\"?\"]");
        assert_eq!(LocatorHeight::from(None), LocatorHeight::Unknown);
    }

    #[test]
    fn a_recorded_pong_keeps_its_nonce_and_the_first_locator_height_is_typed() {
        let mut recorder = Recorder::new(1_000);
        recorder.start_run();
        let peer = PeerId(1);
        let events = [
            Event::Started {
                tip_height: 7,
                tip_hash: bitcoin::BlockHash::all_zeros(),
                chainwork: bitcoin::pow::Work::from_be_bytes([0; 32]),
            },
            Event::Connected {
                peer,
                addr: "p:8333".into(),
                direction: Direction::Inbound,
                connection: ConnectionType::Inbound,
            },
            Event::Sent {
                peer,
                message: MessageSummary::Pong { nonce: 0x3e9 },
            },
            Event::Sent {
                peer,
                message: MessageSummary::GetHeaders {
                    locator_heights: vec![Some(6), None],
                    first_locator: None,
                    stop_hash: bitcoin::BlockHash::all_zeros(),
                },
            },
        ];
        for (i, event) in events.iter().enumerate() {
            recorder.record(1_000 + i as u64, event);
        }
        let c = &recorder.connections[0];
        assert_eq!(c.pongs_sent, vec![(0x3e9, 2)]);
        assert_eq!(c.sent_sequence, ["pong", "getheaders"]);
        assert_eq!(
            recorder.runs[0].first_locator_height,
            Some(LocatorHeight::Known(6))
        );
        assert!(recorder.lines[2]
            .text
            .ends_with("send p#1 pong nonce=0x00000000000003e9"));
        assert_eq!(recorder.lines[2].entry, TraceEntry::Node(events[2].clone()));
    }
}
