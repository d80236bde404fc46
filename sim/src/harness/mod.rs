//! Running a scenario: the turmoil world, the node's network and event sink, the trace, the
//! faults, the invariants, the outcome and its checks, and the suite's run-twice check.

pub mod bug;
pub mod failure;
pub mod faults;
pub mod invariants;
pub mod net;
pub mod outcome;
pub mod outcome_query;
pub mod runner;
pub mod sink;
pub mod suite;
pub mod trace;
pub mod trace_expect;
