//! Deliberate bugs, for measuring how good the simulator is at finding real ones.
//!
//! Each [`Bug`] is a small, plausible mistake in the node's protocol logic (an off-by-one, a
//! missing deadline, a comparison with `>=` for `>`). They are compiled in only with the
//! test-only cargo feature `deliberate-bugs`; without it [`set_active`] refuses every bug and
//! each check below is the constant `false`, so a normal build carries none of them.
//!
//! At most one bug is active at a time, chosen per thread with [`set_active`]: the simulator
//! runs the whole node (every host of a turmoil world) on the calling thread, so a bug chosen
//! before a run applies to exactly that run, and test threads running side by side do not see
//! each other's choice. The `node` binary never selects one.
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

/// [`set_active`] was asked for a bug in a build without the `deliberate-bugs` feature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("deliberate bug `{0}` is not compiled in: build with `--features deliberate-bugs`")]
pub struct NotCompiled(pub Bug);

#[cfg(feature = "deliberate-bugs")]
thread_local! {
    static ACTIVE: std::cell::Cell<Option<Bug>> = const { std::cell::Cell::new(None) };
}

/// Makes `bug` the active deliberate bug of the calling thread (`None`: no bug).
///
/// # Errors
/// [`NotCompiled`] when `bug` is `Some` in a build without the `deliberate-bugs` feature.
pub fn set_active(bug: Option<Bug>) -> Result<(), NotCompiled> {
    #[cfg(feature = "deliberate-bugs")]
    {
        ACTIVE.with(|active| active.set(bug));
        Ok(())
    }
    #[cfg(not(feature = "deliberate-bugs"))]
    match bug {
        Some(bug) => Err(NotCompiled(bug)),
        None => Ok(()),
    }
}

/// The calling thread's active deliberate bug; always `None` without the feature.
pub fn active() -> Option<Bug> {
    #[cfg(feature = "deliberate-bugs")]
    {
        ACTIVE.with(std::cell::Cell::get)
    }
    #[cfg(not(feature = "deliberate-bugs"))]
    None
}

/// Whether `bug` is active on the calling thread: the one question the node's code asks.
#[inline]
pub(crate) fn is(bug: Bug) -> bool {
    #[cfg(feature = "deliberate-bugs")]
    {
        active() == Some(bug)
    }
    #[cfg(not(feature = "deliberate-bugs"))]
    {
        let _ = bug;
        false
    }
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
    fn selection_follows_the_build() {
        let result = set_active(Some(Bug::EqualWorkReorg));
        if COMPILED {
            assert_eq!(result, Ok(()));
            assert!(is(Bug::EqualWorkReorg));
            assert!(!is(Bug::IdleTimerNotReset));
            set_active(None).unwrap();
            assert!(!is(Bug::EqualWorkReorg));
        } else {
            assert_eq!(result, Err(NotCompiled(Bug::EqualWorkReorg)));
            assert!(!is(Bug::EqualWorkReorg));
        }
    }
}
