//! Deterministic simulation harness for the `node` crate: runs the unchanged node inside
//! turmoil's simulated network against scripted fake peers (btcd or Bitcoin Core profile),
//! records a deterministic trace, and checks the outcome against a scenario's expectations.
//!
//! # Module map
//!
//! | module | holds |
//! |---|---|
//! | [`bench`] | `sim bench`: import rate against hashing plus a bare SQLite append, sync against bitcoind, a 900,000-header sync, simulation speed against bare turmoil, exploration rate, suite time |
//! | [`scenario`] | the JSON scenario format (serde, unknown fields rejected) and its loader |
//! | [`builder`] | the same scenarios in typed Rust: a builder producing the value the loader produces, validated the same way |
//! | [`chain`] | chain fixtures: real mainnet 0..=1111 carried in the repo, real header and block files from `../shared/data` (from genesis or mid-chain), seeded regtest chains with forks |
//! | [`fake_peer`] | fake btcd and Core peers: honest serving, preset misbehaviours, step-by-step scripts |
//! | [`failure`] | why a run failed, typed: [`failure::Failure`] (expectation, invariant, unfired fault) and the [`failure::Check`] it concerns |
//! | [`faults`] | what each configured fault did and whether it fired ([`faults::FaultReport`]) |
//! | [`invariants`] | the invariants checked on every run and their [`invariants::Violation`]s |
//! | [`net`] | [`net::TurmoilNetwork`], the node's `Network` trait over turmoil's TCP |
//! | [`trace`] | the recorder: trace lines (text and JSON), digest, per-connection bookkeeping |
//! | [`outcome`] | the [`outcome::Outcome`] snapshot and the expectation checks |
//! | [`outcome_query`] | typed questions tests ask of an outcome and a run (a host's connections, messages, disconnect) |
//! | [`bug`] | the deliberate node bug `--bug` selected for the calling thread's runs; the runner puts it in the node's configuration |
//! | [`runner`] | builds the turmoil world from a scenario, applies timed faults (link, host and `ban` faults), runs it |
//! | [`record`] | `sim record`: a real-TCP proxy that captures a live session into a scenario |
//! | [`replay`] | the recorded real peer's side, replayed keyed to the node's requests |
//! | [`generator`] | `generate(seed) -> Scenario`: a random scenario per seed, for `sim explore` |
//! | [`explore`] | `sim explore`: runs the generated scenarios of a seed range (partitioned, on worker threads) and collects the failing seeds |
//! | [`shrink`] | `sim shrink`: greedy reduction of a failing scenario (peers, faults, fault times, chains, duration, latencies) to a smaller one that fails the same invariant or check |
//! | [`suite`] | the suite's scenario files (scenarios, then regressions) and the check each gets (expectations, two runs with identical traces), shared by `sim suite` and the `scenarios` test |
//! | [`determinism`] | `sim check-determinism`: one scenario in several processes, traces compared line by line |
//! | [`bench_bitcoind`] | header sync timed side by side: our `node` binary and a real `bitcoind` syncing the same regtest chain from the same fake peer on loopback TCP |
//! | [`report`] | `sim run --html`: one self-contained HTML page per run (sequence diagram, fault spans, disconnects, tip chart, invariants, failed expectations) |
//!
//! Determinism: turmoil's seed, epoch, tick and duration always come from the scenario; the
//! node's rng is seeded from it; time is turmoil's; the trace carries host names, peer ids and
//! simulated milliseconds only. The same scenario and seed give a byte-identical trace.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod bench;
pub mod bench_bitcoind;
pub mod bug;
pub mod builder;
pub mod chain;
pub mod determinism;
pub mod explore;
pub mod failure;
pub mod fake_peer;
pub mod faults;
pub mod generator;
pub mod invariants;
pub mod net;
pub mod outcome;
pub mod outcome_query;
pub mod record;
pub mod replay;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod shrink;
pub mod suite;
pub mod trace;

/// The README's Rust code blocks (its builder example), compiled and run as doctests:
/// `cargo test --release -p sim --doc`.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

pub use outcome::Outcome;
pub use runner::{run_scenario, RunResult};
pub use scenario::Scenario;

/// Errors of the harness itself (not of the node under test, whose misbehaviour shows up as
/// failed expectations).
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// A scenario file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A scenario file is not valid: names the file, the field path and the problem.
    #[error("{path}: {field}: {message}")]
    Scenario {
        /// The file.
        path: String,
        /// Path of the offending field (`peers[0].behaviour`), or `-` for the whole file.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A chain fixture could not be built.
    #[error("chain fixture: {0}")]
    Fixture(String),
    /// The node's data folder could not be prepared or read.
    #[error("node data folder: {0}")]
    Datadir(String),
    /// turmoil reported a failure (a host's software returned an error or panicked).
    #[error("simulation: {0}")]
    Simulation(String),
}
