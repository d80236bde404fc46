//! `sim`: run one scenario or the whole suite.
//!
//! ```text
//! cargo run --release -p sim -- run scenarios/NAME.json [--seed N] [--trace] [--json] [--html PATH]
//! cargo run --release -p sim -- suite [--dir scenarios] [--snapshots snapshots]
//! cargo run --release -p sim -- record --upstream HOST:PORT --network regtest --out FILE.json
//! cargo run --release -p sim -- explore --seeds 0..1000 [--jobs N] [--partition K/N] [--out DIR] [--stop-after-failures M]
//! cargo run --release -p sim -- check-determinism scenarios/NAME.json --runs N [--seed S]
//! cargo run --release -p sim -- shrink FILE.json [--out scenarios/regressions] [--name NAME] [--runs-max 400] [--force]
//! ```

#![deny(missing_docs)]
#![forbid(unsafe_code)]

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use node::deliberate_bugs::Bug;
use sim::tools::commands;

/// Deterministic simulation of the header-sync node against scripted fake btcd peers.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Run the node with this deliberate bug active (`run`, `explore`, `shrink`,
    /// `check-determinism`); needs a build with `--features deliberate-bugs`. Names:
    /// boundary_off_by_one, stall_deadline_never_set, rejected_batch_stored,
    /// locator_without_doubling, equal_work_reorg, ping_nonce_unchecked,
    /// redial_without_backoff, idle_timer_not_reset, follow_up_from_best,
    /// inbound_never_sync_peer.
    #[arg(long, global = true, value_name = "NAME", value_parser = parse_bug)]
    bug: Option<Bug>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run one scenario and print its outcome.
    Run {
        /// The scenario file.
        scenario: PathBuf,
        /// Override the scenario's seed.
        #[arg(long)]
        seed: Option<u64>,
        /// Print the trace before the outcome.
        #[arg(long)]
        trace: bool,
        /// Print the trace as JSON lines instead of text (with --trace).
        #[arg(long)]
        json: bool,
        /// Also write a self-contained HTML page of the run (sequence diagram, faults,
        /// disconnects, tip chart, invariants) to this file.
        #[arg(long, value_name = "PATH")]
        html: Option<PathBuf>,
        /// Write the whole trace as JSON lines to this file (used by `check-determinism`).
        #[arg(long, hide = true, value_name = "FILE")]
        trace_out: Option<PathBuf>,
    },
    /// Run the generated scenario of every seed in a range and report the failing seeds.
    ///
    /// Each failing seed's scenario is written to DIR/explore-<seed>.json, and `sim run` on that
    /// file reproduces the run. Exit code 0: every seed passed; 1: some failed; 2: bad
    /// arguments or an I/O error.
    Explore {
        /// The seeds: A..B (B excluded) or A..=B (B included).
        #[arg(long, value_name = "A..B")]
        seeds: sim::tools::explore::SeedRange,
        /// Worker threads, each running one simulation at a time [default: the number of
        /// available cores].
        #[arg(long, value_name = "N", value_parser = parse_at_least_one)]
        jobs: Option<NonZeroUsize>,
        /// Run only partition K of N: the i-th seed of the range (from 0) belongs to partition
        /// (i mod N) + 1, as in `cargo nextest run --partition count:K/N`.
        #[arg(long, value_name = "K/N")]
        partition: Option<sim::tools::explore::Partition>,
        /// Where failing seeds' scenarios are written (created if missing).
        #[arg(long, value_name = "DIR", default_value = "target/explore")]
        out: PathBuf,
        /// Stop after M failures; the report then covers the seeds up to the M-th failing one.
        #[arg(long, value_name = "M", value_parser = parse_at_least_one)]
        stop_after_failures: Option<NonZeroUsize>,
    },
    /// Shrink a failing scenario to a smaller one that still fails the same way.
    ///
    /// Runs FILE; the earliest violated invariant (else a fault that never fired, else the
    /// first failed check) is what must keep failing. Then tries single edits one at a time
    /// (remove a peer or a fault step, cut a fault's for_ms or at_ms, zero a peer's delays,
    /// let the node dial a peer that dialled it, shorten chains, duration and latencies) and
    /// keeps each that still fails, until none does or --runs-max runs are used. Writes
    /// DIR/NAME.json. With --bug, every run has that deliberate bug active, and the shrunk
    /// scenario is run once more without it. Exit code 0: written (and, with --bug, it passes
    /// without the bug); 1: written, but with --bug it also fails without the bug; 2: FILE
    /// passes, cannot be read or its run does not complete, the output exists (without
    /// --force), or it cannot be written.
    Shrink {
        /// The failing scenario file (for example target/explore/explore-4711.json).
        scenario: PathBuf,
        /// Folder of the shrunk scenario (created if missing).
        #[arg(long, value_name = "DIR", default_value = "scenarios/regressions")]
        out: PathBuf,
        /// File stem of the shrunk scenario, reduced to [a-z0-9_] [default: FILE's stem +
        /// "_shrunk"].
        #[arg(long)]
        name: Option<String>,
        /// The most candidate runs (each a whole simulation).
        #[arg(long, value_name = "N", default_value_t = sim::tools::shrink::RUNS_MAX_DEFAULT)]
        runs_max: usize,
        /// Overwrite DIR/NAME.json if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Run one scenario in several separate processes and compare their traces line by line.
    ///
    /// Exit code 0: identical traces; 1: they differ (the first differing line is printed);
    /// 2: bad arguments, or a run that could not be started or crashed.
    CheckDeterminism {
        /// The scenario file.
        scenario: PathBuf,
        /// How many processes (at least 2).
        #[arg(long, value_parser = clap::value_parser!(u32).range(2..))]
        runs: u32,
        /// Override the scenario's seed.
        #[arg(long)]
        seed: Option<u64>,
    },
    /// Serve a chain fixture as a fake btcd peer on real TCP (for trying the `node` binary).
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:18444")]
        listen: String,
        /// The chain as scenario JSON, e.g. '{"mainnet":{}}' or '{"regtest":{"height":4500,"seed":1}}'.
        #[arg(long, default_value = r#"{"mainnet":{}}"#)]
        chain: String,
        /// A behaviour name (`honest`, `answers_pings_only`, ...) or behaviour JSON.
        #[arg(long, default_value = "honest")]
        behaviour: String,
    },
    /// Record a live session between the node and a real peer into a replayable scenario.
    ///
    /// Start this, then point the node's `--connect` at `--listen`; it dials `--upstream`,
    /// relays every byte both ways and writes the scenario when the session ends (either side
    /// closes, `--duration-s` passes, or Ctrl-C).
    Record {
        /// Address the node dials.
        #[arg(long, default_value = "127.0.0.1:18500")]
        listen: String,
        /// The real peer.
        #[arg(long)]
        upstream: String,
        /// The session's network: mainnet, testnet, signet or regtest.
        #[arg(long, value_parser = parse_network_name)]
        network: sim::scenario::NetworkName,
        /// Where to write the scenario.
        #[arg(long)]
        out: PathBuf,
        /// Stop recording this many seconds after the node connects.
        #[arg(long)]
        duration_s: Option<u64>,
        /// The live node's data folder (fresh: the replay starts from genesis). Its stored tip,
        /// read when the recording ends, becomes the scenario's expected tip.
        #[arg(long)]
        node_datadir: Option<PathBuf>,
        /// Host name of the replaying peer in the scenario.
        #[arg(long, default_value = "recorded")]
        peer_name: String,
    },
    /// Turn Bitcoin Core's message capture of one peer (`bitcoind -capturemessages`) into a
    /// replay scenario.
    ///
    /// `--replay peer` (default): the captured peer's messages replay and the node stands
    /// where bitcoind stood (a real peer's messages as a regression test for the node; the
    /// expected tip, if given, is checked). `--replay bitcoind`: bitcoind's own messages
    /// replay and the node stands where the peer stood, when the peer was a header-syncing
    /// node; the node must then send the commands the peer sent, in order.
    ImportCapture {
        /// bitcoind's -datadir, its network folder (e.g. DATADIR/regtest), its
        /// message_capture folder or the peer's own capture folder.
        dir: PathBuf,
        /// The captured peer's address as bitcoind names it (`127.0.0.1:18444`; the folder
        /// is `127.0.0.1_18444`).
        #[arg(long)]
        peer: String,
        /// Which side replays: `peer` or `bitcoind`.
        #[arg(long, default_value = "peer", value_parser = parse_replay)]
        replay: sim::tools::capture::Replay,
        /// The capture's network: mainnet, testnet, signet or regtest.
        #[arg(long, value_parser = parse_network_name)]
        network: sim::scenario::NetworkName,
        /// The node's profile in the scenario: btcd or core.
        #[arg(long, default_value = "core", value_parser = parse_profile_name)]
        profile: sim::scenario::ProfileName,
        /// Where to write the scenario.
        #[arg(long)]
        out: PathBuf,
        /// Host name of the replaying peer in the scenario.
        #[arg(long, default_value = "captured")]
        peer_name: String,
        /// The expected final tip's height (with --tip-hash).
        #[arg(long, requires = "tip_hash")]
        tip_height: Option<u32>,
        /// The expected final tip's hash (with --tip-height).
        #[arg(long, requires = "tip_height")]
        tip_hash: Option<String>,
    },
    /// Measure every performance figure against its comparison (header import against
    /// hashing plus a bare SQLite append, sync against bitcoind, a 900,000-header sync,
    /// simulation speed against bare turmoil, exploration rate, suite time); print a table
    /// and write the same figures as JSON. Nothing is asserted: the targets are printed.
    Bench {
        /// Smaller sizes and one repetition (under a minute): proves the command works.
        #[arg(long)]
        quick: bool,
        /// Repetitions of each timed figure; the median is reported (default 3, 1 with
        /// `--quick`).
        #[arg(long)]
        repeats: Option<u32>,
        /// Raw 80-byte mainnet headers from genesis.
        #[arg(long, default_value = "../shared/data/headers/mainnet_0-10236.bin")]
        mainnet_headers: PathBuf,
        /// The scenario folder (the suite, and `bench/soak_24h_8_peers.json`).
        #[arg(long, default_value = "scenarios")]
        scenarios: PathBuf,
        /// The bitcoind to sync side by side with (installed by scripts/install-bitcoind.sh).
        #[arg(long, default_value = ".tools/bitcoind/bin/bitcoind")]
        bitcoind: PathBuf,
        /// The node binary (default: `node` beside this `sim` binary).
        #[arg(long)]
        node: Option<PathBuf>,
        /// Also time the README's test command (scripts/test), after an untimed build.
        #[arg(long)]
        with_tests: bool,
        /// Where to write the figures as JSON.
        #[arg(long, default_value = "target/bench.json")]
        json_out: PathBuf,
        /// Run only this section (import, bitcoind, sync, speed, explore, suite); repeat for
        /// several. Default: all.
        #[arg(long, value_parser = ["import", "bitcoind", "sync", "speed", "explore", "suite"])]
        only: Vec<String>,
    },
    /// Play core scenarios' scripted peers to Bitcoin Core's bitcoind (regtest, mock clock)
    /// and compare what it did with what the node's core profile did in the simulator: the
    /// commands sent to each peer, whether and when each connection was closed, the best
    /// header. Exit code 0: all agree; 1: some differ; 2: a scenario, the manifest or bitcoind
    /// is unusable.
    Conform {
        /// Scenario files [default: every one the manifest marks as checked].
        scenarios: Vec<PathBuf>,
        /// The catalog folder (the manifest must account for each of its `*_core.json`).
        #[arg(long, default_value = "scenarios")]
        dir: PathBuf,
        /// The manifest of checked and excluded core scenarios.
        #[arg(long, default_value = "scenarios/conformance/manifest.json")]
        manifest: PathBuf,
        /// Bitcoin Core's bitcoind [default: $HEADERSIM_CORE_BITCOIND, else
        /// .tools/bitcoin-core/bin/bitcoind].
        #[arg(long)]
        bitcoind: Option<PathBuf>,
        /// Worker threads, each checking one scenario at a time against its own bitcoind.
        #[arg(long, default_value_t = 4)]
        jobs: usize,
    },
    /// The differential wire fuzzer: seeded almost-right frames, each on a fresh connection
    /// after a handshake, to Bitcoin Core's bitcoind and to the node binary with
    /// `--profile core`; what each did (ping answered, closed or silent; a reject; the headers
    /// stored; a new connection accepted) is compared. Exit code 0: all agreed; 1: some
    /// disagreed (each printed with its seed, index and hex); 2: the run could not compare.
    WireFuzz {
        /// The run's seed; case I is the same for the same seed on every machine.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Cases 0..N.
        #[arg(long, default_value_t = 500)]
        cases: u64,
        /// Run only case I (to reproduce a disagreement).
        #[arg(long, value_name = "I")]
        case: Option<u64>,
        /// Worker threads, each running one case at a time against both.
        #[arg(long, default_value_t = 4)]
        jobs: usize,
        /// Bitcoin Core's bitcoind [default: $HEADERSIM_CORE_BITCOIND, else
        /// .tools/bitcoin-core/bin/bitcoind from scripts/install-bitcoin-core.sh].
        #[arg(long)]
        bitcoind: Option<PathBuf>,
        /// The node binary [default: `node` beside this `sim` binary].
        #[arg(long)]
        node: Option<PathBuf>,
        /// Print a line per case (what it was, what bitcoind did) before the report.
        #[arg(long)]
        show_cases: bool,
    },
    /// One size of `sim bench`'s sync section, in its own process (so its peak RSS is its
    /// own): prints one JSON line.
    #[command(hide = true)]
    BenchSync {
        /// Regtest headers to sync.
        #[arg(long)]
        headers: u32,
    },
    /// Run every scenario in a folder, and the regressions in its `regressions/` subfolder,
    /// twice each (the traces must be identical; `sim::harness::suite::check`), and print a table.
    Suite {
        /// The folder of scenario files; `DIR/regressions/*.json` (if any) run too.
        #[arg(long, default_value = "scenarios")]
        dir: PathBuf,
        /// The folder of reviewed insta snapshots each outcome must equal (`NAME.snap`; a
        /// regression's is `regressions/NAME.snap`).
        #[arg(long, default_value = "snapshots")]
        snapshots: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The simulations of `run` and `shrink` run on this thread; `explore` selects the bug on
    // each worker, and `check-determinism` passes it on to its processes.
    if let Err(error) = sim::harness::bug::set_active(cli.bug) {
        eprintln!("error: {error}");
        return ExitCode::from(2);
    }
    let bug = cli.bug;
    match cli.command {
        Command::Run {
            scenario,
            seed,
            trace,
            json,
            trace_out,
            html,
        } => commands::run_one(
            &scenario,
            seed,
            trace,
            json,
            trace_out.as_deref(),
            html.as_deref(),
        ),
        Command::Explore {
            seeds,
            jobs,
            partition,
            out,
            stop_after_failures,
        } => commands::explore(seeds, jobs, partition, out, stop_after_failures, bug),
        Command::CheckDeterminism {
            scenario,
            runs,
            seed,
        } => commands::check_determinism(&scenario, runs, seed, bug),
        Command::Shrink {
            scenario,
            out,
            name,
            runs_max,
            force,
        } => commands::shrink(&scenario, &out, name.as_deref(), runs_max, force),
        Command::Suite { dir, snapshots } => commands::suite(&dir, &snapshots),
        Command::Serve {
            listen,
            chain,
            behaviour,
        } => commands::serve(&listen, &chain, &behaviour),
        Command::Record {
            listen,
            upstream,
            network,
            out,
            duration_s,
            node_datadir,
            peer_name,
        } => commands::record(
            &listen,
            &upstream,
            network,
            &out,
            duration_s,
            node_datadir.as_deref(),
            &peer_name,
        ),
        Command::ImportCapture {
            dir,
            peer,
            replay,
            network,
            profile,
            out,
            peer_name,
            tip_height,
            tip_hash,
        } => commands::import_capture(&commands::ImportCapture {
            dir: &dir,
            peer: &peer,
            replay,
            network,
            profile,
            out: &out,
            peer_name: &peer_name,
            tip: tip_height
                .zip(tip_hash)
                .map(|(height, hash)| sim::tools::record::LiveTip { height, hash }),
        }),
        Command::Bench {
            quick,
            repeats,
            mainnet_headers,
            scenarios,
            bitcoind,
            node,
            with_tests,
            json_out,
            only,
        } => commands::bench(
            quick,
            repeats,
            mainnet_headers,
            scenarios,
            bitcoind,
            node,
            with_tests,
            &json_out,
            only,
        ),
        Command::BenchSync { headers } => commands::bench_sync(headers),
        Command::Conform {
            scenarios,
            dir,
            manifest,
            bitcoind,
            jobs,
        } => commands::conform(scenarios, &dir, &manifest, bitcoind, jobs),
        Command::WireFuzz {
            seed,
            cases,
            case,
            jobs,
            bitcoind,
            node,
            show_cases,
        } => commands::wire_fuzz(seed, cases, case, jobs, bitcoind, node, show_cases),
    }
}

