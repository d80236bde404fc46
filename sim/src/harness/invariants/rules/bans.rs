//! How a connection refused as banned is judged, part of
//! [`BANNED_HOSTS_REFUSED`](super::BANNED_HOSTS_REFUSED): only while its host is banned,
//! under Core never a NoBan host's (Core accepts a NoBan host whatever its ban,
//! `CreateNodeFromAcceptedSocket`; btcd has no such exemption, `handleAddPeerMsg`), each
//! profile in its own way (Core as it accepts an inbound connection, btcd once the handshake
//! is done), and btcd naming the time its ban has left.

use node::DisconnectReason;

use super::BAN_EDGE_MS;

/// What the rule knows of a connection the node closed.
#[derive(Debug, Clone, Copy)]
pub(super) struct Refusal<'h> {
    /// The node runs the Core profile.
    pub(super) core: bool,
    /// The connection's host.
    pub(super) host: &'h str,
    /// Until when (ms since the start) the host is banned, by the rule's own ban model, if it
    /// is (with the model's slack at the ban's edges).
    pub(super) banned_until_ms: Option<u64>,
    /// The host is NoBan.
    pub(super) noban: bool,
}

impl Refusal<'_> {
    /// Why closing the connection at `at_ms` for `reason` breaks the rule, if it does.
    pub(super) fn breach(&self, reason: &DisconnectReason, at_ms: u64) -> Option<String> {
        let at_accept = match reason {
            DisconnectReason::InboundBanned { .. } => true,
            DisconnectReason::StillBanned { .. } => false,
            _ => return None,
        };
        let host = self.host;
        let Some(until_ms) = self.banned_until_ms else {
            return Some(format!(
                "refused as banned ({reason}) though {host} was not banned"
            ));
        };
        if self.core && self.noban {
            return Some(format!(
                "refused as banned ({reason}) though {host} is NoBan"
            ));
        }
        if at_accept != self.core {
            return Some(format!(
                "refused as banned ({reason}) in the other profile's way"
            ));
        }
        // btcd names the time its ban has left (`handleAddPeerMsg`): whole seconds, rounded
        // up, of the ban as the rule's own model has it.
        if let DisconnectReason::StillBanned { remaining_s, .. } = reason {
            let expected_s = until_ms.saturating_sub(at_ms).div_ceil(1000);
            if remaining_s.abs_diff(expected_s) > BAN_EDGE_MS / 1000 {
                return Some(format!(
                    "refused {host} with {remaining_s} s of its ban left, where {expected_s} s were"
                ));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ban_refusal_needs_a_ban_no_noban_under_core_and_the_profiles_own_way() {
        let refusal = |core, banned_until_ms, noban| Refusal {
            core,
            host: "p1",
            banned_until_ms,
            noban,
        };
        let at_accept = DisconnectReason::InboundBanned { host: "p1".into() };
        let after_handshake = |remaining_s| DisconnectReason::StillBanned {
            host: "p1".into(),
            remaining_s,
        };
        // Core refuses as it accepts, btcd after the handshake; not the other way round.
        assert!(refusal(true, Some(5_000), false)
            .breach(&at_accept, 0)
            .is_none());
        assert!(refusal(false, Some(5_000), false)
            .breach(&at_accept, 0)
            .is_some());
        assert!(refusal(false, Some(5_000), false)
            .breach(&after_handshake(5), 0)
            .is_none());
        assert!(refusal(true, Some(5_000), false)
            .breach(&after_handshake(5), 0)
            .is_some());
        // Not banned, or NoBan under Core.
        assert!(refusal(true, None, false).breach(&at_accept, 0).is_some());
        assert!(refusal(true, Some(5_000), true)
            .breach(&at_accept, 0)
            .is_some());
        assert!(refusal(false, Some(5_000), true)
            .breach(&after_handshake(5), 0)
            .is_none());
        // btcd's time left, within a second.
        assert!(refusal(false, Some(5_000), false)
            .breach(&after_handshake(9), 0)
            .is_some());
        // Other reasons are not judged here.
        let other = DisconnectReason::DuplicateVersion;
        assert!(refusal(true, None, true).breach(&other, 0).is_none());
    }
}
