//! The version/verack handshake steps both profiles share, with their differences inline:
//! our `version`, the checks of theirs (self-connection, user agent, services, minimum
//! version) and what finishing the handshake starts.

use super::disconnect::DisconnectReason;
use super::events::{DropReason, Event};
use super::ids::PeerId;
use super::node::Node;
use super::peer::{Direction, Peer, RemoteVersion};
use crate::config::{
    Profile, ACCEPTABLE_PROTOCOL_VERSION_MIN, ADDRV2_VERSION, PEER_PROTO_VERSION_MIN,
    PROTOCOL_VERSION, REJECT_VERSION, SENT_NONCES_MAX, USER_AGENT_BYTES_MAX, WTXID_RELAY_VERSION,
};
use crate::wire::{Address, NetworkMessage, RejectReason, ServiceFlags, VersionMessage};
use rand_chacha::rand_core::RngCore;

impl Node {
    pub(super) fn on_version(&mut self, peer: PeerId, version: VersionMessage, now_ms: u64) {
        let core = self.config.profile == Profile::Core;
        let Some(direction) = self.peers.get(&peer).map(Peer::direction) else {
            return;
        };
        let self_connection = if core {
            // Core `CheckIncomingNonce`: inbound only, against outbound connections that have
            // not finished their handshake.
            direction == Direction::Inbound
                && self.peers.values().any(|p| {
                    p.is_outbound() && !p.is_ready() && p.local_nonce() == Some(version.nonce)
                })
        } else {
            self.sent_nonces.contains(&version.nonce)
        };
        if self_connection {
            self.disconnect(
                peer,
                DisconnectReason::SelfConnection {
                    nonce: version.nonce,
                },
                now_ms,
            );
            return;
        }
        if version.user_agent.len() > USER_AGENT_BYTES_MAX {
            let length_bytes = version.user_agent.len();
            if core {
                // Core reads the user agent as `LIMITED_STRING(256)`: a longer one throws, and
                // the whole message is dropped.
                let reason = DropReason::UserAgentTooLong { length_bytes };
                self.event(Event::Dropped { peer, reason });
            } else {
                self.disconnect(
                    peer,
                    DisconnectReason::UserAgentTooLong { length_bytes },
                    now_ms,
                );
            }
            return;
        }
        let Some(p) = self.peers.get_mut(&peer) else {
            return;
        };
        let negotiated = PROTOCOL_VERSION.min(version.version);
        p.accept_version(
            negotiated,
            RemoteVersion {
                version: version.version,
                services: version.services,
                start_height: version.start_height,
                user_agent: version.user_agent.clone(),
            },
        );
        // btcd checks every outbound peer, permanent ones included (`server.go` `OnVersion`:
        // `!isInbound && !hasServices`); Core only the connection types that must serve us
        // (`ProcessMessage` VERSION: `pfrom.ExpectServicesFromConn() &&
        // !HasAllDesirableServiceFlags(nServices)`), so manual peers are exempt.
        let checked = match self.config.profile {
            Profile::Btcd => matches!(direction, Direction::Outbound(_)),
            Profile::Core => self
                .peers
                .get(&peer)
                .is_some_and(|p| p.connection_type().expects_services()),
        };
        if checked {
            if let Some(expected) = self.missing_services(version.services, now_ms) {
                if !core && negotiated >= REJECT_VERSION {
                    let reason = format!(
                        "required services {:#x} not offered",
                        ServiceFlags::NETWORK.to_u64()
                    );
                    self.send_reject(peer, "version", RejectReason::NonStandard, reason, now_ms);
                }
                let services = version.services.to_u64();
                self.disconnect(
                    peer,
                    DisconnectReason::MissingServices { services, expected },
                    now_ms,
                );
                return;
            }
        }
        let min = if core {
            PEER_PROTO_VERSION_MIN
        } else {
            ACCEPTABLE_PROTOCOL_VERSION_MIN
        };
        if version.version < min {
            // btcd builds a reject here but cannot encode it below `RejectVersion`; Core sends
            // none.
            self.disconnect(
                peer,
                DisconnectReason::ObsoleteVersion {
                    version: version.version,
                    min,
                },
                now_ms,
            );
            return;
        }
        if direction == Direction::Inbound {
            let ours = self.our_version(peer, now_ms);
            self.send(peer, NetworkMessage::Version(ours), now_ms);
        }
        if core && negotiated >= WTXID_RELAY_VERSION {
            self.send(peer, NetworkMessage::WtxidRelay, now_ms);
        }
        if negotiated >= ADDRV2_VERSION {
            self.send(peer, NetworkMessage::SendAddrV2, now_ms);
        }
        self.send(peer, NetworkMessage::Verack, now_ms);
        if let Some(p) = self.peers.get_mut(&peer) {
            p.await_verack();
        }
    }

