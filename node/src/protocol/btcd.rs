//! btcd's side of [`Node`] (B26): the timers of `peer/peer.go` (negotiation timeout, idle
//! timer, `stallHandler`, `pingHandler`), `inHandler`'s answer to a read error, and
//! `netsync/manager.go`'s sync-peer choice, stall sampling and `handleHeadersMsg`, plus
//! `server.go`'s ban check at the end of the handshake and its `feefilter` check.

use bitcoin::block::Header;
use bitcoin::BlockHash;
use rand_chacha::rand_core::RngCore;

use super::disconnect::DisconnectReason;
use super::events::Event;
use super::ids::PeerId;
use super::node::Node;
use super::peer::Peer;
use super::sync_manager::StallVerdict;
use super::time::ms;
use crate::config::Profile;
use crate::deliberate_bugs::Bug;
use crate::wire::btcd_read::{class_of, BtcdErrorClass};
use crate::wire::{self, DecodeError, NetworkMessage, RejectReason};

/// btcd `btcutil.MaxSatoshi`: the largest fee rate a `feefilter` may carry (21 million BTC).
pub const FEE_FILTER_SATOSHIS_MAX: i64 = 21_000_000 * 100_000_000;

impl Node {
    /// btcd `handleAddPeerMsg`: once the handshake is done, a peer (inbound or outbound) of a
    /// banned host is disconnected; an expired ban is forgotten. Returns whether it was.
    pub(super) fn btcd_refuses_banned(&mut self, peer: PeerId, now_ms: u64) -> bool {
        let Some(p) = self.peers.get(&peer) else {
            return false;
        };
        let host = p.host().to_string();
        if self.config.profile != Profile::Btcd || !self.banned.contains_key(&host) {
            return false;
        }
        match self.ban_remaining_ms(&host, now_ms) {
            Some(remaining_ms) => {
                let remaining_s = remaining_ms.div_ceil(1000);
                self.disconnect(
                    peer,
                    DisconnectReason::StillBanned { host, remaining_s },
                    now_ms,
                );
                true
            }
            None => {
                self.banned.remove(&host);
                false
            }
        }
    }

    /// btcd's answer to a frame it could not read (`peer/peer.go`).
    ///
    /// During the handshake every read error ends the negotiation: close, no reject (`start`).
    /// After it, `inHandler`: `io.EOF` closes without a reject (`shouldHandleReadError` takes it
    /// for a hang-up); a `*wire.MessageError`, `io.ErrUnexpectedEOF` or any other error gets
    /// `reject("malformed", RejectMalformed, "Can't read message from …")` (when the negotiated
    /// version has `reject`), then the close.
    ///
    /// Not modelled: `isAllowedReadError`, btcd's hook for its own regression tests, which
    /// ignores a `MessageError` on regtest when the peer's host is literally `127.0.0.1` or
    /// `localhost`. The simulator never meets it (its hosts are names), but a real run on
    /// regtest over loopback would: the node's behaviour would then hang on the address a peer
    /// comes from, and the real-TCP tests that check a btcd-profile disconnect on regtest over
    /// loopback (`tests/python_client.rs`, a bad checksum) would see none. A differential test
    /// against a real btcd avoids it as `shared/reference/p2p-behaviour.md` says: another
    /// network than regtest, or a peer address other than those two (`::1` is not exempt).
    pub(super) fn btcd_on_frame_error(&mut self, peer: PeerId, error: DecodeError, now_ms: u64) {
        let Some(p) = self.peers.get(&peer) else {
            return;
        };
        if !p.is_ready() || class_of(&error) == BtcdErrorClass::Eof {
            self.disconnect(peer, DisconnectReason::Frame(error), now_ms);
            return;
        }
        let reason = format!("Can't read message from {}: {error}", p.addr());
        self.send_reject(peer, "malformed", RejectReason::Malformed, reason, now_ms);
        self.disconnect(peer, DisconnectReason::Frame(error), now_ms);
    }

    /// btcd `server.go` `OnFeeFilter`: a fee rate below 0 or above [`FEE_FILTER_SATOSHIS_MAX`]
    /// closes the connection (no reject, no ban score); any other is only stored, which a
    /// header-only node does not need.
    pub(super) fn btcd_on_fee_filter(&mut self, peer: PeerId, fee_rate: i64, now_ms: u64) {
        if !(0..=FEE_FILTER_SATOSHIS_MAX).contains(&fee_rate) {
            self.disconnect(
                peer,
                DisconnectReason::InvalidFeeFilter { fee_rate },
                now_ms,
            );
        }
    }

