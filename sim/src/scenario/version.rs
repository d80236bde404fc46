//! Every field of a fake peer's `version` ([`VersionFields`]): for all the `version` messages
//! of a peer (`peers[].version_fields`) or for one a script sends (`send.version_with`), and
//! the nonces a script takes from the node ([`VersionNonce`], [`PongNonce`]).
//!
//! ```json
//! "version_fields": {"user_agent": "/Satoshi:0.21.0/", "relay": true, "timestamp": {"offset_s": -3600}}
//! {"send": {"version_with": {"nonce": {"node_version_of": "a"}, "start_height": 7}}}
//! {"send": {"pong_echo": "minus_one"}}
//! ```

use serde::{Deserialize, Serialize};

/// Fields of a `version` message, each replacing what the peer would send otherwise (its
/// `version`, `services` and `start_height` settings, the simulated clock, a random nonce, its
/// profile's user agent, unspecified addresses, `relay` false). Named as rust-bitcoin's
/// `VersionMessage` fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionFields {
    /// Protocol version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
    /// Service bits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub services: Option<u64>,
    /// The timestamp: absolute, or relative to the simulated now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<VersionTimestamp>,
    /// Service bits of the receiver's address (default none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receiver_services: Option<u64>,
    /// The receiver's address, `ip:port` (default `0.0.0.0:0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receiver_addr: Option<String>,
    /// Service bits of the sender's address (default: the message's `services`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_services: Option<u64>,
    /// The sender's address, `ip:port` (default `0.0.0.0:0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_addr: Option<String>,
    /// The nonce (default: random from the connection's seeded rng).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<VersionNonce>,
    /// The user agent (any length: 257 bytes and more test the limits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// The advertised height.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_height: Option<i32>,
    /// Whether the peer wants transactions relayed (BIP 37 `fRelay`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relay: Option<bool>,
}

impl VersionFields {
    /// True when no field is given.
    pub fn is_empty(&self) -> bool {
        *self == VersionFields::default()
    }

    /// These fields, each replaced by `over`'s where `over` gives one.
    pub fn overlaid(&self, over: &VersionFields) -> VersionFields {
        fn pick<T: Clone>(base: &Option<T>, over: &Option<T>) -> Option<T> {
            over.clone().or_else(|| base.clone())
        }
        VersionFields {
            version: pick(&self.version, &over.version),
            services: pick(&self.services, &over.services),
            timestamp: pick(&self.timestamp, &over.timestamp),
            receiver_services: pick(&self.receiver_services, &over.receiver_services),
            receiver_addr: pick(&self.receiver_addr, &over.receiver_addr),
            sender_services: pick(&self.sender_services, &over.sender_services),
            sender_addr: pick(&self.sender_addr, &over.sender_addr),
            nonce: pick(&self.nonce, &over.nonce),
            user_agent: pick(&self.user_agent, &over.user_agent),
            start_height: pick(&self.start_height, &over.start_height),
            relay: pick(&self.relay, &over.relay),
        }
    }

    /// The first field that is not valid, as (field, problem): an address that is not
    /// `ip:port`.
    pub fn problem(&self) -> Option<(&'static str, String)> {
        for (field, addr) in [
            ("receiver_addr", &self.receiver_addr),
            ("sender_addr", &self.sender_addr),
        ] {
            if let Some(addr) = addr {
                if addr.parse::<std::net::SocketAddr>().is_err() {
                    return Some((field, format!("`{addr}` is not ip:port")));
                }
            }
        }
        None
    }
}

/// A `version` timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum VersionTimestamp {
    /// This many seconds since the Unix epoch, whatever the simulated time.
    UnixS(i64),
    /// The simulated now (with the peer's `version_time_skew`, if any) plus this many seconds.
    OffsetS(i64),
}

/// A `version` nonce.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum VersionNonce {
    /// This value.
    Value(u64),
    /// The nonce of the latest `version` the node sent on its connection with this fake peer,
    /// as that peer read it (the same peer, or another one: a self-connection as the node
    /// sees it). The step waits until that peer has read one. Only in a script's
    /// `version_with`.
    NodeVersionOf(String),
}

/// The nonce a `pong_echo` answers the node's ping with, from the ping's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PongNonce {
    /// The ping's nonce (BIP 31).
    Same,
    /// The ping's nonce plus one (wrapping).
    PlusOne,
    /// The ping's nonce minus one (wrapping).
    MinusOne,
    /// Zero (Core cancels the ping; btcd ignores it).
    Zero,
}

impl PongNonce {
    /// The pong's nonce for a ping with `nonce`.
    pub fn apply(self, nonce: u64) -> u64 {
        match self {
            PongNonce::Same => nonce,
            PongNonce::PlusOne => nonce.wrapping_add(1),
            PongNonce::MinusOne => nonce.wrapping_sub(1),
            PongNonce::Zero => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_s_fields_replace_the_peer_s_and_nonces_transform() {
        let peer = VersionFields {
            user_agent: Some("/peer/".into()),
            relay: Some(true),
            ..VersionFields::default()
        };
        let step = VersionFields {
            user_agent: Some("/step/".into()),
            nonce: Some(VersionNonce::Value(7)),
            ..VersionFields::default()
        };
        let both = peer.overlaid(&step);
        assert_eq!(both.user_agent.as_deref(), Some("/step/"));
        assert_eq!(both.relay, Some(true));
        assert_eq!(both.nonce, Some(VersionNonce::Value(7)));
        assert!(VersionFields::default().is_empty() && !both.is_empty());
        assert_eq!(PongNonce::MinusOne.apply(0), u64::MAX);
        assert_eq!(PongNonce::PlusOne.apply(u64::MAX), 0);
        assert_eq!(PongNonce::Zero.apply(9), 0);
        assert_eq!(PongNonce::Same.apply(9), 9);
        let bad = VersionFields {
            sender_addr: Some("10.0.0.1".into()),
            ..VersionFields::default()
        };
        assert_eq!(
            bad.problem(),
            Some(("sender_addr", "`10.0.0.1` is not ip:port".into()))
        );
    }
}
