//! Which peers the node syncs from: [`SYNC_PEER_ELIGIBLE`](super::SYNC_PEER_ELIGIBLE) (a sync
//! peer is connected, done with its handshake and serves blocks) and
//! [`HEADERS_SYNC_STARTED_ONCE`](super::HEADERS_SYNC_STARTED_ONCE): under Core the initial
//! headers sync starts at most once per connection, and while the best header is old only
//! when no other sync is running; and the judgement of
//! [`HEADERS_SYNC_TIMEOUT_HANDED_OVER`](super::HEADERS_SYNC_TIMEOUT_HANDED_OVER).
//!
//! Core (`net_processing.cpp`, `SendMessages`, "Start block sync"): a peer is asked only while
//! `!state.fSyncStarted`, and then only if `nSyncStarted == 0` or our best header is recent
//! (the node's `max_tip_age`, Core's 24 hours); starting sets `fSyncStarted` and counts it in
//! `nSyncStarted`. The count goes down when the peer goes (`FinalizeNode`) or when a NoBan
//! sync peer's headers-sync timeout resets its sync ("Timeout downloading headers from noban
//! peer, not disconnecting").

use std::collections::BTreeSet;

use node::protocol::events::DropReason;
use node::{Event, PeerId};

/// Why a peer chosen to sync from is not eligible, if it is not: `conn` is whether its
/// handshake is done and the services it offered (`None`: not connected).
pub(super) fn ineligible(conn: Option<(bool, u64)>) -> Option<String> {
    match conn {
        None => Some("chose a peer that is not connected".into()),
        Some((false, _)) => Some("chose a peer before its handshake finished".into()),
        Some((true, services)) if services & super::SERVES_BLOCKS == 0 => Some(format!(
            "chose a peer whose services {services:#x} serve no blocks"
        )),
        Some(_) => None,
    }
}

/// The connections whose headers sync has started, for one run under Core.
#[derive(Debug, Default)]
pub(super) struct SyncStarts {
    started: BTreeSet<u64>,
}

impl SyncStarts {
    /// The node's process stopped: its connections are gone.
    pub(super) fn reset(&mut self) {
        self.started.clear();
    }

    /// Whether `peer`'s headers sync has started (Core `fSyncStarted`).
    pub(super) fn started(&self, peer: &PeerId) -> bool {
        self.started.contains(&peer.0)
    }

    /// Follows one node event; `best_header_recent` is whether the node's best header is
    /// within `max_tip_age` when it happens. The peer and why, when the event starts a sync
    /// Core would not.
    pub(super) fn event<'e>(
        &mut self,
        event: &'e Event,
        best_header_recent: bool,
    ) -> Option<(&'e PeerId, String)> {
        match event {
            Event::Started { .. } => self.started.clear(),
            Event::SyncPeer { peer: Some(peer) } => {
                let why = if self.started.contains(&peer.0) {
                    Some("started the headers sync again with a peer whose sync was already started (fSyncStarted)".to_string())
                } else if !best_header_recent && !self.started.is_empty() {
                    let others: Vec<String> =
                        self.started.iter().map(|id| format!("#{id}")).collect();
                    Some(format!(
                        "started a second headers sync while the best header is old and the sync with {} still runs (Core starts one then only when nSyncStarted == 0)",
                        others.join(", ")
                    ))
                } else {
                    None
                };
                self.started.insert(peer.0);
                return why.map(|why| (peer, why));
            }
            Event::Dropped {
                peer,
                reason: DropReason::NoBanHeadersSyncTimeout { .. },
            }
            | Event::Disconnected { peer, .. }
            | Event::PeerClosed { peer, .. } => {
                self.started.remove(&peer.0);
            }
            _ => {}
        }
        None
    }
}

impl super::Rules {
    /// [`HEADERS_SYNC_TIMEOUT_HANDED_OVER`](super::HEADERS_SYNC_TIMEOUT_HANDED_OVER): why
    /// dropping `peer` for its headers-sync timeout was wrong, when no other peer is preferred
    /// for download (Core `fPreferredDownload`: an outbound or NoBan peer that finished its
    /// handshake and serves blocks).
    pub(super) fn no_other_preferred(&self, peer: &PeerId) -> Option<String> {
        let preferred = |c: &super::Conn| {
            (!c.inbound || self.noban.contains(&c.host))
                && c.handshake_done
                && c.services & super::SERVES_BLOCKS != 0
        };
        let others = self
            .conns
            .iter()
            .filter(|(id, c)| **id != peer.0 && preferred(c))
            .count();
        (others == 0).then(|| {
            "dropped the sync peer for its headers-sync timeout with no other peer preferred \
             for download (an outbound or NoBan peer serving blocks) to take over"
                .to_string()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use node::DisconnectReason;

    fn start(id: u64) -> Event {
        Event::SyncPeer {
            peer: Some(PeerId(id)),
        }
    }

    #[test]
    fn a_sync_starts_once_per_connection_and_alone_while_the_best_header_is_old() {
        let mut starts = SyncStarts::default();
        assert!(starts.event(&start(1), false).is_none());
        // Again with the same peer: a breach, recent or not.
        assert!(starts.event(&start(1), true).is_some());
        // A second peer while the first's sync runs: only once the best header is recent.
        assert!(starts.event(&start(2), true).is_none());
        assert!(starts.event(&start(3), false).is_some());
        // Once the others are gone, another may start with an old best header.
        let mut starts = SyncStarts::default();
        assert!(starts.event(&start(1), false).is_none());
        let gone = Event::Disconnected {
            peer: PeerId(1),
            reason: DisconnectReason::DuplicateVersion,
        };
        assert!(starts.event(&gone, false).is_none());
        assert!(starts.event(&start(2), false).is_none());
        // A NoBan reset frees the peer for a new start.
        let reset = Event::Dropped {
            peer: PeerId(2),
            reason: DropReason::NoBanHeadersSyncTimeout { waited_ms: 1 },
        };
        assert!(starts.event(&reset, false).is_none());
        assert!(starts.event(&start(2), false).is_none());
    }
}
