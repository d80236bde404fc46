//! What a shrunk scenario must keep failing ([`Target`]): an invariant, a fault that never
//! fires, or a typed expectation check.

use std::fmt;

use crate::harness::failure::{Check, Failure};
use crate::harness::runner::RunResult;

/// What a shrunk scenario must keep failing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// This invariant is violated ([`crate::harness::invariants::InvariantReport::name`]).
    Invariant(String),
    /// The configured fault with this label ([`crate::scenario::Fault::label`]) never fires.
    FaultNeverFired(String),
    /// An expectation fails: a failure of this [`Check`] is reported; `example` is the
    /// original run's sentence of it.
    Expectation {
        /// The expectation.
        check: Check,
        /// The original failure's sentence.
        example: String,
    },
}

impl Target {
    /// The target of a run: its earliest violated invariant; else, when its first failure is
    /// a fault that never fired, that fault; else its first failure's expectation. `None` when
    /// the run passed.
    pub fn of(result: &RunResult) -> Option<Target> {
        if let Some(name) = crate::tools::explore::first_violated_invariant(result) {
            return Some(Target::Invariant(name.to_string()));
        }
        let first = result.failures.first()?;
        match first {
            Failure::FaultNeverFired { label, .. } => Some(Target::FaultNeverFired(label.clone())),
            Failure::Expectation { check, .. } => Some(Target::Expectation {
                check: check.clone(),
                example: first.to_string(),
            }),
            Failure::Invariant(violation) => {
                Some(Target::Invariant(violation.invariant.to_string()))
            }
            Failure::SnapshotDiffers { .. } | Failure::NotDeterministic(_) => None,
        }
    }

    /// Whether `result` still fails this way (among any other failures).
    pub fn is_met_by(&self, result: &RunResult) -> bool {
        match self {
            Target::Invariant(name) => result
                .invariants
                .iter()
                .any(|r| r.name == name && r.violation.is_some()),
            Target::FaultNeverFired(label) => result
                .faults
                .iter()
                .any(|report| &report.label == label && report.fired_at_ms.is_none()),
            Target::Expectation { check, .. } => result
                .failures
                .iter()
                .any(|f| matches!(f, Failure::Expectation { check: other, .. } if other == check)),
        }
    }

    /// What the shrunk scenario does while the bug is present, as a verb phrase: `fails
    /// invariant `liveness``, `fails because fault `crash p1` never fires`, `fails the check
    /// `expect.tip_height``.
    pub fn verdict(&self) -> String {
        match self {
            Target::Invariant(name) => format!("fails invariant `{name}`"),
            Target::FaultNeverFired(label) => format!("fails because fault `{label}` never fires"),
            Target::Expectation { check, .. } => format!("fails the check `{check}`"),
        }
    }
}

impl fmt::Display for Target {
    /// The condition kept while shrinking: `invariant `liveness` fails`, `fault `crash p1`
    /// never fires`, `the check `...` fails`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Invariant(name) => write!(f, "invariant `{name}` fails"),
            Target::FaultNeverFired(label) => write!(f, "fault `{label}` never fires"),
            Target::Expectation { check, .. } => write!(f, "the check `{check}` fails"),
        }
    }
}
