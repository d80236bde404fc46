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
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use node::deliberate_bugs::Bug;
use sim::{run_scenario, Scenario};

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
    if let Err(error) = node::deliberate_bugs::set_active(cli.bug) {
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
        } => run_one(
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
        } => explore(seeds, jobs, partition, out, stop_after_failures, bug),
        Command::CheckDeterminism {
            scenario,
            runs,
            seed,
        } => check_determinism(&scenario, runs, seed, bug),
        Command::Shrink {
            scenario,
            out,
            name,
            runs_max,
            force,
        } => shrink(&scenario, &out, name.as_deref(), runs_max, force),
        Command::Suite { dir, snapshots } => suite(&dir, &snapshots),
        Command::Serve {
            listen,
            chain,
            behaviour,
        } => serve(&listen, &chain, &behaviour),
        Command::Record {
            listen,
            upstream,
            network,
            out,
            duration_s,
            node_datadir,
            peer_name,
        } => record(
            &listen,
            &upstream,
            network,
            &out,
            duration_s,
            node_datadir.as_deref(),
            &peer_name,
        ),
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
        } => bench(
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
        Command::BenchSync { headers } => match sim::tools::bench::sync_sample(headers) {
            Ok(sample) => {
                println!("{}", serde_json::to_string(&sample).unwrap_or_default());
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("error: {error}");
                ExitCode::FAILURE
            }
        },
    }
}

#[allow(clippy::too_many_arguments)] // one per CLI flag
fn bench(
    quick: bool,
    repeats: Option<u32>,
    mainnet_headers: PathBuf,
    scenarios: PathBuf,
    bitcoind: PathBuf,
    node: Option<PathBuf>,
    with_tests: bool,
    json_out: &Path,
    only: Vec<String>,
) -> ExitCode {
    let sim_exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(error) => {
            eprintln!("error: cannot find this sim binary: {error}");
            return ExitCode::FAILURE;
        }
    };
    let node_exe = node
        .or_else(|| sim_exe.parent().map(|dir| dir.join("node")))
        .filter(|p| p.is_file());
    let options = sim::tools::bench::BenchOptions {
        quick,
        repeats: repeats.unwrap_or(if quick { 1 } else { 3 }).max(1),
        mainnet_headers,
        scenarios,
        node_exe,
        bitcoind_exe: Some(bitcoind).filter(|p| p.is_file()),
        sim_exe,
        with_tests,
        only,
    };
    let report = match sim::tools::bench::run(&options) {
        Ok(report) => report,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    print!("{}", report.table());
    let json = serde_json::to_string_pretty(&report).unwrap_or_default() + "\n";
    if let Some(dir) = json_out.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Err(error) = std::fs::write(json_out, json) {
        eprintln!("error: {}: {error}", json_out.display());
        return ExitCode::FAILURE;
    }
    println!("figures written to {}", json_out.display());
    ExitCode::SUCCESS
}

