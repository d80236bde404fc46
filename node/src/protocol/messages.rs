//! A ready peer's messages, the steps both profiles share: the dispatch by command (ping and
//! pong, duplicate handshake messages, `sendheaders`), block `inv`s, the `getheaders` we
//! serve, adding a `headers` message to the chain, and the `getheaders` and `reject` we send.

use bitcoin::block::Header;
use bitcoin::hashes::Hash;
use bitcoin::BlockHash;

use super::disconnect::DisconnectReason;
use super::events::{DropReason, Event};
use super::header_chain;
use super::ids::PeerId;
use super::node::Node;
use super::output::Output;
use crate::config::{
    Profile, BIP0031_VERSION, CORE_LOCATOR_HASHES_MAX, INV_ENTRIES_MAX, PROTOCOL_VERSION,
    REJECT_VERSION,
};
use crate::deliberate_bugs::Bug;
use crate::wire::{self, GetHeadersMessage, NetworkMessage, Reject, RejectReason};

impl Node {
    pub(super) fn on_ready_message(&mut self, peer: PeerId, message: NetworkMessage, now_ms: u64) {
        let core = self.config.profile == Profile::Core;
        match message {
            NetworkMessage::Version(_) if core => {
                self.event(Event::Dropped {
                    peer,
                    reason: DropReason::RedundantVersion,
                });
            }
            NetworkMessage::Verack if core => {
                self.event(Event::Dropped {
                    peer,
                    reason: DropReason::RedundantVerack,
                });
            }
            NetworkMessage::Version(_) => {
                let reason = "duplicate version message".to_string();
                self.send_reject(peer, "version", RejectReason::Duplicate, reason, now_ms);
                self.disconnect(peer, DisconnectReason::DuplicateVersion, now_ms);
            }
            NetworkMessage::Verack => {
                let reason = "duplicate verack message".to_string();
                self.send_reject(peer, "verack", RejectReason::Duplicate, reason, now_ms);
                self.disconnect(peer, DisconnectReason::DuplicateVerack, now_ms);
            }
            NetworkMessage::SendAddrV2 => {
                self.disconnect(peer, DisconnectReason::SendAddrV2AfterHandshake, now_ms)
            }
            NetworkMessage::WtxidRelay if core => {
                self.disconnect(peer, DisconnectReason::WtxidRelayAfterHandshake, now_ms)
            }
            NetworkMessage::Ping(nonce)
                if self
                    .peers
                    .get(&peer)
                    .is_some_and(|p| p.negotiated_version() > BIP0031_VERSION) =>
            {
                self.send(peer, NetworkMessage::Pong(nonce), now_ms);
            }
            NetworkMessage::Pong(nonce) => {
                if let Some(p) = self.peers.get_mut(&peer) {
                    // btcd `handlePongMsg`: only the nonce of the last ping counts; anything
                    // else is ignored, never punished. Core: a matching nonce finishes the
                    // ping, a zero nonce cancels it, a mismatch leaves it outstanding.
                    if let Some((expected, _)) = p.ping_in_flight() {
                        if expected == nonce || self.config.has_bug(Bug::PingNonceUnchecked) {
                            p.finish_ping(now_ms);
                        } else if core && nonce == 0 {
                            p.cancel_ping();
                        }
                    }
                }
            }
            NetworkMessage::SendHeaders => {
                if let Some(p) = self.peers.get_mut(&peer) {
                    p.set_wants_headers_announcements();
                }
            }
            NetworkMessage::Headers(headers) if core => self.core_on_headers(peer, headers, now_ms),
            NetworkMessage::Headers(headers) => self.btcd_on_headers(peer, headers, now_ms),
            NetworkMessage::GetHeaders(request) => self.on_getheaders(peer, request, now_ms),
            NetworkMessage::Inv(inventory) if core && inventory.len() > INV_ENTRIES_MAX => {
                let count = inventory.len();
                let reason = DisconnectReason::TooManyInventory {
                    command: "inv",
                    count,
                };
                self.core_misbehaving(peer, reason, now_ms);
            }
            NetworkMessage::Inv(inventory) => self.on_inv(peer, &inventory, now_ms),
            NetworkMessage::FeeFilter(fee_rate) if !core => {
                self.btcd_on_fee_filter(peer, fee_rate, now_ms)
            }
            other if core => self.core_on_other_message(peer, other, now_ms),
            // Everything else (addr, reject, commands btcd does not know such as `wtxidrelay`...)
            // is ignored by a header-only node; receiving it already reset the idle timer.
            _ => {}
        }
    }

