//! [`OUTBOUND_SERVICES_REQUIRED`](super::OUTBOUND_SERVICES_REQUIRED): which outbound peers must
//! offer which services in their `version`, as each profile states it.
//!
//! - btcd (`server.go` `OnVersion`): every outbound connection, permanent ones included, whose
//!   peer's version is one btcd reads on (`MinAcceptableProtocolVersion`, 209; below it
//!   `OnVersion` returns before the check), needs `NODE_NETWORK`. Without it btcd writes a
//!   `reject` (which its wire can only encode from `RejectVersion`, 70002) and closes.
//! - Core (`ProcessMessage` VERSION, `ExpectServicesFromConn`, `HasAllDesirableServiceFlags`):
//!   an automatic full-relay or block-relay connection (not a manual, feeler or inbound one)
//!   needs `NODE_WITNESS` and one of `NODE_NETWORK` or `NODE_NETWORK_LIMITED` (the latter only
//!   while the best header is recent, which the rule leaves to the node: a peer offering
//!   `NODE_NETWORK_LIMITED|NODE_WITNESS` without `NODE_NETWORK` is not judged). Without them
//!   Core closes, sending nothing more.

use node::protocol::ConnectionType;

/// `NODE_NETWORK` (`protocol.h`, btcd `SFNodeNetwork`).
const NODE_NETWORK: u64 = 1;
/// `NODE_WITNESS` (BIP 144).
const NODE_WITNESS: u64 = 1 << 3;
/// `NODE_NETWORK_LIMITED` (BIP 159).
const NODE_NETWORK_LIMITED: u64 = 1 << 10;
/// btcd's `MinAcceptableProtocolVersion` (`peer/peer.go`: `wire.MultipleAddressVersion`).
const BTCD_VERSION_MIN: u32 = 209;

/// Whether the profile (`core` or btcd) checks the services of a connection: btcd every
/// `outbound` one, Core an automatic full-relay one.
pub(super) fn checked(core: bool, outbound: bool, connection: ConnectionType) -> bool {
    if core {
        connection == ConnectionType::OutboundFullRelay
    } else {
        outbound
    }
}

