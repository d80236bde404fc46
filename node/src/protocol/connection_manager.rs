//! Outbound connection targets and btcd's retry backoff for permanent connection requests
//! (`connmgr/connmanager.go` `handleFailedConn`): after the n-th consecutive failure or
//! disconnect the target is redialled `n × retry_interval` later, at most `retry_max`; a
//! successful connection resets n. Under the Core profile the same rule runs with
//! `retry_interval = retry_max = 60 s`, a fixed retry as in Core's `ThreadOpenAddedConnections`.

use crate::config::Timing;
use crate::protocol::peer::{ms, PeerId};

/// Index of a configured outbound target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TargetId(pub usize);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TargetState {
    /// Waiting to be dialled at this time.
    Idle { dial_at_ms: u64 },
    /// A dial is under way.
    Dialing,
    /// Connected as this peer.
    Connected(PeerId),
    /// Never dialled again (its address is discouraged).
    Abandoned,
}

#[derive(Debug, Clone)]
struct Target {
    addr: String,
    state: TargetState,
    retry_count: u32,
}

/// Keeps one connection open to every configured address.
#[derive(Debug, Clone, Default)]
pub struct ConnectionManager {
    targets: Vec<Target>,
}

impl ConnectionManager {
    /// One permanent target per address, all due for dialling at `now_ms`.
    pub fn new(addrs: &[String], now_ms: u64) -> ConnectionManager {
        ConnectionManager {
            targets: addrs
                .iter()
                .map(|addr| Target {
                    addr: addr.clone(),
                    state: TargetState::Idle { dial_at_ms: now_ms },
                    retry_count: 0,
                })
                .collect(),
        }
    }

    /// Targets due for a dial at `now_ms`, marked as dialling, with their addresses.
    pub fn due_dials(&mut self, now_ms: u64) -> Vec<(TargetId, String)> {
        let mut due = Vec::new();
        for (index, target) in self.targets.iter_mut().enumerate() {
            if let TargetState::Idle { dial_at_ms } = target.state {
                if dial_at_ms <= now_ms {
                    target.state = TargetState::Dialing;
                    due.push((TargetId(index), target.addr.clone()));
                }
            }
        }
        due
    }

    /// The target's dial connected as `peer`; its retry count resets (btcd `Connect`).
    pub fn on_connected(&mut self, target: TargetId, peer: PeerId) {
        if let Some(t) = self.targets.get_mut(target.0) {
            t.state = TargetState::Connected(peer);
            t.retry_count = 0;
        }
    }

    /// The dial failed or the connection ended: schedules the next dial and returns the
    /// backoff in milliseconds.
    pub fn on_failed(&mut self, target: TargetId, now_ms: u64, timing: &Timing) -> u64 {
        let Some(t) = self.targets.get_mut(target.0) else { return 0 };
        t.retry_count = t.retry_count.saturating_add(1);
        let backoff_ms = ms(timing.retry_interval)
            .saturating_mul(u64::from(t.retry_count))
            .min(ms(timing.retry_max));
        t.state = TargetState::Idle { dial_at_ms: now_ms + backoff_ms };
        backoff_ms
    }

    /// The connection ended and the target is never dialled again (Core skips discouraged
    /// addresses when it picks outbound peers, `ThreadOpenConnections`).
    pub fn abandon(&mut self, target: TargetId) {
        if let Some(t) = self.targets.get_mut(target.0) {
            t.state = TargetState::Abandoned;
        }
    }

    /// The address of a target.
    pub fn addr(&self, target: TargetId) -> Option<&str> {
        self.targets.get(target.0).map(|t| t.addr.as_str())
    }

    /// The earliest scheduled dial.
    pub fn next_deadline_ms(&self) -> Option<u64> {
        self.targets
            .iter()
            .filter_map(|t| match t.state {
                TargetState::Idle { dial_at_ms } => Some(dial_at_ms),
                _ => None,
            })
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_by_five_seconds_per_attempt_up_to_five_minutes_and_resets_on_connect() {
        let timing = Timing::default();
        let mut cm = ConnectionManager::new(&["a:1".to_string()], 0);
        assert_eq!(cm.due_dials(0), vec![(TargetId(0), "a:1".to_string())]);
        assert!(cm.due_dials(0).is_empty(), "a dialling target is not dialled twice");
        let backoffs: Vec<u64> = (0..70).map(|_| cm.on_failed(TargetId(0), 0, &timing)).collect();
        assert_eq!(&backoffs[..3], &[5_000, 10_000, 15_000]);
        assert_eq!(backoffs[59], 300_000);
        assert_eq!(backoffs[69], 300_000);
        cm.on_connected(TargetId(0), PeerId(1));
        assert_eq!(cm.next_deadline_ms(), None);
        assert_eq!(cm.on_failed(TargetId(0), 1_000, &timing), 5_000);
        assert_eq!(cm.next_deadline_ms(), Some(6_000));
        assert!(cm.due_dials(5_999).is_empty());
        assert_eq!(cm.due_dials(6_000).len(), 1);
    }
}
