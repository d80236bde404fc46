//! [`SYNC_STALL_VERDICT`](super::SYNC_STALL_VERDICT): under btcd, how the node lets go of its
//! sync peer.
//!
//! btcd (`netsync/manager.go`, v0.26): `handleStallSample` gives up a sync peer that made no
//! progress for `maxStallDuration`, and `shouldDCStalledSyncPeer` decides how: disconnect it
//! when the height it reported is above our best height, otherwise keep it connected and only
//! choose another ("This allows us at tip to not disconnect peers when we are equal or they
//! temporarily lag behind us"). Elsewhere btcd lets go of a connected sync peer only when our
//! best height reaches the one it reported (the node's `btcd_on_headers`, as btcd's
//! `handleHeadersMsg` once it is current). So:
//!
//! - a `SyncStalled` disconnect is of a peer whose `version` advertised more than the node's
//!   best header height;
//! - a sync peer that stays connected is let go (`sync_peer none`) only when the node's best
//!   header height is at least the height its `version` advertised.
//!
//! The node models btcd's best block as its best header and the peer's height as its
//! `version`'s `start_height` (btcd also takes the peer's `LastBlock` when higher, which moves
//! with announced blocks the chain holds; a headers-only node has none).
//!
//! The node reports its verdict as `sync_peer none`, then, for a disconnect, the disconnect:
//! a sync peer let go while short of its height is judged at the next event, unless that
//! event ends the peer's connection.

use std::collections::BTreeMap;

use node::protocol::events::MessageSummary;
use node::{DisconnectReason, Event, PeerId};

/// The rule's state over one node run.
#[derive(Debug, Clone, Default)]
pub(super) struct StallVerdict {
    /// The `start_height` of each connected peer's first `version`, by peer id.
    start_heights: BTreeMap<u64, i32>,
    /// The sync peer the node last named.
    sync_peer: Option<u64>,
    /// A sync peer let go short of its advertised height, and why that breaks the rule, unless
    /// the next event ends its connection.
    pending: Option<(PeerId, String)>,
}

impl StallVerdict {
    /// The node's process stopped: its connections are gone.
    pub(super) fn reset(&mut self) {
        *self = StallVerdict::default();
    }

    /// Follows one node event under btcd; `best_height` is the node's best header height after
    /// it. The peers and why, for each breach the event settles.
    pub(super) fn event(&mut self, event: &Event, best_height: u32) -> Vec<(PeerId, String)> {
        let mut breaches = Vec::new();
        if let Some((peer, why)) = self.pending.take() {
            let ends_it = matches!(
                event,
                Event::Disconnected { peer: p, .. } | Event::PeerClosed { peer: p, .. } if *p == peer
            );
            if !ends_it {
                breaches.push((peer, why));
            }
        }
        let best = i64::from(best_height);
        match event {
            Event::Started { .. } => self.reset(),
            Event::Received {
                peer,
                message: MessageSummary::Version { start_height, .. },
            } => {
                self.start_heights.entry(peer.0).or_insert(*start_height);
            }
            Event::SyncPeer { peer: Some(peer) } => self.sync_peer = Some(peer.0),
            Event::SyncPeer { peer: None } => {
                let Some(id) = self.sync_peer.take() else {
                    return breaches;
                };
                if let Some(&advertised) = self.start_heights.get(&id) {
                    if best < i64::from(advertised) {
                        self.pending = Some((
                            PeerId(id),
                            format!(
                                "let the sync peer go while keeping it connected, with the best header at height {best_height}, below the {advertised} its version advertised: btcd lets a sync peer short of its height go only by disconnecting it (netsync handleStallSample, shouldDCStalledSyncPeer)"
                            ),
                        ));
                    }
                }
            }
            Event::Disconnected { peer, reason } => {
                let advertised = self.start_heights.remove(&peer.0);
                if let (DisconnectReason::SyncStalled { .. }, Some(advertised)) =
                    (reason, advertised)
                {
                    if i64::from(advertised) <= best {
                        breaches.push((
                            *peer,
                            format!(
                                "disconnected as a stalled sync peer though its version advertised height {advertised}, not above the best header's {best_height}: btcd keeps such a peer connected and only chooses another (netsync shouldDCStalledSyncPeer)"
                            ),
                        ));
                    }
                }
            }
            Event::PeerClosed { peer, .. } => {
                self.start_heights.remove(&peer.0);
            }
            _ => {}
        }
        breaches
    }

