//! [`AUTOMATIC_DIALS_COUNTED`](super::AUTOMATIC_DIALS_COUNTED): btcd's count of failed
//! automatic dials (`connmgr/connmanager.go` `failedAttempts`). Every failed dial of an
//! automatic slot (an address list's, `--addresses`) adds one (`handleFailedConn`, also when no
//! address was found for it, which starts no dial); every established outbound connection, of any kind, sets it
//! back to 0 (`handleConnected`); a new process starts at 0. The node reports the count after
//! each failed automatic dial and nothing for a permanent or once target's; Core keeps no such
//! count, so there it reports 0.

use std::collections::BTreeMap;

use node::protocol::connection_manager::TargetKind;
use node::protocol::peer::Direction;
use node::Event;

/// The rule's state for one node run.
#[derive(Debug)]
pub(super) struct Dials {
    /// Under btcd (the count moves) or Core (it stays 0).
    btcd: bool,
    /// btcd's `failedAttempts` as the rule counts it.
    failed_attempts: u32,
    /// Per address, the kinds of its dials under way, oldest first.
    pending: BTreeMap<String, Vec<TargetKind>>,
    /// Set when a failed dial's kind could not be told (dials of two kinds to one address):
    /// the count is unknown until the next established outbound connection resets it.
    uncertain: bool,
}

impl Dials {
    /// The rule for a node under btcd (`btcd`) or Core.
    pub(super) fn new(btcd: bool) -> Dials {
        Dials {
            btcd,
            failed_attempts: 0,
            pending: BTreeMap::new(),
            uncertain: false,
        }
    }

    /// A new node process: nothing dialled, nothing counted.
    pub(super) fn reset(&mut self) {
        self.failed_attempts = 0;
        self.pending.clear();
        self.uncertain = false;
    }

    /// One node event; `Some((address, why))` when a failed dial reports another count than
    /// the rule's.
    pub(super) fn event(&mut self, event: &Event) -> Option<(String, String)> {
        match event {
            Event::Dialing { addr, kind } => {
                self.pending.entry(addr.clone()).or_default().push(*kind);
                None
            }
            Event::Connected {
                addr,
                direction: Direction::Outbound(_),
                ..
            } => {
                self.take(addr);
                self.failed_attempts = 0;
                self.uncertain = false;
                None
            }
            Event::DialFailed {
                addr,
                failed_attempts: reported,
                ..
            } => {
                let kind = match self.take(addr) {
                    Some(Some(kind)) => kind,
                    // Dials of two kinds under way to one address: which one failed is
                    // unknown, and with it the count.
                    Some(None) => {
                        self.uncertain = true;
                        return None;
                    }
                    // No dial under way: an automatic slot's request that found no address
                    // (it names the slot's previous address, or none).
                    None => TargetKind::Automatic,
                };
                let expected = match kind {
                    TargetKind::Automatic if self.btcd => {
                        self.failed_attempts += 1;
                        if self.uncertain {
                            return None;
                        }
                        Some(self.failed_attempts)
                    }
                    TargetKind::Automatic => Some(0),
                    TargetKind::Permanent | TargetKind::Once => None,
                };
                (*reported != expected).then(|| {
                    (
                        addr.clone(),
                        format!(
                            "a failed {kind:?} dial reported failed_attempts {reported:?}, \
                             where the rule expects {expected:?}"
                        ),
                    )
                })
            }
            _ => None,
        }
    }

    /// Ends one dial of `addr` under way: `None` when there is none, `Some(kind)` with its
    /// kind when every dial under way to `addr` has the same kind, `Some(None)` otherwise.
    fn take(&mut self, addr: &str) -> Option<Option<TargetKind>> {
        let kinds = self.pending.get_mut(addr).filter(|k| !k.is_empty())?;
        let first = kinds[0];
        let same = kinds.iter().all(|k| *k == first);
        kinds.remove(0);
        Some(same.then_some(first))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use node::protocol::ConnectionType;
    use node::protocol::TargetId;
    use node::PeerId;

    fn dialing(addr: &str, kind: TargetKind) -> Event {
        Event::Dialing {
            addr: addr.into(),
            kind,
        }
    }

    fn failed(addr: &str, failed_attempts: Option<u32>) -> Event {
        Event::DialFailed {
            addr: addr.into(),
            error: "refused".into(),
            retry_in_ms: Some(0),
            failed_attempts,
        }
    }

    /// How many events of `events` break the rule, for a node under btcd (`btcd`) or Core.
    fn breaches(btcd: bool, events: &[Event]) -> usize {
        let mut dials = Dials::new(btcd);
        events.iter().filter_map(|e| dials.event(e)).count()
    }

    #[test]
    fn failed_automatic_dials_are_counted_as_btcd_counts_them() {
        let outbound = Event::Connected {
            peer: PeerId(1),
            addr: "b:8333".into(),
            direction: Direction::Outbound(TargetId(0)),
            connection: ConnectionType::Manual,
        };
        let counted = vec![
            dialing("a:8333", TargetKind::Automatic),
            failed("a:8333", Some(1)),
            dialing("a:8333", TargetKind::Automatic),
            failed("a:8333", Some(2)),
            // A request that found no address counts too; it names the slot's last address.
            failed("a:8333", Some(3)),
            dialing("c:8333", TargetKind::Permanent),
            failed("c:8333", None),
            dialing("b:8333", TargetKind::Permanent),
            outbound,
            dialing("a:8333", TargetKind::Automatic),
            failed("a:8333", Some(1)),
        ];
        assert_eq!(breaches(true, &counted), 0);
        // Not reset by the outbound connection: the count goes on.
        let mut stale = counted.clone();
        stale[10] = failed("a:8333", Some(4));
        assert_eq!(breaches(true, &stale), 1);
        // A permanent target's failure with a count.
        let mut kinds = counted.clone();
        kinds[6] = failed("c:8333", Some(3));
        assert_eq!(breaches(true, &kinds), 1);
        // Core counts none.
        let core = [
            dialing("a:8333", TargetKind::Automatic),
            failed("a:8333", Some(0)),
        ];
        assert_eq!(breaches(false, &core), 0);
        assert_eq!(
            breaches(false, &[core[0].clone(), failed("a:8333", Some(1))]),
            1
        );
        // Dials of two kinds to one address: the count is not judged until an outbound
        // connection resets it.
        let mixed = [
            dialing("a:8333", TargetKind::Automatic),
            dialing("a:8333", TargetKind::Permanent),
            failed("a:8333", Some(1)),
            dialing("d:8333", TargetKind::Automatic),
            failed("d:8333", Some(7)),
        ];
        assert_eq!(breaches(true, &mixed), 0);
    }
}