    /// The service bits a checked outbound peer's `services` lack, as the profile's full expected
    /// mask, or `None` if it offers enough. btcd needs `NODE_NETWORK` (`server.go OnVersion`).
    /// Core needs `NODE_NETWORK|NODE_WITNESS`, or `NODE_NETWORK_LIMITED|NODE_WITNESS` from a
    /// peer that sets `NODE_NETWORK_LIMITED` while our best header is less than `max_tip_age`
    /// old (`GetDesirableServiceFlags`, `HasAllDesirableServiceFlags` in `net_processing.cpp`).
    fn missing_services(&self, services: ServiceFlags, now_ms: u64) -> Option<u64> {
        match self.config.profile {
            Profile::Btcd => {
                (!services.has(ServiceFlags::NETWORK)).then(|| ServiceFlags::NETWORK.to_u64())
            }
            Profile::Core => {
                let limited_ok = services.has(ServiceFlags::NETWORK_LIMITED)
                    && !self.core_best_header_is_old(now_ms);
                let expected = if limited_ok {
                    ServiceFlags::NETWORK_LIMITED | ServiceFlags::WITNESS
                } else {
                    ServiceFlags::NETWORK | ServiceFlags::WITNESS
                };
                (!services.has(expected)).then(|| expected.to_u64())
            }
        }
    }

    pub(super) fn on_verack(&mut self, peer: PeerId, now_ms: u64) {
        let timing = self.config.timing.clone();
        let profile = self.config.profile;
        let Some(p) = self.peers.get_mut(&peer) else {
            return;
        };
        p.set_ready(now_ms, &timing, profile);
        let remote = p.remote().cloned().unwrap_or(RemoteVersion {
            version: 0,
            services: ServiceFlags::NONE,
            start_height: 0,
            user_agent: String::new(),
        });
        let version = p.negotiated_version();
        self.event(Event::HandshakeDone {
            peer,
            version,
            services: remote.services.to_u64(),
            start_height: remote.start_height,
            user_agent: remote.user_agent,
        });
        if self.btcd_refuses_banned(peer, now_ms) {
            return;
        }
        if profile == Profile::Core {
            // Core's first `SendMessages` pass after `fSuccessfullyConnected`: the ping, then
            // the initial `getheaders`. A new preferred peer may also let an overdue
            // headers-sync timeout fire.
            self.core_send_ping(peer, now_ms);
            let ids: Vec<PeerId> = self.peers.keys().copied().collect();
            for id in ids {
                self.core_check_headers_sync_timeout(id, now_ms);
            }
        }
        self.start_sync(now_ms);
    }

    pub(super) fn our_version(&mut self, peer: PeerId, now_ms: u64) -> VersionMessage {
        // btcd sends `uint64(rand.Int63())`: the top bit is always clear.
        let nonce = self.rng.next_u64() >> 1;
        if self.sent_nonces.len() == SENT_NONCES_MAX {
            self.sent_nonces.pop_front();
        }
        self.sent_nonces.push_back(nonce);
        if let Some(p) = self.peers.get_mut(&peer) {
            p.set_local_nonce(nonce);
        }
        let receiver = self
            .peers
            .get(&peer)
            .and_then(|p| p.addr().parse::<std::net::SocketAddr>().ok())
            .unwrap_or_else(|| std::net::SocketAddr::from(([0, 0, 0, 0], 0)));
        let services = ServiceFlags::from(self.config.services);
        let unspecified = std::net::SocketAddr::from(([0, 0, 0, 0], 0));
        let timestamp = i64::try_from(now_ms / 1000).unwrap_or(i64::MAX);
        let start_height = i32::try_from(self.chain.tip_height()).unwrap_or(i32::MAX);
        let mut version = VersionMessage::new(
            services,
            timestamp,
            Address::new(&receiver, ServiceFlags::NONE),
            Address::new(&unspecified, services),
            nonce,
            self.config.user_agent.clone(),
            start_height,
        );
        version.version = PROTOCOL_VERSION;
        version.relay = false;
        version
    }
}
