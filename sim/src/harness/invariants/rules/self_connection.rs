//! The nonces behind [`SELF_CONNECTIONS_REFUSED`](super::SELF_CONNECTIONS_REFUSED): which
//! `version` the node must take for one of its own.

/// Btcd's memory of the nonces it sent (`peer.go` `sentNonces`, an LRU of 50).
const SENT_NONCES_KEPT: usize = 50;

impl super::Rules {
    /// The node sent a `version` with `nonce`: btcd remembers its last 50.
    pub(super) fn nonce_sent(&mut self, nonce: u64) {
        if self.sent_nonces.len() == SENT_NONCES_KEPT {
            self.sent_nonces.pop_front();
        }
        self.sent_nonces.push_back(nonce);
    }

    /// Whether a `version` with `nonce` on a connection (`inbound` or not) is one the node must
    /// take for itself: btcd, any of its last 50 sent nonces; Core, on an inbound connection,
    /// the nonce of an outbound one still in its handshake (`CheckIncomingNonce`).
    pub(super) fn is_own_nonce(&self, core: bool, inbound: bool, nonce: u64) -> bool {
        if core {
            inbound
                && self
                    .conns
                    .values()
                    .any(|c| !c.inbound && !c.handshake_done && c.sent_nonce == Some(nonce))
        } else {
            self.sent_nonces.contains(&nonce)
        }
    }
}
