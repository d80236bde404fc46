//! Deliberate bugs, for measuring how good the simulator is at finding real ones.
//!
//! Each [`Bug`] is a small, plausible mistake in the node's protocol logic (an off-by-one, a
//! missing deadline, a comparison with `>=` for `>`). They are compiled in only with the
//! test-only cargo feature `deliberate-bugs`; without it the node's configuration has no field
//! to name one ([`crate::Config::set_deliberate_bug`] refuses every bug) and each check is the
//! constant `false`, so a normal build carries none of them.
//!
//! A node runs with at most one bug, [`crate::Config::deliberate_bug()`], which the node hands
//! to the parts that check one (its header chain and connection manager). Nothing here is
//! global or per thread. The `node` binary never sets one; the simulator keeps the bug that
//! `--bug NAME` selected for the runs of a thread and puts it in the configuration of each
//! node it builds (`sim::bug`).
//!
//! `sim explore --bug NAME` and `sim shrink --bug NAME` select a bug by its [`Bug::name`]; the
//! table in `docs/exploration.md` lists, for each bug, how many seeds exploration needed to find
//! it, which invariant caught it and how small `sim shrink` made the scenario.

/// One deliberate bug; each variant's doc says what it breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Bug {
    /// Core profile: a `headers` message of exactly 2000 headers is not taken as full
    /// (`count > 2000` where Core has `== MAX_HEADERS_RESULTS`), so no follow-up `getheaders`.
    BoundaryOffByOne,
    /// btcd profile: `getheaders` never arms the `stallHandler` response deadline.
    StallDeadlineNeverSet,
    /// Core profile: the headers of a message that fails the whole-message checks are written
    /// to the store before the check, outside the transaction that follows it.
    RejectedBatchStored,
    /// Every locator lists consecutive heights down to genesis, without the doubling steps.
    LocatorWithoutDoubling,
    /// A branch with the same work as the best chain replaces it (`>=` for `>`).
    EqualWorkReorg,
    /// A `pong` finishes the outstanding ping whatever its nonce.
    PingNonceUnchecked,
    /// A permanent outbound target is redialled 500 ms after every loss, with no backoff.
    RedialWithoutBackoff,
    /// Received messages do not restart the idle timer.
    IdleTimerNotReset,
    /// btcd profile: the B26 follow-up `[best header]` even after a batch that ended off the
    /// best chain (the bug `sim explore` found at seed 5; departure 20 fixed it).
    FollowUpFromBest,
    /// Core profile: an inbound peer becomes the initial-sync peer only while no outbound peer
    /// is preferred, as if blocks were in flight (the bug `sim explore` found at seed 243).
    InboundNeverSyncPeer,
}

impl Bug {
    /// Every deliberate bug, in the order of the table in `docs/exploration.md`.
    pub const ALL: [Bug; 10] = [
        Bug::BoundaryOffByOne,
        Bug::StallDeadlineNeverSet,
        Bug::RejectedBatchStored,
        Bug::LocatorWithoutDoubling,
        Bug::EqualWorkReorg,
        Bug::PingNonceUnchecked,
        Bug::RedialWithoutBackoff,
        Bug::IdleTimerNotReset,
        Bug::FollowUpFromBest,
        Bug::InboundNeverSyncPeer,
    ];

    /// The bug's name on the command line (`snake_case`).
    pub fn name(self) -> &'static str {
        match self {
            Bug::BoundaryOffByOne => "boundary_off_by_one",
            Bug::StallDeadlineNeverSet => "stall_deadline_never_set",
            Bug::RejectedBatchStored => "rejected_batch_stored",
            Bug::LocatorWithoutDoubling => "locator_without_doubling",
            Bug::EqualWorkReorg => "equal_work_reorg",
            Bug::PingNonceUnchecked => "ping_nonce_unchecked",
            Bug::RedialWithoutBackoff => "redial_without_backoff",
            Bug::IdleTimerNotReset => "idle_timer_not_reset",
            Bug::FollowUpFromBest => "follow_up_from_best",
            Bug::InboundNeverSyncPeer => "inbound_never_sync_peer",
        }
    }

    /// The bug named `name` ([`Bug::name`]), if any.
    pub fn from_name(name: &str) -> Option<Bug> {
        Bug::ALL.into_iter().find(|bug| bug.name() == name)
    }
}

impl std::fmt::Display for Bug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether this build carries the deliberate bugs (cargo feature `deliberate-bugs`).
pub const COMPILED: bool = cfg!(feature = "deliberate-bugs");

/// A bug was asked for ([`crate::Config::set_deliberate_bug`]) in a build without the
/// `deliberate-bugs` feature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("deliberate bug `{0}` is not compiled in: build with `--features deliberate-bugs`")]
pub struct NotCompiled(pub Bug);

/// Whether `bug` is `active`, the deliberate bug a part of the node was configured with
/// ([`crate::Config::deliberate_bug()`]): the one question the node's code asks. Always `false`
/// without the `deliberate-bugs` feature, so a normal build carries none of the bugs.
#[inline]
pub(crate) fn is(active: Option<Bug>, bug: Bug) -> bool {
    #[cfg(feature = "deliberate-bugs")]
    {
        active == Some(bug)
    }
    #[cfg(not(feature = "deliberate-bugs"))]
    {
        let _ = (active, bug);
        false
    }
}

/// [`Bug::InboundNeverSyncPeer`], the rule before the fix: whether the initial-sync choice
/// refuses a peer that is not `outbound` because some outbound peer is preferred
/// (`preferred_peers` counts them; asked only while the bug is active). Kept here, with the
/// other bugs, so its expression is no behaviour of a normal build.
pub(crate) fn refuses_inbound_sync_peer(
    active: Option<Bug>,
    outbound: bool,
    preferred_peers: impl FnOnce() -> usize,
) -> bool {
    is(active, Bug::InboundNeverSyncPeer) && !outbound && preferred_peers() != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_distinct() {
        for bug in Bug::ALL {
            assert_eq!(Bug::from_name(bug.name()), Some(bug));
        }
        let mut names: Vec<&str> = Bug::ALL.iter().map(|b| b.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Bug::ALL.len());
        assert_eq!(Bug::from_name("no_such_bug"), None);
    }

    #[test]
    fn a_bug_is_active_only_where_configured_and_compiled() {
        assert_eq!(is(Some(Bug::EqualWorkReorg), Bug::EqualWorkReorg), COMPILED);
        assert!(!is(Some(Bug::EqualWorkReorg), Bug::IdleTimerNotReset));
        assert!(!is(None, Bug::EqualWorkReorg));
    }
}
