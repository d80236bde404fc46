//! What the node said on the fake peers' connections that another connection's script may
//! need ([`NodeVersions`]): the nonce of each `version` the node sent, by the fake peer that
//! read it, so a script can answer on one connection with a nonce the node used on another
//! (a self-connection as the node sees it).

use std::cell::RefCell;
use std::collections::BTreeMap;

use tokio::sync::Notify;

/// The nonces of the node's `version` messages as the fake peers read them, by peer name, in
/// the order read. Shared by every fake peer of a run; a simulation runs all its hosts on one
/// thread, so who reads first is deterministic.
#[derive(Debug, Default)]
pub struct NodeVersions {
    nonces: RefCell<BTreeMap<String, Vec<u64>>>,
    read: Notify,
}

impl NodeVersions {
    /// Notes that fake peer `peer` read a `version` of the node carrying `nonce`.
    pub fn note(&self, peer: &str, nonce: u64) {
        self.nonces
            .borrow_mut()
            .entry(peer.to_string())
            .or_default()
            .push(nonce);
        self.read.notify_waiters();
    }

    /// The nonce of the latest node `version` fake peer `peer` read, if it read one.
    pub fn latest(&self, peer: &str) -> Option<u64> {
        self.nonces
            .borrow()
            .get(peer)
            .and_then(|nonces| nonces.last().copied())
    }

    /// [`NodeVersions::latest`], once there is one (waits for `peer` to read a node `version`).
    pub async fn wait_latest(&self, peer: &str) -> u64 {
        loop {
            // Created before the check: a `notify_waiters` after it wakes this one.
            let read = self.read.notified();
            if let Some(nonce) = self.latest(peer) {
                return nonce;
            }
            read.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nonce_noted_later_wakes_the_waiter() {
        let versions = std::rc::Rc::new(NodeVersions::default());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let local = tokio::task::LocalSet::new();
        let got = local.block_on(&runtime, async {
            let waiter = {
                let versions = versions.clone();
                tokio::task::spawn_local(async move { versions.wait_latest("a").await })
            };
            tokio::task::yield_now().await;
            versions.note("b", 1);
            tokio::task::yield_now().await;
            versions.note("a", 2);
            versions.note("a", 3);
            waiter.await.expect("waiter")
        });
        assert_eq!(got, 3, "the waiter runs after both notes: the latest");
        assert_eq!(versions.latest("b"), Some(1));
        assert_eq!(versions.latest("c"), None);
    }
}