    /// At the end of a run: a sync peer let go short of its height by the last event.
    pub(super) fn finish(&mut self) -> Option<(PeerId, String)> {
        self.pending.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use node::protocol::events::MessageSummary;

    fn version(id: u64, start_height: i32) -> Event {
        Event::Received {
            peer: PeerId(id),
            message: MessageSummary::Version {
                version: 70_016,
                services: 1,
                start_height,
                nonce: 7,
                user_agent: String::new(),
            },
        }
    }

    fn stalled(id: u64, advertised_height: i32, best_height: u32) -> Event {
        Event::Disconnected {
            peer: PeerId(id),
            reason: DisconnectReason::SyncStalled {
                advertised_height,
                best_height,
            },
        }
    }

    fn run(events: &[(Event, u32)]) -> Vec<(PeerId, String)> {
        let mut rule = StallVerdict::default();
        let mut breaches: Vec<(PeerId, String)> = events
            .iter()
            .flat_map(|(event, best)| rule.event(event, *best))
            .collect();
        breaches.extend(rule.finish());
        breaches
    }

    fn chosen(id: u64) -> Event {
        Event::SyncPeer {
            peer: Some(PeerId(id)),
        }
    }

    fn let_go() -> Event {
        Event::SyncPeer { peer: None }
    }

    fn closed(id: u64) -> Event {
        Event::PeerClosed {
            peer: PeerId(id),
            error: None,
        }
    }

    /// Peer 1 advertises `advertised` and is chosen at best height `best_before`, then let go
    /// at `best`, followed by `then`.
    fn let_go_then(
        advertised: i32,
        best_before: u32,
        best: u32,
        then: Event,
    ) -> Vec<(PeerId, String)> {
        run(&[
            (version(1, advertised), best_before),
            (chosen(1), best_before),
            (let_go(), best),
            (then, best),
        ])
    }

    #[test]
    fn a_stalled_peer_above_the_best_height_is_disconnected() {
        assert!(let_go_then(500, 100, 100, stalled(1, 500, 100)).is_empty());
    }

    #[test]
    fn a_stalled_peer_not_above_the_best_height_is_only_let_go() {
        assert!(let_go_then(100, 50, 100, chosen(2)).is_empty());
        let breaches = let_go_then(100, 50, 100, stalled(1, 100, 100));
        assert_eq!(breaches.len(), 1, "{breaches:?}");
        assert_eq!(breaches[0].0, PeerId(1));
        assert!(breaches[0].1.contains("advertised height 100, not above"));
    }

    #[test]
    fn a_sync_peer_short_of_its_height_is_not_let_go_while_connected() {
        let breaches = let_go_then(500, 100, 100, chosen(2));
        assert_eq!(breaches.len(), 1, "{breaches:?}");
        assert!(breaches[0].1.contains("height 100, below the 500"));
        // The same at the very end of a run.
        let breaches = run(&[(version(1, 500), 100), (chosen(1), 100), (let_go(), 100)]);
        assert_eq!(breaches.len(), 1, "{breaches:?}");
    }

    #[test]
    fn a_sync_peer_whose_connection_ends_is_let_go_for_that() {
        assert!(let_go_then(500, 100, 100, closed(1)).is_empty());
        let gone_first = [
            (version(1, 500), 100),
            (chosen(1), 100),
            (closed(1), 100),
            (let_go(), 100),
        ];
        assert!(run(&gone_first).is_empty());
    }
}