    /// A block announcement by `inv`; a header-only node answers with `getheaders` where a
    /// full node would fetch the block.
    ///
    /// Core (`ProcessMessage` INV): for the last block hash we do not know, a peer whose
    /// header sync started gets `getheaders` from our best header (rate-limited); a peer whose
    /// sync has not started gets one only for its first such `inv`, and only if the hash
    /// differs from the one that last did this, so each new block adds at most one syncing
    /// peer. btcd (`handleInvMsg`): while not current (best header older than `max_tip_age`)
    /// inventory is only recorded; once current, an unknown block gets `getheaders([best])`
    /// (header-only adaptation of btcd's `getdata`).
    fn on_inv(&mut self, peer: PeerId, inventory: &[wire::Inventory], now_ms: u64) {
        if self.config.profile == Profile::Core {
            // Core `UpdateBlockAvailability` for every block announced.
            for item in inventory {
                if let wire::Inventory::Block(hash) | wire::Inventory::WitnessBlock(hash) = item {
                    self.core_update_block_availability(peer, *hash);
                }
            }
        }
        let Some(unknown) = inventory
            .iter()
            .rev()
            .filter_map(|item| match item {
                wire::Inventory::Block(hash) | wire::Inventory::WitnessBlock(hash) => Some(*hash),
                _ => None,
            })
            .find(|hash| !self.chain.contains(hash))
        else {
            return;
        };
        match self.config.profile {
            Profile::Btcd => {
                if !self.core_best_header_is_old(now_ms) {
                    let locator = vec![self.chain.tip_hash()];
                    self.send_getheaders(peer, locator, now_ms);
                }
            }
            Profile::Core => {
                let Some(p) = self.peers.get(&peer) else {
                    return;
                };
                let (started, triggered) = (p.sync_started(), p.inv_triggered_getheaders());
                if !(started || (!triggered && self.last_inv_triggering_sync != Some(unknown))) {
                    return;
                }
                let locator = self.chain.locator();
                self.core_maybe_send_getheaders(peer, locator, now_ms);
                if !started {
                    if let Some(p) = self.peers.get_mut(&peer) {
                        p.mark_inv_triggered_getheaders();
                    }
                    self.last_inv_triggering_sync = Some(unknown);
                }
            }
        }
    }

    /// A peer's `getheaders`: a locator over the profile's limit disconnects (btcd 500, Core
    /// `MAX_LOCATOR_SZ` 101); btcd then ignores the request while not current (`OnGetHeaders`),
    /// Core answers with an empty `headers` while the best chain is below the minimum chain
    /// work for a peer without the Download permission; otherwise up to 2,000 best-chain
    /// headers after the locator's fork point.
    fn on_getheaders(&mut self, peer: PeerId, request: GetHeadersMessage, now_ms: u64) {
        let count = request.locator_hashes.len();
        let max = match self.config.profile {
            Profile::Btcd => wire::LOCATOR_HASHES_MAX,
            Profile::Core => CORE_LOCATOR_HASHES_MAX,
        };
        if count > max {
            self.disconnect(
                peer,
                DisconnectReason::TooManyLocatorHashes { count, max },
                now_ms,
            );
            return;
        }
        let reason = match self.config.profile {
            Profile::Btcd if self.core_best_header_is_old(now_ms) => {
                Some(DropReason::GetHeadersNotCurrent)
            }
            Profile::Core
                if self.chain.tip_chainwork() < self.config.minimum_chain_work
                    && !self.is_noban(peer) =>
            {
                Some(DropReason::GetHeadersTooLittleWork)
            }
            _ => None,
        };
        if let Some(reason) = reason {
            let empty = reason == DropReason::GetHeadersTooLittleWork;
            self.event(Event::Dropped { peer, reason });
            if empty {
                self.send(peer, NetworkMessage::Headers(Vec::new()), now_ms);
            }
            return;
        }
        let headers = self.chain.headers_after_locator(
            &request.locator_hashes,
            request.stop_hash,
            wire::HEADERS_PER_MESSAGE_MAX,
        );
        self.send(peer, NetworkMessage::Headers(headers), now_ms);
    }

