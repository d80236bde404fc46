//! `sim bench`: every performance figure of the project, measured in one run and each printed
//! beside what it is compared with (a table on stdout, the same figures as JSON).
//!
//! The machine is noisy, so every comparison is a ratio of two figures measured side by side
//! in the same run (their repetitions interleaved), and each figure is the median of
//! `repeats` repetitions. Nothing here is asserted by a test: `sim bench --quick` (smaller
//! sizes, one repetition, under a minute) only proves the command works, and CI runs it.
//!
//! | section | figure | compared with | target |
//! |---|---|---|---|
//! | `import` | headers/s from decoded `headers` messages to committed store rows (`HeaderChain::accept_headers` + `Store::apply`, 2000 per batch) | the limit: the same headers' double-SHA256 plus an append of the same rows to a bare SQLite table, 2000 per transaction | ratio >= 0.6 |
//! | `bitcoind` | wall time of a 100,000-header regtest sync over loopback TCP from one honest fake peer | bitcoind syncing the same chain from the same peer | ratio <= 0.2 |
//! | `sync` | a 900,000-header regtest sync inside turmoil (own process): wall time, peak RSS, store size, restart time; also at 10,000 and 100,000 | the per-header cost at 10,000 headers (linearity) | < 15 s, < 400 MB, restart < 2 s |
//! | `speed` | simulated over wall time of the 24-hour soak (`scenarios/bench/soak_24h_8_peers.json`) and of the suite | bare turmoil: the same hosts, tick and duration, every host only sleeping | soak >= 1500x, overhead <= 1.25x |
//! | `explore` | generated scenarios per second at `--jobs 2` | `--jobs 1` (scaling) | >= 10/s |
//! | `suite` | wall time of `sim suite` (and, without `--quick`, of the test command) | - | < 60 s |

pub mod bitcoind;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use bitcoin::block::Header;
use bitcoin::hashes::Hash;
use serde::Serialize;

use crate::harness::trace::TraceEntry;
use crate::scenario::Scenario;

/// What `sim bench` measures and how often.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Smaller sizes and one repetition: proves the command works in under a minute.
    pub quick: bool,
    /// Repetitions of each timed figure (the median is reported); at least 1.
    pub repeats: u32,
    /// Raw 80-byte mainnet headers from genesis (`../shared/data/headers/mainnet_0-10236.bin`).
    pub mainnet_headers: PathBuf,
    /// The scenario folder (`scenarios`): the suite, and `bench/soak_24h_8_peers.json`.
    pub scenarios: PathBuf,
    /// The `node` binary for the side-by-side sync (`None`: that section is skipped, saying so).
    pub node_exe: Option<PathBuf>,
    /// The `bitcoind` binary (`None`: that section is skipped, saying so).
    pub bitcoind_exe: Option<PathBuf>,
    /// This `sim` binary, run as a child for the `sync` sizes (a fresh process per size, so
    /// its peak RSS is that size's) and for `sim suite`.
    pub sim_exe: PathBuf,
    /// Also time the README's test command (`scripts/test`), after an untimed build.
    pub with_tests: bool,
    /// Run only these sections (`import`, `bitcoind`, `sync`, `speed`, `explore`, `suite`);
    /// empty: all of them.
    pub only: Vec<String>,
}

impl BenchOptions {
    fn runs(&self, section: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|s| s == section)
    }
}

/// One measured figure and, when it has one, what it is compared with.
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    /// Which measurement (`import`, `bitcoind`, `sync`, `speed`, `explore`, `suite`).
    pub section: &'static str,
    /// What was measured.
    pub name: String,
    /// The figure (median of the repetitions).
    pub value: f64,
    /// Its unit (`headers/s`, `s`, `MiB`, `x real time` …).
    pub unit: &'static str,
    /// What it is compared with, if anything.
    pub compared_with: Option<Baseline>,
    /// The target, in words (`ratio >= 0.6`), if there is one.
    pub target: Option<String>,
    /// Whether the target is met (`None`: no target).
    pub met: Option<bool>,
}

/// The other side of a comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Baseline {
    /// What it is.
    pub name: String,
    /// Its value, in the figure's unit.
    pub value: f64,
    /// The figure divided by this value.
    pub ratio: f64,
}

