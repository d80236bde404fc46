//! Core's view of what each peer has (`pindexBestKnownBlock`, `UpdateBlockAvailability`) and
//! the chain-sync eviction of automatic outbound peers it drives (`ConsiderEviction`), with
//! the protection of the first automatic full-relay peers to show our tip's work
//! (`UpdatePeerStateForReceivedHeaders`). Manual and inbound peers are exempt from both.

use bitcoin::BlockHash;

use crate::config::OUTBOUND_PEERS_TO_PROTECT_MAX;
use crate::protocol::disconnect::DisconnectReason;
use crate::protocol::events::{ChainSyncStep, Event};
use crate::protocol::ids::PeerId;
use crate::protocol::node::Node;
use crate::protocol::peer::Peer;

impl Node {
    /// Core `UpdatePeerStateForReceivedHeaders`: the peer's best known header, the
    /// initial-sync disconnect of an automatic outbound peer (`IsOutboundOrBlockRelayConn`: not
    /// manual, not inbound) whose complete chain has less than the minimum chain work, and the
    /// eviction protection of the first automatic full-relay peers (`IsFullOutboundConn`) to
    /// show our tip's work.
    pub(in crate::protocol) fn core_update_peer_state_for_received_headers(
        &mut self,
        peer: PeerId,
        last: BlockHash,
        may_have_more: bool,
        now_ms: u64,
    ) {
        self.core_update_block_availability(peer, last);
        let Some(best) = self
            .peers
            .get(&peer)
            .and_then(Peer::best_known_block)
            .and_then(|h| self.chain.get(&h))
            .copied()
        else {
            return;
        };
        if !may_have_more
            && self.core_is_initial_block_download(now_ms)
            && best.chainwork < self.config.minimum_chain_work
            && self
                .peers
                .get(&peer)
                .is_some_and(|p| p.connection_type().is_outbound_or_block_relay())
        {
            self.disconnect(
                peer,
                DisconnectReason::InsufficientWork {
                    best_known_height: best.height,
                },
                now_ms,
            );
            return;
        }
        let tip_work = self.chain.tip_chainwork();
        let Some(p) = self.peers.get_mut(&peer) else {
            return;
        };
        if p.connection_type().is_full_outbound()
            && self.protected_outbound_peers < OUTBOUND_PEERS_TO_PROTECT_MAX
            && best.chainwork >= tip_work
            && !p.chain_sync().protect
        {
            p.protect_from_eviction();
            self.protected_outbound_peers += 1;
            self.event(Event::ChainSync {
                peer,
                step: ChainSyncStep::Protected,
            });
        }
    }

    /// Core `UpdateBlockAvailability`: a known header with at least the work of the peer's
    /// best known one replaces it; an unknown one is remembered until it becomes known.
    pub(in crate::protocol) fn core_update_block_availability(
        &mut self,
        peer: PeerId,
        hash: BlockHash,
    ) {
        self.core_process_block_availability(peer);
        if self.chain.contains(&hash) {
            self.core_raise_best_known(peer, hash);
        } else if let Some(p) = self.peers.get_mut(&peer) {
            p.set_last_unknown_block(hash);
        }
    }

    /// Core `ProcessBlockAvailability`: a previously unknown announced block that is now known
    /// becomes the peer's best known header if it has at least as much work.
    fn core_process_block_availability(&mut self, peer: PeerId) {
        let Some(unknown) = self.peers.get(&peer).and_then(Peer::last_unknown_block) else {
            return;
        };
        if self.chain.contains(&unknown) {
            self.core_raise_best_known(peer, unknown);
            if let Some(p) = self.peers.get_mut(&peer) {
                p.clear_last_unknown_block();
            }
        }
    }

    /// Makes the known header `hash` the peer's best known header if it has at least the work
    /// of the current one (Core's `>=` in both availability functions).
    fn core_raise_best_known(&mut self, peer: PeerId, hash: BlockHash) {
        let Some(work) = self.chain.get(&hash).map(|e| e.chainwork) else {
            return;
        };
        let Some(p) = self.peers.get_mut(&peer) else {
            return;
        };
        if p.best_known_block()
            .and_then(|h| self.chain.get(&h))
            .is_none_or(|best| work >= best.chainwork)
        {
            p.set_best_known_block(hash);
        }
    }

    /// Core `ConsiderEviction` for every peer (Core runs it in each `SendMessages` pass).
    pub(in crate::protocol) fn core_consider_eviction_all(&mut self, now_ms: u64) {
        let ids: Vec<PeerId> = self.peers.keys().copied().collect();
        for id in ids {
            self.core_consider_eviction(id, now_ms);
        }
    }

    /// Core `ConsiderEviction`: an unprotected automatic outbound peer (`IsOutboundOrBlockRelayConn`;
    /// manual and inbound peers are never considered) whose sync started and whose best
    /// known header has less work than our tip gets `chain_sync_timeout` (in whole seconds,
    /// as Core counts) to show that work; a peer that reaches the tip recorded when its timer
    /// was set, but not our newer tip, gets a new timer. When the time runs out it is sent one
    /// `getheaders` from below that recorded tip and given `headers_response_time` more; after
    /// that it is disconnected ("Outbound peer has old chain").
    fn core_consider_eviction(&mut self, peer: PeerId, now_ms: u64) {
        self.core_process_block_availability(peer);
        let Some(p) = self.peers.get(&peer) else {
            return;
        };
        if !p.chain_sync_applies() {
            return;
        }
        let now_s = now_ms / 1000;
        let tip_work = self.chain.tip_chainwork();
        let tip_hash = self.chain.tip_hash();
        let best = p
            .best_known_block()
            .and_then(|h| self.chain.get(&h))
            .copied();
        let benchmark = p
            .chain_sync()
            .work_header
            .and_then(|h| self.chain.get(&h))
            .copied();
        let state = p.chain_sync().clone();
        let chain_sync_timeout_s = self.config.timing.chain_sync_timeout.as_secs();
        let response_s = self.config.timing.headers_response_time.as_secs();
        if best.is_some_and(|b| b.chainwork >= tip_work) {
            if state.timeout_s.is_some() {
                if let Some(p) = self.peers.get_mut(&peer) {
                    p.reset_chain_sync();
                }
            }
        } else if state.timeout_s.is_none()
            || matches!((best, benchmark), (Some(b), Some(w)) if b.chainwork >= w.chainwork)
        {
            if let Some(p) = self.peers.get_mut(&peer) {
                p.start_chain_sync_timer(now_s + chain_sync_timeout_s, tip_hash);
            }
        } else if state.timeout_s.is_some_and(|t| now_s > t) {
            if state.sent_getheaders {
                let best_known_height = best.map(|b| b.height);
                self.disconnect(
                    peer,
                    DisconnectReason::OldChain { best_known_height },
                    now_ms,
                );
            } else {
                let locator = benchmark
                    .map(|w| w.header.prev_blockhash)
                    .map(|parent| self.chain.locator_from(&parent))
                    .unwrap_or_default();
                let step = ChainSyncStep::VerifyingChainWork {
                    best_known_height: best.map(|b| b.height),
                    benchmark_height: benchmark.map_or(0, |w| w.height),
                };
                self.event(Event::ChainSync { peer, step });
                self.core_maybe_send_getheaders(peer, locator, now_ms);
                if let Some(p) = self.peers.get_mut(&peer) {
                    p.record_chain_sync_getheaders(now_s + response_s);
                }
            }
        }
    }
}