    /// Adds a `headers` message to the chain in `order`'s way (Core: proof of work and
    /// continuity of the whole message first; btcd: header by header), persists and reports
    /// what changed. `received` is the size of the message that delivered them (a Core
    /// low-work sync may release more headers at once, buffered from earlier messages).
    /// `hashes[i]` is `headers[i].block_hash()`, computed once by the caller. Returns the
    /// import outcome (`None` for an empty message), its `update` already moved into the
    /// [`Output::Persist`].
    pub(super) fn import_headers(
        &mut self,
        peer: PeerId,
        headers: &[Header],
        hashes: &[BlockHash],
        received: usize,
        now_ms: u64,
        order: Profile,
    ) -> Option<header_chain::Import> {
        let now_s = now_ms / 1000;
        let mut import = (!headers.is_empty()).then(|| match order {
            Profile::Core => self.chain.accept_hashed_headers(headers, hashes, now_s),
            Profile::Btcd => self
                .chain
                .accept_hashed_headers_in_order(headers, hashes, now_s),
        });
        if let Some(update) = import.as_mut().and_then(|i| i.update.take()) {
            self.outputs.push_back(Output::Persist(update));
            let tip = Event::TipChanged {
                height: self.chain.tip_height(),
                hash: self.chain.tip_hash(),
                chainwork: self.chain.tip_chainwork(),
                reorg_depth: import.as_ref().map_or(0, |i| i.reorg_depth),
            };
            self.event(tip);
        }
        let accepted = import.as_ref().map_or(0, |i| i.accepted);
        self.event(Event::HeadersImported {
            peer,
            received,
            accepted,
            tip_height: self.chain.tip_height(),
        });
        import
    }

    /// Sends `getheaders(locator, hash_stop = 0)` and starts btcd's response deadline. Under
    /// btcd a request whose first locator hash and stop equal the previous one's is not sent
    /// again (`PushGetHeadersMsg`), which ends the loop a single-entry locator can cause when
    /// the peer does not know our best header.
    pub(super) fn send_getheaders(&mut self, peer: PeerId, locator: Vec<BlockHash>, now_ms: u64) {
        let btcd = self.config.profile == Profile::Btcd;
        if let Some(p) = self.peers.get_mut(&peer) {
            let key = (
                locator
                    .first()
                    .copied()
                    .unwrap_or_else(BlockHash::all_zeros),
                BlockHash::all_zeros(),
            );
            if btcd && p.repeats_last_getheaders(key) {
                return;
            }
            p.remember_getheaders(key);
            if !self.config.has_bug(Bug::StallDeadlineNeverSet) {
                p.record_getheaders_sent(now_ms);
            }
        }
        let request = GetHeadersMessage::new(locator, BlockHash::all_zeros());
        let request = GetHeadersMessage {
            version: PROTOCOL_VERSION,
            ..request
        };
        self.send(peer, NetworkMessage::GetHeaders(request), now_ms);
    }

    /// btcd writes `reject` where the negotiated version allows it; Core never sends one
    /// (D10).
    pub(super) fn send_reject(
        &mut self,
        peer: PeerId,
        command: &'static str,
        code: RejectReason,
        reason: String,
        now_ms: u64,
    ) {
        if self.config.profile == Profile::Core {
            return;
        }
        if self
            .peers
            .get(&peer)
            .is_some_and(|p| p.negotiated_version() >= REJECT_VERSION)
        {
            let reject = Reject {
                message: command.into(),
                ccode: code,
                reason: reason.into(),
                hash: bitcoin::hashes::sha256d::Hash::all_zeros(),
            };
            self.send(peer, NetworkMessage::Reject(reject), now_ms);
        }
    }
}
