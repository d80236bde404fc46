//! Core's rules that turn on who a connection is (NoBan, manual, inbound), gathered in one
//! pass over each event before the connection table changes: the headers sync's start,
//! punishment, NoBan's exemption from the low-work check, the insufficient-work disconnect and
//! the answer to an `inv` of an unknown block.
//! Each rule's own logic is in its module.

use node::{Event, PeerId, Profile};

use super::{
    discourage, insufficient_work, low_work, RuleBreach, Rules, BLOCK_INVS_ANSWERED,
    HEADERS_SYNC_STARTED_ONCE, INSUFFICIENT_WORK_DISCONNECT, LOW_WORK_CHAINS_HELD_BACK,
    PUNISHMENT_BY_CONNECTION,
};

impl Rules {
    /// Core's rules on who a connection is, each in its own module: the headers sync's start
    /// ([`HEADERS_SYNC_STARTED_ONCE`]), punishment ([`PUNISHMENT_BY_CONNECTION`]), NoBan's
    /// exemption from the low-work check ([`LOW_WORK_CHAINS_HELD_BACK`]) and the
    /// insufficient-work disconnect ([`INSUFFICIENT_WORK_DISCONNECT`]) and the answer to an
    /// `inv` ([`BLOCK_INVS_ANSWERED`]). Judged before `event` changes the connections.
    pub(super) fn core_connection_rules(&mut self, at_ms: u64, event: &Event) -> Vec<RuleBreach> {
        if self.profile != Profile::Core {
            return Vec::new();
        }
        let peer = event.peer();
        let conn = peer.and_then(|p| self.conns.get(&p.0));
        let label =
            |id: PeerId| conn.map_or(format!("#{}", id.0), |c| format!("{}#{}", c.host, id.0));
        let noban = conn.is_some_and(|c| self.noban.contains(&c.host));
        let mut found: Vec<(&'static str, PeerId, String)> = Vec::new();
        if let Some((p, why)) = self.sync_starts.event(event, self.best_header_recent) {
            found.push((HEADERS_SYNC_STARTED_ONCE, *p, why));
        }
        let started = peer.is_some_and(|p| self.sync_starts.started(&p));
        let handshake_done = conn.is_some_and(|c| c.handshake_done);
        if let Some((p, why)) = self.inv_answers.event(
            at_ms,
            event,
            self.inv_unknown_block.take(),
            started,
            handshake_done,
        ) {
            found.push((BLOCK_INVS_ANSWERED, p, why));
        }
        let who = conn.map(|c| discourage::Who {
            host: &c.host,
            noban,
            manual: c.manual,
        });
        if let Some((p, why)) = self.punishments.event(event, who) {
            found.push((PUNISHMENT_BY_CONNECTION, p, why));
        }
        if let Some((p, why)) = low_work::noban_held_back(event, |_| noban) {
            found.push((LOW_WORK_CHAINS_HELD_BACK, *p, why));
        }
        let kind = conn.map(|c| insufficient_work::Conn {
            inbound: c.inbound,
            manual: c.manual,
        });
        if let (Some(p), Some(why)) = (
            peer,
            self.insufficient_work
                .event(event, kind, self.best_header_recent),
        ) {
            found.push((INSUFFICIENT_WORK_DISCONNECT, p, why));
        }
        found
            .into_iter()
            .map(|(rule, p, message)| RuleBreach {
                rule,
                // A punishment may concern the connection discouraged before this event.
                peer: if Some(p) == peer {
                    label(p)
                } else {
                    format!("#{}", p.0)
                },
                message,
            })
            .collect()
    }
}
