//! Deterministic simulation harness for the `node` crate: runs the unchanged node inside
//! turmoil's simulated network against scripted fake peers (btcd or Bitcoin Core profile),
//! records a deterministic trace, and checks the outcome against a scenario's expectations.
//!
//! # Module map
//!
//! Five rooms, each a folder: [`scenario`] says what a run is, [`peers`] are the node's
//! counterparts inside it, [`harness`] runs it and judges it, [`tools`] are the `sim` commands
//! built on the harness, [`real`] holds the real processes (bitcoind, the node binary) and the
//! blocking P2P client some tools hold the node up against (never used inside a simulation). Kind: **tokio**, async code that runs inside the simulation (or on
//! real TCP); **synchronous**, plain functions and state machines; **data**, types and their
//! serde forms. No module imports one that imports it back, directly or through others; a
//! module split into files (a folder with a `mod.rs`) keeps its public items at its own path,
//! and its `mod.rs` says which file holds what. The `sim` binary (`main.rs`) parses the command
//! line and calls [`tools::commands`].
//!
//! | module | kind | holds |
//! |---|---|---|
//! | [`error`] | data | [`SimError`], the harness's own errors (files, fixtures, data folder, turmoil) |
//! | **`scenario/`: what a run is** | | |
//! | [`scenario`] | data | the JSON scenario format (serde, unknown fields rejected): the node, the peers and their behaviours (presets, scripts, a recorded peer to replay), the faults, the expectations; its loader and validation |
//! | [`scenario::builder`] | data | the same scenarios in typed Rust: a builder producing the value the loader produces, validated the same way |
//! | [`scenario::chain`] | synchronous | chain fixtures: real mainnet 0..=1111 carried in the repo, real header and block files from `../shared/data` (from genesis or mid-chain), seeded regtest chains with forks |
//! | **`peers/`: the node's counterparts** | | |
//! | [`peers::fake_peer`] | tokio | fake btcd and Core peers: honest serving, preset misbehaviours, step-by-step scripts |
//! | [`peers::replay`] | tokio | the recorded real peer's side, replayed keyed to the node's requests |
//! | **`harness/`: running a scenario and judging the run** | | |
//! | [`harness::runner`] | synchronous | builds the turmoil world from a scenario, applies timed faults (link, host and `ban` faults), runs it |
//! | [`harness::net`] | tokio | [`harness::net::TurmoilNetwork`], the node's `Network` trait over turmoil's TCP |
//! | [`harness::trace`] | synchronous | the recorder: trace lines (text and JSON), digest, per-connection bookkeeping |
//! | [`harness::sink`] | synchronous | [`harness::sink::SimSink`], the node's event sink in the simulator: every event to the trace and the invariant checker |
//! | [`harness::bug`] | data | the deliberate node bug `--bug` selected for the calling thread's runs (test-only feature `deliberate-bugs`); the runner puts it in the node's configuration |
//! | [`harness::faults`] | synchronous | what each configured fault did and whether it fired ([`harness::faults::FaultReport`]); the faults a fake peer applies to its own messages |
//! | [`harness::invariants`] | synchronous | the invariants checked on every run (safety, liveness, deadlines, each profile's rules, consensus re-checked independently, what the node read against what peers wrote) and their [`harness::invariants::Violation`]s |
//! | [`harness::outcome`] | synchronous | the [`Outcome`] snapshot and the expectation checks |
//! | [`harness::outcome_query`] | synchronous | typed questions tests ask of an outcome and a run (a host's connections, messages, disconnect) |
//! | [`harness::failure`] | data | why a run failed, typed: [`harness::failure::Failure`] (expectation, invariant, unfired fault) and the [`harness::failure::Check`] it concerns |
//! | [`harness::suite`] | synchronous | the suite's scenario files (scenarios, then regressions) and the check each gets (expectations, two runs with identical traces), shared by `sim suite` and the `scenarios` test |
//! | **`tools/`: the `sim` commands** | | |
//! | [`tools::commands`] | synchronous | what each `sim` command does once `main.rs` has parsed its arguments: runs the library, prints, returns the exit code (`run`, `suite` and its table, `explore`, `shrink`, `check-determinism`, `serve`, `record`, `bench`) |
//! | [`tools::explore`] | synchronous | `sim explore`: runs the generated scenarios of a seed range (partitioned, on worker threads) and collects the failing seeds |
//! | [`tools::generator`] | synchronous | `generate(seed) -> Scenario`: a random scenario per seed, for `sim explore` |
//! | [`tools::reach`] | synchronous | reachability: the named behaviours a run reached (disconnect and header rejection kinds, faults fired, presync, deep reorgs, connection types, restarts) and, over a sweep, how many seeds reached each and which none did |
//! | [`tools::shrink`] | synchronous | `sim shrink`: greedy reduction of a failing scenario (peers, faults, fault times, chains, duration, latencies; simpler scripts, misbehaviours, faults and node options) to a smaller one that fails the same invariant or check |
//! | [`tools::determinism`] | synchronous | `sim check-determinism`: one scenario in several processes, traces compared line by line |
//! | [`tools::record`] | tokio | `sim record`: a real-TCP proxy that captures a live session into a scenario |
//! | [`tools::report`] | synchronous | `sim run --html`: one self-contained HTML page per run (sequence diagram, fault spans, disconnects, tip chart, invariants, failed expectations) |
//! | [`tools::bench`] | synchronous | `sim bench`: import rate against hashing plus a bare SQLite append, sync against bitcoind, a 900,000-header sync, simulation speed against bare turmoil, exploration rate, suite time |
//! | [`tools::wire_fuzz`] | synchronous | `sim wire-fuzz`: seeded almost-right frames to Bitcoin Core's bitcoind and to the node binary (`--profile core`), observations compared |
//! | [`tools::conform`] | synchronous | `sim conform`: a core scenario's fake peers' bytes played to bitcoind in step with its mock clock, compared with the simulated node; the manifest of checked and excluded scenarios |
//! | [`tools::draw`] | synchronous | uniform draws from a seeded `ChaCha8Rng`, shared by the generators |
//! | **`real/`: real processes, real TCP** | | |
//! | [`real`] | synchronous | [`real::Bitcoind`] (regtest, loopback, RPC), [`real::NodeProcess`], [`real::WireClient`] |
//! | [`tools::bench::bitcoind`] | tokio | header sync timed side by side: our `node` binary and a real `bitcoind` syncing the same regtest chain from the same fake peer on loopback TCP |
//!
//! Determinism: turmoil's seed, epoch, tick and duration always come from the scenario; the
//! node's rng is seeded from it; time is turmoil's; the trace carries host names, peer ids and
//! simulated milliseconds only. The same scenario and seed give a byte-identical trace.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod error;
pub mod harness;
pub mod peers;
pub mod real;
pub mod scenario;
pub mod tools;

/// The README's Rust code blocks (its builder example), compiled and run as doctests:
/// `cargo test --release -p sim --doc`.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

pub use error::SimError;
pub use harness::outcome::Outcome;
pub use harness::runner::{run_scenario, RunResult};
pub use scenario::Scenario;
