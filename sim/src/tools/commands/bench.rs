//! `sim bench` and its hidden `sim bench-sync`: the performance figures.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `sim bench`: measures every figure of [`crate::tools::bench::run`] with options from the
/// command line (the `node` binary beside this one unless `node` is given; `bitcoind` only if it
/// exists), prints the table and writes the figures as JSON to `json_out`. Exit code 0, or 1 if
/// a section failed or the JSON could not be written.
#[allow(clippy::too_many_arguments)] // one per CLI flag
pub fn bench(
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
    let options = crate::tools::bench::BenchOptions {
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
    let report = match crate::tools::bench::run(&options) {
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

/// `sim bench-sync --headers N` (hidden; one size of `sim bench`'s sync section, in its own
/// process): prints the [`SyncSample`](crate::tools::bench::SyncSample) as one JSON line.
/// Exit code 0, or 1 if the sync failed.
pub fn bench_sync(headers: u32) -> ExitCode {
    match crate::tools::bench::sync_sample(headers) {
        Ok(sample) => {
            println!("{}", serde_json::to_string(&sample).unwrap_or_default());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
