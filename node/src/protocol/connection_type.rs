//! What a connection is for: Bitcoin Core's `ConnectionType` (`src/node/connection_types.h`),
//! the three kinds this node makes or accepts, with the predicates Core's `CNode` derives from
//! it (`src/net.h`).
//!
//! | where it comes from | type |
//! |---|---|
//! | a peer dialled us ([`crate::Config::listen`]) | [`ConnectionType::Inbound`] |
//! | a [`crate::Config::connect`] target (Core `-connect`/`-addnode`, btcd `--connect`/`--addpeer`: a permanent request) | [`ConnectionType::Manual`] |
//! | an automatic connection over [`crate::Config::addresses`], or a [`crate::Config::automatic`] address (Core's regtest `addconnection ADDR outbound-full-relay`) | [`ConnectionType::OutboundFullRelay`] |
//!
//! Only the Core profile reads the type beyond inbound/outbound (see `docs/node.md`, "Connection
//! types"); btcd treats every outbound peer alike.

use std::fmt;

/// Why a connection exists, with Core's names (`ConnectionType` in
/// `src/node/connection_types.h`). Core's `FEELER`, `BLOCK_RELAY`, `ADDR_FETCH` and
/// `PRIVATE_BROADCAST` connections are not made by this node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ConnectionType {
    /// The peer connected to us (Core `INBOUND`).
    Inbound,
    /// An automatic outbound connection (Core `OUTBOUND_FULL_RELAY`: "the default connections
    /// that we use to connect with the network").
    OutboundFullRelay,
    /// An outbound connection the user asked for (Core `MANUAL`: `-connect`, `-addnode`, the
    /// `addnode` RPC; "even if a manual connection is misbehaving, we do not automatically
    /// disconnect or add it to our discouragement filter").
    Manual,
}

impl ConnectionType {
    /// Every type, in a fixed order.
    pub const ALL: [ConnectionType; 3] = [
        ConnectionType::Inbound,
        ConnectionType::OutboundFullRelay,
        ConnectionType::Manual,
    ];

    /// The `connection_type` string of Core's `getpeerinfo` (`ConnectionTypeAsString`,
    /// `src/node/connection_types.cpp`): `inbound`, `outbound-full-relay` or `manual`.
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionType::Inbound => "inbound",
            ConnectionType::OutboundFullRelay => "outbound-full-relay",
            ConnectionType::Manual => "manual",
        }
    }

    /// The peer connected to us (Core `CNode::IsInboundConn`).
    pub fn is_inbound(self) -> bool {
        self == ConnectionType::Inbound
    }

    /// A connection the user asked for (Core `CNode::IsManualConn`).
    pub fn is_manual(self) -> bool {
        self == ConnectionType::Manual
    }

    /// An automatic full-relay outbound connection (Core `CNode::IsFullOutboundConn`): the
    /// only kind `UpdatePeerStateForReceivedHeaders` protects from the chain-sync eviction.
    pub fn is_full_outbound(self) -> bool {
        self == ConnectionType::OutboundFullRelay
    }

    /// An automatic outbound connection that must serve a useful chain (Core
    /// `CNode::IsOutboundOrBlockRelayConn`: `OUTBOUND_FULL_RELAY` or `BLOCK_RELAY`; neither
    /// inbound nor manual): subject to `ConsiderEviction` and to the initial-sync
    /// insufficient-work disconnect of `UpdatePeerStateForReceivedHeaders`.
    pub fn is_outbound_or_block_relay(self) -> bool {
        self == ConnectionType::OutboundFullRelay
    }

    /// Whether Core requires the desirable services of this peer's `version` (Core
    /// `CNode::ExpectServicesFromConn`: false for inbound, manual and feeler connections).
    pub fn expects_services(self) -> bool {
        self == ConnectionType::OutboundFullRelay
    }
}

impl fmt::Display for ConnectionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ConnectionType {
    type Err = String;

    /// Parses Core's `getpeerinfo` spelling ([`ConnectionType::as_str`]).
    fn from_str(s: &str) -> Result<ConnectionType, String> {
        ConnectionType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| {
                format!("unknown connection type `{s}` (expected inbound, outbound-full-relay or manual)")
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_cores_getpeerinfo_strings_and_parse_back() {
        let names: Vec<&str> = ConnectionType::ALL.iter().map(|t| t.as_str()).collect();
        assert_eq!(names, ["inbound", "outbound-full-relay", "manual"]);
        for t in ConnectionType::ALL {
            assert_eq!(t.as_str().parse::<ConnectionType>(), Ok(t));
        }
        assert!("feeler".parse::<ConnectionType>().is_err());
    }

    #[test]
    fn only_automatic_outbound_connections_carry_cores_outbound_duties() {
        let duties = |t: ConnectionType| {
            (
                t.expects_services(),
                t.is_outbound_or_block_relay(),
                t.is_full_outbound(),
            )
        };
        assert_eq!(
            duties(ConnectionType::OutboundFullRelay),
            (true, true, true)
        );
        assert_eq!(duties(ConnectionType::Manual), (false, false, false));
        assert_eq!(duties(ConnectionType::Inbound), (false, false, false));
    }
}