fn parse_network_name(s: &str) -> Result<sim::scenario::NetworkName, String> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).map_err(|_| {
        format!("unknown network `{s}` (expected mainnet, testnet, signet or regtest)")
    })
}

fn parse_profile_name(s: &str) -> Result<sim::scenario::ProfileName, String> {
    serde_json::from_value(serde_json::Value::String(s.to_string()))
        .map_err(|_| format!("unknown profile `{s}` (expected btcd or core)"))
}

/// `--replay peer|bitcoind` of `sim import-capture`.
fn parse_replay(s: &str) -> Result<sim::tools::capture::Replay, String> {
    match s {
        "peer" => Ok(sim::tools::capture::Replay::Peer),
        "bitcoind" => Ok(sim::tools::capture::Replay::Bitcoind),
        _ => Err(format!("unknown side `{s}` (expected peer or bitcoind)")),
    }
}

/// Parses a count of at least 1 (`--jobs`, `--stop-after-failures`).
fn parse_at_least_one(s: &str) -> Result<NonZeroUsize, String> {
    match s.parse::<usize>() {
        Ok(n) => NonZeroUsize::new(n).ok_or_else(|| "must be at least 1".to_string()),
        Err(_) => Err(format!("`{s}` is not a whole number")),
    }
}

/// `--bug NAME`: one of [`Bug::ALL`].
fn parse_bug(name: &str) -> Result<Bug, String> {
    Bug::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = Bug::ALL.iter().map(|b| b.name()).collect();
        format!(
            "no deliberate bug `{name}`; the bugs are {}",
            names.join(", ")
        )
    })
}