/// For a checked connection whose peer sent a first `version` of protocol `version` with
/// `services`: `Some(true)` when the peer lacks what the profile requires (the connection must
/// end), `Some(false)` when it offers it (the node must not end it for its services), `None`
/// when the rule does not judge.
pub(super) fn lacks_required(core: bool, version: u32, services: u64) -> Option<bool> {
    let has = |bits: u64| services & bits == bits;
    if core {
        if !has(NODE_WITNESS) || !(has(NODE_NETWORK) || has(NODE_NETWORK_LIMITED)) {
            Some(true)
        } else if has(NODE_NETWORK) {
            Some(false)
        } else {
            None
        }
    } else if version < BTCD_VERSION_MIN {
        None
    } else {
        Some(!has(NODE_NETWORK))
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::breaches;
    use super::super::OUTBOUND_SERVICES_REQUIRED;
    use super::*;
    use bitcoin::p2p::message::CommandString;
    use node::protocol::events::MessageSummary;
    use node::protocol::peer::Direction;
    use node::protocol::TargetId;
    use node::{DisconnectReason, Event, PeerId, Profile};

    #[test]
    fn each_profile_requires_its_own_services() {
        // btcd: NODE_NETWORK alone suffices, from protocol 209.
        assert_eq!(lacks_required(false, 70_016, 0), Some(true));
        assert_eq!(lacks_required(false, 70_016, NODE_NETWORK), Some(false));
        assert_eq!(lacks_required(false, 209, NODE_WITNESS), Some(true));
        assert_eq!(lacks_required(false, 208, 0), None);
        // Core: NODE_WITNESS and NODE_NETWORK; NETWORK_LIMITED alone depends on the tip.
        assert_eq!(lacks_required(true, 70_016, NODE_NETWORK), Some(true));
        assert_eq!(
            lacks_required(true, 70_016, NODE_NETWORK | NODE_WITNESS),
            Some(false)
        );
        assert_eq!(
            lacks_required(true, 70_016, NODE_NETWORK_LIMITED | NODE_WITNESS),
            None
        );
        assert_eq!(lacks_required(true, 70_016, NODE_WITNESS), Some(true));
        // Which connections are checked.
        assert!(checked(false, true, ConnectionType::Manual));
        assert!(!checked(true, true, ConnectionType::Manual));
        assert!(checked(true, true, ConnectionType::OutboundFullRelay));
        assert!(!checked(false, false, ConnectionType::Inbound));
    }

    /// An outbound connection of `connection`'s type to a peer whose version offers
    /// `services`, then the node's `answer` (the events it sends and how it ends).
    fn outbound(connection: ConnectionType, services: u64, answer: Vec<Event>) -> Vec<Event> {
        let version = MessageSummary::Version {
            version: 70_016,
            services,
            start_height: 0,
            nonce: 7,
            user_agent: String::new(),
        };
        let mut events = vec![
            Event::Connected {
                peer: P,
                addr: "p:8333".into(),
                direction: Direction::Outbound(TargetId(0)),
                connection,
            },
            Event::Sent {
                peer: P,
                message: MessageSummary::Version {
                    version: 70_016,
                    services: 0,
                    start_height: 0,
                    nonce: 9,
                    user_agent: String::new(),
                },
            },
            Event::Received {
                peer: P,
                message: version,
            },
        ];
        events.extend(answer);
        events
    }

    const P: PeerId = PeerId(1);

    fn sent(command: &'static str) -> Event {
        Event::Sent {
            peer: P,
            message: MessageSummary::Other {
                command: CommandString::try_from_static(command).expect("a command"),
                payload_digest: 0,
            },
        }
    }

    fn missing(services: u64) -> Event {
        Event::Disconnected {
            peer: P,
            reason: DisconnectReason::MissingServices {
                services,
                expected: 1,
            },
        }
    }

    #[test]
    fn outbound_peers_without_the_required_services_are_closed_and_only_they() {
        let full = ConnectionType::OutboundFullRelay;
        let manual = ConnectionType::Manual;
        let name = OUTBOUND_SERVICES_REQUIRED;
        // btcd: a reject, then the close; a verack instead breaks the rule, so does no reject.
        assert!(breaches(
            Profile::Btcd,
            &outbound(manual, 8, vec![sent("reject"), missing(8)])
        )
        .is_empty());
        assert_eq!(
            breaches(Profile::Btcd, &outbound(manual, 8, vec![sent("verack")])),
            vec![name]
        );
        assert_eq!(
            breaches(Profile::Btcd, &outbound(full, 0, vec![missing(0)])),
            vec![name]
        );
        // btcd does not refuse NODE_NETWORK alone.
        assert_eq!(
            breaches(Profile::Btcd, &outbound(full, 1, vec![missing(1)])),
            vec![name]
        );
        // Core: NODE_NETWORK without NODE_WITNESS from an automatic peer is closed, no reject.
        assert!(breaches(Profile::Core, &outbound(full, 1, vec![missing(1)])).is_empty());
        assert_eq!(
            breaches(Profile::Core, &outbound(full, 1, vec![sent("verack")])),
            vec![name]
        );
        // A manual peer is not checked under Core, so closing it for its services is wrong.
        assert!(breaches(Profile::Core, &outbound(manual, 1, vec![sent("verack")])).is_empty());
        assert_eq!(
            breaches(Profile::Core, &outbound(manual, 1, vec![missing(1)])),
            vec![name]
        );
        // NODE_NETWORK_LIMITED|NODE_WITNESS depends on the tip's age: either way is fine.
        assert!(breaches(Profile::Core, &outbound(full, 0x408, vec![missing(0x408)])).is_empty());
        assert!(breaches(Profile::Core, &outbound(full, 0x408, vec![sent("verack")])).is_empty());
    }
}
