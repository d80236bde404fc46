//! Core's header-sync bookkeeping (`net_processing.cpp` `SendMessages`): which peers the
//! initial header sync starts with, `MaybeSendGetHeaders`'s rate limit, the headers-sync
//! timeout and its allowance, and `IsInitialBlockDownload`.

use bitcoin::BlockHash;

use crate::config::SENDHEADERS_VERSION;
use crate::protocol::disconnect::DisconnectReason;
use crate::protocol::events::{DropReason, Event};
use crate::protocol::ids::PeerId;
use crate::protocol::node::Node;
use crate::protocol::peer::Peer;
use crate::protocol::time::ms;
use crate::wire::NetworkMessage;

/// Seconds between blocks that difficulty aims for, on every network: Bitcoin Core
/// `nPowTargetSpacing` (`kernel/chainparams.cpp`).
const POW_TARGET_SPACING_S: u64 = 600;

impl Node {
    /// Core `MaybeSendSendHeaders` (BIP 130, `net_processing.cpp`, run in every
    /// `SendMessages` pass): once a peer's best known header has more work than the minimum
    /// chain work, tell it once that we prefer `headers` announcements to `inv`s (Core waits
    /// until then so that announcements do not disturb the initial headers sync). Only at a
    /// negotiated version of [`SENDHEADERS_VERSION`] or more.
    pub(in crate::protocol) fn core_maybe_send_sendheaders(&mut self, peer: PeerId, now_ms: u64) {
        let Some(p) = self.peers.get(&peer) else {
            return;
        };
        if p.sent_sendheaders() || !p.is_ready() || p.negotiated_version() < SENDHEADERS_VERSION {
            return;
        }
        let Some(best) = p.best_known_block().and_then(|h| self.chain.get(&h)) else {
            return;
        };
        if best.chainwork <= self.config.minimum_chain_work {
            return;
        }
        if let Some(p) = self.peers.get_mut(&peer) {
            p.mark_sent_sendheaders();
        }
        self.send(peer, NetworkMessage::SendHeaders, now_ms);
    }

    /// Core `SendMessages`, "Start block sync": a ready peer that can serve headers starts the
    /// initial header sync if no peer has, or with every peer once our best header is recent.
    /// Its advertised height plays no part (D25). The locator starts one header below our
    /// best, so the reply is never empty.
    ///
    /// Core's `sync_blocks_and_headers_from_peer` admits an inbound peer only when no outbound
    /// peer is preferred for download *or no blocks are in flight* (`mapBlocksInFlight.empty()`).
    /// A header-only node never has a block in flight, so every peer that can serve headers
    /// qualifies, inbound ones included, in peer-id order. (Requiring an outbound peer while
    /// one was connected let the node cycle through outbound peers on a stale chain for good
    /// and never ask an inbound peer with more work: found by `sim explore`, seed 243.)
    pub(in crate::protocol) fn core_start_sync(&mut self, now_ms: u64) {
        let recent = !self.core_best_header_is_old(now_ms);
        let ids: Vec<PeerId> = self.peers.keys().copied().collect();
        for id in ids {
            let started = self.peers.values().filter(|p| p.sync_started()).count();
            let Some(p) = self.peers.get(&id) else {
                continue;
            };
            if !p.is_ready() || p.sync_started() || !p.can_serve_headers() {
                continue;
            }
            // The deliberate bug is the rule before the fix: an inbound peer only while no
            // outbound peer is preferred.
            let eligible = !crate::deliberate_bugs::refuses_inbound_sync_peer(
                self.config.deliberate_bug(),
                p.is_outbound(),
                || self.core_preferred_peers(),
            );
            if !((started == 0 && eligible) || recent) {
                continue;
            }
            let deadline_ms = now_ms.saturating_add(self.core_headers_sync_allowance_ms(now_ms));
            if let Some(p) = self.peers.get_mut(&id) {
                p.start_headers_sync(deadline_ms);
            }
            self.event(Event::SyncPeer { peer: Some(id) });
            let tip = self.chain.tip_hash();
            let start = self
                .chain
                .get(&tip)
                .map(|e| e.header.prev_blockhash)
                .filter(|h| self.chain.contains(h))
                .unwrap_or(tip);
            let locator = self.chain.locator_from(&start);
            self.core_maybe_send_getheaders(id, locator, now_ms);
        }
    }

    /// Core `MaybeSendGetHeaders`: at most one `getheaders` per `headers_response_time` unless
    /// a connecting `headers` arrived since the last one.
    pub(in crate::protocol) fn core_maybe_send_getheaders(
        &mut self,
        peer: PeerId,
        locator: Vec<BlockHash>,
        now_ms: u64,
    ) {
        let window_ms = ms(self.config.timing.headers_response_time);
        let Some(p) = self.peers.get_mut(&peer) else {
            return;
        };
        if p.last_getheaders_ms()
            .is_some_and(|t| now_ms.saturating_sub(t) <= window_ms)
        {
            return;
        }
        p.record_getheaders_timestamp(now_ms);
        self.send_getheaders(peer, locator, now_ms);
    }

