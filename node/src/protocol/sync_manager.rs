//! Sync-peer choice and progress sampling, after btcd's `netsync/manager.go` (B26), adapted
//! to a header-only node: heights are best-*header* heights, and a batch of exactly 2000
//! headers means "ask again" as in Bitcoin Core (`MAX_HEADERS_RESULTS`).
//!
//! One sync peer at a time. It is chosen at random (from the node's seeded rng) among ready
//! full-node peers whose advertised height is above our best header height (btcd `startSync`,
//! `fetchHeaders`). When it disconnects, a replacement is chosen at once (btcd
//! `handleDonePeerMsg`). Every `sync_stall_sample_interval` the manager checks progress: a sync
//! peer without progress for longer than `sync_stall_max` is dropped, and disconnected if it
//! advertised more than we have (btcd `handleStallSample`, `shouldDCStalledSyncPeer`).

use rand_chacha::rand_core::RngCore;
use rand_chacha::ChaCha8Rng;

use super::ids::PeerId;
use super::time::ms;
use crate::config::Timing;

/// What the sampler decided about a stalled sync peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StallVerdict {
    /// Nothing to do.
    Fine,
    /// Drop the sync peer but keep the connection (it has nothing more than we do).
    Unset(PeerId),
    /// Drop and disconnect the sync peer: it claims more than it delivered.
    Disconnect(PeerId),
}

/// The sync manager's state.
#[derive(Debug, Clone)]
pub struct SyncManager {
    sync_peer: Option<PeerId>,
    last_progress_ms: u64,
    next_sample_ms: u64,
}

impl SyncManager {
    /// No sync peer; the sampler's first tick is one interval after `now_ms`.
    pub fn new(now_ms: u64, timing: &Timing) -> SyncManager {
        SyncManager {
            sync_peer: None,
            last_progress_ms: now_ms,
            next_sample_ms: now_ms + ms(timing.sync_stall_sample_interval),
        }
    }

    /// The current sync peer.
    pub fn sync_peer(&self) -> Option<PeerId> {
        self.sync_peer
    }

    /// Picks a sync peer if there is none: uniformly at random among `candidates`
    /// (`(peer, advertised height)` of ready full-node peers, in peer-id order) whose height is
    /// above `best_height`. Returns the new sync peer.
    pub fn choose(
        &mut self,
        candidates: &[(PeerId, i32)],
        best_height: u32,
        rng: &mut ChaCha8Rng,
        now_ms: u64,
    ) -> Option<PeerId> {
        if self.sync_peer.is_some() {
            return None;
        }
        let higher: Vec<PeerId> = candidates
            .iter()
            .filter(|(_, height)| i64::from(*height) > i64::from(best_height))
            .map(|(peer, _)| *peer)
            .collect();
        if higher.is_empty() {
            return None;
        }
        let index = usize::try_from(rng.next_u64() % higher.len() as u64).unwrap_or(0);
        let chosen = higher[index];
        self.sync_peer = Some(chosen);
        self.last_progress_ms = now_ms;
        Some(chosen)
    }

    /// Forgets the sync peer (it left, stalled, or delivered its whole chain).
    pub fn unset(&mut self) {
        self.sync_peer = None;
    }

    /// Headers from `peer` arrived: progress if it is the sync peer (btcd updates
    /// `lastProgressTime` for every non-empty `headers` from the sync peer).
    pub fn on_headers(&mut self, peer: PeerId, now_ms: u64) {
        if self.sync_peer == Some(peer) {
            self.last_progress_ms = now_ms;
        }
    }

    /// A peer left. Returns true if it was the sync peer (a replacement should be chosen).
    pub fn on_peer_removed(&mut self, peer: PeerId) -> bool {
        if self.sync_peer == Some(peer) {
            self.sync_peer = None;
            true
        } else {
            false
        }
    }

    /// When the sampler next runs.
    pub fn next_deadline_ms(&self) -> u64 {
        self.next_sample_ms
    }

    /// Runs the sampler if due. `advertised_height` is the sync peer's advertised height;
    /// `best_height` our best header height.
    pub fn sample(
        &mut self,
        now_ms: u64,
        timing: &Timing,
        advertised_height: impl Fn(PeerId) -> i32,
        best_height: u32,
    ) -> StallVerdict {
        if now_ms < self.next_sample_ms {
            return StallVerdict::Fine;
        }
        let interval_ms = ms(timing.sync_stall_sample_interval).max(1);
        while self.next_sample_ms <= now_ms {
            self.next_sample_ms += interval_ms;
        }
        let Some(peer) = self.sync_peer else {
            return StallVerdict::Fine;
        };
        if now_ms.saturating_sub(self.last_progress_ms) <= ms(timing.sync_stall_max) {
            return StallVerdict::Fine;
        }
        self.sync_peer = None;
        if i64::from(advertised_height(peer)) > i64::from(best_height) {
            StallVerdict::Disconnect(peer)
        } else {
            StallVerdict::Unset(peer)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;

    #[test]
    fn only_peers_above_our_height_are_chosen() {
        let timing = Timing::default();
        let mut sm = SyncManager::new(0, &timing);
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let candidates = [(PeerId(1), 10), (PeerId(2), 500), (PeerId(3), 10)];
        assert_eq!(sm.choose(&candidates, 10, &mut rng, 0), Some(PeerId(2)));
        assert_eq!(
            sm.choose(&candidates, 10, &mut rng, 0),
            None,
            "one sync peer at a time"
        );
        sm.unset();
        assert_eq!(
            sm.choose(&candidates, 500, &mut rng, 0),
            None,
            "nobody is higher"
        );
    }

    #[test]
    fn sampler_disconnects_a_sync_peer_without_progress_for_three_minutes_only_if_it_claims_more() {
        let timing = Timing::default();
        let mut sm = SyncManager::new(0, &timing);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        sm.choose(&[(PeerId(1), 1000)], 0, &mut rng, 0);
        // Samples at 30 s, 60 s, ... 180 s: 180 s without progress is not yet "more than 3 min".
        for t in (30_000..=180_000).step_by(30_000) {
            assert_eq!(
                sm.sample(t, &timing, |_| 1000, 0),
                StallVerdict::Fine,
                "at {t} ms"
            );
        }
        assert_eq!(
            sm.sample(210_000, &timing, |_| 1000, 0),
            StallVerdict::Disconnect(PeerId(1))
        );
        assert_eq!(sm.sync_peer(), None);

        sm.choose(&[(PeerId(2), 1000)], 0, &mut rng, 210_000);
        assert_eq!(
            sm.sample(420_000, &timing, |_| 1000, 1000),
            StallVerdict::Unset(PeerId(2))
        );
    }

    #[test]
    fn progress_from_the_sync_peer_restarts_the_stall_clock() {
        let timing = Timing::default();
        let mut sm = SyncManager::new(0, &timing);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        sm.choose(&[(PeerId(1), 1000)], 0, &mut rng, 0);
        sm.on_headers(PeerId(2), 100_000);
        sm.on_headers(PeerId(1), 150_000);
        assert_eq!(sm.sample(210_000, &timing, |_| 1000, 0), StallVerdict::Fine);
        assert_eq!(
            sm.sample(360_000, &timing, |_| 1000, 0),
            StallVerdict::Disconnect(PeerId(1))
        );
    }
}
