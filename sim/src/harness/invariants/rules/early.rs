//! [`MESSAGES_BEFORE_HANDSHAKE`](super::MESSAGES_BEFORE_HANDSHAKE): what btcd owes a
//! connection for a message read before its handshake is done (`peer.go`
//! `readRemoteVersionMsg`, `waitToFinishNegotiation`).

use super::btcd_tables::btcd_knows;
use super::{Conn, MESSAGES_BEFORE_HANDSHAKE};

/// [`MESSAGES_BEFORE_HANDSHAKE`]: what btcd owes connection `c` (its handshake not done) for
/// a message with `command` read on it, before `c` records whether it was a `version`.
pub(super) fn early_message_under_btcd(c: &mut Conn, command: &str) {
    let known = btcd_knows(command);
    if !c.got_version && command != "version" {
        let answer = if known {
            "btcd rejects, then closes"
        } else {
            "btcd does not know, and closes on"
        };
        c.must_go = Some((
            MESSAGES_BEFORE_HANDSHAKE,
            format!("a {command} before the peer's version, which {answer}"),
        ));
        if known {
            c.reject_due = Some((MESSAGES_BEFORE_HANDSHAKE, command.to_string()));
        }
    } else if c.got_version && known && command != "verack" && command != "sendaddrv2" {
        c.must_go = Some((
            MESSAGES_BEFORE_HANDSHAKE,
            format!("a {command} between the peer's version and its verack, which ends btcd's negotiation"),
        ));
    }
}
