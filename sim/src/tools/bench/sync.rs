//! The `sync` section: a regtest chain synced inside turmoil, one child process per size
//! (`sim bench-sync`, so its peak RSS is that size's): wall time, peak RSS, store size, restart.

use std::process::Command;
use std::time::Instant;

use serde::Serialize;

use super::figures::{BenchOptions, BenchReport};
use crate::harness::trace::TraceEntry;
use crate::scenario::Scenario;

/// What one `sim bench-sync` child measured (its JSON line).
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct SyncSample {
    /// Headers synced (the chain's height).
    pub headers: u32,
    /// Wall seconds mining the fake peer's chain (not part of the sync).
    pub build_s: f64,
    /// Wall seconds from the start of the simulation to the step that took the node to its
    /// final tip.
    pub sync_s: f64,
    /// Simulated seconds the node needed to reach that tip (from its trace).
    pub simulated_sync_s: f64,
    /// Wall seconds of the whole run (setup, simulation, the runner's checks).
    pub run_s: f64,
    /// Peak resident memory of the child process, in MiB (`VmHWM`).
    pub peak_rss_mib: f64,
    /// Bytes of `headers.sqlite` with its WAL and shared-memory files after the run.
    pub store_bytes: u64,
    /// Wall seconds to reopen the store and rebuild the chain from it
    /// (`node::runtime::open_chain`, what the node does at start).
    pub restart_s: f64,
}

/// The scenario `sim bench-sync` runs: one honest btcd-profile peer serving a `headers`-high
/// regtest chain (seed 1) to the node, with the simulation's clock an hour after the chain's
/// last header. Exposed so the benchmark's scenario can be printed and rerun by hand.
pub fn sync_scenario(headers: u32) -> Result<Scenario, String> {
    let genesis_s = u64::from(
        bitcoin::constants::genesis_block(bitcoin::Network::Regtest)
            .header
            .time,
    );
    let epoch_s = genesis_s
        + u64::from(headers) * u64::from(crate::scenario::chain::REGTEST_SPACING_S)
        + 3600;
    // About 40 simulated ms per 2000-header round trip at the default latencies; generous.
    let duration_s = 60 + u64::from(headers) / 2000;
    let json = format!(
        r#"{{"description": "bench: sync {headers} regtest headers from one honest peer", "seed": 1,
            "epoch_s": {epoch_s}, "duration_s": {duration_s},
            "node": {{"network": "regtest", "connect": ["p"]}},
            "peers": [{{"name": "p", "chain": {{"regtest": {{"height": {headers}, "seed": 1}}}}}}],
            "expect": {{"tip_height": {headers}}}}}"#
    );
    Scenario::parse("bench-sync.json", &json).map_err(|e| e.to_string())
}

/// The child side of the `sync` section (`sim bench-sync --headers N`): runs
/// [`sync_scenario`] with a kept data folder, reopens the store, and returns the sample.
///
/// # Errors
/// The run fails (an error or a failed expectation) or the store does not reopen.
pub fn sync_sample(headers: u32) -> Result<SyncSample, String> {
    let scenario = sync_scenario(headers)?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let result = crate::harness::runner::run_scenario_in(&scenario, "bench-sync", None, dir.path())
        .map_err(|e| e.to_string())?;
    if !result.failures.is_empty() {
        return Err(format!(
            "the {headers}-header sync failed: {}",
            crate::harness::failure::joined(&result.failures, "; ")
        ));
    }
    let simulated_sync_s = result
        .recorder
        .lines
        .iter()
        .rev()
        .find(|line| {
            matches!(
                line.entry,
                TraceEntry::Node(node::Event::TipChanged { height, .. }) if height == headers
            )
        })
        .map_or(f64::NAN, |line| line.at_ms as f64 / 1000.0);
    let store_bytes = ["headers.sqlite", "headers.sqlite-wal", "headers.sqlite-shm"]
        .iter()
        .filter_map(|f| std::fs::metadata(dir.path().join(f)).ok())
        .map(|m| m.len())
        .sum();
    let config = node::Config::new(bitcoin::Network::Regtest, dir.path().to_path_buf());
    let started = Instant::now();
    let (_store, chain) =
        node::runtime::open_chain(&config).map_err(|e| format!("restart: {e}"))?;
    let restart_s = started.elapsed().as_secs_f64();
    if chain.tip_height() != headers {
        return Err(format!(
            "restart: the store rebuilt to height {}, not {headers}",
            chain.tip_height()
        ));
    }
    Ok(SyncSample {
        headers,
        build_s: result.setup_wall_ms as f64 / 1000.0,
        sync_s: result.tip_wall_ms.unwrap_or(0) as f64 / 1000.0,
        simulated_sync_s,
        run_s: result.wall_ms as f64 / 1000.0,
        peak_rss_mib: peak_rss_kib().map_or(f64::NAN, |kib| kib as f64 / 1024.0),
        store_bytes,
        restart_s,
    })
}

