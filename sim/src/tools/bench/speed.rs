//! How fast the harness itself is: the `speed` section (simulated over wall time of the soak
//! and of the suite, against bare turmoil), the `explore` section (generated scenarios per
//! second) and the `suite` section (`sim suite`'s wall time, and `scripts/test`'s).

use std::process::Command;
use std::time::{Duration, Instant};

use super::figures::{median, BenchOptions, BenchReport};
use crate::scenario::Scenario;

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

/// The `speed` section: the soak scenario against bare turmoil, and the suite in this process.
pub(super) fn speed_figures(
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

/// The `explore` section: generated seeds per second at `--jobs 1` and `2`, and at a fine tick.
pub(super) fn explore_figures(report: &mut BenchReport, options: &BenchOptions) {
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

/// The `suite` section: `sim suite`'s wall time and, with `--with-tests`, `scripts/test`'s.
pub(super) fn suite_figures(report: &mut BenchReport, options: &BenchOptions) {
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