    /// btcd's timers: the negotiation timeout, `inHandler`'s idle timer, `stallHandler`'s
    /// 15-s ticker, `pingHandler`'s 2-min ticker and the sync manager's 30-s sampler.
    pub(super) fn btcd_tick(&mut self, now_ms: u64) {
        let timing = self.config.timing.clone();
        let ids: Vec<PeerId> = self.peers.keys().copied().collect();
        for id in ids {
            let Some(p) = self.peers.get_mut(&id) else {
                continue;
            };
            if !p.is_ready() {
                if now_ms >= p.handshake_deadline_ms(&timing) {
                    let timeout_ms = ms(timing.handshake_timeout);
                    self.disconnect(
                        id,
                        DisconnectReason::HandshakeTimeout { timeout_ms },
                        now_ms,
                    );
                }
                continue;
            }
            if now_ms >= p.idle_deadline_ms(&timing) {
                let timeout_ms = ms(timing.idle_timeout);
                self.disconnect(id, DisconnectReason::Idle { timeout_ms }, now_ms);
                continue;
            }
            if p.take_stall_tick(now_ms, &timing) {
                // btcd `stallHandler`: a deadline is missed once `!now.Before(deadline)`.
                if p.headers_deadline_ms(&timing)
                    .is_some_and(|deadline| now_ms >= deadline)
                {
                    let waited_ms = now_ms - p.getheaders_sent_ms().unwrap_or(now_ms);
                    let reason = DisconnectReason::Stalled {
                        command: "headers",
                        waited_ms,
                    };
                    self.disconnect(id, reason, now_ms);
                    continue;
                }
            }
            if p.take_ping_tick(now_ms, &timing) {
                // btcd sends the ping nonce from `wire.RandomUint64`; a nonce of 0 would not be
                // matched by Core, so avoid it.
                let nonce = self.rng.next_u64().max(1);
                if let Some(p) = self.peers.get_mut(&id) {
                    p.expect_pong(nonce, now_ms);
                }
                self.send(id, NetworkMessage::Ping(nonce), now_ms);
            }
        }
        let best_height = self.chain.tip_height();
        let peers = &self.peers;
        let verdict = self.sync.sample(
            now_ms,
            &timing,
            |id| peers.get(&id).map_or(0, Peer::start_height),
            best_height,
        );
        match verdict {
            StallVerdict::Fine => {}
            StallVerdict::Unset(_) => {
                self.event(Event::SyncPeer { peer: None });
                self.start_sync(now_ms);
            }
            StallVerdict::Disconnect(peer) => {
                let advertised_height = self.peers.get(&peer).map_or(0, Peer::start_height);
                self.event(Event::SyncPeer { peer: None });
                self.disconnect(
                    peer,
                    DisconnectReason::SyncStalled {
                        advertised_height,
                        best_height,
                    },
                    now_ms,
                );
                self.start_sync(now_ms);
            }
        }
    }

    /// btcd B26 `handleHeadersMsg`: headers are checked in order, proof of work included, and
    /// the first failure disconnects, the headers before it kept (D15); the sync peer is asked again with the one-entry locator
    /// `[best header]` while our best header is below its advertised height (D13, D26).
    pub(super) fn btcd_on_headers(&mut self, peer: PeerId, headers: Vec<Header>, now_ms: u64) {
        if headers.len() > wire::HEADERS_PER_MESSAGE_MAX {
            // btcd's reading refuses such a message before it is decoded (the btcd dialect of
            // the frame decoder: a count above 2000, or a payload above 162,009 bytes, is a
            // `MessageError`), so only a direct caller gets here.
            let reason = format!(
                "headers message with {} headers exceeds {}",
                headers.len(),
                wire::HEADERS_PER_MESSAGE_MAX
            );
            self.send_reject(peer, "headers", RejectReason::Malformed, reason, now_ms);
            self.disconnect(
                peer,
                DisconnectReason::TooManyHeaders {
                    count: headers.len(),
                },
                now_ms,
            );
            return;
        }
        // Any `headers` message, even an empty one, clears the deadline (btcd `stallControl`).
        if let Some(p) = self.peers.get_mut(&peer) {
            p.clear_headers_deadline();
        }
        if headers.is_empty() {
            self.event(Event::HeadersImported {
                peer,
                received: 0,
                accepted: 0,
                tip_height: self.chain.tip_height(),
            });
            return;
        }
        self.sync.on_headers(peer, now_ms);
        let hashes: Vec<BlockHash> = headers.iter().map(Header::block_hash).collect();
        let import = self.import_headers(
            peer,
            &headers,
            &hashes,
            headers.len(),
            now_ms,
            Profile::Btcd,
        );
        if let Some(error) = import.and_then(|i| i.error) {
            self.disconnect(peer, DisconnectReason::InvalidHeader(error), now_ms);
            return;
        }
        if self.sync.sync_peer() != Some(peer) {
            return;
        }
        let advertised = self.peers.get(&peer).map_or(0, Peer::start_height);
        if i64::from(self.chain.tip_height()) < i64::from(advertised) {
            // Departure from B26 (its F04 fragility): when the batch ended on a branch other
            // than our best, the peer is walking its own chain up from our fork point and may
            // not know our best header. `[best]` would make it answer from the fork point
            // again, and `PushGetHeadersMsg` would then suppress the identical repeat, so the
            // sync would stop for good. Ask with the full locator from the batch's last header
            // instead, as Core does (found by `sim explore`, seed 5).
            let last = hashes
                .last()
                .copied()
                .unwrap_or_else(|| self.chain.tip_hash());
            let off_best =
                self.chain.active_height_of(&last).is_none() && self.chain.contains(&last);
            let locator = if off_best && !self.config.has_bug(Bug::FollowUpFromBest) {
                self.chain.locator_from(&last)
            } else {
                vec![self.chain.tip_hash()]
            };
            self.send_getheaders(peer, locator, now_ms);
        } else {
            // The sync peer's advertised tip is reached: look for a higher peer.
            self.sync.unset();
            self.event(Event::SyncPeer { peer: None });
            self.start_sync(now_ms);
        }
    }

    /// btcd `startSync`: one sync peer, chosen at random among ready full-node peers that
    /// advertise more than our best header, asked with the full locator of our best header.
    pub(super) fn btcd_start_sync(&mut self, now_ms: u64) {
        let candidates: Vec<(PeerId, i32)> = self
            .peers
            .values()
            .filter(|p| p.is_ready() && p.is_full_node())
            .map(|p| (p.id(), p.start_height()))
            .collect();
        let best = self.chain.tip_height();
        if let Some(peer) = self.sync.choose(&candidates, best, &mut self.rng, now_ms) {
            self.event(Event::SyncPeer { peer: Some(peer) });
            let locator = self.chain.locator();
            self.send_getheaders(peer, locator, now_ms);
        }
    }
}
