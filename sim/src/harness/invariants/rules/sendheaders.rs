//! [`SENDHEADERS_ONCE_SYNCED`](super::SENDHEADERS_ONCE_SYNCED): Core's BIP 130 `sendheaders`
//! (`MaybeSendSendHeaders`, run in `SendMessages` after every message): sent once per
//! connection, to a peer whose common version is at least 70012, as soon as the best block
//! the node knows the peer has carries more work than the minimum chain work. The rule sees
//! the plainest case of that condition: the peer's `headers` message made its last header
//! the node's new best header, above the minimum.

use std::collections::BTreeMap;

use bitcoin::pow::Work;
use bitcoin::BlockHash;
use node::protocol::MessageSummary;
use node::Event;

/// Core's `SENDHEADERS_VERSION` (`protocol.h`), and the node's own version, the higher end
/// of the common version.
const SENDHEADERS_VERSION: u32 = 70_012;
const NODE_VERSION: u32 = 70_016;

#[derive(Debug, Default)]
struct Conn {
    /// The peer's `version`.
    version: Option<u32>,
    handshake_done: bool,
    sent: bool,
    /// The last hash of the `headers` message being handled.
    headers_last: Option<BlockHash>,
    /// Set when a `sendheaders` is due: why.
    due: Option<String>,
}

/// The rule's state for one run.
#[derive(Debug, Default)]
pub(super) struct SendHeaders {
    /// Under Core only.
    applies: bool,
    minimum: Option<Work>,
    conns: BTreeMap<u64, Conn>,
    /// The best header set while a `headers` message is handled.
    new_tip: Option<(BlockHash, Work)>,
}

impl SendHeaders {
    /// The rule for a node of `core` profile (it checks nothing under btcd).
    pub(super) fn new(core: bool) -> SendHeaders {
        SendHeaders {
            applies: core,
            ..SendHeaders::default()
        }
    }

    /// The node's minimum chain work.
    pub(super) fn set_minimum(&mut self, minimum: Work) {
        self.minimum = Some(minimum);
    }

    /// The node stopped or restarted: its connections are gone.
    pub(super) fn reset(&mut self) {
        self.conns.clear();
        self.new_tip = None;
    }

    /// One event; returns the connection and what broke the rule.
    pub(super) fn event(&mut self, event: &Event) -> Option<(u64, String)> {
        if !self.applies {
            return None;
        }
        let minimum = self.minimum.unwrap_or(Work::from_be_bytes([0; 32]));
        match event {
            Event::Connected { peer, .. } => {
                self.conns.insert(peer.0, Conn::default());
            }
            Event::HandshakeDone { peer, .. } => {
                if let Some(c) = self.conns.get_mut(&peer.0) {
                    c.handshake_done = true;
                }
            }
            Event::Received { peer, message } => {
                let c = self.conns.get_mut(&peer.0)?;
                // Core sends it before it reads the peer's next message.
                if let Some(why) = c.due.take() {
                    return Some((peer.0, format!("read another message after {why}")));
                }
                match message {
                    MessageSummary::Version { version, .. } if c.version.is_none() => {
                        c.version = Some(*version);
                    }
                    MessageSummary::Headers { ends, .. } => {
                        c.headers_last = ends.map(|(_, last)| last);
                        self.new_tip = None;
                    }
                    _ => {}
                }
            }
            Event::TipChanged {
                hash, chainwork, ..
            } => self.new_tip = Some((*hash, *chainwork)),
            Event::HeadersImported { peer, .. } => {
                let new_tip = self.new_tip.take();
                let c = self.conns.get_mut(&peer.0)?;
                let last = c.headers_last.take();
                let common = c.version.map_or(0, |v| v.min(NODE_VERSION));
                let above = new_tip.filter(|(hash, work)| Some(*hash) == last && *work > minimum);
                if let (Some((hash, _)), false, true, true) = (
                    above,
                    c.sent,
                    c.handshake_done,
                    common >= SENDHEADERS_VERSION,
                ) {
                    c.due = Some(format!(
                        "its headers made {hash} the best header, above the minimum chain work, with no sendheaders sent (common version {common})"
                    ));
                }
            }
            Event::Sent { peer, message } if message.command() == "sendheaders" => {
                let c = self.conns.get_mut(&peer.0)?;
                c.due = None;
                if c.sent {
                    return Some((peer.0, "sent sendheaders a second time".into()));
                }
                c.sent = true;
            }
            Event::Disconnected { peer, .. } | Event::PeerClosed { peer, .. } => {
                self.conns.remove(&peer.0);
            }
            _ => {}
        }
        None
    }

    /// At the end of a run: connections still owed a `sendheaders`.
    pub(super) fn finish(&mut self) -> Vec<(u64, String)> {
        self.conns
            .iter_mut()
            .filter_map(|(id, c)| {
                c.due
                    .take()
                    .map(|why| (*id, format!("the run ended after {why}")))
            })
            .collect()
    }
}
