//! The trace recorder: every node event as a line of text (simulated milliseconds, peer as
//! `host#id`, command and key fields), the same as JSON, a SHA-256 digest, and the per-connection
//! bookkeeping the outcome is built from.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use bitcoin::hashes::{sha256, Hash};
use node::runtime::EventSink;
use node::{Event, Node, PeerId};
use serde::Serialize;

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
    /// The rendered event.
    pub text: String,
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
    /// `"inbound"` or `"outbound"`.
    pub direction: String,
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
    /// How it ended: `disconnected: <reason>` (by the node) or `closed by peer`.
    pub end: Option<String>,
    /// True if the node (not the peer) closed it.
    #[serde(skip)]
    pub closed_by_node: bool,
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
    /// `locator[0]` of its first `getheaders`, as a height (from the trace's locator heights).
    pub first_locator_height: Option<String>,
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
    pub fn note(&mut self, at_ms: u64, text: String) {
        self.lines.push(TraceLine {
            at_ms,
            run: 0,
            host: None,
            text,
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
                direction: direction.to_string(),
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
                closed_by_node: false,
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
            Event::Sent {
                peer,
                command,
                detail,
            } => {
                *self.sent.entry(command.clone()).or_default() += 1;
                if command == "getheaders" {
                    if let Some(current) = self.runs.last_mut() {
                        if current.first_locator_height.is_none() {
                            current.first_locator_height = first_locator_height(detail);
                        }
                    }
                }
                if let Some(c) = self.connection(*peer) {
                    *c.sent.entry(command.clone()).or_default() += 1;
                    c.last_sent_ms.insert(command.clone(), at_ms);
                    c.sent_sequence.push(command.clone());
                    if command == "pong" {
                        if let Some(nonce) = nonce_of(detail) {
                            c.pongs_sent.push((nonce, at_ms));
                        }
                    }
                }
            }
            Event::Received { peer, command, .. } => {
                *self.received.entry(command.clone()).or_default() += 1;
                if let Some(c) = self.connection(*peer) {
                    *c.received.entry(command.clone()).or_default() += 1;
                }
            }
            Event::HeadersImported { peer, accepted, .. } => {
                if let Some(c) = self.connection(*peer) {
                    c.headers_accepted += *accepted as u64;
                }
            }
            Event::Dialing {
                automatic: true, ..
            } => self.automatic_dials_ms.push(at_ms),
            Event::DialFailed {
                retry_in_ms,
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
                addr, retry_in_ms, ..
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
                    c.end = Some(format!("disconnected: {reason}"));
                    c.closed_by_node = true;
                }
            }
            Event::PeerClosed { peer, error } => {
                if let Some(c) = self.connection(*peer) {
                    c.ended_at_ms = Some(at_ms);
                    c.end = Some(match error {
                        Some(error) => format!("closed by peer: {error}"),
                        None => "closed by peer".to_string(),
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

/// Extracts the first entry of `locator_heights=[...]` from a rendered `getheaders`.
fn first_locator_height(detail: &str) -> Option<String> {
    let rest = detail.split("locator_heights=[").nth(1)?;
    let end = rest.find([',', ']'])?;
    Some(rest[..end].to_string())
}

/// The nonce of a rendered `ping` or `pong` (`nonce=0x…`).
pub(crate) fn nonce_of(detail: &str) -> Option<u64> {
    let hex = detail.split("nonce=0x").nth(1)?;
    let end = hex
        .find(|c: char| !c.is_ascii_hexdigit())
        .unwrap_or(hex.len());
    u64::from_str_radix(&hex[..end], 16).ok()
}

/// The node's event sink inside the simulator: forwards every event to a shared [`Recorder`]
/// and, when given, to the run's invariant [`crate::invariants::Checker`].
#[derive(Debug, Clone)]
pub struct SimSink {
    /// The trace.
    pub recorder: Rc<RefCell<Recorder>>,
    /// The invariant checker, if any.
    pub checker: Option<Rc<RefCell<crate::invariants::Checker>>>,
}

impl EventSink for SimSink {
    fn record(&mut self, now_ms: u64, event: &Event, node: &Node) {
        self.recorder.borrow_mut().record(now_ms, event);
        if let Some(checker) = &self.checker {
            checker.borrow_mut().event(now_ms, event, node);
        }
    }

    fn persisted(&mut self, _now_ms: u64, update: &node::protocol::header_chain::ChainUpdate) {
        if let Some(checker) = &self.checker {
            checker.borrow_mut().persisted(update);
        }
    }

    fn outbound_queued(&mut self, peer: PeerId, depth: node::runtime::QueueDepth) {
        if let Some(checker) = &self.checker {
            checker.borrow_mut().outbound_queued(peer, depth);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nonce_is_read_from_a_rendered_ping_or_pong() {
        assert_eq!(nonce_of("nonce=0x00000000000003e9"), Some(1001));
        assert_eq!(nonce_of("nonce=0xffffffffffffffff"), Some(u64::MAX));
        assert_eq!(nonce_of("count=0"), None);
        assert_eq!(nonce_of("nonce=0x"), None);
    }
}
