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
