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
//!
//! `mod.rs` runs the sections ([`run`]) and holds the `bitcoind` one's adapter; `figures.rs` the
//! figures, their table and [`median`]; `import.rs`, `sync.rs` and `speed.rs` (`speed`,
//! `explore`, `suite`) the other sections; [`bitcoind`] the side-by-side sync itself.

pub mod bitcoind;
mod figures;
mod import;
mod speed;
mod sync;

pub use figures::{median, Baseline, BenchOptions, BenchReport, Figure};
pub use speed::bare_turmoil_s;
pub use sync::{peak_rss_kib, sync_sample, sync_scenario, SyncSample};

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
        let mainnet = import::read_headers(&options.mainnet_headers)?;
        let label = format!("mainnet 0..{}", mainnet.len() - 1);
        import::import_figures(
            &mut report,
            &label,
            bitcoin::Network::Bitcoin,
            &mainnet,
            2_000_000_000,
            repeats,
        )?;
        let regtest_height = if options.quick { 20_000 } else { 200_000 };
        let regtest = import::regtest_chain(regtest_height)?;
        let now_s = u64::from(regtest.last().map_or(0, |h| h.time)) + 3600;
        import::import_figures(
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
        sync::sync_figures(&mut report, options, sizes)?;
    }
    if options.runs("speed") {
        section("speed: simulated time over wall time, against bare turmoil");
        speed::speed_figures(&mut report, options, repeats)?;
    }
    if options.runs("explore") {
        section("explore: generated scenarios per second");
        speed::explore_figures(&mut report, options);
    }
    if options.runs("suite") {
        section("suite: wall time");
        speed::suite_figures(&mut report, options);
    }
    Ok(report)
}

/// The `bitcoind` section: [`bitcoind::header_sync_side_by_side`] of our node and bitcoind, when both
/// binaries are there.
fn bitcoind_figures(report: &mut BenchReport, options: &BenchOptions, repeats: u32) {
    let (Some(node_exe), Some(bitcoind_exe)) = (&options.node_exe, &options.bitcoind_exe) else {
        report.skipped.push("bitcoind: no node or bitcoind binary (scripts/install-bitcoind.sh installs bitcoind in .tools/bitcoind)".into());
        return;
    };
    // Quick: a small chain, where bitcoind's delay before its first `getheaders` weighs more.
    let headers = if options.quick {
        10_000
    } else {
        bitcoind::DEFAULT_HEADERS
    };
    match bitcoind::header_sync_side_by_side(headers, repeats, node_exe, bitcoind_exe) {
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
