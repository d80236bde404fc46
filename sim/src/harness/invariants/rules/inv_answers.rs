//! [`BLOCK_INVS_ANSWERED`](super::BLOCK_INVS_ANSWERED): under Core, an `inv` that announces a
//! block the node does not know is answered with a `getheaders` to its sender, right away,
//! when Core would send one.
//!
//! Core (`net_processing.cpp`, `ProcessMessage` INV): the last announced block not already
//! known is `best_block`; then, if the peer's headers sync has started (`fSyncStarted`), or it
//! has not yet had such a `getheaders` before its sync (`m_inv_triggered_getheaders_before_sync`)
//! and the block is not the one that last triggered one (`m_last_block_inv_triggering_headers_sync`:
//! one new peer per new block), `MaybeSendGetHeaders` sends a `getheaders` unless one sent to
//! the peer less than `HEADERS_RESPONSE_TIME` (2 min) ago is unanswered. For a peer whose sync
//! has not started, both marks are set whether or not the `getheaders` went out.
//!
//! The rule says only what must be sent, never what must not: a `getheaders` the rule does
//! not ask for may have another cause in the same instant. Where the checker cannot be sure
//! that Core's two-minute window is open, it asks for nothing: the window counts as open
//! after the last `getheaders` only once a `headers` message read after it was certainly
//! taken as an answer (an empty one, or one that added headers; Core also clears it for
//! connecting headers that add nothing, which the checker does not tell apart).

use std::collections::BTreeMap;

use bitcoin::BlockHash;
use node::protocol::events::MessageSummary;
use node::{Event, PeerId};

/// One connection's state for the rule.
#[derive(Debug, Clone, Default)]
struct Conn {
    /// When the last `getheaders` was sent to it (ms since the start), unless a `headers`
    /// message read since certainly cleared Core's window.
    outstanding_ms: Option<u64>,
    /// `getheaders` sent to it so far.
    getheaders_sent: u64,
    /// `getheaders_sent` when its last `headers` message was read, until that message's
    /// import is reported.
    sent_when_read: Option<u64>,
    /// Core's `m_inv_triggered_getheaders_before_sync`.
    triggered: bool,
}

/// An `inv` read whose answer is not yet settled.
#[derive(Debug, Clone)]
struct Pending {
    peer: PeerId,
    at_ms: u64,
    /// Core's `best_block`.
    best: BlockHash,
    /// Whether the `inv` sets the two marks (a peer whose sync has not started).
    marks: bool,
    /// Whether a `getheaders` is due (Core's window is certainly open).
    due: bool,
}

/// The rule's state over one node run.
#[derive(Debug, Clone)]
pub(super) struct InvAnswers {
    /// Core's `HEADERS_RESPONSE_TIME` as the node is configured, in ms.
    window_ms: u64,
    conns: BTreeMap<u64, Conn>,
    /// Core's `m_last_block_inv_triggering_headers_sync`.
    last_trigger: Option<BlockHash>,
    pending: Option<Pending>,
}

impl InvAnswers {
    /// The rule for a node whose `getheaders` window is `window_ms`.
    pub(super) fn new(window_ms: u64) -> InvAnswers {
        InvAnswers {
            window_ms,
            conns: BTreeMap::new(),
            last_trigger: None,
            pending: None,
        }
    }

    /// The node's process stopped: its connections and Core's marks are gone.
    pub(super) fn reset(&mut self) {
        *self = InvAnswers::new(self.window_ms);
    }

