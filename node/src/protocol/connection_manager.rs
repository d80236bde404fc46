//! Outbound connections, after btcd's `connmgr/connmanager.go`, and manual bans. Each target
//! has a [`TargetKind`], which gives its connections their [`ConnectionType`].
//!
//! **Permanent targets** ([`crate::Config::connect`], [`ConnectionType::Manual`]) follow
//! `handleFailedConn` for permanent requests: after the n-th consecutive failure or disconnect
//! the target is redialled `n × retry_interval` later, at most `retry_max`; a successful
//! connection resets n. Under the Core profile the same rule runs with
//! `retry_interval = retry_max = 60 s`, a fixed retry as in Core's
//! `ThreadOpenAddedConnections`. Neither profile skips a permanent target whose host is banned
//! or discouraged: Core's `CConnman::OpenNetworkConnection` checks bans and discouragement only
//! for an address it picked itself (`pszDest` unset), never for a named manual destination.
//!
//! **Once targets** ([`crate::Config::automatic`], [`ConnectionType::OutboundFullRelay`]) are
//! dialled once at start and never again, whether the dial fails or the connection later
//! ends: Core's regtest `addconnection ADDR outbound-full-relay` RPC (`rpc/net.cpp`) calls
//! `CConnman::AddConnection` (`net.cpp`), which makes one `OpenNetworkConnection` attempt and
//! keeps no record of the address to retry; btcd's `node connect ADDR temp` RPC makes a
//! non-permanent `connmgr` request, which `server.go` `handleDonePeerMsg` removes when the peer
//! goes (`Remove`, then `NewConnReq` for an address-book address instead). They are counted
//! apart from the `target_outbound` automatic slots below (a simplification: Core counts
//! `addconnection` peers against `MAX_OUTBOUND_FULL_RELAY_CONNECTIONS`).
//!
//! **Automatic connections** ([`crate::Config::addresses`], only when no permanent target is
//! configured; [`ConnectionType::OutboundFullRelay`]) keep `target_outbound` requests open or under way. Each request dials the next
//! candidate address in the configured order (round robin) that is not already connected or
//! being dialled and whose host is not banned (nor, under Core, discouraged). btcd picks a
//! random `addrmgr` address instead and skips whole `/16` groups in use; the order does not
//! change the retry rule below, and a fixed order keeps runs easy to read.
//!
//! * btcd (`handleFailedConn` for non-permanent requests): a failed dial increments one
//!   counter shared by all requests, `failedAttempts`. Below [`FAILED_ATTEMPTS_MAX`] the
//!   replacement request is made at once (with the next address); from then on it is made
//!   `retry_interval` (btcd `RetryDuration`, 5 s) later. Any successful connection resets the
//!   counter. A request for which no address is left fails the same way ("no valid connect
//!   address" from `server.go`'s `newAddressFunc`). A connected automatic peer that goes away
//!   is replaced at once without counting a failure (`handleDonePeerMsg`: `Remove` and
//!   `NewConnReq`).
//! * Core (`ThreadOpenConnections`, `net.cpp`): one attempt at a time, each
//!   [`OPEN_CONNECTIONS_INTERVAL_MS`] after the previous one ended, whatever its result; no
//!   failure counter. With no usable address the loop just waits for the next round.

use super::connection_type::ConnectionType;
use super::ids::PeerId;
use super::time::ms;
use crate::config::{Profile, Timing};
use crate::deliberate_bugs::{self, Bug};

pub use super::ids::TargetId;

/// The fixed redial delay of the deliberate bug [`Bug::RedialWithoutBackoff`], in
/// milliseconds: short, but never zero, so a refused dial cannot spin within one instant.
const REDIAL_WITHOUT_BACKOFF_MS: u64 = 500;

/// Consecutive failed automatic dials after which each new request waits `retry_interval`:
/// btcd `maxFailedAttempts` (25, `connmgr/connmanager.go`).
pub const FAILED_ATTEMPTS_MAX: u32 = 25;

/// Core: pause between two automatic connection attempts, the `sleep_for(500ms)` at the top of
/// `CConnman::ThreadOpenConnections` (`net.cpp`, a literal there).
pub const OPEN_CONNECTIONS_INTERVAL_MS: u64 = 500;