/// The whole run: every figure, in order.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BenchReport {
    /// Whether this was `--quick`.
    pub quick: bool,
    /// Repetitions per timed figure.
    pub repeats: u32,
    /// The figures.
    pub figures: Vec<Figure>,
    /// Sections not measured, with why (a missing binary, a failed run).
    pub skipped: Vec<String>,
}

impl BenchReport {
    fn add(
        &mut self,
        section: &'static str,
        name: impl Into<String>,
        value: f64,
        unit: &'static str,
    ) -> &mut Figure {
        self.figures.push(Figure {
            section,
            name: name.into(),
            value,
            unit,
            compared_with: None,
            target: None,
            met: None,
        });
        self.figures.last_mut().expect("just pushed")
    }

    /// The figures as an aligned text table.
    pub fn table(&self) -> String {
        let mut out = format!(
            "{:<9} {:<58} {:>14} {:<11} {:<46} {:>14} {:>8}  {}\n",
            "section", "figure", "value", "unit", "compared with", "its value", "ratio", "target"
        );
        for f in &self.figures {
            let (name, value, ratio) = match &f.compared_with {
                Some(b) => (b.name.as_str(), number(b.value), format!("{:.3}", b.ratio)),
                None => ("-", String::new(), String::new()),
            };
            let target = match (&f.target, f.met) {
                (Some(t), Some(true)) => format!("{t}: met"),
                (Some(t), Some(false)) => format!("{t}: NOT met"),
                _ => String::new(),
            };
            out += &format!(
                "{:<9} {:<58} {:>14} {:<11} {:<46} {:>14} {:>8}  {}\n",
                f.section,
                f.name,
                number(f.value),
                f.unit,
                name,
                value,
                ratio,
                target
            );
        }
        for skipped in &self.skipped {
            out += &format!("skipped: {skipped}\n");
        }
        out
    }
}

impl Figure {
    fn versus(&mut self, name: impl Into<String>, value: f64) -> &mut Figure {
        self.compared_with = Some(Baseline {
            name: name.into(),
            value,
            ratio: self.value / value.max(f64::MIN_POSITIVE),
        });
        self
    }

    fn target(&mut self, text: impl Into<String>, met: bool) -> &mut Figure {
        self.target = Some(text.into());
        self.met = Some(met);
        self
    }

    fn ratio(&self) -> f64 {
        self.compared_with.as_ref().map_or(f64::NAN, |b| b.ratio)
    }
}

/// A figure with sensible digits: large numbers whole, small ones with three decimals.
fn number(value: f64) -> String {
    if value.abs() >= 1000.0 {
        format!("{value:.0}")
    } else if value.abs() >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.3}")
    }
}

/// The median of `values` (the mean of the middle two for an even count); NaN if empty.
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// Runs every measurement of `options` and returns the report; a section that cannot run
/// (a missing binary, a failed sync) is listed in [`BenchReport::skipped`] and the others go on.
///
/// # Errors
/// A message naming what failed where a figure would be wrong rather than missing: the
/// mainnet file does not read or validate, a chain does not import, a benchmark scenario fails.
pub fn run(options: &BenchOptions) -> Result<BenchReport, String> {
    let repeats = options.repeats.max(1);
    let mut report = BenchReport {
        quick: options.quick,
        repeats,
        ..BenchReport::default()
    };
    let section = |name: &str| eprintln!("== {name}");

    if options.runs("import") {
        section("import: header import versus hashing plus a bare SQLite append");
        let mainnet = read_headers(&options.mainnet_headers)?;
        let label = format!("mainnet 0..{}", mainnet.len() - 1);
        import_figures(
            &mut report,
            &label,
            bitcoin::Network::Bitcoin,
            &mainnet,
            2_000_000_000,
            repeats,
        )?;
        let regtest_height = if options.quick { 20_000 } else { 200_000 };
        let regtest = regtest_chain(regtest_height)?;
        let now_s = u64::from(regtest.last().map_or(0, |h| h.time)) + 3600;
        import_figures(
            &mut report,
            &format!("regtest 0..{regtest_height}"),
            bitcoin::Network::Regtest,
            &regtest,
            now_s,
            repeats,
        )?;
    }
    if options.runs("bitcoind") {
        section("bitcoind: the same regtest sync over loopback, our node versus Bitcoin Core");
        bitcoind_figures(&mut report, options, repeats);
    }
    if options.runs("sync") {
        section("sync: a regtest chain synced inside turmoil, one process per size");
        let sizes: &[u32] = if options.quick {
            &[10_000, 50_000]
        } else {
            &[10_000, 100_000, 900_000]
        };
        sync_figures(&mut report, options, sizes)?;
    }
    if options.runs("speed") {
        section("speed: simulated time over wall time, against bare turmoil");
        speed_figures(&mut report, options, repeats)?;
    }
    if options.runs("explore") {
        section("explore: generated scenarios per second");
        explore_figures(&mut report, options);
    }
    if options.runs("suite") {
        section("suite: wall time");
        suite_figures(&mut report, options);
    }
    Ok(report)
}