    /// Follows one node event at `at_ms`. `unknown_best` is, for an `inv` read, the last block
    /// it announces that the node does not know (from the node's header index as the event
    /// is reported); `sync_started` whether the event's peer's headers sync has started;
    /// `handshake_done` whether its handshake is done. The peer and why, when the event shows
    /// that an `inv` went unanswered.
    pub(super) fn event(
        &mut self,
        at_ms: u64,
        event: &Event,
        unknown_best: Option<BlockHash>,
        sync_started: bool,
        handshake_done: bool,
    ) -> Option<(PeerId, String)> {
        let breach = self.settle(at_ms, event);
        match event {
            Event::Started { .. } => self.reset(),
            Event::Sent {
                peer,
                message: MessageSummary::GetHeaders { .. },
            } => {
                let conn = self.conns.entry(peer.0).or_default();
                conn.outstanding_ms = Some(at_ms);
                conn.getheaders_sent += 1;
            }
            Event::Received {
                peer,
                message: MessageSummary::Headers { .. },
            } => {
                let conn = self.conns.entry(peer.0).or_default();
                conn.sent_when_read = Some(conn.getheaders_sent);
            }
            Event::HeadersImported {
                peer,
                received,
                accepted,
                ..
            } => {
                let conn = self.conns.entry(peer.0).or_default();
                let read_after_last = conn.sent_when_read.take() == Some(conn.getheaders_sent);
                if read_after_last && (*received == 0 || *accepted > 0) {
                    conn.outstanding_ms = None;
                }
            }
            Event::Received {
                peer,
                message: MessageSummary::Inv { .. },
            } => {
                if let (Some(best), true) = (unknown_best, handshake_done) {
                    let conn = self.conns.entry(peer.0).or_default();
                    let marks = !sync_started && !conn.triggered && self.last_trigger != Some(best);
                    if sync_started || marks {
                        let open = conn
                            .outstanding_ms
                            .is_none_or(|sent| at_ms.saturating_sub(sent) > self.window_ms);
                        self.pending = Some(Pending {
                            peer: *peer,
                            at_ms,
                            best,
                            marks,
                            due: open,
                        });
                    }
                }
            }
            Event::Disconnected { peer, .. } | Event::PeerClosed { peer, .. } => {
                self.conns.remove(&peer.0);
            }
            _ => {}
        }
        breach
    }

