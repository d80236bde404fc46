//! Faults: what a scenario's timed fault steps did, and whether each one fired.

use serde::Serialize;

/// One configured fault and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FaultReport {
    /// Its index in the scenario's `faults` list.
    pub index: usize,
    /// A short label: `partition node p1`, `drop headers #2 from p1`, `crash node`.
    pub label: String,
    /// The hosts it concerns (one or two).
    pub hosts: Vec<String>,
    /// When it was applied (link and host faults) or armed (message and clock faults), in
    /// simulated milliseconds since the start.
    pub start_ms: u64,
    /// When its effect ended (the repair, release, restart or restore of a fault with
    /// `for_ms`), if it has an end within the run.
    pub end_ms: Option<u64>,
    /// When it took effect: for a link or host fault the moment it was applied; for a message
    /// fault the moment its message was altered; for a clock fault the first skewed message.
    /// `None`: it never fired, which fails the scenario.
    pub fired_at_ms: Option<u64>,
}