/// Raw 80-byte headers from a file.
fn read_headers(path: &Path) -> Result<Vec<Header>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if bytes.is_empty() || bytes.len() % 80 != 0 {
        return Err(format!(
            "{}: {} bytes is not a whole number of 80-byte headers",
            path.display(),
            bytes.len()
        ));
    }
    bytes
        .chunks(80)
        .map(bitcoin::consensus::deserialize)
        .collect::<Result<Vec<Header>, _>>()
        .map_err(|e| format!("{}: not raw 80-byte headers: {e}", path.display()))
}

/// The seeded regtest chain `{"regtest": {"height": height, "seed": 1}}`, genesis first.
fn regtest_chain(height: u32) -> Result<Vec<Header>, String> {
    crate::scenario::chain::ChainSpec::Regtest {
        height,
        seed: 1,
        fork: None,
    }
    .build()
    .map_err(|e| e.to_string())
}

/// Header import rate, node path and limit, interleaved `repeats` times.
fn import_figures(
    report: &mut BenchReport,
    label: &str,
    network: bitcoin::Network,
    headers: &[Header],
    now_s: u64,
    repeats: u32,
) -> Result<(), String> {
    let count = (headers.len() - 1) as f64;
    let (mut node_s, mut limit_s) = (Vec::new(), Vec::new());
    for _ in 0..repeats {
        node_s.push(node_import_s(network, headers, now_s)?);
        limit_s.push(limit_import_s(headers)?);
    }
    let (node_rate, limit_rate) = (count / median(&node_s), count / median(&limit_s));
    let figure = report.add(
        "import",
        format!("{label}: accept_headers + Store::apply"),
        node_rate,
        "headers/s",
    );
    figure.versus("limit: double-SHA256 + bare SQLite append", limit_rate);
    let met = figure.ratio() >= 0.6;
    figure.target("ratio >= 0.6", met);
    Ok(())
}