    /// Core `SendMessages`, "Check for headers sync timeouts": while our best header is older
    /// than `max_tip_age`, a sync peer past its deadline is dropped if it is the only sync
    /// peer and another preferred (outbound) peer exists; once the best header is recent the
    /// deadline is cleared for good.
    pub(in crate::protocol) fn core_check_headers_sync_timeout(
        &mut self,
        peer: PeerId,
        now_ms: u64,
    ) {
        let Some(deadline_ms) = self
            .peers
            .get(&peer)
            .and_then(Peer::headers_sync_deadline_ms)
        else {
            return;
        };
        if !self.core_best_header_is_old(now_ms) {
            if let Some(p) = self.peers.get_mut(&peer) {
                p.clear_headers_sync_deadline();
            }
            return;
        }
        if now_ms <= deadline_ms {
            return;
        }
        let sync_started = self.peers.values().filter(|p| p.sync_started()).count();
        let preferred = self.core_preferred_peers();
        let this_preferred = self
            .peers
            .get(&peer)
            .is_some_and(|p| p.is_preferred(self.is_noban(peer)));
        if sync_started == 1 && preferred - usize::from(this_preferred) >= 1 {
            let started = deadline_ms.saturating_sub(self.core_headers_sync_allowance_ms(now_ms));
            let waited_ms = now_ms.saturating_sub(started);
            if self.is_noban(peer) {
                // "Timeout downloading headers from noban peer, not disconnecting": the sync
                // state resets so that another peer can be tried.
                if let Some(p) = self.peers.get_mut(&peer) {
                    p.reset_headers_sync();
                }
                let reason = DropReason::NoBanHeadersSyncTimeout { waited_ms };
                self.event(Event::Dropped { peer, reason });
                self.event(Event::SyncPeer { peer: None });
                return;
            }
            self.disconnect(
                peer,
                DisconnectReason::HeadersSyncTimeout { waited_ms },
                now_ms,
            );
        } else if let Some(p) = self.peers.get_mut(&peer) {
            // Nobody could take over: Core keeps checking on every pass; here the check runs
            // again with the node's other timers and whenever a peer finishes its handshake.
            p.mark_headers_sync_overdue();
        }
    }

    /// Core `m_num_preferred_download_peers`: ready peers that are preferred for download.
    fn core_preferred_peers(&self) -> usize {
        self.peers
            .values()
            .filter(|p| {
                let noban = self.config.noban.iter().any(|h| h == p.host());
                p.is_ready() && p.is_preferred(noban)
            })
            .count()
    }

    /// True while our best header is older than `max_tip_age` (Core's initial-sync test on
    /// `m_best_header->Time()`; btcd's `IsCurrent` in its header-only reading).
    pub(in crate::protocol) fn core_best_header_is_old(&self, now_ms: u64) -> bool {
        let tip_time_s = u64::from(self.chain.tip_header().time);
        tip_time_s.saturating_add(self.config.timing.max_tip_age.as_secs()) < now_ms / 1000
    }

    /// Core: how long an initial header sync started now may take: `HEADERS_DOWNLOAD_TIMEOUT_BASE`
    /// plus `HEADERS_DOWNLOAD_TIMEOUT_PER_HEADER` per `nPowTargetSpacing` (600 s) between our
    /// best header's time and now, computed in microseconds as Core does and rounded up to
    /// whole milliseconds.
    fn core_headers_sync_allowance_ms(&self, now_ms: u64) -> u64 {
        let behind_s = (now_ms / 1000).saturating_sub(u64::from(self.chain.tip_header().time));
        let per_header_us = u64::try_from(
            self.config
                .timing
                .headers_download_timeout_per_header
                .as_micros(),
        )
        .unwrap_or(u64::MAX);
        let extra_us = per_header_us.saturating_mul(behind_s) / POW_TARGET_SPACING_S;
        ms(self.config.timing.headers_download_timeout_base).saturating_add(extra_us.div_ceil(1000))
    }

    /// Core `IsInitialBlockDownload` for a header-only node: our best chain has less than the
    /// minimum chain work or its tip is older than `max_tip_age`. Once false it stays false.
    pub(in crate::protocol) fn core_is_initial_block_download(&mut self, now_ms: u64) -> bool {
        if self.ibd_finished {
            return false;
        }
        if self.chain.tip_chainwork() < self.config.minimum_chain_work
            || self.core_best_header_is_old(now_ms)
        {
            return true;
        }
        self.ibd_finished = true;
        false
    }
}