/// The error of an automatic request for which every candidate is in use or banned: btcd
/// `server.go` `newAddressFunc` ("no valid connect address").
pub const NO_ADDRESS_ERROR: &str = "no valid connect address";

/// A manual ban of a host (the address without its port) until a time.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ban {
    /// The banned host, as [`crate::Node`] labels peers (`host_of` their address).
    pub host: String,
    /// Unix time in milliseconds at which the ban ends.
    pub ban_until_ms: u64,
}

/// What a connection-manager target is for; it gives the target's connections their
/// [`ConnectionType`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TargetKind {
    /// A [`crate::Config::connect`] address: redialled with backoff for good (btcd's permanent
    /// request, `--connect`/`--addpeer`; Core's `-connect`, a manual connection).
    Permanent,
    /// One of the `target_outbound` automatic request slots over [`crate::Config::addresses`].
    Automatic,
    /// A [`crate::Config::automatic`] address: dialled once (Core's regtest `addconnection ADDR
    /// outbound-full-relay`, btcd's `node connect ADDR temp`).
    Once,
}

impl TargetKind {
    /// The type of the connections made for such a target: [`ConnectionType::Manual`] for a
    /// permanent target, [`ConnectionType::OutboundFullRelay`] otherwise.
    pub fn connection_type(self) -> ConnectionType {
        match self {
            TargetKind::Permanent => ConnectionType::Manual,
            TargetKind::Automatic | TargetKind::Once => ConnectionType::OutboundFullRelay,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TargetState {
    /// Waiting to be dialled at this time.
    Idle { dial_at_ms: u64 },
    /// A dial is under way.
    Dialing,
    /// Connected as this peer.
    Connected(PeerId),
    /// Never dialled again: a once target whose dial failed or whose connection ended.
    Done,
}

#[derive(Debug, Clone)]
struct Target {
    /// The configured address, or for an automatic slot the address of its latest dial.
    addr: String,
    state: TargetState,
    retry_count: u32,
    kind: TargetKind,
}

/// What [`ConnectionManager::due_dials`] asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DueDial {
    /// Dial `addr` for `target`.
    Dial {
        /// The target or automatic slot.
        target: TargetId,
        /// Where to connect.
        addr: String,
    },
    /// btcd: an automatic request found no usable address; report it as a failed dial.
    NoAddress {
        /// The automatic slot.
        target: TargetId,
    },
}

/// Keeps one connection open to every configured address, plus the automatic connections.
#[derive(Debug, Clone, Default)]
pub struct ConnectionManager {
    targets: Vec<Target>,
    /// Candidates for automatic connections, in the configured order.
    candidates: Vec<String>,
    /// Index in `candidates` of the next address to try.
    next_candidate: usize,
    /// btcd `failedAttempts`: automatic dials failed since the last successful connection.
    failed_attempts: u32,
    /// Whose automatic-connection rule runs.
    profile: Profile,
    /// Core: no automatic attempt starts before this time.
    open_not_before_ms: u64,
    /// The node's deliberate bug, if any ([`crate::Config::deliberate_bug()`]).
    deliberate_bug: Option<Bug>,
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
                    kind: TargetKind::Permanent,
                })
                .collect(),
            ..ConnectionManager::default()
        }
    }

    /// Adds one once target per address ([`TargetKind::Once`]), all due for dialling at
    /// `now_ms` under either profile (Core's `addconnection` dials at once). Call it before
    /// [`ConnectionManager::with_automatic`], so that targets are numbered permanent, once,
    /// automatic.
    pub fn with_once(mut self, addrs: &[String], now_ms: u64) -> Self {
        self.targets.extend(addrs.iter().map(|addr| Target {
            addr: addr.clone(),
            state: TargetState::Idle { dial_at_ms: now_ms },
            retry_count: 0,
            kind: TargetKind::Once,
        }));
        self
    }

    /// Runs with the node's deliberate bug `bug` ([`crate::Config::deliberate_bug()`]).
    pub(crate) fn set_deliberate_bug(&mut self, bug: Option<Bug>) {
        self.deliberate_bug = bug;
    }

    /// Adds `target_outbound` automatic request slots over `candidates` with `profile`'s rule:
    /// under btcd all are due at `now_ms` (`connmgr` `Start` makes the requests at once), under
    /// Core the first attempt waits one [`OPEN_CONNECTIONS_INTERVAL_MS`]. Nothing is added
    /// without candidates.
    pub fn with_automatic(
        mut self,
        candidates: &[String],
        target_outbound: usize,
        profile: Profile,
        now_ms: u64,
    ) -> Self {
        if candidates.is_empty() {
            return self;
        }
        let first_ms = match profile {
            Profile::Btcd => now_ms,
            Profile::Core => now_ms + OPEN_CONNECTIONS_INTERVAL_MS,
        };
        self.candidates = candidates.to_vec();
        self.profile = profile;
        self.open_not_before_ms = first_ms;
        for _ in 0..target_outbound {
            self.targets.push(Target {
                addr: String::new(),
                state: TargetState::Idle {
                    dial_at_ms: first_ms,
                },
                retry_count: 0,
                kind: TargetKind::Automatic,
            });
        }
        self
    }

    /// Targets due for a dial at `now_ms`, marked as dialling. Automatic slots get the next
    /// candidate whose address is not in use and for which `excluded(addr)` is false.
    pub fn due_dials(&mut self, now_ms: u64, excluded: impl Fn(&str) -> bool) -> Vec<DueDial> {
        let mut due = Vec::new();
        for index in 0..self.targets.len() {
            let TargetState::Idle { dial_at_ms } = self.targets[index].state else {
                continue;
            };
            if dial_at_ms > now_ms {
                continue;
            }
            let target = TargetId(index);
            if self.targets[index].kind != TargetKind::Automatic {
                self.targets[index].state = TargetState::Dialing;
                due.push(DueDial::Dial {
                    target,
                    addr: self.targets[index].addr.clone(),
                });
                continue;
            }
            if self.profile == Profile::Core
                && (now_ms < self.open_not_before_ms || self.automatic_dialing())
            {
                continue;
            }
            match self.next_address(&excluded) {
                Some(addr) => {
                    self.targets[index].addr = addr.clone();
                    self.targets[index].state = TargetState::Dialing;
                    due.push(DueDial::Dial { target, addr });
                }
                // Core's loop finds nothing to do this round and sleeps again.
                None if self.profile == Profile::Core => {
                    self.open_not_before_ms = now_ms + OPEN_CONNECTIONS_INTERVAL_MS;
                    self.targets[index].state = TargetState::Idle {
                        dial_at_ms: self.open_not_before_ms,
                    };
                }
                None => {
                    self.targets[index].state = TargetState::Dialing;
                    due.push(DueDial::NoAddress { target });
                }
            }
        }
        due
    }

    /// Whether an automatic dial is under way.
    fn automatic_dialing(&self) -> bool {
        self.targets
            .iter()
            .any(|t| t.kind == TargetKind::Automatic && t.state == TargetState::Dialing)
    }

    /// The next candidate in round-robin order that is neither in use nor excluded.
    fn next_address(&mut self, excluded: &impl Fn(&str) -> bool) -> Option<String> {
        let count = self.candidates.len();
        for offset in 0..count {
            let index = (self.next_candidate + offset) % count;
            let addr = &self.candidates[index];
            let in_use = self.targets.iter().any(|t| {
                &t.addr == addr
                    && matches!(t.state, TargetState::Dialing | TargetState::Connected(_))
            });
            if !in_use && !excluded(addr) {
                self.next_candidate = (index + 1) % count;
                return Some(addr.clone());
            }
        }
        None
    }

    /// The target's dial connected as `peer`. Its retry count and the shared failure counter
    /// reset (btcd `connHandler`, `handleConnected`).
    pub fn on_connected(&mut self, target: TargetId, peer: PeerId, now_ms: u64) {
        let Some(t) = self.targets.get_mut(target.0) else {
            return;
        };
        t.state = TargetState::Connected(peer);
        t.retry_count = 0;
        self.failed_attempts = 0;
        if t.kind == TargetKind::Automatic && self.profile == Profile::Core {
            self.open_not_before_ms = now_ms + OPEN_CONNECTIONS_INTERVAL_MS;
        }
    }

    /// The target's dial failed: schedules the next dial (permanent target) or the next
    /// request (automatic slot) and returns its delay in milliseconds; `None` for a once
    /// target, which is never dialled again.
    pub fn on_failed(&mut self, target: TargetId, now_ms: u64, timing: &Timing) -> Option<u64> {
        let kind = self.targets.get(target.0)?.kind;
        let delay_ms = match (kind, self.profile) {
            (TargetKind::Permanent, _) => {
                return Some(self.retry_permanent(target, now_ms, timing))
            }
            (TargetKind::Once, _) => {
                self.targets[target.0].state = TargetState::Done;
                return None;
            }
            (TargetKind::Automatic, Profile::Btcd) => {
                self.failed_attempts = self.failed_attempts.saturating_add(1);
                if self.failed_attempts >= FAILED_ATTEMPTS_MAX {
                    ms(timing.retry_interval)
                } else {
                    0
                }
            }
            (TargetKind::Automatic, Profile::Core) => {
                self.open_not_before_ms = now_ms + OPEN_CONNECTIONS_INTERVAL_MS;
                OPEN_CONNECTIONS_INTERVAL_MS
            }
        };
        self.targets[target.0].state = TargetState::Idle {
            dial_at_ms: now_ms + delay_ms,
        };
        Some(delay_ms)
    }

    /// The target's connection ended. A permanent target is redialled with backoff, as after a
    /// failed dial; an automatic slot makes a new request at once (btcd `Remove` and
    /// `NewConnReq`) or at Core's next round, without counting a failure; a once target is
    /// done. Returns the delay before the next dial or request, `None` for a once target.
    pub fn on_disconnected(
        &mut self,
        target: TargetId,
        now_ms: u64,
        timing: &Timing,
    ) -> Option<u64> {
        let kind = self.targets.get(target.0)?.kind;
        let delay_ms = match (kind, self.profile) {
            (TargetKind::Permanent, _) => {
                return Some(self.retry_permanent(target, now_ms, timing))
            }
            (TargetKind::Once, _) => {
                self.targets[target.0].state = TargetState::Done;
                return None;
            }
            (TargetKind::Automatic, Profile::Btcd) => 0,
            (TargetKind::Automatic, Profile::Core) => OPEN_CONNECTIONS_INTERVAL_MS,
        };
        self.targets[target.0].state = TargetState::Idle {
            dial_at_ms: now_ms + delay_ms,
        };
        Some(delay_ms)
    }

    /// btcd `handleFailedConn` for a permanent request: `retry_count × retry_interval`, capped.
    fn retry_permanent(&mut self, target: TargetId, now_ms: u64, timing: &Timing) -> u64 {
        let Some(t) = self.targets.get_mut(target.0) else {
            return 0;
        };
        t.retry_count = t.retry_count.saturating_add(1);
        let backoff_ms = if deliberate_bugs::is(self.deliberate_bug, Bug::RedialWithoutBackoff) {
            REDIAL_WITHOUT_BACKOFF_MS
        } else {
            ms(timing.retry_interval)
                .saturating_mul(u64::from(t.retry_count))
                .min(ms(timing.retry_max))
        };
        t.state = TargetState::Idle {
            dial_at_ms: now_ms + backoff_ms,
        };
        backoff_ms
    }

    /// What the target is for (`None` for an unknown target).
    pub fn kind(&self, target: TargetId) -> Option<TargetKind> {
        self.targets.get(target.0).map(|t| t.kind)
    }

    /// Whether the target is an automatic request slot.
    pub fn is_automatic(&self, target: TargetId) -> bool {
        self.kind(target) == Some(TargetKind::Automatic)
    }

    /// btcd `failedAttempts`: automatic dials failed since the last successful connection.
    pub fn failed_attempts(&self) -> u32 {
        self.failed_attempts
    }

    /// The address of a target (for an automatic slot, that of its latest dial).
    pub fn addr(&self, target: TargetId) -> Option<&str> {
        self.targets.get(target.0).map(|t| t.addr.as_str())
    }

    /// The earliest scheduled dial.
    pub fn next_deadline_ms(&self) -> Option<u64> {
        let core_automatic_blocked = self.profile == Profile::Core && self.automatic_dialing();
        let automatic = |t: &Target| t.kind == TargetKind::Automatic;
        self.targets
            .iter()
            .filter_map(|t| match t.state {
                TargetState::Idle { .. } if automatic(t) && core_automatic_blocked => None,
                TargetState::Idle { dial_at_ms }
                    if automatic(t) && self.profile == Profile::Core =>
                {
                    Some(dial_at_ms.max(self.open_not_before_ms))
                }
                TargetState::Idle { dial_at_ms } => Some(dial_at_ms),
                _ => None,
            })
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| format!("{n}:8333")).collect()
    }

    fn dialled(due: &[DueDial]) -> Vec<String> {
        due.iter()
            .map(|d| match d {
                DueDial::Dial { addr, .. } => addr.clone(),
                DueDial::NoAddress { .. } => "none".to_string(),
            })
            .collect()
    }

    fn target_of(due: &DueDial) -> TargetId {
        match due {
            DueDial::Dial { target, .. } | DueDial::NoAddress { target } => *target,
        }
    }

    #[test]
    fn backoff_grows_by_five_seconds_per_attempt_up_to_five_minutes_and_resets_on_connect() {
        let timing = Timing::default();
        let mut cm = ConnectionManager::new(&["a:1".to_string()], 0);
        assert_eq!(
            cm.due_dials(0, |_| false),
            vec![DueDial::Dial {
                target: TargetId(0),
                addr: "a:1".to_string()
            }]
        );
        assert!(
            cm.due_dials(0, |_| false).is_empty(),
            "a dialling target is not dialled twice"
        );
        let backoffs: Vec<u64> = (0..70)
            .filter_map(|_| cm.on_failed(TargetId(0), 0, &timing))
            .collect();
        assert_eq!(&backoffs[..3], &[5_000, 10_000, 15_000]);
        assert_eq!(backoffs[59], 300_000);
        assert_eq!(backoffs[69], 300_000);
        cm.on_connected(TargetId(0), PeerId(1), 0);
        assert_eq!(cm.next_deadline_ms(), None);
        assert_eq!(cm.on_disconnected(TargetId(0), 1_000, &timing), Some(5_000));
        assert_eq!(cm.next_deadline_ms(), Some(6_000));
        assert!(cm.due_dials(5_999, |_| false).is_empty());
        assert_eq!(cm.due_dials(6_000, |_| false).len(), 1);
    }

    #[test]
    fn btcd_retries_failed_automatic_dials_at_once_until_the_25th_failure_then_every_five_seconds()
    {
        let timing = Timing::default();
        let mut cm = ConnectionManager::new(&[], 0).with_automatic(
            &addrs(&["a", "b", "c", "d"]),
            2,
            Profile::Btcd,
            0,
        );
        let mut delays = Vec::new();
        let mut due = cm.due_dials(0, |_| false);
        assert_eq!(
            dialled(&due),
            ["a:8333", "b:8333"],
            "both requests start at once, each with its own address"
        );
        let mut now_ms = 0;
        while delays.len() < 30 {
            let Some(first) = due.first().cloned() else {
                now_ms = cm
                    .next_deadline_ms()
                    .expect("a request is always scheduled");
                due = cm.due_dials(now_ms, |_| false);
                continue;
            };
            due.remove(0);
            delays.extend(cm.on_failed(target_of(&first), now_ms, &timing));
            due.extend(cm.due_dials(now_ms, |_| false));
        }
        assert!(delays[..24].iter().all(|&d| d == 0), "{delays:?}");
        assert!(delays[24..].iter().all(|&d| d == 5_000), "{delays:?}");
        assert_eq!(cm.failed_attempts(), 30);
    }

    #[test]
    fn a_successful_automatic_connection_resets_the_shared_failure_counter() {
        let timing = Timing::default();
        let mut cm =
            ConnectionManager::new(&[], 0).with_automatic(&addrs(&["a", "b"]), 2, Profile::Btcd, 0);
        let due = cm.due_dials(0, |_| false);
        for _ in 1..FAILED_ATTEMPTS_MAX {
            assert_eq!(cm.on_failed(target_of(&due[0]), 0, &timing), Some(0));
            assert_eq!(
                dialled(&cm.due_dials(0, |_| false)),
                ["a:8333"],
                "b is still being dialled"
            );
        }
        assert_eq!(cm.on_failed(target_of(&due[0]), 0, &timing), Some(5_000));
        cm.on_connected(target_of(&due[1]), PeerId(7), 10);
        assert_eq!(cm.failed_attempts(), 0);
        let again = cm.due_dials(5_000, |_| false);
        assert_eq!(
            dialled(&again),
            ["a:8333"],
            "b is connected, so the waiting request takes a"
        );
        assert_eq!(
            cm.on_failed(target_of(&again[0]), 5_000, &timing),
            Some(0),
            "counting starts again from zero"
        );
    }

    #[test]
    fn automatic_requests_skip_addresses_in_use_and_excluded_and_fail_when_none_is_left() {
        let timing = Timing::default();
        let mut cm = ConnectionManager::new(&[], 0).with_automatic(
            &addrs(&["a", "b", "c"]),
            3,
            Profile::Btcd,
            0,
        );
        let due = cm.due_dials(0, |addr| addr == "b:8333");
        assert_eq!(dialled(&due), ["a:8333", "c:8333", "none"]);
        assert_eq!(cm.on_failed(target_of(&due[2]), 0, &timing), Some(0));
        assert_eq!(cm.failed_attempts(), 1);
        // A connected automatic peer that goes away is replaced at once, without a failure.
        cm.on_connected(target_of(&due[0]), PeerId(1), 5);
        assert_eq!(cm.on_disconnected(target_of(&due[0]), 9, &timing), Some(0));
        assert_eq!(cm.failed_attempts(), 0);
        assert_eq!(dialled(&cm.due_dials(9, |_| false)), ["a:8333", "b:8333"]);
    }

    #[test]
    fn core_makes_one_automatic_attempt_at_a_time_half_a_second_after_the_previous_one_ended() {
        let timing = Timing::for_profile(Profile::Core);
        let mut cm = ConnectionManager::new(&[], 0).with_automatic(
            &addrs(&["a", "b", "c"]),
            8,
            Profile::Core,
            0,
        );
        assert!(cm.due_dials(0, |_| false).is_empty());
        assert_eq!(cm.next_deadline_ms(), Some(500));
        let due = cm.due_dials(500, |_| false);
        assert_eq!(dialled(&due), ["a:8333"]);
        assert_eq!(
            cm.next_deadline_ms(),
            None,
            "nothing starts while an attempt is under way"
        );
        for _ in 0..40 {
            cm.on_failed(target_of(&due[0]), 700, &timing);
        }
        assert_eq!(cm.failed_attempts(), 0, "Core keeps no failure counter");
        assert_eq!(cm.next_deadline_ms(), Some(1_200));
        assert_eq!(dialled(&cm.due_dials(1_200, |_| false)), ["b:8333"]);
    }

    #[test]
    fn once_targets_are_dialled_at_start_under_either_profile_and_never_again() {
        for profile in Profile::ALL {
            let timing = Timing::for_profile(profile);
            let mut cm = ConnectionManager::new(&addrs(&["m"]), 0)
                .with_once(&addrs(&["o1", "o2"]), 0)
                .with_automatic(&addrs(&["a"]), 1, profile, 0);
            let kinds: Vec<Option<TargetKind>> = (0..4).map(|i| cm.kind(TargetId(i))).collect();
            assert_eq!(
                kinds,
                [
                    Some(TargetKind::Permanent),
                    Some(TargetKind::Once),
                    Some(TargetKind::Once),
                    Some(TargetKind::Automatic)
                ]
            );
            let due = cm.due_dials(0, |_| false);
            assert_eq!(
                dialled(&due)[..3],
                ["m:8333", "o1:8333", "o2:8333"],
                "{profile}"
            );
            assert_eq!(cm.on_failed(TargetId(1), 10, &timing), None, "no retry");
            cm.on_connected(TargetId(2), PeerId(1), 10);
            assert_eq!(cm.on_disconnected(TargetId(2), 20, &timing), None);
            let later: Vec<String> = (1..=3)
                .flat_map(|n| dialled(&cm.due_dials(n * 400_000, |_| false)))
                .collect();
            assert!(
                !later.iter().any(|a| a.starts_with('o')),
                "{profile}: once targets redialled: {later:?}"
            );
            assert_eq!(
                TargetKind::Once.connection_type(),
                ConnectionType::OutboundFullRelay
            );
            assert_eq!(
                TargetKind::Permanent.connection_type(),
                ConnectionType::Manual
            );
        }
    }
}
