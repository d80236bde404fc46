//! Invariants checked on every run, whatever the scenario expects: safety of the header store
//! and the best chain, liveness once faults stop, and the node's deadlines and disconnect
//! reasons. A broken invariant is a [`Violation`] naming the invariant, the simulated time and
//! the seed.

use serde::Serialize;

/// A broken invariant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// The invariant's name (one of [`InvariantReport::name`]).
    pub invariant: &'static str,
    /// Simulated milliseconds since the start of the run at which it was seen broken.
    pub at_ms: u64,
    /// The run's seed.
    pub seed: u64,
    /// What was seen, in one sentence.
    pub message: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invariant `{}` violated at {} ms (seed {}): {}", self.invariant, self.at_ms, self.seed, self.message)
    }
}

/// How one invariant fared in a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvariantReport {
    /// Its name, in snake case (`tip_work_never_decreases`).
    pub name: &'static str,
    /// What it asserts, in one sentence.
    pub description: &'static str,
    /// Whether it applied to this run (liveness needs an honest reachable peer and enough
    /// simulated time after the last fault); an invariant that did not apply passes.
    pub applied: bool,
    /// The first violation seen, if any.
    pub violation: Option<Violation>,
}
