//! Bitcoin Core's side of [`Node`] (`net.cpp`, `net_processing.cpp`, `headerssync.cpp`), in
//! one folder:
//!
//! - here: the connection rules: `CConnman::InactivityCheck`, `MaybeSendPing`, a banned
//!   inbound peer refused at accept, `Misbehaving` with `MaybeDiscourageAndDisconnect`
//!   (disconnect and discourage, except NoBan, manual and local peers);
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

    /// Core `Misbehaving` for a header or message fault, punished at once as Core's
    /// `MaybeDiscourageAndDisconnect` (`net_processing.cpp`) does after the message:
    ///
    /// 1. a NoBan peer is not punished ("Not punishing noban peer");
    /// 2. a manual peer ([`ConnectionType::Manual`](crate::protocol::ConnectionType::Manual)) is
    ///    neither disconnected nor discouraged ("Not punishing manually connected peer"): the
    ///    message is dropped and the peer kept;
    /// 3. a peer from a loopback address (`CNetAddr::IsLocal`, [`Peer::is_local`]) is
    ///    disconnected but not discouraged, which would hit every local peer;
    /// 4. any other peer, inbound or automatic, is disconnected and its address discouraged
    ///    (in memory only).
    ///
    /// The faults that reach here are Core's `Misbehaving` calls: more than 2000 headers
    /// (`ProcessMessage` HEADERS), more than 50,000 `inv` or `getdata` entries, more than 1,000
    /// `addr` or `addrv2` entries (`ProcessAddrs`), a header with invalid proof of work or a
    /// non-continuous
    /// sequence (`CheckHeadersPoW`), and an invalid header (`MaybePunishNodeForBlock` for
    /// `BLOCK_INVALID_HEADER`, `BLOCK_INVALID_PREV`, `BLOCK_MISSING_PREV`). Faults Core answers
    /// with `fDisconnect` instead (too many locator hashes, a late `sendaddrv2` or
    /// `wtxidrelay`, the timeouts) disconnect every peer alike, manual ones included.
    ///
    /// [`Peer::is_local`]: crate::protocol::peer::Peer::is_local
    pub(in crate::protocol) fn core_misbehaving(
        &mut self,
        peer: PeerId,
        reason: DisconnectReason,
        now_ms: u64,
    ) {
        let Some(p) = self.peers.get(&peer) else {
            return;
        };
        let (manual, local, host) = (
            p.connection_type().is_manual(),
            p.is_local(),
            p.host().to_string(),
        );
        let reason = if self.is_noban(peer) {
            DropReason::NoBanNotPunished(reason)
        } else if manual {
            DropReason::ManualNotPunished(reason)
        } else {
            if !local {
                self.event(Event::Discouraged {
                    peer,
                    addr: host.clone(),
                });
                self.discouraged.insert(host);
            }
            self.disconnect(peer, reason, now_ms);
            return;
        };
        self.event(Event::Dropped { peer, reason });
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