fn serve(listen: &str, chain: &str, behaviour: &str) -> ExitCode {
    use node::runtime::{Network, TcpNetwork};
    use sim::peers::fake_peer::{self, wall_clock_s, FakePeer, FakePeerSettings};
    use sim::scenario::chain::ChainSpec;
    use sim::scenario::Behaviour;

    let spec: ChainSpec = match serde_json::from_str(chain) {
        Ok(spec) => spec,
        Err(error) => {
            eprintln!("error: --chain: {error}");
            return ExitCode::from(2);
        }
    };
    let behaviour: Behaviour = match serde_json::from_str(&format!("\"{behaviour}\""))
        .or_else(|_| serde_json::from_str(behaviour))
    {
        Ok(behaviour) => behaviour,
        Err(error) => {
            eprintln!("error: --behaviour: {error}");
            return ExitCode::from(2);
        }
    };
    let headers = match spec.build() {
        Ok(headers) => headers,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    let tip = spec.first_height() as usize + headers.len() - 1;
    let settings = FakePeerSettings {
        behaviour,
        clock_s: wall_clock_s,
        seed: wall_clock_s() as u64,
        first_height: spec.first_height(),
        ..FakePeerSettings::default()
    };
    let peer = std::rc::Rc::new(FakePeer::new("serve", spec.network(), headers, settings));
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    let local = tokio::task::LocalSet::new();
    let result: std::io::Result<()> = local.block_on(&runtime, async move {
        let listener = TcpNetwork.bind(listen).await?;
        // The bound address (with `--listen HOST:0`, the port the system picked).
        let bound = listener
            .local_addr()
            .map_or_else(|_| listen.to_string(), |a| a.to_string());
        println!(
            "fake btcd peer on {bound}: {:?} chain, tip height {tip}; Ctrl-C to stop",
            spec.network()
        );
        tokio::select! {
            result = fake_peer::accept_loop(TcpNetwork, listener, peer) => result,
            _ = tokio::signal::ctrl_c() => Ok(()),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

fn parse_network_name(s: &str) -> Result<sim::scenario::NetworkName, String> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).map_err(|_| {
        format!("unknown network `{s}` (expected mainnet, testnet, signet or regtest)")
    })
}

fn record(
    listen: &str,
    upstream: &str,
    network: sim::scenario::NetworkName,
    out: &Path,
    duration_s: Option<u64>,
    node_datadir: Option<&Path>,
    peer_name: &str,
) -> ExitCode {
    use sim::tools::record::LiveTip;
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    // The replay starts the node from an empty store, so the live node must start from one too.
    if let Some(dir) = node_datadir {
        let path = dir.join("headers.sqlite");
        if path.exists() {
            let tip = node::store::Store::open(&path, network.network())
                .and_then(|store| store.tip_height());
            match tip {
                Ok(None | Some(0)) => {}
                Ok(Some(height)) => {
                    eprintln!(
                        "error: --node-datadir {} already holds headers up to height {height}; start the node on a fresh --datadir so that the replay (which starts from genesis) asks what it asked",
                        dir.display()
                    );
                    return ExitCode::from(2);
                }
                Err(error) => {
                    eprintln!("error: --node-datadir {}: {error}", path.display());
                    return ExitCode::from(2);
                }
            }
        }
    }
    let magic = node::wire::magic_for(network.network());
    let recording = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(listen).await?;
        let bound = listener
            .local_addr()
            .map_or_else(|_| listen.to_string(), |a| a.to_string());
        println!("recording: waiting for the node on {bound}; relaying to {upstream}");
        let stop = async {
            let duration = async {
                match duration_s {
                    Some(s) => tokio::time::sleep(std::time::Duration::from_secs(s)).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = duration => format!("recording stopped after {} s", duration_s.unwrap_or(0)),
                _ = tokio::signal::ctrl_c() => "recording stopped by Ctrl-C".to_string(),
            }
        };
        sim::tools::record::record(listener, upstream, magic, stop).await
    });
    let recording = match recording {
        Ok(recording) => recording,
        Err(error) => {
            eprintln!("error: recording: {error}");
            return ExitCode::FAILURE;
        }
    };
    let live_tip = match node_datadir {
        None => None,
        Some(dir) => {
            let path = dir.join("headers.sqlite");
            if !path.exists() {
                eprintln!("error: --node-datadir: {} does not exist; was the node started with --datadir {}?", path.display(), dir.display());
                return ExitCode::FAILURE;
            }
            let tip =
                node::store::Store::open(&path, network.network()).and_then(|store| store.load());
            match tip {
                Ok(headers) => headers.last().map(|h| LiveTip {
                    height: u32::try_from(headers.len() - 1).unwrap_or(u32::MAX),
                    hash: h.block_hash().to_string(),
                }),
                Err(error) => {
                    eprintln!("error: the live node's store {}: {error}", path.display());
                    return ExitCode::FAILURE;
                }
            }
        }
    };
    let scenario = recording.to_scenario(network, peer_name, live_tip.as_ref());
    let text = match serde_json::to_string_pretty(&scenario) {
        Ok(text) => text + "\n",
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(error) = std::fs::write(out, text) {
        eprintln!("error: {}: {error}", out.display());
        return ExitCode::FAILURE;
    }
    let from_node = recording.frames.iter().filter(|f| f.from_node).count();
    println!(
        "recorded {} ms ({}): {from_node} messages from the node, {} from the peer{}; wrote {}",
        recording.length_ms,
        recording.ended_by,
        recording.frames.len() - from_node,
        live_tip
            .map(|t| format!("; live tip {} at height {}", t.hash, t.height))
            .unwrap_or_default(),
        out.display()
    );
    for note in &recording.notes {
        println!("note: {note}");
    }
    ExitCode::SUCCESS
}

fn name_of(path: &Path) -> String {
    path.file_stem().map_or_else(
        || path.display().to_string(),
        |s| s.to_string_lossy().into_owned(),
    )
}

fn run_one(
    path: &Path,
    seed: Option<u64>,
    trace: bool,
    json: bool,
    trace_out: Option<&Path>,
    html: Option<&Path>,
) -> ExitCode {
    let scenario = match Scenario::load(path) {
        Ok(scenario) => scenario,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    let result = match run_scenario(&scenario, &name_of(path), seed) {
        Ok(result) => result,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    if let Some(out) = trace_out {
        if let Err(error) = std::fs::write(out, result.recorder.json_lines()) {
            eprintln!("error: --trace-out {}: {error}", out.display());
            return ExitCode::from(2);
        }
    }
    if trace {
        if json {
            print!("{}", result.recorder.json_lines());
        } else {
            print!("{}", result.recorder.text());
        }
    }
    println!(
        "{}",
        serde_json::to_string_pretty(&result.outcome).unwrap_or_default()
    );
    let mut html_failed = false;
    if let Some(out) = html {
        let page = sim::tools::report::html(&scenario, &name_of(path), &result);
        match std::fs::write(out, page) {
            Ok(()) => println!("wrote {}", out.display()),
            Err(error) => {
                eprintln!(
                    "error: cannot write the HTML report to {}: {error}",
                    out.display()
                );
                html_failed = true;
            }
        }
    }
    let status = if result.failures.is_empty() {
        println!(
            "PASS {} (seed {})",
            result.outcome.scenario, result.outcome.seed
        );
        ExitCode::SUCCESS
    } else {
        for failure in &result.failures {
            println!("FAIL: {failure}");
        }
        println!("reproduce: {}", reproduce(path, result.outcome.seed));
        ExitCode::FAILURE
    };
    // The run is reported either way; a report that could not be written is a usage error.
    if html_failed {
        ExitCode::from(2)
    } else {
        status
    }
}

/// Parses a count of at least 1 (`--jobs`, `--stop-after-failures`).
fn parse_at_least_one(s: &str) -> Result<NonZeroUsize, String> {
    match s.parse::<usize>() {
        Ok(n) => NonZeroUsize::new(n).ok_or_else(|| "must be at least 1".to_string()),
        Err(_) => Err(format!("`{s}` is not a whole number")),
    }
}

fn explore(
    range: sim::tools::explore::SeedRange,
    jobs: Option<NonZeroUsize>,
    partition: Option<sim::tools::explore::Partition>,
    out_dir: PathBuf,
    stop_after_failures: Option<NonZeroUsize>,
    bug: Option<Bug>,
) -> ExitCode {
    use sim::tools::explore::{ExploreOptions, Partition, Sweep};
    let jobs =
        jobs.unwrap_or_else(|| std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN));
    let sweep = Sweep {
        range,
        partition: partition.unwrap_or(Partition::WHOLE),
    };
    if sweep.is_empty() {
        println!("explore {sweep}: this partition holds no seed of the range");
        return ExitCode::SUCCESS;
    }
    let options = ExploreOptions {
        sweep,
        jobs,
        out_dir,
        stop_after_failures,
        bug,
    };
    match sim::tools::explore::explore(&options) {
        Ok(report) => {
            print!("{}", report.render());
            if report.result.failures.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(2)
        }
    }
}

fn check_determinism(path: &Path, runs: u32, seed: Option<u64>, bug: Option<Bug>) -> ExitCode {
    // A clear error for a bad file before any process starts.
    if let Err(error) = Scenario::load(path) {
        eprintln!("error: {error}");
        return ExitCode::from(2);
    }
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(error) => {
            eprintln!("error: cannot find this executable to re-run it: {error}");
            return ExitCode::from(2);
        }
    };
    let parallel = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    match sim::tools::determinism::check(&exe, path, runs as usize, seed, bug, parallel) {
        Ok(report) => {
            print!("{}", report.render());
            match report.comparison {
                sim::tools::determinism::Comparison::Identical { .. } => ExitCode::SUCCESS,
                sim::tools::determinism::Comparison::Diverges { .. } => ExitCode::FAILURE,
            }
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(2)
        }
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

fn shrink(path: &Path, out: &Path, name: Option<&str>, runs_max: usize, force: bool) -> ExitCode {
    use sim::tools::shrink::{output_path, sanitize_name, ShrinkError, ShrinkOptions};
    let scenario = match Scenario::load(path) {
        Ok(scenario) => scenario,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    let name = match name {
        Some(given) => {
            let name = sanitize_name(given);
            if name != given {
                println!("--name `{given}` becomes `{name}` (a regression's file stem is [a-z0-9_] and names its test)");
            }
            name
        }
        None => sanitize_name(&format!("{}_shrunk", name_of(path))),
    };
    // Refused before any run: shrinking may take many minutes.
    let target = output_path(out, &name);
    if target.exists() && !force {
        eprintln!(
            "error: {} exists; pass --force to overwrite it, or --name to choose another name",
            target.display()
        );
        return ExitCode::from(2);
    }
    let mut file_name = path.file_name().map_or_else(
        || path.display().to_string(),
        |f| f.to_string_lossy().into_owned(),
    );
    let bug = node::deliberate_bugs::active();
    if let Some(bug) = bug {
        // Part of the description: the regression fails only with this bug.
        file_name = format!("{file_name} with the deliberate bug `{bug}`");
    }
    let options = ShrinkOptions { runs_max };
    let shrunk = match sim::tools::shrink::shrink(&scenario, &file_name, &options, |line| {
        println!("{line}")
    }) {
        Ok(shrunk) => shrunk,
        Err(ShrinkError::Passes { .. }) => {
            eprintln!("error: {} passes; nothing to shrink", path.display());
            return ExitCode::from(2);
        }
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    print!("{}", shrunk.summary(runs_max));
    let written = match sim::tools::shrink::write_scenario(&shrunk.scenario, out, &name, force) {
        Ok(written) => written,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    println!(
        "wrote {} ({})",
        written.display(),
        shrunk.scenario.description
    );
    let next = format!(
        "run `cargo test --release --test scenarios regressions::{name}`, review snapshots/regressions/{name}.snap.new and rename it to .snap"
    );
    // `--bug`, selected for this thread in `main`.
    let Some(bug) = bug else {
        println!(
            "run it: cargo run --release -p sim -- run {}",
            written.display()
        );
        println!("once the bug is fixed and it passes: {next}");
        return ExitCode::SUCCESS;
    };
    println!(
        "run it: cargo run --release -p sim --features deliberate-bugs -- run {} --bug {bug}",
        written.display()
    );
    // A regression of a deliberate bug must pass without it: one more run, on this thread.
    let clean = node::deliberate_bugs::set_active(None)
        .map_err(|e| e.to_string())
        .and_then(|()| run_scenario(&shrunk.scenario, &name, None).map_err(|e| e.to_string()));
    let _ = node::deliberate_bugs::set_active(Some(bug));
    match clean {
        Ok(result) if result.failures.is_empty() => {
            println!("without --bug {bug} it passes: {next}");
            ExitCode::SUCCESS
        }
        Ok(result) => {
            println!(
                "warning: it fails without --bug {bug} too, so it is no regression of that bug:"
            );
            for failure in &result.failures {
                println!("    {failure}");
            }
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("error: the run without --bug {bug}: {error}");
            ExitCode::FAILURE
        }
    }
}

fn reproduce(path: &Path, seed: u64) -> String {
    format!(
        "cargo run --release -p sim -- run {} --seed {seed} --trace",
        path.display()
    )
}

/// Compares an outcome with its reviewed snapshot. `Ok(None)`: equal; `Ok(Some(why))`: differs
/// or is missing; the JSON after the insta header is compared as a value, not as text.
fn snapshot_mismatch(snapshots: &Path, outcome: &sim::Outcome) -> Option<String> {
    let path = snapshots.join(format!("{}.snap", outcome.scenario));
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Some(format!("no reviewed snapshot {}", path.display()));
    };
    let body = text.splitn(3, "---\n").nth(2).unwrap_or_default();
    let expected: serde_json::Value = match serde_json::from_str(body) {
        Ok(value) => value,
        Err(error) => {
            return Some(format!(
                "{}: not an insta JSON snapshot: {error}",
                path.display()
            ))
        }
    };
    let actual = serde_json::to_value(outcome).unwrap_or_default();
    if actual == expected {
        return None;
    }
    let field = match (&actual, &expected) {
        (serde_json::Value::Object(a), serde_json::Value::Object(e)) => a
            .keys()
            .chain(e.keys())
            .find(|k| a.get(*k) != e.get(*k))
            .cloned()
            .unwrap_or_default(),
        _ => String::new(),
    };
    Some(format!(
        "outcome differs from {} (first field: `{field}`); review with `cargo test --release --test scenarios`",
        path.display()
    ))
}

fn suite(dir: &Path, snapshots: &Path) -> ExitCode {
    // The scenarios, then the regressions (`regressions/NAME` in the table, snapshot
    // `SNAPSHOTS/regressions/NAME.snap`). The outcome's name is the file stem either way.
    let files = match sim::harness::suite::discover(dir) {
        Ok(files) => files,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    if files.is_empty() {
        eprintln!("error: no scenario files in {}", dir.display());
        return ExitCode::from(2);
    }
    println!(
        "{:<48} {:<7} {:>6} {:>11} {:>9} {:>9}",
        "scenario", "profile", "result", "simulated_s", "wall_s", "sim/wall"
    );
    let mut failed = Vec::new();
    let (mut simulated_total_ms, mut wall_total_ms) = (0u64, 0u64);
    for file in &files {
        let (name, path) = (file.qualified_name("/"), &file.path);
        let scenario = Scenario::load(path);
        let profile = scenario
            .as_ref()
            .map_or("?", |s| s.node.profile.profile().as_str());
        match scenario.and_then(|s| sim::harness::suite::check(&s, &file.name)) {
            Ok(checked) => {
                let mut failures = checked.failures();
                let result = checked.result;
                simulated_total_ms += result.simulated_ms;
                wall_total_ms += result.wall_ms;
                failures.extend(
                    snapshot_mismatch(&file.snapshot_dir(snapshots), &result.outcome)
                        .map(|message| sim::harness::failure::Failure::SnapshotDiffers { message }),
                );
                let verdict = if failures.is_empty() { "pass" } else { "FAIL" };
                println!(
                    "{name:<48} {profile:<7} {verdict:>6} {:>11.1} {:>9.2} {:>9.0}",
                    result.simulated_ms as f64 / 1000.0,
                    result.wall_ms as f64 / 1000.0,
                    result.simulated_ms as f64 / (result.wall_ms.max(1) as f64)
                );
                if !failures.is_empty() {
                    for failure in &failures {
                        println!("    {failure}");
                    }
                    failed.push(reproduce(path, result.outcome.seed));
                }
            }
            Err(error) => {
                println!("{name:<48} {profile:<7} {:>6}", "ERROR");
                println!("    {error}");
                failed.push(reproduce(path, Scenario::load(path).map_or(0, |s| s.seed)));
            }
        }
    }
    println!(
        "{} passed, {} failed; {:.1} simulated s in {:.2} wall s ({:.0}x)",
        files.len() - failed.len(),
        failed.len(),
        simulated_total_ms as f64 / 1000.0,
        wall_total_ms as f64 / 1000.0,
        simulated_total_ms as f64 / (wall_total_ms.max(1) as f64)
    );
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        println!("reproduce the failures with:");
        for command in failed {
            println!("  {command}");
        }
        ExitCode::FAILURE
    }
}
