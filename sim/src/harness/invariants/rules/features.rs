//! [`FEATURES_BY_VERSION`](super::FEATURES_BY_VERSION): which feature messages the node sends
//! before its `verack`, by the connection's common protocol version.
//!
//! btcd (`peer.go`, `writeSendAddrV2Msg` in both negotiations): `sendaddrv2` when the
//! negotiated version is at least `AddrV2Version` (70016); btcd has no `wtxidrelay`. Core
//! (`net_processing.cpp`, `ProcessMessage` VERSION, before its `verack`): `wtxidrelay` when
//! `greatest_common_version >= WTXID_RELAY_VERSION` (70016) and `sendaddrv2` when it is at least
//! 70016. The common version is the lower of the node's 70016 and the peer's.

use std::collections::BTreeMap;

use node::protocol::events::MessageSummary;
use node::{Event, PeerId};

/// The protocol version from which both `wtxidrelay` (Core `WTXID_RELAY_VERSION`) and
/// `sendaddrv2` (btcd `AddrV2Version`; Core's literal 70016) are sent; also the node's own.
const FEATURES_VERSION: u32 = 70_016;

/// One connection, until the node's `verack` on it is judged.
#[derive(Debug, Clone, Default)]
struct Conn {
    /// The version of the peer's first `version`.
    peer_version: Option<u32>,
    /// The feature messages sent so far, in order.
    sent: Vec<&'static str>,
}

/// The rule's state over one node run.
#[derive(Debug, Clone, Default)]
pub(super) struct Features {
    /// Connections whose `verack` is not yet sent.
    conns: BTreeMap<u64, Conn>,
}

impl Features {
    /// The feature messages the node must send before its `verack` to a peer of
    /// `peer_version`, in order.
    fn expected(core: bool, peer_version: u32) -> Vec<&'static str> {
        let common = peer_version.min(FEATURES_VERSION);
        let mut out = Vec::new();
        if core && common >= FEATURES_VERSION {
            out.push("wtxidrelay");
        }
        if common >= FEATURES_VERSION {
            out.push("sendaddrv2");
        }
        out
    }

    /// Follows one node event; `core` is the profile. The peer and why, when the node's
    /// `verack` follows other feature messages than its profile sends at that version.
    pub(super) fn event(&mut self, core: bool, event: &Event) -> Option<(PeerId, String)> {
        match event {
            Event::Started { .. } => self.conns.clear(),
            Event::Connected { peer, .. } => {
                self.conns.insert(peer.0, Conn::default());
            }
            Event::Received {
                peer,
                message: MessageSummary::Version { version, .. },
            } => {
                if let Some(conn) = self.conns.get_mut(&peer.0) {
                    conn.peer_version.get_or_insert(*version);
                }
            }
            Event::Sent { peer, message } => {
                let command = message.command();
                let feature = ["wtxidrelay", "sendaddrv2"]
                    .into_iter()
                    .find(|f| *f == command);
                if let (Some(feature), Some(conn)) = (feature, self.conns.get_mut(&peer.0)) {
                    conn.sent.push(feature);
                } else if command == "verack" {
                    let conn = self.conns.remove(&peer.0)?;
                    let peer_version = conn.peer_version?;
                    let expected = Features::expected(core, peer_version);
                    if conn.sent != expected {
                        return Some((
                            *peer,
                            format!(
                                "sent {:?} before its verack to a peer of version {peer_version}, where {} sends {:?}",
                                conn.sent,
                                if core { "Core" } else { "btcd" },
                                expected
                            ),
                        ));
                    }
                }
            }
            Event::Disconnected { peer, .. } | Event::PeerClosed { peer, .. } => {
                self.conns.remove(&peer.0);
            }
            _ => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use node::wire::CommandString;

    fn sent(peer: u64, command: &'static str) -> Event {
        Event::Sent {
            peer: PeerId(peer),
            message: MessageSummary::Other {
                command: CommandString::try_from_static(command).expect("a command"),
                payload_digest: 0,
            },
        }
    }

    fn version(peer: u64, version: u32) -> Event {
        Event::Received {
            peer: PeerId(peer),
            message: MessageSummary::Version {
                version,
                services: 9,
                start_height: 0,
                nonce: 1,
                user_agent: String::new(),
            },
        }
    }

    fn connected(peer: u64) -> Event {
        Event::Connected {
            peer: PeerId(peer),
            addr: "p:1".into(),
            direction: node::protocol::Direction::Inbound,
            connection: node::protocol::ConnectionType::Inbound,
        }
    }

    /// Runs a handshake with a peer of `peer_version` in which the node sends `features`, and
    /// returns whether the rule objects.
    fn breaks(core: bool, peer_version: u32, features: &[&'static str]) -> bool {
        let mut rule = Features::default();
        assert!(rule.event(core, &connected(1)).is_none());
        assert!(rule.event(core, &version(1, peer_version)).is_none());
        for feature in features {
            assert!(rule.event(core, &sent(1, feature)).is_none());
        }
        rule.event(core, &sent(1, "verack")).is_some()
    }

    #[test]
    fn features_follow_the_common_version_in_each_profile() {
        assert!(!breaks(true, 70_016, &["wtxidrelay", "sendaddrv2"]));
        assert!(!breaks(true, 70_099, &["wtxidrelay", "sendaddrv2"]));
        assert!(!breaks(true, 70_015, &[]));
        assert!(!breaks(false, 70_016, &["sendaddrv2"]));
        assert!(!breaks(false, 70_015, &[]));
        // Missing, extra, or in another order.
        assert!(breaks(true, 70_016, &["sendaddrv2"]));
        assert!(breaks(true, 70_016, &["sendaddrv2", "wtxidrelay"]));
        assert!(breaks(true, 70_015, &["sendaddrv2"]));
        assert!(breaks(false, 70_016, &[]));
        assert!(breaks(false, 70_016, &["wtxidrelay", "sendaddrv2"]));
        assert!(breaks(false, 60_000, &["sendaddrv2"]));
    }
}