/// Seconds the node's own import path takes for `headers[1..]`: a fresh store in a temporary
/// folder (WAL, `synchronous=FULL`, as the node opens it) holding genesis, then per 2000
/// headers `HeaderChain::accept_headers` and `Store::apply` of its update, as the node's
/// message handler does for one `headers` message.
fn node_import_s(network: bitcoin::Network, headers: &[Header], now_s: u64) -> Result<f64, String> {
    use node::protocol::header_chain::{ChainUpdate, HeaderChain};
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mut store = node::store::Store::open(&dir.path().join("headers.sqlite"), network)
        .map_err(|e| e.to_string())?;
    let mut chain = HeaderChain::new(network);
    store
        .apply(&ChainUpdate::new(0, vec![headers[0]]))
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    for batch in headers[1..].chunks(2000) {
        let import = chain.accept_headers(batch, now_s);
        if let Some(error) = import.error {
            return Err(format!("the bench chain does not validate: {error}"));
        }
        if let Some(update) = import.update {
            store.apply(&update).map_err(|e| e.to_string())?;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    if chain.tip_height() as usize != headers.len() - 1 {
        return Err(format!(
            "imported to height {}, not {}",
            chain.tip_height(),
            headers.len() - 1
        ));
    }
    Ok(elapsed)
}

/// Seconds the limit takes for `headers[1..]`: each header's double-SHA256 and an insert of
/// `(height, hash, header)` into a table shaped like the node's (`height INTEGER PRIMARY KEY`,
/// no other index), one transaction per 2000, with the node's pragmas; nothing else.
fn limit_import_s(headers: &[Header]) -> Result<f64, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let sql = |e: rusqlite::Error| format!("limit database: {e}");
    let mut db = rusqlite::Connection::open(dir.path().join("limit.sqlite")).map_err(sql)?;
    db.pragma_update(None, "journal_mode", "WAL").map_err(sql)?;
    db.pragma_update(None, "synchronous", "FULL").map_err(sql)?;
    db.execute_batch("CREATE TABLE headers (height INTEGER PRIMARY KEY, hash BLOB NOT NULL, header BLOB NOT NULL) STRICT;").map_err(sql)?;
    let started = Instant::now();
    let mut height = 1i64;
    for batch in headers[1..].chunks(2000) {
        let transaction = db.transaction().map_err(sql)?;
        {
            let mut insert = transaction
                .prepare_cached("INSERT INTO headers (height, hash, header) VALUES (?1, ?2, ?3)")
                .map_err(sql)?;
            for header in batch {
                let hash = header.block_hash().to_byte_array();
                let bytes = bitcoin::consensus::serialize(header);
                insert
                    .execute(rusqlite::params![height, &hash[..], bytes])
                    .map_err(sql)?;
                height += 1;
            }
        }
        transaction.commit().map_err(sql)?;
    }
    Ok(started.elapsed().as_secs_f64())
}

fn bitcoind_figures(report: &mut BenchReport, options: &BenchOptions, repeats: u32) {
    let (Some(node_exe), Some(bitcoind_exe)) = (&options.node_exe, &options.bitcoind_exe) else {
        report.skipped.push("bitcoind: no node or bitcoind binary (scripts/install-bitcoind.sh installs bitcoind in .tools/bitcoind)".into());
        return;
    };
    // Quick: a small chain, where bitcoind's delay before its first `getheaders` weighs more.
    let headers = if options.quick {
        10_000
    } else {
        crate::tools::bench::bitcoind::DEFAULT_HEADERS
    };
    match crate::tools::bench::bitcoind::header_sync_side_by_side(
        headers,
        repeats,
        node_exe,
        bitcoind_exe,
    ) {
        Ok(result) => {
            let (node_rate, bitcoind_rate) = result.headers_per_s();
            let profile = result.node_profile.as_str();
            let figure = report.add(
                "bitcoind",
                format!("{headers} headers over loopback: node --profile {profile}"),
                result.node_s,
                "s",
            );
            figure.versus(
                "bitcoind -checkblockindex=0, same peer and chain",
                result.bitcoind_s,
            );
            let met = figure.ratio() <= 0.2;
            figure.target("ratio <= 0.2", met);
            report
                .add(
                    "bitcoind",
                    format!("{headers} headers over loopback: node rate"),
                    node_rate,
                    "headers/s",
                )
                .versus("bitcoind rate", bitcoind_rate);
        }
        Err(error) => report.skipped.push(format!("bitcoind: {error}")),
    }
}

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

fn sync_figures(
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

/// Bare turmoil: `hosts` hosts that only sleep, with this tick and simulated duration.
/// Returns wall seconds.
pub fn bare_turmoil_s(hosts: usize, tick_ms: u64, duration_s: u64) -> Result<f64, String> {
    let mut sim = turmoil::Builder::new()
        .tick_duration(Duration::from_millis(tick_ms))
        .simulation_duration(Duration::from_secs(duration_s + 60))
        .build();
    for i in 0..hosts {
        sim.host(format!("h{i}"), || async {
            loop {
                tokio::time::sleep(Duration::from_secs(3600)).await;
            }
        });
    }
    let end = Duration::from_secs(duration_s);
    let started = Instant::now();
    while sim.elapsed() < end {
        sim.step().map_err(|e| format!("bare turmoil: {e}"))?;
    }
    Ok(started.elapsed().as_secs_f64())
}

fn speed_figures(
    report: &mut BenchReport,
    options: &BenchOptions,
    repeats: u32,
) -> Result<(), String> {
    let path = options
        .scenarios
        .join("bench")
        .join("soak_24h_8_peers.json");
    let mut soak = Scenario::load(&path).map_err(|e| e.to_string())?;
    if options.quick {
        // One hour: five blocks (the sixth would come at its very end).
        soak.duration_s = 3600;
        soak.expect.tip_height = Some(5);
    }
    let hosts = soak.peers.len() + 1;
    let (mut ours, mut bare) = (Vec::new(), Vec::new());
    for _ in 0..repeats {
        let result = crate::harness::runner::run_scenario(&soak, "soak", None)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        if !result.failures.is_empty() {
            return Err(format!(
                "{}: {}",
                path.display(),
                crate::harness::failure::joined(&result.failures, "; ")
            ));
        }
        ours.push((result.wall_ms - result.setup_wall_ms) as f64 / 1000.0);
        bare.push(bare_turmoil_s(hosts, soak.tick_ms, soak.duration_s)?);
    }
    let simulated_s = soak.duration_s as f64;
    let speed = simulated_s / median(&ours);
    let label = format!(
        "soak {} h, {hosts} hosts, tick {} ms",
        soak.duration_s / 3600,
        soak.tick_ms
    );
    let figure = report.add("speed", format!("{label}: simulated/wall"), speed, "x real");
    figure.target(">= 1500x", speed >= 1500.0);
    let figure = report.add("speed", format!("{label}: wall time"), median(&ours), "s");
    figure.versus("bare turmoil, same hosts/tick/duration", median(&bare));
    let met = figure.ratio() <= 1.25;
    figure.target("overhead <= 1.25x", met);

    // The suite's scenarios and regressions, in this process.
    let mut files = crate::scenario::json_files(&options.scenarios)
        .map_err(|e| format!("{}: {e}", options.scenarios.display()))?;
    files.extend(
        crate::scenario::json_files(&options.scenarios.join("regressions")).unwrap_or_default(),
    );
    if options.quick {
        files.truncate(12);
    }
    let (mut simulated_ms, mut wall_ms) = (0u64, 0u64);
    for file in &files {
        let scenario = Scenario::load(file).map_err(|e| e.to_string())?;
        let name = file
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        let result = crate::harness::runner::run_scenario(&scenario, &name, None)
            .map_err(|e| format!("{}: {e}", file.display()))?;
        simulated_ms += result.simulated_ms;
        wall_ms += result.wall_ms;
    }
    report.add(
        "speed",
        format!("suite ({} scenarios): simulated/wall", files.len()),
        simulated_ms as f64 / wall_ms.max(1) as f64,
        "x real",
    );
    Ok(())
}

/// The catalog scenarios' tick, in milliseconds: the explore section also runs the generated
/// seeds at it, to show what [`crate::tools::generator::GENERATED_TICK_MS`] buys.
const FINE_TICK_MS: u64 = 10;

fn explore_figures(report: &mut BenchReport, options: &BenchOptions) {
    use crate::tools::explore::{run_seed, sweep_with, Partition, SeedRange, Sweep};
    use std::num::NonZeroUsize;
    let seeds = if options.quick { 8 } else { 100 };
    let mut rates = Vec::new();
    for jobs in [1usize, 2] {
        let sweep = Sweep {
            range: SeedRange {
                first: 0,
                len: seeds,
            },
            partition: Partition::WHOLE,
        };
        let started = Instant::now();
        let result = sweep_with(
            &sweep,
            NonZeroUsize::new(jobs).expect("1 or 2"),
            None,
            run_seed,
            |_, _| Ok(()),
        );
        let wall_s = started.elapsed().as_secs_f64();
        match result {
            Ok(result) => rates.push((
                jobs,
                result.completed as f64 / wall_s,
                result.failures.len(),
            )),
            Err(error) => {
                report
                    .skipped
                    .push(format!("explore --jobs {jobs}: {error}"));
                return;
            }
        }
    }
    // What the generated tick buys: the same seeds at the catalog's 10 ms tick, at --jobs 2.
    let sweep = Sweep {
        range: SeedRange {
            first: 0,
            len: seeds,
        },
        partition: Partition::WHOLE,
    };
    let fine = |seed: u64| {
        let mut scenario = crate::tools::generator::generate(seed);
        scenario.tick_ms = FINE_TICK_MS;
        match crate::harness::runner::run_scenario(&scenario, "explore", None) {
            Ok(result) if result.failures.is_empty() => None,
            _ => Some(crate::tools::explore::SeedFailure::new(
                seed,
                "fine tick".to_string(),
                vec![format!("failed at tick {FINE_TICK_MS} ms")],
                None,
            )),
        }
    };
    let started = Instant::now();
    let fine_rate = sweep_with(
        &sweep,
        NonZeroUsize::new(2).expect("2"),
        None,
        fine,
        |_, _| Ok(()),
    )
    .map(|result| {
        (
            result.completed as f64 / started.elapsed().as_secs_f64(),
            result.failures.len(),
        )
    });
    let (one, two) = (rates[0].1, rates[1].1);
    let tick_ms = crate::tools::generator::GENERATED_TICK_MS;
    report.add(
        "explore",
        format!("seeds 0..{seeds}, --jobs 1, tick {tick_ms} ms"),
        one,
        "seeds/s",
    );
    let figure = report.add(
        "explore",
        format!("seeds 0..{seeds}, --jobs 2, tick {tick_ms} ms"),
        two,
        "seeds/s",
    );
    figure.versus("--jobs 1 (scaling; 2.0 is perfect)", one);
    figure.target(">= 10 seeds/s", two >= 10.0);
    match fine_rate {
        Ok((rate, failed)) => {
            let figure = report.add("explore", format!("seeds 0..{seeds}, --jobs 2, tick forced to {FINE_TICK_MS} ms ({failed} failed)"), rate, "seeds/s");
            figure.versus(format!("--jobs 2 at the generated {tick_ms} ms tick"), two);
        }
        Err(error) => report
            .skipped
            .push(format!("explore at tick {FINE_TICK_MS} ms: {error}")),
    }
    for (jobs, _, failed) in rates {
        if failed > 0 {
            report.skipped.push(format!("explore --jobs {jobs}: {failed} seeds failed (run `sim explore --seeds 0..{seeds}`)"));
        }
    }
}

fn suite_figures(report: &mut BenchReport, options: &BenchOptions) {
    if options.quick {
        report.skipped.push(
            "suite: sim suite's wall time (CI's main job runs it; --quick leaves it out)".into(),
        );
        return;
    }
    let started = Instant::now();
    let status = Command::new(&options.sim_exe)
        .args(["suite", "--dir"])
        .arg(&options.scenarios)
        .stdout(std::process::Stdio::null())
        .status();
    let wall_s = started.elapsed().as_secs_f64();
    match status {
        Ok(status) if status.success() => {
            let figure = report.add("suite", "sim suite (README command 1, built)", wall_s, "s");
            figure.target("< 60 s", wall_s < 60.0);
        }
        Ok(status) => report
            .skipped
            .push(format!("suite: sim suite exited with {status}")),
        Err(error) => report
            .skipped
            .push(format!("suite: {}: {error}", options.sim_exe.display())),
    }
    if !options.with_tests {
        report
            .skipped
            .push("suite: the test command (scripts/test; pass --with-tests)".into());
        return;
    }
    let build = Command::new("cargo")
        .args(["test", "--release", "--workspace", "--no-run"])
        .status();
    let build_bugs = Command::new("cargo")
        .args([
            "test",
            "--release",
            "-p",
            "sim",
            "--features",
            "deliberate-bugs",
            "--test",
            "deliberate_bugs",
            "--no-run",
        ])
        .status();
    if !matches!((&build, &build_bugs), (Ok(a), Ok(b)) if a.success() && b.success()) {
        report
            .skipped
            .push("suite: the untimed test build failed".into());
        return;
    }
    let started = Instant::now();
    let status = Command::new("scripts/test")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
    let wall_s = started.elapsed().as_secs_f64();
    match status {
        Ok(status) if status.success() => {
            report.add(
                "suite",
                "scripts/test (README command 2, built)",
                wall_s,
                "s",
            );
        }
        Ok(status) => report
            .skipped
            .push(format!("suite: scripts/test exited with {status}")),
        Err(error) => report.skipped.push(format!("suite: scripts/test: {error}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
    }
}