    /// Settles the pending `inv`'s answer with `event`, if it can: a `getheaders` to its peer
    /// in the same instant answers it; the peer's end, or a message set aside, in that instant
    /// means Core never got to it (an `inv` over `MAX_INV_SZ`, or one read before the
    /// handshake); anything later in time, or the next message read, means the node is done
    /// with it. Core's marks are set once it is settled (not for an `inv` set aside).
    fn settle(&mut self, at_ms: u64, event: &Event) -> Option<(PeerId, String)> {
        let pending = self.pending.as_ref()?;
        let same_peer = event.peer() == Some(pending.peer);
        let same_instant = at_ms == pending.at_ms;
        let answered = same_peer
            && same_instant
            && matches!(
                event,
                Event::Sent {
                    message: MessageSummary::GetHeaders { .. },
                    ..
                }
            );
        let set_aside = same_peer
            && same_instant
            && matches!(
                event,
                Event::Disconnected { .. } | Event::PeerClosed { .. } | Event::Dropped { .. }
            );
        let later =
            !same_instant || matches!(event, Event::Received { .. } | Event::Started { .. });
        if !(answered || set_aside || later) {
            return None;
        }
        let pending = self.pending.take()?;
        if set_aside {
            return None;
        }
        if pending.marks {
            self.conns.entry(pending.peer.0).or_default().triggered = true;
            self.last_trigger = Some(pending.best);
        }
        (pending.due && !answered).then(|| {
            (
                pending.peer,
                format!(
                    "read an inv at {} ms announcing block {}, which the node did not know, and sent no getheaders in answer (Core: the sync peer, or one peer not yet syncing per new block, is asked at once unless a getheaders to it is unanswered for less than {} ms)",
                    pending.at_ms, pending.best, self.window_ms
                ),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::hashes::Hash as _;
    use node::wire::CommandString;

    fn hash(n: u8) -> BlockHash {
        BlockHash::from_byte_array([n; 32])
    }

    fn inv(peer: u64) -> Event {
        Event::Received {
            peer: PeerId(peer),
            message: MessageSummary::Inv {
                blocks: vec![hash(9)],
                payload_digest: 0,
            },
        }
    }

    fn getheaders(peer: u64) -> Event {
        Event::Sent {
            peer: PeerId(peer),
            message: MessageSummary::GetHeaders {
                locator_heights: vec![Some(0)],
                first_locator: None,
                stop_hash: BlockHash::all_zeros(),
            },
        }
    }

    fn read_other(peer: u64) -> Event {
        Event::Received {
            peer: PeerId(peer),
            message: MessageSummary::Other {
                command: CommandString::try_from_static("verack").expect("a command"),
                payload_digest: 0,
            },
        }
    }

    #[test]
    fn the_sync_peers_inv_of_an_unknown_block_needs_a_getheaders_once_the_window_is_open() {
        let mut rule = InvAnswers::new(120_000);
        // Answered in the same instant: nothing to say.
        assert!(rule.event(10, &inv(1), Some(hash(1)), true, true).is_none());
        assert!(rule.event(10, &getheaders(1), None, true, true).is_none());
        // A minute later the getheaders is still unanswered: no getheaders is due.
        assert!(rule
            .event(60_000, &inv(1), Some(hash(2)), true, true)
            .is_none());
        assert!(rule
            .event(70_000, &read_other(1), None, true, true)
            .is_none());
        // Past the window, silence is a breach, found at the next message read.
        assert!(rule
            .event(200_000, &inv(1), Some(hash(3)), true, true)
            .is_none());
        assert!(rule
            .event(200_000, &read_other(2), None, true, true)
            .is_some());
        // A known block, or a peer before its handshake, asks for nothing.
        assert!(rule.event(400_000, &inv(1), None, true, true).is_none());
        assert!(rule
            .event(500_000, &read_other(1), None, true, true)
            .is_none());
        assert!(rule
            .event(600_000, &inv(3), Some(hash(4)), true, false)
            .is_none());
        assert!(rule
            .event(700_000, &read_other(3), None, true, true)
            .is_none());
    }

    #[test]
    fn a_peer_not_yet_syncing_is_asked_once_and_only_for_a_block_that_no_other_peer_triggered() {
        let mut rule = InvAnswers::new(120_000);
        // Peer 1's first inv of block 5: due, and unanswered.
        assert!(rule
            .event(10, &inv(1), Some(hash(5)), false, true)
            .is_none());
        assert!(rule.event(20, &read_other(1), None, false, true).is_some());
        // Its second inv is not Core's to answer (it was triggered already).
        assert!(rule
            .event(30, &inv(1), Some(hash(6)), false, true)
            .is_none());
        assert!(rule.event(40, &read_other(1), None, false, true).is_none());
        // Peer 2 announcing the block that last triggered a getheaders: nothing due.
        assert!(rule
            .event(50, &inv(2), Some(hash(5)), false, true)
            .is_none());
        assert!(rule.event(60, &read_other(2), None, false, true).is_none());
        // Another block from peer 2 is.
        assert!(rule
            .event(70, &inv(2), Some(hash(7)), false, true)
            .is_none());
        assert!(rule.event(80, &read_other(2), None, false, true).is_some());
    }

    #[test]
    fn an_inv_set_aside_or_dropped_with_its_peer_asks_for_nothing_and_sets_no_mark() {
        let mut rule = InvAnswers::new(120_000);
        assert!(rule
            .event(10, &inv(1), Some(hash(5)), false, true)
            .is_none());
        let gone = Event::Disconnected {
            peer: PeerId(1),
            reason: node::DisconnectReason::DuplicateVersion,
        };
        assert!(rule.event(10, &gone, None, false, true).is_none());
        // Block 5 set no mark: peer 2's inv of it is due.
        assert!(rule
            .event(20, &inv(2), Some(hash(5)), false, true)
            .is_none());
        assert!(rule.event(30, &read_other(2), None, false, true).is_some());
    }

    #[test]
    fn a_headers_message_that_added_headers_reopens_the_window_but_not_one_sent_after_it() {
        let mut rule = InvAnswers::new(120_000);
        assert!(rule.event(0, &getheaders(1), None, true, true).is_none());
        let headers = Event::Received {
            peer: PeerId(1),
            message: MessageSummary::Headers {
                count: 2000,
                ends: None,
            },
        };
        let imported = Event::HeadersImported {
            peer: PeerId(1),
            received: 2000,
            accepted: 2000,
            tip_height: 2000,
        };
        // The next getheaders goes out while the batch is processed: the window stays shut.
        assert!(rule.event(5, &headers, None, true, true).is_none());
        assert!(rule.event(5, &getheaders(1), None, true, true).is_none());
        assert!(rule.event(5, &imported, None, true, true).is_none());
        assert!(rule.event(10, &inv(1), Some(hash(1)), true, true).is_none());
        assert!(rule.event(20, &read_other(1), None, true, true).is_none());
        // Answered by a batch with nothing sent after it: open.
        assert!(rule.event(30, &headers, None, true, true).is_none());
        assert!(rule.event(30, &imported, None, true, true).is_none());
        assert!(rule.event(40, &inv(1), Some(hash(2)), true, true).is_none());
        assert!(rule.event(50, &read_other(1), None, true, true).is_some());
    }
}
