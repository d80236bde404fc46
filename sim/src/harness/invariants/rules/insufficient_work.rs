//! [`INSUFFICIENT_WORK_DISCONNECT`](super::INSUFFICIENT_WORK_DISCONNECT): when Core drops an
//! outbound peer whose headers chain has too little work (`net_processing.cpp`
//! `UpdatePeerStateForReceivedHeaders`): during initial block download, right after a
//! `headers` message that was not full (so the peer has no more to give), from an automatic
//! outbound connection (`IsOutboundOrBlockRelayConn`: not manual, not inbound), whose best
//! known header has less than the minimum chain work.
//!
//! The rule checks what it can know without the node's block index: the connection's kind,
//! that the peer's last message was a short `headers`, that the node is in initial block
//! download (its best chain below the minimum chain work, or its best header older than
//! `max_tip_age`), and that the peer's best known header is not the node's best header while
//! that has the minimum chain work (the peer sent it last, so Core knows the peer has it).

use std::collections::BTreeMap;

use bitcoin::pow::Work;
use bitcoin::BlockHash;
use node::protocol::events::MessageSummary;
use node::{DisconnectReason, Event, PeerId};

/// Headers per message at most (`MAX_HEADERS_RESULTS`): a full message may have more to come.
const HEADERS_PER_MESSAGE_MAX: usize = 2_000;

/// The rule's state for one run under Core with a minimum chain work.
#[derive(Debug, Default)]
pub(super) struct InsufficientWork {
    minimum: Option<Work>,
    /// The node's best header and its chain's work.
    tip: Option<(BlockHash, Work)>,
    /// Per connection, the last message read from it: the count and last hash of a
    /// `headers`, `None` for any other message.
    last_read: BTreeMap<u64, Option<(usize, Option<BlockHash>)>>,
}

/// What the rule knows of the connection a disconnect concerns.
#[derive(Debug, Clone, Copy)]
pub(super) struct Conn {
    /// Inbound.
    pub(super) inbound: bool,
    /// Manual (`-connect`).
    pub(super) manual: bool,
}

impl InsufficientWork {
    /// The rule for a node with `minimum` chain work (nothing to judge at zero).
    pub(super) fn new(minimum: Work) -> InsufficientWork {
        InsufficientWork {
            minimum: (minimum > Work::from_be_bytes([0; 32])).then_some(minimum),
            ..InsufficientWork::default()
        }
    }

    /// The node's process stopped.
    pub(super) fn reset(&mut self) {
        self.last_read.clear();
    }

    /// Follows one node event; `conn` is the event's connection, `best_header_recent`
    /// whether the node's best header is within `max_tip_age`. Why the event, a disconnect
    /// for insufficient work, is one Core would not make.
    pub(super) fn event(
        &mut self,
        event: &Event,
        conn: Option<Conn>,
        best_header_recent: bool,
    ) -> Option<String> {
        match event {
            Event::TipChanged {
                hash, chainwork, ..
            } => self.tip = Some((*hash, *chainwork)),
            Event::Received { peer, message } => {
                let headers = match message {
                    MessageSummary::Headers { count, ends } => {
                        Some((*count, ends.map(|(_, last)| last)))
                    }
                    _ => None,
                };
                self.last_read.insert(peer.0, headers);
            }
            Event::Disconnected {
                peer,
                reason: DisconnectReason::InsufficientWork { .. },
            } => return self.judge(*peer, conn, best_header_recent),
            _ => {}
        }
        None
    }

    fn judge(&self, peer: PeerId, conn: Option<Conn>, best_header_recent: bool) -> Option<String> {
        let minimum = self.minimum?;
        if let Some(c) = conn.filter(|c| c.inbound || c.manual) {
            let kind = if c.inbound { "an inbound" } else { "a manual" };
            return Some(format!(
                "disconnected {kind} peer for insufficient work; Core drops only automatic outbound ones"
            ));
        }
        let Some(Some((count, last))) = self.last_read.get(&peer.0) else {
            return Some(
                "disconnected for insufficient work, but its last message was no headers".into(),
            );
        };
        if *count == HEADERS_PER_MESSAGE_MAX {
            return Some("disconnected for insufficient work right after a full headers message, which may have more to come".into());
        }
        let tip_has_minimum = self.tip.is_some_and(|(_, work)| work >= minimum);
        if tip_has_minimum && best_header_recent {
            return Some("disconnected for insufficient work outside initial block download (the best chain has the minimum chain work and a recent best header)".into());
        }
        match (self.tip, last) {
            (Some((tip, work)), Some(last)) if *last == tip && work >= minimum => Some(format!(
                "disconnected for insufficient work, though the last header it sent is our best, {tip}, with the minimum chain work"
            )),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::hashes::Hash as _;

    const AUTOMATIC: Option<Conn> = Some(Conn {
        inbound: false,
        manual: false,
    });

    fn work(n: u8) -> Work {
        let mut bytes = [0u8; 32];
        bytes[31] = n;
        Work::from_be_bytes(bytes)
    }

    fn headers(count: usize, last: BlockHash) -> Event {
        Event::Received {
            peer: PeerId(1),
            message: MessageSummary::Headers {
                count,
                ends: Some((last, last)),
            },
        }
    }

    fn dropped() -> Event {
        Event::Disconnected {
            peer: PeerId(1),
            reason: DisconnectReason::InsufficientWork {
                best_known_height: 5,
            },
        }
    }

    #[test]
    fn core_drops_for_insufficient_work_only_an_automatic_peer_below_the_minimum_in_ibd() {
        let ours = BlockHash::from_byte_array([1; 32]);
        let theirs = BlockHash::from_byte_array([2; 32]);
        let tip = |work| Event::TipChanged {
            height: 5,
            hash: ours,
            chainwork: work,
            reorg_depth: 0,
        };
        // Below the minimum: fine after a short headers message from an automatic peer.
        let mut rule = InsufficientWork::new(work(10));
        rule.event(&tip(work(4)), None, false);
        rule.event(&headers(5, theirs), AUTOMATIC, false);
        assert!(rule.event(&dropped(), AUTOMATIC, false).is_none());
        // Not from a manual or inbound peer, nor after a full message.
        let manual = Some(Conn {
            inbound: false,
            manual: true,
        });
        assert!(rule.event(&dropped(), manual, false).is_some());
        rule.event(&headers(2_000, theirs), AUTOMATIC, false);
        assert!(rule.event(&dropped(), AUTOMATIC, false).is_some());
        // Not when the peer's last header is our best, which has the minimum work.
        let mut rule = InsufficientWork::new(work(10));
        rule.event(&tip(work(12)), None, false);
        rule.event(&headers(5, ours), AUTOMATIC, false);
        assert!(rule.event(&dropped(), AUTOMATIC, false).is_some());
        // Nor outside initial block download.
        rule.event(&headers(5, theirs), AUTOMATIC, true);
        assert!(rule.event(&dropped(), AUTOMATIC, true).is_some());
        assert!(rule.event(&dropped(), AUTOMATIC, false).is_none());
    }
}
