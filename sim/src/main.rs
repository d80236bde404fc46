//! `sim`: run one scenario or the whole suite.
//!
//! ```text
//! cargo run --release -p sim -- run scenarios/NAME.json [--seed N] [--trace] [--json]
//! cargo run --release -p sim -- suite [--dir scenarios]
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use sim::{run_scenario, RunResult, Scenario, SimError};

/// Deterministic simulation of the header-sync node against scripted fake btcd peers.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
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
    /// Run every scenario in a folder and print a table.
    Suite {
        /// The folder of scenario files.
        #[arg(long, default_value = "scenarios")]
        dir: PathBuf,
    },
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Run { scenario, seed, trace, json } => run_one(&scenario, seed, trace, json),
        Command::Suite { dir } => suite(&dir),
        Command::Serve { listen, chain, behaviour } => serve(&listen, &chain, &behaviour),
    }
}

fn wall_clock_s() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

fn serve(listen: &str, chain: &str, behaviour: &str) -> ExitCode {
    use node::runtime::{Network, TcpNetwork};
    use sim::chain::ChainSpec;
    use sim::fake_peer::{self, Behaviour, FakePeer, FakePeerSettings};

    let spec: ChainSpec = match serde_json::from_str(chain) {
        Ok(spec) => spec,
        Err(error) => {
            eprintln!("error: --chain: {error}");
            return ExitCode::from(2);
        }
    };
    let behaviour: Behaviour = match serde_json::from_str(&format!("\"{behaviour}\"")).or_else(|_| serde_json::from_str(behaviour)) {
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
    let tip = headers.len() - 1;
    let settings = FakePeerSettings { behaviour, clock_s: wall_clock_s, seed: wall_clock_s() as u64, ..FakePeerSettings::default() };
    let peer = std::rc::Rc::new(FakePeer::new("serve", spec.network(), headers, settings));
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    let local = tokio::task::LocalSet::new();
    let result: std::io::Result<()> = local.block_on(&runtime, async move {
        let listener = TcpNetwork.bind(listen).await?;
        println!("fake btcd peer on {listen}: {:?} chain, tip height {tip}; Ctrl-C to stop", spec.network());
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

fn name_of(path: &Path) -> String {
    path.file_stem().map_or_else(|| path.display().to_string(), |s| s.to_string_lossy().into_owned())
}

fn load_and_run(path: &Path, seed: Option<u64>) -> Result<RunResult, SimError> {
    let scenario = Scenario::load(path)?;
    run_scenario(&scenario, &name_of(path), seed)
}

fn run_one(path: &Path, seed: Option<u64>, trace: bool, json: bool) -> ExitCode {
    let result = match load_and_run(path, seed) {
        Ok(result) => result,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    if trace {
        if json {
            print!("{}", result.recorder.json_lines());
        } else {
            print!("{}", result.recorder.text());
        }
    }
    println!("{}", serde_json::to_string_pretty(&result.outcome).unwrap_or_default());
    if result.failures.is_empty() {
        println!("PASS {} (seed {})", result.outcome.scenario, result.outcome.seed);
        ExitCode::SUCCESS
    } else {
        for failure in &result.failures {
            println!("FAIL: {failure}");
        }
        println!("reproduce: {}", reproduce(path, result.outcome.seed));
        ExitCode::FAILURE
    }
}

fn reproduce(path: &Path, seed: u64) -> String {
    format!("cargo run --release -p sim -- run {} --seed {seed} --trace", path.display())
}

fn suite(dir: &Path) -> ExitCode {
    let mut paths: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect(),
        Err(error) => {
            eprintln!("error: cannot read {}: {error}", dir.display());
            return ExitCode::from(2);
        }
    };
    paths.sort();
    if paths.is_empty() {
        eprintln!("error: no scenario files in {}", dir.display());
        return ExitCode::from(2);
    }
    println!("{:<44} {:>6} {:>11} {:>9} {:>9}", "scenario", "result", "simulated_s", "wall_s", "sim/wall");
    let mut failed = Vec::new();
    let (mut simulated_total_ms, mut wall_total_ms) = (0u64, 0u64);
    for path in &paths {
        let name = name_of(path);
        match load_and_run(path, None) {
            Ok(result) => {
                simulated_total_ms += result.simulated_ms;
                wall_total_ms += result.wall_ms;
                let verdict = if result.failures.is_empty() { "pass" } else { "FAIL" };
                println!(
                    "{name:<44} {verdict:>6} {:>11.1} {:>9.2} {:>9.0}",
                    result.simulated_ms as f64 / 1000.0,
                    result.wall_ms as f64 / 1000.0,
                    result.simulated_ms as f64 / (result.wall_ms.max(1) as f64)
                );
                if !result.failures.is_empty() {
                    for failure in &result.failures {
                        println!("    {failure}");
                    }
                    failed.push(reproduce(path, result.outcome.seed));
                }
            }
            Err(error) => {
                println!("{name:<44} {:>6}", "ERROR");
                println!("    {error}");
                failed.push(reproduce(path, Scenario::load(path).map_or(0, |s| s.seed)));
            }
        }
    }
    println!(
        "{} passed, {} failed; {:.1} simulated s in {:.2} wall s ({:.0}x)",
        paths.len() - failed.len(),
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
