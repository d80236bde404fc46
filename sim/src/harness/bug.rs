//! The deliberate node bug (`--bug NAME`, [`node::deliberate_bugs`]) selected for the runs of
//! the calling thread.
//!
//! The node reads its bug from its configuration only ([`node::Config::deliberate_bug()`]); the
//! selection lives here, in the harness. A turmoil world runs every host on the calling
//! thread, and [`crate::run_scenario`] puts this thread's selection into the configuration of
//! the node it builds, so a bug selected before a run applies to exactly the runs of that
//! thread: `sim explore --jobs N` selects it on each worker, and test threads running side by
//! side do not see each other's choice.

use std::cell::Cell;

use node::deliberate_bugs::{Bug, NotCompiled, COMPILED};

thread_local! {
    static SELECTED: Cell<Option<Bug>> = const { Cell::new(None) };
}

/// Selects `bug` for the runs of the calling thread (`None`: no bug).
///
/// # Errors
/// [`NotCompiled`] when `bug` is `Some` in a build without the `deliberate-bugs` feature.
pub fn set_active(bug: Option<Bug>) -> Result<(), NotCompiled> {
    if let Some(bug) = bug.filter(|_| !COMPILED) {
        return Err(NotCompiled(bug));
    }
    SELECTED.with(|selected| selected.set(bug));
    Ok(())
}

/// The bug selected for the runs of the calling thread; always `None` without the feature.
pub fn active() -> Option<Bug> {
    SELECTED.with(Cell::get)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_follows_the_build_and_stays_on_its_thread() {
        let result = set_active(Some(Bug::EqualWorkReorg));
        if COMPILED {
            assert_eq!(result, Ok(()));
            assert_eq!(active(), Some(Bug::EqualWorkReorg));
            let other = std::thread::spawn(active).join().expect("the thread runs");
            assert_eq!(other, None);
            set_active(None).expect("clearing needs no feature");
        } else {
            assert_eq!(result, Err(NotCompiled(Bug::EqualWorkReorg)));
        }
        assert_eq!(active(), None);
    }
}