/// Peak resident memory of this process in KiB (Linux `VmHWM`), if known.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The `sync` section: one `sim bench-sync` child per size, its figures against the smallest.
pub(super) fn sync_figures(
    report: &mut BenchReport,
    options: &BenchOptions,
    sizes: &[u32],
) -> Result<(), String> {
    let mut samples: Vec<SyncSample> = Vec::new();
    for &headers in sizes {
        eprintln!("   {headers} headers …");
        let output = Command::new(&options.sim_exe)
            .args(["bench-sync", "--headers", &headers.to_string()])
            .output()
            .map_err(|e| format!("{}: {e}", options.sim_exe.display()))?;
        if !output.status.success() {
            return Err(format!(
                "sim bench-sync --headers {headers} failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        let sample: SyncSample = serde_json::from_slice(&output.stdout)
            .map_err(|e| format!("sim bench-sync --headers {headers}: unreadable output: {e}"))?;
        samples.push(sample);
    }
    let Some(first) = samples.first().cloned() else {
        return Ok(());
    };
    let per_header_us = |s: &SyncSample| s.sync_s * 1e6 / f64::from(s.headers);
    let largest = samples.last().map_or(0, |s| s.headers);
    for sample in &samples {
        let n = sample.headers;
        let is_target = n == 900_000;
        let figure = report.add(
            "sync",
            format!("{n} headers: wall time to tip"),
            sample.sync_s,
            "s",
        );
        if is_target {
            figure.target("< 15 s", sample.sync_s < 15.0);
        }
        let figure = report.add(
            "sync",
            format!("{n} headers: wall time per header"),
            per_header_us(sample),
            "us",
        );
        if n != first.headers {
            figure.versus(
                format!("per header at {} headers (linear: 1.0)", first.headers),
                per_header_us(&first),
            );
        }
        report.add(
            "sync",
            format!("{n} headers: simulated time to tip"),
            sample.simulated_sync_s,
            "s",
        );
        report.add(
            "sync",
            format!("{n} headers: chain mining before the run (excluded)"),
            sample.build_s,
            "s",
        );
        let figure = report.add(
            "sync",
            format!("{n} headers: peak RSS of the process"),
            sample.peak_rss_mib,
            "MiB",
        );
        if is_target {
            figure.target("< 400 MB", sample.peak_rss_mib * 1.048_576 < 400.0);
        }
        report.add(
            "sync",
            format!("{n} headers: store on disk"),
            sample.store_bytes as f64 / 1_048_576.0,
            "MiB",
        );
        let figure = report.add(
            "sync",
            format!("{n} headers: restart (reopen + rebuild)"),
            sample.restart_s,
            "s",
        );
        if is_target {
            figure.target("< 2 s", sample.restart_s < 2.0);
        }
    }
    if largest != 900_000 {
        report.skipped.push(format!(
            "sync: 900,000 headers (--quick stops at {largest})"
        ));
    }
    Ok(())
}
