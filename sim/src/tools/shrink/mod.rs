//! `sim shrink`: reduces a failing scenario to a smaller one that still fails the same way,
//! ready to be kept in `scenarios/regressions/` once the bug is fixed.
//!
//! * **Target.** The original is run once ([`run_scenario`](crate::harness::runner::run_scenario));
//!   what must keep failing is its [`Target`]: the earliest violated invariant
//!   ([`crate::tools::explore::first_violated_invariant`]) if there is one, else a configured fault
//!   that never fired (by its label) if that is the first failure, else the first failure's
//!   expectation, a typed [`Check`](crate::harness::failure::Check) (so a tip height that moves as
//!   chains shrink still matches `expect.tip_height`). A candidate keeps the target when *some*
//!   violated invariant (or failure) matches it, not necessarily the first.
//! * **Greedy reduction.** [`candidates`] lists single edits of the current scenario, those that
//!   remove most first ([`EditKind`]): remove a peer (with its faults, its `connect`, `addresses`,
//!   `noban` and checkpoint entries and its expectations; never the last peer), remove a fault
//!   step, cut a fault's `for_ms` (to [`FOR_MS_MIN`], else by half) or its `at_ms` (to 0, else by
//!   half), zero a peer's `headers_delay_ms` or `version_delay_ms`, let the node dial a peer that
//!   dialled it, shorten a regtest or mainnet chain (to its lowest height, else half, −500, −100,
//!   −1 and cuts of a quarter, an eighth, ... of the way down, shortest first; never below height 1
//!   nor down to its fork point) or drop its fork or move the fork point down (half, −1), shorten
//!   `duration_s` (to 1 s, else half, else −10 %), and narrow the latencies (`latency_ms_max` to
//!   `latency_ms_min`, `latency_ms_min` to 1). The most drastic cut of each kind comes first: when
//!   it keeps the failure, the halvings are skipped. Simplifications come between the cuts
//!   (`simplify.rs`): a script loses its second half, its last step or any one step, a `repeat`
//!   runs fewer rounds and a delay shortens; a preset misbehaviour moves to its first batch; a
//!   fault weakens (latency, loss, skew, ban and message delay halved, a message fault on the
//!   first message); the node's checkpoints, NoBan entries, inbound limit and minimum chain work
//!   go one at a time, and an automatic connection becomes manual. A misbehaving peer is never
//!   made honest (another run, not a smaller one) and the node's timers never change. Each
//!   candidate is written as JSON and read back
//!   ([`Scenario::parse`](crate::scenario::Scenario::parse)); one that does not validate or reads
//!   back differently is skipped without a run, and one identical to a candidate that already ran
//!   and failed to reproduce is not run again. A candidate is kept if its run meets the target; a
//!   run that returns a harness error or panics does not reproduce. After a kept edit the list is
//!   rebuilt from the new scenario and the pass goes on with the next untried edit (the kept one's
//!   offset within its kind, or the next kind when that kind has no more edits); a whole pass that
//!   keeps nothing is a fixpoint.
//! * **Budget.** At most [`ShrinkOptions::runs_max`] candidate runs (the original's run not
//!   counted); [`Shrunk::fixpoint_reached`] says whether the reduction finished.
//! * **One thread.** Every run happens on the calling thread, one after another, so state the
//!   caller set in thread-locals applies to all of them: a deliberate node bug selected with
//!   [`crate::harness::bug::set_active`] is active in every run. Nothing here reads the wall
//!   clock or iterates a hash map: the same scenario gives the same shrunk scenario.
//!
//! | file | holds |
//! |---|---|
//! | `target.rs` | [`Target`], what must keep failing |
//! | `edits.rs` | [`candidates`], the single edits |
//! | `simplify.rs` | the edits that simplify a behaviour, a fault or the node's options |
//! | `search.rs` | [`shrink`], the greedy loop, and what it returns ([`Shrunk`]) |
//! | `size.rs` | [`Size`], for the before/after summary |
//! | `output.rs` | JSON written and read back, the file name, the file |
//! | `error.rs` | [`ShrinkError`] |

mod edits;
mod error;
#[cfg(test)]
mod fixtures;
mod output;
mod search;
mod simplify;
mod size;
mod target;

pub use edits::{
    all_chains_shorter, candidates, remove_peer, shorter_chains, Candidate, EditKind, FOR_MS_MIN,
};
pub use error::ShrinkError;
pub use output::{output_path, sanitize_name, to_json, write_scenario};
pub use search::{shrink, ShrinkOptions, Shrunk, RUNS_MAX_DEFAULT};
pub use size::Size;
pub use target::Target;
