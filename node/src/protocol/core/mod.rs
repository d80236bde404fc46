//! Bitcoin Core's side of [`Node`] (`net.cpp`, `net_processing.cpp`, `headerssync.cpp`), in
//! one folder:
//!
//! - here: the connection rules: `CConnman::InactivityCheck`, `MaybeSendPing`, a banned
//!   inbound peer refused at accept, `Misbehaving` (disconnect and discourage);
//! - [`sync`]: the sync-peer choice ("Start block sync"), the `getheaders` rate limit, the
//!   headers-sync timeout and initial block download;
//! - [`headers`]: `ProcessHeadersMessage` and the low-work headers sync
//!   (`TryLowWorkHeadersSync`, `IsContinuationOfLowWorkHeadersSync`);
//! - [`other_messages`]: the messages a header-only node does not use but Core disconnects
//!   for (oversized `getdata` and `addr`, bloom and compact-filter requests);
//! - [`eviction`]: each peer's best known header and the outbound chain-sync eviction
//!   (`ConsiderEviction`, `UpdatePeerStateForReceivedHeaders`).

mod eviction;
mod headers;
mod other_messages;
mod sync;

use rand_chacha::rand_core::RngCore;

use super::disconnect::DisconnectReason;
use super::events::{DropReason, Event};
use super::ids::PeerId;
use super::node::Node;
use super::time::ms;
use crate::config::Profile;
use crate::wire::NetworkMessage;

impl Node {
    /// Core `CreateNodeFromAcceptedSocket`: drops an inbound connection from a banned host
    /// unless it has NoBan. Returns whether it did.
    pub(super) fn core_refuses_banned(&mut self, peer: PeerId, now_ms: u64) -> bool {
        let Some(p) = self.peers.get(&peer) else {
            return false;
        };
        let host = p.host().to_string();
        if self.config.profile != Profile::Core
            || self.is_noban(peer)
            || self.ban_remaining_ms(&host, now_ms).is_none()
        {
            return false;
        }
        self.disconnect(peer, DisconnectReason::InboundBanned { host }, now_ms);
        true
    }

    /// Core `Misbehaving` for a header or message fault: disconnect and discourage the address
    /// (in memory only). Core exempts manual and NoBan peers; here every peer is treated as an
    /// automatic one, as the catalog's scenarios expect.
    pub(in crate::protocol) fn core_misbehaving(
        &mut self,
        peer: PeerId,
        reason: DisconnectReason,
        now_ms: u64,
    ) {
        if self.is_noban(peer) {
            // Core `MaybeDiscourageAndDisconnect`: "not punishing noban peer".
            self.event(Event::Dropped {
                peer,
                reason: DropReason::NoBanNotPunished(reason),
            });
            return;
        }
        if let Some(p) = self.peers.get(&peer) {
            let addr = p.host().to_string();
            self.event(Event::Discouraged {
                peer,
                addr: addr.clone(),
            });
            self.discouraged.insert(addr);
        }
        self.disconnect(peer, reason, now_ms);
    }

    /// Core's per-peer checks, each with a strict `>`: `CConnman::InactivityCheck` (`net.cpp`),
    /// `MaybeSendPing`, and the headers-sync timeout of `SendMessages` (`net_processing.cpp`).
    pub(super) fn core_tick(&mut self, now_ms: u64) {
        let timing = self.config.timing.clone();
        let handshake_ms = ms(timing.handshake_timeout);
        let idle_ms = ms(timing.idle_timeout);
        let ids: Vec<PeerId> = self.peers.keys().copied().collect();
        for id in ids {
            let Some(p) = self.peers.get(&id) else {
                continue;
            };
            // InactivityCheck starts once the connection is older than the peer timeout.
            if now_ms > p.connected_at_ms().saturating_add(handshake_ms) {
                let reason = if !p.received_any() || p.last_send_ms().is_none() {
                    Some(DisconnectReason::NoMessageAtStart {
                        timeout_ms: handshake_ms,
                        never_received: !p.received_any(),
                        never_sent: p.last_send_ms().is_none(),
                    })
                } else if p
                    .last_send_ms()
                    .is_some_and(|t| now_ms > t.saturating_add(idle_ms))
                {
                    Some(DisconnectReason::SendTimeout {
                        timeout_ms: idle_ms,
                    })
                } else if now_ms > p.last_recv_ms().saturating_add(idle_ms) {
                    Some(DisconnectReason::ReceiveTimeout {
                        timeout_ms: idle_ms,
                    })
                } else if !p.is_ready() {
                    Some(DisconnectReason::HandshakeTimeout {
                        timeout_ms: handshake_ms,
                    })
                } else {
                    None
                };
                if let Some(reason) = reason {
                    self.disconnect(id, reason, now_ms);
                    continue;
                }
            }
            if !p.is_ready() {
                continue;
            }
            if let Some((_, sent_ms)) = p.ping_in_flight() {
                if now_ms > sent_ms.saturating_add(ms(timing.ping_timeout)) {
                    self.disconnect(
                        id,
                        DisconnectReason::PingTimeout {
                            waited_ms: now_ms - sent_ms,
                        },
                        now_ms,
                    );
                    continue;
                }
            } else if p
                .ping_start_ms()
                .is_none_or(|start| now_ms > start.saturating_add(ms(timing.ping_interval)))
            {
                self.core_send_ping(id, now_ms);
            }
            self.core_check_headers_sync_timeout(id, now_ms);
        }
        self.start_sync(now_ms);
    }

    /// Core `MaybeSendPing`: a fresh non-zero nonce, expected back only above BIP 31.
    pub(super) fn core_send_ping(&mut self, peer: PeerId, now_ms: u64) {
        let nonce = self.rng.next_u64().max(1);
        let Some(p) = self.peers.get_mut(&peer) else {
            return;
        };
        p.start_ping(nonce, now_ms);
        self.send(peer, NetworkMessage::Ping(nonce), now_ms);
    }
}
